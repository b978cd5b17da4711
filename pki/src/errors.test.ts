import { describe, it, expect } from 'vitest';
import { EXIT, PKI_ERROR_CODES, PkiError, isPkiError, type PkiErrorCode } from './errors.js';

describe('PkiError', () => {
  it('carries its code, name and the exit code of the catalogue', () => {
    const err = new PkiError('TOKEN_REUSED', 'used');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('PkiError');
    expect(err.code).toBe('TOKEN_REUSED');
    expect(err.exitCode).toBe(EXIT.refused);
    expect(new PkiError('PASSPHRASE_WRONG', 'x').exitCode).toBe(EXIT.passphrase);
    expect(new PkiError('LOG_TAMPERED', 'x').exitCode).toBe(EXIT.tampered);
  });

  it('keeps the cause', () => {
    const cause = new Error('inner');
    expect(new PkiError('INTERNAL', 'outer', { cause }).cause).toBe(cause);
  });

  it('isPkiError checks the class and, optionally, the code', () => {
    const err = new PkiError('CERT_REVOKED', 'r');
    expect(isPkiError(err)).toBe(true);
    expect(isPkiError(err, 'CERT_REVOKED')).toBe(true);
    expect(isPkiError(err, 'CERT_EXPIRED')).toBe(false);
    expect(isPkiError(Object.assign(new Error('x'), { code: 'CERT_REVOKED' }))).toBe(false);
    expect(isPkiError(undefined)).toBe(false);
  });
});

describe('PKI_ERROR_CODES', () => {
  const codes = Object.keys(PKI_ERROR_CODES) as PkiErrorCode[];

  it('gives every code a documented exit code that is not success', () => {
    const exits = new Set<number>(Object.values(EXIT));
    for (const code of codes) {
      const entry = PKI_ERROR_CODES[code];
      expect(exits.has(entry.exit)).toBe(true);
      expect(entry.exit).not.toBe(EXIT.ok);
      expect(entry.doc.length).toBeGreaterThan(10);
    }
  });

  it('uses upper-snake-case codes', () => {
    for (const code of codes) expect(code).toMatch(/^[A-Z]+(?:_[A-Z]+)*$/);
  });

  it('has distinct exit codes in EXIT', () => {
    const values = Object.values(EXIT);
    expect(new Set(values).size).toBe(values.length);
  });
});
