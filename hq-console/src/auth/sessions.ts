import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ConsoleError } from './errors.js';
import type { Operator, OperatorRole } from './accounts.js';

/** A session signs out after this long without a request. */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** The session cookie's name. */
export const SESSION_COOKIE = 'cctns_session';

/** What a session says about its operator. */
export interface SessionClaims {
  username: string;
  role: OperatorRole;
  scope: string;
  /** When the session ends unless renewed (ms since the epoch). */
  expiresAt: number;
}

/**
 * Signed session tokens (HS256 with the console's secret) that expire after 30 idle minutes:
 * every request made with a valid session gets a fresh token, so only idleness ends it.
 */
export class Sessions {
  constructor(
    private readonly secret: Uint8Array,
    private readonly idleMs = IDLE_TIMEOUT_MS,
  ) {
    if (secret.length < 32)
      throw new ConsoleError('INPUT_INVALID', 'the session secret must have at least 32 bytes');
  }

  /** A token for an operator, valid for the idle timeout from `now`. */
  issue(op: Pick<Operator, 'username' | 'role' | 'scope'>, now: Date): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ role: op.role, scope: op.scope })
      .setProtectedHeader({ alg: 'HS256', typ: 'cctns-session+jwt' })
      .setSubject(op.username)
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.floor(this.idleMs / 1000))
      .sign(this.secret);
  }

  /** Checks a token; throws SESSION_EXPIRED or SESSION_INVALID. */
  async verify(token: string | undefined, now: Date): Promise<SessionClaims> {
    if (!token) throw new ConsoleError('SESSION_INVALID', 'not signed in');
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        typ: 'cctns-session+jwt',
        currentDate: now,
        requiredClaims: ['sub', 'exp'],
      });
      return {
        username: payload.sub!,
        role: payload['role'] as OperatorRole,
        scope: String(payload['scope']),
        expiresAt: payload.exp! * 1000,
      };
    } catch (cause) {
      if (cause instanceof joseErrors.JWTExpired)
        throw new ConsoleError(
          'SESSION_EXPIRED',
          'the session ended after 30 idle minutes; sign in again',
          { cause },
        );
      throw new ConsoleError('SESSION_INVALID', 'this session is not valid; sign in again', {
        cause,
      });
    }
  }

  /** The Set-Cookie value for a token: httpOnly, Secure (unless told otherwise for plain-HTTP tests), SameSite=Strict. */
  cookie(token: string, opts: { secure: boolean }): string {
    return `${SESSION_COOKIE}=${token}; HttpOnly; ${opts.secure ? 'Secure; ' : ''}SameSite=Strict; Path=/; Max-Age=${Math.floor(this.idleMs / 1000)}`;
  }
}

/** Reads the session token out of a Cookie header. */
export function sessionFromCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return v.join('=');
  }
  return undefined;
}
