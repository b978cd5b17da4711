import type { ServerDuplexStream } from '@grpc/grpc-js';
import { stateOfIdentity, type TrustStore, type VerifiedCertificate } from '@cctns/pki';
import { StationLinkServiceService, type AgentMessage, type BrokerMessage } from '@cctns/proto';
import type { Logger } from 'pino';
import type { CheckedAlert, CheckedReceipt } from '../alerts/admission.js';
import type { Intake } from '../alerts/intake.js';
import { actorOf, type Audit } from '../audit/audit.js';
import { listenKeys, type TargetKey } from '../routing/targets.js';
import { BrokerError, storeFault, type BrokerErrorCode } from '../errors.js';
import type { Cursors } from '../link/cursors.js';
import type { Hub } from '../link/hub.js';
import { linkStep, readAgentFrame, type LinkPhase } from '../link/protocol.js';
import {
  deliveryMessage,
  encodeBrokerMessage,
  LogPump,
  writeWithBackpressure,
} from '../link/pump.js';
import type { Metrics } from '../ops/metrics.js';
import type { RateLimiter } from '../ops/rate-limit.js';
import type { BrokerStore } from '../store/store.js';
import { authenticate } from './auth.js';
import { toServiceError } from './status.js';

/** What a station link needs from the broker. */
export interface LinkDeps {
  identity: string;
  audit: Audit;
  /** The State/UT this broker serves; stations of other states are refused. */
  state: string;
  trust: TrustStore;
  store: BrokerStore;
  hub: Hub;
  intake: Intake;
  metrics: Metrics;
  /** Alerts per identity. */
  limiter: RateLimiter;
  /** Receipts per identity. */
  receiptLimiter: RateLimiter;
  logger: Logger;
  clock: () => Date;
  sessions: Set<StationSession>;
  /** Acknowledged cursors, written for all links together. */
  cursors: Cursors;
  /** The largest signed message taken (`limits.maxMessageBytes`); larger frames are refused. */
  maxMessageBytes: number;
}

/**
 * The station link service, writing deliveries encoded once per entry rather than once per link,
 * and taking the agent's frames as they arrive: the session decodes them itself, so a frame that
 * does not decode is refused on its own instead of ending the link (grpc-js ends the call when its
 * deserializer throws).
 */
export const STATION_LINK_SERVICE = {
  link: {
    ...StationLinkServiceService.link,
    requestDeserialize: (frame: Buffer): Buffer => frame,
    responseSerialize: encodeBrokerMessage,
  },
} as const;

/** Messages of one link being handled at once; beyond, the link stops reading (flow control). */
const MAX_IN_FLIGHT = 64;

/** The message-only checks of an alert or receipt, started when it arrives; never rejects. */
type Early = Promise<
  | { ok: true; checked: Promise<CheckedAlert> | Promise<CheckedReceipt> }
  | { ok: false; err: unknown }
>;

type Call = ServerDuplexStream<Buffer, BrokerMessage>;

/** A message taken off the link, or a frame refused before it was looked at. */
interface Incoming {
  msg: AgentMessage;
  refusal?: BrokerError;
}

/**
 * One open station link. The peer's identity comes from its certificate; the agent's hello comes
 * first, then traffic (linkStep; anything out of order is refused PROTOCOL and the link stays up);
 * messages from the agent are answered one at a time, in order (their message-only checks run ahead, side by side);
 * deliveries come from the log after the station's cursor until the link has caught up, then
 * straight from the hub as entries are appended, with back-pressure from the stream.
 */
export class StationSession {
  readonly peer: VerifiedCertificate;
  private readonly keys: TargetKey[];
  private readonly log: Logger;
  private phase: LinkPhase = 'awaiting-hello';
  private pump: LogPump | undefined;
  private queue: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private acked = false;
  private inFlight = 0;
  private paused = false;

  private constructor(
    private readonly call: Call,
    private readonly deps: LinkDeps,
    peer: VerifiedCertificate,
  ) {
    this.peer = peer;
    this.keys = listenKeys(peer.identity);
    this.log = deps.logger.child({ station: peer.identityString, link: call.getPeer() });
  }

  /** Authenticates a new link and starts serving it; refuses it with a status otherwise. */
  static open(call: Call, deps: LinkDeps): StationSession | undefined {
    let peer: VerifiedCertificate;
    try {
      peer = authenticate(call, deps.trust, { at: deps.clock(), kinds: ['station', 'hq'] });
      if ((stateOfIdentity(peer.identity) ?? 'national') !== deps.state) {
        throw new BrokerError(
          'IDENTITY_FORBIDDEN',
          `${peer.identityString} belongs to another state's broker, not ${deps.identity}`,
        );
      }
    } catch (err) {
      const reason = err instanceof BrokerError ? err.code : 'INTERNAL';
      deps.metrics.inc('cctns_refusals_total', { reason });
      const raw = call.getAuthContext()?.sslPeerCertificate;
      void deps.audit.tryRecord({
        actor: raw?.subject?.CN ? `unverified:${String(raw.subject.CN)}` : `peer:${call.getPeer()}`,
        action: 'link.open',
        outcome: 'refused',
        code: reason,
        message: err instanceof Error ? err.message : String(err),
      });
      deps.logger.warn(
        { reason, peer: call.getPeer(), err: err instanceof Error ? err.message : String(err) },
        'link refused',
      );
      call.emit('error', toServiceError(err, deps.logger));
      return undefined;
    }
    const session = new StationSession(call, deps, peer);
    session.start();
    return session;
  }

