import Database from 'better-sqlite3';
import { PkiError } from '../errors.js';
import { entryHash, GENESIS_HASH, verifyChain, type ChainReport } from '../log/hash-chain.js';

/** Events the issuance log records. */
export type LogEvent =
  'init-root' | 'init-ca' | 'token' | 'issue' | 'renew' | 'revoke' | 'crl' | 'refuse';

/** The body of one issuance-log entry (hashed canonically). */
export interface LogBody {
  at: string;
  event: LogEvent;
  ca?: string;
  identity?: string;
  serial?: string;
  detail?: Record<string, unknown>;
}

/** One issued certificate as the authority remembers it. */
export interface CertificateRecord {
  serial: string;
  ca: string;
  identity: string;
  kind: string;
  notBefore: Date;
  notAfter: Date;
  issuedAt: Date;
  how: 'issue' | 'renew';
  replaces?: string;
  revokedAt?: Date;
  reason?: string;
  pem: string;
}

interface CertRow {
  serial: string;
  ca: string;
  identity: string;
  kind: string;
  not_before: number;
  not_after: number;
  issued_at: number;
  how: 'issue' | 'renew';
  replaces: string | null;
  revoked_at: number | null;
  reason: string | null;
  pem: string;
  log_seq: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS certificates (
  serial TEXT PRIMARY KEY,
  ca TEXT NOT NULL,
  identity TEXT NOT NULL,
  kind TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  how TEXT NOT NULL,
  replaces TEXT,
  revoked_at INTEGER,
  reason TEXT,
  pem TEXT NOT NULL,
  log_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS certificates_identity ON certificates (identity);
CREATE INDEX IF NOT EXISTS certificates_revoked ON certificates (ca, revoked_at);
CREATE TABLE IF NOT EXISTS used_tokens (
  jti TEXT PRIMARY KEY,
  ca TEXT NOT NULL,
  identity TEXT NOT NULL,
  used_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS crl_numbers (ca TEXT PRIMARY KEY, number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL
);
`;

function toRecord(r: CertRow): CertificateRecord {
  return {
    serial: r.serial,
    ca: r.ca,
    identity: r.identity,
    kind: r.kind,
    notBefore: new Date(r.not_before),
    notAfter: new Date(r.not_after),
    issuedAt: new Date(r.issued_at),
    how: r.how,
    ...(r.replaces ? { replaces: r.replaces } : {}),
    ...(r.revoked_at !== null
      ? { revokedAt: new Date(r.revoked_at), reason: r.reason ?? 'unspecified' }
      : {}),
    pem: r.pem,
  };
}

/** Result of `PkiStore.verifyLog`: the chain report plus cross-checks against issued certificates. */
export interface LogReport extends ChainReport {
  /** Certificates or revocations with no matching log entry (a log entry was removed). */
  unlogged: string[];
}

/**
 * The authority's database (SQLite, WAL): issued certificates, used token ids, CRL numbers and
 * the hash-chained issuance log. Every issuance writes its certificate, spends its token and
 * appends its log entry in one transaction.
 */
export class PkiStore {
  private readonly db: Database.Database;
  private readonly lastEntry: Database.Statement<[], { seq: number; hash: string }>;
  private readonly insertEntry: Database.Statement<[number, string, string, string]>;
  private readonly insertToken: Database.Statement<[string, string, string, number, number]>;
  private readonly insertCert: Database.Statement<unknown[]>;
  private readonly selectCert: Database.Statement<[string], CertRow>;
  private readonly selectRevoked: Database.Statement<[string], unknown>;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.lastEntry = this.db.prepare('SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1');
    this.insertEntry = this.db.prepare(
      'INSERT INTO log (seq, prev_hash, hash, body) VALUES (?, ?, ?, ?)',
    );
    this.insertToken = this.db.prepare(
      'INSERT OR IGNORE INTO used_tokens (jti, ca, identity, used_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertCert = this.db.prepare(
      `INSERT INTO certificates (serial, ca, identity, kind, not_before, not_after, issued_at, how, replaces, pem, log_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectCert = this.db.prepare('SELECT * FROM certificates WHERE serial = ?');
    this.selectRevoked = this.db.prepare(
      'SELECT revoked_at, reason FROM certificates WHERE serial = ? AND revoked_at IS NOT NULL',
    );
  }

  /** Runs `fn` in one immediate (write-locked) transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Appends an entry to the issuance log and returns its sequence number. Call inside a transaction. */
  append(body: LogBody): number {
    const last = this.lastEntry.get();
    const seq = (last?.seq ?? 0) + 1;
    const prev = last?.hash ?? GENESIS_HASH;
    const clean = JSON.parse(JSON.stringify(body)) as LogBody;
    this.insertEntry.run(seq, prev, entryHash(prev, seq, clean), JSON.stringify(clean));
    return seq;
  }

  /** Appends a log entry in its own transaction. */
  log(body: LogBody): number {
    return this.transaction(() => this.append(body));
  }

  /** Spends a token id; throws TOKEN_REUSED when it was spent before. Call inside a transaction. */
  spendToken(jti: string, ca: string, identity: string, usedAt: Date, expiresAt: Date): void {
    const r = this.insertToken.run(jti, ca, identity, usedAt.getTime(), expiresAt.getTime());
    if (r.changes === 0)
      throw new PkiError('TOKEN_REUSED', 'the enrollment token was already used');
  }

  /** Records an issued certificate. Call inside a transaction, after appending its log entry. */
  insertCertificate(rec: CertificateRecord, logSeq: number): void {
    this.insertCert.run(
      rec.serial,
      rec.ca,
      rec.identity,
      rec.kind,
      rec.notBefore.getTime(),
      rec.notAfter.getTime(),
      rec.issuedAt.getTime(),
      rec.how,
      rec.replaces ?? null,
      rec.pem,
      logSeq,
    );
  }

  /** The revocation of a certificate, if it was revoked (read on every signature check: no PEM). */
  revocation(serial: string): { revokedAt: Date; reason: string } | undefined {
    const row = this.selectRevoked.get(serial) as
      { revoked_at: number; reason: string | null } | undefined;
    return row
      ? { revokedAt: new Date(row.revoked_at), reason: row.reason ?? 'unspecified' }
      : undefined;
  }

  /**
   * A mark that changes whenever a certificate is revoked (how many are, and the latest time):
   * cheap to read often, so a broker re-checks its open links only when it moves.
   */
  revocationMark(): string {
    const row = this.db
      .prepare(
        'SELECT COUNT(*) AS n, MAX(revoked_at) AS m FROM certificates WHERE revoked_at IS NOT NULL',
      )
      .get() as { n: number; m: number | null };
    return `${row.n}:${row.m ?? 0}`;
  }

  /** A certificate by serial, if this PKI issued it. */
  certificate(serial: string): CertificateRecord | undefined {
    const row = this.selectCert.get(serial);
    return row ? toRecord(row) : undefined;
  }

  /** Certificates, newest first, optionally of one CA or identity. */
  certificates(
    filter: { ca?: string; identity?: string; limit?: number } = {},
  ): CertificateRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.ca) {
      where.push('ca = ?');
      args.push(filter.ca);
    }
    if (filter.identity) {
      where.push('identity = ?');
      args.push(filter.identity);
    }
    const sql = `SELECT * FROM certificates ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 1_000_000) as CertRow[]).map(
      toRecord,
    );
  }

  /** Marks a certificate revoked. Call inside a transaction. */
  markRevoked(serial: string, at: Date, reason: string): void {
    this.db
      .prepare('UPDATE certificates SET revoked_at = ?, reason = ? WHERE serial = ?')
      .run(at.getTime(), reason, serial);
  }

  /** Revoked certificates of a CA that have not yet expired (expired ones may leave the CRL). */
  revoked(ca: string, now: Date): Array<{ serial: string; revokedAt: Date; reason: string }> {
    const rows = this.db
      .prepare(
        'SELECT serial, revoked_at, reason FROM certificates WHERE ca = ? AND revoked_at IS NOT NULL AND not_after > ? ORDER BY revoked_at',
      )
      .all(ca, now.getTime()) as Array<{ serial: string; revoked_at: number; reason: string }>;
    return rows.map((r) => ({
      serial: r.serial,
      revokedAt: new Date(r.revoked_at),
      reason: r.reason,
    }));
  }

  /** Returns the next CRL number of a CA and stores it. Call inside a transaction. */
  nextCrlNumber(ca: string): number {
    const row = this.db.prepare('SELECT number FROM crl_numbers WHERE ca = ?').get(ca) as
      { number: number } | undefined;
    const n = (row?.number ?? 0) + 1;
    this.db
      .prepare(
        'INSERT INTO crl_numbers (ca, number) VALUES (?, ?) ON CONFLICT(ca) DO UPDATE SET number = excluded.number',
      )
      .run(ca, n);
    return n;
  }

  /** Log entries in sequence order (optionally only the last `limit`). */
  entries(limit?: number): Array<{ seq: number; prevHash: string; hash: string; body: LogBody }> {
    const rows = (
      limit === undefined
        ? this.db.prepare('SELECT seq, prev_hash, hash, body FROM log ORDER BY rowid').all()
        : this.db
            .prepare(
              'SELECT * FROM (SELECT seq, prev_hash, hash, body, rowid AS r FROM log ORDER BY seq DESC LIMIT ?) ORDER BY r',
            )
            .all(limit)
    ) as Array<{ seq: number; prev_hash: string; hash: string; body: string }>;
    return rows.map((r) => ({
      seq: r.seq,
      prevHash: r.prev_hash,
      hash: r.hash,
      body: JSON.parse(r.body) as LogBody,
    }));
  }

  /**
   * Verifies the log chain and cross-checks it against the certificate table: every issued and
   * every revoked certificate must have its log entry, so cutting entries off the end shows too.
   */
  verifyLog(): LogReport {
    const entries = this.entries();
    const report = verifyChain(entries);
    const bySeq = new Map(entries.map((e) => [e.seq, e.body]));
    const revokedSerials = new Set(
      entries.filter((e) => e.body.event === 'revoke').map((e) => e.body.serial),
    );
    const unlogged: string[] = [];
    for (const row of this.db
      .prepare('SELECT serial, how, log_seq, revoked_at FROM certificates')
      .iterate() as Iterable<Pick<CertRow, 'serial' | 'how' | 'log_seq' | 'revoked_at'>>) {
      const body = bySeq.get(row.log_seq);
      if (!body || body.serial !== row.serial || body.event !== row.how)
        unlogged.push(`${row.how} of ${row.serial}`);
      if (row.revoked_at !== null && !revokedSerials.has(row.serial))
        unlogged.push(`revoke of ${row.serial}`);
    }
    return { ...report, ok: report.ok && unlogged.length === 0, unlogged };
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
