// The frame of every signed-in page: navigation, theme and language switches, who is signed in,
// and banners when the live streams are down (server stopped, network gone) or a node cannot reach
// its Docker Engine.
import type { User } from '@utopia/shared';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useLive } from '../api/live.js';
import { setSession } from '../api/session.js';
import { useI18n, type Language } from '../i18n/i18n.js';
import { isAdmin } from './admin-only.js';
import { ErrorNote } from './states.js';
import { useTheme } from './theme.js';

/** Layout is used around every signed-in page. */
export function Layout({ me, children }: { me: User; children: ReactNode }) {
  const { t } = useI18n();
  const live = useLive();
  const streamError = live.claims.error ?? live.nodes.error;
  // Online but unable to start anything: the one failure a newcomer's local node is likely to have.
  const dockerDown = (live.nodes.items ?? []).filter(
    (n) => n.status === 'Online' && n.dockerProblem !== null,
  );
  return (
    <>
      <a className="skip" href="#main">
        {t.skipToContent}
      </a>
      <header className="top">
        <NavLink to="/" className="brand">
          Utopia
        </NavLink>
        <nav aria-label={t.navigation}>
          <NavLink to="/" end>
            {t.overview}
          </NavLink>
          <NavLink to="/claims">{t.claims}</NavLink>
          <NavLink to="/nodes">{t.nodes}</NavLink>
          {isAdmin(me) ? <NavLink to="/users">{t.users}</NavLink> : null}
          {isAdmin(me) ? <NavLink to="/join-tokens">{t.joinTokens}</NavLink> : null}
          <NavLink to="/tokens">{t.apiTokens}</NavLink>
        </nav>
        <Switches />
        <span className="me">
          <span data-testid="me">{me.username}</span>
          {isAdmin(me) ? <span className="badge">{t.admin}</span> : null}
          <button onClick={() => setSession(null)}>{t.signOut}</button>
        </span>
      </header>
      {streamError ? (
        <div className="banner">
          <ErrorNote error={streamError} />
        </div>
      ) : null}
      {dockerDown.map((n) => (
        <div className="banner" key={n.id}>
          <div className="error" role="alert" data-testid="docker-down">
            <strong>{t.dockerDownTitle(n.hostname)}</strong> {t.dockerDownHelp}
            <div className="muted mono">{n.dockerProblem}</div>
          </div>
        </div>
      ))}
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}

/** Switches is used in the header and on the sign-in page. */
export function Switches() {
  const { t, language, setLanguage } = useI18n();
  const [theme, setTheme] = useTheme();
  return (
    <span className="switches">
      <button
        onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        aria-label={t.toggleTheme}
        title={t.toggleTheme}
      >
        {theme === 'dark' ? '☀' : '☾'}
      </button>
      <select
        aria-label={t.language}
        value={language}
        onChange={(e) => setLanguage(e.target.value === 'zh' ? 'zh' : ('en' satisfies Language))}
      >
        <option value="en">English</option>
        <option value="zh">简体中文</option>
      </select>
    </span>
  );
}