  private start(): void {
    this.deps.sessions.add(this);
    // The chain (leaf and its issuing CA) others need to seal records to this station.
    const issuer = this.deps.trust.issuerOf(this.peer.certificate);
    void this.deps.store
      .putStationCertificate(
        this.peer.identityString,
        `${this.peer.certificate.toString()}${issuer ? issuer.toString() : ''}`,
        this.peer.notAfter,
      )
      .catch((err: unknown) => this.log.error({ err }, 'station certificate not kept'));
    this.log.info('link open');
    void this.deps.store
      .touchStation(this.peer.identityString, {
        online: true,
        certNotAfter: this.peer.notAfter,
        at: this.deps.clock(),
      })
      .catch((err: unknown) => this.log.error({ err }, 'directory write failed'));
    this.call.on('data', (frame: Buffer) => this.receive(frame));
    this.call.on('end', () => this.close('agent closed the link'));
    this.call.on('cancelled', () => this.close('link cancelled'));
    this.call.on('error', (err) => this.close(`link error: ${err.message}`));
    this.call.on('close', () => this.close('link closed'));
  }

  /**
   * Takes a frame off the link. It is decoded here, once, and checked against the link's phase;
   * a frame refused for what it is (undecodable, too large, out of order) is answered in turn and
   * the link stays up. Messages are answered one at a time, in order; the checks that need nothing
   * but the message itself (signature, content, scope) start at once, so a link sending many
   * messages has them checked side by side while earlier ones are stored and published. The rate
   * limit is applied on arrival, before any of that work.
   */
  private receive(frame: Buffer): void {
    if (this.phase === 'closed') return;
    const read = readAgentFrame(frame, this.deps.maxMessageBytes);
    if (!read.ok) {
      this.enqueue({ msg: { ref: read.ref, body: undefined }, refusal: read.refusal });
      return;
    }
    const msg = read.message;
    const body = msg.body;
    const step = linkStep(this.phase, body?.$case ?? 'empty');
    if (!step.ok) {
      if (step.refusal) this.enqueue({ msg, refusal: step.refusal });
      return;
    }
    this.phase = step.phase;
    if (body?.$case === 'ack') {
      // A cursor acknowledgement needs no answer and no order: noted at once (a broadcast brings
      // one from every station of the state).
      this.acked = true;
      this.deps.cursors.note(this.peer.identityString, body.value.seq);
      return;
    }
    let limited = false;
    let early: Early | undefined;
    if (body?.$case === 'alert' || body?.$case === 'receipt') {
      // Receipts have their own, larger bucket: a station catching up sends one per alert.
      const limiter = body.$case === 'alert' ? this.deps.limiter : this.deps.receiptLimiter;
      limited = !limiter.take(this.peer.identityString);
      if (!limited) {
        const checked =
          body.$case === 'alert'
            ? this.deps.intake.checkAlert(this.peer, body.value.jws)
            : this.deps.intake.checkReceipt(this.peer, body.value.jws);
        early = checked.then(
          () => ({ ok: true as const, checked }),
          (err: unknown) => ({ ok: false as const, err }),
        );
      }
    }
    this.enqueue({ msg }, limited, early);
  }

  /** Queues a message (or a refusal) to be answered after those before it. */
  private enqueue(incoming: Incoming, limited = false, early?: Early): void {
    if (incoming.refusal && !this.deps.limiter.take(this.peer.identityString)) {
      // A flood of frames the broker cannot use costs as much as a flood of alerts.
      incoming = {
        msg: incoming.msg,
        refusal: new BrokerError('RATE_LIMITED', 'too many messages; resend later'),
      };
    }
    if (++this.inFlight >= MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.call.pause();
    }
    this.queue = this.queue
      .then(() => this.handle(incoming, limited, early))
      .catch((err: unknown) => this.log.error({ err }, 'message not answered'))
      .finally(() => {
        if (--this.inFlight <= MAX_IN_FLIGHT / 2 && this.paused) {
          this.paused = false;
          this.call.resume();
        }
      });
  }

