import type { ChannelCredentials } from '@grpc/grpc-js';
import type { StateCode } from '@cctns/pki';
import type { RawLink } from '../support/raw-link.js';
import type { IpcChild, TrackedAlert } from './national-ipc.js';
import { BenchLink, monoMs } from './national-link.js';
import { killBroker, scrape, startBroker, type BrokerProc } from './national-procs.js';
import { note, sleep, withTimeout } from './report.js';

const B = 'national';

/** When every holder has seen a tracked alert reach all its links: first and last arrival. */
export interface Arrival {
  first: number;
  last: number;
  count: number;
}

/**
 * Collects the holders' `complete` events: `expect` before `track` (a holder with no link in
 * scope reports at once), then `wait` for the alert to have reached every holder's links.
 */
export class Arrivals {
  private readonly pending = new Map<
    string,
    { left: number; a: Arrival; done: Promise<Arrival>; resolve: (a: Arrival) => void }
  >();

  constructor(private readonly holders: IpcChild[]) {
    for (const h of holders)
      h.onEvent((e) => {
        const p = this.pending.get(e.id);
        if (!p) return;
        if (e.count > 0) {
          p.a.first = Math.min(p.a.first, e.first);
          p.a.last = Math.max(p.a.last, e.last);
          p.a.count += e.count;
        }
        if (--p.left === 0) p.resolve(p.a);
      });
  }

  /** Starts waiting for `ids` (call before tracking them). */
  expect(ids: string[]): void {
    for (const id of ids) {
      let resolve: (a: Arrival) => void = () => undefined;
      const done = new Promise<Arrival>((r) => (resolve = r));
      this.pending.set(id, {
        left: this.holders.length,
        a: { first: Infinity, last: 0, count: 0 },
        done,
        resolve,
      });
    }
  }

  /** Resolves when every holder reported `id` complete. */
  wait(id: string, timeoutMs: number): Promise<Arrival> {
    const p = this.pending.get(id);
    if (!p) throw new Error(`alert ${id} is not expected`);
    return withTimeout(p.done, timeoutMs, `alert ${id} reaching every station`);
  }
}

/** Tracks alerts on every holder; returns how many links each alert should reach. */
export async function track(
  holders: IpcChild[],
  arrivals: Arrivals,
  alerts: TrackedAlert[],
): Promise<number> {
  arrivals.expect(alerts.map((a) => a.id));
  const replies = await Promise.all(
    holders.map((h) => h.request<{ targets: Record<string, number> }>({ cmd: 'track', alerts })),
  );
  return replies.reduce((n, r) => n + (r.targets[alerts[0]!.id] ?? 0), 0);
}

/** What one holder says about its stations (see `status` in national-links.ts). */
interface HolderStatus {
  stations: number;
  linked: number;
  missing: number;
  duplicated: number;
  lastLinkedAt: number;
  caughtUpAt: number;
  reconnects: number;
  stray: number;
}

/** The sum (and latest times) of every holder's status for `states`. */
export async function status(holders: IpcChild[], states?: string[]): Promise<HolderStatus> {
  const all = await Promise.all(
    holders.map((h) => h.request<HolderStatus>({ cmd: 'status', states })),
  );
  return all.reduce((s, x) => ({
    stations: s.stations + x.stations,
    linked: s.linked + x.linked,
    missing: s.missing + x.missing,
    duplicated: s.duplicated + x.duplicated,
    lastLinkedAt: Math.max(s.lastLinkedAt, x.lastLinkedAt),
    caughtUpAt: Math.max(s.caughtUpAt, x.caughtUpAt),
    reconnects: s.reconnects + x.reconnects,
    stray: s.stray + x.stray,
  }));
}

/** Sends a pre-signed alert from HQ and resolves with when the broker answered (throws on refusal). */
export async function hqSend(hq: RawLink, ref: string, jws: string): Promise<number> {
  hq.send({ ref, body: { $case: 'alert', value: { jws } } });
  const a = await hq.answer(ref);
  if (!a.accepted) throw new Error(`HQ alert ${ref} refused: ${a.reason} ${a.message}`);
  return monoMs();
}

/** The reconnect storm's figures (milliseconds from the SIGKILL). */
export interface StormResult {
  stations: number;
  restartReadyMs: number;
  allLinkedMs: number;
  caughtUpMs: number;
  missing: number;
  duplicated: number;
  reconnects: number;
  broker: BrokerProc;
}

/**
 * P7: with every station of `state` linked, two alerts to the state are delivered, a third is
 * sent and its broker SIGKILLed as soon as HQ has its answer (mid-delivery), three more are sent
 * while it is down, it is restarted on the same port (with `nodeArgs`, e.g. a CPU profile),
 * and two more are sent during the storm. Done when every station of the state is linked again
 * and has every one of the eight alerts, each exactly once (by id).
 */
