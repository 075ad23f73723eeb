import type { Backend } from '../backend/types';
import { BatchFeeder, featureSize, isStreamed, targetSize } from '../data';
import type { PreparedData, Samples } from '../data';
import { resolveGroups, type ResolvedGroup } from '../../base/ir/training';
import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import { METRIC_NAMES, MetricAccumulator } from '../metrics';
import type { MetricValues } from '../metrics';
import { clipGradNorm, clipGradValue, createOptimizer, createSchedule, stepsPerBatchByDefault } from '../optim';
import type { Optimizer, Schedule } from '../optim';
import { Rng } from '../../base/rng';
import { checkedOrThrow, type CheckedGraph } from '../analysis/checked';
import { bindGraph, checkBinding, type GraphBinding } from './binding';
import { idRangeProblem } from '../analysis/id-ranges';
import { RunControl } from './control';
import type { Checkpoint, CompileFn, DeviceCapture, DeviceSamples, FeatureCacheStatus, FeatureSpill, LoopResult, ResidentStatus, SampleRows, StepGroup, StepPhases, TrainableGraph } from './types';
import { TrainError } from './types';
import { taskOf } from '../../catalog/tasks';
import { combineHooks, hookStates, loadHookStates, type LoopHooks, type StepContext, type StepVerdict } from './hooks';
import type { LoopView } from './loop-view';
import { checkFits, copyCheckpointInto } from './loop-checkpoints';
import { loadStreamStates, streamStates, type StreamOwners } from './run-streams';
import { drawnPerStep, FEATURE_CACHE_BYTES, FeatureCache, frozenPrefix, type FrozenPrefix } from './feature-cache';
import { BestWatch, EtaClock, SkipTracker, parseMonitor, type EpochMetrics, type LoopRun, type StepState } from './run-state';

/** What a GPU run may keep of its training split on the device by default (`residentData`): 1 GiB, the feature cache's budget. */
export const RESIDENT_BYTES = FEATURE_CACHE_BYTES;

export interface TrainingLoopOptions<P extends TrainableGraph = TrainableGraph> {
  /** Compiles the graph for the batch size (the executor's `compileGraph`); called once. */
  compile: CompileFn<P>;
  /** The hook objects, called in this order (a verdict: the strictest wins; see `combineHooks`). */
  hooks?: readonly LoopHooks<P>[];
  /** Settings that replace the graph's (CLI flags, the app's overrides, sanity checks). */
  overrides?: Partial<TrainingConfig>;
  /** Visit the training samples in a fresh random order each epoch (default true). */
  shuffle?: boolean;
  /** End after this many optimizer steps (sanity checks). */
  maxSteps?: number;
  /** Evaluate the validation split each epoch (default true when it has samples). */
  validate?: boolean;
  /** Evaluate the test split at the end (default true when it has samples and the run was not stopped). */
  test?: boolean;
  /**
   * Evaluate the test split after a stop too, on the weights at the stop (default false): the app
   * does, so a run stopped early still has test figures to compare.
   */
  testWhenStopped?: boolean;
  /**
   * Which epoch-end checkpoints the loop keeps in memory, each a full copy of the weights and
   * optimizer state: `true` (default) the latest epoch's and the best one (`last`, `best`);
   * `'best'` only the best (what early stopping puts back at the end); `false` none. A hook that
   * writes them out takes `view()` in `afterEpoch` instead (the app's run recorder): no copy.
   */
  checkpoints?: boolean | 'best';
  /**
   * Continue from a checkpoint of the same graph (a crashed or stopped run, more epochs of a
   * finished one, or a GPU run's snapshot after its device was lost): its weights, buffers,
   * optimizer and schedule state are restored, the step count goes on from `ck.step`, and
   * training starts at epoch `ck.epoch + 1` — or, from a checkpoint within an epoch (`ck.batch`),
   * at batch `ck.batch` of epoch `ck.epoch`. The shuffle order is replayed for the epochs done, so
   * without dropout or data augmentation the weights follow the uninterrupted run bit for bit
   * (test/unit/engine/train/resume.test.ts). The stateful hooks get back what they kept
   * (`ck.hooks`: early stopping's patience count and best value go on). Not restored: dropout's
   * random stream, the augmentation stream, which epoch is the best one (the run's own best
   * checkpoint is of its own epochs), and, within an epoch, the training metrics of its batches before `ck.batch` (that epoch's
   * train figures cover the batches after it). A checkpoint taken after an epoch's last batch but
   * before its end has `batch` equal to the epoch's batches: the resumed run ends that epoch
   * (validation, the per-epoch schedule step) before the next. Throws `E_RUN_CHECKPOINT_MISMATCH` when the
   * checkpoint does not fit the graph.
   */
  resumeFrom?: Checkpoint;
  /** Give the host's event loop a turn (default: a zero-delay timer). */
  yieldToHost?: () => Promise<void>;
  /** Yield when this many ms passed since the last yield (default 10). */
  yieldEveryMs?: number;
  /** Minimum ms between progress reports (default 200). */
  progressEveryMs?: number;
  /**
   * Compute a frozen backbone's outputs once per sample and train the layers after it on them
   * (core/train/feature-cache.ts; default true): the same losses, bit for bit, without running the
   * frozen layers every epoch. `false` runs them every step (the comparison in the tests).
   */
  featureCache?: boolean;
  /** The bytes that cache may keep in memory (default FEATURE_CACHE_BYTES, 1 GiB); past it, in `featureSpill`'s file, else no cache (and the hooks are told why). */
  featureCacheBytes?: number;
  /** Where a feature cache past `featureCacheBytes` is kept (the host's: node/feature-spill.ts, a file in the OS's temporary folder). */
  featureSpill?: FeatureSpill;
  /**
   * On a device plan that can (`DeviceStep.holdSamples`), keep the training split on the device
   * and gather each batch there (default true) where the split is in memory, nothing is drawn per
   * step (`drawnPerStep`), the run trains at least an epoch's batches and the split fits
   * `residentBytes`: the same bits land in the inputs. `false` uploads every batch (the comparison in the tests and the bench).
   */
  residentData?: boolean;
  /** The bytes a device may keep for it (default RESIDENT_BYTES, 1 GiB); past it every batch is uploaded, and the hooks are told why. */
  residentBytes?: number;
  /**
   * On a device plan that can (`DeviceStep.lendInput`), have the feeder write an uploaded batch's
   * features straight into a staging buffer mapped for writing, not into the host's input and
   * then copied there (default true): the same bits land in the inputs. `false` for the comparison in the tests.
   */
  lendInputs?: boolean;
  /**
   * An error the host goes on from in another loop (a session's lost GPU, continued on the CPU):
   * `run` rejects with it as it is, without the hooks' `onError` nor the control's `failed`.
   */
  recoverable?: (error: unknown) => boolean;
  /** Training time of the run's earlier loops (before a lost device), counted in the result's `seconds`. */
  secondsBefore?: number;
}

