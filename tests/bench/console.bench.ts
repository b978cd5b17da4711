import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Accounts,
  ConsoleServer,
  totpCode,
  type AlertView,
  type ReceiptView,
} from '@cctns/hq-console';
import { composeAlert } from '@cctns/station-agent';
import { Server as IoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import {
  enrollStation,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  testLogger,
} from '../support/network.js';
import type { ClientsReply, ClientsRequest } from './console-clients.js';
import { line, note as noteFor, percentile, sleep, withTimeout } from './report.js';

/**
 * The HQ console server with N browser-like socket.io clients (websocket transport, signed in
 * with a session cookie) while a station sends alerts at a steady rate through one state broker
 * (MH) to another station; every alert and its delivered receipt reach the console over the
 * broker's supervision stream and are emitted to every client. Measured:
 *
 * - latency to the clients: from the sending station's `send()` (the time is stamped in the
 *   headline before signing), and from the broker's delivery on the supervision stream, until
 *   each client's `alert` event fires. The delivery is noted by a probe: a second supervision
 *   stream with the console's certificate, which the broker writes at the same moment as the
 *   console's own. The probe lives in the clients' process, not in this one, so that its reading
 *   does not wait behind the console's handling of the same delivery (in one process it would be
 *   served after the console's stream and read late);
 * - memory per connected client: this process's heap (after a full GC) and RSS before and after
 *   the N clients connect. The heap is the figure; RSS is indicative only (the allocator reuses
 *   pages freed earlier in the run).
 *
 * The clients run in a child process of their own (console-clients.ts) so that this process's
 * memory is the server side's alone; their arrival times are mapped onto this process's clock by
 * a ping/pong calibration over the IPC channel (broker delivery -> client needs none: both
 * readings are the child's). Broker, stations and console server share this process, as in
 * `cctns up`. The N clients share one event loop, so a message reaches the last of them only
 * after the others have parsed it — in the baseline as much as in the console.
 *
 * Against a raw socket.io server in the same run: the same HTTP + socket.io set-up (ws engine, no
 * authentication, no broker), the same N clients in a fresh child process, emitting an alert view
 * of the same size at the same rate, each followed by a receipt view after the median delay the
 * console run saw between an alert and its receipt; timed from `io.emit` to each client.
 */
export async function benchConsole(opts: {
  clients: number;
  rate: number;
  seconds: number;
}): Promise<void> {
  const dir = tempDir('bench-console');
  const cleanups: Array<{ what: string; run: () => unknown }> = [];
  const onCleanup = (what: string, run: () => unknown) => cleanups.push({ what, run });
  onCleanup('temporary directory', () => rmSync(dir, { recursive: true, force: true }));
  const count = Math.round(opts.rate * opts.seconds);
  const warm = Math.min(WARM_CLIENTS, opts.clients);
  const gc = gcFunction();
  note(`memory readings: ${gc.how}`);

  try {
    // --- one state broker, a sending and a receiving station, the console's certificate
    const { pki, cas } = await makePki(dir, ['MH']);
    onCleanup('PKI', () => pki.close());
    const mh = cas.get('MH')!;
    const broker = await startBroker(dir, pki, 'MH', {
      httpListen: null,
      limits: { ratePerSecond: 1e6, burst: 1e6 },
    });
    onCleanup('broker', () => broker.stop());
    const station = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
    onCleanup('sending station', () => station.close());
    const peer = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS002');
    onCleanup('receiving station', () => peer.close());
    runFast(station);
    runFast(peer);
    const tls = join(dir, 'console-tls');
    await provision(pki, mh, 'hq/MH/console', tls);
    const consoleDir = join(dir, 'console');
    mkdirSync(consoleDir, { recursive: true });
    const accounts = new Accounts(join(consoleDir, 'console.db'));
    const { totpSecret } = await accounts.add({
      username: 'duty1',
      role: 'viewer',
      scope: 'MH',
      password: PASSWORD,
      now: new Date(),
    });
    accounts.close();

    // Plain HTTP and non-Secure cookies: this is a benchmark on loopback with no TLS terminator
    // in front, as in the integration test. A deployment keeps secureCookies: true.
    const server = await ConsoleServer.start({
      listen: '127.0.0.1:0',
      broker: broker.addresses.grpc,
      tls: {
        cert: join(tls, 'cert.pem'),
        key: join(tls, 'key.pem'),
        root: join(tls, 'root.pem'),
      },
      consoleDir,
      secret: Buffer.alloc(32, 7),
      secureCookies: false,
      logger: testLogger,
    });
    onCleanup('console server', () => server.stop());
    const base = `http://${server.address}`;

    const res = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'duty1',
        password: PASSWORD,
        code: totpCode(totpSecret, new Date()),
      }),
    });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;

    /** Our clock when each timed alert was sent, by index. */
    const sent = new Map<number, number>();
    let index = 0;
    const sendAlert = async (): Promise<void> => {
      const i = index++;
      const stamp = epochMs();
      sent.set(i, stamp);
      await station.send(
        composeAlert({
          sender: station.identity,
          to: { stations: [peer.identity] },
          event: 'Benchmark',
          headline: `bench ${i} @${stamp.toFixed(3)}`,
          description: 'x'.repeat(400),
          now: new Date(),
        }),
      );
    };

    const clients = new Clients();
    onCleanup('console clients', () => clients.close());
    const cal = await clients.calibrate();
    note(
      `client clock offset ${cal.offset.toFixed(3)} ms (ping/pong round trip ${cal.rtt.toFixed(3)} ms)`,
    );
    await clients.ask(
      {
        type: 'probe',
        address: broker.addresses.grpc,
        tls: {
          cert: join(tls, 'cert.pem'),
          key: join(tls, 'key.pem'),
          root: join(tls, 'root.pem'),
        },
      },
      'probing',
    );

    // --- warm-up: a few clients and alerts, so that code paths are compiled before measuring
    note(`warm-up: ${warm} clients, ${WARM_ALERTS} alerts`);
    await clients.connect(base, cookie, warm);
    await steady(WARM_ALERTS, opts.rate, sendAlert);
    const warmed = await clients.ask(
      { type: 'collect', first: 0, last: index - 1, timeoutMs: 30_000 },
      'collected',
    );
    const view = warmed.probe?.view;
    const receipt = warmed.probe?.receipt;
    if (!view || !receipt) throw new Error('warm-up: the probe saw no alert or no receipt');
    await clients.ask({ type: 'disconnect' }, 'disconnected');
    await sleep(1000);

    // --- memory per connected client
    const before = await memory(gc.gc);
    note(`connecting ${opts.clients} clients`);
    const t0 = epochMs();
    await clients.connect(base, cookie, opts.clients);
    const connectSeconds = (epochMs() - t0) / 1000;
    await sleep(500);
    const after = await memory(gc.gc);
    line(
      B,
      'setup: clients connected (sign-in cookie, socket.io handshake)',
      connectSeconds,
      's',
      `${opts.clients} websocket clients in batches of ${CONNECT_BATCH}`,
    );
    const cctnsMem = perClient(before, after, opts.clients);
    line(
      B,
      'console server heap per connected client',
      cctnsMem.heap,
      'KiB',
      `heapUsed ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB; external ${mib(before.external)} -> ${mib(after.external)} MiB`,
    );
    line(
      B,
      'console server RSS per connected client',
      cctnsMem.rss,
      'KiB',
      `indicative; process RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB, with broker and 2 stations`,
    );

    // --- the steady stream
    note(`${count} alerts at ${opts.rate}/s to ${opts.clients} clients`);
    const first = index;
    await steady(count, opts.rate, sendAlert);
    const last = index - 1;
    const got = await clients.ask({ type: 'collect', first, last, timeoutMs: 30_000 }, 'collected');
    const fromSend: number[] = [];
    const fromDelivery: number[] = [];
    const lastFromDelivery: number[] = [];
    const sendToDelivery: number[] = [];
    for (let i = first; i <= last; i++) {
      // Arrivals and the probe's delivery are on the child's clock; `sent` is on ours.
      const at = got.arrivals[i] ?? [];
      const delivered = got.probe?.delivered[i];
      if (delivered === undefined) throw new Error(`the probe never saw alert ${i}`);
      sendToDelivery.push(delivered - cal.offset - sent.get(i)!);
      for (const a of at) {
        fromSend.push(a - cal.offset - sent.get(i)!);
        fromDelivery.push(a - delivered);
      }
      if (at.length > 0) lastFromDelivery.push(Math.max(...at) - delivered);
    }
    // The raw baseline replays the same sequence: each alert, then its receipt this much later.
    const receiptDelay = percentile(
      Object.entries(got.probe?.receipts ?? {}).map(
        ([i, at]) => at - got.probe!.delivered[Number(i)]!,
      ),
      50,
    );
    const events = `${count} alerts + ${Math.round(got.receipts / Math.max(1, got.clients))} receipts per client, ${opts.rate}/s, ${got.clients} clients`;
    line(B, 'station send -> console client p50', percentile(fromSend, 50), 'ms', events);
    line(B, 'station send -> console client p99', percentile(fromSend, 99), 'ms');
    line(
      B,
      'station send -> broker supervision delivery p50',
      percentile(sendToDelivery, 50),
      'ms',
      'sign, outbox, link, verify, store, supervision stream',
    );
    const [delP50, delP99] = [percentile(fromDelivery, 50), percentile(fromDelivery, 99)];
    line(
      B,
      'broker delivery -> console client p50',
      delP50,
      'ms',
      `${fromDelivery.length} deliveries to clients`,
    );
    line(B, 'broker delivery -> console client p99', delP99, 'ms');
    line(B, 'broker delivery -> last console client p50', percentile(lastFromDelivery, 50), 'ms');
    if (got.missing || got.duplicates)
      line(
        B,
        'anomalies',
        got.missing + got.duplicates,
        'events',
        `${got.missing} alerts not received by a client, ${got.duplicates} duplicates`,
      );

    // The console side is done; the baseline runs alone.
    for (const c of cleanups.splice(1).reverse()) await settle(c);

    // --- raw socket.io baseline
    const raw = await rawSocketIo(opts, view, receipt, receiptDelay, gc.gc, onCleanup);
    line(
      B,
      'raw socket.io server heap per connected client',
      raw.mem.heap,
      'KiB',
      `heapUsed ${mib(raw.before.heapUsed)} -> ${mib(raw.after.heapUsed)} MiB`,
    );
    line(
      B,
      'raw socket.io emit -> client p50',
      percentile(raw.latency, 50),
      'ms',
      `${raw.latency.length} deliveries of ${raw.size}-byte alert views, each receipt ${receiptDelay.toFixed(1)} ms later as in the console run, ${opts.rate}/s, ${raw.clients} clients`,
    );
    line(B, 'raw socket.io emit -> client p99', percentile(raw.latency, 99), 'ms');
    line(B, 'raw socket.io emit -> last client p50', percentile(raw.last, 50), 'ms');
    if (raw.missing || raw.duplicates)
      line(
        B,
        'raw anomalies',
        raw.missing + raw.duplicates,
        'events',
        `${raw.missing} not received, ${raw.duplicates} duplicates`,
      );
    line(
      B,
      'ratio latency p50 (console from broker delivery / raw emit)',
      delP50 / percentile(raw.latency, 50),
      'x',
    );
    line(
      B,
      'ratio latency p99 (console from broker delivery / raw emit)',
      delP99 / percentile(raw.latency, 99),
      'x',
    );
    line(B, 'ratio heap per client (console / raw)', cctnsMem.heap / raw.mem.heap, 'x');
  } finally {
    for (const c of cleanups.reverse()) await settle(c);
  }
}

