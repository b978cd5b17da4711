// Escalations: recent alerts not yet acknowledged everywhere — which stations are still silent,
// and which officers were already chased by SMS or email about them.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  AlertDetail,
  AlertView,
  EscalationsSnapshot,
  EscalationStepView,
  NotificationsSnapshot,
  NotificationView,
} from '../../src/server/events';
import { api, errorText } from './api';
import {
  loadNotifications,
  mergeNotifications,
  NotificationTable,
  Unreachable,
} from './Notifications';
import type { ConsoleSocket } from './socket';
import { useSocketEvent } from './socket';
import { Badge, ErrorBox, PageHead, Severity } from './ui';
import { alertHref, alertStatuses, fmtTime, relTime } from './util';

/** When a station's next escalation step falls due and whom it reaches (its broker's chain). */
function NextStep({ step }: { step: EscalationStepView | undefined }) {
  if (!step)
    return (
      <td className="small muted" data-testid="escalation-next">
        no further step
      </td>
    );
  const who = step.recipients.length
    ? step.recipients.map((r) => `${r.name} (${r.role})`).join(', ')
    : `${step.roles.join(', ')} (no contact at ${step.level} level)`;
  return (
    <td
      className="small"
      data-testid="escalation-next"
      data-due={step.dueAt}
      data-recipients={step.recipients.map((r) => r.contactId).join(' ')}
    >
      <span className="nowrap">{fmtTime(step.dueAt)}</span> — {who} by {step.channels.join(' and ')}
    </td>
  );
}

/** How many of the newest active alerts are followed. */
const FOLLOW = 20;

/**
 * The escalations page: reloads as receipts arrive (at most once a second) and every 30 s; SMS
 * and email rows arrive live.
 */
export function Escalations({
  alerts,
  socket,
  epoch,
  now,
}: {
  alerts: AlertView[];
  socket: ConsoleSocket | null;
  epoch: number;
  now: number;
}) {
  const candidates = useMemo(() => {
    const st = alertStatuses(alerts, now);
    return alerts
      .filter((a) => a.msgType !== 'cancel' && st.get(a.id) === 'active')
      .slice(0, FOLLOW)
      .map((a) => a.id);
  }, [alerts, now]);
  const key = candidates.join('\n');
  const [details, setDetails] = useState<AlertDetail[] | null>(null);
  const [notes, setNotes] = useState<NotificationsSnapshot | null>(null);
  const [steps, setSteps] = useState<EscalationsSnapshot | null>(null);
  const [error, setError] = useState('');
  const timer = useRef<number | undefined>(undefined);

  const load = useCallback(() => {
    timer.current = undefined;
    const ids = key ? key.split('\n') : [];
    void Promise.all([
      Promise.allSettled(
        ids.map((id) => api<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`)),
      ),
      loadNotifications().then(
        (n) => {
          setError('');
          return n;
        },
        (err: unknown) => {
          setError(errorText(err));
          return null;
        },
      ),
      api<EscalationsSnapshot>('/api/escalations').then(
        (e) => e,
        (err: unknown) => {
          setError(errorText(err));
          return null;
        },
      ),
    ]).then(([d, n, e]) => {
      // An alert that cannot be loaded (gone from the broker's window) is left out.
      setDetails(d.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
      if (n) setNotes(n);
      if (e) setSteps(e);
    });
  }, [key]);
  useEffect(() => {
    load();
    const t = window.setInterval(load, 30_000);
    return () => window.clearInterval(t);
  }, [load, epoch]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  useSocketEvent(socket, 'receipt', (r) => {
    if (timer.current === undefined && candidates.includes(r.alertId))
      timer.current = window.setTimeout(load, 1000);
  });
  useSocketEvent(socket, 'notifications', (rows) =>
    setNotes((n) => (n ? { ...n, notifications: mergeNotifications(n.notifications, rows) } : n)),
  );

  const open = (details ?? []).filter((d) => d.tracker.acknowledged < d.tracker.expected);
  const byAlert = new Map<string, NotificationView[]>();
  for (const n of notes?.notifications ?? [])
    byAlert.set(n.alertId, [...(byAlert.get(n.alertId) ?? []), n]);
  const nextStep = new Map<string, EscalationStepView>();
  for (const s of steps?.steps ?? []) nextStep.set(`${s.alertId}|${s.station}`, s);

  return (
    <section>
      <PageHead title="Escalations">
        <span className="count">
          {details
            ? `${open.length} of ${details.length} recent active alerts not fully acknowledged`
            : 'loading…'}
        </span>
        <button type="button" onClick={load}>
          Refresh
        </button>
      </PageHead>
      <ErrorBox error={error} />
      {notes && <Unreachable list={notes.unreachable} />}
      {steps && steps.unreachable.length > 0 && (
        <p className="warning" role="alert">
          Escalation steps unknown for:{' '}
          {steps.unreachable.map((u) => `broker ${u.state} (${u.error})`).join('; ')}.
        </p>
      )}
      {details && open.length === 0 && (
        <p className="empty">
          Every recent active alert has been acknowledged by all its stations.
        </p>
      )}
      {open.map(({ alert: a, tracker: t }) => {
        const sent = byAlert.get(a.id) ?? [];
        const silent = t.stations.filter((s) => s.state !== 'acknowledged');
        return (
          <article
            key={a.id}
            className="panel escalation"
            data-testid="escalation"
            data-alert-id={a.id}
          >
            <h2>
              <Severity value={a.severity} />{' '}
              <a href={alertHref(a.id)} dir="auto">
                {a.headline}
              </a>
            </h2>
            <p className="small">
              sent {fmtTime(a.sent)} — <strong>{relTime(a.sent, now)}</strong> · acknowledged{' '}
              {t.acknowledged} of {t.expected} · {silent.length} still to acknowledge ·{' '}
              {sent.length} notifications sent
            </p>
            <table className="grid compact">
              <thead>
                <tr>
                  <th>Station</th>
                  <th>Furthest receipt</th>
                  <th>Link</th>
                  <th>Chased</th>
                  <th>Next step</th>
                </tr>
              </thead>
              <tbody>
                {silent.map((s) => {
                  const chased = sent.filter((n) => n.station === s.station);
                  return (
                    <tr key={s.station} data-testid="escalation-station" data-station={s.station}>
                      <td className="mono">{s.station}</td>
                      <td>
                        <Badge value={s.state} />
                      </td>
                      <td>{s.online === null ? '—' : s.online ? 'online' : 'offline'}</td>
                      <td className="small">
                        {chased.length ? (
                          chased.map((n) => (
                            <div key={n.key}>
                              {n.channel} {n.contactId} ({n.to}) <Badge value={n.state} />
                            </div>
                          ))
                        ) : (
                          <span className="muted">not yet chased — silent</span>
                        )}
                      </td>
                      <NextStep step={nextStep.get(`${a.id}|${s.station}`)} />
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {sent.length > 0 && (
              <details>
                <summary>All {sent.length} notifications for this alert</summary>
                <NotificationTable rows={sent} showAlert={false} />
              </details>
            )}
          </article>
        );
      })}
    </section>
  );
}
