import Database from 'better-sqlite3';
import {
  SqliteAuditTable,
  signCheckpoint,
  verifyAuditChain,
  type AuditBody,
  type AuditEntry,
  type AuditFilter,
  type AuditHead,
  type ChainReport,
  type JwsSigner,
} from '@cctns/pki';

/**
 * The console's audit, in its own database beside the accounts: every sign-in (and failed one),
 * sign-out, broadcast composed, approved or rejected, contact edit, refused act and administrative
 * command. Same hash chain and checkpoints as a broker's, checked with `cctns audit verify`.
 */
export class ConsoleAudit {
  private readonly db: Database.Database;
  private readonly table: SqliteAuditTable;
  private lastCheckpointSeq = -1;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.table = new SqliteAuditTable(this.db);
  }

  /** Appends an entry (time from `at`, default now). */
  record(r: Omit<AuditBody, 'at'> & { at?: Date }): AuditEntry {
    const { at, ...rest } = r;
    return this.table.append({ ...rest, at: (at ?? new Date()).toISOString() });
  }

  /** Signs a checkpoint of the head with the console's certificate, if it moved. */
  async checkpoint(signer: JwsSigner, log: string, now: Date): Promise<string | undefined> {
    const head = this.table.head();
    if (head.seq === this.lastCheckpointSeq) return undefined;
    const jws = await signCheckpoint(signer, { log, ...head, at: now.toISOString() });
    this.table.addCheckpoint({ ...head, at: now, jws });
    this.lastCheckpointSeq = head.seq;
    return jws;
  }

  /** Entries matching a filter (read from the hashed bodies), oldest first. */
  find(filter: AuditFilter): AuditEntry[] {
    return this.table.find(filter);
  }

  /** The head, the number of checkpoints, and the chain's check. */
  check(): { head: AuditHead; checkpoints: number; report: ChainReport } {
    return {
      head: this.table.head(),
      checkpoints: this.table.checkpoints().length,
      report: verifyAuditChain(this.table.iterate()),
    };
  }

  close(): void {
    this.db.close();
  }
}

/** The audit actor of a console operator: `console:<username>@<scope>`. */
export function operatorActor(op: { username: string; scope: string }): string {
  return `console:${op.username}@${op.scope}`;
}
