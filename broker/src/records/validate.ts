import {
  CaseStatus,
  Gender,
  PersonStatus,
  VehicleRecordStatus,
  type Record as RecordMsg,
} from '@cctns/proto';
import { BrokerError } from '../errors.js';
import type { RecordKind } from '../store/store.js';
import { normalizeVehicleNumber } from './keys.js';

const MAX_TEXT = 2000;
const MAX_SHORT = 200;
const MAX_LIST = 20;
// Control characters (other than tab and newline) have no place in a record.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const RECORD_ID = /^(person|vehicle|case):[A-Z]{2}-\d{1,12}$/;

const bad = (field: string, why: string) => new BrokerError('FIELD_INVALID', `${field} ${why}`);

function text(v: string, field: string, max = MAX_SHORT, required = false): void {
  if (required && !v.trim()) throw bad(field, 'is required');
  if (v.length > max) throw bad(field, `is longer than ${max} characters`);
  if (CONTROL.test(v)) throw bad(field, 'contains control characters');
}

function list(v: string[], field: string, max = MAX_LIST): void {
  if (v.length > max) throw bad(field, `has more than ${max} items`);
  v.forEach((x, i) => text(x, `${field}[${i}]`));
}

function known(v: number, e: Record<string, string | number>, field: string): void {
  if (!Object.values(e).includes(v))
    throw new BrokerError('ENUM_UNKNOWN', `${field} has an unknown value ${v}`);
}

/** True when `id` has the form of a record id (`person:MH-12`). */
export function isRecordId(id: string): boolean {
  return RECORD_ID.test(id);
}

/** The kind of a record message. */
export function kindOf(r: RecordMsg): RecordKind {
  switch (r.kind?.$case) {
    case 'person':
      return 'person';
    case 'vehicle':
      return 'vehicle';
    case 'caseRecord':
      return 'case';
    default:
      throw bad('record', 'must be a person, a vehicle or a case');
  }
}

/**
 * Checks a record a station puts (required fields, lengths, known enum values, links that look
 * like record ids) and normalises vehicle numbers. Ownership and versions are the store's.
 */
export function validateRecord(r: RecordMsg): RecordKind {
  const kind = kindOf(r);
  if (r.id && !isRecordId(r.id)) throw bad('id', 'is not a record id (person:MH-12)');
  if (r.id && !r.id.startsWith(`${kind}:`)) throw bad('id', `is not a ${kind} record id`);
  text(r.externalRef, 'externalRef', 100);
  if (r.links.length > 100) throw bad('links', 'has more than 100 items');
  r.links.forEach((l, i) => {
    if (!isRecordId(l)) throw bad(`links[${i}]`, 'is not a record id (person:MH-12)');
  });
  const k = r.kind!;
  if (k.$case === 'person') {
    const p = k.value;
    text(p.name, 'person.name', MAX_SHORT, true);
    list(p.aliases, 'person.aliases');
    text(p.fatherName, 'person.fatherName');
    text(p.dateOfBirth, 'person.dateOfBirth', 10);
    if (p.dateOfBirth && !/^\d{4}-\d{2}-\d{2}$/.test(p.dateOfBirth))
      throw bad('person.dateOfBirth', 'must be YYYY-MM-DD');
    if (p.age > 130) throw bad('person.age', 'is not a plausible age');
    known(p.gender, Gender, 'person.gender');
    known(p.status, PersonStatus, 'person.status');
    list(p.identifyingMarks, 'person.identifyingMarks');
    text(p.address, 'person.address', MAX_TEXT);
  } else if (k.$case === 'vehicle') {
    const v = k.value;
    v.registration = normalizeVehicleNumber(v.registration);
    v.chassis = normalizeVehicleNumber(v.chassis);
    v.engine = normalizeVehicleNumber(v.engine);
    if (!v.registration && !v.chassis && !v.engine)
      throw bad('vehicle', 'needs a registration, chassis or engine number');
    for (const [f, x] of [
      ['registration', v.registration],
      ['chassis', v.chassis],
      ['engine', v.engine],
    ] as const)
      if (x.length > 25) throw bad(`vehicle.${f}`, 'is longer than 25 characters');
    text(v.make, 'vehicle.make');
    text(v.model, 'vehicle.model');
    text(v.colour, 'vehicle.colour');
    known(v.status, VehicleRecordStatus, 'vehicle.status');
  } else {
    const c = k.value;
    text(c.firNumber, 'case.firNumber', 50, true);
    list(c.sections, 'case.sections');
    text(c.modusOperandi, 'case.modusOperandi', MAX_TEXT);
    text(c.place, 'case.place');
    known(c.status, CaseStatus, 'case.status');
  }
  return kind;
}
