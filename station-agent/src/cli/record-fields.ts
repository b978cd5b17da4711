// Records as flags and import files give them: the fields of each kind, how their text is read
// into a record, and a record written out for people.
import { when } from '@cctns/pki/cli';
import {
  CaseRecord,
  Gender,
  PersonRecord,
  VehicleRecord,
  type Record as RecordMsg,
} from '@cctns/proto';
import { AgentError } from '../errors.js';
import { enumName, kindName, parseEnumName, STATUS_ENUMS } from './records-support.js';

/** The kinds of record a station keeps. */
export type RecordKind = 'person' | 'vehicle' | 'case';
export const KINDS: RecordKind[] = ['person', 'vehicle', 'case'];

/**
 * Fields of each kind as flags and import files name them (`--father`, column `father`). Lists
 * (aliases, marks, sections, links) are repeated flags, or `;`-separated in a file.
 */
export const FIELDS = {
  person: ['name', 'aliases', 'father', 'gender', 'age', 'dob', 'status', 'marks', 'address'],
  vehicle: ['reg', 'chassis', 'engine', 'make', 'model', 'colour', 'status'],
  case: ['fir', 'sections', 'status', 'mo', 'place', 'occurred'],
} as const satisfies Record<RecordKind, readonly string[]>;
/** Fields every kind has: the station's own reference and links to other records. */
export const COMMON = ['ref', 'links'] as const;
export const LISTS = new Set(['aliases', 'marks', 'sections', 'links']);
/** Every column an import file may have. */
export const COLUMNS = new Set<string>(['kind', ...COMMON, ...KINDS.flatMap((k) => FIELDS[k])]);
/** Flags named in the singular for list fields (`--alias` adds to `aliases`). */
export const FLAG_OF: Record<string, string> = {
  aliases: 'alias',
  marks: 'mark',
  sections: 'section',
  links: 'link',
};

/** Field values as given: text, or a list for list fields. */
export type FieldValues = Record<string, string | string[] | undefined>;

/** A record of `kind` with nothing in it yet. */
export function emptyRecord(kind: RecordKind): RecordMsg {
  const base = { id: '', owner: '', links: [], externalRef: '', version: 0 };
  if (kind === 'person')
    return { ...base, kind: { $case: 'person', value: PersonRecord.fromPartial({}) } };
  if (kind === 'vehicle')
    return { ...base, kind: { $case: 'vehicle', value: VehicleRecord.fromPartial({}) } };
  return { ...base, kind: { $case: 'caseRecord', value: CaseRecord.fromPartial({}) } };
}

export const invalid = (m: string) => new AgentError('INPUT_INVALID', m);

const lf = (s: string) => s.replace(/\r\n?/g, '\n');

export function list(v: string | string[]): string[] {
  return (Array.isArray(v) ? v : v.split(';')).map((s) => s.trim()).filter(Boolean);
}

function whole(v: string, what: string): number {
  if (!v.trim()) return 0;
  if (!/^\d+$/.test(v.trim())) throw invalid(`${what}: ${JSON.stringify(v)} is not a whole number`);
  return Number(v.trim());
}

function isoDate(v: string, what: string): string {
  const d = v.trim();
  if (!d) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
  const t = m ? new Date(`${d}T00:00:00Z`) : undefined;
  if (!t || Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== d)
    throw invalid(`${what}: ${JSON.stringify(v)} is not a date (YYYY-MM-DD)`);
  return d;
}

/** An ISO 8601 time; a date alone is that day (UTC midnight), a time without a zone is IST. */
function isoTime(v: string, what: string): Date | undefined {
  const s = v.trim();
  if (!s) return undefined;
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!m) throw invalid(`${what}: ${JSON.stringify(v)} is not an ISO date or time`);
  const t = new Date(
    m[2] ? `${m[1]}T${m[2]}${m[3] ?? '+05:30'}` : `${isoDate(m[1]!, what)}T00:00:00Z`,
  );
  if (Number.isNaN(t.getTime()))
    throw invalid(`${what}: ${JSON.stringify(v)} is not an ISO date or time`);
  return t;
}

/**
 * Sets the given fields on a record (fields left undefined are kept); `label` names a field in
 * messages (`--age`, `column age`). Text is checked here only as far as it must be parsed (enum
 * names, numbers, dates); lengths and required fields are the broker's to refuse.
 */
