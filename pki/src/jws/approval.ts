import { createHash } from 'node:crypto';
import { Alert, Approval } from '@cctns/proto';
import { PkiError } from '../errors.js';
import type { TrustStore, VerifiedCertificate, VerifyOptions } from '../verify/trust-store.js';
import { unverifiedPayload, verifyJws, type JwsSigner } from './jws.js';

/** JWS `typ` of an approval. */
export const APPROVAL_JWS_TYPE = 'cctns-approval+jws';

/**
 * The digest an approval names: SHA-256 (base64url) of the alert's protobuf encoding with its
 * `approval` field empty. The composer signs the alert with the approval inside; the approver
 * signs this digest, so the two signatures cover the same content and any change voids both.
 */
export function approvalDigest(alert: Alert): string {
  return createHash('sha256')
    .update(Alert.encode({ ...alert, approval: '' }).finish())
    .digest('base64url');
}

/** Signs an approval of `alert` (a draft: its `approval` empty or ignored) as `approver`. */
export async function signApproval(
  signer: JwsSigner,
  args: { alert: Alert; approver: string; at: Date },
): Promise<string> {
  const approval: Approval = {
    alertId: args.alert.identifier,
    alertDigest: approvalDigest(args.alert),
    composer: args.alert.sender,
    approver: args.approver,
    approvedAt: args.at,
  };
  return signer.sign(Approval.encode(approval).finish(), { typ: APPROVAL_JWS_TYPE });
}

/** An approval whose signature, chain and revocation were checked. */
export interface OpenedApproval {
  approval: Approval;
  signer: VerifiedCertificate;
}

/**
 * Verifies an approval's signature and chain (an `hq/…` certificate, not revoked) and decodes it;
 * its `approver` must be its signer. Every failure is APPROVAL_INVALID.
 */
export async function openApproval(
  jws: string,
  trust: TrustStore,
  opts: Omit<VerifyOptions, 'kinds'> = {},
): Promise<OpenedApproval> {
  let approval: Approval;
  let signer: VerifiedCertificate;
  try {
    const v = await verifyJws(jws, trust, { ...opts, kinds: ['hq'], typ: APPROVAL_JWS_TYPE });
    approval = Approval.decode(v.payload);
    signer = v.signer;
  } catch (cause) {
    const why = cause instanceof PkiError ? cause.message : 'it cannot be decoded';
    throw new PkiError('APPROVAL_INVALID', `the approval does not verify: ${why}`, { cause });
  }
  if (approval.approver !== signer.identityString)
    throw new PkiError(
      'APPROVAL_INVALID',
      `the approval names approver ${JSON.stringify(approval.approver.slice(0, 80))} but is signed by ${signer.identityString}`,
    );
  if (!approval.approvedAt)
    throw new PkiError('APPROVAL_INVALID', 'the approval carries no time (approvedAt)');
  return { approval, signer };
}

/**
 * Checks that a verified approval is for this exact alert (identifier, composer, digest) and by
 * another identity than its sender: APPROVER_SAME_AS_SENDER or APPROVAL_INVALID otherwise.
 */
export function checkApprovalFits(alert: Alert, opened: OpenedApproval): void {
  const { approval, signer } = opened;
  if (signer.identityString === alert.sender)
    throw new PkiError(
      'APPROVER_SAME_AS_SENDER',
      `${alert.sender} may not approve its own alert; a second officer must`,
    );
  if (
    approval.alertId !== alert.identifier ||
    approval.composer !== alert.sender ||
    approval.alertDigest !== approvalDigest(alert)
  )
    throw new PkiError(
      'APPROVAL_INVALID',
      `the approval by ${signer.identityString} is for another alert (or another version of it)`,
    );
}

/** Verifies the approval carried in `alert` end to end: `openApproval` and `checkApprovalFits`. */
export async function verifyApproval(
  alert: Alert,
  trust: TrustStore,
  opts: Omit<VerifyOptions, 'kinds'> = {},
): Promise<OpenedApproval> {
  if (!alert.approval)
    throw new PkiError('APPROVAL_INVALID', `alert ${alert.identifier} carries no approval`);
  const opened = await openApproval(alert.approval, trust, opts);
  checkApprovalFits(alert, opened);
  return opened;
}

/** The approval inside an alert that was verified before (e.g. read back from a local store). */
export function approvalOf(alert: Alert): Approval | undefined {
  if (!alert.approval) return undefined;
  try {
    return Approval.decode(unverifiedPayload(alert.approval));
  } catch {
    return undefined;
  }
}
