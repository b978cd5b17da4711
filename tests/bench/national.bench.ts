import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { JwsSigner, loadPrivateKey, signAlert, signApproval, type StateCode } from '@cctns/pki';
import { composeAlert } from '@cctns/station-agent';
import { connect as natsConnect } from 'nats';
import { tempDir } from '../support/cli.js';
import { startNats, type NatsServer } from '../support/nats.js';
import { RawLink } from '../support/raw-link.js';
import { IpcChild, RELAY_RECEIVER_CURSOR } from './national-ipc.js';
import { monoMs, stationCredentials } from './national-link.js';
import { Arrivals, broadcasts, hqSend, ingest, reconnectStorm, status } from './national-phases.js';
import { APPROVER_ID, HQ_ID, nationalPki } from './national-pki.js';
import {
  scrape,
  Sampler,
  startBroker,
  writeBrokerConfig,
  type BrokerProc,
} from './national-procs.js';
import { summariseProfile } from './national-profile.js';
import { rawJetStream } from './national-raw.js';
import { printSummary, type NationalFigures } from './national-report.js';
import { benchStations, describeCounts, stationCounts, statesBySize } from './national-states.js';
import {
  reportLog,
  reportNatsLog,
  runCleanups,
  stopNats,
  stopProcess,
  type Cleanup,
} from './processes.js';
import { line, note as noteFor, sleep } from './report.js';

const B = 'national';
/** Senders announce a cursor past the end so the broker delivers them nothing. */
const SENDER_CURSOR = Number.MAX_SAFE_INTEGER - 1;
/** Brokers started at once (each start is a second or two of CPU). */
const START_BATCH = 4;

/** Parameters of a run (`run.ts` has the full and the `--quick` values). */
export interface NationalOptions {
  stations: number;
  /** How many states (the largest first) have a broker and stations. */
  states: number;
  /** Link-holder child processes. */
  holders: number;
  broadcasts: number;
  /** Alerts in the ingest figure, over `senders` stations. */
  ingest: number;
  senders: number;
  window: number;
}

/**
 * The national network on one machine: a real nats-server (JetStream, mutual TLS), the national
 * broker and a broker per State/UT, each its own `cctns broker start` process, and the station
 * links spread over the states in proportion to their police stations, held by several child
 * processes. Measured against raw baselines in the same run: P1 national broadcast (vs a raw gRPC
 * fan-out), P3 ingest at one state broker (vs raw JetStream publish and a raw gRPC relay), P6
 * broker memory per linked station (vs the raw gRPC servers' memory per idle stream), P7
 * reconnect storm after SIGKILL of the largest state's broker, and the CPU and memory of every
 * process. Figures are printed, never asserted.
 */
