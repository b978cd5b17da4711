import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATE_CODES, type Pki } from '@cctns/pki';
import { RecordsClient } from '@cctns/station-agent';
import { startNats } from '../support/nats.js';
import { provision, TEST_PASSPHRASE } from '../support/network.js';
import { startCctns, type CctnsProcess } from '../support/processes.js';
import { monotonicMicros, procCpuMs, procRssMiB } from './lookup-proc.js';
import { summariseProfile } from './national-profile.js';
import { AGENCY, national1, personQuery, PURPOSE, type Query } from './lookup-queries.js';
import { count, reportAnswers, sum } from './lookup-report.js';
import { line, note as noteFor, nowMs, sleep, withTimeout } from './report.js';
import { initBroker } from './processes.js';

/**
 * The national search as deployed: a nats-server with JetStream and mutual TLS (the broker
 * certificates), and the national broker and the 36 state brokers each in its own
 * `cctns broker start` process joined to it through its configuration, each state on its copy of
 * the cached store. The agency's client (in this process) sends signed lookups at a steady rate
 * to the national broker, which fans each out to the 36 states over NATS request/reply.
 *
 * On this machine 37 broker processes share 2 cores, so the states do not search side by side as
 * on 36 machines; the phase says how much CPU each process took per query, so the figures can be
 * read for a real deployment. The national broker, the UP broker (the largest store) and the SK
 * broker (a small one: what every state pays per lookup whatever its size) run with `--cpu-prof`,
 * and their hottest functions while the queries ran are printed.
 */

const B = 'lookup';
const note = (what: string) => noteFor(B, what);

/** What the phase runs on and with. */
export interface ProcessPhaseOptions {
  pki: Pki;
  dir: string;
  /** The cached state stores (`<STATE>.db`). */
  dataDir: string;
  /** National queries per second, open loop. */
  rate: number;
  seconds: number;
  warm: Query[];
  queries: Query[];
  lookupTimeoutMs: number;
  /** One state's store alone (the baseline), printed beside the national figures. */
  localP50: number;
  localP99: number;
}

/** Brokers whose CPU profile is taken: the fan-out, the most populous state and a small one. */
const PROFILED = ['national', 'UP', 'SK'];
/** Where the profiles are kept after the run (the run's own folder is removed). */
const PROFILES = join(tmpdir(), 'cctns-bench-lookup-profiles');

