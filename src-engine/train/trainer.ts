import type { Backend } from '../backend/types';
import { BatchFeeder } from '../data';
import type { Dataset, PreparedData } from '../data';
import type { GraphIR, NodeIR, TrainingConfig } from '../ir/types';
import { METRIC_NAMES, MetricAccumulator } from '../metrics';
import type { MetricTarget, MetricValues } from '../metrics';
import { EarlyStopping, clipGradNorm, clipGradValue, createOptimizer, createSchedule } from '../optim';
import type { Optimizer, Schedule } from '../optim';
import { Rng } from '../rng';
import type { Checkpoint, CompileFn, DoneEvent, TrainableGraph, TrainerEvent } from './types';
import { TrainError } from './types';

export interface TrainerOptions {
  /** Compiles the graph for a batch size (the executor's `compileGraph`). */
  compile: CompileFn;
  /** Receives progress, epoch, done and error events. */
  onEvent?: (e: TrainerEvent) => void;
  /** Overrides of the graph's training config (CLI flags, quick runs). */
  overrides?: Partial<Pick<TrainingConfig, 'epochs' | 'batchSize' | 'seed'>>;
  /** Yield to the event loop when this many ms passed since the last yield (default 10). */
  yieldEveryMs?: number;
  /** Minimum ms between progress events (default 200). */
  progressEveryMs?: number;
  /** Called with every training batch loss, in order (tests, charts). */
  onStepLoss?: (step: number, loss: number) => void;
}

type RunState = 'idle' | 'running' | 'paused' | 'stopping' | 'finished';

const DEFAULT_STEP_UNIT = new Set(['warmup-cosine', 'onecycle']);

/**
 * Trains a graph on prepared data: per-epoch shuffling, batches (the last one partial), the
 * configured optimizer and schedule, gradient clipping, validation every epoch, early stopping,
 * best/last checkpoints and a final test evaluation in eval mode.
 *
 * Runtime-neutral and cooperative: `run()` yields to the event loop every few milliseconds, so a
 * host can call `pause()`, `resume()`, `step()` (one batch while paused) or `stop()` between steps.
 * With the same graph, data, seed and backend, the loss sequence is identical bit for bit.
 *
 * @example
 * ```ts
 * const data = prepareData(loadDataset(cfg.dataset), cfg.dataset, cfg.seed);
 * const trainer = new Trainer(graph, data, createReferenceBackend(), { compile: compileGraph, onEvent: console.log });
 * const done = await trainer.run();
 * console.log(done.test?.accuracy);
 * ```
 */
export class Trainer {
  readonly config: TrainingConfig;
  private state: RunState = 'idle';
  private wake: (() => void) | null = null;
  private singleStep = false;
  private readonly graphs = new Map<number, TrainableGraph>();
  private optimizer!: Optimizer;
  private schedule!: Schedule;
  private lastYield = 0;
  private featureInput!: string;
  private targetInput: string | null = null;
  private predictionNode!: string;
  private metricTarget!: MetricTarget;
  private bestCheckpoint: Checkpoint | null = null;
  private lastCheckpoint: Checkpoint | null = null;
  private steps = 0;

  constructor(
    readonly graph: GraphIR,
    readonly data: PreparedData,
    readonly backend: Backend,
    private readonly options: TrainerOptions,
  ) {
    if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
    this.config = { ...graph.training, ...stripUndefined(options.overrides ?? {}) };
    const c = this.config;
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
    this.bindGraph();
  }

  /** The best checkpoint so far (by the early-stopping metric, else validation loss). */
  get best(): Checkpoint | null {
    return this.bestCheckpoint;
  }

  /** The checkpoint at the end of the latest epoch. */
  get last(): Checkpoint | null {
    return this.lastCheckpoint;
  }

  /** Whether the loop is running, paused, stopping or finished. */
  get status(): RunState {
    return this.state;
  }

