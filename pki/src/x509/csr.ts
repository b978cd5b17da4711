import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from '../errors.js';
import {
  identityUri,
  parseIdentity,
  parseSpiffeUri,
  formatIdentity,
  type Identity,
} from '../identity/identity.js';
import { MIN_RSA_BITS, type KeyPair } from '../keys/keys.js';
import { children, derToPem, pemToDer, readElement, splitSigned } from './der.js';
import { pki, utf8Field } from './certificate.js';

const { asn1 } = forge;

/** Hash to use for each accepted RSA signature algorithm OID. */
export const RSA_SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

/** A CSR whose signature verified, with the identity it asks for. */
export interface VerifiedCsr {
  identity: Identity;
  identityString: string;
  publicKey: KeyObject;
  der: Buffer;
}

/**
 * Creates a PKCS#10 CSR for `identity` with its URI SAN, signed by `keys` (where the key lives).
 */
export function createCsr(identity: string, trustDomain: string, keys: KeyPair): string {
  const id = parseIdentity(identity);
  const csr = pki.createCertificationRequest();
  csr.publicKey = pki.publicKeyFromPem(
    keys.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  );
  csr.setSubject([
    { name: 'organizationName', value: trustDomain },
    utf8Field('commonName', formatIdentity(id)),
  ]);
  csr.setAttributes([
    {
      name: 'extensionRequest',
      extensions: [
        { name: 'subjectAltName', altNames: [{ type: 6, value: identityUri(trustDomain, id) }] },
      ],
    },
  ]);
  const oid = pki.oids['sha256WithRSAEncryption']!;
  csr.signatureOid = oid;
  csr.siginfo.algorithmOid = oid;
  const cri = pki.getCertificationRequestInfo(csr);
  (csr as unknown as { certificationRequestInfo: forge.asn1.Asn1 }).certificationRequestInfo = cri;
  const criDer = Buffer.from(asn1.toDer(cri).getBytes(), 'binary');
  csr.signature = sign('sha256', criDer, keys.privateKey).toString('binary');
  const der = Buffer.from(asn1.toDer(pki.certificationRequestToAsn1(csr)).getBytes(), 'binary');
  return derToPem(der, 'CERTIFICATE REQUEST');
}

function csrInvalid(why: string, cause?: unknown): PkiError {
  return new PkiError('CSR_INVALID', `invalid CSR: ${why}`, { cause });
}

/**
 * Parses a CSR, verifies its own signature over the exact bytes received and extracts the
 * identity (URI SAN, else common name). Only RSA keys of 2048 bits or more are accepted.
 */
export function verifyCsr(pem: string, trustDomain: string): VerifiedCsr {
  let der: Buffer;
  let parts: ReturnType<typeof splitSigned>;
  let spki: Buffer;
  try {
    der = pem.includes('NEW CERTIFICATE REQUEST')
      ? pemToDer(pem, 'NEW CERTIFICATE REQUEST')
      : pemToDer(pem, 'CERTIFICATE REQUEST');
    parts = splitSigned(der);
    const cri = children(readElement(parts.tbs));
    if (cri.length < 3 || cri[2]!.tag !== 0x30) throw new Error('no SubjectPublicKeyInfo');
    spki = cri[2]!.raw;
  } catch (cause) {
    throw csrInvalid('not a PEM PKCS#10 certificate request', cause);
  }
  const hash = RSA_SIGNATURE_HASHES[parts.algorithmOid];
  if (!hash)
    throw csrInvalid(
      `unsupported signature algorithm ${parts.algorithmOid} (use SHA-256 with RSA)`,
    );
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (cause) {
    throw csrInvalid('unreadable public key', cause);
  }
  const details = publicKey.asymmetricKeyDetails;
  if (publicKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw csrInvalid(`the key must be RSA of at least ${MIN_RSA_BITS} bits`);
  }
  if (!verify(hash, parts.tbs, publicKey, parts.signature)) {
    throw new PkiError('CSR_SIGNATURE_INVALID', "the CSR's signature does not match its key");
  }
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromAsn1(asn1.fromDer(der.toString('binary')));
  } catch (cause) {
    throw csrInvalid('malformed request body', cause);
  }
  const cn = csr.subject.getField('CN') as { value: string } | null;
  const ext = csr.getAttribute({ name: 'extensionRequest' }) as {
    extensions?: Array<{ name: string; altNames?: Array<{ type: number; value: string }> }>;
  } | null;
  const uris = (ext?.extensions ?? [])
    .filter((e) => e.name === 'subjectAltName')
    .flatMap((e) => e.altNames ?? [])
    .filter((n) => n.type === 6)
    .map((n) => n.value);
  let identityString: string;
  if (uris.length > 1) throw csrInvalid('more than one URI SAN');
  if (uris.length === 1) {
    const { trustDomain: td, path } = parseSpiffeUri(uris[0]!);
    if (td !== trustDomain) {
      throw new PkiError(
        'TRUST_DOMAIN_MISMATCH',
        `the CSR is for trust domain ${td}, this PKI serves ${trustDomain}`,
      );
    }
    identityString = path;
    if (cn && cn.value !== path)
      throw csrInvalid(`common name ${JSON.stringify(cn.value)} differs from the URI SAN identity`);
  } else if (cn) {
    identityString = cn.value;
  } else {
    throw csrInvalid('no identity: put it in the common name or a spiffe URI SAN');
  }
  const identity = parseIdentity(identityString);
  return { identity, identityString: formatIdentity(identity), publicKey, der };
}
