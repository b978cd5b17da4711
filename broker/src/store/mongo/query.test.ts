import { createConnection, sanitizeFilter, type Model, type QueryFilter } from 'mongoose';
import { describe, expect, it } from 'vitest';
import {
  anyOf,
  auditFilter,
  checkFilter,
  entriesForFilter,
  entryFilter,
  escapeRegExp,
  literal,
  range,
  recordsByIdFilter,
  recordsPipeline,
  startsWith,
  stationsFilter,
} from './query.js';
import { storeModels } from './schemas.js';

// Models on a connection that never opens: enough to cast queries against the schemas.
const models = storeModels(createConnection());
const T0 = new Date('2026-01-15T10:00:00.000Z');

/** What mongoose does to a filter before sending it: sanitise, then cast against the schema. */
function castFor(model: keyof typeof models, filter: object): Record<string, unknown> {
  // One model type for all: the union of the store's model types has no callable `find`.
  const m = models[model] as unknown as Model<unknown>;
  const q = m.find(sanitizeFilter(filter) as QueryFilter<unknown>);
  q.cast(m);
  return q.getFilter() as Record<string, unknown>;
}

/** The filter without mongoose's trusted marks (a symbol key that toEqual would compare). */
const plain = <T>(x: T): T => structuredClone(x);

const INJECTIONS: unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000) || true' },
  { $regex: '.*' },
  ['station/MH/PUNE/PS001', 'station/MH/PUNE/PS002'],
  { toString: 'x' },
  () => true,
  Symbol('x'),
  10n,
  NaN,
  undefined,
];

describe('query building: values are literals', () => {
  it.each(INJECTIONS.map((v) => [v]))('refuses %o where a value belongs', (v) => {
    expect(() => literal(v)).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
    expect(() => entryFilter('alert', v)).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
  });

  it.each([
    '{"$gt": ""}',
    '$where',
    '$gt',
    "' OR 1=1 --",
    'this.jws.length > 0',
    'a.b',
    'राम कुमार',
  ])('keeps the string %j a literal string to match', (s) => {
    expect(entryFilter('alert', s)).toEqual({ kind: 'alert', id: s });
    expect(castFor('Log', entryFilter('alert', s))).toEqual({ kind: 'alert', id: s });
    expect(auditFilter({ actor: s, subject: s })).toEqual({ actor: s, subject: s });
    expect(castFor('Audit', auditFilter({ actor: s }))).toEqual({ actor: s });
  });

  it('an object smuggled past the types into a filter is neutralised by sanitizeFilter ($eq), not run', () => {
    const smuggled = { actor: { $gt: '' } } as unknown as object;
    expect(sanitizeFilter(structuredClone(smuggled))).toEqual({ actor: { $eq: { $gt: '' } } });
    // …and the string schema then refuses the object outright.
    expect(() => castFor('Audit', smuggled)).toThrow(/Cast to string failed/);
    expect(() => checkFilter(smuggled)).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
  });

  it('never lets $where, $expr or $function through, at any depth', () => {
    for (const f of [
      { $where: 'true' },
      { $or: [{ $where: 'true' }] },
      { _id: range({ $gt: 1 }), $expr: { $gt: ['$a', '$b'] } },
      { a: { $function: { body: 'return true', args: [], lang: 'js' } } },
    ])
      expect(() => checkFilter(f)).toThrowError(
        expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
      );
    expect(() => sanitizeFilter({ $where: 'true' })).toThrow(/not allowed/);
  });

  it('builds operators only from checked values, marked trusted so sanitizeFilter keeps them', () => {
    const f = entriesForFilter(['station/MH/PUNE/PS001', 'state/MH'], 7, T0);
    expect(plain(f)).toEqual({
      _id: { $gt: 7 },
      targets: { $in: ['station/MH/PUNE/PS001', 'state/MH'] },
      $or: [{ expiresAt: null }, { expiresAt: { $gt: T0 } }],
    });
    // Unchanged by sanitizeFilter: our own operators survive, nothing is wrapped.
    expect(sanitizeFilter(f)).toEqual(f);
    expect(plain(castFor('Log', entriesForFilter(['state/MH'], 0, T0)))).toEqual({
      _id: { $gt: 0 },
      targets: { $in: ['state/MH'] },
      $or: [{ expiresAt: null }, { expiresAt: { $gt: T0 } }],
    });
    expect(() => entriesForFilter([{ $gt: '' }], 0, T0)).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
    expect(() => range({ ['$where' as '$gt']: 1 })).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
    expect(() => anyOf(['ok', 5])).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
    // A plain operator object that the builder did not make is refused.
    expect(() => checkFilter({ _id: { $gt: 1 } })).toThrowError(
      expect.objectContaining({ code: 'QUERY_INVALID' }) as Error,
    );
  });

  it('matches a station prefix literally and case-sensitively', () => {
    for (const prefix of [
      'station/MH/A.B/',
      'station/MH/.*',
      'a+b?(c)[d]{2}|^$\\',
      'station/MH/%_',
    ]) {
      const re = startsWith(prefix);
      expect(re.test(prefix)).toBe(true);
      expect(re.test(`${prefix}PS1`)).toBe(true);
      expect(re.test(`x${prefix}`)).toBe(false);
      expect(re.flags).toBe('');
    }
    expect(startsWith('station/MH/.*').test('station/MH/PUNE/PS1')).toBe(false);
    expect(startsWith('station/mh/').test('station/MH/PUNE/PS1')).toBe(false);
    expect(stationsFilter('')).toEqual({});
    expect(escapeRegExp('a.b*c')).toBe('a\\.b\\*c');
    expect(castFor('Station', stationsFilter('station/MH/'))).toEqual({
      _id: /^station\/MH\//,
    });
  });

  it('pre-selects audit entries by literal values, a literal action prefix and a time range', () => {
    const f = auditFilter({
      actor: 'agency/CBI/DELHI-HQ',
      actionPrefix: 'lookup.',
      from: T0,
      to: new Date(T0.getTime() + 1000),
    });
    expect(plain(f)).toEqual({
      actor: 'agency/CBI/DELHI-HQ',
      action: /^lookup\./,
      at: { $gte: T0, $lt: new Date(T0.getTime() + 1000) },
    });
    expect(sanitizeFilter(f)).toEqual(f);
    expect(castFor('Audit', auditFilter({ actionPrefix: '$where' }))).toEqual({
      action: /^\$where/,
    });
  });

  it('unknown fields in a filter are refused by strictQuery, not dropped', () => {
    expect(() => castFor('Log', { jwz: 'x' })).toThrow(/strictQuery/);
  });
});

