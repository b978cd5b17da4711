// A state's contact directory (whom SMS and email reach): administrators edit it, others read it.
import { useEffect, useState } from 'react';
import type { ContactsDocument, ContactsView, OperatorView } from '../../src/server/events';
import { api, errorText } from './api';
import { STATE_CODES, stateName } from './india';
import { PageHead } from './ui';

type Contact = ContactsDocument['contacts'][number];
type Row = Omit<Contact, 'phone' | 'email'> & { phone: string; email: string };
const ROLES: Contact['role'][] = ['SHO', 'SP', 'STATE-HQ', 'NATIONAL-HQ'];

const toRows = (doc: ContactsDocument): Row[] =>
  doc.contacts.map((c) => ({ ...c, phone: c.phone ?? '', email: c.email ?? '' }));

function toDocument(rows: Row[]): ContactsDocument {
  return {
    version: 1,
    contacts: rows.map(({ phone, email, ...c }) => ({
      ...c,
      id: c.id.trim(),
      name: c.name.trim(),
      scope: c.scope.trim(),
      ...(phone.trim() ? { phone: phone.trim() } : {}),
      ...(email.trim() ? { email: email.trim() } : {}),
    })),
  };
}

/** The contacts page. */
export function Contacts({ me }: { me: OperatorView }) {
  const states = me.scope === 'national' ? STATE_CODES : [me.scope];
  const [state, setState] = useState(me.scope === 'national' ? '' : me.scope);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const admin = me.role === 'administrator';

  useEffect(() => {
    setRows(null);
    setMessage(null);
    if (!state) return;
    api<ContactsView>(`/api/contacts?state=${encodeURIComponent(state)}`).then(
      (v) => setRows(toRows(v.document)),
      (err: unknown) => setMessage({ ok: false, text: errorText(err) }),
    );
  }, [state]);

  const edit = (i: number, k: keyof Row, v: string) =>
    setRows((r) => r && r.map((x, j) => (j === i ? { ...x, [k]: v } : x)));

  const save = async () => {
    if (!rows) return;
    setBusy(true);
    setMessage(null);
    try {
      const v = await api<ContactsView>(`/api/contacts?state=${encodeURIComponent(state)}`, {
        method: 'PUT',
        body: toDocument(rows),
      });
      setRows(toRows(v.document));
      setMessage({ ok: true, text: `Saved ${v.document.contacts.length} contacts of ${v.state}.` });
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <PageHead title="Contacts">
        <label className="inline">
          State
          <select
            data-testid="contacts-state"
            value={state}
            onChange={(e) => setState(e.target.value)}
          >
            {me.scope === 'national' && <option value="">choose a state…</option>}
            {states.map((s) => (
              <option key={s} value={s}>
                {s} — {stateName(s)}
              </option>
            ))}
          </select>
        </label>
      </PageHead>
      {!admin && (
        <p className="info">Read-only: only an administrator may change the contact directory.</p>
      )}
      {message && (
        <p
          className={message.ok ? 'success' : 'error'}
          role={message.ok ? 'status' : 'alert'}
          data-testid="contacts-message"
        >
          {message.text}
        </p>
      )}
      {!state && <p className="empty">Choose a state to see its contacts.</p>}
      {state && !rows && !message && <p className="loading">Loading contacts…</p>}
      {rows && (
        <fieldset disabled={!admin || busy} className="panel">
          <table className="grid compact edit">
            <thead>
              <tr>
                <th>Id</th>
                <th>Name</th>
                <th>Role</th>
                <th>Scope</th>
                <th>Phone (E.164)</th>
                <th>Email</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((c, i) => (
                <tr key={i} data-testid="contact-row">
                  <td>
                    <input
                      aria-label="Id"
                      value={c.id}
                      onChange={(e) => edit(i, 'id', e.target.value)}
                    />
                  </td>
                  <td>
                    <input
                      aria-label="Name"
                      dir="auto"
                      value={c.name}
                      onChange={(e) => edit(i, 'name', e.target.value)}
                    />
                  </td>
                  <td>
                    <select
                      aria-label="Role"
                      value={c.role}
                      onChange={(e) => edit(i, 'role', e.target.value)}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      aria-label="Scope"
                      className="mono"
                      placeholder="station/MH/PUNE/PS001, MH/PUNE or MH"
                      value={c.scope}
                      onChange={(e) => edit(i, 'scope', e.target.value)}
                    />
                  </td>
                  <td>
                    <input
                      aria-label="Phone"
                      className="mono"
                      type="tel"
                      pattern="\+[1-9][0-9]{6,14}"
                      placeholder="+919812345678"
                      value={c.phone}
                      onChange={(e) => edit(i, 'phone', e.target.value)}
                    />
                  </td>
                  <td>
                    <input
                      aria-label="Email"
                      type="email"
                      value={c.email}
                      onChange={(e) => edit(i, 'email', e.target.value)}
                    />
                  </td>
                  <td>
                    <button type="button" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="empty">No contacts for {stateName(state)} yet.</p>}
          <div className="actions">
            <button
              type="button"
              data-testid="contacts-add"
              onClick={() =>
                setRows([
                  ...rows,
                  { id: '', name: '', role: 'SHO', scope: '', phone: '', email: '' },
                ])
              }
            >
              Add contact
            </button>
            <button
              type="button"
              className="primary"
              data-testid="contacts-save"
              onClick={() => void save()}
            >
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </fieldset>
      )}
    </section>
  );
}
