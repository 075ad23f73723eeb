import type { LossSelection, StepGroup, StepPhases, TrainableGraph } from './types';

/**
 * The step body of a plan that runs on the host — the CPU executor's `trainStep`, or a plan made by
 * hand (tests): `forward(true)` over `sel` (the group's losses; undefined: every loss) →
 * `afterForward` → `backward` → `afterBackward` → `group.clip()` → `beforeUpdate` →
 * `group.update(lr)`, stopping at a phase that does not answer `ok`. Returns the forward's loss.
 */
export function hostTrainStep(plan: Pick<TrainableGraph, 'forward' | 'backward'>, sel: LossSelection | undefined, group: StepGroup, lr: number, phases: StepPhases): number {
  const loss = plan.forward(true, sel);
  if (phases.afterForward(loss) !== 'ok') return loss;
  plan.backward(sel);
  if (phases.afterBackward() !== 'ok') return loss;
  group.clip();
  phases.beforeUpdate();
  group.update(lr);
  return loss;
}

const PLAIN: StepPhases = { afterForward: () => 'ok', afterBackward: () => 'ok', beforeUpdate: () => undefined };

/**
 * A plain step of a device plan (the GPU's) without a loop: group 0, no hooks — what the GPU
 * benchmarks time. The device plan updates with its own optimizer, so the group's host `update`
 * is never called (it throws if it is: a host plan needs a loop's optimizer).
 */
export function planStep(plan: TrainableGraph, lr: number): number | Promise<number> {
  const group: StepGroup = {
    index: 0,
    losses: null,
    params: plan.params,
    clip() {},
    update() {
      throw new Error('planStep runs a device plan, which updates with its own optimizer; a host plan trains through a TrainingLoop.');
    },
  };
  return plan.trainStep(group, lr, PLAIN);
}
