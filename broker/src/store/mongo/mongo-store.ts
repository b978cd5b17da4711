import { setTimeout as sleep } from 'node:timers/promises';
import {
  createConnection,
  mongo,
  type ClientSession,
  type Connection,
  type Model,
  type QueryFilter,
} from 'mongoose';
import {
  auditEntry,
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  type AuditBody,
  type AuditEntry,
  type AuditFilter,
  type AuditHead,
} from '@cctns/pki';
import type { TargetKey } from '../../routing/targets.js';
import { BrokerError } from '../../errors.js';
import { checkRecordPut } from '../record-rules.js';
import { preselect, type KeyIndex } from '../preselect.js';
import {
  auditCheckpointItem,
  auditColumns,
  auditItem,
  framed,
  logItem,
  notificationItem,
  readDump,
  receiptItem,
  recordCounterItem,
  recordItem,
  sortedUnique,
  stationCertItem,
  stationItem,
  type ExportItem,
  type ImportReport,
} from '../export.js';
import type {
  AppendResult,
  LogAppend,
  BrokerStore,
  EntryKind,
  LogEntry,
  NewLogEntry,
  NewRecord,
  NotificationRecord,
  ReceiptRecord,
  RecordFilter,
  RecordKind,
  StationRecord,
  StoredRecord,
} from '../store.js';
import {
  connectionOptions,
  redactUri,
  scrub,
  topologyProblem,
  type HelloReply,
} from './connect.js';
import {
  afterFilter,
  auditFilter,
  checkFilter,
  entriesForFilter,
  entryFilter,
  num,
  range,
  recentAlertsFilter,
  recordsByIdFilter,
  recordsPipeline,
  stationsFilter,
  text,
} from './query.js';
import {
  storeModels,
  type AuditDoc,
  type LogDoc,
  type NotificationDoc,
  type ReceiptDoc,
  type RecordDoc,
  type StationDoc,
  type StoreModels,
} from './schemas.js';

/** Options of `MongoBrokerStore.connect`. */
export interface MongoStoreOptions {
  /** The database (default: the one the URI names, else `cctns`). */
  dbName?: string;
  /** How long to look for a usable server before giving up, ms. */
  serverSelectionTimeoutMS?: number;
}

/** Transactions read one snapshot and commit to a majority (they survive a failover). */
const TXN = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
} as const;
/** Rows per bulk insert in an import. */
const BATCH = 1000;
const DUPLICATE_KEY = 11000;
const COUNTER_LOG = 'log';
const COUNTER_AUDIT = 'audit';
const recordCounter = (kind: string) => `record:${kind}`;

/** Filters are built and checked in query.ts; mongoose's static filter types cannot follow them. */
const where = <T>(filter: object) => filter as QueryFilter<T>;

const isDuplicateKey = (err: unknown) => (err as { code?: unknown })?.code === DUPLICATE_KEY;

/**
 * The production store: MongoDB through mongoose, on a replica set. Appends to the log and the
 * audit run in transactions that first write a per-sequence lock document, so concurrent
 * writers (in this process or in other brokers on the same database) are serialised by
 * MongoDB's write-conflict detection and the sequences stay gap-free and ordered.
 */
export class MongoBrokerStore implements BrokerStore {
  private constructor(
    private readonly conn: Connection,
    private readonly m: StoreModels,
  ) {}

  /**
   * Connects, checks the server can run transactions (a standalone server is refused with
   * CONFIG_INVALID), and creates the collections and the indexes the schemas declare.
   * An unreachable server is STORE_UNAVAILABLE; neither message carries the URI's password.
   */
  static async connect(uri: string, opts: MongoStoreOptions = {}): Promise<MongoBrokerStore> {
    const conn = createConnection();
    try {
      await conn.openUri(uri, {
        ...connectionOptions(uri),
        ...(opts.dbName ? { dbName: opts.dbName } : {}),
        ...(opts.serverSelectionTimeoutMS
          ? { serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS }
          : {}),
      });
    } catch (cause) {
      await conn.close().catch(() => undefined);
      throw new BrokerError(
        'STORE_UNAVAILABLE',
        `cannot reach MongoDB at ${redactUri(uri)}: ${scrub((cause as Error).message, uri)}`,
        { cause },
      );
    }
    try {
      const hello = (await conn.db!.admin().command({ hello: 1 })) as HelloReply;
      const problem = topologyProblem(hello);
      if (problem)
        throw new BrokerError(
          'CONFIG_INVALID',
          `config field store (${redactUri(uri)}): ${problem}`,
        );
      const models = storeModels(conn);
      for (const model of Object.values(models) as Array<Model<unknown>>) {
        await model.createCollection();
        await model.createIndexes();
      }
      return new MongoBrokerStore(conn, models);
    } catch (err) {
      await conn.close().catch(() => undefined);
      if (err instanceof BrokerError) throw err;
      throw new BrokerError(
        'STORE_UNAVAILABLE',
        `MongoDB at ${redactUri(uri)} refused the store's start-up: ${scrub((err as Error).message, uri)}`,
        { cause: err },
      );
    }
  }

