import type { Logger } from 'pino';
import type { BrokerStore } from '../store/store.js';

/** How often acknowledged cursors are written to the store, by default. */
export const CURSOR_FLUSH_MS = 1000;

/**
 * The cursors the broker's links have acknowledged, written to the store together: at most once
 * per interval, one write for every link that moved, rather than a write per link (a broadcast
 * acknowledged by every station of a state at once would otherwise be thousands of writes).
 */
export class Cursors {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<BrokerStore, 'advanceCursors'>,
    private readonly logger: Logger,
    private readonly everyMs = CURSOR_FLUSH_MS,
  ) {}

  /** Notes that `identity` has everything up to `seq`; written within the interval. */
  note(identity: string, seq: number): void {
    if (seq <= (this.pending.get(identity) ?? 0)) return;
    this.pending.set(identity, seq);
    this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
  }

  /** Writes what is pending now (a link closing, the broker stopping). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending].map(([identity, seq]) => ({ identity, seq }));
    this.pending = new Map();
    await this.store
      .advanceCursors(batch)
      .catch((err: unknown) =>
        this.logger.error({ err, stations: batch.length }, 'cursor write failed'),
      );
  }
}
