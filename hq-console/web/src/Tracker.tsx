// The receipt tracker of one alert: how many addressed stations received, read and acknowledged
// it, how that grew over time, and where each station stands.
import type { TrackerView } from '../../src/server/events';
import { Badge, Bar } from './ui';
import { fmtTime, relTime } from './util';

const ORDER = { pending: 0, delivered: 1, read: 2, acknowledged: 3 } as const;
const SERIES = ['received', 'read', 'acknowledged'] as const;

/** Cumulative receipts over time as three step lines, with the expected count dashed. */
function Chart({ t, start, now }: { t: TrackerView; start: string | null; now: number }) {
  const W = 460;
  const H = 130;
  const pad = { l: 30, r: 8, t: 8, b: 18 };
  const points = t.timeline.map((p) => ({ ...p, ms: new Date(p.at).getTime() }));
  const t0 = Math.min(start ? new Date(start).getTime() : Infinity, points[0]?.ms ?? now);
  const t1 = Math.max(now, points.at(-1)?.ms ?? now, t0 + 1000);
  const top = Math.max(1, t.expected, ...points.map((p) => p.received));
  const x = (ms: number) => pad.l + ((ms - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / top) * (H - pad.t - pad.b);
  const line = (key: (typeof SERIES)[number]) => {
    let d = `M${x(t0)},${y(0)}`;
    let last = 0;
    for (const p of points) {
      d += ` H${x(p.ms)} V${y(p[key])}`;
      last = p[key];
    }
    return `${d} H${x(t1)} V${y(last)}`;
  };
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Receipts over time">
      <line x1={pad.l} x2={W - pad.r} y1={y(0)} y2={y(0)} className="axis" />
      <line x1={pad.l} x2={pad.l} y1={pad.t} y2={y(0)} className="axis" />
      {t.expected > 0 && (
        <line x1={pad.l} x2={W - pad.r} y1={y(t.expected)} y2={y(t.expected)} className="target" />
      )}
      <text x={pad.l - 4} y={y(top) + 4} textAnchor="end">
        {top}
      </text>
      <text x={pad.l - 4} y={y(0)} textAnchor="end">
        0
      </text>
      <text x={pad.l} y={H - 4}>
        {fmtTime(new Date(t0).toISOString())}
      </text>
      <text x={W - pad.r} y={H - 4} textAnchor="end">
        {points.length ? 'now' : 'no receipts yet'}
      </text>
      {SERIES.map((k) => (
        <path key={k} d={line(k)} className={`series ${k}`} />
      ))}
    </svg>
  );
}

/** The tracker panel of an alert page. */
export function Tracker({ t, sent, now }: { t: TrackerView; sent: string | null; now: number }) {
  const stations = [...t.stations].sort(
    (a, b) => ORDER[a.state] - ORDER[b.state] || a.station.localeCompare(b.station),
  );
  const counts = [
    ['expected', 'Expected', t.expected],
    ['received', 'Received', t.received],
    ['read', 'Read', t.read],
    ['acknowledged', 'Acknowledged', t.acknowledged],
  ] as const;
  return (
    <section className="panel">
      <h2>Receipts</h2>
      <div className="tracker">
        <div className="counts">
          {counts.map(([key, label, n]) => (
            <div key={key} className="count-box">
              <div className="label">{label}</div>
              <div className="big">
                <span data-testid={`tracker-${key}`}>{n}</span>
                {key !== 'expected' && t.expected > 0 && (
                  <span className="of"> {Math.round((n / t.expected) * 100)}%</span>
                )}
              </div>
              <Bar value={n} max={t.expected} kind={key} />
            </div>
          ))}
        </div>
        <div>
          <Chart t={t} start={sent} now={now} />
          <div className="legend small">
            {SERIES.map((k) => (
              <span key={k}>
                <i className={`swatch ${k}`} /> {k}
              </span>
            ))}
            <span>
              <i className="swatch target" /> expected
            </span>
          </div>
        </div>
      </div>
      <table className="grid compact">
        <thead>
          <tr>
            <th>Station</th>
            <th>State</th>
            <th>Link</th>
            <th>Delivered</th>
            <th>Read</th>
            <th>Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {stations.map((s) => (
            <tr
              key={s.station}
              data-testid="tracker-station"
              data-station={s.station}
              data-state={s.state}
            >
              <td className="mono">{s.station}</td>
              <td>
                <Badge value={s.state} />
              </td>
              <td>{s.online === null ? '—' : s.online ? 'online' : 'offline'}</td>
              <td title={fmtTime(s.delivered)}>{s.delivered ? relTime(s.delivered, now) : '—'}</td>
              <td title={fmtTime(s.read)}>{s.read ? relTime(s.read, now) : '—'}</td>
              <td title={fmtTime(s.acknowledged)}>
                {s.acknowledged ? relTime(s.acknowledged, now) : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {stations.length === 0 && (
        <p className="empty">No addressed station in this console's scope.</p>
      )}
    </section>
  );
}
