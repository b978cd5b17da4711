import { isStateCode, parseIdentity } from '@cctns/pki';
import { readJsonFile } from '../config/json-file.js';
import { BrokerError } from '../errors.js';

/** Roles an escalation can reach: station house officer, district SP, state and national HQ. */
export const ROLES = ['SHO', 'SP', 'STATE-HQ', 'NATIONAL-HQ'] as const;

/** One of the roles. */
export type Role = (typeof ROLES)[number];

/** An officer who can be reached by SMS and email. */
export interface Contact {
  id: string;
  name: string;
  role: Role;
  /** Where the officer serves: a station identity, `district/<S>/<D>`, `state/<S>` or `national`. */
  scope: string;
  /** E.164, e.g. `+919812345678`. */
  phone?: string;
  email?: string;
}

/** The contact directory, as loaded from its file. */
export interface ContactDirectory {
  version: 1;
  contacts: Contact[];
}

const E164 = /^\+[1-9]\d{7,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function scopeValid(scope: string): boolean {
  if (scope === 'national') return true;
  const [kind, state, district, ...rest] = scope.split('/');
  if (kind === 'state') return isStateCode(state ?? '') && district === undefined;
  if (kind === 'district')
    return (
      isStateCode(state ?? '') &&
      /^[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?$/.test(district ?? '') &&
      rest.length === 0
    );
  try {
    return parseIdentity(scope).kind === 'station';
  } catch {
    return false;
  }
}

/** Validates a contact directory document, naming the bad entry and field. */
export function parseContacts(doc: unknown, source = 'contacts'): ContactDirectory {
  const bad = (where: string, why: string) =>
    new BrokerError('CONFIG_INVALID', `${source}: ${where} ${why}`);
  const d = doc as { version?: unknown; contacts?: unknown };
  if (!d || typeof d !== 'object' || d.version !== 1) throw bad('version', 'must be 1');
  if (!Array.isArray(d.contacts)) throw bad('contacts', 'must be a list');
  const seen = new Set<string>();
  const contacts = d.contacts.map((raw, i): Contact => {
    const c = raw as Partial<Contact>;
    const at = `contacts[${i}]`;
    if (!c || typeof c !== 'object') throw bad(at, 'must be an object');
    if (typeof c.id !== 'string' || !ID.test(c.id))
      throw bad(`${at}.id`, 'must be 1-64 letters, digits, . _ -');
    if (seen.has(c.id)) throw bad(`${at}.id`, `duplicates ${c.id}`);
    seen.add(c.id);
    if (typeof c.name !== 'string' || !c.name.trim()) throw bad(`${at}.name`, 'is required');
    if (!(ROLES as readonly string[]).includes(String(c.role)))
      throw bad(`${at}.role`, `must be one of ${ROLES.join(', ')}`);
    if (typeof c.scope !== 'string' || !scopeValid(c.scope))
      throw bad(
        `${at}.scope`,
        'must be a station identity, district/<S>/<D>, state/<S> or national',
      );
    if (c.phone !== undefined && (typeof c.phone !== 'string' || !E164.test(c.phone)))
      throw bad(`${at}.phone`, 'must be E.164, e.g. +919812345678');
    if (c.email !== undefined && (typeof c.email !== 'string' || !EMAIL.test(c.email)))
      throw bad(`${at}.email`, 'is not an email address');
    if (c.phone === undefined && c.email === undefined) throw bad(at, 'needs a phone or an email');
    return {
      id: c.id,
      name: c.name,
      role: c.role as Role,
      scope: c.scope,
      ...(c.phone ? { phone: c.phone } : {}),
      ...(c.email ? { email: c.email } : {}),
    };
  });
  return { version: 1, contacts };
}

/** Reads a contact directory file. */
export function loadContacts(file: string): ContactDirectory {
  return parseContacts(readJsonFile(file, 'contacts'), file);
}

/** The scope a role is looked up at for a station: the station, its district, its state, or national. */
export function scopeFor(level: EscalationLevel, station: string): string {
  const id = parseIdentity(station);
  if (id.kind !== 'station') throw new Error('not a station');
  switch (level) {
    case 'station':
      return station;
    case 'district':
      return `district/${id.state}/${id.district}`;
    case 'state':
      return `state/${id.state}`;
    case 'national':
      return 'national';
  }
}

/** How far up an escalation step reaches from the station that has not acted. */
export type EscalationLevel = 'station' | 'district' | 'state' | 'national';

/** Contacts with `role` at `scope`. */
export function contactsAt(
  dir: ContactDirectory,
  scope: string,
  roles: readonly Role[],
): Contact[] {
  return dir.contacts.filter((c) => c.scope === scope && roles.includes(c.role));
}
