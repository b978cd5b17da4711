import type { X509Certificate } from 'node:crypto';
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { LEAF_PROFILES, type Profile } from './profiles.js';
import { derToPem } from './der.js';

const { asn1, util } = forge;
/** forge's pki with the two TBS helpers its type definitions leave out. */
export const pki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
  getCertificationRequestInfo(csr: forge.pki.CertificateSigningRequest): forge.asn1.Asn1;
};

/** A UTF8String subject attribute (forge's types do not know `valueTagClass`). */
export function utf8Field(name: string, value: string): forge.pki.CertificateField {
  return { name, value, valueTagClass: asn1.Type.UTF8 } as unknown as forge.pki.CertificateField;
}

/** How far back a new certificate's notBefore is set, for clocks that run a little slow. */
export const BACKDATE_MS = 5 * 60 * 1000;

/** What goes into a certificate; everything else is fixed by the profile. */
export interface CertificateSpec {
  profile: Profile;
  /** Hex serial; see `newSerial`. */
  serial: string;
  commonName: string;
  organization: string;
  organizationalUnit?: string;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** URI SANs (spiffe identities). */
  uris: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  /** The issuer (see `issuerInfo`); omitted for the self-signed root. */
  issuer?: IssuerInfo;
}

/** What a certificate needs of its issuer, worked out once per CA rather than per issuance. */
export interface IssuerInfo {
  subject: forge.pki.CertificateField[];
  /** The issuer's subject key identifier as a binary string. */
  keyId: string;
}

/** Extracts the issuer information from a CA certificate. */
export function issuerInfo(caCert: X509Certificate): IssuerInfo {
  const issuer = pki.certificateFromPem(caCert.toString());
  const ski = issuer.getExtension('subjectKeyIdentifier') as
    { subjectKeyIdentifier?: string } | undefined;
  const keyId = ski?.subjectKeyIdentifier
    ? util.hexToBytes(ski.subjectKeyIdentifier)
    : pki
        .getPublicKeyFingerprint(issuer.publicKey as forge.pki.rsa.PublicKey, {
          type: 'RSAPublicKey',
        })
        .getBytes();
  return { subject: issuer.subject.attributes, keyId };
}

/** A fresh positive 128-bit serial as lower-case hex (first byte 0x40-0x7f: no sign or padding byte). */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b.toString('hex');
}

/** Canonical form of a serial for comparisons: lower-case hex, no colons, no leading zeros. */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return hex;
  return BigInt(`0x${hex}`).toString(16);
}

function forgePublicKey(key: KeyObject): forge.pki.rsa.PublicKey {
  return pki.publicKeyFromPem(
    key.export({ type: 'spki', format: 'pem' }) as string,
  ) as forge.pki.rsa.PublicKey;
}

function attributes(spec: CertificateSpec): forge.pki.CertificateField[] {
  const attrs: forge.pki.CertificateField[] = [
    { name: 'organizationName', value: spec.organization },
  ];
  if (spec.organizationalUnit)
    attrs.push({ name: 'organizationalUnitName', value: spec.organizationalUnit });
  // UTF8String: identities may hold characters PrintableString cannot (e.g. '_').
  attrs.push(utf8Field('commonName', spec.commonName));
  return attrs;
}

function extensions(spec: CertificateSpec): object[] {
  const exts: object[] = [];
  if (spec.profile === 'root' || spec.profile === 'ca') {
    exts.push({
      name: 'basicConstraints',
      critical: true,
      cA: true,
      ...(spec.profile === 'ca' ? { pathLenConstraint: 0 } : {}),
    });
    exts.push({
      name: 'keyUsage',
      critical: true,
      keyCertSign: true,
      cRLSign: true,
      digitalSignature: true,
    });
  } else {
    const p = LEAF_PROFILES[spec.profile];
    exts.push({ name: 'basicConstraints', critical: true, cA: false });
    exts.push({
      name: 'keyUsage',
      critical: true,
      digitalSignature: p.digitalSignature,
      keyEncipherment: p.keyEncipherment,
    });
    exts.push({ name: 'extKeyUsage', serverAuth: p.serverAuth, clientAuth: p.clientAuth });
  }
  const altNames: object[] = spec.uris.map((value) => ({ type: 6, value }));
  for (const dns of spec.dnsNames ?? []) altNames.push({ type: 2, value: dns });
  for (const ip of spec.ipAddresses ?? []) altNames.push({ type: 7, ip });
  if (altNames.length > 0) exts.push({ name: 'subjectAltName', altNames });
  // forge derives the SKI from the certificate's key; the AKI is the issuer's SKI (or our own for the root).
  exts.push({ name: 'subjectKeyIdentifier' });
  exts.push({
    name: 'authorityKeyIdentifier',
    keyIdentifier: spec.issuer ? spec.issuer.keyId : true,
  });
  return exts;
}

/**
 * Builds and signs a certificate. node-forge lays out the ASN.1; the signature is made by
 * node's crypto over the exact TBS bytes with a KeyObject imported once, which is what makes
 * issuing fast (forge's pure-JS RSA would dominate the cost).
 */
export function buildCertificate(
  spec: CertificateSpec,
  signingKey: KeyObject,
): { pem: string; der: Buffer } {
  const cert = pki.createCertificate();
  cert.serialNumber = spec.serial;
  cert.publicKey = forgePublicKey(spec.publicKey);
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const subject = attributes(spec);
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.subject : subject);
  cert.setExtensions(extensions(spec));
  const oid = pki.oids['sha256WithRSAEncryption']!;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  const tbs = Buffer.from(asn1.toDer(pki.getTBSCertificate(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, signingKey).toString('binary');
  const der = Buffer.from(asn1.toDer(pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { der, pem: derToPem(der, 'CERTIFICATE') };
}

/** The URI SANs of a certificate (node's parser; works for any key type). */
export function certificateUris(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  const out: string[] = [];
  // node renders SANs as `URI:a, DNS:b`; a comma inside a value is escaped as a JSON string.
  for (const part of san.split(/, (?=[A-Za-z ]+:)/)) {
    if (part.startsWith('URI:')) {
      const v = part.slice(4);
      out.push(v.startsWith('"') ? (JSON.parse(v) as string) : v);
    }
  }
  return out;
}
