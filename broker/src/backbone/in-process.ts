import type {
  Backbone,
  BackboneConsumer,
  BackboneResponder,
  BackboneMessage,
  BackboneStatus,
  PublishAck,
} from './backbone.js';
import { BrokerError } from '../errors.js';
import { subjectMatches } from './wildcard.js';

/** How long a dedup id is remembered (as JetStream's default duplicate window). */
const DEDUP_WINDOW_MS = 2 * 60 * 1000;

interface Durable {
  filter: string;
  /** Index of the next message to look at: everything before is acknowledged or not ours. */
  position: number;
  running: boolean;
  wake: (() => void) | undefined;
}

/**
 * The embedded backbone: one in-memory stream shared by every broker in the process, with
 * durable consumers that remember their acknowledged position for as long as the process lives
 * (a stopped and restarted broker in the same process resumes where it was), and the same
 * deduplication and ordering as JetStream.
 */
export class InProcessStream {
  readonly messages: BackboneMessage[] = [];
  /**
   * Sequences continue after `startAfter`, so that brokers whose logs already hold entries from
   * an earlier run of the embedded network keep a log that only grows.
   */
  constructor(private startAfter = 0) {}

  private readonly dedup = new Map<string, { seq: number; at: number }>();
  readonly durables = new Map<string, Durable>();
  /** Request/reply handlers per subject; replicas take turns. */
  readonly responders = new Map<string, Array<(r: Uint8Array) => Promise<Uint8Array>>>();
  private turn = 0;

  /** Sends a request to one responder of `subject`, with a deadline. */
  async request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const list = this.responders.get(subject);
    if (!list?.length)
      throw new BrokerError('BACKBONE_NO_RESPONDER', `no broker answers ${subject}`);
    const handler = list[this.turn++ % list.length]!;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        handler(payload.slice()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new BrokerError('BACKBONE_TIMEOUT', `${subject} did not answer in ${timeoutMs} ms`),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Appends a message unless its dedup id was seen within the window. */
  append(subject: string, kind: BackboneMessage['kind'], dedupId: string, jws: string): PublishAck {
    const now = Date.now();
    const seen = this.dedup.get(dedupId);
    if (seen && now - seen.at < DEDUP_WINDOW_MS) return { seq: seen.seq, duplicate: true };
    const seq = this.startAfter + this.messages.length + 1;
    this.messages.push({ seq, subject, kind, jws });
    this.dedup.set(dedupId, { seq, at: now });
    if (this.dedup.size > 100_000)
      for (const [k, v] of this.dedup) if (now - v.at >= DEDUP_WINDOW_MS) this.dedup.delete(k);
    for (const d of this.durables.values()) if (subjectMatches(d.filter, subject)) d.wake?.();
    return { seq, duplicate: false };
  }

  /** Moves the sequence counter above `seq` while the stream is empty (see Backbone.ensureAfter). */
  ensureAfter(seq: number): void {
    const last = this.startAfter + this.messages.length;
    if (last >= seq) return;
    if (this.messages.length > 0)
      throw new BrokerError(
        'BACKBONE_BEHIND',
        `the in-process stream is at ${last}, behind a broker log at ${seq}`,
      );
    this.startAfter = seq;
  }

  /** A connection to this stream (one per broker). */
  connect(): Backbone {
    return new InProcessBackbone(this);
  }
}

class InProcessBackbone implements Backbone {
  private closed = false;
  private readonly consumers = new Set<{ stop(): Promise<void> }>();
  private readonly responders = new Set<BackboneResponder>();

  constructor(private readonly stream: InProcessStream) {}

  async publish(
    subject: string,
    kind: BackboneMessage['kind'],
    dedupId: string,
    jws: string,
  ): Promise<PublishAck> {
    if (this.closed) throw new Error('backbone closed');
    return this.stream.append(subject, kind, dedupId, jws);
  }

  consume(
    durable: string,
    filter: string,
    handler: (m: BackboneMessage) => Promise<void>,
  ): Promise<BackboneConsumer> {
    return this.consumeBatches(durable, filter, 1, (batch) => handler(batch[0]!));
  }

  async consumeBatches(
    durable: string,
    filter: string,
    max: number,
    handler: (batch: BackboneMessage[]) => Promise<void>,
  ): Promise<BackboneConsumer> {
    let d = this.stream.durables.get(durable);
    if (!d) {
      d = { filter, position: 0, running: false, wake: undefined };
      this.stream.durables.set(durable, d);
    }
    if (d.running) throw new Error(`durable consumer ${durable} is already running`);
    const state = d;
    state.running = true;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const batch: BackboneMessage[] = [];
        let i = state.position;
        for (; i < this.stream.messages.length && batch.length < max; i++) {
          const m = this.stream.messages[i]!;
          if (subjectMatches(state.filter, m.subject)) batch.push(m);
        }
        if (batch.length === 0) {
          state.position = i;
          // No await between the scan and here: an append cannot slip in unseen.
          await new Promise<void>((r) => (state.wake = r));
          state.wake = undefined;
          continue;
        }
        try {
          await handler(batch);
          state.position = i;
        } catch {
          // Not acknowledged: delivered again after a pause, as JetStream would after ack_wait.
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
    const consumer = {
      stop: async () => {
        stopped = true;
        state.wake?.();
        await loop;
        state.running = false;
        this.consumers.delete(consumer);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async ensureAfter(seq: number): Promise<void> {
    this.stream.ensureAfter(seq);
  }

  status(): BackboneStatus {
    return this.closed ? 'closed' : 'connected';
  }

  async respond(
    subject: string,
    _group: string,
    handler: (request: Uint8Array) => Promise<Uint8Array>,
  ): Promise<BackboneResponder> {
    const list = this.stream.responders.get(subject) ?? [];
    list.push(handler);
    this.stream.responders.set(subject, list);
    const r = {
      stop: async () => {
        const l = this.stream.responders.get(subject) ?? [];
        const i = l.indexOf(handler);
        if (i >= 0) l.splice(i, 1);
        this.responders.delete(r);
      },
    };
    this.responders.add(r);
    return r;
  }

  async request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new Error('backbone closed');
    return this.stream.request(subject, payload, timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.consumers]) await c.stop();
    for (const r of [...this.responders]) await r.stop();
  }
}
