import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  type CompactJWSHeaderParameters,
} from 'jose';
import { PkiError } from '../errors.js';
import type { TrustStore, VerifiedCertificate, VerifyOptions } from '../verify/trust-store.js';
import { pemBlocks } from '../x509/der.js';

/** The JWS algorithm every holder signs with (RSASSA-PSS with SHA-256). */
export const JWS_ALG = 'PS256';

/**
 * Signs bytes as compact JWS with the holder's key, carrying the holder's chain in `x5c` so any
 * receiver can check the signature back to the root. The key and chain are imported once.
 */
export class JwsSigner {
  private readonly x5c: string[];

  constructor(
    private readonly key: KeyObject,
    chain: string | readonly X509Certificate[],
  ) {
    const certs =
      typeof chain === 'string'
        ? pemBlocks(chain, 'CERTIFICATE').map((d) => new X509Certificate(d))
        : chain;
    if (certs.length === 0)
      throw new PkiError('CERT_INVALID', 'a signer needs its certificate chain');
    if (!certs[0]!.checkPrivateKey(key))
      throw new PkiError('INPUT_INVALID', 'the private key does not belong to the certificate');
    this.x5c = certs.map((c) => c.raw.toString('base64'));
  }

  /** Signs `payload`; extra protected header fields (e.g. `typ`) may be added. */
  async sign(payload: Uint8Array | string, header: Record<string, unknown> = {}): Promise<string> {
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    return new CompactSign(bytes)
      .setProtectedHeader({ ...header, alg: JWS_ALG, x5c: this.x5c })
      .sign(this.key);
  }
}

/** A verified JWS: its payload, protected header and the signer's verified certificate. */
export interface VerifiedJws {
  payload: Uint8Array;
  header: CompactJWSHeaderParameters;
  signer: VerifiedCertificate;
}

/**
 * Verifies a compact JWS whose `x5c` chain leads to `trust`'s root, with the same checks as a
 * TLS peer (validity, usage, issuing CA of the right state, revocation).
 */
export async function verifyJws(
  jws: string,
  trust: TrustStore,
  opts: VerifyOptions & { typ?: string } = {},
): Promise<VerifiedJws> {
  let signer: VerifiedCertificate | undefined;
  try {
    const header = decodeProtectedHeader(jws);
    if (opts.typ !== undefined && header.typ !== opts.typ) {
      throw new PkiError(
        'JWS_INVALID',
        `expected a ${opts.typ} message, got ${String(header.typ)}`,
      );
    }
    const result = await compactVerify(
      jws,
      (h) => {
        if (!Array.isArray(h.x5c) || h.x5c.length === 0 || h.x5c.length > 4) {
          throw new PkiError('JWS_INVALID', 'the signature carries no certificate chain (x5c)');
        }
        signer = trust.verifyX5c(h.x5c, opts);
        return signer.publicKey;
      },
      { algorithms: [JWS_ALG] },
    );
    return { payload: result.payload, header: result.protectedHeader, signer: signer! };
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError('JWS_INVALID', 'the signature does not verify', { cause });
  }
}
