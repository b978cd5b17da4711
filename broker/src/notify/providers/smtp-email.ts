/** Email through an SMTP relay (a state data centre's mail server, or a vendor's), with nodemailer. */
import { createHash } from 'node:crypto';
import nodemailer, { type NodemailerError, type Transporter } from 'nodemailer';
import {
  ProviderError,
  type NotificationProvider,
  type OutboundMessage,
  type SendResult,
} from '../provider.js';

/** How to reach the SMTP relay and who the mail is from. */
export interface SmtpEmailOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). Default: true on port 465, false otherwise. */
  secure?: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS (ports 587 / 25 with TLS). */
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  /** Envelope and header sender: `alerts@cctns.example.in` or `CCTNS Alerts <alerts@…>`. */
  from: string;
  /** Certificate checks: `ca` (PEM) for a relay with a private CA; `rejectUnauthorized` defaults on. */
  tls?: { rejectUnauthorized?: boolean; ca?: string };
  /**
   * Keep up to this many connections open and reuse them (default 3): an alert fans out to many
   * recipients, and a TLS + AUTH handshake per mail would dominate. 0 opens one per message.
   */
  maxConnections?: number;
  /** Connect, greeting and idle-socket timeout; a timeout is retryable. Default 15 s. */
  timeoutMs?: number;
}

/** The parts of nodemailer's SMTP send result that we read. */
interface SmtpInfo {
  messageId?: string;
}

/**
 * Sends plain-text email over SMTP. Subjects and bodies go out as UTF-8 (nodemailer picks
 * RFC 2047 encoded-words for non-ASCII subjects and base64 or quoted-printable for the body), so
 * Hindi, Tamil and other Indian scripts arrive intact through any 7-bit relay.
 *
 * The Message-ID is derived from the idempotency key, so every retry of one notification carries
 * the same id: the returned providerId stays stable, and mailbox providers that drop duplicate
 * Message-IDs (Gmail does) show a retried mail once.
 */
export class SmtpEmailProvider implements NotificationProvider {
  /** Always `email`. */
  readonly channel = 'email' as const;
  private readonly transport: Transporter;
  private readonly domain: string;
  private closed = false;

  /** Sets up the transport; it connects lazily, on the first send. */
  constructor(private readonly opts: SmtpEmailOptions) {
    const timeout = opts.timeoutMs ?? 15_000;
    const pooled = (opts.maxConnections ?? 3) > 0;
    const common = {
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? opts.port === 465,
      requireTLS: opts.requireTLS ?? false,
      ...(opts.auth ? { auth: { user: opts.auth.user, pass: opts.auth.pass } } : {}),
      ...(opts.tls ? { tls: { ...opts.tls } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    };
    this.transport = pooled
      ? nodemailer.createTransport({
          ...common,
          pool: true,
          maxConnections: opts.maxConnections ?? 3,
        })
      : nodemailer.createTransport(common);
    this.domain = /@([^\s@>]+)>?\s*$/.exec(opts.from)?.[1] ?? 'localhost';
  }

  /** Hands the mail to the relay; resolves when the relay has accepted it (state `sent`). */
  async send(message: OutboundMessage): Promise<SendResult> {
    if (this.closed) throw new ProviderError('SMTP provider is closed', false);
    if (message.channel !== 'email')
      throw new ProviderError(`SMTP sends email, not ${message.channel}`, false);
    const key = createHash('sha256').update(message.idempotencyKey).digest('hex').slice(0, 32);
    let info: SmtpInfo;
    try {
      info = (await this.transport.sendMail({
        from: this.opts.from,
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
        messageId: `<${key}@${this.domain}>`,
      })) as SmtpInfo;
    } catch (err) {
      throw smtpError(err);
    }
    return { providerId: info.messageId ?? `<${key}@${this.domain}>`, state: 'sent', segments: 1 };
  }

  /** Closes pooled connections; later sends fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.transport.close();
  }
}

/** nodemailer codes for a failure to talk to the server at all: the next attempt may work. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY']);

/** Node TLS codes for a certificate that will not verify: an operator must fix it, not time. */
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * Maps a nodemailer error to a ProviderError. A reply code decides when there is one (RFC 5321:
 * 4yz transient, 5yz permanent, except 503 "bad sequence", which a new connection clears), and
 * it becomes the error's `status`. Without one, connection trouble is retryable and everything
 * else (bad configuration, certificates, a message nodemailer cannot build) is not.
 */
function smtpError(err: unknown): ProviderError {
  const e = (err ?? {}) as NodemailerError;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const rc = e.responseCode;
  if (typeof rc === 'number' && rc >= 400) {
    const retryable = rc < 500 || rc === 503;
    return new ProviderError(`SMTP ${rc}: ${message}`, retryable, rc, { cause: err });
  }
  const code = String(e.code ?? '');
  const certificate = CERTIFICATE.test(`${e.originalCode ?? ''} ${code} ${message}`);
  const retryable = !certificate && (CONNECTION_CODES.has(code) || code === 'ETLS');
  return new ProviderError(`SMTP ${code || 'error'}: ${message}`, retryable, undefined, {
    cause: err,
  });
}
