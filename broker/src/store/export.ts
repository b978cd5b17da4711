import { entryHash, GENESIS_HASH } from '@cctns/pki';
import { BrokerError } from '../errors.js';
import type {
  LogEntry,
  NotificationRecord,
  ReceiptRecord,
  RecordKind,
  StationRecord,
  StoredRecord,
} from './store.js';

/**
 * The store's export format: JSON Lines, one item per line, each with a `type`. A dump begins
 * with a `header` and ends with an `end` that counts every other item, so a file cut short is
 * refused. Sections come in a fixed order and each is sorted, so the same state always exports
 * to the same bytes, whichever store (SQLite or MongoDB) it comes from.
 */
export const EXPORT_FORMAT = 'cctns-broker-store';
/** The version of the format this code writes and reads. */
export const EXPORT_VERSION = 1;

/** The item types that carry data, in the order a dump lists them. */
export const SECTIONS = [
  'log',
  'receipt',
  'station',
  'stationCert',
  'notification',
  'record',
  'recordCounter',
  'audit',
  'auditCheckpoint',
] as const;

/** One data section of a dump. */
export type Section = (typeof SECTIONS)[number];

/** Times are ISO 8601 UTC strings with milliseconds; `null` stays `null`. */
type Time = string;

/** One line of a dump. */
export type ExportItem =
  | { type: 'header'; format: typeof EXPORT_FORMAT; version: typeof EXPORT_VERSION }
  | {
      type: 'log';
      seq: number;
      kind: 'alert' | 'receipt';
      id: string;
      sender: string;
      targets: string[];
      expiresAt: Time | null;
      createdAt: Time;
      ref: string | null;
      jws: string;
    }
  | {
      type: 'receipt';
      alertId: string;
      station: string;
      kind: ReceiptRecord['kind'];
      at: Time;
      note: string;
    }
  | {
      type: 'station';
      identity: string;
      online: boolean;
      lastSeen: Time | null;
      cursor: number;
      certNotAfter: Time | null;
    }
  | { type: 'stationCert'; identity: string; chainPem: string; notAfter: Time }
  | {
      type: 'notification';
      key: string;
      alertId: string;
      station: string;
      contactId: string;
      channel: 'sms' | 'email';
      to: string;
      subject: string;
      text: string;
      state: NotificationRecord['state'];
      attempts: number;
      nextAttemptAt: Time;
      providerId: string | null;
      lastError: string | null;
      createdAt: Time;
      updatedAt: Time;
    }
  | {
      type: 'record';
      id: string;
      kind: RecordKind;
      owner: string;
      district: string;
      externalRef: string | null;
      version: number;
      updatedAt: Time;
      status: number;
      gender: number;
      age: number;
      /** The encoded record, base64. */
      body: string;
      /** Its search keys, sorted, each once. */
      keys: string[];
      /**
       * Its names prepared for scoring (`records/prepared.ts`), null when it has none; absent in
       * dumps made before names were stored, which import as null.
       */
      names?: string | null;
    }
  | { type: 'recordCounter'; kind: RecordKind; next: number }
  | {
      type: 'audit';
      seq: number;
      prevHash: string;
      hash: string;
      /** The body exactly as stored (canonical JSON text), so hashes verify byte for byte. */
      body: string;
    }
  | { type: 'auditCheckpoint'; seq: number; hash: string; at: Time; jws: string }
  | { type: 'end'; counts: Record<Section, number> };

/** An item of one type. */
export type ItemOf<T extends ExportItem['type']> = Extract<ExportItem, { type: T }>;

/** What an import did. */
export interface ImportReport {
  counts: Record<Section, number>;
  /** The imported audit, checked entry by entry as it streamed in. */
  audit: { entries: number; head: string; chainOk: boolean; firstProblemSeq: number | null };
}

const iso = (d: Date): Time => d.toISOString();
const isoOrNull = (d: Date | null): Time | null => (d === null ? null : d.toISOString());

/** The first line of every dump. */
export function headerItem(): ItemOf<'header'> {
  return { type: 'header', format: EXPORT_FORMAT, version: EXPORT_VERSION };
}

