/**
 * The backbone between brokers. Two implementations: NATS with JetStream (distributed) and
 * in-process (embedded mode). Both pass `backbone/conformance.ts`.
 *
 * The stream sequence a message gets is the same for every broker that receives it; brokers use
 * it as their log sequence, so a station's cursor is valid on every replica of its state.
 */

/** What travels: the signed alert or receipt, exactly as its originator signed it. */
export interface BackboneMessage {
  /** Stream sequence, increasing in delivery order. */
  seq: number;
  subject: string;
  kind: 'alert' | 'receipt';
  /** Compact JWS. Receivers verify it; nothing else in the message is trusted. */
  jws: string;
}

/** The outcome of a publish. */
export interface PublishAck {
  seq: number;
  /** True when the same dedup id was published before (within the dedup window). */
  duplicate: boolean;
}

/** A running durable consumer. */
export interface BackboneConsumer {
  stop(): Promise<void>;
}

/** A running responder. */
export interface BackboneResponder {
  stop(): Promise<void>;
}

/** Connection health, as the broker's /healthz reports it. */
export type BackboneStatus = 'connected' | 'reconnecting' | 'closed';

/** The backbone interface every broker uses. */
export interface Backbone {
  /**
   * Publishes `jws` on `subject` with deduplication id `dedupId`; resolves when the message is
   * durably stored (a JetStream PubAck), so the broker may then acknowledge its station.
   */
  publish(
    subject: string,
    kind: BackboneMessage['kind'],
    dedupId: string,
    jws: string,
  ): Promise<PublishAck>;
  /**
   * Starts, or resumes after a restart, the durable consumer `durable` over `filter` (NATS wildcard
   * syntax). `handler` is called one message at a time in stream order; the message is
   * acknowledged when it resolves and delivered again (later) when it throws.
   */
  consume(
    durable: string,
    filter: string,
    handler: (m: BackboneMessage) => Promise<void>,
  ): Promise<BackboneConsumer>;
  /**
   * `consume`, handing over up to `max` messages at once when several are waiting (a broker
   * applies them in one commit): in stream order, acknowledged together when `handler`
   * resolves, all delivered again when it throws.
   */
  consumeBatches(
    durable: string,
    filter: string,
    max: number,
    handler: (batch: BackboneMessage[]) => Promise<void>,
  ): Promise<BackboneConsumer>;
  /**
   * Makes sure the next sequence the stream assigns is above `seq` (a broker's log head), so its
   * log only grows: on an empty stream (new, or after a change of backbone) the counter is moved;
   * a stream that holds messages but is behind `seq` was recreated under a running network, and
   * this throws BACKBONE_BEHIND rather than break every station's cursor.
   */
  ensureAfter(seq: number): Promise<void>;
  /**
   * Answers requests on `subject` (outside the stream: request/reply, nothing stored). Replicas
   * of a broker share the work: each request goes to one of them.
   */
  respond(
    subject: string,
    group: string,
    handler: (request: Uint8Array) => Promise<Uint8Array>,
  ): Promise<BackboneResponder>;
  /**
   * Sends a request and waits for one answer; rejects with BACKBONE_TIMEOUT after `timeoutMs`,
   * or BACKBONE_NO_RESPONDER when no broker answers that subject.
   */
  request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  status(): BackboneStatus;
  close(): Promise<void>;
}
