import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { isPkiError, openLookup, STATE_CODES, type TrustStore } from '@cctns/pki';
import {
  LookupRequest,
  LookupResponse,
  SignedLookup,
  type Match,
  type StateFailure,
} from '@cctns/proto';
import type { Logger } from 'pino';
import { actorOf, type Audit } from '../audit/audit.js';
import type { Backbone, BackboneResponder } from '../backbone/backbone.js';
import { lookupSubject } from '../routing/subjects.js';
import { BrokerError } from '../errors.js';
import { authenticate } from '../grpc/auth.js';
import { unary } from '../grpc/status.js';
import type { BrokerStore } from '../store/store.js';
import { checkLookup, type LookupPolicy } from './policy.js';
import { kindOfQuery, searchLocal, statusName, validateQuery } from './search.js';

/** How long a national search waits for each state. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 3_000;
/** A signed lookup is answered only this close to when it was issued (and only once per broker). */
export const LOOKUP_WINDOW_MS = 5 * 60_000;
/** Statuses whose owners are told at once when a lookup finds them. */
export const HIT_STATUSES = new Set(['wanted', 'proclaimed-offender', 'missing', 'stolen']);

/** Refusals that, given by every state, are the caller's fault rather than the network's. */
const REFUSALS = new Set(['GRANT_DENIED', 'PURPOSE_REQUIRED', 'QUERY_INVALID', 'LOOKUP_REPLAYED']);

/** A lookup found a record its owner should hear about. */
export interface Hit {
  recordId: string;
  owner: string;
  status: string;
  label: string;
  caller: string;
  purpose: { reference: string; reason: string };
  lookupId: string;
  at: Date;
}

/**
 * Lookups at a broker. At the caller's broker (`search`, over mutual TLS): the caller's signed
 * lookup is checked and fanned out over the backbone to every state asked, with a deadline;
 * results are merged and ranked, and states that did not answer are named. At every state broker
 * (`answer`): the signature, purpose, grant and parameters are checked again — nothing from the
 * caller's broker is trusted but the signature —, its own records searched, each lookup and each
 * record disclosed written to the audit, and owners of wanted, missing or stolen records told.
 */
export class Lookups {
  private readonly seen = new Map<string, number>();
  private responder: BackboneResponder | undefined;

  constructor(
    private readonly deps: {
      home: string;
      store: BrokerStore;
      trust: TrustStore;
      policy: LookupPolicy;
      backbone: Backbone;
      audit: Audit;
      logger: Logger;
      clock: () => Date;
      timeoutMs?: number;
      onHit?: (hit: Hit) => Promise<void>;
    },
  ) {}

  /** A state broker answers its state's lookups on the backbone. */
  async start(): Promise<void> {
    if (this.deps.home === 'national') return;
    this.responder = await this.deps.backbone.respond(
      lookupSubject(this.deps.home),
      `lookup-${this.deps.home}`,
      async (bytes) => LookupResponse.encode(await this.answerBytes(bytes)).finish(),
    );
  }

  async stop(): Promise<void> {
    await this.responder?.stop();
  }

  private async answerBytes(bytes: Uint8Array): Promise<LookupResponse> {
    let jws: string;
    try {
      jws = SignedLookup.decode(bytes).jws;
    } catch {
      return this.failure('MALFORMED', 'the lookup cannot be decoded');
    }
    try {
      return { matches: await this.answer(jws), answered: [this.deps.home], missing: [] };
    } catch (err) {
      const e = err instanceof BrokerError ? err : undefined;
      if (!e) this.deps.logger.error({ err }, 'lookup failed');
      return this.failure(e?.code ?? 'INTERNAL', e?.message ?? 'internal error');
    }
  }

  private failure(reason: string, message: string): LookupResponse {
    return { matches: [], answered: [], missing: [{ state: this.deps.home, reason, message }] };
  }

