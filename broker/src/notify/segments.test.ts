import { describe, expect, it } from 'vitest';
import { smsSegments } from './segments.js';

// 10 Devanagari code units: every one is a BMP character outside GSM 03.38.
const HINDI_10 = 'चेतावनीथान';
const EMOJI = '🚨'; // one code point, a surrogate pair

describe('smsSegments', () => {
  it('counts GSM-7 at 160 septets for one SMS and 153 per part after', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 1, units: 0 });
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('keeps the whole default alphabet, accents and Greek in GSM-7', () => {
    const r = smsSegments(
      'Alert @ PS Bandra: £5 ¥ è é ù ì ò Ç Ø ø Å å Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ß ¡¿ §\r\n',
    );
    expect(r.encoding).toBe('GSM-7');
  });

  it('counts extension characters as two septets', () => {
    expect(smsSegments('€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
    expect(smsSegments('€'.repeat(80))).toMatchObject({ segments: 1, units: 160 });
    expect(smsSegments('€'.repeat(81))).toMatchObject({ segments: 2, units: 162 });
    expect(smsSegments('a'.repeat(159) + '[')).toMatchObject({ segments: 2, units: 161 });
    expect(smsSegments('{}[]~|^\\\f').units).toBe(18);
  });

  it('does not split an escape sequence across parts', () => {
    // 152 + 2 + 152 = 306 septets would fit 2 × 153, but the € cannot straddle parts 1 and 2.
    const text = 'a'.repeat(152) + '€' + 'a'.repeat(152);
    expect(smsSegments(text)).toMatchObject({ encoding: 'GSM-7', units: 306, segments: 3 });
  });

  it('switches the whole message to UCS-2 for one non-GSM character', () => {
    expect(smsSegments('a'.repeat(100) + 'ç')).toEqual({
      encoding: 'UCS-2',
      segments: 2,
      units: 101,
    });
    expect(smsSegments('smart “quotes”').encoding).toBe('UCS-2');
  });

  it('counts Hindi at 70 units for one SMS and 67 per part after', () => {
    expect(HINDI_10.length).toBe(10);
    expect(smsSegments(HINDI_10.repeat(7))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments(HINDI_10.repeat(7) + 'क')).toEqual({
      encoding: 'UCS-2',
      segments: 2,
      units: 71,
    });
    expect(smsSegments('क'.repeat(134)).segments).toBe(2);
    expect(smsSegments('क'.repeat(135)).segments).toBe(3);
    expect(smsSegments('க'.repeat(201)).segments).toBe(3); // Tamil, 3 × 67
    expect(smsSegments('க'.repeat(202)).segments).toBe(4);
  });

  it('counts an emoji as two code units and never splits the pair', () => {
    expect(smsSegments(EMOJI)).toEqual({ encoding: 'UCS-2', segments: 1, units: 2 });
    expect(smsSegments(EMOJI.repeat(35))).toMatchObject({ segments: 1, units: 70 });
    expect(smsSegments(EMOJI.repeat(36))).toMatchObject({ segments: 2, units: 72 });
    // 134 units would fill exactly 2 × 67, but 67 is odd: each part holds 33 emoji (66 units).
    expect(smsSegments(EMOJI.repeat(67))).toMatchObject({ segments: 3, units: 134 });
    // With one BMP character first the pairs line up again: 67 + 67.
    expect(smsSegments('क' + EMOJI.repeat(66) + 'क')).toMatchObject({ segments: 2, units: 134 });
  });
});
