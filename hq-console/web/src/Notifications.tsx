// SMS and email sent about alerts: to whom, through which broker, and how each one fared.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { NotificationsSnapshot, NotificationView } from '../../src/server/events';
import { api, errorText } from './api';
import type { ConsoleSocket } from './socket';
import { useSocketEvent } from './socket';
import { Badge, ErrorBox, PageHead } from './ui';
import { alertHref, fmtTime } from './util';

const STATES: NotificationView['state'][] = [
  'pending',
  'sent',
  'delivered',
  'failed',
  'undelivered',
];

/** Loads the notifications (of one alert, or all in scope). */
export function loadNotifications(alertId = ''): Promise<NotificationsSnapshot> {
  return api<NotificationsSnapshot>(
    `/api/notifications${alertId ? `?alert=${encodeURIComponent(alertId)}` : ''}`,
  );
}

/**
 * The list with new or changed rows from a `notifications` event put in (of one alert when
 * `alertId` is set), newest first.
 */
export function mergeNotifications(
  list: NotificationView[],
  rows: NotificationView[],
  alertId = '',
): NotificationView[] {
  const id = (n: NotificationView) => `${n.broker}|${n.key}`;
  const byId = new Map(list.map((n) => [id(n), n]));
  for (const n of rows) if (!alertId || n.alertId === alertId) byId.set(id(n), n);
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The notifications of one alert (or all), loaded once and then kept live from the socket. */
export function useLiveNotifications(
  socket: ConsoleSocket | null,
  alertId: string,
  epoch: number,
): { snap: NotificationsSnapshot | null; error: string; at: Date | null; load: () => void } {
  const [snap, setSnap] = useState<NotificationsSnapshot | null>(null);
  const [error, setError] = useState('');
  const [at, setAt] = useState<Date | null>(null);
  const load = useCallback(() => {
    loadNotifications(alertId).then(
      (s) => {
        setSnap(s);
        setError('');
        setAt(new Date());
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [alertId]);
  // Loaded again after the socket reconnects (epoch), since events may have been missed.
  useEffect(load, [load, epoch]);
  useSocketEvent(socket, 'notifications', (rows) => {
    setSnap((s) =>
      s ? { ...s, notifications: mergeNotifications(s.notifications, rows, alertId) } : s,
    );
    setAt(new Date());
  });
  return { snap, error, at, load };
}

/** The table of notifications, one row each. */
export function NotificationTable({
  rows,
  showAlert = true,
}: {
  rows: NotificationView[];
  showAlert?: boolean;
}) {
  return (
    <table className="grid compact">
      <thead>
        <tr>
          <th>Broker</th>
          {showAlert && <th>Alert</th>}
          <th>Station</th>
          <th>Contact</th>
          <th>Channel</th>
          <th>To</th>
          <th>State</th>
          <th className="num">Attempts</th>
          <th>Last error</th>
          <th>Queued</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((n) => (
          <tr
            key={`${n.broker}|${n.key}`}
            data-testid="notification-row"
            data-state={n.state}
            data-alert-id={n.alertId}
            data-channel={n.channel}
          >
            <td>{n.broker}</td>
            {showAlert && (
              <td>
                <a href={alertHref(n.alertId)} className="mono small" title={n.alertId}>
                  {n.alertId.slice(0, 8)}
                </a>
              </td>
            )}
            <td className="mono small">{n.station}</td>
            <td>{n.contactId}</td>
            <td>{n.channel}</td>
            <td className="mono small">{n.to}</td>
            <td>
              <Badge value={n.state} />
            </td>
            <td className="num">{n.attempts}</td>
            <td className="small">{n.lastError ?? ''}</td>
            <td className="nowrap small">{fmtTime(n.createdAt)}</td>
            <td className="nowrap small">{fmtTime(n.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A warning naming the brokers that did not answer. */
export function Unreachable({ list }: { list: NotificationsSnapshot['unreachable'] }) {
  if (!list.length) return null;
  return (
    <p className="warning" role="alert">
      Not answering: {list.map((u) => `broker ${u.state} (${u.error})`).join('; ')}. Their
      notifications are not in this list.
    </p>
  );
}

/** The notifications page: new rows and delivery states arrive live from the server. */
export function Notifications({
  initialAlert,
  socket,
  epoch,
}: {
  initialAlert: string;
  socket: ConsoleSocket | null;
  epoch: number;
}) {
  const [filter, setFilter] = useState(initialAlert);
  const [applied, setApplied] = useState(initialAlert);
  const { snap, error, at, load } = useLiveNotifications(socket, applied, epoch);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setApplied(filter.trim());
  };
  const rows = snap?.notifications ?? [];
  return (
    <section>
      <PageHead title="Notifications">
        <form className="inline" onSubmit={apply}>
          <input
            data-testid="notifications-alert"
            placeholder="alert id (all when empty)"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            className="mono"
            size={38}
          />
          <button type="submit">Filter</button>
        </form>
        <button type="button" data-testid="notifications-refresh" onClick={load}>
          Refresh
        </button>
        <span className="count small">
          {at ? `updated ${fmtTime(at.toISOString())}` : 'loading…'}
        </span>
      </PageHead>
      <ErrorBox error={error} />
      {snap && <Unreachable list={snap.unreachable} />}
      <div className="summary">
        <span>{rows.length} total</span>
        {STATES.map((s) => (
          <span key={s}>
            <Badge value={s} /> {rows.filter((n) => n.state === s).length}
          </span>
        ))}
      </div>
      <NotificationTable rows={rows} />
      {snap && rows.length === 0 && (
        <p className="empty">No notifications{applied ? ' for this alert' : ''}.</p>
      )}
    </section>
  );
}
