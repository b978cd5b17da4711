import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  createRenewalRequest,
  JwsSigner,
  loadPrivateKey,
  parseIdentity,
  pemBlocks,
  renewalDue,
  signAlert,
  signReceipt,
  TrustStore,
  writePublicFile,
  type KeyPair,
  unverifiedPayload,
} from '@cctns/pki';
import {
  Alert,
  CapScope,
  DirectoryServiceClient,
  ReceiptKind,
  RenewalServiceClient,
  type Attachment,
  type CertificateChain,
  type CertificateResponse,
  type Record as RecordMsg,
  type SealedPackage,
} from '@cctns/proto';
import { Approvals } from './approval/approvals.js';
import { composeAlert } from './compose/alert.js';
import { openSealed, recipientKey, seal } from './query/seal.js';
import { pino, type Logger } from 'pino';
import { AgentError } from './errors.js';
import {
  AgentLink,
  brokerIdentityCheck,
  channelOptions,
  type LinkEvents,
  type LinkOptions,
} from './link/link-client.js';
import { AgentStore } from './store/agent-store.js';

/** `agent.json`: what enrollment wrote about this station. */
export interface AgentConfig {
  identity: string;
  trustDomain: string;
  /** The broker's mutual-TLS address, host:port. */
  broker: string;
}

/** Files of an agent directory. */
export const AGENT_FILES = {
  config: 'agent.json',
  key: 'key.pem',
  cert: 'cert.pem',
  root: 'root.pem',
  db: 'agent.db',
} as const;

/** Where an agent's files are. */
export interface AgentPaths {
  config: string;
  key: string;
  cert: string;
  root: string;
  db: string;
}

function agentPaths(dir: string): AgentPaths {
  return {
    config: join(dir, AGENT_FILES.config),
    key: join(dir, AGENT_FILES.key),
    cert: join(dir, AGENT_FILES.cert),
    root: join(dir, AGENT_FILES.root),
    db: join(dir, AGENT_FILES.db),
  };
}

/** Largest sealed case record an agent sends by default (the broker's default message limit is 256 KiB). */
export const DEFAULT_MAX_SEALED_BYTES = 240 * 1024;

/** How often the daemon checks whether its certificate is due for renewal. */
const RENEWAL_CHECK_MS = 60 * 60 * 1000;

/**
 * A station agent opened from its directory: identity, key, certificate, trust anchors and local
 * store. The officer's commands (send, show, ack) sign here and queue in the outbox; `run` keeps
 * the link that drains it.
 */
