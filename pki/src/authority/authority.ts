import { createHash, X509Certificate, type KeyObject, type webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { importSPKI } from 'jose';
import { pino, type Logger } from 'pino';
import { PkiError } from '../errors.js';
import {
  caUri,
  formatIdentity,
  identityUri,
  issuerFor,
  parseCaName,
  parseIdentity,
  parseTrustDomain,
  type CaName,
} from '../identity/identity.js';
import {
  DEFAULT_KEY_BITS,
  generateProvisionerKeyPair,
  generateRsaKeyPair,
  loadPrivateKey,
  privateKeyToPem,
  publicKeyToPem,
  readTextFile,
  writePublicFile,
  writeSecretFile,
} from '../keys/keys.js';
import { verifyJws } from '../jws/jws.js';
import { TrustStore } from '../verify/trust-store.js';
import {
  BACKDATE_MS,
  buildCertificate,
  issuerInfo,
  newSerial,
  normalizeSerial,
  type IssuerInfo,
} from '../x509/certificate.js';
import {
  buildCrl,
  isRevocationReason,
  REVOCATION_REASONS,
  type RevocationReason,
} from '../x509/crl.js';
import { verifyCsr } from '../x509/csr.js';
import { DEFAULT_LIFETIME_DAYS, renewalDue, type Profile } from '../x509/profiles.js';
import { PkiStore, type CertificateRecord, type LogReport } from './store.js';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  signEnrollmentToken,
  verifyEnrollmentToken,
  type TokenSans,
} from './tokens.js';
import {
  RENEWAL_PROOF_TYPE,
  RENEWAL_PROOF_MAX_AGE_MS,
  type RenewalProofPayload,
} from './renewal.js';

const DAY_MS = 86_400_000;

/** Smallest passphrase accepted for a new CA key. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** A certificate issued or renewed by a CA. */
export interface IssuedCertificate {
  serial: string;
  identity: string;
  ca: CaName;
  /** The leaf alone. */
  certificatePem: string;
  /** Leaf followed by the issuing CA: what a holder presents. */
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
  /** When renewal is recommended (2/3 of the lifetime). */
  renewAfter: Date;
}

/** Options shared by everything that opens a PKI directory. */
export interface PkiOptions {
  logger?: Logger;
  /** Clock, for tests that travel in time. */
  clock?: () => Date;
}

interface PkiConfig {
  formatVersion: 1;
  trustDomain: string;
  createdAt: string;
}

