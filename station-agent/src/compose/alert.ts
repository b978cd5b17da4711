import { randomUUID } from 'node:crypto';
import {
  Alert,
  CapScope,
  Category,
  Certainty,
  Gender,
  HandlingCode,
  MsgType,
  PersonRole,
  Severity,
  Status,
  Urgency,
  VehicleStatus,
  type Person,
  type Vehicle,
} from '@cctns/proto';
import { AgentError } from '../errors.js';

/** Looks up `name` (e.g. `severe`) in a generated enum with prefix `SEVERITY_`; throws with the choices. */
export function enumValue<E extends Record<string, string | number>>(
  e: E,
  prefix: string,
  name: string,
  field: string,
): E[keyof E] {
  const key = `${prefix}${name.toUpperCase().replace(/[- ]/g, '_')}`;
  const v = e[key as keyof E];
  if (typeof v !== 'number' || v <= 0)
    throw new AgentError(
      'INPUT_INVALID',
      `${field}: ${JSON.stringify(name)} is not one of ${enumChoices(e, prefix).join(', ')}`,
    );
  return v;
}

/** The accepted names of an enum, lower case, without prefix. */
export function enumChoices(e: Record<string, string | number>, prefix: string): string[] {
  return Object.keys(e)
    .filter((k) => k.startsWith(prefix) && !k.endsWith('_UNSPECIFIED'))
    .map((k) => k.slice(prefix.length).toLowerCase());
}

/** The lower-case name of an enum value, e.g. `severe` (one definition, in @cctns/proto). */
export { enumLabel } from '@cctns/proto';

/** What an officer gives to compose an alert; everything but the text has a sensible default. */
export interface ComposeInput {
  sender: string;
  identifier?: string;
  msgType?: 'alert' | 'update' | 'cancel';
  references?: string[];
  to: { stations?: string[]; districts?: string[]; states?: string[]; national?: boolean };
  event: string;
  headline: string;
  description?: string;
  instruction?: string;
  categories?: string[];
  urgency?: string;
  severity?: string;
  certainty?: string;
  status?: string;
  language?: string;
  effective?: Date;
  expires?: Date;
  persons?: Person[];
  vehicles?: Vehicle[];
  firReference?: string;
  caseReference?: string;
  modusOperandi?: string;
  handling?: string;
  now: Date;
}

/** Default lifetime of an alert when no expiry is given: 7 days. */
export const DEFAULT_ALERT_TTL_MS = 7 * 86_400_000;

/** Builds a CAP alert with police details from an officer's input. */
export function composeAlert(input: ComposeInput): Alert {
  const msgType = enumValue(MsgType, 'MSG_TYPE_', input.msgType ?? 'alert', 'message type');
  return Alert.fromPartial({
    identifier: input.identifier ?? randomUUID(),
    sender: input.sender,
    sent: input.now,
    status: enumValue(Status, 'STATUS_', input.status ?? 'actual', 'status'),
    msgType,
    scope: CapScope.CAP_SCOPE_RESTRICTED,
    references: input.references ?? [],
    info: [
      {
        language: input.language ?? 'en-IN',
        categories: (input.categories ?? ['security']).map((c) =>
          enumValue(Category, 'CATEGORY_', c, 'category'),
        ),
        event: input.event,
        urgency: enumValue(Urgency, 'URGENCY_', input.urgency ?? 'immediate', 'urgency'),
        severity: enumValue(Severity, 'SEVERITY_', input.severity ?? 'severe', 'severity'),
        certainty: enumValue(Certainty, 'CERTAINTY_', input.certainty ?? 'likely', 'certainty'),
        effective: input.effective ?? input.now,
        expires: input.expires ?? new Date(input.now.getTime() + DEFAULT_ALERT_TTL_MS),
        headline: input.headline,
        description: input.description ?? '',
        instruction: input.instruction ?? '',
      },
    ],
    to: {
      stations: input.to.stations ?? [],
      districts: input.to.districts ?? [],
      states: input.to.states ?? [],
      national: input.to.national ?? false,
    },
    police: {
      persons: input.persons ?? [],
      vehicles: input.vehicles ?? [],
      firReference: input.firReference ?? '',
      caseReference: input.caseReference ?? '',
      modusOperandi: input.modusOperandi ?? '',
      handling: enumValue(
        HandlingCode,
        'HANDLING_CODE_',
        input.handling ?? 'restricted',
        'handling',
      ),
    },
  });
}

