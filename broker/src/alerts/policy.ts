import { formatIdentity, stateOfIdentity, type Identity } from '@cctns/pki';
import { readJsonFile } from '../config/json-file.js';
import { BrokerError } from '../errors.js';
import type { TargetKey } from '../routing/targets.js';
import {
  DEFAULT_APPROVAL_POLICY,
  parseApprovalPolicy,
  type ApprovalPolicy,
} from './approval-policy.js';

/** How far a kind of sender may reach with one kind of target. */
export type Reach = 'any' | 'own-state' | 'none';

/** What one kind of sender may address. */
export interface SenderRule {
  stations: Reach;
  districts: Reach;
  states: Reach;
  national: boolean;
}

/** The kinds of sender a policy has a rule for (brokers originate nothing). */
export const SENDER_KINDS = ['station', 'hq-state', 'hq-national', 'agency'] as const;

/** Who may address what: data, read once at start-up (`policy` in the broker config). */
export interface ScopePolicy {
  version: 1;
  rules: Record<(typeof SENDER_KINDS)[number], SenderRule>;
  /** Which alerts need a second officer's approval, and who may give it (default: national broadcasts, national HQ officers). */
  approval: ApprovalPolicy;
}

/**
 * The default: stations may alert any station, district or state (inter-state alerts) but not
 * the whole country; state HQ likewise; national HQ may also broadcast nationally; agencies may
 * address stations only.
 */
export const DEFAULT_POLICY: ScopePolicy = Object.freeze({
  version: 1,
  rules: {
    station: { stations: 'any', districts: 'any', states: 'any', national: false },
    'hq-state': { stations: 'any', districts: 'any', states: 'any', national: false },
    'hq-national': { stations: 'any', districts: 'any', states: 'any', national: true },
    agency: { stations: 'any', districts: 'none', states: 'none', national: false },
  },
  approval: DEFAULT_APPROVAL_POLICY,
}) as ScopePolicy;

const REACH = new Set(['any', 'own-state', 'none']);

const BROKER_RULE: SenderRule = Object.freeze({
  stations: 'own-state',
  districts: 'none',
  states: 'none',
  national: false,
});

/** Validates a policy document, naming the bad field. */
export function parsePolicy(doc: unknown, source = 'policy'): ScopePolicy {
  const bad = (field: string, why: string) =>
    new BrokerError('CONFIG_INVALID', `${source}: ${field} ${why}`);
  if (!doc || typeof doc !== 'object') throw bad('', 'must be a JSON object');
  const d = doc as { version?: unknown; rules?: Record<string, unknown>; approval?: unknown };
  if (d.version !== 1) throw bad('version', 'must be 1');
  if (!d.rules || typeof d.rules !== 'object') throw bad('rules', 'must be an object');
  for (const k of Object.keys(d.rules))
    if (!(SENDER_KINDS as readonly string[]).includes(k))
      throw bad(`rules.${k}`, `is not a sender kind (${SENDER_KINDS.join(', ')})`);
  const rules = {} as ScopePolicy['rules'];
  for (const kind of SENDER_KINDS) {
    const r = d.rules[kind] as Partial<SenderRule> | undefined;
    if (!r || typeof r !== 'object') throw bad(`rules.${kind}`, 'is missing');
    for (const f of ['stations', 'districts', 'states'] as const) {
      if (!REACH.has(String(r[f])))
        throw bad(`rules.${kind}.${f}`, "must be 'any', 'own-state' or 'none'");
    }
    if (typeof r.national !== 'boolean')
      throw bad(`rules.${kind}.national`, 'must be true or false');
    rules[kind] = {
      stations: r.stations!,
      districts: r.districts!,
      states: r.states!,
      national: r.national,
    };
  }
  return Object.freeze({
    version: 1,
    rules,
    approval: parseApprovalPolicy(d.approval, source),
  }) as ScopePolicy;
}

/** Reads a policy file. */
export function loadPolicy(file: string): ScopePolicy {
  return parsePolicy(readJsonFile(file, 'policy'), file);
}

function ruleFor(sender: Identity, policy: ScopePolicy): SenderRule | undefined {
  switch (sender.kind) {
    case 'station':
      return policy.rules.station;
    case 'hq':
      return sender.state === 'national' ? policy.rules['hq-national'] : policy.rules['hq-state'];
    case 'agency':
      return policy.rules.agency;
    case 'broker':
      // A broker originates one kind of alert: a notice to a station of its own state (a lookup
      // found one of its wanted, missing or stolen records). Not configurable.
      return BROKER_RULE;
  }
}

/** Throws SCOPE_FORBIDDEN when `sender` may not address one of `targets` under `policy`. */
export function checkScope(
  sender: Identity,
  targets: readonly TargetKey[],
  policy: ScopePolicy = DEFAULT_POLICY,
): void {
  const rule = ruleFor(sender, policy);
  const own = stateOfIdentity(sender);
  const reach = (r: Reach, state: string) =>
    r === 'any' || (r === 'own-state' && own !== undefined && state === own);
  for (const t of targets) {
    const [kind, state = ''] = t.split('/');
    const ok =
      rule !== undefined &&
      (t === 'national'
        ? rule.national
        : kind === 'station'
          ? reach(rule.stations, state)
          : kind === 'district'
            ? reach(rule.districts, state)
            : kind === 'state'
              ? reach(rule.states, state)
              : false);
    if (!ok)
      throw new BrokerError('SCOPE_FORBIDDEN', `${formatIdentity(sender)} may not address ${t}`);
  }
}

/**
 * SMS and email reach officers' phones: only HQ identities may ask for them (`police.notify`);
 * a station or agency that asks is refused with SCOPE_FORBIDDEN.
 */
export function checkNotify(sender: Identity, channels: readonly number[]): void {
  if (channels.length > 0 && sender.kind !== 'hq')
    throw new BrokerError(
      'SCOPE_FORBIDDEN',
      `${formatIdentity(sender)} may not ask for SMS or email notices (HQ only)`,
    );
}

/** A compact JWE: five base64url parts, an encrypted key (RSA-OAEP) included. */
const COMPACT_JWE =
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * A sealed case record goes from one station to exactly one other station (the one it is
 * encrypted to); brokers check its shape, not its content, which they cannot read.
 */
export function checkSealed(
  sender: Identity,
  sealed: string,
  to: { stations: string[]; districts: string[]; states: string[]; national: boolean } | undefined,
): void {
  if (!sealed) return;
  if (sender.kind !== 'station')
    throw new BrokerError(
      'SCOPE_FORBIDDEN',
      `${formatIdentity(sender)} may not send sealed case records (stations only)`,
    );
  if (!to || to.stations.length !== 1 || to.districts.length || to.states.length || to.national)
    throw new BrokerError(
      'FIELD_INVALID',
      'a sealed case record must be addressed to exactly one station',
    );
  if (!COMPACT_JWE.test(sealed))
    throw new BrokerError('FIELD_INVALID', 'police.sealed is not a compact JWE');
}
