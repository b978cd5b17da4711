// The audit an administrator reads: the console's own, or a broker's in scope — filtered by
// subject, actor or action (family), the hash chain checked on request, every entry in full.
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import type { AuditEntryView, AuditView, OperatorView } from '../../src/server/events';
import { api, errorText } from './api';
import { stateName } from './india';
import { Badge, ErrorBox, PageHead } from './ui';
import { fmtTime, relTime } from './util';

interface Filters {
  subject: string;
  actor: string;
  /** An action, or a family ending in `.` (`lookup.`). */
  action: string;
  /** Only entries whose outcome is `refused` (client side: the server filters no outcome). */
  refused: boolean;
}

/** What is asked of the server; `n` makes a repeated request (Verify twice) a new one. */
interface Query extends Filters {
  /** Empty until the first answer names the default source. */
  source: string;
  verify: boolean;
  n: number;
}

const NO_FILTERS: Filters = { subject: '', actor: '', action: '', refused: false };

const QUICK: Array<{ id: string; label: string; filters: Partial<Filters> }> = [
  { id: 'lookups', label: 'Lookups', filters: { action: 'lookup.' } },
  { id: 'disclosures', label: 'Disclosures', filters: { action: 'record.disclosed' } },
  { id: 'refusals', label: 'Refusals', filters: { action: '', refused: true } },
  { id: 'signins', label: 'Sign-ins', filters: { action: 'console.signin' } },
];