export async function benchNational(opts: NationalOptions): Promise<void> {
  const states = statesBySize().slice(0, opts.states);
  const counts = stationCounts(opts.stations, states);
  const largest = states[0]!;
  const stations = benchStations(counts);
  line(B, 'stations per state', stations.length, 'stations', describeCounts(counts));
  const pki = await nationalPki(stations, states, largest);
  if (pki.seconds)
    line(B, 'setup: PKI and certificates (cached for reruns)', pki.seconds, 's', pki.dir);

  const dir = tempDir('bench-national');
  const cleanups: Cleanup[] = [];
  const onCleanup = (what: string, run: () => unknown) => cleanups.push({ what, run });
  onCleanup('temporary directory', () => rmSync(dir, { recursive: true, force: true }));
  const brokers = new Map<string, BrokerProc>();
  const natsServers: NatsServer[] = [];
  const sampler = new Sampler();
  onCleanup('sampler', () => sampler.stop());
  // Interrupted (Ctrl-C, or a timeout killing the run): no child may outlive it.
  const interrupted = (signal: NodeJS.Signals) => {
    for (const b of brokers.values()) b.proc.child.kill('SIGKILL');
    for (const c of children) c.kill('SIGKILL');
    for (const n of natsServers) void n.kill();
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`[${B}] ${signal}: child processes killed, ${dir} removed\n`);
    process.exit(130);
  };
  const children: ChildProcess[] = [];
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  onCleanup('signal handlers', () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  });
  const fig: Partial<NationalFigures> = {
    stations: stations.length,
    states: states.length,
    largest,
  };
  try {
    // --- backbone and brokers
    const t0 = monoMs();
    const nats = await startNats({ tls: { dir: pki.brokerDir('national') } });
    natsServers.push(nats);
    onCleanup('nats-server', () => stopNats(nats));
    sampler.add('nats-server', 'nats-server', pidOf(nats.configFile));
    sampler.add('bench', 'bench (orchestrator)', process.pid);
    onCleanup('broker processes', () =>
      Promise.all([...brokers.values()].map((b) => stopProcess(b.proc))),
    );
    const start = async (home: string) => {
      const config = await writeBrokerConfig(home, pki.brokerDir(home), dir, pki.pkiDir, nats.url);
      const b = await startBroker(home, config);
      brokers.set(home, b);
      sampler.add(
        `broker/${home}`,
        home === 'national' ? 'broker national' : 'brokers (states)',
        b.proc.child.pid,
      );
    };
    // National first: the first broker creates the stream; the others find it.
    await start('national');
    for (let i = 0; i < states.length; i += START_BATCH)
      await Promise.all(states.slice(i, i + START_BATCH).map(start));
    line(B, `setup: nats-server + ${brokers.size} broker processes`, (monoMs() - t0) / 1000, 's');
    const before = await scrapeAll(brokers, states);

    // --- link holders and the station links
    const holders: IpcChild[] = [];
    onCleanup('link holders', () => Promise.all(holders.map((h) => h.stop())));
    const script = join(import.meta.dirname, 'national-links.ts');
    for (let i = 0; i < opts.holders; i++) {
      const h = new IpcChild(`links-${i}`, script, { heapMb: 8192 });
      holders.push(h);
      children.push(h.child);
      sampler.add(h.name, 'link holders', h.child.pid);
    }
    await Promise.all(
      holders.map((h, index) =>
        h.request({ cmd: 'init', stationsFile: pki.stationsFile, index, holders: holders.length }),
      ),
    );
    const arrivals = new Arrivals(holders);
    const brokerAddresses = Object.fromEntries(states.map((s) => [s, brokers.get(s)!.grpc]));
    note(`opening ${stations.length} station links from ${holders.length} processes`);
    const opened = await openAll(holders, brokerAddresses, true);
    line(
      B,
      'setup: station links open',
      opened.seconds,
      's',
      `${opened.opened} linked, ${opened.failed} failed, ${(opened.opened / opened.seconds).toFixed(0)} links/s`,
    );
    if (opened.failed > 0 || opened.opened !== stations.length)
      throw new Error(`${opened.failed} of ${stations.length} station links failed to open`);
    await sleep(3000);
    const idle = await scrapeAll(brokers, states);
    fig.p6 = perLink(before, idle, counts, largest);

    // --- HQ and the pre-signed alerts
    const hq = new RawLink(brokers.get('national')!.grpc, pki.hqDir);
    onCleanup('HQ link', () => hq.close());
    await hq.hello(SENDER_CURSOR);
    const hqSigner = signerOf(pki.hqDir);
    const approverSigner = signerOf(pki.approverDir);
    const sign = async (id: string, to: Parameters<typeof composeAlert>[0]['to']) => {
      const alert = composeAlert({
        sender: HQ_ID,
        to,
        event: 'Benchmark',
        headline: `NATIONAL: ${id}`,
        description: 'x'.repeat(400),
        now: new Date(),
      });
      // A national broadcast carries a second duty officer's approval (the two-person rule).
      if (to.national)
        alert.approval = await signApproval(approverSigner, {
          alert,
          approver: APPROVER_ID,
          at: new Date(),
        });
      return { id: alert.identifier, jws: (await signAlert(hqSigner, alert)).jws };
    };
    const national = await Promise.all(
      Array.from({ length: opts.broadcasts }, (_, i) =>
        sign(`suspect at large ${i}`, { national: true }),
      ),
    );
    const storm = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sign(`storm ${i}`, { states: [largest] })),
    );
    fig.alertBytes = Buffer.byteLength(national[0]!.jws);

    // --- P7 first: the restarted broker of the largest state is the one profiled during P1
    // CCTNS_BENCH_PROFILE_DIR keeps the profile after the run (to open in Chrome DevTools).
    const profileDir = process.env['CCTNS_BENCH_PROFILE_DIR'] ?? join(dir, 'profile');
    mkdirSync(profileDir, { recursive: true });
    note(`P7: reconnect storm at broker/${largest}`);
    const p7 = await reconnectStorm({
      holders,
      arrivals,
      hq,
      broker: brokers.get(largest)!,
      state: largest,
      alerts: storm,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
    brokers.set(largest, p7.broker);
    sampler.add(`broker/${largest}`, 'brokers (states)', p7.broker.proc.child.pid);
    fig.p7 = p7;

    // --- P1: national broadcasts through the network
    note(`P1: ${opts.broadcasts} national broadcasts to ${stations.length} stations`);
    const p1 = await broadcasts({
      holders,
      arrivals,
      alerts: national,
      send: (jws, i) => hqSend(hq, `n${i}`, jws),
      watch: p7.broker,
    });
    fig.p1 = p1;
    fig.p6during = { rss: p1.peak.rss, heap: p1.peak.heap, base: before.get(largest)! };

    // --- P3: ingest at the largest state's broker from 200 of its stations
    const senders = stations
      .filter((s) => s.state === largest)
      .slice(0, opts.senders)
      .map((s) => s.identity);
    const perStation = Math.ceil(opts.ingest / senders.length);
    note(`P3: signing ${perStation * senders.length} alerts of ${senders.length} stations`);
    const prepared = await Promise.all(
      holders.map((h) =>
        h.request<{ alerts: number; sample: string[] }>({
          cmd: 'prepare',
          senders,
          perStation,
          to: pki.receiverId,
        }),
      ),
    );
    const total = prepared.reduce((n, p) => n + p.alerts, 0);
    const sample = prepared.flatMap((p) => p.sample);
    const rxCreds = () =>
      stationCredentials(
        readFileSync(join(pki.receiverDir, 'root.pem')),
        readFileSync(join(pki.receiverDir, 'key.pem')),
        readFileSync(join(pki.receiverDir, 'cert.pem')),
      );
    const p3Start = monoMs();
    const p3 = await ingest({
      holders,
      receiver: { address: brokers.get(largest)!.grpc, creds: rxCreds(), cursor: 0 },
      total,
      window: opts.window,
    });
    const p3Window: [number, number] = [p3Start, monoMs()];
    if (p3.refused) throw new Error(`P3: ${p3.refused} alerts refused, first: ${p3.firstRefusal}`);
    const stale = await status(holders);
    fig.anomalies = { stray: stale.stray, duplicated: stale.duplicated };
    await Promise.all(holders.map((h) => h.request({ cmd: 'close' })));
    hq.close();

    // --- raw baselines: JetStream publish, gRPC relay, gRPC fan-out
    const nc = await natsConnect({ servers: nats.url, tls: natsTls(pki.brokerDir('national')) });
    onCleanup('NATS connection', () => nc.close());
    note(
      `P3 raw: JetStream publish of ${total} alerts, ${senders.length} publishers, window ${opts.window}`,
    );
    const js = await rawJetStream(nc, sample, total, senders.length, opts.window);
    const raw = await startRawServers(states, pki.brokerDir, nats.url, sampler, onCleanup);
    for (const r of raw.values()) children.push(r.child.child);
    const rawAddresses = Object.fromEntries(states.map((s) => [s, raw.get(s)!.address]));

    // The fan-out before the relay: P6 raw wants servers that, like the brokers before their
    // links opened, have done nothing since they started.
    note(`P1 raw: gRPC fan-out from ${raw.size} processes to ${stations.length} streams`);
    const rawBefore = await rawMemory(raw, states);
    const rawOpened = await openAll(holders, rawAddresses, false);
    line(
      B,
      'setup: raw streams open',
      rawOpened.seconds,
      's',
      `${rawOpened.opened} streams, ${rawOpened.failed} failed`,
    );
    // P6 raw: measured as the brokers' idle figure, 3 s after the streams opened.
    await sleep(3000);
    fig.rawP6 = perLink(rawBefore, await rawMemory(raw, states), counts, largest);
    const rawP1 = await broadcasts({
      holders,
      arrivals,
      alerts: national,
      send: async (jws) => {
        nc.publish(RAW_SUBJECT, Buffer.from(jws));
        return monoMs();
      },
    });
    fig.rawP1 = rawP1;
    await Promise.all(holders.map((h) => h.request({ cmd: 'close' })));

    note('P3 raw: gRPC relay');
    await openAll(holders, rawAddresses, false, senders);
    const relay = await ingest({
      holders,
      receiver: {
        address: rawAddresses[largest]!,
        creds: rxCreds(),
        cursor: RELAY_RECEIVER_CURSOR,
      },
      total,
      window: opts.window,
    });
    await Promise.all(holders.map((h) => h.request({ cmd: 'close' })));
    fig.p3 = { cctns: p3, js, relay, total, senders: senders.length, window: opts.window };

    // --- stop the brokers (the profiled one writes its profile on exit), then summarise
    await Promise.all([...brokers.values()].map((b) => stopProcess(b.proc)));
    fig.profile = {
      broadcast: summariseProfile(profileDir, p1.windows),
      ingest: summariseProfile(profileDir, [p3Window]),
    };
    fig.processes = sampler.summary();
    printSummary(fig as NationalFigures);
  } finally {
    let complaints = 0;
    for (const [home, b] of brokers)
      for (const p of b.history) complaints += reportLog(B, `broker/${home}`, p.output());
    for (const n of natsServers) complaints += reportNatsLog(B, 'nats-server', n.output(), true);
    line(B, 'warnings and errors in broker and nats-server logs', complaints, 'lines');
    await runCleanups(B, cleanups);
  }
}

