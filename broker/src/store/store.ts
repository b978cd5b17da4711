import type { AuditBody, AuditEntry, AuditFilter, AuditHead } from '@cctns/pki';
import type { TargetKey } from '../routing/targets.js';
import type { ExportItem, ImportReport } from './export.js';

/** What the ordered log holds: alerts, and receipts routed back to an alert's originator. */
export type EntryKind = 'alert' | 'receipt';

/** One entry of the broker's ordered log. */
export interface LogEntry {
  seq: number;
  kind: EntryKind;
  /** Alert identifier, or `<alertId>/<station>/<receiptKind>` for a receipt. */
  id: string;
  sender: string;
  targets: TargetKey[];
  /** After this the entry is no longer delivered; null = never expires. */
  expiresAt: Date | null;
  createdAt: Date;
  /** For receipts: the alert they refer to. For updates/cancels: the first referenced alert. */
  ref: string | null;
  /** The signed message exactly as received (compact JWS). */
  jws: string;
}

/** An entry before it has its sequence number. */
export type NewLogEntry = Omit<LogEntry, 'seq' | 'createdAt'> & {
  createdAt?: Date;
  /**
   * The backbone's stream sequence, which every broker (and replica) gives the same message, so
   * station cursors are portable. Must be higher than every sequence already in the log; when
   * absent the store numbers the entry itself.
   */
  seq?: number;
};

/** A receipt as the broker records it for supervision. */
export interface ReceiptRecord {
  alertId: string;
  station: string;
  kind: 'delivered' | 'read' | 'acknowledged';
  at: Date;
  note: string;
}

/** A station as the directory knows it. */
export interface StationRecord {
  identity: string;
  online: boolean;
  lastSeen: Date | null;
  cursor: number;
  certNotAfter: Date | null;
}

/** States of one outbound notification (SMS or email to one officer about one alert). */
export type NotificationState = 'pending' | 'sent' | 'delivered' | 'failed' | 'undelivered';

