import type { Logger } from 'pino';
import { BrokerError, storeFault, type BrokerErrorCode } from '../errors.js';
import type { Hub } from '../link/hub.js';
import type { Metrics } from '../ops/metrics.js';
import { consumerFilter, kindOfSubject } from '../routing/subjects.js';
import { subjectMatches } from '../backbone/wildcard.js';
import type { Backbone, BackboneConsumer, BackboneMessage } from '../backbone/backbone.js';
import type { BrokerStore, EntryKind, LogAppend, LogEntry } from '../store/store.js';
import type { Admission } from './admission.js';

/** Messages applied in one commit at most (when that many are waiting). */
const APPLY_BATCH = 64;

/** What the federation needs from its broker. */
export interface FederationDeps {
  backbone: Backbone;
  admission: Admission;
  store: Pick<BrokerStore, 'appendBatch' | 'get'>;
  hub: Hub;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  /** This broker's State/UT code, or `national`. */
  home: string;
}

/**
 * The broker's side of the backbone: one durable consumer over everything its state must see
 * (everything, for the national broker), applied to the local log in stream order under the
 * stream's sequence numbers. Nothing from the backbone is trusted but signatures: each message
 * goes through the admission core (end-to-end signature, targets derived from the signed alert,
 * the sender's scope against this broker's policy, the subject against the targets), so a
 * compromised broker cannot inject or misroute an alert. Refusals are logged, counted and
 * acknowledged.
 */
export class Federation {
  private consumer: BackboneConsumer | undefined;
  private applied = 0;
  private readonly waiters = new Map<number, Array<(applied: boolean) => void>>();
  private fault: BrokerError | undefined;

  constructor(private readonly deps: FederationDeps) {}

  /** The filter this broker consumes. */
  get filter(): string {
    return consumerFilter(this.deps.home);
  }

  /** True when this broker consumes `subject` (and so will apply what is published on it). */
  consumes(subject: string): boolean {
    return subjectMatches(this.filter, subject);
  }

  /** Starts (or resumes) the durable consumer. */
  async start(durable: string): Promise<void> {
    this.consumer = await this.deps.backbone.consumeBatches(
      durable,
      this.filter,
      APPLY_BATCH,
      (batch) => this.applyBatch(batch),
    );
  }

  /**
   * The store fault (disk full, database locked) that keeps this broker from applying what the
   * backbone brings, from the failed apply until one succeeds again.
   */
  storeFault(): BrokerError | undefined {
    return this.fault;
  }

