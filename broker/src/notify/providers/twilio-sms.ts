/**
 * SMS through Twilio's Programmable Messaging API, with the official `twilio` client, and the
 * HTTP handler for Twilio's delivery status callbacks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import twilio from 'twilio';
import {
  ProviderError,
  type DeliveryState,
  type NotificationProvider,
  type OutboundMessage,
  type SendResult,
} from '../provider.js';
import { smsSegments } from '../segments.js';

/** How to reach Twilio and what every message is sent with. */
export interface TwilioSmsOptions {
  /** `AC…`; the REST API's account, and the Basic auth user. */
  accountSid: string;
  /** The account's auth token: Basic auth password and the key status callbacks are signed with. */
  authToken: string;
  /** Sender number or alphanumeric sender ID. One of `from` and `messagingServiceSid` is required. */
  from?: string;
  /** `MG…`: let a Messaging Service pick the sender (sender pools, India sender IDs). */
  messagingServiceSid?: string;
  /** Public URL of {@link twilioStatusCallback}; Twilio POSTs each status change there. */
  statusCallback?: string;
  /** India DLT content template id, sent as `DltTemplateId` (see {@link TwilioSmsProvider}). */
  dltTemplateId?: string;
  /** India DLT principal entity id (PE ID), sent as `DltPEId`. */
  dltEntityId?: string;
  /** Instead of https://api.twilio.com: a local fake API in tests, or an egress proxy. */
  baseUrl?: string;
  /** Per-request timeout; a timed-out send is retryable. Default 10 s. */
  timeoutMs?: number;
}

/**
 * Our delivery state for a Twilio message status, or undefined for statuses that say nothing
 * about an outbound message (`receiving`, `received`, and any Twilio adds later).
 */
export function twilioDeliveryState(status: string): DeliveryState | undefined {
  switch (status) {
    case 'accepted': // a Messaging Service has it and has not yet picked a sender
    case 'scheduled':
    case 'queued':
    case 'sending':
      return 'queued';
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read': // read receipts (WhatsApp, RCS) come after delivery
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
    case 'canceled': // a scheduled message that was canceled will never go out
      return 'failed';
    default:
      return undefined;
  }
}

/** The fields of Twilio's Message resource JSON that we read. */
interface TwilioMessageJson {
  sid?: unknown;
  status?: unknown;
  num_segments?: unknown;
}

/**
 * Sends SMS with Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).
 *
 * India DLT: TRAI requires every commercial SMS to an Indian number to carry the sender's DLT
 * principal entity id and the id of the registered content template it matches. Twilio has no
 * field for them in its Message resource reference or in twilio-node's typed `messages.create()`
 * (which drops parameters it does not know); Twilio's error catalogue does name the request
 * parameters (21900 "DltPEId is invalid", 21901 "DltTemplateId is invalid"), and its India sender
 * ID guide asks for entity and template ids when sending. So when they are configured they are
 * sent as the `DltPEId` and `DltTemplateId` form fields, through the same `Version.create()` call
 * the generated `messages.create()` makes, with the same auth, serialization and errors. Twilio
 * also matches templates registered with its sender ID team, so leaving them unset still works
 * for an account set up that way.
 *
 * Idempotency: Twilio's Messages API takes no idempotency key, so `idempotencyKey` is not sent;
 * a send that timed out after Twilio accepted it can go out twice when retried.
 */
export class TwilioSmsProvider implements NotificationProvider {
  /** Always `sms`. */
  readonly channel = 'sms' as const;
  private readonly client: twilio.Twilio;
  private closed = false;

  /** Builds the client; makes no request. */
  constructor(private readonly opts: TwilioSmsOptions) {
    if (!opts.from && !opts.messagingServiceSid)
      throw new Error('TwilioSmsProvider needs `from` or `messagingServiceSid`');
    this.client = twilio(opts.accountSid, opts.authToken, {
      timeout: opts.timeoutMs ?? 10_000,
      // The alert pipeline owns retries and backoff; the client's own 429 retry would hide
      // throttling from it and stretch one attempt past its timeout.
      autoRetry: false,
      // TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the API host name; with an
      // explicit base URL that host must be used as given.
      ...(opts.baseUrl ? { edge: '', region: '' } : {}),
    });
    // Every request URL is the domain's baseUrl + version + path (Domain.absoluteUrl), so this
    // points the real client, auth and all, at another server.
    if (opts.baseUrl) this.client.api.baseUrl = opts.baseUrl;
  }

  /** Creates the message on Twilio; resolves once Twilio has accepted it (state `queued`). */
  async send(message: OutboundMessage): Promise<SendResult> {
    if (this.closed) throw new ProviderError('Twilio provider is closed', false);
    if (message.channel !== 'sms')
      throw new ProviderError(`Twilio sends SMS, not ${message.channel}`, false);
    const data: Record<string, string> = { To: message.to, Body: message.text };
    if (this.opts.from) data['From'] = this.opts.from;
    if (this.opts.messagingServiceSid) data['MessagingServiceSid'] = this.opts.messagingServiceSid;
    if (this.opts.statusCallback) data['StatusCallback'] = this.opts.statusCallback;
    if (this.opts.dltEntityId) data['DltPEId'] = this.opts.dltEntityId;
    if (this.opts.dltTemplateId) data['DltTemplateId'] = this.opts.dltTemplateId;

    let payload: TwilioMessageJson;
    try {
      payload = (await this.client.api.v2010.create({
        uri: `/Accounts/${encodeURIComponent(this.opts.accountSid)}/Messages.json`,
        method: 'post',
        data,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
      })) as TwilioMessageJson;
    } catch (err) {
      throw twilioError(err);
    }
    if (typeof payload.sid !== 'string' || !payload.sid)
      throw new ProviderError('Twilio answered without a message SID', true);
    const billed = Number(payload.num_segments);
    return {
      providerId: payload.sid,
      state:
        (typeof payload.status === 'string' && twilioDeliveryState(payload.status)) || 'queued',
      // Twilio's count is what is billed, but a Messaging Service answers `0` until it has picked
      // a sender (status `accepted`): count ourselves then.
      segments:
        Number.isInteger(billed) && billed > 0 ? billed : smsSegments(message.text).segments,
    };
  }

