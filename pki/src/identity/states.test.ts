import { describe, it, expect } from 'vitest';
import { STATES, STATE_CODES, isStateCode } from './states.js';

describe('STATE_CODES', () => {
  it('lists all 36 States and Union Territories', () => {
    expect(STATE_CODES).toHaveLength(36);
  });

  it('has unique codes', () => {
    expect(new Set(STATE_CODES).size).toBe(STATE_CODES.length);
  });

  it('has only two upper-case letters per code', () => {
    for (const code of STATE_CODES) expect(code).toMatch(/^[A-Z]{2}$/);
  });

  it('names every state', () => {
    for (const code of STATE_CODES) expect(STATES[code].length).toBeGreaterThan(2);
    expect(STATES.MH).toBe('Maharashtra');
  });

  it('uses the 2023 ISO codes (CG, OD, TS, UK), not the old ones', () => {
    for (const code of ['CG', 'OD', 'TS', 'UK']) expect(isStateCode(code)).toBe(true);
    for (const code of ['CT', 'OR', 'TG', 'UT']) expect(isStateCode(code)).toBe(false);
  });
});

describe('isStateCode', () => {
  it('accepts exact upper-case codes only', () => {
    expect(isStateCode('MH')).toBe(true);
    expect(isStateCode('mh')).toBe(false);
    expect(isStateCode('XX')).toBe(false);
    expect(isStateCode('')).toBe(false);
  });

  it('is not fooled by Object.prototype properties', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty'])
      expect(isStateCode(name)).toBe(false);
  });
});
