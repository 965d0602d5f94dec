// One cell per GPU: who holds it, how busy and hot it is. The grid of the overview and the
// node pages are made of these.
import type { GpuClaim, NodeGpu } from '@utopia/shared';
import { Link } from 'react-router';
import { useI18n } from '../i18n/i18n.js';
import { mib } from './format.js';

/** GpuCell is used to show one GPU; `claim` is the live claim holding it, if any. */
export function GpuCell({
  gpu,
  claim,
  offline,
}: {
  gpu: NodeGpu;
  claim?: GpuClaim;
  offline?: boolean;
}) {
  const { t } = useI18n();
  const util = gpu.utilizationPercent;
  const held = claim !== undefined || gpu.claimId !== null;
  const label = `GPU ${gpu.index} ${gpu.model}: ${held ? t.reservedBy(claim?.owner ?? '?') : t.free}`;
  return (
    <div
      className={`gpu ${held ? 'held' : 'free'} ${offline ? 'offline' : ''}`}
      title={label}
      aria-label={label}
    >
      <div className="gpu-head">
        <span>#{gpu.index}</span>
        <span>{util === null ? '—' : `${Math.round(util)}%`}</span>
      </div>
      <div className="meter" aria-hidden="true">
        <div style={{ width: `${Math.min(100, Math.max(0, util ?? 0))}%` }} />
      </div>
      <div className="gpu-foot">
        <span>
          {mib(gpu.memoryUsedMiB)} / {mib(gpu.memoryTotalMiB)}
        </span>
        <span>{gpu.temperatureC === null ? '' : `${Math.round(gpu.temperatureC)}°C`}</span>
      </div>
      <div className="gpu-owner">
        {claim ? (
          <Link to={`/claims/${claim.id}`}>
            {claim.owner}/{claim.name}
          </Link>
        ) : held ? (
          t.reserved
        ) : (
          t.free
        )}
      </div>
    </div>
  );
}
