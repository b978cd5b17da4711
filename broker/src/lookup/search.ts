import {
  PersonStatus,
  Record as RecordMsg,
  VehicleRecordStatus,
  CaseStatus,
  enumLabel,
  type LookupRequest,
  type Match,
} from '@cctns/proto';
import { BrokerError } from '../errors.js';
import { moWords, normalizeFir, normalizeVehicleNumber } from '../records/keys.js';
import { MATCH_THRESHOLD, nameScore, prepareName, searchKeys } from '../records/names.js';
import { personNames, readNameData, type PersonNames } from '../records/prepared.js';
import type { BrokerStore, RecordKind, StoredRecord } from '../store/store.js';
import type { LookupGrant } from './policy.js';

/** How many candidates the store pre-selects for scoring, at most. */
export const MAX_CANDIDATES = 2000;
/**
 * How many records one key may bring in: a common key (Kumar in UP: 18,600 records, and its
 * prefix and skeleton) then costs no more than one of 2,000. Names' own keys stay under it (the
 * commonest given names and surnames of a 100,000-person state carry 800-1,900 records), so a
 * record carrying several of the query's keys is found and ranked first.
 */
export const MAX_PER_KEY = 2000;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A status as policies name it: `PERSON_STATUS_PROCLAIMED_OFFENDER` → `proclaimed-offender`. */
export function statusName(kind: RecordKind, status: number): string {
  const [e, prefix] =
    kind === 'person'
      ? [PersonStatus, 'PERSON_STATUS_']
      : kind === 'vehicle'
        ? [VehicleRecordStatus, 'VEHICLE_RECORD_STATUS_']
        : [CaseStatus, 'CASE_STATUS_'];
  return status ? enumLabel(e, prefix, status).replace(/_/g, '-') : 'unspecified';
}

/** The kind a lookup asks about. */
export function kindOfQuery(q: LookupRequest['query']): RecordKind {
  switch (q?.$case) {
    case 'person':
      return 'person';
    case 'vehicle':
      return 'vehicle';
    case 'caseQuery':
      return 'case';
    default:
      throw new BrokerError(
        'QUERY_INVALID',
        'a lookup must ask about a person, a vehicle or a case',
      );
  }
}

const invalid = (m: string) => new BrokerError('QUERY_INVALID', m);

function text(v: string, field: string, max = 200): string {
  if (v.length > max) throw invalid(`${field} is longer than ${max} characters`);
  if (CONTROL.test(v)) throw invalid(`${field} contains control characters`);
  return v.trim();
}

/**
 * Checks a lookup's parameters before any search: something to search by, sane lengths and
 * ranges, a page size within the policy. Injection-looking text is fine: it is only ever a value.
 */
export function validateQuery(req: LookupRequest, maxLimit: number): void {
  if (req.limit > maxLimit) throw invalid(`limit must be at most ${maxLimit}`);
  const q = req.query;
  kindOfQuery(q);
  if (q!.$case === 'person') {
    const p = q!.value;
    const name = text(p.name, 'person.name');
    text(p.fatherName, 'person.fatherName');
    text(p.district, 'person.district', 40);
    if (!/\p{L}/u.test(name)) throw invalid('person.name must contain letters');
    if (p.ageFrom > 130 || p.ageTo > 130 || (p.ageTo && p.ageFrom > p.ageTo))
      throw invalid('the age range is not plausible');
  } else if (q!.$case === 'vehicle') {
    const v = q!.value;
    const any = [v.registration, v.chassis, v.engine].map((x, i) =>
      normalizeVehicleNumber(text(x, ['registration', 'chassis', 'engine'][i]!, 40)),
    );
    if (!any.some((x) => x.length >= 4))
      throw invalid(
        'a vehicle lookup needs a registration, chassis or engine number (4+ characters)',
      );
  } else {
    const c = q!.value;
    text(c.firNumber, 'case.firNumber', 50);
    text(c.modusOperandi, 'case.modusOperandi', 500);
    text(c.district, 'case.district', 40);
    if (!normalizeFir(c.firNumber) && moWords(c.modusOperandi).length === 0)
      throw invalid('a case lookup needs a FIR number or modus operandi keywords');
  }
}

function decode(r: StoredRecord): RecordMsg {
  return RecordMsg.decode(r.body);
}

