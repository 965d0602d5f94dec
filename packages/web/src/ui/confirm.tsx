// A button that asks before it does something that cannot be undone.
import { useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n.js';

/** ConfirmButton is used for deletes, drains and revokes. */
export function ConfirmButton(props: {
  label: string;
  question: ReactNode;
  onConfirm(): void;
  busy?: boolean;
  danger?: boolean;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button className={props.danger ? 'danger' : ''} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={props.label}>
      <span>{props.question}</span>
      <button
        className="danger"
        autoFocus
        disabled={props.busy}
        onClick={() => {
          props.onConfirm();
          setAsking(false);
        }}
      >
        {t.confirm}
      </button>
      <button onClick={() => setAsking(false)}>{t.cancel}</button>
    </span>
  );
}
