// The cluster's recent events (GET /api/events): on the overview every visible one, each
// naming and linking its claim or node; on a node's page that node's own.
import type { ClusterEvent } from '@utopia/shared';
import { Link } from 'react-router';
import { useEvents } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';
import { Timeline, type TimelineEntry } from '../ui/timeline.js';

function subjectOf(e: ClusterEvent) {
  const path = e.kind === 'Node' ? `/nodes/${e.objectId}` : `/claims/${e.objectId}`;
  return <Link to={path}>{e.objectName}</Link>;
}

/** RecentEvents is used by the overview (all) and a node's page (nodeId). */
export function RecentEvents({ nodeId }: { nodeId?: string }) {
  const { t } = useI18n();
  const events = useEvents(nodeId === undefined ? {} : { nodeId });
  if (events.data === undefined)
    return events.isError ? <ErrorNote error={events.error} /> : <Loading />;
  if (events.data.items.length === 0) return <Empty>{t.noEvents}</Empty>;
  const entries: TimelineEntry[] = events.data.items.map((e) => ({
    key: String(e.id),
    type: e.type,
    reason: e.reason,
    message: e.message,
    time: e.time,
    ...(nodeId === undefined ? { subject: subjectOf(e) } : {}),
  }));
  return (
    <>
      <Timeline entries={entries} testId="recent-events" />
      {/* A failed refresh keeps the last list and says why beneath it. */}
      <ErrorNote error={events.error} />
    </>
  );
}
