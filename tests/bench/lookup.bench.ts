import { fork } from 'node:child_process';
import { constants, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  InProcessStream,
  NatsBackbone,
  SqliteBrokerStore,
  type Backbone,
  type Broker,
} from '@cctns/broker';
import { parseIdentity, Pki, STATE_CODES, STATES } from '@cctns/pki';
import {
  Gender,
  PersonStatus,
  Record as RecordMsg,
  type LookupRequest,
  type LookupResponse,
  type StateFailure,
} from '@cctns/proto';
import { RecordsClient } from '@cctns/station-agent';
// The measured path (the baseline's searchLocal) runs the compiled broker, as the brokers do:
// the same source run through tsx was 25-35 % slower (esbuild's keepNames wrappers among others),
// which would flatter the ratio. Building the stores takes the source.
import { checkLookup, DEFAULT_LOOKUP_POLICY } from '../../broker/dist/lookup/policy.js';
import { MAX_CANDIDATES, searchLocal, statusName } from '../../broker/dist/lookup/search.js';
import { DEFAULT_LOOKUP_TIMEOUT_MS, HIT_STATUSES } from '../../broker/dist/lookup/service.js';
import { searchKeys } from '../../broker/dist/records/names.js';
import { recordKeys } from '../../broker/src/records/keys.js';
import { KEY_VERSION } from '../../broker/src/records/names.js';
import { validateRecord } from '../../broker/src/records/validate.js';
import { generatePersons, mulberry32 } from '../support/indian-names.js';
import { natsServerBin, startNats } from '../support/nats.js';
import { makePki, provision, startBroker, tempDir, TEST_PASSPHRASE } from '../support/network.js';
import { line, note as noteFor, nowMs, percentile, sleep, withTimeout } from './report.js';

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
 * Run twice on the same data: with the in-process backbone, and (when nats-server is installed)
 * with every broker connected to a real nats-server (plain TCP on loopback, JetStream).
 *
 * Baseline in the same run: the same queries, one at a time, as `searchLocal` on one state's
 * store alone (no signature, audit, notices or network), and a subset on every state's store to
 * show what each state costs. Everything shares one Node process: the 37 brokers and the client
 * run on one event loop, so the states' searches run one after another, not side by side as on
 * 36 machines.
 *
 * The state stores are built once (records written through the store's `putRecord` exactly as a
 * station's put does) and cached under the system's temporary folder, keyed by the counts, the
 * seed and the index-key version; each run copies them, so every phase starts from the same data.
 */
export async function benchLookup(opts: LookupBenchOptions): Promise<void> {
  const dir = tempDir('bench-lookup');
  const cleanups: Array<{ what: string; run: () => unknown }> = [];
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

    // --- the network on the in-process backbone: national search, then the local baselines
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
    line(B, 'setup: total', (nowMs() - setup0) / 1000, 's');
    const ip = await nationalPhase(inProcess, warm.slice(0, opts.warmup), queries, opts);
    reportNational('in-process', ip, queries.length, opts);

    // --- baseline: the same queries on one state's store alone
    note(`baseline: the same ${queries.length} queries on the ${BASE} store alone`);
    const baseStore = inProcess.brokers.get(BASE)!.store;
    for (const q of warm) await localSearch(baseStore, BASE, q.name);
    const local: number[] = [];
    const localMatches: number[] = [];
    const find: number[] = [];
    const candidates: number[] = [];
    for (const q of queries) {
      const t0 = nowMs();
      localMatches.push((await localSearch(baseStore, BASE, q.name)).length);
      local.push(nowMs() - t0);
      // The pre-selection alone, as searchLocal asks it, to split the time.
      const t1 = nowMs();
      const c = await baseStore.findRecords(
        'person',
        searchKeys(q.name).map((k) => `n:${k}`),
        {},
        MAX_CANDIDATES,
      );
      find.push(nowMs() - t1);
      candidates.push(c.length);
    }
    const [l50, l95, l99] = [50, 95, 99].map((p) => percentile(local, p)) as [
      number,
      number,
      number,
    ];
    line(
      B,
      `local search on the ${BASE} store alone p50`,
      l50,
      'ms',
      `same ${local.length} queries, searchLocal one at a time, ${mean(localMatches).toFixed(1)} matches on average`,
    );
    line(B, `local search on the ${BASE} store alone p95`, l95, 'ms');
    line(B, `local search on the ${BASE} store alone p99`, l99, 'ms');
    line(
      B,
      `local search on the ${BASE} store: candidate pre-selection (findRecords) p50`,
      percentile(find, 50),
      'ms',
      `p99 ${percentile(find, 99).toFixed(1)} ms; ${percentile(candidates, 50)} candidates p50, ${candidates.filter((c) => c >= MAX_CANDIDATES).length} of ${candidates.length} queries at the cap of ${MAX_CANDIDATES}`,
    );
    line(B, 'ratio national (in-process) / local p50', ip.p50 / l50, 'x');
    line(B, 'ratio national (in-process) / local p99', ip.p99 / l99, 'x');

    // --- every state's store alone, for a subset of the queries
    const subset = queries.slice(0, Math.min(opts.perState, queries.length));
    if (subset.length) {
      note(`per state: ${subset.length} queries on each of the 36 stores alone`);
      const perState = new Map<string, number[]>(STATE_CODES.map((s) => [s, []]));
      const sumOfStates: number[] = [];
      const maxOfStates: number[] = [];
      for (const q of subset) {
        let total = 0;
        let slowest = 0;
        for (const state of STATE_CODES) {
          const t0 = nowMs();
          await localSearch(inProcess.brokers.get(state)!.store, state, q.name);
          const ms = nowMs() - t0;
          perState.get(state)!.push(ms);
          total += ms;
          slowest = Math.max(slowest, ms);
        }
        sumOfStates.push(total);
        maxOfStates.push(slowest);
      }
      const p50s = STATE_CODES.map((s) => [s, percentile(perState.get(s)!, 50)] as const).sort(
        (a, b) => b[1] - a[1],
      );
      line(
        B,
        'per state, local search p50 (slowest first)',
        p50s[0]![1],
        'ms',
        p50s.map(([s, ms]) => `${s} ${ms.toFixed(0)}`).join(', '),
      );
      line(
        B,
        'sum of the 36 states’ local searches per query, p50',
        percentile(sumOfStates, 50),
        'ms',
        `mean ${mean(sumOfStates).toFixed(0)} ms, p99 ${percentile(sumOfStates, 99).toFixed(0)} ms over ${subset.length} queries: what one event loop does per national query`,
      );
      line(
        B,
        'slowest state’s local search per query, p50',
        percentile(maxOfStates, 50),
        'ms',
        `p99 ${percentile(maxOfStates, 99).toFixed(0)} ms: the floor of a national query with each state broker on its own machine`,
      );
    }
    line(B, 'process RSS with 37 brokers open', process.memoryUsage().rss / 2 ** 20, 'MiB');
    await inProcess.stop();

    // --- the same on a real nats-server
    if (!opts.nats) return;
    try {
      natsServerBin();
    } catch (err) {
      note(`no NATS run: ${(err as Error).message}`);
      return;
    }
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
    line(B, 'ratio national (NATS) / local p50', np.p50 / l50, 'x');
    line(B, 'ratio national (NATS) / local p99', np.p99 / l99, 'x');
    await overNats.stop();
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await withTimeout(Promise.resolve().then(c.run), 60_000, `cleanup of ${c.what}`);
      } catch (err) {
        process.stderr.write(`[${B}] cleanup of ${c.what} failed: ${(err as Error).message}\n`);
      }
    }
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
  const ok = phase.results.filter((r) => !r.error);
  const failed = phase.results.filter((r) => r.error);
  const what = `national search (${backbone})`;
  line(
    B,
    `${what} latency p50`,
    phase.p50,
    'ms',
    `${ok.length} queries at ${opts.rate}/s, client -> national broker -> 36 state brokers -> client, from the scheduled send`,
  );
  line(B, `${what} latency p95`, phase.p95, 'ms');
  line(
    B,
    `${what} latency p99`,
    phase.p99,
    'ms',
    `max ${percentile(
      ok.map((r) => r.latency),
      100,
    ).toFixed(0)} ms`,
  );
  const lag = ok.map((r) => r.sendLag);
  line(
    B,
    `${what}: send delayed by the busy event loop, p50`,
    percentile(lag, 50),
    'ms',
    `max ${percentile(lag, 100).toFixed(0)} ms (part of the latency)`,
  );
  for (const kind of ['latin', 'devanagari', 'variant', 'absent'] as const) {
    const of = ok.filter((r) => r.kind === kind);
    if (of.length === 0) continue;
    line(
      B,
      `${what} latency p50, ${kind} names`,
      percentile(
        of.map((r) => r.latency),
        50,
      ),
      'ms',
      `${of.length} queries, ${mean(of.map((r) => r.matches)).toFixed(1)} matches on average, ${of.filter((r) => r.matches === 0).length} with none`,
    );
  }
  const missing = ok.flatMap((r) => r.missing);
  count(
    `${what}: queries answered by all 36 States/UTs`,
    ok.filter((r) => r.answered === STATE_CODES.length).length,
    'queries',
    `of ${asked}; ${failed.length} failed at the client${failed.length ? ` (first: ${failed[0]!.error})` : ''}`,
  );
  count(
    `${what}: state answers missing`,
    missing.length,
    'answers',
    missing.length
      ? [...countBy(missing.map((m) => `${m.state} ${m.reason}`))]
          .map(([k, n]) => `${k} ×${n}`)
          .join(', ')
      : 'none',
  );
  const named = ok.filter((r) => r.kind !== 'absent');
  count(
    `${what}: named queries that returned their source record`,
    named.filter((r) => r.found).length,
    'queries',
    `of ${named.length}; ${named.filter((r) => r.matches === 0).length} returned nothing (20 results nationally: a common name's record can rank below 20 equal matches)`,
  );
  const absent = ok.filter((r) => r.kind === 'absent');
  count(
    `${what}: names that exist nowhere, matched anyway`,
    absent.filter((r) => r.matches > 0).length,
    'queries',
    `of ${absent.length}${absent
      .filter((r) => r.top)
      .slice(0, 3)
      .map((r) => `; ${r.top}`)
      .join('')}`,
  );
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

