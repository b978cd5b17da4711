import { parseDuration } from '@cctns/pki';
import { readJsonFile } from '../config/json-file.js';
import { BrokerError } from '../errors.js';
import {
  contactsAt,
  ROLES,
  scopeFor,
  type ContactDirectory,
  type EscalationLevel,
  type Role,
} from './contacts.js';
import type { Channel } from './provider.js';

/** One step of a chain: after this long without acknowledgement, reach these roles. */
export interface EscalationStep {
  afterMs: number;
  level: EscalationLevel;
  roles: Role[];
  channels: Channel[];
}

/** A chain and the alerts it applies to (empty lists match everything). */
export interface EscalationChain {
  name: string;
  severities: string[];
  categories: string[];
  steps: EscalationStep[];
}

/** The escalation policy, as loaded from its file. */
export interface EscalationPolicy {
  version: 1;
  chains: EscalationChain[];
}

/** What the planner needs to know of an alert (names as the CLI spells them: `extreme`, `security`). */
export interface EscalationAlert {
  id: string;
  headline: string;
  severity: string;
  categories: string[];
  sentAt: Date;
  /** Channels the sender asked for at once (`police.notify`): the SHOs of addressed stations. */
  notify?: Channel[];
}

/** The name of the immediate step an HQ sender asks for with `police.notify`. */
export const NOTICE_CHAIN = 'notice';

/** One notification the planner decides is due. `key` is its idempotency key. */
export interface PlannedNotification {
  key: string;
  alertId: string;
  station: string;
  chain: string;
  step: number;
  contactId: string;
  channel: Channel;
  to: string;
  dueAt: Date;
}

const LEVELS = new Set(['station', 'district', 'state', 'national']);

/** Validates an escalation policy document, naming the bad field. */
export function parseEscalation(doc: unknown, source = 'escalation'): EscalationPolicy {
  const bad = (where: string, why: string) =>
    new BrokerError('CONFIG_INVALID', `${source}: ${where} ${why}`);
  const d = doc as { version?: unknown; chains?: unknown };
  if (!d || typeof d !== 'object' || d.version !== 1) throw bad('version', 'must be 1');
  if (!Array.isArray(d.chains)) throw bad('chains', 'must be a list');
  const chains = d.chains.map((raw, i): EscalationChain => {
    const c = raw as {
      name?: unknown;
      match?: { severities?: unknown; categories?: unknown };
      steps?: unknown;
    };
    const at = `chains[${i}]`;
    if (typeof c?.name !== 'string' || !c.name) throw bad(`${at}.name`, 'is required');
    const list = (v: unknown, f: string) => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        throw bad(`${at}.match.${f}`, 'must be a list of names');
      return (v as string[]).map((x) => x.toLowerCase());
    };
    if (!Array.isArray(c.steps) || c.steps.length === 0)
      throw bad(`${at}.steps`, 'must be a non-empty list');
    let previous = -1;
    const steps = c.steps.map((s, j): EscalationStep => {
      const st = s as { after?: unknown; level?: unknown; roles?: unknown; channels?: unknown };
      const sat = `${at}.steps[${j}]`;
      let afterMs: number;
      try {
        afterMs = parseDuration(String(st.after)) * 1000;
      } catch {
        throw bad(`${sat}.after`, 'must be a duration such as 10m');
      }
      if (afterMs <= previous) throw bad(`${sat}.after`, 'must come after the previous step');
      previous = afterMs;
      if (!LEVELS.has(String(st.level)))
        throw bad(`${sat}.level`, 'must be station, district, state or national');
      if (
        !Array.isArray(st.roles) ||
        st.roles.length === 0 ||
        st.roles.some((r) => !(ROLES as readonly string[]).includes(String(r)))
      )
        throw bad(`${sat}.roles`, `must list roles among ${ROLES.join(', ')}`);
      if (
        !Array.isArray(st.channels) ||
        st.channels.length === 0 ||
        st.channels.some((ch) => ch !== 'sms' && ch !== 'email')
      )
        throw bad(`${sat}.channels`, 'must list sms and/or email');
      return {
        afterMs,
        level: st.level as EscalationLevel,
        roles: st.roles as Role[],
        channels: [...new Set(st.channels as Channel[])],
      };
    });
    return {
      name: c.name,
      severities: list(c.match?.severities, 'severities'),
      categories: list(c.match?.categories, 'categories'),
      steps,
    };
  });
  return { version: 1, chains };
}

