import { describe, expect, it } from 'vitest';
import { digestOf, VerifiedCache } from './verified.js';

describe('VerifiedCache', () => {
  it('finds a verification by the digest of the exact bytes, and nothing for other bytes', () => {
    const cache = new VerifiedCache<string>();
    cache.set(digestOf('header.payload.signature'), 'ok');
    expect(cache.get(digestOf('header.payload.signature'))).toBe('ok');
    expect(cache.get(digestOf('header.payload.signaturf'))).toBeUndefined();
  });

  it('keeps at most its size, dropping the oldest first', () => {
    const cache = new VerifiedCache<number>(3);
    for (let i = 1; i <= 5; i++) cache.set(digestOf(`m${i}`), i);
    expect(cache.size).toBe(3);
    expect(cache.get(digestOf('m1'))).toBeUndefined();
    expect(cache.get(digestOf('m2'))).toBeUndefined();
    expect([3, 4, 5].map((i) => cache.get(digestOf(`m${i}`)))).toEqual([3, 4, 5]);
  });

  it('forgets a verification after its time to live, so a later revocation takes effect', () => {
    let now = 1_000;
    const cache = new VerifiedCache<string>(10, 60_000, () => now);
    cache.set(digestOf('m'), 'ok');
    now += 59_000;
    expect(cache.get(digestOf('m'))).toBe('ok');
    now += 2_000;
    expect(cache.get(digestOf('m'))).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
