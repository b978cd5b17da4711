// The live feed: every alert the console's broker holds, newest first, as it arrives.
import { useMemo, useState } from 'react';
import type { AlertView } from '../../src/server/events';
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

/** The feed page, filtered by state, severity, category and status. */
export function Feed({ alerts, now, error }: { alerts: AlertView[]; now: number; error: string }) {
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
      (!status || statuses.get(a.id) === status),
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
