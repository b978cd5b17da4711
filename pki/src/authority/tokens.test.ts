import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { Pki, loadPrivateKey, type IssuingCa } from '../index.js';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  parseDuration,
  signEnrollmentToken,
  tokenAudience,
  tokenIssuer,
  verifyEnrollmentToken,
} from './tokens.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';

let dir: string;
let pki: Pki;
let mh: IssuingCa;
let mhProvisionerPub: KeyObject;
let mhProvisionerKey: KeyObject;
let kaProvisionerKey: KeyObject;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-tokens-'));
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: ROOT_PASS, keyBits: 2048 });
  for (const name of ['MH', 'KA', 'CENTRAL'])
    await pki.initCa(name, { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
  mh = pki.unlockCa('MH', CA_PASS);
  mhProvisionerPub = createPublicKey(readFileSync(join(dir, 'ca', 'MH', 'provisioner.pub.pem')));
  mhProvisionerKey = loadPrivateKey(
    readFileSync(join(dir, 'ca', 'MH', 'provisioner.key.pem'), 'utf8'),
    CA_PASS,
    'MH provisioner',
  ).privateKey;
  kaProvisionerKey = loadPrivateKey(
    readFileSync(join(dir, 'ca', 'KA', 'provisioner.key.pem'), 'utf8'),
    CA_PASS,
    'KA provisioner',
  ).privateKey;
});

