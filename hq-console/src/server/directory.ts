import { parseIdentity } from '@cctns/pki';
import type { Logger } from 'pino';
import { brokerErrorMessage, type BrokerClient } from './brokers.js';
import type { StationsSnapshot, StationView } from './events.js';

/** How often the station directory is polled. */
export const DIRECTORY_POLL_MS = 5_000;

/**
 * The station directory in the console's scope: the state brokers' directories (one for a state
 * console, every configured one for national), polled in parallel. A broker that does not answer
 * is named in `unreachable` and its last known stations are kept, marked by that entry, not
 * silently shown offline or dropped.
 */
export class StationDirectory {
  private snapshot: StationsSnapshot = {
    at: new Date(0).toISOString(),
    stations: [],
    unreachable: [],
  };
  private readonly last = new Map<string, StationView[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<StationsSnapshot> | undefined;

  constructor(
    private readonly brokers: BrokerClient[],
    private readonly logger: Logger,
    private readonly onChange: (s: StationsSnapshot) => void,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The last snapshot. */
  current(): StationsSnapshot {
    return this.snapshot;
  }

  /** Polls now (joins a poll in progress). */
  refresh(): Promise<StationsSnapshot> {
    this.running ??= this.poll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async poll(): Promise<StationsSnapshot> {
    const unreachable: StationsSnapshot['unreachable'] = [];
    await Promise.all(
      this.brokers.map(async (b) => {
        try {
          const res = await b.listStations();
          this.last.set(
            b.ref.home,
            res.stations.map((s): StationView => {
              const id = parseIdentity(s.identity);
              return {
                identity: s.identity,
                state: id.kind === 'station' ? id.state : b.ref.home,
                district: id.kind === 'station' ? id.district : '',
                name: id.kind === 'station' ? id.station : s.identity,
                online: s.online,
                lastSeen: s.lastSeen ? s.lastSeen.toISOString() : null,
                backlog: Number(s.backlog),
                certNotAfter: s.certNotAfter ? s.certNotAfter.toISOString() : null,
              };
            }),
          );
        } catch (err) {
          const error = brokerErrorMessage(err);
          unreachable.push({ state: b.ref.home, error });
          this.logger.warn({ broker: b.ref.home, err: error }, 'station directory not answered');
        }
      }),
    );
    const stations = [...this.last.values()]
      .flat()
      .sort((a, b) => a.identity.localeCompare(b.identity));
    const next = { at: this.clock().toISOString(), stations, unreachable };
    const changed =
      JSON.stringify({ ...next, at: '' }) !== JSON.stringify({ ...this.snapshot, at: '' });
    this.snapshot = next;
    if (changed) this.onChange(next);
    return next;
  }

  /** Polls now and every `everyMs`. */
  start(everyMs = DIRECTORY_POLL_MS): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