  /** The database this store uses. */
  get databaseName(): string {
    return this.conn.name;
  }

  /**
   * Runs `fn` in a transaction. The driver retries transient conflicts (two appenders writing
   * the same lock document); a duplicate key from a concurrent insert is retried here.
   */
  private async txn<T>(fn: (s: ClientSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.conn.transaction(fn, TXN);
      } catch (err) {
        if (attempt < 5 && isDuplicateKey(err)) {
          await sleep(attempt * 5 + Math.random() * 10);
          continue;
        }
        throw err;
      }
    }
  }

  /** Writes the lock document `name`: concurrent transactions that do the same conflict. */
  private async lock(name: string, s: ClientSession): Promise<void> {
    await this.m.Counter.updateOne(
      { _id: name },
      { $inc: { next: 1 } },
      { upsert: true, session: s },
    );
  }

  /** Runs a single-document upsert, retrying once the race of two first upserts of one key. */
  private async upsert(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await op();
    }
  }

  private async appendIn(entry: NewLogEntry, s: ClientSession): Promise<AppendResult> {
    await this.lock(COUNTER_LOG, s);
    const existing = await this.m.Log.findOne(where<LogDoc>(entryFilter(entry.kind, entry.id)), {
      _id: 1,
    })
      .session(s)
      .lean();
    if (existing) return { seq: existing._id, duplicate: true };
    const head = await this.headIn(s);
    if (entry.seq !== undefined && entry.seq <= head)
      throw new Error(`log sequence ${entry.seq} is not after the head; the log only grows`);
    const seq = entry.seq ?? head + 1;
    await this.m.Log.create(
      [
        {
          _id: seq,
          kind: entry.kind,
          id: entry.id,
          sender: entry.sender,
          targets: [...entry.targets],
          expiresAt: entry.expiresAt,
          createdAt: entry.createdAt ?? new Date(),
          ref: entry.ref,
          jws: entry.jws,
        },
      ],
      { session: s },
    );
    return { seq, duplicate: false };
  }

  private async headIn(s?: ClientSession): Promise<number> {
    const q = this.m.Log.findOne({}, { _id: 1 }).sort({ _id: -1 });
    const last = await (s ? q.session(s) : q).lean();
    return last?._id ?? 0;
  }

  async append(entry: NewLogEntry): Promise<AppendResult> {
    // Most appends of a known entry (replays, replicas) end here, without a transaction.
    const known = await this.m.Log.findOne(where<LogDoc>(entryFilter(entry.kind, entry.id)), {
      _id: 1,
    }).lean();
    if (known) return { seq: known._id, duplicate: true };
    return this.txn((s) => this.appendIn(entry, s));
  }

  async appendBatch(items: readonly LogAppend[]): Promise<AppendResult[]> {
    // One transaction each, in order: a batch is a convenience here, not a unit of commit.
    const out: AppendResult[] = [];
    for (const { entry, receipt } of items)
      out.push(receipt ? await this.appendReceipt(entry, receipt) : await this.append(entry));
    return out;
  }

  async appendReceipt(entry: NewLogEntry, receipt: ReceiptRecord): Promise<AppendResult> {
    const known = await this.m.Log.findOne(where<LogDoc>(entryFilter(entry.kind, entry.id)), {
      _id: 1,
    }).lean();
    if (known) return { seq: known._id, duplicate: true };
    return this.txn(async (s) => {
      const result = await this.appendIn(entry, s);
      if (!result.duplicate)
        await this.m.Receipt.updateOne(
          where<ReceiptDoc>(
            checkFilter({
              alertId: text(receipt.alertId),
              station: text(receipt.station),
              kind: text(receipt.kind),
            }),
          ),
          { $setOnInsert: { at: receipt.at, note: receipt.note } },
          { upsert: true, session: s },
        );
      return result;
    });
  }

  async get(kind: EntryKind, id: string): Promise<LogEntry | undefined> {
    const d = await this.m.Log.findOne(where<LogDoc>(entryFilter(kind, id))).lean();
    return d ? toEntry(d) : undefined;
  }

  async entriesFor(
    keys: readonly TargetKey[],
    afterSeq: number,
    opts: { limit: number; now: Date },
  ): Promise<LogEntry[]> {
    if (keys.length === 0) return [];
    const docs = await this.m.Log.find(where<LogDoc>(entriesForFilter(keys, afterSeq, opts.now)))
      .sort({ _id: 1 })
      .limit(opts.limit)
      .lean();
    return docs.map(toEntry);
  }

  async entriesAfter(afterSeq: number, limit: number): Promise<LogEntry[]> {
    const docs = await this.m.Log.find(where<LogDoc>(afterFilter(afterSeq)))
      .sort({ _id: 1 })
      .limit(limit)
      .lean();
    return docs.map(toEntry);
  }

  async countFor(keys: readonly TargetKey[], afterSeq: number, now: Date): Promise<number> {
    if (keys.length === 0) return 0;
    return this.m.Log.countDocuments(where<LogDoc>(entriesForFilter(keys, afterSeq, now)));
  }

  async head(): Promise<number> {
    return this.headIn();
  }

  async receipts(alertId: string): Promise<ReceiptRecord[]> {
    const docs = await this.m.Receipt.find({ alertId: text(alertId) })
      .sort({ at: 1, station: 1, kind: 1 })
      .lean();
    return docs.map((d) => ({
      alertId: d.alertId,
      station: d.station,
      kind: d.kind,
      at: d.at,
      note: d.note,
    }));
  }

  async touchStation(
    identity: string,
    update: { online: boolean; certNotAfter?: Date; at: Date },
  ): Promise<void> {
    const set: Record<string, unknown> = { online: update.online, lastSeen: update.at };
    if (update.certNotAfter) set['certNotAfter'] = update.certNotAfter;
    const onInsert: Record<string, unknown> = { cursor: 0 };
    if (!update.certNotAfter) onInsert['certNotAfter'] = null;
    await this.upsert(() =>
      this.m.Station.updateOne(
        { _id: text(identity) },
        { $set: set, $setOnInsert: onInsert },
        { upsert: true, setDefaultsOnInsert: false },
      ),
    );
  }

  async advanceCursor(identity: string, seq: number): Promise<void> {
    await this.upsert(() =>
      this.m.Station.updateOne(
        { _id: text(identity) },
        {
          $max: { cursor: num(seq) },
          $setOnInsert: { online: false, lastSeen: null, certNotAfter: null },
        },
        { upsert: true, setDefaultsOnInsert: false },
      ),
    );
  }
  async advanceCursors(cursors: ReadonlyArray<{ identity: string; seq: number }>): Promise<void> {
    if (cursors.length === 0) return;
    await this.upsert(() =>
      this.m.Station.bulkWrite(
        cursors.map((c) => ({
          updateOne: {
            filter: { _id: text(c.identity) },
            update: {
              $max: { cursor: num(c.seq) },
              $setOnInsert: { online: false, lastSeen: null, certNotAfter: null },
            },
            upsert: true,
            setDefaultsOnInsert: false,
          },
        })),
        { ordered: false },
      ),
    );
  }

  async stations(prefix = ''): Promise<StationRecord[]> {
    const docs = await this.m.Station.find(where<StationDoc>(stationsFilter(prefix)))
      .sort({ _id: 1 })
      .lean();
    return docs.map(toStation);
  }

  async putStationCertificate(identity: string, chainPem: string, notAfter: Date): Promise<void> {
    await this.upsert(() =>
      this.m.StationCert.updateOne(
        { _id: text(identity) },
        { $set: { chainPem, notAfter } },
        { upsert: true },
      ),
    );
  }

  async stationCertificate(identity: string): Promise<string | undefined> {
    const d = await this.m.StationCert.findOne({ _id: text(identity) }).lean();
    return d?.chainPem;
  }

  async resetPresence(): Promise<void> {
    await this.m.Station.updateMany({}, { $set: { online: false } });
  }

  async recentAlerts(since: Date, now: Date, limit: number): Promise<LogEntry[]> {
    const docs = await this.m.Log.find(where<LogDoc>(recentAlertsFilter(since, now)))
      .sort({ _id: 1 })
      .limit(limit)
      .lean();
    return docs.map(toEntry);
  }

  async enqueueNotification(
    n: Omit<NotificationRecord, 'state' | 'attempts' | 'providerId' | 'lastError' | 'updatedAt'>,
  ): Promise<boolean> {
    try {
      await this.m.Notification.create({
        _id: n.key,
        alertId: n.alertId,
        station: n.station,
        contactId: n.contactId,
        channel: n.channel,
        to: n.to,
        subject: n.subject,
        text: n.text,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: n.nextAttemptAt,
        providerId: null,
        lastError: null,
        createdAt: n.createdAt,
        updatedAt: n.createdAt,
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async dueNotifications(now: Date, limit: number): Promise<NotificationRecord[]> {
    const docs = await this.m.Notification.find({
      state: 'pending',
      nextAttemptAt: range({ $lte: now }),
    } as QueryFilter<NotificationDoc>)
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(limit)
      .lean();
    return docs.map(toNotification);
  }

  async updateNotification(
    key: string,
    patch: Partial<
      Pick<NotificationRecord, 'state' | 'attempts' | 'nextAttemptAt' | 'providerId' | 'lastError'>
    > & { updatedAt: Date },
  ): Promise<void> {
    const set: Record<string, unknown> = { updatedAt: patch.updatedAt };
    for (const k of ['state', 'attempts', 'nextAttemptAt', 'providerId', 'lastError'] as const)
      if (patch[k] !== undefined) set[k] = patch[k];
    await this.m.Notification.updateOne({ _id: text(key) }, { $set: set });
  }

  async notificationByProviderId(providerId: string): Promise<NotificationRecord | undefined> {
    const d = await this.m.Notification.findOne({ providerId: text(providerId) }).lean();
    return d ? toNotification(d) : undefined;
  }

  async notifications(filter: { alertId?: string } = {}): Promise<NotificationRecord[]> {
    const q = filter.alertId ? { alertId: text(filter.alertId) } : {};
    const docs = await this.m.Notification.find(q).sort({ createdAt: 1, _id: 1 }).lean();
    return docs.map(toNotification);
  }

  async putRecord(r: NewRecord): Promise<{ id: string; version: number; created: boolean }> {
    return this.txn(async (s) => {
      let current: RecordDoc | null = null;
      if (r.id) {
        current = await this.m.Record.findOne({ _id: text(r.id) })
          .session(s)
          .lean();
      } else if (r.externalRef) {
        current = await this.m.Record.findOne({
          owner: text(r.owner),
          externalRef: text(r.externalRef),
        })
          .session(s)
          .lean();
      }
      const version = checkRecordPut(current ? { ...current, id: current._id } : undefined, r);
      let id: string;
      if (current) {
        id = current._id;
      } else {
        const name = recordCounter(r.kind);
        const counter = await this.m.Counter.findOne({ _id: name }).session(s).lean();
        const next = counter?.next ?? 1;
        await this.m.Counter.updateOne(
          { _id: name },
          { $set: { next: next + 1 } },
          { upsert: true, session: s },
        );
        id = `${r.kind}:${r.state}-${next}`;
      }
      const fields = {
        district: r.district,
        externalRef: r.externalRef ?? current?.externalRef ?? null,
        version,
        updatedAt: r.at,
        status: r.status,
        gender: r.gender,
        age: r.age,
        body: Buffer.from(r.encode(id, version, r.at)),
        keys: sortedUnique(r.keys),
        names: r.names ?? null,
      };
      if (current) await this.m.Record.updateOne({ _id: id }, { $set: fields }, { session: s });
      else
        await this.m.Record.create([{ _id: id, kind: r.kind, owner: r.owner, ...fields }], {
          session: s,
        });
      return { id, version, created: !current };
    });
  }

  async getRecord(id: string): Promise<StoredRecord | undefined> {
    const d = await this.m.Record.findOne({ _id: text(id) }).lean();
    return d ? toRecord(d) : undefined;
  }

  async findRecords(
    kind: RecordKind,
    keys: readonly string[],
    filter: RecordFilter,
    limit: number,
    perKey = Number.MAX_SAFE_INTEGER,
  ): Promise<StoredRecord[]> {
    const index: KeyIndex = {
      // One key at a time through the kind_keys index, at most n documents, ids only.
      ids: async (key, n) => {
        const pipeline = [...recordsPipeline(kind, [key], filter, n), { $project: { _id: 1 } }];
        const docs = (await this.m.Record.aggregate(
          pipeline as Parameters<Model<RecordDoc>['aggregate']>[0],
        )) as Array<{ _id: string }>;
        return docs.map((d) => d._id);
      },
    };
    const ids = await preselect(keys, limit, perKey, index);
    if (ids.length === 0) return [];
    const docs = await this.m.Record.find(where<RecordDoc>(recordsByIdFilter(kind, ids))).lean();
    const byId = new Map(docs.map((d) => [d._id, d]));
    return ids.flatMap((id) => {
      const d = byId.get(id);
      return d ? [toRecord(d)] : [];
    });
  }

  async countRecords(): Promise<Record<RecordKind, number>> {
    const out: Record<RecordKind, number> = { person: 0, vehicle: 0, case: 0 };
    const rows = (await this.m.Record.aggregate([
      { $group: { _id: '$kind', n: { $sum: 1 } } },
    ])) as Array<{ _id: RecordKind; n: number }>;
    for (const r of rows) out[r._id] = r.n;
    return out;
  }

  async appendAudit(body: AuditBody): Promise<AuditEntry> {
    return (await this.appendAudits([body]))[0]!;
  }

  async appendAudits(bodies: readonly AuditBody[]): Promise<AuditEntry[]> {
    return this.txn(async (s) => {
      await this.lock(COUNTER_AUDIT, s);
      const last = await this.m.Audit.findOne({}, { _id: 1, hash: 1 })
        .sort({ _id: -1 })
        .session(s)
        .lean();
      let seq = last?._id ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      const out: AuditEntry[] = [];
      const docs = [];
      for (const body of bodies) {
        seq++;
        // What is hashed is exactly what is stored: undefined fields dropped, JSON round trip.
        const clean = JSON.parse(canonicalJson(body)) as AuditBody;
        const hash = entryHash(prevHash, seq, clean);
        const stored = canonicalJson(clean);
        const cols = auditColumns(stored);
        docs.push({ _id: seq, prevHash, hash, body: stored, ...cols, at: new Date(cols.at) });
        out.push({ seq, prevHash, hash, body: clean });
        prevHash = hash;
      }
      if (docs.length) await this.m.Audit.insertMany(docs, { session: s });
      return out;
    });
  }

  async auditHead(): Promise<AuditHead> {
    const last = await this.m.Audit.findOne({}, { _id: 1, hash: 1 }).sort({ _id: -1 }).lean();
    return { seq: last?._id ?? 0, hash: last?.hash ?? GENESIS_HASH };
  }

  async auditEntries(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const docs = await this.m.Audit.find(where<AuditDoc>(afterFilter(afterSeq)))
      .sort({ _id: 1 })
      .limit(limit)
      .lean();
    return docs.map(toAuditEntry);
  }

  async findAudit(f: AuditFilter): Promise<AuditEntry[]> {
    const docs = await this.m.Audit.find(where<AuditDoc>(auditFilter(f)))
      .sort({ _id: 1 })
      .limit(f.limit ?? 100_000)
      .lean();
    // The indexed columns only pre-select: the hashed body decides (as in the SQLite audit).
    return docs
      .map(toAuditEntry)
      .filter(
        (e) =>
          (!f.actor || e.body.actor === f.actor) &&
          (!f.action || e.body.action === f.action) &&
          (!f.actionPrefix || e.body.action.startsWith(f.actionPrefix)) &&
          (!f.subject || e.body.subject === f.subject),
      );
  }

  async addAuditCheckpoint(cp: {
    seq: number;
    hash: string;
    at: Date;
    jws: string;
  }): Promise<void> {
    await this.m.AuditCheckpoint.create({ seq: cp.seq, hash: cp.hash, at: cp.at, jws: cp.jws });
  }

  async auditCheckpoints(): Promise<string[]> {
    const docs = await this.m.AuditCheckpoint.find({}, { jws: 1 }).sort({ at: 1, _id: 1 }).lean();
    return docs.map((d) => d.jws);
  }

  /**
   * Reads every collection in one snapshot session (MongoDB 5.0+): a consistent picture while
   * the broker keeps writing, as long as the export ends within the server's snapshot window
   * (`minSnapshotHistoryWindowInSeconds`, 300 s by default); stop the broker for longer ones.
   */
  async *exportAll(): AsyncGenerator<ExportItem> {
    const s = await this.conn.startSession({ snapshot: true });
    const all = <T>(model: Model<T>, sort: Record<string, 1>, filter: object = {}) =>
      model.find(filter).sort(sort).session(s).lean<T[]>().cursor() as AsyncIterable<T>;
    try {
      yield* framed({
        log: () => mapAsync(all(this.m.Log, { _id: 1 }), (d) => logItem(toEntry(d))),
        receipt: () =>
          mapAsync(all(this.m.Receipt, { alertId: 1, station: 1, kind: 1 }), (d) =>
            receiptItem({
              alertId: d.alertId,
              station: d.station,
              kind: d.kind,
              at: d.at,
              note: d.note,
            }),
          ),
        station: () => mapAsync(all(this.m.Station, { _id: 1 }), (d) => stationItem(toStation(d))),
        stationCert: () =>
          mapAsync(all(this.m.StationCert, { _id: 1 }), (d) =>
            stationCertItem(d._id, d.chainPem, d.notAfter),
          ),
        notification: () =>
          mapAsync(all(this.m.Notification, { _id: 1 }), (d) =>
            notificationItem(toNotification(d)),
          ),
        record: () =>
          mapAsync(all(this.m.Record, { _id: 1 }), (d) => recordItem(toRecord(d), d.keys)),
        recordCounter: () =>
          mapAsync(all(this.m.Counter, { _id: 1 }, { _id: /^record:/ }), (d) =>
            recordCounterItem(d._id.slice('record:'.length) as RecordKind, d.next),
          ),
        audit: () =>
          mapAsync(all(this.m.Audit, { _id: 1 }), (d) =>
            auditItem(d._id, d.prevHash, d.hash, d.body),
          ),
        auditCheckpoint: () =>
          mapAsync(all(this.m.AuditCheckpoint, { at: 1, _id: 1 }), (d) => auditCheckpointItem(d)),
      });
    } finally {
      await s.endSession();
    }
  }

  /**
   * Loads a dump with bulk inserts (`insertMany`, lean: the dump's items were checked field by
   * field). A dump is too large for one transaction: if anything fails, everything imported so
   * far is removed again, leaving the store as empty as it was.
   */
  async importAll(items: AsyncIterable<ExportItem>): Promise<ImportReport> {
    const busy: string[] = [];
    for (const [name, model] of Object.entries(this.m) as Array<[string, Model<unknown>]>)
      if (await model.exists({})) busy.push(name);
    if (busy.length)
      throw new BrokerError(
        'STORE_NOT_EMPTY',
        `the store already holds data (${busy.join(', ')}); import only into an empty one`,
      );
    let pending: { model: Model<unknown>; docs: object[] } | undefined;
    const flush = async () => {
      if (pending?.docs.length)
        await pending.model.insertMany(pending.docs, { ordered: true, lean: true });
      pending = undefined;
    };
    const add = async (model: Model<unknown>, doc: object) => {
      if (pending && pending.model !== model) await flush();
      pending ??= { model, docs: [] };
      pending.docs.push(doc);
      if (pending.docs.length >= BATCH) await flush();
    };
    const date = (t: string | null) => (t === null ? null : new Date(t));
    const m = this.m as unknown as Record<keyof StoreModels, Model<unknown>>;
    try {
      const report = await readDump(items, async (item) => {
        switch (item.type) {
          case 'log':
            return add(m.Log, {
              _id: item.seq,
              kind: item.kind,
              id: item.id,
              sender: item.sender,
              targets: item.targets,
              expiresAt: date(item.expiresAt),
              createdAt: date(item.createdAt),
              ref: item.ref,
              jws: item.jws,
            });
          case 'receipt':
            return add(m.Receipt, {
              alertId: item.alertId,
              station: item.station,
              kind: item.kind,
              at: date(item.at),
              note: item.note,
            });
          case 'station':
            return add(m.Station, {
              _id: item.identity,
              online: item.online,
              lastSeen: date(item.lastSeen),
              cursor: item.cursor,
              certNotAfter: date(item.certNotAfter),
            });
          case 'stationCert':
            return add(m.StationCert, {
              _id: item.identity,
              chainPem: item.chainPem,
              notAfter: date(item.notAfter),
            });
          case 'notification':
            return add(m.Notification, {
              _id: item.key,
              alertId: item.alertId,
              station: item.station,
              contactId: item.contactId,
              channel: item.channel,
              to: item.to,
              subject: item.subject,
              text: item.text,
              state: item.state,
              attempts: item.attempts,
              nextAttemptAt: date(item.nextAttemptAt),
              providerId: item.providerId,
              lastError: item.lastError,
              createdAt: date(item.createdAt),
              updatedAt: date(item.updatedAt),
            });
          case 'record':
            return add(m.Record, {
              _id: item.id,
              kind: item.kind,
              owner: item.owner,
              district: item.district,
              externalRef: item.externalRef,
              version: item.version,
              updatedAt: date(item.updatedAt),
              status: item.status,
              gender: item.gender,
              age: item.age,
              body: Buffer.from(item.body, 'base64'),
              keys: sortedUnique(item.keys),
              // Dumps made before names were stored have none: scored from the body.
              names: item.names ?? null,
            });
          case 'recordCounter':
            return add(m.Counter, { _id: recordCounter(item.kind), next: item.next });
          case 'audit': {
            const cols = auditColumns(item.body);
            return add(m.Audit, {
              _id: item.seq,
              prevHash: item.prevHash,
              hash: item.hash,
              body: item.body,
              ...cols,
              at: new Date(cols.at),
            });
          }
          case 'auditCheckpoint':
            return add(m.AuditCheckpoint, {
              seq: item.seq,
              hash: item.hash,
              at: date(item.at),
              jws: item.jws,
            });
        }
      });
      await flush();
      return report;
    } catch (err) {
      for (const model of Object.values(m)) await model.deleteMany({});
      if (isDuplicateKey(err) || err instanceof mongo.MongoBulkWriteError)
        throw new BrokerError(
          'DUMP_INVALID',
          `an item repeats one already imported (${(err as Error).message.slice(0, 200)})`,
          { cause: err },
        );
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

async function* mapAsync<A, B>(rows: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const r of rows) yield f(r);
}

function toEntry(d: LogDoc): LogEntry {
  return {
    seq: d._id,
    kind: d.kind,
    id: d.id,
    sender: d.sender,
    targets: [...d.targets] as TargetKey[],
    expiresAt: d.expiresAt ?? null,
    createdAt: d.createdAt,
    ref: d.ref ?? null,
    jws: d.jws,
  };
}

function toStation(d: StationDoc): StationRecord {
  return {
    identity: d._id,
    online: d.online,
    lastSeen: d.lastSeen ?? null,
    cursor: d.cursor,
    certNotAfter: d.certNotAfter ?? null,
  };
}

function toNotification(d: NotificationDoc): NotificationRecord {
  return {
    key: d._id,
    alertId: d.alertId,
    station: d.station,
    contactId: d.contactId,
    channel: d.channel,
    to: d.to,
    subject: d.subject,
    text: d.text,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    providerId: d.providerId ?? null,
    lastError: d.lastError ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** Lean reads and aggregations give BSON Binary for Buffer fields. */
function bytes(v: unknown): Uint8Array {
  if (v instanceof mongo.Binary) return new Uint8Array(v.buffer.subarray(0, v.position));
  if (v instanceof Uint8Array) return new Uint8Array(v);
  throw new Error('a record body is not binary');
}

function toRecord(d: RecordDoc): StoredRecord {
  return {
    id: d._id,
    kind: d.kind,
    owner: d.owner,
    district: d.district,
    externalRef: d.externalRef ?? null,
    version: d.version,
    updatedAt: d.updatedAt,
    status: d.status,
    gender: d.gender,
    age: d.age,
    body: bytes(d.body),
    names: d.names ?? null,
  };
}

function toAuditEntry(d: AuditDoc): AuditEntry {
  return auditEntry(d._id, d.prevHash, d.hash, d.body);
}
