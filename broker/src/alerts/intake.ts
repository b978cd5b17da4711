import {
  isPkiError,
  openAlert,
  openReceipt,
  parseIdentity,
  type TrustStore,
  type VerifiedCertificate,
} from '@cctns/pki';
import { ReceiptKind } from '@cctns/proto';
import type { Logger } from 'pino';
import type { Backbone, PublishAck } from '../backbone/backbone.js';
import { inheritedTargets, type Federation } from '../backbone/federation.js';
import { alertSubjects, receiptSubject } from '../backbone/subjects.js';
import { BrokerError } from '../errors.js';
import type { Metrics } from '../ops/metrics.js';
import type { BrokerStore } from '../store/store.js';
import { MsgType } from '@cctns/proto';
import { checkNotify, checkScope, checkSealed, type ScopePolicy } from './policy.js';
import { listenKeys, targetsOf } from './targets.js';
import { expiryOf, validateAlert, validateReceipt } from './validate.js';

/** What an accepted message became. */
export interface Accepted {
  id: string;
  /** Stream sequence of the message (its log sequence at every broker that has it). */
  seq: number;
  duplicate: boolean;
}

/** What the intake needs from the broker. */
export interface IntakeDeps {
  store: BrokerStore;
  trust: TrustStore;
  backbone: Backbone;
  federation: Federation;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  policy: ScopePolicy;
  maxMessageBytes: number;
}

const RECEIPT_KINDS: Record<number, string> = {
  [ReceiptKind.RECEIPT_KIND_DELIVERED]: 'delivered',
  [ReceiptKind.RECEIPT_KIND_READ]: 'read',
  [ReceiptKind.RECEIPT_KIND_ACKNOWLEDGED]: 'acknowledged',
};

/** Maps a verification failure of the pki library to the broker's refusal reasons. */
function signatureRefusal(err: unknown): BrokerError {
  if (isPkiError(err, 'MESSAGE_MALFORMED'))
    return new BrokerError('MALFORMED', err.message, { cause: err });
  if (isPkiError(err, 'SIGNER_MISMATCH'))
    return new BrokerError('SIGNER_MISMATCH', err.message, { cause: err });
  if (isPkiError(err))
    return new BrokerError('SIGNATURE_INVALID', `signature refused: ${err.message}`, {
      cause: err,
    });
  return new BrokerError('SIGNATURE_INVALID', 'the signature does not verify', { cause: err });
}

/**
 * Accepts alerts and receipts from a connected identity: size, end-to-end signature, signer =
 * connected identity, content, scope policy, references. Then publishes on the backbone (one
 * subject per scope, deduplicated by id) and answers once the backbone holds it durably and this
 * broker has applied its own copy, so the sender can rely on it.
 */
export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  private checkSize(jws: string): void {
    if (Buffer.byteLength(jws) > this.deps.maxMessageBytes) {
      throw new BrokerError(
        'TOO_LARGE',
        `the message is larger than ${this.deps.maxMessageBytes} bytes`,
      );
    }
  }

  private sameSigner(peer: VerifiedCertificate, signer: VerifiedCertificate): void {
    if (signer.identityString !== peer.identityString) {
      throw new BrokerError(
        'SIGNER_MISMATCH',
        `signed by ${signer.identityString}, but this link belongs to ${peer.identityString}`,
      );
    }
  }

  /** Publishes on every subject and waits for this broker's own copies to be applied. */
  private async publish(
    subjects: string[],
    kind: 'alert' | 'receipt',
    id: string,
    jws: string,
  ): Promise<{ seq: number; duplicate: boolean }> {
    // The copies go to different subjects and are independent: publish them together.
    const acks: Array<PublishAck & { subject: string }> = await Promise.all(
      subjects.map(async (subject) => ({
        subject,
        ...(await this.deps.backbone.publish(subject, kind, `${kind}:${id}@${subject}`, jws)),
      })),
    );
    for (const a of acks)
      if (this.deps.federation.consumes(a.subject)) await this.deps.federation.waitApplied(a.seq);
    return { seq: Math.min(...acks.map((a) => a.seq)), duplicate: acks.every((a) => a.duplicate) };
  }

  /** Accepts a signed alert from `peer`. */
  async acceptAlert(peer: VerifiedCertificate, jws: string): Promise<Accepted> {
    this.checkSize(jws);
    const now = this.deps.clock();
    let opened: Awaited<ReturnType<typeof openAlert>>;
    try {
      opened = await openAlert(jws, this.deps.trust, { at: now });
    } catch (err) {
      throw signatureRefusal(err);
    }
    const { alert, signer } = opened;
    this.sameSigner(peer, signer);
    validateAlert(alert, now);
    const own = targetsOf(alert.to);
    checkScope(signer.identity, own, this.deps.policy);
    checkNotify(signer.identity, alert.police?.notify ?? []);
    checkSealed(signer.identity, alert.police?.sealed ?? '', alert.to);
    const expiresAt = expiryOf(alert);
    if (expiresAt && expiresAt <= now)
      throw new BrokerError('EXPIRED', `the alert expired at ${expiresAt.toISOString()}`);
    const existing = await this.deps.store.get('alert', alert.identifier);
    if (existing) {
      if (existing.sender !== alert.sender)
        throw new BrokerError('FIELD_INVALID', 'this identifier is already used by another sender');
      return { id: alert.identifier, seq: existing.seq, duplicate: true };
    }
    if (alert.msgType === MsgType.MSG_TYPE_UPDATE || alert.msgType === MsgType.MSG_TYPE_CANCEL) {
      for (const ref of alert.references) {
        const earlier = await this.deps.store.get('alert', ref);
        if (!earlier || earlier.sender !== alert.sender) {
          throw new BrokerError(
            'REFERENCE_UNKNOWN',
            `referenced alert ${JSON.stringify(ref.slice(0, 128))} is unknown here or was sent by someone else`,
          );
        }
      }
    }
    const targets = [
      ...new Set([...own, ...(await inheritedTargets(this.deps.store, alert))]),
    ].sort();
    if (targets.length === 0)
      throw new BrokerError(
        'FIELD_INVALID',
        'the alert addresses nobody (to: stations, districts, states or national)',
      );
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
  async acceptReceipt(peer: VerifiedCertificate, jws: string): Promise<Accepted> {
    this.checkSize(jws);
    const now = this.deps.clock();
    let opened: Awaited<ReturnType<typeof openReceipt>>;
    try {
      opened = await openReceipt(jws, this.deps.trust, { at: now });
    } catch (err) {
      throw signatureRefusal(err);
    }
    const { receipt, signer } = opened;
    this.sameSigner(peer, signer);
    validateReceipt(receipt, now);
    const alert = await this.deps.store.get('alert', receipt.alertId);
    if (!alert)
      throw new BrokerError(
        'ALERT_UNKNOWN',
        `no alert ${JSON.stringify(receipt.alertId.slice(0, 128))} here`,
      );
    if (!listenKeys(parseIdentity(receipt.station)).some((k) => alert.targets.includes(k))) {
      throw new BrokerError(
        'NOT_RECIPIENT',
        `${receipt.station} was not addressed by alert ${alert.id}`,
      );
    }
    const kind = RECEIPT_KINDS[receipt.kind]!;
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
