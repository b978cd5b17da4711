import { isPkiError, openAlert, openReceipt, parseIdentity, type TrustStore } from '@cctns/pki';
import { Alert, MsgType, ReceiptKind } from '@cctns/proto';
import type { Logger } from 'pino';
import { checkNotify, checkScope, checkSealed, type ScopePolicy } from '../alerts/policy.js';
import { listenKeys, targetsOf, type TargetKey } from '../alerts/targets.js';
import { expiryOf, validateAlert, validateReceipt } from '../alerts/validate.js';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import type { Hub } from '../link/hub.js';
import type { Metrics } from '../ops/metrics.js';
import type { BrokerStore } from '../store/store.js';
import type { Backbone, BackboneConsumer, BackboneMessage } from './backbone.js';
import {
  alertSubjects,
  consumerFilter,
  kindOfSubject,
  receiptSubject,
  subjectMatches,
} from './subjects.js';

/** What the federation needs from its broker. */
export interface FederationDeps {
  backbone: Backbone;
  store: BrokerStore;
  trust: TrustStore;
  hub: Hub;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  policy: ScopePolicy;
  /** This broker's State/UT code, or `national`. */
  home: string;
}

const RECEIPT_KINDS: Record<number, 'delivered' | 'read' | 'acknowledged'> = {
  [ReceiptKind.RECEIPT_KIND_DELIVERED]: 'delivered',
  [ReceiptKind.RECEIPT_KIND_READ]: 'read',
  [ReceiptKind.RECEIPT_KIND_ACKNOWLEDGED]: 'acknowledged',
};

/** The identifier inside a signed alert, read without verifying (only to find an identical copy). */
function alertIdOf(jws: string): string | undefined {
  try {
    const payload = jws.split('.')[1];
    return payload
      ? Alert.decode(Buffer.from(payload, 'base64url')).identifier || undefined
      : undefined;
  } catch {
    return undefined;
  }
}

/** The targets an Update or Cancel inherits from referenced alerts known here (same sender only). */
export async function inheritedTargets(store: BrokerStore, alert: Alert): Promise<TargetKey[]> {
  if (alert.msgType !== MsgType.MSG_TYPE_UPDATE && alert.msgType !== MsgType.MSG_TYPE_CANCEL)
    return [];
  const out: TargetKey[] = [];
  for (const ref of alert.references) {
    const earlier = await store.get('alert', ref);
    if (earlier && earlier.sender === alert.sender) out.push(...earlier.targets);
  }
  return out;
}

/**
 * The broker's side of the backbone: one durable consumer over everything its state must see
 * (everything, for the national broker), applied to the local log in stream order under the
 * stream's sequence numbers. Nothing from the backbone is trusted but signatures: each message
 * is verified end to end, its targets derived from the signed alert, the sender's scope checked
 * against this broker's policy and the subject checked against the targets, so a compromised
 * broker cannot inject or misroute an alert. Refusals are logged, counted and acknowledged.
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
    const now = this.deps.clock();
    // Another copy of an alert already in the log (one per subject it was published on): the
    // very same signed bytes were verified when the first copy was applied.
    const id = alertIdOf(m.jws);
    if (id) {
      const known = await this.deps.store.get('alert', id);
      if (known && known.jws === m.jws) return;
    }
    let alert: Alert;
    let signer: Awaited<ReturnType<typeof openAlert>>['signer'];
    try {
      ({ alert, signer } = await openAlert(m.jws, this.deps.trust, { at: now }));
    } catch (err) {
      throw new BrokerError(
        'SIGNATURE_INVALID',
        `signature refused: ${isPkiError(err) ? err.message : 'does not verify'}`,
        { cause: err },
      );
    }
    validateAlert(alert, now);
    const own = targetsOf(alert.to);
    checkScope(signer.identity, own, this.deps.policy);
    checkNotify(signer.identity, alert.police?.notify ?? []);
    checkSealed(signer.identity, alert.police?.sealed ?? '', alert.to);
    const targets = [
      ...new Set([...own, ...(await inheritedTargets(this.deps.store, alert))]),
    ].sort();
    if (!alertSubjects(targets, alert.sender).includes(m.subject)) {
      throw new BrokerError(
        'SUBJECT_INVALID',
        `alert ${alert.identifier} does not belong on ${m.subject}`,
      );
    }
    const existing = await this.deps.store.get('alert', alert.identifier);
    if (existing) {
      if (existing.sender !== alert.sender)
        throw new BrokerError('FIELD_INVALID', 'this identifier is already used by another sender');
      return;
    }
    await this.deps.store.append({
      seq: m.seq,
      kind: 'alert',
      id: alert.identifier,
      sender: alert.sender,
      targets,
      expiresAt: expiryOf(alert),
      createdAt: now,
      ref: alert.references[0] ?? null,
      jws: m.jws,
    });
    this.deps.metrics.inc('cctns_alerts_applied_total');
    this.deps.hub.publish(targets);
  }

  private async applyReceipt(m: BackboneMessage): Promise<void> {
    const now = this.deps.clock();
    let opened: Awaited<ReturnType<typeof openReceipt>>;
    try {
      opened = await openReceipt(m.jws, this.deps.trust, { at: now });
    } catch (err) {
      throw new BrokerError(
        'SIGNATURE_INVALID',
        `signature refused: ${isPkiError(err) ? err.message : 'does not verify'}`,
        { cause: err },
      );
    }
    const { receipt } = opened;
    validateReceipt(receipt, now);
    const alert = await this.deps.store.get('alert', receipt.alertId);
    if (!alert)
      throw new BrokerError(
        'ALERT_UNKNOWN',
        `receipt for alert ${receipt.alertId} that is unknown here`,
      );
    if (!listenKeys(parseIdentity(receipt.station)).some((k) => alert.targets.includes(k))) {
      throw new BrokerError(
        'NOT_RECIPIENT',
        `${receipt.station} was not addressed by alert ${alert.id}`,
      );
    }
    if (
      m.subject !== receiptSubject(alert.sender) &&
      m.subject !== receiptSubject(receipt.station)
    ) {
      throw new BrokerError(
        'SUBJECT_INVALID',
        `a receipt of ${receipt.station} for ${alert.sender} does not belong on ${m.subject}`,
      );
    }
    const kind = RECEIPT_KINDS[receipt.kind]!;
    const result = await this.deps.store.appendReceipt(
      {
        seq: m.seq,
        kind: 'receipt',
        id: `${alert.id}/${receipt.station}/${kind}`,
        sender: receipt.station,
        targets: [alert.sender],
        expiresAt: null,
        createdAt: now,
        ref: alert.id,
        jws: m.jws,
      },
      { alertId: alert.id, station: receipt.station, kind, at: receipt.at!, note: receipt.note },
    );
    if (!result.duplicate) this.deps.hub.publish([alert.sender]);
  }

  /** Stops the consumer. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    for (const list of this.waiters.values()) for (const w of list) w();
    this.waiters.clear();
  }
}
