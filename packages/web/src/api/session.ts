// The signed-in session: the bearer token (a login JWT or a pasted API token) and when it ends.
// Kept in localStorage so a reload stays signed in; cleared on sign-out or on any 401.

const KEY = 'utopia.session';

/** Session is used to hold the caller's credential. */
export interface Session {
  token: string;
  /** ISO time the login token expires; null for API tokens (the server decides). */
  expiresAt: string | null;
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

function isSession(v: unknown): v is Session {
  if (typeof v !== 'object' || v === null) return false;
  const token: unknown = Reflect.get(v, 'token');
  const expiresAt: unknown = Reflect.get(v, 'expiresAt');
  return typeof token === 'string' && (expiresAt === null || typeof expiresAt === 'string');
}

function read(): Session | null {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    return isSession(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

let current: Session | null = read();

/** getSession is used by the API client to attach the bearer token. */
export function getSession(): Session | null {
  return current;
}

/** setSession is used after sign-in (a session) and on sign-out or expiry (null). */
export function setSession(session: Session | null): void {
  current = session;
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  for (const l of listeners) l(session);
}

/** onSessionChange is used by the React tree to re-render when the session starts or ends. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