  /**
   * Resolves true once the message with stream sequence `seq` has been applied here; false when
   * `timeoutMs` passed or the store failed to apply it (see `storeFault`).
   */
  waitApplied(seq: number, timeoutMs = 10_000): Promise<boolean> {
    if (this.applied >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const list = this.waiters.get(seq) ?? [];
      list.push((applied) => {
        clearTimeout(timer);
        resolve(applied);
      });
      this.waiters.set(seq, list);
    });
  }

  /** Alerts accepted here and published whose copy this broker has not applied yet. */
  unapplied(): number {
    return this.waiters.size;
  }

  /** Wakes the waiters up to `seq`: applied, or (`applied` false) the store failed them. */
  private settle(seq: number, applied = true): void {
    if (applied) this.applied = Math.max(this.applied, seq);
    for (const [s, list] of this.waiters) {
      if (s <= seq) {
        this.waiters.delete(s);
        for (const w of list) w(applied);
      }
    }
  }

  /**
   * Applies messages waiting together in one commit, in stream order: each is admitted as if
   * those before it were already in the log (they are read from the batch), refusals are
   * logged and skipped, and what is admitted is appended at once and then handed to the
   * links. A store fault throws: nothing of the batch is kept and it is delivered again.
   */
  private async applyBatch(batch: readonly BackboneMessage[]): Promise<void> {
    const pending = new Map<string, LogEntry>();
    const log = {
      get: async (kind: EntryKind, id: string) =>
        pending.get(`${kind}:${id}`) ?? (await this.deps.store.get(kind, id)),
    };
    const items: LogAppend[] = [];
    try {
      for (const m of batch) {
        const item = await this.admit(m, log);
        if (!item) continue;
        items.push(item);
        const { entry } = item;
        pending.set(`${entry.kind}:${entry.id}`, {
          ...entry,
          seq: m.seq,
          createdAt: entry.createdAt!,
        });
      }
      let results: Awaited<ReturnType<BrokerStore['appendBatch']>>;
      try {
        results = await this.deps.store.appendBatch(items);
      } catch (err) {
        // Not applied: those waiting are told so (a station is refused, not told "accepted" for
        // what its broker's log does not hold); the batch is delivered again.
        this.fault = storeFault(err);
        if (this.fault) this.settle(batch[batch.length - 1]!.seq, false);
        throw err;
      }
      this.fault = undefined;
      results.forEach((result, i) => {
        if (result.duplicate) return;
        const { entry, receipt } = items[i]!;
        if (!receipt) this.deps.metrics.inc('cctns_alerts_applied_total');
        this.deps.hub.publish(entry.targets, {
          ...entry,
          seq: result.seq,
          createdAt: entry.createdAt!,
        });
      });
    } finally {
      if (!this.fault) this.settle(batch[batch.length - 1]!.seq);
    }
  }

  /** Admits one message into a log entry (with its receipt record), or undefined when refused or known. */
  private async admit(
    m: BackboneMessage,
    log: { get(kind: EntryKind, id: string): Promise<LogEntry | undefined> },
  ): Promise<LogAppend | undefined> {
    try {
      const kind = kindOfSubject(m.subject);
      if (!kind || kind !== m.kind)
        throw new BrokerError(
          'SUBJECT_INVALID',
          `subject ${m.subject} is outside the scheme or does not carry a ${m.kind}`,
        );
      return kind === 'alert' ? await this.admitAlert(m, log) : await this.admitReceipt(m, log);
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err; // a store fault: not acknowledged, delivered again
      const reason: BrokerErrorCode = err.code;
      this.deps.metrics.inc('cctns_backbone_refusals_total', { reason });
      this.deps.logger.warn(
        { reason, subject: m.subject, seq: m.seq },
        `backbone message refused: ${err.message}`,
      );
      return undefined;
    }
  }

  private async admitAlert(
    m: BackboneMessage,
    log: { get(kind: EntryKind, id: string): Promise<LogEntry | undefined> },
  ): Promise<LogAppend | undefined> {
    const admitted = await this.deps.admission.alertFromBackbone(m.subject, m.jws, log);
    if (!admitted) return undefined;
    const { alert, targets, expiresAt } = admitted;
    return {
      entry: {
        seq: m.seq,
        kind: 'alert',
        id: alert.identifier,
        sender: alert.sender,
        targets,
        expiresAt,
        createdAt: this.deps.clock(),
        ref: alert.references[0] ?? null,
        jws: m.jws,
      },
    };
  }

  private async admitReceipt(
    m: BackboneMessage,
    log: { get(kind: EntryKind, id: string): Promise<LogEntry | undefined> },
  ): Promise<LogAppend> {
    const { receipt, alert, kind } = await this.deps.admission.receiptFromBackbone(
      m.subject,
      m.jws,
      log,
    );
    return {
      entry: {
        seq: m.seq,
        kind: 'receipt',
        id: `${alert.id}/${receipt.station}/${kind}`,
        sender: receipt.station,
        targets: [alert.sender],
        expiresAt: null,
        createdAt: this.deps.clock(),
        ref: alert.id,
        jws: m.jws,
      },
      receipt: {
        alertId: alert.id,
        station: receipt.station,
        kind,
        at: receipt.at!,
        note: receipt.note,
      },
    };
  }

  /** Stops the consumer. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    for (const list of this.waiters.values()) for (const w of list) w(false);
    this.waiters.clear();
  }
}