  /** Verifies a signed lookup; returns it with its signer. */
  private async open(jws: string) {
    const now = this.deps.clock();
    try {
      const r = await openLookup(jws, this.deps.trust, { at: now });
      return { ...r, now };
    } catch (err) {
      throw new BrokerError(
        isPkiError(err, 'SIGNER_MISMATCH') ? 'SIGNER_MISMATCH' : 'SIGNATURE_INVALID',
        `lookup signature refused: ${isPkiError(err) ? err.message : 'does not verify'}`,
        { cause: err },
      );
    }
  }

  private checkFresh(req: LookupRequest, now: Date): void {
    const issued = req.issuedAt?.getTime() ?? 0;
    if (Math.abs(now.getTime() - issued) > LOOKUP_WINDOW_MS)
      throw new BrokerError(
        'LOOKUP_REPLAYED',
        'the lookup was issued more than 5 minutes away from now',
      );
    const key = `${req.caller}|${req.id}`;
    if (!req.id || req.id.length > 64)
      throw new BrokerError('QUERY_INVALID', 'the lookup needs an id');
    if (this.seen.has(key))
      throw new BrokerError('LOOKUP_REPLAYED', `lookup ${req.id} was answered before`);
    this.seen.set(key, now.getTime() + LOOKUP_WINDOW_MS * 2);
    if (this.seen.size > 50_000)
      for (const [k, until] of this.seen) if (until < now.getTime()) this.seen.delete(k);
  }

  /** Answers a signed lookup from this broker's records (every check made here). */
  async answer(jws: string): Promise<Match[]> {
    const { request: req, signer, now } = await this.open(jws);
    const actor = actorOf(signer);
    const kind = (() => {
      try {
        return kindOfQuery(req.query);
      } catch {
        return 'unknown';
      }
    })();
    const base = {
      ...actor,
      action: `lookup.${kind}`,
      ...(req.purpose
        ? {
            purpose: {
              reference: req.purpose.reference.slice(0, 200),
              reason: req.purpose.reason.slice(0, 40),
            },
          }
        : {}),
      query: queryJson(req),
    };
    let matches: Match[];
    try {
      this.checkFresh(req, now);
      validateQuery(req, this.deps.policy.maxLimit);
      const grant = checkLookup(this.deps.policy, signer.identityString, {
        kind: kindOfQuery(req.query),
        state: this.deps.home,
        ...(req.purpose ? { purpose: req.purpose } : {}),
      });
      matches = await searchLocal(
        this.deps.store,
        req,
        grant,
        this.deps.home,
        this.deps.policy.maxLimit,
      );
    } catch (err) {
      await this.deps.audit.tryRecord({
        ...base,
        outcome: 'refused',
        code: err instanceof BrokerError ? err.code : 'INTERNAL',
        message: err instanceof Error ? err.message.slice(0, 300) : String(err),
      });
      throw err;
    }
    // Nothing is disclosed that is not audited first: the lookup and every record it discloses,
    // in one commit.
    await this.deps.audit.recordAll([
      { ...base, outcome: 'ok', subject: req.id, results: matches.length },
      ...matches.map((m) => ({
        ...actor,
        action: 'record.disclosed',
        outcome: 'ok' as const,
        subject: m.record!.id,
        purpose: base.purpose!,
        details: { lookup: req.id, score: Math.round(m.score * 1000) / 1000 },
      })),
    ]);
    if (this.deps.onHit)
      for (const m of matches) {
        const status = statusName(kind as 'person', statusOf(m));
        if (!HIT_STATUSES.has(status)) continue;
        await this.deps
          .onHit({
            recordId: m.record!.id,
            owner: m.record!.owner,
            status,
            label: labelOf(m),
            caller: signer.identityString,
            purpose: req.purpose!,
            lookupId: req.id,
            at: now,
          })
          .catch((err: unknown) =>
            this.deps.logger.error({ err, record: m.record!.id }, 'hit notice not sent'),
          );
      }
    return matches;
  }

