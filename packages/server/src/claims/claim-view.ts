import { ClaimPlacement, type ClaimSpec, type GpuClaim } from '@utopia/shared';
import { parseJsonColumn } from '../db/json-column.js';
import type { ClaimRow, EventRow } from '../db/schema.js';
import { parseGpuIds } from './gpu-ids.js';

/** ClaimRowWithNames is used to show a claim: its row plus the owner's and node's names. */
export type ClaimRowWithNames = ClaimRow & { owner_name: string; node_hostname: string | null };

/** parseSpec is used to read gpu_claims.spec. */
export function parseSpec(row: Pick<ClaimRow, 'spec'>): ClaimSpec {
  return JSON.parse(row.spec) as ClaimSpec;
}

/** parsePlacement is used to read gpu_claims.placement; a row that does not parse shows none. */
export function parsePlacement(row: Pick<ClaimRow, 'placement'>): ClaimPlacement | null {
  return parseJsonColumn(ClaimPlacement, row.placement);
}

/** parseStringMap is used to read a claim's labels or annotations column (null: none). */
export function parseStringMap(text: string | null): Record<string, string> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/** ShownEvent is used for what a claim's answer shows of each event. */
export type ShownEvent = Pick<EventRow, 'type' | 'reason' | 'message' | 'created_at'>;

/** toClaim is used to show a claim row on the wire, with its events when given. */
export function toClaim(row: ClaimRowWithNames, events?: readonly ShownEvent[]): GpuClaim {
  const claim: GpuClaim = {
    id: row.id,
    name: row.name,
    owner: row.owner_name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    labels: parseStringMap(row.labels),
    annotations: parseStringMap(row.annotations),
    spec: parseSpec(row),
    status: {
      // Like kubectl: a claim whose deletion was asked for is Terminating from that moment, even
      // before the controller has moved its phase.
      phase: row.deletion_requested_at === null ? row.phase : 'Terminating',
      nodeName: row.node_hostname,
      nodeId: row.node_id,
      gpuIds: parseGpuIds(row),
      containerId: row.container_id,
      reason: row.reason,
      message: row.message,
      restartCount: row.restart_count,
      exitCode: row.exit_code,
      phaseChangedAt: row.phase_changed_at,
      deletionRequestedAt: row.deletion_requested_at,
      placement: parsePlacement(row),
    },
  };
  if (events)
    claim.events = events.map((e) => ({
      type: e.type,
      reason: e.reason,
      message: e.message,
      time: e.created_at,
    }));
  return claim;
}
