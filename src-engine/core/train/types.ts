import type { CheckedGraph } from '../analysis/checked';
import type { Backend } from '../backend/types';
import type { SkippedFile } from '../data';
import type { MetricValues } from '../metrics';
import type { Optimizer, OptimizerState, ScheduleState } from '../optim';
import type { Rng, RngState } from '../../base/rng';
import type { Tensor } from '../../base/tensor';
import type { WorkspaceRanges } from '../ops/types';

/** An opaque subset of a compiled graph's losses (the executor's `LossSelection`). */
export interface LossSelection {
  readonly lossNodes: readonly string[];
  readonly plan: unknown;
}

/**
 * What the trainer needs from a compiled graph: the executor's `CompiledGraph`
 * (autodiff/executor.ts) satisfies it as it is.
 */
export interface TrainableGraph {
  /** Storage of an Input node, `[batch, ...shape]`; the trainer writes each batch there. */
  input(name: string): Tensor;
  /** Output storage of a node after `forward`. */
  output(nodeId: string): Tensor;
  readonly batchSize: number;
  /** Run the graph; returns the loss (sum of the training losses, or of a selection's). */
  forward(training: boolean, losses?: LossSelection): number;
  /**
   * Gradients of the last forward's loss (or a selection's) into `params[i].grad` (zeroed by the
   * executor first). A selection's backward writes those of the parameters it updates only: the
   * others keep the gradients of the last step that updated them.
   */
  backward(losses?: LossSelection): void;
  /**
   * A subset of the losses and of the parameters they train (one optimizer group's step); `fed`:
   * nodes whose outputs the caller writes before each forward (a cached frozen backbone's), which
   * its forward computes no more, nor what leads only to them.
   */
  selectLosses(lossNodes: readonly string[], trainable?: TrainableGraph['params'], reads?: readonly string[], fed?: readonly string[]): LossSelection;
  readonly params: readonly { nodeId: string; name: string; value: Tensor; grad: Tensor; decay: boolean }[];
  readonly buffers: readonly { nodeId: string; name: string; value: Tensor }[];
  /** The same graph for another batch size, sharing parameters and buffers. */
  withBatchSize(n: number): TrainableGraph;
  /**
   * The stream a training forward draws from (four words per Noise or Dropout node with p > 0),
   * shared by every batch size's plan; a device plan draws its keys from it on the host. A
   * checkpoint keeps where it stands (`Checkpoint.random`).
   */
  readonly rng?: Rng;
  /**
   * One optimizer group's training step, the one step body of every plan: forward (train mode,
   * the group's losses) → `phases.afterForward(loss)` → backward → `phases.afterBackward()` →
   * clip → `phases.beforeUpdate()` → the update at `lr`. A phase that answers `retry` or `stop`
   * ends the step there (no update). Resolves with the group's loss from its forward.
   *
   * The CPU plan (autodiff/executor.ts) runs it synchronously with the group's host optimizer
   * (`group.clip`, `group.update`). A device plan (core/gpu/trainable.ts) submits forward and
   * backward, reads the loss back, calls the same phases, then submits its own optimizer's update
   * (the device's group `group.index`) with the capture `beforeUpdate` returned; its host
   * mirror's gradients are not updated (see {@link DeviceStep}).
   */
  trainStep(group: StepGroup, lr: number, phases: StepPhases): number | Promise<number>;
  /**
   * Present on a plan whose steps run on a device (the GPU: core/gpu/trainable.ts): its
   * evaluation forward and where its weights meet the host's. Everything else (batches,
   * schedules, metrics, checkpoints, hooks) stays the loop's.
   */
  readonly device?: DeviceStep;
}

/**
 * Where a run stands with its cache of a frozen backbone's features (core/train/feature-cache.ts,
 * the hooks' `onFeatureCache`): being computed (`done` of `samples`), in use (its size and the
 * nodes it feeds), or off with a coded reason when the graph freezes weights it cannot cache.
 */
