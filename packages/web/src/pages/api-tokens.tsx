// My API tokens, for the CLI and scripts: create (the secret is shown once), list, revoke.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useApiTokenActions, useApiTokens } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../ui/confirm.js';
import { ago } from '../ui/format.js';
import { DataTable, SubmitRow, TextInput } from '../ui/form.js';
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
  const date = (iso: string | null) =>
    iso ? new Date(iso).toLocaleDateString(language === 'zh' ? 'zh-CN' : 'en') : t.never;
  return (
    <section>
      <h1>{t.apiTokens}</h1>
      <form className="card stack" onSubmit={submit}>
        <h2>{t.createApiToken}</h2>
        <div className="row wrap">
          <TextInput
            label={t.name}
            name="token-name"
            value={name}
            onChange={setName}
            error={err}
            field="name"
          />
          <TextInput
            label={t.expiresInDays}
            narrow
            numeric
            placeholder={t.never}
            value={days}
            onChange={setDays}
            error={err}
            field="expiresInDays"
          />
        </div>
        <SubmitRow error={err} busy={create.isPending} label={t.create} />
        {create.data ? <OnceSecret label={t.apiToken} value={create.data.token} /> : null}
      </form>
      <ErrorNote error={tokens.error ?? revoke.error} />
      {tokens.isPending ? <Loading /> : null}
      {tokens.data?.items.length === 0 ? <Empty>{t.noApiTokens}</Empty> : null}
      {tokens.data && tokens.data.items.length > 0 ? (
        <DataTable headers={[t.name, t.created, t.lastUsed, t.expires, '']}>
          {tokens.data.items.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>{ago(k.createdAt, language)}</td>
              <td>{ago(k.lastUsedAt, language)}</td>
              <td>{date(k.expiresAt)}</td>
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
        </DataTable>
      ) : null}
    </section>
  );
}
