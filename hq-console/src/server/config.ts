import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { writeSecretFile } from '@cctns/pki';
import { ConsoleError } from '../auth/errors.js';

/** The console server's configuration file, resolved against its folder. */
export interface ConsoleConfig {
  listen: string;
  broker: string;
  tls: { cert: string; key: string; root: string };
  consoleDir: string;
  /** Session-signing key: `CCTNS_CONSOLE_SECRET` (base64, ≥32 bytes), else `secretFile` (made 0600 on first start). */
  secret: Buffer;
  /** False only behind plain HTTP on a developer's machine. */
  secureCookies: boolean;
  /** The web server's certificate and key; absent only with `insecureHttp: true`. */
  https?: { cert: string; key: string };
  /** National console: the state brokers it reads stations, notifications and contacts from. */
  stateBrokers?: Record<string, string>;
  /** How long approving a national broadcast waits for the officer's own signature (default 120). */
  approvalWaitSeconds?: number;
}

/** Default wait for an approving officer's signature from their agent. */
export const DEFAULT_APPROVAL_WAIT_SECONDS = 120;

/** Reads and validates a console config, naming the bad field. */
export function loadConsoleConfig(file: string, env: NodeJS.ProcessEnv): ConsoleConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ConsoleError(
      'INPUT_INVALID',
      `cannot read console config ${file}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const base = dirname(resolve(file));
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const str = (v: unknown, field: string) => {
    if (typeof v !== 'string' || !v)
      throw new ConsoleError(
        'INPUT_INVALID',
        `console config field ${field} must be a non-empty string`,
      );
    return v;
  };
  const addr = (v: unknown, field: string) => {
    const s = str(v, field);
    if (!/^[^\s:]+:\d{1,5}$/.test(s))
      throw new ConsoleError('INPUT_INVALID', `console config field ${field} must be host:port`);
    return s;
  };
  const tls = (raw['tls'] ?? {}) as Record<string, unknown>;
  const cfg = {
    listen: addr(raw['listen'] ?? '127.0.0.1:8443', 'listen'),
    broker: addr(raw['broker'], 'broker'),
    tls: {
      cert: path(str(tls['cert'], 'tls.cert')),
      key: path(str(tls['key'], 'tls.key')),
      root: path(str(tls['root'], 'tls.root')),
    },
    consoleDir: path(str(raw['consoleDir'] ?? '.', 'consoleDir')),
    secureCookies: raw['secureCookies'] === undefined ? true : raw['secureCookies'] === true,
  };
  const web = raw['https'] as Record<string, unknown> | undefined;
  let https: ConsoleConfig['https'];
  if (web !== undefined) {
    https = {
      cert: path(str(web['cert'], 'https.cert')),
      key: path(str(web['key'], 'https.key')),
    };
    for (const [field, p] of Object.entries(https))
      if (!existsSync(p))
        throw new ConsoleError(
          'INPUT_INVALID',
          `console config field https.${field}: file ${p} does not exist`,
        );
  } else if (raw['insecureHttp'] !== true) {
    throw new ConsoleError(
      'INPUT_INVALID',
      'console config needs https {cert, key} (operators sign in here); plain HTTP only with "insecureHttp": true on a test machine',
    );
  }
  let stateBrokers: Record<string, string> | undefined;
  if (raw['stateBrokers'] !== undefined) {
    const sb = raw['stateBrokers'];
    if (!sb || typeof sb !== 'object' || Array.isArray(sb))
      throw new ConsoleError(
        'INPUT_INVALID',
        'console config field stateBrokers must be an object of State/UT code → host:port',
      );
    stateBrokers = {};
    for (const [k, v] of Object.entries(sb)) stateBrokers[k] = addr(v, `stateBrokers.${k}`);
  }
  for (const [field, p] of Object.entries(cfg.tls))
    if (!existsSync(p))
      throw new ConsoleError(
        'INPUT_INVALID',
        `console config field tls.${field}: file ${p} does not exist`,
      );
  let secret: Buffer;
  if (env['CCTNS_CONSOLE_SECRET']) {
    secret = Buffer.from(env['CCTNS_CONSOLE_SECRET'], 'base64');
  } else {
    const secretFile = path(
      typeof raw['secretFile'] === 'string' ? raw['secretFile'] : 'session-secret',
    );
    if (!existsSync(secretFile))
      writeSecretFile(secretFile, `${randomBytes(32).toString('base64')}\n`);
    secret = Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'base64');
  }
  if (secret.length < 32)
    throw new ConsoleError(
      'INPUT_INVALID',
      'the session secret must be at least 32 bytes (base64)',
    );
  const wait = raw['approvalWaitSeconds'] ?? DEFAULT_APPROVAL_WAIT_SECONDS;
  if (typeof wait !== 'number' || !Number.isInteger(wait) || wait < 1 || wait > 3600)
    throw new ConsoleError(
      'INPUT_INVALID',
      'console config field approvalWaitSeconds must be a whole number of seconds from 1 to 3600',
    );
  return {
    ...cfg,
    approvalWaitSeconds: wait,
    secret,
    ...(https ? { https } : {}),
    ...(stateBrokers ? { stateBrokers } : {}),
  };
}
