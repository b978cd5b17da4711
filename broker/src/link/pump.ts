import type { Writable } from 'node:stream';
import type { LogEntry } from '../store/store.js';
import type { Wakeable } from './hub.js';

/** Log entries read per query. */
const BATCH = 256;

/**
 * Moves a stream along the log: each wake-up reads the entries after its cursor (in batches) and
 * emits them in order; wake-ups that arrive while it runs coalesce into one more pass. Station
 * links and supervision streams both use it, with their own reader.
 */
export class LogPump implements Wakeable {
  private pumping = false;
  private dirty = false;
  private stopped = false;

  constructor(
    private cursor: number,
    private readonly read: (afterSeq: number, limit: number) => Promise<LogEntry[]>,
    private readonly emit: (entry: LogEntry) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The last sequence emitted. */
  get position(): number {
    return this.cursor;
  }

  /** Asks for a pass (called by the hub when something for this stream was appended). */
  wake(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.pumping) void this.run();
  }

  /** Stops emitting (the stream is gone). */
  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    this.pumping = true;
    try {
      while (this.dirty && !this.stopped) {
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
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.pumping = false;
    }
  }
}

/** Writes to a gRPC stream, waiting for 'drain' when it is full; leaves no listener behind. */
export async function writeWithBackpressure(stream: Writable, msg: unknown): Promise<void> {
  if (stream.write(msg)) return;
  await new Promise<void>((resolve) => {
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