function checkNewPassphrase(passphrase: string, what: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new PkiError(
      'PASSPHRASE_WEAK',
      `the passphrase for ${what} must have at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
}

function lifetime(days: number, what: string): number {
  if (!Number.isFinite(days) || days <= 0 || days > 36500)
    throw new PkiError('INPUT_INVALID', `${what} lifetime must be between 1 and 36500 days`);
  return days * DAY_MS;
}

/**
 * A PKI directory: the root CA, the issuing CAs (one per State/UT that has been initialised, and
 * CENTRAL), and the authority database. Layout:
 * `pki.json`, `pki.db`, `root/ca.crt.pem`, `root/ca.key.pem`, `ca/<NAME>/{ca.crt.pem, ca.key.pem,
 * chain.pem, provisioner.key.pem, provisioner.pub.pem}`; keys are encrypted and 0600.
 */
export class Pki {
  readonly dir: string;
  readonly trustDomain: string;
  readonly root: X509Certificate;
  readonly store: PkiStore;
  readonly logger: Logger;
  readonly clock: () => Date;

  private constructor(dir: string, config: PkiConfig, opts: PkiOptions) {
    this.dir = dir;
    this.trustDomain = config.trustDomain;
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.clock = opts.clock ?? (() => new Date());
    this.root = new X509Certificate(readFileSync(join(dir, 'root', 'ca.crt.pem')));
    this.store = new PkiStore(join(dir, 'pki.db'));
  }

  /** Creates the national root CA of a trust domain in an empty (or new) directory. */
  static async initRoot(
    dir: string,
    args: { trustDomain: string; passphrase: string; keyBits?: number; days?: number } & PkiOptions,
  ): Promise<Pki> {
    const trustDomain = parseTrustDomain(args.trustDomain);
    if (existsSync(join(dir, 'pki.json')))
      throw new PkiError(
        'ALREADY_EXISTS',
        `${dir} already holds a PKI; refusing to overwrite its root`,
      );
    checkNewPassphrase(args.passphrase, 'the root CA');
    const ms = lifetime(args.days ?? DEFAULT_LIFETIME_DAYS.root, 'root');
    mkdirSync(join(dir, 'root'), { recursive: true, mode: 0o700 });
    const keys = await generateRsaKeyPair(args.keyBits ?? DEFAULT_KEY_BITS.root);
    const now = (args.clock ?? (() => new Date()))();
    const { pem } = buildCertificate(
      {
        profile: 'root',
        serial: newSerial(),
        commonName: 'CCTNS National Root CA',
        organization: trustDomain,
        organizationalUnit: 'root',
        publicKey: keys.publicKey,
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        notAfter: new Date(now.getTime() + ms),
        uris: [caUri(trustDomain, 'root')],
      },
      keys.privateKey,
    );
    writeSecretFile(
      join(dir, 'root', 'ca.key.pem'),
      privateKeyToPem(keys.privateKey, args.passphrase),
    );
    writePublicFile(join(dir, 'root', 'ca.crt.pem'), pem);
    const config: PkiConfig = { formatVersion: 1, trustDomain, createdAt: now.toISOString() };
    writeFileSync(join(dir, 'pki.json'), `${JSON.stringify(config, null, 2)}\n`);
    const pki = new Pki(dir, config, args);
    pki.store.log({
      at: now.toISOString(),
      event: 'init-root',
      ca: 'root',
      serial: normalizeSerial(pki.root.serialNumber),
      detail: { trustDomain },
    });
    pki.logger.info({ trustDomain, dir }, 'root CA created');
    return pki;
  }

  /** Opens an existing PKI directory; throws PKI_NOT_FOUND. */
  static open(dir: string, opts: PkiOptions = {}): Pki {
    const configPath = join(dir, 'pki.json');
    if (!existsSync(configPath))
      throw new PkiError('PKI_NOT_FOUND', `no PKI in ${dir} (run \`cctns pki init-root\` first)`);
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as PkiConfig;
    return new Pki(dir, config, opts);
  }

  private caDir(name: CaName): string {
    return join(this.dir, 'ca', name);
  }

  /** Records a refusal in the issuance log and the service log, then returns the error to throw. */
  refuse(err: unknown, context: { op: string; ca?: string; identity?: string }): unknown {
    if (err instanceof PkiError) {
      this.store.log({
        at: this.clock().toISOString(),
        event: 'refuse',
        ...(context.ca ? { ca: context.ca } : {}),
        ...(context.identity ? { identity: context.identity } : {}),
        detail: { op: context.op, code: err.code },
      });
      this.logger.warn(
        { op: context.op, ca: context.ca, identity: context.identity, code: err.code },
        err.message,
      );
    }
    return err;
  }

  /** Creates an issuing CA for a State/UT or CENTRAL, signed by the root. */
  async initCa(
    nameInput: string,
    args: { rootPassphrase: string; passphrase: string; keyBits?: number; days?: number },
  ): Promise<X509Certificate> {
    const name = parseCaName(nameInput);
    try {
      if (existsSync(join(this.caDir(name), 'ca.crt.pem')))
        throw new PkiError('ALREADY_EXISTS', `CA ${name} already exists`);
      checkNewPassphrase(args.passphrase, `CA ${name}`);
      const root = loadPrivateKey(
        readTextFile(join(this.dir, 'root', 'ca.key.pem'), 'the root key'),
        args.rootPassphrase,
        'the root CA key',
      );
      const ms = lifetime(args.days ?? DEFAULT_LIFETIME_DAYS.ca, 'CA');
      const keys = await generateRsaKeyPair(args.keyBits ?? DEFAULT_KEY_BITS.ca);
      const provisioner = await generateProvisionerKeyPair();
      const now = this.clock();
      const notAfter = new Date(
        Math.min(now.getTime() + ms, new Date(this.root.validTo).getTime()),
      );
      const { pem } = buildCertificate(
        {
          profile: 'ca',
          serial: newSerial(),
          commonName: `CCTNS ${name} Issuing CA`,
          organization: this.trustDomain,
          organizationalUnit: name,
          publicKey: keys.publicKey,
          notBefore: new Date(now.getTime() - BACKDATE_MS),
          notAfter,
          uris: [caUri(this.trustDomain, name)],
          issuer: issuerInfo(this.root),
        },
        root.privateKey,
      );
      const dir = this.caDir(name);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeSecretFile(join(dir, 'ca.key.pem'), privateKeyToPem(keys.privateKey, args.passphrase));
      writeSecretFile(
        join(dir, 'provisioner.key.pem'),
        privateKeyToPem(provisioner.privateKey, args.passphrase),
      );
      writePublicFile(join(dir, 'provisioner.pub.pem'), publicKeyToPem(provisioner.publicKey));
      writePublicFile(join(dir, 'chain.pem'), pem + this.root.toString());
      writePublicFile(join(dir, 'ca.crt.pem'), pem);
      const cert = new X509Certificate(pem);
      this.store.log({
        at: now.toISOString(),
        event: 'init-ca',
        ca: name,
        serial: normalizeSerial(cert.serialNumber),
      });
      this.logger.info({ ca: name }, 'issuing CA created');
      return cert;
    } catch (err) {
      throw this.refuse(err, { op: 'init-ca', ca: name });
    }
  }

  /** Names of the issuing CAs in this directory. */
  caNames(): CaName[] {
    const root = join(this.dir, 'ca');
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((n) => existsSync(join(root, n, 'ca.crt.pem')))
      .map((n) => parseCaName(n))
      .sort();
  }

  /** The certificate of an issuing CA; throws CA_NOT_FOUND. */
  caCertificate(nameInput: string): X509Certificate {
    const name = parseCaName(nameInput);
    const path = join(this.caDir(name), 'ca.crt.pem');
    if (!existsSync(path))
      throw new PkiError(
        'CA_NOT_FOUND',
        `CA ${name} does not exist in ${this.dir} (run \`cctns pki init-ca --name ${name}\`)`,
      );
    return new X509Certificate(readFileSync(path));
  }

  /** Opens an issuing CA with its passphrase; the keys are imported once for all later operations. */
  unlockCa(nameInput: string, passphrase: string | undefined): IssuingCa {
    let name: CaName | undefined;
    try {
      name = parseCaName(nameInput);
      const cert = this.caCertificate(name);
      const dir = this.caDir(name);
      const key = loadPrivateKey(
        readTextFile(join(dir, 'ca.key.pem'), `the key of CA ${name}`),
        passphrase,
        `the key of CA ${name}`,
      );
      const provisioner = loadPrivateKey(
        readTextFile(join(dir, 'provisioner.key.pem'), `the provisioner key of CA ${name}`),
        passphrase,
        `the provisioner key of CA ${name}`,
      );
      return new IssuingCa(
        this,
        name,
        cert,
        key.privateKey,
        provisioner.privateKey,
        provisioner.publicKey,
      );
    } catch (err) {
      throw this.refuse(err, { op: 'unlock', ...(name ? { ca: name } : {}) });
    }
  }

  /**
   * A trust store for this PKI: the root, every issuing CA, and revocation read live from the
   * authority database (a remote verifier uses CRLs instead).
   */
  trustStore(): TrustStore {
    return new TrustStore({
      trustDomain: this.trustDomain,
      root: this.root,
      cas: this.caNames().map((n) => this.caCertificate(n)),
      revocation: (_ca, serial) => this.store.revocation(serial),
    });
  }

  /** Checks the issuance log (see PkiStore.verifyLog). */
  verifyLog(): LogReport {
    return this.store.verifyLog();
  }

  /** Closes the authority database. */
  close(): void {
    this.store.close();
  }
}