/** One optimizer group at run time: what a plan's `trainStep` runs (`StepGroup`), with its optimizer and schedule. */
export interface GroupRuntime extends StepGroup {
  readonly spec: ResolvedGroup;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  readonly params: TrainableGraph['params'];
  /** Whether the schedule steps per optimizer step (else per epoch). */
  readonly perStep: boolean;
}

/**
 * The one training loop: every run — the CLI's `npm run train`, the app's sessions, the sanity
 * check — is a configuration of it. It owns the recipe: per-epoch shuffling, batches (the last
 * one partial), optimizer groups stepped in order (one group unless `training.groups`), the
 * schedule, gradient clipping, validation every epoch, early stopping, best/last checkpoints,
 * and a final test in eval mode. Hooks see each step between forward, backward and update; the
 * run control (`control`) pauses, resumes, single-steps, stops and changes the learning rate.
 *
 * Runtime-neutral and cooperative: `run()` yields to the event loop every few milliseconds.
 * With the same graph, data, seed and backend the weights are identical bit for bit, whichever
 * configuration runs them (test/unit/engine/train/loop-identity.test.ts).
 *
 * @example
 * ```ts
 * const loop = new TrainingLoop(graph, data, backend, {
 *   compile: compileGraph,
 *   hooks: [{ onProgress: (p) => console.log(p.step, p.loss) }],
 * });
 * const result = await loop.run();
 * console.log(result.test?.accuracy);
 * ```
 */
export class TrainingLoop<P extends TrainableGraph = TrainableGraph> implements LoopView<P> {
  readonly config: TrainingConfig;
  /** The graph as checked once (`checkGraph`), with the run's settings: what compile and the binding take. */
  readonly checked: CheckedGraph;
  /** Its IR (defaults filled). */
  readonly graph: GraphIR;
  /** The plan for the configured batch size; every other size shares its weights. */
  readonly plan: P;
  readonly binding: GraphBinding;
  readonly stepsPerEpoch: number;
  readonly control: RunControl;
  /** The optimizer groups, in step order. */
  readonly groups: readonly GroupRuntime[];
  /** Whether the graph has `training.groups`. */
  private readonly grouped: boolean;
  /** With groups: the distinct loss nodes the groups minimise (what every reported loss sums). */
  private readonly reportedLosses: string[] = [];
  /** Per group: its losses that no earlier group minimises. */
  private readonly reportedFrom: string[][] = [];
  private bestCheckpoint: Checkpoint | null = null;
  /** The frozen backbone's outputs per training sample, once computed (`prepareFeatureCache`). */
  private featureCache: FeatureCache | null = null;
  /** The validation split's, beside it (`validationFeatures`): every epoch evaluates those samples through the same frozen layers. */
  private valFeatures: FeatureCache | null = null;
  /** The training split kept on the device, once uploaded (`prepareResidentData`): each batch is gathered there. */
  private resident: DeviceSamples | null = null;
  private lastCheckpoint: Checkpoint | null = null;
  private steps = 0;
  private epochNow = 0;
  /** Batches of the epoch in progress trained so far (what a checkpoint within an epoch records). */
  private batchesDone = 0;
  /** Between an epoch's start and its per-epoch schedule step: a checkpoint now is one within the epoch. */
  private epochOpen = false;
  private readonly hooks: LoopHooks<P>;
  /** The epochs' best and early stopping, then the hooks: what a checkpoint's `hooks` keeps (`LoopHooks.state`). */
  private readonly watch: BestWatch;
  private readonly stateful: readonly LoopHooks<P>[];
  /** The plan's random stream and, once the run has started, its transform stream: where a checkpoint says they stood (`RUN_STREAMS`). */
  private readonly streams: StreamOwners;
  /** `options.resumeFrom` until the run has restored it (then let go: no second copy of the state kept for the run). */
  private resumeFrom: Checkpoint | undefined;
  private readonly options: TrainingLoopOptions<P>;

  /** A graph not yet checked is checked here (GraphError on errors); a `CheckedGraph` is taken as it is. */
  constructor(
    graph: CheckedGraph | GraphIR,
    readonly data: PreparedData<Samples>,
    readonly backend: Backend,
    { resumeFrom, ...options }: TrainingLoopOptions<P>,
  ) {
    this.options = options;
    this.resumeFrom = resumeFrom;
    if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
    this.config = { ...graph.training, ...stripUndefined(options.overrides ?? {}) };
    checkConfig(this.config);
    this.checked = checkedOrThrow(graph).withTraining(this.config);
    this.graph = this.checked.ir;
    this.hooks = combineHooks(options.hooks ?? []);
    this.watch = new BestWatch(this.config);
    this.stateful = [this.watch, ...(options.hooks ?? [])];
    // A frozen prefix's activations are not kept: nothing reads them after its forward but the
    // probes, which ask for them first (CompileOptions.shareFrozenActivations).
    this.plan = options.compile(this.checked, { batchSize: this.config.batchSize, backend, seed: this.config.seed, shareFrozenActivations: true });
    this.binding = checkBinding(bindGraph(this.checked), data);
    // Ids past an Embedding's or OneHot's table, found on the data before the first step (#83).
    const ids = idRangeProblem(this.graph, [data.train, data.val, data.test], data.target === 'label');
    if (ids) throw new TrainError('E_ID_RANGE', ids);
    this.streams = { plan: this.plan, transform: null };
    this.stepsPerEpoch = Math.ceil(data.train.count / this.config.batchSize);
    this.control = new RunControl({
      ...(options.yieldToHost ? { yieldToHost: options.yieldToHost } : {}),
      ...(options.yieldEveryMs !== undefined ? { yieldEveryMs: options.yieldEveryMs } : {}),
      onState: (s) => this.hooks.onState?.(s),
      onRestore: () => this.hooks.onRestore?.(),
      onLearningRate: (lr) => this.hooks.onLearningRate?.(lr),
    });
    this.groups = this.createGroups();
    this.grouped = (this.config.groups?.length ?? 0) > 0;
    for (const g of this.groups) {
      const fresh = g.spec.loss.filter((id) => !this.reportedLosses.includes(id));
      this.reportedLosses.push(...fresh);
      this.reportedFrom.push(fresh);
    }
    this.control.setLrBase(() => this.groups[0].schedule.lr);
    // Where a resumed run stands before it starts (its state events say so).
    if (resumeFrom) {
      this.steps = resumeFrom.step;
      this.epochNow = resumeFrom.epoch;
    }
    for (const h of options.hooks ?? []) h.setup?.(this);
  }

