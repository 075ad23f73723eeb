/**
 * How each target of catalog/targets trains a run, one launcher per kind: the table is typed by
 * the catalog's kinds, so a target declared without a launcher does not compile. `local` is the
 * engine in this process (train-cli.ts's own path). A kind declared but not built yet refuses
 * with `E_TARGET_UNAVAILABLE` before anything is exported or started.
 */
import type { AnyTarget, TargetKind, TargetOf } from '../catalog/targets/registry';
import { refuse } from './cli-files';
import { trainWithTorchrun, type ElsewherePlan } from './torchrun-target';
import { trainOverSsh } from './ssh-target';

type Launcher<K extends TargetKind> = ((target: TargetOf<K>, plan: ElsewherePlan) => Promise<number>) | { unavailable: string };

const LAUNCHERS: { [K in TargetKind]: K extends 'local' ? 'engine' : Launcher<K> } = {
  local: 'engine',
  torchrun: trainWithTorchrun,
  ssh: trainOverSsh,
  slurm: { unavailable: 'Training on Slurm is declared (slurm[:partition=…,nodes=…,gpus-per-node=…,time=…]) but not available in this build: export the PyTorch project and submit its train.py under torchrun with sbatch.' },
};

/** Whether `target` trains in this process, on Netwright's engine. */
export function trainsHere(target: AnyTarget): boolean {
  return LAUNCHERS[target.kind] === 'engine';
}

/**
 * Refuse a target this build cannot train on (`E_TARGET_UNAVAILABLE`), before the data is read:
 * nothing is exported or started for a run that cannot go.
 */
export function checkTargetAvailable(target: AnyTarget): void {
  const launcher = LAUNCHERS[target.kind];
  if (typeof launcher === 'object') refuse('E_TARGET_UNAVAILABLE', `--on ${target.spec}: ${launcher.unavailable}`);
}

/** Train `plan` on `target` (not `local`); the exit code. */
export function trainElsewhere(target: AnyTarget, plan: ElsewherePlan): Promise<number> {
  checkTargetAvailable(target);
  const launcher = LAUNCHERS[target.kind] as Launcher<TargetKind>;
  if (typeof launcher !== 'function') throw new Error(`${target.spec} trains in this process`);
  return (launcher as (t: AnyTarget, p: ElsewherePlan) => Promise<number>)(target, plan);
}