function networkNames(
  identityKind: Profile,
  sans: TokenSans | undefined,
): { dnsNames: string[]; ipAddresses: string[] } {
  if (identityKind !== 'broker') return { dnsNames: [], ipAddresses: [] };
  const dns = sans?.dns ?? [];
  const ip = sans?.ip ?? [];
  // A broker enrolled without names gets the loopback ones: what the embedded network uses.
  if (dns.length === 0 && ip.length === 0)
    return { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] };
  return { dnsNames: dns, ipAddresses: ip };
}

/** Checks DNS names and IP addresses a broker certificate may carry. */
export function checkNetworkNames(dns: string[], ip: string[]): void {
  for (const d of dns) {
    if (
      !/^(?=.{1,253}$)(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
        d,
      )
    ) {
      throw new PkiError('INPUT_INVALID', `invalid DNS name ${JSON.stringify(d)}`);
    }
  }
  for (const a of ip)
    if (!isIP(a)) throw new PkiError('INPUT_INVALID', `invalid IP address ${JSON.stringify(a)}`);
}

function sanList(cert: X509Certificate): TokenSans {
  const out: TokenSans = { dns: [], ip: [] };
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) out.dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) out.ip.push(part.slice(11));
  }
  return out;
}

/** An unlocked issuing CA: makes tokens, issues, renews and revokes certificates, and signs CRLs. */
export class IssuingCa {
  private readonly issuer: IssuerInfo;
  /** The provisioner's public key imported once for WebCrypto, which jose verifies with. */
  private tokenKey: Promise<webcrypto.CryptoKey> | undefined;

