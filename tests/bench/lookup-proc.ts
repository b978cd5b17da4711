import { readFileSync } from 'node:fs';

/**
 * What the lookup benchmark reads about its broker processes from outside: CPU time and resident
 * memory from Linux's /proc (no cooperation from the process needed), and the clock V8's CPU
 * profiles are stamped with (their summary is `summariseProfile`, shared with the national bench).
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

/** Now on the clock V8's profiles use (CLOCK_MONOTONIC), in microseconds. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