const B = 'console';
const PASSWORD = 'a long passphrase 1';
/** Clients and alerts of the warm-up, before anything is measured. */
const WARM_CLIENTS = 10;
const WARM_ALERTS = 20;
/** Clients connecting at once. */
const CONNECT_BATCH = 50;

/** Milliseconds since the epoch, sub-millisecond: comparable across processes once calibrated. */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The socket.io clients' child process (console-clients.ts), one request at a time. */
class Clients {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private waiting: { type: string; done: (m: ClientsReply | Error) => void } | undefined;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./console-clients.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: ClientsReply) => {
      if (this.waiting?.type === m.type) {
        const w = this.waiting;
        this.waiting = undefined;
        w.done(m);
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.waiting?.done(new Error(`client process exited (${code ?? signal})`));
        resolve();
      }),
    );
  }

  ask<T extends ClientsReply['type']>(
    m: ClientsRequest,
    type: T,
    timeoutMs = 120_000,
  ): Promise<Extract<ClientsReply, { type: T }>> {
    const answer = new Promise<Extract<ClientsReply, { type: T }>>((resolve, reject) => {
      this.waiting = {
        type,
        done: (r) =>
          r instanceof Error ? reject(r) : resolve(r as Extract<ClientsReply, { type: T }>),
      };
    });
    this.child.send(m);
    return withTimeout(answer, timeoutMs, `client process: ${m.type}`);
  }

  async connect(url: string, cookie: string | undefined, n: number): Promise<void> {
    const r = await this.ask(
      { type: 'connect', url, cookie, n, batch: CONNECT_BATCH },
      'connected',
    );
    if (r.failed) throw new Error(`${r.failed} of ${n} clients failed to connect: ${r.error}`);
  }

  /**
   * The offset of the child's clock from ours (child - parent), from the ping/pong with the
   * shortest round trip: the child's reading is taken as half-way through it.
   */
  async calibrate(): Promise<{ offset: number; rtt: number }> {
    let best = { offset: 0, rtt: Infinity };
    for (let id = 0; id < 50; id++) {
      const t0 = epochMs();
      const pong = await this.ask({ type: 'ping', id }, 'pong');
      const t1 = epochMs();
      if (t1 - t0 < best.rtt) best = { offset: pong.at - (t0 + t1) / 2, rtt: t1 - t0 };
    }
    return best;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies ClientsRequest);
    try {
      await withTimeout(this.exited, 10_000, 'client process exit');
    } catch {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** The baseline: plain socket.io on node:http, same options as the console, no auth, no broker. */
async function rawSocketIo(
  opts: { clients: number; rate: number; seconds: number },
  view: AlertView,
  receipt: ReceiptView,
  receiptDelay: number,
  gc: (() => void) | undefined,
  onCleanup: (what: string, run: () => unknown) => void,
): Promise<{
  mem: { heap: number; rss: number };
  before: { heapUsed: number };
  after: { heapUsed: number };
  latency: number[];
  last: number[];
  size: number;
  clients: number;
  missing: number;
  duplicates: number;
}> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new IoServer(http, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    wsEngine: WebSocketServer,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const timers = new Set<NodeJS.Timeout>();
  onCleanup('raw socket.io server', async () => {
    for (const t of timers) clearTimeout(t);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    http.close();
  });
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients = new Clients();
  onCleanup('raw clients', () => clients.close());
  const cal = await clients.calibrate();
  note(
    `raw: client clock offset ${cal.offset.toFixed(3)} ms (round trip ${cal.rtt.toFixed(3)} ms)`,
  );

  const sent = new Map<number, number>();
  let index = 0;
  const emit = () => {
    const i = index++;
    const stamp = epochMs();
    sent.set(i, stamp);
    io.emit('alert', { ...view, seq: i, headline: `bench ${i} @${stamp.toFixed(3)}` });
    const t = setTimeout(() => {
      timers.delete(t);
      io.emit('receipt', { ...receipt, seq: i });
    }, receiptDelay);
    timers.add(t);
  };
  const size = JSON.stringify({ ...view, headline: `bench 0 @${epochMs().toFixed(3)}` }).length;

  await clients.connect(url, undefined, Math.min(WARM_CLIENTS, opts.clients));
  await steady(WARM_ALERTS, opts.rate, emit);
  await clients.ask({ type: 'collect', first: 0, last: index - 1, timeoutMs: 10_000 }, 'collected');
  await clients.ask({ type: 'disconnect' }, 'disconnected');
  await sleep(1000);

  const before = await memory(gc);
  note(`raw: connecting ${opts.clients} clients`);
  await clients.connect(url, undefined, opts.clients);
  await sleep(500);
  const after = await memory(gc);
  const mem = perClient(before, after, opts.clients);

  const count = Math.round(opts.rate * opts.seconds);
  note(`raw: ${count} emits at ${opts.rate}/s to ${opts.clients} clients`);
  const first = index;
  await steady(count, opts.rate, emit);
  const got = await clients.ask(
    { type: 'collect', first, last: index - 1, timeoutMs: 30_000 },
    'collected',
  );
  const latency: number[] = [];
  const last: number[] = [];
  for (let i = first; i < index; i++) {
    const at = (got.arrivals[i] ?? []).map((a) => a - cal.offset - sent.get(i)!);
    latency.push(...at);
    if (at.length > 0) last.push(Math.max(...at));
  }
  return {
    mem,
    before,
    after,
    latency,
    last,
    size,
    clients: got.clients,
    missing: got.missing,
    duplicates: got.duplicates,
  };
}

/** Calls `send` `count` times at `rate` per second on a fixed schedule (no drift). */
async function steady(count: number, rate: number, send: () => unknown): Promise<void> {
  const start = epochMs();
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - epochMs();
    if (wait > 0) await sleep(wait);
    await send();
  }
}

