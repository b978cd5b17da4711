import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  certificateUris,
  isStateCode,
  JwsSigner,
  loadPrivateKey,
  parseIdentity,
  parseSpiffeUri,
  pemBlocks,
} from '@cctns/pki';
import type { Delivery } from '@cctns/proto';
import { Agent, AgentError } from '@cctns/station-agent';
import type { Logger } from 'pino';
import { Server as IoServer, type Socket } from 'socket.io';
import { WebSocketServer } from 'ws';
import { Accounts } from '../auth/accounts.js';
import { ConsoleAudit, operatorActor } from '../auth/audit.js';
import { ConsoleError } from '../auth/errors.js';
import {
  Sessions,
  sessionFromCookie,
  SESSION_COOKIE,
  type SessionClaims,
} from '../auth/sessions.js';
import { AlertBook } from './book.js';
import {
  broadcastAlert,
  Broadcasts,
  checkBroadcastScope,
  parseBroadcastInput,
} from './broadcasts.js';
import { DEFAULT_APPROVAL_WAIT_SECONDS } from './config.js';
import { BrokerClient, brokerErrorMessage, trustDomainOf, type ConsoleTls } from './brokers.js';
import { StationDirectory } from './directory.js';
import type {
  AuditEntryView,
  AuditView,
  BroadcastView,
  ClientToServerEvents,
  ContactsDocument,
  EscalationsSnapshot,
  NotificationsSnapshot,
  OperatorView,
  ServerToClientEvents,
  SocketData,
} from './events.js';
import { alertView, receiptView, SupervisionFeed } from './feed.js';
import { readJson, requestUrl, responder, staticFiles } from './http.js';
import { NotificationWatch, readNotifications } from './notifications.js';
import { readEscalations } from './escalations.js';

/** How the console server runs. */
export interface ConsoleServerOptions {
  /** HTTP(S) address, `host:port`. */
  listen: string;
  /** The broker's mutual-TLS address (of the console's scope: its state, or national). */
  broker: string;
  /** For a national console: the state brokers whose stations, notifications and contacts it shows. */
  stateBrokers?: Record<string, string>;
  /** The console's own certificate (`hq/<scope>/console`), key and the national root: PEM files. */
  tls: { cert: string; key: string; root: string };
  /** The web server's certificate and key (PEM). Without them the server speaks plain HTTP: tests and benches on loopback only. */
  https?: { cert: string; key: string };
  /** Folder of the operator accounts, broadcasts and outbox databases. */
  consoleDir: string;
  /** Key that signs sessions (at least 32 bytes). */
  secret: Uint8Array;
  /** Secure cookies (HTTPS). Only tests that say so run without. */
  secureCookies: boolean;
  /** The built browser UI (default: `dist-web` of this package). */
  webDir?: string;
  /** How long approving a national broadcast waits for the officer's own signature (default 120). */
  approvalWaitSeconds?: number;
  logger: Logger;
  clock?: () => Date;
  /** How often the station directory is polled (ms). */
  directoryPollMs?: number;
  /** How often the brokers' notification queues are polled for the sockets (ms). */
  notificationPollMs?: number;
  /** How often sockets are checked for ended sessions (ms). */
  sessionSweepMs?: number;
}

const RECENT = 500;
/** How long sending a broadcast waits for the broker's answer before saying it is queued. */
const ANSWER_WAIT_MS = 10_000;
/** How often the console's audit head is checkpointed (signed). */
const AUDIT_CHECKPOINT_MS = 5 * 60_000;
/** How often sockets are checked for sessions that ended. */
const SWEEP_MS = 15_000;

type ConsoleSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

const DEFAULT_WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist-web');

/**
 * The HQ console server: sign-in (password + TOTP → a session cookie), the browser UI, a REST
 * API and socket.io authenticated by the same session. It follows its broker's supervision
 * stream with its own `hq/<scope>/console` certificate, polls the station directory, sends
 * broadcasts through its own outbox link (a national one only after a second duty officer
 * approves), and reads notifications and contacts from the state brokers in its scope.
 */
export class ConsoleServer {
  private constructor(
    readonly address: string,
    readonly scope: string,
    readonly url: string,
    private readonly closers: Array<() => Promise<void> | void>,
  ) {}

