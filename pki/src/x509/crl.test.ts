import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Pki,
  REVOCATION_REASONS,
  buildCrl,
  createCsr,
  derToPem,
  generateRsaKeyPair,
  loadPrivateKey,
  normalizeSerial,
  parseCrl,
  pemBlocks,
  verifyCrl,
  type IssuedCertificate,
  type IssuingCa,
  type KeyPair,
  type RevocationReason,
} from '../index.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';
const DAY = 86_400_000;

let dir: string;
let pki: Pki;
let mh: IssuingCa;
let ka: IssuingCa;
let keys: KeyPair;
let mhKey: KeyPair;

async function enroll(ca: IssuingCa, identity: string, days?: number): Promise<IssuedCertificate> {
  const { token } = await ca.createToken(identity);
  return ca.issue({ csrPem: createCsr(identity, TD, keys), token, ...(days ? { days } : {}) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-crl-'));
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 });
  for (const name of ['MH', 'KA', 'CENTRAL'])
    await pki.initCa(name, { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  mh = pki.unlockCa('MH', CA_PASS);
  ka = pki.unlockCa('KA', CA_PASS);
  mhKey = loadPrivateKey(readFileSync(join(dir, 'ca', 'MH', 'ca.key.pem'), 'utf8'), CA_PASS, 'x');
  keys = await generateRsaKeyPair(2048);
});

afterAll(() => {
  pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IssuingCa.crl', () => {
  it('signs an empty CRL that verifies against its CA', () => {
    const crl = ka.crl();
    expect(crl.entries).toBe(0);
    const parsed = parseCrl(crl.pem);
    expect(parsed.revoked.size).toBe(0);
    expect(parsed.crlNumber).toBe(BigInt(crl.number));
    expect(() => verifyCrl(parsed, ka.certificate)).not.toThrow();
    expect(parsed.nextUpdate!.getTime() - parsed.thisUpdate.getTime()).toBe(7 * DAY);
  });

  it('lists a revoked serial with its reason and date', async () => {
    const issued = await enroll(mh, 'station/MH/PUNE/PS1');
    const rec = mh.revoke(issued.serial, 'keyCompromise');
    const crl = mh.crl();
    const parsed = parseCrl(crl.pem);
    expect(parsed.revoked.has(normalizeSerial(issued.serial))).toBe(true);
    const entry = parsed.revoked.get(normalizeSerial(issued.serial));
    expect(entry?.reason).toBe('keyCompromise');
    expect(entry?.revokedAt.getTime()).toBe(Math.floor(rec.revokedAt!.getTime() / 1000) * 1000);
    expect(() => verifyCrl(parsed, mh.certificate)).not.toThrow();
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'crl',
      ca: 'MH',
      detail: { number: crl.number, entries: crl.entries },
    });
  });

  it('parses the DER form the same as the PEM form', () => {
    const crl = mh.crl();
    expect(parseCrl(crl.der).revoked).toEqual(parseCrl(crl.pem).revoked);
    expect(derToPem(crl.der, 'X509 CRL')).toBe(crl.pem);
  });

  it("leaves unrevoked and other CAs' certificates off the CRL", async () => {
    const good = await enroll(mh, 'station/MH/PUNE/PS2');
    const kaRevoked = await enroll(ka, 'station/KA/BLR/PS1');
    ka.revoke(kaRevoked.serial, 'superseded');
    const parsed = parseCrl(mh.crl().pem);
    expect(parsed.revoked.has(normalizeSerial(good.serial))).toBe(false);
    expect(parsed.revoked.has(normalizeSerial(kaRevoked.serial))).toBe(false);
    expect(parseCrl(ka.crl().pem).revoked.get(normalizeSerial(kaRevoked.serial))?.reason).toBe(
      'superseded',
    );
  });

  it("refuses a CRL checked against another CA's certificate (CRL_INVALID)", () => {
    const parsed = parseCrl(mh.crl().pem);
    expect(() => verifyCrl(parsed, ka.certificate)).toThrow(
      expect.objectContaining({ code: 'CRL_INVALID' }),
    );
    expect(() => verifyCrl(parsed, pki.root)).toThrow(
      expect.objectContaining({ code: 'CRL_INVALID' }),
    );
  });

  it('refuses a CRL whose signature was tampered (CRL_INVALID)', () => {
    const der = Buffer.from(mh.crl().der);
    der[der.length - 5] = der[der.length - 5]! ^ 0x01;
    const parsed = parseCrl(der);
    expect(() => verifyCrl(parsed, mh.certificate)).toThrow(
      expect.objectContaining({
        code: 'CRL_INVALID',
        message: expect.stringContaining('signature'),
      }),
    );
  });

  it('refuses a CRL with a serial removed by editing the signed bytes (CRL_INVALID)', async () => {
    const issued = await enroll(mh, 'station/MH/PUNE/PS3');
    mh.revoke(issued.serial, 'keyCompromise');
    const der = Buffer.from(mh.crl().der);
    const at = der.indexOf(Buffer.from(issued.serial, 'hex'));
    expect(at).toBeGreaterThan(0);
    der[at + 15] = der[at + 15]! ^ 0x01;
    const parsed = parseCrl(der);
    expect(parsed.revoked.has(normalizeSerial(issued.serial))).toBe(false);
    expect(() => verifyCrl(parsed, mh.certificate)).toThrow(
      expect.objectContaining({ code: 'CRL_INVALID' }),
    );
  });

  it('numbers CRLs in increasing order per CA', () => {
    const a = mh.crl();
    const b = mh.crl();
    const c = mh.crl();
    expect(b.number).toBe(a.number + 1);
    expect(c.number).toBe(b.number + 1);
    expect(parseCrl(c.pem).crlNumber).toBe(BigInt(c.number));
  });

  it('drops revoked certificates once they have expired', async () => {
    const shortLived = await enroll(mh, 'station/MH/PUNE/PS4', 1);
    mh.revoke(shortLived.serial, 'cessationOfOperation');
    expect(parseCrl(mh.crl().pem).revoked.has(normalizeSerial(shortLived.serial))).toBe(true);
    const later = Pki.open(dir, { clock: () => new Date(Date.now() + 2 * DAY) });
    try {
      const lateMh = later.unlockCa('MH', CA_PASS);
      expect(parseCrl(lateMh.crl().pem).revoked.has(normalizeSerial(shortLived.serial))).toBe(
        false,
      );
    } finally {
      later.close();
    }
  });

  it('is accepted by openssl as signed by its CA', () => {
    const work = mkdtempSync(join(tmpdir(), 'cctns-crl-openssl-'));
    try {
      writeFileSync(join(work, 'crl.pem'), mh.crl().pem);
      writeFileSync(join(work, 'ca.pem'), mh.certificate.toString());
      const out = execFileSync(
        'openssl',
        ['crl', '-in', 'crl.pem', '-CAfile', 'ca.pem', '-noout', '-text'],
        { cwd: work, stdio: 'pipe' },
      ).toString();
      expect(out).toContain('X509v3 CRL Number');
      expect(out).toContain('Key Compromise');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('buildCrl and parseCrl', () => {
  const thisUpdate = new Date('2030-01-01T00:00:00Z');

  it('round-trips every revocation reason', () => {
    const reasons = Object.keys(REVOCATION_REASONS) as RevocationReason[];
    const entries = reasons.map((reason, i) => ({
      serial: (0x4000 + i).toString(16),
      revokedAt: new Date(thisUpdate.getTime() - i * 1000),
      reason,
    }));
    const { pem } = buildCrl({
      issuer: mh.certificate,
      signingKey: mhKey.privateKey,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + DAY),
      crlNumber: 9,
      entries,
    });
    const parsed = parseCrl(pem);
    expect(parsed.revoked.size).toBe(reasons.length);
    for (const e of entries)
      expect(parsed.revoked.get(e.serial)).toEqual({ reason: e.reason, revokedAt: e.revokedAt });
    expect(parsed.crlNumber).toBe(9n);
    expect(parsed.thisUpdate).toEqual(thisUpdate);
    expect(() => verifyCrl(parsed, mh.certificate)).not.toThrow();
  });

  it('encodes serials with the high bit set and leading zeros as positive integers', () => {
    const entries = [
      { serial: 'ff01', revokedAt: thisUpdate, reason: 'unspecified' as const },
      { serial: '00:0A:BC', revokedAt: thisUpdate, reason: 'unspecified' as const },
      {
        serial: '80000000000000000000000000000001',
        revokedAt: thisUpdate,
        reason: 'unspecified' as const,
      },
    ];
    const { der } = buildCrl({
      issuer: mh.certificate,
      signingKey: mhKey.privateKey,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + DAY),
      crlNumber: 1,
      entries,
    });
    expect([...parseCrl(der).revoked.keys()]).toEqual([
      'ff01',
      'abc',
      '80000000000000000000000000000001',
    ]);
  });

  it('uses GeneralizedTime from 2050 and reads it back', () => {
    const nextUpdate = new Date('2051-06-30T12:34:56Z');
    const { pem } = buildCrl({
      issuer: mh.certificate,
      signingKey: mhKey.privateKey,
      thisUpdate,
      nextUpdate,
      crlNumber: 1,
      entries: [],
    });
    expect(parseCrl(pem).nextUpdate).toEqual(nextUpdate);
  });

  it('handles a CRL number above 255', () => {
    const { pem } = buildCrl({
      issuer: mh.certificate,
      signingKey: mhKey.privateKey,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + DAY),
      crlNumber: 70_000,
      entries: [],
    });
    expect(parseCrl(pem).crlNumber).toBe(70_000n);
  });

  it('refuses text that is not a CRL (CRL_INVALID)', () => {
    expect(() => parseCrl('not a crl')).toThrow(expect.objectContaining({ code: 'CRL_INVALID' }));
    expect(() => parseCrl(Buffer.from('300302010a', 'hex'))).toThrow(
      expect.objectContaining({ code: 'CRL_INVALID' }),
    );
  });

  it('refuses a certificate given as a CRL (CRL_INVALID)', () => {
    const certDer = pemBlocks(mh.certificate.toString(), 'CERTIFICATE')[0]!;
    expect(() => parseCrl(derToPem(certDer, 'X509 CRL'))).toThrow(
      expect.objectContaining({ code: 'CRL_INVALID' }),
    );
  });
});
