import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * What the lookup benchmark reads about its broker processes from outside: CPU time and resident
 * memory from Linux's /proc (no cooperation from the process needed), and the hottest functions
 * of a V8 CPU profile (`node --cpu-prof`) by self time.
 */

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every Linux in use). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU time of a process so far, in milliseconds (0 when it is gone). */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MiB (0 when it is gone). */
export function procRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The parts of a `.cpuprofile` file read here. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  /** Microseconds on the monotonic clock, as `monotonicMicros` reads it in any process. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Now on the clock V8's profiles use (CLOCK_MONOTONIC), in microseconds. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The `n` functions with the most self time between `from` and `to` (`monotonicMicros`), as
 * shares of the time the process was not idle; each named `function (file:line)`.
 */
export function hottest(
  profile: CpuProfile,
  n: number,
  from = -Infinity,
  to = Infinity,
): Array<{ name: string; share: number }> {
  const nameOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const where = f.url ? ` (${basename(f.url)}:${f.lineNumber + 1})` : '';
    nameOf.set(node.id, `${f.functionName || '(anonymous)'}${f.url ? where : ''}`);
  }
  const self = new Map<string, number>();
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    const name = nameOf.get(id) ?? '?';
    if (name === '(idle)' || at < from || at > to) return;
    busy += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, share: busy > 0 ? (100 * us) / busy : 0 }));
}