/** Runs the phase; every process it starts is stopped by `onCleanup` if it fails half way. */
export async function benchLookupProcesses(
  o: ProcessPhaseOptions,
  onCleanup: (what: string, run: () => unknown) => void,
): Promise<void> {
  const env = { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE };
  mkdirSync(o.dir, { recursive: true });
  const t0 = nowMs();
  const natsTls = join(o.dir, 'nats-server-tls');
  await provision(o.pki, o.pki.unlockCa('CENTRAL', TEST_PASSPHRASE), 'broker/national', natsTls);
  const nats = await startNats({ tls: { dir: natsTls } });
  onCleanup('nats-server (processes)', () => nats.stop());

  const homes = ['national', ...STATE_CODES];
  const configs = new Map<string, string>();
  // Two at a time: each init is a Node process that makes an RSA key.
  await pool(homes, 2, async (home) => {
    const config = await initBroker(o.dir, o.pki.dir, home, nats.url, env, {
      lookupTimeoutMs: o.lookupTimeoutMs,
    });
    if (home !== 'national')
      copyFileSync(
        join(o.dataDir, `${home}.db`),
        join(o.dir, `broker-${home}`, 'broker.db'),
        constants.COPYFILE_FICLONE,
      );
    configs.set(home, config);
  });
  const procs = new Map<string, CctnsProcess>();
  onCleanup('broker processes', () => Promise.all([...procs.values()].map(stopProcess)));
  rmSync(PROFILES, { recursive: true, force: true });
  let national = '';
  await pool(homes, 4, async (home) => {
    // --cpu-prof goes to node itself: NODE_OPTIONS may not carry it.
    const nodeArgs = PROFILED.includes(home)
      ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILES, home)}`]
      : [];
    const p = startCctns(
      ['--json', 'broker', 'start', '--config', configs.get(home)!, '--log-level', 'warn'],
      { env, nodeArgs },
    );
    procs.set(home, p);
    p.ready.catch(() => undefined);
    const ready = await withTimeout(p.ready, 180_000, `broker/${home} ready`);
    if (home === 'national') national = String(ready['grpc']);
  });
  const cdir = join(o.dir, 'clients', AGENCY.replace(/\//g, '_'));
  await provision(o.pki, o.pki.unlockCa('CENTRAL', TEST_PASSPHRASE), AGENCY, cdir);
  const client = RecordsClient.fromFiles({
    identity: AGENCY,
    trustDomain: o.pki.trustDomain,
    broker: national,
    key: join(cdir, 'key.pem'),
    cert: join(cdir, 'cert.pem'),
    root: join(cdir, 'root.pem'),
  });
  onCleanup('agency client (processes)', () => client.close());
  const rss = sum(homes.map((h) => procRssMiB(procs.get(h)!.child.pid!)));
  line(
    B,
    'setup: nats-server (mTLS, JetStream) + 37 `cctns broker start` processes',
    (nowMs() - t0) / 1000,
    's',
    `${rss.toFixed(0)} MiB RSS for the 37 brokers; lookup timeout per state ${o.lookupTimeoutMs} ms`,
  );

  // Warm up until one query is answered by every state (subscriptions, caches, JIT), and at
  // least through every warm-up query given.
  for (let i = 0; i < Math.max(10, o.warm.length); i++) {
    const q = o.warm[i % Math.max(1, o.warm.length)]!;
    const r = await client.search({ query: personQuery(q.name), purpose: PURPOSE });
    if (r.answered.length === STATE_CODES.length && i >= o.warm.length - 1) break;
    await sleep(500);
  }
  await sleep(1000);

  note(`national search (37 processes): ${o.queries.length} queries at ${o.rate}/s`);
  const pids = new Map(homes.map((h) => [h, procs.get(h)!.child.pid!]));
  const cpu0 = new Map([...pids].map(([h, pid]) => [h, procCpuMs(pid)]));
  const self0 = process.cpuUsage();
  const from = monotonicMicros();
  const load0 = loadavg()[0]!;
  const start = nowMs() + 100;
  const pending: Array<Promise<Awaited<ReturnType<typeof national1>>>> = [];
  for (const [i, q] of o.queries.entries()) {
    const at = start + (i * 1000) / o.rate;
    const wait = at - nowMs();
    if (wait > 0) await sleep(wait);
    pending.push(national1(client, q, at));
  }
  const results = await Promise.all(pending);
  const to = monotonicMicros();
  const wall = (nowMs() - start) / 1000;
  const load1 = loadavg()[0]!;
  const cpu = new Map([...pids].map(([h, pid]) => [h, procCpuMs(pid) - cpu0.get(h)!]));
  const self = process.cpuUsage(self0);

  const what = 'national search (37 processes, NATS mTLS)';
  reportAnswers(what, results, o.queries.length, o.rate);
  line(
    B,
    `${what}: one state's store alone, for comparison, p50`,
    o.localP50,
    'ms',
    `p99 ${o.localP99.toFixed(1)} ms (UP, searchLocal in this process)`,
  );
  const n = Math.max(1, results.length);
  const states = STATE_CODES.map((s) => [s, cpu.get(s)! / n] as const).sort((a, b) => b[1] - a[1]);
  const statesTotal = sum(states.map(([, ms]) => ms));
  const nationalMs = cpu.get('national')! / n;
  const clientMs = (self.user + self.system) / 1000 / n;
  const all = statesTotal + nationalMs + clientMs;
  line(
    B,
    `${what}: CPU per query, all processes`,
    all,
    'ms',
    `36 states ${statesTotal.toFixed(0)} ms, national ${nationalMs.toFixed(1)} ms, agency client ${clientMs.toFixed(1)} ms; ${cpus().length} cores serve at most ≈ ${((cpus().length * 1000) / all).toFixed(1)} queries/s; load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after, over ${wall.toFixed(0)} s`,
  );
  line(
    B,
    `${what}: CPU per query, costliest states`,
    states[0]![1],
    'ms',
    states
      .slice(0, 10)
      .map(([s, ms]) => `${s} ${ms.toFixed(1)}`)
      .join(', '),
  );
  const complaints = [...procs.values()]
    .flatMap((p) => p.output().split('\n'))
    .filter((l) => /"level":(40|50|60)/.test(l));
  count(
    `${what}: warnings and errors in the broker logs`,
    complaints.length,
    'lines',
    complaints[0]?.slice(0, 200) ?? '',
  );
  client.close();
  await Promise.all([...procs.values()].map(stopProcess));
  procs.clear();
  for (const home of PROFILED) {
    const d = join(PROFILES, home);
    const file = existsSync(d) ? readdirSync(d).find((f) => f.endsWith('.cpuprofile')) : undefined;
    if (!file) {
      note(`no CPU profile from broker/${home}`);
      continue;
    }
    const p = summariseProfile(d, [[from / 1000, to / 1000]]);
    const busy = p.sampledMs * (1 - p.idleShare);
    note(
      `CPU profile of broker/${home} while the queries ran, by self time: ${p.functions
        .map(([name, ms]) => `${name} ${(busy > 0 ? (100 * ms) / busy : 0).toFixed(1)} %`)
        .join(', ')}`,
    );
  }
  await nats.stop();
  note(`profiles kept in ${PROFILES} (open them in Chrome DevTools)`);
}

/** Runs `work` for every item, at most `width` at a time. */
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

/** SIGTERM (the broker stops cleanly and writes its profile), SIGKILL after 30 s. */
async function stopProcess(p: CctnsProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  try {
    await withTimeout(p.exited, 30_000, 'broker stop');
  } catch {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}
