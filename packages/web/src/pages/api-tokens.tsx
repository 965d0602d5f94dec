// My API tokens, for the CLI and scripts: create (the secret is shown once), list, revoke.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useApiTokenActions, useApiTokens } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../ui/confirm.js';
import { ago } from '../ui/format.js';
import { OnceSecret } from '../ui/secret.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';

/** ApiTokensPage is used at /tokens. */
export function ApiTokensPage() {
  const { t, language } = useI18n();
  const tokens = useApiTokens();
  const { create, revoke } = useApiTokenActions();
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const err = create.error instanceof ApiError ? create.error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, ...(days.trim() ? { expiresInDays: Number(days) } : {}) });
  };
  return (
    <section>
      <h1>{t.apiTokens}</h1>
      <form className="card stack" onSubmit={submit}>
        <h2>{t.createApiToken}</h2>
        <div className="row wrap">
          <label>
            {t.name}
            <input name="token-name" value={name} onChange={(e) => setName(e.target.value)} />
            {err?.fieldMessage('name') ? (
              <span className="field-error">{err.fieldMessage('name')}</span>
            ) : null}
          </label>
          <label>
            {t.expiresInDays}
            <input
              className="narrow"
              inputMode="numeric"
              placeholder={t.never}
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
            {err?.fieldMessage('expiresInDays') ? (
              <span className="field-error">{err.fieldMessage('expiresInDays')}</span>
            ) : null}
          </label>
        </div>
        {err && err.details.length === 0 ? <ErrorNote error={err} /> : null}
        <div>
          <button type="submit" className="primary" disabled={create.isPending}>
            {t.create}
          </button>
        </div>
        {create.data ? <OnceSecret label={t.apiToken} value={create.data.token} /> : null}
      </form>
      <ErrorNote error={tokens.error ?? revoke.error} />
      {tokens.isPending ? (
        <Loading />
      ) : tokens.data?.items.length === 0 ? (
        <Empty>{t.noApiTokens}</Empty>
      ) : tokens.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t.name}</th>
                <th>{t.created}</th>
                <th>{t.lastUsed}</th>
                <th>{t.expires}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data.items.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>{ago(k.createdAt, language)}</td>
                  <td>{ago(k.lastUsedAt, language)}</td>
                  <td>
                    {k.expiresAt
                      ? new Date(k.expiresAt).toLocaleDateString(language === 'zh' ? 'zh-CN' : 'en')
                      : t.never}
                  </td>
                  <td>
                    {k.revoked ? (
                      t.revoked
                    ) : (
                      <ConfirmButton
                        danger
                        label={t.revoke}
                        question={t.revokeQuestion}
                        onConfirm={() => revoke.mutate(k.id)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
