import type { Writable } from 'node:stream';
import { BrokerMessage } from '@cctns/proto';
import type { LogEntry } from '../store/store.js';
import type { Wakeable } from './hub.js';

/** Log entries read per query. */
const BATCH = 256;
/** Entries offered to a caught-up stream that may wait for it; beyond, it reads the log again. */
const MAX_PENDING = 512;

/**
 * Moves a stream along the log. While it is behind, each wake-up reads the entries after its
 * cursor (in batches) and emits them in order; wake-ups that arrive while it runs coalesce into
 * one more pass. Once a read finds nothing more, the stream is caught up ("live"): entries the hub
 * offers as they are appended are emitted as they are, without reading the log (one query per
 * link per entry would not scale to thousands of links); a stream that falls behind (a slow link,
 * too many entries waiting) goes back to reading. Station links and supervision streams both use
 * it, with their own reader and filter.
 */
export class LogPump implements Wakeable {
  private pumping = false;
  private dirty = false;
  private stopped = false;
  private live = false;
  private pending: LogEntry[] = [];

  constructor(
    private cursor: number,
    private readonly read: (afterSeq: number, limit: number) => Promise<LogEntry[]>,
    /** Writes an entry; returns a promise only when the stream asks to wait (back-pressure). */
    private readonly emit: (entry: LogEntry) => Promise<void> | void,
    private readonly onError: (err: unknown) => void,
    /** Which offered entries the reader would have returned (e.g. not expired). */
    private readonly accepts: (entry: LogEntry) => boolean = () => true,
  ) {}

  /** The last sequence emitted. */
  get position(): number {
    return this.cursor;
  }

  /** Asks for a pass over the log (called when the stream starts, or may have missed something). */
  wake(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.live = false;
    if (!this.pumping) void this.run();
  }

  /** Takes an entry just appended to the log (in log order) that this stream listens to. */
  offer(entry: LogEntry): void {
    if (this.stopped) return;
    if (!this.live || this.pending.length >= MAX_PENDING) {
      this.pending = [];
      this.wake();
      return;
    }
    if (!this.accepts(entry)) return;
    if (!this.pumping && this.pending.length === 0) {
      // The common case of a caught-up link: written at once, no promise made.
      if (entry.seq <= this.cursor) return;
      this.cursor = entry.seq;
      const wait = this.emitSafely(entry);
      if (wait) {
        this.pumping = true;
        void wait.then(() => {
          this.pumping = false;
          if (this.pending.length > 0 || this.dirty) void this.run();
        });
      }
      return;
    }
    this.pending.push(entry);
    if (!this.pumping) void this.run();
  }

  /** emit, with a failure reported once rather than thrown into the hub. */
  private emitSafely(entry: LogEntry): Promise<void> | undefined {
    try {
      const wait = this.emit(entry);
      return wait ? wait.catch((err: unknown) => this.fail(err)) : undefined;
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = [];
    this.onError(err);
  }

  /** Stops emitting (the stream is gone). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
  }

  private async run(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.stopped) {
        const next = this.pending.shift();
        if (next) {
          if (next.seq > this.cursor) {
            this.cursor = next.seq;
            await this.emit(next);
          }
          continue;
        }
        if (!this.dirty) break;
        this.dirty = false;
        for (;;) {
          const entries = await this.read(this.cursor, BATCH);
          for (const e of entries) {
            if (this.stopped) return;
            await this.emit(e);
            this.cursor = e.seq;
          }
          if (entries.length < BATCH) break;
        }
        // Caught up, unless something arrived meanwhile (then read once more).
        if (!this.dirty) this.live = true;
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * Writes to a gRPC stream; when it is full, returns a promise of its 'drain' (leaving no listener
 * behind), otherwise nothing, so a caught-up link costs no promise per message.
 */
export function writeWithBackpressure(stream: Writable, msg: unknown): Promise<void> | undefined {
  if (stream.write(msg)) return undefined;
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** The Delivery body of a log entry. */
export function deliveryOf(e: LogEntry): {
  seq: number;
  item: { $case: 'alert'; value: { jws: string } } | { $case: 'receipt'; value: { jws: string } };
} {
  return {
    seq: e.seq,
    item:
      e.kind === 'alert'
        ? { $case: 'alert', value: { jws: e.jws } }
        : { $case: 'receipt', value: { jws: e.jws } },
  };
}

/** The encoded form of a message, attached where it was encoded once for many links. */
const ENCODED = Symbol('encoded');
type Encoded = BrokerMessage & { [ENCODED]?: Buffer };
const deliveries = new WeakMap<LogEntry, Encoded>();

/**
 * The message carrying `e` down a station link. An entry the hub hands to many links (a
 * broadcast reaching every station of a state) is encoded once, not once per link.
 */
export function deliveryMessage(e: LogEntry): BrokerMessage {
  let m = deliveries.get(e);
  if (!m) {
    m = { body: { $case: 'delivery', value: deliveryOf(e) } };
    Object.defineProperty(m, ENCODED, { value: Buffer.from(BrokerMessage.encode(m).finish()) });
    deliveries.set(e, m);
  }
  return m;
}

/** Encodes a message for the wire, reusing the bytes of one already encoded (see deliveryMessage). */
export function encodeBrokerMessage(m: BrokerMessage): Buffer {
  return (m as Encoded)[ENCODED] ?? Buffer.from(BrokerMessage.encode(m).finish());
}
