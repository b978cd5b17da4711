import { Category, MsgType, type Alert } from '@cctns/proto';
import { BrokerError } from '../errors.js';
import type { TargetKey } from '../routing/targets.js';
import { MAX_CLOCK_SKEW_MS } from './validate.js';

/** The kinds of target an approval rule can name. */
export const APPROVAL_SCOPES = ['national', 'states', 'districts', 'stations'] as const;

/** One rule: alerts reaching this kind of target (and, if given, of these categories) need approval. */
export interface ApprovalRule {
  scope: (typeof APPROVAL_SCOPES)[number];
  /** CAP categories by name (`security`, `cbrne`, ...); absent: every category. */
  categories?: string[];
  /** Identity patterns holding the duty-officer grant for this rule (default: the policy's). */
  approvers?: string[];
}

/** Who must approve what, and how long an approval stays good (`approval` in the scope policy). */
export interface ApprovalPolicy {
  /** An approval older than this when the alert is sent (or than its `sent`) is refused. */
  maxAgeMinutes: number;
  /** Identity patterns holding the duty-officer grant (`*` stands for one path segment). */
  approvers: string[];
  /** Patterns that never approve, whatever `approvers` says (the consoles' service identities). */
  notApprovers: string[];
  /** Rules besides the national one, which is always there. */
  rules: ApprovalRule[];
}

/** The default: national HQ officers approve national broadcasts within an hour; consoles never approve. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = Object.freeze({
  maxAgeMinutes: 60,
  approvers: ['hq/national/*'],
  notApprovers: ['hq/*/console'],
  rules: [],
}) as ApprovalPolicy;

/** Every national broadcast needs a second officer: not configurable away. */
const NATIONAL_RULE: ApprovalRule = Object.freeze({ scope: 'national' }) as ApprovalRule;

const CATEGORY_NAMES = new Set(
  Object.keys(Category)
    .filter((k) => k.startsWith('CATEGORY_') && k !== 'CATEGORY_UNSPECIFIED')
    .map((k) => k.slice('CATEGORY_'.length).toLowerCase()),
);
const PATTERN = /^(?:[A-Za-z0-9*][A-Za-z0-9._*-]*)(?:\/[A-Za-z0-9*][A-Za-z0-9._*-]*)*$/;

/** Validates the `approval` section of a scope policy, naming the bad field. */
export function parseApprovalPolicy(doc: unknown, source: string): ApprovalPolicy {
  const bad = (field: string, why: string) =>
    new BrokerError('CONFIG_INVALID', `${source}: approval${field} ${why}`);
  if (doc === undefined) return DEFAULT_APPROVAL_POLICY;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('', 'must be an object');
  const d = doc as Record<string, unknown>;
  const patterns = (v: unknown, field: string): string[] => {
    if (!Array.isArray(v) || !v.every((p) => typeof p === 'string' && PATTERN.test(p)))
      throw bad(field, 'must be a list of identity patterns such as "hq/national/*"');
    return [...(v as string[])];
  };
  const maxAge = d['maxAgeMinutes'] ?? DEFAULT_APPROVAL_POLICY.maxAgeMinutes;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 1 || maxAge > 7 * 24 * 60)
    throw bad('.maxAgeMinutes', 'must be a whole number of minutes from 1 to 10080');
  const rulesDoc = d['rules'] ?? [];
  if (!Array.isArray(rulesDoc)) throw bad('.rules', 'must be a list');
  const rules = rulesDoc.map((r: unknown, i): ApprovalRule => {
    const at = `.rules[${i}]`;
    if (!r || typeof r !== 'object') throw bad(at, 'must be an object');
    const rule = r as Record<string, unknown>;
    if (!(APPROVAL_SCOPES as readonly unknown[]).includes(rule['scope']))
      throw bad(`${at}.scope`, `must be one of ${APPROVAL_SCOPES.join(', ')}`);
    const out: ApprovalRule = { scope: rule['scope'] as ApprovalRule['scope'] };
    if (rule['categories'] !== undefined) {
      const c = rule['categories'];
      if (!Array.isArray(c) || c.length === 0 || !c.every((x) => CATEGORY_NAMES.has(String(x))))
        throw bad(
          `${at}.categories`,
          `must list CAP categories (${[...CATEGORY_NAMES].join(', ')})`,
        );
      out.categories = c as string[];
    }
    if (rule['approvers'] !== undefined)
      out.approvers = patterns(rule['approvers'], `${at}.approvers`);
    return out;
  });
  return Object.freeze({
    maxAgeMinutes: maxAge,
    approvers: patterns(d['approvers'] ?? DEFAULT_APPROVAL_POLICY.approvers, '.approvers'),
    notApprovers: patterns(
      d['notApprovers'] ?? DEFAULT_APPROVAL_POLICY.notApprovers,
      '.notApprovers',
    ),
    rules,
  });
}

