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

  constructor(
    private readonly deps: {
      store: BrokerStore;
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

  /** Appends an entry; throws when the store cannot (callers refuse what they cannot audit). */
  async record(r: AuditRecord): Promise<AuditEntry> {
    const { at, ...rest } = r;
    return this.deps.store.appendAudit({ ...rest, at: (at ?? this.deps.clock()).toISOString() });
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
    await this.checkpoint().catch((err: unknown) =>
      this.deps.logger.error({ err: (err as Error).message }, 'last audit checkpoint failed'),
    );
  }
}
