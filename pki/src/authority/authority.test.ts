import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Pki,
  createCsr,
  derToPem,
  generateRsaKeyPair,
  normalizeSerial,
  pemBlocks,
  type IssuingCa,
  type KeyPair,
  type PkiErrorCode,
} from '../index.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';

let dir: string;
let scratch: string;
let pki: Pki;
let mh: IssuingCa;
let ka: IssuingCa;
let central: IssuingCa;
/** Leaf keys reused across tests (a key may back several identities). */
let keys: KeyPair;
let otherKeys: KeyPair;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-authority-'));
  scratch = mkdtempSync(join(tmpdir(), 'cctns-authority-scratch-'));
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 });
  for (const name of ['MH', 'KA', 'CENTRAL'])
    await pki.initCa(name, { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  mh = pki.unlockCa('MH', CA_PASS);
  ka = pki.unlockCa('KA', CA_PASS);
  central = pki.unlockCa('CENTRAL', CA_PASS);
  [keys, otherKeys] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]);
});

afterAll(() => {
  pki?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function enroll(
  ca: IssuingCa,
  identity: string,
  tokenArgs: { dns?: string[]; ip?: string[] } = {},
) {
  const { token } = await ca.createToken(identity, tokenArgs);
  return ca.issue({ csrPem: createCsr(identity, TD, keys), token });
}

/** Asserts an issuance is refused with `code`, issues nothing and appends a matching 'refuse' log entry. */
async function expectIssueRefused(
  attempt: () => Promise<unknown>,
  code: PkiErrorCode,
): Promise<void> {
  const before = pki.store.certificates().length;
  await expect(attempt()).rejects.toMatchObject({ name: 'PkiError', code });
  expect(pki.store.certificates()).toHaveLength(before);
  const [last] = pki.store.entries(1);
  expect(last?.body.event).toBe('refuse');
  expect(last?.body.detail).toMatchObject({ op: 'issue', code });
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: scratch, stdio: 'pipe' });
}

