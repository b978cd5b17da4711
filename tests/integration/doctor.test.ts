import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { brokerConfig, checkCertificates, checkNats, hostChecks, type Check } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns, tempDir } from '../support/cli.js';
import { startNats, type NatsServer } from '../support/nats.js';
import { freePort } from '../support/processes.js';
import { makePki, provision, TEST_PASSPHRASE } from '../support/network.js';

// `cctns broker start --check` and `cctns doctor`: every check that can fail is made to fail once.
const work = tempDir('doctor');
const dir = join(work, 'broker');
let pki: Pki;
let nats: NatsServer;

/** A broker.json in `at` (default the provisioned folder) with `fields` over a valid base. */
function writeConfig(fields: Record<string, unknown> = {}, at = dir): string {
  const file = join(at, `broker-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      identity: 'broker/MH',
      listen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
      store: 'sqlite:data/broker.db',
      ...fields,
    }),
  );
  return file;
}

function config(fields: Record<string, unknown> = {}) {
  return brokerConfig(
    {
      identity: 'broker/MH',
      listen: '127.0.0.1:0',
      tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
      store: 'sqlite:data/broker.db',
      ...fields,
    },
    { baseDir: dir },
  );
}

const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name);

beforeAll(async () => {
  ({ pki } = await makePki(work, ['MH', 'KA']));
  await provision(pki, pki.unlockCa('MH', TEST_PASSPHRASE), 'broker/MH', dir);
  await provision(pki, pki.unlockCa('KA', TEST_PASSPHRASE), 'broker/KA', join(work, 'ka'));
  mkdirSync(join(dir, 'data'));
  nats = await startNats({ tls: { dir } });
}, 120_000);

afterAll(async () => {
  await nats?.stop();
  pki?.close();
});

describe('cctns broker start --check', () => {
  it('validates a good configuration and exits 0 with a summary', async () => {
    const file = writeConfig({ nats: { servers: [nats.url], replicas: 3 } });
    const r = await cctns(['--json', 'broker', 'start', '--check', '--config', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { identity: string; nats: unknown; checks: Check[] };
    expect(summary.identity).toBe('broker/MH');
    expect(summary.nats).toEqual({ servers: [nats.url], stream: 'CCTNS', replicas: 3 });
    expect(summary.checks.map((c) => c.status)).not.toContain('fail');
    expect(summary.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['certificate', 'key', 'key-mode', 'store']),
    );
  });

  it('exits with CONFIG_INVALID naming the field of a bad configuration', async () => {
    const r = await cctns([
      'broker',
      'start',
      '--check',
      '--config',
      writeConfig({ tls: { cert: 'missing.pem', key: 'key.pem', root: 'root.pem' } }),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /error\[CONFIG_INVALID\]: config field tls\.cert: file .*missing\.pem/,
    );
  });

  it('refuses a certificate of another identity and a key that is not its own', async () => {
    const r = await cctns([
      'broker',
      'start',
      '--check',
      '--config',
      writeConfig({ tls: { cert: '../ka/cert.pem', key: 'key.pem', root: 'root.pem' } }),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('is for broker/KA, the config says broker/MH');
    expect(r.stderr).toMatch(/key: .* is not the key of/);
  });

  it('refuses a store folder that does not exist, and does not start the broker', async () => {
    const r = await cctns([
      'broker',
      'start',
      '--check',
      '--config',
      writeConfig({ store: 'sqlite:nowhere/broker.db' }),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/store: .*nowhere does not exist \(fix: mkdir -p/);
  });
});

describe('cctns doctor', () => {
  it('passes a ready host, with the clock measured against NATS', async () => {
    const file = writeConfig({ nats: { servers: [nats.url] } });
    const r = await cctns(['--json', 'doctor', '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
    expect(report.ok).toBe(true);
    expect(byName(report.checks, 'nats')?.status).toBe('ok');
    expect(byName(report.checks, 'clock')?.detail).toMatch(/server clock (ahead|behind) by \d+ ms/);
    expect(byName(report.checks, 'port:httpListen')?.status).toBe('ok');
  });

  it('fails a key others can read, says chmod 600, and exits HOST_CHECK_FAILED (6)', async () => {
    const loose = join(work, 'loose');
    mkdirSync(loose);
    for (const f of ['cert.pem', 'key.pem', 'root.pem']) copyFileSync(join(dir, f), join(loose, f));
    mkdirSync(join(loose, 'data'));
    chmodSync(join(loose, 'key.pem'), 0o644);
    const r = await cctns(['doctor', '--config', writeConfig({}, loose)]);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/^fail key-mode .*mode 0644: others may read it — fix: chmod 600 /m);
    expect(r.stdout).toMatch(/^ok {3}certificate /m);
    expect(r.stderr).toMatch(/error\[HOST_CHECK_FAILED\]: 1 check failed: key-mode/);
  });

  it('fails a port another process holds', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await cctns([
        '--json',
        'doctor',
        '--config',
        writeConfig({ listen: `127.0.0.1:${port}` }),
      ]);
      expect(r.code).toBe(6);
      const check = byName((JSON.parse(r.stdout) as { checks: Check[] }).checks, 'port:listen');
      expect(check).toMatchObject({ status: 'fail', detail: `127.0.0.1:${port} is in use` });
      expect(check?.fix).toContain(`ss -ltnp 'sport = :${port}'`);
    } finally {
      holder.close();
    }
  });

  it('fails NATS that does not answer', async () => {
    const port = await freePort();
    const r = await cctns([
      'doctor',
      '--config',
      writeConfig({ nats: { servers: [`nats://127.0.0.1:${port}`] } }),
      '--nats-timeout',
      '2000',
    ]);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/^fail nats .*127\.0\.0\.1:\d+.* — fix: start nats-server with TLS/m);
  });

  it('fails a store folder that does not exist', async () => {
    const checks = await hostChecks(config({ store: 'sqlite:gone/broker.db' }));
    expect(byName(checks, 'store')).toMatchObject({ status: 'fail' });
    expect(byName(checks, 'store')?.fix).toMatch(/^mkdir -p .*gone/);
  });

  it('warns of a certificate ending within 30 days and fails one that has ended', () => {
    const end = new Date(new X509Certificate(readFileSync(join(dir, 'cert.pem'))).validTo);
    const soon = checkCertificates(config(), new Date(end.getTime() - 10 * 86_400_000));
    expect(byName(soon, 'certificate')?.status).toBe('ok');
    expect(byName(soon, 'certificate-expiry')).toMatchObject({ status: 'warn' });
    expect(byName(soon, 'certificate-expiry')?.detail).toMatch(/\(in (9|10) days\)/);
    expect(byName(soon, 'certificate-expiry')?.fix).toContain('cctns pki renew');
    const after = checkCertificates(config(), new Date(end.getTime() + 86_400_000));
    expect(byName(after, 'certificate')).toMatchObject({ status: 'fail' });
    expect(byName(after, 'certificate')?.detail).toMatch(/expired/i);
  });

  it('fails a clock far from the NATS server’s', async () => {
    const checks = await checkNats(config({ nats: { servers: [nats.url] } }), {
      now: () => Date.now() + 60_000,
    });
    expect(byName(checks, 'nats')?.status).toBe('ok');
    expect(byName(checks, 'clock')).toMatchObject({ status: 'fail' });
    expect(byName(checks, 'clock')?.detail).toMatch(/server clock behind by (59\d{3}|6\d{4}) ms/);
    expect(byName(checks, 'clock')?.fix).toContain('timedatectl');
  });
});
