import {
  isPkiError,
  openAlert,
  openReceipt,
  parseIdentity,
  type TrustStore,
  type VerifiedCertificate,
} from '@cctns/pki';
import { MsgType, ReceiptKind, type Alert } from '@cctns/proto';
import type { Logger } from 'pino';
import { BrokerError } from '../errors.js';
import type { Hub } from '../link/hub.js';
import type { Metrics } from '../ops/metrics.js';
import type { BrokerStore, LogEntry, ReceiptRecord } from '../store/store.js';
import { checkScope } from './policy.js';
import { listenKeys, targetsOf, type TargetKey } from './targets.js';
import { expiryOf, validateAlert, validateReceipt } from './validate.js';

/** What an accepted message became in the log. */
export interface Accepted {
  id: string;
  seq: number;
  duplicate: boolean;
}

/** What the intake needs from the broker. */
export interface IntakeDeps {
  store: BrokerStore;
  trust: TrustStore;
  hub: Hub;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  maxMessageBytes: number;
}

const RECEIPT_KINDS: Record<number, ReceiptRecord['kind']> = {
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
 * connected identity, content, scope policy, references; then stores idempotently and wakes the
 * links that should see it. Every refusal is a BrokerError with a stable reason.
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

  /** Targets an Update or Cancel inherits from the alerts it references (same sender only). */
  private async referencedTargets(alert: Alert): Promise<TargetKey[]> {
    if (alert.msgType !== MsgType.MSG_TYPE_UPDATE && alert.msgType !== MsgType.MSG_TYPE_CANCEL)
      return [];
    const out: TargetKey[] = [];
    for (const ref of alert.references) {
      const earlier = await this.deps.store.get('alert', ref);
      if (!earlier || earlier.sender !== alert.sender) {
        throw new BrokerError(
          'REFERENCE_UNKNOWN',
          `referenced alert ${JSON.stringify(ref.slice(0, 128))} is unknown here or was sent by someone else`,
        );
      }
      out.push(...earlier.targets);
    }
    return out;
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
    checkScope(signer.identity, own);
    const expiresAt = expiryOf(alert);
    if (expiresAt && expiresAt <= now)
      throw new BrokerError('EXPIRED', `the alert expired at ${expiresAt.toISOString()}`);
    const existing = await this.deps.store.get('alert', alert.identifier);
    if (existing) {
      if (existing.sender !== alert.sender)
        throw new BrokerError('FIELD_INVALID', 'this identifier is already used by another sender');
      return { id: alert.identifier, seq: existing.seq, duplicate: true };
    }
    const targets = [...new Set([...own, ...(await this.referencedTargets(alert))])].sort();
    if (targets.length === 0)
      throw new BrokerError(
        'FIELD_INVALID',
        'the alert addresses nobody (to: stations, districts, states or national)',
      );
    const result = await this.deps.store.append({
      kind: 'alert',
      id: alert.identifier,
      sender: alert.sender,
      targets,
      expiresAt,
      createdAt: now,
      ref: alert.references[0] ?? null,
      jws,
    });
    if (!result.duplicate) {
      this.deps.metrics.inc('cctns_alerts_in_total');
      this.deps.hub.publish(targets);
      this.deps.logger.info(
        { alert: alert.identifier, sender: alert.sender, seq: result.seq, targets: targets.length },
        'alert accepted',
      );
    }
    return { id: alert.identifier, ...result };
  }

  /** Accepts a signed receipt from `peer` and routes it back to the alert's originator. */
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
    const alert: LogEntry | undefined = await this.deps.store.get('alert', receipt.alertId);
    if (!alert)
      throw new BrokerError(
        'ALERT_UNKNOWN',
        `no alert ${JSON.stringify(receipt.alertId.slice(0, 128))} here`,
      );
    const mine = listenKeys(parseIdentity(receipt.station));
    if (!mine.some((k) => alert.targets.includes(k)))
      throw new BrokerError(
        'NOT_RECIPIENT',
        `${receipt.station} was not addressed by alert ${alert.id}`,
      );
    const kind = RECEIPT_KINDS[receipt.kind]!;
    const targets = [alert.sender];
    const result = await this.deps.store.appendReceipt(
      {
        kind: 'receipt',
        id: `${alert.id}/${receipt.station}/${kind}`,
        sender: receipt.station,
        targets,
        expiresAt: null,
        createdAt: now,
        ref: alert.id,
        jws,
      },
      { alertId: alert.id, station: receipt.station, kind, at: receipt.at!, note: receipt.note },
    );
    if (!result.duplicate) {
      this.deps.metrics.inc('cctns_receipts_in_total', { kind });
      this.deps.hub.publish(targets);
    }
    return { id: alert.id, ...result };
  }
}
