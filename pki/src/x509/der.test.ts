import { describe, it, expect } from 'vitest';
import { decodeOid, derToPem, pemBlocks, pemToDer, readElement, splitSigned } from './der.js';

describe('PEM and DER helpers', () => {
  it('round-trips DER through PEM with 64-character lines', () => {
    const der = Buffer.alloc(100, 0xab);
    const pem = derToPem(der, 'CERTIFICATE');
    const lines = pem.trim().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    for (const line of lines.slice(1, -1)) expect(line.length).toBeLessThanOrEqual(64);
    expect(pemToDer(pem).equals(der)).toBe(true);
  });

  it('picks blocks by label, in order', () => {
    const text =
      derToPem(Buffer.from([1]), 'CERTIFICATE') +
      derToPem(Buffer.from([2]), 'X509 CRL') +
      derToPem(Buffer.from([3]), 'CERTIFICATE');
    expect(pemBlocks(text, 'CERTIFICATE').map((b) => b[0])).toEqual([1, 3]);
    expect(pemBlocks(text).map((b) => b[0])).toEqual([1, 2, 3]);
    expect(() => pemToDer(text, 'CERTIFICATE REQUEST')).toThrow();
  });

  it('ignores a block whose END label does not match its BEGIN label', () => {
    expect(pemBlocks('-----BEGIN CERTIFICATE-----\nAQ==\n-----END X509 CRL-----\n')).toEqual([]);
  });

  it('reads long-form lengths and refuses truncated or indefinite ones', () => {
    const long = Buffer.concat([Buffer.from([0x04, 0x81, 0x80]), Buffer.alloc(0x80, 7)]);
    expect(readElement(long).content.length).toBe(0x80);
    expect(() => readElement(Buffer.from([0x04, 0x05, 0x00]))).toThrow('past the end');
    expect(() => readElement(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toThrow('unsupported length');
    expect(() => readElement(Buffer.from([0x30]))).toThrow('truncated');
  });

  it('refuses trailing bytes after a signed structure', () => {
    expect(() => splitSigned(Buffer.from([0x30, 0x00, 0x00]))).toThrow('not a single SEQUENCE');
  });
});

describe('decodeOid', () => {
  it.each([
    ['551d13', '2.5.29.19'],
    ['2a864886f70d01010b', '1.2.840.113549.1.1.11'],
    ['2b06010505070302', '1.3.6.1.5.5.7.3.2'],
    ['0a', '0.10'],
    ['2703', '0.39.3'],
    ['5003', '2.0.3'],
    // X.690 8.19.5: the first subidentifier 2*40+999 = 1079 takes two bytes.
    ['883703', '2.999.3'],
  ])('decodes %s as %s', (hex, oid) => {
    expect(decodeOid(Buffer.from(hex, 'hex'))).toBe(oid);
  });

  it('refuses an empty OID', () => {
    expect(() => decodeOid(Buffer.alloc(0))).toThrow('empty OID');
  });
});
