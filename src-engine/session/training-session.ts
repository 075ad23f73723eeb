import type { CompiledGraph, CompileOptions } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import { BatchFeeder, applyNormalization, featureSize, type PreparedData } from '../data';
import type { GraphIR, TrainingConfig } from '../ir/types';
import { MetricAccumulator, type MetricValues } from '../metrics';
import { EarlyStopping, clipGradNorm, clipGradValue, createOptimizer, createSchedule } from '../optim';
import type { Optimizer, OptimizerState, Schedule, ScheduleState } from '../optim';
import { DEFAULT_PROBE_OPTIONS, ProbeSuite, allFinite, compact, compactOrNull, rowProbabilities, type ProbeBinding } from '../probes';
import type { EngineEvent, EventData, ProbeFrame, ProbeOptions, ResultOf, RunState, TrainOverrides } from '../protocol/messages';
import { DEFAULT_PROBE_HZ } from '../protocol/messages';
import { Rng } from '../rng';
import { Trainer, TrainError } from '../train';
import { bindGraph } from './binding';
import { divergenceHint, gradientsFinite, locateNonFinite, type NonFiniteSite } from './divergence-guard';
import { getOp } from '../ops/registry';
import { LatestWinsMailbox } from './frame-mailbox';

export type SessionEmit = <E extends EngineEvent>(event: E, data: EventData<E>) => void;

export interface TrainingSessionOptions {
  /** The executor's `compileGraph` (injected so tests can wrap it). */
  compile: (graph: GraphIR, opts: CompileOptions) => CompiledGraph;
  /** Receives every `train.*` event and the probe frames (already flow-controlled). */
  emit: SessionEmit;
  overrides?: Omit<TrainOverrides, 'limit'>;
  /** `false`: no probes (headless). */
  probes?: ProbeOptions | false;
  /**
   * Check every step's parameter gradients for NaN/Inf before the update (default false: ~5% of
   * an MNIST MLP step). Without it a NaN gradient is caught one step later, when the poisoned
   * weights make the loss non-finite; the run then rolls back all the same and names the layer
   * whose weights the previous update broke.
   */
  checkGradients?: boolean;
  /**
   * A batch loss above this multiple of the first step's loss counts as a divergence too
   * (default 100; 0 turns it off). Adam with a huge learning rate drives the loss to 1e10 and
   * beyond without ever producing a NaN, so NaN/Inf alone would let such a run go on.
   */
  lossExplosion?: number;
  /** Give the host's event loop a turn (default: a zero-delay timer). */
  yieldToHost?: () => Promise<void>;
  /** Yield when this many ms passed since the last yield (default 10). */
  yieldEveryMs?: number;
  /** Minimum ms between progress events (default 200). */
  progressEveryMs?: number;
}

/** Weights, buffers and optimizer/schedule state that a divergence rolls back to. */
interface GoodState {
  step: number;
  params: Float32Array[];
  buffers: Float32Array[];
  optimizer: OptimizerState | null;
  schedule: ScheduleState | null;
}

const DEFAULT_STEP_UNIT = new Set(['warmup-cosine', 'onecycle']);
/** Take a rollback snapshot at most this often (ms), and only while the loss is healthy. */
const SNAPSHOT_EVERY_MS = 1000;

/**
 * One training run as the app sees it: the Trainer's recipe (shuffling, batches, optimizer,
 * schedule, clipping, validation with a confusion matrix, early stopping, a final test) plus
 * probes at a bounded rate, a divergence guard, pause/resume/step/stop with a learning-rate
 * change, and latest-wins delivery of probe frames.
 *
 * NOTE: the step loop lives here rather than in `Trainer` because the guard must look at a step
 * between `backward()` and the optimizer update (a NaN gradient must never reach the weights),
 * and a resume must be able to change the learning rate; `Trainer` exposes neither. Validation,
 * the final test and the graph/data checks are the Trainer's own (`Trainer.evaluate`).
 *
 * Divergence guard: after each forward the loss must be finite and below `lossExplosion`× the
 * first step's loss (and, with `checkGradients`, every parameter gradient finite before the
 * update). On a failure the step is not applied, the first site in topological order is located
 * (`locateNonFinite`, or the first layer whose output RMS grew past the same factor), the
 * weights and optimizer state roll back to the last good snapshot (taken at the start, at each
 * epoch end and about once a second while the loss is not rising), and the run pauses in state
 * `diverged` until `resume(lr)` or `step(lr)`. The failed batch is then retried; the step counter
 * keeps counting.
 */
