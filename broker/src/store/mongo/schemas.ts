import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One schema per collection of the MongoDB store, with its indexes declared here (and created
 * at start-up, `MongoBrokerStore.connect`). Every schema is strict both ways: writing a field
 * the schema does not know throws, and so does filtering on one (a dropped filter would widen
 * a query silently).
 */
const options = (collection: string) => ({
  collection,
  strict: 'throw' as const,
  strictQuery: 'throw' as const,
  versionKey: false as const,
  // The `id` virtual would shadow the log's and records' own `id` field.
  id: false,
  // Indexes and collections are made once, explicitly, when the store connects.
  autoIndex: false,
  autoCreate: false,
});

/** A string that must be present but may be empty (`required` refuses ''). */
const text = {
  type: String,
  validate: {
    validator: (v: unknown) => typeof v === 'string',
    message: 'must be a string',
  },
};
const name = { type: String, required: true };
const nullableString = { type: String, default: null };
const nullableDate = { type: Date, default: null };
const int = (min: number) => ({
  type: Number,
  required: true,
  min,
  validate: { validator: Number.isSafeInteger, message: 'must be an integer' },
});

/** A log document. */
export interface LogDoc {
  _id: number;
  kind: 'alert' | 'receipt';
  id: string;
  sender: string;
  targets: string[];
  expiresAt: Date | null;
  createdAt: Date;
  ref: string | null;
  jws: string;
}

/** A receipt document. */
export interface ReceiptDoc {
  alertId: string;
  station: string;
  kind: 'delivered' | 'read' | 'acknowledged';
  at: Date;
  note: string;
}

/** A station document. */
export interface StationDoc {
  _id: string;
  online: boolean;
  lastSeen: Date | null;
  cursor: number;
  certNotAfter: Date | null;
}

/** A station certificate document. */
export interface StationCertDoc {
  _id: string;
  chainPem: string;
  notAfter: Date;
}

