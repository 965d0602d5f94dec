// Admin: users. Create one, change role and GPU quota, disable or enable. The API's own
// message shows beside the field it names.
import type { User } from '@utopia/shared';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useUserActions, useUsers } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ago } from '../ui/format.js';
import { DataTable, SubmitRow, TextInput } from '../ui/form.js';
import { ErrorNote, Loading } from '../ui/states.js';

/** UsersPage is used at /users (admins). */
export function UsersPage({ me }: { me: User }) {
  const { t, language } = useI18n();
  const users = useUsers();
  const actions = useUserActions();
  return (
    <section>
      <h1>{t.users}</h1>
      <CreateUser />
      <ErrorNote error={users.error ?? actions.update.error} />
      {users.isPending ? (
        <Loading />
      ) : users.data ? (
        <DataTable headers={[t.username, t.role, t.gpuQuota, t.status, t.created]}>
          {users.data.items.map((u) => (
            <tr key={u.id} data-user={u.username}>
              <td>{u.username}</td>
              <td>
                <select
                  aria-label={t.role}
                  value={u.role}
                  disabled={u.id === me.id}
                  onChange={(e) =>
                    actions.update.mutate({
                      id: u.id,
                      body: { role: e.target.value === 'admin' ? 'admin' : 'user' },
                    })
                  }
                >
                  <option value="user">{t.roleUser}</option>
                  <option value="admin">{t.admin}</option>
                </select>
              </td>
              <td>
                <QuotaInput user={u} />
              </td>
              <td>
                <button
                  disabled={u.id === me.id}
                  onClick={() =>
                    actions.update.mutate({ id: u.id, body: { disabled: !u.disabled } })
                  }
                >
                  {u.disabled ? t.enable : t.disable}
                </button>{' '}
                {u.disabled ? <span className="badge">{t.disabled}</span> : null}
              </td>
              <td>{ago(u.createdAt, language)}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </section>
  );
}

function QuotaInput({ user }: { user: User }) {
  const { t } = useI18n();
  const { update } = useUserActions();
  const [value, setValue] = useState(user.gpuQuota === null ? '' : String(user.gpuQuota));
  const save = () => {
    const quota = value.trim() === '' ? null : Number(value);
    if (quota !== user.gpuQuota) update.mutate({ id: user.id, body: { gpuQuota: quota } });
  };
  return (
    <input
      className="narrow"
      aria-label={`${t.gpuQuota} ${user.username}`}
      inputMode="numeric"
      placeholder={t.unlimited}
      value={value}
      onChange={(e) => setValue(e.target.value)}
      onBlur={save}
      onKeyDown={(e) => e.key === 'Enter' && save()}
    />
  );
}

function CreateUser() {
  const { t } = useI18n();
  const { create } = useUserActions();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'user' | 'admin'>('user');
  const [quota, setQuota] = useState('');
  const err = create.error instanceof ApiError ? create.error : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      {
        username,
        password,
        role,
        ...(quota.trim() === '' ? {} : { gpuQuota: Number(quota) }),
      },
      {
        onSuccess: () => {
          setUsername('');
          setPassword('');
          setQuota('');
        },
      },
    );
  };
  return (
    <form className="card stack" onSubmit={submit} aria-label={t.createUser}>
      <h2>{t.createUser}</h2>
      <div className="row wrap">
        <label>
          {t.username}
          <input
            name="new-username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          {err?.fieldMessage('username') ? (
            <span className="field-error">{err.fieldMessage('username')}</span>
          ) : null}
        </label>
        <TextInput
          label={t.password}
          name="new-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={err}
          field="password"
        />
        <label>
          {t.role}
          <select
            value={role}
            onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'user')}
          >
            <option value="user">{t.roleUser}</option>
            <option value="admin">{t.admin}</option>
          </select>
        </label>
        <label>
          {t.gpuQuota}
          <input
            className="narrow"
            inputMode="numeric"
            placeholder={t.unlimited}
            value={quota}
            onChange={(e) => setQuota(e.target.value)}
          />
        </label>
      </div>
      {create.isSuccess ? <p role="status">{t.userCreated(create.data.username)}</p> : null}
      <SubmitRow error={err} busy={create.isPending} label={t.create} />
    </form>
  );
}