  /** Starts the server and begins following the broker. */
  static async start(opts: ConsoleServerOptions): Promise<ConsoleServer> {
    const clock = opts.clock ?? (() => new Date());
    const chainPem = readFileSync(opts.tls.cert);
    const leaf = new X509Certificate(pemBlocks(chainPem.toString(), 'CERTIFICATE')[0]!);
    const uri = certificateUris(leaf).find((u) => u.startsWith('spiffe://')) ?? '';
    const id = parseIdentity(parseSpiffeUri(uri).path);
    if (id.kind !== 'hq')
      throw new ConsoleError(
        'INPUT_INVALID',
        'the console needs an hq/<scope>/console certificate',
      );
    const scope = id.state;
    const identity = `hq/${scope}/${id.operator}`;
    const tls: ConsoleTls = {
      keyPem: readFileSync(opts.tls.key),
      chainPem,
      rootPem: readFileSync(opts.tls.root),
      trustDomain: trustDomainOf(uri),
    };
    const log = opts.logger.child({ component: 'console', scope });
    const closers: Array<() => Promise<void> | void> = [];

    // Brokers: the home broker, and for national the state brokers it was given.
    const home = new BrokerClient({ home: scope, address: opts.broker }, tls);
    closers.push(() => home.close());
    const states = new Map<string, BrokerClient>();
    if (scope === 'national') {
      for (const [state, address] of Object.entries(opts.stateBrokers ?? {})) {
        if (!isStateCode(state))
          throw new ConsoleError('INPUT_INVALID', `stateBrokers: ${state} is not a State/UT code`);
        const c = new BrokerClient({ home: state, address }, tls);
        states.set(state, c);
        closers.push(() => c.close());
      }
    } else {
      states.set(scope, home);
    }

    const accounts = new Accounts(join(opts.consoleDir, 'console.db'));
    closers.push(() => accounts.close());
    const broadcasts = new Broadcasts(join(opts.consoleDir, 'console.db'));
    closers.push(() => broadcasts.close());
    const sessions = new Sessions(opts.secret);
    const audit = new ConsoleAudit(join(opts.consoleDir, 'console.db'));
    const auditSigner = new JwsSigner(
      loadPrivateKey(tls.keyPem.toString(), undefined, 'the console key').privateKey,
      tls.chainPem.toString(),
    );
    const checkpoint = () =>
      audit
        .checkpoint(auditSigner, identity, clock())
        .catch((err: unknown) => log.error({ err }, 'console audit checkpoint failed'));
    // One at start, so what the log held before this run is pinned at once.
    void checkpoint();
    const checkpoints = setInterval(() => void checkpoint(), AUDIT_CHECKPOINT_MS);
    checkpoints.unref();
    closers.push(async () => {
      clearInterval(checkpoints);
      await checkpoint();
      audit.close();
    });
    const book = new AlertBook();
    /** The broker link's last known state, told to every socket as it connects. */
    let link: { connected: boolean; broker: string; detail?: string } = {
      connected: false,
      broker: opts.broker,
      detail: 'connecting',
    };
    /** Latest activity per operator: REST requests keep their sockets' sessions alive too. */
    const activeUntil = new Map<string, number>();

    // The outbox: broadcasts are signed with the console's key and sent over its own link.
    const agent = Agent.openWith({
      config: { identity, trustDomain: tls.trustDomain, broker: opts.broker },
      files: {
        key: opts.tls.key,
        cert: opts.tls.cert,
        root: opts.tls.root,
        db: join(opts.consoleDir, 'outbox.db'),
      },
      logger: log,
      clock,
    });
    closers.unshift(() => agent.close());

    const https = Boolean(opts.https);
    const { send, fail, headers } = responder(log, https);
    const statics = staticFiles(opts.webDir ?? DEFAULT_WEB_DIR, headers);
    const cookie = (token: string) => sessions.cookie(token, { secure: opts.secureCookies });

    /** The operator a request's session proves; renews the idle clock (a fresh cookie). */
    const operator = async (req: IncomingMessage) => {
      const claims = await sessions.verify(sessionFromCookie(req.headers.cookie), clock());
      const token = await sessions.issue(claims, clock());
      const fresh = await sessions.verify(token, clock());
      activeUntil.set(claims.username, fresh.expiresAt);
      return { op: claims as OperatorView & SessionClaims, setCookie: cookie(token) };
    };
    const whoami = (op: OperatorView): OperatorView => ({
      username: op.username,
      role: op.role,
      scope: op.scope,
      console: identity,
      brokerStates: [...states.keys()].sort(),
      approvalWaitSeconds: opts.approvalWaitSeconds ?? DEFAULT_APPROVAL_WAIT_SECONDS,
    });
    const requireRole = (op: OperatorView, roles: OperatorView['role'][], what: string) => {
      if (!roles.includes(op.role))
        throw new ConsoleError('FORBIDDEN', `${op.role} ${op.username} may not ${what}`);
    };
    const stateInScope = (op: OperatorView, state: string) => {
      if (!isStateCode(state))
        throw new ConsoleError('INPUT_INVALID', `${state} is not a State/UT code`);
      if (op.scope !== 'national' && op.scope !== state)
        throw new ConsoleError(
          'FORBIDDEN',
          `operator ${op.username} of ${op.scope} may not act on ${state}`,
        );
      const c = states.get(state);
      if (!c)
        throw new ConsoleError('NOT_FOUND', `this console has no broker configured for ${state}`);
      return c;
    };
    const broker = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        const message = brokerErrorMessage(err);
        if (/FIELD_INVALID|MALFORMED/.test(message))
          throw new ConsoleError('INPUT_INVALID', message, { cause: err });
        throw new ConsoleError('BROKER_UNAVAILABLE', message, { cause: err });
      }
    };

    const io = new IoServer<
      ClientToServerEvents,
      ServerToClientEvents,
      Record<string, never>,
      SocketData
    >({ serveClient: false, maxHttpBufferSize: 64 * 1024, wsEngine: WebSocketServer });

    const sendBroadcast = async (
      b: { id: string; input: BroadcastView['input'] },
      composer: string,
      approver?: { username: string; scope: string },
    ) => {
      const alert = broadcastAlert({
        input: b.input,
        sender: identity,
        composer,
        ...(approver ? { approver: approver.username } : {}),
        now: clock(),
      });
      // The broadcast's id is the alert's: a retried approval cannot send it twice.
      alert.identifier = b.id;
      if (!approver) {
        await agent.send(alert);
        return alert.identifier;
      }
      // The two-person rule is the network's: the draft waits at the broker until the approving
      // officer signs it with their own HQ key, through their own agent (this console never
      // holds operators' keys), and only that officer's approval is taken.
      const officer = `hq/${approver.scope}/${approver.username}`;
      try {
        await agent.sendApproved(alert, {
          timeoutMs: (opts.approvalWaitSeconds ?? DEFAULT_APPROVAL_WAIT_SECONDS) * 1000,
          approver: officer,
        });
      } catch (err) {
        if (err instanceof AgentError && err.code === 'APPROVAL_PENDING')
          throw new ConsoleError(
            'CONFLICT',
            `not signed yet: approve it with your own HQ key (cctns agent --dir <your agent> approve ${alert.identifier}), then approve here again`,
            { cause: err },
          );
        if (err instanceof AgentError && err.code === 'APPROVAL_INVALID')
          throw new ConsoleError('FORBIDDEN', err.message, { cause: err });
        if (err instanceof AgentError) throw err;
        throw new ConsoleError('BROKER_UNAVAILABLE', brokerErrorMessage(err), { cause: err });
      }
      return alert.identifier;
    };
    const announce = (b: BroadcastView) => {
      io.emit('broadcast', b);
      return b;
    };

    // The broker's answer to each broadcast, from the outbox: recorded, audited and told live.
    const waiting = new Map<string, () => void>();
    const settle = (ref: string) => {
      if (!ref.startsWith('alert:')) return;
      const id = ref.slice('alert:'.length);
      const item = agent.store.outboxItem(id);
      if (!item || item.status === 'pending') return;
      const b = broadcasts.answer(
        id,
        item.status === 'accepted'
          ? { status: 'accepted', seq: item.seq ?? 0 }
          : { status: 'refused', code: item.reason ?? 'INTERNAL', message: item.message ?? '' },
        clock(),
      );
      if (b) {
        audit.record({
          actor: identity,
          action: 'console.broadcast.answer',
          outcome: b.status === 'accepted' ? 'ok' : 'refused',
          subject: b.id,
          ...(b.refusal ? { code: b.refusal.code, message: b.refusal.message } : {}),
          details: {
            broker: `broker/${scope}`,
            status: b.status,
            ...(b.seq !== null ? { seq: b.seq } : {}),
          },
        });
        log.info(
          { broadcast: b.id, status: b.status, seq: b.seq, refusal: b.refusal?.code },
          'broker answered a broadcast',
        );
        announce(b);
      }
      waiting.get(id)?.();
    };
    /** The broadcast once the broker answered, or still queued after a short wait. */
    const answered = (id: string) =>
      new Promise<BroadcastView>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(broadcasts.get(id)!);
        };
        const timer = setTimeout(done, ANSWER_WAIT_MS);
        waiting.set(id, done);
        settle(`alert:${id}`);
      });
    /** Marks a broadcast queued once its signed alert is in the outbox, and waits for the answer. */
    const queued = async (id: string, by: string) => {
      const q = broadcasts.decide(id, { status: 'queued', by, now: clock(), alertId: id });
      if (!q) throw new ConsoleError('CONFLICT', 'this broadcast was decided meanwhile');
      announce(q);
      return answered(id);
    };

    const routes: Array<{
      method: string;
      path: RegExp;
      /** The audit action of a change (routes that only read are not audited). */
      action?: string;
      handle: (
        req: IncomingMessage,
        m: RegExpMatchArray,
        q: URLSearchParams,
        op: OperatorView,
      ) => Promise<unknown>;
    }> = [
      {
        method: 'GET',
        path: /^\/api\/me$/,
        handle: async (_r, _m, _q, op) => whoami(op),
      },
      {
        method: 'GET',
        path: /^\/api\/alerts$/,
        handle: async (_r, _m, q) => {
          const limit = Number(q.get('limit') ?? 100);
          if (!Number.isInteger(limit) || limit < 1 || limit > RECENT)
            throw new ConsoleError('INPUT_INVALID', `limit must be 1-${RECENT}`);
          const alerts = book.recent(limit);
          return {
            alerts,
            progress: book.progress(
              alerts.map((a) => a.id),
              directory.current().stations,
            ),
          };
        },
      },
      {
        method: 'GET',
        path: /^\/api\/alerts\/([^/]{1,128})$/,
        handle: async (_r, m) => {
          const d = book.detail(decodeURIComponent(m[1]!), directory.current().stations);
          if (!d) throw new ConsoleError('NOT_FOUND', 'no such alert in this console');
          return d;
        },
      },
      {
        method: 'GET',
        path: /^\/api\/stations$/,
        handle: async () => directory.current(),
      },
      {
        method: 'GET',
        path: /^\/api\/broadcasts$/,
        handle: async () => ({ broadcasts: broadcasts.list() }),
      },
      {
        method: 'POST',
        path: /^\/api\/broadcasts$/,
        action: 'console.broadcast.compose',
        handle: async (req, _m, _q, op) => {
          requireRole(op, ['duty-officer', 'administrator'], 'broadcast');
          const input = parseBroadcastInput(await readJson(req));
          checkBroadcastScope(input, op);
          // Compose once now so a bad field is refused before anything is stored.
          broadcastAlert({ input, sender: identity, composer: op.username, now: clock() });
          // Brokers take an Update or Cancel only from the sender of the alert it changes.
          for (const ref of input.references ?? []) {
            const known = book.get(ref);
            if (known && known.sender !== identity)
              throw new ConsoleError(
                'FORBIDDEN',
                `only alerts this console sent (${identity}) can be updated or cancelled here; ${ref} was sent by ${known.sender}`,
              );
          }
          if (input.to.national) {
            const b = broadcasts.create({ input, composer: op.username, now: clock() });
            log.info(
              { broadcast: b.id, operator: op.username },
              'national broadcast awaits approval',
            );
            return announce(b);
          }
          const b = broadcasts.create({ input, composer: op.username, now: clock() });
          await sendBroadcast(b, op.username);
          log.info({ broadcast: b.id, operator: op.username }, 'broadcast queued');
          return queued(b.id, op.username);
        },
      },
      {
        method: 'POST',
        path: /^\/api\/broadcasts\/([0-9a-f-]{36})\/(approve|reject)$/,
        action: 'console.broadcast.decide',
        handle: async (req, m, _q, op) => {
          requireRole(op, ['duty-officer', 'administrator'], 'approve or reject broadcasts');
          const b = broadcasts.get(m[1]!);
          if (!b) throw new ConsoleError('NOT_FOUND', 'no such broadcast');
          if (b.status !== 'pending')
            throw new ConsoleError('CONFLICT', `this broadcast was already ${b.status}`);
          checkBroadcastScope(b.input, op);
          if (m[2] === 'reject') {
            const body = await readJson(req);
            const reason = typeof body['reason'] === 'string' ? body['reason'].trim() : '';
            if (!reason || reason.length > 500)
              throw new ConsoleError(
                'INPUT_INVALID',
                'a rejection needs a reason (up to 500 characters)',
              );
            const r = broadcasts.decide(b.id, {
              status: 'rejected',
              by: op.username,
              now: clock(),
              reason,
            });
            if (!r) throw new ConsoleError('CONFLICT', 'this broadcast was decided meanwhile');
            log.info({ broadcast: b.id, operator: op.username }, 'broadcast rejected');
            return announce(r);
          }
          if (b.composer === op.username)
            throw new ConsoleError(
              'FORBIDDEN',
              'a national broadcast needs a second duty officer: you composed this one',
            );
          await sendBroadcast(b, b.composer, { username: op.username, scope: op.scope });
          log.info(
            { broadcast: b.id, operator: op.username },
            'national broadcast approved and queued',
          );
          return queued(b.id, op.username);
        },
      },
      {
        method: 'GET',
        path: /^\/api\/notifications$/,
        handle: async (_r, _m, q): Promise<NotificationsSnapshot> => {
          const alertId = q.get('alert') ?? '';
          if (alertId.length > 128) throw new ConsoleError('INPUT_INVALID', 'alert id too long');
          return readNotifications([...states.values()], alertId);
        },
      },
      {
        method: 'GET',
        path: /^\/api\/escalations$/,
        handle: async (_r, _m, q): Promise<EscalationsSnapshot> => {
          const alertId = q.get('alert') ?? '';
          if (alertId.length > 128) throw new ConsoleError('INPUT_INVALID', 'alert id too long');
          return readEscalations([...states.values()], alertId);
        },
      },
      {
        method: 'GET',
        path: /^\/api\/audit$/,
        handle: async (_r, _m, q, op): Promise<AuditView> => {
          requireRole(op, ['administrator'], 'read the audit');
          const sources = ['console', scope, ...[...states.keys()].filter((s) => s !== scope)];
          const source = q.get('source') ?? 'console';
          if (!sources.includes(source))
            throw new ConsoleError('INPUT_INVALID', `source must be one of ${sources.join(', ')}`);
          const text = (k: string) => {
            const v = (q.get(k) ?? '').trim();
            if (v.length > 200) throw new ConsoleError('INPUT_INVALID', `${k} is too long`);
            return v;
          };
          const [subject, actor, action] = [text('subject'), text('actor'), text('action')];
          const verify = q.get('verify') === '1';
          const limit = 500;
          if (source === 'console') {
            const prefix = action.endsWith('.') ? action : '';
            const found = audit.find({
              ...(subject ? { subject } : {}),
              ...(actor ? { actor } : {}),
              ...(action && !prefix ? { action } : {}),
              ...(prefix ? { actionPrefix: prefix } : {}),
            });
            const c = audit.check();
            return {
              source,
              sources,
              headSeq: c.head.seq,
              headHash: c.head.hash,
              checkpoints: c.checkpoints,
              verified: verify ? c.report.ok : null,
              problems: verify ? c.report.problems.map((p) => p.message) : [],
              entries: found
                .slice(-limit)
                .reverse()
                .map((e) => ({ seq: e.seq, hash: e.hash, ...e.body })),
            };
          }
          const client = source === scope ? home : states.get(source)!;
          const page = await broker(() =>
            client.queryAudit({ subject, actor, action, limit, verify }),
          );
          return {
            source,
            sources,
            headSeq: Number(page.headSeq),
            headHash: page.headHash,
            checkpoints: page.checkpoints,
            verified: verify ? page.verified : null,
            problems: page.problems,
            entries: page.entries.map((e) => ({
              seq: Number(e.seq),
              hash: e.hash,
              ...(JSON.parse(e.bodyJson) as Omit<AuditEntryView, 'seq' | 'hash'>),
            })),
          };
        },
      },
      {
        method: 'GET',
        path: /^\/api\/contacts$/,
        handle: async (_r, _m, q, op) => {
          const state = q.get('state') ?? (op.scope === 'national' ? '' : op.scope);
          const c = stateInScope(op, state);
          const doc = await broker(() => c.getContacts());
          return { state, document: JSON.parse(doc.json) as ContactsDocument };
        },
      },
      {
        method: 'PUT',
        path: /^\/api\/contacts$/,
        action: 'console.contacts.edit',
        handle: async (req, _m, q, op) => {
          requireRole(op, ['administrator'], 'edit the contact directory');
          const state = q.get('state') ?? (op.scope === 'national' ? '' : op.scope);
          const c = stateInScope(op, state);
          const body = await readJson(req);
          const doc = await broker(() => c.putContacts(JSON.stringify(body)));
          log.info({ operator: op.username, state }, 'contact directory edited');
          return { state, document: JSON.parse(doc.json) as ContactsDocument };
        },
      },
    ];

    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        try {
          const url = requestUrl(req);
          const path = url.pathname;
          if (path === '/api/session' && req.method === 'POST') {
            const body = await readJson(req);
            const [username, password, code] = [
              body['username'],
              body['password'],
              body['code'],
            ].map((v) => (typeof v === 'string' ? v : ''));
            let op;
            try {
              op = await accounts.signIn({
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
            } catch (err) {
              audit.record({
                actor: `console:${username!.slice(0, 64) || '(none)'}`,
                action: 'console.signin',
                outcome: 'refused',
                code: err instanceof ConsoleError ? err.code : 'INTERNAL',
              });
              throw err;
            }
            audit.record({ actor: operatorActor(op), action: 'console.signin', outcome: 'ok' });
            const token = await sessions.issue(op, clock());
            log.info({ operator: op.username }, 'signed in');
            return send(res, 200, whoami(op), { 'set-cookie': cookie(token) });
          }
          if (path === '/api/session' && req.method === 'DELETE') {
            return send(
              res,
              200,
              { signedOut: true },
              {
                'set-cookie': `${SESSION_COOKIE}=; HttpOnly; ${opts.secureCookies ? 'Secure; ' : ''}SameSite=Strict; Path=/; Max-Age=0`,
              },
            );
          }
          if (path === '/healthz') return send(res, 200, { status: 'ok', scope });
          if (path.startsWith('/api/')) {
            const matching = routes.filter((r) => r.path.test(path));
            if (matching.length === 0)
              throw new ConsoleError('NOT_FOUND', `no such endpoint ${path}`);
            const route = matching.find((r) => r.method === req.method);
            if (!route)
              throw new ConsoleError('NOT_FOUND', `${req.method} is not served at ${path}`);
            const { op, setCookie } = await operator(req);
            const m = path.match(route.path)!;
            let body: unknown;
            try {
              body = await route.handle(req, m, url.searchParams, op);
            } catch (err) {
              if (route.action)
                audit.record({
                  actor: operatorActor(op),
                  action: route.action,
                  outcome: 'refused',
                  subject: path,
                  code: err instanceof ConsoleError ? err.code : 'INTERNAL',
                  message: err instanceof Error ? err.message : String(err),
                });
              throw err;
            }
            if (route.action) {
              const b = body as { id?: string; status?: string; state?: string };
              const decision =
                route.action === 'console.broadcast.decide'
                  ? { decision: path.endsWith('/approve') ? 'approved' : 'rejected' }
                  : {};
              audit.record({
                actor: operatorActor(op),
                action: route.action,
                outcome: 'ok',
                subject: b.id ?? (b.state ? `contacts/${b.state}` : path),
                ...(b.status ? { details: { ...decision, status: b.status } } : {}),
              });
            }
            return send(res, 200, body, { 'set-cookie': setCookie });
          }
          if (statics(req, res, path)) return;
          throw new ConsoleError('NOT_FOUND', 'not found');
        } catch (err) {
          fail(res, err);
        }
      })();
    };

    const server: Server = opts.https
      ? createHttpsServer(
          { cert: readFileSync(opts.https.cert), key: readFileSync(opts.https.key) },
          handler,
        )
      : createHttpServer(handler);
    io.attach(server);

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
    io.on('connection', (socket: ConsoleSocket) => {
      socket.emit('stations', directory.current());
      socket.emit('link', link);
      socket.on('recent', (query, ack) => {
        if (typeof ack !== 'function') return;
        const limit = Number((query as { limit?: unknown } | undefined)?.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > RECENT)
          return ack({ ok: false, code: 'INPUT_INVALID', message: `limit must be 1-${RECENT}` });
        ack({ ok: true, alerts: book.recent(limit) });
      });
    });
    // Sockets of sessions that went idle are told and closed; REST activity keeps them alive.
    const sweep = setInterval(() => {
      const now = clock().getTime();
      for (const s of io.of('/').sockets.values()) {
        const d = s.data;
        const until = Math.max(d.expiresAt ?? 0, activeUntil.get(d.username) ?? 0);
        if (until <= now) {
          s.emit('session', {
            expired: true,
            message: 'the session ended after 30 idle minutes; sign in again',
          });
          s.disconnect(true);
        }
      }
    }, opts.sessionSweepMs ?? SWEEP_MS);
    sweep.unref();
    closers.push(() => clearInterval(sweep));

    const directory = new StationDirectory(
      [...states.values()],
      log,
      (snapshot) => io.emit('stations', snapshot),
      clock,
    );
    directory.start(opts.directoryPollMs);
    closers.push(() => directory.stop());

    const watch = new NotificationWatch([...states.values()], log, (rows) =>
      io.emit('notifications', rows),
    );
    watch.start(opts.notificationPollMs);
    closers.push(() => watch.stop());

    const feed = new SupervisionFeed(
      { address: opts.broker, home: scope, tls, logger: log },
      (d: Delivery) => {
        try {
          if (d.item?.$case === 'alert') {
            const view = alertView(d.seq, d.item.value.jws);
            book.addAlert(view);
            io.emit('alert', view);
          } else if (d.item?.$case === 'receipt') {
            const view = receiptView(d.seq, d.item.value.jws);
            book.addReceipt(view);
            io.emit('receipt', view);
          }
        } catch (err) {
          log.warn({ seq: d.seq, err: (err as Error).message }, 'entry not shown');
        }
      },
      (connected, detail) => {
        link = { connected, broker: opts.broker, ...(detail ? { detail } : {}) };
        io.emit('link', link);
      },
    );
    feed.start();
    closers.unshift(() => feed.stop());
    agent.run({ answered: (ref) => settle(ref) });
    // Broadcasts queued before a restart: their answers may have come while no one listened.
    for (const id of broadcasts.unanswered()) settle(`alert:${id}`);

    const idx = opts.listen.lastIndexOf(':');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(opts.listen.slice(idx + 1)), opts.listen.slice(0, idx), () => resolve());
    });
    const a = server.address() as AddressInfo;
    const address = `${a.address}:${a.port}`;
    const url = `${https ? 'https' : 'http'}://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    log.info({ address, https }, 'console listening');
    closers.unshift(
      () => new Promise<void>((r) => io.close(() => r())),
      () => new Promise<void>((r) => server.close(() => r())),
    );
    return new ConsoleServer(address, scope, url, closers);
  }

  /** Stops following the broker, closes sockets, the HTTP server, the outbox and the databases. */
  async stop(): Promise<void> {
    for (const c of this.closers) await c();
  }
}
