import { mkdtempSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../../../tests/support/fake-twilio.js';
import { startSmtp, type SmtpTestServer } from '../../../tests/support/smtp.js';
import { SqliteBrokerStore } from '../store/sqlite.js';
import { Dispatcher } from './dispatcher.js';
import type { NotificationProvider } from './provider.js';
import { SmtpEmailProvider } from './providers/smtp-email.js';
import { TwilioSmsProvider, twilioStatusCallback } from './providers/twilio-sms.js';

// The dispatcher with the real twilio client against a local Twilio API, nodemailer against a
// real SMTP server, a real SQLite store and a clock the test moves.
let twilioApi: FakeTwilio;
let smtp: SmtpTestServer;
let callbacks: Server;
let callbackUrl: string;
let store: SqliteBrokerStore;
let dispatcher: Dispatcher;
let now: Date;
const providers: { sms?: NotificationProvider; email?: NotificationProvider } = {};
let sms: TwilioSmsProvider;
let email: SmtpEmailProvider;
const logger = pino({ level: 'silent' });
const T0 = new Date('2026-11-23T10:00:00Z');

const queue = (key: string, channel: 'sms' | 'email', to: string) =>
  store.enqueueNotification({
    key,
    alertId: key.split('|')[0]!,
    station: 'station/MH/PUNE/PS001',
    contactId: key.split('|')[1]!,
    channel,
    to,
    subject: 'CCTNS alert: हत्या का आरोपी फरार',
    text: 'Wanted: राम कुमार, black Pulsar MH12AB1234. Acknowledge on CCTNS.',
    nextAttemptAt: now,
    createdAt: now,
  });

/** Runs the dispatcher once a (simulated) second for `seconds`. */
async function runFor(seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    now = new Date(now.getTime() + 1000);
    await dispatcher.tick();
  }
}

beforeAll(async () => {
  twilioApi = await startFakeTwilio();
  smtp = await startSmtp();
  // The handler validates signatures against the URL Twilio calls, known once the server listens.
  let handler: RequestListener = (_req, res) => void res.writeHead(503).end();
  callbacks = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => callbacks.listen(0, '127.0.0.1', () => r()));
  callbackUrl = `http://127.0.0.1:${(callbacks.address() as { port: number }).port}/twilio/status`;
  handler = twilioStatusCallback({
    authToken: twilioApi.authToken,
    publicUrl: callbackUrl,
    onStatus: async (u) => void (await dispatcher.report(u.providerId, u.state, u.errorCode)),
  });
  sms = new TwilioSmsProvider({
    accountSid: twilioApi.accountSid,
    authToken: twilioApi.authToken,
    from: '+15005550006',
    statusCallback: callbackUrl,
    baseUrl: twilioApi.url,
  });
  email = new SmtpEmailProvider({
    host: smtp.host,
    port: smtp.port,
    from: 'CCTNS Alerts <alerts@cctns.example.in>',
    maxConnections: 0,
  });
});

afterAll(async () => {
  await sms?.close();
  await email?.close();
  await twilioApi?.close();
  await smtp?.stop();
  await new Promise<void>((r) => callbacks.close(() => r()));
});

beforeEach(() => {
  now = T0;
  store = new SqliteBrokerStore(join(mkdtempSync(join(tmpdir(), 'cctns-dispatch-')), 'broker.db'));
  providers.sms = sms;
  providers.email = email;
  dispatcher = new Dispatcher(
    { store, providers, logger, clock: () => now },
    { ratePerSecond: { sms: 10, email: 10 }, baseBackoffMs: 5_000, maxBackoffMs: 60_000 },
  );
});

afterEach(async () => {
  await store.close();
});

