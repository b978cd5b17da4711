import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JwsSigner,
  Pki,
  RENEWAL_PROOF_TYPE,
  createCsr,
  createRenewalRequest,
  generateRsaKeyPair,
  normalizeSerial,
  pemBlocks,
  type IssuedCertificate,
  type IssuingCa,
  type KeyPair,
  type PkiErrorCode,
} from '../index.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';
const MINUTE = 60_000;

let dir: string;
let pki: Pki;
let mh: IssuingCa;
let ka: IssuingCa;
let keys: KeyPair;
let newKeys: KeyPair;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-renewal-'));
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 });
  for (const name of ['MH', 'KA', 'CENTRAL'])
    await pki.initCa(name, { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  mh = pki.unlockCa('MH', CA_PASS);
  ka = pki.unlockCa('KA', CA_PASS);
  [keys, newKeys] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]);
});

afterAll(() => {
  pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function enroll(
  identity: string,
  args: { dns?: string[]; ip?: string[]; days?: number } = {},
  ca: IssuingCa = mh,
): Promise<IssuedCertificate> {
  const { token } = await ca.createToken(identity, {
    ...(args.dns ? { dns: args.dns } : {}),
    ...(args.ip ? { ip: args.ip } : {}),
  });
  return ca.issue({
    csrPem: createCsr(identity, TD, keys),
    token,
    ...(args.days ? { days: args.days } : {}),
  });
}

/** Asserts a renewal is refused with `code`, issues nothing and appends a matching 'refuse' log entry. */
async function expectRenewRefused(
  attempt: () => Promise<unknown>,
  code: PkiErrorCode,
  store: Pki = pki,
): Promise<void> {
  const before = store.store.certificates().length;
  await expect(attempt()).rejects.toMatchObject({ name: 'PkiError', code });
  expect(store.store.certificates()).toHaveLength(before);
  const [last] = store.store.entries(1);
  expect(last?.body.event).toBe('refuse');
  expect(last?.body.detail).toMatchObject({ op: 'renew', code });
}

describe('renew', () => {
  it('renews with the same key: new serial, same identity, replaces recorded', async () => {
    const issued = await enroll('station/MH/PUNE/PS1');
    const renewed = await mh.renew(await createRenewalRequest({ chainPem: issued.chainPem, keys }));
    expect(renewed.serial).not.toBe(issued.serial);
    expect(renewed.identity).toBe('station/MH/PUNE/PS1');
    expect(renewed.ca).toBe('MH');
    expect(pki.store.certificate(renewed.serial)).toMatchObject({
      how: 'renew',
      replaces: normalizeSerial(issued.serial),
      identity: 'station/MH/PUNE/PS1',
    });
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'renew',
      serial: renewed.serial,
      detail: { replaces: normalizeSerial(issued.serial) },
    });
    const v = pki.trustStore().verify(renewed.chainPem);
    expect(v.identityString).toBe('station/MH/PUNE/PS1');
    expect(v.certificate.checkPrivateKey(keys.privateKey)).toBe(true);
  });

  it('renews onto new keys', async () => {
    const issued = await enroll('station/MH/PUNE/PS2');
    const renewed = await mh.renew(
      await createRenewalRequest({ chainPem: issued.chainPem, keys, newKeys }),
    );
    expect(renewed.serial).not.toBe(issued.serial);
    expect(renewed.identity).toBe('station/MH/PUNE/PS2');
    expect(pki.store.certificate(renewed.serial)?.replaces).toBe(normalizeSerial(issued.serial));
    const cert = new X509Certificate(renewed.certificatePem);
    expect(cert.checkPrivateKey(newKeys.privateKey)).toBe(true);
    expect(cert.checkPrivateKey(keys.privateKey)).toBe(false);
  });

  it('can renew a renewed certificate again', async () => {
    const issued = await enroll('station/MH/PUNE/PS3');
    const first = await mh.renew(
      await createRenewalRequest({ chainPem: issued.chainPem, keys, newKeys }),
    );
    const second = await mh.renew(
      await createRenewalRequest({ chainPem: first.chainPem, keys: newKeys }),
    );
    expect(pki.store.certificate(second.serial)?.replaces).toBe(normalizeSerial(first.serial));
  });

  it('keeps the DNS and IP names of a broker certificate', async () => {
    const issued = await enroll('broker/MH', { dns: ['broker-mh.example'], ip: ['10.0.0.5'] });
    const renewed = await mh.renew(await createRenewalRequest({ chainPem: issued.chainPem, keys }));
    const san = new X509Certificate(renewed.certificatePem).subjectAltName ?? '';
    expect(san).toContain('DNS:broker-mh.example');
    expect(san).toContain('IP Address:10.0.0.5');
    expect(san).not.toContain('localhost');
    expect(pki.trustStore().verify(renewed.chainPem, { usage: 'server' }).kind).toBe('broker');
  });

  it('refuses to renew a revoked certificate (CERT_REVOKED)', async () => {
    const issued = await enroll('station/MH/PUNE/PS4');
    mh.revoke(issued.serial, 'keyCompromise');
    const req = await createRenewalRequest({ chainPem: issued.chainPem, keys, newKeys });
    await expectRenewRefused(() => mh.renew(req), 'CERT_REVOKED');
  });

  it('refuses a proof made for another CSR (PROOF_INVALID)', async () => {
    const issued = await enroll('station/MH/PUNE/PS5');
    const a = await createRenewalRequest({ chainPem: issued.chainPem, keys, newKeys });
    const b = await createRenewalRequest({ chainPem: issued.chainPem, keys });
    expect(a.csrPem).not.toBe(b.csrPem);
    await expectRenewRefused(() => mh.renew({ csrPem: a.csrPem, proof: b.proof }), 'PROOF_INVALID');
  });

  it('refuses a proof older than 5 minutes (PROOF_INVALID)', async () => {
    const issued = await enroll('station/MH/PUNE/PS6');
    const req = await createRenewalRequest({
      chainPem: issued.chainPem,
      keys,
      now: new Date(Date.now() - 6 * MINUTE),
    });
    await expectRenewRefused(() => mh.renew(req), 'PROOF_INVALID');
  });

  it('refuses a fresh proof presented to a CA whose clock is 10 minutes later (PROOF_INVALID)', async () => {
    const issued = await enroll('station/MH/PUNE/PS7');
    const req = await createRenewalRequest({ chainPem: issued.chainPem, keys });
    const later = Pki.open(dir, { clock: () => new Date(Date.now() + 10 * MINUTE) });
    try {
      const lateMh = later.unlockCa('MH', CA_PASS);
      await expectRenewRefused(() => lateMh.renew(req), 'PROOF_INVALID', later);
    } finally {
      later.close();
    }
  });

  it('accepts a proof made 4 minutes ago', async () => {
    const issued = await enroll('station/MH/PUNE/PS8');
    const req = await createRenewalRequest({
      chainPem: issued.chainPem,
      keys,
      now: new Date(Date.now() - 4 * MINUTE),
    });
    expect((await mh.renew(req)).identity).toBe('station/MH/PUNE/PS8');
  });

  it('refuses a proof from the future (PROOF_INVALID)', async () => {
    const issued = await enroll('station/MH/PUNE/PS9');
    const req = await createRenewalRequest({
      chainPem: issued.chainPem,
      keys,
      now: new Date(Date.now() + 10 * MINUTE),
    });
    await expectRenewRefused(() => mh.renew(req), 'PROOF_INVALID');
  });

  it('refuses a proof that is not a JWS (PROOF_INVALID)', async () => {
    await expectRenewRefused(
      () => mh.renew({ csrPem: createCsr('station/MH/PUNE/PS10', TD, keys), proof: 'garbage' }),
      'PROOF_INVALID',
    );
  });

  it('refuses a proof with the wrong typ (PROOF_INVALID)', async () => {
    const issued = await enroll('station/MH/PUNE/PS11');
    const csrPem = createCsr('station/MH/PUNE/PS11', TD, newKeys);
    const csr = createHash('sha256')
      .update(pemBlocks(csrPem, 'CERTIFICATE REQUEST')[0]!)
      .digest('base64url');
    const proof = await new JwsSigner(keys.privateKey, issued.chainPem).sign(
      JSON.stringify({ csr, iat: Math.floor(Date.now() / 1000) }),
      { typ: 'something-else' },
    );
    await expectRenewRefused(() => mh.renew({ csrPem, proof }), 'PROOF_INVALID');
  });

  it('refuses a proof whose signature was tampered (PROOF_INVALID)', async () => {
    const issued = await enroll('station/MH/PUNE/PS12');
    const req = await createRenewalRequest({ chainPem: issued.chainPem, keys, newKeys });
    const [h, p, s] = req.proof.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[10] = sig[10]! ^ 0xff;
    await expectRenewRefused(
      () => mh.renew({ csrPem: req.csrPem, proof: `${h}.${p}.${sig.toString('base64url')}` }),
      'PROOF_INVALID',
    );
  });

  it('refuses a valid proof over a CSR for another identity (CSR_IDENTITY_MISMATCH)', async () => {
    const issued = await enroll('station/MH/PUNE/PS13');
    const csrPem = createCsr('station/MH/PUNE/PS14', TD, keys);
    const csr = createHash('sha256')
      .update(pemBlocks(csrPem, 'CERTIFICATE REQUEST')[0]!)
      .digest('base64url');
    const proof = await new JwsSigner(keys.privateKey, issued.chainPem).sign(
      JSON.stringify({ csr, iat: Math.floor(Date.now() / 1000) }),
      { typ: RENEWAL_PROOF_TYPE },
    );
    await expectRenewRefused(() => mh.renew({ csrPem, proof }), 'CSR_IDENTITY_MISMATCH');
  });

  it("refuses to renew another CA's certificate (CA_NOT_AUTHORIZED)", async () => {
    const issued = await enroll('station/KA/BLR/PS1', {}, ka);
    const req = await createRenewalRequest({ chainPem: issued.chainPem, keys });
    await expectRenewRefused(() => mh.renew(req), 'CA_NOT_AUTHORIZED');
  });

  it('refuses to renew an expired certificate (CERT_EXPIRED)', async () => {
    const issued = await enroll('station/MH/PUNE/PS15', { days: 1 });
    const when = new Date(Date.now() + 2 * 86_400_000);
    const later = Pki.open(dir, { clock: () => when });
    try {
      const lateMh = later.unlockCa('MH', CA_PASS);
      const req = await createRenewalRequest({ chainPem: issued.chainPem, keys, now: when });
      await expectRenewRefused(() => lateMh.renew(req), 'CERT_EXPIRED', later);
    } finally {
      later.close();
    }
  });

  it('leaves the log verifiable after renewals and refusals', () => {
    const report = pki.verifyLog();
    expect(report.problems).toEqual([]);
    expect(report.unlogged).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
