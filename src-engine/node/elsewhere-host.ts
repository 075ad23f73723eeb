/**
 * The app's runs elsewhere (`runs.launch`, `runs.cancel`; the Train dock's "Where"): the same
 * launchers as `netwright train --on TARGET` (node/targets.ts) and the same cancel as `netwright
 * runs cancel` (`cancelRun`). The engine follows the job as the command does, writing its records
 * into the app's run store as they come, so the Runs tab lists the run with its target and job id
 * while it trains.
 */
import type { ElsewhereHost } from '../app/handlers/context';
import { coded } from '../app/handlers/coded';
import { checkpointExtras } from '../app/session/run-recorder';
import { thrownCode } from '../base/errors';
import { parseTarget, TargetSpecError } from '../catalog/targets/registry';
import type { Logger } from '../protocol/rpc';
import type { RunStore } from './run-store';
import { cancelRun, trainElsewhere, trainsHere } from './targets';
import { probeBatchOf } from './torchrun-probe';
import type { Io } from './train-progress';

/** Nothing to print: the engine's runs speak through the run store. */
const QUIET: Io = { out: () => {}, err: () => {}, json: false };

/** Launch and cancel runs elsewhere, recorded in `runs`. `log` hears how each followed job ended after its launch was answered. */
export function elsewhereHost(runs: RunStore, log?: Logger): ElsewhereHost {
  return {
    launch(plan) {
      let target;
      try {
        target = parseTarget(plan.target);
      } catch (e) {
        if (e instanceof TargetSpecError) throw coded('E_TARGET_SPEC', e.message);
        throw e;
      }
      if (trainsHere(target)) throw coded('E_TARGET_SPEC', `${target.spec} trains in the engine: Start it as any run (train.start).`);
      return new Promise((resolve, reject) => {
        let answered = false;
        const label = plan.checked.ir.name ?? 'design';
        trainElsewhere(target, {
          io: QUIET,
          checked: plan.checked,
          label,
          loaded: plan.loaded,
          extras: checkpointExtras(plan.data),
          probe: probeBatchOf(plan.data),
          runs: runs.dir,
          device: plan.device,
          ...(plan.project !== undefined ? { project: plan.project } : {}),
          ...(plan.projectId !== undefined ? { projectId: plan.projectId } : {}),
          onRecorded: ({ runId, jobId, target: spec }) => {
            answered = true;
            resolve({ runId: runId!, jobId, target: spec });
          },
        }).then(
          () => log?.('info', `${label} on ${target.spec}: the job ended`),
          (e: unknown) => {
            // Before the run was recorded the launch itself failed; after, the run's log says why.
            if (!answered) reject(coded(thrownCode(e, 'E_TARGET_LAUNCH') as never, (e as Error).message));
            else log?.('warn', `${label} on ${target.spec}: ${(e as Error).message}`);
          },
        );
      });
    },
    cancel(runId) {
      const m = cancelRun(runs, runId);
      return { id: m.id, target: m.target.spec, jobId: m.target.jobId };
    },
  };
}
