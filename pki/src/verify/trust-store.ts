import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { PkiError } from '../errors.js';
import {
  issuerFor,
  parseCaName,
  parseIdentity,
  parseSpiffeUri,
  formatIdentity,
  type CaName,
  type Identity,
  type IdentityKind,
} from '../identity/identity.js';
import { certificateUris, normalizeSerial } from '../x509/certificate.js';
import { parseCrl, verifyCrl, type ParsedCrl } from '../x509/crl.js';
import { pemBlocks } from '../x509/der.js';
import { KNOWN_CRITICAL, readExtensions } from '../x509/extensions.js';
import { EKU } from '../x509/profiles.js';

/** A leaf certificate that passed every check, with the identity it proves. */
export interface VerifiedCertificate {
  identity: Identity;
  /** Canonical identity string, e.g. `station/MH/PUNE/PS042`. */
  identityString: string;
  kind: IdentityKind;
  /** The issuing CA. */
  ca: CaName;
  /** Normalized hex serial. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint of the leaf, hex. */
  fingerprint: string;
  publicKey: KeyObject;
  certificate: X509Certificate;
}

/** What a verification asks for beyond a valid chain. */
export interface VerifyOptions {
  /** Time to check validity at (default: now). */
  at?: Date;
  /** Identity kinds allowed (e.g. only stations on the station link). */
  kinds?: readonly IdentityKind[];
  /** `server` also requires the serverAuth EKU. Default `client`. */
  usage?: 'client' | 'server';
}

/** Looks up whether a serial of a CA is revoked. */
export type RevocationLookup = (
  ca: CaName,
  serial: string,
) => { revokedAt: Date; reason: string } | undefined;

/** Anything that names certificates: PEM text (one or more blocks), DER buffers or parsed certificates. */
export type CertificateInput = string | Buffer | X509Certificate;

function toCertificates(input: CertificateInput | readonly CertificateInput[]): X509Certificate[] {
  const list = Array.isArray(input) ? input : [input];
  const out: X509Certificate[] = [];
  try {
    for (const item of list as CertificateInput[]) {
      if (item instanceof X509Certificate) out.push(item);
      else if (Buffer.isBuffer(item)) out.push(new X509Certificate(item));
      else for (const der of pemBlocks(item, 'CERTIFICATE')) out.push(new X509Certificate(der));
    }
  } catch (cause) {
    throw new PkiError('CERT_INVALID', 'a certificate in the chain cannot be parsed', { cause });
  }
  if (out.length === 0) throw new PkiError('CERT_INVALID', 'no certificate given');
  return out;
}

interface CaEntry {
  name: CaName;
  cert: X509Certificate;
}

interface ChainEntry {
  ca: CaEntry;
  identity: Identity;
  kind: IdentityKind;
  serverAuth: boolean;
  serial: string;
  leaf: X509Certificate;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  publicKey: KeyObject;
  caNotBefore: Date;
  caNotAfter: Date;
}

const MAX_CACHE = 50_000;

/**
 * The trust anchors of one deployment: the root, the issuing CAs seen so far and their CRLs.
 * Chain signatures are checked once per distinct chain and cached; validity dates and
 * revocation are checked on every call, so a new CRL takes effect at once.
 */
export class TrustStore {
  readonly trustDomain: string;
  readonly root: X509Certificate;
  private readonly cas = new Map<string, CaEntry>();
  private readonly crls = new Map<CaName, ParsedCrl>();
  private readonly chains = new Map<string, ChainEntry>();
  private readonly x5cChains = new Map<string, ChainEntry>();
  private readonly revocation: RevocationLookup | undefined;

  constructor(opts: {
    trustDomain: string;
    root: CertificateInput;
    cas?: CertificateInput[];
    crls?: Array<string | Buffer>;
    /** A live revocation source besides CRLs (the authority's own database). */
    revocation?: RevocationLookup;
  }) {
    this.trustDomain = opts.trustDomain;
    this.revocation = opts.revocation;
    const [root] = toCertificates(opts.root);
    if (!root!.ca || !root!.checkIssued(root!) || !root!.verify(root!.publicKey)) {
      throw new PkiError('CHAIN_INVALID', 'the root given is not a self-signed CA certificate');
    }
    this.root = root!;
    for (const ca of opts.cas ?? []) for (const c of toCertificates(ca)) this.addCa(c);
    for (const crl of opts.crls ?? []) this.addCrl(crl);
  }

