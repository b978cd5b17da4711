import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, decodeProtectedHeader } from 'jose';
import {
  JWS_ALG,
  JwsSigner,
  Pki,
  createCsr,
  generateRsaKeyPair,
  pemBlocks,
  verifyJws,
  type IssuedCertificate,
  type IssuingCa,
  type KeyPair,
} from '../index.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';

let dir: string;
let pki: Pki;
let mh: IssuingCa;
let keys: KeyPair;
let otherKeys: KeyPair;
let station: IssuedCertificate;
let other: IssuedCertificate;

async function enroll(identity: string, k: KeyPair): Promise<IssuedCertificate> {
  const { token } = await mh.createToken(identity);
  return mh.issue({ csrPem: createCsr(identity, TD, k), token });
}

function x5cOf(chainPem: string): string[] {
  return pemBlocks(chainPem, 'CERTIFICATE').map((d) => d.toString('base64'));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-jws-'));
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 });
  for (const name of ['MH', 'KA', 'CENTRAL'])
    await pki.initCa(name, { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  mh = pki.unlockCa('MH', CA_PASS);
  [keys, otherKeys] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]);
  station = await enroll('station/MH/PUNE/PS042', keys);
  other = await enroll('station/MH/PUNE/PS043', otherKeys);
});

afterAll(() => {
  pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('JwsSigner and verifyJws', () => {
  it('round-trips a Unicode payload (Hindi, Tamil) and names the signer', async () => {
    const text = JSON.stringify({ suspect: 'राम कुमार', witness: 'முருகன்', note: 'FIR 12/2025' });
    const jws = await new JwsSigner(keys.privateKey, station.chainPem).sign(text);
    const v = await verifyJws(jws, pki.trustStore());
    expect(new TextDecoder().decode(v.payload)).toBe(text);
    expect(JSON.parse(new TextDecoder().decode(v.payload))).toMatchObject({
      suspect: 'राम कुमार',
      witness: 'முருகன்',
    });
    expect(v.signer).toMatchObject({
      identityString: 'station/MH/PUNE/PS042',
      kind: 'station',
      ca: 'MH',
    });
    expect(v.header.alg).toBe(JWS_ALG);
    expect(v.header.x5c).toHaveLength(2);
  });

  it('round-trips binary bytes exactly', async () => {
    const bytes = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80, 0x00]);
    const jws = await new JwsSigner(keys.privateKey, station.chainPem).sign(bytes);
    expect(Array.from((await verifyJws(jws, pki.trustStore())).payload)).toEqual(Array.from(bytes));
  });

  it('signs with PS256 and accepts a chain given as parsed certificates', async () => {
    const certs = pemBlocks(station.chainPem, 'CERTIFICATE').map((d) => new X509Certificate(d));
    const jws = await new JwsSigner(keys.privateKey, certs).sign('hello', {
      typ: 'cctns-alert+jws',
    });
    expect(decodeProtectedHeader(jws)).toMatchObject({ alg: 'PS256', typ: 'cctns-alert+jws' });
    expect(
      (await verifyJws(jws, pki.trustStore(), { typ: 'cctns-alert+jws' })).signer.identityString,
    ).toBe('station/MH/PUNE/PS042');
  });

  it('does not let a header argument override alg or x5c', async () => {
    const jws = await new JwsSigner(keys.privateKey, station.chainPem).sign('x', {
      alg: 'none',
      x5c: [],
    });
    expect(decodeProtectedHeader(jws)).toMatchObject({
      alg: 'PS256',
      x5c: x5cOf(station.chainPem),
    });
  });

  it('refuses a tampered payload (JWS_INVALID)', async () => {
    const jws = await new JwsSigner(keys.privateKey, station.chainPem).sign(
      JSON.stringify({ amount: 100 }),
    );
    const [h, , s] = jws.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ amount: 900 })).toString('base64url')}.${s}`;
    await expect(verifyJws(forged, pki.trustStore())).rejects.toMatchObject({
      code: 'JWS_INVALID',
    });
  });

  it('refuses a tampered signature (JWS_INVALID)', async () => {
    const jws = await new JwsSigner(keys.privateKey, station.chainPem).sign('payload');
    const [h, p, s] = jws.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[0] = sig[0]! ^ 0x01;
    await expect(
      verifyJws(`${h}.${p}.${sig.toString('base64url')}`, pki.trustStore()),
    ).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it("refuses a signature presented with another holder's certificate (JWS_INVALID)", async () => {
    const jws = await new CompactSign(new TextEncoder().encode('claim'))
      .setProtectedHeader({ alg: 'PS256', x5c: x5cOf(other.chainPem) })
      .sign(keys.privateKey);
    await expect(verifyJws(jws, pki.trustStore())).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it('refuses a message signed by a revoked certificate (CERT_REVOKED)', async () => {
    const victim = await enroll('station/MH/PUNE/PS099', keys);
    const jws = await new JwsSigner(keys.privateKey, victim.chainPem).sign('before revocation');
    expect((await verifyJws(jws, pki.trustStore())).signer.identityString).toBe(
      'station/MH/PUNE/PS099',
    );
    mh.revoke(victim.serial, 'keyCompromise');
    await expect(verifyJws(jws, pki.trustStore())).rejects.toMatchObject({ code: 'CERT_REVOKED' });
  });

  it('refuses a JWS without x5c (JWS_INVALID)', async () => {
    const jws = await new CompactSign(new TextEncoder().encode('no chain'))
      .setProtectedHeader({ alg: 'PS256' })
      .sign(keys.privateKey);
    await expect(verifyJws(jws, pki.trustStore())).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it('refuses a JWS with an empty x5c (JWS_INVALID)', async () => {
    const jws = await new CompactSign(new TextEncoder().encode('empty chain'))
      .setProtectedHeader({ alg: 'PS256', x5c: [] })
      .sign(keys.privateKey);
    await expect(verifyJws(jws, pki.trustStore())).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it('refuses an algorithm other than PS256 even with a valid chain (JWS_INVALID)', async () => {
    const jws = await new CompactSign(new TextEncoder().encode('rs256'))
      .setProtectedHeader({ alg: 'RS256', x5c: x5cOf(station.chainPem) })
      .sign(keys.privateKey);
    await expect(verifyJws(jws, pki.trustStore())).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it('refuses a typ mismatch (JWS_INVALID)', async () => {
    const signer = new JwsSigner(keys.privateKey, station.chainPem);
    const jws = await signer.sign('alert', { typ: 'cctns-alert+jws' });
    await expect(
      verifyJws(jws, pki.trustStore(), { typ: 'cctns-renew+jws' }),
    ).rejects.toMatchObject({ code: 'JWS_INVALID' });
    const untyped = await signer.sign('alert');
    await expect(
      verifyJws(untyped, pki.trustStore(), { typ: 'cctns-alert+jws' }),
    ).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it('refuses text that is not a JWS (JWS_INVALID)', async () => {
    await expect(verifyJws('not.a.jws', pki.trustStore())).rejects.toMatchObject({
      code: 'JWS_INVALID',
    });
    await expect(verifyJws('', pki.trustStore())).rejects.toMatchObject({ code: 'JWS_INVALID' });
  });

  it('applies the verify options to the signer (kinds, at)', async () => {
    const jws = await new JwsSigner(keys.privateKey, station.chainPem).sign('x');
    await expect(verifyJws(jws, pki.trustStore(), { kinds: ['broker'] })).rejects.toMatchObject({
      code: 'CERT_USAGE',
    });
    await expect(
      verifyJws(jws, pki.trustStore(), { at: new Date(Date.now() + 365 * 86_400_000) }),
    ).rejects.toMatchObject({ code: 'CERT_EXPIRED' });
  });

  it('refuses a key that does not match the certificate (INPUT_INVALID)', () => {
    expect(() => new JwsSigner(otherKeys.privateKey, station.chainPem)).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });

  it('refuses an empty chain (CERT_INVALID)', () => {
    expect(() => new JwsSigner(keys.privateKey, '')).toThrow(
      expect.objectContaining({ code: 'CERT_INVALID' }),
    );
    expect(() => new JwsSigner(keys.privateKey, [])).toThrow(
      expect.objectContaining({ code: 'CERT_INVALID' }),
    );
  });
});
