import Database from 'better-sqlite3';
import {
  CHECKPOINT_JWS_TYPE,
  checkpointDigest,
  signWitness,
  verifyJws,
  type AuditCheckpoint,
  type JwsSigner,
  type TrustStore,
  type WitnessedCheckpoint,
} from '@cctns/pki';
import type { Logger } from 'pino';
import { BrokerError } from '../errors.js';

/** The request/reply subject state brokers send their audit checkpoints to (outside the stream). */
export const WITNESS_SUBJECT = 'cctns.witness.v1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS witnessed (
  log TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  at INTEGER NOT NULL,
  checkpoint TEXT NOT NULL,
  witness TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS witnessed_log ON witnessed (log, seq);
`;

/** What the witness answers a keeper: its countersignature, or why it refused. */
export type WitnessAnswer =
  { ok: true; witness: string } | { ok: false; code: string; message: string };

/**
 * The audit witness, run by the national broker for the state brokers: it receives each signed
 * checkpoint of a state broker's audit head, checks the keeper's signature, refuses a checkpoint
 * that goes back (fewer entries than one it holds) or forks (another hash for an entry it holds
 * a checkpoint of), countersigns it and keeps it, append-only, in its own database. An overseer
 * checks a state's audit against these copies (`cctns audit verify --witness`), so a state
 * broker's log cannot be rewritten or cut, checkpoints and all, without the national copy
 * showing it; rewriting both needs the national and the state IT teams together.
 */
export class AuditWitness {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly deps: {
      trust: TrustStore;
      signer: () => JwsSigner;
      logger: Logger;
      clock: () => Date;
    },
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  /** Checks, countersigns and keeps one checkpoint; refusals are logged (they are evidence). */
  async witness(jws: string): Promise<WitnessAnswer> {
    try {
      const witness = await this.accept(jws);
      return { ok: true, witness };
    } catch (err) {
      const code = err instanceof BrokerError ? err.code : 'AUDIT_WITNESS_REFUSED';
      this.deps.logger.error(
        { code, err: (err as Error).message },
        'audit checkpoint refused by the witness',
      );
      return { ok: false, code, message: (err as Error).message };
    }
  }

  private async accept(jws: string): Promise<string> {
    let cp: AuditCheckpoint;
    try {
      const v = await verifyJws(jws, this.deps.trust, {
        typ: CHECKPOINT_JWS_TYPE,
        kinds: ['broker'],
        at: this.deps.clock(),
      });
      cp = JSON.parse(Buffer.from(v.payload).toString('utf8')) as AuditCheckpoint;
      if (cp.log !== v.signer.identityString)
        throw new Error(`signed by ${v.signer.identityString}, not by ${cp.log}`);
      if (!Number.isInteger(cp.seq) || cp.seq < 0 || !/^[0-9a-f]{64}$/.test(cp.hash))
        throw new Error('not a checkpoint (seq, hash)');
    } catch (err) {
      throw new BrokerError(
        'AUDIT_WITNESS_REFUSED',
        `the checkpoint does not verify: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const same = this.db
      .prepare('SELECT hash, witness FROM witnessed WHERE log = ? AND seq = ? LIMIT 1')
      .get(cp.log, cp.seq) as { hash: string; witness: string } | undefined;
    if (same && same.hash !== cp.hash)
      throw new BrokerError(
        'AUDIT_WITNESS_REFUSED',
        `${cp.log} signed entry ${cp.seq} with hash ${cp.hash}, but the witness holds ${same.hash} for it: the log was rewritten`,
      );
    const newest = this.db
      .prepare('SELECT seq FROM witnessed WHERE log = ? ORDER BY seq DESC LIMIT 1')
      .get(cp.log) as { seq: number } | undefined;
    if (newest && cp.seq < newest.seq && !same)
      throw new BrokerError(
        'AUDIT_WITNESS_REFUSED',
        `${cp.log} signed a checkpoint at entry ${cp.seq}, but the witness holds one at ${newest.seq}: the log went back`,
      );
    const witnessedAt = this.deps.clock();
    const witness = await signWitness(this.deps.signer(), {
      log: cp.log,
      seq: cp.seq,
      hash: cp.hash,
      digest: checkpointDigest(jws),
      witnessedAt: witnessedAt.toISOString(),
    });
    this.db
      .prepare(
        'INSERT INTO witnessed (log, seq, hash, at, checkpoint, witness) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(cp.log, cp.seq, cp.hash, witnessedAt.getTime(), jws, witness);
    return witness;
  }

  /** The checkpoints kept, oldest first; of one log, or of all. */
  list(log?: string): Array<WitnessedCheckpoint & { log: string }> {
    const rows = (
      log
        ? this.db
            .prepare('SELECT log, checkpoint, witness FROM witnessed WHERE log = ? ORDER BY rowid')
            .all(log)
        : this.db.prepare('SELECT log, checkpoint, witness FROM witnessed ORDER BY rowid').all()
    ) as Array<{ log: string; checkpoint: string; witness: string }>;
    return rows;
  }

  close(): void {
    this.db.close();
  }
}

/** Encodes what travels between keeper and witness on the backbone (JSON, small). */
export const witnessCodec = {
  answer: (a: WitnessAnswer): Uint8Array => new TextEncoder().encode(JSON.stringify(a)),
  parseAnswer: (bytes: Uint8Array): WitnessAnswer => {
    const a = JSON.parse(new TextDecoder().decode(bytes)) as WitnessAnswer;
    if (typeof a !== 'object' || a === null || typeof a.ok !== 'boolean')
      throw new Error('the witness answered something else');
    return a;
  },
};