/**
 * A candidate's names as they were prepared when it was written; a record written before that
 * (or under other key rules) is prepared here, from its body.
 */
function namesOf(c: StoredRecord): PersonNames | undefined {
  const stored = readNameData(c.names);
  if (stored) return stored;
  const rec = decode(c);
  return rec.kind?.$case === 'person' ? personNames(rec.kind.value) : undefined;
}

/**
 * Searches this broker's own records for a lookup the policy allows: pre-selects candidates by
 * index keys, scores them (names in any script or spelling; vehicle numbers and FIRs exactly;
 * modus operandi by shared keywords), keeps what the caller's grant may see, best first.
 */
export async function searchLocal(
  store: BrokerStore,
  req: LookupRequest,
  grant: LookupGrant,
  state: string,
  maxLimit: number,
): Promise<Match[]> {
  const kind = kindOfQuery(req.query);
  const limit = Math.min(req.limit || 20, maxLimit);
  const visible = grant.statuses?.[kind];
  const allowed = (r: StoredRecord) => !visible || visible.includes(statusName(kind, r.status));
  const scored: Match[] = [];
  const q = req.query!;
  if (q.$case === 'person') {
    const p = q.value;
    const prepared = prepareName(p.name);
    const father = p.fatherName.trim() ? prepareName(p.fatherName) : undefined;
    const candidates = await store.findRecords(
      'person',
      searchKeys(p.name).map((k) => `n:${k}`),
      {
        ...(p.district ? { district: p.district.toUpperCase() } : {}),
        ...(p.status ? { status: p.status } : {}),
        ...(p.gender ? { gender: p.gender } : {}),
        ...(p.ageFrom ? { ageFrom: p.ageFrom } : {}),
        ...(p.ageTo ? { ageTo: p.ageTo } : {}),
      },
      MAX_CANDIDATES,
      MAX_PER_KEY,
    );
    for (const c of candidates) {
      if (c.kind !== 'person' || !allowed(c)) continue;
      // Scored on the names prepared at write time; only a match is decoded.
      const names = namesOf(c);
      if (!names) continue;
      let score = nameScore(prepared, names.name);
      if (score < MATCH_THRESHOLD) continue;
      if (father) {
        // A father's name that disagrees lowers the score; a missing one is neutral.
        const f = names.father ? nameScore(father, names.father) : 0.75;
        score = score * (0.75 + 0.25 * f);
      }
      scored.push({ record: decode(c), score, state });
    }
  } else if (q.$case === 'vehicle') {
    const v = q.value;
    const keys = [
      ['reg', v.registration],
      ['chassis', v.chassis],
      ['engine', v.engine],
    ]
      .map(([f, x]) => [f, normalizeVehicleNumber(x!)] as const)
      .filter(([, x]) => x.length >= 4)
      .map(([f, x]) => `${f}:${x}`);
    for (const c of await store.findRecords('vehicle', keys, {}, MAX_CANDIDATES, MAX_PER_KEY)) {
      if (allowed(c)) scored.push({ record: decode(c), score: 1, state });
    }
  } else if (q.$case === 'caseQuery') {
    const cq = q.value;
    const fir = normalizeFir(cq.firNumber);
    const words = moWords(cq.modusOperandi);
    const keys = [...(fir ? [`fir:${fir}`] : []), ...words.map((w) => `mo:${w}`)];
    const filter = cq.district ? { district: cq.district.toUpperCase() } : {};
    for (const c of await store.findRecords('case', keys, filter, MAX_CANDIDATES, MAX_PER_KEY)) {
      if (!allowed(c)) continue;
      const rec = decode(c);
      if (rec.kind?.$case !== 'caseRecord') continue;
      const cr = rec.kind.value;
      let score = fir && normalizeFir(cr.firNumber) === fir ? 1 : 0;
      if (words.length) {
        const have = new Set(moWords(cr.modusOperandi));
        const share = words.filter((w) => have.has(w)).length / words.length;
        score = fir ? (score ? Math.max(score, share) : 0) : share;
      }
      if (score >= 0.5) scored.push({ record: rec, score, state });
    }
  }
  return scored
    .sort((a, b) => b.score - a.score || a.record!.id.localeCompare(b.record!.id))
    .slice(0, limit);
}