/** One outbound notification; `key` (alert × recipient × channel) makes it happen at most once. */
export interface NotificationRecord {
  key: string;
  alertId: string;
  station: string;
  contactId: string;
  channel: 'sms' | 'email';
  to: string;
  subject: string;
  text: string;
  state: NotificationState;
  attempts: number;
  /** When a pending notification may be (re)tried. */
  nextAttemptAt: Date;
  providerId: string | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The outcome of an idempotent append. */
/** One entry of `appendBatch`: a log entry, with the receipt it records if it is one. */
export interface LogAppend {
  entry: NewLogEntry;
  receipt?: ReceiptRecord | undefined;
}

/** The outcome of an append. */
export interface AppendResult {
  seq: number;
  /** True when an entry with the same kind and id was already in the log (its seq is returned). */
  duplicate: boolean;
}

/**
 * The broker's storage. SQLite is the embedded default; MongoDB implements the same interface
 * for production. Both pass the same conformance suite (`store/conformance.ts`).
 */
export interface BrokerStore {
  /** Appends an entry unless one with the same kind and id exists (idempotent). */
  append(entry: NewLogEntry): Promise<AppendResult>;
  /** Appends a receipt's log entry and records the receipt, atomically and idempotently. */
  appendReceipt(entry: NewLogEntry, receipt: ReceiptRecord): Promise<AppendResult>;
  /**
   * Appends several entries in order, as `append` (or `appendReceipt` where a receipt is given)
   * would one by one: the embedded store in one commit (all or none), MongoDB one by one.
   */
  appendBatch(items: readonly LogAppend[]): Promise<AppendResult[]>;
  /** An entry by kind and id. */
  get(kind: EntryKind, id: string): Promise<LogEntry | undefined>;
  /** Unexpired entries after `afterSeq` addressed to any of `keys`, in log order. */
  entriesFor(
    keys: readonly TargetKey[],
    afterSeq: number,
    opts: { limit: number; now: Date },
  ): Promise<LogEntry[]>;
  /** Every entry after `afterSeq`, expired or not, in log order (supervision sees everything). */
  entriesAfter(afterSeq: number, limit: number): Promise<LogEntry[]>;
  /** How many unexpired entries after `afterSeq` are addressed to any of `keys`. */
  countFor(keys: readonly TargetKey[], afterSeq: number, now: Date): Promise<number>;
  /** The highest sequence number in the log (0 when empty). */
  head(): Promise<number>;
  /** Receipts recorded for an alert. */
  receipts(alertId: string): Promise<ReceiptRecord[]>;
  /** Records a station's presence and certificate; creates it on first sight. */
  touchStation(
    identity: string,
    update: { online: boolean; certNotAfter?: Date; at: Date },
  ): Promise<void>;
  /** Moves a station's cursor forward (never back). */
  advanceCursor(identity: string, seq: number): Promise<void>;
  /** Moves several stations' cursors forward (never back) in one write. */
  advanceCursors(cursors: ReadonlyArray<{ identity: string; seq: number }>): Promise<void>;
  /** Stations whose identity starts with `prefix` (e.g. `station/MH/PUNE/`). */
  stations(prefix?: string): Promise<StationRecord[]>;
  /** Keeps the certificate chain a station last linked with (others seal records to it). */
  putStationCertificate(identity: string, chainPem: string, notAfter: Date): Promise<void>;
  /** The certificate chain a station last linked with, if it ever linked here. */
  stationCertificate(identity: string): Promise<string | undefined>;
  /** Marks every station offline (at start-up, after a crash). */
  resetPresence(): Promise<void>;
  /** Alerts added to the log after `since` that have not expired at `now`, oldest first. */
  recentAlerts(since: Date, now: Date, limit: number): Promise<LogEntry[]>;
  /** Queues a notification unless one with its key exists (idempotent across restarts); true when new. */
  enqueueNotification(
    n: Omit<NotificationRecord, 'state' | 'attempts' | 'providerId' | 'lastError' | 'updatedAt'>,
  ): Promise<boolean>;
  /** Pending notifications whose time has come, oldest first. */
  dueNotifications(now: Date, limit: number): Promise<NotificationRecord[]>;
  /** Records an attempt's outcome or a delivery report. */
  updateNotification(
    key: string,
    patch: Partial<
      Pick<NotificationRecord, 'state' | 'attempts' | 'nextAttemptAt' | 'providerId' | 'lastError'>
    > & { updatedAt: Date },
  ): Promise<void>;
  /** The notification a vendor's message id belongs to. */
  notificationByProviderId(providerId: string): Promise<NotificationRecord | undefined>;
  /** Notifications, optionally of one alert, oldest first. */
  notifications(filter?: { alertId?: string }): Promise<NotificationRecord[]>;
  /**
   * Appends to the hash-chained audit (one writer at a time: the sequence stays gap-free and
   * each entry links to the one before, whatever writes concurrently).
   */
  appendAudit(body: AuditBody): Promise<AuditEntry>;
  /**
   * Appends several entries in order in one transaction (one commit for a batch; the chain is the
   * same as appending them one by one).
   */
  appendAudits(bodies: readonly AuditBody[]): Promise<AuditEntry[]>;
  /** The audit's last sequence number and hash. */
  auditHead(): Promise<AuditHead>;
  /** Audit entries after `afterSeq`, in stored order (what verification walks). */
  auditEntries(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Audit entries matching a filter, oldest first (reports). */
  findAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  /** Keeps a signed checkpoint of the audit head. */
  addAuditCheckpoint(cp: { seq: number; hash: string; at: Date; jws: string }): Promise<void>;
  /** Signed checkpoints, oldest first. */
  auditCheckpoints(): Promise<string[]>;
  /**
   * Adds (no `id`) or replaces (with `id`, by its owner, at `expectedVersion`) a record, with the
   * search keys the broker computed for it, in one transaction. A new record gets the next id of
   * its kind (`person:MH-1`, ...); an `externalRef` already used by the owner updates that record
   * instead (idempotent imports).
   */
  putRecord(r: NewRecord): Promise<{ id: string; version: number; created: boolean }>;
  /** A record by id. */
  getRecord(id: string): Promise<StoredRecord | undefined>;
  /**
   * Records of a kind that carry any of `keys` and pass `filter` (pre-selection; the broker
   * scores), at most `limit`, at most `perKey` (default: all) read under each key, so a common key (Kumar,
   * Singh) costs no more than a rare one; those carrying the most keys first, then those found
   * under the rarest key (`store/preselect.ts`).
   */
  findRecords(
    kind: RecordKind,
    keys: readonly string[],
    filter: RecordFilter,
    limit: number,
    perKey?: number,
  ): Promise<StoredRecord[]>;
  /** How many records of each kind the store holds. */
  countRecords(): Promise<Record<RecordKind, number>>;
  /**
   * Everything the store holds, as the items of a dump (`store/export.ts`): a consistent
   * snapshot, in a fixed order, so the same state always gives the same items.
   */
  exportAll(): AsyncIterable<ExportItem>;
  /**
   * Loads a dump into this store, which must be empty (STORE_NOT_EMPTY otherwise), keeping
   * sequence numbers, hashes and bodies exactly; a malformed or cut dump is DUMP_INVALID.
   */
  importAll(items: AsyncIterable<ExportItem>): Promise<ImportReport>;
  close(): Promise<void>;
}

/** The kinds of record. */
export type RecordKind = 'person' | 'vehicle' | 'case';

/** A record as the store keeps it: the encoded `Record` message plus what it is selected by. */
export interface StoredRecord {
  id: string;
  kind: RecordKind;
  owner: string;
  district: string;
  externalRef: string | null;
  version: number;
  updatedAt: Date;
  /** `PersonStatus` / `VehicleRecordStatus` / `CaseStatus` number. */
  status: number;
  gender: number;
  age: number;
  /** The encoded `Record` (protobuf), id and version included. */
  body: Uint8Array;
  /** The names prepared when it was written (`records/prepared.ts`); null when none were. */
  names: string | null;
}

/** What `putRecord` takes. `encode` receives the id and version the store settles on. */
export interface NewRecord {
  id?: string;
  kind: RecordKind;
  owner: string;
  district: string;
  externalRef?: string;
  /** Required with `id`: the version the owner last saw (optimistic concurrency). */
  expectedVersion?: number;
  status: number;
  gender: number;
  age: number;
  keys: readonly string[];
  /** A person's names prepared for scoring (`records/prepared.ts`), kept as it is. */
  names?: string;
  encode: (id: string, version: number, updatedAt: Date) => Uint8Array;
  at: Date;
  /** The state in ids, e.g. `MH`. */
  state: string;
}

/** Filters applied with the key pre-selection (0 / empty: any). */
export interface RecordFilter {
  district?: string;
  status?: number;
  gender?: number;
  ageFrom?: number;
  ageTo?: number;
}
