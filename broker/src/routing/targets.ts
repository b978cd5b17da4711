import { formatIdentity, isStateCode, parseIdentity, type Identity } from '@cctns/pki';
import type { Addressing } from '@cctns/proto';
import { BrokerError } from '../errors.js';

/**
 * Addressing is stored and matched as target keys: a station's identity, `district/<S>/<D>`,
 * `state/<S>` or `national`. A broadcast is one log entry with one key; a station matches an
 * entry when any of its own keys is among the entry's targets.
 */
export type TargetKey = string;

const DISTRICT = /^([A-Z]{2})\/([A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?)$/;

/** The target keys of an addressing block; throws FIELD_INVALID for a malformed entry. */
export function targetsOf(to: Addressing | undefined): TargetKey[] {
  const keys = new Set<TargetKey>();
  if (!to) return [];
  for (const s of to.stations) {
    let id: Identity;
    try {
      id = parseIdentity(s);
    } catch (cause) {
      throw new BrokerError(
        'FIELD_INVALID',
        `addressed station ${JSON.stringify(s.slice(0, 80))} is not a station identity`,
        { cause },
      );
    }
    if (id.kind !== 'station')
      throw new BrokerError('FIELD_INVALID', `addressed identity ${s} is not a station`);
    keys.add(formatIdentity(id));
  }
  for (const d of to.districts) {
    const m = DISTRICT.exec(d);
    if (!m || !isStateCode(m[1]!))
      throw new BrokerError(
        'FIELD_INVALID',
        `district ${JSON.stringify(d.slice(0, 80))} must be STATE/DISTRICT, e.g. MH/PUNE`,
      );
    keys.add(`district/${d}`);
  }
  for (const s of to.states) {
    if (!isStateCode(s))
      throw new BrokerError(
        'FIELD_INVALID',
        `state ${JSON.stringify(s.slice(0, 10))} is not a State/UT code`,
      );
    keys.add(`state/${s}`);
  }
  if (to.national) keys.add('national');
  return [...keys].sort();
}

/** The keys a station listens on: itself, its district, its state and national. */
export function stationKeys(station: Identity & { kind: 'station' }): TargetKey[] {
  return [
    formatIdentity(station),
    `district/${station.state}/${station.district}`,
    `state/${station.state}`,
    'national',
  ];
}

/** The keys any connected identity listens on (non-stations only receive what names them). */
export function listenKeys(id: Identity): TargetKey[] {
  return id.kind === 'station' ? stationKeys(id) : [formatIdentity(id)];
}

/** The State/UT codes a set of targets touches (`national` touches all; returned as '*'). */
export function statesOfTargets(targets: readonly TargetKey[]): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    if (t === 'national') out.add('*');
    else if (t.startsWith('state/')) out.add(t.slice(6));
    else if (t.startsWith('district/')) out.add(t.slice(9, 11));
    else if (t.startsWith('station/')) out.add(t.slice(8, 10));
  }
  return [...out].sort();
}
