import type { Logger } from 'pino';
import type { NotificationInfo } from '@cctns/proto';
import { brokerErrorMessage, type BrokerClient } from './brokers.js';
import type { NotificationsSnapshot, NotificationView } from './events.js';

/** How often the console asks its brokers for their notification queues. */
export const NOTIFICATION_POLL_MS = 5_000;

/** How many notifications are read from each broker at once. */
const LIMIT = 1000;

/** A broker's notification row as the console shows it. */
export function notificationView(broker: string, n: NotificationInfo): NotificationView {
  return {
    key: n.key,
    broker,
    alertId: n.alertId,
    station: n.station,
    contactId: n.contactId,
    channel: n.channel as NotificationView['channel'],
    to: n.to,
    state: n.state as NotificationView['state'],
    attempts: n.attempts,
    lastError: n.lastError || null,
    createdAt: n.createdAt?.toISOString() ?? '',
    updatedAt: n.updatedAt?.toISOString() ?? '',
  };
}

/** The notifications of every broker in scope (of one alert, or all), newest first. */
export async function readNotifications(
  brokers: readonly BrokerClient[],
  alertId = '',
): Promise<NotificationsSnapshot> {
  const out: NotificationsSnapshot = { notifications: [], unreachable: [] };
  await Promise.all(
    brokers.map(async (c) => {
      try {
        const res = await c.listNotifications(alertId, LIMIT);
        for (const n of res.notifications) out.notifications.push(notificationView(c.ref.home, n));
      } catch (err) {
        const error = brokerErrorMessage(err);
        // A broker without notifications configured has none to show; that is not a fault.
        if (!error.startsWith('NOTIFY_UNAVAILABLE'))
          out.unreachable.push({ state: c.ref.home, error });
      }
    }),
  );
  out.notifications.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return out;
}

/** What makes a row worth sending again: anything a person would see change. */
const fingerprint = (n: NotificationView) =>
  `${n.state}|${n.attempts}|${n.lastError ?? ''}|${n.updatedAt}`;

/**
 * The brokers' notification queues, polled once for the whole console (the brokers only answer
 * questions about them), so that browsers hear of new rows and changed delivery states as events
 * instead of each polling on its own. Rows are compared by key; only new or changed ones are
 * passed on. A broker that does not answer keeps its last rows.
 */
export class NotificationWatch {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly brokers: readonly BrokerClient[],
    private readonly logger: Logger,
    private readonly onChange: (rows: NotificationView[]) => void,
  ) {}

  /** Polls now (joins a poll in progress). */
  refresh(): Promise<void> {
    this.running ??= this.poll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async poll(): Promise<void> {
    const snap = await readNotifications(this.brokers);
    for (const u of snap.unreachable)
      this.logger.warn({ broker: u.state, err: u.error }, 'notifications not answered');
    const changed = snap.notifications.filter((n) => {
      const id = `${n.broker}|${n.key}`;
      const f = fingerprint(n);
      if (this.seen.get(id) === f) return false;
      this.seen.set(id, f);
      return true;
    });
    if (changed.length) this.onChange(changed);
  }

  /** Polls now and every `everyMs`. */
  start(everyMs = NOTIFICATION_POLL_MS): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