export function applyFields(
  record: RecordMsg,
  values: FieldValues,
  label: (field: string) => string,
): RecordMsg {
  const kind = kindName(record) as RecordKind;
  const allowed = new Set<string>([...COMMON, ...FIELDS[kind]]);
  const k = record.kind!;
  for (const [field, given] of Object.entries(values)) {
    if (given === undefined) continue;
    // Windows line ends (a multi-line address from a spreadsheet) become plain ones: the broker
    // refuses carriage returns as control characters.
    const raw = Array.isArray(given) ? given.map(lf) : lf(given);
    if (!allowed.has(field)) throw invalid(`${label(field)} does not apply to a ${kind} record`);
    const what = label(field);
    const text = Array.isArray(raw) ? raw.join(';').trim() : raw.trim();
    if (field === 'ref') record.externalRef = text;
    else if (field === 'links') record.links = list(raw);
    else if (field === 'status') {
      const [e, prefix] = STATUS_ENUMS[kind];
      const status = parseEnumName(e, prefix, text, what);
      k.value.status = status;
    } else if (k.$case === 'person') {
      const p = k.value;
      if (field === 'name') p.name = text;
      else if (field === 'aliases') p.aliases = list(raw);
      else if (field === 'father') p.fatherName = text;
      else if (field === 'gender') p.gender = parseEnumName(Gender, 'GENDER_', text, what);
      else if (field === 'age') p.age = whole(text, what);
      else if (field === 'dob') p.dateOfBirth = isoDate(text, what);
      else if (field === 'marks') p.identifyingMarks = list(raw);
      else if (field === 'address') p.address = text;
    } else if (k.$case === 'vehicle') {
      const v = k.value;
      if (field === 'reg') v.registration = text;
      else if (field === 'chassis') v.chassis = text;
      else if (field === 'engine') v.engine = text;
      else if (field === 'make') v.make = text;
      else if (field === 'model') v.model = text;
      else if (field === 'colour') v.colour = text;
    } else if (k.$case === 'caseRecord') {
      const c = k.value;
      if (field === 'fir') c.firNumber = text;
      else if (field === 'sections') c.sections = list(raw);
      else if (field === 'mo') c.modusOperandi = text;
      else if (field === 'place') c.place = text;
      else if (field === 'occurred') c.occurredAt = isoTime(text, what);
    }
  }
  return record;
}

/** A record for people to read, field by field. */
export function describeRecord(r: RecordMsg): string {
  const rows: Array<[string, string]> = [
    ['owner', r.owner],
    ['ref', r.externalRef],
  ];
  const k = r.kind;
  if (k?.$case === 'person') {
    const p = k.value;
    rows.push(
      ['name', p.name],
      ['aliases', p.aliases.join(', ')],
      ['father', p.fatherName],
      ['gender', enumName(Gender, 'GENDER_', p.gender)],
      ['age', p.age ? String(p.age) : ''],
      ['born', p.dateOfBirth],
      ['status', enumName(...STATUS_ENUMS.person, p.status)],
      ['marks', p.identifyingMarks.join(', ')],
      ['address', p.address],
    );
  } else if (k?.$case === 'vehicle') {
    const v = k.value;
    rows.push(
      ['registration', v.registration],
      ['chassis', v.chassis],
      ['engine', v.engine],
      ['vehicle', [v.make, v.model].filter(Boolean).join(' ')],
      ['colour', v.colour],
      ['status', enumName(...STATUS_ENUMS.vehicle, v.status)],
    );
  } else if (k?.$case === 'caseRecord') {
    const c = k.value;
    rows.push(
      ['FIR', c.firNumber],
      ['sections', c.sections.join(', ')],
      ['status', enumName(...STATUS_ENUMS.case, c.status)],
      ['occurred', c.occurredAt ? when(c.occurredAt) : ''],
      ['place', c.place],
      ['modus operandi', c.modusOperandi],
    );
  }
  rows.push(['links', r.links.join(', ')]);
  const shown = rows.filter(([, v]) => v);
  const width = Math.max(...shown.map(([f]) => f.length)) + 1;
  return [
    `${kindName(r).toUpperCase()} ${r.id}  version ${r.version}${r.updatedAt ? `, updated ${when(r.updatedAt)}` : ''}`,
    ...shown.map(([f, v]) => `  ${`${f}:`.padEnd(width)} ${v}`),
  ].join('\n');
}
