import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_PASSPHRASE } from '../support/network.js';
import { freePort, startCctns, type CctnsProcess } from '../support/processes.js';
import { withTimeout } from './report.js';

/** A `cctns broker start` process of the national network, restartable on the same gRPC port. */
export interface BrokerProc {
  home: string;
  proc: CctnsProcess;
  /** gRPC address (fixed across restarts, so that stations find it again). */
  grpc: string;
  /** Health and metrics address of the current process. */
  http: string;
  config: string;
  /** Every process this broker has been, oldest first (their logs count too). */
  history: CctnsProcess[];
}

/**
 * Writes the run's configuration of broker/<home> into `runDir` from its cached certificate:
 * a fresh SQLite store, a fixed gRPC port, metrics on a free port, joined to NATS, and limits
 * high enough that the benchmark's senders are never rate-limited (the stations' real rate is
 * far below the default; the benchmark sends faster on purpose).
 */
export async function writeBrokerConfig(
  home: string,
  certDir: string,
  runDir: string,
  pkiDir: string,
  natsUrl: string,
): Promise<string> {
  const dir = join(runDir, `broker-${home}`);
  mkdirSync(dir, { recursive: true });
  for (const f of ['cert.pem', 'key.pem', 'root.pem']) copyFileSync(join(certDir, f), join(dir, f));
  const config = join(dir, 'broker.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        identity: `broker/${home}`,
        trustDomain: 'cctns.local',
        listen: `127.0.0.1:${await freePort()}`,
        enrollListen: null,
        httpListen: '127.0.0.1:0',
        tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
        pkiDir,
        store: 'sqlite:broker.db',
        nats: { servers: [natsUrl] },
        limits: { ratePerSecond: 1e6, burst: 1e6 },
      },
      null,
      2,
    ),
  );
  return config;
}

/** Starts `cctns broker start --config …` and waits for its ready line. */
export async function startBroker(
  home: string,
  config: string,
  opts: { nodeArgs?: string[]; history?: CctnsProcess[] } = {},
): Promise<BrokerProc> {
  const proc = startCctns(
    ['--json', 'broker', 'start', '--config', config, '--log-level', 'warn'],
    { env: { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE }, nodeArgs: opts.nodeArgs },
  );
  const history = [...(opts.history ?? []), proc];
  proc.ready.catch(() => undefined);
  const ready = await withTimeout(proc.ready, 120_000, `broker/${home} ready`);
  return {
    home,
    proc,
    grpc: String(ready['grpc']),
    http: String(ready['http']),
    config,
    history,
  };
}

/** SIGKILL (a crash: nothing flushed, no goodbye to the stations) and wait for the exit. */
export async function killBroker(b: BrokerProc): Promise<void> {
  b.proc.child.kill('SIGKILL');
  await withTimeout(b.proc.exited, 10_000, `broker/${b.home} exit after SIGKILL`);
}

/** The numeric samples of a broker's /metrics (labels dropped: only unlabelled series). */
export async function scrape(b: BrokerProc): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${b.http}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const l of text.split('\n')) {
    const m = /^([a-z_]+) (\S+)$/.exec(l);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** CPU seconds (user + system) and resident bytes of a process from /proc, or undefined when gone. */
export function procStat(pid: number | undefined): { cpu: number; rss: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const rss = Number(f[21]) * 4096;
    return { cpu: ticks / 100, rss };
  } catch {
    return undefined;
  }
}

/**
 * Follows the CPU and memory of every process of the run (brokers, nats-server, link holders,
 * raw servers, this one) once a second: per process its CPU seconds (summed over restarts) and
 * peak RSS, and the peak of the sum of all RSS, which is what the run needed from the machine.
 */
export class Sampler {
  private readonly procs = new Map<
    string,
    { group: string; pids: Map<number, number>; peak: number }
  >();
  private readonly timer: NodeJS.Timeout;
  private peakTotal = 0;

  constructor(intervalMs = 1000) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Follows a process under a name (a restarted broker keeps its name) and a group. */
  add(name: string, group: string, pid: number | undefined): void {
    if (pid === undefined) return;
    const p = this.procs.get(name) ?? { group, pids: new Map(), peak: 0 };
    p.pids.set(pid, procStat(pid)?.cpu ?? 0);
    this.procs.set(name, p);
  }

  /** Takes a sample now. */
  sample(): void {
    let total = 0;
    for (const p of this.procs.values())
      for (const [pid] of p.pids) {
        const s = procStat(pid);
        if (!s) continue;
        p.pids.set(pid, s.cpu);
        total += s.rss;
        p.peak = Math.max(p.peak, s.rss);
      }
    this.peakTotal = Math.max(this.peakTotal, total);
  }

  /** CPU seconds and peak RSS per group (sum over its processes, and the largest one). */
  summary(): {
    peakTotal: number;
    groups: Array<{ group: string; procs: number; cpu: number; peakSum: number; peakMax: number }>;
  } {
    this.sample();
    const groups = new Map<
      string,
      { procs: number; cpu: number; peakSum: number; peakMax: number }
    >();
    for (const p of this.procs.values()) {
      const g = groups.get(p.group) ?? { procs: 0, cpu: 0, peakSum: 0, peakMax: 0 };
      g.procs++;
      g.cpu += [...p.pids.values()].reduce((a, b) => a + b, 0);
      g.peakSum += p.peak;
      g.peakMax = Math.max(g.peakMax, p.peak);
      groups.set(p.group, g);
    }
    return {
      peakTotal: this.peakTotal,
      groups: [...groups].map(([group, g]) => ({ group, ...g })),
    };
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.timer);
  }
}
