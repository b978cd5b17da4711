import type { VerifiedCertificate } from '@cctns/pki';
import type { Logger } from 'pino';
import type { Backbone, PublishAck } from '../backbone/backbone.js';
import { alertSubjects, receiptSubject } from '../routing/subjects.js';
import type { Metrics } from '../ops/metrics.js';
import type { Admission, CheckedAlert, CheckedReceipt } from './admission.js';
import type { Federation } from './federation.js';

/** What an accepted message became. */
export interface Accepted {
  id: string;
  /** Stream sequence of the message (its log sequence at every broker that has it). */
  seq: number;
  duplicate: boolean;
}

/** What the intake needs from the broker. */
export interface IntakeDeps {
  admission: Admission;
  backbone: Backbone;
  federation: Federation;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The edge: accepts alerts and receipts from a connected identity once the admission core has
 * checked them (size, end-to-end signature, signer = connected identity, content, scope policy,
 * references). Then publishes on the backbone (one
 * subject per scope, deduplicated by id) and answers once the backbone holds it durably and this
 * broker has applied its own copy, so the sender can rely on it.
 */
export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  /** Publishes on every subject and waits for this broker's own copies to be applied. */
  private async publish(
    subjects: string[],
    kind: 'alert' | 'receipt',
    id: string,
    jws: string,
  ): Promise<{ seq: number; duplicate: boolean }> {
    // While this broker's store cannot take what it is given (disk full, locked), nothing new is
    // published: the sender is refused with the reason and sends again later.
    const fault = this.deps.federation.storeFault();
    if (fault) throw fault;
    // The copies go to different subjects and are independent: publish them together.
    const acks: Array<PublishAck & { subject: string }> = await Promise.all(
      subjects.map(async (subject) => ({
        subject,
        ...(await this.deps.backbone.publish(subject, kind, `${kind}:${id}@${subject}`, jws)),
      })),
    );
    // Its log has the message once the first copy it consumes is applied (the other copies are
    // the same bytes, skipped when they come): the national broker, which consumes every state's
    // copy of a broadcast, need not wait for all 37.
    const own = acks.filter((a) => this.deps.federation.consumes(a.subject)).map((a) => a.seq);
    if (own.length && !(await this.deps.federation.waitApplied(Math.min(...own)))) {
      const failed = this.deps.federation.storeFault();
      if (failed) throw failed;
    }
    return { seq: Math.min(...acks.map((a) => a.seq)), duplicate: acks.every((a) => a.duplicate) };
  }

  /** Starts the checks of an alert that need nothing but the message (a link runs them ahead). */
  checkAlert(peer: VerifiedCertificate, jws: string): Promise<CheckedAlert> {
    return this.deps.admission.checkAlertFromPeer(peer, jws);
  }

  /** Starts the checks of a receipt that need nothing but the message. */
  checkReceipt(peer: VerifiedCertificate, jws: string): Promise<CheckedReceipt> {
    return this.deps.admission.checkReceiptFromPeer(peer, jws);
  }

  /** Accepts a signed alert from `peer` (`checked`: its message-only checks, run ahead by the link). */
  async acceptAlert(
    peer: VerifiedCertificate,
    jws: string,
    checked?: Promise<CheckedAlert>,
  ): Promise<Accepted> {
    const r = await this.deps.admission.alertFromPeer(peer, jws, checked);
    if ('duplicate' in r) return { id: r.duplicate.id, seq: r.duplicate.seq, duplicate: true };
    const { alert, targets } = r.admitted;
    const result = await this.publish(
      alertSubjects(targets, alert.sender),
      'alert',
      alert.identifier,
      jws,
    );
    if (!result.duplicate) {
      this.deps.metrics.inc('cctns_alerts_in_total');
      this.deps.logger.info(
        { alert: alert.identifier, sender: alert.sender, seq: result.seq, targets: targets.length },
        'alert accepted',
      );
    }
    return { id: alert.identifier, ...result };
  }

  /** Accepts a signed receipt from `peer` and sends it back towards the alert's originator. */
  async acceptReceipt(
    peer: VerifiedCertificate,
    jws: string,
    checked?: Promise<CheckedReceipt>,
  ): Promise<Accepted> {
    const { receipt, alert, kind } = await this.deps.admission.receiptFromPeer(peer, jws, checked);
    // Back to the originator's state, and to the station's own state, whose broker escalates
    // for its stations and so must know what they acknowledged.
    const subjects = [...new Set([receiptSubject(alert.sender), receiptSubject(receipt.station)])];
    const result = await this.publish(
      subjects,
      'receipt',
      `${alert.id}/${receipt.station}/${kind}`,
      jws,
    );
    if (!result.duplicate) this.deps.metrics.inc('cctns_receipts_in_total', { kind });
    return { id: alert.id, ...result };
  }
}