describe('query building: the records pre-selection', () => {
  it('puts the keys into the expression stage as $literal, so "$where" or "$body" stay strings', () => {
    const keys = ['n:ram', '$where', '$body', '{"$gt": ""}'];
    const p = recordsPipeline('person', keys, { district: 'PUNE', ageFrom: 30, ageTo: 40 }, 10);
    expect(plain(p)).toEqual([
      {
        $match: {
          kind: 'person',
          keys: { $in: keys },
          district: 'PUNE',
          age: { $gte: 30, $gt: 0, $lte: 40 },
        },
      },
      { $addFields: { hits: { $size: { $setIntersection: ['$keys', { $literal: keys }] } } } },
      { $sort: { hits: -1, _id: 1 } },
      { $limit: 10 },
      { $project: { hits: 0 } },
    ]);
  });

  it('refuses non-literal keys and filter values', () => {
    for (const bad of [
      () => recordsPipeline('person', [{ $gt: '' }], {}, 10),
      () => recordsPipeline('person', ['n:x'], { district: { $ne: '' } as unknown as string }, 10),
      () => recordsPipeline('person', ['n:x'], { status: '1' as unknown as number }, 10),
      () => recordsPipeline({ $ne: 'x' } as unknown as 'person', ['n:x'], {}, 10),
    ])
      expect(bad).toThrowError(expect.objectContaining({ code: 'QUERY_INVALID' }) as Error);
  });

  it('keeps at most 200 distinct keys and ignores filters that are 0 or empty (any)', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `k${i % 250}`);
    const [match] = recordsPipeline('vehicle', keys, { status: 0, gender: 0, district: '' }, 5);
    const m = (match as { $match: { keys: { $in: string[] } } }).$match;
    expect(m.keys.$in).toHaveLength(200);
    expect(Object.keys(m)).toEqual(['kind', 'keys']);
  });

  it('fetches the pre-selected ids with literal values only', () => {
    expect(plain(recordsByIdFilter('person', ['person:MH-1', '{"$gt": ""}']))).toEqual({
      _id: { $in: ['person:MH-1', '{"$gt": ""}'] },
      kind: 'person',
    });
    for (const bad of [
      () => recordsByIdFilter('person', [{ $ne: null }]),
      () => recordsByIdFilter({ $ne: 'x' } as unknown as 'person', ['person:MH-1']),
    ])
      expect(bad).toThrowError(expect.objectContaining({ code: 'QUERY_INVALID' }) as Error);
  });
});