describe('notification dispatcher', () => {
  it('sends an SMS and an email once each, and records the delivery report Twilio calls back with', async () => {
    await queue('A1|sho|sms', 'sms', '+919800000001');
    await queue('A1|sp|email', 'email', 'sp.pune@mh.police.example');
    expect(await dispatcher.tick()).toBe(2);
    expect(await dispatcher.tick()).toBe(0);
    const [textMsg] = twilioApi.messages.filter((m) => m.to === '+919800000001');
    expect(textMsg).toBeDefined();
    expect(
      smtp.messages.filter((m) => m.envelope.to.includes('sp.pune@mh.police.example')),
    ).toHaveLength(1);
    expect(await twilioApi.deliver(textMsg!.sid, 'delivered')).toBeLessThan(300);
    const rec = (await store.notifications({ alertId: 'A1' })).find((n) => n.channel === 'sms')!;
    expect(rec).toMatchObject({ state: 'delivered', attempts: 1, providerId: textMsg!.sid });
  });

  it('retries after a 429 with backoff and sends exactly once', async () => {
    twilioApi.failNext(2, 429);
    await queue('A2|sho|sms', 'sms', '+919800000002');
    await runFor(300);
    expect(twilioApi.messages.filter((m) => m.to === '+919800000002')).toHaveLength(1);
    expect((await store.notifications({ alertId: 'A2' }))[0]).toMatchObject({
      state: 'sent',
      attempts: 3,
    });
  });

  it('loses nothing and messages nobody twice when SMS and email are down for ten minutes', async () => {
    const dead = {
      sms: new TwilioSmsProvider({
        accountSid: twilioApi.accountSid,
        authToken: twilioApi.authToken,
        from: '+15005550006',
        baseUrl: 'http://127.0.0.1:1',
      }),
      email: new SmtpEmailProvider({
        host: '127.0.0.1',
        port: 1,
        from: 'alerts@cctns.example.in',
        maxConnections: 0,
      }),
    };
    providers.sms = dead.sms;
    providers.email = dead.email;
    for (let i = 0; i < 5; i++) {
      await queue(`A3|sho${i}|sms`, 'sms', `+91980000010${i}`);
      await queue(`A3|sp${i}|email`, 'email', `officer${i}@mh.police.example`);
    }
    await runFor(600);
    const during = await store.notifications({ alertId: 'A3' });
    expect(during.every((n) => n.state === 'pending' && n.attempts >= 3)).toBe(true);
    providers.sms = sms;
    providers.email = email;
    await runFor(120);
    const after = await store.notifications({ alertId: 'A3' });
    expect(after.every((n) => n.state === 'sent')).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(twilioApi.messages.filter((m) => m.to === `+91980000010${i}`)).toHaveLength(1);
      expect(
        smtp.messages.filter((m) => m.envelope.to.includes(`officer${i}@mh.police.example`)),
      ).toHaveLength(1);
    }
    await dead.sms.close();
    await dead.email.close();
  }, 60_000);

  it('gives up at once on a number Twilio rejects, and does not retry it', async () => {
    twilioApi.rejectNumber('+919800000099');
    await queue('A4|x|sms', 'sms', '+919800000099');
    await runFor(120);
    const [n] = await store.notifications({ alertId: 'A4' });
    expect(n).toMatchObject({ state: 'failed', attempts: 1 });
    expect(n!.lastError).toMatch(/21211|invalid/i);
  });

  it('keeps to the configured rate per channel', async () => {
    dispatcher = new Dispatcher(
      { store, providers, logger, clock: () => now },
      { ratePerSecond: { sms: 2 } },
    );
    for (let i = 0; i < 5; i++) await queue(`A5|r${i}|sms`, 'sms', `+91980000020${i}`);
    expect(await dispatcher.tick()).toBe(2);
    now = new Date(now.getTime() + 1000);
    expect(await dispatcher.tick()).toBe(2);
  });

  it('fails a notification for a channel that has no provider, and says so', async () => {
    delete providers.email;
    await queue('A6|x|email', 'email', 'x@mh.police.example');
    await dispatcher.tick();
    expect((await store.notifications({ alertId: 'A6' }))[0]).toMatchObject({
      state: 'failed',
      lastError: 'no email provider configured',
    });
  });

  it('ignores a delivery report for an unknown message', async () => {
    expect(await dispatcher.report('SMunknown', 'delivered')).toBe(false);
  });
});