  /** The known issuing CA certificate of a leaf (to hand others a complete chain), if any. */
  issuerOf(leaf: X509Certificate): X509Certificate | undefined {
    return [...this.cas.values()]
      .map((c) => c.cert)
      .find((c) => leaf.checkIssued(c) && leaf.verify(c.publicKey));
  }

  /** Checks an issuing CA certificate against the root and remembers it. Returns its name. */
  addCa(input: CertificateInput): CaName {
    const [cert] = toCertificates(input);
    return this.checkCa(cert!).name;
  }

  /**
   * Verifies a CRL against its issuing CA and installs it, unless a newer one (higher CRL
   * number) is already installed. Returns the CA it belongs to.
   */
  addCrl(input: string | Buffer): CaName {
    const crl = parseCrl(input);
    const ca = [...this.cas.values()].find((c) => {
      try {
        verifyCrl(crl, c.cert);
        return true;
      } catch {
        return false;
      }
    });
    if (!ca) throw new PkiError('CRL_INVALID', 'the CRL is not signed by any known issuing CA');
    const current = this.crls.get(ca.name);
    if (!current || (crl.crlNumber ?? 0n) >= (current.crlNumber ?? 0n)) this.crls.set(ca.name, crl);
    return ca.name;
  }

  /** The installed CRL of a CA, if any. */
  crlOf(ca: CaName): ParsedCrl | undefined {
    return this.crls.get(ca);
  }

  private checkCa(cert: X509Certificate): CaEntry {
    const cached = this.cas.get(cert.fingerprint256);
    if (cached) return cached;
    if (!cert.ca || !cert.checkIssued(this.root) || !cert.verify(this.root.publicKey)) {
      throw new PkiError(
        'CHAIN_INVALID',
        'the issuing CA certificate is not signed by the trusted root',
      );
    }
    const ext = readExtensions(cert);
    if (!ext.isCa || (ext.keyUsage && !ext.keyUsage.keyCertSign)) {
      throw new PkiError('CHAIN_INVALID', 'the issuing CA certificate may not sign certificates');
    }
    const uri = certificateUris(cert).find((u) => u.startsWith('spiffe://'));
    let name: CaName;
    try {
      const { trustDomain, path } = parseSpiffeUri(uri ?? '');
      if (trustDomain !== this.trustDomain || !path.startsWith('ca/'))
        throw new Error('foreign CA');
      name = parseCaName(path.slice(3));
    } catch (cause) {
      throw new PkiError(
        'CHAIN_INVALID',
        'the issuing CA certificate does not name a CA of this trust domain',
        { cause },
      );
    }
    const entry = { name, cert };
    if (this.cas.size > 1000) this.cas.clear();
    this.cas.set(cert.fingerprint256, entry);
    return entry;
  }

  private checkChain(certs: X509Certificate[]): ChainEntry {
    const key = certs.map((c) => c.fingerprint256).join('|');
    const cached = this.chains.get(key);
    if (cached) return cached;
    const leaf = certs[0]!;
    if (leaf.ca) throw new PkiError('CERT_USAGE', 'a CA certificate cannot be used as an identity');
    const candidates = [...certs.slice(1), ...[...this.cas.values()].map((c) => c.cert)];
    const issuer = candidates.find((c) => leaf.checkIssued(c) && leaf.verify(c.publicKey));
    if (!issuer)
      throw new PkiError('CHAIN_INVALID', 'the certificate was not issued by a CA of this PKI');
    const ca = this.checkCa(issuer);
    const ext = readExtensions(leaf);
    const unknown = ext.critical.filter((oid) => !KNOWN_CRITICAL.has(oid));
    if (unknown.length)
      throw new PkiError('CERT_INVALID', `unknown critical extension ${unknown[0]}`);
    const uris = certificateUris(leaf).filter((u) => u.startsWith('spiffe://'));
    if (uris.length !== 1)
      throw new PkiError(
        'CERT_INVALID',
        'the certificate must carry exactly one spiffe identity URI',
      );
    let identity: Identity;
    try {
      const { trustDomain, path } = parseSpiffeUri(uris[0]!);
      if (trustDomain !== this.trustDomain) {
        throw new PkiError(
          'TRUST_DOMAIN_MISMATCH',
          `the certificate belongs to trust domain ${trustDomain}, not ${this.trustDomain}`,
        );
      }
      identity = parseIdentity(path);
    } catch (cause) {
      if (cause instanceof PkiError && cause.code === 'TRUST_DOMAIN_MISMATCH') throw cause;
      throw new PkiError('CERT_INVALID', 'the certificate identity is malformed', { cause });
    }
    if (issuerFor(identity) !== ca.name) {
      throw new PkiError(
        'CERT_ISSUER_MISMATCH',
        `${formatIdentity(identity)} must be issued by CA ${issuerFor(identity)}, not ${ca.name}`,
      );
    }
    const eku = ext.extKeyUsage ?? [];
    if (!ext.keyUsage?.digitalSignature || !eku.includes(EKU.clientAuth)) {
      throw new PkiError('CERT_USAGE', 'the certificate lacks digitalSignature / clientAuth usage');
    }
    const entry: ChainEntry = {
      ca,
      identity,
      kind: identity.kind,
      serverAuth: eku.includes(EKU.serverAuth),
      serial: normalizeSerial(leaf.serialNumber),
      leaf,
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      fingerprint: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
      publicKey: leaf.publicKey,
      caNotBefore: new Date(ca.cert.validFrom),
      caNotAfter: new Date(ca.cert.validTo),
    };
    if (this.chains.size >= MAX_CACHE) this.chains.clear();
    this.chains.set(key, entry);
    return entry;
  }

