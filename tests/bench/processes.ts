/** Helpers the benchmarks that run real processes share: stopping them and reading their logs and memory. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cctns } from '../support/cli.js';
import type { NatsServer } from '../support/nats.js';
import type { CctnsProcess } from '../support/processes.js';
import { withTimeout } from './report.js';

/** Counts (and prints to stderr) warn/error lines of a broker's JSON log. */
export function reportLog(bench: string, name: string, output: string): number {
  const counts = new Map<string, number>();
  for (const l of output.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const rec = JSON.parse(l) as { level?: number; msg?: string; err?: unknown };
      if ((rec.level ?? 0) < 40) continue;
      const key = `${rec.level! >= 50 ? 'ERROR' : 'WARN'} ${rec.msg ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a log record
    }
  }
  let total = 0;
  for (const [msg, count] of counts) {
    total += count;
    process.stderr.write(`[${bench}] ${name} log: ${count} x ${msg}\n`);
  }
  return total;
}

/**
 * Counts (and prints to stderr, deduplicated) nats-server [WRN]/[ERR] lines. With `tls`, the first
 * TLS handshake error is not counted: it is the harness's readiness probe (a bare TCP connect).
 */
export function reportNatsLog(bench: string, name: string, output: string, tls: boolean): number {
  const counts = new Map<string, number>();
  let probe = tls;
  for (const l of output.split('\n')) {
    const m = /\[(WRN|ERR)\] (.*)$/.exec(l);
    if (!m) continue;
    if (probe && m[2]!.includes('TLS handshake error')) {
      probe = false;
      continue;
    }
    // Addresses and client ids differ between otherwise equal lines.
    const key = `${m[1]} ${m[2]!.replace(/\d+(\.\d+){3}:\d+/g, 'ADDR').replace(/cid:\d+/g, 'cid:N')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let total = 0;
  for (const [msg, count] of counts) {
    total += count;
    process.stderr.write(`[${bench}] ${name} log: ${count} x ${msg}\n`);
  }
  return total;
}

/** SIGTERM, and SIGKILL when the process has not exited after 10 s. */
export async function stopProcess(p: CctnsProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  try {
    await withTimeout(p.exited, 10_000, 'exit');
  } catch {
    p.child.kill('SIGKILL');
    await withTimeout(p.exited, 10_000, 'exit after SIGKILL');
  }
}

/** Stops a nats-server (SIGKILL after 10 s) and removes its folder. */
export async function stopNats(n: NatsServer): Promise<void> {
  try {
    await withTimeout(n.stop(), 10_000, 'nats-server stop');
  } catch {
    await n.kill();
  }
  rmSync(dirname(n.configFile), { recursive: true, force: true });
}

/** Resident memory of a process (Linux /proc), or undefined where that cannot be read. */
export function rssOf(pid: number | undefined): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `cctns broker init` for broker/<home> under `dir`, then its config joined to NATS with limits
 * high enough that a benchmark's senders are never refused, plus `extra` fields; returns the
 * config's path.
 */
export async function initBroker(
  dir: string,
  pkiDir: string,
  home: string,
  natsUrl: string,
  env: Record<string, string>,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const out = join(dir, `broker-${home}`);
  const init = await cctns(
    [
      'broker',
      'init',
      '--identity',
      `broker/${home}`,
      '--out',
      out,
      '--pki-dir',
      pkiDir,
      '--listen',
      '127.0.0.1:0',
      '--enroll-listen',
      '',
      '--http-listen',
      '',
    ],
    { env },
  );
  if (init.code !== 0) throw new Error(`cctns broker init broker/${home} failed: ${init.stderr}`);
  const config = join(out, 'broker.json');
  const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    config,
    JSON.stringify(
      {
        ...cfg,
        nats: { servers: [natsUrl] },
        limits: { ratePerSecond: 1e6, burst: 1e6 },
        ...extra,
      },
      null,
      2,
    ),
  );
  return config;
}

/** Something a benchmark must undo when it ends, however it ends. */
export interface Cleanup {
  what: string;
  run: () => unknown;
}

/**
 * Runs a benchmark's cleanups, the last registered first; one that fails or hangs past
 * `timeoutMs` is reported on stderr and the others still run.
 */
export async function runCleanups(
  bench: string,
  cleanups: Cleanup[],
  timeoutMs = 30_000,
): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    try {
      await withTimeout(Promise.resolve().then(c.run), timeoutMs, `cleanup of ${c.what}`);
    } catch (err) {
      process.stderr.write(`[${bench}] cleanup of ${c.what} failed: ${(err as Error).message}\n`);
    }
  }
}