export class TrainingSession {
  readonly config: TrainingConfig;
  readonly graph: GraphIR;
  readonly plan: CompiledGraph;
  readonly binding: ProbeBinding;
  readonly probes: ProbeSuite | null;
  readonly stepsPerEpoch: number;
  private readonly trainer: Trainer;
  private readonly mailbox: LatestWinsMailbox<ProbeFrame>;
  // A session is created to run at once: it counts as running (pausable) before `run()` begins.
  private state: RunState = 'running';
  private started = false;
  private wake: (() => void) | null = null;
  private singleStep = false;
  private forceProbe = false;
  private restorePending = false;
  private lrFactor = 1;
  private pendingLr: number | null = null;
  private optimizer: Optimizer | null = null;
  private schedule: Schedule | null = null;
  private good: GoodState;
  private steps = 0;
  private epoch = 0;
  private seq = 0;
  /** Time spent paused (excluded from throughput and ETA) and when the run last woke up. */
  private pausedMs = 0;
  private resumedAt = -Infinity;
  /** Loss and per-node activation RMS of the run's first step: what "exploding" is measured against. */
  private firstLoss: number | null = null;
  private referenceRms = new Map<string, number>();
  private lastYield = 0;
  private lastProbeAt = -Infinity;
  private probeCostMs = 0;
  private readonly probeOptions: Required<Pick<ProbeOptions, 'maxHz' | 'budget'>> & { everySteps?: number };

  constructor(
    readonly runId: string,
    graph: GraphIR,
    readonly data: PreparedData,
    readonly backend: Backend,
    private readonly options: TrainingSessionOptions,
  ) {
    if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
    const o = options.overrides ?? {};
    const t = graph.training;
    const classification = data.target === 'label' && data.train.task === 'classification';
    const metrics = classification ? [...new Set([...t.metrics, 'accuracy', 'confusion'])] : t.metrics;
    this.graph = {
      ...graph,
      training: {
        ...t,
        metrics,
        optimizer: o.lr !== undefined ? { ...t.optimizer, lr: o.lr } : t.optimizer,
        ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
      },
    };
    this.config = this.graph.training!;
    const c = this.config;
    if (!(Number.isInteger(c.batchSize) && c.batchSize > 0)) throw new TrainError('TRAIN_BAD_CONFIG', `Batch size must be a whole number > 0 (got ${c.batchSize}).`);
    this.plan = options.compile(this.graph, { batchSize: c.batchSize, backend, seed: c.seed });
    // The Trainer checks the graph against the data and evaluates splits; it shares our weights.
    this.trainer = new Trainer(this.graph, data, backend, { compile: () => this.plan, ...(options.yieldEveryMs !== undefined ? { yieldEveryMs: options.yieldEveryMs } : {}) });
    this.binding = bindGraph(this.graph, c, data, this.plan);
    this.stepsPerEpoch = Math.ceil(data.train.count / c.batchSize);
    const p = options.probes === false ? null : { ...DEFAULT_PROBE_OPTIONS, ...stripUndefined(options.probes ?? {}) };
    this.probes = p ? new ProbeSuite(this.graph, this.plan, data, this.binding, p, c.seed) : null;
    const po = options.probes || {};
    this.probeOptions = { maxHz: po.maxHz ?? DEFAULT_PROBE_HZ, budget: po.budget ?? 0.02, ...(po.everySteps !== undefined ? { everySteps: po.everySteps } : {}) };
    this.mailbox = new LatestWinsMailbox((f) => options.emit('probe.frame', f));
    this.good = {
      step: 0,
      params: this.plan.params.map((q) => q.value.data.slice()),
      buffers: this.plan.buffers.map((b) => b.value.data.slice()),
      optimizer: null,
      schedule: null,
    };
  }

