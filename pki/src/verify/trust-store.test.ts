import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Pki,
  TrustStore,
  createCsr,
  generateRsaKeyPair,
  identityUri,
  loadPrivateKey,
  normalizeSerial,
  type IssuedCertificate,
  type IssuingCa,
  type KeyPair,
} from '../index.js';
import { buildCertificate, issuerInfo, newSerial } from '../x509/certificate.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';
const DAY = 86_400_000;

let base: string;
let dir: string;
let pki: Pki;
let mh: IssuingCa;
let ka: IssuingCa;
let other: Pki;
let otherMh: IssuingCa;
let keys: KeyPair;
let mhKey: KeyPair;
/** Issued before any revocation. */
let crlBefore: string;
/** Issued after `revoked` was revoked. */
let crlAfter: string;
let station: IssuedCertificate;
let revoked: IssuedCertificate;
let broker: IssuedCertificate;
let hq: IssuedCertificate;
let foreign: IssuedCertificate;

async function enroll(ca: IssuingCa, identity: string): Promise<IssuedCertificate> {
  const { token } = await ca.createToken(identity);
  return ca.issue({ csrPem: createCsr(identity, ca.pki.trustDomain, keys), token });
}

function store(extra: { crls?: string[]; trustDomain?: string } = {}): TrustStore {
  return new TrustStore({
    trustDomain: extra.trustDomain ?? TD,
    root: pki.root,
    cas: pki.caNames().map((n) => pki.caCertificate(n)),
    crls: extra.crls ?? [crlAfter],
  });
}

