import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeTwilio,
  twilioSignature,
  type FakeTwilio,
} from '../../../../tests/support/fake-twilio.js';
import { freePort } from '../../../../tests/support/processes.js';
import { ProviderError, type OutboundMessage } from '../provider.js';
import {
  twilioDeliveryState,
  twilioStatusCallback,
  TwilioSmsProvider,
  type TwilioSmsOptions,
  type TwilioStatusUpdate,
} from './twilio-sms.js';

const FROM = '+15005550006';
const TO = '+919812345678';

function sms(text: string, to = TO): OutboundMessage {
  return { channel: 'sms', to, text, idempotencyKey: `alert-1/${to}/sms` };
}

/** Resolves with the ProviderError `p` rejects with; fails the test when it resolves. */
async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('TwilioSmsProvider against a fake Twilio API', () => {
  let fake: FakeTwilio;
  let callbacks: Server;
  let callbackUrl: string;
  const updates: TwilioStatusUpdate[] = [];
  const providers: TwilioSmsProvider[] = [];

  function provider(extra: Partial<TwilioSmsOptions> = {}): TwilioSmsProvider {
    const p = new TwilioSmsProvider({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: FROM,
      statusCallback: callbackUrl,
      baseUrl: fake.url,
      timeoutMs: 2_000,
      ...extra,
    });
    providers.push(p);
    return p;
  }

  beforeAll(async () => {
    fake = await startFakeTwilio();
    callbacks = createServer();
    await new Promise<void>((r) => callbacks.listen(0, '127.0.0.1', () => r()));
    callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/twilio/status`;
    callbacks.on(
      'request',
      twilioStatusCallback({
        authToken: fake.authToken,
        publicUrl: callbackUrl,
        onStatus: (u) => {
          updates.push(u);
        },
      }),
    );
  });

  beforeEach(() => {
    fake.messages.length = 0;
    updates.length = 0;
  });

  afterEach(async () => {
    for (const p of providers.splice(0)) await p.close();
  });

  afterAll(async () => {
    await fake.close();
    callbacks.closeAllConnections();
    await new Promise<void>((r) => callbacks.close(() => r()));
  });

  it('sends with the real client: fields, Basic auth, SID, state and segments', async () => {
    const result = await provider().send(sms('CCTNS alert: lookout notice for vehicle MH01AB1234'));
    expect(fake.messages).toHaveLength(1);
    const m = fake.messages[0]!;
    expect(m).toMatchObject({
      to: TO,
      from: FROM,
      body: 'CCTNS alert: lookout notice for vehicle MH01AB1234',
      statusCallback: callbackUrl,
    });
    expect(m.messagingServiceSid).toBeUndefined();
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result).toEqual({ providerId: m.sid, state: 'queued', segments: 1 });
    expect(fake.requests.at(-1)).toBe(
      `POST /2010-04-01/Accounts/${fake.accountSid}/Messages.json 201`,
    );
  });

  it('ignores TWILIO_REGION / TWILIO_EDGE in the environment when given a base URL', async () => {
    const saved = { region: process.env['TWILIO_REGION'], edge: process.env['TWILIO_EDGE'] };
    process.env['TWILIO_REGION'] = 'au1';
    process.env['TWILIO_EDGE'] = 'sydney';
    try {
      // A host name, not an IP: twilio rewrites `host` to `host.sydney.au1.…`, and an IP literal
      // only survives that because URL refuses the rewritten name.
      await provider({ baseUrl: fake.url.replace('127.0.0.1', 'localhost') }).send(sms('region'));
    } finally {
      for (const [k, v] of [
        ['TWILIO_REGION', saved.region],
        ['TWILIO_EDGE', saved.edge],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    expect(fake.messages).toHaveLength(1);
  });

  it('sends through a Messaging Service with the India DLT ids as form fields', async () => {
    const p = provider({
      from: undefined,
      messagingServiceSid: 'MG' + '0'.repeat(32),
      dltEntityId: '1201159100000000001',
      dltTemplateId: '1207161700000000002',
    });
    const result = await p.send(sms('Alert 42 acknowledged'));
    const m = fake.messages[0]!;
    expect(m.from).toBeUndefined();
    expect(m.params).toMatchObject({
      MessagingServiceSid: 'MG' + '0'.repeat(32),
      DltPEId: '1201159100000000001',
      DltTemplateId: '1207161700000000002',
    });
    // Twilio answers `accepted` for a Messaging Service: still queued for us.
    expect(result.state).toBe('queued');
  });

  it('counts long Hindi text in UCS-2 segments and delivers it intact', async () => {
    const text = 'सतर्कता: थाना क्षेत्र में संदिग्ध वाहन देखा गया, तुरंत सूचित करें। '.repeat(3);
    expect(text.length).toBeGreaterThan(134);
    expect(text.length).toBeLessThanOrEqual(201);
    const result = await provider().send(sms(text));
    expect(fake.messages[0]!.body).toBe(text);
    expect(fake.messages[0]!.numSegments).toBe(3);
    expect(result.segments).toBe(3);
  });

  it('makes a 429 a retryable ProviderError with status 429, then sends again', async () => {
    fake.failNext(1, 429);
    const p = provider();
    const err = await providerError(p.send(sms('one')));
    expect(err).toMatchObject({ retryable: true, status: 429 });
    expect(err.message).toContain('20429');
    expect(fake.messages).toHaveLength(0);
    await expect(p.send(sms('one'))).resolves.toMatchObject({ state: 'queued' });
  });

  it('makes a 500 and a 503 retryable', async () => {
    fake.failNext(1, 500);
    fake.failNext(1, 503);
    const p = provider();
    expect(await providerError(p.send(sms('x')))).toMatchObject({ retryable: true, status: 500 });
    expect(await providerError(p.send(sms('x')))).toMatchObject({ retryable: true, status: 503 });
  });

  it('makes an invalid number (21211) not retryable', async () => {
    fake.rejectNumber('+919800000000');
    const p = provider();
    const err = await providerError(p.send(sms('x', '+919800000000')));
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect(err.message).toContain('21211');
    expect(await providerError(p.send(sms('x', '98123')))).toMatchObject({
      retryable: false,
      status: 400,
    });
  });

  it('makes wrong credentials (401) not retryable', async () => {
    const err = await providerError(provider({ authToken: 'wrong' }).send(sms('x')));
    expect(err).toMatchObject({ retryable: false, status: 401 });
    expect(fake.messages).toHaveLength(0);
  });

  it('makes a refused connection and a timeout retryable', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const refused = await providerError(provider({ baseUrl: down }).send(sms('x')));
    expect(refused).toMatchObject({ retryable: true, status: undefined });

    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const err = await providerError(provider({ baseUrl: url, timeoutMs: 200 }).send(sms('x')));
      expect(err).toMatchObject({ retryable: true, status: undefined });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('refuses to send email, and to send after close', async () => {
    const p = provider();
    const email: OutboundMessage = { ...sms('x'), channel: 'email', to: 'sho@example.in' };
    expect(await providerError(p.send(email))).toMatchObject({ retryable: false });
    await p.close();
    expect(await providerError(p.send(sms('x')))).toMatchObject({ retryable: false });
    expect(fake.messages).toHaveLength(0);
  });

  it('turns signed status callbacks into delivery states', async () => {
    const { providerId } = await provider().send(sms('status please'));
    expect(await fake.deliver(providerId, 'sending')).toBe(204);
    expect(await fake.deliver(providerId, 'sent')).toBe(204);
    expect(await fake.deliver(providerId, 'delivered')).toBe(204);
    expect(updates).toEqual([
      { providerId, state: 'queued' },
      { providerId, state: 'sent' },
      { providerId, state: 'delivered' },
    ]);

    const other = await provider().send(sms('this one bounces'));
    expect(await fake.deliver(other.providerId, 'undelivered', '30003')).toBe(204);
    expect(await fake.deliver(other.providerId, 'failed', '30008')).toBe(204);
    expect(updates.slice(3)).toEqual([
      { providerId: other.providerId, state: 'undelivered', errorCode: '30003' },
      { providerId: other.providerId, state: 'failed', errorCode: '30008' },
    ]);
  });

  it('answers 403 and reports nothing for a missing or wrong signature', async () => {
    const { providerId } = await provider().send(sms('forged'));
    expect(await fake.deliverForged(providerId, 'delivered', 'missing')).toBe(403);
    expect(await fake.deliverForged(providerId, 'delivered', 'wrong-token')).toBe(403);
    expect(await fake.deliverForged(providerId, 'delivered', 'tampered')).toBe(403);
    expect(await fake.deliverForged(providerId, 'failed', 'tampered')).toBe(403);
    expect(updates).toEqual([]);
  });

  it('answers 400 to a signed body that is not a status callback, 405 to GET', async () => {
    const post = async (body: string, contentType = 'application/x-www-form-urlencoded') => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const res = await fetch(callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-twilio-signature': twilioSignature(fake.authToken, callbackUrl, params),
        },
        body,
      });
      return res.status;
    };
    expect(await post('MessageStatus=delivered')).toBe(400); // no MessageSid
    expect(await post('MessageSid=SM1')).toBe(400); // no MessageStatus
    expect(await post('MessageSid=SM1&MessageStatus=delivered', 'application/json')).toBe(400);
    expect(await post('MessageSid=SM%G1&MessageStatus=delivered')).toBe(400);
    // Well-formed and signed: accepted.
    expect(await post('MessageSid=SM1&MessageStatus=delivered')).toBe(204);
    // A status we do not track is acknowledged and ignored.
    expect(await post('MessageSid=SM2&MessageStatus=received')).toBe(204);
    expect((await fetch(callbackUrl)).status).toBe(405);
    expect(updates).toEqual([{ providerId: 'SM1', state: 'delivered' }]);
  });

  it('verifies against the request query string when the callback URL has one', async () => {
    const url = `${callbackUrl}?alert=42&attempt=1`;
    const { providerId } = await provider({ statusCallback: url }).send(sms('q'));
    expect(await fake.deliver(providerId, 'delivered')).toBe(204);
    expect(updates).toEqual([{ providerId, state: 'delivered' }]);
  });
});

describe('twilioDeliveryState', () => {
  it('maps every outbound Twilio status', () => {
    const map = Object.fromEntries(
      [
        'accepted',
        'scheduled',
        'queued',
        'sending',
        'sent',
        'delivered',
        'read',
        'undelivered',
        'failed',
        'canceled',
        'received',
      ].map((s) => [s, twilioDeliveryState(s)]),
    );
    expect(map).toEqual({
      accepted: 'queued',
      scheduled: 'queued',
      queued: 'queued',
      sending: 'queued',
      sent: 'sent',
      delivered: 'delivered',
      read: 'delivered',
      undelivered: 'undelivered',
      failed: 'failed',
      canceled: 'failed',
      received: undefined,
    });
  });
});
