import {
  checkApprovalFits,
  isPkiError,
  openAlert,
  openApproval,
  openReceipt,
  parseIdentity,
  type TrustStore,
  type VerifiedCertificate,
  unverifiedPayload,
} from '@cctns/pki';
import { Alert, MsgType, ReceiptKind, type Approval, type Receipt } from '@cctns/proto';
import type { Audit } from '../audit/audit.js';
import { BrokerError } from '../errors.js';
import { inheritedTargets, type EntryReader } from '../routing/inherited.js';
import { alertSubjects, receiptSubject } from '../routing/subjects.js';
import { listenKeys, targetsOf, type TargetKey } from '../routing/targets.js';
import type { Metrics } from '../ops/metrics.js';
import type { LogEntry } from '../store/store.js';
import { approvalRuleFor, checkApprovalTime, checkApprover } from './approval-policy.js';
import { checkNotify, checkScope, checkSealed, type ScopePolicy } from './policy.js';
import { expiryOf, validateAlert, validateReceipt } from './validate.js';
import { digestOf, VerifiedCache } from './verified.js';

/** Where a message comes from: a connected identity (edge) or the backbone (another broker, or this one). */
export type Origin = 'edge' | 'backbone';

/** The receipt kinds as stored. */
export type ReceiptKindName = 'delivered' | 'read' | 'acknowledged';

const RECEIPT_KINDS: Record<number, ReceiptKindName> = {
  [ReceiptKind.RECEIPT_KIND_DELIVERED]: 'delivered',
  [ReceiptKind.RECEIPT_KIND_READ]: 'read',
  [ReceiptKind.RECEIPT_KIND_ACKNOWLEDGED]: 'acknowledged',
};

/** An alert that passed admission, with the targets it is stored and routed under. */
export interface AdmittedAlert {
  alert: Alert;
  signer: VerifiedCertificate;
  targets: TargetKey[];
  expiresAt: Date | null;
}

/** An alert from a link that passed the checks needing nothing but the message. */
export interface CheckedAlert {
  alert: Alert;
  signer: VerifiedCertificate;
  /** Its own targets (without those an Update or Cancel inherits). */
  own: TargetKey[];
  expiresAt: Date | null;
}

/** A receipt that passed admission, with the alert it is for. */
export interface AdmittedReceipt {
  receipt: Receipt;
  signer: VerifiedCertificate;
  alert: LogEntry;
  kind: ReceiptKindName;
}

/** A receipt from a link that passed the checks needing nothing but the message. */
export interface CheckedReceipt {
  receipt: Receipt;
  signer: VerifiedCertificate;
}

/** What admission needs from the broker. */
export interface AdmissionDeps {
  store: EntryReader;
  trust: TrustStore;
  policy: ScopePolicy;
  clock: () => Date;
  maxMessageBytes: number;
  metrics: Metrics;
  /** Verified messages remembered (default: a cache of its own). */
  verified?: VerifiedCache<Opened>;
  /** Where refusals of backbone copies are recorded (the edge audits its own refusals). */
  audit?: Pick<Audit, 'tryRecord'>;
}

/** What verifying a signed message gave. */
export type Opened =
  | { kind: 'alert'; alert: Alert; signer: VerifiedCertificate }
  | { kind: 'receipt'; receipt: Receipt; signer: VerifiedCertificate }
  | { kind: 'approval'; approval: Approval; signer: VerifiedCertificate };

const APPROVAL_REFUSALS = new Set([
  'APPROVAL_REQUIRED',
  'APPROVAL_INVALID',
  'APPROVER_SAME_AS_SENDER',
]);