/** A certificate signed with the MH CA key directly, bypassing the authority's checks. */
function forge(spec: {
  commonName: string;
  uris: string[];
  notBefore?: Date;
  notAfter?: Date;
}): string {
  const now = Date.now();
  return buildCertificate(
    {
      profile: 'station',
      serial: newSerial(),
      commonName: spec.commonName,
      organization: TD,
      publicKey: keys.publicKey,
      notBefore: spec.notBefore ?? new Date(now - 5 * 60_000),
      notAfter: spec.notAfter ?? new Date(now + DAY),
      uris: spec.uris,
      issuer: issuerInfo(mh.certificate),
    },
    mhKey.privateKey,
  ).pem;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'cctns-trust-'));
  dir = join(base, 'pki');
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 });
  for (const name of ['MH', 'KA', 'CENTRAL'])
    await pki.initCa(name, { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  mh = pki.unlockCa('MH', CA_PASS);
  ka = pki.unlockCa('KA', CA_PASS);
  mhKey = loadPrivateKey(readFileSync(join(dir, 'ca', 'MH', 'ca.key.pem'), 'utf8'), CA_PASS, 'x');
  keys = await generateRsaKeyPair(2048);
  station = await enroll(mh, 'station/MH/PUNE/PS042');
  revoked = await enroll(mh, 'station/MH/PUNE/PS666');
  broker = await enroll(mh, 'broker/MH');
  hq = await enroll(mh, 'hq/MH/console');
  crlBefore = mh.crl().pem;
  mh.revoke(revoked.serial, 'keyCompromise');
  crlAfter = mh.crl().pem;

  // A second, unrelated PKI with the same trust domain and the same CA names.
  other = await Pki.initRoot(join(base, 'other'), {
    trustDomain: TD,
    passphrase: ROOT_PASS,
    keyBits: 2048,
  });
  await other.initCa('MH', { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  otherMh = other.unlockCa('MH', CA_PASS);
  foreign = await enroll(otherMh, 'station/MH/PUNE/PS042');
});

afterAll(() => {
  pki?.close();
  other?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('TrustStore built from the root, CAs and CRLs', () => {
  it('accepts a good certificate with its identity', () => {
    const v = store().verify(station.chainPem);
    expect(v).toMatchObject({
      identityString: 'station/MH/PUNE/PS042',
      kind: 'station',
      ca: 'MH',
      serial: normalizeSerial(station.serial),
    });
    expect(v.identity).toEqual({
      kind: 'station',
      state: 'MH',
      district: 'PUNE',
      station: 'PS042',
    });
    expect(v.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(v.publicKey.equals(keys.publicKey)).toBe(true);
  });

  it('accepts the leaf alone when its CA is known', () => {
    expect(store().verify(station.certificatePem).identityString).toBe('station/MH/PUNE/PS042');
  });

  it('accepts DER and parsed certificates as well as PEM', () => {
    const cert = new X509Certificate(station.certificatePem);
    expect(store().verify(cert.raw).ca).toBe('MH');
    expect(store().verify([cert, mh.certificate]).ca).toBe('MH');
  });

  it('refuses the revoked certificate named in the CRL (CERT_REVOKED)', () => {
    expect(() => store().verify(revoked.chainPem)).toThrow(
      expect.objectContaining({ code: 'CERT_REVOKED' }),
    );
  });

  it('accepts the revoked certificate when only an older CRL is known (revocation comes from the CRL)', () => {
    expect(store({ crls: [crlBefore] }).verify(revoked.chainPem).identityString).toBe(
      'station/MH/PUNE/PS666',
    );
  });

  it('keeps the newer CRL when an older one is added after it', () => {
    const s = store({ crls: [crlAfter, crlBefore] });
    expect(s.crlOf('MH')?.crlNumber).toBe(2n);
    expect(() => s.verify(revoked.chainPem)).toThrow(
      expect.objectContaining({ code: 'CERT_REVOKED' }),
    );
  });

  it('takes a newer CRL at once, even for a chain verified before', () => {
    const s = store({ crls: [crlBefore] });
    expect(s.verify(revoked.chainPem).kind).toBe('station');
    expect(s.addCrl(crlAfter)).toBe('MH');
    expect(() => s.verify(revoked.chainPem)).toThrow(
      expect.objectContaining({ code: 'CERT_REVOKED' }),
    );
  });

  it('refuses a CRL of another PKI (CRL_INVALID)', () => {
    const foreignCrl = otherMh.crl().pem;
    expect(() => store().addCrl(foreignCrl)).toThrow(
      expect.objectContaining({ code: 'CRL_INVALID' }),
    );
  });

  it('refuses a certificate after it expires (CERT_EXPIRED)', () => {
    const s = store();
    expect(s.verify(station.chainPem, { at: new Date(Date.now() + 89 * DAY) }).kind).toBe(
      'station',
    );
    expect(() => s.verify(station.chainPem, { at: new Date(Date.now() + 91 * DAY) })).toThrow(
      expect.objectContaining({
        code: 'CERT_EXPIRED',
        message: expect.stringContaining('the certificate expired'),
      }),
    );
  });

  it('refuses everything once the issuing CA expires (CERT_EXPIRED)', () => {
    expect(() =>
      store().verify(station.chainPem, { at: new Date(Date.now() + 20 * 365 * DAY) }),
    ).toThrow(
      expect.objectContaining({
        code: 'CERT_EXPIRED',
        message: expect.stringContaining('issuing CA MH'),
      }),
    );
  });

  it('refuses a certificate before its CA is valid (CERT_NOT_YET_VALID)', () => {
    expect(() => store().verify(station.chainPem, { at: new Date(Date.now() - DAY) })).toThrow(
      expect.objectContaining({ code: 'CERT_NOT_YET_VALID' }),
    );
  });

  it('refuses a certificate before its own notBefore (CERT_NOT_YET_VALID)', () => {
    const pem = forge({
      commonName: 'station/MH/PUNE/PS9',
      uris: [identityUri(TD, 'station/MH/PUNE/PS9')],
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 2 * DAY),
    });
    expect(() => store().verify(pem)).toThrow(
      expect.objectContaining({
        code: 'CERT_NOT_YET_VALID',
        message: expect.stringContaining('the certificate is not valid until'),
      }),
    );
    expect(store().verify(pem, { at: new Date(Date.now() + DAY + 60_000) }).identityString).toBe(
      'station/MH/PUNE/PS9',
    );
  });

  it('refuses a certificate from a different PKI (CHAIN_INVALID)', () => {
    expect(() => store().verify(foreign.chainPem)).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
    expect(() => store().verify(foreign.certificatePem)).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
  });

  it("refuses another PKI's CA (CHAIN_INVALID)", () => {
    expect(() => store().addCa(otherMh.certificate)).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
  });

  it('refuses a root that is not a self-signed CA (CHAIN_INVALID)', () => {
    expect(() => new TrustStore({ trustDomain: TD, root: mh.certificate })).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
    expect(() => new TrustStore({ trustDomain: TD, root: station.certificatePem })).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
  });

  it('refuses a broker where only stations are allowed (CERT_USAGE)', () => {
    expect(() => store().verify(broker.chainPem, { kinds: ['station'] })).toThrow(
      expect.objectContaining({ code: 'CERT_USAGE' }),
    );
    expect(store().verify(station.chainPem, { kinds: ['station', 'hq'] }).kind).toBe('station');
    expect(store().verify(hq.chainPem, { kinds: ['station', 'hq'] }).kind).toBe('hq');
  });

  it('refuses a station certificate for server use (CERT_USAGE) and accepts a broker', () => {
    expect(() => store().verify(station.chainPem, { usage: 'server' })).toThrow(
      expect.objectContaining({ code: 'CERT_USAGE' }),
    );
    expect(store().verify(broker.chainPem, { usage: 'server' }).kind).toBe('broker');
  });

  it('refuses a CA certificate used as an identity (CERT_USAGE)', () => {
    expect(() => store().verify(mh.certificate)).toThrow(
      expect.objectContaining({ code: 'CERT_USAGE' }),
    );
  });

  it('refuses input that is not a certificate (CERT_INVALID)', () => {
    expect(() => store().verify('hello')).toThrow(
      expect.objectContaining({ code: 'CERT_INVALID' }),
    );
    expect(() => store().verify(Buffer.from('3003020101', 'hex'))).toThrow(
      expect.objectContaining({ code: 'CERT_INVALID' }),
    );
    expect(() => store().verify([])).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }));
  });

  it('refuses the CAs of this PKI under another trust domain (CHAIN_INVALID)', () => {
    expect(() => store({ trustDomain: 'other.local' })).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
    const bare = new TrustStore({ trustDomain: 'other.local', root: pki.root });
    expect(() => bare.verify(station.chainPem)).toThrow(
      expect.objectContaining({ code: 'CHAIN_INVALID' }),
    );
  });

  it('refuses a leaf whose identity URI names another trust domain (TRUST_DOMAIN_MISMATCH)', () => {
    const pem = forge({
      commonName: 'station/MH/PUNE/PS1',
      uris: [identityUri('other.local', 'station/MH/PUNE/PS1')],
    });
    expect(() => store().verify(pem)).toThrow(
      expect.objectContaining({ code: 'TRUST_DOMAIN_MISMATCH' }),
    );
  });

  it('refuses a KA identity issued by the MH CA (CERT_ISSUER_MISMATCH)', () => {
    const pem = forge({
      commonName: 'station/KA/BLR/PS1',
      uris: [identityUri(TD, 'station/KA/BLR/PS1')],
    });
    expect(() => store().verify([pem, mh.certificate.toString()])).toThrow(
      expect.objectContaining({ code: 'CERT_ISSUER_MISMATCH' }),
    );
    expect(() => pki.trustStore().verify(pem)).toThrow(
      expect.objectContaining({ code: 'CERT_ISSUER_MISMATCH' }),
    );
  });

  it('refuses an agency identity issued by a state CA (CERT_ISSUER_MISMATCH)', () => {
    const pem = forge({ commonName: 'agency/CBI/HQ', uris: [identityUri(TD, 'agency/CBI/HQ')] });
    expect(() => store().verify(pem)).toThrow(
      expect.objectContaining({ code: 'CERT_ISSUER_MISMATCH' }),
    );
  });

  it('refuses a certificate without exactly one spiffe identity (CERT_INVALID)', () => {
    const none = forge({ commonName: 'station/MH/PUNE/PS1', uris: [] });
    expect(() => store().verify(none)).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }));
    const two = forge({
      commonName: 'station/MH/PUNE/PS1',
      uris: [identityUri(TD, 'station/MH/PUNE/PS1'), identityUri(TD, 'station/MH/PUNE/PS2')],
    });
    expect(() => store().verify(two)).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }));
  });

  it('refuses a certificate with a malformed identity (CERT_INVALID)', () => {
    const pem = forge({ commonName: 'x', uris: [identityUri(TD, 'station/MH/pune/PS1')] });
    expect(() => store().verify(pem)).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }));
  });

  it('refuses a certificate whose signature was tampered (CHAIN_INVALID)', () => {
    const der = Buffer.from(new X509Certificate(station.certificatePem).raw);
    der[der.length - 8] = der[der.length - 8]! ^ 0x01;
    expect(() => store().verify(der)).toThrow(expect.objectContaining({ code: 'CHAIN_INVALID' }));
  });

  it("reads revocation live from the authority's own trust store", async () => {
    const fresh = await enroll(ka, 'station/KA/BLR/PS7');
    const live = pki.trustStore();
    expect(live.verify(fresh.chainPem).ca).toBe('KA');
    ka.revoke(fresh.serial, 'cessationOfOperation');
    expect(() => live.verify(fresh.chainPem)).toThrow(
      expect.objectContaining({
        code: 'CERT_REVOKED',
        message: expect.stringContaining('cessationOfOperation'),
      }),
    );
  });
});

