import type { GpuClaim } from '@utopia/shared';
import type { Columns } from '../output/format.js';
import { age } from '../output/table.js';

/** claimColumns is used by `get claims`. */
export const claimColumns: Columns<GpuClaim> = {
  kind: 'claim',
  name: (c) => c.name,
  headers: ['NAME', 'PHASE', 'GPUS', 'NODE', 'RESTARTS', 'AGE'],
  row: (c) => [
    c.name,
    c.status.phase,
    String(c.spec.resources.gpuCount),
    c.status.nodeName ?? '<none>',
    String(c.status.restartCount),
    age(c.createdAt),
  ],
  wideHeaders: ['OWNER', 'IMAGE', 'GPU-IDS', 'REASON', 'ID'],
  wideRow: (c) => [
    c.owner,
    c.spec.image,
    c.status.gpuIds.length > 0 ? c.status.gpuIds.join(',') : '<none>',
    c.status.reason ?? '',
    c.id,
  ],
};
