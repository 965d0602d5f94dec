import type { AgentContainerInfo } from '@utopia/shared';
import type { ContainerDetails } from './container-runtime.js';
import { MANAGED_LABEL } from './docker.runtime.js';

/** Labels is used to name the labels the agent writes on its containers. */
export const Labels = {
  Managed: MANAGED_LABEL,
  ClaimId: 'utopia.claim_id',
  GpuIds: 'utopia.gpu_ids',
  /** UUIDs of the GPUs: they name the devices whatever node id (or identity) holds them. */
  GpuUuids: 'utopia.gpu_uuids',
  GpuCount: 'utopia.gpu_count',
  NodeId: 'utopia.node_id',
} as const;

/** parseGpuLabel is used to read the utopia.gpu_ids label ("0,1") back into indices. */
export function parseGpuLabel(label: string | undefined): number[] {
  if (!label) return [];
  return label
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n >= 0);
}

/** toInfo is used to map a Docker container to the original agent's ContainerInfo (plus exits). */
export function toInfo(c: ContainerDetails): AgentContainerInfo {
  return {
    id: c.id,
    claim_id: c.labels[Labels.ClaimId] ?? '',
    image: c.image,
    status: c.state.status,
    gpu_ids: parseGpuLabel(c.labels[Labels.GpuIds]),
    ports: c.ports,
    created: c.created,
    started: c.state.startedAt ?? 0,
    labels: c.labels,
    exit_code: c.state.exitCode,
    finished: c.state.finishedAt,
    error: c.state.error,
  };
}

/** pullingInfo is used to list a claim whose image is still being pulled. */
export function pullingInfo(claimId: string, image: string, since: number): AgentContainerInfo {
  return {
    id: '',
    claim_id: claimId,
    image,
    status: 'pulling',
    gpu_ids: [],
    ports: {},
    created: since,
    started: 0,
    labels: {},
    exit_code: null,
    finished: null,
    error: null,
  };
}

/** describeIndices is used in messages: "GPUs 0, 1" or "no GPUs". */
export function describeIndices(indices: number[]): string {
  return indices.length === 0 ? 'no GPUs' : `GPUs ${indices.sort((a, b) => a - b).join(', ')}`;
}
