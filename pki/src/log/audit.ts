import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  verifyChain,
  type ChainReport,
} from './hash-chain.js';

/**
 * What the audit records. Every lookup, disclosure, record change, alert sent, console sign-in,
 * administrative act and refusal is one entry; an entry is never changed or removed.
 */
export interface AuditBody {
  /** UTC time to the millisecond, ISO 8601. */
  at: string;
  /** Who acted: the identity of the certificate (`agency/CBI/DELHI-HQ`), or `console:<user>@<scope>`. */
  actor: string;
  /** Serial of the certificate the actor connected with, when there was one. */
  serial?: string;
  /** What was done, e.g. `lookup.person`, `record.add`, `alert.accepted`, `console.signin`. */
  action: string;
  outcome: 'ok' | 'refused' | 'failed';
  /** The stated purpose of a lookup: the case / FIR reference and a reason code. */
  purpose?: { reference: string; reason: string };
  /** What the act was about: a record id, an alert id, an operator name. */
  subject?: string;
  /** The query as asked (lookups). */
  query?: Record<string, unknown>;
  /** How many results were disclosed (lookups). */
  results?: number;
  /** The stable code of a refusal and its message. */
  code?: string;
  message?: string;
  /** Anything else worth keeping (small). */
  details?: Record<string, unknown>;
}

/** One stored audit entry. */
export interface AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
  body: AuditBody;
}

/** The head of an audit chain: its last sequence number and hash. */
export interface AuditHead {
  seq: number;
  hash: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT
);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action, at);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  at INTEGER NOT NULL,
  jws TEXT NOT NULL
);
`;

/** What a report may select on (pre-selection by indexed columns; the body decides). */
export interface AuditFilter {
  actor?: string;
  action?: string;
  actionPrefix?: string;
  subject?: string;
  from?: Date;
  to?: Date;
  limit?: number;
}

/**
 * The audit as a table in an SQLite database (the broker's store, the console's database). The
 * indexed columns only pre-select; reports and verification read the hashed body, so editing a
 * column cannot change an answer without breaking the chain.
 */
export class SqliteAuditTable {
  private readonly last: Database.Statement<[], { seq: number; hash: string }>;
  private readonly insert: Database.Statement<unknown[]>;

  constructor(
    private readonly db: Database.Database,
    opts: { readonly?: boolean } = {},
  ) {
    if (!opts.readonly) db.exec(SCHEMA);
    this.last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare(
      'INSERT INTO audit (seq, prev_hash, hash, body, at, actor, action, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Appends an entry in one write-locked transaction (so concurrent writers chain correctly). */
  append(body: AuditBody): AuditEntry {
    return this.appendMany([body])[0]!;
  }

  /**
   * Appends entries in order in one write-locked transaction: one commit for a batch, the same
   * chain as appending them one by one.
   */
  appendMany(bodies: readonly AuditBody[]): AuditEntry[] {
    return this.db
      .transaction(() => {
        const last = this.last.get();
        let seq = last?.seq ?? 0;
        let prevHash = last?.hash ?? GENESIS_HASH;
        const out: AuditEntry[] = [];
        for (const body of bodies) {
          seq++;
          // What is hashed is exactly what is stored: undefined fields dropped, JSON round trip.
          const clean = JSON.parse(canonicalJson(body)) as AuditBody;
          const stored = canonicalJson(clean);
          const hash = entryHash(prevHash, seq, clean);
          this.insert.run(
            seq,
            prevHash,
            hash,
            stored,
            Date.parse(clean.at),
            clean.actor,
            clean.action,
            clean.subject ?? null,
          );
          out.push({ seq, prevHash, hash, body: clean });
          prevHash = hash;
        }
        return out;
      })
      .immediate();
  }

  head(): AuditHead {
    const last = this.last.get();
    return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH };
  }

  /** Entries after `seq` in stored order (at most `limit`). */
  entries(afterSeq = 0, limit = 1_000_000): AuditEntry[] {
    return (
      this.db
        .prepare(
          'SELECT seq, prev_hash, hash, body FROM audit WHERE seq > ? ORDER BY rowid LIMIT ?',
        )
        .all(afterSeq, limit) as Array<{
        seq: number;
        prev_hash: string;
        hash: string;
        body: string;
      }>
    ).map(toEntry);
  }

  /** Every entry, in stored order, without loading them all at once. */
  *iterate(): Generator<AuditEntry> {
    for (const r of this.db
      .prepare('SELECT seq, prev_hash, hash, body FROM audit ORDER BY rowid')
      .iterate() as Iterable<{ seq: number; prev_hash: string; hash: string; body: string }>)
      yield toEntry(r);
  }

  /** Entries matching a filter, oldest first; the filter is applied to the hashed body. */
  find(f: AuditFilter): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      args.push(...values);
    };
    if (f.actor) add('actor = ?', f.actor);
    if (f.action) add('action = ?', f.action);
    if (f.actionPrefix)
      add('action >= ? AND action < ?', f.actionPrefix, `${f.actionPrefix}\uffff`);
    if (f.subject) add('subject = ?', f.subject);
    if (f.from) add('at >= ?', f.from.getTime());
    if (f.to) add('at < ?', f.to.getTime());
    const sql = `SELECT seq, prev_hash, hash, body FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    return (
      this.db.prepare(sql).all(...args, f.limit ?? 100_000) as Array<{
        seq: number;
        prev_hash: string;
        hash: string;
        body: string;
      }>
    )
      .map(toEntry)
      .filter(
        (e) =>
          (!f.actor || e.body.actor === f.actor) &&
          (!f.action || e.body.action === f.action) &&
          (!f.actionPrefix || e.body.action.startsWith(f.actionPrefix)) &&
          (!f.subject || e.body.subject === f.subject),
      );
  }

  /** Keeps a signed checkpoint of the head. */
  addCheckpoint(cp: { seq: number; hash: string; at: Date; jws: string }): void {
    this.db
      .prepare('INSERT INTO audit_checkpoints (seq, hash, at, jws) VALUES (?, ?, ?, ?)')
      .run(cp.seq, cp.hash, cp.at.getTime(), cp.jws);
  }

  /** Signed checkpoints kept here, oldest first. */
  checkpoints(): string[] {
    return (
      this.db.prepare('SELECT jws FROM audit_checkpoints ORDER BY rowid').all() as Array<{
        jws: string;
      }>
    ).map((r) => r.jws);
  }
}

