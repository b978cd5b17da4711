import { constants, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteBrokerStore, type Broker } from '@cctns/broker';
import { STATE_CODES } from '@cctns/pki';
import { Record as RecordMsg, type Match } from '@cctns/proto';
import { checkLookup, DEFAULT_LOOKUP_POLICY } from '../../broker/dist/lookup/policy.js';
import {
  MAX_CANDIDATES,
  MAX_PER_KEY,
  searchLocal,
  statusName,
} from '../../broker/dist/lookup/search.js';
import {
  MATCH_THRESHOLD,
  nameScore,
  prepareName,
  searchKeys,
} from '../../broker/dist/records/names.js';
import { AGENCY, lookupRequest, PURPOSE, type Query } from './lookup-queries.js';
import { line, note as noteFor, nowMs, percentile } from './report.js';

/**
 * The lookup benchmark's local searches: `searchLocal` (the compiled broker's) on one state's
 * store alone, with no signature, audit, notices or network; the same against the search as it
 * was before names were stored and pre-selection capped (every key row read and grouped, every
 * candidate's name transliterated at query time), on the same file, for the time and for what
 * each finds; and every state's store alone, to show what each state costs.
 */

const B = 'lookup';
/** The one state whose store alone is the baseline: the most populous, Hindi-belt names. */
export const BASE = 'UP';
const note = (what: string) => noteFor(B, what);

/** `searchLocal` for the agency on one state's store, under the default policy's grant. */
export async function localSearch(store: Broker['store'], state: string, name: string) {
  return searchLocal(
    store,
    lookupRequest(name),
    grantFor(state),
    state,
    DEFAULT_LOOKUP_POLICY.maxLimit,
  );
}

function grantFor(state: string) {
  return checkLookup(DEFAULT_LOOKUP_POLICY, AGENCY, { kind: 'person', state, purpose: PURPOSE });
}

/**
 * The person search as it was before this change, on a read-only connection to the same file:
 * one query reads every `record_keys` row of the query's keys, groups them by record and sorts
 * by keys shared before the 2,000 cap; every candidate is decoded and its name and aliases
 * prepared again. Scoring is today's `nameScore`, so only the pre-selection and the preparation
 * differ.
 */
function fullSearch(db: Database.Database, state: string, name: string): Match[] {
  const keys = [...new Set(searchKeys(name).map((k) => `n:${k}`))].slice(0, 200);
  if (keys.length === 0) return [];
  const visible = grantFor(state).statuses?.['person'];
  const rows = db
    .prepare(
      `SELECT r.* FROM (SELECT id, COUNT(*) AS hits FROM record_keys WHERE key IN (${keys.map(() => '?').join(', ')}) GROUP BY id) k JOIN records r ON r.id = k.id WHERE r.kind = ? ORDER BY k.hits DESC, r.id LIMIT ?`,
    )
    .all(...keys, 'person', MAX_CANDIDATES) as Array<{ status: number; body: Buffer }>;
  const prepared = prepareName(name);
  const out: Match[] = [];
  for (const row of rows) {
    if (visible && !visible.includes(statusName('person', row.status))) continue;
    const rec = RecordMsg.decode(row.body);
    if (rec.kind?.$case !== 'person') continue;
    const p = rec.kind.value;
    const score = Math.max(...[p.name, ...p.aliases].map((n) => nameScore(prepared, n)));
    if (score >= MATCH_THRESHOLD) out.push({ record: rec, score, state });
  }
  return out
    .sort((a, b) => b.score - a.score || a.record!.id.localeCompare(b.record!.id))
    .slice(0, 20);
}

/**
 * Matches the full search ranks into the top 20 that the capped one does not return: scored
 * above the capped search's last result (or any, when it returned fewer than 20).
 */
function missedMatches(full: Match[], capped: Match[]): number {
  const have = new Set(capped.map((m) => m.record!.id));
  const floor = capped.length < 20 ? -1 : capped[capped.length - 1]!.score;
  return full.filter((m) => !have.has(m.record!.id) && m.score > floor).length;
}

