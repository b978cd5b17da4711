// The broadcast composer: whom to reach, the CAP text, the police fields and the channels.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type {
  AlertDetail,
  BroadcastView,
  OperatorView,
  StationsSnapshot,
} from '../../src/server/events';
import { api, errorText } from './api';
import { check, draftFrom, EMPTY, type Draft } from './draft';
import { stateLabel, STATE_CODES } from './india';
import { Outcome } from './Outcome';
import { PoliceFields } from './PoliceFields';
import { useSocketEvent, type ConsoleSocket } from './socket';
import { ErrorBox, Options } from './ui';
import { alertHref, CATEGORIES, CERTAINTIES, lines, SEVERITIES, URGENCIES } from './util';

/** A textarea of addresses with a picker that appends suggestions from the directory. */
function AddressList({
  label,
  testId,
  value,
  onChange,
  suggestions,
  placeholder,
}: {
  label: string;
  testId: string;
  value: string;
  onChange: (v: string) => void;
  suggestions: string[];
  placeholder: string;
}) {
  const [pick, setPick] = useState('');
  const listId = `${testId}-suggestions`;
  const add = () => {
    const v = pick.trim();
    if (!v || lines(value).includes(v)) return;
    onChange(value.trim() ? `${value.trim()}\n${v}` : v);
    setPick('');
  };
  return (
    <div className="address-list">
      <label>
        {label} <span className="muted small">one per line</span>
        <textarea
          data-testid={testId}
          rows={3}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
          spellCheck={false}
        />
      </label>
      <div className="row">
        <input
          list={listId}
          value={pick}
          placeholder="search the directory"
          aria-label={`Add from the directory (${label})`}
          onChange={(e) => setPick(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add} disabled={!pick.trim()}>
          Add
        </button>
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      </div>
    </div>
  );
}

/** The composer; `prefill` (`msgType` and `ref` from the route) starts an Update or Cancel. */
export function Composer({
  me,
  socket,
  stations,
  prefill,
}: {
  me: OperatorView;
  socket: ConsoleSocket | null;
  stations: StationsSnapshot | null;
  prefill: { msgType: string | null; ref: string | null };
}) {
  const [d, setD] = useState<Draft>(EMPTY);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BroadcastView | null>(null);
  const may = me.role === 'duty-officer' || me.role === 'administrator';
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  // The broker's answer may come after the request returned: follow the result live.
  useSocketEvent(socket, 'broadcast', (b) => setResult((r) => (r && r.id === b.id ? b : r)));

  const { msgType, ref } = prefill;
  useEffect(() => {
    if (!ref || (msgType !== 'update' && msgType !== 'cancel')) return;
    api<AlertDetail>(`/api/alerts/${encodeURIComponent(ref)}`).then(
      (r) => setD(draftFrom(r.alert, msgType)),
      (err: unknown) => setError(`Cannot load the alert to ${msgType}: ${errorText(err)}`),
    );
  }, [msgType, ref]);

  // Only states with a broker this console reaches can be addressed.
  const offered = useMemo(
    () =>
      (me.brokerStates ?? (me.scope === 'national' ? STATE_CODES : [me.scope])).filter((c) =>
        STATE_CODES.includes(c),
      ),
    [me],
  );
  const reach = useMemo(() => {
    const list = stations?.stations ?? [];
    const districts = new Set(lines(d.districts));
    const named = new Set(lines(d.stations));
    return list.filter(
      (s) =>
        d.national ||
        d.states.includes(s.state) ||
        districts.has(`${s.state}/${s.district}`) ||
        named.has(s.identity),
    ).length;
  }, [stations, d.national, d.states, d.districts, d.stations]);

  const suggestions = useMemo(() => {
    const list = stations?.stations ?? [];
    return {
      districts: [...new Set(list.map((s) => `${s.state}/${s.district}`))].sort(),
      stations: list.map((s) => s.identity).sort(),
    };
  }, [stations]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { problems, input } = check(d);
    setProblems(problems);
    setError('');
    if (problems.length) return;
    setBusy(true);
    try {
      const b = await api<BroadcastView>('/api/broadcasts', { method: 'POST', body: input });
      setResult(b);
      setD(EMPTY);
      window.location.hash = '#/broadcast';
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (list: string[], v: string, on: boolean) =>
    on ? [...new Set([...list, v])] : list.filter((x) => x !== v);

  return (
    <form className="panel composer" onSubmit={(e) => void submit(e)}>
      {!may && (
        <p className="warning">
          You are signed in as a viewer: you can see the composer and the broadcasts, but only a
          duty officer or an administrator may send or approve a broadcast.
        </p>
      )}
      {d.msgType !== 'alert' && (
        <p className="info">
          Composing a <strong>{d.msgType}</strong> of{' '}
          {d.references.map((r) => (
            <a key={r} href={alertHref(r)} className="mono">
              {r}
            </a>
          ))}
          .{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setD(EMPTY);
              window.location.hash = '#/broadcast';
            }}
          >
            Start a new alert instead
          </button>
        </p>
      )}
      <fieldset disabled={!may || busy}>
        <div className="compose-grid">
          <div>
            <h3>Reach</h3>
            <label className="check">
              <input
                type="checkbox"
                data-testid="compose-national"
                checked={d.national}
                onChange={(e) => set('national', e.target.checked)}
              />
              National — every station in India
              {me.scope === 'national' && (
                <span className="muted small"> (needs a second duty officer's approval)</span>
              )}
            </label>
            <div
              className="states-picker"
              data-testid="compose-states"
              role="group"
              aria-label="States"
            >
              {offered.map((c) => (
                <label key={c} className="check">
                  <input
                    type="checkbox"
                    data-testid={`compose-state-${c}`}
                    checked={d.states.includes(c)}
                    onChange={(e) => set('states', toggle(d.states, c, e.target.checked))}
                  />
                  {stateLabel(c)}
                </label>
              ))}
            </div>
            <AddressList
              label="Districts"
              testId="compose-districts"
              value={d.districts}
              onChange={(v) => set('districts', v)}
              suggestions={suggestions.districts}
              placeholder="MH/PUNE"
            />
            <AddressList
              label="Stations"
              testId="compose-stations"
              value={d.stations}
              onChange={(v) => set('stations', v)}
              suggestions={suggestions.stations}
              placeholder="station/MH/PUNE/PS001"
            />
            <h3>Channels</h3>
            <div className="row">
              <label className="check">
                <input type="checkbox" checked disabled /> network
              </label>
              <label className="check">
                <input
                  type="checkbox"
                  data-testid="compose-channel-sms"
                  checked={d.sms}
                  onChange={(e) => set('sms', e.target.checked)}
                />
                SMS to SHOs
              </label>
              <label className="check">
                <input
                  type="checkbox"
                  data-testid="compose-channel-email"
                  checked={d.email}
                  onChange={(e) => set('email', e.target.checked)}
                />
                email to SHOs
              </label>
            </div>
          </div>
          <div>
            <h3>Alert</h3>
            <label>
              Event
              <input
                data-testid="compose-event"
                value={d.event}
                maxLength={200}
                placeholder="Armed robbery"
                dir="auto"
                onChange={(e) => set('event', e.target.value)}
              />
            </label>
            <label>
              Headline
              <input
                data-testid="compose-headline"
                value={d.headline}
                maxLength={300}
                dir="auto"
                onChange={(e) => set('headline', e.target.value)}
              />
            </label>
            <label>
              Description
              <textarea
                data-testid="compose-description"
                rows={4}
                value={d.description}
                dir="auto"
                onChange={(e) => set('description', e.target.value)}
              />
            </label>
            <label>
              Instruction
              <textarea
                data-testid="compose-instruction"
                rows={2}
                value={d.instruction}
                dir="auto"
                onChange={(e) => set('instruction', e.target.value)}
              />
            </label>
            <div className="row">
              <label>
                Severity
                <select
                  data-testid="compose-severity"
                  value={d.severity}
                  onChange={(e) => set('severity', e.target.value)}
                >
                  <Options values={SEVERITIES} />
                </select>
              </label>
              <label>
                Urgency
                <select value={d.urgency} onChange={(e) => set('urgency', e.target.value)}>
                  <Options values={URGENCIES} />
                </select>
              </label>
              <label>
                Certainty
                <select value={d.certainty} onChange={(e) => set('certainty', e.target.value)}>
                  <Options values={CERTAINTIES} />
                </select>
              </label>
              <label>
                Expires in (min)
                <input
                  type="number"
                  min={1}
                  step={1}
                  className="short"
                  value={d.expiresInMinutes}
                  onChange={(e) => set('expiresInMinutes', e.target.value)}
                />
              </label>
            </div>
            <label>
              Categories <span className="muted small">Ctrl-click to choose several</span>
              <select
                multiple
                size={4}
                data-testid="compose-categories"
                value={d.categories}
                onChange={(e) =>
                  set(
                    'categories',
                    [...e.target.selectedOptions].map((o) => o.value),
                  )
                }
              >
                <Options values={CATEGORIES} />
              </select>
            </label>
          </div>
        </div>
        <h3>Police details</h3>
        <div className="row">
          <label>
            FIR reference
            <input value={d.firReference} onChange={(e) => set('firReference', e.target.value)} />
          </label>
          <label>
            Case reference
            <input value={d.caseReference} onChange={(e) => set('caseReference', e.target.value)} />
          </label>
          <label className="grow">
            Modus operandi
            <input
              value={d.modusOperandi}
              dir="auto"
              onChange={(e) => set('modusOperandi', e.target.value)}
            />
          </label>
        </div>
        <PoliceFields
          persons={d.persons}
          vehicles={d.vehicles}
          onPersons={(v) => set('persons', v)}
          onVehicles={(v) => set('vehicles', v)}
        />
        {problems.length > 0 && (
          <ul className="error" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <ErrorBox error={error} />
        <div className="actions">
          <span className="reach" data-testid="compose-reach" data-count={reach}>
            {stations
              ? `Reaches ${reach} of the ${stations.stations.length} stations in the directory`
              : 'Station directory not loaded yet'}
            {stations && stations.unreachable.length > 0 && (
              <span className="muted small">
                {' '}
                (not counted: {stations.unreachable.map((u) => u.state).join(', ')}, whose brokers
                did not answer)
              </span>
            )}
          </span>{' '}
          <button type="submit" className="primary" data-testid="compose-submit">
            {busy ? 'Sending…' : d.msgType === 'alert' ? 'Send broadcast' : `Send ${d.msgType}`}
          </button>
        </div>
      </fieldset>
      {result && (
        <p className={`result st-${result.status}`} data-testid="compose-result" role="status">
          Broadcast <span className="mono">{result.id.slice(0, 8)}</span>:{' '}
          <Outcome b={result} testId="compose-outcome" />
          {result.status === 'refused' && result.refusal?.message && (
            <span className="sub">{result.refusal.message}</span>
          )}
          {result.status === 'accepted' && result.alertId && (
            <>
              {' '}
              —{' '}
              <a href={alertHref(result.alertId)} className="mono">
                alert {result.alertId}
              </a>
            </>
          )}
        </p>
      )}
    </form>
  );
}
