import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { ConsoleError } from '../auth/errors.js';

const MAX_BODY = 256 * 1024;
/**
 * What is read and thrown away of a body the console refuses before it has read it all; beyond
 * this the connection is cut.
 */
const MAX_DISCARDED = 16 * 1024 * 1024;

/**
 * The request's URL, its path checked to decode: a target that is not a path, or broken
 * percent-encoding (`/api/alerts/%E0%A4%A`), is the client's mistake, INPUT_INVALID.
 */
export function requestUrl(req: IncomingMessage): URL {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://console');
  } catch (cause) {
    throw new ConsoleError('INPUT_INVALID', 'the request target is not a path', { cause });
  }
  decodePath(url.pathname);
  return url;
}

/** A path or path segment percent-decoded; broken encoding is INPUT_INVALID. */
export function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch (cause) {
    throw new ConsoleError('INPUT_INVALID', 'the path has broken percent-encoding', { cause });
  }
}

/**
 * Reads a JSON object body (at most 256 KiB; JSON content type only, which also stops form posts
 * from other sites). A body refused part-way is left to `discardBody`, not destroyed: closing a
 * connection with bytes unread resets it, and the client sees the reset instead of the answer.
 */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new ConsoleError('INPUT_INVALID', 'the body must be application/json');
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY)
    throw new ConsoleError('INPUT_INVALID', 'request too large');
  const body = await new Promise<Buffer>((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const done = (err?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', done);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) return done(new ConsoleError('INPUT_INVALID', 'request too large'));
      chunks.push(chunk);
    };
    const onEnd = () => done();
    req.on('data', onData).on('end', onEnd).on('error', done);
  });
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (cause) {
    throw new ConsoleError('INPUT_INVALID', 'the body must be a JSON object', { cause });
  }
}

/**
 * Reads and throws away what is left of a request's body (up to MAX_DISCARDED, then the
 * connection is cut), so that a client still sending gets the answer and may keep the connection.
 */
export function discardBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let left = MAX_DISCARDED;
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) req.destroy();
  });
  req.resume();
}

const HTTP_STATUS: Record<string, number> = {
  AUTH_FAILED: 401,
  SESSION_INVALID: 401,
  SESSION_EXPIRED: 401,
  ACCOUNT_LOCKED: 423,
  FORBIDDEN: 403,
  INPUT_INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BROKER_UNAVAILABLE: 502,
};

/** Headers on every response: no framing, no sniffing, no referrer, a strict content policy. */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ...(https ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** JSON responses and errors as `{ code, message }`. */
export function responder(logger: Logger, https: boolean) {
  const base = securityHeaders(https);
  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) =>
    res
      .writeHead(status, {
        ...base,
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        ...headers,
      })
      .end(JSON.stringify(body));
  const fail = (res: ServerResponse, err: unknown) => {
    // A refusal may come before the body was read (or part-way through it).
    discardBody(res.req);
    if (err instanceof ConsoleError)
      return send(res, HTTP_STATUS[err.code] ?? 400, { code: err.code, message: err.message });
    logger.error({ err }, 'console request failed');
    return send(res, 500, { code: 'INTERNAL', message: 'internal error' });
  };
  return { send, fail, headers: base };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Serves the built browser UI from `dir` (files only inside it; `/` is index.html). Hashed
 * assets are cached; index.html never is, so a new build shows at once.
 */
export function staticFiles(dir: string, headers: Record<string, string>) {
  const root = resolve(dir);
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const rel = path === '/' ? 'index.html' : decodePath(path).replace(/^\/+/, '');
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      if (path === '/') {
        res
          .writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
          .end('The console UI is not built here: run `npm run build`.\n');
        return true;
      }
      return false;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': rel.startsWith('assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
    return true;
  };
}
