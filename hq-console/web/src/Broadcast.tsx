// The broadcast page: the composer, then every broadcast with its approval state, live.
import { useEffect, useState } from 'react';
import type { BroadcastView, OperatorView, StationsSnapshot } from '../../src/server/events';
import { api, ApiError, errorText } from './api';
import { Composer } from './Composer';
import { t, useLang } from './i18n';
import { Outcome } from './Outcome';
import type { ConsoleSocket } from './socket';
import { useSocketEvent } from './socket';
import { Badge, ErrorBox, PageHead } from './ui';
import { alertHref, fmtTime, useNow } from './util';

function upsert(list: BroadcastView[], b: BroadcastView): BroadcastView[] {
  return [b, ...list.filter((x) => x.id !== b.id)].sort((x, y) =>
    y.createdAt.localeCompare(x.createdAt),
  );
}

function reach(b: BroadcastView): string {
  const to = b.input.to;
  return (
    [
      to.national ? 'national' : '',
      ...(to.states ?? []),
      ...(to.districts ?? []),
      ...(to.stations ?? []),
    ]
      .filter(Boolean)
      .join(', ') || '—'
  );
}

/** Whether the operator composed `b` (composer may be a username or an hq identity). */
const composedBy = (b: BroadcastView, me: OperatorView) =>
  b.composer === me.username || b.composer.endsWith(`/${me.username}`);

function BroadcastList({
  me,
  socket,
  epoch,
}: {
  me: OperatorView;
  socket: ConsoleSocket | null;
  epoch: number;
}) {
  const [list, setList] = useState<BroadcastView[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  // The approval waiting for the officer's own signature (since when), or one whose wait ended.
  const [signing, setSigning] = useState<{ id: string; since: number; ended: boolean } | null>(
    null,
  );
  const may = me.role === 'duty-officer' || me.role === 'administrator';

  useEffect(() => {
    api<{ broadcasts: BroadcastView[] }>('/api/broadcasts').then(
      (r) => setList(r.broadcasts),
      (err: unknown) => setError(errorText(err)),
    );
  }, [epoch]);
  useSocketEvent(socket, 'broadcast', (b) => setList((l) => upsert(l, b)));

  const decide = async (b: BroadcastView, action: 'approve' | 'reject') => {
    let body: { reason: string } | undefined;
    if (action === 'reject') {
      const reason = window.prompt(`Why reject “${b.input.headline}”?`)?.trim();
      if (reason === undefined) return;
      if (!reason) return setError('A rejection needs a reason.');
      body = { reason };
    }
    setBusy(b.id);
    setError('');
    if (action === 'approve') setSigning({ id: b.id, since: Date.now(), ended: false });
    try {
      const r = await api<BroadcastView>(`/api/broadcasts/${encodeURIComponent(b.id)}/${action}`, {
        method: 'POST',
        body: body ?? {},
      });
      setList((l) => upsert(l, r));
      setSigning(null);
    } catch (err) {
      // The wait for the officer's own signature ended: say again what to do, plainly.
      if (err instanceof ApiError && err.code === 'CONFLICT' && /not signed yet/.test(err.message))
        setSigning({ id: b.id, since: 0, ended: true });
      else {
        setSigning(null);
        setError(errorText(err));
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="panel">
      <h2>Broadcasts</h2>
      <ErrorBox error={error} />
      {signing && <SignWait me={me} id={signing.id} since={signing.since} ended={signing.ended} />}
      <table className="grid compact">
        <thead>
          <tr>
            <th>Composed</th>
            <th>Status</th>
            <th>Outcome</th>
            <th>Headline</th>
            <th>Reach</th>
            <th>Composer</th>
            <th>Decided</th>
            <th>Alert</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((b) => {
            const own = composedBy(b, me);
            return (
              <tr
                key={b.id}
                data-testid="broadcast-item"
                data-broadcast-id={b.id}
                data-status={b.status}
              >
                <td className="nowrap">{fmtTime(b.createdAt)}</td>
                <td>
                  <Badge value={b.status} />
                </td>
                <td className="small">
                  <Outcome b={b} />
                </td>
                <td dir="auto">
                  {b.input.msgType && b.input.msgType !== 'alert' && (
                    <span className="muted">{b.input.msgType}: </span>
                  )}
                  {b.input.headline}
                  {b.reason && <div className="sub">Reason: {b.reason}</div>}
                </td>
                <td className="small">{reach(b)}</td>
                <td>{b.composer}</td>
                <td className="small">
                  {b.approver ? `${b.approver}, ${fmtTime(b.decidedAt)}` : '—'}
                </td>
                <td>
                  {b.alertId ? (
                    <a href={alertHref(b.alertId)} className="mono small">
                      {b.alertId.slice(0, 8)}
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="nowrap">
                  {b.status === 'pending' && (
                    <>
                      <span
                        title={
                          own
                            ? 'You composed this broadcast: a second duty officer must approve it'
                            : !may
                              ? 'Only a duty officer or an administrator may approve'
                              : 'Approve and send'
                        }
                      >
                        <button
                          type="button"
                          className="primary"
                          data-testid="broadcast-approve"
                          disabled={!may || own || busy === b.id}
                          onClick={() => void decide(b, 'approve')}
                        >
                          Approve
                        </button>
                      </span>{' '}
                      <button
                        type="button"
                        className="danger"
                        data-testid="broadcast-reject"
                        disabled={!may || busy === b.id}
                        title={
                          may
                            ? 'Reject, with a reason'
                            : 'Only a duty officer or an administrator may reject'
                        }
                        onClick={() => void decide(b, 'reject')}
                      >
                        Reject
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.length === 0 && <p className="empty">No broadcasts yet.</p>}
    </section>
  );
}

/** What the approving officer must do while the console waits for their own signature. */
function SignWait({
  me,
  id,
  since,
  ended,
}: {
  me: OperatorView;
  id: string;
  since: number;
  ended: boolean;
}) {
  const lang = useLang();
  const now = useNow(1000);
  const total = me.approvalWaitSeconds ?? 120;
  const left = Math.max(0, total - Math.floor((now - since) / 1000));
  return (
    <div
      className="info sign-wait"
      data-testid="approve-wait"
      data-ended={ended ? 'true' : 'false'}
    >
      <p>{ended ? t(lang, 'approve.timeout') : t(lang, 'approve.waiting', { left, total })}</p>
      <pre className="mono" data-testid="approve-command">
        {`npx cctns agent --dir <your agent folder, e.g. data/hq/hq_${me.scope}_${me.username}> approve ${id}`}
      </pre>
      {!ended && <p className="small">{t(lang, 'approve.after')}</p>}
    </div>
  );
}

/** The broadcast page. */
export function BroadcastPage({
  me,
  socket,
  epoch,
  stations,
  query,
}: {
  me: OperatorView;
  socket: ConsoleSocket | null;
  epoch: number;
  stations: StationsSnapshot | null;
  query: URLSearchParams;
}) {
  return (
    <section>
      <PageHead title="Broadcast" />
      <Composer
        me={me}
        socket={socket}
        stations={stations}
        prefill={{ msgType: query.get('msgType'), ref: query.get('ref') }}
      />
      <BroadcastList me={me} socket={socket} epoch={epoch} />
    </section>
  );
}
