// The cluster's recent events across claims and nodes (GET /api/events): what the web UI's
// overview and a node's page show. A claim's own events also come with GET /api/gpu-claims/:id.
import { CloneType, Type, type Static } from '@sinclair/typebox';
import { ClaimEvent } from './claims.js';
import { Id } from './common.js';

/** EVENT_LIMIT_MAX is used to bound one page of GET /api/events. */
export const EVENT_LIMIT_MAX = 500;

/** ListEventsQuery is used to filter GET /api/events: one claim's, one node's, or everything visible. */
export const ListEventsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: EVENT_LIMIT_MAX, default: 50 })),
    nodeId: Type.Optional(CloneType(Id, { description: "Only this node's own events" })),
    claimId: Type.Optional(CloneType(Id, { description: "Only this claim's events" })),
  },
  { additionalProperties: false },
);
export type ListEventsQuery = Static<typeof ListEventsQuery>;

/** EventObjectKind is used to say what an event happened to. */
export const EventObjectKind = Type.Union([Type.Literal('GpuClaim'), Type.Literal('Node')]);
export type EventObjectKind = Static<typeof EventObjectKind>;

/** ClusterEvent is used to show one thing that happened to a claim or a node. */
export const ClusterEvent = Type.Object(
  {
    id: Type.Integer({ description: 'Grows with each event: a later event has a larger id' }),
    kind: EventObjectKind,
    objectId: Id,
    objectName: Type.String({ description: "The claim's name or the node's hostname" }),
    // type, reason, message, time: as in a claim's own events.
    ...ClaimEvent.properties,
  },
  { additionalProperties: false },
);
export type ClusterEvent = Static<typeof ClusterEvent>;

/** EventList is used to answer GET /api/events, newest first. */
export const EventList = Type.Object(
  { items: Type.Array(ClusterEvent) },
  { additionalProperties: false },
);
export type EventList = Static<typeof EventList>;
