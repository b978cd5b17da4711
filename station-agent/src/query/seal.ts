import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { pemBlocks, verifyJws, type JwsSigner, type TrustStore } from '@cctns/pki';
import { SealedPackage } from '@cctns/proto';
import { compactDecrypt, CompactEncrypt } from 'jose';
import { AgentError } from '../errors.js';

/** JWS `typ` of the signed package inside a sealed case record. */
export const SEALED_JWS_TYPE = 'cctns-sealed+jws';
/** Key management and content encryption of a sealed case record. */
export const SEALED_ALG = 'RSA-OAEP-256';
export const SEALED_ENC = 'A256GCM';

/**
 * Checks a recipient's certificate chain (from the directory: not trusted until verified here)
 * and returns its public key: it must be a station of this PKI, with the identity asked for.
 */
export function recipientKey(trust: TrustStore, chainPem: string, recipient: string): KeyObject {
  let v;
  try {
    v = trust.verify(chainPem, { kinds: ['station'] });
  } catch (err) {
    throw new AgentError(
      'RECIPIENT_INVALID',
      `the certificate given for ${recipient} does not verify: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (v.identityString !== recipient)
    throw new AgentError(
      'RECIPIENT_INVALID',
      `the directory gave a certificate of ${v.identityString}, not of ${recipient}`,
    );
  return createPublicKey(
    new X509Certificate(pemBlocks(chainPem, 'CERTIFICATE')[0]!).publicKey.export({
      type: 'spki',
      format: 'pem',
    }),
  );
}

/**
 * Seals a package to its recipient: signed by the sender (JWS, PS256, chain in x5c), then
 * encrypted to the recipient's certificate key (JWE, RSA-OAEP-256 + A256GCM). Only the holder of
 * the recipient's private key can read it; anyone who can read it can check who wrote it.
 */
export async function seal(signer: JwsSigner, key: KeyObject, pkg: SealedPackage): Promise<string> {
  const jws = await signer.sign(SealedPackage.encode(pkg).finish(), { typ: SEALED_JWS_TYPE });
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ alg: SEALED_ALG, enc: SEALED_ENC, cty: 'JWS', typ: 'cctns-sealed+jwe' })
    .encrypt(key);
}

/**
 * Opens a sealed package addressed to `recipient` with its private key, verifies the sender's
 * signature against the trust store, and checks that the package was written by `sender` (the
 * alert's verified sender) for `recipient` — a package cannot be re-addressed or re-attributed.
 */
export async function openSealed(args: {
  jwe: string;
  privateKey: KeyObject;
  trust: TrustStore;
  sender: string;
  recipient: string;
}): Promise<SealedPackage> {
  let inner: string;
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(args.jwe, args.privateKey, {
      keyManagementAlgorithms: [SEALED_ALG],
      contentEncryptionAlgorithms: [SEALED_ENC],
    });
    if (protectedHeader.cty !== 'JWS') throw new Error('not a sealed JWS');
    inner = new TextDecoder().decode(plaintext);
  } catch (err) {
    throw new AgentError(
      'SEALED_INVALID',
      `the sealed record cannot be opened with this station's key: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let v;
  try {
    v = await verifyJws(inner, args.trust, { typ: SEALED_JWS_TYPE });
  } catch (err) {
    throw new AgentError(
      'SEALED_INVALID',
      `the sealed record's signature does not verify: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const pkg = SealedPackage.decode(v.payload);
  if (v.signer.identityString !== args.sender || pkg.sender !== args.sender)
    throw new AgentError(
      'SEALED_INVALID',
      `the sealed record was signed by ${v.signer.identityString}, not by its sender ${args.sender}`,
    );
  if (pkg.recipient !== args.recipient)
    throw new AgentError(
      'SEALED_INVALID',
      `the sealed record was written for ${pkg.recipient}, not for ${args.recipient}`,
    );
  return pkg;
}
