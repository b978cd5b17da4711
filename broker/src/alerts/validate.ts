import type { Alert, Receipt } from '@cctns/proto';
import {
  CapScope,
  Category,
  Certainty,
  Gender,
  HandlingCode,
  NotifyChannel,
  MsgType,
  PersonRole,
  ReceiptKind,
  Severity,
  Status,
  Urgency,
  VehicleStatus,
} from '@cctns/proto';
import { BrokerError } from '../errors.js';

/** Limits on alert content; beyond them an alert is refused as FIELD_INVALID. */
export const CONTENT_LIMITS = {
  identifier: 128,
  text: 16_384,
  shortText: 512,
  infos: 8,
  persons: 100,
  vehicles: 100,
  listItems: 64,
  addressed: 2_000,
} as const;

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
/** Clock skew tolerated on `sent`. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

function known(
  value: number,
  enumObj: Record<string, string | number>,
  field: string,
  required: boolean,
): void {
  if (value === -1 || !Object.values(enumObj).includes(value))
    throw new BrokerError('ENUM_UNKNOWN', `${field} has an unknown value ${value}`);
  if (required && value === 0) throw new BrokerError('FIELD_INVALID', `${field} is required`);
}

function text(value: string, field: string, max: number = CONTENT_LIMITS.text): void {
  if (value.length > max)
    throw new BrokerError('FIELD_INVALID', `${field} is longer than ${max} characters`);
}

function list<T>(items: T[], field: string, max: number = CONTENT_LIMITS.listItems): void {
  if (items.length > max)
    throw new BrokerError('FIELD_INVALID', `${field} has more than ${max} items`);
}

/** Decodes protobuf bytes, mapping decoder failures to MALFORMED. */
export function decode<T>(codec: { decode(b: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new BrokerError('MALFORMED', `the ${what} cannot be decoded`, { cause });
  }
}

/** The moment an alert stops being delivered: the latest `expires` of its infos, or never. */
export function expiryOf(alert: Alert): Date | null {
  if (alert.info.length === 0 || alert.info.some((i) => !i.expires)) return null;
  return new Date(Math.max(...alert.info.map((i) => i.expires!.getTime())));
}

/**
 * Checks an alert's content: required CAP fields, known enum values (unknown ones are refused, not
 * passed on), lengths and counts. Addressing and references are checked by the intake.
 */
export function validateAlert(alert: Alert, now: Date): void {
  if (
    !alert.identifier ||
    alert.identifier.length > CONTENT_LIMITS.identifier ||
    !IDENTIFIER.test(alert.identifier)
  ) {
    throw new BrokerError(
      'FIELD_INVALID',
      `identifier must be 1-${CONTENT_LIMITS.identifier} characters of letters, digits and . _ : @ -`,
    );
  }
  if (!alert.sent) throw new BrokerError('FIELD_INVALID', 'sent is required');
  if (alert.sent.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS)
    throw new BrokerError('FIELD_INVALID', 'sent is in the future');
  known(alert.status, Status, 'status', true);
  known(alert.msgType, MsgType, 'msgType', true);
  known(alert.scope, CapScope, 'scope', true);
  list(alert.references, 'references');
  text(alert.note, 'note');
  if (
    (alert.msgType === MsgType.MSG_TYPE_UPDATE || alert.msgType === MsgType.MSG_TYPE_CANCEL) &&
    alert.references.length === 0
  ) {
    throw new BrokerError(
      'FIELD_INVALID',
      'an Update or Cancel must reference the alert it changes',
    );
  }
  if (alert.msgType === MsgType.MSG_TYPE_ALERT && alert.info.length === 0)
    throw new BrokerError('FIELD_INVALID', 'an alert needs at least one info block');
  list(alert.info, 'info', CONTENT_LIMITS.infos);
  for (const [i, info] of alert.info.entries()) {
    const f = `info[${i}]`;
    if (info.categories.length === 0)
      throw new BrokerError('FIELD_INVALID', `${f}.categories is required`);
    for (const c of info.categories) known(c, Category, `${f}.categories`, true);
    if (!info.event) throw new BrokerError('FIELD_INVALID', `${f}.event is required`);
    known(info.urgency, Urgency, `${f}.urgency`, true);
    known(info.severity, Severity, `${f}.severity`, true);
    known(info.certainty, Certainty, `${f}.certainty`, true);
    for (const k of ['language', 'event', 'senderName', 'headline', 'contact'] as const)
      text(info[k], `${f}.${k}`, CONTENT_LIMITS.shortText);
    text(info.description, `${f}.description`);
    text(info.instruction, `${f}.instruction`);
    list(info.areas, `${f}.areas`);
    if (info.effective && info.expires && info.expires < info.effective)
      throw new BrokerError('FIELD_INVALID', `${f}.expires is before effective`);
  }
  const to = alert.to;
  if (to) list([...to.stations, ...to.districts, ...to.states], 'to', CONTENT_LIMITS.addressed);
  const police = alert.police;
  if (police) {
    known(police.handling, HandlingCode, 'police.handling', false);
    list(police.notify, 'police.notify', 2);
    for (const [i, c] of police.notify.entries())
      known(c, NotifyChannel, `police.notify[${i}]`, true);
    list(police.persons, 'police.persons', CONTENT_LIMITS.persons);
    list(police.vehicles, 'police.vehicles', CONTENT_LIMITS.vehicles);
    text(police.modusOperandi, 'police.modusOperandi');
    text(police.firReference, 'police.firReference', CONTENT_LIMITS.shortText);
    text(police.caseReference, 'police.caseReference', CONTENT_LIMITS.shortText);
    for (const [i, p] of police.persons.entries()) {
      known(p.gender, Gender, `police.persons[${i}].gender`, false);
      known(p.role, PersonRole, `police.persons[${i}].role`, false);
      text(p.name, `police.persons[${i}].name`, CONTENT_LIMITS.shortText);
      list(p.aliases, `police.persons[${i}].aliases`);
      list(p.identifyingMarks, `police.persons[${i}].identifyingMarks`);
      list(p.photoRefs, `police.persons[${i}].photoRefs`);
      if (p.age > 150)
        throw new BrokerError('FIELD_INVALID', `police.persons[${i}].age is not a plausible age`);
    }
    for (const [i, v] of police.vehicles.entries())
      known(v.status, VehicleStatus, `police.vehicles[${i}].status`, false);
  }
}

/** Checks a receipt's content. */
export function validateReceipt(receipt: Receipt, now: Date): void {
  if (!receipt.alertId || receipt.alertId.length > CONTENT_LIMITS.identifier)
    throw new BrokerError('FIELD_INVALID', 'alertId is required');
  known(receipt.kind, ReceiptKind, 'kind', true);
  if (!receipt.at) throw new BrokerError('FIELD_INVALID', 'at is required');
  if (receipt.at.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS)
    throw new BrokerError('FIELD_INVALID', 'at is in the future');
  text(receipt.note, 'note', CONTENT_LIMITS.shortText);
}
