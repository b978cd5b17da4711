import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CCTNS_BIN } from './cli.js';

/** A free TCP port on loopback (for services that must come back on the same address). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A `cctns` child process, with its output collected. */
export interface CctnsProcess {
  child: ChildProcess;
  /** stdout and stderr together, in arrival order. */
  output: () => string;
  /** stdout alone. */
  stdout: () => string;
  /** Resolves with the first JSON line on stdout that has `ready: true`. */
  ready: Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/**
 * Starts `cctns ...args` in the background (e.g. a broker or `up`) and waits for nothing.
 * `nodeArgs` go to node itself (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export function startCctns(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; nodeArgs?: string[] } = {},
): CctnsProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CCTNS_BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  let resolveReady: (v: Record<string, unknown>) => void = () => undefined;
  let rejectReady: (e: Error) => void = () => undefined;
  const ready = new Promise<Record<string, unknown>>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
    for (const line of out.split('\n')) {
      if (line.startsWith('{') && line.includes('"ready":true')) {
        try {
          resolveReady(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a partial line; wait for more
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      rejectReady(new Error(`cctns ${args.join(' ')} exited ${code} before it was ready:\n${out}`));
      r(code);
    }),
  );
  return { child, output: () => out, stdout: () => stdout, ready, exited };
}
