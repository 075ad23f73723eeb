import type { MetricValues } from '../metrics';
import type { RunControl } from './control';
import type { LoopView } from './loop-view';
import type { DeviceCapture, FeatureCacheStatus, LoopEpoch, LoopFailure, LoopProgress, LoopResult, ResidentStatus, StepVerdict, TrainableGraph } from './types';
import { TrainError } from './types';

export type { StepVerdict } from './types';

/** What a hook sees of the step in progress (one object, refilled for each call: read it, don't keep it). */
export interface StepContext<P extends TrainableGraph = TrainableGraph> {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  stepsPerEpoch: number;
  /** Optimizer steps applied before this one — in `afterStep` too, where this step is counted: the loop's count is then `step + 1`. */
  step: number;
  /** The plan this batch runs on (the batch's size). */
  graph: P;
  /** Index of the optimizer group in `loop.groups` (0 without groups). */
  group: number;
  /** The group's loss for this batch (the step's loss without groups). */
  loss: number;
  /** Samples in this batch. */
  count: number;
  /**
   * In `afterStep`: the batch's scalar metrics (accuracy, mse…, as `training.metrics` asks; no
   * loss, which is `loss`), so a run has a metric curve per step and not only per epoch.
   */
  metrics?: Readonly<Record<string, number>>;
  /** In `afterStep` of a run with optimizer groups (a GAN's): each group's loss for this batch, by group name (the loop's own object: copy it to keep it). */
  groupLosses?: Readonly<Record<string, number>>;
}

/**
 * One object a loop is given among its `hooks` (as Keras callbacks or Lightning's `Callback`): a
 * divergence guard, a probe scheduler, a run recorder. Every method is optional and runs
 * synchronously on the training thread between two kernels, so it sees consistent weights and
 * activations. The loop calls its hooks in list order.
 *
 * Every hook fires at the same points on every plan, CPU or GPU (the plan's one `trainStep`;
 * test/unit/gpu/hook-sequence.test.ts). What differs is what a device plan's host mirror holds
 * mid-step: the losses and the prediction, not the gradients or the updated weights (those stay
 * on the device; `beforeUpdate`'s capture measures them there).
 *
 * `P` is the type of the loop's plans (`CompiledGraph` in a session, whose probes read them).
 *
 * `afterForward` / `afterBackward` decide: go on, retry this batch (after a pause), or end the
 * run (a {@link StepVerdict}). With several hooks the strictest wins: `stop` over `retry` over `ok`.
 */
export interface LoopHooks<P extends TrainableGraph = TrainableGraph> {
  /** Once the loop is built, before anything runs: a view of the loop this hook serves (again for each loop it is given to). */
  setup?(loop: LoopView<P>): void;
  /** After a group's forward pass: `retry` skips the backward and update (the divergence guard), `stop` ends the run. */
  afterForward?(ctx: StepContext<P>): StepVerdict;
  /** After the backward pass, before clipping and the update: `retry` rejects the step. */
  afterBackward?(ctx: StepContext<P>): StepVerdict;
  /**
   * Just before a group's optimizer update (gradients are final, weights not yet changed). On a
   * device plan (the GPU) it may answer what the device should measure with this step for
   * `afterStep` to see (a probed step's figures of its weights and gradients, reduced on the
   * device; asked at group 0, it covers every group's update of the step), or nothing, which
   * costs the step nothing extra. At most one hook of a loop may ask for a capture.
   */
  beforeUpdate?(ctx: StepContext<P>): DeviceCapture | void;
  /**
   * After every group of the step updated and the step was counted. A promise (a probe frame
   * whose forwards run on the device) is awaited before the next hook's `afterStep` and the next step.
   */
  afterStep?(ctx: StepContext<P>): void | Promise<void>;
  /** A few times a second and at the end of each epoch (`progressEveryMs`). */
  onProgress?(p: LoopProgress): void;
  /** After each epoch's validation; `stop` (from any hook) ends the run as if stopped. */
  afterEpoch?(e: LoopEpoch): void | 'stop';
  /** After an evaluation of a split (validation every epoch, test at the end). */
  onEvaluation?(split: 'val' | 'test', metrics: MetricValues): void;
  /** The run control changed state (`pause`, `resume`, `stop`, a divergence hold). */
  onState?(state: RunControl['state']): void;
  /** The run leaves a hold (`RunControl.hold`): put back the state it retries from. */
  onRestore?(): void;
  /**
   * The run's cache of a frozen backbone's outputs (core/train/feature-cache.ts), before its first
   * step: its progress while computed, then its size, or why the frozen layers run every step.
   * Not called when the graph freezes no weights or the cache was turned off.
   */
  onFeatureCache?(status: FeatureCacheStatus): void;
  /**
   * A GPU run's training split kept on the device (core/gpu/resident.ts), before its first step:
   * its size, or why each batch is uploaded (`residentDataMessage` says it in a line). Not called
   * on the CPU, nor when `residentData` is off.
   */
  onResidentData?(status: ResidentStatus): void;
  /** The learner set a new learning rate (a resume or step with one): `lr` trains the next step, `loop.step + 1`. */
  onLearningRate?(lr: number): void;
  /** The run ended (completed, early-stopped or stopped), its test evaluated: before the run control's `done`. */
  onEnd?(result: LoopResult): void;
  /** The run failed (a step threw: out of memory, a non-finite loss that ends it…): before the run control's `failed`. */
  onError?(failure: LoopFailure): void;
  /**
   * A hook that keeps something across a resume (early stopping's patience and best value): its
   * key in a checkpoint's `hooks`. With `state`, what it keeps is saved with every checkpoint
   * (a JSON value), and `loadState` gets it back when a run resumes from one.
   */
  readonly name?: string;
  state?(): unknown;
  loadState?(state: unknown): void;
}

