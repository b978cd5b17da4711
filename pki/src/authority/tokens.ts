import { randomUUID, type KeyObject, type webcrypto } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { PkiError } from '../errors.js';
import type { CaName } from '../identity/identity.js';

/** Default lifetime of an enrollment token: 15 minutes. */
export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
/** Longest lifetime an enrollment token may be given: 7 days. */
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

const TOKEN_TYPE = 'cctns-enroll+jwt';

/** Network names a broker's token allows in its certificate. */
export interface TokenSans {
  dns: string[];
  ip: string[];
}

/** The verified claims of an enrollment token. */
export interface EnrollmentClaims {
  identity: string;
  jti: string;
  expiresAt: Date;
  sans: TokenSans;
}

/** The audience every token for `ca` carries: enrollment at that CA of that trust domain. */
export function tokenAudience(trustDomain: string, ca: CaName): string {
  return `cctns:${trustDomain}:enroll:${ca}`;
}

/** The issuer every token of `ca` carries: that CA's provisioner. */
export function tokenIssuer(trustDomain: string, ca: CaName): string {
  return `cctns:${trustDomain}:provisioner:${ca}`;
}

/** Signs a one-time enrollment token (ES256 JWT) bound to one identity. */
export async function signEnrollmentToken(
  key: KeyObject,
  args: {
    trustDomain: string;
    ca: CaName;
    identity: string;
    ttlSeconds: number;
    sans?: TokenSans;
    now: Date;
    audience?: string;
  },
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  if (
    !Number.isInteger(args.ttlSeconds) ||
    args.ttlSeconds < 1 ||
    args.ttlSeconds > MAX_TOKEN_TTL_SECONDS
  ) {
    throw new PkiError(
      'INPUT_INVALID',
      `token lifetime must be between 1 second and ${MAX_TOKEN_TTL_SECONDS / 86400} days`,
    );
  }
  const jti = randomUUID();
  const iat = Math.floor(args.now.getTime() / 1000);
  const exp = iat + args.ttlSeconds;
  const token = await new SignJWT({ sans: args.sans ?? { dns: [], ip: [] } })
    .setProtectedHeader({ alg: 'ES256', typ: TOKEN_TYPE })
    .setIssuer(tokenIssuer(args.trustDomain, args.ca))
    .setAudience(args.audience ?? tokenAudience(args.trustDomain, args.ca))
    .setSubject(args.identity)
    .setJti(jti)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, jti, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies an enrollment token's signature, type, issuer, audience and lifetime. Single use is
 * enforced by the authority, which records the jti in the same transaction as the issuance.
 */
export async function verifyEnrollmentToken(
  token: string,
  key: KeyObject | webcrypto.CryptoKey,
  args: { trustDomain: string; ca: CaName; now: Date },
): Promise<EnrollmentClaims> {
  const audience = tokenAudience(args.trustDomain, args.ca);
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    unverified = decodeJwt(token.trim());
  } catch (cause) {
    throw new PkiError('TOKEN_INVALID', 'the enrollment token is not a JWT', { cause });
  }
  // Read before the signature check only to say *why* a token is refused; nothing else is trusted.
  const aud = unverified.aud;
  if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) {
    throw new PkiError(
      'TOKEN_AUDIENCE',
      `the enrollment token is not for CA ${args.ca} of ${args.trustDomain}`,
    );
  }
  try {
    const { payload } = await jwtVerify(token.trim(), key, {
      algorithms: ['ES256'],
      typ: TOKEN_TYPE,
      issuer: tokenIssuer(args.trustDomain, args.ca),
      audience,
      currentDate: args.now,
      clockTolerance: 60,
      requiredClaims: ['jti', 'sub', 'exp', 'iat'],
    });
    const sans = (payload.sans ?? {}) as Partial<TokenSans>;
    return {
      identity: payload.sub!,
      jti: payload.jti!,
      expiresAt: new Date(payload.exp! * 1000),
      sans: {
        dns: Array.isArray(sans.dns) ? sans.dns.map(String) : [],
        ip: Array.isArray(sans.ip) ? sans.ip.map(String) : [],
      },
    };
  } catch (cause) {
    if (cause instanceof joseErrors.JWTExpired)
      throw new PkiError('TOKEN_EXPIRED', 'the enrollment token has expired', { cause });
    throw new PkiError(
      'TOKEN_INVALID',
      'the enrollment token failed verification (signature, issuer or type)',
      { cause },
    );
  }
}

/** Parses a lifetime such as `90s`, `15m`, `2h`, `90d` into seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m)
    throw new PkiError(
      'INPUT_INVALID',
      `invalid duration ${JSON.stringify(text)}: use e.g. 90s, 15m, 2h or 90d`,
    );
  const n = Number(m[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}
