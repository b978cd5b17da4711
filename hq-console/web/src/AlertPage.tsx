// One alert: its full content, its Update/Cancel chain and its live receipt tracker.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AlertDetail, AlertView, OperatorView } from '../../src/server/events';
import { api, errorText } from './api';
import type { ConsoleSocket } from './socket';
import { useSocketEvent } from './socket';
import { NotificationTable, Unreachable, useLiveNotifications } from './Notifications';
import { Tracker } from './Tracker';
import { Badge, ErrorBox, Field, Severity } from './ui';
import { alertHref, alertStatuses, fmtTime, relTime } from './util';

function Addressing({ to }: { to: AlertView['to'] }) {
  const parts = [
    to.national ? 'all of India' : '',
    to.states.length ? `states ${to.states.join(', ')}` : '',
    to.districts.length ? `districts ${to.districts.join(', ')}` : '',
    to.stations.length ? `stations ${to.stations.join(', ')}` : '',
  ].filter(Boolean);
  return <>{parts.join('; ') || '—'}</>;
}

function Content({ a }: { a: AlertView }) {
  return (
    <section className="panel">
      <dl className="fields">
        <Field label="Event">{a.event}</Field>
        <Field label="Description">
          <span className="prewrap">{a.description}</span>
        </Field>
        <Field label="Instruction">
          <span className="prewrap">{a.instruction}</span>
        </Field>
        <Field label="Note">{a.note}</Field>
        <Field label="Urgency / certainty">{`${a.urgency} / ${a.certainty}`}</Field>
        <Field label="Categories">{a.categories.join(', ')}</Field>
        <Field label="Addressed to">
          <Addressing to={a.to} />
        </Field>
        <Field label="Channels">{['network', ...a.channels].join(', ')}</Field>
        <Field label="FIR reference">{a.firReference}</Field>
        <Field label="Case reference">{a.caseReference}</Field>
        <Field label="Modus operandi">{a.modusOperandi}</Field>
        <Field label="Sender">
          <span className="mono">{a.sender}</span>
        </Field>
        <Field label="Identifier">
          <span className="mono">{a.id}</span>
        </Field>
        <Field label="References">
          {a.references.length
            ? a.references.map((r) => (
                <a key={r} className="mono ref" href={alertHref(r)}>
                  {r}
                </a>
              ))
            : ''}
        </Field>
      </dl>
      {a.persons.length > 0 && (
        <>
          <h3>Persons</h3>
          <table className="grid compact">
            <thead>
              <tr>
                <th>Name</th>
                <th>Aliases</th>
                <th>Father's name</th>
                <th>Gender</th>
                <th>Age</th>
                <th>Role</th>
              </tr>
            </thead>
            <tbody>
              {a.persons.map((p, i) => (
                <tr key={i}>
                  <td dir="auto">{p.name}</td>
                  <td dir="auto">{p.aliases.join(', ')}</td>
                  <td dir="auto">{p.fatherName}</td>
                  <td>{p.gender}</td>
                  <td>{p.age || ''}</td>
                  <td>{p.role.replace(/_/g, ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {a.vehicles.length > 0 && (
        <>
          <h3>Vehicles</h3>
          <table className="grid compact">
            <thead>
              <tr>
                <th>Registration</th>
                <th>Make</th>
                <th>Model</th>
                <th>Colour</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {a.vehicles.map((v, i) => (
                <tr key={i}>
                  <td className="mono">{v.registration}</td>
                  <td>{v.make}</td>
                  <td>{v.model}</td>
                  <td>{v.colour}</td>
                  <td>{v.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Chain({ chain, current }: { chain: AlertView[]; current: string }) {
  if (chain.length < 2) return null;
  return (
    <ol className="chain" aria-label="Update and Cancel chain">
      {chain.map((c) => (
        <li key={c.id} className={c.id === current ? 'current' : ''}>
          <Badge value={c.msgType} />
          <a href={alertHref(c.id)}>{fmtTime(c.sent)}</a>
          <span dir="auto" className="small">
            {c.headline}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** What the stations said when they acknowledged (action taken), oldest first. */
function AckNotes({ receipts }: { receipts: AlertDetail['receipts'] }) {
  const notes = receipts.filter((r) => r.kind === 'acknowledged' && r.note.trim());
  if (notes.length === 0) return null;
  return (
    <section className="panel" data-testid="ack-notes">
      <h3>Acknowledgement notes</h3>
      <ul className="plain">
        {notes.map((r) => (
          <li key={`${r.station}-${r.seq}`} data-testid="ack-note">
            <span className="mono small">{r.station}</span>{' '}
            <span className="muted small">{fmtTime(r.at)}</span>
            <div dir="auto">{r.note}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The alert page; reloads (at most every 300 ms) as receipts for the alert arrive. */
export function AlertPage({
  id,
  me,
  socket,
  epoch,
  now,
}: {
  id: string;
  me: OperatorView;
  socket: ConsoleSocket | null;
  epoch: number;
  now: number;
}) {
  const [detail, setDetail] = useState<AlertDetail | null>(null);
  const [error, setError] = useState('');
  const timer = useRef<number | undefined>(undefined);
  const notes = useLiveNotifications(socket, id, epoch);

  const load = useCallback(() => {
    timer.current = undefined;
    api<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`).then(
      (d) => {
        setDetail(d);
        setError('');
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [id]);
  useEffect(load, [load, epoch]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const soon = () => {
    if (timer.current === undefined) timer.current = window.setTimeout(load, 300);
  };
  useSocketEvent(socket, 'receipt', (r) => {
    if (r.alertId === id) soon();
  });
  useSocketEvent(socket, 'alert', (a) => {
    const chain = new Set(detail?.chain.map((c) => c.id) ?? [id]);
    if (a.references.some((r) => chain.has(r))) soon();
  });

  if (!detail)
    return error ? <ErrorBox error={error} /> : <p className="loading">Loading alert…</p>;
  const a = detail.alert;
  const status = alertStatuses(detail.chain, now).get(a.id) ?? 'active';
  // Brokers take an Update or Cancel only from the alert's own sender: this console's identity.
  const mayCompose =
    (me.role === 'duty-officer' || me.role === 'administrator') && a.sender === me.console;
  const compose = (msgType: 'update' | 'cancel') =>
    `#/broadcast?msgType=${msgType}&ref=${encodeURIComponent(a.id)}`;
  return (
    <div className={`alert-page sevline-${a.severity}`}>
      <div className="page-head">
        <div>
          <div className="meta">
            <Severity value={a.severity} /> <Badge value={a.msgType} /> <Badge value={status} />{' '}
            <span className="small">
              sent {fmtTime(a.sent)} ({relTime(a.sent, now)}) · expires {fmtTime(a.expires)} ·
              reaches {a.states.join(' ')} ·{' '}
              {a.channels.length ? (
                <a
                  href={`#/notifications?alert=${encodeURIComponent(a.id)}`}
                  data-testid="alert-channels"
                >
                  network, {a.channels.join(' and ')} requested — see the notifications
                </a>
              ) : (
                <span data-testid="alert-channels">network only</span>
              )}
            </span>
          </div>
          <h1 data-testid="alert-headline" dir="auto">
            {a.headline}
          </h1>
        </div>
        {mayCompose && a.msgType !== 'cancel' && status !== 'cancelled' && (
          <div className="tools">
            <a className="button" href={compose('update')} data-testid="alert-update">
              Update
            </a>
            <a className="button danger" href={compose('cancel')} data-testid="alert-cancel">
              Cancel
            </a>
          </div>
        )}
      </div>
      <ErrorBox error={error} />
      <Chain chain={detail.chain} current={a.id} />
      <div className="columns">
        <Content a={a} />
        <div>
          <Tracker t={detail.tracker} sent={a.sent} now={now} />
          <AckNotes receipts={detail.receipts} />
        </div>
      </div>
      {(a.channels.length > 0 || (notes.snap?.notifications.length ?? 0) > 0) && (
        <section className="panel" data-testid="alert-notifications">
          <h3>SMS and email</h3>
          <ErrorBox error={notes.error} />
          {notes.snap && <Unreachable list={notes.snap.unreachable} />}
          <NotificationTable rows={notes.snap?.notifications ?? []} showAlert={false} />
          {notes.snap?.notifications.length === 0 && <p className="empty">None sent yet.</p>}
        </section>
      )}
    </div>
  );
}
