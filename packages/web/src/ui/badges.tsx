// Phase and status badges: colour plus the word, so nothing depends on colour alone.
import { ClaimPhase as ClaimPhaseSchema, type ClaimPhase, type NodeStatus } from '@utopia/shared';
import { useI18n } from '../i18n/i18n.js';

/** CLAIM_PHASES is used to list the phases in the order a claim goes through them. */
export const CLAIM_PHASES: readonly ClaimPhase[] = ClaimPhaseSchema.anyOf.map((s) => s.const);

/** PhaseBadge is used wherever a claim's phase shows. */
export function PhaseBadge({ phase }: { phase: ClaimPhase }) {
  const { t } = useI18n();
  return (
    <span className={`badge phase-${phase.toLowerCase()}`} data-phase={phase}>
      {t.phases[phase]}
    </span>
  );
}

/** NodeBadge is used wherever a node's status shows. */
export function NodeBadge({ status, schedulable }: { status: NodeStatus; schedulable: boolean }) {
  const { t } = useI18n();
  return (
    <span className="badges">
      <span className={`badge node-${status.toLowerCase()}`} data-status={status}>
        {t.nodeStatus[status]}
      </span>
      {schedulable ? null : <span className="badge cordoned">{t.cordoned}</span>}
    </span>
  );
}
