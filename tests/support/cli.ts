import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Absolute path of the umbrella CLI (needs `npm run build`, which `npm test` runs first). */
export const CCTNS_BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'cctns.mjs');

/** The outcome of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cctns ...args` as a real process and collects its output and exit code. */
export function cctns(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return run(process.execPath, [CCTNS_BIN, ...args], opts);
}

/** Runs any program (e.g. openssl) and collects its output and exit code. */
export function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** A fresh temporary directory for one test file. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cctns-${prefix}-`));
}