  /** @internal use Pki.unlockCa */
  constructor(
    readonly pki: Pki,
    readonly name: CaName,
    readonly certificate: X509Certificate,
    private readonly key: KeyObject,
    private readonly provisionerKey: KeyObject,
    private readonly provisionerPublicKey: KeyObject,
  ) {
    this.issuer = issuerInfo(certificate);
  }

  /** Makes a one-time enrollment token for one identity of this CA. */
  async createToken(
    identityInput: string,
    args: { ttlSeconds?: number; dns?: string[]; ip?: string[] } = {},
  ): Promise<{ token: string; jti: string; expiresAt: Date }> {
    let identityString = identityInput;
    try {
      const identity = parseIdentity(identityInput);
      identityString = formatIdentity(identity);
      if (issuerFor(identity) !== this.name) {
        throw new PkiError(
          'CA_NOT_AUTHORIZED',
          `CA ${this.name} may not issue for ${identityString} (its CA is ${issuerFor(identity)})`,
        );
      }
      const dns = args.dns ?? [];
      const ip = args.ip ?? [];
      if ((dns.length || ip.length) && identity.kind !== 'broker')
        throw new PkiError(
          'INPUT_INVALID',
          'only broker certificates carry DNS names or IP addresses',
        );
      checkNetworkNames(dns, ip);
      const now = this.pki.clock();
      const t = await signEnrollmentToken(this.provisionerKey, {
        trustDomain: this.pki.trustDomain,
        ca: this.name,
        identity: identityString,
        ttlSeconds: args.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
        sans: { dns, ip },
        now,
      });
      this.pki.store.log({
        at: now.toISOString(),
        event: 'token',
        ca: this.name,
        identity: identityString,
        detail: { jti: t.jti, expiresAt: t.expiresAt.toISOString() },
      });
      return t;
    } catch (err) {
      throw this.pki.refuse(err, { op: 'token', ca: this.name, identity: identityString });
    }
  }

  private sign(
    identityString: string,
    publicKey: KeyObject,
    sans: TokenSans | undefined,
    days: number | undefined,
  ): Omit<IssuedCertificate, 'chainPem'> & { notBefore: Date } {
    const identity = parseIdentity(identityString);
    const now = this.pki.clock();
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    const notAfter = new Date(
      Math.min(
        now.getTime() + lifetime(days ?? DEFAULT_LIFETIME_DAYS.leaf, 'certificate'),
        new Date(this.certificate.validTo).getTime(),
      ),
    );
    const serial = newSerial();
    const { pem } = buildCertificate(
      {
        profile: identity.kind,
        serial,
        commonName: identityString,
        organization: this.pki.trustDomain,
        publicKey,
        notBefore,
        notAfter,
        uris: [identityUri(this.pki.trustDomain, identity)],
        ...networkNames(identity.kind, sans),
        issuer: this.issuer,
      },
      this.key,
    );
    return {
      serial,
      identity: identityString,
      ca: this.name,
      certificatePem: pem,
      notBefore,
      notAfter,
      renewAfter: renewalDue(notBefore, notAfter),
    };
  }