export type FeatureCacheStatus =
  | { state: 'computing'; done: number; samples: number }
  | { state: 'ready'; samples: number; bytes: number; boundary: readonly string[]; seconds: number; /** Kept in a file (`FeatureSpill`): past the memory budget. */ onDisk?: boolean }
  | {
      state: 'off';
      code: 'FEATURES_RANDOM_TRANSFORM' | 'FEATURES_RANDOM_LAYER' | 'FEATURES_BATCH_STATISTICS' | 'FEATURES_NOT_A_PREFIX' | 'FEATURES_NOTHING_TRAINS' | 'FEATURES_OVER_BUDGET' | 'FEATURES_DEVICE' | 'FEATURES_ONE_EPOCH';
      reason: string;
    };

/**
 * Where a feature cache past its memory budget is kept (the host's: a file in the OS's temporary
 * folder, node/feature-spill.ts); `open` makes room for `floats` values.
 */
export interface FeatureSpill {
  open(floats: number): FeatureStore;
}

/** Float32 values at offsets (in values): the feature cache's rows, in memory or in a file. */
export interface FeatureStore {
  write(at: number, values: Float32Array): void;
  /** `into.length` values from `at`. */
  read(at: number, into: Float32Array): void;
  /** Let the values go (a file is removed). */
  close(): void;
}

/** What a step's phase answers: go on, retry this batch (after a pause), or end the run. */
export type StepVerdict = 'ok' | 'retry' | 'stop';

/** One optimizer group's share of a step, as the loop resolved it (what `trainStep` runs). */
export interface StepGroup {
  /** Its index in the loop's groups, 0 without `training.groups` (a device plan's own group of that index). */
  readonly index: number;
  /** The losses it minimises, or null: every loss (without `training.groups`: the plain step). */
  readonly losses: readonly string[] | null;
  /** The parameters it updates. */
  readonly params: TrainableGraph['params'];
  /** Nodes whose outputs the loop reads after its step besides its losses (the prediction): its forward computes them whole (`selectLosses`' `reads`). */
  readonly reads?: readonly string[];
  /**
   * Nodes whose outputs the loop writes before the step (a cached frozen backbone's boundary,
   * core/train/feature-cache.ts): its forward skips them and what leads only to them (`selectLosses`' `fed`).
   */
  fed?: readonly string[];
  /** Clip its gradients as its `gradClip` says (nothing without one). A device plan clips on the device. */
  clip(): void;
  /** Its host optimizer's update at `lr`. A device plan updates with its own optimizer instead. */
  update(lr: number): void;
}

/** The loop's side of a step between its phases: its hooks, for the step in progress. */
export interface StepPhases {
  afterForward(loss: number): StepVerdict;
  afterBackward(): StepVerdict;
  /** Gradients final, weights not yet updated: on a device plan, what to measure with the update (a probed step). */
  beforeUpdate(): DeviceCapture | undefined;
}

/**
 * A device plan's side of training. Its `trainStep` and `forward` read the inputs from `input()`'s
 * storage (the feeder writes there as for the CPU), or a training step from the view `lendInput`
 * lent for its batch, and bring the losses and the prediction back into `output()`, so metrics
 * read them as usual; the gradients stay on the device, and the weights and optimizer state meet
 * the host's `params` and optimizer at `sync`/`load`, i.e. at checkpoints.
 */
