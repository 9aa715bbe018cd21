import { FormEvent, ReactNode, useEffect, useRef, useState } from 'react';
import { completeOAuthSignIn, isOAuthCallback, Session, signInWithApiToken, startOAuthSignIn } from './auth';
import { ApiClientsPage } from './pages/api-clients';
import { ConnectionsPage } from './pages/connections';
import { HistoryPage } from './pages/history';
import { IntegrationsPage } from './pages/integrations';
import { ServiceAccountsPage } from './pages/service-accounts';
import { TokensPage } from './pages/tokens';
import { AccountPage, UsersPage } from './pages/users';
import { ApiError } from './api';
import { asApiError, Problem, TextField, useAction } from './ui';

type PageDefinition = { path: string; title: string; permission: string | null; render: (session: Session) => ReactNode };

/** Each page, and the permission without which it is not offered (the API refuses it anyway). */
const PAGES: PageDefinition[] = [
  { path: 'tokens', title: 'API tokens', permission: 'tokens:read', render: (session) => <TokensPage session={session} /> },
  { path: 'connections', title: 'Connections', permission: 'connections:read', render: (session) => <ConnectionsPage session={session} /> },
  { path: 'integrations', title: 'Integrations', permission: 'integrations:read', render: (session) => <IntegrationsPage session={session} /> },
  { path: 'api-clients', title: 'API clients', permission: 'clients:read', render: (session) => <ApiClientsPage session={session} /> },
  { path: 'service-accounts', title: 'Service accounts', permission: 'clients:read', render: (session) => <ServiceAccountsPage session={session} /> },
  { path: 'users', title: 'Users', permission: 'users:read', render: (session) => <UsersPage session={session} /> },
  { path: 'history', title: 'History', permission: 'history:read', render: (session) => <HistoryPage session={session} /> },
  { path: 'account', title: 'My account', permission: null, render: (session) => <AccountPage session={session} /> },
];

const currentPath = () => location.pathname.replace(/^\/console\/?/, '').split('/')[0];

export const App = () => {
  const [session, setSession] = useState<Session | null>(null);
  const [path, setPath] = useState(currentPath());
  const callback = useAction();
  /** Why the last session ended without a sign-in form's own error: shown on the sign-in screen. */
  const [ended, setEnded] = useState<ApiError | undefined>(undefined);
  const onEnded = (reason: ApiError) => {
    setSession(null);
    setEnded(reason);
  };
  const signedIn = (next: Session) => {
    setEnded(undefined);
    setSession(next);
  };
  const signOut = async (current: Session) => {
    history.pushState(null, '', '/console/');
    setSession(null);
    // Dropped here whatever happens; a refresh token Keyhold could not be told about is said so.
    setEnded(await current.signOut().then(() => undefined, (error: unknown) => new ApiError({ status: 0, title: 'Signed out of this tab, but Keyhold could not revoke the session', detail: asApiError(error).message })));
  };

  useEffect(() => {
    const onPop = () => setPath(currentPath());
    addEventListener('popstate', onPop);
    if (isOAuthCallback()) void callback.run(() => completeOAuthSignIn(onEnded)).then((done) => done && signedIn(done));
    return () => removeEventListener('popstate', onPop);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (!session) return <SignIn onSignedIn={signedIn} callbackError={ended ?? callback.error} />;
  const pages = PAGES.filter((page) => page.permission === null || session.can(page.permission));
  const page = pages.find((candidate) => candidate.path === path) ?? pages[0];
  const go = (next: string) => {
    history.pushState(null, '', `/console/${next}`);
    setPath(next);
  };
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <strong className="brand">Keyhold</strong>
        <nav aria-label="Console">
          <ul>
            {pages.map((candidate) => (
              <li key={candidate.path}>
                <a
                  href={`/console/${candidate.path}`}
                  aria-current={candidate === page ? 'page' : undefined}
                  onClick={(event) => {
                    event.preventDefault();
                    go(candidate.path);
                  }}
                >
                  {candidate.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" onClick={() => void signOut(session)}>
          Sign out
        </button>
      </header>
      <Main key={page.path}>{page.render(session)}</Main>
    </>
  );
};

/** Moves focus to the page's heading when the page changes, so screen readers announce it. */
const Main = ({ children }: { children: ReactNode }) => {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const heading = ref.current?.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, []);
  return (
    <main id="main" ref={ref}>
      {children}
    </main>
  );
};

const SignIn = ({ onSignedIn, callbackError }: { onSignedIn: (session: Session) => void; callbackError?: Parameters<typeof Problem>[0]['error'] }) => {
  const [token, setToken] = useState('');
  const withToken = useAction();
  const withKeyhold = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const session = await withToken.run(() => signInWithApiToken(token));
    setToken('');
    if (session) onSignedIn(session);
  };
  return (
    <main id="main" className="sign-in">
      <h1>Keyhold console</h1>
      <Problem error={callbackError} />
      <section aria-labelledby="with-keyhold">
        <h2 id="with-keyhold">Sign in with Keyhold</h2>
        <button type="button" className="primary" onClick={() => void withKeyhold.run(startOAuthSignIn)}>
          Sign in with Keyhold
        </button>
        <Problem error={withKeyhold.error} />
      </section>
      <section aria-labelledby="with-token">
        <h2 id="with-token">Sign in with an API token</h2>
        <form onSubmit={submit} noValidate>
          <TextField label="Personal API token" name="token" error={withToken.error} hint="Kept in this tab's memory only: reloading the page signs you out." type="password" autoComplete="off" value={token} onChange={setToken} />
          <Problem error={withToken.error} />
          <button type="submit" className="primary" disabled={withToken.busy || !token.trim()}>
            Sign in
          </button>
        </form>
      </section>
    </main>
  );
};
