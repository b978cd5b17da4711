import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { cctns, run, tempDir } from '../support/cli.js';

// The whole CA life cycle through the real CLI, with default key sizes, checked by OpenSSL.
const work = tempDir('pki-cli');
const env = { CCTNS_CA_PASSPHRASE: 'a long test passphrase 123', CCTNS_PKI_DIR: join(work, 'pki') };
const opts = { cwd: work, env };
const path = (...p: string[]) => join(work, ...p);

async function ok(args: string[]): Promise<string> {
  const r = await cctns(args, opts);
  if (r.code !== 0) throw new Error(`cctns ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function enroll(
  identity: string,
  dir: string,
  ca: string,
  extra: string[] = [],
): Promise<{ serial: string }> {
  const token = (await ok(['pki', 'token', '--ca', ca, '--identity', identity, ...extra])).trim();
  await ok(['pki', 'request', '--identity', identity, '--out', path(dir)]);
  const issued = JSON.parse(
    await ok([
      '--json',
      'pki',
      'issue',
      '--ca',
      ca,
      '--csr',
      path(dir, 'csr.pem'),
      '--token',
      token,
      '--out',
      path(dir, 'cert.pem'),
    ]),
  ) as { serial: string };
  // Split the chain the way an operator would for openssl: leaf alone.
  const chain = readFileSync(path(dir, 'cert.pem'), 'utf8');
  writeFileSync(
    path(dir, 'leaf.pem'),
    chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 26),
  );
  return issued;
}

let station: { serial: string };

beforeAll(async () => {
  await ok(['pki', 'init-root', '--trust-domain', 'cctns.local']);
  await ok(['pki', 'init-ca', '--name', 'MH']);
  await ok(['pki', 'init-ca', '--name', 'CENTRAL']);
  station = await enroll('station/MH/PUNE/PS042', 'ps042', 'MH');
}, 120_000);

describe('cctns pki with OpenSSL', () => {
  it('writes CA keys encrypted and 0600', () => {
    for (const key of [
      path('pki', 'root', 'ca.key.pem'),
      path('pki', 'ca', 'MH', 'ca.key.pem'),
      path('pki', 'ca', 'MH', 'provisioner.key.pem'),
    ]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(readFileSync(key, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    }
    expect(statSync(path('ps042', 'key.pem')).mode & 0o777).toBe(0o600);
  });

  it('issues a chain that openssl verify accepts', async () => {
    const r = await run('openssl', [
      'verify',
      '-CAfile',
      path('pki', 'root', 'ca.crt.pem'),
      '-untrusted',
      path('pki', 'ca', 'MH', 'ca.crt.pem'),
      path('ps042', 'leaf.pem'),
    ]);
    expect(r.stdout).toContain(': OK');
    expect(r.code).toBe(0);
  });

  it('shows the URI SAN and the station key usages in openssl x509 -text', async () => {
    const r = await run('openssl', ['x509', '-in', path('ps042', 'leaf.pem'), '-noout', '-text']);
    expect(r.stdout).toContain('URI:spiffe://cctns.local/station/MH/PUNE/PS042');
    expect(r.stdout).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(r.stdout).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication\n/);
    expect(r.stdout).toContain('Public-Key: (2048 bit)');
  });

  it('gives a broker serverAuth and clientAuth with its DNS and IP names', async () => {
    await enroll('broker/MH', 'broker-mh', 'MH', [
      '--dns',
      'broker.mh.cctns.local',
      '--ip',
      '127.0.0.1',
    ]);
    const r = await run('openssl', [
      'x509',
      '-in',
      path('broker-mh', 'leaf.pem'),
      '-noout',
      '-text',
    ]);
    expect(r.stdout).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(r.stdout).toContain('DNS:broker.mh.cctns.local');
    expect(r.stdout).toContain('IP Address:127.0.0.1');
    expect(r.stdout).toContain('URI:spiffe://cctns.local/broker/MH');
  });

  it('issues agency certificates only from CENTRAL', async () => {
    await enroll('agency/CBI/DELHI-HQ', 'cbi', 'CENTRAL');
    const r = await cctns(
      ['pki', 'token', '--ca', 'MH', '--identity', 'agency/CBI/DELHI-HQ'],
      opts,
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('CA_NOT_AUTHORIZED');
  });

  it('revokes, publishes a CRL, and openssl -crl_check refuses the revoked certificate', async () => {
    const victim = await enroll('station/MH/PUNE/PS099', 'ps099', 'MH');
    await ok([
      'pki',
      'revoke',
      '--ca',
      'MH',
      '--serial',
      victim.serial,
      '--reason',
      'keyCompromise',
    ]);
    await ok(['pki', 'crl', '--ca', 'MH', '--out', path('mh.crl.pem')]);
    writeFileSync(
      path('bundle.pem'),
      readFileSync(path('pki', 'root', 'ca.crt.pem'), 'utf8') +
        readFileSync(path('pki', 'ca', 'MH', 'ca.crt.pem'), 'utf8'),
    );
    const revoked = await run('openssl', [
      'verify',
      '-crl_check',
      '-CAfile',
      path('bundle.pem'),
      '-CRLfile',
      path('mh.crl.pem'),
      path('ps099', 'leaf.pem'),
    ]);
    expect(revoked.code).not.toBe(0);
    expect(revoked.stdout + revoked.stderr).toContain('certificate revoked');
    const good = await run('openssl', [
      'verify',
      '-crl_check',
      '-CAfile',
      path('bundle.pem'),
      '-CRLfile',
      path('mh.crl.pem'),
      path('ps042', 'leaf.pem'),
    ]);
    expect(good.code).toBe(0);
    const text = await run('openssl', ['crl', '-in', path('mh.crl.pem'), '-noout', '-text']);
    expect(text.stdout).toContain('Key Compromise');
    expect(text.stdout).toMatch(/Next Update: /);
    // An outside verifier with only the root and the CRL refuses it too, with exit code 6.
    const outside = await cctns(
      [
        'pki',
        'verify',
        '--cert',
        path('ps099', 'cert.pem'),
        '--root',
        path('pki', 'root', 'ca.crt.pem'),
        '--crl',
        path('mh.crl.pem'),
      ],
      opts,
    );
    expect(outside.code).toBe(6);
    expect(outside.stderr).toContain('CERT_REVOKED');
    const fine = await cctns(
      [
        '--json',
        'pki',
        'verify',
        '--cert',
        path('ps042', 'cert.pem'),
        '--root',
        path('pki', 'root', 'ca.crt.pem'),
        '--crl',
        path('mh.crl.pem'),
      ],
      opts,
    );
    expect(fine.code).toBe(0);
    expect(JSON.parse(fine.stdout)).toMatchObject({
      ok: true,
      identity: 'station/MH/PUNE/PS042',
      ca: 'MH',
    });
  });

  it('renews with a new key and openssl accepts the new chain', async () => {
    const before = readFileSync(path('ps042', 'key.pem'), 'utf8');
    const out = JSON.parse(
      await ok([
        '--json',
        'pki',
        'renew',
        '--cert',
        path('ps042', 'cert.pem'),
        '--key',
        path('ps042', 'key.pem'),
        '--new-key',
      ]),
    ) as { serial: string; newKey: boolean };
    expect(out.newKey).toBe(true);
    expect(out.serial).not.toBe(station.serial);
    expect(readFileSync(path('ps042', 'key.pem'), 'utf8')).not.toBe(before);
    expect(statSync(path('ps042', 'key.pem')).mode & 0o777).toBe(0o600);
    const mod = async (file: string, kind: 'x509' | 'rsa') =>
      (await run('openssl', [kind, '-in', file, '-noout', '-modulus'])).stdout;
    expect(await mod(path('ps042', 'cert.pem'), 'x509')).toBe(
      await mod(path('ps042', 'key.pem'), 'rsa'),
    );
  });
});

describe('cctns pki refusals', () => {
  it('refuses a reused token with exit 4 and logs the refusal', async () => {
    const token = (
      await ok(['pki', 'token', '--ca', 'MH', '--identity', 'station/MH/PUNE/PS100'])
    ).trim();
    await ok(['pki', 'request', '--identity', 'station/MH/PUNE/PS100', '--out', path('ps100')]);
    await ok([
      'pki',
      'issue',
      '--ca',
      'MH',
      '--csr',
      path('ps100', 'csr.pem'),
      '--token',
      token,
      '--out',
      path('ps100', 'cert.pem'),
    ]);
    const again = await cctns(
      [
        '--json',
        'pki',
        'issue',
        '--ca',
        'MH',
        '--csr',
        path('ps100', 'csr.pem'),
        '--token',
        token,
        '--out',
        path('ps100', 'cert2.pem'),
      ],
      opts,
    );
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: { code: 'TOKEN_REUSED', exit: 4 } });
    const log = JSON.parse(await ok(['--json', 'pki', 'log', 'show', '--limit', '1'])) as Array<{
      body: { event: string; detail: { code: string } };
    }>;
    expect(log[0]!.body).toMatchObject({ event: 'refuse', detail: { code: 'TOKEN_REUSED' } });
  });

  it.each([
    [['pki', 'token', '--ca', 'MH', '--identity', 'station/MH/pune/PS1'], 3, 'IDENTITY_INVALID'],
    [['pki', 'token', '--ca', 'MH', '--identity', 'station/XX/PUNE/PS1'], 3, 'STATE_UNKNOWN'],
    [['pki', 'token', '--ca', 'ZZ', '--identity', 'station/MH/PUNE/PS1'], 3, 'CA_NAME_INVALID'],
    [['pki', 'token', '--ca', 'GJ', '--identity', 'station/GJ/SURAT/PS1'], 5, 'CA_NOT_FOUND'],
    [
      [
        'pki',
        'issue',
        '--ca',
        'MH',
        '--csr',
        '/nonexistent/csr.pem',
        '--token',
        'x',
        '--out',
        '/tmp/x.pem',
      ],
      5,
      'FILE_NOT_FOUND',
    ],
    [['pki', 'revoke', '--ca', 'MH', '--serial', 'abcdef'], 5, 'SERIAL_UNKNOWN'],
  ])('cctns %j exits %i with %s', async (args, code, errorCode) => {
    const r = await cctns(args, opts);
    expect(r.stderr).toContain(errorCode);
    expect(r.code).toBe(code);
  });

  it('refuses a wrong passphrase with exit 7', async () => {
    const r = await cctns(['pki', 'token', '--ca', 'MH', '--identity', 'station/MH/PUNE/PS1'], {
      cwd: work,
      env: { ...env, CCTNS_CA_PASSPHRASE_MH: 'not the passphrase at all' },
    });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('PASSPHRASE_WRONG');
  });

  it('refuses a missing passphrase without a terminal with exit 7', async () => {
    const r = await cctns(['pki', 'token', '--ca', 'MH', '--identity', 'station/MH/PUNE/PS1'], {
      cwd: work,
      env: { ...env, CCTNS_CA_PASSPHRASE: undefined },
    });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('PASSPHRASE_MISSING');
  });

  it('refuses unknown options with usage exit 2', async () => {
    const r = await cctns(['pki', 'issue', '--bogus'], opts);
    expect(r.code).toBe(2);
  });

  it('detects an edited issuance log with exit 8 and names the entry', async () => {
    expect((await cctns(['pki', 'log', 'verify'], opts)).code).toBe(0);
    const db = new Database(path('pki', 'pki.db'));
    const row = db
      .prepare(
        'SELECT seq, body FROM log WHERE body LIKE \'%"event":"issue"%\' ORDER BY seq LIMIT 1',
      )
      .get() as { seq: number; body: string };
    db.prepare('UPDATE log SET body = ? WHERE seq = ?').run(
      row.body.replace('station/MH/PUNE/PS042', 'station/MH/PUNE/PS043'),
      row.seq,
    );
    db.close();
    const r = await cctns(['pki', 'log', 'verify'], opts);
    expect(r.code).toBe(8);
    expect(r.stdout).toContain(`entry ${row.seq} was altered`);
  });
});
