import type { Alert, PendingApproval } from '@cctns/proto';
import { BrokerError } from '../errors.js';
import type { TargetKey } from '../routing/targets.js';

/** One draft held for approval. */
export interface Draft {
  alert: Alert;
  targets: TargetKey[];
  jws: string;
  submittedAt: Date;
  approval?: string;
  approver?: string;
}

/** How many drafts a broker holds at most (oldest out first). */
export const MAX_DRAFTS = 1000;

/**
 * Drafts waiting for a second officer, held in memory by the composer's broker. They are only a
 * meeting point: what makes a broadcast valid is the approval inside the alert, which every
 * broker checks. A draft lives as long as an approval of it could still be used (the policy's
 * `maxAgeMinutes`); a restart loses them, and the composer leaves the draft again.
 */
export class Drafts {
  private readonly drafts = new Map<string, Draft>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly clock: () => Date,
    private readonly max = MAX_DRAFTS,
  ) {}

  private sweep(): void {
    const oldest = this.clock().getTime() - this.maxAgeMs;
    for (const [id, d] of this.drafts) if (d.submittedAt.getTime() < oldest) this.drafts.delete(id);
    while (this.drafts.size > this.max) this.drafts.delete(this.drafts.keys().next().value!);
  }

  /** Holds a draft; the same composer may leave the same identifier again (a retry replaces it). */
  put(d: Omit<Draft, 'submittedAt'>): Draft {
    this.sweep();
    const existing = this.drafts.get(d.alert.identifier);
    if (existing && existing.alert.sender !== d.alert.sender)
      throw new BrokerError('FIELD_INVALID', 'this identifier is already used by another sender');
    if (existing?.jws === d.jws) return existing;
    const draft = { ...d, submittedAt: this.clock() };
    this.drafts.set(d.alert.identifier, draft);
    return draft;
  }

  /** A held draft; DRAFT_UNKNOWN otherwise. */
  get(id: string): Draft {
    this.sweep();
    const d = this.drafts.get(id);
    if (!d)
      throw new BrokerError(
        'DRAFT_UNKNOWN',
        `no draft ${JSON.stringify(id.slice(0, 128))} awaits approval here`,
      );
    return d;
  }

  /** Drafts still waiting, oldest first. */
  waiting(): Draft[] {
    this.sweep();
    return [...this.drafts.values()].filter((d) => !d.approval);
  }

  /** Records the approval of a draft (the first valid one stays). */
  approve(id: string, approval: string, approver: string): Draft {
    const d = this.get(id);
    if (!d.approval) {
      d.approval = approval;
      d.approver = approver;
    }
    return d;
  }
}

/** A draft as the approval service shows it. */
export function pendingView(d: Draft): PendingApproval {
  return {
    alertId: d.alert.identifier,
    composer: d.alert.sender,
    draft: { jws: d.jws },
    submittedAt: d.submittedAt,
    approval: d.approval ?? '',
    approver: d.approver ?? '',
  };
}
