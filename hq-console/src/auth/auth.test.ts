import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accounts, LOCKOUT } from './accounts.js';
import { Sessions, sessionFromCookie } from './sessions.js';
import { base32Decode, base32Encode, totpCode, verifyTotp } from './totp.js';

describe('TOTP (RFC 6238, SHA-1)', () => {
  // RFC 6238 appendix B: secret "12345678901234567890", 8 digits; the last 6 are the 6-digit code.
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ])('gives the RFC code at t=%i', (t, code) => {
    expect(totpCode(secret, new Date(t * 1000), 8)).toBe(code);
    expect(totpCode(secret, new Date(t * 1000))).toBe(code.slice(2));
  });

  it('round-trips base32 and refuses other characters', () => {
    expect(base32Decode(base32Encode(Buffer.from('any bytes\u0000\u00ff'))).toString()).toBe(
      'any bytes\u0000\u00ff',
    );
    expect(() => base32Decode('not base32!')).toThrow();
  });

  it('accepts one step of drift either way and nothing further', () => {
    const now = new Date(1_800_000_000_000);
    expect(verifyTotp(secret, totpCode(secret, new Date(now.getTime() - 30_000)), now)).toBe(true);
    expect(verifyTotp(secret, totpCode(secret, new Date(now.getTime() + 30_000)), now)).toBe(true);
    expect(verifyTotp(secret, totpCode(secret, new Date(now.getTime() - 90_000)), now)).toBe(false);
    expect(verifyTotp(secret, '12345', now)).toBe(false);
  });
});

describe('operator accounts', () => {
  let accounts: Accounts;
  let path: string;
  let secret: string;
  const T0 = new Date('2026-11-23T10:00:00Z');
  const mins = (m: number) => new Date(T0.getTime() + m * 60_000);
  const signIn = (
    over: { password?: string; code?: string; at?: Date; username?: string } = {},
  ) => {
    const at = over.at ?? T0;
    return accounts.signIn({
      username: over.username ?? 'duty1',
      password: over.password ?? 'a long passphrase 1',
      code: over.code ?? totpCode(secret, at),
      now: at,
    });
  };

  beforeEach(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'cctns-accounts-')), 'console.db');
    accounts = new Accounts(path);
    ({ totpSecret: secret } = await accounts.add({
      username: 'duty1',
      role: 'duty-officer',
      scope: 'national',
      password: 'a long passphrase 1',
      now: T0,
    }));
  });

  afterEach(() => accounts.close());

  it('signs in with password and code, and keeps the database private (0600)', async () => {
    expect(await signIn()).toMatchObject({
      username: 'duty1',
      role: 'duty-officer',
      scope: 'national',
      locked: false,
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong password, a wrong code and an unknown user alike', async () => {
    for (const attempt of [
      () => signIn({ password: 'wrong passphrase 1' }),
      () => signIn({ code: '000000' }),
      () => signIn({ username: 'nobody' }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'AUTH_FAILED',
        message: 'wrong username, password or code',
      });
    }
  });

  it(`locks the account at ${LOCKOUT.failures} failures within 15 minutes, and then refuses even the right password`, async () => {
    for (let i = 1; i < LOCKOUT.failures; i++)
      await expect(signIn({ password: 'bad bad bad bad', at: mins(i) })).rejects.toMatchObject({
        code: 'AUTH_FAILED',
      });
    await expect(signIn({ password: 'bad bad bad bad', at: mins(5) })).rejects.toMatchObject({
      code: 'ACCOUNT_LOCKED',
    });
    await expect(signIn({ at: mins(6) })).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    expect(accounts.get('duty1').locked).toBe(true);
    accounts.unlock('duty1');
    expect(await signIn({ at: mins(7) })).toMatchObject({ username: 'duty1' });
  });

  it('does not count failures older than 15 minutes', async () => {
    for (let i = 0; i < LOCKOUT.failures - 1; i++)
      await expect(signIn({ password: 'bad bad bad bad', at: mins(i) })).rejects.toMatchObject({
        code: 'AUTH_FAILED',
      });
    await expect(signIn({ password: 'bad bad bad bad', at: mins(20) })).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
  });

  it('resets the TOTP secret: the old code stops working, the new one works', async () => {
    const old = totpCode(secret, T0);
    const { totpSecret, otpauth } = accounts.resetTotp('duty1');
    expect(otpauth).toContain('otpauth://totp/CCTNS:hq%2Fnational%2Fduty1?secret=');
    await expect(signIn({ code: old })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(await signIn({ code: totpCode(totpSecret, T0) })).toMatchObject({ username: 'duty1' });
  });

  it.each([
    [{ username: 'Bad Name' }, 'username'],
    [{ role: 'king' }, 'role'],
    [{ scope: 'XX' }, 'scope'],
    [{ password: 'short' }, 'password'],
  ])('refuses a new operator with %j', async (over, what) => {
    await expect(
      accounts.add({
        username: 'new1',
        role: 'viewer',
        scope: 'MH',
        password: 'a long passphrase 2',
        now: T0,
        ...over,
      }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining(what) });
  });

  it('refuses a duplicate username and an unknown one', async () => {
    await expect(
      accounts.add({
        username: 'duty1',
        role: 'viewer',
        scope: 'MH',
        password: 'a long passphrase 2',
        now: T0,
      }),
    ).rejects.toMatchObject({ code: 'USER_EXISTS' });
    expect(() => accounts.unlock('nobody')).toThrow(
      expect.objectContaining({ code: 'USER_UNKNOWN' }),
    );
  });
});

describe('sessions', () => {
  const sessions = new Sessions(Buffer.alloc(32, 7));
  const T0 = new Date('2026-11-23T10:00:00Z');
  const op = { username: 'duty1', role: 'duty-officer' as const, scope: 'MH' };

  it('carries the operator and ends after 30 idle minutes', async () => {
    const token = await sessions.issue(op, T0);
    expect(await sessions.verify(token, new Date(T0.getTime() + 29 * 60_000))).toEqual({
      ...op,
      expiresAt: T0.getTime() + 30 * 60_000,
    });
    await expect(
      sessions.verify(token, new Date(T0.getTime() + 31 * 60_000)),
    ).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
  });

  it('stays alive while used: a token re-issued on each request extends it', async () => {
    const later = new Date(T0.getTime() + 25 * 60_000);
    const fresh = await sessions.issue(op, later);
    expect(await sessions.verify(fresh, new Date(T0.getTime() + 50 * 60_000))).toEqual({
      ...op,
      expiresAt: T0.getTime() + 55 * 60_000,
    });
  });

  it('refuses a missing, tampered or foreign token', async () => {
    const token = await sessions.issue(op, T0);
    await expect(sessions.verify(undefined, T0)).rejects.toMatchObject({ code: 'SESSION_INVALID' });
    await expect(sessions.verify(`${token.slice(0, -3)}abc`, T0)).rejects.toMatchObject({
      code: 'SESSION_INVALID',
    });
    const other = await new Sessions(Buffer.alloc(32, 9)).issue(op, T0);
    await expect(sessions.verify(other, T0)).rejects.toMatchObject({ code: 'SESSION_INVALID' });
  });

  it('sets an httpOnly, Secure, SameSite=Strict cookie and reads it back', async () => {
    const token = await sessions.issue(op, T0);
    const cookie = sessions.cookie(token, { secure: true });
    expect(cookie).toMatch(/HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=1800/);
    expect(sessionFromCookie(`theme=dark; ${cookie.split(';')[0]}; lang=hi`)).toBe(token);
    expect(() => new Sessions(Buffer.alloc(8))).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });
});
