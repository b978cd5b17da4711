import { describe, it, expect } from 'vitest';
import { normalizeSerial, newSerial } from './certificate.js';

describe('serials', () => {
  it('makes positive 128-bit serials without a leading zero byte', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = newSerial();
      expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
      expect(normalizeSerial(s)).toBe(s);
      seen.add(s);
    }
    expect(seen.size).toBe(200);
  });

  it('normalizes colons, case and leading zeros', () => {
    expect(normalizeSerial('00:0A:BC')).toBe('abc');
    expect(normalizeSerial('4F1E')).toBe('4f1e');
    expect(normalizeSerial('0')).toBe('0');
  });

  it('leaves text that is not hex alone (lower-cased) instead of throwing', () => {
    expect(normalizeSerial('XYZ')).toBe('xyz');
  });
});