  /** Pause before the next batch. */
  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state === 'paused') {
      this.state = 'running';
      this.singleStep = false;
      this.wakeUp();
    }
  }

  /** While paused: run exactly one batch, then pause again. */
  step(): void {
    if (this.state === 'paused') {
      this.singleStep = true;
      this.wakeUp();
    }
  }

  /** Stop after the current batch; `run()` then resolves with `reason: 'stopped'` (no test evaluation). */
  stop(): void {
    if (this.state === 'running' || this.state === 'paused') {
      this.state = 'stopping';
      this.wakeUp();
    }
  }

  /**
   * Train for the configured epochs. Resolves with the `done` event (also emitted); a failure
   * emits an `error` event and rejects with a TrainError.
   */
  async run(): Promise<DoneEvent> {
    if (this.state !== 'idle') throw new TrainError('TRAIN_BAD_CONFIG', 'This trainer has already run; create a new one.');
    this.state = 'running';
    try {
      return await this.loop();
    } catch (e) {
      const err = e as Error & { code?: string };
      this.emit({ type: 'error', code: err.code ?? 'TRAIN_INTERNAL', message: err.message, ...(e instanceof StepError ? { epoch: e.epoch, step: e.step } : {}) });
      throw e;
    } finally {
      this.state = 'finished';
    }
  }

  private async loop(): Promise<DoneEvent> {
    const c = this.config;
    const train = this.data.train;
    const bs = c.batchSize;
    const n = train.count;
    const stepsPerEpoch = Math.ceil(n / bs);
    const g = this.graphFor(bs);
    this.optimizer = createOptimizer(c.optimizer, g.params, this.backend);
    this.schedule = createSchedule(c.schedule, c.optimizer.lr);
    this.optimizer.lr = this.schedule.lr;
    const perStep = (c.scheduleUnit ?? (c.schedule && DEFAULT_STEP_UNIT.has(c.schedule.kind) ? 'step' : 'epoch')) === 'step';
    const early = c.earlyStopping ? new EarlyStopping(c.earlyStopping) : null;
    const monitor = early ? parseMonitor(c.earlyStopping!.metric) : { split: 'val' as const, name: 'loss' };
    const monitorMode = early?.mode ?? 'min';
    let bestValue = monitorMode === 'min' ? Infinity : -Infinity;

    const shuffleRng = new Rng((c.seed ^ 0x51f7e) >>> 0);
    const transformRng = new Rng((c.seed ^ 0x7a5f0) >>> 0);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const feeder = new BatchFeeder(train, { transform: this.data.transform, target: this.data.target });
    const trainMetrics = new MetricAccumulator(c.metrics, this.metricTarget);
    const t0 = performance.now();
    let lastProgress = t0;
    let samplesSinceProgress = 0;
    let reason: DoneEvent['reason'] = 'completed';
    let epochsRun = 0;
    const totalSteps = stepsPerEpoch * c.epochs;

    outer: for (let epoch = 1; epoch <= c.epochs; epoch++) {
      const te = performance.now();
      shuffleRng.shuffle(order);
      trainMetrics.reset();
      let lossSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (!(await this.checkpointControl())) {
          reason = 'stopped';
          break outer;
        }
        const start = s * bs;
        const count = Math.min(bs, n - start);
        const gb = this.graphFor(count);
        const x = gb.input(this.featureInput).data;
        const y = this.targetInput ? gb.input(this.targetInput).data : null;
        feeder.fill(order, start, count, x, y, transformRng);
        const loss = gb.forward(true);
        if (!Number.isFinite(loss)) {
          throw new StepError(
            'TRAIN_NONFINITE_LOSS',
            `The loss became ${loss} at step ${this.steps + 1} (epoch ${epoch}, batch ${s + 1}); the step was not applied. ` +
              'Try a lower learning rate, gradient clipping, or check the data for extreme values.',
            epoch,
            this.steps + 1,
          );
        }
        gb.backward();
        if (c.gradClip?.kind === 'norm') clipGradNorm(gb.params, c.gradClip.maxNorm);
        else if (c.gradClip?.kind === 'value') clipGradValue(gb.params, c.gradClip.clipValue);
        this.optimizer.step(this.schedule.lr);
        if (perStep) this.schedule.step();
        this.steps++;
        lossSum += loss;
        trainMetrics.add(count, loss, gb.output(this.predictionNode).data, y);
        this.options.onStepLoss?.(this.steps, loss);
        samplesSinceProgress += count;
        const now = performance.now();
        if (now - lastProgress >= (this.options.progressEveryMs ?? 200) || s === stepsPerEpoch - 1) {
          const elapsed = (now - t0) / 1000;
          this.emit({
            type: 'progress',
            epoch,
            epochs: c.epochs,
            step: this.steps,
            stepInEpoch: s + 1,
            stepsPerEpoch,
            loss: lossSum / (s + 1),
            batchLoss: loss,
            lr: this.schedule.lr,
            samplesPerSec: samplesSinceProgress / Math.max(1e-9, (now - lastProgress) / 1000),
            etaSeconds: (elapsed / this.steps) * (totalSteps - this.steps),
          });
          lastProgress = now;
          samplesSinceProgress = 0;
        }
      }
      epochsRun = epoch;
      const trainValues = trainMetrics.result();
      const val = this.data.val.count > 0 ? await this.evaluate(this.data.val) : undefined;
      if (val === null) {
        reason = 'stopped';
        break;
      }
      if (!perStep) this.schedule.step(val?.loss ?? trainValues.loss);
      const watched = pick(monitor.split === 'val' && val ? val : trainValues, monitor.name);
      const isBest =
        this.bestCheckpoint === null ||
        (monitorMode === 'min' ? watched < bestValue - (c.earlyStopping?.minDelta ?? 0) : watched > bestValue + (c.earlyStopping?.minDelta ?? 0));
      const stopNow = early ? early.update(watched).stop : false;
      this.lastCheckpoint = this.snapshot(epoch, { train: trainValues, val });
      if (isBest) {
        bestValue = watched;
        this.bestCheckpoint = this.lastCheckpoint;
      }
      this.emit({
        type: 'epoch',
        epoch,
        epochs: c.epochs,
        step: this.steps,
        train: trainValues,
        ...(val ? { val } : {}),
        lr: this.schedule.lr,
        seconds: (performance.now() - te) / 1000,
        best: isBest,
      });
      if (stopNow) {
        reason = 'early-stopping';
        break;
      }
    }

    let evaluatedEpoch = this.lastCheckpoint?.epoch ?? 0;
    let test: MetricValues | undefined;
    if (reason !== 'stopped') {
      if (early && this.bestCheckpoint && this.bestCheckpoint !== this.lastCheckpoint) {
        this.restore(this.bestCheckpoint);
        evaluatedEpoch = this.bestCheckpoint.epoch;
      }
      const t = this.data.test.count > 0 ? await this.evaluate(this.data.test) : undefined;
      if (t === null) reason = 'stopped';
      else test = t;
    }
    const ref = evaluatedEpoch === this.bestCheckpoint?.epoch ? this.bestCheckpoint : this.lastCheckpoint;
    const done: DoneEvent = {
      type: 'done',
      reason,
      epochs: epochsRun,
      steps: this.steps,
      seconds: (performance.now() - t0) / 1000,
      evaluatedEpoch,
      ...(ref?.metrics.train ? { train: ref.metrics.train } : {}),
      ...(ref?.metrics.val ? { val: ref.metrics.val } : {}),
      ...(test ? { test } : {}),
    };
    this.emit(done);
    return done;
  }

  /**
   * Metrics of the current weights on `ds` in eval mode (Dropout off, BatchNorm running stats).
   * The transform's noise is drawn from a fixed seed so every evaluation sees the same inputs.
   * Returns null when stopped midway.
   */
  async evaluate(ds: Dataset): Promise<MetricValues | null> {
    const c = this.config;
    const bs = c.batchSize;
    const feeder = new BatchFeeder(ds, { transform: this.data.transform, target: this.data.target });
    const acc = new MetricAccumulator(c.metrics, this.metricTarget);
    const rng = new Rng((c.seed ^ 0xe7a1) >>> 0);
    const order = Int32Array.from({ length: ds.count }, (_, i) => i);
    for (let start = 0; start < ds.count; start += bs) {
      if (this.state === 'stopping') return null;
      await this.maybeYield();
      const count = Math.min(bs, ds.count - start);
      const g = this.graphFor(count);
      const y = this.targetInput ? g.input(this.targetInput).data : null;
      feeder.fill(order, start, count, g.input(this.featureInput).data, y, rng);
      const loss = g.forward(false);
      acc.add(count, loss, g.output(this.predictionNode).data, y);
    }
    return acc.result();
  }

  /** Copy a checkpoint's parameters and buffers back into the graph. */
  restore(ck: Checkpoint): void {
    const g = this.graphFor(this.config.batchSize);
    for (const p of g.params) p.value.data.set(ck.params[`${p.nodeId}.${p.name}`]);
    for (const b of g.buffers) b.value.data.set(ck.buffers[`${b.nodeId}.${b.name}`]);
  }

  private snapshot(epoch: number, metrics: Checkpoint['metrics']): Checkpoint {
    const g = this.graphFor(this.config.batchSize);
    return {
      epoch,
      step: this.steps,
      params: Object.fromEntries(g.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data.slice()])),
      buffers: Object.fromEntries(g.buffers.map((b) => [`${b.nodeId}.${b.name}`, b.value.data.slice()])),
      optimizer: this.optimizer.state(),
      schedule: this.schedule.state(),
      metrics,
    };
  }

  /** Honour pause/step/stop; yields every few ms. Returns false when the run must stop. */
  private async checkpointControl(): Promise<boolean> {
    await this.maybeYield();
    if (this.singleStep) {
      this.singleStep = false;
      if (this.state === 'running') this.state = 'paused';
    }
    while (this.state === 'paused' && !this.singleStep) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.lastYield = performance.now();
    }
    if (this.singleStep && this.state === 'paused') {
      // Run this one batch in the running state; the next control check pauses again.
      this.state = 'running';
    }
    return this.state !== 'stopping';
  }

  private async maybeYield(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield >= (this.options.yieldEveryMs ?? 10)) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      this.lastYield = performance.now();
    }
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private emit(e: TrainerEvent): void {
    this.options.onEvent?.(e);
  }

  private graphFor(batch: number): TrainableGraph {
    let g = this.graphs.get(batch);
    if (!g) {
      const base = this.graphs.get(this.config.batchSize);
      g = base ? base.withBatchSize(batch) : this.options.compile(this.graph, { batchSize: batch, backend: this.backend, seed: this.config.seed });
      this.graphs.set(batch, g);
    }
    return g;
  }

  /** Find the feature/target inputs and the prediction node, and check them against the data. */
  private bindGraph(): void {
    const nodes = new Map(this.graph.nodes.map((nd) => [nd.id, nd]));
    const inputs = this.graph.nodes.filter((nd) => nd.op === 'Input');
    const feats = inputs.filter((nd) => (nd.attrs.source ?? 'features') === 'features');
    const targets = inputs.filter((nd) => nd.attrs.source === 'target');
    if (feats.length !== 1) {
      throw new TrainError('TRAIN_INPUTS', `The trainer feeds one dataset to one Input with source "features"; this graph has ${feats.length}.`);
    }
    if (targets.length > 1) throw new TrainError('TRAIN_INPUTS', `Only one Input with source "target" is supported; this graph has ${targets.length}.`);
    this.featureInput = feats[0].id;
    this.targetInput = targets[0]?.id ?? null;

    const ds = this.data.train;
    const featShape = (feats[0].attrs.shape as readonly number[] | undefined) ?? [1];
    const fs = prod(featShape);
    const dsFs = prod(ds.featureShape);
    if (fs !== dsFs) {
      throw new TrainError(
        'TRAIN_SHAPE_MISMATCH',
        `Input "${feats[0].id}" takes samples of shape [${featShape.join(', ')}] (${fs} values) but ${ds.name} has samples of shape [${ds.featureShape.join(', ')}] (${dsFs} values). Set the Input's shape to [${ds.featureShape.join(', ')}].`,
      );
    }
    const labels = this.data.target === 'label' && ds.task === 'classification';
    if (targets[0]) {
      const ts = prod((targets[0].attrs.shape as readonly number[] | undefined) ?? [1]);
      const want = this.data.target === 'features' ? dsFs : labels ? 1 : prod(ds.targetShape);
      if (ts !== want) {
        const hint = labels ? 'class labels need shape [] (one class index per sample)' : this.data.target === 'features' ? `the clean features need shape [${ds.featureShape.join(', ')}]` : `targets have shape [${ds.targetShape.join(', ')}]`;
        throw new TrainError('TRAIN_SHAPE_MISMATCH', `Target input "${targets[0].id}" has ${ts} values per sample but ${hint}.`);
      }
    }

    const c = this.config;
    const lossIds = Array.isArray(c.loss) ? c.loss : [c.loss];
    for (const id of lossIds) if (!nodes.has(id)) throw new TrainError('TRAIN_BAD_CONFIG', `The loss node "${id}" is not in the graph.`);
    const named = c.predictionOutput ?? (this.graph.outputs.logits !== undefined ? 'logits' : undefined);
    let pred: NodeIR | undefined;
    if (named !== undefined) {
      pred = nodes.get(this.graph.outputs[named] ?? '');
      if (!pred) throw new TrainError('TRAIN_BAD_CONFIG', `predictionOutput "${named}" is not one of the graph outputs (${Object.keys(this.graph.outputs).join(', ')}).`);
    } else {
      pred = nodes.get(nodes.get(lossIds[0])!.inputs[0]);
    }
    if (!pred) throw new TrainError('TRAIN_BAD_CONFIG', 'Cannot find the prediction node: name it in training.predictionOutput.');
    this.predictionNode = pred.id;
    this.metricTarget = {
      kind: labels ? 'classification' : 'regression',
      outputSize: 0, // known after compiling
      numClasses: labels ? ds.numClasses : 0,
    };
    const probe = this.graphFor(this.config.batchSize).output(this.predictionNode);
    this.metricTarget.outputSize = prod(probe.shape.slice(1));
    if (labels && this.metricTarget.outputSize !== 1 && this.metricTarget.outputSize !== ds.numClasses) {
      throw new TrainError(
        'TRAIN_SHAPE_MISMATCH',
        `The prediction "${pred.id}" has ${this.metricTarget.outputSize} values per sample but ${ds.name} has ${ds.numClasses} classes; make the last layer output ${ds.numClasses}.`,
      );
    }
  }
}

class StepError extends TrainError {
  constructor(
    code: 'TRAIN_NONFINITE_LOSS',
    message: string,
    readonly epoch: number,
    readonly step: number,
  ) {
    super(code, message);
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

function prod(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