/** `searchLocal` for the agency on one state's store, under the default policy's grant. */
async function localSearch(store: Broker['store'], state: string, name: string) {
  const grant = checkLookup(DEFAULT_LOOKUP_POLICY, AGENCY, {
    kind: 'person',
    state,
    purpose: PURPOSE,
  });
  return searchLocal(store, lookupRequest(name), grant, state, DEFAULT_LOOKUP_POLICY.maxLimit);
}

/** A count in the report format of `line`, without decimals. */
function count(what: string, n: number, unit: string, extra = ''): void {
  process.stdout.write(`[${B}] ${what}: ${n} ${unit}${extra ? `  (${extra})` : ''}\n`);
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
  /** Also run the national search with the brokers on a nats-server (when one is installed). */
  nats: boolean;
}

const B = 'lookup';
const AGENCY = 'agency/CBI/DELHI-HQ';
const PURPOSE = { reference: 'RC 0042/2026 CBI SCB DELHI', reason: 'investigation' };
/** The one state whose store alone is the baseline: the most populous, Hindi-belt names. */
const BASE = 'UP';
/** Bump when the generated records change, so cached stores are rebuilt. */
const DATA_FORMAT = 1;
const BUILD_FLAG = '--lookup-store-builder';
/** Persons per state the queries are drawn from (the first ones generated). */
const QUERY_POOL = 2000;