  private record(
    issued: ReturnType<IssuingCa['sign']>,
    how: 'issue' | 'renew',
    extra: { replaces?: string; jti?: string },
  ): IssuedCertificate {
    const at = this.pki.clock();
    const rec: CertificateRecord = {
      serial: issued.serial,
      ca: this.name,
      identity: issued.identity,
      kind: parseIdentity(issued.identity).kind,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      issuedAt: at,
      how,
      ...(extra.replaces ? { replaces: extra.replaces } : {}),
      pem: issued.certificatePem,
    };
    const seq = this.pki.store.append({
      at: at.toISOString(),
      event: how,
      ca: this.name,
      identity: issued.identity,
      serial: issued.serial,
      detail: {
        notAfter: issued.notAfter.toISOString(),
        ...(extra.jti ? { jti: extra.jti } : {}),
        ...(extra.replaces ? { replaces: extra.replaces } : {}),
      },
    });
    this.pki.store.insertCertificate(rec, seq);
    this.pki.logger.info(
      { ca: this.name, identity: issued.identity, serial: issued.serial, how },
      'certificate issued',
    );
    return { ...issued, chainPem: issued.certificatePem + this.certificate.toString() };
  }

  /**
   * Issues a certificate for a CSR presented with a one-time enrollment token: checks the CSR's
   * signature, that this CA may issue for its identity, and the token (signature, audience,
   * expiry, identity, single use). Refusals are logged; nothing is issued.
   */
  async issue(args: { csrPem: string; token: string; days?: number }): Promise<IssuedCertificate> {
    let identity: string | undefined;
    try {
      const csr = verifyCsr(args.csrPem, this.pki.trustDomain);
      identity = csr.identityString;
      if (issuerFor(csr.identity) !== this.name) {
        throw new PkiError(
          'CA_NOT_AUTHORIZED',
          `CA ${this.name} may not issue for ${identity} (its CA is ${issuerFor(csr.identity)})`,
        );
      }
      const now = this.pki.clock();
      this.tokenKey ??= importSPKI(publicKeyToPem(this.provisionerPublicKey), 'ES256');
      const claims = await verifyEnrollmentToken(args.token, await this.tokenKey, {
        trustDomain: this.pki.trustDomain,
        ca: this.name,
        now,
      });
      if (claims.identity !== identity) {
        throw new PkiError(
          'CSR_IDENTITY_MISMATCH',
          `the CSR asks for ${identity} but the token is for ${claims.identity}`,
        );
      }
      const issued = this.sign(identity, csr.publicKey, claims.sans, args.days);
      return this.pki.store.transaction(() => {
        this.pki.store.spendToken(claims.jti, this.name, claims.identity, now, claims.expiresAt);
        return this.record(issued, 'issue', { jti: claims.jti });
      });
    } catch (err) {
      throw this.pki.refuse(err, { op: 'issue', ca: this.name, ...(identity ? { identity } : {}) });
    }
  }

