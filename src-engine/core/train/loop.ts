import type { Backend } from '../backend/types';
import { BatchFeeder } from '../data';
import { isStreamed, type PreparedData, type Samples, type SkippedFile } from '../data';
import { resolveGroups, type ResolvedGroup } from '../../base/ir/training';
import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import { METRIC_NAMES, MetricAccumulator } from '../metrics';
import type { MetricValues } from '../metrics';
import { EarlyStopping, clipGradNorm, clipGradValue, createOptimizer, createSchedule, stepsPerBatchByDefault } from '../optim';
import type { Optimizer, Schedule } from '../optim';
import { Rng } from '../../base/rng';
import { checkedOrThrow, type CheckedGraph } from '../analysis/checked';
import { bindGraph, checkBinding, type GraphBinding } from './binding';
import { RunControl } from './control';
import type { Checkpoint, CompileFn, DeviceCapture, LoopEpoch, LoopResult, StepGroup, StepPhases, TrainableGraph } from './types';
import { TrainError } from './types';
import { combineHooks, type LoopHooks, type StepContext, type StepVerdict } from './hooks';

export interface TrainingLoopOptions {
  /** Compiles the graph for the batch size (the executor's `compileGraph`); called once. */
  compile: CompileFn;
  /** The hook objects, called in this order (a verdict: the strictest wins; see `combineHooks`). */
  hooks?: readonly LoopHooks[];
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
  /** Keep a checkpoint of every epoch's end, and the best one (default true). */
  checkpoints?: boolean;
  /**
   * Continue from a checkpoint of the same graph (a crashed or stopped run, more epochs of a
   * finished one, or a GPU run's snapshot after its device was lost): its weights, buffers,
   * optimizer and schedule state are restored, the step count goes on from `ck.step`, and
   * training starts at epoch `ck.epoch + 1` — or, from a checkpoint within an epoch (`ck.batch`),
   * at batch `ck.batch` of epoch `ck.epoch`. The shuffle order is replayed for the epochs done, so
   * without dropout or data augmentation the weights follow the uninterrupted run bit for bit
   * (test/unit/engine/train/resume.test.ts). Not restored: dropout's random stream, the
   * augmentation stream, early-stopping patience and the best-so-far value (both start afresh),
   * and, within an epoch, the training metrics of its batches before `ck.batch` (that epoch's
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
}

/** Files named in one epoch's `dataSkipped` (the count covers them all). */
const MAX_SKIPS_REPORTED = 50;

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
export class TrainingLoop {
  readonly config: TrainingConfig;
  /** The graph as checked once (`checkGraph`), with the run's settings: what compile and the binding take. */
  readonly checked: CheckedGraph;
  /** Its IR (defaults filled). */
  readonly graph: GraphIR;
  /** The plan for the configured batch size; every other size shares its weights. */
  readonly plan: TrainableGraph;
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
  private lastCheckpoint: Checkpoint | null = null;
  private steps = 0;
  private epochNow = 0;
  /** Batches of the epoch in progress trained so far (what a checkpoint within an epoch records). */
  private batchesDone = 0;
  /** Between an epoch's start and its per-epoch schedule step: a checkpoint now is one within the epoch. */
  private epochOpen = false;
  private readonly hooks: LoopHooks;

