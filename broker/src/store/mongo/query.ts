import { trusted } from 'mongoose';
import type { AuditFilter } from '@cctns/pki';
import { BrokerError } from '../../errors.js';
import type { RecordFilter, RecordKind } from '../store.js';

/**
 * The few places that turn values into MongoDB filters. Values are literals only: a string,
 * a finite number, a boolean, a date or null. An object or array where a value belongs (what a
 * `{"$gt": ""}` smuggled in as a name becomes) is refused, never read as an operator; strings
 * that look like operators (`"$where"`, `'{"$gt": ""}'`) are just strings to match. Operators
 * are added here only, over checked values, and marked `trusted` so mongoose's `sanitizeFilter`
 * (on for the store's connection) leaves exactly these alone and neutralises anything else.
 * No filter here uses `$where`, `$expr` or JavaScript; `checkFilter` refuses them anywhere.
 */

/** A value that may stand in a filter. */
export type Literal = string | number | boolean | Date | null;

/** Checks that `v` is a literal and returns it; anything else is QUERY_INVALID. */
export function literal(v: unknown, what = 'a query value'): Literal {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v instanceof Date && !isNaN(v.getTime())) return v;
  throw new BrokerError(
    'QUERY_INVALID',
    `${what} must be a string, number, boolean, date or null, not ${Array.isArray(v) ? 'an array' : typeof v}`,
  );
}

/** A string literal (identities, ids, keys). */
export function text(v: unknown, what = 'a query value'): string {
  if (typeof v !== 'string') throw new BrokerError('QUERY_INVALID', `${what} must be a string`);
  return v;
}

/** A finite number literal. */
export function num(v: unknown, what = 'a query value'): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new BrokerError('QUERY_INVALID', `${what} must be a number`);
  return v;
}

type Comparison = '$gt' | '$gte' | '$lt' | '$lte';

/** A range condition over checked literals, e.g. `range({ $gt: 5 })`. */
export function range(bounds: Partial<Record<Comparison, number | Date>>): object {
  const out: Record<string, Literal> = {};
  for (const [op, v] of Object.entries(bounds)) {
    if (!['$gt', '$gte', '$lt', '$lte'].includes(op))
      throw new BrokerError('QUERY_INVALID', `operator ${op} is not allowed`);
    if (v !== undefined) out[op] = literal(v);
  }
  return trusted(out);
}

/** Matches any of the given strings (each checked to be a string). */
export function anyOf(values: readonly unknown[], what = 'a query value'): object {
  return trusted({ $in: values.map((v) => text(v, what)) });
}

/** Escapes every character a regular expression gives a meaning to. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Strings that start with `prefix`, case-sensitively, every character of it literal. */
export function startsWith(prefix: string): RegExp {
  return new RegExp(`^${escapeRegExp(text(prefix, 'a prefix'))}`);
}

const FORBIDDEN = new Set(['$where', '$expr', '$function', '$accumulator', '$jsonSchema', '$text']);

/**
 * Walks a filter and refuses what no filter of this store may hold: `$where`, `$expr` and other
 * JavaScript or expression operators at any depth, keys with a `.` that code did not write
 * (there are none), and values that are neither literals, regular expressions, arrays of
 * literals nor operator objects made by `range` / `anyOf`. Returns the filter.
 */
export function checkFilter<T extends object>(filter: T): T {
  const walk = (node: unknown, path: string, trustedNode: boolean): void => {
    if (node === null || typeof node !== 'object' || node instanceof Date || node instanceof RegExp)
      return;
    if (Array.isArray(node)) {
      if (!trustedNode && path !== '$or' && path !== '$and')
        throw new BrokerError('QUERY_INVALID', `an array at ${path} (only operators take lists)`);
      for (const x of node) walk(x, path, false);
      return;
    }
    const isTrusted = trustedNode || isMarkedTrusted(node);
    for (const [k, v] of Object.entries(node)) {
      if (FORBIDDEN.has(k)) throw new BrokerError('QUERY_INVALID', `${k} is never allowed`);
      if (k.startsWith('$') && k !== '$or' && k !== '$and' && !isTrusted)
        throw new BrokerError(
          'QUERY_INVALID',
          `operator ${k} at ${path || 'the top'} was not built by the store`,
        );
      if (k.includes('\0')) throw new BrokerError('QUERY_INVALID', 'a NUL in a field name');
      walk(v, path ? `${path}.${k}` : k, isTrusted && k.startsWith('$'));
    }
  };
  walk(filter, '', false);
  return filter;
}

