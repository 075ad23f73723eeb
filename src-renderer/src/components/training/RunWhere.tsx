import type { RunMeta } from '../../training/compare';

/** Where a run trained elsewhere trains (its target as `--on` spells it) and its job's id there: under the run's status in Runs. Nothing for a run of the engine. */
export function RunWhere({ meta }: { meta: Pick<RunMeta, 'id' | 'target'> }) {
  if (!meta.target) return null;
  return (
    <div className="runs__sub" data-testid={`run-target-${meta.id}`} title="Where it trains (as netwright train --on spells it) and its job's id there">
      on {meta.target.spec} · job {meta.target.jobId}
    </div>
  );
}

/** Stop for a running run trained elsewhere: its job ended as `netwright runs cancel` ends it (`runs.cancel`). Nothing for other runs. */
export function RunStop({ meta, onStop }: { meta: Pick<RunMeta, 'id' | 'target' | 'status'>; onStop: () => void }) {
  if (!meta.target || meta.status !== 'running') return null;
  return (
    <button type="button" data-testid={`run-cancel-${meta.id}`} title={`End its job (${meta.target.spec}, job ${meta.target.jobId}): it is recorded as stopped`} onClick={onStop}>
      Stop
    </button>
  );
}
