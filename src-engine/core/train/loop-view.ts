import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import type { CheckedGraph } from '../analysis/checked';
import type { GraphBinding } from './binding';
import type { RunControl } from './control';
import type { Checkpoint, StepGroup, TrainableGraph } from './types';

/**
 * What a hook sees of the loop it serves (`LoopHooks.setup`): the run's settings and plan, where
 * it stands, its checkpoints, and the part of the run control a hook may use. `TrainingLoop`
 * implements it; hooks depend on this view, never on the loop itself. `P` is the plan's type (a
 * session's loop runs `CompiledGraph`s, which its probes read).
 */
export interface LoopView<P extends TrainableGraph = TrainableGraph> {
  readonly config: TrainingConfig;
  /** The graph's IR (defaults filled). */
  readonly graph: GraphIR;
  /** The graph as checked, with the run's settings (its shapes at any batch). */
  readonly checked: CheckedGraph;
  /** The plan for the configured batch size. */
  readonly plan: P;
  /** The optimizer groups in step order (one without `training.groups`): `StepContext.group` indexes them. */
  readonly groups: readonly Pick<StepGroup, 'params'>[];
  readonly binding: GraphBinding;
  /** The run control as a hook uses it: its state, pace and single-stepping, and `hold` (a divergence). */
  readonly control: Pick<RunControl, 'state' | 'pace' | 'singleStepping' | 'hold'>;
  /** Optimizer steps applied so far. */
  readonly step: number;
  /** The epoch in progress (1-based; 0 before the first). */
  readonly epoch: number;
  /** The learning rate the next step of the first group uses. */
  readonly lr: number;
  /** The best checkpoint so far. */
  readonly best: Checkpoint | null;
  /** The checkpoint at the end of the latest epoch. */
  readonly last: Checkpoint | null;
  /** The weights and optimizer state now, as a checkpoint (into `into`'s arrays when given). */
  capture(metrics?: Checkpoint['metrics'], into?: Checkpoint): Checkpoint;
  /** `capture` over the live tensors, copying nothing: valid until the next step. */
  view(metrics?: Checkpoint['metrics']): Checkpoint;
  /** Copy a checkpoint's weights and optimizer state back. */
  restore(ck: Checkpoint): void;
  /** A device plan's weights and optimizer state into the host's. */
  sync(): Promise<void>;
}
