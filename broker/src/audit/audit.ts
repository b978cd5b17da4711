import { appendFileSync } from 'node:fs';
import {
  signCheckpoint,
  type AuditBody,
  type AuditEntry,
  type JwsSigner,
  type VerifiedCertificate,
  unverifiedPayload,
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

/**
 * How long an entry nobody waits for may wait for others to share its commit: long enough that
 * a busy broker commits the entries of many alerts at once, short next to anyone reading them.
 */
const SOON_MS = 20;
/** How many such entries are committed at once at most. */
const SOON_MAX = 256;

/** How often a signed checkpoint of the audit head is made, by default. */
export const DEFAULT_CHECKPOINT_SECONDS = 300;
/** How many entries may be appended before a checkpoint is signed, by default. */
export const DEFAULT_CHECKPOINT_ENTRIES = 100;

/**
 * The broker's audit: every lookup, disclosure, record change, alert accepted and refusal is
 * appended to the hash-chained audit in its store. A checkpoint of the head, signed with the
 * broker's key, is made every `checkpointEntries` entries, on a timer (also when nothing moved,
 * so a reader knows how far the log may run past the newest one) and at stop; it is kept in the
 * store, appended to `checkpointFile` (for shipping to an overseer), served on the HTTP endpoint
 * and sent to the witness (the national broker), which countersigns and keeps it. So a later
 * rewrite or cut of the log, checkpoints included, cannot pass unnoticed.
 */
export class Audit {
  /** When this process last signed a checkpoint (undefined before the first). */
  lastCheckpointAt: Date | undefined;
  private lastCheckpointSeq = -1;
  /** One checkpoint at a time, in order. */
  private checkpointing: Promise<unknown> = Promise.resolve();
  private checkpointDue = false;
  /** The newest checkpoint the witness has not acknowledged yet (it covers the older ones). */
  private unwitnessed: string | undefined;
  private witnessing: Promise<void> | undefined;
  private witnessFailing = false;
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
      /** Entries between checkpoints at most (default 100). */
      checkpointEntries?: number;
      /** The timer's period, written into each checkpoint (seconds; default 300). */
      checkpointSeconds?: number;
      /** Sends a checkpoint to the witness; resolves once it is countersigned. */
      witness?: ((jws: string) => Promise<void>) | undefined;
      /** The newest checkpoint kept, sent to the witness at start (it may have missed it). */
      latestCheckpoint?: () => Promise<string | undefined>;
    },
  ) {
    this.periodic = new PeriodicPass(
      async () => ((await this.checkpoint({ always: true })) ? 1 : 0),
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
      const head = entries[entries.length - 1]!.seq;
      const every = this.deps.checkpointEntries ?? DEFAULT_CHECKPOINT_ENTRIES;
      if (head - Math.max(0, this.lastCheckpointSeq) >= every && !this.checkpointDue) {
        this.checkpointDue = true;
        void this.checkpoint()
          .catch((err: unknown) =>
            this.deps.logger.error({ err: (err as Error).message }, 'audit checkpoint failed'),
          )
          .finally(() => (this.checkpointDue = false));
      }
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

  /**
   * Signs a checkpoint of the head if it moved since the last one (or `always`); returns its
   * JWS. Checkpoints are made one at a time, each sent on to the witness.
   */
  checkpoint(opts: { always?: boolean; final?: boolean } = {}): Promise<string | undefined> {
    const next = this.checkpointing.then(() =>
      this.signCheckpoint(opts.always ?? opts.final ?? false, opts.final ?? false),
    );
    this.checkpointing = next.catch(() => undefined);
    return next;
  }

  private async signCheckpoint(always: boolean, final: boolean): Promise<string | undefined> {
    const head = await this.deps.store.auditHead();
    if (head.seq === this.lastCheckpointSeq && !always) return undefined;
    const at = this.deps.clock();
    const jws = await signCheckpoint(this.deps.signer(), {
      log: this.deps.identity,
      seq: head.seq,
      hash: head.hash,
      at: at.toISOString(),
      interval: this.deps.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS,
      every: this.deps.checkpointEntries ?? DEFAULT_CHECKPOINT_ENTRIES,
      ...(final ? { final: true } : {}),
    });
    await this.deps.store.addAuditCheckpoint({ ...head, at, jws });
    this.lastCheckpointAt = at;
    if (this.deps.checkpointFile) appendFileSync(this.deps.checkpointFile, `${jws}\n`);
    this.lastCheckpointSeq = head.seq;
    this.deps.logger.info({ seq: head.seq, hash: head.hash }, 'audit checkpoint signed');
    this.toWitness(jws);
    return jws;
  }

  /**
   * Sends the newest checkpoint to the witness, one at a time; one that fails stays to be sent
   * again with the next checkpoint or timer tick (a newer one replaces it: each covers the log
   * before it).
   */
  private toWitness(jws: string | undefined): void {
    const witness = this.deps.witness;
    if (!witness) return;
    if (jws) this.unwitnessed = jws;
    if (this.witnessing || !this.unwitnessed) return;
    this.witnessing = (async () => {
      while (this.unwitnessed) {
        const sending = this.unwitnessed;
        try {
          await witness(sending);
          if (this.unwitnessed === sending) this.unwitnessed = undefined;
        } catch (err) {
          // Said once per outage (a broker without a national broker says it once).
          if (!this.witnessFailing)
            this.deps.logger.warn(
              { err: (err as Error).message },
              'audit checkpoint not witnessed yet; sent again with the next one',
            );
          this.witnessFailing = true;
          break;
        }
        if (this.witnessFailing) this.deps.logger.info('audit checkpoints witnessed again');
        this.witnessFailing = false;
      }
    })().finally(() => (this.witnessing = undefined));
  }

  /** Resolves once the witness has taken what there is to send, or failed to (for stop, tests). */
  async witnessed(): Promise<boolean> {
    this.toWitness(undefined);
    await this.witnessing;
    return this.unwitnessed === undefined;
  }

  /**
   * Checkpoints every `everyMs`. At start, a log that runs past its newest checkpoint (the broker
   * stopped without one: a crash) is checkpointed at once; otherwise the newest is sent to the
   * witness again (it may have missed it).
   */
  start(everyMs: number): void {
    this.periodic.start(everyMs);
    void this.resume().catch((err: unknown) =>
      this.deps.logger.error({ err: (err as Error).message }, 'audit checkpoint at start failed'),
    );
  }

  private async resume(): Promise<void> {
    const head = await this.deps.store.auditHead();
    const latest = await this.deps.latestCheckpoint?.();
    const cp = latest === undefined ? undefined : ownCheckpoint(latest);
    if (cp?.seq === head.seq && !cp.final) {
      this.lastCheckpointSeq = Math.max(this.lastCheckpointSeq, head.seq);
      if (!this.unwitnessed) this.toWitness(latest);
    } else if (head.seq > 0 || cp?.final) {
      // Running again after a final checkpoint, or after a crash: say so at once.
      await this.checkpoint({ always: true });
    }
  }

  /**
   * Stops, after a last checkpoint marked final (also when nothing moved since the previous one):
   * whatever follows a final checkpoint in the log was written while the broker was stopped.
   */
  async stop(): Promise<void> {
    await this.periodic.stop();
    await this.flush();
    await this.checkpoint({ final: true }).catch((err: unknown) =>
      this.deps.logger.error({ err: (err as Error).message }, 'last audit checkpoint failed'),
    );
    await this.witnessed();
  }
}

/** What a checkpoint JWS of our own says (read, not verified: it comes from our store). */
function ownCheckpoint(jws: string): { seq?: number; final?: boolean } | undefined {
  try {
    return JSON.parse(unverifiedPayload(jws).toString('utf8')) as {
      seq?: number;
      final?: boolean;
    };
  } catch {
    return undefined;
  }
}