/** An audit entry from its stored columns, whichever store kept them. */
export function auditEntry(seq: number, prevHash: string, hash: string, body: string): AuditEntry {
  let parsed: AuditBody;
  try {
    parsed = JSON.parse(body) as AuditBody;
  } catch {
    // A body that no longer parses was edited; verification reports it by its hash.
    parsed = { at: '', actor: '', action: 'unreadable', outcome: 'failed', message: body };
  }
  return { seq, prevHash, hash, body: parsed };
}

function toEntry(r: { seq: number; prev_hash: string; hash: string; body: string }): AuditEntry {
  return auditEntry(r.seq, r.prev_hash, r.hash, r.body);
}

/** Verifies an audit chain (see `verifyChain`): edited, deleted and inserted entries, by seq. */
export function verifyAuditChain(entries: Iterable<AuditEntry>): ChainReport {
  return verifyChain(entries);
}

/** The JWS `typ` of a signed audit checkpoint. */
export const CHECKPOINT_JWS_TYPE = 'cctns-audit-checkpoint+jws';

/**
 * What a checkpoint says: at `at`, the log of `log` had `seq` entries ending in `hash`; and how
 * often its keeper signs one (every `interval` seconds and every `every` entries), so a reader
 * knows how much may follow the newest checkpoint before that is a sign of tampering.
 */
export interface AuditCheckpoint {
  log: string;
  seq: number;
  hash: string;
  at: string;
  interval?: number;
  every?: number;
  /** Signed as its keeper stopped: nothing may follow it until the keeper's next checkpoint. */
  final?: boolean;
}

/** The JWS `typ` of a witness's countersignature of a checkpoint. */
export const WITNESS_JWS_TYPE = 'cctns-audit-witness+jws';

/**
 * What a witness countersigns: it received the checkpoint whose JWS has SHA-256 `digest` (of
 * `log` at `seq`/`hash`) at `witnessedAt`, and keeps it.
 */
export interface WitnessStatement {
  log: string;
  seq: number;
  hash: string;
  digest: string;
  witnessedAt: string;
}

/** A checkpoint as a witness keeps and serves it: the keeper's JWS and the witness's. */
export interface WitnessedCheckpoint {
  checkpoint: string;
  witness: string;
}

/** The SHA-256 (hex) of a checkpoint's JWS text, which a witness statement names. */
export function checkpointDigest(jws: string): string {
  return createHash('sha256').update(jws).digest('hex');
}

/** Countersigns a checkpoint with the witness's key (PS256, chain in x5c). */
export async function signWitness(
  signer: { sign(payload: string, header?: Record<string, unknown>): Promise<string> },
  statement: WitnessStatement,
): Promise<string> {
  return signer.sign(canonicalJson(statement), { typ: WITNESS_JWS_TYPE });
}

/** Signs a checkpoint of a log head with the log keeper's key (PS256, chain in x5c). */
export async function signCheckpoint(
  signer: { sign(payload: string, header?: Record<string, unknown>): Promise<string> },
  cp: AuditCheckpoint,
): Promise<string> {
  return signer.sign(canonicalJson(cp), { typ: CHECKPOINT_JWS_TYPE });
}

/** A problem an overseer's check finds, located by sequence number where it has one. */
export interface AuditProblem {
  seq: number;
  kind:
    | 'altered'
    | 'deleted'
    | 'inserted'
    | 'relinked'
    | 'rewritten'
    | 'truncated'
    | 'checkpoint'
    /** Entries but no signed checkpoint to check them against. */
    | 'unchecked'
    /** More after the newest checkpoint than its keeper writes between two. */
    | 'unwitnessed';
  message: string;
}

/** The outcome of `verifyAudit`. */
export interface AuditReport {
  ok: boolean;
  entries: number;
  head: string;
  checkpoints: number;
  problems: AuditProblem[];
}