export interface DeviceStep {
  /** What runs the steps, for the status bar (the adapter's name). */
  readonly name: string;
  /**
   * Forward only (evaluation; the probe batch); resolves with the loss (with groups: of the
   * groups' losses, each once). `read`: nodes whose outputs to read back into `output(id)` as
   * well (the prediction always is). `reduce`: node outputs to reduce on the device, whose
   * figures land in `reduce.figures` (the probe batch's activations).
   */
  forward(training: boolean, read?: readonly string[], reduce?: ForwardReduce): Promise<number>;
  /**
   * Copy the device's weights and buffers into `params`/`buffers` and each group's optimizer
   * state into `into` (one optimizer per group, in step order).
   */
  sync(into: readonly Optimizer[]): Promise<void>;
  /** Send `params`, `buffers` and each group's optimizer state (`from`, in step order) to the device (a restored or warm-started run). */
  load(from: readonly Optimizer[]): void;
  /**
   * Copy ranges of node `nodeId`'s workspace buffers, as the last forward or backward on the
   * device left them, into the same places of the host mirror's (`workspace(nodeId)`), where the
   * probes read them (a recurrent layer's gates per step): `ranges` by buffer name, each
   * `[start, length]` in elements. A buffer the device's kernel does not keep is left as it is.
   */
  readWorkspace(nodeId: string, ranges: WorkspaceRanges): Promise<void>;
  /**
   * Keep a split's samples on the device (core/gpu/resident.ts): each of `rows` uploaded once,
   * then every training step's batch gathered into the plan's inputs there from its sample
   * indices (`DeviceSamples.feed`) instead of written by the feeder and uploaded. Answers why not
   * when they do not fit (the budget, the device's largest buffer). Absent: the device cannot.
   */
  holdSamples?(rows: readonly SampleRows[], budget: number): Promise<DeviceSamples | ResidentRefusal>;
  /**
   * A writable view for Input `input`'s values at this plan's next training step, over memory the
   * device copies from (a staging buffer mapped for writing: core/gpu/staged-inputs.ts), for the
   * feeder to write the batch into in place of `input(input).data`, whose values that step then
   * neither reads nor changes (an evaluation forward still uploads them). Asked again before the
   * step, the same view. Null where there is none (a small input, the GPU wire, none mapped now):
   * the step uploads `input(input).data`. Absent: the device cannot. Ask once per batch.
   */
  lendInput?(input: string): Float32Array | null;
}

/** One Input's values for every sample of a split, sample after sample (`size` values each): what `DeviceStep.holdSamples` keeps. */
export interface SampleRows {
  readonly input: string;
  readonly values: Float32Array;
  readonly size: number;
}

/** A split's samples held on the device (`DeviceStep.holdSamples`). */
export interface DeviceSamples {
  /** Bytes they take there (rows shared by two inputs once). */
  readonly bytes: number;
  /**
   * Samples `order[start .. start+count)` into the held inputs of `plan` (a plan of the same
   * device: `withBatchSize(count)`'s), gathered at the start of its next step; its training steps
   * no longer upload those inputs from the host (an evaluation forward uploads them as before).
   */
  feed(plan: TrainableGraph, order: Int32Array, start: number, count: number): void;
  /** Let the device's copies go. */
  close(): void;
}

/**
 * Whether a GPU run's training split is kept on the device (`DeviceSamples`), for the hooks'
 * `onResidentData`: its size, or off with a coded reason.
 */
export type ResidentStatus =
  | { state: 'ready'; samples: number; bytes: number; seconds: number }
  | { state: 'off'; code: 'RESIDENT_STREAMED' | 'RESIDENT_RANDOM' | 'RESIDENT_OVER_BUDGET' | 'RESIDENT_OVER_LIMIT' | 'RESIDENT_FEW_STEPS'; reason: string };

/** Why a device does not hold a split's samples. */
export type ResidentRefusal = Extract<ResidentStatus, { state: 'off' }>;

/**
 * What a probed device step measures besides its loss (docs/webgpu-backend.md, "Probes on GPU
 * runs"): the probes' reductions of the parameters after the update, of their gradients and of
 * the asked-for node gradients run on the device after the step, and only their figures come
 * back (`figures`); no tensor is read back and the host mirror is left as it is.
 */
export interface DeviceCapture {
  /** Nodes whose dLoss/dOutput of this step to reduce (nodes without a gradient are skipped). */
  readonly grads: readonly string[];
  /** Copy the parameters aside on the device at the start of this step, before its update (for update ratios). */
  readonly before?: boolean;
  /** Reduce after this step (0 bins: none; a group's step that only copies `before`). Histogram bins of the weights. */
  readonly bins: number;
  /** Set by the device: the figures, when `bins` > 0. */
  figures?: StepFigures;
  /**
   * Set by the device: milliseconds from the step's loss landing on the host to the capture
   * landing there (the extra readback's cost, for the probes' budget).
   */
  readbackMs?: number;
}

/**
 * What the probes need from one float32 tensor, as a few reductions (docs/webgpu-backend.md,
 * "Probes on GPU runs"). Sums are over the finite values only; `nan`/`inf` count the others.
 * Computed on the host by `reduceOnHost` (app/probes/summary.ts) and on the GPU by
 * core/gpu/reduce.ts.
 */
