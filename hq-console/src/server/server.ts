import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { certificateUris, parseIdentity, parseSpiffeUri, pemBlocks } from '@cctns/pki';
import type { Delivery } from '@cctns/proto';
import type { Logger } from 'pino';
import { Server as IoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { Accounts } from '../auth/accounts.js';
import { ConsoleError } from '../auth/errors.js';
import { Sessions, sessionFromCookie, SESSION_COOKIE } from '../auth/sessions.js';
import type {
  AlertView,
  ClientToServerEvents,
  ServerToClientEvents,
  SocketData,
} from './events.js';
import { alertView, receiptView, SupervisionFeed } from './feed.js';

/** How the console server runs. */
export interface ConsoleServerOptions {
  /** HTTP address, `host:port`. */
  listen: string;
  /** The broker's mutual-TLS address (of the console's scope: its state, or national). */
  broker: string;
  /** The console's own certificate (`hq/<scope>/console`), key and the national root: PEM files. */
  tls: { cert: string; key: string; root: string };
  /** Folder of the operator accounts database. */
  consoleDir: string;
  /** Key that signs sessions (at least 32 bytes). */
  secret: Uint8Array;
  /** Secure cookies (HTTPS in front). Only tests that say so run without. */
  secureCookies: boolean;
  logger: Logger;
  clock?: () => Date;
}

const MAX_BODY = 16 * 1024;
const RECENT = 500;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ConsoleError('INPUT_INVALID', 'request too large');
    chunks.push(chunk);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (cause) {
    throw new ConsoleError('INPUT_INVALID', 'the body must be a JSON object', { cause });
  }
}

const HTTP_STATUS: Record<string, number> = {
  AUTH_FAILED: 401,
  SESSION_INVALID: 401,
  SESSION_EXPIRED: 401,
  ACCOUNT_LOCKED: 423,
  FORBIDDEN: 403,
  INPUT_INVALID: 400,
};

/**
 * The HQ console server: sign-in (password + TOTP → a session cookie), socket.io authenticated by
 * the same session, and a live feed from the broker's supervision stream, which the console
 * follows with its own `hq/<scope>/console` certificate. The browser UI arrives with its issue.
 */
export class ConsoleServer {
  private constructor(
    readonly address: string,
    readonly scope: string,
    private readonly http: HttpServer,
    private readonly io: IoServer<
      ClientToServerEvents,
      ServerToClientEvents,
      Record<string, never>,
      SocketData
    >,
    private readonly feed: SupervisionFeed,
    private readonly accounts: Accounts,
  ) {}

  /** Starts the server and begins following the broker. */
  static async start(opts: ConsoleServerOptions): Promise<ConsoleServer> {
    const clock = opts.clock ?? (() => new Date());
    const chainPem = readFileSync(opts.tls.cert);
    const leaf = new X509Certificate(pemBlocks(chainPem.toString(), 'CERTIFICATE')[0]!);
    const uri = certificateUris(leaf).find((u) => u.startsWith('spiffe://'));
    const id = parseIdentity(parseSpiffeUri(uri ?? '').path);
    if (id.kind !== 'hq')
      throw new ConsoleError(
        'INPUT_INVALID',
        'the console needs an hq/<scope>/console certificate',
      );
    const scope = id.state;
    const accounts = new Accounts(join(opts.consoleDir, 'console.db'));
    const sessions = new Sessions(opts.secret);
    const log = opts.logger.child({ component: 'console', scope });
    const recent: AlertView[] = [];

    const send = (
      res: ServerResponse,
      status: number,
      body: unknown,
      headers: Record<string, string> = {},
    ) =>
      res
        .writeHead(status, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          ...headers,
        })
        .end(JSON.stringify(body));
    const fail = (res: ServerResponse, err: unknown) => {
      if (err instanceof ConsoleError)
        return send(res, HTTP_STATUS[err.code] ?? 400, { code: err.code, message: err.message });
      log.error({ err }, 'console request failed');
      return send(res, 500, { code: 'INTERNAL', message: 'internal error' });
    };

