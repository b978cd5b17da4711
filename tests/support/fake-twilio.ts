/**
 * A local stand-in for the part of Twilio's REST API that the real `twilio` client uses to send
 * SMS, so tests exercise the library's own HTTP, auth and error handling on 127.0.0.1: create
 * (and fetch) a Message, Twilio-shaped JSON errors, and signed status callbacks.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { smsSegments } from '../../broker/src/notify/segments.js';

/** Twilio's outbound message statuses, as sent in `MessageStatus`. */
export type TwilioMessageStatus =
  | 'accepted'
  | 'scheduled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'read'
  | 'canceled';

/** One message the fake accepted. */
export interface FakeMessage {
  sid: string;
  to: string;
  from?: string;
  body: string;
  messagingServiceSid?: string;
  statusCallback?: string;
  /** Every form field of the create request, including ones the fake does not model (DLT ids). */
  params: Record<string, string>;
  numSegments: number;
  status: TwilioMessageStatus;
  errorCode?: string;
  dateCreated: Date;
}

/** How a forged status callback is wrong. */
export type Forgery = 'missing' | 'wrong-token' | 'tampered';

/** A running fake Twilio API. */
export interface FakeTwilio {
  /** Base URL to give the client instead of https://api.twilio.com. */
  url: string;
  accountSid: string;
  authToken: string;
  /** Messages created, oldest first. */
  messages: FakeMessage[];
  /** Every request, in order: `POST /2010-04-01/Accounts/AC…/Messages.json 201`. */
  requests: string[];
  /**
   * Answers the next `n` create requests with `status` and a Twilio error body (code 20429 for
   * 429 and 20500 for 5xx unless `code` is given) instead of creating a message.
   */
  failNext(n: number, status: number, code?: number): void;
  /** Answers every create to `to` with 400, code 21211 (invalid 'To' number). */
  rejectNumber(to: string): void;
  /**
   * Moves message `sid` to `status` and POSTs the status callback to its StatusCallback URL,
   * signed as Twilio signs it. Resolves with the receiver's HTTP status.
   */
  deliver(sid: string, status: TwilioMessageStatus, errorCode?: string): Promise<number>;
  /** Sends the status callback of `sid` with a bad or missing signature; the receiver's status. */
  deliverForged(sid: string, status: TwilioMessageStatus, how: Forgery): Promise<number>;
  close(): Promise<void>;
}

const API = '/2010-04-01';

/**
 * Twilio's X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the full callback
 * URL followed by every POST parameter name and value, sorted by name, concatenated without
 * separators. Written out here rather than borrowed from the `twilio` package, so tests that
 * check the provider with twilio's validator are not checking the library against itself.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>) {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Starts a fake Twilio API on a free loopback port. */
