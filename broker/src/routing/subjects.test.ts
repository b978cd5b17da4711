import { describe, expect, it } from 'vitest';
import { alertSubjects, consumerFilter, kindOfSubject, receiptSubject } from './subjects.js';

describe('alertSubjects', () => {
  it('publishes an alert within one state once, without an origin copy', () => {
    expect(alertSubjects(['station/MH/PUNE/PS2'], 'station/MH/PUNE/PS1')).toEqual([
      'cctns.v1.MH.station.PUNE.PS2',
    ]);
    expect(alertSubjects(['district/MH/NAGPUR', 'state/MH'], 'station/MH/PUNE/PS1')).toEqual([
      'cctns.v1.MH.district.NAGPUR',
      'cctns.v1.MH.state',
    ]);
  });

  it("keeps an origin copy in the sender's state when the alert goes only to other states", () => {
    expect(alertSubjects(['state/KA', 'district/DL/NEW-DELHI'], 'station/MH/PUNE/PS1')).toEqual([
      'cctns.v1.KA.state',
      'cctns.v1.DL.district.NEW-DELHI',
      'cctns.v1.MH.origin',
    ]);
  });

  it('publishes a national broadcast once per state, and its origin under national', () => {
    const subjects = alertSubjects(['national'], 'hq/national/duty1');
    expect(subjects).toHaveLength(37);
    expect(subjects).toContain('cctns.v1.UP.national');
    expect(subjects.at(-1)).toBe('cctns.v1.national.origin');
  });

  it('names every subject it publishes as an alert subject of the scheme', () => {
    for (const s of alertSubjects(['national', 'station/KA/BENGALURU/PS9'], 'agency/CBI/DELHI-HQ'))
      expect(kindOfSubject(s)).toBe('alert');
    expect(kindOfSubject(receiptSubject('station/MH/PUNE/PS1'))).toBe('receipt');
    expect(kindOfSubject('cctns.v1.MH.bogus')).toBeUndefined();
  });

  it('consumes a state its own subjects, and everything for the national broker', () => {
    expect(consumerFilter('MH')).toBe('cctns.v1.MH.>');
    expect(consumerFilter('national')).toBe('cctns.v1.>');
  });
});
