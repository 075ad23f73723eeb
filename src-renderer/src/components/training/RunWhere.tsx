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

/** A run's status as Runs says it: a run elsewhere whose job may run on with no one following it is "running elsewhere (not followed)", as `netwright runs list` says, never crashed. */
export function statusLabel(meta: Pick<RunMeta, 'status' | 'followed'>): string {
  return meta.status === 'running' && meta.followed === false ? 'running elsewhere (not followed)' : meta.status;
}

/** Whether Runs offers Delete: a run no process writes (ended, or elsewhere with no one following it: its machine may never answer a cancel). */
export function deletable(meta: Pick<RunMeta, 'status' | 'followed'>): boolean {
  return meta.status !== 'running' || meta.followed === false;
}

/**
 * Stop for a run trained elsewhere whose job may run: running, or one no process follows now (its
 * job ended as `netwright runs cancel` ends it, `runs.cancel`, and its end then recorded). Nothing
 * for other runs.
 */
export function RunStop({ meta, onStop }: { meta: Pick<RunMeta, 'id' | 'target' | 'status' | 'followed'>; onStop: () => void }) {
  if (!meta.target || (meta.status !== 'running' && meta.followed !== false)) return null;
  const unfollowed = meta.followed === false ? ' No Netwright process follows it now: its end is recorded when its job has ended.' : '';
  return (
    <button type="button" data-testid={`run-cancel-${meta.id}`} title={`End its job (${meta.target.spec}, job ${meta.target.jobId}): it is recorded as stopped.${unfollowed}`} onClick={onStop}>
      Stop
    </button>
  );
}
