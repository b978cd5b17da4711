import { STATE_CODES } from '@cctns/pki';
import { readJsonFile } from '../config/json-file.js';
import { BrokerError } from '../errors.js';
import type { RecordKind } from '../store/store.js';

/** Who may search what, and why: data, read at start-up (`lookupPolicy` in the broker config). */
export interface LookupPolicy {
  version: 1;
  /** Reason codes a purpose may give. */
  reasons: string[];
  /** Grants, first match wins; an identity no grant matches may not search. */
  grants: LookupGrant[];
  /** Most results one lookup may ask for. */
  maxLimit: number;
}

/** One grant: identities matching `who` may search these kinds, states and statuses, for these reasons. */
export interface LookupGrant {
  /** An identity pattern: `agency/RPF/*`, `station/*`, `hq/national/*`; `*` matches one or more segments at the end. */
  who: string;
  kinds: RecordKind[];
  /** State/UT codes, or `any`. */
  states: 'any' | string[];
  /** Reason codes this grant allows (default: all the policy knows). */
  reasons?: string[];
  /** Per kind, the record statuses it may see (default: all), by name: `wanted`, `stolen`, ... */
  statuses?: Partial<Record<RecordKind, string[]>>;
}

/**
 * The default: stations and HQ may search every kind in every state; CBI and NIA likewise; RPF
 * (railway police) vehicles and wanted / missing persons only; other agencies nothing until
 * granted.
 */
export const DEFAULT_LOOKUP_POLICY: LookupPolicy = {
  version: 1,
  reasons: [
    'investigation',
    'arrest',
    'missing-person',
    'stolen-vehicle',
    'verification',
    'intelligence',
    'court-order',
  ],
  grants: [
    { who: 'station/*', kinds: ['person', 'vehicle', 'case'], states: 'any' },
    { who: 'hq/*', kinds: ['person', 'vehicle', 'case'], states: 'any' },
    { who: 'agency/CBI/*', kinds: ['person', 'vehicle', 'case'], states: 'any' },
    { who: 'agency/NIA/*', kinds: ['person', 'vehicle', 'case'], states: 'any' },
    {
      who: 'agency/RPF/*',
      kinds: ['person', 'vehicle'],
      states: 'any',
      reasons: ['investigation', 'missing-person', 'stolen-vehicle'],
      statuses: {
        person: ['wanted', 'proclaimed-offender', 'missing', 'unidentified-found'],
        vehicle: ['stolen', 'recovered'],
      },
    },
  ],
  maxLimit: 100,
};

const KINDS = new Set(['person', 'vehicle', 'case']);
const PATTERN = /^(station|agency|hq|broker)(\/[A-Za-z0-9-]+)*(\/\*)?$|^\*$/;

/** Validates a lookup policy document, naming the bad field. */
export function parseLookupPolicy(doc: unknown, source = 'lookup policy'): LookupPolicy {
  const bad = (field: string, why: string) =>
    new BrokerError('CONFIG_INVALID', `${source}: ${field} ${why}`);
  const d = doc as Partial<LookupPolicy>;
  if (!d || typeof d !== 'object' || d.version !== 1) throw bad('version', 'must be 1');
  if (
    !Array.isArray(d.reasons) ||
    d.reasons.some((r) => typeof r !== 'string' || !/^[a-z-]{2,40}$/.test(r))
  )
    throw bad('reasons', 'must be a list of lower-case reason codes');
  if (!Array.isArray(d.grants)) throw bad('grants', 'must be a list');
  if (!Number.isInteger(d.maxLimit) || d.maxLimit! < 1 || d.maxLimit! > 1000)
    throw bad('maxLimit', 'must be a whole number from 1 to 1000');
  const grants = d.grants.map((g, i): LookupGrant => {
    const at = `grants[${i}]`;
    if (!g || typeof g !== 'object') throw bad(at, 'must be an object');
    if (typeof g.who !== 'string' || !PATTERN.test(g.who))
      throw bad(`${at}.who`, 'must be an identity pattern like agency/RPF/* or station/*');
    if (!Array.isArray(g.kinds) || g.kinds.some((k) => !KINDS.has(k)))
      throw bad(`${at}.kinds`, 'must list person, vehicle or case');
    if (
      g.states !== 'any' &&
      (!Array.isArray(g.states) || g.states.some((s) => !(STATE_CODES as string[]).includes(s)))
    )
      throw bad(`${at}.states`, "must be 'any' or a list of State/UT codes");
    if (
      g.reasons !== undefined &&
      (!Array.isArray(g.reasons) || g.reasons.some((r) => !d.reasons!.includes(r)))
    )
      throw bad(`${at}.reasons`, 'must list reason codes of the policy');
    if (
      g.statuses !== undefined &&
      (typeof g.statuses !== 'object' || Object.keys(g.statuses).some((k) => !KINDS.has(k)))
    )
      throw bad(`${at}.statuses`, 'must map person, vehicle or case to status names');
    return g;
  });
  return { version: 1, reasons: d.reasons, grants, maxLimit: d.maxLimit! };
}

/** Reads a lookup policy file. */
export function loadLookupPolicy(file: string): LookupPolicy {
  return parseLookupPolicy(readJsonFile(file, 'lookup policy'), file);
}

function matches(pattern: string, identity: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return identity.startsWith(pattern.slice(0, -1));
  return identity === pattern;
}

/** The grant an identity searches under, or undefined. */
export function grantFor(policy: LookupPolicy, identity: string): LookupGrant | undefined {
  return policy.grants.find((g) => matches(g.who, identity));
}

/**
 * Checks a lookup against the policy at the broker that answers it: a purpose (a reference and a
 * known reason code) is required, and the caller's grant must cover the kind, the state and the
 * reason. Returns the grant (its status limits apply to the results).
 */
export function checkLookup(
  policy: LookupPolicy,
  callerString: string,
  lookup: { kind: RecordKind; state: string; purpose?: { reference: string; reason: string } },
): LookupGrant {
  const p = lookup.purpose;
  if (!p || !p.reference.trim() || !p.reason)
    throw new BrokerError(
      'PURPOSE_REQUIRED',
      'a lookup must state its purpose: a case or FIR reference and a reason code',
    );
  if (p.reference.length > 200)
    throw new BrokerError(
      'PURPOSE_REQUIRED',
      'the purpose reference is longer than 200 characters',
    );
  if (!policy.reasons.includes(p.reason))
    throw new BrokerError(
      'PURPOSE_REQUIRED',
      `${JSON.stringify(p.reason.slice(0, 40))} is not a reason code (${policy.reasons.join(', ')})`,
    );
  const g = grantFor(policy, callerString);
  if (!g) throw new BrokerError('GRANT_DENIED', `${callerString} has no lookup grant`);
  if (!g.kinds.includes(lookup.kind))
    throw new BrokerError('GRANT_DENIED', `${callerString} may not search ${lookup.kind} records`);
  if (g.states !== 'any' && !g.states.includes(lookup.state))
    throw new BrokerError(
      'GRANT_DENIED',
      `${callerString} may not search records of ${lookup.state}`,
    );
  if (g.reasons && !g.reasons.includes(p.reason))
    throw new BrokerError(
      'GRANT_DENIED',
      `${callerString} may not search for the reason ${p.reason} (granted: ${g.reasons.join(', ')})`,
    );
  return g;
}
