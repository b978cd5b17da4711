import { createHash } from 'node:crypto';

/** How many verified messages a broker remembers, by default. */
export const VERIFIED_CACHE_ENTRIES = 4096;
/** How long a verification is reused, by default: a revocation takes effect after this at most. */
export const VERIFIED_CACHE_TTL_MS = 60_000;

/** The key of a signed message: SHA-256 of its exact bytes (the compact JWS). */
export function digestOf(jws: string): string {
  return createHash('sha256').update(jws).digest('base64url');
}

/**
 * Signed messages this broker has verified, by the digest of their bytes, with what verification
 * produced. A broker publishes what it has just verified and then consumes the same bytes back
 * from the backbone (and a broadcast arrives once per state subject); those copies need no second
 * signature check. Bytes it has not verified itself are never found here, whoever sends them.
 * Memory is bounded by an entry count (oldest out first) and entries expire, so a certificate
 * revoked after a message was verified stops counting within the TTL.
 */
export class VerifiedCache<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly max = VERIFIED_CACHE_ENTRIES,
    private readonly ttlMs = VERIFIED_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** What verifying these bytes gave, if it was done here within the TTL. */
  get(digest: string): T | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.entries.delete(digest);
      return undefined;
    }
    return e.value;
  }

  /** Remembers a successful verification. */
  set(digest: string, value: T): void {
    this.entries.delete(digest);
    this.entries.set(digest, { value, at: this.now() });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** How many verifications are remembered. */
  get size(): number {
    return this.entries.size;
  }
}
