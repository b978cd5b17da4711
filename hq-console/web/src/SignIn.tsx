// Sign-in: username, password and the 6-digit code of the operator's authenticator app.
import { useState, type FormEvent } from 'react';
import type { OperatorView } from '../../src/server/events';
import { api, errorText } from './api';

/** The sign-in page; `notice` explains why the operator is here again (an expired session). */
export function SignIn({
  notice,
  onSignedIn,
}: {
  notice: string;
  onSignedIn: (op: OperatorView) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState(notice);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onSignedIn(
        await api<OperatorView>('/api/session', {
          method: 'POST',
          body: { username: username.trim(), password, code: code.trim() },
        }),
      );
    } catch (err) {
      setError(errorText(err));
      setCode('');
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">CCTNS HQ console</h1>
        <p className="hint">Sign in with your operator account and the code from your app.</p>
        <label>
          Username
          <input
            data-testid="login-username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            data-testid="login-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label>
          6-digit code
          <input
            data-testid="login-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          />
        </label>
        <button type="submit" className="primary" data-testid="login-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p className="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