  /**
   * Verifies a presented chain (leaf first; the issuing CA may be included or already known):
   * signatures up to the root, validity dates of leaf and CA, key usage for the profile, the
   * issuing CA matching the identity's state, and revocation. Throws a PkiError naming the check.
   */
  verify(
    chain: CertificateInput | readonly CertificateInput[],
    opts: VerifyOptions = {},
  ): VerifiedCertificate {
    return this.finish(this.checkChain(toCertificates(chain)), opts);
  }

  /**
   * `verify` for a JWS `x5c` header (base64 DER, leaf first). The chain is looked up by its text,
   * so after the first message of a holder no certificate is parsed again.
   */
  verifyX5c(x5c: readonly string[], opts: VerifyOptions = {}): VerifiedCertificate {
    const key = x5c.join('.');
    let entry = this.x5cChains.get(key);
    if (!entry) {
      entry = this.checkChain(toCertificates(x5c.map((b64) => Buffer.from(b64, 'base64'))));
      if (this.x5cChains.size >= MAX_CACHE) this.x5cChains.clear();
      this.x5cChains.set(key, entry);
    }
    return this.finish(entry, opts);
  }

  /** The checks made on every use: dates of leaf and CA, kind, usage, revocation. */
  private finish(entry: ChainEntry, opts: VerifyOptions): VerifiedCertificate {
    const at = (opts.at ?? new Date()).getTime();
    for (const [from, to, what] of [
      [entry.caNotBefore, entry.caNotAfter, `issuing CA ${entry.ca.name}`],
      [entry.notBefore, entry.notAfter, 'certificate'],
    ] as const) {
      if (at < from.getTime())
        throw new PkiError(
          'CERT_NOT_YET_VALID',
          `the ${what} is not valid until ${from.toISOString()}`,
        );
      if (at > to.getTime())
        throw new PkiError('CERT_EXPIRED', `the ${what} expired at ${to.toISOString()}`);
    }
    if (opts.kinds && !opts.kinds.includes(entry.kind)) {
      throw new PkiError(
        'CERT_USAGE',
        `a ${entry.kind} certificate is not accepted here (expected ${opts.kinds.join(' or ')})`,
      );
    }
    if (opts.usage === 'server' && !entry.serverAuth)
      throw new PkiError('CERT_USAGE', 'the certificate may not be used by a server');
    const revoked =
      this.crls.get(entry.ca.name)?.revoked.get(entry.serial) ??
      this.revocation?.(entry.ca.name, entry.serial);
    if (revoked) {
      throw new PkiError(
        'CERT_REVOKED',
        `certificate ${entry.serial} of ${formatIdentity(entry.identity)} was revoked (${revoked.reason}) at ${revoked.revokedAt.toISOString()}`,
      );
    }
    return {
      identity: entry.identity,
      identityString: formatIdentity(entry.identity),
      kind: entry.kind,
      ca: entry.ca.name,
      serial: entry.serial,
      notBefore: entry.notBefore,
      notAfter: entry.notAfter,
      fingerprint: entry.fingerprint,
      publicKey: entry.publicKey,
      certificate: entry.leaf,
    };
  }
}

/** SHA-256 of bytes, hex. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