export async function startFakeTwilio(
  opts: { accountSid?: string; authToken?: string } = {},
): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? 'AC' + randomBytes(16).toString('hex');
  const authToken = opts.authToken ?? randomBytes(16).toString('hex');
  const messages: FakeMessage[] = [];
  const requests: string[] = [];
  const failures: { status: number; code: number }[] = [];
  const rejected = new Set<string>();
  const expectedAuth = Buffer.from(
    'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64'),
  );

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, 20500, `fake twilio: ${(err as Error).message}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => requests.push(`${req.method} ${path} ${res.statusCode}`));
    const body = await readBody(req);
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth))
      return error(res, 401, 20003, 'Authenticate');
    const base = `${API}/Accounts/${accountSid}/Messages`;
    if (req.method === 'POST' && path === `${base}.json`) return create(res, body);
    const fetched = path.startsWith(`${base}/`) && path.endsWith('.json');
    if (req.method === 'GET' && fetched) {
      const m = messages.find((x) => path === `${base}/${x.sid}.json`);
      return m
        ? json(res, 200, view(m))
        : error(res, 404, 20404, 'The requested resource was not found');
    }
    return error(res, 404, 20404, `The requested resource ${path} was not found`);
  }

  function create(res: ServerResponse, raw: string): void {
    const failure = failures.shift();
    if (failure) {
      const message = failure.status === 429 ? 'Too Many Requests' : 'Internal Server Error';
      return error(res, failure.status, failure.code, message);
    }
    const params = Object.fromEntries(new URLSearchParams(raw));
    const to = params['To'];
    if (!to) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!params['From'] && !params['MessagingServiceSid'])
      return error(res, 400, 21603, "A 'From' phone number is required.");
    const body = params['Body'];
    if (body === undefined || body === '')
      return error(res, 400, 21602, 'Message body is required.');
    if (rejected.has(to) || !/^\+[1-9]\d{6,14}$/.test(to))
      return error(res, 400, 21211, `Invalid 'To' Phone Number: ${to}`);
    const m: FakeMessage = {
      sid: 'SM' + randomBytes(16).toString('hex'),
      to,
      body,
      params,
      numSegments: smsSegments(body).segments,
      // A Messaging Service answers 'accepted' until it has picked a sender, like Twilio.
      status: params['MessagingServiceSid'] ? 'accepted' : 'queued',
      dateCreated: new Date(),
      ...(params['From'] ? { from: params['From'] } : {}),
      ...(params['MessagingServiceSid']
        ? { messagingServiceSid: params['MessagingServiceSid'] }
        : {}),
      ...(params['StatusCallback'] ? { statusCallback: params['StatusCallback'] } : {}),
    };
    messages.push(m);
    json(res, 201, view(m));
  }

  /** The Message resource JSON as Twilio's 2010-04-01 API returns it (numbers as strings). */
  function view(m: FakeMessage): Record<string, unknown> {
    const date = m.dateCreated.toUTCString().replace('GMT', '+0000');
    return {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: m.errorCode ? Number(m.errorCode) : null,
      error_message: null,
      from: m.from ?? null,
      messaging_service_sid: m.messagingServiceSid ?? null,
      num_media: '0',
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: {
        media: `${API}/Accounts/${accountSid}/Messages/${m.sid}/Media.json`,
        feedback: `${API}/Accounts/${accountSid}/Messages/${m.sid}/Feedback.json`,
      },
      to: m.to,
      uri: `${API}/Accounts/${accountSid}/Messages/${m.sid}.json`,
    };
  }

  function callbackParams(m: FakeMessage, status: TwilioMessageStatus, errorCode?: string) {
    // The fields Twilio posts to a StatusCallback for an outbound SMS.
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      MessageSid: m.sid,
      MessageStatus: status,
      SmsSid: m.sid,
      SmsStatus: status,
      To: m.to,
    };
    if (m.from) params['From'] = m.from;
    if (m.messagingServiceSid) params['MessagingServiceSid'] = m.messagingServiceSid;
    if (errorCode) params['ErrorCode'] = errorCode;
    return params;
  }

  async function postCallback(
    m: FakeMessage,
    params: Record<string, string>,
    signature: string | undefined,
  ): Promise<number> {
    if (!m.statusCallback) throw new Error(`message ${m.sid} has no StatusCallback`);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'user-agent': 'TwilioProxy/1.1',
      'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
    };
    if (signature !== undefined) headers['x-twilio-signature'] = signature;
    const res = await fetch(m.statusCallback, {
      method: 'POST',
      headers,
      body: new URLSearchParams(params).toString(),
    });
    await res.arrayBuffer();
    return res.status;
  }

  function message(sid: string): FakeMessage {
    const m = messages.find((x) => x.sid === sid);
    if (!m) throw new Error(`fake twilio has no message ${sid}`);
    return m;
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    requests,
    failNext(n, status, code) {
      for (let i = 0; i < n; i++)
        failures.push({ status, code: code ?? (status === 429 ? 20429 : 20500) });
    },
    rejectNumber(to) {
      rejected.add(to);
    },
    async deliver(sid, status, errorCode) {
      const m = message(sid);
      m.status = status;
      if (errorCode) m.errorCode = errorCode;
      const params = callbackParams(m, status, errorCode);
      return postCallback(m, params, twilioSignature(authToken, m.statusCallback ?? '', params));
    },
    async deliverForged(sid, status, how) {
      const m = message(sid);
      const params = callbackParams(m, status);
      const url = m.statusCallback ?? '';
      if (how === 'missing') return postCallback(m, params, undefined);
      if (how === 'wrong-token')
        return postCallback(m, params, twilioSignature('not-' + authToken, url, params));
      // Signed by Twilio for another status, then rewritten in transit.
      const signed = { ...params, MessageStatus: status === 'delivered' ? 'failed' : 'delivered' };
      const signature = twilioSignature(authToken, url, signed);
      return postCallback(m, params, signature);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'twilio-request-id': 'RQ' + randomBytes(16).toString('hex'),
  });
  res.end(text);
}

/** Twilio's error body: `{ code, message, more_info, status }`. */
function error(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, {
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}