/** A log entry as a dump line. */
export function logItem(e: LogEntry): ItemOf<'log'> {
  return {
    type: 'log',
    seq: e.seq,
    kind: e.kind,
    id: e.id,
    sender: e.sender,
    targets: [...e.targets],
    expiresAt: isoOrNull(e.expiresAt),
    createdAt: iso(e.createdAt),
    ref: e.ref,
    jws: e.jws,
  };
}

/** A receipt as a dump line. */
export function receiptItem(r: ReceiptRecord): ItemOf<'receipt'> {
  return {
    type: 'receipt',
    alertId: r.alertId,
    station: r.station,
    kind: r.kind,
    at: iso(r.at),
    note: r.note,
  };
}

/** A directory entry (presence and cursor) as a dump line. */
export function stationItem(s: StationRecord): ItemOf<'station'> {
  return {
    type: 'station',
    identity: s.identity,
    online: s.online,
    lastSeen: isoOrNull(s.lastSeen),
    cursor: s.cursor,
    certNotAfter: isoOrNull(s.certNotAfter),
  };
}

/** A station's certificate chain as a dump line. */
export function stationCertItem(
  identity: string,
  chainPem: string,
  notAfter: Date,
): ItemOf<'stationCert'> {
  return { type: 'stationCert', identity, chainPem, notAfter: iso(notAfter) };
}

/** A notification as a dump line. */
export function notificationItem(n: NotificationRecord): ItemOf<'notification'> {
  return {
    type: 'notification',
    key: n.key,
    alertId: n.alertId,
    station: n.station,
    contactId: n.contactId,
    channel: n.channel,
    to: n.to,
    subject: n.subject,
    text: n.text,
    state: n.state,
    attempts: n.attempts,
    nextAttemptAt: iso(n.nextAttemptAt),
    providerId: n.providerId,
    lastError: n.lastError,
    createdAt: iso(n.createdAt),
    updatedAt: iso(n.updatedAt),
  };
}

/** A record and its search keys as a dump line. */
export function recordItem(r: StoredRecord, keys: readonly string[]): ItemOf<'record'> {
  return {
    type: 'record',
    id: r.id,
    kind: r.kind,
    owner: r.owner,
    district: r.district,
    externalRef: r.externalRef,
    version: r.version,
    updatedAt: iso(r.updatedAt),
    status: r.status,
    gender: r.gender,
    age: r.age,
    body: Buffer.from(r.body).toString('base64'),
    keys: sortedUnique(keys),
    names: r.names,
  };
}

/** The next id number of a record kind as a dump line. */
export function recordCounterItem(kind: RecordKind, next: number): ItemOf<'recordCounter'> {
  return { type: 'recordCounter', kind, next };
}

/** An audit entry, its body as stored, as a dump line. */
export function auditItem(
  seq: number,
  prevHash: string,
  hash: string,
  body: string,
): ItemOf<'audit'> {
  return { type: 'audit', seq, prevHash, hash, body };
}

/** A signed audit checkpoint as a dump line. */
export function auditCheckpointItem(cp: {
  seq: number;
  hash: string;
  at: Date;
  jws: string;
}): ItemOf<'auditCheckpoint'> {
  return { type: 'auditCheckpoint', seq: cp.seq, hash: cp.hash, at: iso(cp.at), jws: cp.jws };
}

/** Keys each once, in the order both stores sort strings (see `compareBinary`). */
export function sortedUnique(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort(compareBinary);
}

/**
 * Orders strings as SQLite's BINARY collation and MongoDB's simple collation do: by UTF-8
 * bytes, which is code point order (JavaScript's `<` compares UTF-16 units and differs beyond
 * the Basic Multilingual Plane).
 */
