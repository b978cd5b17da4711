import { appendFileSync } from 'node:fs';
import {
  signCheckpoint,
  type AuditBody,
  type AuditEntry,
  type JwsSigner,
  type VerifiedCertificate,
} from '@cctns/pki';
import type { Logger } from 'pino';
import { PeriodicPass } from '../notify/periodic.js';
import type { BrokerStore } from '../store/store.js';

/** What a caller records; the time is the broker's clock unless given. */
export type AuditRecord = Omit<AuditBody, 'at'> & { at?: Date };

/** The audit fields of a connected peer: its identity and certificate serial. */
export function actorOf(peer: VerifiedCertificate): { actor: string; serial: string } {
  return { actor: peer.identityString, serial: peer.serial };
}

/** How long an entry nobody waits for may wait for others to share its commit. */
const SOON_MS = 5;
/** How many such entries are committed at once at most. */
const SOON_MAX = 256;

/** How often a signed checkpoint of the audit head is made, by default. */
export const DEFAULT_CHECKPOINT_SECONDS = 300;

/**
 * The broker's audit: every lookup, disclosure, record change, alert accepted and refusal is
 * appended to the hash-chained audit in its store; a checkpoint of the head, signed with the
 * broker's key, is kept in the store, appended to `checkpointFile` (for shipping to an overseer)
 * and served on the HTTP endpoint, so a later rewrite of the log cannot pass unnoticed.
 */
export class Audit {
  private lastCheckpointSeq = -1;
  private readonly periodic: PeriodicPass;
  /** Entries waiting for the next group commit, with who waits for each. */
  private waiting: Array<{
    body: AuditBody;
    resolve: (e: AuditEntry) => void;
    reject: (err: unknown) => void;
  }> = [];
  private flushScheduled = false;
  private soon: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      store: Pick<BrokerStore, 'appendAudits' | 'auditHead' | 'addAuditCheckpoint'>;
      /** `broker/<home>`: the log a checkpoint is of. */
      identity: string;
      signer: () => JwsSigner;
      logger: Logger;
      clock: () => Date;
      checkpointFile?: string | undefined;
    },
  ) {
    this.periodic = new PeriodicPass(
      async () => ((await this.checkpoint()) ? 1 : 0),
      deps.logger,
      'audit checkpoint',
    );
  }

  /**
   * Appends an entry; throws when the store cannot (callers refuse what they cannot audit).
   * Entries recorded in the same turn of the event loop (alerts from many links, the records a
   * lookup disclosed) are committed together in one transaction, in the order recorded, on the
   * same chain; each caller resumes once its entry is stored.
   */
  record(r: AuditRecord): Promise<AuditEntry> {
    const { at, ...rest } = r;
    const body: AuditBody = { ...rest, at: (at ?? this.deps.clock()).toISOString() };
    return new Promise((resolve, reject) => {
      this.waiting.push({ body, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * Records an entry nobody waits for (an alert accepted: the log already holds it), committed
   * with others within a few milliseconds rather than in a transaction of its own; a failure is
   * logged. Order with `record` is kept: entries are committed in the order they were recorded.
   */
  recordSoon(r: AuditRecord): void {
    const { at, ...rest } = r;
    const body: AuditBody = { ...rest, at: (at ?? this.deps.clock()).toISOString() };
    this.waiting.push({
      body,
      resolve: () => undefined,
      reject: (err) =>
        this.deps.logger.error(
          { err: (err as Error).message, action: r.action },
          'audit entry not written',
        ),
    });
    if (this.waiting.length >= SOON_MAX) {
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    } else this.soon ??= setTimeout(() => void this.flush(), SOON_MS);
  }

  /** Records several entries in order, in one commit. */
  recordAll(records: readonly AuditRecord[]): Promise<AuditEntry[]> {
    return Promise.all(records.map((r) => this.record(r)));
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.soon) clearTimeout(this.soon);
    this.soon = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    try {
      const entries = await this.deps.store.appendAudits(batch.map((w) => w.body));
      batch.forEach((w, i) => w.resolve(entries[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  /** Appends an entry, logging instead of throwing (for refusals: the refusal stands regardless). */
  async tryRecord(r: AuditRecord): Promise<void> {
    try {
      await this.record(r);
    } catch (err) {
      this.deps.logger.error(
        { err: (err as Error).message, action: r.action },
        'audit entry not written',
      );
    }
  }

  /** Signs a checkpoint of the head if it moved since the last one; returns its JWS. */
  async checkpoint(): Promise<string | undefined> {
    const head = await this.deps.store.auditHead();
    if (head.seq === this.lastCheckpointSeq) return undefined;
    const at = this.deps.clock();
    const jws = await signCheckpoint(this.deps.signer(), {
      log: this.deps.identity,
      seq: head.seq,
      hash: head.hash,
      at: at.toISOString(),
    });
    await this.deps.store.addAuditCheckpoint({ ...head, at, jws });
    if (this.deps.checkpointFile) appendFileSync(this.deps.checkpointFile, `${jws}\n`);
    this.lastCheckpointSeq = head.seq;
    this.deps.logger.info({ seq: head.seq, hash: head.hash }, 'audit checkpoint signed');
    return jws;
  }

  /** Checkpoints every `everyMs`. */
  start(everyMs: number): void {
    this.periodic.start(everyMs);
  }

  /** Stops, after a last checkpoint of whatever was appended since the previous one. */
  async stop(): Promise<void> {
    await this.periodic.stop();
    await this.flush();
    await this.checkpoint().catch((err: unknown) =>
      this.deps.logger.error({ err: (err as Error).message }, 'last audit checkpoint failed'),
    );
  }
}
