// Sign in with a username and password, or paste an API token (checked with /api/auth/me
// before it is kept). The URL is left as it is, so the app opens where the user was.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { fetchMe, login } from '../api/queries.js';
import { setSession } from '../api/session.js';
import { useI18n } from '../i18n/i18n.js';
import { Switches } from '../ui/layout.js';
import { ErrorNote } from '../ui/states.js';

/** SignInPage is used whenever there is no session. */
export function SignInPage() {
  const { t } = useI18n();
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'password') {
        const answer = await login(username, password);
        setSession({ token: answer.token, expiresAt: answer.expiresAt });
      } else {
        setSession({ token: token.trim(), expiresAt: null });
        await fetchMe();
      }
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? new Error(t.badCredentials) : toError(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <div className="card">
        <div className="row spread">
          <h1>Utopia</h1>
          <Switches />
        </div>
        <p className="muted">{t.signInLead}</p>
        <div className="tabs" role="tablist">
          <button
            role="tab"
            aria-selected={mode === 'password'}
            onClick={() => setMode('password')}
          >
            {t.password}
          </button>
          <button role="tab" aria-selected={mode === 'token'} onClick={() => setMode('token')}>
            {t.apiToken}
          </button>
        </div>
        <form onSubmit={submit} className="stack">
          {mode === 'password' ? (
            <>
              <label>
                {t.username}
                <input
                  name="username"
                  autoComplete="username"
                  autoFocus
                  required
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                />
              </label>
              <label>
                {t.password}
                <input
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </label>
            </>
          ) : (
            <label>
              {t.apiToken}
              <input
                name="token"
                autoComplete="off"
                required
                placeholder="utp_…"
                value={token}
                onChange={(e) => setToken(e.target.value)}
              />
            </label>
          )}
          <ErrorNote error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {t.signIn}
          </button>
        </form>
      </div>
    </main>
  );
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
