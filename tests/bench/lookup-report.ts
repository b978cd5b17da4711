import { STATE_CODES } from '@cctns/pki';
import type { NationalResult } from './lookup-queries.js';
import { line, percentile } from './report.js';

/**
 * What the answers of a national phase say, the same for every phase: latency from the scheduled
 * send (p50, p95, p99, by kind of name), how late sends left, states answered and missing (and
 * why), named queries that returned their source record, names from nowhere that matched.
 */

const B = 'lookup';

/** Reports the answers of one phase; returns those that did not fail at the client. */
export function reportAnswers(
  what: string,
  results: NationalResult[],
  asked: number,
  rate: number,
): NationalResult[] {
  const ok = results.filter((r) => !r.error);
  const failed = results.filter((r) => r.error);
  const lat = ok.map((r) => r.latency);
  line(
    B,
    `${what} latency p50`,
    percentile(lat, 50),
    'ms',
    `${ok.length} queries at ${rate}/s, client -> national broker -> 36 state brokers -> client, from the scheduled send`,
  );
  line(B, `${what} latency p95`, percentile(lat, 95), 'ms');
  line(
    B,
    `${what} latency p99`,
    percentile(lat, 99),
    'ms',
    `max ${percentile(
      ok.map((r) => r.latency),
      100,
    ).toFixed(0)} ms`,
  );
  const lag = ok.map((r) => r.sendLag);
  line(
    B,
    `${what}: send delayed by the busy event loop, p50`,
    percentile(lag, 50),
    'ms',
    `max ${percentile(lag, 100).toFixed(0)} ms (part of the latency)`,
  );
  for (const kind of ['latin', 'devanagari', 'variant', 'absent'] as const) {
    const of = ok.filter((r) => r.kind === kind);
    if (of.length === 0) continue;
    line(
      B,
      `${what} latency p50, ${kind} names`,
      percentile(
        of.map((r) => r.latency),
        50,
      ),
      'ms',
      `${of.length} queries, ${mean(of.map((r) => r.matches)).toFixed(1)} matches on average, ${of.filter((r) => r.matches === 0).length} with none`,
    );
  }
  const missing = ok.flatMap((r) => r.missing);
  count(
    `${what}: queries answered by all 36 States/UTs`,
    ok.filter((r) => r.answered === STATE_CODES.length).length,
    'queries',
    `of ${asked}; ${failed.length} failed at the client${failed.length ? ` (first: ${failed[0]!.error})` : ''}`,
  );
  count(
    `${what}: state answers missing`,
    missing.length,
    'answers',
    missing.length
      ? [...countBy(missing.map((m) => `${m.state} ${m.reason}`))]
          .map(([k, n]) => `${k} ×${n}`)
          .join(', ')
      : 'none',
  );
  const named = ok.filter((r) => r.kind !== 'absent');
  count(
    `${what}: named queries that returned their source record`,
    named.filter((r) => r.found).length,
    'queries',
    `of ${named.length}; ${named.filter((r) => r.matches === 0).length} returned nothing (20 results nationally: a common name's record can rank below 20 equal matches)`,
  );
  const absent = ok.filter((r) => r.kind === 'absent');
  count(
    `${what}: names that exist nowhere, matched anyway`,
    absent.filter((r) => r.matches > 0).length,
    'queries',
    `of ${absent.length}${absent
      .filter((r) => r.top)
      .slice(0, 3)
      .map((r) => `; ${r.top}`)
      .join('')}`,
  );
  return ok;
}

/** A count in the report format of `line`, without decimals. */
export function count(what: string, n: number, unit: string, extra = ''): void {
  process.stdout.write(`[${B}] ${what}: ${n} ${unit}${extra ? `  (${extra})` : ''}\n`);
}

/** How often each string occurs, in order of first occurrence. */
export function countBy(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** The sum of `xs`. */
export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** The mean of `xs` (NaN for none). */
export function mean(xs: number[]): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}
