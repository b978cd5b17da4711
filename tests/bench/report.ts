/** Small helpers every benchmark shares: timing, percentiles and uniform output lines. */

/** Milliseconds since an arbitrary origin, sub-millisecond. */
export function nowMs(): number {
  return performance.now();
}

/** The p-th percentile (0-100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Prints one result line: `[bench] name: value unit (extra)`. */
export function line(bench: string, what: string, value: number, unit: string, extra = ''): void {
  const v = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  process.stdout.write(`[${bench}] ${what}: ${v} ${unit}${extra ? `  (${extra})` : ''}\n`);
}

/** Prints a progress line that rewrites itself on a terminal. */
export function progress(bench: string, done: number, total: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r[${bench}] ${done}/${total}`);
  else if (done === total || done % Math.max(1, Math.floor(total / 10)) === 0)
    process.stderr.write(`[${bench}] ${done}/${total}\n`);
}

/** A note on stderr: `[bench] what`. */
export function note(bench: string, what: string): void {
  process.stderr.write(`[${bench}] ${what}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `promise`, or a rejection after `ms`; leaves no timer behind. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