export class Agent {
  readonly store: AgentStore;
  readonly trust: TrustStore;
  private keys: KeyPair;
  private chainPem: Buffer;
  private signer: JwsSigner;
  private link: AgentLink | undefined;
  private renewTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly dir: string,
    readonly config: AgentConfig,
    readonly logger: Logger,
    readonly clock: () => Date,
    private readonly files: AgentPaths,
  ) {
    this.keys = loadPrivateKey(readFileSync(files.key, 'utf8'), undefined, 'the station key');
    this.chainPem = readFileSync(files.cert);
    this.trust = new TrustStore({
      trustDomain: config.trustDomain,
      root: readFileSync(files.root, 'utf8'),
      cas: pemBlocks(this.chainPem.toString(), 'CERTIFICATE').slice(1),
    });
    this.signer = new JwsSigner(this.keys.privateKey, this.chainPem.toString());
    this.store = new AgentStore(files.db);
  }

  /**
   * An agent over certificate files kept elsewhere (e.g. the HQ console's own `hq/<scope>/console`
   * certificate), with its outbox database at `db`: same signing, outbox and link as a station.
   */
  static openWith(args: {
    config: AgentConfig;
    files: Omit<AgentPaths, 'config'>;
    logger?: Logger;
    clock?: () => Date;
  }): Agent {
    parseIdentity(args.config.identity);
    return new Agent(
      dirname(args.files.db),
      args.config,
      (args.logger ?? pino({ level: 'info' })).child({ agent: args.config.identity }),
      args.clock ?? (() => new Date()),
      { ...args.files, config: '' },
    );
  }

  /** Opens an enrolled agent directory; throws NOT_ENROLLED. */
  static open(dir: string, opts: { logger?: Logger; clock?: () => Date } = {}): Agent {
    const cfgPath = join(dir, AGENT_FILES.config);
    if (!existsSync(cfgPath) || !existsSync(join(dir, AGENT_FILES.cert))) {
      throw new AgentError(
        'NOT_ENROLLED',
        `no enrolled station in ${dir} (run \`cctns agent enroll\`)`,
      );
    }
    const config = JSON.parse(readFileSync(cfgPath, 'utf8')) as AgentConfig;
    parseIdentity(config.identity);
    return new Agent(
      dir,
      config,
      (opts.logger ?? pino({ level: 'info' })).child({ station: config.identity }),
      opts.clock ?? (() => new Date()),
      agentPaths(dir),
    );
  }

  /** The station's identity. */
  get identity(): string {
    return this.config.identity;
  }

  /** The station's current certificate. */
  certificate(): X509Certificate {
    return new X509Certificate(pemBlocks(this.chainPem.toString(), 'CERTIFICATE')[0]!);
  }

  /** Signs an alert as this station and queues it; it goes out now if the link is up, else on reconnect. */
  async send(alert: Alert): Promise<{ alertId: string }> {
    if (alert.sender !== this.identity)
      throw new AgentError('INPUT_INVALID', `the alert's sender must be ${this.identity}`);
    const signed = await signAlert(this.signer, alert);
    const label = alert.info[0]?.headline || alert.info[0]?.event || alert.identifier;
    try {
      this.store.enqueue({
        ref: `alert:${alert.identifier}`,
        kind: 'alert',
        alertId: alert.identifier,
        jws: signed.jws,
        label,
        createdAt: this.clock(),
      });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (
        code === 'SQLITE_FULL' ||
        (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code))
      )
        throw new AgentError(
          'STORE_UNAVAILABLE',
          code === 'SQLITE_FULL'
            ? `the station's disk is full: the alert was not queued (free space on the disk of ${this.dir}, then send it again)`
            : `the station's database is locked by another process: the alert was not queued (send it again)`,
          { cause: err },
        );
      throw err;
    }
    this.link?.nudge();
    return { alertId: alert.identifier };
  }

  /** The two-person rule at this agent: drafts, approvals, waiting for one (HQ identities). */
  approvals(): Approvals {
    return new Approvals({
      broker: this.config.broker,
      identity: this.identity,
      trust: this.trust,
      creds: () => this.credentials(),
      signer: () => this.signer,
      clock: this.clock,
    });
  }

  /**
   * Sends an alert that needs a second officer's approval: leaves the signed draft at the broker,
   * waits for the approval, then signs the alert with the approval inside and queues it.
   * `onDraft` is told once the draft waits (to say who should approve); `approver`, when given,
   * is the only identity whose approval is taken.
   */
  async sendApproved(
    alert: Alert,
    opts: { timeoutMs: number; pollMs?: number; approver?: string; onDraft?: () => void },
  ): Promise<{ alertId: string; approver: string }> {
    const approvals = this.approvals();
    await approvals.submit(alert);
    opts.onDraft?.();
    const r = await approvals.awaitApproval(alert, opts);
    await this.send(r.alert);
    return { alertId: alert.identifier, approver: r.approval.signer.identityString };
  }

  /** The certificate chain of a station, from this agent's broker's directory (verified by the caller). */
  private recipientCertificate(recipient: string): Promise<string> {
    const c = this.credentials();
    const client = new DirectoryServiceClient(
      this.config.broker,
      credentials.createSsl(c.rootPem, c.keyPem, c.chainPem, {
        checkServerIdentity: brokerIdentityCheck(this.trust, this.identity),
      }),
      channelOptions(this.config.broker),
    );
    return new Promise<string>((resolve, reject) =>
      client.getCertificate(
        { identity: recipient },
        new Metadata(),
        { deadline: new Date(Date.now() + 15_000) },
        (err: ServiceError | null, r?: CertificateChain) =>
          err ? reject(err) : resolve(r!.chainPem),
      ),
    ).finally(() => client.close());
  }

  /**
   * Seals case records (and attachments) to one other station — signed with this station's key,
   * encrypted to the recipient's certificate key — and queues them as an alert addressed to that
   * station alone. Brokers relay it and cannot read it; receipts come back as for any alert.
   */
  async sendSealed(args: {
    recipient: string;
    records: RecordMsg[];
    attachments?: Attachment[];
    note?: string;
    /** Largest sealed package accepted here (the broker's limit is the final word). */
    maxBytes?: number;
  }): Promise<{ alertId: string; bytes: number }> {
    const id = parseIdentity(args.recipient);
    if (id.kind !== 'station')
      throw new AgentError('INPUT_INVALID', 'a sealed case record goes to one station');
    const chain = await this.recipientCertificate(args.recipient);
    const key = recipientKey(this.trust, chain, args.recipient);
    const now = this.clock();
    const jwe = await seal(this.signer, key, {
      sender: this.identity,
      recipient: args.recipient,
      sealedAt: now,
      records: args.records,
      attachments: args.attachments ?? [],
      note: args.note ?? '',
    });
    const max = args.maxBytes ?? DEFAULT_MAX_SEALED_BYTES;
    if (jwe.length > max)
      throw new AgentError(
        'INPUT_INVALID',
        `the sealed record is ${Math.ceil(jwe.length / 1024)} KiB; at most ${Math.floor(max / 1024)} KiB can be sent (attachments included)`,
      );
    const alert = composeAlert({
      sender: this.identity,
      to: { stations: [args.recipient] },
      event: 'Case record',
      // Brokers can read this line: it says what, never whom or which case.
      headline: `Sealed case record from ${this.identity}`,
      severity: 'moderate',
      urgency: 'expected',
      handling: 'confidential',
      now,
    });
    alert.scope = CapScope.CAP_SCOPE_PRIVATE;
    alert.police!.sealed = jwe;
    const r = await this.send(alert);
    return { alertId: r.alertId, bytes: jwe.length };
  }

  /** Opens a sealed case record in the inbox with this station's key, verifying its sender. */
  async openSealed(alertId: string): Promise<SealedPackage> {
    const item = this.store.inboxItem(alertId);
    if (!item) throw new AgentError('ALERT_NOT_FOUND', `no alert ${alertId} in the inbox`);
    // Verified end to end when it was stored; read here.
    const alert = Alert.decode(unverifiedPayload(item.jws));
    if (!alert.police?.sealed)
      throw new AgentError('INPUT_INVALID', `alert ${alertId} carries no sealed case record`);
    return openSealed({
      jwe: alert.police.sealed,
      privateKey: this.keys.privateKey,
      trust: this.trust,
      sender: alert.sender,
      recipient: this.identity,
    });
  }

  private async receipt(alertId: string, kind: ReceiptKind, note: string): Promise<void> {
    const at = this.clock();
    const signed = await signReceipt(this.signer, {
      alertId,
      station: this.identity,
      kind,
      at,
      note,
    });
    const label = kind === ReceiptKind.RECEIPT_KIND_READ ? 'read' : 'acknowledged';
    this.store.enqueue({
      ref: `receipt:${alertId}:${label}`,
      kind: 'receipt',
      alertId,
      jws: signed.jws,
      label,
      createdAt: at,
    });
    this.link?.nudge();
  }

  /** Marks an inbox alert read and queues the read receipt (once). */
  async markRead(alertId: string): Promise<void> {
    if (!this.store.inboxItem(alertId))
      throw new AgentError('ALERT_NOT_FOUND', `no alert ${alertId} in the inbox`);
    if (this.store.markRead(alertId, this.clock()))
      await this.receipt(alertId, ReceiptKind.RECEIPT_KIND_READ, '');
  }

  /** Acknowledges an inbox alert (acted upon) and queues the receipt (once). Returns false if already acknowledged. */
  async acknowledge(alertId: string, note = ''): Promise<boolean> {
    if (!this.store.inboxItem(alertId))
      throw new AgentError('ALERT_NOT_FOUND', `no alert ${alertId} in the inbox`);
    const wasUnread = this.store.inboxItem(alertId)?.readAt === null;
    if (!this.store.markAcked(alertId, this.clock(), note)) return false;
    if (wasUnread) await this.receipt(alertId, ReceiptKind.RECEIPT_KIND_READ, '');
    await this.receipt(alertId, ReceiptKind.RECEIPT_KIND_ACKNOWLEDGED, note);
    return true;
  }

  /** When the certificate should be renewed (2/3 of its lifetime). */
  renewAfter(): Date {
    const c = this.certificate();
    return renewalDue(new Date(c.validFrom), new Date(c.validTo));
  }

  private credentials() {
    return {
      identity: this.identity,
      keyPem: Buffer.from(this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
      chainPem: this.chainPem,
      rootPem: readFileSync(this.files.root),
    };
  }

  /** Renews the certificate over the mutual-TLS link (same key), writes it, and uses it from the next connection. */
  async renew(): Promise<CertificateResponse> {
    const c = this.credentials();
    const client = new RenewalServiceClient(
      this.config.broker,
      credentials.createSsl(c.rootPem, c.keyPem, c.chainPem, {
        checkServerIdentity: brokerIdentityCheck(this.trust, this.identity),
      }),
      channelOptions(this.config.broker),
    );
    try {
      const request = await createRenewalRequest({
        chainPem: this.chainPem.toString(),
        keys: this.keys,
        now: this.clock(),
      });
      const res = await new Promise<CertificateResponse>((resolve, reject) =>
        client.renew(
          { csrPem: request.csrPem, proof: request.proof },
          (err: ServiceError | null, r?: CertificateResponse) => (err ? reject(err) : resolve(r!)),
        ),
      );
      writePublicFile(this.files.cert, res.chainPem);
      this.chainPem = Buffer.from(res.chainPem);
      this.signer = new JwsSigner(this.keys.privateKey, res.chainPem);
      this.logger.info({ serial: res.serial, notAfter: res.notAfter }, 'certificate renewed');
      return res;
    } finally {
      client.close();
    }
  }

  private async renewIfDue(): Promise<void> {
    if (this.clock() < this.renewAfter()) return;
    try {
      await this.renew();
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'renewal failed; will retry');
    }
  }

  /** Runs the daemon: the link to the broker and certificate renewal. */
  run(
    events: LinkEvents = {},
    tuning: Partial<
      Pick<LinkOptions, 'window' | 'minBackoffMs' | 'maxBackoffMs' | 'outboxPollMs'>
    > = {},
  ): AgentLink {
    if (this.link) return this.link;
    this.link = new AgentLink(
      {
        address: this.config.broker,
        creds: () => this.credentials(),
        trust: this.trust,
        store: this.store,
        signer: () => this.signer,
        logger: this.logger,
        clock: this.clock,
        ...tuning,
      },
      events,
    );
    this.link.start();
    void this.renewIfDue();
    this.renewTimer = setInterval(() => void this.renewIfDue(), RENEWAL_CHECK_MS).unref();
    return this.link;
  }

  /** Stops the daemon and closes the store. */
  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.link?.stop();
    this.link = undefined;
    this.store.close();
  }
}

/** Writes an agent's config file. */
export function writeAgentConfig(dir: string, config: AgentConfig): void {
  writeFileSync(join(dir, AGENT_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
}