/** Core-NATS subject of the raw fan-out trigger. */
const RAW_SUBJECT = 'bench.raw.fanout';

async function openAll(
  holders: IpcChild[],
  addresses: Record<string, string>,
  reconnect: boolean,
  only?: string[],
) {
  const r = await Promise.all(
    holders.map((h) =>
      h.request<{ opened: number; failed: number; seconds: number }>({
        cmd: 'open',
        addresses,
        reconnect,
        only,
      }),
    ),
  );
  return {
    opened: r.reduce((n, x) => n + x.opened, 0),
    failed: r.reduce((n, x) => n + x.failed, 0),
    seconds: Math.max(...r.map((x) => x.seconds)),
  };
}

async function startRawServers(
  states: StateCode[],
  certDir: (home: string) => string,
  natsUrl: string,
  sampler: Sampler,
  onCleanup: (what: string, run: () => unknown) => void,
) {
  const script = join(import.meta.dirname, 'national-raw-server.ts');
  const out = new Map<string, { child: IpcChild; address: string }>();
  onCleanup('raw servers', () => Promise.all([...out.values()].map((r) => r.child.stop())));
  for (let i = 0; i < states.length; i += START_BATCH)
    await Promise.all(
      states.slice(i, i + START_BATCH).map(async (s) => {
        const child = new IpcChild(`raw-${s}`, script);
        out.set(s, { child, address: '' });
        sampler.add(child.name, 'raw gRPC servers', child.child.pid);
        const { address } = await child.request<{ address: string }>(
          { cmd: 'start', tlsDir: certDir(s), natsUrl, subject: RAW_SUBJECT },
          60_000,
        );
        out.set(s, { child, address });
      }),
    );
  return out;
}