afterAll(() => {
  pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('parseDuration', () => {
  it.each([
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604_800],
    ['30', 30],
    ['90s', 90],
    [' 5 m ', 300],
    ['0', 0],
  ])('parses %j as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['abc', '', '15x', '1.5h', '-5m', 'm', '15mm', '1h30m'])(
    'refuses %j (INPUT_INVALID)',
    (text) => {
      expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    },
  );
});

describe('createToken', () => {
  it('makes an ES256 enrollment JWT bound to the identity, the CA and a 15-minute lifetime', async () => {
    const t = await mh.createToken('station/MH/PUNE/PS042');
    expect(decodeProtectedHeader(t.token)).toMatchObject({ alg: 'ES256', typ: 'cctns-enroll+jwt' });
    const claims = decodeJwt(t.token);
    expect(claims).toMatchObject({
      sub: 'station/MH/PUNE/PS042',
      aud: tokenAudience(TD, 'MH'),
      iss: tokenIssuer(TD, 'MH'),
      jti: t.jti,
      sans: { dns: [], ip: [] },
    });
    expect(claims.exp! - claims.iat!).toBe(DEFAULT_TOKEN_TTL_SECONDS);
    expect(t.expiresAt.getTime()).toBe(claims.exp! * 1000);
    expect(tokenAudience(TD, 'MH')).toBe('cctns:cctns.local:enroll:MH');
  });

  it('gives every token its own jti and logs it', async () => {
    const a = await mh.createToken('station/MH/PUNE/PS1');
    const b = await mh.createToken('station/MH/PUNE/PS1');
    expect(a.jti).not.toBe(b.jti);
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'token',
      ca: 'MH',
      identity: 'station/MH/PUNE/PS1',
      detail: { jti: b.jti },
    });
  });

  it('carries the DNS and IP names of a broker token', async () => {
    const t = await mh.createToken('broker/MH', {
      dns: ['broker-mh.example', '*.mh.example'],
      ip: ['10.0.0.5', 'fd00::1'],
    });
    expect(decodeJwt(t.token).sans).toEqual({
      dns: ['broker-mh.example', '*.mh.example'],
      ip: ['10.0.0.5', 'fd00::1'],
    });
  });

  it(`accepts a lifetime of exactly MAX_TOKEN_TTL_SECONDS (${MAX_TOKEN_TTL_SECONDS})`, async () => {
    const t = await mh.createToken('station/MH/PUNE/PS2', { ttlSeconds: MAX_TOKEN_TTL_SECONDS });
    const claims = decodeJwt(t.token);
    expect(claims.exp! - claims.iat!).toBe(MAX_TOKEN_TTL_SECONDS);
  });

  it('refuses a lifetime above MAX_TOKEN_TTL_SECONDS (INPUT_INVALID) and logs it', async () => {
    await expect(
      mh.createToken('station/MH/PUNE/PS3', { ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const [last] = pki.store.entries(1);
    expect(last?.body).toMatchObject({
      event: 'refuse',
      detail: { op: 'token', code: 'INPUT_INVALID' },
    });
  });

  it.each([0, -1, 1.5, Number.NaN])(
    'refuses a lifetime of %d seconds (INPUT_INVALID)',
    async (ttlSeconds) => {
      await expect(mh.createToken('station/MH/PUNE/PS3', { ttlSeconds })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
    },
  );

  it('refuses DNS names for a station (INPUT_INVALID)', async () => {
    await expect(
      mh.createToken('station/MH/PUNE/PS4', { dns: ['ps4.example'] }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('refuses IP addresses for an HQ operator (INPUT_INVALID)', async () => {
    await expect(mh.createToken('hq/MH/console', { ip: ['10.0.0.9'] })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
  });

  it.each([['bad_name!'], ['-leading.example'], ['a..b'], ['']])(
    'refuses the broker DNS name %j (INPUT_INVALID)',
    async (name) => {
      await expect(mh.createToken('broker/MH', { dns: [name] })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
    },
  );

  it.each([['999.1.1.1'], ['10.0.0'], ['localhost'], ['::g']])(
    'refuses the broker IP address %j (INPUT_INVALID)',
    async (ip) => {
      await expect(mh.createToken('broker/MH', { ip: [ip] })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
    },
  );

  it('refuses a malformed identity (IDENTITY_INVALID) and an unknown state (STATE_UNKNOWN)', async () => {
    await expect(mh.createToken('station/MH/pune/PS1')).rejects.toMatchObject({
      code: 'IDENTITY_INVALID',
    });
    await expect(mh.createToken('station/XX/PUNE/PS1')).rejects.toMatchObject({
      code: 'STATE_UNKNOWN',
    });
  });
});

describe('verifyEnrollmentToken', () => {
  const args = (now = new Date()) => ({ trustDomain: TD, ca: 'MH' as const, now });

  it('returns the claims of a good token', async () => {
    const t = await mh.createToken('broker/MH', { dns: ['b.example'], ip: ['10.1.2.3'] });
    const claims = await verifyEnrollmentToken(t.token, mhProvisionerPub, args());
    expect(claims).toEqual({
      identity: 'broker/MH',
      jti: t.jti,
      expiresAt: t.expiresAt,
      sans: { dns: ['b.example'], ip: ['10.1.2.3'] },
    });
  });

  it('tolerates surrounding whitespace', async () => {
    const t = await mh.createToken('station/MH/PUNE/PS5');
    expect((await verifyEnrollmentToken(`  ${t.token}\n`, mhProvisionerPub, args())).identity).toBe(
      'station/MH/PUNE/PS5',
    );
  });

  it('refuses a token forged with another CA provisioner key (TOKEN_INVALID)', async () => {
    const forged = await signEnrollmentToken(kaProvisionerKey, {
      trustDomain: TD,
      ca: 'MH',
      identity: 'station/MH/PUNE/PS6',
      ttlSeconds: 60,
      now: new Date(),
    });
    await expect(
      verifyEnrollmentToken(forged.token, mhProvisionerPub, args()),
    ).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('refuses a token of another trust domain (TOKEN_AUDIENCE)', async () => {
    const other = await signEnrollmentToken(mhProvisionerKey, {
      trustDomain: 'other.local',
      ca: 'MH',
      identity: 'station/MH/PUNE/PS7',
      ttlSeconds: 60,
      now: new Date(),
    });
    await expect(
      verifyEnrollmentToken(other.token, mhProvisionerPub, args()),
    ).rejects.toMatchObject({ code: 'TOKEN_AUDIENCE' });
  });

  it('refuses a correctly signed JWT of another type (TOKEN_INVALID)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(tokenIssuer(TD, 'MH'))
      .setAudience(tokenAudience(TD, 'MH'))
      .setSubject('station/MH/PUNE/PS8')
      .setJti('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(mhProvisionerKey);
    await expect(verifyEnrollmentToken(jwt, mhProvisionerPub, args())).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
  });

  it('refuses a correctly signed token without a jti (TOKEN_INVALID)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'cctns-enroll+jwt' })
      .setIssuer(tokenIssuer(TD, 'MH'))
      .setAudience(tokenAudience(TD, 'MH'))
      .setSubject('station/MH/PUNE/PS9')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(mhProvisionerKey);
    await expect(verifyEnrollmentToken(jwt, mhProvisionerPub, args())).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
  });

  it('accepts a token within the 60 s clock tolerance and refuses it after (TOKEN_EXPIRED)', async () => {
    const t = await mh.createToken('station/MH/PUNE/PS10', { ttlSeconds: 1 });
    const exp = t.expiresAt.getTime();
    expect(
      (await verifyEnrollmentToken(t.token, mhProvisionerPub, args(new Date(exp + 30_000)))).jti,
    ).toBe(t.jti);
    await expect(
      verifyEnrollmentToken(t.token, mhProvisionerPub, args(new Date(exp + 120_000))),
    ).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('refuses a token used before it was made (TOKEN_INVALID)', async () => {
    const t = await mh.createToken('station/MH/PUNE/PS11');
    await expect(
      verifyEnrollmentToken(t.token, mhProvisionerPub, args(new Date(Date.now() - 10 * 60_000))),
    ).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