  /** Optimizer steps applied so far. */
  get step(): number {
    return this.steps;
  }

  /** The epoch in progress (1-based; 0 before the first). */
  get epoch(): number {
    return this.epochNow;
  }

  /** The best checkpoint so far (by the early-stopping metric, else validation loss); null unless kept (`checkpoints`). */
  get best(): Checkpoint | null {
    return this.bestCheckpoint;
  }

  /** The checkpoint at the end of the latest epoch; null unless kept (`checkpoints: true`). */
  get last(): Checkpoint | null {
    return this.lastCheckpoint;
  }

  /** The learning rate the next step of the first group uses (schedule × the control's factor). */
  get lr(): number {
    return this.groups[0].schedule.lr * this.control.lrFactor;
  }

  /** The plan for `count` samples (the configured batch's plan, or one sharing its weights). */
  planFor(count: number): P {
    // NOTE: a plan's other sizes are plans of its own kind (`CompiledGraph.withBatchSize` answers a
    // `CompiledGraph`), which `TrainableGraph`'s signature cannot say: the one cast that spares the hooks theirs.
    return count === this.plan.batchSize ? this.plan : (this.plan.withBatchSize(count) as P);
  }

  /**
   * Train until done or stopped: the hooks' `onEnd`, then the control's `done`. A failed step
   * (TrainError and others) goes to the hooks' `onError`, the control is `failed`, and `run`
   * rejects with it (an error `recoverable` says the host goes on from: only the rejection).
   */
  async run(): Promise<LoopResult> {
    let result: LoopResult;
    try {
      result = await this.train();
    } catch (e) {
      if (this.options.recoverable?.(e)) throw e;
      const err = e as { code?: unknown; message?: unknown };
      this.hooks.onError?.({ code: typeof err?.code === 'string' ? err.code : 'TRAIN_INTERNAL', message: String(err?.message ?? e), error: e });
      this.control.finish('failed');
      throw e;
    }
    this.hooks.onEnd?.(result);
    this.control.finish('done');
    return result;
  }

  /** The run's epochs and its end (`run`, which tells the hooks how it ended). */
  private async train(): Promise<LoopResult> {
    if (this.resumeFrom) this.checkFits(this.resumeFrom);
    const run = this.startRun();
    const watch = this.watch;
    // Streamed splits: skips while reading are reported with the epoch they happened in.
    const skips = new SkipTracker([this.data.train, this.data.val, this.data.test]);
    let reason: LoopResult['reason'] = 'completed';
    try {
      if (!(await this.prepareFeatureCache(run))) reason = 'stopped';
      else await this.prepareResidentData(run);
      // The ETA counts from here: the feature cache and the upload are done once, not per step.
      run.eta.start(performance.now(), this.control.pausedMs, this.steps);
      for (let epoch = run.firstEpoch; reason === 'completed' && epoch <= this.config.epochs; epoch++) {
        const trained = await this.trainEpoch(run, epoch, epoch === run.firstEpoch ? run.firstBatch : 0);
        if (trained === 'stopped') reason = 'stopped';
        if (trained !== 'done') break;
        run.epochsRun = epoch;
        const endStart = performance.now();
        const ended = await this.endEpoch(run, watch, skips, epoch);
        run.eta.epochEnded((performance.now() - endStart) / 1000);
        if (ended) {
          reason = ended;
          break;
        }
      }
      return await this.finish(run, watch, skips, reason);
    } finally {
      this.featureCache?.close();
      this.featureCache = null;
      this.valFeatures?.close();
      this.valFeatures = null;
      this.resident?.close();
      this.resident = null;
      for (const g of this.groups) g.fed = undefined;
    }
  }