const RANK: Record<StepVerdict, number> = { ok: 0, retry: 1, stop: 2 };

/** The stricter of two verdicts (`stop` > `retry` > `ok`). */
export function strictest(a: StepVerdict, b: StepVerdict): StepVerdict {
  return RANK[b] > RANK[a] ? b : a;
}

type Method = Exclude<keyof LoopHooks, 'setup' | 'name' | 'state' | 'loadState'>;

/**
 * The loop's hooks as one: each method calls every hook that has it, in list order; verdicts
 * combine to the strictest, `afterEpoch` stops when any hook says so, and an `afterStep` promise
 * is awaited before the next hook's `afterStep`. A method none of the hooks has stays absent, and
 * so do `state`/`loadState`: each hook keeps its own (the loop asks them one by one, `hookStates`).
 */
export function combineHooks<P extends TrainableGraph = TrainableGraph>(list: readonly LoopHooks<P>[]): LoopHooks<P> {
  if (list.length === 1) return list[0];
  const fns = <M extends Method>(m: M) => list.flatMap((h) => (h[m] ? [(h[m] as (...a: never[]) => unknown).bind(h)] : [])) as NonNullable<LoopHooks<P>[M]>[];
  const out: LoopHooks<P> = {};
  for (const m of ['afterForward', 'afterBackward'] as const) {
    const fs = fns(m);
    if (fs.length) out[m] = (ctx) => fs.reduce<StepVerdict>((v, f) => strictest(v, f(ctx)), 'ok');
  }
  for (const m of ['onProgress', 'onEvaluation', 'onState', 'onRestore', 'onLearningRate', 'onFeatureCache', 'onResidentData', 'onEnd', 'onError'] as const) {
    const fs = fns(m) as ((...a: unknown[]) => void)[];
    if (fs.length) out[m] = ((...a: unknown[]) => fs.forEach((f) => f(...a))) as never;
  }
  const update = fns('beforeUpdate');
  if (update.length) {
    out.beforeUpdate = (ctx) => {
      let capture: DeviceCapture | undefined;
      for (const f of update) {
        const c = f(ctx) ?? undefined;
        if (c && capture) throw new TrainError('TRAIN_INTERNAL', 'Two hooks asked the device to capture the same step; one capture per step.');
        capture ??= c;
      }
      return capture;
    };
  }
  const after = fns('afterStep');
  if (after.length) {
    out.afterStep = (ctx) => {
      for (let i = 0; i < after.length; i++) {
        const p = after[i](ctx);
        if (p) return p.then(() => rest(after, i + 1, ctx));
      }
    };
  }
  const epoch = fns('afterEpoch');
  if (epoch.length) out.afterEpoch = (e) => (epoch.map((f) => f(e)).includes('stop') ? 'stop' : undefined);
  return out;
}

/** `hooks[from…]`, each awaited before the next. */
async function rest<P extends TrainableGraph>(hooks: readonly NonNullable<LoopHooks<P>['afterStep']>[], from: number, ctx: StepContext<P>): Promise<void> {
  for (let i = from; i < hooks.length; i++) await hooks[i](ctx);
}

/** What the stateful hooks of `list` keep now, by name (a checkpoint's `hooks`); undefined when none keeps anything. */
export function hookStates<P extends TrainableGraph>(list: readonly LoopHooks<P>[]): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const h of list) {
    const kept = h.name !== undefined ? h.state?.() : undefined;
    if (kept !== undefined) (out ??= {})[h.name!] = kept;
  }
  return out;
}

/** Give each stateful hook of `list` what `states` kept for it (a resumed checkpoint's `hooks`). */
export function loadHookStates<P extends TrainableGraph>(list: readonly LoopHooks<P>[], states: Readonly<Record<string, unknown>> | undefined): void {
  for (const h of list) if (h.name !== undefined && states && Object.hasOwn(states, h.name)) h.loadState?.(states[h.name]);
}
