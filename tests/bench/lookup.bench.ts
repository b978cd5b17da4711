import { constants, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InProcessStream, NatsBackbone, type Backbone, type Broker } from '@cctns/broker';
import { STATE_CODES, type Pki } from '@cctns/pki';
import { RecordsClient } from '@cctns/station-agent';
// The measured paths run the compiled broker, as the brokers do: the same source run through tsx
// was 25-35 % slower (esbuild's keepNames wrappers among others), which would flatter ratios.
import { DEFAULT_LOOKUP_TIMEOUT_MS } from '../../broker/dist/lookup/service.js';
import { natsServerBin, startNats } from '../support/nats.js';
import { provision, startBroker, tempDir, TEST_PASSPHRASE } from '../support/network.js';
import { benchPki, stateStores } from './lookup-data.js';
import { oneState, perStateAlone } from './lookup-local.js';
import { benchLookupProcesses } from './lookup-processes.js';
import {
  AGENCY,
  makeQueries,
  national1,
  PURPOSE,
  personQuery,
  type NationalResult,
  type Query,
} from './lookup-queries.js';
import { FanoutClock } from './lookup-fanout.js';
import { count, countBy, reportAnswers, sum } from './lookup-report.js';
import { line, note as noteFor, nowMs, percentile, sleep } from './report.js';
import { runCleanups, type Cleanup } from './processes.js';

/**
 * National person search: an agency (`agency/CBI/DELHI-HQ`, a RecordsClient over mutual-TLS
 * gRPC) sends signed person lookups to the national broker, which fans each out over the
 * backbone to the brokers of all 36 States/UTs; each checks the signature, purpose and grant,
 * searches its SQLite store of N generated persons (pre-selection by name keys, then name
 * scoring), audits the lookup and every record it discloses, sends a signed hit notice to the
 * owning station for each wanted / proclaimed-offender / missing person it found, and answers.
 * Queries go at a steady rate (open loop: on a fixed schedule whether or not earlier ones have
 * been answered); latency is from the scheduled send to the answer at the client.
 *
 * Run three times on the same data (`phases`): with the in-process backbone and with every broker
 * connected to a real nats-server (plain TCP on loopback, JetStream), all 37 brokers and the
 * client sharing one Node process and event loop, so the states' searches run one after another;
 * and as deployed, each broker its own `cctns broker start` process on a nats-server with mutual
 * TLS, at the issue's 5 queries/s (`lookup-processes.ts`).
 *
 * Baseline in the same run: the same queries, one at a time, as `searchLocal` on one state's
 * store alone (no signature, audit, notices or network), beside the search as it was before names
 * were stored and pre-selection capped, on the same file (`lookup-local.ts`); and a subset on
 * every state's store to show what each state costs.
 *
 * The state stores are built once (records written through the store's `putRecord` exactly as a
 * station's put does) and cached under the system's temporary folder, keyed by the counts, the
 * seed and the index-key version; each run copies them, so every phase starts from the same data.
 */