describe('Pki directory', () => {
  it('reopens with the same root and the CAs it holds', () => {
    const again = Pki.open(dir);
    try {
      expect(again.trustDomain).toBe(TD);
      expect(again.root.fingerprint256).toBe(pki.root.fingerprint256);
      expect(again.caNames()).toEqual(['CENTRAL', 'KA', 'MH']);
    } finally {
      again.close();
    }
  });

  it('refuses to open a directory without a PKI (PKI_NOT_FOUND)', () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    expect(() => Pki.open(empty)).toThrow(expect.objectContaining({ code: 'PKI_NOT_FOUND' }));
  });

  it('refuses initRoot twice in the same directory (ALREADY_EXISTS)', async () => {
    await expect(
      Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(new X509Certificate(readFileSync(join(dir, 'root', 'ca.crt.pem'))).fingerprint256).toBe(
      pki.root.fingerprint256,
    );
  });

  it('refuses a weak root passphrase (PASSPHRASE_WEAK)', async () => {
    const fresh = join(scratch, 'weak-root');
    await expect(
      Pki.initRoot(fresh, { trustDomain: TD, passphrase: 'short-pass', keyBits: 2048 }),
    ).rejects.toMatchObject({ code: 'PASSPHRASE_WEAK' });
  });

  it('refuses an invalid trust domain (TRUST_DOMAIN_INVALID)', async () => {
    const fresh = join(scratch, 'bad-domain');
    await expect(
      Pki.initRoot(fresh, { trustDomain: 'Bad_Domain', passphrase: ROOT_PASS, keyBits: 2048 }),
    ).rejects.toMatchObject({ code: 'TRUST_DOMAIN_INVALID' });
  });

  it('refuses a weak CA passphrase (PASSPHRASE_WEAK) and creates nothing', async () => {
    await expect(
      pki.initCa('GJ', { rootPassphrase: ROOT_PASS, passphrase: 'elevenchars' }),
    ).rejects.toMatchObject({ code: 'PASSPHRASE_WEAK' });
    expect(pki.caNames()).not.toContain('GJ');
  });

  it('refuses initCa with the wrong root passphrase (PASSPHRASE_WRONG) and creates nothing', async () => {
    await expect(
      pki.initCa('GJ', {
        rootPassphrase: 'not-the-root-passphrase',
        passphrase: CA_PASS,
        keyBits: 2048,
      }),
    ).rejects.toMatchObject({ code: 'PASSPHRASE_WRONG' });
    expect(pki.caNames()).not.toContain('GJ');
  });

  it('refuses to create a CA that exists (ALREADY_EXISTS)', async () => {
    await expect(
      pki.initCa('MH', { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('refuses an invalid CA name at initCa (CA_NAME_INVALID)', async () => {
    await expect(
      pki.initCa('XX', { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 }),
    ).rejects.toMatchObject({ code: 'CA_NAME_INVALID' });
  });

  it.each([
    'root/ca.key.pem',
    'ca/MH/ca.key.pem',
    'ca/MH/provisioner.key.pem',
    'ca/CENTRAL/ca.key.pem',
  ])('writes %s with mode 0600, encrypted', (rel) => {
    const path = join(dir, rel);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const pem = readFileSync(path, 'utf8');
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(pem).not.toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('writes the CA chain (CA then root) and the issuing CA certificate signed by the root', () => {
    const chain = readFileSync(join(dir, 'ca', 'MH', 'chain.pem'), 'utf8');
    const certs = pemBlocks(chain, 'CERTIFICATE').map((d) => new X509Certificate(d));
    expect(certs).toHaveLength(2);
    expect(certs[0]?.fingerprint256).toBe(mh.certificate.fingerprint256);
    expect(certs[1]?.fingerprint256).toBe(pki.root.fingerprint256);
    expect(mh.certificate.ca).toBe(true);
    expect(mh.certificate.verify(pki.root.publicKey)).toBe(true);
    expect(mh.certificate.subjectAltName).toContain('URI:spiffe://cctns.local/ca/MH');
  });
});

describe('unlockCa', () => {
  it('refuses the wrong passphrase (PASSPHRASE_WRONG) and logs the refusal', () => {
    expect(() => pki.unlockCa('MH', 'wrong-passphrase-here')).toThrow(
      expect.objectContaining({ code: 'PASSPHRASE_WRONG' }),
    );
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'refuse',
      ca: 'MH',
      detail: { op: 'unlock', code: 'PASSPHRASE_WRONG' },
    });
  });

  it('refuses a missing passphrase (PASSPHRASE_MISSING)', () => {
    expect(() => pki.unlockCa('MH', undefined)).toThrow(
      expect.objectContaining({ code: 'PASSPHRASE_MISSING' }),
    );
  });

  it('refuses a state CA that was never created (CA_NOT_FOUND)', () => {
    expect(() => pki.unlockCa('GJ', CA_PASS)).toThrow(
      expect.objectContaining({ code: 'CA_NOT_FOUND' }),
    );
  });

  it('refuses an invalid CA name XX (CA_NAME_INVALID)', () => {
    expect(() => pki.unlockCa('XX', CA_PASS)).toThrow(
      expect.objectContaining({ code: 'CA_NAME_INVALID' }),
    );
  });
});

describe('issue', () => {
  it('issues a station certificate that verifies with the right identity, CA and kind', async () => {
    const before = pki.store.certificates().length;
    const issued = await enroll(mh, 'station/MH/PUNE/PS042');
    expect(issued).toMatchObject({ identity: 'station/MH/PUNE/PS042', ca: 'MH' });
    expect(issued.chainPem.startsWith(issued.certificatePem)).toBe(true);
    const v = pki.trustStore().verify(issued.chainPem);
    expect(v).toMatchObject({
      identityString: 'station/MH/PUNE/PS042',
      ca: 'MH',
      kind: 'station',
      serial: normalizeSerial(issued.serial),
    });
    expect(v.certificate.checkPrivateKey(keys.privateKey)).toBe(true);
    expect(pki.store.certificates()).toHaveLength(before + 1);
    expect(pki.store.certificate(issued.serial)).toMatchObject({
      identity: 'station/MH/PUNE/PS042',
      ca: 'MH',
      kind: 'station',
      how: 'issue',
    });
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'issue',
      ca: 'MH',
      identity: 'station/MH/PUNE/PS042',
      serial: issued.serial,
    });
  });

  it('issues a station certificate that is not valid for servers', async () => {
    const issued = await enroll(mh, 'station/MH/PUNE/PS043');
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe('URI:spiffe://cctns.local/station/MH/PUNE/PS043');
    expect(cert.subject).toContain('CN=station/MH/PUNE/PS043');
  });

  it('gives a 90-day certificate by default, renewable after two thirds', async () => {
    const issued = await enroll(mh, 'hq/MH/console');
    const life = issued.notAfter.getTime() - issued.notBefore.getTime();
    // notBefore is backdated 5 minutes.
    expect(life).toBe(90 * 86_400_000 + 5 * 60_000);
    expect(issued.renewAfter.getTime()).toBeCloseTo(
      issued.notBefore.getTime() + (life * 2) / 3,
      -1,
    );
  });

  it('honours the requested lifetime in days', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS044');
    const issued = await mh.issue({
      csrPem: createCsr('station/MH/PUNE/PS044', TD, keys),
      token,
      days: 10,
    });
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(
      10 * 86_400_000 + 5 * 60_000,
    );
    expect(new Date(new X509Certificate(issued.certificatePem).validTo).getTime()).toBe(
      Math.floor(issued.notAfter.getTime() / 1000) * 1000,
    );
  });

  it('issues a broker certificate with serverAuth and the DNS/IP names of its token', async () => {
    const issued = await enroll(mh, 'broker/MH', { dns: ['broker-mh.example'], ip: ['10.0.0.5'] });
    const v = pki.trustStore().verify(issued.chainPem, { usage: 'server' });
    expect(v).toMatchObject({ kind: 'broker', ca: 'MH', identityString: 'broker/MH' });
    const san = new X509Certificate(issued.certificatePem).subjectAltName ?? '';
    expect(san).toContain('URI:spiffe://cctns.local/broker/MH');
    expect(san).toContain('DNS:broker-mh.example');
    expect(san).toContain('IP Address:10.0.0.5');
    expect(san).not.toContain('localhost');
  });

  it('gives a broker enrolled without names localhost and 127.0.0.1', async () => {
    const issued = await enroll(ka, 'broker/KA');
    const san = new X509Certificate(issued.certificatePem).subjectAltName ?? '';
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:127.0.0.1');
    expect(pki.trustStore().verify(issued.chainPem, { usage: 'server' }).kind).toBe('broker');
  });

  it('issues agency and national identities from CENTRAL', async () => {
    const agency = await enroll(central, 'agency/CBI/DELHI-HQ');
    expect(pki.trustStore().verify(agency.chainPem)).toMatchObject({
      ca: 'CENTRAL',
      kind: 'agency',
    });
    const national = await enroll(central, 'broker/national');
    expect(pki.trustStore().verify(national.chainPem, { usage: 'server' })).toMatchObject({
      ca: 'CENTRAL',
      kind: 'broker',
    });
  });

  it('gives every certificate a distinct serial', async () => {
    const a = await enroll(mh, 'station/MH/NAGPUR/PS1');
    const b = await enroll(mh, 'station/MH/NAGPUR/PS1');
    expect(a.serial).not.toBe(b.serial);
    expect(a.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
  });

  it('accepts an RSA CSR made by openssl with the identity in the CN only (interoperability)', async () => {
    openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=station\\/MH\\/PUNE\\/PS77',
      '-keyout',
      'rsa.key',
      '-out',
      'rsa.csr',
    ]);
    const csrPem = readFileSync(join(scratch, 'rsa.csr'), 'utf8');
    const { token } = await mh.createToken('station/MH/PUNE/PS77');
    const issued = await mh.issue({ csrPem, token });
    expect(issued.identity).toBe('station/MH/PUNE/PS77');
    const v = pki.trustStore().verify(issued.chainPem);
    expect(v.identityString).toBe('station/MH/PUNE/PS77');
    expect(v.certificate.subjectAltName).toBe('URI:spiffe://cctns.local/station/MH/PUNE/PS77');
    expect(
      v.certificate.checkPrivateKey(createPrivateKey(readFileSync(join(scratch, 'rsa.key')))),
    ).toBe(true);
  });
});

describe('issue refuses bad input, issues nothing and logs the refusal', () => {
  it('refuses malformed CSR text (CSR_INVALID)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS100');
    await expectIssueRefused(() => mh.issue({ csrPem: 'this is not a CSR', token }), 'CSR_INVALID');
  });

  it('refuses a CSR PEM with garbage inside (CSR_INVALID)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS100');
    const pem = derToPem(Buffer.from('30030201ff', 'hex'), 'CERTIFICATE REQUEST');
    await expectIssueRefused(() => mh.issue({ csrPem: pem, token }), 'CSR_INVALID');
  });

  it('refuses a CSR whose signature was tampered (CSR_SIGNATURE_INVALID)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS101');
    const der = pemBlocks(createCsr('station/MH/PUNE/PS101', TD, keys), 'CERTIFICATE REQUEST')[0]!;
    const tampered = Buffer.from(der);
    tampered[tampered.length - 10] = tampered[tampered.length - 10]! ^ 0x01;
    await expectIssueRefused(
      () => mh.issue({ csrPem: derToPem(tampered, 'CERTIFICATE REQUEST'), token }),
      'CSR_SIGNATURE_INVALID',
    );
  });

  it('refuses a CSR for another identity than the token (CSR_IDENTITY_MISMATCH)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS102');
    await expectIssueRefused(
      () => mh.issue({ csrPem: createCsr('station/MH/PUNE/PS103', TD, keys), token }),
      'CSR_IDENTITY_MISMATCH',
    );
  });

  it('leaves a token unspent when the CSR is refused', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS104');
    await expectIssueRefused(
      () => mh.issue({ csrPem: createCsr('station/MH/PUNE/PS999', TD, keys), token }),
      'CSR_IDENTITY_MISMATCH',
    );
    const issued = await mh.issue({ csrPem: createCsr('station/MH/PUNE/PS104', TD, keys), token });
    expect(issued.identity).toBe('station/MH/PUNE/PS104');
  });

  it('refuses a reused token (TOKEN_REUSED)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS105');
    await mh.issue({ csrPem: createCsr('station/MH/PUNE/PS105', TD, keys), token });
    await expectIssueRefused(
      () => mh.issue({ csrPem: createCsr('station/MH/PUNE/PS105', TD, otherKeys), token }),
      'TOKEN_REUSED',
    );
  });

  it('refuses an expired token (TOKEN_EXPIRED)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS106', { ttlSeconds: 1 });
    const later = Pki.open(dir, { clock: () => new Date(Date.now() + 10 * 60_000) });
    try {
      const lateMh = later.unlockCa('MH', CA_PASS);
      await expectIssueRefused(
        () => lateMh.issue({ csrPem: createCsr('station/MH/PUNE/PS106', TD, keys), token }),
        'TOKEN_EXPIRED',
      );
    } finally {
      later.close();
    }
  });

  it('refuses a token made for another CA (TOKEN_AUDIENCE)', async () => {
    const { token } = await ka.createToken('station/KA/BLR/PS1');
    await expectIssueRefused(
      () => mh.issue({ csrPem: createCsr('station/MH/PUNE/PS107', TD, keys), token }),
      'TOKEN_AUDIENCE',
    );
  });

  it('refuses a token whose payload was tampered (TOKEN_INVALID)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS108');
    const [h, p, s] = token.split('.') as [string, string, string];
    const json = Buffer.from(p, 'base64url').toString('utf8');
    expect(json).toContain('station/MH/PUNE/PS108');
    const forged = Buffer.from(json.replace('PS108', 'PS109')).toString('base64url');
    await expectIssueRefused(
      () =>
        mh.issue({
          csrPem: createCsr('station/MH/PUNE/PS109', TD, keys),
          token: `${h}.${forged}.${s}`,
        }),
      'TOKEN_INVALID',
    );
  });

  it('refuses a token whose signature was tampered (TOKEN_INVALID)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS110');
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[5] = sig[5]! ^ 0xff;
    await expectIssueRefused(
      () =>
        mh.issue({
          csrPem: createCsr('station/MH/PUNE/PS110', TD, keys),
          token: `${h}.${p}.${sig.toString('base64url')}`,
        }),
      'TOKEN_INVALID',
    );
  });

  it('refuses a token that is not a JWT (TOKEN_INVALID)', async () => {
    await expectIssueRefused(
      () =>
        mh.issue({ csrPem: createCsr('station/MH/PUNE/PS111', TD, keys), token: 'not-a-token' }),
      'TOKEN_INVALID',
    );
  });

  it('refuses to make a token for another state (CA_NOT_AUTHORIZED) and logs it', async () => {
    await expect(mh.createToken('station/KA/BLR/PS1')).rejects.toMatchObject({
      code: 'CA_NOT_AUTHORIZED',
    });
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'refuse',
      ca: 'MH',
      identity: 'station/KA/BLR/PS1',
      detail: { op: 'token', code: 'CA_NOT_AUTHORIZED' },
    });
  });

  it('refuses to make a token for an agency at a state CA (CA_NOT_AUTHORIZED)', async () => {
    await expect(mh.createToken('agency/CBI/DELHI-HQ')).rejects.toMatchObject({
      code: 'CA_NOT_AUTHORIZED',
    });
    await expect(central.createToken('station/MH/PUNE/PS1')).rejects.toMatchObject({
      code: 'CA_NOT_AUTHORIZED',
    });
  });

  it("refuses to issue for another state, even with that state's token (CA_NOT_AUTHORIZED)", async () => {
    const { token } = await ka.createToken('station/KA/BLR/PS2');
    await expectIssueRefused(
      () => mh.issue({ csrPem: createCsr('station/KA/BLR/PS2', TD, keys), token }),
      'CA_NOT_AUTHORIZED',
    );
    // The token is still good at its own CA.
    expect((await ka.issue({ csrPem: createCsr('station/KA/BLR/PS2', TD, keys), token })).ca).toBe(
      'KA',
    );
  });

  it('refuses a CSR with an EC key made by openssl (CSR_INVALID)', async () => {
    openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=station\\/MH\\/PUNE\\/PS9',
      '-keyout',
      'ec.key',
      '-out',
      'ec.csr',
    ]);
    const csrPem = readFileSync(join(scratch, 'ec.csr'), 'utf8');
    const { token } = await mh.createToken('station/MH/PUNE/PS9');
    await expectIssueRefused(() => mh.issue({ csrPem, token }), 'CSR_INVALID');
  });

  it('refuses a CSR for another trust domain (TRUST_DOMAIN_MISMATCH)', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS112');
    await expectIssueRefused(
      () => mh.issue({ csrPem: createCsr('station/MH/PUNE/PS112', 'other.local', keys), token }),
      'TRUST_DOMAIN_MISMATCH',
    );
  });
});

