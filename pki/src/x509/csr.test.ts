import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCsr,
  derToPem,
  generateRsaKeyPair,
  pemBlocks,
  privateKeyToPem,
  verifyCsr,
  type KeyPair,
} from '../index.js';

const TD = 'cctns.local';

let work: string;
let keys: KeyPair;
let opensslRuns = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cctns-csr-'));
  keys = await generateRsaKeyPair(2048);
  writeFileSync(join(work, 'key.pem'), privateKeyToPem(keys.privateKey), { mode: 0o600 });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A CSR made by openssl with the test key; `subj` uses openssl's /-separated syntax. */
function opensslCsr(subj: string, extra: string[] = []): string {
  const out = `req-${++opensslRuns}.csr`;
  execFileSync(
    'openssl',
    ['req', '-new', '-key', 'key.pem', '-subj', subj, ...extra, '-out', out],
    { cwd: work, stdio: 'pipe' },
  );
  return readFileSync(join(work, out), 'utf8');
}

describe('createCsr and verifyCsr', () => {
  it('round-trips the identity and the public key', () => {
    const pem = createCsr('station/MH/PUNE/PS042', TD, keys);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const v = verifyCsr(pem, TD);
    expect(v.identityString).toBe('station/MH/PUNE/PS042');
    expect(v.identity).toEqual({
      kind: 'station',
      state: 'MH',
      district: 'PUNE',
      station: 'PS042',
    });
    expect(v.publicKey.equals(keys.publicKey)).toBe(true);
    expect(v.der.equals(pemBlocks(pem, 'CERTIFICATE REQUEST')[0]!)).toBe(true);
  });

  it('is readable by openssl, which checks its signature', () => {
    writeFileSync(join(work, 'ours.csr'), createCsr('agency/CBI/DELHI-HQ', TD, keys));
    const out = execFileSync('openssl', ['req', '-in', 'ours.csr', '-noout', '-verify', '-text'], {
      cwd: work,
      stdio: 'pipe',
    }).toString();
    expect(out).toMatch(/CN ?= ?agency\/CBI\/DELHI-HQ/);
    expect(out).toContain('URI:spiffe://cctns.local/agency/CBI/DELHI-HQ');
  });

  it('accepts the legacy NEW CERTIFICATE REQUEST label', () => {
    const der = pemBlocks(createCsr('broker/MH', TD, keys), 'CERTIFICATE REQUEST')[0]!;
    expect(verifyCsr(derToPem(der, 'NEW CERTIFICATE REQUEST'), TD).identityString).toBe(
      'broker/MH',
    );
  });

  it('refuses to create a CSR for a malformed identity (IDENTITY_INVALID)', () => {
    expect(() => createCsr('station/MH/pune/PS1', TD, keys)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses a CSR for another trust domain (TRUST_DOMAIN_MISMATCH)', () => {
    expect(() => verifyCsr(createCsr('broker/MH', 'other.local', keys), TD)).toThrow(
      expect.objectContaining({ code: 'TRUST_DOMAIN_MISMATCH' }),
    );
  });

  it('refuses an RSA key below 2048 bits (CSR_INVALID)', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = createCsr('station/MH/PUNE/PS1', TD, small);
    expect(() => verifyCsr(pem, TD)).toThrow(expect.objectContaining({ code: 'CSR_INVALID' }));
  });

  it('refuses a CSR whose signed content was edited (CSR_SIGNATURE_INVALID)', () => {
    const der = Buffer.from(
      pemBlocks(createCsr('station/MH/PUNE/PS1', TD, keys), 'CERTIFICATE REQUEST')[0]!,
    );
    const at = der.indexOf(Buffer.from('PS1'));
    expect(at).toBeGreaterThan(0);
    der[at + 2] = '2'.charCodeAt(0);
    expect(() => verifyCsr(derToPem(der, 'CERTIFICATE REQUEST'), TD)).toThrow(
      expect.objectContaining({ code: 'CSR_SIGNATURE_INVALID' }),
    );
  });

  it('refuses text without a CSR (CSR_INVALID)', () => {
    expect(() => verifyCsr('', TD)).toThrow(expect.objectContaining({ code: 'CSR_INVALID' }));
    expect(() =>
      verifyCsr(derToPem(Buffer.from('3000', 'hex'), 'CERTIFICATE REQUEST'), TD),
    ).toThrow(expect.objectContaining({ code: 'CSR_INVALID' }));
  });
});

describe('verifyCsr with CSRs made by openssl', () => {
  it('accepts the identity in the common name only', () => {
    const v = verifyCsr(opensslCsr('/CN=station\\/MH\\/PUNE\\/PS77'), TD);
    expect(v.identityString).toBe('station/MH/PUNE/PS77');
    expect(v.publicKey.equals(createPublicKey(keys.privateKey))).toBe(true);
  });

  it('accepts the identity in a spiffe URI SAN with no common name', () => {
    const v = verifyCsr(
      opensslCsr('/O=cctns.local', [
        '-addext',
        'subjectAltName=URI:spiffe://cctns.local/hq/MH/console',
      ]),
      TD,
    );
    expect(v.identityString).toBe('hq/MH/console');
  });

  it('refuses a common name that differs from the URI SAN (CSR_INVALID)', () => {
    const pem = opensslCsr('/CN=station\\/MH\\/PUNE\\/PS2', [
      '-addext',
      'subjectAltName=URI:spiffe://cctns.local/station/MH/PUNE/PS1',
    ]);
    expect(() => verifyCsr(pem, TD)).toThrow(expect.objectContaining({ code: 'CSR_INVALID' }));
  });

  it('refuses two URI SANs (CSR_INVALID)', () => {
    const pem = opensslCsr('/O=cctns.local', [
      '-addext',
      'subjectAltName=URI:spiffe://cctns.local/broker/MH,URI:spiffe://cctns.local/broker/KA',
    ]);
    expect(() => verifyCsr(pem, TD)).toThrow(expect.objectContaining({ code: 'CSR_INVALID' }));
  });

  it('refuses a CSR with no identity at all (CSR_INVALID)', () => {
    expect(() => verifyCsr(opensslCsr('/O=cctns.local'), TD)).toThrow(
      expect.objectContaining({ code: 'CSR_INVALID' }),
    );
  });

  it('refuses a malformed identity in the common name (IDENTITY_INVALID)', () => {
    expect(() => verifyCsr(opensslCsr('/CN=station\\/MH\\/pune\\/PS1'), TD)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses a SHA-1 signature (CSR_INVALID)', () => {
    const pem = opensslCsr('/CN=station\\/MH\\/PUNE\\/PS1', ['-sha1']);
    expect(() => verifyCsr(pem, TD)).toThrow(
      expect.objectContaining({
        code: 'CSR_INVALID',
        message: expect.stringContaining('unsupported signature algorithm'),
      }),
    );
  });

  it('accepts a SHA-512 signature', () => {
    expect(verifyCsr(opensslCsr('/CN=broker\\/national', ['-sha512']), TD).identityString).toBe(
      'broker/national',
    );
  });
});
