import { STATE_CODES, type StateCode } from '@cctns/pki';

/**
 * Police stations per State/UT, the shape of the national benchmark's network.
 *
 * Approximate counts after the Bureau of Police Research and Development's "Data on Police
 * Organisations" (police stations, civil and special-purpose, as on 1 January 2022), rounded;
 * Dadra and Nagar Haveli and Daman and Diu are one UT (DH) since 2020, Ladakh is counted apart
 * from Jammu and Kashmir. They were compiled by hand for this benchmark and not re-checked
 * against the published table: check them against the current edition before citing them as
 * data. The benchmark depends on the shape (a few large states holding 6-10 % of the stations
 * each, many small UTs) rather than on any single count; `stationCounts` scales them to exactly
 * 17,712.
 */
export const POLICE_STATIONS: Readonly<Record<StateCode, number>> = {
  UP: 1580,
  TN: 1565,
  BR: 1230,
  MH: 1170,
  MP: 1150,
  KA: 1060,
  AP: 940,
  RJ: 905,
  TS: 815,
  GJ: 770,
  OD: 640,
  WB: 635,
  JH: 600,
  KL: 560,
  CG: 480,
  PB: 430,
  HR: 380,
  AS: 350,
  DL: 225,
  JK: 220,
  UK: 160,
  HP: 135,
  AR: 100,
  MN: 90,
  NL: 85,
  TR: 80,
  ML: 80,
  PY: 60,
  MZ: 40,
  GA: 32,
  SK: 30,
  AN: 25,
  LA: 20,
  CH: 17,
  LD: 15,
  DH: 10,
};

/** Every State/UT code in the table, largest first (ties by code). */
export function statesBySize(): StateCode[] {
  return [...STATE_CODES].sort(
    (a, b) => POLICE_STATIONS[b] - POLICE_STATIONS[a] || a.localeCompare(b),
  );
}

/**
 * Splits `total` stations over `states` in proportion to their police-station counts, by the
 * largest-remainder method, so the counts sum to exactly `total` and each state keeps at least
 * one station (a state broker with no station would measure nothing).
 */
export function stationCounts(total: number, states: readonly StateCode[]): Map<StateCode, number> {
  if (total < states.length)
    throw new Error(`${total} stations cannot cover ${states.length} states`);
  const weight = states.reduce((n, s) => n + POLICE_STATIONS[s], 0);
  const spare = total - states.length;
  const exact = states.map((s) => ({ s, q: (spare * POLICE_STATIONS[s]) / weight }));
  const counts = new Map(exact.map(({ s, q }) => [s, 1 + Math.floor(q)]));
  let left = total - [...counts.values()].reduce((a, b) => a + b, 0);
  const byRemainder = [...exact].sort(
    (a, b) => b.q - Math.floor(b.q) - (a.q - Math.floor(a.q)) || a.s.localeCompare(b.s),
  );
  for (const { s } of byRemainder) {
    if (left-- <= 0) break;
    counts.set(s, counts.get(s)! + 1);
  }
  return counts;
}

/** One station of the benchmark network. */
export interface BenchStation {
  identity: string;
  state: StateCode;
}

/**
 * The station identities: `station/<STATE>/D<nn>/PS<nnnn>`, twenty districts per state, in the
 * order of `states`. Deterministic, so a cache of certificates keyed by the counts stays valid.
 */
export function benchStations(counts: Map<StateCode, number>): BenchStation[] {
  const out: BenchStation[] = [];
  for (const [state, n] of counts)
    for (let i = 0; i < n; i++)
      out.push({
        identity: `station/${state}/D${String(i % 20).padStart(2, '0')}/PS${String(i).padStart(4, '0')}`,
        state,
      });
  return out;
}

/** The table the run used, one line per state: `UP 1,598 (9.0 %)`, for the bench output. */
export function describeCounts(counts: Map<StateCode, number>): string {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts]
    .map(([s, n]) => `${s} ${n.toLocaleString('en-US')} (${((100 * n) / total).toFixed(1)} %)`)
    .join(', ');
}