  /** The run's state before its first step: data order, feeder, metrics, the hooks' context; a resumed run restored and its shuffles replayed. */
  private startRun(): LoopRun<P> {
    const c = this.config;
    const order = new Int32Array(this.data.train.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const t0 = performance.now();
    // One context object for the whole run, refilled for each hook call: no allocation per step.
    const ctx: StepContext<P> = { epoch: 0, batch: 0, stepsPerEpoch: this.stepsPerEpoch, step: 0, graph: this.plan, group: 0, loss: 0, count: 0 };
    const step: StepState = { verdict: 'ok', capture: undefined, part: undefined };
    const run: LoopRun<P> = {
      t0,
      order,
      shuffleRng: new Rng((c.seed ^ 0x51f7e) >>> 0),
      transformRng: new Rng((c.seed ^ 0x7a5f0) >>> 0),
      feeder: new BatchFeeder(this.data.train, { transform: this.data.transform, target: this.data.target, ...(this.data.augment ? { augment: this.data.augment } : {}) }),
      trainMetrics: new MetricAccumulator(c.metrics, this.binding.metricTarget),
      // The batch's own metrics, for the per-step curves (the confusion matrix stays per epoch).
      batchMetrics: new MetricAccumulator(c.metrics.filter((m) => m !== 'confusion'), this.binding.metricTarget),
      groupLosses: this.grouped ? Object.fromEntries(this.groups.map((g) => [g.spec.name, NaN])) : undefined,
      ctx,
      step,
      phases: this.stepPhases(ctx, step),
      maxSteps: this.options.maxSteps ?? Infinity,
      totalSteps: Math.min(this.stepsPerEpoch * c.epochs, this.options.maxSteps ?? Infinity),
      lastProgress: t0,
      samplesSinceProgress: 0,
      epochStart: t0,
      batchLoss: 0,
      lossSum: 0,
      lossCount: 0,
      firstEpoch: 1,
      firstBatch: 0,
      epochsRun: 0,
      eta: new EtaClock(),
    };
    this.streams.transform = run.transformRng;
    const resume = this.resumeFrom;
    if (resume) {
      this.restore(resume);
      // Noise, Dropout and the transforms draw on from where the checkpoint was taken (an older one's from the seed).
      loadStreamStates(this.streams, resume.random);
      loadHookStates(this.stateful, resume.hooks);
      this.resumeFrom = undefined;
      this.steps = resume.step;
      // Within an epoch: its remaining batches, then its end (validation, schedule, checkpoint).
      const within = resume.batch !== undefined;
      run.firstEpoch = within ? resume.epoch : resume.epoch + 1;
      run.firstBatch = resume.batch ?? 0;
      run.epochsRun = run.firstEpoch - 1;
      // The shuffle stream is a pure function of the seed: replay the epochs already trained.
      if (this.options.shuffle ?? true) for (let e = 1; e < run.firstEpoch; e++) run.shuffleRng.shuffle(order);
    }
    return run;
  }

  /**
   * What the plan's `trainStep` calls between its phases (one object for the run: no allocation
   * per step). `step.verdict` is the step's; `capture` what a hook asked the device to measure
   * at group 0's update, `part` the share of it this group's update takes.
   */
  private stepPhases(ctx: StepContext<P>, step: StepState): StepPhases {
    const hooks = this.hooks;
    const groups = this.groups.length;
    return {
      afterForward(loss) {
        ctx.loss = loss;
        return (step.verdict = hooks.afterForward?.(ctx) ?? 'ok');
      },
      afterBackward() {
        return (step.verdict = hooks.afterBackward?.(ctx) ?? 'ok');
      },
      beforeUpdate() {
        const asked = hooks.beforeUpdate?.(ctx) ?? undefined;
        if (ctx.group === 0) step.capture = asked;
        step.part = step.capture && groups > 1 ? capturePart(step.capture, ctx.group, groups) : step.capture;
        return step.part;
      },
    };
  }

  /** The hooks' context for the step in progress (the run's one object, refilled). */
  private setContext(run: LoopRun<P>, epoch: number, batch: number, graph: P, group: number, loss: number, count: number): StepContext<P> {
    const ctx = run.ctx;
    ctx.epoch = epoch;
    ctx.batch = batch;
    ctx.step = this.steps;
    ctx.graph = graph;
    ctx.group = group;
    ctx.loss = loss;
    ctx.count = count;
    return ctx;
  }

  /**
   * The batches of `epoch` from `from`: `done` after its last one, `stopped` when the run control
   * stopped it, `ended` when the step limit was reached or a hook's verdict ended the run.
   */
  private async trainEpoch(run: LoopRun<P>, epoch: number, from: number): Promise<'done' | 'stopped' | 'ended'> {
    this.epochNow = epoch;
    run.epochStart = performance.now();
    if (this.options.shuffle ?? true) run.shuffleRng.shuffle(run.order);
    run.trainMetrics.reset();
    run.lossSum = 0;
    run.lossCount = 0;
    this.batchesDone = from;
    this.epochOpen = true;
    for (let s = from; s < this.stepsPerEpoch; s++) {
      if (this.steps >= run.maxSteps) return 'ended';
      if (!(await this.control.gate())) return 'stopped';
      if (this.control.resumedAt > run.lastProgress) {
        // Throughput counts from the moment the run woke up, not across the pause.
        run.lastProgress = this.control.resumedAt;
        run.samplesSinceProgress = 0;
      }
      const verdict = await this.trainBatch(run, epoch, s);
      if (verdict === 'stop') return 'ended';
      if (verdict === 'retry') {
        s--; // the hook paused the run (a divergence); this batch runs again when it resumes
        continue;
      }
      const after = this.afterStep(run);
      if (after) await after;
      this.reportProgress(run, epoch, s);
    }
    return 'done';
  }

  /** Batch `s`: its samples into the plan, then each optimizer group's step. Counts the step unless a hook's verdict rejected it. */
  private async trainBatch(run: LoopRun<P>, epoch: number, s: number): Promise<StepVerdict> {
    const bs = this.config.batchSize;
    const start = s * bs;
    const count = Math.min(bs, this.data.train.count - start);
    const gb = this.planFor(count);
    const x = gb.input(this.binding.featureInput).data;
    const y = this.binding.targetInput ? gb.input(this.binding.targetInput).data : null;
    if (this.resident) {
      // The device gathers the batch; the host keeps its targets, for the metrics.
      if (y) run.feeder.fillTargets(run.order, start, count, y);
      this.resident.feed(gb, run.order, start, count);
    } else {
      // A streamed set: this batch decoded (and the next ones started) before it is read.
      const loading = run.feeder.ready(run.order, start, count, bs);
      if (loading) await loading;
      // A device plan may lend a mapped staging buffer for the features: filled there, not copied
      // (only by a feeder that writes them without reading them back: mapped memory may be slow to read).
      const lent = this.options.lendInputs === false || !run.feeder.writesOnly ? null : gb.device?.lendInput?.(this.binding.featureInput);
      run.feeder.fill(run.order, start, count, lent ?? x, y, run.transformRng);
    }
    this.featureCache?.feed(gb, run.order, start, count);
    const step = run.step;
    let loss = 0;
    step.verdict = 'ok'; // set by the phases
    step.capture = undefined;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const g = this.groups[gi];
      this.setContext(run, epoch, s, gb, gi, NaN, count);
      step.part = undefined;
      const gLoss = await gb.trainStep(g, g.schedule.lr * this.control.lrFactor, run.phases);
      // Set by the phases: a share of the step's capture (several groups) adds to the whole.
      const took = step.part as DeviceCapture | undefined;
      const whole = step.capture as DeviceCapture | undefined;
      if (took && whole && took !== whole) {
        whole.readbackMs = (whole.readbackMs ?? 0) + (took.readbackMs ?? 0);
        if (took.figures) whole.figures = took.figures;
      }
      if (step.verdict !== 'ok') break;
      if (g.perStep) g.schedule.step();
      if (run.groupLosses) {
        run.groupLosses[g.spec.name] = gLoss;
        // A loss node several groups minimise counts once, at the first group's forward.
        for (const id of this.reportedFrom[gi]) loss += gb.output(id).data[0];
      } else loss += gLoss;
    }
    if (step.verdict !== 'ok') return step.verdict;
    this.steps++;
    this.batchesDone = s + 1;
    run.lossSum += loss;
    run.lossCount++;
    run.batchLoss = loss;
    const prediction = gb.output(this.binding.predictionNode).data;
    run.trainMetrics.add(count, loss, prediction, y);
    run.batchMetrics.reset();
    run.batchMetrics.add(count, loss, prediction, y);
    run.samplesSinceProgress += count;
    this.setContext(run, epoch, s, gb, this.groups.length - 1, loss, count);
    return 'ok';
  }