  private async handle(incoming: Incoming, limited = false, early?: Early): Promise<void> {
    if (this.phase === 'closed') return;
    const { msg, refusal } = incoming;
    const body = msg.body;
    try {
      if (refusal) throw refusal;
      switch (body?.$case) {
        case 'hello': {
          const pump = new LogPump(
            body.value.cursor,
            (after, limit) =>
              this.deps.store.entriesFor(this.keys, after, { limit, now: this.deps.clock() }),
            (e) => {
              if (this.phase === 'closed') return undefined;
              this.deps.metrics.inc('cctns_deliveries_total', { kind: e.kind });
              return writeWithBackpressure(this.call, deliveryMessage(e));
            },
            (err) => {
              this.log.error({ err }, 'delivery failed');
              this.call.emit('error', toServiceError(err, this.log));
            },
            // What the log read would skip: entries that expired before they reached the link.
            (e) => e.expiresAt === null || e.expiresAt > this.deps.clock(),
          );
          this.pump = pump;
          this.unsubscribe = this.deps.hub.subscribe(this.keys, pump);
          const head = await this.deps.store.head();
          await this.write({
            body: {
              $case: 'welcome',
              value: {
                broker: this.deps.identity,
                station: this.peer.identityString,
                logHead: head,
                resumeFrom: body.value.cursor,
              },
            },
          });
          pump.wake();
          return;
        }
        case 'alert':
        case 'receipt': {
          if (limited) throw new BrokerError('RATE_LIMITED', 'too many messages; resend later');
          const pre = await early!;
          if (!pre.ok) throw pre.err;
          const r =
            body.$case === 'alert'
              ? await this.deps.intake.acceptAlert(
                  this.peer,
                  body.value.jws,
                  pre.checked as Promise<CheckedAlert>,
                )
              : await this.deps.intake.acceptReceipt(
                  this.peer,
                  body.value.jws,
                  pre.checked as Promise<CheckedReceipt>,
                );
          // The log already holds the alert: its audit entry is committed with others within a
          // few milliseconds, and the answer does not wait for that commit.
          if (body.$case === 'alert' && !r.duplicate)
            this.deps.audit.recordSoon({
              ...actorOf(this.peer),
              action: 'alert.accepted',
              outcome: 'ok',
              subject: r.id,
              details: { seq: r.seq },
            });
          await this.write({
            body: {
              $case: 'accepted',
              value: { ref: msg.ref, id: r.id, seq: r.seq, duplicate: r.duplicate },
            },
          });
          return;
        }
        default:
          // linkStep let nothing else through (an ack is noted on arrival).
          throw new BrokerError('PROTOCOL', 'empty or unknown message');
      }
    } catch (thrown) {
      const err = thrown instanceof BrokerError ? thrown : (storeFault(thrown) ?? thrown);
      const reason: BrokerErrorCode = err instanceof BrokerError ? err.code : 'INTERNAL';
      const status = toServiceError(err, this.log);
      this.deps.metrics.inc('cctns_refusals_total', { reason });
      // A flood is counted in the metrics, not written entry by entry into the audit.
      if (reason !== 'RATE_LIMITED')
        await this.deps.audit.tryRecord({
          ...actorOf(this.peer),
          action: `${body?.$case ?? 'message'}.refused`,
          outcome: 'refused',
          code: reason,
          message: err instanceof BrokerError ? err.message : 'internal error',
        });
      this.log.warn(
        { reason, ref: msg.ref, kind: body?.$case },
        err instanceof BrokerError ? err.message : 'internal error',
      );
      await this.write({
        body: {
          $case: 'refused',
          value: {
            ref: msg.ref,
            id: '',
            code: status.code ?? 13,
            reason,
            message: err instanceof BrokerError ? err.message : 'internal error',
          },
        },
      });
    }
  }

  private async write(msg: BrokerMessage): Promise<void> {
    if (this.phase === 'closed') return;
    await writeWithBackpressure(this.call, msg);
  }

  /**
   * Checks the peer's certificate again, as at the link's opening (revoked or expired since): a
   * refused certificate ends the link with CERT_REFUSED. Returns whether the link stays open.
   */
  recheck(): boolean {
    if (this.phase === 'closed') return false;
    try {
      authenticate(this.call, this.deps.trust, { at: this.deps.clock(), kinds: ['station', 'hq'] });
      return true;
    } catch (err) {
      const reason = err instanceof BrokerError ? err.code : 'INTERNAL';
      this.deps.metrics.inc('cctns_refusals_total', { reason });
      void this.deps.audit.tryRecord({
        ...actorOf(this.peer),
        action: 'link.closed',
        outcome: 'refused',
        code: reason,
        message: err instanceof Error ? err.message : String(err),
      });
      this.log.warn(
        { reason, err: err instanceof Error ? err.message : String(err) },
        'open link refused',
      );
      this.call.emit('error', toServiceError(err, this.log));
      this.close('certificate refused');
      return false;
    }
  }

  /** Closes the session (idempotent) and records the station offline. */
  close(why: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.pump?.stop();
    this.unsubscribe?.();
    this.deps.sessions.delete(this);
    // Where the station got to is written at once when it leaves (it may link to a replica next).
    if (this.acked) void this.deps.cursors.flush();
    this.log.info({ why }, 'link closed');
    void this.deps.store
      .touchStation(this.peer.identityString, { online: false, at: this.deps.clock() })
      .catch(() => undefined);
  }

  /** Ends the link from the broker's side (shutdown). */
  end(): void {
    try {
      this.call.end();
    } catch {
      // already gone
    }
    this.close('broker shutting down');
  }
}
