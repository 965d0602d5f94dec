// A secret shown once (a new join token or API token), with a copy button.
import { useState } from 'react';
import { useI18n } from '../i18n/i18n.js';

/** OnceSecret is used right after a token was created. */
export function OnceSecret({ label, value }: { label: string; value: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status">
      <p>
        <strong>{label}</strong> {t.shownOnce}
      </p>
      <pre className="mono" data-testid="secret">
        {value}
      </pre>
      <button
        onClick={() =>
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? t.copied : t.copy}
      </button>
    </div>
  );
}
