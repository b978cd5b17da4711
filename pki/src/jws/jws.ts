import {
  constants,
  sign as cryptoSign,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import type { CompactJWSHeaderParameters } from 'jose';
import { PkiError } from '../errors.js';
import type { TrustStore, VerifiedCertificate, VerifyOptions } from '../verify/trust-store.js';
import { pemBlocks } from '../x509/der.js';

/** The JWS algorithm every holder signs with (RSASSA-PSS with SHA-256). */
export const JWS_ALG = 'PS256';

/**
 * PS256 as RFC 7518 defines it: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt as long as the hash.
 * Signing and verifying call node's crypto directly: the same primitive as WebCrypto without its
 * per-call overhead, which dominated a broker's signature checks.
 */
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function b64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

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
    const input = `${b64url(JSON.stringify({ ...header, alg: JWS_ALG, x5c: this.x5c }))}.${b64url(payload)}`;
    // The private-key operation runs on libuv's thread pool, off the event loop.
    const signature = await new Promise<Buffer>((resolve, reject) =>
      cryptoSign('sha256', Buffer.from(input), { key: this.key, ...PSS }, (err, sig) =>
        err ? reject(err) : resolve(sig),
      ),
    );
    return `${input}.${signature.toString('base64url')}`;
  }
}

/**
 * The payload of a compact JWS, decoded but NOT verified: for reading what is already trusted
 * (an entry of the broker's own log, a message whose signature was checked before).
 */
export function unverifiedPayload(jws: string): Buffer {
  return Buffer.from(jws.split('.')[1] ?? '', 'base64url');
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
  try {
    const parts = jws.split('.');
    if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p)))
      throw new PkiError('JWS_INVALID', 'not a compact JWS');
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
    let header: CompactJWSHeaderParameters;
    try {
      header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
    } catch (cause) {
      throw new PkiError('JWS_INVALID', 'the JWS header is not JSON', { cause });
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw new PkiError('JWS_INVALID', 'the JWS header is not an object');
    if (opts.typ !== undefined && header.typ !== opts.typ) {
      throw new PkiError(
        'JWS_INVALID',
        `expected a ${opts.typ} message, got ${String(header.typ)}`,
      );
    }
    // Only PS256, and no extension this verifier would have to understand (RFC 7515 crit, b64).
    if (header.alg !== JWS_ALG || 'crit' in header || 'b64' in header)
      throw new PkiError('JWS_INVALID', 'the signature does not verify');
    if (!Array.isArray(header.x5c) || header.x5c.length === 0 || header.x5c.length > 4) {
      throw new PkiError('JWS_INVALID', 'the signature carries no certificate chain (x5c)');
    }
    const signer = trust.verifyX5c(header.x5c, opts);
    // The public-key operation runs on libuv's thread pool too, off the event loop (a broker
    // verifies every alert it admits).
    const ok = await new Promise<boolean>((resolve, reject) =>
      cryptoVerify(
        'sha256',
        Buffer.from(`${encodedHeader}.${encodedPayload}`),
        { key: signer.publicKey, ...PSS },
        Buffer.from(encodedSignature, 'base64url'),
        (err, result) => (err ? reject(err) : resolve(result)),
      ),
    );
    if (!ok) throw new PkiError('JWS_INVALID', 'the signature does not verify');
    return { payload: Buffer.from(encodedPayload, 'base64url'), header, signer };
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError('JWS_INVALID', 'the signature does not verify', { cause });
  }
}
