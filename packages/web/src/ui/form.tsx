// The pieces every admin form and list is made of: a labelled input with the API's message for
// that field under it, the submit row, and a table frame.
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.js';
import { ErrorNote } from './states.js';

/** TextInput is used for one field; `error` is the API's message naming `field`. */
export function TextInput(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  error?: ApiError | null;
  field?: string;
  name?: string;
  narrow?: boolean;
  numeric?: boolean;
  placeholder?: string;
  type?: 'text' | 'password';
  autoComplete?: string;
}) {
  const message = props.field ? props.error?.fieldMessage(props.field) : undefined;
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        className={props.narrow ? 'narrow' : undefined}
        inputMode={props.numeric ? 'numeric' : undefined}
        placeholder={props.placeholder}
        type={props.type}
        autoComplete={props.autoComplete}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {message ? <span className="field-error">{message}</span> : null}
    </label>
  );
}

/** SubmitRow is used under a form: the error no field shows, then the button. */
export function SubmitRow({
  error,
  busy,
  label,
}: {
  error: ApiError | null;
  busy: boolean;
  label: string;
}) {
  return (
    <>
      {error && error.details.length === 0 ? <ErrorNote error={error} /> : null}
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {label}
        </button>
      </div>
    </>
  );
}

/** DataTable is used for every list: a scrollable frame, a header row and the rows. */
export function DataTable({ headers, children }: { headers: string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {headers.map((h, i) => (
              <th key={`${h}-${i}`}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
