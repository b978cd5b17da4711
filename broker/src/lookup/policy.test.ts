import { describe, expect, it } from 'vitest';
import { checkLookup, DEFAULT_LOOKUP_POLICY, parseLookupPolicy } from './policy.js';

const purpose = { reference: 'FIR 123/2026 PS Swargate', reason: 'investigation' };

describe('lookup policy', () => {
  it('requires a purpose with a reference and a known reason code', () => {
    const check = (p: unknown) => () =>
      checkLookup(DEFAULT_LOOKUP_POLICY, 'agency/CBI/DELHI-HQ', {
        kind: 'person',
        state: 'MH',
        purpose: p as typeof purpose,
      });
    expect(check(undefined)).toThrow(expect.objectContaining({ code: 'PURPOSE_REQUIRED' }));
    expect(check({ reference: '  ', reason: 'investigation' })).toThrow(/purpose/);
    expect(check({ reference: 'FIR 1', reason: 'curiosity' })).toThrow(/not a reason code/);
    expect(check({ reference: 'x'.repeat(201), reason: 'investigation' })).toThrow(/200/);
    expect(check(purpose)()).toMatchObject({ who: 'agency/CBI/*' });
  });

  it('limits RPF to what it is granted, and refuses identities without a grant', () => {
    const rpf =
      (kind: 'person' | 'case', reason = 'investigation') =>
      () =>
        checkLookup(DEFAULT_LOOKUP_POLICY, 'agency/RPF/MUMBAI-DIV', {
          kind,
          state: 'MH',
          purpose: { ...purpose, reason },
        });
    expect(rpf('person')().statuses?.person).toContain('wanted');
    expect(rpf('case')).toThrow(expect.objectContaining({ code: 'GRANT_DENIED' }));
    expect(rpf('person', 'intelligence')).toThrow(/reason intelligence/);
    expect(() =>
      checkLookup(DEFAULT_LOOKUP_POLICY, 'agency/IB/DELHI', {
        kind: 'person',
        state: 'MH',
        purpose,
      }),
    ).toThrow(/no lookup grant/);
    const narrow = parseLookupPolicy({
      ...DEFAULT_LOOKUP_POLICY,
      grants: [{ who: 'station/*', kinds: ['vehicle'], states: ['MH', 'KA'] }],
    });
    expect(() =>
      checkLookup(narrow, 'station/GJ/SURAT/PS001', { kind: 'vehicle', state: 'DL', purpose }),
    ).toThrow(/records of DL/);
    expect(
      checkLookup(narrow, 'station/GJ/SURAT/PS001', { kind: 'vehicle', state: 'KA', purpose }),
    ).toBeTruthy();
  });

  it('validates a policy document field by field', () => {
    const base = DEFAULT_LOOKUP_POLICY;
    expect(() => parseLookupPolicy({ ...base, version: 2 })).toThrow(/version/);
    expect(() => parseLookupPolicy({ ...base, maxLimit: 10_000 })).toThrow(/maxLimit/);
    expect(() =>
      parseLookupPolicy({
        ...base,
        grants: [{ who: 'agency/$where', kinds: ['person'], states: 'any' }],
      }),
    ).toThrow(/grants\[0\].who/);
    expect(() =>
      parseLookupPolicy({ ...base, grants: [{ who: 'station/*', kinds: ['dna'], states: 'any' }] }),
    ).toThrow(/kinds/);
    expect(() =>
      parseLookupPolicy({
        ...base,
        grants: [{ who: 'station/*', kinds: ['person'], states: ['XX'] }],
      }),
    ).toThrow(/states/);
    expect(parseLookupPolicy(base)).toEqual(base);
  });
});
