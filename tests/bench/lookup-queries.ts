import { STATE_CODES } from '@cctns/pki';
import type { LookupRequest, LookupResponse, StateFailure } from '@cctns/proto';
import type { RecordsClient } from '@cctns/station-agent';
import { statusName } from '../../broker/dist/lookup/search.js';
import { HIT_STATUSES } from '../../broker/dist/lookup/service.js';
import { generatePersons, mulberry32 } from '../support/indian-names.js';
import { stateSeed } from './lookup-data.js';
import { nowMs } from './report.js';

/**
 * The lookup benchmark's queries (person names drawn from the generated persons, spelling
 * variants of them, and names from nowhere near India) and one national query as the agency
 * sends it, with what its answer says: latency, states answered and missing, whether the record
 * the name was drawn from came back.
 */

/** The caller of every lookup: a central agency's client. */
export const AGENCY = 'agency/CBI/DELHI-HQ';
/** The purpose every lookup states. */
export const PURPOSE = { reference: 'RC 0042/2026 CBI SCB DELHI', reason: 'investigation' };
/** Persons per state the queries are drawn from (the first ones generated). */
const QUERY_POOL = 2000;

/** Where a query's name comes from. */
export type QueryKind = 'latin' | 'devanagari' | 'variant' | 'absent';

/** One national query: a name, and the record it was drawn from. */
export interface Query {
  kind: QueryKind;
  name: string;
  /** The record the name was drawn from (absent names: none). */
  source?: string;
}

const LATIN = /^[\p{Script=Latin}\s.'-]+$/u;
const DEVANAGARI = /^[\p{Script=Devanagari}\s.]+$/u;

/** Spelling changes people make, one applied to one word (Suneel for Sunil, Sarma for Sharma). */
const VARIANTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/ee/, 'i'],
  [/(?<=[^aeiou])i(?=[^aeiou])/, 'ee'],
  [/oo/, 'u'],
  [/(?<=[^aeiou])u(?=[^aeiou])/, 'oo'],
  [/sh/, 's'],
  [/w/, 'v'],
  [/v/, 'w'],
  [/th/, 't'],
  [/dh/, 'd'],
  [/bh/, 'b'],
  [/ph/, 'f'],
  [/([bcdgklmnprst])\1/, '$1'],
  [/a$/, 'aa'],
  [/y$/, 'i'],
  [/i$/, 'y'],
  [/au/, 'ou'],
  [/z/, 'j'],
  [/q/, 'k'],
];

function variantOf(name: string, rng: () => number): string | undefined {
  const words = name.split(' ');
  const order = words.map((_, i) => i).sort(() => rng() - 0.5);
  for (const i of order) {
    const w = words[i]!;
    if (w.length < 3 || w.endsWith('.')) continue;
    const lower = w.toLowerCase();
    const rules = VARIANTS.filter(([re]) => re.test(lower));
    if (rules.length === 0) continue;
    const [re, to] = rules[Math.floor(rng() * rules.length)]!;
    const changed = lower.replace(re, to);
    words[i] = changed.charAt(0).toUpperCase() + changed.slice(1);
    return words.join(' ');
  }
  return undefined;
}

/** Names from nowhere near India (Nordic, Polish, Japanese, Basque): no record should carry them. */
const ABSENT_GIVEN =
  'Bjorn Sven Olaf Wojciech Grzegorz Hiroshi Kenji Takeshi Ingrid Astrid Eneko Iker';
const ABSENT_FAMILY =
  'Kowalczyk Szymanski Brzezinski Lindqvist Fjellstrom Haugen Yamaguchi Takahashi Nakamura Etxeberria Goikoetxea Wroblewski';

/**
 * `count` queries: 40 % a person's name in Latin letters (for names recorded in an Indian script,
 * its Latin spelling), 20 % a name as recorded in Devanagari, 20 % a Latin name with one spelling
 * change, 20 % a name that exists nowhere. Drawn from the first persons of every state.
 */
export function makeQueries(count: number, opts: { persons: number; seed: number }): Query[] {
  const latin: Query[] = [];
  const devanagari: Query[] = [];
  for (const state of STATE_CODES) {
    const people = generatePersons(
      Math.min(opts.persons, QUERY_POOL),
      stateSeed(opts.seed, state),
      { state },
    );
    people.forEach((p, i) => {
      const source = `person:${state}-${i + 1}`;
      const spelt = p.latinName ?? p.name;
      if (LATIN.test(spelt)) latin.push({ kind: 'latin', name: spelt, source });
      if (DEVANAGARI.test(p.name)) devanagari.push({ kind: 'devanagari', name: p.name, source });
    });
  }
  const rng = mulberry32(opts.seed ^ 0x2545f491);
  const pick = <T>(list: T[]): T => list[Math.floor(rng() * list.length)]!;
  const given = ABSENT_GIVEN.split(' ');
  const family = ABSENT_FAMILY.split(' ');
  const out: Query[] = [];
  while (out.length < count) {
    const roll = rng();
    if (roll < 0.4) out.push(pick(latin));
    else if (roll < 0.6) out.push(devanagari.length ? pick(devanagari) : pick(latin));
    else if (roll < 0.8) {
      const q = pick(latin);
      const name = variantOf(q.name, rng);
      if (name) out.push({ ...q, kind: 'variant', name });
    } else out.push({ kind: 'absent', name: `${pick(given)} ${pick(family)}` });
  }
  return out;
}

/** A person query by name alone. */
export function personQuery(name: string): NonNullable<LookupRequest['query']> {
  return {
    $case: 'person',
    value: { name, fatherName: '', ageFrom: 0, ageTo: 0, gender: 0, district: '', status: 0 },
  };
}

/** The lookup the agency would sign, for searches without a network. */
export function lookupRequest(name: string): LookupRequest {
  return {
    id: 'baseline',
    caller: AGENCY,
    purpose: PURPOSE,
    states: [],
    limit: 20,
    issuedAt: new Date(),
    query: personQuery(name),
  };
}

/** What one national query's answer said. */
export interface NationalResult {
  kind: QueryKind;
  latency: number;
  sendLag: number;
  matches: number;
  answered: number;
  missing: StateFailure[];
  hits: number;
  found: boolean;
  /** The best match, `name → matched name (score)`. */
  top?: string;
  error?: string;
}

/** One national query, timed from its scheduled send `at`. */
export async function national1(
  client: RecordsClient,
  q: Query,
  at: number,
): Promise<NationalResult> {
  const sent = nowMs();
  const base = { kind: q.kind, sendLag: sent - at };
  let r: LookupResponse;
  try {
    r = await client.search({ query: personQuery(q.name), purpose: PURPOSE });
  } catch (err) {
    return {
      ...base,
      latency: nowMs() - at,
      matches: 0,
      answered: 0,
      missing: [],
      hits: 0,
      found: false,
      error: (err as Error).message,
    };
  }
  return {
    ...base,
    latency: nowMs() - at,
    matches: r.matches.length,
    answered: r.answered.length,
    missing: r.missing,
    hits: r.matches.filter((m) => {
      const k = m.record?.kind;
      return k?.$case === 'person' && HIT_STATUSES.has(statusName('person', k.value.status));
    }).length,
    found: q.source !== undefined && r.matches.some((m) => m.record?.id === q.source),
    ...(r.matches[0]?.record?.kind?.$case === 'person'
      ? {
          top: `${q.name} → ${r.matches[0].record.kind.value.name} (${r.matches[0].score.toFixed(2)})`,
        }
      : {}),
  };
}
