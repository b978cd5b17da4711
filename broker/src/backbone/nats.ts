import {
  AckPolicy,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  headers as natsHeaders,
  nanos,
  NatsError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { pino, type Logger } from 'pino';
import type {
  Backbone,
  BackboneConsumer,
  BackboneResponder,
  BackboneMessage,
  BackboneStatus,
  PublishAck,
} from './backbone.js';
import { BrokerError } from '../errors.js';
import { SUBJECT_ROOT } from '../routing/subjects.js';

const UTF8 = new TextDecoder();

/** The header carrying a message's kind; the payload is the bare JWS, so the kind travels beside it. */
export const KIND_HEADER = 'Cctns-Kind';

/** Stream defaults: a month of history for late replicas, JetStream's usual dedup window. */
const DEFAULT_STREAM = 'CCTNS';
const DEFAULT_MAX_AGE_DAYS = 30;
const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** JetStream API error codes this module reacts to. */
const JS_STREAM_NOT_FOUND = 10059;
const JS_CONSUMER_NOT_FOUND = 10014;

/** Why a consumed message did not reach the handler. */
export interface SkippedMessage {
  durable: string;
  seq: number;
  subject: string;
  reason: string;
}

/** Options of `NatsBackbone.connect`. */
export interface NatsBackboneOptions {
  /** One or more server URLs (`nats://host:4222`, or `host:port`). */
  servers: string | string[];
  /**
   * Client TLS material (file paths): the deployment's root, and the broker's certificate chain
   * and key. The backbone servers require client certificates (`natsServerConfig`).
   */
  tls?: { ca: string; cert: string; key: string };
  /** JetStream stream name. Default `CCTNS`. */
  stream?: string;
  /** Connection name, shown by the server's monitoring (e.g. the broker identity). */
  name?: string;
  logger?: Logger;
  /** Applied when the stream is created, and to an existing stream that differs. */
  streamOptions?: {
    /** How long messages stay in the stream. Default 30 days. */
    maxAgeDays?: number;
    /** How long a dedup id is remembered. Default 2 minutes. */
    duplicateWindowMs?: number;
    /** Stream replicas (a clustered deployment uses 3). Default 1; only changed when given. */
    replicas?: number;
  };
  /** Durable consumer tuning. */
  consumerOptions?: {
    /**
     * How long the server waits for an acknowledgement before delivering a message again.
     * Handlers that run longer are kept alive with progress notices. It is also how long a
     * consumer may stall after a crash of the server or of the broker before it (deliveries the
     * dead connection held come back only then, and order waits for them). Default 5 s.
     */
    ackWaitMs?: number;
    /** First redelivery delay after a handler failure (doubling, capped at 30 s). Default 500 ms. */
    retryDelayMs?: number;
  };
  /**
   * How long a publish may take in all, retries included, before it throws: it waits out a
   * reconnection and retries transient errors (no responders, timeouts while a server restarts).
   * Default 20 s.
   */
  publishTimeoutMs?: number;
  /** Called for every consumed message that is outside the scheme (no valid kind) and was skipped. */
  onSkipped?: (m: SkippedMessage) => void;
}

/**
 * How many messages a durable consumer may have delivered and not yet acknowledged. The handler
 * still takes them one at a time in stream order; the window lets the server send the next ones
 * while the current one is being handled instead of waiting for each acknowledgement.
 */
export const MAX_ACK_PENDING = 256;
/** Messages asked for per pull; the client asks for more as they are used up. */
const PULL_BATCH = 128;

interface RunningConsumer {
  durable: string;
  /** Messages handed to the handler at once, at most. */
  max: number;
  handler: (batch: BackboneMessage[]) => Promise<void>;
  stopped: boolean;
  /** Set when the attachment must be given up and made again (the connection was re-established). */
  reattach: boolean;
  iter: ConsumerMessages | undefined;
  loop: Promise<void>;
  /** Resolves the backoff sleep early when the consumer stops. */
  wake: (() => void) | undefined;
}

/**
 * The distributed backbone: a JetStream stream (`cctns.v1.>`, file storage) on a NATS server or
 * cluster, one durable pull consumer per broker.
 *
 * Ordering: the handler sees one message at a time, in stream order, and a message whose handler
 * fails is retried in place (with backoff, kept alive with progress notices) before anything after
 * it, so a failure blocks what follows. The server may have up to `MAX_ACK_PENDING` messages
 * delivered and unacknowledged, so the next messages are already on their way while one is
 * handled. Order across interruptions (a stop, a reconnect, a crash of this process or of the
 * server) rests on one rule applied at every attachment: after a round trip that makes the server
 * see this client's last acknowledgements, the consumer's `num_ack_pending` says how many
 * messages an earlier attachment left unacknowledged. They come back (at once when given back,
 * after `ack_wait` when they were lost in flight) while newer ones may already arrive, so nothing
 * is handled until every pending message is in hand; then they go to the handler in stream order
 * and the consumer runs freely again. On top of it, each consumer remembers the last stream
 * sequence it handled, so a redelivery of a handled message (an acknowledgement lost in a server
 * crash) is acknowledged again without calling the handler twice.
 */
export class NatsBackbone implements Backbone {
  private closing = false;
  private reconnecting = false;
  private skippedCount = 0;
  private readonly consumers = new Map<string, RunningConsumer>();
  /** Last stream sequence handled per durable, kept across stop/start within this connection. */
  private readonly handled = new Map<string, number>();
  private readonly ackWaitMs: number;
  private readonly retryDelayMs: number;
  private readonly publishTimeoutMs: number;
  /** Woken when the connection is back (or closes), for publishes waiting out a reconnection. */
  private readonly reconnectWaiters = new Set<() => void>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** The stream name. */
    readonly stream: string,
    private readonly log: Logger,
    private readonly opts: NatsBackboneOptions,
  ) {
    this.ackWaitMs = opts.consumerOptions?.ackWaitMs ?? 5_000;
    this.retryDelayMs = opts.consumerOptions?.retryDelayMs ?? 500;
    this.publishTimeoutMs = Math.max(1_000, opts.publishTimeoutMs ?? 20_000);
    void this.watchStatus();
  }

  /**
   * Connects (failing fast when no server answers), then makes sure the stream exists with the
   * requested limits. Once connected, the client reconnects forever: a backbone outage makes
   * publishes fail after their retries and consumers wait, but the broker keeps running.
   */
  static async connect(opts: NatsBackboneOptions): Promise<NatsBackbone> {
    const log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'backbone' });
    const stream = opts.stream ?? DEFAULT_STREAM;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers,
        name: opts.name,
        ...(opts.tls
          ? { tls: { caFile: opts.tls.ca, certFile: opts.tls.cert, keyFile: opts.tls.key } }
          : {}),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        reconnectJitter: 250,
        // A dead server is noticed within a minute even when TCP does not say so.
        pingInterval: 20_000,
        maxPingOut: 3,
      });
    } catch (cause) {
      throw new Error(
        `cannot connect to the NATS backbone at ${[opts.servers].flat().join(', ')}: ${(cause as Error).message}`,
        { cause },
      );
    }
    try {
      const jsm = await retryStartup(() => nc.jetstreamManager(), log).catch((cause: unknown) => {
        throw new Error(
          `JetStream is not available on the NATS backbone at ${nc.getServer()} (is a jetstream block in its configuration?): ${(cause as Error).message}`,
          { cause },
        );
      });
      const backbone = new NatsBackbone(nc, nc.jetstream(), jsm, stream, log, opts);
      await backbone.ensureStream();
      log.info({ stream, server: nc.getServer() }, 'connected to the NATS backbone');
      return backbone;
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  /** How many consumed messages were skipped because they carried no valid kind header. */
  get skipped(): number {
    return this.skippedCount;
  }

  async publish(
    subject: string,
    kind: BackboneMessage['kind'],
    dedupId: string,
    jws: string,
  ): Promise<PublishAck> {
    if (kind !== 'alert' && kind !== 'receipt') throw new Error(`unknown message kind "${kind}"`);
    const h = natsHeaders();
    h.set(KIND_HEADER, kind);
    const data = new TextEncoder().encode(jws);
    const deadline = Date.now() + this.publishTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      if (this.closing) throw new Error('backbone closed');
      // The client discards whatever is published while disconnected, so a request sent then
      // could only time out: wait for the connection instead.
      if (this.reconnecting) await this.untilReconnected(deadline);
      try {
        const ack = await this.js.publish(subject, data, {
          msgID: dedupId,
          headers: h,
          // A subject captured by some other stream would be a deployment error; refuse it.
          expect: { streamName: this.stream },
          timeout: Math.max(500, Math.min(5_000, deadline - Date.now())),
        });
        return { seq: ack.seq, duplicate: ack.duplicate };
      } catch (err) {
        if (!isTransient(err) || Date.now() >= deadline || this.closing)
          throw new Error(
            `backbone publish on ${subject} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${(err as Error).message}`,
            { cause: err },
          );
        // Retrying is safe: the dedup id makes a second store of the same message impossible.
        const delay = Math.min(2_000, 100 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now()));
        this.log.warn(
          { subject, attempt, delay, err: (err as Error).message },
          'backbone publish failed, retrying',
        );
        await sleep(delay);
      }
    }
  }

  /** Resolves when the connection is back, it closes, or the deadline passes. */
  private async untilReconnected(deadline: number): Promise<void> {
    let wake: () => void = () => undefined;
    const back = new Promise<void>((r) => (wake = r));
    this.reconnectWaiters.add(wake);
    const t = setTimeout(wake, Math.max(0, deadline - Date.now()));
    try {
      await back;
    } finally {
      clearTimeout(t);
      this.reconnectWaiters.delete(wake);
    }
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
    if (this.closing) throw new Error('backbone closed');
    if (this.consumers.has(durable))
      throw new Error(`durable consumer ${durable} is already running`);
    await this.ensureConsumer(durable, filter);
    // Checked again: ensureConsumer awaited, and a second consume() may have raced us.
    if (this.consumers.has(durable))
      throw new Error(`durable consumer ${durable} is already running`);
    const state: RunningConsumer = {
      durable,
      max: Math.max(1, Math.min(max, MAX_ACK_PENDING)),
      handler,
      stopped: false,
      reattach: false,
      iter: undefined,
      loop: Promise.resolve(),
      wake: undefined,
    };
    state.loop = this.run(state);
    this.consumers.set(durable, state);
    return {
      stop: async () => {
        if (state.stopped) return state.loop;
        state.stopped = true;
        // Unsubscribes the pull inbox at once, so the server stops handing us messages.
        state.iter?.stop();
        state.wake?.();
        await state.loop;
        this.consumers.delete(durable);
      },
    };
  }

  async ensureAfter(seq: number): Promise<void> {
    const info = await this.jsm.streams.info(this.stream);
    if (info.state.last_seq >= seq) return;
    if (info.state.messages > 0) {
      throw new BrokerError(
        'BACKBONE_BEHIND',
        `stream ${this.stream} ends at sequence ${info.state.last_seq} but this broker's log is at ${seq}: the stream was recreated under a running network; restore it, or start this broker on a fresh database`,
      );
    }
    // Purging an empty stream up to seq+1 makes JetStream number the next message seq+1.
    await this.jsm.streams.purge(this.stream, { seq: seq + 1 });
    this.log.info(
      { stream: this.stream, next: seq + 1 },
      "stream sequence moved past this broker's log",
    );
  }

  status(): BackboneStatus {
    if (this.closing || this.nc.isClosed()) return 'closed';
    return this.reconnecting ? 'reconnecting' : 'connected';
  }

  async respond(
    subject: string,
    group: string,
    handler: (request: Uint8Array) => Promise<Uint8Array>,
  ): Promise<BackboneResponder> {
    const sub = this.nc.subscribe(subject, { queue: group });
    // The server knows of the subscription once a round trip has passed: only then does a
    // request find this responder (otherwise it is answered "no responders").
    await this.nc.flush();
    const loop = (async () => {
      for await (const m of sub) {
        // Each request is answered on its own; a slow one does not hold up the next.
        void handler(m.data).then(
          (reply) => m.respond(reply),
          (err: unknown) =>
            this.log.error({ err: (err as Error).message, subject }, 'request not answered'),
        );
      }
    })();
    return {
      stop: async () => {
        sub.unsubscribe();
        await loop;
      },
    };
  }

  async request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      return (await this.nc.request(subject, payload, { timeout: timeoutMs })).data;
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === '503')
        throw new BrokerError('BACKBONE_NO_RESPONDER', `no broker answers ${subject}`, {
          cause: err,
        });
      if (code === 'TIMEOUT')
        throw new BrokerError('BACKBONE_TIMEOUT', `${subject} did not answer in ${timeoutMs} ms`, {
          cause: err,
        });
      throw err;
    }
  }

  /** Stops every consumer (each finishes the message in hand), then drains the connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const w of this.reconnectWaiters) w();
    await Promise.all(
      [...this.consumers.values()].map(async (c) => {
        c.stopped = true;
        c.iter?.stop();
        c.wake?.();
        await c.loop;
      }),
    );
    this.consumers.clear();
    // Drain flushes outstanding acknowledgements; bounded, since a server that is down never answers.
    const drained = this.nc.drain().catch(() => undefined);
    const timedOut = await Promise.race([drained.then(() => false), sleep(5_000).then(() => true)]);
    if (timedOut || !this.nc.isClosed()) await this.nc.close().catch(() => undefined);
  }

  /** Creates the stream, or brings an existing one to the requested subjects and limits. */
  private async ensureStream(): Promise<void> {
    const so = this.opts.streamOptions ?? {};
    const maxAge = nanos((so.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS) * 24 * 60 * 60 * 1000);
    const dupWindow = nanos(so.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS);
    const subject = `${SUBJECT_ROOT}.>`;
    const wanted: Partial<StreamConfig> = {
      name: this.stream,
      description: 'CCTNS alert network backbone: signed alerts and receipts between brokers',
      subjects: [subject],
      storage: StorageType.File,
      // Limits retention: every broker's durable consumer must see every message.
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: maxAge,
      duplicate_window: dupWindow,
      num_replicas: so.replicas ?? 1,
    };
    const existing = await retryStartup(
      () =>
        this.jsm.streams.info(this.stream).catch((err: unknown) => {
          if (apiErrCode(err) === JS_STREAM_NOT_FOUND) return undefined;
          throw err;
        }),
      this.log,
    );
    if (!existing) {
      try {
        await this.jsm.streams.add(wanted);
        this.log.info({ stream: this.stream }, 'created the backbone stream');
        return;
      } catch (err) {
        // Another broker may have created it a moment ago; fall through to the comparison.
        if (!/already in use/i.test((err as Error).message))
          throw new Error(
            `cannot create the backbone stream ${this.stream}: ${(err as Error).message}`,
            { cause: err },
          );
      }
    }
    const cfg = existing?.config ?? (await this.jsm.streams.info(this.stream)).config;
    const update: Partial<StreamConfig> = {};
    if (!cfg.subjects?.includes(subject)) update.subjects = [...(cfg.subjects ?? []), subject];
    if (cfg.max_age !== maxAge) update.max_age = maxAge;
    if (cfg.duplicate_window !== dupWindow) update.duplicate_window = dupWindow;
    if (so.replicas !== undefined && cfg.num_replicas !== so.replicas)
      update.num_replicas = so.replicas;
    if (Object.keys(update).length === 0) return;
    try {
      await this.jsm.streams.update(this.stream, update);
      this.log.info({ stream: this.stream, update }, 'updated the backbone stream');
    } catch (err) {
      // Without the subjects we cannot work at all; other limits are the operator's call.
      if (update.subjects)
        throw new Error(
          `the existing stream ${this.stream} does not take ${subject} and cannot be updated: ${(err as Error).message}`,
          { cause: err },
        );
      this.log.warn(
        { stream: this.stream, update, err: (err as Error).message },
        'the existing backbone stream differs from the requested limits; keeping it',
      );
    }
  }

  /** Creates the durable consumer, or checks an existing one and updates its tuning. */
  private async ensureConsumer(durable: string, filter: string): Promise<void> {
    const wanted: Partial<ConsumerConfig> = {
      durable_name: durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
      ack_wait: nanos(this.ackWaitMs),
      // A window of deliveries ahead of the handler; order is kept by the client (see the class doc).
      max_ack_pending: MAX_ACK_PENDING,
      // Never give up on a message: dropping one would leave a gap in every station's log.
      max_deliver: -1,
    };
    const info = await retryStartup(
      () =>
        this.jsm.consumers.info(this.stream, durable).catch((err: unknown) => {
          if (apiErrCode(err) === JS_CONSUMER_NOT_FOUND) return undefined;
          throw err;
        }),
      this.log,
    );
    if (!info) {
      await this.jsm.consumers.add(this.stream, wanted);
      this.log.info({ durable, filter }, 'created the durable consumer');
      return;
    }
    const c = info.config;
    if ((c.filter_subject ?? '') !== filter)
      throw new Error(
        `durable consumer ${durable} exists with filter "${c.filter_subject ?? ''}", not "${filter}"; delete it (nats consumer rm ${this.stream} ${durable}) to start over from the beginning`,
      );
    if (c.ack_policy !== AckPolicy.Explicit)
      throw new Error(`durable consumer ${durable} exists with ack policy ${c.ack_policy}`);
    if (c.ack_wait !== wanted.ack_wait || c.max_ack_pending !== MAX_ACK_PENDING) {
      await this.jsm.consumers.update(this.stream, durable, {
        ack_wait: wanted.ack_wait,
        max_ack_pending: MAX_ACK_PENDING,
      });
      this.log.info({ durable }, 'updated the durable consumer');
    }
  }

  /** The consume loop: (re)attaches to the durable consumer until stopped. */
  private async run(state: RunningConsumer): Promise<void> {
    const { durable } = state;
    let attachFailures = 0;
    while (!state.stopped) {
      state.reattach = false;
      /** Messages of an earlier attachment, gathered here until all of them are in hand. */
      const held = new Map<number, JsMsg>();
      let guard: NodeJS.Timeout | undefined;
      try {
        const consumer = await this.js.consumers.get(this.stream, durable);
        // After this round trip the server has seen our acknowledgements and the unsubscribe of
        // any earlier pull, so the pending count below covers everything still out there.
        await this.nc.flush();
        let pending = (await this.jsm.consumers.info(this.stream, durable)).num_ack_pending;
        let recovering = pending > 0;
        /** Pending messages acknowledged (as handled already) since `pending` was read. */
        let settled = 0;
        // expires bounds how long a pull request outlives a server restart; heartbeats (half of
        // it) let the client notice a lost request sooner.
        const iter = await consumer.consume({ max_messages: PULL_BATCH, expires: 5_000 });
        state.iter = iter;
        if (state.stopped || state.reattach) iter.stop();
        attachFailures = 0;
        if (recovering) {
          this.log.info({ durable, pending }, 'waiting for unacknowledged messages to come back');
          // A message that never comes back (removed from the stream meanwhile): start over.
          guard = setTimeout(
            () => {
              this.log.warn(
                { durable, pending },
                'unacknowledged messages did not all come back; reattaching',
              );
              state.reattach = true;
              iter.stop();
            },
            2 * this.ackWaitMs + 5_000,
          );
        }
        /** Messages taken while more were already waiting, handed over together. */
        let batch: JsMsg[] = [];
        for await (const m of iter) {
          if (state.stopped || state.reattach) {
            // Give it back at once (the iterator ends after what it holds) so the next
            // attachment need not wait for ack_wait.
            m.nak();
            continue;
          }
          if (!recovering) {
            batch.push(m);
            // More already here (the count includes the one in hand): take them along.
            if (batch.length < state.max && iter.getPending() > 1) continue;
            const taken = batch;
            batch = [];
            await this.deliver(state, taken);
            continue;
          }
          if (m.seq <= (this.handled.get(durable) ?? 0)) {
            m.ack();
            settled++;
          } else {
            held.set(m.seq, m);
          }
          if (held.size + settled < pending) continue;
          // Possibly all in hand; the count read now includes every delivery that reached us.
          pending = (await this.jsm.consumers.info(this.stream, durable)).num_ack_pending;
          settled = 0;
          if (held.size < pending) continue;
          recovering = false;
          clearTimeout(guard);
          this.log.info({ durable, messages: held.size }, 'unacknowledged messages back in hand');
          const inOrder = [...held.keys()].sort((x, y) => x - y).map((seq) => held.get(seq)!);
          held.clear();
          for (let i = 0; i < inOrder.length; i += state.max) {
            const part = inOrder.slice(i, i + state.max);
            if (state.stopped || state.reattach) for (const msg of part) msg.nak();
            else await this.deliver(state, part);
          }
        }
        // Taken but not handed over (the iterator ended): given back, in order.
        for (const msg of batch) msg.nak();
        if (!state.stopped && !state.reattach)
          this.log.warn({ durable }, 'consumer iterator ended; reattaching');
      } catch (err) {
        if (state.stopped || this.closing) break;
        attachFailures++;
        this.log.warn(
          { durable, err: (err as Error).message, attempt: attachFailures },
          'durable consumer failed; reattaching',
        );
      } finally {
        clearTimeout(guard);
        state.iter = undefined;
        // In stream order, so they come back in it.
        for (const seq of [...held.keys()].sort((x, y) => x - y)) held.get(seq)!.nak();
      }
      if (state.stopped) break;
      if (state.reattach && attachFailures === 0) continue;
      await this.pause(state, Math.min(5_000, 200 * 2 ** Math.min(attachFailures, 5)));
    }
  }

  /** Sleeps, cut short when the consumer stops. */
  private async pause(state: RunningConsumer, ms: number): Promise<void> {
    await new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      state.wake = () => {
        clearTimeout(t);
        r();
      };
    });
    state.wake = undefined;
  }

  /**
   * Hands messages (in stream order) to the handler, retrying them in place with backoff while
   * it throws, and acknowledges them. Gives them back unhandled when the consumer stops or
   * reattaches meanwhile. Redeliveries of handled messages are acknowledged again only; messages
   * outside the scheme (no valid kind) are skipped, counted and acknowledged.
   */
  private async deliver(state: RunningConsumer, batch: readonly JsMsg[]): Promise<void> {
    const { durable } = state;
    const handled = this.handled.get(durable) ?? 0;
    const messages: BackboneMessage[] = [];
    let last = handled;
    for (const m of batch) {
      const seq = m.seq;
      if (seq <= handled) {
        // Handled already: its acknowledgement was lost (a server crash). Acknowledge again only.
        this.log.debug({ durable, seq }, 'redelivery of a handled message; acknowledging it again');
        m.ack();
        continue;
      }
      last = Math.max(last, seq);
      const kind = m.headers?.get(KIND_HEADER);
      if (kind !== 'alert' && kind !== 'receipt') {
        this.skippedCount++;
        const reason = kind ? `unknown ${KIND_HEADER} "${kind}"` : `no ${KIND_HEADER} header`;
        this.log.warn({ durable, seq, subject: m.subject, reason }, 'skipping a foreign message');
        try {
          this.opts.onSkipped?.({ durable, seq, subject: m.subject, reason });
        } catch {
          // A counting callback must not stop consumption.
        }
        continue;
      }
      messages.push({ seq, subject: m.subject, kind, jws: UTF8.decode(m.data) });
    }
    if (last === handled) return;
    const fresh = batch.filter((m) => m.seq > handled);
    // Keep the server from redelivering while a slow handler (or its retries) is still at work:
    // a timer only for a handler that outlasts the first tick (most take well under a millisecond).
    let progress: NodeJS.Timeout | undefined;
    const tick = Math.max(250, this.ackWaitMs / 3);
    const working = () => {
      for (const m of fresh) m.working();
    };
    const first = setTimeout(() => {
      working();
      progress = setInterval(working, tick);
    }, tick);
    try {
      for (let failures = 1; messages.length > 0; failures++) {
        try {
          await state.handler(messages);
          break;
        } catch (err) {
          const delay = Math.min(30_000, this.retryDelayMs * 2 ** (failures - 1));
          this.log.warn(
            {
              durable,
              seq: messages[0]!.seq,
              messages: messages.length,
              err: (err as Error).message,
              failures,
              delay,
            },
            'backbone message handler failed; it will be delivered again',
          );
          await this.pause(state, delay);
          if (state.stopped || state.reattach) {
            for (const m of fresh) m.nak();
            return;
          }
        }
      }
    } finally {
      clearTimeout(first);
      clearInterval(progress);
    }
    for (const m of fresh) m.ack();
    this.handled.set(durable, last);
  }

  /** Tracks connection state from the client's status events. */
  private async watchStatus(): Promise<void> {
    void this.nc.closed().then(() => {
      for (const w of this.reconnectWaiters) w();
    });
    for await (const s of this.nc.status()) {
      const type = String(s.type);
      if (type === 'disconnect' || type === 'reconnecting') {
        if (!this.reconnecting) this.log.warn({ server: s.data }, 'backbone connection lost');
        this.reconnecting = true;
      } else if (type === 'reconnect') {
        this.reconnecting = false;
        for (const w of this.reconnectWaiters) w();
        // Deliveries may have been lost with the old connection: attach again, which waits for
        // every unacknowledged message before going on (see the class doc).
        for (const c of this.consumers.values()) {
          c.reattach = true;
          c.iter?.stop();
          c.wake?.();
        }
        this.log.info({ server: s.data }, 'backbone connection restored');
      } else if (type === 'error') {
        this.log.warn({ err: s.data }, 'backbone connection error');
      }
    }
  }
}

/** Errors worth a retry: the server is restarting, JetStream is not up yet, or a request timed out. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof NatsError)) return false;
  return ['503', 'TIMEOUT', 'DISCONNECT', 'CONNECTION_REFUSED'].includes(err.code);
}

/** The JetStream API error code of a failed management request, if any. */
function apiErrCode(err: unknown): number | undefined {
  return err instanceof NatsError ? err.api_error?.err_code : undefined;
}

/** Runs a management request, retrying while JetStream is still starting (no responders, timeouts). */
async function retryStartup<T>(fn: () => Promise<T>, log: Logger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= 10) throw err;
      log.debug({ err: (err as Error).message, attempt }, 'JetStream not ready; retrying');
      await sleep(Math.min(1_000, 100 * attempt));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
