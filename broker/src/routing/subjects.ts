import { STATE_CODES, parseIdentity, stateOfIdentity } from '@cctns/pki';
import type { TargetKey } from './targets.js';

/**
 * The subject scheme. Everything a state's brokers must see lives under `cctns.v1.<STATE>.`, so
 * one consumer per broker reads it all in stream order:
 *
 * - `cctns.v1.<S>.station.<DISTRICT>.<STATION>` — an alert addressed to one station
 * - `cctns.v1.<S>.district.<DISTRICT>` — to a district
 * - `cctns.v1.<S>.state` — to the whole state
 * - `cctns.v1.<S>.national` — a national broadcast (published once per state)
 * - `cctns.v1.<S>.origin` — the originator's own state keeps a copy (receipts come back to it),
 *   unless the alert already goes to a subject of that state
 * - `cctns.v1.<S>.receipt` — a receipt for an alert sent from that state, or sent by one of its stations
 *
 * `<S>` is a State/UT code, or `national` for alerts and receipts of national identities and
 * agencies. The national broker reads `cctns.v1.>`.
 */
export const SUBJECT_ROOT = 'cctns.v1';

/** The "state" part of a subject for an identity: its State/UT, or `national`. */
export function homeOf(identity: string): string {
  return stateOfIdentity(parseIdentity(identity)) ?? 'national';
}

/**
 * Subjects an alert is published on: one per target, one per state for `national`, plus its
 * origin when none of those is in the originator's state.
 */
export function alertSubjects(targets: readonly TargetKey[], sender: string): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    const parts = t.split('/');
    if (t === 'national') for (const s of STATE_CODES) out.add(`${SUBJECT_ROOT}.${s}.national`);
    else if (parts[0] === 'station')
      out.add(`${SUBJECT_ROOT}.${parts[1]}.station.${parts[2]}.${parts[3]}`);
    else if (parts[0] === 'district') out.add(`${SUBJECT_ROOT}.${parts[1]}.district.${parts[2]}`);
    else if (parts[0] === 'state') out.add(`${SUBJECT_ROOT}.${parts[1]}.state`);
  }
  // The originator's state keeps a copy so receipts find their alert there: needed only when no
  // other copy already goes to that state (an alert within one state is published once).
  const home = `${SUBJECT_ROOT}.${homeOf(sender)}.`;
  if (![...out].some((s) => s.startsWith(home))) out.add(`${home}origin`);
  return [...out];
}

/** The receipt subject of an identity's home (the originator's, and the receiving station's). */
export function receiptSubject(originator: string): string {
  return `${SUBJECT_ROOT}.${homeOf(originator)}.receipt`;
}

/** What a broker consumes: its state's subjects, or everything for the national broker. */
export function consumerFilter(home: string): string {
  return home === 'national' ? `${SUBJECT_ROOT}.>` : `${SUBJECT_ROOT}.${home}.>`;
}

/** The message kind a subject carries, or undefined for a subject outside the scheme. */
export function kindOfSubject(subject: string): 'alert' | 'receipt' | undefined {
  const p = subject.split('.');
  if (
    p[0] !== 'cctns' ||
    p[1] !== 'v1' ||
    !p[2] ||
    !(p[2] === 'national' || (STATE_CODES as string[]).includes(p[2]))
  )
    return undefined;
  const rest = p.slice(3);
  if (rest.length === 1 && (rest[0] === 'state' || rest[0] === 'national' || rest[0] === 'origin'))
    return 'alert';
  if (rest.length === 1 && rest[0] === 'receipt') return 'receipt';
  if (rest.length === 2 && rest[0] === 'district') return 'alert';
  if (rest.length === 3 && rest[0] === 'station') return 'alert';
  return undefined;
}

/** The request/reply subject of a state's lookups (outside the stream's subjects). */
export function lookupSubject(state: string): string {
  return `cctns.lookup.v1.${state}`;
}

/** The request/reply subject of a state's directory (station certificates). */
export function directorySubject(state: string): string {
  return `cctns.directory.v1.${state}`;
}