  /** Refuses further sends. The client keeps no connections of its own to release. */
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Network error codes (Node and axios) after which the same request may well succeed. */
const NETWORK_CODES = new Set([
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Maps what the twilio client throws to a ProviderError. */
function twilioError(err: unknown): ProviderError {
  const e = (err ?? {}) as { status?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  // RestException and TwilioServiceException: Twilio answered with an HTTP error.
  if (typeof e.status === 'number' && e.status >= 400) {
    const retryable = e.status === 429 || e.status >= 500;
    const code = typeof e.code === 'number' ? ` (Twilio error ${e.code})` : '';
    return new ProviderError(`Twilio HTTP ${e.status}${code}: ${message}`, retryable, e.status, {
      cause: err,
    });
  }
  // axios errors without a response: Twilio was not reached, or did not answer in time.
  if (
    (err as { isAxiosError?: unknown }).isAxiosError === true ||
    NETWORK_CODES.has(String(e.code))
  )
    return new ProviderError(`Twilio unreachable: ${message}`, true, undefined, { cause: err });
  return new ProviderError(`Twilio send failed: ${message}`, false, undefined, { cause: err });
}

/** A status change Twilio reported for one message. */
export interface TwilioStatusUpdate {
  /** The message SID, as returned by {@link TwilioSmsProvider.send}. */
  providerId: string;
  state: DeliveryState;
  /** Twilio's error code for `failed` / `undelivered` (e.g. `30003` unreachable handset). */
  errorCode?: string;
}

/** Callback bodies are a dozen short fields; anything much bigger is not from Twilio. */
const MAX_CALLBACK_BYTES = 64 * 1024;

/**
 * A `node:http` request handler for Twilio's message status callbacks. It reads the urlencoded
 * body, checks `X-Twilio-Signature` with twilio's own `validateRequest` against `publicUrl`, and
 * calls `onStatus` with the mapped state. Answers 204 when done, 403 (and calls nothing) for a
 * missing or wrong signature, 400 for a body that is not a status callback, 405 for other methods,
 * 413 for an oversized body and 500 when `onStatus` throws (the error goes to `onError`).
 *
 * `publicUrl` is the StatusCallback URL exactly as Twilio was given it, since that is the string
 * Twilio signs; behind a proxy the request's own host and path are not. When the request has a
 * query string, that query string replaces publicUrl's, so per-message parameters still verify.
 * Statuses that map to no delivery state are acknowledged and ignored.
 */
export function twilioStatusCallback(opts: {
  authToken: string;
  publicUrl: string;
  onStatus(update: TwilioStatusUpdate): void | Promise<void>;
  onError?(err: unknown): void;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const reply = (res: ServerResponse, status: number, headers: Record<string, string> = {}) => {
    if (!res.headersSent) res.writeHead(status, headers).end();
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return reply(res, 405, { allow: 'POST' });
    const body = await readBody(req, MAX_CALLBACK_BYTES);
    if (body === undefined) return reply(res, 413, { connection: 'close' });
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !signature) return reply(res, 403);
    const type = String(req.headers['content-type'] ?? '');
    const params = type.startsWith('application/x-www-form-urlencoded')
      ? parseForm(body)
      : undefined;
    if (!params) return reply(res, 400);
    const url = signedUrl(opts.publicUrl, req.url ?? '');
    if (!twilio.validateRequest(opts.authToken, signature, url, params)) return reply(res, 403);

    const sid = params['MessageSid'];
    const status = params['MessageStatus'];
    const errorCode = params['ErrorCode'];
    if (typeof sid !== 'string' || !sid || typeof status !== 'string' || Array.isArray(errorCode))
      return reply(res, 400);
    const state = twilioDeliveryState(status);
    if (state) {
      await opts.onStatus({ providerId: sid, state, ...(errorCode ? { errorCode } : {}) });
    }
    reply(res, 204);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.onError?.(err);
      reply(res, 500);
    });
  };
}

/** The URL Twilio signed: publicUrl, with the request's query string when it has one. */
function signedUrl(publicUrl: string, requestUrl: string): string {
  const q = requestUrl.indexOf('?');
  if (q < 0) return publicUrl;
  const base = publicUrl.split('?')[0] ?? publicUrl;
  return base + requestUrl.slice(q);
}

/** Reads the body as UTF-8; undefined when it exceeds `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses an urlencoded body into the shape twilio's validator signs (a repeated name becomes an
 * array); undefined for a broken percent escape, which URLSearchParams would pass through as-is.
 */
function parseForm(body: string): Record<string, string | string[]> | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(body)) return undefined;
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
