import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A V8 CPU profile as `node --cpu-prof` writes it. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where the time of a profile went, within some windows of time. */
export interface ProfileSummary {
  /** Milliseconds sampled inside the windows. */
  sampledMs: number;
  /** Share of those samples that were idle (the process waited for I/O). */
  idleShare: number;
  /** Busiest functions by self time: `name (file:line)` and milliseconds. */
  functions: Array<[string, number]>;
  /** Self time by area: a package, a folder of this repository, node internals, GC. */
  areas: Array<[string, number]>;
  /** False when the windows did not fall inside the profile and the whole profile was used. */
  windowed: boolean;
}

/** The area a function belongs to, from its script URL. */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (internal) return `node:${internal[1]}`;
  const repo = /\/(pki|proto|broker|station-agent|hq-console)\/(?:dist|src)\/([^/]+)/.exec(url);
  if (repo) return `${repo[1]}/${repo[2]!.replace(/\.[jt]s$/, '')}`;
  return url.split('/').slice(-2).join('/');
}

/**
 * Summarises the newest `.cpuprofile` in `dir`, counting only samples inside `windows` (pairs of
 * CLOCK_MONOTONIC milliseconds, the clock V8 stamps its samples with on Linux), so that start-up
 * and link set-up do not drown the part measured.
 */
export function summariseProfile(dir: string, windows: Array<[number, number]>): ProfileSummary {
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread's.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0')
    .sort();
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const p = JSON.parse(readFileSync(join(dir, files[files.length - 1]!), 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const us = windows.map(([a, b]) => [a * 1000, b * 1000] as const);
  const windowed = us.some(([a, b]) => a >= p.startTime && b <= p.endTime);
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let t = p.startTime;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (windowed && !us.some(([a, b]) => t >= a && t <= b)) continue;
    // A sample stands for the interval that ends at it.
    const ms = dt / 1000;
    const f = byId.get(p.samples[i]!)!;
    total += ms;
    if (f.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const file = f.url.split('/').slice(-1)[0] ?? '';
    const key = `${f.functionName || '(anonymous)'} (${file ? `${file}:${f.lineNumber + 1}` : 'native'})`;
    self.set(key, (self.get(key) ?? 0) + ms);
    const a = area(f.url, f.functionName);
    areas.set(a, (areas.get(a) ?? 0) + ms);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((x, y) => y[1] - x[1]).slice(0, n) as Array<[string, number]>;
  return {
    sampledMs: total,
    idleShare: total > 0 ? idle / total : 0,
    functions: top(self, 15),
    areas: top(areas, 12),
    windowed,
  };
}