  /**
   * Renews a certificate without a token. The proof is a JWS (see `createRenewalRequest`) made
   * with the current key and chain over the hash of the new CSR; the current certificate must be
   * valid, unrevoked and of this CA, and the CSR must ask for the same identity.
   */
  async renew(args: { csrPem: string; proof: string; days?: number }): Promise<IssuedCertificate> {
    let identity: string | undefined;
    try {
      const csr = verifyCsr(args.csrPem, this.pki.trustDomain);
      identity = csr.identityString;
      const now = this.pki.clock();
      let proof: Awaited<ReturnType<typeof verifyJws>>;
      try {
        proof = await verifyJws(args.proof, this.pki.trustStore(), {
          at: now,
          typ: RENEWAL_PROOF_TYPE,
        });
      } catch (cause) {
        if (cause instanceof PkiError && cause.code.startsWith('CERT_')) throw cause;
        throw new PkiError(
          'PROOF_INVALID',
          'the renewal proof is not a valid signature by the current certificate',
          { cause },
        );
      }
      if (proof.signer.ca !== this.name)
        throw new PkiError(
          'CA_NOT_AUTHORIZED',
          `the current certificate was issued by CA ${proof.signer.ca}, not ${this.name}`,
        );
      const payload = JSON.parse(
        new TextDecoder().decode(proof.payload),
      ) as Partial<RenewalProofPayload>;
      const csrHash = createHash('sha256').update(csr.der).digest('base64url');
      if (payload.csr !== csrHash)
        throw new PkiError('PROOF_INVALID', 'the renewal proof was made for another CSR');
      if (
        typeof payload.iat !== 'number' ||
        Math.abs(now.getTime() - payload.iat * 1000) > RENEWAL_PROOF_MAX_AGE_MS
      ) {
        throw new PkiError(
          'PROOF_INVALID',
          'the renewal proof is stale or from the future; make a new one',
        );
      }
      if (proof.signer.identityString !== identity) {
        throw new PkiError(
          'CSR_IDENTITY_MISMATCH',
          `the CSR asks for ${identity} but the current certificate is for ${proof.signer.identityString}`,
        );
      }
      const issued = this.sign(
        identity,
        csr.publicKey,
        sanList(proof.signer.certificate),
        args.days,
      );
      return this.pki.store.transaction(() =>
        this.record(issued, 'renew', { replaces: proof.signer.serial }),
      );
    } catch (err) {
      throw this.pki.refuse(err, { op: 'renew', ca: this.name, ...(identity ? { identity } : {}) });
    }
  }

  /** Revokes a certificate of this CA by serial. */
  revoke(serialInput: string, reason: string): CertificateRecord {
    const serial = normalizeSerial(serialInput);
    try {
      if (!isRevocationReason(reason)) {
        throw new PkiError(
          'INPUT_INVALID',
          `unknown revocation reason ${JSON.stringify(reason)}: use one of ${Object.keys(REVOCATION_REASONS).join(', ')}`,
        );
      }
      return this.pki.store.transaction(() => {
        const rec = this.pki.store.certificate(serial);
        if (!rec || rec.ca !== this.name)
          throw new PkiError(
            'SERIAL_UNKNOWN',
            `CA ${this.name} issued no certificate with serial ${serial}`,
          );
        if (rec.revokedAt)
          throw new PkiError(
            'ALREADY_REVOKED',
            `certificate ${serial} was already revoked at ${rec.revokedAt.toISOString()}`,
          );
        const at = this.pki.clock();
        this.pki.store.append({
          at: at.toISOString(),
          event: 'revoke',
          ca: this.name,
          identity: rec.identity,
          serial,
          detail: { reason },
        });
        this.pki.store.markRevoked(serial, at, reason);
        this.pki.logger.info(
          { ca: this.name, serial, identity: rec.identity, reason },
          'certificate revoked',
        );
        return { ...rec, revokedAt: at, reason };
      });
    } catch (err) {
      throw this.pki.refuse(err, { op: 'revoke', ca: this.name });
    }
  }

  /** Signs a fresh CRL of this CA's revoked, unexpired certificates. */
  crl(args: { days?: number } = {}): {
    pem: string;
    der: Buffer;
    number: number;
    thisUpdate: Date;
    nextUpdate: Date;
    entries: number;
  } {
    const now = this.pki.clock();
    const nextUpdate = new Date(now.getTime() + lifetime(args.days ?? 7, 'CRL'));
    return this.pki.store.transaction(() => {
      const number = this.pki.store.nextCrlNumber(this.name);
      const entries = this.pki.store.revoked(this.name, now).map((r) => ({
        ...r,
        reason: (isRevocationReason(r.reason) ? r.reason : 'unspecified') as RevocationReason,
      }));
      const { pem, der } = buildCrl({
        issuer: this.certificate,
        signingKey: this.key,
        thisUpdate: now,
        nextUpdate,
        crlNumber: number,
        entries,
      });
      this.pki.store.append({
        at: now.toISOString(),
        event: 'crl',
        ca: this.name,
        detail: { number, entries: entries.length, nextUpdate: nextUpdate.toISOString() },
      });
      return { pem, der, number, thisUpdate: now, nextUpdate, entries: entries.length };
    });
  }
}
