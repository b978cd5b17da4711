/**
 * A link holder of the national benchmark: a child process (forked with `node --import tsx`)
 * that holds a share of the 17,712 station links and behaves like their stations: hello with a
 * cursor, deliveries acknowledged, full-jitter reconnects when a broker goes away. It reports
 * to the parent over the IPC channel: when each tracked alert reached the first and the last of
 * its links (CLOCK_MONOTONIC milliseconds, the same clock in every process), and, per station,
 * which alerts arrived and how often. Several holders share the links because one Node process
 * cannot open (TLS) and hold them all on two cores.
 */
import { readFileSync } from 'node:fs';
import { JwsSigner, loadPrivateKey, signAlert } from '@cctns/pki';
import { composeAlert } from '@cctns/station-agent';
import { BenchLink, monoMs, stationCredentials } from './national-link.js';
import type { StationCerts } from './national-pki.js';
import type { HolderEvent, HolderReply, HolderRequest, TrackedAlert } from './national-ipc.js';

interface Station {
  identity: string;
  state: string;
  key: Buffer;
  chain: Buffer;
  /** Last log sequence received: what the station says in its hello. */
  cursor: number;
  link: BenchLink | undefined;
  linked: boolean;
  linkedAt: number;
  attempt: number;
  /** Tracked alert id -> deliveries of it on this station. */
  got: Map<string, number>;
  /** When the last tracked alert this station lacked arrived. */
  completedAt: number;
  /** Alerts to send for the ingest figure, pre-signed. */
  outbox: string[];
}

/** Links opened at once: more only queues TLS handshakes behind each other. */
const OPEN_BATCH = 100;
/** Full-jitter reconnect bounds, the station agent's defaults. */
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

let root = Buffer.alloc(0);
const stations: Station[] = [];
let addresses: Record<string, string> = {};
let reconnect = false;
let reconnects = 0;
let stray = 0;
const byJws = new Map<string, string>();
const tracked = new Map<string, TrackedAlert & { count: number; first: number; last: number }>();
const targets = new Map<string, number>();
const dups = new Map<string, number>();

function emit(m: HolderEvent | HolderReply): void {
  process.send?.(m);
}

function wants(t: TrackedAlert, s: Station): boolean {
  return !t.states || t.states.includes(s.state);
}

function onDelivery(s: Station, seq: number, jws: string): void {
  s.cursor = Math.max(s.cursor, seq);
  const id = byJws.get(jws);
  const t = id === undefined ? undefined : tracked.get(id);
  if (!t || !wants(t, s)) return void stray++;
  const n = (s.got.get(t.id) ?? 0) + 1;
  s.got.set(t.id, n);
  if (n > 1) return void dups.set(t.id, (dups.get(t.id) ?? 0) + 1);
  const now = monoMs();
  if (++t.count === 1) t.first = now;
  t.last = now;
  if ([...tracked.values()].every((x) => !wants(x, s) || s.got.has(x.id))) s.completedAt = now;
  if (t.count === targets.get(t.id))
    emit({ event: 'complete', id: t.id, first: t.first, last: t.last, count: t.count });
}

/** One connection attempt; resolves true when welcomed. Reconnects later if asked to. */
function connect(s: Station): Promise<boolean> {
  const address = addresses[s.state];
  if (!address) return Promise.resolve(false);
  const link = new BenchLink(address, stationCredentials(root, s.key, s.chain), {
    delivery: (seq, jws) => onDelivery(s, seq, jws),
    answer: (ref, accepted, reason) => onAnswer(s, ref, accepted, reason),
  });
  s.link = link;
  void link.ended.then(() => {
    if (s.link !== link) return;
    const wasLinked = s.linked;
    s.linked = false;
    s.link = undefined;
    if (!reconnect) return;
    s.attempt = wasLinked ? 0 : s.attempt + 1;
    const delay = Math.random() * Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** s.attempt);
    setTimeout(() => {
      if (reconnect && !s.link) {
        reconnects++;
        void connect(s);
      }
    }, delay);
  });
  return link.hello(s.cursor).then(
    () => {
      s.linked = true;
      s.linkedAt = monoMs();
      return true;
    },
    () => false,
  );
}

async function open(req: Extract<HolderRequest, { cmd: 'open' }>) {
  addresses = req.addresses;
  reconnect = req.reconnect;
  const only = req.only ? new Set(req.only) : undefined;
  const list = stations.filter((s) => !only || only.has(s.identity));
  const t0 = monoMs();
  let failed = 0;
  for (let i = 0; i < list.length; i += OPEN_BATCH) {
    const results = await Promise.all(list.slice(i, i + OPEN_BATCH).map((s) => connect(s)));
    failed += results.filter((ok) => !ok).length;
  }
  return { opened: list.length - failed, failed, seconds: (monoMs() - t0) / 1000 };
}

function close() {
  reconnect = false;
  for (const s of stations) {
    const link = s.link;
    s.link = undefined;
    s.linked = false;
    link?.close();
  }
  return { closed: true };
}

function track(req: Extract<HolderRequest, { cmd: 'track' }>) {
  byJws.clear();
  tracked.clear();
  targets.clear();
  dups.clear();
  stray = 0;
  for (const s of stations) {
    s.got.clear();
    s.completedAt = 0;
  }
  for (const a of req.alerts) {
    byJws.set(a.jws, a.id);
    tracked.set(a.id, { ...a, jws: '', count: 0, first: 0, last: 0 });
    const target = stations.filter((s) => s.linked && wants(a, s)).length;
    targets.set(a.id, target);
    if (target === 0) emit({ event: 'complete', id: a.id, first: 0, last: 0, count: 0 });
  }
  return { targets: Object.fromEntries(targets) };
}

