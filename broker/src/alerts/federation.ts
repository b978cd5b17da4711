import type { Logger } from 'pino';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import type { Hub } from '../link/hub.js';
import type { Metrics } from '../ops/metrics.js';
import { consumerFilter, kindOfSubject } from '../routing/subjects.js';
import { subjectMatches } from '../backbone/wildcard.js';
import type { Backbone, BackboneConsumer, BackboneMessage } from '../backbone/backbone.js';
import type { BrokerStore } from '../store/store.js';
import type { Admission } from './admission.js';

/** What the federation needs from its broker. */
export interface FederationDeps {
  backbone: Backbone;
  admission: Admission;
  store: Pick<BrokerStore, 'append' | 'appendReceipt'>;
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
  private readonly waiters = new Map<number, Array<() => void>>();

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
    this.consumer = await this.deps.backbone.consume(durable, this.filter, (m) => this.apply(m));
  }

  /** Resolves once the message with stream sequence `seq` has been applied here (or `timeoutMs` passed). */
  waitApplied(seq: number, timeoutMs = 10_000): Promise<boolean> {
    if (this.applied >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const list = this.waiters.get(seq) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      this.waiters.set(seq, list);
    });
  }

  private settle(seq: number): void {
    this.applied = Math.max(this.applied, seq);
    for (const [s, list] of this.waiters) {
      if (s <= seq) {
        this.waiters.delete(s);
        for (const w of list) w();
      }
    }
  }

  private async apply(m: BackboneMessage): Promise<void> {
    try {
      const kind = kindOfSubject(m.subject);
      if (!kind || kind !== m.kind)
        throw new BrokerError(
          'SUBJECT_INVALID',
          `subject ${m.subject} is outside the scheme or does not carry a ${m.kind}`,
        );
      if (kind === 'alert') await this.applyAlert(m);
      else await this.applyReceipt(m);
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err; // a store fault: not acknowledged, delivered again
      const reason: BrokerErrorCode = err.code;
      this.deps.metrics.inc('cctns_backbone_refusals_total', { reason });
      this.deps.logger.warn(
        { reason, subject: m.subject, seq: m.seq },
        `backbone message refused: ${err.message}`,
      );
    } finally {
      this.settle(m.seq);
    }
  }

  private async applyAlert(m: BackboneMessage): Promise<void> {
    const admitted = await this.deps.admission.alertFromBackbone(m.subject, m.jws);
    if (!admitted) return;
    const { alert, targets, expiresAt } = admitted;
    const entry = {
      seq: m.seq,
      kind: 'alert' as const,
      id: alert.identifier,
      sender: alert.sender,
      targets,
      expiresAt,
      createdAt: this.deps.clock(),
      ref: alert.references[0] ?? null,
      jws: m.jws,
    };
    const result = await this.deps.store.append(entry);
    if (result.duplicate) return;
    this.deps.metrics.inc('cctns_alerts_applied_total');
    this.deps.hub.publish(targets, entry);
  }

  private async applyReceipt(m: BackboneMessage): Promise<void> {
    const { receipt, alert, kind } = await this.deps.admission.receiptFromBackbone(
      m.subject,
      m.jws,
    );
    const entry = {
      seq: m.seq,
      kind: 'receipt' as const,
      id: `${alert.id}/${receipt.station}/${kind}`,
      sender: receipt.station,
      targets: [alert.sender],
      expiresAt: null,
      createdAt: this.deps.clock(),
      ref: alert.id,
      jws: m.jws,
    };
    const result = await this.deps.store.appendReceipt(entry, {
      alertId: alert.id,
      station: receipt.station,
      kind,
      at: receipt.at!,
      note: receipt.note,
    });
    if (!result.duplicate) this.deps.hub.publish(entry.targets, entry);
  }

  /** Stops the consumer. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    for (const list of this.waiters.values()) for (const w of list) w();
    this.waiters.clear();
  }
}