  /**
   * A frozen backbone's outputs computed once per training sample (`frozenPrefix`, `FeatureCache`),
   * where the graph freezes one that is deterministic, the run trains more than one epoch's
   * batches on a host plan and the cache fits `featureCacheBytes`; the hooks are told of its
   * progress, its size, or why there is none. Answers false when the run was stopped meanwhile.
   */
  private async prepareFeatureCache(run: LoopRun<P>): Promise<boolean> {
    if (this.options.featureCache === false || this.data.train.count === 0) return true;
    const found = frozenPrefix(this.graph, this.binding.featureInput, this.data, this.config, this.plan);
    if (!found) return true;
    const say = (s: FeatureCacheStatus) => this.hooks.onFeatureCache?.(s);
    if ('state' in found) {
      say(found);
      return true;
    }
    const samples = this.data.train.count;
    const batches = Math.min(run.maxSteps - this.steps, this.stepsPerEpoch * (this.config.epochs - run.firstEpoch + 1) - run.firstBatch);
    const bytes = FeatureCache.bytes(found, this.plan, samples);
    const budget = this.options.featureCacheBytes ?? FEATURE_CACHE_BYTES;
    const mib = (b: number) => `${Math.ceil(b / 2 ** 20)} MiB`;
    if (this.plan.device) say({ state: 'off', code: 'FEATURES_DEVICE', reason: 'the GPU runs the frozen layers every step (the CPU trainer caches their outputs)' });
    else if (batches <= this.stepsPerEpoch) say({ state: 'off', code: 'FEATURES_ONE_EPOCH', reason: 'the run sees each sample at most once, so the frozen layers run once per sample anyway' });
    else if (bytes > budget && !this.options.featureSpill) say({ state: 'off', code: 'FEATURES_OVER_BUDGET', reason: `their outputs for ${samples} samples take ${mib(bytes)}, over the ${mib(budget)} the cache may hold` });
    else {
      const t0 = performance.now();
      let last = -Infinity;
      const turn = async (done: number): Promise<boolean> => {
        if (this.control.state === 'stopping') return false;
        const now = performance.now();
        if (now - last >= (this.options.progressEveryMs ?? 200) || done === samples) {
          last = now;
          say({ state: 'computing', done, samples });
        }
        await this.control.maybeYield();
        return true;
      };
      const spill = bytes > budget ? this.options.featureSpill : undefined;
      const cache = await FeatureCache.compute(found, this.data, this.binding.featureInput, (n) => this.planFor(n), this.config.batchSize, turn, spill);
      if (!cache) return false;
      this.featureCache = cache;
      if (!(await this.validationFeatures(found, cache.onDisk ? 0 : budget - bytes))) return false;
      for (const g of this.groups) g.fed = found.boundary;
      // Throughput counts the steps' time, not the cache's.
      run.lastProgress = performance.now();
      say({ state: 'ready', samples, bytes: cache.bytes, boundary: found.boundary, seconds: (performance.now() - t0) / 1000, ...(cache.onDisk ? { onDisk: true } : {}) });
    }
    return true;
  }

  /**
   * The frozen prefix's outputs for the validation split too, in memory within `room` bytes (what
   * the training split's cache left of the budget), for `evaluate`: in eval mode this prefix
   * computes what it computes in training (it draws nothing, its BatchNorms run on their running
   * statistics), so each epoch's validation runs the trained part alone, to the same figures.
   * Answers false when the run was stopped meanwhile.
   */
  private async validationFeatures(prefix: FrozenPrefix, room: number): Promise<boolean> {
    const val = this.data.val;
    if (this.options.validate === false || val.count === 0 || FeatureCache.bytes(prefix, this.plan, val.count) > room) return true;
    const turn = async (): Promise<boolean> => {
      await this.control.maybeYield();
      return this.control.state !== 'stopping';
    };
    this.valFeatures = await FeatureCache.compute(prefix, { ...this.data, train: val }, this.binding.featureInput, (n) => this.planFor(n), this.config.batchSize, turn);
    return this.valFeatures !== null;
  }