export async function benchLookup(opts: LookupBenchOptions): Promise<void> {
  const dir = tempDir('bench-lookup');
  const cleanups: Cleanup[] = [];
  const onCleanup = (what: string, run: () => unknown) => cleanups.push({ what, run });
  onCleanup('temporary directory', () => rmSync(dir, { recursive: true, force: true }));
  try {
    // --- data: one store per state, cached between runs
    const setup0 = nowMs();
    const data = await stateStores(opts);
    line(
      B,
      `setup: ${STATE_CODES.length} state stores of ${fmt(opts.persons)} persons`,
      data.seconds,
      's',
      data.built.length === 0
        ? `reused from the cache ${data.dir} (delete it to rebuild)`
        : `built ${data.built.length} (${data.reused} reused) into the cache ${data.dir}, at ${fmt(data.rowsPerSecond)} persons/s with ${data.workers} builder processes`,
    );

    // --- PKI (reused between runs)
    const pki0 = nowMs();
    const { pki, reused } = await benchPki();
    onCleanup('PKI', () => pki.close());
    line(
      B,
      'setup: PKI, root + CENTRAL + 36 State/UT CAs (RSA-2048)',
      (nowMs() - pki0) / 1000,
      's',
      reused ? `reused from ${pki.dir}` : `created in ${pki.dir}`,
    );

    // --- queries: names drawn from the generated persons, and names that exist nowhere
    const count = Math.max(1, Math.round(opts.rate * opts.seconds));
    const all = makeQueries(2 * opts.warmup + count, opts);
    const warm = all.slice(0, 2 * opts.warmup);
    const queries = all.slice(2 * opts.warmup);
    const kinds = countBy(queries.map((q) => q.kind));
    note(
      `${queries.length} queries: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; e.g. ${queries
        .slice(0, 6)
        .map((q) => JSON.stringify(q.name))
        .join(', ')}`,
    );

    // --- baseline: the same queries on one state's store alone (a copy), before any network
    const base = await oneState(join(dir, 'baseline'), data.dir, warm, queries);
    line(B, 'setup: total', (nowMs() - setup0) / 1000, 's');

    // --- the network on the in-process backbone: national search, then each state alone
    if (opts.phases.has('in-process')) {
      const inProcess = await startNetwork(pki, join(dir, 'in-process'), data.dir, opts, () => {
        const stream = new InProcessStream();
        return async () => stream.connect();
      });
      onCleanup('in-process network', () => inProcess.stop());
      line(
        B,
        'setup: national broker + 36 state brokers (in-process backbone), agency client',
        inProcess.seconds,
        's',
        `${fmt(inProcess.records)} person records in the state stores; lookup timeout per state ${opts.lookupTimeoutMs} ms (broker default ${DEFAULT_LOOKUP_TIMEOUT_MS})`,
      );
      const ip = await nationalPhase(inProcess, warm.slice(0, opts.warmup), queries, opts);
      reportNational('in-process', ip, queries.length, opts);
      line(B, 'ratio national (in-process) / local p50', ip.p50 / base.p50, 'x');
      line(B, 'ratio national (in-process) / local p99', ip.p99 / base.p99, 'x');
      await perStateAlone(
        inProcess.brokers,
        queries.slice(0, Math.min(opts.perState, queries.length)),
      );
      line(B, 'process RSS with 37 brokers open', process.memoryUsage().rss / 2 ** 20, 'MiB');
      await inProcess.stop();
    }

    // --- the same on a real nats-server, all brokers in this process
    if (opts.phases.has('nats') && natsInstalled()) {
      const nats = await startNats();
      onCleanup('nats-server', () => nats.stop());
      const overNats = await startNetwork(pki, join(dir, 'nats'), data.dir, opts, () => {
        let n = 0;
        return async (home) =>
          NatsBackbone.connect({ servers: nats.url, name: `broker/${home}#1-${n++}` });
      });
      onCleanup('NATS network', () => overNats.stop());
      line(
        B,
        'setup: the same 37 brokers on a nats-server (plain TCP on loopback, JetStream)',
        overNats.seconds,
        's',
      );
      const np = await nationalPhase(overNats, warm.slice(opts.warmup), queries, opts);
      reportNational('NATS', np, queries.length, opts);
      line(B, 'ratio national (NATS) / local p50', np.p50 / base.p50, 'x');
      line(B, 'ratio national (NATS) / local p99', np.p99 / base.p99, 'x');
      await overNats.stop();
    }

    // --- as deployed: every broker its own `cctns broker start` process, on a nats-server
    if (opts.phases.has('processes') && natsInstalled()) {
      const count5 = Math.max(1, Math.round(opts.processRate * opts.processSeconds));
      const more = makeQueries(2 * opts.warmup + count5, opts);
      await benchLookupProcesses(
        {
          pki,
          dir: join(dir, 'processes'),
          dataDir: data.dir,
          rate: opts.processRate,
          seconds: opts.processSeconds,
          // Each process compiles its own code: warm-up queries cycle through the first few.
          warm: Array.from(
            { length: Math.max(opts.warmup, opts.processWarmup) },
            (_, i) => more[i % (2 * opts.warmup)]!,
          ),
          queries: more.slice(2 * opts.warmup),
          lookupTimeoutMs: opts.lookupTimeoutMs,
          localP50: base.p50,
          localP99: base.p99,
        },
        onCleanup,
      );
    }
  } finally {
    await runCleanups(B, cleanups, 60_000);
  }
}