describe('revoke', () => {
  it('revokes a certificate so the trust store refuses it (CERT_REVOKED)', async () => {
    const issued = await enroll(mh, 'station/MH/THANE/PS1');
    expect(pki.trustStore().verify(issued.chainPem).identityString).toBe('station/MH/THANE/PS1');
    const rec = mh.revoke(issued.serial, 'keyCompromise');
    expect(rec).toMatchObject({ serial: issued.serial, reason: 'keyCompromise' });
    expect(rec.revokedAt).toBeInstanceOf(Date);
    expect(() => pki.trustStore().verify(issued.chainPem)).toThrow(
      expect.objectContaining({ code: 'CERT_REVOKED' }),
    );
    expect(pki.store.certificate(issued.serial)).toMatchObject({ reason: 'keyCompromise' });
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'revoke',
      ca: 'MH',
      serial: issued.serial,
      detail: { reason: 'keyCompromise' },
    });
  });

  it('accepts the serial in the colon-separated upper-case form', async () => {
    const issued = await enroll(mh, 'station/MH/THANE/PS2');
    const colons = (issued.serial.toUpperCase().match(/../g) ?? []).join(':');
    expect(mh.revoke(colons, 'superseded').serial).toBe(issued.serial);
  });

  it('refuses to revoke twice (ALREADY_REVOKED)', async () => {
    const issued = await enroll(mh, 'station/MH/THANE/PS3');
    mh.revoke(issued.serial, 'superseded');
    expect(() => mh.revoke(issued.serial, 'keyCompromise')).toThrow(
      expect.objectContaining({ code: 'ALREADY_REVOKED' }),
    );
    expect(pki.store.certificate(issued.serial)?.reason).toBe('superseded');
  });

  it('refuses an unknown serial (SERIAL_UNKNOWN) and logs it', () => {
    expect(() => mh.revoke('7fffffffffffffffffffffffffffffff', 'keyCompromise')).toThrow(
      expect.objectContaining({ code: 'SERIAL_UNKNOWN' }),
    );
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'refuse',
      detail: { op: 'revoke', code: 'SERIAL_UNKNOWN' },
    });
  });

  it("refuses a serial of another CA's certificate (SERIAL_UNKNOWN)", async () => {
    const issued = await enroll(ka, 'station/KA/BLR/PS50');
    expect(() => mh.revoke(issued.serial, 'keyCompromise')).toThrow(
      expect.objectContaining({ code: 'SERIAL_UNKNOWN' }),
    );
    expect(pki.store.certificate(issued.serial)?.revokedAt).toBeUndefined();
  });

  it('refuses an unknown reason (INPUT_INVALID) and leaves the certificate valid', async () => {
    const issued = await enroll(mh, 'station/MH/THANE/PS4');
    expect(() => mh.revoke(issued.serial, 'becauseISaidSo')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
    expect(pki.trustStore().verify(issued.chainPem).identityString).toBe('station/MH/THANE/PS4');
  });
});

describe('issuance log', () => {
  it('verifies after all this activity', () => {
    const report = pki.verifyLog();
    expect(report.problems).toEqual([]);
    expect(report.unlogged).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(pki.store.entries().length);
  });

  it('starts with the root and CA creation', () => {
    const first = pki.store
      .entries()
      .slice(0, 4)
      .map((e) => e.body.event);
    expect(first).toEqual(['init-root', 'init-ca', 'init-ca', 'init-ca']);
  });
});
