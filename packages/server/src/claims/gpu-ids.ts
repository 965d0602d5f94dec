import type { ClaimRow } from '../db/schema.js';

/** parseGpuIds is used to read gpu_claims.gpu_ids. */
export function parseGpuIds(row: Pick<ClaimRow, 'gpu_ids'>): number[] {
  if (row.gpu_ids === null || row.gpu_ids === '') return [];
  return row.gpu_ids.split(',').map(Number);
}

/** formatGpuIds is used to write gpu_claims.gpu_ids. */
export function formatGpuIds(ids: readonly number[]): string | null {
  return ids.length === 0 ? null : ids.join(',');
}
