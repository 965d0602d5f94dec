// Admin: join tokens. A new token is shown once, inside the exact command to run on a new node.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useJoinTokenActions, useJoinTokens } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../ui/confirm.js';
import { OnceSecret } from '../ui/secret.js';
import { ErrorNote, Loading, Empty } from '../ui/states.js';

/** agentCommand is used to show the line to paste on a new GPU node. */
export function agentCommand(serverUrl: string, token: string): string {
  return `utopia-agent --server-url ${serverUrl} --join-token ${token}`;
}

/** JoinTokensPage is used at /join-tokens (admins). */
export function JoinTokensPage() {
  const { t, language } = useI18n();
  const tokens = useJoinTokens();
  const { create, revoke } = useJoinTokenActions();
  const [description, setDescription] = useState('');
  const [hours, setHours] = useState('24');
  const [maxUses, setMaxUses] = useState('');
  const err = create.error instanceof ApiError ? create.error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({
      ...(description ? { description } : {}),
      expiresInHours: Number(hours),
      ...(maxUses.trim() ? { maxUses: Number(maxUses) } : {}),
    });
  };
  return (
    <section>
      <h1>{t.joinTokens}</h1>
      <form className="card stack" onSubmit={submit}>
        <h2>{t.createJoinToken}</h2>
        <div className="row wrap">
          <label>
            {t.description}
            <input
              name="description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
          </label>
          <label>
            {t.expiresInHours}
            <input
              className="narrow"
              inputMode="numeric"
              value={hours}
              onChange={(e) => setHours(e.target.value)}
            />
            {err?.fieldMessage('expiresInHours') ? (
              <span className="field-error">{err.fieldMessage('expiresInHours')}</span>
            ) : null}
          </label>
          <label>
            {t.maxUses}
            <input
              className="narrow"
              inputMode="numeric"
              placeholder={t.unlimited}
              value={maxUses}
              onChange={(e) => setMaxUses(e.target.value)}
            />
            {err?.fieldMessage('maxUses') ? (
              <span className="field-error">{err.fieldMessage('maxUses')}</span>
            ) : null}
          </label>
        </div>
        {err && err.details.length === 0 ? <ErrorNote error={err} /> : null}
        <div>
          <button type="submit" className="primary" disabled={create.isPending}>
            {t.create}
          </button>
        </div>
        {create.data ? (
          <OnceSecret
            label={t.runOnNode}
            value={agentCommand(window.location.origin, create.data.token)}
          />
        ) : null}
      </form>
      <ErrorNote error={tokens.error ?? revoke.error} />
      {tokens.isPending ? (
        <Loading />
      ) : tokens.data?.items.length === 0 ? (
        <Empty>{t.noJoinTokens}</Empty>
      ) : tokens.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t.description}</th>
                <th>{t.uses}</th>
                <th>{t.expires}</th>
                <th>{t.status}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data.items.map((j) => (
                <tr key={j.id}>
                  <td>{j.description || '—'}</td>
                  <td>
                    {j.useCount}
                    {j.maxUses === null ? '' : ` / ${j.maxUses}`}
                  </td>
                  <td>
                    <time dateTime={j.expiresAt} title={j.expiresAt}>
                      {new Date(j.expiresAt).toLocaleString(language === 'zh' ? 'zh-CN' : 'en')}
                    </time>
                  </td>
                  <td>
                    {j.revoked
                      ? t.revoked
                      : Date.parse(j.expiresAt) < Date.now()
                        ? t.expired
                        : t.active}
                  </td>
                  <td>
                    {j.revoked ? null : (
                      <ConfirmButton
                        danger
                        label={t.revoke}
                        question={t.revokeQuestion}
                        onConfirm={() => revoke.mutate(j.id)}
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