// ---------------------------------------------------------------------------------------------
// Data: state stores built in child processes, cached
// ---------------------------------------------------------------------------------------------

interface BuildJob {
  state: string;
  persons: number;
  seed: number;
  file: string;
}

type BuildMessage = { progress: number } | { done: string } | { error: string };

/** Each state's generator seed: the run's seed and the state's place in the list. */
function stateSeed(seed: number, state: string): number {
  return (seed * 7919 + (STATE_CODES as readonly string[]).indexOf(state) * 104_729) >>> 0;
}

/** A district name as an identity segment: `North 24 Parganas` → `NORTH-24-PARGANAS`. */
function districtSegment(name: string): string {
  return name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .slice(0, 32)
    .replace(/^-+|-+$/g, '');
}

/** Record statuses: most are accused or arrested; ~3 % are ones whose owner hears of a hit. */
function personStatus(rng: () => number): PersonStatus {
  const r = rng();
  if (r < 0.015) return PersonStatus.PERSON_STATUS_WANTED;
  if (r < 0.02) return PersonStatus.PERSON_STATUS_PROCLAIMED_OFFENDER;
  if (r < 0.03) return PersonStatus.PERSON_STATUS_MISSING;
  if (r < 0.38) return PersonStatus.PERSON_STATUS_ARRESTED;
  return PersonStatus.PERSON_STATUS_ACCUSED;
}

