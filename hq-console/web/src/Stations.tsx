// The station directory: a tile map of India coloured by how many stations are linked, and the
// stations grouped by state and district.
import { Fragment, useMemo, useState } from 'react';
import type { StationsSnapshot, StationView } from '../../src/server/events';
import { REGIONS, stateName } from './india';
import { PageHead } from './ui';
import { fmtTime, relTime } from './util';

const DAY = 86_400_000;

/** A tile's colour: grey no stations known, green all online, amber some offline, red most. */
export type TileStatus = 'grey' | 'green' | 'amber' | 'red';

function tileStatus(total: number, online: number, unreachable: boolean): TileStatus {
  if (unreachable) return 'red';
  if (total === 0) return 'grey';
  if (online === total) return 'green';
  return online * 2 < total ? 'red' : 'amber';
}

function CertExpiry({ at, now }: { at: string | null; now: number }) {
  if (!at) return <>—</>;
  const left = new Date(at).getTime() - now;
  const cls = left < 0 ? 'bad' : left < 30 * DAY ? 'warn' : '';
  return (
    <span className={cls} title={fmtTime(at)}>
      {left < 0 ? 'expired ' : ''}
      {relTime(at, now)}
      {left >= 0 && left < 30 * DAY ? ' — renew' : ''}
    </span>
  );
}

/** The stations page. */
export function Stations({ snapshot, now }: { snapshot: StationsSnapshot | null; now: number }) {
  const [only, setOnly] = useState<string | null>(null);
  const stations = useMemo(() => snapshot?.stations ?? [], [snapshot]);
  const unreachable = new Map((snapshot?.unreachable ?? []).map((u) => [u.state, u.error]));

  const byState = useMemo(() => {
    const m = new Map<string, Map<string, StationView[]>>();
    const sorted = [...stations].sort(
      (a, b) =>
        a.state.localeCompare(b.state) ||
        a.district.localeCompare(b.district) ||
        a.identity.localeCompare(b.identity),
    );
    for (const s of sorted) {
      const d = m.get(s.state) ?? new Map<string, StationView[]>();
      d.set(s.district, [...(d.get(s.district) ?? []), s]);
      m.set(s.state, d);
    }
    return m;
  }, [stations]);

  const count = (state: string) => {
    const list = [...(byState.get(state)?.values() ?? [])].flat();
    return { total: list.length, online: list.filter((s) => s.online).length };
  };
  const online = stations.filter((s) => s.online).length;

  return (
    <section>
      <PageHead title="Stations">
        <span className="count">
          {online} of {stations.length} online
          {snapshot ? ` · polled ${relTime(snapshot.at, now)}` : ' · waiting for the directory'}
        </span>
      </PageHead>
      {unreachable.size > 0 && (
        <p className="warning" role="alert">
          Broker not answering: {[...unreachable].map(([s, e]) => `${s} (${e})`).join('; ')}. Their
          stations are missing from the list, not necessarily offline.
        </p>
      )}
      <div className="stations-layout">
        <div>
          <div className="tiles" role="group" aria-label="States and Union Territories">
            {REGIONS.map((r) => {
              const c = count(r.code);
              const st = tileStatus(c.total, c.online, unreachable.has(r.code));
              return (
                <button
                  type="button"
                  key={r.code}
                  className={`tile t-${st}${only === r.code ? ' selected' : ''}`}
                  style={{ gridColumn: r.col + 1, gridRow: r.row + 1 }}
                  data-testid="state-tile"
                  data-state={r.code}
                  data-status={st}
                  aria-pressed={only === r.code}
                  title={`${r.name}: ${
                    unreachable.has(r.code)
                      ? `broker unreachable (${unreachable.get(r.code)})`
                      : c.total
                        ? `${c.online} of ${c.total} stations online`
                        : 'no stations known'
                  }`}
                  onClick={() => setOnly(only === r.code ? null : r.code)}
                >
                  <span className="code">{r.code}</span>
                  {c.total > 0 && (
                    <span className="n">
                      {c.online}/{c.total}
                    </span>
                  )}
                </button>
              );
            })}
          </div>
          <div className="legend small">
            <span>
              <i className="swatch t-green" /> all online
            </span>
            <span>
              <i className="swatch t-amber" /> some offline
            </span>
            <span>
              <i className="swatch t-red" /> most offline / unreachable
            </span>
            <span>
              <i className="swatch t-grey" /> none known
            </span>
          </div>
        </div>
        <div>
          {only && (
            <p className="filter-note">
              Showing {stateName(only)} only.{' '}
              <button type="button" className="link-button" onClick={() => setOnly(null)}>
                Show all
              </button>
            </p>
          )}
          <table className="grid compact">
            <thead>
              <tr>
                <th>Station</th>
                <th>Link</th>
                <th>Last seen</th>
                <th className="num">Backlog</th>
                <th>Certificate expires</th>
              </tr>
            </thead>
            <tbody>
              {[...byState]
                .filter(([state]) => !only || state === only)
                .map(([state, districts]) => (
                  <Fragment key={state}>
                    <tr className="group">
                      <th colSpan={5}>
                        {state} — {stateName(state)} · {count(state).online}/{count(state).total}{' '}
                        online
                      </th>
                    </tr>
                    {[...districts].map(([district, list]) => (
                      <Fragment key={district}>
                        <tr className="subgroup">
                          <th colSpan={5}>{district}</th>
                        </tr>
                        {list.map((s) => (
                          <tr
                            key={s.identity}
                            data-testid="station-row"
                            data-station={s.identity}
                            data-online={s.online ? 'true' : 'false'}
                          >
                            <td>
                              {s.name} <span className="mono small muted">{s.identity}</span>
                            </td>
                            <td>
                              <span className={`badge ${s.online ? 'st-online' : 'st-offline'}`}>
                                {s.online ? 'online' : 'offline'}
                              </span>
                            </td>
                            <td title={fmtTime(s.lastSeen)}>
                              {s.online ? 'now' : relTime(s.lastSeen, now)}
                            </td>
                            <td className={`num${s.backlog > 0 ? ' warn' : ''}`}>{s.backlog}</td>
                            <td>
                              <CertExpiry at={s.certNotAfter} now={now} />
                            </td>
                          </tr>
                        ))}
                      </Fragment>
                    ))}
                  </Fragment>
                ))}
            </tbody>
          </table>
          {stations.length === 0 && <p className="empty">No stations known yet.</p>}
          {only && !byState.has(only) && (
            <p className="empty">No stations known in {stateName(only)}.</p>
          )}
        </div>
      </div>
    </section>
  );
}