  get status(): RunState {
    return this.state;
  }

  get step(): number {
    return this.steps;
  }

  /** The learning rate the next step uses. */
  get lr(): number {
    return (this.schedule?.lr ?? this.config.optimizer.lr) * this.lrFactor;
  }

  /** Frames waiting behind the one in flight (0 or 1: latest wins). */
  get queuedFrames(): number {
    return this.mailbox.queued;
  }

  /** The client consumed frame `seq`; returns whether another frame is now in flight. */
  ackFrame(seq: number): boolean {
    return this.mailbox.ack(seq);
  }

  /** Apply a control action; answers the state it leaves the run in. */
  control(action: 'pause' | 'resume' | 'stop' | 'step', lr?: number): { state: RunState; step: number } {
    const s = this.state;
    const live = s === 'running' || s === 'paused' || s === 'diverged';
    if (!live) return { state: s, step: this.steps };
    if (lr !== undefined && (action === 'resume' || action === 'step')) this.pendingLr = lr;
    if (action === 'pause' && s === 'running') this.setState('paused');
    else if (action === 'resume' && (s === 'paused' || s === 'diverged')) {
      this.restorePending = s === 'diverged';
      this.singleStep = false;
      this.setState('running');
      this.wakeUp();
    } else if (action === 'step' && (s === 'paused' || s === 'diverged')) {
      this.restorePending = s === 'diverged';
      this.singleStep = true;
      this.forceProbe = true;
      this.wakeUp();
    } else if (action === 'stop' && live) {
      this.setState('stopping');
      this.wakeUp();
    }
    return { state: this.state, step: this.steps };
  }

  /**
   * The current weights' output for one sample (eval mode, a batch-1 plan sharing the weights).
   * Safe while training: it runs between steps, and every step refills whatever storage it reads.
   * `input` is in the dataset's units (pixels in [0, 1] for MNIST) and gets the run's
   * normalisation; pass `normalized` for values already fed to the network (`probeSamples`).
   */
  predict(input: readonly number[], normalized = false): ResultOf<'model.predict'> {
    const fs = featureSize(this.data.train);
    if (input.length !== fs) {
      throw Object.assign(new Error(`The model takes ${fs} values per sample (shape [${this.data.train.featureShape.join(', ')}]); got ${input.length}.`), { code: 'E_PREDICT_SHAPE' });
    }
    const p1 = this.plan.withBatchSize(1);
    const x = p1.input(this.binding.featureInput).data;
    x.set(input);
    // A drawn digit arrives in the dataset's own units; the network was trained on standardised ones.
    if (!normalized && this.data.normalization) applyNormalization(this.data.normalization, x, fs);
    if (this.binding.targetInput) p1.input(this.binding.targetInput).data.fill(0);
    p1.forward(false);
    const out = p1.output(this.binding.predictionNode);
    if (this.binding.task === 'classification') {
      const probs = rowProbabilities(out.data, this.binding.scores);
      let best = 0;
      for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
      return { kind: 'probabilities', values: probs.map(compact), predicted: best, classNames: this.data.train.classNames };
    }
    return { kind: 'output', values: Array.from(out.data, compact), shape: out.shape.slice(1) };
  }

