import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  openAlert,
  signAlert,
  signApproval,
  verifyApproval,
  type JwsSigner,
  type OpenedApproval,
  type TrustStore,
} from '@cctns/pki';
import { ApprovalServiceClient, type Alert, type PendingApproval } from '@cctns/proto';
import { AgentError } from '../errors.js';
import { brokerIdentityCheck, channelOptions, type LinkCredentials } from '../link/link-client.js';

/** A draft as an approver sees it: verified end to end, with the composer's alert. */
export interface VerifiedDraft {
  pending: PendingApproval;
  alert: Alert;
}

/** What the approval client needs from its agent. */
export interface ApprovalDeps {
  broker: string;
  identity: string;
  trust: TrustStore;
  creds: () => LinkCredentials;
  signer: () => JwsSigner;
  clock: () => Date;
}

/**
 * The agent's side of the two-person rule, over its broker's approval service: the composer
 * leaves a signed draft and collects the approval; another officer fetches drafts, checks the
 * composer's signature here, and signs an approval of the exact alert with their own key.
 */
export class Approvals {
  constructor(private readonly deps: ApprovalDeps) {}

  private async call<Req, Res>(
    method: 'submitDraft' | 'listDrafts' | 'getDraft' | 'approveDraft',
    request: Req,
  ): Promise<Res> {
    const c = this.deps.creds();
    const client = new ApprovalServiceClient(
      this.deps.broker,
      credentials.createSsl(c.rootPem, c.keyPem, c.chainPem, {
        checkServerIdentity: brokerIdentityCheck(this.deps.trust, this.deps.identity),
      }),
      channelOptions(this.deps.broker),
    );
    try {
      return await new Promise<Res>((resolve, reject) =>
        (
          client[method] as unknown as (
            r: Req,
            m: Metadata,
            o: { deadline: Date },
            cb: (e: ServiceError | null, r: Res) => void,
          ) => void
        ).call(
          client,
          request,
          new Metadata(),
          { deadline: new Date(Date.now() + 15_000) },
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
    } finally {
      client.close();
    }
  }

  /** Signs `alert` as a draft (no approval yet) and leaves it at the broker for a second officer. */
  async submit(alert: Alert): Promise<PendingApproval> {
    if (alert.sender !== this.deps.identity)
      throw new AgentError('INPUT_INVALID', `the alert's sender must be ${this.deps.identity}`);
    const draft = await signAlert(this.deps.signer(), { ...alert, approval: '' });
    return this.call('submitDraft', { draft });
  }

  /** A held draft, its composer's signature verified here. */
  async get(alertId: string): Promise<VerifiedDraft> {
    return this.verified(
      await this.call<{ alertId: string }, PendingApproval>('getDraft', { alertId }),
    );
  }

  /** Drafts waiting at this agent's broker, each verified here. */
  async list(): Promise<VerifiedDraft[]> {
    const r = await this.call<object, { drafts: PendingApproval[] }>('listDrafts', {});
    return Promise.all(r.drafts.map((p) => this.verified(p)));
  }

  private async verified(pending: PendingApproval): Promise<VerifiedDraft> {
    try {
      const { alert } = await openAlert(pending.draft?.jws ?? '', this.deps.trust, {
        at: this.deps.clock(),
      });
      if (alert.identifier !== pending.alertId)
        throw new Error(`the draft is alert ${alert.identifier}, not ${pending.alertId}`);
      return { pending, alert };
    } catch (cause) {
      throw new AgentError(
        'APPROVAL_INVALID',
        `draft ${pending.alertId} does not verify: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /**
   * Approves a draft with this agent's key: the approval names the exact alert (its digest) the
   * composer signed. Refused here already when this agent composed it.
   */
  async approve(alertId: string): Promise<VerifiedDraft> {
    const { alert } = await this.get(alertId);
    if (alert.sender === this.deps.identity)
      throw new AgentError(
        'APPROVAL_INVALID',
        `you composed ${alertId}; a second, different officer must approve it`,
      );
    const approval = await signApproval(this.deps.signer(), {
      alert,
      approver: this.deps.identity,
      at: this.deps.clock(),
    });
    const pending = await this.call<{ alertId: string; approval: string }, PendingApproval>(
      'approveDraft',
      { alertId, approval },
    );
    return { pending, alert };
  }

  /**
   * Waits until the draft of `alert` is approved (polling the broker), checks the approval here
   * and returns the alert with it, ready to sign and send. APPROVAL_PENDING after `timeoutMs`.
   */
  async awaitApproval(
    alert: Alert,
    opts: { timeoutMs: number; pollMs?: number; approver?: string },
  ): Promise<{ alert: Alert; approval: OpenedApproval }> {
    const end = Date.now() + opts.timeoutMs;
    for (;;) {
      const p = await this.call<{ alertId: string }, PendingApproval>('getDraft', {
        alertId: alert.identifier,
      });
      if (p.approval) {
        const approved = { ...alert, approval: p.approval };
        if (opts.approver && p.approver !== opts.approver)
          throw new AgentError(
            'APPROVAL_INVALID',
            `${alert.identifier} was approved by ${p.approver}, not by ${opts.approver}`,
          );
        try {
          return {
            alert: approved,
            approval: await verifyApproval(approved, this.deps.trust, { at: this.deps.clock() }),
          };
        } catch (cause) {
          throw new AgentError(
            'APPROVAL_INVALID',
            `the approval of ${alert.identifier} does not verify: ${(cause as Error).message}`,
            { cause },
          );
        }
      }
      if (Date.now() >= end)
        throw new AgentError(
          'APPROVAL_PENDING',
          `no second officer approved ${alert.identifier} in time; it waits at the broker (another officer: cctns agent approve ${alert.identifier})`,
        );
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  }
}