function status(req: Extract<HolderRequest, { cmd: 'status' }>) {
  const mine = stations.filter((s) => !req.states || req.states.includes(s.state));
  let missing = 0;
  let duplicated = 0;
  let lastLinkedAt = 0;
  let caughtUpAt = 0;
  for (const s of mine) {
    lastLinkedAt = Math.max(lastLinkedAt, s.linkedAt);
    for (const t of tracked.values()) {
      if (!wants(t, s)) continue;
      const n = s.got.get(t.id) ?? 0;
      if (n === 0) missing++;
      if (n > 1) duplicated += n - 1;
    }
    caughtUpAt = Math.max(caughtUpAt, s.completedAt);
  }
  return {
    stations: mine.length,
    linked: mine.filter((s) => s.linked).length,
    missing,
    duplicated,
    lastLinkedAt,
    caughtUpAt,
    reconnects,
    stray,
    tracked: Object.fromEntries(
      [...tracked.values()].map((t) => [
        t.id,
        { count: t.count, first: t.first, last: t.last, target: targets.get(t.id) ?? 0 },
      ]),
    ),
    dups: Object.fromEntries(dups),
    rss: process.memoryUsage().rss,
  };
}

async function prepare(req: Extract<HolderRequest, { cmd: 'prepare' }>) {
  const t0 = monoMs();
  const senders = stations.filter((s) => req.senders.includes(s.identity));
  const sample: string[] = [];
  for (const s of senders) {
    const signer = new JwsSigner(
      loadPrivateKey(s.key.toString(), undefined, 'station key').privateKey,
      s.chain.toString(),
    );
    s.outbox = [];
    for (let i = 0; i < req.perStation; i++) {
      const alert = composeAlert({
        sender: s.identity,
        to: { stations: [req.to] },
        event: 'Benchmark',
        headline: `ingest ${i} from ${s.identity}`,
        description: 'x'.repeat(400),
        now: new Date(),
      });
      s.outbox.push((await signAlert(signer, alert)).jws);
    }
    if (sample.length < 50) sample.push(...s.outbox.slice(0, 50 - sample.length));
  }
  return {
    senders: senders.length,
    alerts: senders.length * req.perStation,
    sample,
    seconds: (monoMs() - t0) / 1000,
  };
}

const answers = new Map<Station, { sent: number; answered: number; wake: () => void }>();
let accepted = 0;
let refused = 0;
let firstRefusal = '';

function onAnswer(s: Station, _ref: string, ok: boolean, reason: string): void {
  if (ok) accepted++;
  else {
    refused++;
    firstRefusal ||= `${s.identity}: ${reason}`;
  }
  const a = answers.get(s);
  if (a) {
    a.answered++;
    a.wake();
  }
}

async function send(req: Extract<HolderRequest, { cmd: 'send' }>) {
  accepted = 0;
  refused = 0;
  firstRefusal = '';
  const senders = stations.filter((s) => s.outbox.length > 0 && s.link);
  const t0 = monoMs();
  await Promise.all(
    senders.map(async (s) => {
      const a = { sent: 0, answered: 0, wake: () => undefined as void };
      answers.set(s, a);
      while (a.answered < s.outbox.length) {
        while (a.sent < s.outbox.length && a.sent - a.answered < req.window) {
          s.link?.send({
            ref: `i${a.sent}`,
            body: { $case: 'alert', value: { jws: s.outbox[a.sent]! } },
          });
          a.sent++;
        }
        if (!s.link) throw new Error(`${s.identity}: link lost while sending`);
        await new Promise<void>((r) => (a.wake = r));
      }
      answers.delete(s);
    }),
  );
  return { senders: senders.length, accepted, refused, firstRefusal, start: t0, end: monoMs() };
}

function init(req: Extract<HolderRequest, { cmd: 'init' }>) {
  const certs = JSON.parse(readFileSync(req.stationsFile, 'utf8')) as StationCerts;
  root = Buffer.from(certs.root);
  const keys = certs.keys.map((k) => Buffer.from(k));
  const cas = new Map(Object.entries(certs.cas).map(([s, pem]) => [s, pem]));
  for (const [i, c] of certs.stations.entries()) {
    if (i % req.holders !== req.index) continue;
    stations.push({
      identity: c.identity,
      state: c.state,
      key: keys[c.key]!,
      chain: Buffer.from(c.leaf + cas.get(c.state)!),
      cursor: 0,
      link: undefined,
      linked: false,
      linkedAt: 0,
      attempt: 0,
      got: new Map(),
      completedAt: 0,
      outbox: [],
    });
  }
  return { stations: stations.length };
}

async function handle(req: HolderRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'init':
      return init(req);
    case 'open':
      return open(req);
    case 'close':
      return close();
    case 'track':
      return track(req);
    case 'status':
      return status(req);
    case 'prepare':
      return prepare(req);
    case 'send':
      return send(req);
  }
}

process.on('message', (req: HolderRequest) => {
  handle(req).then(
    (result) => emit({ rid: req.rid, ok: true, result }),
    (err: Error) => emit({ rid: req.rid, ok: false, error: err.stack ?? err.message }),
  );
});
// The parent is gone (crashed or killed): leave no orphan holding thousands of sockets.
process.on('disconnect', () => process.exit(0));