  /** Train until done, stopped or failed. Never rejects: failures become `train.error`. */
  async run(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.loop();
      this.setState('done');
    } catch (e) {
      const err = e as Error & { code?: string };
      this.options.emit('train.error', { runId: this.runId, code: err.code ?? 'TRAIN_INTERNAL', message: err.message, epoch: this.epoch, step: this.steps });
      this.setState('failed');
    }
  }

  private async loop(): Promise<void> {
    const c = this.config;
    const train = this.data.train;
    const bs = c.batchSize;
    const n = train.count;
    const stepsPerEpoch = this.stepsPerEpoch;
    const optimizer = (this.optimizer = createOptimizer(c.optimizer, this.plan.params, this.backend));
    const schedule = (this.schedule = createSchedule(c.schedule, c.optimizer.lr));
    this.good.optimizer = optimizer.state();
    this.good.schedule = schedule.state();
    const perStep = (c.scheduleUnit ?? (c.schedule && DEFAULT_STEP_UNIT.has(c.schedule.kind) ? 'step' : 'epoch')) === 'step';
    const early = c.earlyStopping ? new EarlyStopping(c.earlyStopping) : null;
    const monitor = parseMonitor(c.earlyStopping?.metric ?? 'val_loss');
    const mode = early?.mode ?? 'min';
    let bestValue = mode === 'min' ? Infinity : -Infinity;
    let best: GoodState | null = null;
    let bestEpoch = 0;
    let bestMetrics: { train: MetricValues; val?: MetricValues } | null = null;
    let lastMetrics: { train: MetricValues; val?: MetricValues } | null = null;

    const shuffleRng = new Rng((c.seed ^ 0x51f7e) >>> 0);
    const transformRng = new Rng((c.seed ^ 0x7a5f0) >>> 0);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const feeder = new BatchFeeder(train, { transform: this.data.transform, target: this.data.target });
    const trainMetrics = new MetricAccumulator(c.metrics, this.trainerMetricTarget());
    const checkGrads = this.options.checkGradients ?? false;
    const explosion = this.options.lossExplosion ?? 100;
    const t0 = performance.now();
    let lastProgress = t0;
    let samplesSinceProgress = 0;
    let reason: EventData<'train.done'>['reason'] = 'completed';
    let epochsRun = 0;
    const totalSteps = stepsPerEpoch * c.epochs;
    let ema = NaN;
    let bestEma = Infinity;
    let lastSnapshot = t0;

    outer: for (let epoch = 1; epoch <= c.epochs; epoch++) {
      this.epoch = epoch;
      const te = performance.now();
      shuffleRng.shuffle(order);
      trainMetrics.reset();
      let lossSum = 0;
      let lossCount = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (!(await this.awaitControl())) {
          reason = 'stopped';
          break outer;
        }
        if (this.resumedAt > lastProgress) {
          // Throughput counts from the moment the run woke up, not across the pause.
          lastProgress = this.resumedAt;
          samplesSinceProgress = 0;
        }
        const start = s * bs;
        const count = Math.min(bs, n - start);
        const gb = count === bs ? this.plan : this.plan.withBatchSize(count);
        const x = gb.input(this.binding.featureInput).data;
        const y = this.binding.targetInput ? gb.input(this.binding.targetInput).data : null;
        feeder.fill(order, start, count, x, y, transformRng);
        const loss = gb.forward(true);
        if (this.firstLoss === null && Number.isFinite(loss)) this.recordReference(gb, loss);
        let failed: 'nonfinite' | 'exploding' | null = Number.isFinite(loss) ? null : 'nonfinite';
        if (!failed && explosion > 0 && loss > explosion * Math.max(this.firstLoss!, 1e-2)) failed = 'exploding';
        if (!failed) {
          gb.backward();
          if (checkGrads && !gradientsFinite(gb)) failed = 'nonfinite';
        }
        if (failed) {
          this.diverged(gb, epoch, failed, loss);
          s--; // retry this batch after the rollback
          continue;
        }
        if (c.gradClip?.kind === 'norm') clipGradNorm(gb.params, c.gradClip.maxNorm);
        else if (c.gradClip?.kind === 'value') clipGradValue(gb.params, c.gradClip.clipValue);
        // The last step of every epoch is always probed, so the charts end on the trained model
        // (a short run would otherwise keep a frame from its first moments).
        const probeNow = this.probes !== null && (this.probeDue() || s === stepsPerEpoch - 1);
        if (probeNow) this.probes!.gradients.beforeUpdate();
        optimizer.step(schedule.lr * this.lrFactor);
        if (perStep) schedule.step();
        this.steps++;
        lossSum += loss;
        lossCount++;
        trainMetrics.add(count, loss, gb.output(this.binding.predictionNode).data, y);
        samplesSinceProgress += count;

        ema = Number.isNaN(ema) ? loss : 0.9 * ema + 0.1 * loss;
        const now = performance.now();
        if (ema < bestEma) bestEma = ema;
        if (now - lastSnapshot >= SNAPSHOT_EVERY_MS && ema <= bestEma * 1.5 + 1e-12 && gradientsFinite(gb)) {
          // Finite gradients of an applied step mean finite weights: a safe point to roll back to.
          this.takeGood();
          lastSnapshot = now;
        }
        if (probeNow) this.captureFrame(gb, epoch, loss);
        const single = this.singleStep;
        if (now - lastProgress >= (this.options.progressEveryMs ?? 200) || s === stepsPerEpoch - 1 || single) {
          const elapsed = (now - t0 - this.pausedMs) / 1000;
          this.options.emit('train.progress', {
            runId: this.runId,
            epoch,
            epochs: c.epochs,
            step: this.steps,
            stepInEpoch: s + 1,
            stepsPerEpoch,
            loss: compactOrNull(lossSum / lossCount),
            batchLoss: compactOrNull(loss),
            lr: compact(this.lr),
            samplesPerSec: compact(samplesSinceProgress / Math.max(1e-9, (now - lastProgress) / 1000)),
            etaSeconds: compact((elapsed / this.steps) * Math.max(0, totalSteps - this.steps)),
            state: single ? 'paused' : this.state,
          });
          lastProgress = now;
          samplesSinceProgress = 0;
        }
      }
      epochsRun = epoch;
      const trainValues = trainMetrics.result();
      const val = this.data.val.count > 0 ? await this.trainer.evaluate(this.data.val) : undefined;
      if (val === null) {
        reason = 'stopped';
        break;
      }
      if (!perStep) schedule.step(val?.loss ?? trainValues.loss);
      const watched = pick(monitor.split === 'val' && val ? val : trainValues, monitor.name);
      const isBest = best === null || (mode === 'min' ? watched < bestValue - (c.earlyStopping?.minDelta ?? 0) : watched > bestValue + (c.earlyStopping?.minDelta ?? 0));
      const stopNow = early ? early.update(watched).stop : false;
      lastMetrics = { train: trainValues, ...(val ? { val } : {}) };
      if (Number.isFinite(trainValues.loss)) {
        this.takeGood();
        lastSnapshot = performance.now();
      }
      if (isBest) {
        bestValue = watched;
        best = early ? cloneGood(this.good) : this.good;
        bestEpoch = epoch;
        bestMetrics = lastMetrics;
      }
      this.options.emit('train.epoch', {
        runId: this.runId,
        epoch,
        epochs: c.epochs,
        step: this.steps,
        train: sanitize(trainValues),
        ...(val ? { val: sanitize(val) } : {}),
        lr: compact(this.lr),
        seconds: compact((performance.now() - te) / 1000),
        best: isBest,
      });
      if (stopNow) {
        reason = 'early-stopping';
        break;
      }
      if (this.state === 'stopping') {
        reason = 'stopped';
        break;
      }
    }

    let evaluatedEpoch = epochsRun;
    let test: MetricValues | undefined;
    let ref = lastMetrics;
    if (reason !== 'stopped') {
      if (early && best && bestEpoch !== epochsRun) {
        this.restoreGood(best, false);
        evaluatedEpoch = bestEpoch;
        ref = bestMetrics;
      }
      const t = this.data.test.count > 0 ? await this.trainer.evaluate(this.data.test) : undefined;
      if (t) test = t;
    }
    this.options.emit('train.done', {
      runId: this.runId,
      reason,
      epochs: epochsRun,
      steps: this.steps,
      seconds: compact((performance.now() - t0) / 1000),
      evaluatedEpoch,
      ...(ref?.train ? { train: sanitize(ref.train) } : {}),
      ...(ref?.val ? { val: sanitize(ref.val) } : {}),
      ...(test ? { test: sanitize(test) } : {}),
    });
  }

  /** Honour pause/step/stop and a pending rollback; yields every few ms. False: stop. */
  private async awaitControl(): Promise<boolean> {
    await this.maybeYield();
    if (this.singleStep && this.state === 'running') {
      // The single step ran; pause again.
      this.singleStep = false;
      this.setState('paused');
    }
    const t0 = performance.now();
    let waited = false;
    while ((this.state === 'paused' || this.state === 'diverged') && !this.singleStep) {
      waited = true;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.lastYield = performance.now();
    }
    if (waited) {
      this.pausedMs += this.lastYield - t0;
      this.resumedAt = this.lastYield;
    }
    if (this.singleStep && (this.state === 'paused' || this.state === 'diverged')) this.state = 'running';
    if (this.restorePending) {
      this.restorePending = false;
      this.restoreGood(this.good, true);
    }
    if (this.pendingLr !== null) {
      this.lrFactor = this.pendingLr / (this.schedule?.lr ?? this.config.optimizer.lr);
      this.pendingLr = null;
    }
    return this.state !== 'stopping';
  }

  private recordReference(gb: CompiledGraph, loss: number): void {
    this.firstLoss = loss;
    for (const id of gb.order) this.referenceRms.set(id, rms(gb.output(id).data));
  }

  /**
   * Where an exploding (finite) loss comes from: the first node in topological order whose
   * output RMS grew more than `factor`× since the first step, or went non-finite.
   */
  private locateExplosion(gb: CompiledGraph, factor: number): NonFiniteSite | null {
    const ops = new Map(this.graph.nodes.map((nd) => [nd.id, nd.op]));
    for (const id of gb.order) {
      const op = ops.get(id) ?? '?';
      if (op === 'Input' || getOp(op)?.isLoss) continue;
      const now = rms(gb.output(id).data);
      const ref = this.referenceRms.get(id) ?? 0;
      if (!Number.isFinite(now) || (ref > 0 && now > factor * ref)) return { where: 'activation', nodeId: id, op };
    }
    return null;
  }

  private diverged(gb: CompiledGraph, epoch: number, cause: 'nonfinite' | 'exploding', loss: number): void {
    const step = this.steps + 1;
    const lossNode = gb.lossNodes[0] ?? '?';
    const lossSite: NonFiniteSite = { where: 'loss', nodeId: lossNode, op: this.graph.nodes.find((nd) => nd.id === lossNode)?.op ?? '?' };
    const factor = this.options.lossExplosion ?? 100;
    let site = (cause === 'nonfinite' ? locateNonFinite(gb, this.graph) : this.locateExplosion(gb, factor)) ?? lossSite;
    let at = step;
    const poisoned = site.where === 'activation' ? gb.params.find((p) => p.nodeId === site.nodeId && !allFinite(p.value.data)) : undefined;
    if (poisoned) {
      // The weights were finite before the previous update: its gradient was not.
      site = { where: 'gradient', nodeId: site.nodeId, op: site.op, param: poisoned.name };
      at = step - 1;
    }
    const lr = this.lr;
    const what = site.where === 'loss' ? 'the loss' : site.where === 'activation' ? `the output of ${site.nodeId} (${site.op})` : site.param ? `the gradient of ${site.nodeId}.${site.param}` : `the gradient into ${site.nodeId} (${site.op})`;
    const head = poisoned
      ? `At step ${at} (epoch ${epoch}) ${what} became NaN or infinite, and the update put it into the weights; step ${step} then failed`
      : cause === 'nonfinite'
        ? `At step ${step} (epoch ${epoch}) ${what} became NaN or infinite`
        : `At step ${step} (epoch ${epoch}) the loss exploded to ${loss.toPrecision(3)} (more than ${factor}× the first step's ${this.firstLoss!.toPrecision(3)})${site.where === 'activation' ? `; ${what} grew first` : ''}`;
    this.singleStep = false;
    this.setState('diverged');
    this.options.emit('train.diverged', {
      runId: this.runId,
      step: at,
      epoch,
      cause,
      where: site.where,
      nodeId: site.nodeId,
      op: site.op,
      ...(site.param ? { param: site.param } : {}),
      lr: compact(lr),
      hint: divergenceHint(site, lr),
      message: `${head}. The run paused without applying step ${step}; resuming restores the weights of step ${this.good.step}.`,
      restoredStep: this.good.step,
    });
  }

  private takeGood(): void {
    const g = this.good;
    this.plan.params.forEach((p, i) => g.params[i].set(p.value.data));
    this.plan.buffers.forEach((b, i) => g.buffers[i].set(b.value.data));
    g.optimizer = this.optimizer!.state();
    g.schedule = this.schedule!.state();
    g.step = this.steps;
  }

  private restoreGood(g: GoodState, keepLrFactor: boolean): void {
    this.plan.params.forEach((p, i) => p.value.data.set(g.params[i]));
    this.plan.buffers.forEach((b, i) => b.value.data.set(g.buffers[i]));
    if (g.optimizer) this.optimizer!.loadState(g.optimizer);
    if (g.schedule) this.schedule!.loadState(g.schedule);
    if (!keepLrFactor) this.lrFactor = 1;
  }

  /**
   * Whether this step is probed: a single step always is; otherwise at most `maxHz` frames a
   * second, at most `budget` of the time (interval ≥ the last frame's cost ÷ budget), and every
   * `everySteps` steps when that is set.
   */
  private probeDue(): boolean {
    if (this.forceProbe || this.singleStep) return true;
    const { everySteps, maxHz, budget } = this.probeOptions;
    if (everySteps !== undefined && (this.steps + 1) % everySteps !== 0) return false;
    const interval = Math.max(1000 / maxHz, this.probeCostMs / budget);
    return performance.now() - this.lastProbeAt >= interval;
  }

  private captureFrame(gb: CompiledGraph, epoch: number, loss: number): void {
    this.forceProbe = false;
    const t0 = performance.now();
    const frame = this.probes!.capture(gb, { step: this.steps, epoch, loss });
    this.lastProbeAt = performance.now();
    // The first frame runs cold (JIT, first eval plan) and would space the next ones too far apart.
    const cost = this.lastProbeAt - t0;
    this.probeCostMs = this.seq === 0 ? 0 : this.seq === 1 ? cost : 0.7 * this.probeCostMs + 0.3 * cost;
    this.mailbox.offer({ runId: this.runId, seq: this.seq++, ...frame });
  }

  private trainerMetricTarget() {
    const out = this.plan.output(this.binding.predictionNode);
    const classification = this.binding.task === 'classification';
    return { kind: classification ? ('classification' as const) : ('regression' as const), outputSize: out.data.length / out.shape[0], numClasses: classification ? this.data.train.numClasses : 0 };
  }

  private setState(s: RunState): void {
    if (this.state === s) return;
    this.state = s;
    this.options.emit('train.state', { runId: this.runId, state: s, step: this.steps });
  }

  private async maybeYield(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield >= (this.options.yieldEveryMs ?? 10)) {
      await (this.options.yieldToHost ? this.options.yieldToHost() : new Promise<void>((resolve) => setTimeout(resolve, 0)));
      this.lastYield = performance.now();
    }
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** Root mean square of `data` (NaN/Inf when any value is). */
function rms(data: Float32Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return data.length ? Math.sqrt(s / data.length) : 0;
}

function cloneGood(g: GoodState): GoodState {
  return { step: g.step, params: g.params.map((a) => a.slice()), buffers: g.buffers.map((a) => a.slice()), optimizer: g.optimizer, schedule: g.schedule };
}

/** Metric values for JSON: numbers at float32 precision, NaN/Inf as null. */
function sanitize(v: MetricValues): EventData<'train.epoch'>['train'] {
  const walk = (x: unknown): unknown => (typeof x === 'number' ? compactOrNull(x) : Array.isArray(x) ? x.map(walk) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)])) : x);
  return walk(v) as EventData<'train.epoch'>['train'];
}

function parseMonitor(metric: string): { split: 'train' | 'val'; name: string } {
  const m = /^(val|train)[_.](.+)$/.exec(metric);
  return m ? { split: m[1] as 'train' | 'val', name: m[2] } : { split: 'val', name: metric };
}

function pick(v: MetricValues, name: string): number {
  const x = (v as unknown as Record<string, unknown>)[name];
  if (typeof x !== 'number') throw new TrainError('TRAIN_BAD_CONFIG', `Early stopping watches "${name}", which is not computed; add it to training.metrics or watch "val_loss".`);
  return x;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