/** One state's store alone: today's search, its pre-selection, and the search before. */
export async function oneState(
  dir: string,
  dataDir: string,
  warm: Query[],
  queries: Query[],
): Promise<{ p50: number; p99: number }> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${BASE}.db`);
  copyFileSync(join(dataDir, `${BASE}.db`), file, constants.COPYFILE_FICLONE);
  const store = new SqliteBrokerStore(file);
  const db = new Database(file, { readonly: true });
  try {
    note(`baseline: the same ${queries.length} queries on the ${BASE} store alone`);
    for (const q of warm) {
      await localSearch(store, BASE, q.name);
      fullSearch(db, BASE, q.name);
    }
    const local: number[] = [];
    const before: number[] = [];
    const find: number[] = [];
    const candidates: number[] = [];
    let matches = 0;
    let missed = 0;
    let queriesMissing = 0;
    for (const q of queries) {
      const t0 = nowMs();
      const capped = await localSearch(store, BASE, q.name);
      local.push(nowMs() - t0);
      matches += capped.length;
      // The pre-selection alone, as searchLocal asks it, to split the time.
      const t1 = nowMs();
      const keys = searchKeys(q.name).map((k) => `n:${k}`);
      const c = await store.findRecords('person', keys, {}, MAX_CANDIDATES, MAX_PER_KEY);
      find.push(nowMs() - t1);
      candidates.push(c.length);
      const t2 = nowMs();
      const full = fullSearch(db, BASE, q.name);
      before.push(nowMs() - t2);
      const m = missedMatches(full, capped);
      missed += m;
      if (m > 0) queriesMissing++;
    }
    const p = (xs: number[], n: number) => percentile(xs, n);
    line(
      B,
      `local search on the ${BASE} store alone p50`,
      p(local, 50),
      'ms',
      `same ${local.length} queries, searchLocal one at a time, ${(matches / local.length).toFixed(1)} matches on average`,
    );
    line(B, `local search on the ${BASE} store alone p95`, p(local, 95), 'ms');
    line(B, `local search on the ${BASE} store alone p99`, p(local, 99), 'ms');
    line(
      B,
      `local search on the ${BASE} store: candidate pre-selection (findRecords) p50`,
      p(find, 50),
      'ms',
      `p99 ${p(find, 99).toFixed(1)} ms; ${p(candidates, 50)} candidates p50, ${candidates.filter((n) => n >= MAX_CANDIDATES).length} of ${candidates.length} queries at the cap of ${MAX_CANDIDATES} (at most ${MAX_PER_KEY} per key, rarest key first)`,
    );
    line(
      B,
      `before (full pre-selection, names prepared at query time), same store, p50`,
      p(before, 50),
      'ms',
      `p99 ${p(before, 99).toFixed(1)} ms; ratio before / now ${(p(before, 50) / p(local, 50)).toFixed(1)}× at p50, ${(p(before, 99) / p(local, 99)).toFixed(1)}× at p99`,
    );
    line(
      B,
      `matches the full pre-selection ranks into the top 20 that the capped one misses`,
      missed,
      'matches',
      `in ${queriesMissing} of ${queries.length} queries`,
    );
    return { p50: p(local, 50), p99: p(local, 99) };
  } finally {
    db.close();
    await store.close();
  }
}

/** Each state's store alone for `subset`: per state, the sum and the slowest per query. */
export async function perStateAlone(brokers: Map<string, Broker>, subset: Query[]): Promise<void> {
  if (subset.length === 0) return;
  note(`per state: ${subset.length} queries on each of the 36 stores alone`);
  const perState = new Map<string, number[]>(STATE_CODES.map((s) => [s, []]));
  const sumOfStates: number[] = [];
  const maxOfStates: number[] = [];
  for (const q of subset) {
    let total = 0;
    let slowest = 0;
    for (const state of STATE_CODES) {
      const t0 = nowMs();
      await localSearch(brokers.get(state)!.store, state, q.name);
      const ms = nowMs() - t0;
      perState.get(state)!.push(ms);
      total += ms;
      slowest = Math.max(slowest, ms);
    }
    sumOfStates.push(total);
    maxOfStates.push(slowest);
  }
  const p50s = STATE_CODES.map((s) => [s, percentile(perState.get(s)!, 50)] as const).sort(
    (a, b) => b[1] - a[1],
  );
  line(
    B,
    'per state, local search p50 (slowest first)',
    p50s[0]![1],
    'ms',
    p50s.map(([s, ms]) => `${s} ${ms.toFixed(0)}`).join(', '),
  );
  const mean = sumOfStates.reduce((a, b) => a + b, 0) / sumOfStates.length;
  line(
    B,
    'sum of the 36 states’ local searches per query, p50',
    percentile(sumOfStates, 50),
    'ms',
    `mean ${mean.toFixed(0)} ms, p99 ${percentile(sumOfStates, 99).toFixed(0)} ms over ${subset.length} queries: what one event loop does per national query`,
  );
  line(
    B,
    'slowest state’s local search per query, p50',
    percentile(maxOfStates, 50),
    'ms',
    `p99 ${percentile(maxOfStates, 99).toFixed(0)} ms: the floor of a national query with each state broker on its own machine`,
  );
}
