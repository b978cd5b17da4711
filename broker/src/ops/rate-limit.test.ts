import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { read: () => now, advance: (ms: number) => void (now += ms) };
}

const takeN = (limiter: RateLimiter, key: string, n: number) =>
  Array.from({ length: n }, () => limiter.take(key));

describe('RateLimiter', () => {
  it('allows a burst of `burst` messages at once, then refuses', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(1, 5, clock.read);
    expect(takeN(limiter, 'station/MH/PUNE/PS1', 5)).toEqual([true, true, true, true, true]);
    expect(limiter.take('station/MH/PUNE/PS1')).toBe(false);
    expect(limiter.take('station/MH/PUNE/PS1')).toBe(false);
  });

  it('refills at `rate` tokens a second', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(2, 3, clock.read);
    takeN(limiter, 'k', 3);
    expect(limiter.take('k')).toBe(false);
    clock.advance(500);
    expect(limiter.take('k')).toBe(true);
    expect(limiter.take('k')).toBe(false);
    clock.advance(1_000);
    expect(takeN(limiter, 'k', 3)).toEqual([true, true, false]);
  });

  it('keeps a partial token across a refused attempt', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(1, 1, clock.read);
    expect(limiter.take('k')).toBe(true);
    clock.advance(600);
    expect(limiter.take('k')).toBe(false);
    clock.advance(400);
    expect(limiter.take('k')).toBe(true);
  });

  it('never holds more than `burst` tokens, however long the identity was quiet', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(10, 4, clock.read);
    takeN(limiter, 'k', 4);
    clock.advance(3_600_000);
    expect(takeN(limiter, 'k', 5)).toEqual([true, true, true, true, false]);
  });

  it('keeps a separate bucket for each identity', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(1, 2, clock.read);
    expect(takeN(limiter, 'station/MH/PUNE/PS1', 3)).toEqual([true, true, false]);
    expect(takeN(limiter, 'station/MH/PUNE/PS2', 2)).toEqual([true, true]);
    expect(limiter.take('station/MH/PUNE/PS1')).toBe(false);
  });

  it('uses the wall clock when no clock is given', () => {
    const limiter = new RateLimiter(0.001, 1);
    expect(limiter.take('k')).toBe(true);
    expect(limiter.take('k')).toBe(false);
  });
});