/**
 * The collector: `global.gc` when node runs with --expose-gc; otherwise exposed at run time through
 * V8's flags (works on Node 20); otherwise none, and readings are medians of several samples.
 */
function gcFunction(): { gc?: () => void; how: string } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return { gc: exposed, how: 'full GC before each reading (--expose-gc)' };
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function')
      return {
        gc: gc as () => void,
        how: 'full GC before each reading (exposed at run time with v8.setFlagsFromString)',
      };
  } catch {
    // not available
  }
  return { how: 'no GC available: each reading is the median of 5 samples 200 ms apart' };
}

/** heapUsed, external and RSS of this process after a full GC, or medians of 5 samples. */
async function memory(
  gc: (() => void) | undefined,
): Promise<{ heapUsed: number; external: number; rss: number }> {
  if (gc) {
    gc();
    await sleep(50);
    gc();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
  }
  const samples: NodeJS.MemoryUsage[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(process.memoryUsage());
    await sleep(200);
  }
  return {
    heapUsed: percentile(
      samples.map((s) => s.heapUsed),
      50,
    ),
    external: percentile(
      samples.map((s) => s.external),
      50,
    ),
    rss: percentile(
      samples.map((s) => s.rss),
      50,
    ),
  };
}

function perClient(
  before: { heapUsed: number; rss: number },
  after: { heapUsed: number; rss: number },
  n: number,
): { heap: number; rss: number } {
  return {
    heap: (after.heapUsed - before.heapUsed) / n / 1024,
    rss: (after.rss - before.rss) / n / 1024,
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

async function settle(c: { what: string; run: () => unknown }): Promise<void> {
  try {
    await withTimeout(Promise.resolve().then(c.run), 30_000, `cleanup of ${c.what}`);
  } catch (err) {
    process.stderr.write(`[${B}] cleanup of ${c.what} failed: ${(err as Error).message}\n`);
  }
}

function note(what: string): void {
  noteFor(B, what);
}