  /**
   * A device plan's training split kept on the device (`DeviceStep.holdSamples`), where it is in
   * memory, each sample's features and targets are its own whatever the step (`drawnPerStep`, the
   * feature cache's test), the run trains at least an epoch's batches, and it fits `residentBytes`
   * and the device; the hooks are told its size or why not. Not asked of a host plan.
   */
  private async prepareResidentData(run: LoopRun<P>): Promise<void> {
    const device = this.plan.device;
    const train = this.data.train;
    if (!device?.holdSamples || this.options.residentData === false || train.count === 0) return;
    const say = (s: ResidentStatus) => this.hooks.onResidentData?.(s);
    const random = drawnPerStep(this.data);
    const batches = Math.min(run.maxSteps - this.steps, this.stepsPerEpoch * (this.config.epochs - run.firstEpoch + 1) - run.firstBatch);
    if (isStreamed(train)) return say({ state: 'off', code: 'RESIDENT_STREAMED', reason: `${train.name} is read from disk batch by batch (larger than its memory budget)` });
    if (random) return say({ state: 'off', code: 'RESIDENT_RANDOM', reason: `${random} in every step` });
    if (batches < this.stepsPerEpoch) return say({ state: 'off', code: 'RESIDENT_FEW_STEPS', reason: `the run trains ${batches} of an epoch's ${this.stepsPerEpoch} batches: uploading them costs less than the whole split` });
    const fs = featureSize(train);
    const rows: SampleRows[] = [{ input: this.binding.featureInput, values: train.features, size: fs }];
    const target = this.binding.targetInput;
    if (target) rows.push(this.data.target === 'features' ? { input: target, values: train.features, size: fs } : { input: target, values: train.targets, size: targetSize(train) });
    const t0 = performance.now();
    const held = await device.holdSamples(rows, this.options.residentBytes ?? RESIDENT_BYTES);
    if ('state' in held) return say(held);
    this.resident = held;
    run.lastProgress = performance.now();
    say({ state: 'ready', samples: train.count, bytes: held.bytes, seconds: (performance.now() - t0) / 1000 });
  }

  /** The hooks' `afterStep` for the step just counted (its context set by `trainBatch`), with the batch's metrics and groups' losses. */
  private afterStep(run: LoopRun<P>): void | Promise<void> {
    const ctx = run.ctx;
    ctx.metrics = scalarMetrics(run.batchMetrics.result());
    ctx.groupLosses = run.groupLosses;
    const after = this.hooks.afterStep?.(ctx);
    ctx.metrics = ctx.groupLosses = undefined;
    return after;
  }

  /** `onProgress`, when `progressEveryMs` passed since the last report, at the epoch's last batch, and for a single step. */
  private reportProgress(run: LoopRun<P>, epoch: number, s: number): void {
    const now = performance.now();
    const single = this.control.singleStepping;
    if (!(now - run.lastProgress >= (this.options.progressEveryMs ?? 200) || s === this.stepsPerEpoch - 1 || single)) return;
    this.hooks.onProgress?.({
      epoch,
      epochs: this.config.epochs,
      step: this.steps,
      stepInEpoch: s + 1,
      stepsPerEpoch: this.stepsPerEpoch,
      loss: run.lossSum / run.lossCount,
      metrics: scalarMetrics(run.trainMetrics.result()),
      batchLoss: run.batchLoss,
      ...(run.groupLosses ? { groupLosses: { ...run.groupLosses } } : {}),
      lr: this.lr,
      samplesPerSec: run.samplesSinceProgress / Math.max(1e-9, (now - run.lastProgress) / 1000),
      // The current epoch's end is still to come, and each later one's.
      etaSeconds: run.eta.seconds(now, this.control.pausedMs, this.steps, run.totalSteps, this.config.epochs - epoch + 1),
      single,
    });
    run.lastProgress = now;
    run.samplesSinceProgress = 0;
  }

  /**
   * An epoch's end: validation, the per-epoch schedule step, early stopping, the last and best
   * checkpoints, `afterEpoch`. Answers why the run ends here, or null to go on.
   */
  private async endEpoch(run: LoopRun<P>, watch: BestWatch, skips: SkipTracker, epoch: number): Promise<LoopResult['reason'] | null> {
    const trainValues = run.trainMetrics.result();
    const validate = (this.options.validate ?? true) && this.data.val.count > 0;
    const val = validate ? await this.evaluate(this.data.val) : undefined;
    if (val === null) return 'stopped';
    if (val) this.hooks.onEvaluation?.('val', val);
    for (const g of this.groups) if (!g.perStep) g.schedule.step(val?.loss ?? trainValues.loss);
    this.epochOpen = false;
    const metrics = { train: trainValues, ...(val ? { val } : {}) };
    const { best, stop } = watch.update(metrics);
    await this.keepCheckpoints(metrics, best);
    const dataSkipped = skips.newSkips();
    const hookSays = this.hooks.afterEpoch?.({
      epoch,
      epochs: this.config.epochs,
      step: this.steps,
      train: trainValues,
      ...(val ? { val } : {}),
      lr: this.lr,
      seconds: (performance.now() - run.epochStart) / 1000,
      best,
      ...(dataSkipped ? { dataSkipped } : {}),
    });
    if (stop) return 'early-stopping';
    if (hookSays === 'stop' || this.control.state === 'stopping') return 'stopped';
    return null;
  }

  /**
   * The epoch's checkpoints as `checkpoints` keeps them: the last one (and the best, when `best`),
   * or only the best. A device plan's state is read back first either way: the hooks' `afterEpoch`
   * reads the weights as they stand (a snapshot, `view()` written out).
   */
  private async keepCheckpoints(metrics: EpochMetrics, best: boolean): Promise<void> {
    await this.sync();
    const keep = this.options.checkpoints ?? true;
    if (keep === true) {
      // Into the previous last checkpoint unless it is also the best one: at most two copies.
      const reuse = this.lastCheckpoint !== this.bestCheckpoint ? (this.lastCheckpoint ?? undefined) : undefined;
      this.lastCheckpoint = this.capture(metrics, reuse);
      if (best) this.bestCheckpoint = this.lastCheckpoint;
    } else if (keep === 'best' && best) this.bestCheckpoint = this.capture(metrics, this.bestCheckpoint ?? undefined);
  }