/** Maps a verification failure to the refusal an edge peer gets (it may learn what was wrong). */
function edgeRefusal(err: unknown): BrokerError {
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

/** Maps a verification failure of a backbone message: whatever the cause, the signature is refused. */
function backboneRefusal(err: unknown): BrokerError {
  return new BrokerError(
    'SIGNATURE_INVALID',
    `signature refused: ${isPkiError(err) ? err.message : 'does not verify'}`,
    { cause: err },
  );
}

/** The identifier inside a signed alert, read without verifying (only to find an identical copy). */
function alertIdOf(jws: string): string | undefined {
  try {
    return Alert.decode(unverifiedPayload(jws)).identifier || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The one admission core of alerts and receipts. The edge (a station, HQ or agency link) and the
 * backbone consumer both call it, so every rule is written once: end-to-end signature and chain,
 * signer = sender, content, scope policy, notify and sealed rules, references, targets; for the
 * backbone also the subject against the targets derived from the signed alert, so a compromised
 * broker cannot inject or misroute anything. Signature checks of bytes this broker has already
 * verified (its own copy coming back, the other state copies of a broadcast) are reused by
 * digest; everything else is verified.
 */
export class Admission {
  private readonly verified: VerifiedCache<Opened>;

  constructor(private readonly deps: AdmissionDeps) {
    this.verified = deps.verified ?? new VerifiedCache<Opened>();
  }

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

  /** Verifies (or finds verified) a signed message of `kind`. */
  private async open<K extends Opened['kind']>(
    kind: K,
    jws: string,
    digest: string,
    now: Date,
    origin: Origin,
  ): Promise<Extract<Opened, { kind: K }>> {
    const known = this.verified.get(digest);
    if (known?.kind === kind) {
      this.deps.metrics.inc('cctns_signature_checks_reused_total', { kind });
      return known as Extract<Opened, { kind: K }>;
    }
    this.deps.metrics.inc('cctns_signature_checks_total', { kind });
    let opened: Opened;
    try {
      opened =
        kind === 'alert'
          ? { kind: 'alert', ...(await openAlert(jws, this.deps.trust, { at: now })) }
          : kind === 'receipt'
            ? { kind: 'receipt', ...(await openReceipt(jws, this.deps.trust, { at: now })) }
            : { kind: 'approval', ...(await openApproval(jws, this.deps.trust, { at: now })) };
    } catch (err) {
      if (kind === 'approval')
        throw new BrokerError('APPROVAL_INVALID', (err as Error).message, { cause: err });
      throw origin === 'edge' ? edgeRefusal(err) : backboneRefusal(err);
    }
    this.verified.set(digest, opened);
    return opened as Extract<Opened, { kind: K }>;
  }

  /** Content, scope, notify and sealed rules; returns the alert's own targets. */
  private checkAlert(alert: Alert, signer: VerifiedCertificate, now: Date): TargetKey[] {
    validateAlert(alert, now);
    const own = targetsOf(alert.to);
    checkScope(signer.identity, own, this.deps.policy);
    checkNotify(signer.identity, alert.police?.notify ?? []);
    checkSealed(signer.identity, alert.police?.sealed ?? '', alert.to);
    return own;
  }

  /**
   * The two-person rule: an alert the policy marks (every national broadcast) must carry a second
   * officer's approval — signature, chain and revocation of the approver, another identity than
   * the sender, the duty-officer grant, this very alert's digest, and fresh (against `now` at the
   * sender's broker, against the signed `sent` for a backbone copy). An approval carried where
   * none is needed is checked all the same: receivers show who approved. Returns the approver.
   */
  private async checkApproval(
    alert: Alert,
    targets: readonly TargetKey[],
    now: Date,
    origin: Origin,
  ): Promise<string | undefined> {
    const policy = this.deps.policy.approval;
    const rule = approvalRuleFor(alert, targets, policy);
    if (!alert.approval) {
      if (!rule) return undefined;
      throw new BrokerError(
        'APPROVAL_REQUIRED',
        `alert ${alert.identifier} reaches ${rule.scope === 'national' ? 'every station in the country' : rule.scope} and needs a second officer's approval (cctns agent approve)`,
      );
    }
    const opened = await this.open(
      'approval',
      alert.approval,
      digestOf(alert.approval),
      now,
      origin,
    );
    try {
      checkApprovalFits(alert, opened);
    } catch (err) {
      if (isPkiError(err, 'APPROVER_SAME_AS_SENDER'))
        throw new BrokerError('APPROVER_SAME_AS_SENDER', err.message, { cause: err });
      throw new BrokerError('APPROVAL_INVALID', (err as Error).message, { cause: err });
    }
    checkApprover(opened.signer.identityString, rule ?? { scope: 'national' }, policy);
    checkApprovalTime(
      opened.approval.approvedAt!,
      alert.sent!,
      origin === 'edge' ? now : undefined,
      policy,
    );
    return opened.signer.identityString;
  }

  private async targetsOf(
    alert: Alert,
    own: TargetKey[],
    log: EntryReader = this.deps.store,
  ): Promise<TargetKey[]> {
    return [...new Set([...own, ...(await inheritedTargets(log, alert))])].sort();
  }

  /**
   * The checks of an alert from a connected identity that need nothing but the message: size,
   * signature and chain, signer = link, content, scope, notify and sealed rules, expiry. A link
   * runs them for several messages at once; `alertFromPeer` then checks against the log in the
   * link's order.
   */
  async checkAlertFromPeer(peer: VerifiedCertificate, jws: string): Promise<CheckedAlert> {
    this.checkSize(jws);
    const now = this.deps.clock();
    const { alert, signer } = await this.open('alert', jws, digestOf(jws), now, 'edge');
    this.sameSigner(peer, signer);
    const own = this.checkAlert(alert, signer, now);
    const expiresAt = expiryOf(alert);
    if (expiresAt && expiresAt <= now)
      throw new BrokerError('EXPIRED', `the alert expired at ${expiresAt.toISOString()}`);
    return { alert, signer, own, expiresAt };
  }

  /**
   * Admits an alert from a connected identity (`checked`: its `checkAlertFromPeer`, when the link
   * ran it ahead). Returns the stored entry instead when the same sender sent this identifier
   * before (idempotent resend).
   */
  async alertFromPeer(
    peer: VerifiedCertificate,
    jws: string,
    checked?: Promise<CheckedAlert>,
  ): Promise<{ admitted: AdmittedAlert } | { duplicate: LogEntry }> {
    const { alert, signer, own, expiresAt } = await (checked ?? this.checkAlertFromPeer(peer, jws));
    const existing = await this.deps.store.get('alert', alert.identifier);
    if (existing) {
      if (existing.sender !== alert.sender)
        throw new BrokerError('FIELD_INVALID', 'this identifier is already used by another sender');
      return { duplicate: existing };
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
    const targets = await this.targetsOf(alert, own);
    if (targets.length === 0)
      throw new BrokerError(
        'FIELD_INVALID',
        'the alert addresses nobody (to: stations, districts, states or national)',
      );
    await this.checkApproval(alert, targets, this.deps.clock(), 'edge');
    return { admitted: { alert, signer, targets, expiresAt } };
  }

  /**
   * Checks a draft left for approval by `peer` exactly as its final alert will be checked (all
   * but the approval it waits for): it must need one, carry none yet, and be new here.
   */
  async draftFromPeer(
    peer: VerifiedCertificate,
    jws: string,
  ): Promise<{ alert: Alert; targets: TargetKey[] }> {
    const { alert, own } = await this.checkAlertFromPeer(peer, jws);
    if (alert.approval)
      throw new BrokerError(
        'FIELD_INVALID',
        'a draft carries no approval yet; send the approved alert itself',
      );
    if (await this.deps.store.get('alert', alert.identifier))
      throw new BrokerError('FIELD_INVALID', `alert ${alert.identifier} was sent already`);
    const targets = await this.targetsOf(alert, own);
    if (!approvalRuleFor(alert, targets, this.deps.policy.approval))
      throw new BrokerError(
        'FIELD_INVALID',
        `alert ${alert.identifier} needs no approval; send it`,
      );
    return { alert, targets };
  }

  /** Checks an approval of a held draft with the very rule admission applies; returns the approver. */
  async approvalOfDraft(
    draft: { alert: Alert; targets: TargetKey[] },
    approval: string,
  ): Promise<string> {
    this.checkSize(approval);
    return (await this.checkApproval(
      { ...draft.alert, approval },
      draft.targets,
      this.deps.clock(),
      'edge',
    ))!;
  }

  /**
   * Admits an alert read from the backbone on `subject`. Returns undefined when the alert is
   * already in the log (another copy of the same signed bytes, or the same sender's resend).
   * `log` is what it reads the log through: the store, or the store with entries about to be
   * committed with this one (a batch applied in one commit).
   */
  async alertFromBackbone(
    subject: string,
    jws: string,
    log: EntryReader = this.deps.store,
  ): Promise<AdmittedAlert | undefined> {
    const now = this.deps.clock();
    const digest = digestOf(jws);
    // Another copy of an alert already in the log (one per subject it was published on): the
    // very same signed bytes were checked when the first copy was applied.
    const remembered = this.verified.get(digest);
    const id = remembered?.kind === 'alert' ? remembered.alert.identifier : alertIdOf(jws);
    const known = id ? await log.get('alert', id) : undefined;
    if (known && known.jws === jws) return undefined;
    const { alert, signer } = await this.open('alert', jws, digest, now, 'backbone');
    const own = this.checkAlert(alert, signer, now);
    const targets = await this.targetsOf(alert, own, log);
    if (!alertSubjects(targets, alert.sender).includes(subject)) {
      throw new BrokerError(
        'SUBJECT_INVALID',
        `alert ${alert.identifier} does not belong on ${subject}`,
      );
    }
    try {
      await this.checkApproval(alert, targets, now, 'backbone');
    } catch (err) {
      // Never delivered, and on the record: who tried to broadcast without a valid approval.
      if (err instanceof BrokerError && APPROVAL_REFUSALS.has(err.code))
        await this.deps.audit?.tryRecord({
          actor: alert.sender,
          action: 'alert.refused',
          outcome: 'refused',
          subject: alert.identifier,
          code: err.code,
          message: `backbone copy on ${subject}: ${err.message}`,
        });
      throw err;
    }
    // The identifier read before verifying may not be the signed one when the bytes were forged.
    const existing = id === alert.identifier ? known : await log.get('alert', alert.identifier);
    if (existing) {
      if (existing.sender !== alert.sender)
        throw new BrokerError('FIELD_INVALID', 'this identifier is already used by another sender');
      return undefined;
    }
    return { alert, signer, targets, expiresAt: expiryOf(alert) };
  }

  /** The alert a receipt is for, checked to have addressed the receipt's station. */
  private async receiptAlert(
    receipt: Receipt,
    origin: Origin,
    log: EntryReader = this.deps.store,
  ): Promise<LogEntry> {
    const alert = await log.get('alert', receipt.alertId);
    if (!alert)
      throw new BrokerError(
        'ALERT_UNKNOWN',
        origin === 'edge'
          ? `no alert ${JSON.stringify(receipt.alertId.slice(0, 128))} here`
          : `receipt for alert ${receipt.alertId} that is unknown here`,
      );
    if (!listenKeys(parseIdentity(receipt.station)).some((k) => alert.targets.includes(k))) {
      throw new BrokerError(
        'NOT_RECIPIENT',
        `${receipt.station} was not addressed by alert ${alert.id}`,
      );
    }
    return alert;
  }

  /** The checks of a receipt from a connected identity that need nothing but the message. */
  async checkReceiptFromPeer(peer: VerifiedCertificate, jws: string): Promise<CheckedReceipt> {
    this.checkSize(jws);
    const now = this.deps.clock();
    const { receipt, signer } = await this.open('receipt', jws, digestOf(jws), now, 'edge');
    this.sameSigner(peer, signer);
    validateReceipt(receipt, now);
    return { receipt, signer };
  }

  /** Admits a receipt from a connected identity (`checked`: as for alerts). */
  async receiptFromPeer(
    peer: VerifiedCertificate,
    jws: string,
    checked?: Promise<CheckedReceipt>,
  ): Promise<AdmittedReceipt> {
    const { receipt, signer } = await (checked ?? this.checkReceiptFromPeer(peer, jws));
    const alert = await this.receiptAlert(receipt, 'edge');
    return { receipt, signer, alert, kind: RECEIPT_KINDS[receipt.kind]! };
  }

  /** Admits a receipt read from the backbone on `subject` (`log`: as for alerts). */
  async receiptFromBackbone(
    subject: string,
    jws: string,
    log: EntryReader = this.deps.store,
  ): Promise<AdmittedReceipt> {
    const now = this.deps.clock();
    const { receipt, signer } = await this.open('receipt', jws, digestOf(jws), now, 'backbone');
    validateReceipt(receipt, now);
    const alert = await this.receiptAlert(receipt, 'backbone', log);
    if (subject !== receiptSubject(alert.sender) && subject !== receiptSubject(receipt.station)) {
      throw new BrokerError(
        'SUBJECT_INVALID',
        `a receipt of ${receipt.station} for ${alert.sender} does not belong on ${subject}`,
      );
    }
    return { receipt, signer, alert, kind: RECEIPT_KINDS[receipt.kind]! };
  }
}