export async function reconnectStorm(args: {
  holders: IpcChild[];
  arrivals: Arrivals;
  hq: RawLink;
  broker: BrokerProc;
  state: StateCode;
  alerts: Array<{ id: string; jws: string }>;
  nodeArgs?: string[];
}): Promise<StormResult> {
  const { holders, arrivals, hq, state, alerts } = args;
  if (alerts.length !== 8) throw new Error('the storm sends eight alerts');
  const target = await track(
    holders,
    arrivals,
    alerts.map((a) => ({ ...a, states: [state] })),
  );
  for (const [i, a] of alerts.slice(0, 2).entries()) {
    await hqSend(hq, `p7-${i}`, a.jws);
    await arrivals.wait(a.id, 60_000);
  }
  await hqSend(hq, 'p7-2', alerts[2]!.jws);
  const killedAt = monoMs();
  await killBroker(args.broker);
  note(
    B,
    `broker/${state} SIGKILLed with ${target} stations linked; three alerts while it is down`,
  );
  for (const [i, a] of alerts.slice(3, 6).entries()) await hqSend(hq, `p7-${i + 3}`, a.jws);
  const broker = await startBroker(state, args.broker.config, {
    nodeArgs: args.nodeArgs,
    history: args.broker.history,
  });
  const readyAt = monoMs();
  for (const [i, a] of alerts.slice(6).entries()) await hqSend(hq, `p7-${i + 6}`, a.jws);
  const end = Date.now() + 180_000;
  let s = await status(holders, [state]);
  while (s.linked < s.stations || s.missing > 0) {
    if (Date.now() > end)
      throw new Error(
        `reconnect storm: after 180 s ${s.linked} of ${s.stations} linked, ${s.missing} deliveries missing`,
      );
    await sleep(250);
    s = await status(holders, [state]);
  }
  // A late duplicate would come within the ack window; give it the chance to show.
  await sleep(1000);
  s = await status(holders, [state]);
  return {
    stations: s.stations,
    restartReadyMs: readyAt - killedAt,
    allLinkedMs: s.lastLinkedAt - killedAt,
    caughtUpMs: s.caughtUpAt - killedAt,
    missing: s.missing,
    duplicated: s.duplicated,
    reconnects: s.reconnects,
    broker,
  };
}

/** One broadcast's figures: milliseconds from the send to the first and the last station. */
export interface BroadcastResult {
  first: number[];
  last: number[];
  answered: number[];
  windows: Array<[number, number]>;
  stations: number;
  /** Peak RSS and heap of the watched broker while broadcasts were under way. */
  peak: { rss: number; heap: number };
}

/**
 * P1: national broadcasts one after another, each timed from the send until every holder says
 * all its links have it. `send` starts one (HQ's link, or a raw NATS publish) and resolves when
 * it was accepted. While they run, the watched broker's memory is scraped (P6 during).
 */
export async function broadcasts(args: {
  holders: IpcChild[];
  arrivals: Arrivals;
  alerts: Array<{ id: string; jws: string }>;
  send: (jws: string, i: number) => Promise<number>;
  watch?: BrokerProc;
}): Promise<BroadcastResult> {
  const { holders, arrivals, alerts } = args;
  const stations = await track(holders, arrivals, alerts);
  const out: BroadcastResult = {
    first: [],
    last: [],
    answered: [],
    windows: [],
    stations,
    peak: { rss: 0, heap: 0 },
  };
  let watching = true;
  const watcher = (async () => {
    while (watching && args.watch) {
      const m = await scrape(args.watch).catch(() => ({}) as Record<string, number>);
      out.peak.rss = Math.max(out.peak.rss, m['process_resident_memory_bytes'] ?? 0);
      out.peak.heap = Math.max(out.peak.heap, m['nodejs_heap_size_used_bytes'] ?? 0);
      // Not faster: each scrape is work for the very broker being measured.
      await sleep(250);
    }
  })();
  try {
    for (const [i, a] of alerts.entries()) {
      const t0 = monoMs();
      const answered = args.send(a.jws, i);
      const arrived = await arrivals.wait(a.id, 120_000);
      const at = await answered;
      out.first.push(arrived.first - t0);
      out.last.push(arrived.last - t0);
      out.answered.push(at - t0);
      out.windows.push([t0, arrived.last]);
      note(
        B,
        `broadcast ${i}: first ${(arrived.first - t0).toFixed(1)} ms, last ${(arrived.last - t0).toFixed(1)} ms (${arrived.count} stations), accepted ${(at - t0).toFixed(1)} ms`,
      );
      await sleep(1000);
    }
  } finally {
    watching = false;
    await watcher;
  }
  return out;
}

/**
 * P3: 200 stations each send their pre-signed alerts (a window outstanding each) to one
 * receiving station; timed from the first send until the receiver has them all.
 */
export async function ingest(args: {
  holders: IpcChild[];
  receiver: { address: string; creds: ChannelCredentials; cursor: number };
  total: number;
  window: number;
}): Promise<{ rate: number; seconds: number; refused: number; firstRefusal: string }> {
  let got = 0;
  let lastAt = 0;
  let all: () => void = () => undefined;
  const done = new Promise<void>((r) => (all = r));
  const rx = new BenchLink(args.receiver.address, args.receiver.creds, {
    delivery: () => {
      lastAt = monoMs();
      if (++got === args.total) all();
    },
  });
  try {
    await withTimeout(rx.hello(args.receiver.cursor), 30_000, 'receiver welcome');
    const sent = await Promise.all(
      args.holders.map((h) =>
        h.request<{ start: number; refused: number; firstRefusal: string }>({
          cmd: 'send',
          window: args.window,
        }),
      ),
    );
    const refused = sent.reduce((n, s) => n + s.refused, 0);
    if (refused === 0) await withTimeout(done, 120_000, `receiver getting ${args.total} alerts`);
    const start = Math.min(...sent.map((s) => s.start));
    const seconds = (lastAt - start) / 1000;
    return {
      rate: got / seconds,
      seconds,
      refused,
      firstRefusal: sent.find((s) => s.firstRefusal)?.firstRefusal ?? '',
    };
  } finally {
    rx.close();
  }
}