/**
 * Writes one state's persons into a new store file, each through `putRecord` as the record
 * service does for a station's put (validated, keys from `recordKeys`, the protobuf `Record` with
 * the id, owner, version and time the store settles on). Owner: station PS001 of the person's
 * district (one station per district). Persons get ids `person:<STATE>-1` … in generation order.
 */
async function buildState(job: BuildJob, onProgress: (rows: number) => void): Promise<void> {
  const seed = stateSeed(job.seed, job.state);
  const people = generatePersons(job.persons, seed, { state: job.state });
  const names = [...new Set(people.flatMap((p) => (p.district ? [p.district] : [])))].sort();
  if (names.length === 0) names.push('Headquarters');
  const owners = new Map(
    names.map((name) => {
      const owner = `station/${job.state}/${districtSegment(name)}/PS001`;
      const id = parseIdentity(owner);
      if (id.kind !== 'station') throw new Error(`${owner} is not a station identity`);
      return [name, { owner, district: id.district }];
    }),
  );
  const stateName = (STATES as Record<string, string>)[job.state] ?? job.state;
  const rng = mulberry32(seed ^ 0x5bd1e995);
  const part = `${job.file}.part`;
  for (const f of [part, `${part}-wal`, `${part}-shm`]) rmSync(f, { force: true });
  const store = new SqliteBrokerStore(part);
  try {
    let unreported = 0;
    for (const p of people) {
      const where = p.district ?? names[Math.floor(rng() * names.length)]!;
      const { owner, district } = owners.get(where)!;
      const status = personStatus(rng);
      const gender = p.gender === 'male' ? Gender.GENDER_MALE : Gender.GENDER_FEMALE;
      const record: RecordMsg = {
        id: '',
        owner: '',
        links: [],
        externalRef: '',
        version: 0,
        kind: {
          $case: 'person',
          value: {
            name: p.name,
            aliases: p.aliases,
            fatherName: p.fatherName,
            gender,
            age: p.age,
            dateOfBirth: '',
            status,
            identifyingMarks: [],
            address: `${where}, ${stateName}`,
          },
        },
      };
      const kind = validateRecord(record);
      await store.putRecord({
        kind,
        owner,
        district,
        status,
        gender,
        age: p.age,
        keys: recordKeys(record),
        encode: (rid, version, at) =>
          RecordMsg.encode({ ...record, id: rid, owner, version, updatedAt: at }).finish(),
        at: new Date(),
        state: job.state,
      });
      if (++unreported === 1000) {
        onProgress(unreported);
        unreported = 0;
      }
    }
    if (unreported) onProgress(unreported);
  } finally {
    await store.close();
  }
  for (const f of [`${part}-wal`, `${part}-shm`]) rmSync(f, { force: true });
  renameSync(part, job.file);
}