  /** A graph not yet checked is checked here (GraphError on errors); a `CheckedGraph` is taken as it is. */
  constructor(
    graph: CheckedGraph | GraphIR,
    readonly data: PreparedData<Samples>,
    readonly backend: Backend,
    private readonly options: TrainingLoopOptions,
  ) {
    if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
    this.config = { ...graph.training, ...stripUndefined(options.overrides ?? {}) };
    checkConfig(this.config);
    this.checked = checkedOrThrow(graph).withTraining(this.config);
    this.graph = this.checked.ir;
    this.hooks = combineHooks(options.hooks ?? []);
    this.plan = options.compile(this.checked, { batchSize: this.config.batchSize, backend, seed: this.config.seed });
    this.binding = checkBinding(bindGraph(this.checked), data);
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
    if (options.resumeFrom) {
      this.steps = options.resumeFrom.step;
      this.epochNow = options.resumeFrom.epoch;
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

  /** The best checkpoint so far (by the early-stopping metric, else validation loss). */
  get best(): Checkpoint | null {
    return this.bestCheckpoint;
  }

  /** The checkpoint at the end of the latest epoch. */
  get last(): Checkpoint | null {
    return this.lastCheckpoint;
  }

  /** The learning rate the next step of the first group uses (schedule × the control's factor). */
  get lr(): number {
    return this.groups[0].schedule.lr * this.control.lrFactor;
  }

  /** The plan for `count` samples (the configured batch's plan, or one sharing its weights). */
  planFor(count: number): TrainableGraph {
    return count === this.plan.batchSize ? this.plan : this.plan.withBatchSize(count);
  }

  /** Train until done or stopped. Rejects with the error of a failed step (TrainError and others). */
  async run(): Promise<LoopResult> {
    if (this.options.resumeFrom) this.checkFits(this.options.resumeFrom);
    const c = this.config;
    const train = this.data.train;
    const bs = c.batchSize;
    const n = train.count;
    const stepsPerEpoch = this.stepsPerEpoch;
    const groups = this.groups;
    const grouped = this.grouped;
    const early = c.earlyStopping ? new EarlyStopping(c.earlyStopping) : null;
    const monitor = parseMonitor(c.earlyStopping?.metric ?? 'val_loss');
    const mode = early?.mode ?? 'min';
    let bestValue = mode === 'min' ? Infinity : -Infinity;
    let lastMetrics: { train: MetricValues; val?: MetricValues } | null = null;
    let bestMetrics: { train: MetricValues; val?: MetricValues } | null = null;
    const keepCheckpoints = this.options.checkpoints ?? true;
    const validate = (this.options.validate ?? true) && this.data.val.count > 0;
    const maxSteps = this.options.maxSteps ?? Infinity;

    const shuffleRng = new Rng((c.seed ^ 0x51f7e) >>> 0);
    const transformRng = new Rng((c.seed ^ 0x7a5f0) >>> 0);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const feeder = new BatchFeeder(train, { transform: this.data.transform, target: this.data.target, ...(this.data.augment ? { augment: this.data.augment } : {}) });
    const trainMetrics = new MetricAccumulator(c.metrics, this.binding.metricTarget);
    // The batch's own metrics, for the per-step curves (the confusion matrix stays per epoch).
    const batchMetrics = new MetricAccumulator(c.metrics.filter((m) => m !== 'confusion'), this.binding.metricTarget);
    const groupLosses = grouped ? Object.fromEntries(groups.map((g) => [g.spec.name, NaN])) : undefined;
    const control = this.control;
    const t0 = performance.now();
    let lastProgress = t0;
    let samplesSinceProgress = 0;
    let reason: LoopResult['reason'] = 'completed';
    let epochsRun = 0;
    const totalSteps = Math.min(stepsPerEpoch * c.epochs, maxSteps);
    const progressEveryMs = this.options.progressEveryMs ?? 200;
    // One context object for the whole run, refilled for each hook call: no allocation per step.
    const ctx: StepContext = { epoch: 0, batch: 0, stepsPerEpoch, step: 0, graph: this.plan, group: 0, loss: 0, count: 0 };
    const setContext = (epoch: number, batch: number, graph: TrainableGraph, group: number, loss: number, count: number): StepContext => {
      ctx.epoch = epoch;
      ctx.batch = batch;
      ctx.step = this.steps;
      ctx.graph = graph;
      ctx.group = group;
      ctx.loss = loss;
      ctx.count = count;
      return ctx;
    };

    // The plan's `trainStep` calls these between its phases (one object for the run: no
    // allocation per step). `verdict` is the step's; `stepCapture` what a hook asked the device to
    // measure at group 0's update, `part` the share of it this group's update takes.
    let verdict: StepVerdict = 'ok';
    let stepCapture: DeviceCapture | undefined;
    let part: DeviceCapture | undefined;
    const hooks = this.hooks;
    const phases: StepPhases = {
      afterForward(loss) {
        ctx.loss = loss;
        return (verdict = hooks.afterForward?.(ctx) ?? 'ok');
      },
      afterBackward() {
        return (verdict = hooks.afterBackward?.(ctx) ?? 'ok');
      },
      beforeUpdate() {
        const asked = hooks.beforeUpdate?.(ctx) ?? undefined;
        if (ctx.group === 0) stepCapture = asked;
        part = stepCapture && groups.length > 1 ? capturePart(stepCapture, ctx.group, groups.length) : stepCapture;
        return part;
      },
    };

    let firstEpoch = 1;
    let firstBatch = 0;
    const resume = this.options.resumeFrom;
    if (resume) {
      this.restore(resume);
      this.steps = resume.step;
      // Within an epoch: its remaining batches, then its end (validation, schedule, checkpoint).
      const within = resume.batch !== undefined;
      firstEpoch = within ? resume.epoch : resume.epoch + 1;
      firstBatch = resume.batch ?? 0;
      epochsRun = firstEpoch - 1;
      // The shuffle stream is a pure function of the seed: replay the epochs already trained.
      if (this.options.shuffle ?? true) for (let e = 1; e < firstEpoch; e++) shuffleRng.shuffle(order);
    }

    // Streamed splits: skips while reading are reported with the epoch they happened in.
    const skipLists = [...new Set([this.data.train, this.data.val, this.data.test].filter(isStreamed).map((s) => s.skipped))];
    const skipsSeen = skipLists.map((l) => l.length);
    const newSkips = (): LoopEpoch['dataSkipped'] => {
      const files: SkippedFile[] = [];
      let count = 0;
      skipLists.forEach((l, i) => {
        count += l.length - skipsSeen[i];
        for (let k = skipsSeen[i]; k < l.length && files.length < MAX_SKIPS_REPORTED; k++) files.push(l[k]);
        skipsSeen[i] = l.length;
      });
      return count > 0 ? { count, files } : undefined;
    };

    const stepsAtStart = this.steps;
    outer: for (let epoch = firstEpoch; epoch <= c.epochs; epoch++) {
      this.epochNow = epoch;
      const te = performance.now();
      if (this.options.shuffle ?? true) shuffleRng.shuffle(order);
      trainMetrics.reset();
      let lossSum = 0;
      let lossCount = 0;
      const from = epoch === firstEpoch ? firstBatch : 0;
      this.batchesDone = from;
      this.epochOpen = true;
      for (let s = from; s < stepsPerEpoch; s++) {
        if (this.steps >= maxSteps) break outer;
        if (!(await control.gate())) {
          reason = 'stopped';
          break outer;
        }
        if (control.resumedAt > lastProgress) {
          // Throughput counts from the moment the run woke up, not across the pause.
          lastProgress = control.resumedAt;
          samplesSinceProgress = 0;
        }
        const start = s * bs;
        const count = Math.min(bs, n - start);
        const gb = this.planFor(count);
        const x = gb.input(this.binding.featureInput).data;
        const y = this.binding.targetInput ? gb.input(this.binding.targetInput).data : null;
        // A streamed set: this batch decoded (and the next ones started) before it is read.
        const loading = feeder.ready(order, start, count, bs);
        if (loading) await loading;
        feeder.fill(order, start, count, x, y, transformRng);
        let loss = 0;
        verdict = 'ok' as StepVerdict; // set by the phases
        stepCapture = undefined;
        for (let gi = 0; gi < groups.length; gi++) {
          const g = groups[gi];
          setContext(epoch, s, gb, gi, NaN, count);
          part = undefined;
          const gLoss = await gb.trainStep(g, g.schedule.lr * control.lrFactor, phases);
          // Set by the phases: a share of the step's capture (several groups) adds to the whole.
          const took = part as DeviceCapture | undefined;
          const whole = stepCapture as DeviceCapture | undefined;
          if (took && whole && took !== whole) {
            whole.readbackMs = (whole.readbackMs ?? 0) + (took.readbackMs ?? 0);
            if (took.figures) whole.figures = took.figures;
          }
          if (verdict !== 'ok') break;
          if (g.perStep) g.schedule.step();
          if (groupLosses) {
            groupLosses[g.spec.name] = gLoss;
            // A loss node several groups minimise counts once, at the first group's forward.
            for (const id of this.reportedFrom[gi]) loss += gb.output(id).data[0];
          } else loss += gLoss;
        }
        if (verdict === 'stop') break outer;
        if (verdict === 'retry') {
          s--; // the hook paused the run (a divergence); this batch runs again when it resumes
          continue;
        }
        this.steps++;
        this.batchesDone = s + 1;
        lossSum += loss;
        lossCount++;
        const prediction = gb.output(this.binding.predictionNode).data;
        trainMetrics.add(count, loss, prediction, y);
        batchMetrics.reset();
        batchMetrics.add(count, loss, prediction, y);
        samplesSinceProgress += count;
        setContext(epoch, s, gb, groups.length - 1, loss, count);
        ctx.metrics = scalarMetrics(batchMetrics.result());
        const after = this.hooks.afterStep?.(ctx);
        ctx.metrics = undefined;
        if (after) await after;
        const now = performance.now();
        const single = control.singleStepping;
        if (now - lastProgress >= progressEveryMs || s === stepsPerEpoch - 1 || single) {
          const elapsed = (now - t0 - control.pausedMs) / 1000;
          this.hooks.onProgress?.({
            epoch,
            epochs: c.epochs,
            step: this.steps,
            stepInEpoch: s + 1,
            stepsPerEpoch,
            loss: lossSum / lossCount,
            metrics: scalarMetrics(trainMetrics.result()),
            batchLoss: loss,
            ...(groupLosses ? { groupLosses: { ...groupLosses } } : {}),
            lr: this.lr,
            samplesPerSec: samplesSinceProgress / Math.max(1e-9, (now - lastProgress) / 1000),
            etaSeconds: (elapsed / Math.max(1, this.steps - stepsAtStart)) * Math.max(0, totalSteps - this.steps),
            single,
          });
          lastProgress = now;
          samplesSinceProgress = 0;
        }
      }
      epochsRun = epoch;
      const trainValues = trainMetrics.result();
      const val = validate ? await this.evaluate(this.data.val) : undefined;
      if (val === null) {
        reason = 'stopped';
        break;
      }
      if (val) this.hooks.onEvaluation?.('val', val);
      for (const g of groups) if (!g.perStep) g.schedule.step(val?.loss ?? trainValues.loss);
      this.epochOpen = false;
      const watched = pick(monitor.split === 'val' && val ? val : trainValues, monitor.name);
      const isBest = bestMetrics === null || (mode === 'min' ? watched < bestValue - (c.earlyStopping?.minDelta ?? 0) : watched > bestValue + (c.earlyStopping?.minDelta ?? 0));
      const stopNow = early ? early.update(watched).stop : false;
      lastMetrics = { train: trainValues, ...(val ? { val } : {}) };
      if (keepCheckpoints) {
        await this.sync();
        // Into the previous last checkpoint unless it is also the best one: at most two copies.
        const reuse = this.lastCheckpoint !== this.bestCheckpoint ? (this.lastCheckpoint ?? undefined) : undefined;
        this.lastCheckpoint = this.capture(lastMetrics, reuse);
      }
      if (isBest) {
        bestValue = watched;
        bestMetrics = lastMetrics;
        this.bestCheckpoint = this.lastCheckpoint;
      }
      const dataSkipped = newSkips();
      const hookSays = this.hooks.afterEpoch?.({
        epoch,
        epochs: c.epochs,
        step: this.steps,
        train: trainValues,
        ...(val ? { val } : {}),
        lr: this.lr,
        seconds: (performance.now() - te) / 1000,
        best: isBest,
        ...(dataSkipped ? { dataSkipped } : {}),
      });
      if (stopNow) {
        reason = 'early-stopping';
        break;
      }
      if (hookSays === 'stop' || control.state === 'stopping') {
        reason = 'stopped';
        break;
      }
    }

    let evaluatedEpoch = epochsRun;
    let ref = lastMetrics;
    let test: MetricValues | undefined;
    if (reason !== 'stopped') {
      const best = this.bestCheckpoint;
      if (early && best && best.epoch !== epochsRun) {
        this.restore(best);
        evaluatedEpoch = best.epoch;
        ref = bestMetrics;
      }
      if ((this.options.test ?? true) && this.data.test.count > 0) {
        const t = await this.evaluate(this.data.test);
        if (t === null) reason = 'stopped';
        else {
          test = t;
          this.hooks.onEvaluation?.('test', t);
        }
      }
    } else if (this.options.testWhenStopped && (this.options.test ?? true) && this.data.test.count > 0 && this.steps > 0) {
      test = (await this.evaluate(this.data.test, true)) ?? undefined;
      if (test) this.hooks.onEvaluation?.('test', test);
    }
    await this.sync();
    const dataSkipped = newSkips();
    return {
      ...(dataSkipped ? { dataSkipped } : {}),
      reason,
      epochs: epochsRun,
      steps: this.steps,
      seconds: (performance.now() - t0 - control.pausedMs) / 1000,
      evaluatedEpoch,
      ...(ref?.train ? { train: ref.train } : {}),
      ...(ref?.val ? { val: ref.val } : {}),
      ...(test ? { test } : {}),
    };
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
      const loss = g.device ? await g.device.forward(asTraining) : this.grouped ? g.forward(asTraining, g.selectLosses(this.reportedLosses)) : g.forward(asTraining);
      acc.add(count, loss, g.output(this.binding.predictionNode).data, y);
    }
    return acc.result();
  }

  /**
   * The weights, buffers and optimizer/schedule state now, as a checkpoint. With `into` (a
   * checkpoint of this loop) its arrays are overwritten in place: no tensor is allocated.
   */
  capture(metrics: Checkpoint['metrics'] = {}, into?: Checkpoint): Checkpoint {
    if (!into) return this.snapshot(metrics, (a) => a.slice());
    const live = this.snapshot(metrics, (a) => a);
    const copy = (from: Record<string, Float32Array | readonly number[]>, to: Record<string, Float32Array | readonly number[]>) => {
      for (const [k, v] of Object.entries(from)) {
        const dst = to[k];
        if (dst instanceof Float32Array && dst.length === v.length) dst.set(v);
        else to[k] = Float32Array.from(v);
      }
    };
    copy(live.params, into.params);
    copy(live.buffers, into.buffers);
    const states = live.groups ?? [{ name: '', optimizer: live.optimizer, schedule: live.schedule }];
    const kept = into.groups ?? [{ name: '', optimizer: into.optimizer, schedule: into.schedule }];
    const fits = kept.length === states.length && states.every((s, i) => s.optimizer.kind === kept[i].optimizer.kind);
    const merged = states.map((s, i) => {
      const slots = fits ? kept[i].optimizer.slots : {};
      for (const [key, bufs] of Object.entries(s.optimizer.slots)) copy(bufs, (slots[key] ??= {}));
      return { ...s, optimizer: { ...s.optimizer, slots } };
    });
    Object.assign(into, { ...live, params: into.params, buffers: into.buffers, optimizer: merged[0].optimizer, schedule: merged[0].schedule });
    if (live.groups) into.groups = merged;
    else delete into.groups;
    if (live.batch === undefined) delete into.batch;
    return into;
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
    return ck;
  }

  /**
   * Whether `ck` fits this graph: every parameter and buffer present with its size, and epoch and
   * step whole numbers within this run. Throws `E_RUN_CHECKPOINT_MISMATCH` naming the first misfit.
   */
  checkFits(ck: Checkpoint): void {
    const misfit = (what: string) => {
      throw new TrainError('E_RUN_CHECKPOINT_MISMATCH', `The checkpoint does not fit this network (${what}); resume needs the run's own design.`);
    };
    if (!Number.isInteger(ck.epoch) || ck.epoch < 1 || !Number.isInteger(ck.step) || ck.step < 0) misfit(`epoch ${ck.epoch}, step ${ck.step}`);
    if (ck.batch !== undefined && !(Number.isInteger(ck.batch) && ck.batch >= 0 && ck.batch <= this.stepsPerEpoch)) misfit(`batch ${ck.batch} of an epoch of ${this.stepsPerEpoch}`);
    for (const [kind, list, stored] of [['parameter', this.plan.params, ck.params], ['buffer', this.plan.buffers, ck.buffers]] as const) {
      for (const t of list) {
        const key = `${t.nodeId}.${t.name}`;
        const v = Object.hasOwn(stored, key) ? stored[key] : undefined;
        if (!v) misfit(`${kind} ${key} is missing`);
        else if (v.length !== t.value.data.length) misfit(`${kind} ${key} has ${v.length} values, the network ${t.value.data.length}`);
      }
    }
    if (this.groups.length > 1 && (ck.groups?.length ?? 0) !== this.groups.length) misfit('the optimizer groups differ');
  }

  /** Copy a checkpoint's parameters, buffers and optimizer/schedule state back. */
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

/** `val_loss`, `val.accuracy`, `train_loss`, `accuracy` → which split and metric to watch. */
function parseMonitor(metric: string): { split: 'train' | 'val'; name: string } {
  const m = /^(val|train)[_.](.+)$/.exec(metric);
  return m ? { split: m[1] as 'train' | 'val', name: m[2] } : { split: 'val', name: metric };
}

function pick(v: MetricValues, name: string): number {
  const x = (v as unknown as Record<string, unknown>)[name];
  if (typeof x !== 'number') {
    throw new TrainError('TRAIN_BAD_CONFIG', `Early stopping watches "${name}", which is not computed; add it to training.metrics or watch "val_loss".`);
  }
  return x;
}

/** `o` without its undefined entries (so `{ epochs: undefined }` overrides nothing). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