export interface TensorFigures {
  length: number;
  nan: number;
  inf: number;
  /** Finite values equal to ±0. */
  zeros: number;
  /** Of the finite values (±3.4028235e38 when there is none). */
  min: number;
  max: number;
  sum: number;
  sumSq: number;
  sumAbs: number;
  /** Σ (x − mean)² over the finite values, mean = sum / count (0 without a histogram). */
  devSq: number;
  /** The histogram over [min, max] (widened when min = max; see `TensorSummarizer`), or null. */
  bins: Uint32Array | null;
  /** Σ (x − y)² of the finite differences with the tensor's earlier values, and the non-finite ones' kinds, or null. */
  diff: { sumSq: number; nan: number; inf: number } | null;
  /** Values below or above the asked-for tails' bounds (NaN in neither; 0 when not asked). */
  tail: number;
  /** Units whose values are ±0 for every sample (0 when not asked). */
  dead: number;
}

/** What a probe forward reduces on the device (`DeviceStep.forward`): each node's output, with a histogram of `bins` bins. */
export interface ForwardReduce {
  readonly nodes: readonly {
    readonly id: string;
    /** Count the values below `below` or above `above` (±Infinity: no bound). */
    readonly tails?: { below: number; above: number };
    /** Count the dead units: `units` of `inner` values each per sample. */
    readonly units?: { units: number; inner: number };
  }[];
  readonly bins: number;
  /** Set by the device: the figures per node. */
  figures?: Map<string, TensorFigures>;
}

/** A probed device step's figures, in `params` order. */
export interface StepFigures {
  params: { value: TensorFigures; grad: TensorFigures }[];
  /** Per node of `DeviceCapture.grads` that has a gradient. */
  grads: Map<string, TensorFigures>;
  /** Whether `params[i].value.diff` is against the weights before this step's update (`before` was copied). */
  updated: boolean;
}

/** Compiles a checked graph for one batch size (the executor's `compileGraph`, the GPU's `buildGpuTrainable`). */
/**
 * Compiles a graph for a run (`compileGraph`, or a device's). `shareFrozenActivations`: the
 * training loop's plans keep no activations of a frozen prefix (`CompileOptions.shareFrozenActivations`).
 */
export type CompileFn<P extends TrainableGraph = TrainableGraph> = (graph: CheckedGraph, options: { batchSize: number; backend: Backend; seed: number; shareFrozenActivations?: boolean }) => P;

/** Stable codes of training errors. */
export type TrainErrorCode =
  | 'TRAIN_NO_CONFIG'
  | 'TRAIN_BAD_CONFIG'
  | 'TRAIN_INPUTS'
  | 'TRAIN_SHAPE_MISMATCH'
  | 'TRAIN_TASK_MISMATCH'
  | 'E_ID_RANGE'
  | 'TRAIN_NONFINITE_LOSS'
  | 'TRAIN_INTERNAL'
  | 'TRAIN_LR_RANGE'
  | 'E_RUN_CHECKPOINT_MISMATCH';

export class TrainError extends Error {
  readonly code: TrainErrorCode;
  constructor(code: TrainErrorCode, message: string) {
    super(message);
    this.name = 'TrainError';
    this.code = code;
  }
}

/** Where a run stands, a few times a second while training. */
export interface LoopProgress {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** Optimizer steps so far, all epochs. */
  step: number;
  /** 1-based step within this epoch, of `stepsPerEpoch`. */
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** Mean training loss of this epoch so far. */
  loss: number;
  /** The training metrics of this epoch so far (accuracy, mse…; no loss, no confusion), as the epoch's end reports them. */
  metrics?: Record<string, number>;
  /** Loss of the last batch (with optimizer groups: the sum of the groups' distinct losses). */
  batchLoss: number;
  /** Each optimizer group's loss of the last batch (only with `training.groups`). */
  groupLosses?: Record<string, number>;
  lr: number;
  /** Training throughput since the previous progress report. */
  samplesPerSec: number;
  /** Estimated seconds left for the whole run (training steps only). */
  etaSeconds: number;
  /** The run is on a single step and pauses after it. */
  single: boolean;
}