/** The cached stores, building the ones that are missing (one child process per core). */
async function stateStores(opts: LookupBenchOptions): Promise<{
  dir: string;
  built: string[];
  reused: number;
  seconds: number;
  rowsPerSecond: number;
  workers: number;
}> {
  const dir = join(
    tmpdir(),
    `cctns-bench-lookup-data-f${DATA_FORMAT}-k${KEY_VERSION}-${opts.persons}x${STATE_CODES.length}-seed${opts.seed}`,
  );
  mkdirSync(dir, { recursive: true });
  const missing = STATE_CODES.filter((s) => !existsSync(join(dir, `${s}.db`)));
  const t0 = nowMs();
  const workers = Math.max(1, Math.min(cpus().length, missing.length));
  if (missing.length === 0)
    return { dir, built: [], reused: STATE_CODES.length, seconds: 0, rowsPerSecond: 0, workers: 0 };
  note(
    `building ${missing.length} state stores of ${fmt(opts.persons)} persons into ${dir} with ${workers} processes (cached for later runs)`,
  );
  const queue = [...missing];
  const total = missing.length * opts.persons;
  let rows = 0;
  let statesDone = 0;
  let lastNote = nowMs();
  let failure: Error | undefined;
  const report = () => {
    if (nowMs() - lastNote < 15_000) return;
    lastNote = nowMs();
    const rate = rows / ((nowMs() - t0) / 1000);
    note(
      `building: ${fmt(rows)}/${fmt(total)} persons, ${statesDone}/${missing.length} states, ${fmt(rate)}/s, about ${((total - rows) / rate / 60).toFixed(1)} min to go`,
    );
  };
  const worker = async () => {
    const child = fork(fileURLToPath(import.meta.url), [BUILD_FLAG], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      for (let state = queue.shift(); state && !failure; state = queue.shift()) {
        const s0 = nowMs();
        const job: BuildJob = {
          state,
          persons: opts.persons,
          seed: opts.seed,
          file: join(dir, `${state}.db`),
        };
        await new Promise<void>((done, fail) => {
          const off = () => {
            child.off('message', onMessage);
            child.off('exit', onExit);
          };
          const onMessage = (m: BuildMessage) => {
            if ('progress' in m) {
              rows += m.progress;
              report();
            } else if ('done' in m) {
              off();
              done();
            } else {
              off();
              fail(new Error(`building ${state}: ${m.error}`));
            }
          };
          const onExit = (code: number | null) => {
            off();
            fail(new Error(`the builder of ${state} exited (${code})`));
          };
          child.on('message', onMessage);
          child.on('exit', onExit);
          child.send(job);
        });
        statesDone++;
        note(
          `built ${state} (${statesDone}/${missing.length}) in ${((nowMs() - s0) / 1000).toFixed(0)} s`,
        );
      }
    } catch (err) {
      failure ??= err as Error;
    } finally {
      child.kill();
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure;
  const seconds = (nowMs() - t0) / 1000;
  return {
    dir,
    built: missing,
    reused: STATE_CODES.length - missing.length,
    seconds,
    rowsPerSecond: total / seconds,
    workers,
  };
}

// A builder child process: builds the stores it is sent, reports progress.
if (
  process.argv[2] === BUILD_FLAG &&
  process.send &&
  resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)
) {
  const send = (m: BuildMessage) => process.send!(m);
  process.on('message', (job: BuildJob) => {
    buildState(job, (n) => send({ progress: n })).then(
      () => send({ done: job.state }),
      (err: unknown) =>
        send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

/** The root and all CAs, made once (2048-bit keys take a while) and reused by later runs. */
async function benchPki(): Promise<{ pki: Pki; reused: boolean }> {
  const parent = join(tmpdir(), 'cctns-bench-lookup-pki');
  const names = ['CENTRAL', ...STATE_CODES];
  if (!existsSync(join(parent, 'pki', 'pki.json'))) {
    rmSync(parent, { recursive: true, force: true });
    mkdirSync(parent, { recursive: true });
    return { pki: (await makePki(parent, names)).pki, reused: false };
  }
  const pki = Pki.open(join(parent, 'pki'));
  const have = new Set<string>(pki.caNames());
  for (const name of names)
    if (!have.has(name))
      await pki.initCa(name, {
        rootPassphrase: TEST_PASSPHRASE,
        passphrase: TEST_PASSPHRASE,
        keyBits: 2048,
      });
  return { pki, reused: true };
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

type QueryKind = 'latin' | 'devanagari' | 'variant' | 'absent';

interface Query {
  kind: QueryKind;
  name: string;
  /** The record the name was drawn from (absent names: none). */
  source?: string;
}

const LATIN = /^[\p{Script=Latin}\s.'-]+$/u;
const DEVANAGARI = /^[\p{Script=Devanagari}\s.]+$/u;

/** Spelling changes people make, one applied to one word (Suneel for Sunil, Sarma for Sharma). */
const VARIANTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/ee/, 'i'],
  [/(?<=[^aeiou])i(?=[^aeiou])/, 'ee'],
  [/oo/, 'u'],
  [/(?<=[^aeiou])u(?=[^aeiou])/, 'oo'],
  [/sh/, 's'],
  [/w/, 'v'],
  [/v/, 'w'],
  [/th/, 't'],
  [/dh/, 'd'],
  [/bh/, 'b'],
  [/ph/, 'f'],
  [/([bcdgklmnprst])\1/, '$1'],
  [/a$/, 'aa'],
  [/y$/, 'i'],
  [/i$/, 'y'],
  [/au/, 'ou'],
  [/z/, 'j'],
  [/q/, 'k'],
];

function variantOf(name: string, rng: () => number): string | undefined {
  const words = name.split(' ');
  const order = words.map((_, i) => i).sort(() => rng() - 0.5);
  for (const i of order) {
    const w = words[i]!;
    if (w.length < 3 || w.endsWith('.')) continue;
    const lower = w.toLowerCase();
    const rules = VARIANTS.filter(([re]) => re.test(lower));
    if (rules.length === 0) continue;
    const [re, to] = rules[Math.floor(rng() * rules.length)]!;
    const changed = lower.replace(re, to);
    words[i] = changed.charAt(0).toUpperCase() + changed.slice(1);
    return words.join(' ');
  }
  return undefined;
}

/** Names from nowhere near India (Nordic, Polish, Japanese, Basque): no record should carry them. */
const ABSENT_GIVEN =
  'Bjorn Sven Olaf Wojciech Grzegorz Hiroshi Kenji Takeshi Ingrid Astrid Eneko Iker';
const ABSENT_FAMILY =
  'Kowalczyk Szymanski Brzezinski Lindqvist Fjellstrom Haugen Yamaguchi Takahashi Nakamura Etxeberria Goikoetxea Wroblewski';

/**
 * `count` queries: 40 % a person's name in Latin letters (for names recorded in an Indian script,
 * its Latin spelling), 20 % a name as recorded in Devanagari, 20 % a Latin name with one spelling
 * change, 20 % a name that exists nowhere. Drawn from the first persons of every state.
 */
function makeQueries(count: number, opts: LookupBenchOptions): Query[] {
  const latin: Query[] = [];
  const devanagari: Query[] = [];
  for (const state of STATE_CODES) {
    const people = generatePersons(
      Math.min(opts.persons, QUERY_POOL),
      stateSeed(opts.seed, state),
      { state },
    );
    people.forEach((p, i) => {
      const source = `person:${state}-${i + 1}`;
      const spelt = p.latinName ?? p.name;
      if (LATIN.test(spelt)) latin.push({ kind: 'latin', name: spelt, source });
      if (DEVANAGARI.test(p.name)) devanagari.push({ kind: 'devanagari', name: p.name, source });
    });
  }
  const rng = mulberry32(opts.seed ^ 0x2545f491);
  const pick = <T>(list: T[]): T => list[Math.floor(rng() * list.length)]!;
  const given = ABSENT_GIVEN.split(' ');
  const family = ABSENT_FAMILY.split(' ');
  const out: Query[] = [];
  while (out.length < count) {
    const roll = rng();
    if (roll < 0.4) out.push(pick(latin));
    else if (roll < 0.6) out.push(devanagari.length ? pick(devanagari) : pick(latin));
    else if (roll < 0.8) {
      const q = pick(latin);
      const name = variantOf(q.name, rng);
      if (name) out.push({ ...q, kind: 'variant', name });
    } else out.push({ kind: 'absent', name: `${pick(given)} ${pick(family)}` });
  }
  return out;
}

function personQuery(name: string): NonNullable<LookupRequest['query']> {
  return {
    $case: 'person',
    value: { name, fatherName: '', ageFrom: 0, ageTo: 0, gender: 0, district: '', status: 0 },
  };
}

function lookupRequest(name: string): LookupRequest {
  return {
    id: 'baseline',
    caller: AGENCY,
    purpose: PURPOSE,
    states: [],
    limit: 20,
    issuedAt: new Date(),
    query: personQuery(name),
  };
}

interface NationalResult {
  kind: QueryKind;
  latency: number;
  sendLag: number;
  matches: number;
  answered: number;
  missing: StateFailure[];
  hits: number;
  found: boolean;
  /** The best match, `name → matched name (score)`. */
  top?: string;
  error?: string;
}

/** One national query, timed from its scheduled send `at`. */
async function national1(client: RecordsClient, q: Query, at: number): Promise<NationalResult> {
  const sent = nowMs();
  const base = { kind: q.kind, sendLag: sent - at };
  let r: LookupResponse;
  try {
    r = await client.search({ query: personQuery(q.name), purpose: PURPOSE });
  } catch (err) {
    return {
      ...base,
      latency: nowMs() - at,
      matches: 0,
      answered: 0,
      missing: [],
      hits: 0,
      found: false,
      error: (err as Error).message,
    };
  }
  return {
    ...base,
    latency: nowMs() - at,
    matches: r.matches.length,
    answered: r.answered.length,
    missing: r.missing,
    hits: r.matches.filter((m) => {
      const k = m.record?.kind;
      return k?.$case === 'person' && HIT_STATUSES.has(statusName('person', k.value.status));
    }).length,
    found: q.source !== undefined && r.matches.some((m) => m.record?.id === q.source),
    ...(r.matches[0]?.record?.kind?.$case === 'person'
      ? {
          top: `${q.name} → ${r.matches[0].record.kind.value.name} (${r.matches[0].score.toFixed(2)})`,
        }
      : {}),
  };
}

/**
 * Times the national broker's requests to each state over the backbone (from the fan-out's start,
 * which is when the first state of a lookup is asked).
 */
class FanoutClock {
  private first: number[] = [];
  private last: number[] = [];
  private open = new Map<string, { start: number; answered: number[] }>();

  wrap(backbone: Backbone): Backbone {
    return new Proxy(backbone, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'request' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return async (subject: string, payload: Uint8Array, timeoutMs: number) => {
          // All 36 requests of one lookup are made in the same tick with the same payload.
          const key = Buffer.from(payload).toString('base64').slice(-64);
          let fan = this.open.get(key);
          if (!fan) {
            fan = { start: nowMs(), answered: [] };
            this.open.set(key, fan);
          }
          try {
            return await target.request(subject, payload, timeoutMs);
          } finally {
            fan.answered.push(nowMs() - fan.start);
            if (fan.answered.length === STATE_CODES.length) {
              this.first.push(Math.min(...fan.answered));
              this.last.push(Math.max(...fan.answered));
              this.open.delete(key);
            }
          }
        };
      },
    });
  }

  reset(): void {
    this.first = [];
    this.last = [];
    this.open.clear();
  }

  firsts(): number[] {
    return this.first;
  }

  lasts(): number[] {
    return this.last;
  }
}

async function auditTotal(brokers: Broker[]): Promise<number> {
  let n = 0;
  for (const b of brokers) n += (await b.store.auditHead()).seq;
  return n;
}

function countBy(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function mean(xs: number[]): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function note(what: string): void {
  noteFor(B, what);
}