  /**
   * The run's end: with early stopping, the best epoch's weights back; the test split evaluated
   * (after a stop only with `testWhenStopped`); the result.
   */
  private async finish(run: LoopRun<P>, watch: BestWatch, skips: SkipTracker, reason: LoopResult['reason']): Promise<LoopResult> {
    let evaluatedEpoch = run.epochsRun;
    let ref = watch.last;
    let test: MetricValues | undefined;
    const testing = (this.options.test ?? true) && this.data.test.count > 0;
    if (reason !== 'stopped') {
      const best = this.bestCheckpoint;
      if (watch.early && best && best.epoch !== run.epochsRun) {
        this.restore(best);
        evaluatedEpoch = best.epoch;
        ref = watch.best;
      }
      if (testing) {
        const t = await this.evaluate(this.data.test, false, this.reportAccumulator());
        if (t === null) reason = 'stopped';
        else {
          test = t;
          this.hooks.onEvaluation?.('test', t);
        }
      }
    } else if (this.options.testWhenStopped && testing && this.steps > 0) {
      test = (await this.evaluate(this.data.test, true, this.reportAccumulator())) ?? undefined;
      if (test) this.hooks.onEvaluation?.('test', test);
    }
    await this.sync();
    const dataSkipped = skips.newSkips();
    return {
      ...(dataSkipped ? { dataSkipped } : {}),
      reason,
      epochs: run.epochsRun,
      steps: this.steps,
      seconds: (this.options.secondsBefore ?? 0) + (performance.now() - run.t0 - this.control.pausedMs) / 1000,
      evaluatedEpoch,
      ...(ref?.train ? { train: ref.train } : {}),
      ...(ref?.val ? { val: ref.val } : {}),
      ...(test ? { test } : {}),
    };
  }

  /** The test split's accumulator: the run's metrics and what its task's report holds (`TaskDeclaration.reportMetrics`). */
  private reportAccumulator(): MetricAccumulator {
    return new MetricAccumulator([...new Set([...this.config.metrics, ...taskOf(this.binding.task).reportMetrics])], this.binding.metricTarget);
  }

  /**
   * Metrics of the current weights on `ds` in eval mode (Dropout off, BatchNorm running stats).
   * The transform's noise is drawn from a fixed seed so every evaluation sees the same inputs.
   * Returns null when the run is stopped midway (unless `evenIfStopping`: the test after a stop).
   * `into`: add to this accumulator (several splits measured as one: `evaluateModel`'s `all`).
   */
  async evaluate(ds: Samples, evenIfStopping = false, into?: MetricAccumulator): Promise<MetricValues | null> {
    const c = this.config;
    const bs = c.batchSize;
    const feeder = new BatchFeeder(ds, { transform: this.data.transform, target: this.data.target });
    const acc = into ?? new MetricAccumulator(c.metrics, this.binding.metricTarget);
    const rng = new Rng((c.seed ^ 0xe7a1) >>> 0);
    const order = Int32Array.from({ length: ds.count }, (_, i) => i);
    for (let start = 0; start < ds.count; start += bs) {
      if (this.control.state === 'stopping' && !evenIfStopping) return null;
      await this.control.maybeYield();
      const count = Math.min(bs, ds.count - start);
      const g = this.planFor(count);
      const y = this.binding.targetInput ? g.input(this.binding.targetInput).data : null;
      const loading = feeder.ready(order, start, count, bs);
      if (loading) await loading;
      feeder.fill(order, start, count, g.input(this.binding.featureInput).data, y, rng);
      // `evaluation: 'train'` evaluates as if model.eval() were forgotten (Dropout and BatchNorm in training mode).
      const asTraining = c.evaluation === 'train';
      // The validation split's frozen-prefix outputs, when cached (`validationFeatures`), fed in place of running it.
      const fed = ds === this.data.val ? this.valFeatures : null;
      fed?.feed(g, order, start, count);
      const loss = g.device
        ? await g.device.forward(asTraining)
        : fed
          ? g.forward(asTraining, g.selectLosses(this.reportedLosses, undefined, [this.binding.predictionNode], fed.boundary))
          : this.grouped
            ? g.forward(asTraining, g.selectLosses(this.reportedLosses, undefined, [this.binding.predictionNode]))
            : g.forward(asTraining);
      acc.add(count, loss, g.output(this.binding.predictionNode).data, y);
    }
    return acc.result();
  }

  /**
   * The weights, buffers and optimizer/schedule state now, and where the random streams stand, as
   * a checkpoint. With `into` (a checkpoint of this loop) its arrays are overwritten in place: no
   * tensor is allocated.
   */
  capture(metrics: Checkpoint['metrics'] = {}, into?: Checkpoint): Checkpoint {
    if (!into) return this.snapshot(metrics, (a) => a.slice());
    return copyCheckpointInto(this.snapshot(metrics, (a) => a), into);
  }

  /**
   * The checkpoint of `capture` over the live tensors and optimizer buffers, copying nothing: valid
   * until the next step, for writing out at once (the run store's checkpoints of a large model
   * would otherwise hold a second copy of every weight and moment).
   */
  view(metrics: Checkpoint['metrics'] = {}): Checkpoint {
    return this.snapshot(metrics, (a) => a);
  }

  private snapshot(metrics: Checkpoint['metrics'], take: (a: Float32Array) => Float32Array): Checkpoint {
    const g = this.plan;
    const groupStates = this.groups.map((q) => ({ name: q.spec.name, optimizer: q.optimizer.state(true), schedule: q.schedule.state() }));
    for (const s of groupStates) {
      s.optimizer.slots = Object.fromEntries(Object.entries(s.optimizer.slots).map(([k, bufs]) => [k, Object.fromEntries(Object.entries(bufs).map(([n, b]) => [n, b instanceof Float32Array ? take(b) : b]))]));
    }
    const ck: Checkpoint = {
      epoch: this.epochNow,
      step: this.steps,
      params: Object.fromEntries(g.params.map((p) => [`${p.nodeId}.${p.name}`, take(p.value.data)])),
      buffers: Object.fromEntries(g.buffers.map((b) => [`${b.nodeId}.${b.name}`, take(b.value.data)])),
      optimizer: groupStates[0].optimizer,
      schedule: groupStates[0].schedule,
      metrics,
    };
    if (this.epochOpen) ck.batch = this.batchesDone;
    if (groupStates.length > 1) ck.groups = groupStates;
    const kept = hookStates(this.stateful);
    if (kept) ck.hooks = kept;
    const random = streamStates(this.streams);
    if (random) ck.random = random;
    return ck;
  }

