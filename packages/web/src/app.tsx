// Signed out: the sign-in page, at whatever URL the user was on, so signing in (again, after a
// session expired) lands exactly where they were. Signed in: the layout and the pages.
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useSyncExternalStore } from 'react';
import { Route, Routes } from 'react-router';
import { LiveProvider } from './api/live.js';
import { useMe } from './api/queries.js';
import { getSession, onSessionChange } from './api/session.js';
import { useI18n } from './i18n/i18n.js';
import { AdminOnly } from './ui/admin-only.js';
import { Layout } from './ui/layout.js';
import { ErrorNote, Loading } from './ui/states.js';
import { ApiTokensPage } from './pages/api-tokens.js';
import { ClaimPage } from './pages/claim.js';
import { ClaimsPage } from './pages/claims.js';
import { JoinTokensPage } from './pages/join-tokens.js';
import { NodePage } from './pages/node.js';
import { NodesPage } from './pages/nodes.js';
import { OverviewPage } from './pages/overview.js';
import { SignInPage } from './pages/sign-in.js';
import { UsersPage } from './pages/users.js';

// The create form carries the YAML parser: load it when it is opened.
const NewClaimPage = lazy(() => import('./pages/new-claim.js'));

/** App is used as the root component. */
export function App() {
  const session = useSyncExternalStore(onSessionChange, getSession);
  const qc = useQueryClient();
  useEffect(() => {
    if (!session) qc.clear();
  }, [session, qc]);
  if (!session) return <SignInPage />;
  return <SignedIn />;
}

function SignedIn() {
  const { t } = useI18n();
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.isError)
    return (
      <main className="page">
        <ErrorNote error={me.error} />
      </main>
    );
  return (
    <LiveProvider>
      <Layout me={me.data}>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<OverviewPage />} />
            <Route path="/claims" element={<ClaimsPage me={me.data} />} />
            <Route path="/claims/new" element={<NewClaimPage />} />
            <Route path="/claims/:id" element={<ClaimPage />} />
            <Route path="/nodes" element={<NodesPage me={me.data} />} />
            <Route path="/nodes/:id" element={<NodePage me={me.data} />} />
            <Route path="/tokens" element={<ApiTokensPage />} />
            <Route
              path="/users"
              element={<AdminOnly me={me.data}>{<UsersPage me={me.data} />}</AdminOnly>}
            />
            <Route
              path="/join-tokens"
              element={<AdminOnly me={me.data}>{<JoinTokensPage />}</AdminOnly>}
            />
            <Route path="*" element={<p className="page">{t.notFound}</p>} />
          </Routes>
        </Suspense>
      </Layout>
    </LiveProvider>
  );
}
