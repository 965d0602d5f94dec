// Admin: join tokens. A new token is shown once, inside the exact command to run on a new node.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useJoinTokenActions, useJoinTokens } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../ui/confirm.js';
import { DataTable, SubmitRow, TextInput } from '../ui/form.js';
import { OnceSecret } from '../ui/secret.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';

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
  const state = (revoked: boolean, expiresAt: string) =>
    revoked ? t.revoked : Date.parse(expiresAt) < Date.now() ? t.expired : t.active;
  return (
    <section>
      <h1>{t.joinTokens}</h1>
      <form className="card stack" onSubmit={submit}>
        <h2>{t.createJoinToken}</h2>
        <div className="row wrap">
          <TextInput
            label={t.description}
            name="description"
            value={description}
            onChange={setDescription}
            error={err}
            field="description"
          />
          <TextInput
            label={t.expiresInHours}
            narrow
            numeric
            value={hours}
            onChange={setHours}
            error={err}
            field="expiresInHours"
          />
          <TextInput
            label={t.maxUses}
            narrow
            numeric
            placeholder={t.unlimited}
            value={maxUses}
            onChange={setMaxUses}
            error={err}
            field="maxUses"
          />
        </div>
        <SubmitRow error={err} busy={create.isPending} label={t.create} />
        {create.data ? (
          <OnceSecret
            label={t.runOnNode}
            value={agentCommand(window.location.origin, create.data.token)}
          />
        ) : null}
      </form>
      <ErrorNote error={tokens.error ?? revoke.error} />
      {tokens.isPending ? <Loading /> : null}
      {tokens.data?.items.length === 0 ? <Empty>{t.noJoinTokens}</Empty> : null}
      {tokens.data && tokens.data.items.length > 0 ? (
        <DataTable headers={[t.description, t.uses, t.expires, t.status, '']}>
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
              <td>{state(j.revoked, j.expiresAt)}</td>
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
        </DataTable>
      ) : null}
    </section>
  );
}
