import { createHash, X509Certificate } from 'node:crypto';
import { JwsSigner } from '../jws/jws.js';
import { certificateUris } from '../x509/certificate.js';
import { createCsr } from '../x509/csr.js';
import { pemBlocks } from '../x509/der.js';
import { parseSpiffeUri } from '../identity/identity.js';
import type { KeyPair } from '../keys/keys.js';

/** JWS `typ` of a renewal proof. */
export const RENEWAL_PROOF_TYPE = 'cctns-renew+jws';
/** How old (or how far ahead) a renewal proof may be. */
export const RENEWAL_PROOF_MAX_AGE_MS = 5 * 60 * 1000;

/** What a renewal proof signs: the new CSR's hash and the time. */
export interface RenewalProofPayload {
  csr: string;
  iat: number;
}

/**
 * Holder side of renewal: a CSR for the same identity (with the current key, or `newKeys`) and a
 * proof signed by the current key, so the CA needs no token.
 */
export async function createRenewalRequest(args: {
  chainPem: string;
  keys: KeyPair;
  newKeys?: KeyPair;
  now?: Date;
}): Promise<{ csrPem: string; proof: string }> {
  const certs = pemBlocks(args.chainPem, 'CERTIFICATE').map((d) => new X509Certificate(d));
  const uri = certificateUris(certs[0]!).find((u) => u.startsWith('spiffe://'))!;
  const { trustDomain, path } = parseSpiffeUri(uri);
  const csrPem = createCsr(path, trustDomain, args.newKeys ?? args.keys);
  const csrDer = pemBlocks(csrPem, 'CERTIFICATE REQUEST')[0]!;
  const payload: RenewalProofPayload = {
    csr: createHash('sha256').update(csrDer).digest('base64url'),
    iat: Math.floor((args.now ?? new Date()).getTime() / 1000),
  };
  const proof = await new JwsSigner(args.keys.privateKey, certs).sign(JSON.stringify(payload), {
    typ: RENEWAL_PROOF_TYPE,
  });
  return { csrPem, proof };
}
