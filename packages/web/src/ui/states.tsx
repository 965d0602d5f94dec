// Loading, empty and error states: every page shows what it is waiting for, that there is
// nothing, or what went wrong (the server's own message), never a blank.
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n.js';

/** Loading is used while a first answer is on its way. */
export function Loading() {
  const { t } = useI18n();
  return (
    <p className="muted" role="status" aria-live="polite">
      {t.loading}
    </p>
  );
}

/** Empty is used for a list with nothing in it. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** ErrorNote is used to show a failed call. */
export function ErrorNote({ error }: { error: Error | null | undefined }) {
  const { t } = useI18n();
  if (!error) return null;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return (
    <div className="error" role="alert">
      <strong>{code === 'NETWORK' ? t.serverUnreachable : t.errorTitle}</strong> {error.message}
      {code && code !== 'NETWORK' ? <span className="code"> ({code})</span> : null}
    </div>
  );
}