function auditPath(q: Query): string {
  const p = new URLSearchParams();
  if (q.source) p.set('source', q.source);
  for (const k of ['subject', 'actor', 'action'] as const) if (q[k]) p.set(k, q[k]);
  if (q.verify) p.set('verify', '1');
  const s = p.toString();
  return `/api/audit${s ? `?${s}` : ''}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function sourceLabel(source: string): string {
  if (source === 'console') return "This console's audit";
  if (source === 'national') return 'National broker';
  return `${source} — ${stateName(source)} broker`;
}

/** The audit page: administrators only; anyone else is told so and nothing is requested. */
export function Audit({ me, now }: { me: OperatorView; now: number }) {
  if (me.role !== 'administrator')
    return (
      <section>
        <PageHead title="Audit" />
        <p className="info" data-testid="audit-denied">
          Only an administrator may read the audit. You are signed in as {me.role}; ask an
          administrator if you need an entry looked up.
        </p>
      </section>
    );
  return <AuditLog now={now} />;
}

function AuditLog({ now }: { now: number }) {
  const [query, setQuery] = useState<Query>({ ...NO_FILTERS, source: '', verify: false, n: 0 });
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [view, setView] = useState<AuditView | null>(null);
  const [sources, setSources] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(true);
  const [open, setOpen] = useState<Set<number>>(new Set());

  useEffect(() => {
    let stale = false;
    setBusy(true);
    api<AuditView>(auditPath(query)).then(
      (v) => {
        if (stale) return;
        setView(v);
        setSources(v.sources);
        setError('');
        setBusy(false);
      },
      (err: unknown) => {
        if (stale) return;
        setView(null);
        setError(`${sourceLabel(query.source || 'console')} could not be read: ${errorText(err)}`);
        setBusy(false);
      },
    );
    return () => {
      stale = true;
    };
  }, [query]);

  const ask = (next: Partial<Query>) =>
    setQuery((q) => ({ ...q, verify: false, ...next, n: q.n + 1 }));
  const apply = (f: Filters) => {
    const clean = {
      subject: f.subject.trim(),
      actor: f.actor.trim(),
      action: f.action.trim(),
      refused: f.refused,
    };
    setDraft(clean);
    setOpen(new Set());
    ask(clean);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const toggle = (seq: number) =>
    setOpen((o) => {
      const n = new Set(o);
      if (!n.delete(seq)) n.add(seq);
      return n;
    });

  const source = query.source || view?.source || 'console';
  const all = view ? [...view.entries].sort((a, b) => b.seq - a.seq) : [];
  const entries = query.refused ? all.filter((e) => e.outcome === 'refused') : all;
  const filtered = Boolean(query.subject || query.actor || query.action || query.refused);

  return (
    <section>
      <PageHead title="Audit">
        <label className="inline">
          Source
          <select
            data-testid="audit-source"
            value={source}
            onChange={(e) => {
              setOpen(new Set());
              ask({ source: e.target.value });
            }}
          >
            {(sources.length ? sources : [source]).map((s) => (
              <option key={s} value={s}>
                {sourceLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          data-testid="audit-verify"
          disabled={busy}
          onClick={() => ask({ verify: true })}
          title="Re-read the whole hash chain and its signed checkpoints"
        >
          {busy && query.verify ? 'Verifying…' : 'Verify chain'}
        </button>
        <span className="count small">{busy ? 'loading…' : ''}</span>
      </PageHead>

      <form className="panel audit-filters" onSubmit={submit}>
        <div className="row">
          <label className="grow">
            Subject
            <input
              data-testid="audit-subject"
              className="mono"
              placeholder="person:MH-1 or an alert id"
              value={draft.subject}
              onChange={(e) => setDraft({ ...draft, subject: e.target.value })}
            />
          </label>
          <label className="grow">
            Actor
            <input
              data-testid="audit-actor"
              className="mono"
              placeholder="agency/CBI/DELHI-HQ"
              value={draft.actor}
              onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
            />
          </label>
          <label className="grow">
            Action (a family ends in “.”)
            <input
              data-testid="audit-action"
              className="mono"
              placeholder="lookup.person or lookup."
              value={draft.action}
              onChange={(e) => setDraft({ ...draft, action: e.target.value })}
            />
          </label>
          <label className="check">
            <input
              type="checkbox"
              data-testid="audit-refused"
              checked={draft.refused}
              onChange={(e) => setDraft({ ...draft, refused: e.target.checked })}
            />
            Refused only
          </label>
          <div className="actions tight">
            <button type="submit" className="primary" data-testid="audit-apply">
              Apply
            </button>
            <button type="button" onClick={() => apply(NO_FILTERS)} disabled={!filtered}>
              Clear
            </button>
          </div>
        </div>
        <div className="quick">
          <span className="muted small">Quick:</span>
          {QUICK.map((q) => {
            const f = { ...draft, refused: false, ...q.filters };
            const on = f.action === query.action && f.refused === query.refused;
            return (
              <button
                key={q.id}
                type="button"
                data-testid={`audit-quick-${q.id}`}
                className={on ? 'pressed' : ''}
                aria-pressed={on}
                onClick={() => apply(f)}
              >
                {q.label}
              </button>
            );
          })}
        </div>
      </form>

      <ErrorBox error={error} />
      {view && view.verified !== null && <Verified view={view} />}
      {view && (
        <p className="audit-head small" data-testid="audit-head">
          <strong>{sourceLabel(view.source)}</strong> · head seq{' '}
          <span className="mono">{view.headSeq}</span> · hash{' '}
          <span className="mono hash" title={view.headHash}>
            {view.headHash || '—'}
          </span>{' '}
          · {plural(view.checkpoints, 'signed checkpoint')} ·{' '}
          {entries.length === all.length
            ? `${plural(all.length, 'entry', 'entries')} shown`
            : `${entries.length} of ${plural(all.length, 'entry', 'entries')} shown`}
          {all.length >= 500 ? ' (the latest 500 that match)' : ''}
        </p>
      )}
      {view && entries.length > 0 && (
        <AuditTable
          entries={entries}
          now={now}
          open={open}
          onToggle={toggle}
          onFilter={(f) => apply({ ...draft, ...f })}
        />
      )}
      {view && entries.length === 0 && (
        <p className="empty">
          {filtered ? 'No entries match these filters.' : 'The audit has no entries yet.'}
        </p>
      )}
    </section>
  );
}

/** The chain check's outcome: green with the head, or red with every problem found. */
function Verified({ view }: { view: AuditView }) {
  if (view.verified)
    return (
      <p className="success" role="status" data-testid="audit-verified" data-verified="true">
        Chain verified: {plural(view.headSeq, 'entry', 'entries')}, head{' '}
        <span className="mono">{view.headHash.slice(0, 12)}</span>,{' '}
        {plural(view.checkpoints, 'signed checkpoint')}.
      </p>
    );
  return (
    <div className="error" role="alert" data-testid="audit-verified" data-verified="false">
      <strong>Chain check failed</strong>
      {view.problems.length > 0 ? (
        <ul>
          {view.problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      ) : (
        ' (no problem was named).'
      )}
    </div>
  );
}

const COLUMNS = 10;

function AuditTable({
  entries,
  now,
  open,
  onToggle,
  onFilter,
}: {
  entries: AuditEntryView[];
  now: number;
  open: Set<number>;
  onToggle: (seq: number) => void;
  onFilter: (f: Partial<Filters>) => void;
}) {
  return (
    <table className="grid compact audit">
      <thead>
        <tr>
          <th className="num">Seq</th>
          <th>Time</th>
          <th>Actor</th>
          <th>Action</th>
          <th>Outcome</th>
          <th>Subject</th>
          <th>Purpose</th>
          <th className="num">Results</th>
          <th>Code / message</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <Fragment key={e.seq}>
            <tr data-testid="audit-row" data-seq={e.seq} data-outcome={e.outcome}>
              <td className="num mono small">{e.seq}</td>
              <td className="nowrap small">
                {fmtTime(e.at)}
                <div className="sub">{relTime(e.at, now)}</div>
              </td>
              <td className="mono small wrap">
                <button
                  type="button"
                  className="link-button"
                  title={`Filter by this actor${e.serial ? ` (certificate ${e.serial})` : ''}`}
                  onClick={() => onFilter({ actor: e.actor })}
                >
                  {e.actor}
                </button>
              </td>
              <td className="mono small">{e.action}</td>
              <td>
                <Badge value={e.outcome} />
              </td>
              <td className="mono small wrap">
                {e.subject ? (
                  <button
                    type="button"
                    className="link-button"
                    title="Filter by this subject"
                    onClick={() => onFilter({ subject: e.subject ?? '' })}
                  >
                    {e.subject}
                  </button>
                ) : (
                  '—'
                )}
              </td>
              <td className="small" dir="auto">
                {e.purpose ? (
                  <>
                    <span className="mono">{e.purpose.reference}</span> — {e.purpose.reason}
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td className="num">{e.results ?? ''}</td>
              <td className="small">
                {e.code && <span className="mono">{e.code}</span>}
                {e.code && e.message ? ': ' : ''}
                {e.message}
              </td>
              <td>
                <button
                  type="button"
                  className="link-button small"
                  data-testid="audit-details"
                  aria-expanded={open.has(e.seq)}
                  onClick={() => onToggle(e.seq)}
                >
                  {open.has(e.seq) ? 'Hide' : 'Details'}
                </button>
              </td>
            </tr>
            {open.has(e.seq) && (
              <tr className="audit-details">
                <td colSpan={COLUMNS}>
                  <pre className="mono json">{JSON.stringify(e, null, 2)}</pre>
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
