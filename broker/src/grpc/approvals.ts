import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { stateOfIdentity, type TrustStore, type VerifiedCertificate } from '@cctns/pki';
import type {
  ApproveDraftRequest,
  GetDraftRequest,
  ListDraftsRequest,
  ListDraftsResponse,
  PendingApproval,
  SubmitDraftRequest,
} from '@cctns/proto';
import type { Logger } from 'pino';
import { actorOf, type Audit } from '../audit/audit.js';
import type { Admission } from '../alerts/admission.js';
import { pendingView, type Drafts } from '../alerts/drafts.js';
import { BrokerError } from '../errors.js';
import { authenticate } from './auth.js';
import { unary } from './status.js';

/** What the approval service needs from its broker. */
export interface ApprovalServiceDeps {
  /** This broker's State/UT code, or `national`. */
  home: string;
  trust: TrustStore;
  admission: Admission;
  drafts: Drafts;
  audit: Pick<Audit, 'tryRecord'>;
  logger: Logger;
  clock: () => Date;
}

/**
 * The meeting point of the two-person rule: an HQ composer leaves a signed draft, another HQ
 * officer of the same broker fetches it and approves it with their own signature, the composer's
 * agent collects the approval and sends the alert with it. Every step is checked with the
 * admission core's rules and audited; only HQ identities of this broker's home may take part.
 */
export function approvalService(deps: ApprovalServiceDeps): UntypedServiceImplementation {
  const hq = (call: Parameters<typeof authenticate>[0]): VerifiedCertificate => {
    const peer = authenticate(call, deps.trust, { at: deps.clock(), kinds: ['hq'] });
    if ((stateOfIdentity(peer.identity) ?? 'national') !== deps.home)
      throw new BrokerError(
        'IDENTITY_FORBIDDEN',
        `${peer.identityString} belongs to another broker's HQ`,
      );
    return peer;
  };
  const audited = async <T>(
    peer: VerifiedCertificate,
    action: string,
    subject: string,
    fn: () => Promise<T>,
  ): Promise<T> => {
    try {
      const r = await fn();
      await deps.audit.tryRecord({ ...actorOf(peer), action, outcome: 'ok', subject });
      return r;
    } catch (err) {
      if (err instanceof BrokerError)
        await deps.audit.tryRecord({
          ...actorOf(peer),
          action,
          outcome: 'refused',
          subject,
          code: err.code,
          message: err.message,
        });
      throw err;
    }
  };
  return {
    submitDraft: unary<SubmitDraftRequest, PendingApproval>(deps.logger, async (call) => {
      const peer = hq(call);
      const jws = call.request.draft?.jws ?? '';
      return audited(peer, 'approval.draft', '', async () => {
        const { alert, targets } = await deps.admission.draftFromPeer(peer, jws);
        const d = deps.drafts.put({ alert, targets, jws });
        deps.logger.info(
          { alert: alert.identifier, composer: alert.sender },
          'draft awaits approval',
        );
        return pendingView(d);
      });
    }),
    listDrafts: unary<ListDraftsRequest, ListDraftsResponse>(deps.logger, async (call) => {
      hq(call);
      return { drafts: deps.drafts.waiting().map(pendingView) };
    }),
    getDraft: unary<GetDraftRequest, PendingApproval>(deps.logger, async (call) => {
      hq(call);
      return pendingView(deps.drafts.get(call.request.alertId));
    }),
    approveDraft: unary<ApproveDraftRequest, PendingApproval>(deps.logger, async (call) => {
      const peer = hq(call);
      const { alertId, approval } = call.request;
      return audited(peer, 'approval.approve', alertId.slice(0, 128), async () => {
        const draft = deps.drafts.get(alertId);
        const approver = await deps.admission.approvalOfDraft(draft, approval);
        if (approver !== peer.identityString)
          throw new BrokerError(
            'SIGNER_MISMATCH',
            `the approval is signed by ${approver}, but this call comes from ${peer.identityString}`,
          );
        deps.logger.info({ alert: alertId, approver }, 'draft approved');
        return pendingView(deps.drafts.approve(alertId, approval, approver));
      });
    }),
  };
}