    const http = createServer((req, res) => {
      void (async () => {
        try {
          const url = (req.url ?? '/').split('?')[0];
          if (url === '/api/session' && req.method === 'POST') {
            const body = await readJson(req);
            const [username, password, code] = [
              body['username'],
              body['password'],
              body['code'],
            ].map((v) => (typeof v === 'string' ? v : ''));
            const op = await accounts.signIn({
              username: username!,
              password: password!,
              code: code!,
              now: clock(),
            });
            if (op.scope !== scope)
              throw new ConsoleError(
                'FORBIDDEN',
                `this is the ${scope} console; operator ${op.username} belongs to ${op.scope}`,
              );
            const token = await sessions.issue(op, clock());
            log.info({ operator: op.username }, 'signed in');
            return send(
              res,
              200,
              { username: op.username, role: op.role, scope: op.scope },
              { 'set-cookie': sessions.cookie(token, { secure: opts.secureCookies }) },
            );
          }
          if (url === '/api/session' && req.method === 'DELETE') {
            return send(
              res,
              200,
              { signedOut: true },
              {
                'set-cookie': `${SESSION_COOKIE}=; HttpOnly; ${opts.secureCookies ? 'Secure; ' : ''}SameSite=Strict; Path=/; Max-Age=0`,
              },
            );
          }
          if (url === '/api/me' && req.method === 'GET') {
            const claims = await sessions.verify(sessionFromCookie(req.headers.cookie), clock());
            // A request is activity: a fresh token restarts the idle clock.
            const token = await sessions.issue(
              { username: claims.username, role: claims.role, scope: claims.scope },
              clock(),
            );
            return send(res, 200, claims, {
              'set-cookie': sessions.cookie(token, { secure: opts.secureCookies }),
            });
          }
          if (url === '/healthz') return send(res, 200, { status: 'ok', scope });
          return send(res, 404, { code: 'NOT_FOUND', message: 'not found' });
        } catch (err) {
          fail(res, err);
        }
      })();
    });

    const io = new IoServer<
      ClientToServerEvents,
      ServerToClientEvents,
      Record<string, never>,
      SocketData
    >(http, { serveClient: false, maxHttpBufferSize: 64 * 1024, wsEngine: WebSocketServer });
    io.use((socket, next) => {
      sessions
        .verify(sessionFromCookie(socket.handshake.headers.cookie), clock())
        .then((claims) => {
          socket.data = claims;
          next();
        })
        .catch((err: unknown) => {
          const e =
            err instanceof ConsoleError
              ? err
              : new ConsoleError('SESSION_INVALID', 'not signed in');
          next(Object.assign(new Error(e.message), { data: { code: e.code } }));
        });
    });
    io.on('connection', (socket) => {
      socket.on('recent', (query, ack) => {
        if (typeof ack !== 'function') return;
        const limit = Number((query as { limit?: unknown } | undefined)?.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > RECENT)
          return ack({ ok: false, code: 'INPUT_INVALID', message: `limit must be 1-${RECENT}` });
        ack({ ok: true, alerts: recent.slice(-limit).reverse() });
      });
    });

    const feed = new SupervisionFeed(
      {
        address: opts.broker,
        rootPem: readFileSync(opts.tls.root),
        keyPem: readFileSync(opts.tls.key),
        chainPem,
        logger: log,
      },
      (d: Delivery) => {
        try {
          if (d.item?.$case === 'alert') {
            const view = alertView(d.seq, d.item.value.jws);
            recent.push(view);
            if (recent.length > RECENT) recent.shift();
            io.emit('alert', view);
          } else if (d.item?.$case === 'receipt') {
            io.emit('receipt', receiptView(d.seq, d.item.value.jws));
          }
        } catch (err) {
          log.warn({ seq: d.seq, err: (err as Error).message }, 'entry not shown');
        }
      },
      (connected, detail) =>
        io.emit('link', { connected, broker: opts.broker, ...(detail ? { detail } : {}) }),
    );
    feed.start();

    const idx = opts.listen.lastIndexOf(':');
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(Number(opts.listen.slice(idx + 1)), opts.listen.slice(0, idx), () => resolve());
    });
    const a = http.address() as AddressInfo;
    log.info({ address: `${a.address}:${a.port}` }, 'console listening');
    return new ConsoleServer(`${a.address}:${a.port}`, scope, http, io, feed, accounts);
  }

  /** Stops following the broker, closes sockets and the HTTP server. */
  async stop(): Promise<void> {
    this.feed.stop();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.accounts.close();
  }
}