/** True when `identity` matches `pattern`, segment by segment (`*`: any one segment). */
export function identityMatches(pattern: string, identity: string): boolean {
  const p = pattern.split('/');
  const s = identity.split('/');
  return p.length === s.length && p.every((seg, i) => seg === '*' || seg === s[i]);
}

function categoryNames(alert: Alert): Set<string> {
  return new Set(
    alert.info.flatMap((i) =>
      i.categories.map((c) => (Category[c] ?? '').replace(/^CATEGORY_/, '').toLowerCase()),
    ),
  );
}

/**
 * The rule under which an alert needs a second officer's approval, or undefined. `targets` are all
 * it reaches (its own and those an Update inherits). A Cancel needs none: the sender alone may
 * always withdraw what it sent; nor do a broker's own notices.
 */
export function approvalRuleFor(
  alert: Alert,
  targets: readonly TargetKey[],
  policy: ApprovalPolicy,
): ApprovalRule | undefined {
  // Brokers' own notices (a lookup hit) are machine-made and addressed to one station.
  if (alert.msgType === MsgType.MSG_TYPE_CANCEL || alert.sender.startsWith('broker/'))
    return undefined;
  const kinds = new Set(
    targets.map((t) => (t === 'national' ? 'national' : `${t.split('/')[0]}s`)),
  );
  const categories = categoryNames(alert);
  return [NATIONAL_RULE, ...policy.rules].find(
    (r) => kinds.has(r.scope) && (!r.categories || r.categories.some((c) => categories.has(c))),
  );
}

/** Throws APPROVAL_INVALID unless `approver` holds the duty-officer grant of `rule`. */
export function checkApprover(approver: string, rule: ApprovalRule, policy: ApprovalPolicy): void {
  const granted =
    (rule.approvers ?? policy.approvers).some((p) => identityMatches(p, approver)) &&
    !policy.notApprovers.some((p) => identityMatches(p, approver));
  if (!granted)
    throw new BrokerError(
      'APPROVAL_INVALID',
      `${approver} holds no duty-officer grant to approve ${rule.scope === 'national' ? 'national broadcasts' : `alerts to ${rule.scope}`}`,
    );
}

/**
 * Throws APPROVAL_INVALID unless the approval is fresh: given after the alert was composed (its
 * `sent`, within clock skew) and within `maxAgeMinutes` of it, and — when `now` is given (a
 * sender's broker at intake) — within `maxAgeMinutes` of now. A broker applying a copy from the
 * backbone measures against `sent` only, which both signatures cover, so a state catching up
 * after an outage does not refuse what was admitted fresh.
 */
export function checkApprovalTime(
  approvedAt: Date,
  sent: Date,
  now: Date | undefined,
  policy: ApprovalPolicy,
): void {
  const maxMs = policy.maxAgeMinutes * 60_000;
  const t = approvedAt.getTime();
  if (t < sent.getTime() - MAX_CLOCK_SKEW_MS)
    throw new BrokerError('APPROVAL_INVALID', 'the approval is older than the alert it approves');
  if (t > sent.getTime() + maxMs)
    throw new BrokerError(
      'APPROVAL_INVALID',
      `the approval came more than ${policy.maxAgeMinutes} minutes after the alert was composed`,
    );
  if (now && t > now.getTime() + MAX_CLOCK_SKEW_MS)
    throw new BrokerError('APPROVAL_INVALID', 'the approval is dated in the future');
  if (now && now.getTime() - t > maxMs)
    throw new BrokerError(
      'APPROVAL_INVALID',
      `the approval is more than ${policy.maxAgeMinutes} minutes old`,
    );
}