/** The brokers of one run and the agency's client. */
interface Network {
  brokers: Map<string, Broker>;
  client: RecordsClient;
  fanout: FanoutClock;
  records: number;
  seconds: number;
  stop(): Promise<void>;
}

/**
 * A fresh copy of the state stores in `dir`, the national broker and the 36 state brokers on the
 * backbones `connect` makes (one per broker), and the agency's client on the national broker.
 */
async function startNetwork(
  pki: Pki,
  dir: string,
  dataDir: string,
  opts: LookupBenchOptions,
  backbones: () => (home: string) => Promise<Backbone>,
): Promise<Network> {
  const t0 = nowMs();
  for (const state of STATE_CODES) {
    mkdirSync(join(dir, `broker-${state}`), { recursive: true });
    copyFileSync(
      join(dataDir, `${state}.db`),
      join(dir, `broker-${state}`, 'broker.db'),
      constants.COPYFILE_FICLONE,
    );
  }
  const connect = backbones();
  const fanout = new FanoutClock();
  const brokers = new Map<string, Broker>();
  const owned: Backbone[] = [];
  let client: RecordsClient | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client?.close();
    for (const b of [...brokers.values()].reverse()) await b.stop();
    for (const b of owned) await b.close();
  };
  try {
    const overrides = { lookupTimeoutMs: opts.lookupTimeoutMs };
    for (const home of ['national', ...STATE_CODES]) {
      const backbone = await connect(home);
      owned.push(backbone);
      brokers.set(
        home,
        await startBroker(dir, pki, home, overrides, {
          backbone: home === 'national' ? fanout.wrap(backbone) : backbone,
        }),
      );
    }
    const cdir = join(dir, 'clients', AGENCY.replace(/\//g, '_'));
    await provision(pki, pki.unlockCa('CENTRAL', TEST_PASSPHRASE), AGENCY, cdir);
    client = RecordsClient.fromFiles({
      identity: AGENCY,
      trustDomain: pki.trustDomain,
      broker: brokers.get('national')!.addresses.grpc,
      key: join(cdir, 'key.pem'),
      cert: join(cdir, 'cert.pem'),
      root: join(cdir, 'root.pem'),
    });
    let records = 0;
    for (const state of STATE_CODES)
      records += (await brokers.get(state)!.store.countRecords()).person;
    return { brokers, client, fanout, records, seconds: (nowMs() - t0) / 1000, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** What one national phase measured. */
interface Phase {
  results: NationalResult[];
  p50: number;
  p95: number;
  p99: number;
  notices: number;
  applied: number;
  auditEntries: number;
  cpuMs: number;
  utilization: number;
  wall: number;
  /** The machine's 1-minute load average before and after (other work included). */
  load: readonly [number, number];
  firsts: number[];
  lasts: number[];
}

/** Warm-up one at a time, then `queries` at `opts.rate` per second on a fixed schedule. */
async function nationalPhase(
  net: Network,
  warm: Query[],
  queries: Query[],
  opts: LookupBenchOptions,
): Promise<Phase> {
  for (const q of warm) await net.client.search({ query: personQuery(q.name), purpose: PURPOSE });
  await sleep(500);
  note(`national search: ${queries.length} queries at ${opts.rate}/s over ${opts.seconds} s`);
  const national = net.brokers.get('national')!;
  const states = STATE_CODES.map((s) => net.brokers.get(s)!);
  const notices0 = sum(states.map((b) => b.metrics.value('cctns_alerts_in_total')));
  const applied0 = national.metrics.value('cctns_alerts_applied_total');
  const audit0 = await auditTotal([...net.brokers.values()]);
  net.fanout.reset();
  const load0 = loadavg()[0]!;
  const results: NationalResult[] = [];
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const start = nowMs() + 100;
  const pending: Array<Promise<void>> = [];
  for (const [i, q] of queries.entries()) {
    const at = start + (i * 1000) / opts.rate;
    const wait = at - nowMs();
    if (wait > 0) await sleep(wait);
    pending.push(national1(net.client, q, at).then((r) => void results.push(r)));
  }
  await Promise.all(pending);
  const wall = (nowMs() - start) / 1000;
  const load = [load0, loadavg()[0]!] as const;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  // Hit notices are accepted before a state answers; the national broker applies its copies
  // from the backbone shortly after. Wait until that settles.
  let applied = -1;
  for (let i = 0; i < 100; i++) {
    const now = national.metrics.value('cctns_alerts_applied_total') - applied0;
    if (now === applied && i >= 5) break;
    applied = now;
    await sleep(100);
  }
  const lat = results.filter((r) => !r.error).map((r) => r.latency);
  return {
    results,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
    notices: sum(states.map((b) => b.metrics.value('cctns_alerts_in_total'))) - notices0,
    applied,
    auditEntries: (await auditTotal([...net.brokers.values()])) - audit0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    utilization: elu.utilization,
    wall,
    load,
    firsts: net.fanout.firsts(),
    lasts: net.fanout.lasts(),
  };
}

function reportNational(
  backbone: string,
  phase: Phase,
  asked: number,
  opts: LookupBenchOptions,
): void {
  const what = `national search (${backbone})`;
  const ok = reportAnswers(what, phase.results, asked, opts.rate);
  count(
    `${what}: hit notices sent (wanted/missing matches, signed alert to the owning station)`,
    phase.notices,
    'alerts',
    `${(phase.notices / Math.max(1, phase.results.length)).toFixed(1)} per query; ${phase.applied} applied at the national broker; ${sum(ok.map((r) => r.hits))} hit-status records among the results the client received`,
  );
  line(
    B,
    `${what}: audit entries written per query`,
    phase.auditEntries / Math.max(1, phase.results.length),
    'entries',
    'the lookup and each record disclosed, in every state that answered',
  );
  const cpuPerQuery = phase.cpuMs / Math.max(1, phase.results.length);
  line(
    B,
    `${what}: CPU per query (37 brokers and the client in one process)`,
    cpuPerQuery,
    'ms',
    `event loop ${(phase.utilization * 100).toFixed(0)} % busy over ${phase.wall.toFixed(1)} s; so this process serves at most ≈ ${(1000 / cpuPerQuery).toFixed(2)} queries/s; machine load average ${phase.load[0].toFixed(1)} before, ${phase.load[1].toFixed(1)} after, on ${cpus().length} cores`,
  );
  if (phase.firsts.length)
    line(
      B,
      `${what}: fan-out, first state answered p50`,
      percentile(phase.firsts, 50),
      'ms',
      `last state p50 ${percentile(phase.lasts, 50).toFixed(0)} ms, p99 ${percentile(phase.lasts, 99).toFixed(0)} ms after the national broker asked`,
    );
}

/** What `npm run bench -- --only lookup` runs with. */
export interface LookupBenchOptions {
  /** Persons per State/UT. */
  persons: number;
  seed: number;
  /** National queries per second (open loop). */
  rate: number;
  seconds: number;
  /** Queries before the measured ones, one at a time. */
  warmup: number;
  /** How many of the queries are also timed on every state's store alone. */
  perState: number;
  /** The brokers' lookup timeout per state. */
  lookupTimeoutMs: number;
  /**
   * What to run besides the one-state baseline: `in-process` (37 brokers on one in-process
   * backbone), `nats` (the same on a nats-server), `processes` (each broker its own process on a
   * nats-server with mutual TLS, as deployed). The last two need nats-server installed.
   */
  phases: ReadonlySet<'in-process' | 'nats' | 'processes'>;
  /** National queries per second in the `processes` phase. */
  processRate: number;
  processSeconds: number;
  /** Warm-up queries before the measured phase with a process per broker. */
  processWarmup: number;
}

/** True when nats-server is installed; otherwise says why the NATS phases do not run. */
function natsInstalled(): boolean {
  try {
    natsServerBin();
    return true;
  } catch (err) {
    note(`no NATS phases: ${(err as Error).message}`);
    return false;
  }
}

const B = 'lookup';

async function auditTotal(brokers: Broker[]): Promise<number> {
  let n = 0;
  for (const b of brokers) n += (await b.store.auditHead()).seq;
  return n;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function note(what: string): void {
  noteFor(B, what);
}
