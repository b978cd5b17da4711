// The live feed: every alert the console's broker holds, newest first, as it arrives.
import { useMemo, useState } from 'react';
import type { AlertProgress, AlertView } from '../../src/server/events';
import { STATE_CODES } from './india';
import { Badge, ErrorBox, PageHead, Severity } from './ui';
import { alertHref, alertStatuses, CATEGORIES, fmtTime, SEVERITIES, STATUSES } from './util';

function Select({
  testId,
  label,
  value,
  options,
  onChange,
}: {
  testId: string;
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
}) {
  return (
    <label className="inline">
      {label}
      <select data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">all</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** An alert no station received: none addressed in the directory, or none after two minutes. */
function reachedNobody(a: AlertView, p: AlertProgress | undefined, now: number): boolean {
  if (!p || p.received > 0) return false;
  return p.expected === 0 || (a.sent !== null && now - new Date(a.sent).getTime() > 120_000);
}

/** Notices brokers originate (hit notices and the like), as opposed to officers' alerts. */
const isSystemNotice = (a: AlertView) => a.sender.startsWith('broker/');

/** Delivered / acknowledged progress of one alert, with a flag when it reached nobody. */
function Progress({ a, p, now }: { a: AlertView; p: AlertProgress | undefined; now: number }) {
  if (!p) return <span className="muted">—</span>;
  const nobody = reachedNobody(a, p, now);
  return (
    <span
      data-testid="feed-progress"
      data-received={p.received}
      data-expected={p.expected}
      data-acknowledged={p.acknowledged}
      title={`${p.received} of ${p.expected} addressed stations received it; ${p.acknowledged} acknowledged`}
    >
      {p.received}/{p.expected} delivered · {p.acknowledged} ack
      {nobody && (
        <>
          {' '}
          <span className="badge st-refused" data-testid="feed-nobody">
            reached nobody
          </span>
        </>
      )}
    </span>
  );
}

/** The feed page, filtered by state, severity, category and status. */
export function Feed({
  alerts,
  progress,
  now,
  error,
}: {
  alerts: AlertView[];
  progress: Record<string, AlertProgress>;
  now: number;
  error: string;
}) {
  const [hideNotices, setHideNotices] = useState(false);
  const [state, setState] = useState('');
  const [severity, setSeverity] = useState('');
  const [category, setCategory] = useState('');
  const [status, setStatus] = useState('');
  const statuses = useMemo(() => alertStatuses(alerts, now), [alerts, now]);
  const shown = alerts.filter(
    (a) =>
      (!state || a.states.includes(state)) &&
      (!severity || a.severity === severity) &&
      (!category || a.categories.includes(category)) &&
      (!status || statuses.get(a.id) === status) &&
      !(hideNotices && isSystemNotice(a)),
  );
  const go = (id: string) => {
    window.location.hash = alertHref(id);
  };

  return (
    <section>
      <PageHead title="Live feed">
        <Select
          testId="filter-state"
          label="State"
          value={state}
          options={['national', ...STATE_CODES]}
          onChange={setState}
        />
        <Select
          testId="filter-severity"
          label="Severity"
          value={severity}
          options={SEVERITIES}
          onChange={setSeverity}
        />
        <Select
          testId="filter-category"
          label="Category"
          value={category}
          options={CATEGORIES}
          onChange={setCategory}
        />
        <Select
          testId="filter-status"
          label="Status"
          value={status}
          options={STATUSES}
          onChange={setStatus}
        />
        <label className="inline check">
          <input
            type="checkbox"
            data-testid="filter-hide-notices"
            checked={hideNotices}
            onChange={(e) => setHideNotices(e.target.checked)}
          />
          hide system notices
        </label>
        <span className="count" data-testid="feed-count">
          {shown.length} shown of {alerts.length}
        </span>
      </PageHead>
      <ErrorBox error={error} />
      <table className="grid">
        <thead>
          <tr>
            <th>Sent</th>
            <th>Severity</th>
            <th>Type</th>
            <th>Alert</th>
            <th>States</th>
            <th>Category</th>
            <th>Sender</th>
            <th>Status</th>
            <th>Progress</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((a) => (
            <tr
              key={a.id}
              className={`clickable row-${statuses.get(a.id)}`}
              data-testid="feed-item"
              data-alert-id={a.id}
              onClick={() => go(a.id)}
            >
              <td className="nowrap">{fmtTime(a.sent)}</td>
              <td>
                <Severity value={a.severity} />
              </td>
              <td>{a.msgType}</td>
              <td dir="auto">
                <a href={alertHref(a.id)} onClick={(e) => e.stopPropagation()}>
                  {a.headline}
                </a>
                {a.event && a.event !== a.headline && <div className="sub">{a.event}</div>}
              </td>
              <td>{a.states.join(' ')}</td>
              <td>{a.categories.join(', ')}</td>
              <td className="mono small">{a.sender}</td>
              <td>
                <Badge value={statuses.get(a.id) ?? 'active'} />
              </td>
              <td className="small nowrap">
                <Progress a={a} p={progress[a.id]} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && (
        <p className="empty">
          {alerts.length
            ? 'No alert matches these filters.'
            : 'No alerts yet. New ones appear here as they arrive.'}
        </p>
      )}
    </section>
  );
}