function isMarkedTrusted(o: object): boolean {
  return Object.getOwnPropertySymbols(o).some(
    (s) => s.description === 'mongoose#trustedSymbol' && (o as Record<symbol, unknown>)[s] === true,
  );
}

/** An entry of the log by kind and id. */
export function entryFilter(kind: unknown, id: unknown) {
  return checkFilter({ kind: text(kind, 'kind'), id: text(id, 'id') });
}

/** Not expired at `now` (no expiry, or one after it). */
function unexpired(now: Date) {
  return [{ expiresAt: null }, { expiresAt: range({ $gt: now }) }];
}

/** Unexpired entries after `afterSeq` addressed to any of `keys`. */
export function entriesForFilter(keys: readonly unknown[], afterSeq: number, now: Date) {
  return checkFilter({
    _id: range({ $gt: num(afterSeq, 'afterSeq') }),
    targets: anyOf(keys, 'a target key'),
    $or: unexpired(now),
  });
}

/** Every entry after `afterSeq`. */
export function afterFilter(afterSeq: number) {
  return checkFilter({ _id: range({ $gt: num(afterSeq, 'afterSeq') }) });
}

/** Alerts added after `since` and unexpired at `now`. */
export function recentAlertsFilter(since: Date, now: Date) {
  return checkFilter({ kind: 'alert', createdAt: range({ $gt: since }), $or: unexpired(now) });
}

/** Stations whose identity starts with `prefix` (all of them for ''). */
export function stationsFilter(prefix: string) {
  return checkFilter(prefix === '' ? {} : { _id: startsWith(prefix) });
}

/** Audit entries a report pre-selects (the hashed body decides afterwards). */
export function auditFilter(f: AuditFilter) {
  const q: Record<string, unknown> = {};
  if (f.actor) q['actor'] = text(f.actor, 'actor');
  if (f.action) q['action'] = text(f.action, 'action');
  else if (f.actionPrefix) q['action'] = startsWith(f.actionPrefix);
  if (f.subject) q['subject'] = text(f.subject, 'subject');
  if (f.from || f.to)
    q['at'] = range({ ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) });
  return checkFilter(q);
}

/** At most this many distinct keys take part in one pre-selection (as in the SQLite store). */
export const MAX_RECORD_KEYS = 200;

/**
 * The pre-selection of records as an aggregation: records of `kind` carrying any of `keys` and
 * passing `filter`, those carrying the most of the keys first, then by id. The store reads one
 * key at a time with it (`store/preselect.ts`: a cap per key, ranked by keys carried). The keys enter the
 * expression stage as `$literal`, so a key such as `"$where"` or `"$body"` is a string, never a
 * field path or operator.
 */
export function recordsPipeline(
  kind: RecordKind,
  keys: readonly unknown[],
  filter: RecordFilter,
  limit: number,
): object[] {
  const unique = [...new Set(keys.map((k) => text(k, 'a record key')))].slice(0, MAX_RECORD_KEYS);
  const match: Record<string, unknown> = {
    kind: text(kind, 'kind'),
    keys: anyOf(unique, 'a record key'),
  };
  if (filter.district) match['district'] = text(filter.district, 'district');
  if (filter.status) match['status'] = num(filter.status, 'status');
  if (filter.gender) match['gender'] = num(filter.gender, 'gender');
  if (filter.ageFrom || filter.ageTo)
    match['age'] = range({
      ...(filter.ageFrom ? { $gte: num(filter.ageFrom, 'ageFrom') } : {}),
      ...(filter.ageTo ? { $gt: 0, $lte: num(filter.ageTo, 'ageTo') } : {}),
    });
  return [
    { $match: checkFilter(match) },
    { $addFields: { hits: { $size: { $setIntersection: ['$keys', { $literal: unique }] } } } },
    { $sort: { hits: -1, _id: 1 } },
    { $limit: Math.max(1, Math.floor(num(limit, 'limit'))) },
    { $project: { hits: 0 } },
  ];
}

/** Records of `kind` among `ids` (the pre-selected ones, fetched whole). */
export function recordsByIdFilter(kind: RecordKind, ids: readonly unknown[]) {
  return checkFilter({ _id: anyOf(ids, 'a record id'), kind: text(kind, 'kind') });
}