export function compareBinary(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Zero counts for every section. */
export function emptyCounts(): Record<Section, number> {
  return Object.fromEntries(SECTIONS.map((s) => [s, 0])) as Record<Section, number>;
}

/**
 * Wraps a store's sections into a whole dump: the header, every section in order (counted),
 * and the `end` line.
 */
export async function* framed(
  sections: Record<Section, () => AsyncIterable<ExportItem>>,
): AsyncGenerator<ExportItem> {
  yield headerItem();
  const counts = emptyCounts();
  for (const s of SECTIONS) {
    for await (const item of sections[s]()) {
      counts[s]++;
      yield item;
    }
  }
  yield { type: 'end', counts };
}

/** One line of a dump (no newline). */
export function exportLine(item: ExportItem): string {
  return JSON.stringify(item);
}

function invalid(where: string, why: string): BrokerError {
  return new BrokerError('DUMP_INVALID', `${where}: ${why}`);
}

/**
 * Checks one parsed line against the format, field by field (no field missing, none extra,
 * each of its type), and returns it typed. `where` names the line in messages.
 */
export function checkItem(raw: unknown, where: string): ExportItem {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(where, 'not a JSON object');
  const o = raw as Record<string, unknown>;
  const type = o['type'];
  // Own properties only: `"constructor"` or `"__proto__"` are no item type or field.
  const spec =
    typeof type === 'string' && Object.hasOwn(FIELDS, type)
      ? FIELDS[type as ExportItem['type']]
      : undefined;
  if (!spec) throw invalid(where, `unknown item type ${JSON.stringify(type)}`);
  for (const key of Object.keys(o))
    if (key !== 'type' && !Object.hasOwn(spec, key))
      throw invalid(where, `unexpected field ${key}`);
  for (const [key, check] of Object.entries(spec)) {
    if (!(key in o)) {
      if (OPTIONAL.has(`${type as string}.${key}`)) continue;
      throw invalid(where, `${type} without ${key}`);
    }
    const why = check(o[key]);
    if (why) throw invalid(where, `${type}.${key} ${why}`);
  }
  return o as ExportItem;
}

/** Parses and checks one line of a dump. */
export function parseExportLine(line: string, lineNo: number): ExportItem {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw invalid(`line ${lineNo}`, 'not JSON');
  }
  return checkItem(raw, `line ${lineNo}`);
}

type Check = (v: unknown) => string | undefined;
const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const nonEmpty: Check = (v) =>
  typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string';
const strOrNull: Check = (v) => (v === null ? undefined : str(v));
const int: Check = (v) => (Number.isSafeInteger(v) ? undefined : 'must be an integer');
const positive: Check = (v) =>
  Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'must be a positive integer';
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const time: Check = (v) =>
  typeof v === 'string' &&
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) &&
  !isNaN(Date.parse(v))
    ? undefined
    : 'must be an ISO 8601 UTC time with milliseconds';
const timeOrNull: Check = (v) => (v === null ? undefined : time(v));
const hex64: Check = (v) =>
  typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : 'must be a SHA-256 hex digest';
const oneOf =
  (...values: readonly unknown[]): Check =>
  (v) =>
    values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
const strings: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'must be strings';
const base64: Check = (v) =>
  typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0
    ? undefined
    : 'must be base64';
const counts: Check = (v) => {
  if (v === null || typeof v !== 'object') return 'must be an object';
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length !== SECTIONS.length || SECTIONS.some((s) => int(o[s])))
    return `must count ${SECTIONS.join(', ')}`;
  return undefined;
};
const KINDS = ['person', 'vehicle', 'case'] as const;

/** Fields added after the format's first version: older dumps lack them and still import. */
const OPTIONAL = new Set(['record.names']);

const FIELDS: Record<ExportItem['type'], Record<string, Check>> = {
  header: { format: oneOf(EXPORT_FORMAT), version: oneOf(EXPORT_VERSION) },
  log: {
    seq: positive,
    kind: oneOf('alert', 'receipt'),
    id: nonEmpty,
    sender: nonEmpty,
    targets: strings,
    expiresAt: timeOrNull,
    createdAt: time,
    ref: strOrNull,
    jws: nonEmpty,
  },
  receipt: {
    alertId: nonEmpty,
    station: nonEmpty,
    kind: oneOf('delivered', 'read', 'acknowledged'),
    at: time,
    note: str,
  },
  station: {
    identity: nonEmpty,
    online: bool,
    lastSeen: timeOrNull,
    cursor: int,
    certNotAfter: timeOrNull,
  },
  stationCert: { identity: nonEmpty, chainPem: nonEmpty, notAfter: time },
  notification: {
    key: nonEmpty,
    alertId: nonEmpty,
    station: nonEmpty,
    contactId: str,
    channel: oneOf('sms', 'email'),
    to: str,
    subject: str,
    text: str,
    state: oneOf('pending', 'sent', 'delivered', 'failed', 'undelivered'),
    attempts: int,
    nextAttemptAt: time,
    providerId: strOrNull,
    lastError: strOrNull,
    createdAt: time,
    updatedAt: time,
  },
  record: {
    id: nonEmpty,
    kind: oneOf(...KINDS),
    owner: nonEmpty,
    district: str,
    externalRef: strOrNull,
    version: positive,
    updatedAt: time,
    status: int,
    gender: int,
    age: int,
    body: base64,
    keys: strings,
    names: strOrNull,
  },
  recordCounter: { kind: oneOf(...KINDS), next: positive },
  audit: { seq: positive, prevHash: hex64, hash: hex64, body: str },
  auditCheckpoint: { seq: int, hash: str, at: time, jws: nonEmpty },
  end: { counts },
};