/** A notification document. */
export interface NotificationDoc {
  _id: string;
  alertId: string;
  station: string;
  contactId: string;
  channel: 'sms' | 'email';
  to: string;
  subject: string;
  text: string;
  state: 'pending' | 'sent' | 'delivered' | 'failed' | 'undelivered';
  attempts: number;
  nextAttemptAt: Date;
  providerId: string | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A record document. */
export interface RecordDoc {
  _id: string;
  kind: 'person' | 'vehicle' | 'case';
  owner: string;
  district: string;
  externalRef: string | null;
  version: number;
  updatedAt: Date;
  status: number;
  gender: number;
  age: number;
  body: Buffer;
  keys: string[];
  /** Names prepared for scoring (`records/prepared.ts`); null or absent when none were. */
  names?: string | null;
}

/** A counter document. */
export interface CounterDoc {
  _id: string;
  next: number;
}

/** An audit document. */
export interface AuditDoc {
  _id: number;
  prevHash: string;
  hash: string;
  body: string;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
}

/** A checkpoint document. */
export interface AuditCheckpointDoc {
  seq: number;
  hash: string;
  at: Date;
  jws: string;
}

/** The ordered log: `_id` is the sequence number. */
export const logSchema = new Schema<LogDoc>(
  {
    _id: int(1),
    kind: { type: String, required: true, enum: ['alert', 'receipt'] },
    id: name,
    sender: name,
    targets: { type: [String], required: true },
    expiresAt: nullableDate,
    createdAt: { type: Date, required: true },
    ref: nullableString,
    jws: name,
  },
  options('log'),
);
// One entry per kind and id (idempotent appends).
logSchema.index({ kind: 1, id: 1 }, { unique: true, name: 'kind_id' });
// A station's catch-up: entries addressed to its keys after its cursor (multikey on targets).
logSchema.index({ targets: 1, _id: 1 }, { name: 'targets_seq' });
// Recent alerts (console start-up, escalation).
logSchema.index({ kind: 1, createdAt: 1 }, { name: 'kind_created' });

/** Receipts for supervision, one per alert, station and kind. */
export const receiptSchema = new Schema<ReceiptDoc>(
  {
    alertId: name,
    station: name,
    kind: { type: String, required: true, enum: ['delivered', 'read', 'acknowledged'] },
    at: { type: Date, required: true },
    note: text,
  },
  options('receipts'),
);
receiptSchema.index(
  { alertId: 1, station: 1, kind: 1 },
  { unique: true, name: 'alert_station_kind' },
);

/** The station directory: `_id` is the identity (prefix searches use the `_id` index). */
export const stationSchema = new Schema<StationDoc>(
  {
    _id: name,
    online: { type: Boolean, required: true },
    lastSeen: nullableDate,
    cursor: int(0),
    certNotAfter: nullableDate,
  },
  options('stations'),
);

/** The certificate chain each station last linked with. */
export const stationCertSchema = new Schema<StationCertDoc>(
  {
    _id: name,
    chainPem: name,
    notAfter: { type: Date, required: true },
  },
  options('stationCerts'),
);

/** Outbound SMS and email: `_id` is the key (alert × recipient × channel), so at most once. */
export const notificationSchema = new Schema<NotificationDoc>(
  {
    _id: name,
    alertId: name,
    station: name,
    contactId: text,
    channel: { type: String, required: true, enum: ['sms', 'email'] },
    to: text,
    subject: text,
    text: text,
    state: {
      type: String,
      required: true,
      enum: ['pending', 'sent', 'delivered', 'failed', 'undelivered'],
    },
    attempts: int(0),
    nextAttemptAt: { type: Date, required: true },
    providerId: nullableString,
    lastError: nullableString,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  options('notifications'),
);
notificationSchema.index({ state: 1, nextAttemptAt: 1 }, { name: 'due' });
notificationSchema.index({ alertId: 1, createdAt: 1 }, { name: 'alert' });
notificationSchema.index(
  { providerId: 1 },
  { name: 'provider', partialFilterExpression: { providerId: { $type: 'string' } } },
);

/** Records, with their search keys in a multikey array. `_id` is the record id. */
export const recordSchema = new Schema<RecordDoc>(
  {
    _id: name,
    kind: { type: String, required: true, enum: ['person', 'vehicle', 'case'] },
    owner: name,
    district: text,
    externalRef: nullableString,
    version: int(1),
    updatedAt: { type: Date, required: true },
    status: int(0),
    gender: int(0),
    age: int(0),
    // Present, though it may be empty (`required` would refuse an empty buffer).
    body: {
      type: Buffer,
      required: [
        function (this: { body?: unknown }) {
          return this.body === undefined || this.body === null;
        },
        'Path `body` is required.',
      ],
    },
    keys: { type: [String], required: true },
    names: nullableString,
  },
  options('records'),
);
// Key pre-selection for lookups, per kind.
recordSchema.index({ kind: 1, keys: 1 }, { name: 'kind_keys' });
// An owner's external reference names one record (records without one are not constrained).
recordSchema.index(
  { owner: 1, externalRef: 1 },
  {
    unique: true,
    name: 'owner_external_ref',
    partialFilterExpression: { externalRef: { $type: 'string' } },
  },
);

/**
 * Named counters and write locks: `record:<kind>` holds the next id number of a kind; `log`
 * and `audit` are documents every appender writes first in its transaction, so concurrent
 * appenders conflict there and run one after the other (gap-free sequences).
 */
export const counterSchema = new Schema<CounterDoc>(
  {
    _id: name,
    next: { type: Number, default: 0 },
  },
  options('counters'),
);

/** The hash-chained audit: `_id` is the sequence number; `body` is the canonical JSON hashed. */
export const auditSchema = new Schema<AuditDoc>(
  {
    _id: int(1),
    prevHash: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
    hash: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
    body: name,
    // Pre-selection only: reports and verification read the hashed body.
    at: { type: Date, required: true },
    actor: text,
    action: name,
    subject: nullableString,
  },
  options('audit'),
);
auditSchema.index({ actor: 1, at: 1 }, { name: 'actor_at' });
auditSchema.index({ action: 1, at: 1 }, { name: 'action_at' });
auditSchema.index({ subject: 1 }, { name: 'subject' });
auditSchema.index({ at: 1 }, { name: 'at' });

/** Signed checkpoints of the audit head, in the order they were made. */
export const auditCheckpointSchema = new Schema<AuditCheckpointDoc>(
  {
    seq: int(0),
    hash: name,
    at: { type: Date, required: true },
    jws: name,
  },
  options('auditCheckpoints'),
);
auditCheckpointSchema.index({ at: 1, _id: 1 }, { name: 'at' });

/** The store's models, by name. */
export interface StoreModels {
  Log: Model<LogDoc>;
  Receipt: Model<ReceiptDoc>;
  Station: Model<StationDoc>;
  StationCert: Model<StationCertDoc>;
  Notification: Model<NotificationDoc>;
  Record: Model<RecordDoc>;
  Counter: Model<CounterDoc>;
  Audit: Model<AuditDoc>;
  AuditCheckpoint: Model<AuditCheckpointDoc>;
}

/** The models of the store on one connection. */
export function storeModels(conn: Connection): StoreModels {
  // Typed through StoreModels: letting mongoose infer model types from the schemas costs the
  // type checker minutes and gigabytes.
  const model = (name: string, schema: unknown): unknown =>
    conn.models[name] ?? conn.model(name, schema as Schema);
  return {
    Log: model('Log', logSchema),
    Receipt: model('Receipt', receiptSchema),
    Station: model('Station', stationSchema),
    StationCert: model('StationCert', stationCertSchema),
    Notification: model('Notification', notificationSchema),
    Record: model('Record', recordSchema),
    Counter: model('Counter', counterSchema),
    Audit: model('Audit', auditSchema),
    AuditCheckpoint: model('AuditCheckpoint', auditCheckpointSchema),
  } as StoreModels;
}

/** Every schema of the store, by collection name (for index checks). */
export const SCHEMAS = {
  log: logSchema,
  receipts: receiptSchema,
  stations: stationSchema,
  stationCerts: stationCertSchema,
  notifications: notificationSchema,
  records: recordSchema,
  counters: counterSchema,
  audit: auditSchema,
  auditCheckpoints: auditCheckpointSchema,
} as const;
