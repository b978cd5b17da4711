// A broadcast being composed: the form's state, how an Update or Cancel starts from an alert,
// and the checks that turn it into the server's BroadcastInput.
import type { AlertView, BroadcastInput } from '../../src/server/events';
import { STATE_CODES } from './india';
import {
  badDistricts,
  badStations,
  CATEGORIES,
  CERTAINTIES,
  GENDERS,
  lines,
  PERSON_ROLES,
  SEVERITIES,
  URGENCIES,
  VEHICLE_STATUSES,
} from './util';

/** A person row as typed (aliases comma-separated, age as text). */
export type Person = {
  name: string;
  aliases: string;
  fatherName: string;
  gender: string;
  age: string;
  role: string;
};
/** A vehicle row as typed. */
export type Vehicle = {
  registration: string;
  make: string;
  model: string;
  colour: string;
  status: string;
};

/** The composer's form state. */
export interface Draft {
  msgType: 'alert' | 'update' | 'cancel';
  references: string[];
  national: boolean;
  states: string[];
  districts: string;
  stations: string;
  event: string;
  headline: string;
  description: string;
  instruction: string;
  severity: string;
  urgency: string;
  certainty: string;
  categories: string[];
  expiresInMinutes: string;
  persons: Person[];
  vehicles: Vehicle[];
  firReference: string;
  caseReference: string;
  modusOperandi: string;
  sms: boolean;
  email: boolean;
}

/** A blank alert with the usual defaults. */
export const EMPTY: Draft = {
  msgType: 'alert',
  references: [],
  national: false,
  states: [],
  districts: '',
  stations: '',
  event: '',
  headline: '',
  description: '',
  instruction: '',
  severity: 'severe',
  urgency: 'immediate',
  certainty: 'likely',
  categories: ['security'],
  expiresInMinutes: '1440',
  persons: [],
  vehicles: [],
  firReference: '',
  caseReference: '',
  modusOperandi: '',
  sms: false,
  email: false,
};
/** A new person row. */
export const NEW_PERSON: Person = {
  name: '',
  aliases: '',
  fatherName: '',
  gender: 'unknown',
  age: '',
  role: 'wanted',
};
/** A new vehicle row. */
export const NEW_VEHICLE: Vehicle = {
  registration: '',
  make: '',
  model: '',
  colour: '',
  status: 'stolen',
};

/** A draft that updates or cancels `a`: same recipients and content, referencing it. */
export function draftFrom(a: AlertView, msgType: 'update' | 'cancel'): Draft {
  const known = (v: string, list: readonly string[], d: string) => (list.includes(v) ? v : d);
  return {
    ...EMPTY,
    msgType,
    references: [a.id],
    national: a.to.national,
    states: a.to.states,
    districts: a.to.districts.join('\n'),
    stations: a.to.stations.join('\n'),
    event: a.event,
    headline: msgType === 'cancel' ? `Cancelled: ${a.headline}` : a.headline,
    description: a.description,
    instruction: a.instruction,
    severity: known(a.severity, SEVERITIES, EMPTY.severity),
    urgency: known(a.urgency, URGENCIES, EMPTY.urgency),
    certainty: known(a.certainty, CERTAINTIES, EMPTY.certainty),
    categories: a.categories.filter((c) => (CATEGORIES as readonly string[]).includes(c)),
    persons: a.persons.map((p) => ({
      name: p.name,
      aliases: p.aliases.join(', '),
      fatherName: p.fatherName,
      gender: known(p.gender, GENDERS, 'unknown'),
      age: p.age ? String(p.age) : '',
      role: known(p.role, PERSON_ROLES, 'wanted'),
    })),
    vehicles: a.vehicles.map((v) => ({
      ...v,
      status: known(v.status, VEHICLE_STATUSES, 'involved'),
    })),
    firReference: a.firReference,
    caseReference: a.caseReference,
    modusOperandi: a.modusOperandi,
    sms: a.channels.includes('sms'),
    email: a.channels.includes('email'),
  };
}

/** What is wrong with a draft (empty when it may be sent), and the input it makes. */
export function check(d: Draft): { problems: string[]; input: BroadcastInput } {
  const districts = lines(d.districts);
  const stations = lines(d.stations);
  const problems: string[] = [];
  if (!d.national && !d.states.length && !districts.length && !stations.length)
    problems.push('Choose whom to reach: national, states, districts or stations.');
  const bd = badDistricts(districts, STATE_CODES);
  if (bd.length) problems.push(`Districts must look like MH/PUNE: ${bd.join(', ')}`);
  const bs = badStations(stations, STATE_CODES);
  if (bs.length) problems.push(`Stations must look like station/MH/PUNE/PS001: ${bs.join(', ')}`);
  if (!d.event.trim()) problems.push('Event is required.');
  if (!d.headline.trim()) problems.push('Headline is required.');
  const minutes = Number(d.expiresInMinutes);
  if (!Number.isInteger(minutes) || minutes < 1)
    problems.push('Expires in must be a whole number of minutes.');
  if (d.persons.some((p) => !p.name.trim())) problems.push('Every person needs a name.');
  if (d.persons.some((p) => p.age !== '' && !/^\d{1,3}$/.test(p.age)))
    problems.push('Age is a whole number of years.');
  if (d.vehicles.some((v) => !v.registration.trim()))
    problems.push('Every vehicle needs a registration.');
  const input: BroadcastInput = {
    msgType: d.msgType,
    ...(d.references.length ? { references: d.references } : {}),
    to: { national: d.national, states: d.states, districts, stations },
    event: d.event.trim(),
    headline: d.headline.trim(),
    description: d.description,
    instruction: d.instruction,
    severity: d.severity,
    urgency: d.urgency,
    certainty: d.certainty,
    categories: d.categories,
    expiresInMinutes: minutes,
    persons: d.persons.map((p) => ({
      name: p.name.trim(),
      aliases: lines(p.aliases),
      fatherName: p.fatherName.trim(),
      gender: p.gender,
      ...(p.age ? { age: Number(p.age) } : {}),
      role: p.role,
    })),
    vehicles: d.vehicles.map((v) => ({ ...v, registration: v.registration.trim() })),
    firReference: d.firReference.trim(),
    caseReference: d.caseReference.trim(),
    modusOperandi: d.modusOperandi,
    channels: [
      'network',
      ...(d.sms ? ['sms' as const] : []),
      ...(d.email ? ['email' as const] : []),
    ],
  };
  return { problems, input };
}
