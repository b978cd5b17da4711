import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, tempDir } from '../../../../tests/support/cli.js';
import { freePort } from '../../../../tests/support/processes.js';
import { startSmtp, type SmtpTestServer } from '../../../../tests/support/smtp.js';
import { ProviderError, type OutboundMessage } from '../provider.js';
import { SmtpEmailProvider, type SmtpEmailOptions } from './smtp-email.js';

const FROM = 'CCTNS Alerts <alerts@cctns.example.in>';
const HINDI_SUBJECT = 'चेतावनी: थाना कोतवाली क्षेत्र में लापता व्यक्ति की सूचना';
const HINDI_BODY =
  'सभी थानों को सूचित किया जाता है कि संदिग्ध वाहन MH01AB1234 को देखा गया है।\n' +
  'कृपया तुरंत नियंत्रण कक्ष को सूचित करें।';
const TAMIL_SUBJECT = 'எச்சரிக்கை: காணாமல் போன நபர்';

function mail(extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    channel: 'email',
    to: 'sho.kotwali@police.example.in',
    subject: 'Lookout notice',
    text: 'Vehicle MH01AB1234 seen near the bus stand.',
    idempotencyKey: 'alert-7/sho.kotwali/email',
    ...extra,
  };
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('SmtpEmailProvider against a real SMTP server', () => {
  const servers: SmtpTestServer[] = [];
  const providers: SmtpEmailProvider[] = [];

  async function server(opts?: Parameters<typeof startSmtp>[0]) {
    const s = await startSmtp(opts);
    servers.push(s);
    return s;
  }
  function provider(s: { host: string; port: number }, extra: Partial<SmtpEmailOptions> = {}) {
    const p = new SmtpEmailProvider({
      host: s.host,
      port: s.port,
      from: FROM,
      timeoutMs: 3_000,
      ...extra,
    });
    providers.push(p);
    return p;
  }

  afterEach(async () => {
    for (const p of providers.splice(0)) await p.close();
    for (const s of servers.splice(0)) await s.stop();
  });

  it('delivers a Hindi subject and body intact, authenticated, with a stable Message-ID', async () => {
    const s = await server({ auth: { user: 'alerts', pass: 's3cret' } });
    const p = provider(s, { auth: { user: 'alerts', pass: 's3cret' } });
    const result = await p.send(mail({ subject: HINDI_SUBJECT, text: HINDI_BODY }));

    expect(s.messages).toHaveLength(1);
    const got = s.messages[0]!;
    expect(got.subject).toBe(HINDI_SUBJECT);
    expect(got.text).toBe(HINDI_BODY);
    expect(got.user).toBe('alerts');
    expect(got.envelope).toEqual({
      from: 'alerts@cctns.example.in',
      to: ['sho.kotwali@police.example.in'],
    });
    expect(got.headers['content-type']).toMatch(/charset=utf-8/i);
    // Nothing but 7-bit on the wire: the relay need not support 8BITMIME.
    expect(Buffer.from(got.raw).every((b) => b < 0x80)).toBe(true);

    expect(result.state).toBe('sent');
    expect(result.segments).toBe(1);
    expect(result.providerId).toMatch(/^<[0-9a-f]{32}@cctns\.example\.in>$/);
    expect(got.headers['message-id']).toBe(result.providerId);
    // A retry of the same notification carries the same Message-ID.
    expect((await p.send(mail({ subject: HINDI_SUBJECT, text: HINDI_BODY }))).providerId).toBe(
      result.providerId,
    );
    expect((await p.send(mail({ idempotencyKey: 'alert-8/x/email' }))).providerId).not.toBe(
      result.providerId,
    );
  });

  it('delivers Tamil and mixed-script text intact', async () => {
    const s = await server();
    const text = 'தமிழ்நாடு காவல்துறை — Tamil Nadu Police 🚨\nவாகனம் TN09AB1234';
    await provider(s).send(mail({ subject: TAMIL_SUBJECT, text }));
    expect(s.messages[0]!.subject).toBe(TAMIL_SUBJECT);
    expect(s.messages[0]!.text).toBe(text);
  });

  it('makes 451 retryable and 550 not, at DATA and at RCPT', async () => {
    const s = await server();
    const p = provider(s);

    s.failNext(1, 451);
    expect(await providerError(p.send(mail()))).toMatchObject({ retryable: true, status: 451 });
    s.failNext(1, 550);
    expect(await providerError(p.send(mail()))).toMatchObject({ retryable: false, status: 550 });

    s.failNext(1, 450, 'RCPT');
    expect(await providerError(p.send(mail()))).toMatchObject({ retryable: true, status: 450 });
    s.failNext(1, 550, 'RCPT');
    expect(await providerError(p.send(mail()))).toMatchObject({ retryable: false, status: 550 });

    expect(s.messages).toHaveLength(0);
    // The pooled connection survives refusals: the next mail goes through.
    await expect(p.send(mail())).resolves.toMatchObject({ state: 'sent' });
    expect(s.messages).toHaveLength(1);
  });

  it('makes a server that is down retryable', async () => {
    const p = provider({ host: '127.0.0.1', port: await freePort() });
    const err = await providerError(p.send(mail()));
    expect(err).toMatchObject({ retryable: true, status: undefined });
  });

  it('makes a server that goes away between sends retryable', async () => {
    const s = await server();
    const p = provider(s, { maxConnections: 0 });
    await p.send(mail());
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    expect(await providerError(p.send(mail()))).toMatchObject({ retryable: true });
  });

  it('makes wrong credentials (535) not retryable', async () => {
    const s = await server({ auth: { user: 'alerts', pass: 's3cret' } });
    const err = await providerError(
      provider(s, { auth: { user: 'alerts', pass: 'nope' } }).send(mail()),
    );
    expect(err).toMatchObject({ retryable: false, status: 535 });
    expect(s.messages).toHaveLength(0);
  });

  it('upgrades with STARTTLS when required, verifying the certificate against `ca`', async () => {
    const dir = tempDir('smtp-tls');
    const made = await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    const s = await server({ starttls: true, tls: { key, cert } });

    await provider(s, { requireTLS: true, tls: { ca: cert } }).send(
      mail({ subject: HINDI_SUBJECT }),
    );
    expect(s.messages[0]).toMatchObject({ secure: true, subject: HINDI_SUBJECT });
    await provider(s, { requireTLS: true, tls: { rejectUnauthorized: false } }).send(mail());
    expect(s.messages).toHaveLength(2);

    // Without the CA the certificate cannot be verified: an operator must act, retrying won't.
    const err = await providerError(provider(s, { requireTLS: true }).send(mail()));
    expect(err.retryable).toBe(false);
    expect(s.messages).toHaveLength(2);
  });

  it('refuses to send in the clear when TLS is required and not offered', async () => {
    const s = await server();
    const err = await providerError(provider(s, { requireTLS: true }).send(mail()));
    expect(err.retryable).toBe(false);
    expect(s.messages).toHaveLength(0);
  });

  it('refuses SMS, and sends after close', async () => {
    const s = await server();
    const p = provider(s);
    expect(
      await providerError(p.send(mail({ channel: 'sms', to: '+919812345678' }))),
    ).toMatchObject({
      retryable: false,
    });
    await p.close();
    expect(await providerError(p.send(mail()))).toMatchObject({ retryable: false });
    expect(s.messages).toHaveLength(0);
  });
});