  /**
   * Whether `ck` fits this graph: every parameter and buffer present with its size, and epoch and
   * step whole numbers within this run. Throws `E_RUN_CHECKPOINT_MISMATCH` naming the first misfit.
   */
  checkFits(ck: Checkpoint): void {
    checkFits(ck, this.plan, this.stepsPerEpoch, this.groups.map((q) => q.spec.name));
  }

  /**
   * Copy a checkpoint's parameters, buffers and optimizer/schedule state back. Not its random
   * streams (`Checkpoint.random`): a resumed run takes those at its start; a rollback after a
   * divergence, or the best epoch put back at the end, draws on from where the run is.
   */
  restore(ck: Checkpoint): void {
    const g = this.plan;
    for (const p of g.params) p.value.data.set(ck.params[`${p.nodeId}.${p.name}`]);
    for (const b of g.buffers) b.value.data.set(ck.buffers[`${b.nodeId}.${b.name}`]);
    this.groups.forEach((q, i) => {
      const st = ck.groups?.[i] ?? (i === 0 ? { optimizer: ck.optimizer, schedule: ck.schedule } : null);
      if (!st) return;
      q.optimizer.loadState(st.optimizer);
      q.schedule.loadState(st.schedule);
    });
    g.device?.load(this.groups.map((q) => q.optimizer));
  }

  /**
   * A device plan's weights and optimizer state into the host's (`params`, the optimizer): before
   * a checkpoint, at the end, and for a session's rollback snapshot. Nothing to do on the CPU.
   */
  async sync(): Promise<void> {
    if (this.plan.device) await this.plan.device.sync(this.groups.map((q) => q.optimizer));
  }

  /**
   * Start from other weights (fine-tuning a loaded or imported model): every parameter and buffer
   * whose key (`nodeId.name`) and size match is copied in; the rest keep their initial values.
   * Answers which keys were taken and which of this graph's were not (a replaced head, say).
   */
  warmStart(tensors: Readonly<Record<string, Float32Array>>): { taken: string[]; fresh: string[] } {
    const taken: string[] = [];
    const fresh: string[] = [];
    for (const t of [...this.plan.params, ...this.plan.buffers]) {
      const key = `${t.nodeId}.${t.name}`;
      const src = Object.hasOwn(tensors, key) ? tensors[key] : undefined;
      if (src && src.length === t.value.data.length) {
        t.value.data.set(src);
        taken.push(key);
      } else fresh.push(key);
    }
    this.plan.device?.load(this.groups.map((q) => q.optimizer));
    return { taken, fresh };
  }

  private createGroups(): GroupRuntime[] {
    const c = this.config;
    const grouped = (c.groups?.length ?? 0) > 0;
    return resolveGroups(this.graph, c).map((spec, index) => {
      const params = spec.nodes === null ? this.plan.params : this.plan.params.filter((p) => spec.nodes!.has(p.nodeId));
      const optimizer = createOptimizer(spec.optimizer, params, this.backend);
      const schedule = createSchedule(spec.schedule, spec.optimizer.lr);
      optimizer.lr = schedule.lr;
      const perStep = (c.scheduleUnit ?? (stepsPerBatchByDefault(spec.schedule) ? 'step' : 'epoch')) === 'step';
      const clip = spec.gradClip;
      return {
        spec,
        optimizer,
        schedule,
        params,
        perStep,
        index,
        // Without groups: the plain forward/backward over every loss (the v1 path, bit for bit).
        losses: grouped ? spec.loss : null,
        reads: [this.binding.predictionNode],
        clip() {
          if (clip?.kind === 'norm') clipGradNorm(params, clip.maxNorm);
          else if (clip?.kind === 'value') clipGradValue(params, clip.clipValue);
        },
        update(lr) {
          optimizer.step(lr);
        },
      };
    });
  }
}

/**
 * Group `gi`'s share of a probed step's capture with several groups, as the CPU's probes see the
 * step: the weights before the first group's update (`before`, copied aside on the device where
 * the CPU's `beforeUpdate` hook of group 0 snapshots them; that step reduces nothing), and the
 * figures of the weights and gradients after the last group's step.
 */
function capturePart(capture: DeviceCapture, gi: number, groups: number): DeviceCapture | undefined {
  if (gi === groups - 1) return { grads: capture.grads, bins: capture.bins };
  if (gi === 0 && capture.before) return { grads: [], before: true, bins: 0 };
  return undefined;
}

/** A split's scalar metrics without its loss (accuracy, mse…): what a step reports besides its loss. */
export function scalarMetrics(m: MetricValues): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const [k, v] of Object.entries(m)) if (k !== 'loss' && typeof v === 'number') (out ??= {})[k] = v;
  return out;
}

/** Settings the loop cannot run with, as TrainErrors that say what to change. */
function checkConfig(c: TrainingConfig): void {
  if (!(Number.isInteger(c.batchSize) && c.batchSize > 0)) throw new TrainError('TRAIN_BAD_CONFIG', `Batch size must be a whole number > 0 (got ${c.batchSize}).`);
  if (!(Number.isInteger(c.epochs) && c.epochs >= 0)) throw new TrainError('TRAIN_BAD_CONFIG', `Epochs must be a whole number ≥ 0 (got ${c.epochs}).`);
  const unknown = c.metrics.filter((m) => !(METRIC_NAMES as readonly string[]).includes(m));
  if (unknown.length > 0) {
    throw new TrainError('TRAIN_BAD_CONFIG', `Unknown metric${unknown.length > 1 ? 's' : ''} ${unknown.map((m) => JSON.stringify(m)).join(', ')}; choose from ${METRIC_NAMES.join(', ')}.`);
  }
  if (c.earlyStopping) {
    const { name } = parseMonitor(c.earlyStopping.metric);
    if (name !== 'loss' && !c.metrics.includes(name)) {
      throw new TrainError('TRAIN_BAD_CONFIG', `Early stopping watches "${c.earlyStopping.metric}", but "${name}" is not in training.metrics; add it there or watch "val_loss".`);
    }
  }
}

/** `o` without its undefined entries (so `{ epochs: undefined }` overrides nothing). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
