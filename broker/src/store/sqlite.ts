import Database from 'better-sqlite3';
import {
  SqliteAuditTable,
  type AuditBody,
  type AuditEntry,
  type AuditFilter,
  type AuditHead,
} from '@cctns/pki';
import type { TargetKey } from '../routing/targets.js';
import type {
  LogAppend,
  AppendResult,
  BrokerStore,
  EntryKind,
  LogEntry,
  NewLogEntry,
  NotificationRecord,
  NewRecord,
  NotificationState,
  ReceiptRecord,
  RecordFilter,
  RecordKind,
  StationRecord,
  StoredRecord,
} from './store.js';
import { BrokerError } from '../errors.js';
import { Checkpointer } from './checkpointer.js';

/** How often the write-ahead log is checkpointed into the database file. */
const CHECKPOINT_MS = 1_000;
import { INSERT_RECORD, SqliteRecords, toRecord, type RecordRow } from './sqlite-records.js';
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
  stationCertItem,
  stationItem,
  type ExportItem,
  type ImportReport,
} from './export.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS station_certs (
  identity TEXT PRIMARY KEY,
  chain_pem TEXT NOT NULL,
  not_after INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  sender TEXT NOT NULL,
  targets TEXT NOT NULL,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  ref TEXT,
  jws TEXT NOT NULL,
  UNIQUE (kind, id)
);
CREATE TABLE IF NOT EXISTS log_targets (
  target TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (target, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
  alert_id TEXT NOT NULL,
  station TEXT NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (alert_id, station, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notifications (
  key TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL,
  station TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  provider_id TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS log_recent ON log (kind, created_at);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS notifications_alert ON notifications (alert_id);
CREATE INDEX IF NOT EXISTS notifications_provider ON notifications (provider_id);
CREATE TABLE IF NOT EXISTS stations (
  identity TEXT PRIMARY KEY,
  online INTEGER NOT NULL,
  last_seen INTEGER,
  cursor INTEGER NOT NULL DEFAULT 0,
  cert_not_after INTEGER
);
`;

interface Row {
  seq: number;
  kind: EntryKind;
  id: string;
  sender: string;
  targets: string;
  expires_at: number | null;
  created_at: number;
  ref: string | null;
  jws: string;
}

function toEntry(r: Row): LogEntry {
  return {
    seq: r.seq,
    kind: r.kind,
    id: r.id,
    sender: r.sender,
    targets: JSON.parse(r.targets) as TargetKey[],
    expiresAt: r.expires_at === null ? null : new Date(r.expires_at),
    createdAt: new Date(r.created_at),
    ref: r.ref,
    jws: r.jws,
  };
}

/** Durability of a commit: `normal` survives a killed process, `full` also a power cut. */
export type SqliteDurability = 'normal' | 'full';

/**
 * The embedded store: one SQLite file in WAL mode. A broadcast is one `log` row and one
 * `log_targets` row per target key, never a row per station.
 */
export class SqliteBrokerStore implements BrokerStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly keyed = new Map<string, Database.Statement>();
  private readonly checkpointer: Checkpointer | undefined;
  /** Entries (and the receipts they record) in one write transaction: one commit for all. */
  private readonly appendTx: Database.Transaction<(items: readonly LogAppend[]) => AppendResult[]>;
  private readonly audit: SqliteAuditTable;
  private readonly records: SqliteRecords;

  constructor(
    private readonly path: string,
    opts: { durability?: SqliteDurability } = {},
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Checkpoints (the only fsyncs at synchronous=NORMAL) run on a thread of their own for a
    // database file; an in-memory one keeps SQLite's automatic checkpoint.
    if (path === ':memory:' || path === '') this.db.pragma('wal_autocheckpoint = 4000');
    else {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new Checkpointer(path, CHECKPOINT_MS, (message) => {
        // Not fatal: the log grows until a checkpoint succeeds (the next pass, or at close).
        process.emitWarning(`WAL checkpoint of ${path} failed: ${message}`);
      });
    }
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.audit = new SqliteAuditTable(this.db);
    this.records = new SqliteRecords(this.db);
    const db = this.db;
    this.stmts = {
      find: db.prepare<[string, string], { seq: number }>(
        'SELECT seq FROM log WHERE kind = ? AND id = ?',
      ),
      insert: db.prepare(
        'INSERT INTO log (seq, kind, id, sender, targets, expires_at, created_at, ref, jws) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertTarget: db.prepare('INSERT INTO log_targets (target, seq) VALUES (?, ?)'),
      get: db.prepare<[string, string], Row>('SELECT * FROM log WHERE kind = ? AND id = ?'),
      head: db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM log'),
      insertReceipt: db.prepare(
        'INSERT OR IGNORE INTO receipts (alert_id, station, kind, at, note) VALUES (?, ?, ?, ?, ?)',
      ),
      receipts: db.prepare<
        [string],
        { alert_id: string; station: string; kind: ReceiptRecord['kind']; at: number; note: string }
      >('SELECT * FROM receipts WHERE alert_id = ? ORDER BY at, station, kind'),
      touch: db.prepare(
        `INSERT INTO stations (identity, online, last_seen, cert_not_after) VALUES (@identity, @online, @at, @certNotAfter)
         ON CONFLICT(identity) DO UPDATE SET online = @online, last_seen = @at, cert_not_after = COALESCE(@certNotAfter, cert_not_after)`,
      ),
      advance: db.prepare(
        `INSERT INTO stations (identity, online, last_seen, cursor) VALUES (?, 0, NULL, ?)
         ON CONFLICT(identity) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)`,
      ),
      stations: db.prepare<[string, string], StationRow>(
        // A case-sensitive prefix match (LIKE is case-insensitive in SQLite).
        'SELECT * FROM stations WHERE substr(identity, 1, length(?)) = ? ORDER BY identity',
      ),
      reset: db.prepare('UPDATE stations SET online = 0'),
    };
    this.appendTx = db.transaction((items: readonly LogAppend[]) =>
      items.map(({ entry, receipt }) => {
        const result = this.appendSync(entry);
        if (receipt && !result.duplicate)
          this.stmts.insertReceipt.run(
            receipt.alertId,
            receipt.station,
            receipt.kind,
            receipt.at.getTime(),
            receipt.note,
          );
        return result;
      }),
    );
  }

  private appendSync(entry: NewLogEntry): AppendResult {
    const existing = this.stmts.find.get(entry.kind, entry.id);
    if (existing) return { seq: existing.seq, duplicate: true };
    if (entry.seq !== undefined && entry.seq <= (this.stmts.head.get()?.seq ?? 0)) {
      throw new Error(`log sequence ${entry.seq} is not after the head; the log only grows`);
    }
    const r = this.stmts.insert.run(
      entry.seq ?? null,
      entry.kind,
      entry.id,
      entry.sender,
      JSON.stringify(entry.targets),
      entry.expiresAt ? entry.expiresAt.getTime() : null,
      (entry.createdAt ?? new Date()).getTime(),
      entry.ref,
      entry.jws,
    );
    const seq = Number(r.lastInsertRowid);
    for (const t of new Set(entry.targets)) this.stmts.insertTarget.run(t, seq);
    return { seq, duplicate: false };
  }

  async append(entry: NewLogEntry): Promise<AppendResult> {
    return this.appendTx.immediate([{ entry }])[0]!;
  }

  async appendReceipt(entry: NewLogEntry, receipt: ReceiptRecord): Promise<AppendResult> {
    return this.appendTx.immediate([{ entry, receipt }])[0]!;
  }

  async appendBatch(items: readonly LogAppend[]): Promise<AppendResult[]> {
    return items.length ? this.appendTx.immediate(items) : [];
  }

  async get(kind: EntryKind, id: string): Promise<LogEntry | undefined> {
    const row = this.stmts.get.get(kind, id);
    return row ? toEntry(row) : undefined;
  }

  private forKeys(select: string, keys: readonly TargetKey[], tail: string): Database.Statement {
    const cacheKey = `${select}|${keys.length}|${tail}`;
    let stmt = this.keyed.get(cacheKey);
    if (!stmt) {
      const marks = keys.map(() => '?').join(', ');
      stmt = this.db.prepare(
        `${select} FROM log WHERE seq IN (SELECT DISTINCT seq FROM log_targets WHERE target IN (${marks}) AND seq > ?) AND (expires_at IS NULL OR expires_at > ?) ${tail}`,
      );
      this.keyed.set(cacheKey, stmt);
    }
    return stmt;
  }

  async entriesFor(
    keys: readonly TargetKey[],
    afterSeq: number,
    opts: { limit: number; now: Date },
  ): Promise<LogEntry[]> {
    if (keys.length === 0) return [];
    const rows = this.forKeys('SELECT *', keys, 'ORDER BY seq LIMIT ?').all(
      ...keys,
      afterSeq,
      opts.now.getTime(),
      opts.limit,
    ) as Row[];
    return rows.map(toEntry);
  }

  async countFor(keys: readonly TargetKey[], afterSeq: number, now: Date): Promise<number> {
    if (keys.length === 0) return 0;
    return (
      this.forKeys('SELECT COUNT(*) AS n', keys, '').get(...keys, afterSeq, now.getTime()) as {
        n: number;
      }
    ).n;
  }

  async head(): Promise<number> {
    return this.stmts.head.get()?.seq ?? 0;
  }

  async receipts(alertId: string): Promise<ReceiptRecord[]> {
    return this.stmts.receipts.all(alertId).map((r) => ({
      alertId: r.alert_id,
      station: r.station,
      kind: r.kind,
      at: new Date(r.at),
      note: r.note,
    }));
  }

  async touchStation(
    identity: string,
    update: { online: boolean; certNotAfter?: Date; at: Date },
  ): Promise<void> {
    this.stmts.touch.run({
      identity,
      online: update.online ? 1 : 0,
      at: update.at.getTime(),
      certNotAfter: update.certNotAfter ? update.certNotAfter.getTime() : null,
    });
  }

  async putStationCertificate(identity: string, chainPem: string, notAfter: Date): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO station_certs (identity, chain_pem, not_after) VALUES (?, ?, ?) ON CONFLICT(identity) DO UPDATE SET chain_pem = excluded.chain_pem, not_after = excluded.not_after',
      )
      .run(identity, chainPem, notAfter.getTime());
  }

  async stationCertificate(identity: string): Promise<string | undefined> {
    const r = this.db
      .prepare('SELECT chain_pem FROM station_certs WHERE identity = ?')
      .get(identity) as { chain_pem: string } | undefined;
    return r?.chain_pem;
  }

  async advanceCursor(identity: string, seq: number): Promise<void> {
    this.stmts.advance.run(identity, seq);
  }

  async advanceCursors(cursors: ReadonlyArray<{ identity: string; seq: number }>): Promise<void> {
    this.db.transaction(() => {
      for (const c of cursors) this.stmts.advance.run(c.identity, c.seq);
    })();
  }

  async stations(prefix = ''): Promise<StationRecord[]> {
    return this.stmts.stations.all(prefix, prefix).map(toStation);
  }

  async resetPresence(): Promise<void> {
    this.stmts.reset.run();
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.db.close();
  }

  async entriesAfter(afterSeq: number, limit: number): Promise<LogEntry[]> {
    return (
      this.db
        .prepare('SELECT * FROM log WHERE seq > ? ORDER BY seq LIMIT ?')
        .all(afterSeq, limit) as Row[]
    ).map(toEntry);
  }

  async recentAlerts(since: Date, now: Date, limit: number): Promise<LogEntry[]> {
    const rows = this.db
      .prepare(
        "SELECT * FROM log WHERE kind = 'alert' AND created_at > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq LIMIT ?",
      )
      .all(since.getTime(), now.getTime(), limit) as Row[];
    return rows.map(toEntry);
  }

  async enqueueNotification(
    n: Omit<NotificationRecord, 'state' | 'attempts' | 'providerId' | 'lastError' | 'updatedAt'>,
  ): Promise<boolean> {
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO notifications (key, alert_id, station, contact_id, channel, recipient, subject, body, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
      )
      .run(
        n.key,
        n.alertId,
        n.station,
        n.contactId,
        n.channel,
        n.to,
        n.subject,
        n.text,
        n.nextAttemptAt.getTime(),
        n.createdAt.getTime(),
        n.createdAt.getTime(),
      );
    return r.changes === 1;
  }

  async dueNotifications(now: Date, limit: number): Promise<NotificationRecord[]> {
    return (
      this.db
        .prepare(
          "SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, key LIMIT ?",
        )
        .all(now.getTime(), limit) as NotificationRow[]
    ).map(toNotification);
  }

  async updateNotification(
    key: string,
    patch: Partial<
      Pick<NotificationRecord, 'state' | 'attempts' | 'nextAttemptAt' | 'providerId' | 'lastError'>
    > & { updatedAt: Date },
  ): Promise<void> {
    const cols: Record<string, unknown> = { updated_at: patch.updatedAt.getTime() };
    if (patch.state !== undefined) cols['state'] = patch.state;
    if (patch.attempts !== undefined) cols['attempts'] = patch.attempts;
    if (patch.nextAttemptAt !== undefined) cols['next_attempt_at'] = patch.nextAttemptAt.getTime();
    if (patch.providerId !== undefined) cols['provider_id'] = patch.providerId;
    if (patch.lastError !== undefined) cols['last_error'] = patch.lastError;
    const names = Object.keys(cols);
    this.db
      .prepare(`UPDATE notifications SET ${names.map((c) => `${c} = ?`).join(', ')} WHERE key = ?`)
      .run(...names.map((c) => cols[c]), key);
  }

  async notificationByProviderId(providerId: string): Promise<NotificationRecord | undefined> {
    const row = this.db
      .prepare('SELECT * FROM notifications WHERE provider_id = ?')
      .get(providerId) as NotificationRow | undefined;
    return row ? toNotification(row) : undefined;
  }

  async notifications(filter: { alertId?: string } = {}): Promise<NotificationRecord[]> {
    const rows = (
      filter.alertId
        ? this.db
            .prepare('SELECT * FROM notifications WHERE alert_id = ? ORDER BY created_at, key')
            .all(filter.alertId)
        : this.db.prepare('SELECT * FROM notifications ORDER BY created_at, key').all()
    ) as NotificationRow[];
    return rows.map(toNotification);
  }
  async putRecord(r: NewRecord): Promise<{ id: string; version: number; created: boolean }> {
    return this.records.put(r);
  }

  async getRecord(id: string): Promise<StoredRecord | undefined> {
    return this.records.get(id);
  }

  async findRecords(
    kind: RecordKind,
    keys: readonly string[],
    filter: RecordFilter,
    limit: number,
    perKey = Number.MAX_SAFE_INTEGER,
  ): Promise<StoredRecord[]> {
    return this.records.find(kind, keys, filter, limit, perKey);
  }

  async countRecords(): Promise<Record<RecordKind, number>> {
    return this.records.count();
  }

  /**
   * Reads through a second connection to the same file inside one read transaction: a snapshot
   * that writers on the store's own connection (WAL) neither block nor change.
   */
  async *exportAll(): AsyncGenerator<ExportItem> {
    const inMemory = this.path === ':memory:' || this.path === '';
    const db = inMemory ? this.db : new Database(this.path, { fileMustExist: true });
    try {
      if (!inMemory) {
        db.pragma('busy_timeout = 5000');
        db.exec('BEGIN');
      }
      yield* framed({
        log: () => map(scan<Row>(db, 'log', ['seq']), (r) => logItem(toEntry(r))),
        receipt: () =>
          map(scan<ReceiptRow>(db, 'receipts', ['alert_id', 'station', 'kind']), (r) =>
            receiptItem({
              alertId: r.alert_id,
              station: r.station,
              kind: r.kind,
              at: new Date(r.at),
              note: r.note,
            }),
          ),
        station: () =>
          map(scan<StationRow>(db, 'stations', ['identity']), (r) => stationItem(toStation(r))),
        stationCert: () =>
          map(
            scan<{ identity: string; chain_pem: string; not_after: number }>(db, 'station_certs', [
              'identity',
            ]),
            (r) => stationCertItem(r.identity, r.chain_pem, new Date(r.not_after)),
          ),
        notification: () =>
          map(scan<NotificationRow>(db, 'notifications', ['key']), (r) =>
            notificationItem(toNotification(r)),
          ),
        record: () =>
          map(
            scan<RecordRow & { keys: string }>(
              db,
              'records',
              ['id'],
              '*, (SELECT json_group_array(key) FROM record_keys k WHERE k.id = records.id) AS keys',
            ),
            (r) => recordItem(toRecord(r), JSON.parse(r.keys) as string[]),
          ),
        recordCounter: () =>
          map(scan<{ kind: RecordKind; next: number }>(db, 'record_counters', ['kind']), (r) =>
            recordCounterItem(r.kind, r.next),
          ),
        audit: () =>
          map(
            scan<{ seq: number; prev_hash: string; hash: string; body: string }>(
              db,
              'audit',
              // seq is the table's INTEGER PRIMARY KEY: its order is the stored (rowid) order.
              ['seq'],
              'seq, prev_hash, hash, body',
            ),
            (r) => auditItem(r.seq, r.prev_hash, r.hash, r.body),
          ),
        auditCheckpoint: () =>
          map(
            scan<{ seq: number; hash: string; at: number; jws: string }>(
              db,
              'audit_checkpoints',
              ['rowid'],
              'rowid AS rid, seq, hash, at, jws',
              (r) => [r['rid']],
            ),
            (r) => auditCheckpointItem({ ...r, at: new Date(r.at) }),
          ),
      });
    } finally {
      if (!inMemory) db.close();
    }
  }

  /**
   * One write transaction for the whole dump: all of it or nothing. Nothing else may use this
   * store while it runs (the CLI imports with the broker stopped).
   */
  async importAll(items: AsyncIterable<ExportItem>): Promise<ImportReport> {
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      const busy = IMPORT_TABLES.filter((t) => db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get());
      if (busy.length)
        throw new BrokerError(
          'STORE_NOT_EMPTY',
          `the store already holds data (${busy.join(', ')}); import only into an empty one`,
        );
      const ins = (sql: string) => db.prepare(sql);
      const s = {
        log: ins(
          'INSERT INTO log (seq, kind, id, sender, targets, expires_at, created_at, ref, jws) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ),
        target: ins('INSERT INTO log_targets (target, seq) VALUES (?, ?)'),
        receipt: ins(
          'INSERT INTO receipts (alert_id, station, kind, at, note) VALUES (?, ?, ?, ?, ?)',
        ),
        station: ins(
          'INSERT INTO stations (identity, online, last_seen, cursor, cert_not_after) VALUES (?, ?, ?, ?, ?)',
        ),
        cert: ins('INSERT INTO station_certs (identity, chain_pem, not_after) VALUES (?, ?, ?)'),
        notification: ins(
          `INSERT INTO notifications (key, alert_id, station, contact_id, channel, recipient, subject, body, state, attempts, next_attempt_at, provider_id, last_error, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
        record: ins(INSERT_RECORD),
        key: ins('INSERT INTO record_keys (key, id) VALUES (?, ?)'),
        counter: ins('INSERT INTO record_counters (kind, next) VALUES (?, ?)'),
        audit: ins(
          'INSERT INTO audit (seq, prev_hash, hash, body, at, actor, action, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ),
        checkpoint: ins('INSERT INTO audit_checkpoints (seq, hash, at, jws) VALUES (?, ?, ?, ?)'),
      };
      const ms = (t: string | null) => (t === null ? null : Date.parse(t));
      const report = await readDump(items, (item) => {
        try {
          switch (item.type) {
            case 'log':
              s.log.run(
                item.seq,
                item.kind,
                item.id,
                item.sender,
                JSON.stringify(item.targets),
                ms(item.expiresAt),
                ms(item.createdAt),
                item.ref,
                item.jws,
              );
              for (const t of new Set(item.targets)) s.target.run(t, item.seq);
              break;
            case 'receipt':
              s.receipt.run(item.alertId, item.station, item.kind, ms(item.at), item.note);
              break;
            case 'station':
              s.station.run(
                item.identity,
                item.online ? 1 : 0,
                ms(item.lastSeen),
                item.cursor,
                ms(item.certNotAfter),
              );
              break;
            case 'stationCert':
              s.cert.run(item.identity, item.chainPem, ms(item.notAfter));
              break;
            case 'notification':
              s.notification.run(
                item.key,
                item.alertId,
                item.station,
                item.contactId,
                item.channel,
                item.to,
                item.subject,
                item.text,
                item.state,
                item.attempts,
                ms(item.nextAttemptAt),
                item.providerId,
                item.lastError,
                ms(item.createdAt),
                ms(item.updatedAt),
              );
              break;
            case 'record':
              s.record.run(
                item.id,
                item.kind,
                item.owner,
                item.district,
                item.externalRef,
                item.version,
                ms(item.updatedAt),
                item.status,
                item.gender,
                item.age,
                Buffer.from(item.body, 'base64'),
                // Dumps made before names were stored have none: scored from the body.
                item.names ?? null,
              );
              for (const k of new Set(item.keys)) s.key.run(k, item.id);
              break;
            case 'recordCounter':
              s.counter.run(item.kind, item.next);
              break;
            case 'audit': {
              const c = auditColumns(item.body);
              s.audit.run(
                item.seq,
                item.prevHash,
                item.hash,
                item.body,
                c.at,
                c.actor,
                c.action,
                c.subject,
              );
              break;
            }
            case 'auditCheckpoint':
              s.checkpoint.run(item.seq, item.hash, ms(item.at), item.jws);
              break;
          }
        } catch (err) {
          if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT'))
            throw new BrokerError(
              'DUMP_INVALID',
              `a ${item.type} item repeats one already imported (${(err as Error).message})`,
              { cause: err },
            );
          throw err;
        }
      });
      db.exec('COMMIT');
      return report;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  async appendAudit(body: AuditBody): Promise<AuditEntry> {
    return this.audit.append(body);
  }
  async appendAudits(bodies: readonly AuditBody[]): Promise<AuditEntry[]> {
    return this.audit.appendMany(bodies);
  }

  async auditHead(): Promise<AuditHead> {
    return this.audit.head();
  }

  async auditEntries(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.audit.entries(afterSeq, limit);
  }

  async findAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.audit.find(filter);
  }

  async addAuditCheckpoint(cp: {
    seq: number;
    hash: string;
    at: Date;
    jws: string;
  }): Promise<void> {
    this.audit.addCheckpoint(cp);
  }

  async auditCheckpoints(): Promise<string[]> {
    return this.audit.checkpoints();
  }
}

interface NotificationRow {
  key: string;
  alert_id: string;
  station: string;
  contact_id: string;
  channel: 'sms' | 'email';
  recipient: string;
  subject: string;
  body: string;
  state: NotificationState;
  attempts: number;
  next_attempt_at: number;
  provider_id: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

function toNotification(r: NotificationRow): NotificationRecord {
  return {
    key: r.key,
    alertId: r.alert_id,
    station: r.station,
    contactId: r.contact_id,
    channel: r.channel,
    to: r.recipient,
    subject: r.subject,
    text: r.body,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    providerId: r.provider_id,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

interface StationRow {
  identity: string;
  online: number;
  last_seen: number | null;
  cursor: number;
  cert_not_after: number | null;
}

function toStation(r: StationRow): StationRecord {
  return {
    identity: r.identity,
    online: r.online === 1,
    lastSeen: r.last_seen === null ? null : new Date(r.last_seen),
    cursor: r.cursor,
    certNotAfter: r.cert_not_after === null ? null : new Date(r.cert_not_after),
  };
}

interface ReceiptRow {
  alert_id: string;
  station: string;
  kind: ReceiptRecord['kind'];
  at: number;
  note: string;
}

/** Every table a dump fills; an import needs all of them empty. */
const IMPORT_TABLES = [
  'log',
  'receipts',
  'stations',
  'station_certs',
  'notifications',
  'records',
  'record_counters',
  'audit',
  'audit_checkpoints',
] as const;

const PAGE = 1000;

/**
 * Every row of a table in key order, a page at a time (keyset paging: no statement stays open
 * between pages, so the caller may pause between rows).
 */
function* scan<R>(
  db: Database.Database,
  table: string,
  key: readonly string[],
  columns = '*',
  keyOf = (row: Record<string, unknown>) => key.map((k) => row[k]),
): Generator<R> {
  const order = key.join(', ');
  const first = db.prepare(`SELECT ${columns} FROM ${table} ORDER BY ${order} LIMIT ${PAGE}`);
  const next = db.prepare(
    `SELECT ${columns} FROM ${table} WHERE (${order}) > (${key.map(() => '?').join(', ')}) ORDER BY ${order} LIMIT ${PAGE}`,
  );
  let rows = first.all() as Array<Record<string, unknown>>;
  while (rows.length > 0) {
    for (const r of rows) yield r as R;
    if (rows.length < PAGE) return;
    rows = next.all(...keyOf(rows[rows.length - 1]!)) as Array<Record<string, unknown>>;
  }
}

async function* map<A, B>(rows: Iterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for (const r of rows) yield f(r);
}