type Scraped = Map<string, { rss: number; heap: number; links: number }>;

async function scrapeAll(brokers: Map<string, BrokerProc>, states: StateCode[]): Promise<Scraped> {
  const out: Scraped = new Map();
  for (const s of states) {
    const m = await scrape(brokers.get(s)!);
    out.set(s, {
      rss: m['process_resident_memory_bytes'] ?? NaN,
      heap: m['nodejs_heap_size_used_bytes'] ?? NaN,
      links: m['cctns_connected_stations'] ?? NaN,
    });
  }
  return out;
}

/** The raw servers' memory as they report it (RSS and heap used, like a broker's /metrics). */
async function rawMemory(
  raw: Map<string, { child: IpcChild }>,
  states: StateCode[],
): Promise<Scraped> {
  const out: Scraped = new Map();
  for (const s of states) {
    const m = await raw
      .get(s)!
      .child.request<{ rss: number; heap: number; streams: number }>({ cmd: 'status' });
    out.set(s, { rss: m.rss, heap: m.heap, links: m.streams });
  }
  return out;
}

/** P6 idle: memory added per linked station (or raw stream), largest state and all states. */
function perLink(
  before: Scraped,
  after: Scraped,
  counts: Map<StateCode, number>,
  largest: StateCode,
) {
  const sum = (m: Scraped, k: 'rss' | 'heap') => [...m.values()].reduce((n, x) => n + x[k], 0);
  const links = [...counts.values()].reduce((a, b) => a + b, 0);
  const n = counts.get(largest)!;
  const a = after.get(largest)!;
  const b = before.get(largest)!;
  return {
    largest: {
      links: n,
      reported: a.links,
      rss: (a.rss - b.rss) / n,
      heap: (a.heap - b.heap) / n,
      rssTotal: a.rss,
    },
    all: {
      links,
      rss: (sum(after, 'rss') - sum(before, 'rss')) / links,
      heap: (sum(after, 'heap') - sum(before, 'heap')) / links,
    },
  };
}

function signerOf(holderDir: string): JwsSigner {
  return new JwsSigner(
    loadPrivateKey(readFileSync(join(holderDir, 'key.pem'), 'utf8'), undefined, 'key').privateKey,
    readFileSync(join(holderDir, 'cert.pem'), 'utf8'),
  );
}

function natsTls(dir: string) {
  return {
    caFile: join(dir, 'root.pem'),
    certFile: join(dir, 'cert.pem'),
    keyFile: join(dir, 'key.pem'),
  };
}

/** The pid of the process whose command line mentions `needle` (nats-server by its config file). */
function pidOf(needle: string): number | undefined {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle)) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function note(what: string): void {
  noteFor(B, what);
}