/**
 * Reads a dump item by item for a store's import: checks the header comes first, sections come
 * in order, and the `end` line's counts match what came; hands each data item to `put`. The
 * audit chain is followed as it streams (the report says whether it verifies; an import copies
 * a broken audit faithfully, as evidence, and does not refuse it).
 */
export async function readDump(
  items: AsyncIterable<ExportItem>,
  put: (item: Exclude<ExportItem, { type: 'header' | 'end' }>) => void | Promise<void>,
): Promise<ImportReport> {
  const counts = emptyCounts();
  let n = 0;
  let section = -1;
  let ended = false;
  const audit = new ChainFollower();
  for await (const raw of items) {
    n++;
    const item = checkItem(raw, `item ${n}`);
    if (ended) throw invalid(`item ${n}`, 'data after the end line');
    if (n === 1) {
      if (item.type !== 'header') throw invalid('item 1', `a dump starts with a header line`);
      continue;
    }
    if (item.type === 'header') throw invalid(`item ${n}`, 'a second header');
    if (item.type === 'end') {
      for (const s of SECTIONS)
        if (item.counts[s] !== counts[s])
          throw invalid(
            `item ${n}`,
            `the end line counts ${item.counts[s]} ${s} items, the dump holds ${counts[s]}`,
          );
      ended = true;
      continue;
    }
    const at = SECTIONS.indexOf(item.type);
    if (at < section)
      throw invalid(`item ${n}`, `${item.type} after ${SECTIONS[section]} (sections out of order)`);
    section = at;
    counts[item.type]++;
    if (item.type === 'audit') audit.follow(item);
    await put(item);
  }
  if (n === 0) throw invalid('dump', 'empty');
  if (!ended) throw invalid('dump', 'no end line: the file was cut short');
  return { counts, audit: audit.report() };
}

/** Follows a hash chain entry by entry, remembering the first entry that breaks it. */
class ChainFollower {
  private prevSeq = 0;
  private prevHash = GENESIS_HASH;
  private entries = 0;
  private firstProblem: number | null = null;

  follow(e: ItemOf<'audit'>): void {
    this.entries++;
    let body: unknown;
    try {
      body = JSON.parse(e.body);
    } catch {
      body = undefined;
    }
    const ok =
      body !== undefined &&
      e.seq === this.prevSeq + 1 &&
      e.prevHash === this.prevHash &&
      entryHash(e.prevHash, e.seq, body) === e.hash;
    if (!ok && this.firstProblem === null) this.firstProblem = e.seq;
    this.prevSeq = e.seq;
    this.prevHash = e.hash;
  }

  report(): ImportReport['audit'] {
    return {
      entries: this.entries,
      head: this.prevHash,
      chainOk: this.firstProblem === null,
      firstProblemSeq: this.firstProblem,
    };
  }
}

/** Fields of an audit body that stores index (pre-selection only; the hashed body decides). */
export function auditColumns(body: string): {
  at: number;
  actor: string;
  action: string;
  subject: string | null;
} {
  let b: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object') b = parsed as Record<string, unknown>;
  } catch {
    // An unreadable body is kept as it is; verification reports it.
  }
  const at = typeof b['at'] === 'string' ? Date.parse(b['at']) : NaN;
  return {
    at: Number.isFinite(at) ? at : 0,
    actor: typeof b['actor'] === 'string' ? b['actor'] : '',
    action: typeof b['action'] === 'string' ? b['action'] : 'unreadable',
    subject: typeof b['subject'] === 'string' ? b['subject'] : null,
  };
}