/** Reads an escalation policy file. */
export function loadEscalation(file: string): EscalationPolicy {
  return parseEscalation(readJsonFile(file, 'escalation'), file);
}

/** The chains an alert falls under. */
export function chainsFor(policy: EscalationPolicy, alert: EscalationAlert): EscalationChain[] {
  return policy.chains.filter(
    (c) =>
      (c.severities.length === 0 || c.severities.includes(alert.severity)) &&
      (c.categories.length === 0 || alert.categories.some((x) => c.categories.includes(x))),
  );
}

/**
 * The notifications due at `now` for an alert: for every addressed station that has not
 * acknowledged, every step whose time has come, every contact and channel it names. The result
 * depends only on its inputs, so a broker that restarts computes the same plan; `key` makes
 * each one idempotent — at most one SMS and one email per recipient per alert, whatever the chain.
 */
export function planEscalations(args: {
  policy: EscalationPolicy;
  contacts: ContactDirectory;
  alert: EscalationAlert;
  stations: readonly string[];
  acknowledged: ReadonlySet<string>;
  now: Date;
}): PlannedNotification[] {
  const out = new Map<string, PlannedNotification>();
  const age = args.now.getTime() - args.alert.sentAt.getTime();
  const chains = chainsFor(args.policy, args.alert);
  if (args.alert.notify?.length)
    chains.unshift({
      name: NOTICE_CHAIN,
      severities: [],
      categories: [],
      steps: [{ afterMs: 0, level: 'station', roles: ['SHO'], channels: args.alert.notify }],
    });
  for (const chain of chains) {
    for (const station of args.stations) {
      if (args.acknowledged.has(station)) continue;
      chain.steps.forEach((step, i) => {
        if (age < step.afterMs) return;
        for (const contact of contactsAt(
          args.contacts,
          scopeFor(step.level, station),
          step.roles,
        )) {
          for (const channel of step.channels) {
            const to = channel === 'sms' ? contact.phone : contact.email;
            if (!to) continue;
            const key = `${args.alert.id}|${contact.id}|${channel}`;
            if (!out.has(key)) {
              out.set(key, {
                key,
                alertId: args.alert.id,
                station,
                chain: chain.name,
                step: i,
                contactId: contact.id,
                channel,
                to,
                dueAt: new Date(args.alert.sentAt.getTime() + step.afterMs),
              });
            }
          }
        }
      });
    }
  }
  return [...out.values()].sort(
    (a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.key.localeCompare(b.key),
  );
}

/** The next step of a chain for one station that has not acknowledged, and whom it will reach. */
export interface UpcomingStep {
  alertId: string;
  station: string;
  chain: string;
  step: number;
  dueAt: Date;
  level: EscalationLevel;
  roles: Role[];
  channels: Channel[];
  recipients: Array<{ contactId: string; name: string; role: Role }>;
}

/**
 * For each addressed station that has not acknowledged, the earliest step of any chain the alert
 * falls under that is not yet due at `now` (none when every step has passed). The same inputs as
 * `planEscalations`, so what the console is told is what the planner will do.
 */
export function upcomingEscalations(args: {
  policy: EscalationPolicy;
  contacts: ContactDirectory;
  alert: EscalationAlert;
  stations: readonly string[];
  acknowledged: ReadonlySet<string>;
  now: Date;
}): UpcomingStep[] {
  const age = args.now.getTime() - args.alert.sentAt.getTime();
  const out: UpcomingStep[] = [];
  for (const station of args.stations) {
    if (args.acknowledged.has(station)) continue;
    let next: { chain: EscalationChain; step: EscalationStep; index: number } | undefined;
    for (const chain of chainsFor(args.policy, args.alert)) {
      const index = chain.steps.findIndex((s) => s.afterMs > age);
      const step = chain.steps[index];
      if (step && (!next || step.afterMs < next.step.afterMs)) next = { chain, step, index };
    }
    if (!next) continue;
    const { chain, step, index } = next;
    out.push({
      alertId: args.alert.id,
      station,
      chain: chain.name,
      step: index,
      dueAt: new Date(args.alert.sentAt.getTime() + step.afterMs),
      level: step.level,
      roles: step.roles,
      channels: step.channels,
      recipients: contactsAt(args.contacts, scopeFor(step.level, station), step.roles).map((c) => ({
        contactId: c.id,
        name: c.name,
        role: c.role,
      })),
    });
  }
  return out.sort(
    (a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.station.localeCompare(b.station),
  );
}
