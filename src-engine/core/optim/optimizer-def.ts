import type { OptimizerConfig } from '../../base/ir/types';
import { stateSlots, type OptimizerDeclaration } from '../../catalog/optimizers/types';
import type { Backend } from '../backend/types';
import type { OptimParam, Optimizer } from './types';

/** The settings of the optimizer `K`, as a training config holds them. */
export type OptimizerSettings<K extends OptimizerConfig['kind']> = Extract<OptimizerConfig, { kind: K }>;

/**
 * One optimizer, declared once (one file per optimizer, one line in `optimizer-kinds.ts`): its
 * declaration (settings, spread in from its `declareOptimizer`, which catalog-gen.ts prints into
 * the catalog), its state slots, its CPU update, its GPU update and how the exported train.py
 * builds it. Shaped like `defineOp`.
 */
export interface OptimizerDefinition<K extends OptimizerConfig['kind'] = OptimizerConfig['kind']> extends OptimizerDeclaration<K> {
  /** The buffers it keeps per parameter with `settings` (its declaration's `state`, read by `stateSlots`). */
  slots(settings: OptimizerSettings<K>): string[];
  /** The optimizer over `params`; `backend`, when it has a fused update, may run it. */
  create(params: readonly OptimParam[], settings: OptimizerSettings<K>, backend?: Backend): Optimizer;
  /**
   * Its update on the GPU for `settings` (already checked by `create`): one elementwise dispatch
   * per parameter (core/gpu/optim.ts). Absent: a GPU run of this optimizer falls back to the CPU.
   */
  gpu?(settings: OptimizerSettings<K>): GpuUpdate;
  /**
   * The same optimizer in train.py: a Python expression over `groups` (the decayed and the
   * undecayed parameters, each group with its `weight_decay`), `lr` and `o` (the settings).
   */
  pytorch: string;
}

/**
 * One optimizer's update on the GPU, for one setting: a WGSL kernel over one parameter. It binds
 * the weights `W` (binding 0, read_write), the gradient `G` (1, read), then the state slots in the
 * order `slots()` names them (read_write), then its uniforms `P`; one invocation per element, at
 * `i = gid.y * rowStride + gid.x`. The state's layout and names are the CPU update's, so a state
 * read back from the GPU loads into the CPU optimizer.
 */
export interface GpuUpdate {
  /** Pipeline key of the variant this setting selects (`adam:ams`): names one WGSL source. */
  key: string;
  wgsl(): string;
  /**
   * The uniform words of one parameter for the step about to run (`step` 1-based; 0 when the
   * dispatch is first bound). Rates that change per step are computed here in float64, as the
   * CPU update does, and stored as float32.
   */
  uniforms(a: GpuUpdateArgs): Uint32Array;
}

/** What a GPU update's uniforms are made from: one parameter's place and this step's rate. */
export interface GpuUpdateArgs {
  /** Elements of the parameter, and the row stride of its 2-D grid (`grid1d`). */
  n: number;
  rowStride: number;
  /** Offsets (in floats) of the weights, the gradient and each state slot in their buffers. */
  wOff: number;
  gOff: number;
  slotOff: Readonly<Record<string, number>>;
  lr: number;
  step: number;
  /** Whether weight decay applies to this parameter (`OptimParam.decay`). */
  decay: boolean;
}

/** Declare an optimizer (identity, for the types). */
export function defineOptimizer<K extends OptimizerConfig['kind']>(def: Omit<OptimizerDefinition<K>, 'slots'>): OptimizerDefinition<K> {
  return { ...def, slots: (settings) => stateSlots(def, settings) };
}

/** Any one optimizer's declaration (what the registry lists). */
export type AnyOptimizerDefinition = { [K in OptimizerConfig['kind']]: OptimizerDefinition<K> }[OptimizerConfig['kind']];