/** How `verifyAudit` treats a log and its checkpoints. */
export interface VerifyAuditOptions {
  /** A log with entries and no valid checkpoint fails (default false: the chain alone). */
  requireCheckpoints?: boolean;
  /** Slack on a checkpoint's interval before later entries count as unwitnessed (default 60 s). */
  graceMs?: number;
}

/**
 * The overseer's check: the chain itself (edited, deleted, inserted entries), then every signed
 * checkpoint — its signature by the log keeper's certificate (checked by `verifySignature`), and
 * that the log still holds the entry it names with the hash it names. A log rewritten from some
 * point on and re-chained consistently passes the chain check but not the checkpoints; a log cut
 * short shows as truncated. Then what follows the newest checkpoint: its keeper signs one every
 * `every` entries and every `interval` seconds, so more entries than that, or an entry dated
 * later than the interval allows, were written past the keeper (or its checkpoints were
 * removed). A log with entries and no checkpoint at all fails when `requireCheckpoints` is set
 * (as `cctns audit verify` does unless told `--no-checkpoints`). Checkpoints kept by an outside witness (see `WitnessedCheckpoint`) are what make a
 * rewrite of the whole log, checkpoints included, visible.
 */
export async function verifyAudit(
  entries: Iterable<AuditEntry>,
  checkpoints: readonly string[],
  verifySignature: (jws: string) => Promise<AuditCheckpoint>,
  opts: VerifyAuditOptions = {},
): Promise<AuditReport> {
  const hashes = new Map<number, string>();
  const times = new Map<number, string>();
  const keep = function* (it: Iterable<AuditEntry>) {
    for (const e of it) {
      hashes.set(e.seq, e.hash);
      times.set(e.seq, e.body.at);
      yield e;
    }
  };
  const chain = verifyChain(keep(entries));
  const problems: AuditProblem[] = [...chain.problems];
  let last = 0;
  for (const s of hashes.keys()) last = Math.max(last, s);
  let newest: AuditCheckpoint | undefined;
  for (const jws of checkpoints) {
    let cp: AuditCheckpoint;
    try {
      cp = await verifySignature(jws);
    } catch (err) {
      problems.push({
        seq: 0,
        kind: 'checkpoint',
        message: `a checkpoint does not verify: ${(err as Error).message}`,
      });
      continue;
    }
    if (!newest || cp.seq > newest.seq || (cp.seq === newest.seq && cp.at > newest.at)) newest = cp;
    const have = hashes.get(cp.seq);
    if (cp.seq > last)
      problems.push({
        seq: cp.seq,
        kind: 'truncated',
        message: `the checkpoint of ${cp.at} names entry ${cp.seq}, but the log ends at ${last}: entries were removed from the end`,
      });
    else if (cp.seq > 0 && have !== cp.hash)
      problems.push({
        seq: cp.seq,
        kind: 'rewritten',
        message: `entry ${cp.seq} differs from the checkpoint signed at ${cp.at}: the log was rewritten at or before it`,
      });
  }
  if (!newest && chain.entries > 0 && (opts.requireCheckpoints ?? false))
    problems.push({
      seq: last,
      kind: 'unchecked',
      message: `the log has ${chain.entries} entries and no valid signed checkpoint: a rewrite of the whole log cannot be ruled out (checkpoints removed?); check it against a witness's copy`,
    });
  if (newest && newest.seq < last) problems.push(...tailProblems(newest, last, times, opts));
  return {
    ok: problems.length === 0,
    entries: chain.entries,
    head: chain.head,
    checkpoints: checkpoints.length,
    problems,
  };
}

/** What is wrong with the entries after the newest checkpoint, given how often its keeper signs. */
function tailProblems(
  newest: AuditCheckpoint,
  last: number,
  times: ReadonlyMap<number, string>,
  opts: VerifyAuditOptions,
): AuditProblem[] {
  const out: AuditProblem[] = [];
  const after = last - newest.seq;
  if (newest.final)
    out.push({
      seq: newest.seq + 1,
      kind: 'unwitnessed',
      message: `${after} entries follow the checkpoint its keeper signed as it stopped (entry ${newest.seq}, ${newest.at}): they were written while it was stopped`,
    });
  if (newest.every && after >= newest.every)
    out.push({
      seq: newest.seq + newest.every,
      kind: 'unwitnessed',
      message: `${after} entries follow the newest checkpoint (entry ${newest.seq}, ${newest.at}), but its keeper signs one every ${newest.every} entries: they were written past it, or later checkpoints were removed`,
    });
  if (newest.interval) {
    const limit = Date.parse(newest.at) + newest.interval * 1000 + (opts.graceMs ?? 60_000);
    for (let seq = newest.seq + 1; seq <= last; seq++) {
      const at = times.get(seq);
      if (at === undefined || !(Date.parse(at) > limit)) continue;
      out.push({
        seq,
        kind: 'unwitnessed',
        message: `entry ${seq} is dated ${at}, later than the newest checkpoint (${newest.at}, signed every ${newest.interval} s) allows: written past its keeper, or later checkpoints were removed`,
      });
      break;
    }
  }
  return out;
}