  /** A caller's search at its broker: checked, fanned out, merged. */
  async search(peerIdentity: string, jws: string): Promise<LookupResponse> {
    const { request: req, signer } = await this.open(jws);
    if (signer.identityString !== peerIdentity)
      throw new BrokerError(
        'SIGNER_MISMATCH',
        `the lookup is signed by ${signer.identityString}, not by the connected ${peerIdentity}`,
      );
    validateQuery(req, this.deps.policy.maxLimit);
    if (!req.purpose?.reference.trim() || !req.purpose.reason)
      throw new BrokerError(
        'PURPOSE_REQUIRED',
        'a lookup must state its purpose: a case or FIR reference and a reason code',
      );
    const states = req.states.length ? [...new Set(req.states)] : [...STATE_CODES];
    for (const s of states)
      if (!(STATE_CODES as string[]).includes(s))
        throw new BrokerError('QUERY_INVALID', `${s.slice(0, 10)} is not a State/UT code`);
    const timeout = this.deps.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
    const payload = SignedLookup.encode({ jws }).finish();
    const out: LookupResponse = { matches: [], answered: [], missing: [] };
    await Promise.all(
      states.map(async (state) => {
        try {
          const res =
            state === this.deps.home
              ? await this.answerBytes(payload)
              : LookupResponse.decode(
                  await this.deps.backbone.request(lookupSubject(state), payload, timeout),
                );
          out.matches.push(...res.matches.filter((m) => m.state === state));
          if (res.answered.includes(state)) out.answered.push(state);
          out.missing.push(...res.missing.filter((f) => f.state === state));
        } catch (err) {
          const f: StateFailure = {
            state,
            reason: err instanceof BrokerError ? err.code.replace('BACKBONE_', '') : 'UNAVAILABLE',
            message: err instanceof Error ? err.message : String(err),
          };
          out.missing.push(f);
        }
      }),
    );
    // Every state refused for the same reason (no purpose, no grant): that is the answer.
    const codes = new Set(out.missing.map((m) => m.reason));
    if (out.answered.length === 0 && codes.size === 1) {
      const code = [...codes][0]!;
      if (REFUSALS.has(code))
        throw new BrokerError(code as 'GRANT_DENIED', out.missing[0]!.message);
    }
    const limit = Math.min(req.limit || 20, this.deps.policy.maxLimit);
    out.matches.sort((a, b) => b.score - a.score || a.record!.id.localeCompare(b.record!.id));
    out.matches = out.matches.slice(0, limit);
    out.answered.sort();
    out.missing.sort((a, b) => a.state.localeCompare(b.state));
    return out;
  }

  /** The gRPC LookupService: stations, HQ and agencies with their own certificates. */
  service(): UntypedServiceImplementation {
    return {
      search: unary<SignedLookup, LookupResponse>(this.deps.logger, async (call) => {
        const peer = authenticate(call, this.deps.trust, {
          at: this.deps.clock(),
          kinds: ['station', 'agency', 'hq'],
        });
        try {
          return await this.search(peer.identityString, call.request.jws);
        } catch (err) {
          await this.deps.audit.tryRecord({
            ...actorOf(peer),
            action: 'lookup.search',
            outcome: 'refused',
            code: err instanceof BrokerError ? err.code : 'INTERNAL',
            message: err instanceof Error ? err.message.slice(0, 300) : String(err),
          });
          throw err;
        }
      }),
    };
  }
}

function queryJson(req: LookupRequest): Record<string, unknown> {
  const q = req.query;
  const body = q
    ? {
        kind: q.$case,
        ...(LookupRequest.toJSON({ ...req, purpose: undefined }) as { [k: string]: unknown }),
      }
    : {};
  delete (body as Record<string, unknown>)['caller'];
  delete (body as Record<string, unknown>)['issuedAt'];
  return body;
}

function statusOf(m: Match): number {
  const k = m.record?.kind;
  if (k?.$case === 'person') return k.value.status;
  if (k?.$case === 'vehicle') return k.value.status;
  if (k?.$case === 'caseRecord') return k.value.status;
  return 0;
}

function labelOf(m: Match): string {
  const k = m.record?.kind;
  if (k?.$case === 'person') return k.value.name;
  if (k?.$case === 'vehicle') return k.value.registration || k.value.chassis || k.value.engine;
  if (k?.$case === 'caseRecord') return `FIR ${k.value.firNumber}`;
  return m.record?.id ?? '';
}
