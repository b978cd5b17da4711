import { describe, it, expect } from 'vitest';
import { DEFAULT_LIFETIME_DAYS, LEAF_PROFILES, renewalDue, RENEW_AT_FRACTION } from './profiles.js';

describe('renewalDue', () => {
  it('is two thirds into the lifetime', () => {
    expect(RENEW_AT_FRACTION).toBeCloseTo(2 / 3);
    expect(renewalDue(new Date(0), new Date(90_000)).getTime()).toBe(60_000);
  });
});

describe('LEAF_PROFILES', () => {
  it('lets only brokers act as servers and carry network names', () => {
    expect(LEAF_PROFILES.broker).toMatchObject({ serverAuth: true, networkNames: true });
    for (const kind of ['station', 'agency', 'hq'] as const)
      expect(LEAF_PROFILES[kind]).toMatchObject({
        serverAuth: false,
        clientAuth: true,
        networkNames: false,
      });
  });

  it('gives leaves 90 days, CAs 5 years and the root 10 years by default', () => {
    expect(DEFAULT_LIFETIME_DAYS).toEqual({ root: 3650, ca: 1825, leaf: 90 });
  });
});