describe('TrustStore.verifyX5c (JWS chains, cached by their text)', () => {
  const x5cOf = (chainPem: string) =>
    chainPem
      .split('-----END CERTIFICATE-----')
      .filter((b) => b.includes('BEGIN'))
      .map((b) => b.replace(/-----BEGIN CERTIFICATE-----|\s/g, ''));

  it('gives the same identity as verify()', () => {
    const t = store();
    expect(t.verifyX5c(x5cOf(station.chainPem)).identityString).toBe(
      t.verify(station.chainPem).identityString,
    );
  });

  it('still checks revocation and dates on every call after the chain is cached', () => {
    const live = new Set<string>();
    const t = new TrustStore({
      trustDomain: TD,
      root: pki.root,
      revocation: (_ca, serial) =>
        live.has(serial) ? { revokedAt: new Date(), reason: 'keyCompromise' } : undefined,
    });
    const x5c = x5cOf(station.chainPem);
    expect(t.verifyX5c(x5c).serial).toBe(normalizeSerial(station.serial));
    live.add(normalizeSerial(station.serial));
    expect(() => t.verifyX5c(x5c)).toThrow(expect.objectContaining({ code: 'CERT_REVOKED' }));
    live.clear();
    expect(() => t.verifyX5c(x5c, { at: new Date(Date.now() + 400 * DAY) })).toThrow(
      expect.objectContaining({ code: 'CERT_EXPIRED' }),
    );
  });

  it('refuses x5c entries that are not certificates', () => {
    expect(() => store().verifyX5c(['bm90IGEgY2VydGlmaWNhdGU='])).toThrow(
      expect.objectContaining({ code: 'CERT_INVALID' }),
    );
  });
});
