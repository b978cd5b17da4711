/**
 * The fault suite's figures: printed as one line per fault (`[fault] name: key value, …`), so a
 * run's output shows what README's Reliability section quotes. Figures are never asserted as
 * timings; the tests assert correctness (nothing lost, nothing duplicated, no crash).
 */
export function printFigures(fault: string, figures: Record<string, number | string>): void {
  const line = Object.entries(figures)
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v}`)
    .join(', ');
  console.log(`[fault] ${fault}: ${line}`);
}

/** Seconds since `start` (a `performance.now()` reading), for figures. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** A small seeded generator (mulberry32), so a run of random inputs can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