/** The end of an epoch. */
export interface LoopEpoch {
  epoch: number;
  epochs: number;
  step: number;
  /** Metrics of the training batches as seen during the epoch (train mode: Dropout active). */
  train: MetricValues;
  /** Metrics on the validation split in eval mode (absent when there is none). */
  val?: MetricValues;
  /** Learning rate for the next epoch. */
  lr: number;
  seconds: number;
  /** Whether this epoch is the best so far (the "best" checkpoint was updated). */
  best: boolean;
  /**
   * A streamed set: images that could not be read while this epoch's batches (and its validation)
   * were assembled, fed as zeros (code `DATA_IMAGE_UNREADABLE`): how many, and the first of them.
   */
  dataSkipped?: DataSkipped;
}

/** Images of a streamed set unreadable while batches were assembled (each fed as zeros): how many, and the first of them. */
export interface DataSkipped {
  count: number;
  files: SkippedFile[];
}

/** How a run ended. */
export interface LoopResult {
  reason: 'completed' | 'early-stopping' | 'stopped';
  epochs: number;
  steps: number;
  /** Training time, pauses excluded. */
  seconds: number;
  /** The epoch whose weights produced `test` (the best one with early stopping, else the last). */
  evaluatedEpoch: number;
  train?: MetricValues;
  val?: MetricValues;
  /** A streamed set: images unreadable since the last epoch's report (the test evaluation, a stop mid-epoch). */
  dataSkipped?: DataSkipped;
  /** Test-split metrics in eval mode (absent when stopped by the user). */
  test?: MetricValues;
}

/** A run that failed (`LoopHooks.onError`): the error's code (`TRAIN_INTERNAL` when it has none), its message, and the error. */
export interface LoopFailure {
  code: string;
  message: string;
  error: unknown;
}

/** Emitted a few times a second while training. */
export type ProgressEvent = { type: 'progress' } & Omit<LoopProgress, 'single'>;
export type EpochEvent = { type: 'epoch' } & LoopEpoch;
export type DoneEvent = { type: 'done' } & LoopResult;

export interface ErrorEvent {
  type: 'error';
  code: TrainErrorCode | string;
  message: string;
  epoch?: number;
  step?: number;
}

/** The run's cache of a frozen backbone's features (`LoopHooks.onFeatureCache`), with its line (`featureCacheMessage`). */
export type FeaturesEvent = { type: 'features'; message: string } & FeatureCacheStatus;

/** A GPU run's training split on the device or not (`LoopHooks.onResidentData`), with its line (`residentDataMessage`). */
export type ResidentDataEvent = { type: 'resident-data'; message: string } & ResidentStatus;

export type TrainerEvent = ProgressEvent | EpochEvent | DoneEvent | ErrorEvent | FeaturesEvent | ResidentDataEvent;

/** Weights, buffers and optimizer state at the end of an epoch (or, with `batch`, within one), held in memory. */
export interface Checkpoint {
  epoch: number;
  step: number;
  /**
   * Batches of `epoch` trained when it was taken, when fewer than the epoch has (a snapshot
   * within the epoch: the divergence guard's, or a GPU run's); absent at an epoch's end. A run
   * resumed from it trains on from batch `batch` of `epoch`.
   */
  batch?: number;
  /** Keyed `nodeId.name`. Copies, not views. */
  params: Record<string, Float32Array>;
  buffers: Record<string, Float32Array>;
  /** The (first) optimizer group's state. */
  optimizer: OptimizerState;
  schedule: ScheduleState;
  /** Every group's state, in step order, when the graph has `training.groups`. */
  groups?: { name: string; optimizer: OptimizerState; schedule: ScheduleState }[];
  metrics: { train?: MetricValues; val?: MetricValues };
  /** What the loop's stateful hooks kept when it was taken, by hook name (`LoopHooks.state`): early stopping's patience and best value. */
  hooks?: Record<string, unknown>;
  /**
   * Where the run's random streams stood when it was taken, by name (`RUN_STREAMS`,
   * core/train/run-streams.ts): the graph's (Noise, Dropout) and the input transform's and
   * augmentation's. Absent in checkpoints written before they were kept: a run resumed from one
   * draws those streams afresh from the seed.
   */
  random?: Record<string, RngState>;
}