function fields(spec: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of spec.split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq < 1)
      throw new AgentError(
        'INPUT_INVALID',
        `${what}: expected key=value pairs separated by ';', got ${JSON.stringify(part)}`,
      );
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/** Parses `--person "name=Ramesh Kumar;alias=Ramu;father=Suresh;age=35;gender=male;role=wanted;marks=scar on left cheek"`. */
export function parsePerson(spec: string): Person {
  const f = fields(spec, '--person');
  const name = f.get('name');
  if (!name) throw new AgentError('INPUT_INVALID', '--person needs name=...');
  const age = f.get('age');
  if (age !== undefined && !/^\d{1,3}$/.test(age))
    throw new AgentError(
      'INPUT_INVALID',
      `--person age must be a whole number of years, not ${JSON.stringify(age)}`,
    );
  const list = (k: string) =>
    f.get(k)
      ? f
          .get(k)!
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  return {
    name,
    aliases: list('alias'),
    fatherName: f.get('father') ?? '',
    motherName: f.get('mother') ?? '',
    gender: f.get('gender')
      ? enumValue(Gender, 'GENDER_', f.get('gender')!, 'gender')
      : Gender.GENDER_UNSPECIFIED,
    age: age ? Number(age) : 0,
    dateOfBirth: f.get('dob') ?? '',
    identifyingMarks: list('marks'),
    photoRefs: list('photo'),
    role: f.get('role')
      ? enumValue(PersonRole, 'PERSON_ROLE_', f.get('role')!, 'role')
      : PersonRole.PERSON_ROLE_UNSPECIFIED,
  };
}

/** Parses `--vehicle "reg=MH12AB1234;make=Maruti;model=Swift;colour=white;chassis=...;engine=...;status=stolen"`. */
export function parseVehicle(spec: string): Vehicle {
  const f = fields(spec, '--vehicle');
  if (!f.get('reg') && !f.get('chassis') && !f.get('engine'))
    throw new AgentError('INPUT_INVALID', '--vehicle needs reg=, chassis= or engine=');
  return {
    registration: (f.get('reg') ?? '').toUpperCase().replace(/[\s-]/g, ''),
    chassis: f.get('chassis') ?? '',
    engine: f.get('engine') ?? '',
    make: f.get('make') ?? '',
    model: f.get('model') ?? '',
    colour: f.get('colour') ?? f.get('color') ?? '',
    status: f.get('status')
      ? enumValue(VehicleStatus, 'VEHICLE_STATUS_', f.get('status')!, 'vehicle status')
      : VehicleStatus.VEHICLE_STATUS_UNSPECIFIED,
  };
}

/**
 * Reads an alert from its JSON form (the protobuf JSON mapping: camelCase fields, enum names),
 * filling what the station decides itself: sender, and when absent identifier and sent time.
 */
export function alertFromJson(json: unknown, sender: string, now: Date): Alert {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new AgentError('INPUT_INVALID', 'an alert file must hold one JSON object');
  let alert: Alert;
  try {
    alert = Alert.fromJSON(json);
  } catch (cause) {
    throw new AgentError(
      'INPUT_INVALID',
      `the alert file does not match the alert format: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (alert.sender && alert.sender !== sender)
    throw new AgentError(
      'INPUT_INVALID',
      `the file names sender ${alert.sender}, but this station is ${sender}`,
    );
  // fromJSON turns an unparseable time into an Invalid Date, which only fails later, in encoding.
  const dates: Array<[Date | undefined, string]> = [[alert.sent, 'sent']];
  for (const [n, i] of alert.info.entries())
    dates.push([i.effective, `info[${n}].effective`], [i.expires, `info[${n}].expires`]);
  for (const [d, field] of dates)
    if (d && Number.isNaN(d.getTime()))
      throw new AgentError('INPUT_INVALID', `the alert file's ${field} is not a date-time`);
  return {
    ...alert,
    sender,
    identifier: alert.identifier || randomUUID(),
    sent: alert.sent ?? now,
  };
}
