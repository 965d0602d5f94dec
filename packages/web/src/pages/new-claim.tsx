// The create form. The API validates; its 400 names each field (`details[{field, message}]`),
// and each message is shown beside that field. The YAML/JSON tab edits the same request as text.
import { CreateClaimRequest, wireCheck } from '@utopia/shared';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { parse, stringify } from 'yaml';
import { ApiError } from '../api/client.js';
import { useCreateClaim } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorNote } from '../ui/states.js';
import { EMPTY_FORM, fromRequest, toRequest, type ClaimForm } from './claim-form.js';

const isCreateRequest = wireCheck(CreateClaimRequest);
type Tab = 'form' | 'yaml' | 'json';

/** NewClaimPage is used at /claims/new. */
export default function NewClaimPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const create = useCreateClaim();
  const [form, setForm] = useState<ClaimForm>(EMPTY_FORM);
  const [tab, setTab] = useState<Tab>('form');
  const [text, setText] = useState('');
  const [textError, setTextError] = useState<string | null>(null);
  const apiError = create.error instanceof ApiError ? create.error : null;

  const readText = (): unknown => {
    try {
      setTextError(null);
      return parse(text);
    } catch (e) {
      setTextError(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };

  const switchTo = (next: Tab) => {
    if (next === tab) return;
    if (tab === 'form') {
      const request = toRequest(form);
      setText(next === 'json' ? JSON.stringify(request, null, 2) : stringify(request));
    } else {
      const value = readText();
      if (value === undefined) return;
      if (next === 'form') {
        if (!isCreateRequest(value)) {
          setTextError(t.textNotAForm);
          return;
        }
        setForm(fromRequest(value));
      } else setText(next === 'json' ? JSON.stringify(value, null, 2) : stringify(value));
    }
    setTab(next);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = tab === 'form' ? toRequest(form) : readText();
    if (body === undefined) return;
    create.mutate(body, { onSuccess: (claim) => navigate(`/claims/${claim.id}`) });
  };

  const field = (key: keyof ClaimForm, apiField: string, label: string, input: ReactNode) => (
    <Field label={label} error={apiError?.fieldMessage(apiField)} id={`f-${key}`}>
      {input}
    </Field>
  );
  const text1 = (key: keyof ClaimForm, extra: Record<string, unknown> = {}) => (
    <input
      id={`f-${key}`}
      name={key}
      value={form[key]}
      onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      {...extra}
    />
  );
  const area = (key: keyof ClaimForm, placeholder: string) => (
    <textarea
      id={`f-${key}`}
      name={key}
      rows={3}
      placeholder={placeholder}
      value={form[key]}
      onChange={(e) => setForm({ ...form, [key]: e.target.value })}
    />
  );
  // Details the form has no field for (an unknown key typed in YAML, say) show above the button.
  const formFields = [
    'name',
    'spec.image',
    'spec.resources',
    'spec.command',
    'spec.env',
    'spec.ports',
    'spec.nodeSelector',
    'spec.restartPolicy',
  ];
  const unplaced =
    apiError &&
    (tab !== 'form' ||
      apiError.details.length === 0 ||
      apiError.details.some(
        (d) => !formFields.some((f) => d.field === f || d.field.startsWith(`${f}.`)),
      ));

  return (
    <section>
      <h1>{t.newClaim}</h1>
      <div className="tabs" role="tablist">
        {(['form', 'yaml', 'json'] as const).map((k) => (
          <button key={k} role="tab" aria-selected={tab === k} onClick={() => switchTo(k)}>
            {k === 'form' ? t.form : k.toUpperCase()}
          </button>
        ))}
      </div>
      <form onSubmit={submit} className="stack claim-form" noValidate>
        {tab === 'form' ? (
          <>
            {field(
              'name',
              'name',
              t.name,
              text1('name', { placeholder: 'train-1', maxLength: 63 }),
            )}
            {field('image', 'spec.image', t.image, text1('image', { required: true }))}
            <div className="row wrap">
              {field(
                'gpuCount',
                'spec.resources.gpuCount',
                t.gpuCount,
                text1('gpuCount', { inputMode: 'numeric' }),
              )}
              {field(
                'gpuModel',
                'spec.resources.gpuModel',
                t.gpuModel,
                text1('gpuModel', { placeholder: 'NVIDIA A100-SXM4-80GB' }),
              )}
              {field(
                'minGpuMemoryMiB',
                'spec.resources.minGpuMemoryMiB',
                t.minGpuMemory,
                text1('minGpuMemoryMiB', { inputMode: 'numeric' }),
              )}
            </div>
            {field('command', 'spec.command', t.commandOnePerLine, area('command', 'sleep\n3600'))}
            {field('env', 'spec.env', t.envPerLine, area('env', 'EPOCHS=10'))}
            {field('ports', 'spec.ports', t.ports, text1('ports', { placeholder: '8888, 6006' }))}
            {field(
              'nodeSelector',
              'spec.nodeSelector',
              t.nodeSelector,
              area('nodeSelector', 'zone=lab-1'),
            )}
            {field(
              'restartPolicy',
              'spec.restartPolicy',
              t.restartPolicy,
              <select
                id="f-restartPolicy"
                value={form.restartPolicy}
                onChange={(e) => {
                  const v = e.target.value;
                  setForm({
                    ...form,
                    restartPolicy: v === 'Always' || v === 'OnFailure' || v === 'Never' ? v : '',
                  });
                }}
              >
                <option value="">Always ({t.default})</option>
                <option value="OnFailure">OnFailure</option>
                <option value="Never">Never</option>
              </select>,
            )}
          </>
        ) : (
          <label>
            {tab === 'json' ? 'JSON' : 'YAML'}
            <textarea
              className="mono"
              name="spec-text"
              rows={16}
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
        )}
        {textError ? (
          <div className="error" role="alert">
            {textError}
          </div>
        ) : null}
        {unplaced ? (
          <ErrorDetails error={apiError} />
        ) : create.error && !apiError ? (
          <ErrorNote error={create.error} />
        ) : null}
        <div className="row">
          <button type="submit" className="primary" disabled={create.isPending}>
            {t.create}
          </button>
        </div>
      </form>
    </section>
  );
}

function Field(props: {
  label: string;
  id: string;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={`field ${props.error ? 'invalid' : ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.error ? (
        <span className="field-error" role="alert" data-field-error={props.id}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

function ErrorDetails({ error }: { error: ApiError }) {
  return (
    <div className="error" role="alert">
      {error.message}
      {error.details.length > 1 ? (
        <ul>
          {error.details.map((d) => (
            <li key={d.field}>
              <code>{d.field}</code> {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
