// An events timeline: when, why and what, warnings marked. The claim page, the overview and a
// node's page all show events this way.
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n.js';
import { ago } from './format.js';

/** TimelineEntry is used for one event to show, with what it is about where that is not obvious. */
export interface TimelineEntry {
  key: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  time: string;
  subject?: ReactNode;
}

/** Timeline is used to list events, in the order given. */
export function Timeline({ entries, testId }: { entries: TimelineEntry[]; testId: string }) {
  const { language } = useI18n();
  const withSubject = entries.some((e) => e.subject !== undefined);
  return (
    <ol className={`timeline${withSubject ? ' with-subject' : ''}`} data-testid={testId}>
      {entries.map((e) => (
        <li key={e.key} className={e.type === 'Warning' ? 'warning' : ''}>
          <time dateTime={e.time} title={e.time}>
            {ago(e.time, language)}
          </time>
          {withSubject ? <span className="subject">{e.subject}</span> : null}
          <strong>{e.reason}</strong>
          <span>{e.message}</span>
        </li>
      ))}
    </ol>
  );
}
