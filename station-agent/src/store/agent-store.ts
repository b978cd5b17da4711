import Database from 'better-sqlite3';

/** An alert in the station's inbox. */
export interface InboxItem {
  alertId: string;
  seq: number;
  sender: string;
  msgType: string;
  severity: string;
  headline: string;
  sentAt: Date;
  receivedAt: Date;
  readAt: Date | null;
  ackedAt: Date | null;
  ackNote: string | null;
  references: string[];
  jws: string;
}

/** Something waiting to go to the broker, or already answered. */
export interface OutboxItem {
  ref: string;
  kind: 'alert' | 'receipt';
  /** The alert id (the receipted alert for a receipt). */
  alertId: string;
  jws: string;
  createdAt: Date;
  status: 'pending' | 'accepted' | 'refused';
  seq: number | null;
  reason: string | null;
  message: string | null;
  answeredAt: Date | null;
  /** Summary for people (headline, or the receipt kind). */
  label: string;
}

/** One receipt for an alert this station sent. */
export interface TrailItem {
  alertId: string;
  station: string;
  kind: string;
  at: Date;
  note: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inbox (
  alert_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  sender TEXT NOT NULL,
  msg_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  headline TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  read_at INTEGER,
  acked_at INTEGER,
  ack_note TEXT,
  refs TEXT NOT NULL,
  jws TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  ref TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  jws TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  seq INTEGER,
  reason TEXT,
  message TEXT,
  answered_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, created_at);
CREATE TABLE IF NOT EXISTS trail (
  alert_id TEXT NOT NULL,
  station TEXT NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (alert_id, station, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

type InboxRow = {
  alert_id: string;
  seq: number;
  sender: string;
  msg_type: string;
  severity: string;
  headline: string;
  sent_at: number;
  received_at: number;
  read_at: number | null;
  acked_at: number | null;
  ack_note: string | null;
  refs: string;
  jws: string;
};
type OutboxRow = {
  ref: string;
  kind: 'alert' | 'receipt';
  alert_id: string;
  jws: string;
  label: string;
  created_at: number;
  status: OutboxItem['status'];
  seq: number | null;
  reason: string | null;
  message: string | null;
  answered_at: number | null;
};

const d = (n: number | null) => (n === null ? null : new Date(n));

function inboxItem(r: InboxRow): InboxItem {
  return {
    alertId: r.alert_id,
    seq: r.seq,
    sender: r.sender,
    msgType: r.msg_type,
    severity: r.severity,
    headline: r.headline,
    sentAt: new Date(r.sent_at),
    receivedAt: new Date(r.received_at),
    readAt: d(r.read_at),
    ackedAt: d(r.acked_at),
    ackNote: r.ack_note,
    references: JSON.parse(r.refs) as string[],
    jws: r.jws,
  };
}

function outboxItem(r: OutboxRow): OutboxItem {
  return {
    ref: r.ref,
    kind: r.kind,
    alertId: r.alert_id,
    jws: r.jws,
    label: r.label,
    createdAt: new Date(r.created_at),
    status: r.status,
    seq: r.seq,
    reason: r.reason,
    message: r.message,
    answeredAt: d(r.answered_at),
  };
}

/**
 * The station's own database (SQLite, WAL), shared by the daemon and the officer's CLI commands:
 * the verified inbox, the outbox of signed alerts and receipts waiting for the broker, the
 * receipt trail of alerts this station sent, and the log cursor.
 */
export class AgentStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Runs `fn` atomically. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The last log sequence stored. */
  cursor(): number {
    return Number(this.getState('cursor') ?? 0);
  }

  /** Moves the cursor forward (never back). */
  advanceCursor(seq: number): void {
    if (seq > this.cursor()) this.setState('cursor', String(seq));
  }

  getState(key: string): string | undefined {
    return (
      this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as
        { value: string } | undefined
    )?.value;
  }

  setState(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  /** Stores a verified alert once; false when it was already there (a duplicate is dropped). */
  addToInbox(item: Omit<InboxItem, 'readAt' | 'ackedAt' | 'ackNote'>): boolean {
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO inbox (alert_id, seq, sender, msg_type, severity, headline, sent_at, received_at, refs, jws)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        item.alertId,
        item.seq,
        item.sender,
        item.msgType,
        item.severity,
        item.headline,
        item.sentAt.getTime(),
        item.receivedAt.getTime(),
        JSON.stringify(item.references),
        item.jws,
      );
    return r.changes === 1;
  }

  /** Inbox items, newest first. */
  inbox(opts: { unreadOnly?: boolean; limit?: number } = {}): InboxItem[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM inbox ${opts.unreadOnly ? 'WHERE read_at IS NULL' : ''} ORDER BY seq DESC LIMIT ?`,
      )
      .all(opts.limit ?? 1_000_000) as InboxRow[];
    return rows.map(inboxItem);
  }

  inboxItem(alertId: string): InboxItem | undefined {
    const r = this.db.prepare('SELECT * FROM inbox WHERE alert_id = ?').get(alertId) as
      InboxRow | undefined;
    return r ? inboxItem(r) : undefined;
  }

  /** Alerts in the inbox that reference `alertId` (its updates and cancels). */
  followUps(alertId: string): InboxItem[] {
    return (
      this.db
        .prepare(
          'SELECT DISTINCT inbox.* FROM inbox, json_each(inbox.refs) WHERE json_each.value = ? ORDER BY seq',
        )
        .all(alertId) as InboxRow[]
    ).map(inboxItem);
  }

  /** Marks an alert read; false when it already was. */
  markRead(alertId: string, at: Date): boolean {
    return (
      this.db
        .prepare('UPDATE inbox SET read_at = ? WHERE alert_id = ? AND read_at IS NULL')
        .run(at.getTime(), alertId).changes === 1
    );
  }

  /** Marks an alert acknowledged (and read); false when it already was acknowledged. */
  markAcked(alertId: string, at: Date, note: string): boolean {
    return (
      this.db
        .prepare(
          'UPDATE inbox SET acked_at = ?, ack_note = ?, read_at = COALESCE(read_at, ?) WHERE alert_id = ? AND acked_at IS NULL',
        )
        .run(at.getTime(), note, at.getTime(), alertId).changes === 1
    );
  }

  /** Queues a signed message; idempotent on `ref`. */
  enqueue(
    item: Pick<OutboxItem, 'ref' | 'kind' | 'alertId' | 'jws' | 'label'> & { createdAt: Date },
  ): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO outbox (ref, kind, alert_id, jws, label, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(item.ref, item.kind, item.alertId, item.jws, item.label, item.createdAt.getTime());
  }

  /** Pending messages in the order they were written. */
  pending(limit = 100): OutboxItem[] {
    return (
      this.db
        .prepare("SELECT * FROM outbox WHERE status = 'pending' ORDER BY created_at, rowid LIMIT ?")
        .all(limit) as OutboxRow[]
    ).map(outboxItem);
  }

  /** Records the broker's answer to a queued message. */
  answer(
    ref: string,
    a: { status: 'accepted'; seq: number } | { status: 'refused'; reason: string; message: string },
    at: Date,
  ): void {
    if (a.status === 'accepted') {
      this.db
        .prepare('UPDATE outbox SET status = ?, seq = ?, answered_at = ? WHERE ref = ?')
        .run('accepted', a.seq, at.getTime(), ref);
    } else {
      this.db
        .prepare(
          'UPDATE outbox SET status = ?, reason = ?, message = ?, answered_at = ? WHERE ref = ?',
        )
        .run('refused', a.reason, a.message, at.getTime(), ref);
    }
  }

  /** Alerts this station sent (outbox alerts), newest first. */
  sent(limit = 50): OutboxItem[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM outbox WHERE kind = 'alert' ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .all(limit) as OutboxRow[]
    ).map(outboxItem);
  }

  outboxItem(alertId: string): OutboxItem | undefined {
    const r = this.db
      .prepare("SELECT * FROM outbox WHERE kind = 'alert' AND alert_id = ?")
      .get(alertId) as OutboxRow | undefined;
    return r ? outboxItem(r) : undefined;
  }

  /** Records a receipt for an alert this station sent; false when already recorded. */
  addTrail(t: TrailItem): boolean {
    return (
      this.db
        .prepare(
          'INSERT OR IGNORE INTO trail (alert_id, station, kind, at, note) VALUES (?, ?, ?, ?, ?)',
        )
        .run(t.alertId, t.station, t.kind, t.at.getTime(), t.note).changes === 1
    );
  }

  /** The receipt trail of a sent alert. */
  trail(alertId: string): TrailItem[] {
    return (
      this.db
        .prepare('SELECT * FROM trail WHERE alert_id = ? ORDER BY at, station')
        .all(alertId) as Array<{
        alert_id: string;
        station: string;
        kind: string;
        at: number;
        note: string;
      }>
    ).map((r) => ({
      alertId: r.alert_id,
      station: r.station,
      kind: r.kind,
      at: new Date(r.at),
      note: r.note,
    }));
  }

  /** Counts for `status`. */
  counts(): { unread: number; inbox: number; pending: number; refused: number } {
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      inbox: one('SELECT COUNT(*) AS n FROM inbox'),
      unread: one('SELECT COUNT(*) AS n FROM inbox WHERE read_at IS NULL'),
      pending: one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'"),
      refused: one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'refused'"),
    };
  }

  close(): void {
    this.db.close();
  }
}
