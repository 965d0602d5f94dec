import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { SseMessage } from '../sse.js';

/**
 * WatchEventType is used to name the events of a watch stream (`event:` of each server-sent
 * event): the three changes of a resource, and the three the stream itself sends.
 */
export const WatchEventType = {
  Added: 'ADDED',
  Modified: 'MODIFIED',
  Deleted: 'DELETED',
  /** The initial list is complete: the client holds every object as of `resourceVersion`. */
  SnapshotEnd: 'SNAPSHOT_END',
  /** Nothing for this client up to `resourceVersion`; sent instead of a heartbeat. */
  Bookmark: 'BOOKMARK',
  /** The version asked for cannot be resumed from: drop what you hold, a fresh list follows. */
  Resync: 'RESYNC',
} as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

/** WatchFlag is used for `?watch=`: `1` or `true` turns a list into a stream. */
export const WatchFlag = Type.Union(
  [Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')],
  { description: '1 or true: answer text/event-stream (see docs/api.md, "Watch")' },
);
export type WatchFlag = Static<typeof WatchFlag>;

/** isWatch is used to read `?watch=`. */
export function isWatch(flag: WatchFlag | undefined): boolean {
  return flag === '1' || flag === 'true';
}

/** ResourceVersion is used for the position in the change feed: the `id` of a watch event. */
export const ResourceVersion = Type.String({
  pattern: '^[0-9]{1,15}$',
  maxLength: 15,
  description: 'Resource version: the id of a watch event, to resume after it',
});

/** WatchQuery is used by routes that can stream their object instead of answering it once. */
export const WatchQuery = Type.Object(
  {
    watch: Type.Optional(WatchFlag),
    resourceVersion: Type.Optional(ResourceVersion),
  },
  { additionalProperties: false },
);
export type WatchQuery = Static<typeof WatchQuery>;

/** WatchHeaders is used to document and check Last-Event-ID, which a reconnecting EventSource sends. */
export const WatchHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,15}$',
      maxLength: 15,
      description: 'Resume a watch after this event id (wins over ?resourceVersion=)',
    }),
  ),
});

/** WatchPosition is used as the data of SNAPSHOT_END and BOOKMARK events. */
export const WatchPosition = Type.Object(
  { resourceVersion: ResourceVersion },
  { additionalProperties: false },
);
export type WatchPosition = Static<typeof WatchPosition>;

/** ResyncReason is used to say why a stream cannot resume: compacted away, or never given. */
export const ResyncReason = Type.Union([Type.Literal('Expired'), Type.Literal('Unknown')]);
export type ResyncReason = Static<typeof ResyncReason>;

/** WatchResync is used as the data of a RESYNC event. */
export const WatchResync = Type.Object(
  { reason: ResyncReason, message: Type.String() },
  { additionalProperties: false },
);
export type WatchResync = Static<typeof WatchResync>;

/** WatchEvent is used by clients for one decoded event of a stream of objects of type T. */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; resourceVersion: string | undefined; object: T }
  | { type: 'SNAPSHOT_END' | 'BOOKMARK'; resourceVersion: string }
  | { type: 'RESYNC'; reason: ResyncReason; message: string };

/**
 * decodeWatchEvent is used by clients to check and type one server-sent event of a watch stream.
 * `isObject` checks the objects (GpuClaim, Node) with the client's own JSON-schema validator
 * (Ajv, say: their schemas use keywords TypeBox's Value.Check does not run). Anything else
 * answers undefined.
 */
export function decodeWatchEvent<T>(
  message: SseMessage,
  isObject: (value: unknown) => value is T,
): WatchEvent<T> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  switch (message.event) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      if (!isObject(data)) return undefined;
      return {
        type: message.event,
        resourceVersion: message.id === '' ? undefined : message.id,
        object: data,
      };
    case 'SNAPSHOT_END':
    case 'BOOKMARK':
      return Value.Check(WatchPosition, data)
        ? { type: message.event, resourceVersion: data.resourceVersion }
        : undefined;
    case 'RESYNC':
      return Value.Check(WatchResync, data) ? { type: 'RESYNC', ...data } : undefined;
    default:
      return undefined;
  }
}
