import type { CompiledGraph, CompileOptions } from '../../core/autodiff/executor';
import type { Backend } from '../../core/backend/types';
import { applyNormalization, featureSize, type PreparedData } from '../../core/data';
import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import type { MetricValues } from '../../core/metrics';
import { getOp } from '../../core/ops/registry';
import { DEFAULT_PROBE_OPTIONS, ProbeSuite, allFinite, type ProbeSuiteOptions, compact, compactOrNull, rowProbabilities } from '../probes';
import type { EngineEvent, EventData, ProbeFrame, ProbeOptions, ResultOf, RunState, TrainOverrides } from '../../protocol/messages';
import { DEFAULT_PROBE_HZ, MAX_STEP_LOSSES } from '../../protocol/messages';
import { TrainError, TrainingLoop, stripUndefined } from '../../core/train';
import type { Checkpoint, CompileFn, DeviceCapture, GraphBinding, LoopEpoch, LoopProgress, StepContext, StepFigures, StepVerdict } from '../../core/train';
import { divergenceHint, gradientsFinite, locateNonFinite, type NonFiniteSite } from './divergence-guard';
import { suggestLr } from '../../core/optim/registry';
import { LatestWinsMailbox } from './frame-mailbox';
import { StepLossBuffer } from './step-losses';
import { recordMetrics, type RunSink } from '../runs/recorder';
import type { TrainedModel } from '../../core/export/model';
export type SessionEmit = <E extends EngineEvent>(event: E, data: EventData<E>) => void;

export interface TrainingSessionOptions {
  /** The executor's `compileGraph` (injected so tests can wrap it). */
  compile: (graph: GraphIR, opts: CompileOptions) => CompiledGraph;
  /** Receives every `train.*` event and the probe frames (already flow-controlled). */
  emit: SessionEmit;
  overrides?: Omit<TrainOverrides, 'limit'>;
  /** Continue from a stored run's checkpoint (the loop's `resumeFrom`; docs/runs.md). */
  resumeFrom?: Checkpoint;
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
  /**
   * Where a run on a device (the GPU) goes on when that device is lost (`E_GPU_LOST`): the CPU's
   * compile function and its name. The run then pauses, rolled back to its last snapshot, on the
   * CPU, and `resume` trains on there (docs/webgpu-backend.md, "A lost device"). `onSwitch` is
   * called once it has (the caller lets go of the device). Absent: the run fails with E_GPU_LOST.
   */
  deviceLost?: { compile: TrainingSessionOptions['compile']; description: string; onSwitch?(): void };
  /**
   * Rollback snapshots between epoch ends: at most every `everyMs` (default 1000), and on a device
   * at most `budget` of the time reading them back (default 0.02). Epoch ends always snapshot.
   */
  snapshots?: { everyMs?: number; budget?: number };
}

/** Write the run store's last/best checkpoints at epoch ends at most this often (ms); always at the end. */
const CHECKPOINT_EVERY_MS = 2000;

/** Take a rollback snapshot at most this often (ms), and only while the loss is healthy. */
const SNAPSHOT_EVERY_MS = 1000;
/**
 * On a device, a snapshot reads the weights and optimizer state back (`DeviceStep.sync`): at most
 * this share of the training time goes to it, so a model whose state takes long to read back is
 * snapshotted less often than every SNAPSHOT_EVERY_MS.
 */
const SNAPSHOT_BUDGET = 0.02;
/** Most probe frames a second of a paced run (`RunControl.setPace`): every step up to this pace. */
export const PACED_PROBE_HZ = 10;

/**
 * One training run as the app sees it: the one `TrainingLoop` (its recipe, groups, validation
 * with a confusion matrix, early stopping, final test and run control) plus what is the app's
 * own — probes at a bounded rate, a divergence guard, and the protocol adapter (`train.*`
 * events, latest-wins delivery of probe frames, `predict`).
 *
 * Divergence guard (loop hooks): after each forward the loss must be finite and below
 * `lossExplosion`× the first step's loss (and, with `checkGradients`, every parameter gradient
 * finite before the update). On a failure the step is not applied, the first site in topological
 * order is located (`locateNonFinite`, or the first layer whose output RMS grew past the same
 * factor), and the run holds in state `diverged` until `resume(lr)` or `step(lr)`, which first
 * roll the weights and optimizer state back to the last good snapshot (taken at the start, at
 * each epoch end and about once a second while the loss is not rising). The failed batch is then
 * retried; the step counter keeps counting.
 */
export class TrainingSession {
  private current: TrainingLoop;
  private probeSuite: ProbeSuite | null;
  /** The probe settings the suite was made with (a suite is made again for the CPU plan after a lost device). */
  private readonly probeSettings: ProbeSuiteOptions | null;
  private readonly mailbox: LatestWinsMailbox<ProbeFrame>;
  private started = false;
  private forceProbe = false;
  private probeNow = false;
  /** What the device step in progress reads back for its frame (a probed GPU step), else null. */
  private deviceCapture: DeviceCapture | null = null;
  /** The state a divergence rolls back to (one checkpoint, overwritten in place). */
  private readonly good: Checkpoint;
  private seq = 0;
  /** Loss and per-node activation RMS of the run's first step: what "exploding" is measured against. */
  private firstLoss: number | null = null;
  private referenceRms = new Map<string, number>();
  private lastProbeAt = -Infinity;
  private probeCostMs = 0;
  private ema = NaN;
  private bestEma = Infinity;
  private lastSnapshot = performance.now();
  /** Ms between snapshots: `snapshots.everyMs`, or longer where a device snapshot costs more than its budget. */
  private snapshotEveryMs: number;
  /** Training time of the loops before the current one (a run that lost its device and went on on the CPU). */
  private earlierSeconds = 0;
  private readonly createdAt = performance.now();
  /** The run was held (diverged) when it ended. */
  private heldAtEnd = false;
  private record: RunSink | null = null;
  private lastStored = -Infinity;
  private storedBest: Checkpoint | null = null;
  /** Every step's loss since the last progress event (the batch-loss curve's points). */
  private readonly stepLosses = new StepLossBuffer(MAX_STEP_LOSSES);
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
    this.current = this.createLoop(graph, options.compile, {
      // The Samples tab shows accuracy and a confusion matrix for every classifier.
      metrics: classification ? [...new Set([...t.metrics, 'accuracy', 'confusion'])] : t.metrics,
      ...(o.lr !== undefined ? { optimizer: { ...t.optimizer, lr: o.lr } } : {}),
      ...stripUndefined({ epochs: o.epochs, batchSize: o.batchSize, seed: o.seed }),
    }, options.resumeFrom);
    const p = options.probes === false ? null : { ...DEFAULT_PROBE_OPTIONS, ...stripUndefined(options.probes ?? {}) };
    this.probeSettings = p;
    this.probeSuite = p ? new ProbeSuite(this.graph, this.plan, data, this.binding, p, this.config.seed) : null;
    const po = options.probes || {};
    this.probeOptions = { maxHz: po.maxHz ?? DEFAULT_PROBE_HZ, budget: po.budget ?? 0.02, ...(po.everySteps !== undefined ? { everySteps: po.everySteps } : {}) };
    this.mailbox = new LatestWinsMailbox((f) => options.emit('probe.frame', f));
    this.snapshotEveryMs = options.snapshots?.everyMs ?? SNAPSHOT_EVERY_MS;
    this.good = this.loop.capture();
  }

  /**
   * The loop of this run's hooks and control: the one the run started with, or, after its device
   * was lost, the one that goes on on the CPU.
   */
  private createLoop(graph: GraphIR, compile: TrainingSessionOptions['compile'], overrides: Partial<TrainingConfig>, resumeFrom: Checkpoint | undefined): TrainingLoop {
    const options = this.options;
    return new TrainingLoop(graph, this.data, this.backend, {
      compile: compile as CompileFn,
      // A run the user stops still gets test figures (of the weights at the stop).
      testWhenStopped: true,
      overrides,
      ...(options.yieldToHost ? { yieldToHost: options.yieldToHost } : {}),
      ...(resumeFrom ? { resumeFrom } : {}),
      ...(options.yieldEveryMs !== undefined ? { yieldEveryMs: options.yieldEveryMs } : {}),
      ...(options.progressEveryMs !== undefined ? { progressEveryMs: options.progressEveryMs } : {}),
      hooks: [
        {
          afterForward: (ctx) => this.guardLoss(ctx),
          afterBackward: (ctx) => ((options.checkGradients ?? false) && !gradientsFinite(ctx.graph) ? this.diverged(ctx, 'nonfinite') : 'ok'),
          beforeUpdate: (ctx) => this.beforeUpdate(ctx),
          beforeDeviceStep: (ctx) => this.beforeDeviceStep(ctx),
          afterStep: (ctx) => this.afterStep(ctx),
          onProgress: (p) => this.progress(p),
          afterEpoch: (e) => this.epochEnd(e),
          onState: (state) => {
            this.heldAtEnd = state === 'diverged' || (state === 'stopping' && this.heldAtEnd);
            this.record?.append({ kind: 'event', t: this.elapsed(), event: 'state', data: { state, step: this.loop.step } });
            options.emit('train.state', { runId: this.runId, state, step: this.loop.step });
          },
          onRestore: () => this.loop.restore(this.good),
        },
      ],
    });
  }

  /** The run's training loop (see {@link createLoop}). */
  get loop(): TrainingLoop {
    return this.current;
  }

  /** The run's probes (null: headless). */
  get probes(): ProbeSuite | null {
    return this.probeSuite;
  }

  get config(): TrainingConfig {
    return this.loop.config;
  }

  get graph(): GraphIR {
    return this.loop.graph;
  }

  get plan(): CompiledGraph {
    return this.loop.plan as CompiledGraph;
  }

  get binding(): GraphBinding {
    return this.loop.binding;
  }

  get stepsPerEpoch(): number {
    return this.loop.stepsPerEpoch;
  }

  get status(): RunState {
    return this.loop.control.state;
  }

  get step(): number {
    return this.loop.step;
  }

  /** The learning rate the next step uses. */
  get lr(): number {
    return this.loop.lr;
  }

  /**
   * Record the run into the run store: every step's loss and learning rate, each epoch's metrics,
   * the probe frames, state changes and divergences, and its end. Call before `run()`.
   */
  recordTo(sink: RunSink): void {
    this.record = sink;
  }

  /** Frames waiting behind the one in flight (0 or 1: latest wins). */
  get queuedFrames(): number {
    return this.mailbox.queued;
  }

  /** The client consumed frame `seq`; returns whether another frame is now in flight. */
  ackFrame(seq: number): boolean {
    return this.mailbox.ack(seq);
  }

  /**
   * A new client attached (a reloaded page): forget the frame the old one never acknowledged,
   * and probe again soon so the new one gets a frame without waiting a whole interval.
   */
  reattach(): void {
    this.mailbox.reset();
    this.forceProbe = true;
  }

  /** Apply a control action; answers the state it leaves the run in. */
  control(action: 'pause' | 'resume' | 'stop' | 'step' | 'pace', lr?: number, stepsPerSecond?: number): { state: RunState; step: number; pace: number } {
    const c = this.loop.control;
    if (action === 'pace') {
      if (stepsPerSecond === undefined) throw Object.assign(new Error('A pace needs stepsPerSecond (0: as fast as possible).'), { code: 'E_TRAIN_PACE' });
      c.setPace(stepsPerSecond);
    } else if (action === 'pause') c.pause();
    else if (action === 'resume') c.resume(lr);
    else if (action === 'step') {
      if (c.state === 'paused' || c.state === 'diverged') this.forceProbe = true;
      c.step(lr);
    } else c.stop();
    return { state: c.state, step: this.loop.step, pace: c.pace };
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
      let r: Awaited<ReturnType<TrainingLoop['run']>>;
      for (;;) {
        const started = performance.now();
        try {
          r = await this.loop.run();
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== 'E_GPU_LOST' || !this.options.deviceLost || !this.loop.plan.device) throw e;
          this.earlierSeconds += (performance.now() - started - this.loop.control.pausedMs) / 1000;
          this.continueOnHost(e as Error);
        }
      }
      const seconds = r.seconds + this.earlierSeconds;
      this.options.emit('train.done', {
        runId: this.runId,
        reason: r.reason,
        epochs: r.epochs,
        steps: r.steps,
        seconds: compact(seconds),
        evaluatedEpoch: r.evaluatedEpoch,
        ...(r.train ? { train: sanitize(r.train) } : {}),
        ...(r.val ? { val: sanitize(r.val) } : {}),
        ...(r.test ? { test: sanitize(r.test) } : {}),
      });
      this.finalMetrics = recordMetrics({ train: r.train, val: r.val, test: r.test });
      // The weights as the run ends (early stopping has put the best ones back).
      if (this.loop.step > 0 && this.record?.checkpoint) {
        try {
          this.record.checkpoint('last', this.loop.capture(recordMetricsLoop(r)), { normalization: this.data.normalization, classNames: [...this.data.train.classNames] });
        } catch (err) {
          this.record.append({ kind: 'event', t: this.elapsed(), event: 'checkpoint-failed', data: { message: (err as Error).message } });
        }
        this.lastStored = -Infinity;
        this.storeBestOnly();
      }
      this.record?.finish(r.reason === 'stopped' ? (this.heldAtEnd ? 'diverged' : 'stopped') : 'done', {
        steps: r.steps,
        epochs: r.epochs,
        seconds,
        metrics: recordMetrics({ train: r.train, val: r.val, test: r.test }),
      });
      this.loop.control.finish('done');
    } catch (e) {
      const err = e as Error & { code?: string };
      const message = err.message;
      this.options.emit('train.error', { runId: this.runId, code: err.code ?? 'TRAIN_INTERNAL', message, epoch: this.loop.epoch, step: this.loop.step });
      this.record?.append({ kind: 'event', t: this.elapsed(), event: 'error', data: { code: err.code ?? 'TRAIN_INTERNAL', message } });
      this.record?.finish('failed', { steps: this.loop.step, epochs: this.loop.epoch, seconds: this.elapsed(), metrics: {} });
      this.loop.control.finish('failed');
    }
  }

  /**
   * The run's device was lost: its weights there are gone. Go on on the CPU from the last
   * snapshot (taken at most a few seconds before, see `snapshotDevice`): a loop on the CPU plan
   * resumes from it, paused, so the user sees what happened and chooses to go on (Resume) or stop.
   * The steps after the snapshot are trained again; the run store records a rewind to it, so the
   * stored curves keep one value per step.
   */
  private continueOnHost(err: Error): void {
    const fallback = this.options.deviceLost!;
    const old = this.loop;
    const lostAt = old.step;
    const epoch = old.epoch;
    const ck = this.good;
    // The first snapshot is taken before any step: no epoch to resume in, so the same initial weights start afresh.
    const loop = this.createLoop(old.graph, fallback.compile, {}, ck.step > 0 ? ck : undefined);
    if (ck.step === 0) loop.warmStart({ ...ck.params, ...ck.buffers });
    loop.control.setPace(old.control.pace);
    this.current = loop;
    this.probeSuite = this.probeSettings ? new ProbeSuite(this.graph, this.plan, this.data, this.binding, this.probeSettings, this.config.seed) : null;
    this.deviceCapture = null;
    this.probeNow = false;
    this.forceProbe = true;
    this.snapshotEveryMs = this.options.snapshots?.everyMs ?? SNAPSHOT_EVERY_MS;
    this.lastSnapshot = performance.now();
    fallback.onSwitch?.();
    // Epochs whose end the snapshot had passed (its validation and checkpoint are kept).
    const epochsDone = ck.batch === undefined ? ck.epoch : ck.epoch - 1;
    const again = lostAt - ck.step;
    const message =
      `${err.message} The run paused at step ${lostAt}. Resume continues on the CPU (${fallback.description}) from step ${ck.step}, ` +
      `the last snapshot${again > 0 ? ` (step${again > 1 ? `s ${ck.step + 1}–${lostAt} are` : ` ${lostAt} is`} trained again)` : ''}.`;
    this.record?.append({ kind: 'event', t: this.elapsed(), event: 'device-lost', data: { step: lostAt, epoch, backend: fallback.description, message } });
    this.record?.append({ kind: 'event', t: this.elapsed(), event: 'rewind', data: { step: ck.step, epoch: epochsDone } });
    this.options.emit('train.deviceLost', { runId: this.runId, step: lostAt, epoch, resumeStep: ck.step, resumeEpoch: epochsDone, backend: fallback.description, message });
    loop.control.pause();
  }

  private storeBestOnly(): void {
    const best = this.loop.best;
    if (!best || best === this.storedBest || !this.record?.checkpoint) return;
    try {
      this.record.checkpoint('best', best, { normalization: this.data.normalization, classNames: [...this.data.train.classNames] });
      this.storedBest = best;
    } catch (err) {
      this.record.append({ kind: 'event', t: this.elapsed(), event: 'checkpoint-failed', data: { message: (err as Error).message } });
    }
  }

  /** The divergence guard's look at a forward pass. */
  private guardLoss(ctx: StepContext): StepVerdict {
    const loss = ctx.loss;
    if (this.firstLoss === null && Number.isFinite(loss)) this.recordReference(ctx.graph as CompiledGraph, loss);
    if (!Number.isFinite(loss)) return this.diverged(ctx, 'nonfinite');
    const explosion = this.options.lossExplosion ?? 100;
    if (explosion > 0 && loss > explosion * Math.max(this.firstLoss!, 1e-2)) return this.diverged(ctx, 'exploding');
    return 'ok';
  }

  private beforeUpdate(ctx: StepContext): void {
    if (ctx.group !== 0) return;
    // The last step of every epoch is always probed, so the charts end on the trained model
    // (a short run would otherwise keep a frame from its first moments).
    this.probeNow = this.probes !== null && (this.probeDue() || ctx.batch === ctx.stepsPerEpoch - 1);
    if (this.probeNow) this.probes!.gradients.beforeUpdate();
  }

  /**
   * The GPU's `beforeUpdate`: the whole step is one submission, so whether it is probed is
   * decided before it, and a probed one reduces what the frame reads (the weights before and
   * after the update, the parameter and node gradients) on the device and reads back the figures.
   */
  private beforeDeviceStep(ctx: StepContext): DeviceCapture | undefined {
    this.probeNow = this.probes !== null && (this.probeDue() || ctx.batch === ctx.stepsPerEpoch - 1);
    this.deviceCapture = this.probeNow ? this.probes!.deviceCapture() : null;
    return this.deviceCapture ?? undefined;
  }

  private afterStep(ctx: StepContext): void | Promise<void> {
    const loss = ctx.loss;
    this.record?.append({ kind: 'step', step: this.loop.step, epoch: ctx.epoch, loss: Number.isFinite(loss) ? loss : null, lr: this.loop.lr, t: this.elapsed() });
    this.stepLosses.push(this.loop.step, loss);
    this.ema = Number.isNaN(this.ema) ? loss : 0.9 * this.ema + 0.1 * loss;
    const now = performance.now();
    if (this.ema < this.bestEma) this.bestEma = this.ema;
    const device = ctx.graph.device;
    let snapshot: Promise<void> | null = null;
    if (now - this.lastSnapshot >= this.snapshotEveryMs && this.ema <= this.bestEma * 1.5 + 1e-12) {
      // Finite gradients of an applied step mean finite weights: a safe point to roll back to.
      if (!device && gradientsFinite(ctx.graph)) {
        this.loop.capture({}, this.good);
        this.lastSnapshot = now;
      } else if (device) snapshot = this.snapshotDevice();
    }
    if (!this.probeNow) return snapshot ?? undefined;
    if (this.deviceCapture) {
      const { readbackMs = 0, figures } = this.deviceCapture;
      this.deviceCapture = null;
      const frame = () => this.captureDeviceFrame(ctx.graph as CompiledGraph, ctx.epoch, loss, readbackMs, figures);
      return snapshot ? snapshot.then(frame) : frame();
    }
    this.captureFrame(ctx.graph as CompiledGraph, ctx.epoch, loss);
    return snapshot ?? undefined;
  }

  /**
   * A device run's rollback snapshot: its weights and optimizer state read back into the host's
   * (what a lost device resumes on the CPU from, and a divergence rolls back to), kept only when
   * every weight is finite. Spaced so that reading back takes at most SNAPSHOT_BUDGET of the time.
   */
  private async snapshotDevice(): Promise<void> {
    const t0 = performance.now();
    await this.loop.sync();
    const now = performance.now();
    this.lastSnapshot = now;
    this.snapshotEveryMs = Math.max(this.options.snapshots?.everyMs ?? SNAPSHOT_EVERY_MS, (now - t0) / (this.options.snapshots?.budget ?? SNAPSHOT_BUDGET));
    if (this.plan.params.every((p) => allFinite(p.value.data))) this.loop.capture({}, this.good);
  }

  private progress(p: LoopProgress): void {
    this.options.emit('train.progress', {
      runId: this.runId,
      epoch: p.epoch,
      epochs: p.epochs,
      step: p.step,
      stepInEpoch: p.stepInEpoch,
      stepsPerEpoch: p.stepsPerEpoch,
      loss: compactOrNull(p.loss),
      batchLoss: compactOrNull(p.batchLoss),
      ...stripUndefined({ stepLosses: this.stepLosses.take() }),
      ...(p.groupLosses ? { groupLosses: Object.fromEntries(Object.entries(p.groupLosses).map(([k, v]) => [k, compactOrNull(v)])) } : {}),
      lr: compact(p.lr),
      samplesPerSec: compact(p.samplesPerSec),
      etaSeconds: compact(p.etaSeconds),
      state: p.single ? 'paused' : this.loop.control.state,
    });
  }

  /** Seconds since the session was created. */
  private elapsed(): number {
    return (performance.now() - this.createdAt) / 1000;
  }

  /**
   * Write the loop's last and best checkpoints to the run store (best only when it changed).
   * A store that cannot be written (disk full) must not stop training: the failure is recorded.
   */
  private storeCheckpoints(force: boolean): void {
    const sink = this.record;
    if (!sink?.checkpoint) return;
    const now = performance.now();
    if (!force && now - this.lastStored < CHECKPOINT_EVERY_MS) return;
    this.lastStored = now;
    const extras = { normalization: this.data.normalization, classNames: [...this.data.train.classNames] };
    try {
      const last = this.loop.last ?? (force && this.loop.step > 0 ? this.loop.capture() : null);
      if (last) sink.checkpoint('last', last, extras);
      const best = this.loop.best;
      if (best && best !== this.storedBest) {
        sink.checkpoint('best', best, extras);
        this.storedBest = best;
      }
    } catch (err) {
      sink.append({ kind: 'event', t: this.elapsed(), event: 'checkpoint-failed', data: { message: (err as Error).message } });
    }
  }

  /** The model as the weights are now (between two steps, or after the run): for exports and the project file. */
  /**
   * Before the run starts: take the weights of `model` where node ids, names and sizes match
   * (fine-tuning a loaded or imported model); the rollback snapshot starts from them too.
   */
  warmStart(model: Pick<TrainedModel, 'params' | 'buffers'>): { taken: string[]; fresh: string[] } {
    const r = this.loop.warmStart({ ...model.params, ...model.buffers });
    this.loop.capture({}, this.good);
    return r;
  }

  currentModel(): TrainedModel {
    const ck = this.loop.capture();
    return {
      graph: this.graph,
      params: ck.params,
      buffers: ck.buffers,
      ...(this.data.normalization ? { normalization: this.data.normalization } : {}),
      classNames: [...this.data.train.classNames],
      ...(this.finalMetrics ? { metrics: this.finalMetrics } : {}),
      origin: { ...(this.record ? { runId: this.record.id } : {}), step: ck.step, epoch: ck.epoch, which: 'last' },
    };
  }

  private finalMetrics: Record<string, Record<string, unknown>> | null = null;

  private epochEnd(e: LoopEpoch): void {
    this.record?.append({ kind: 'epoch', epoch: e.epoch, step: e.step, t: this.elapsed(), metrics: recordMetrics({ train: e.train, val: e.val }) });
    this.storeCheckpoints(false);
    if (Number.isFinite(e.train.loss)) {
      this.loop.capture({}, this.good);
      this.lastSnapshot = performance.now();
    }
    this.options.emit('train.epoch', {
      runId: this.runId,
      epoch: e.epoch,
      epochs: e.epochs,
      step: e.step,
      train: sanitize(e.train),
      ...(e.val ? { val: sanitize(e.val) } : {}),
      lr: compact(e.lr),
      seconds: compact(e.seconds),
      best: e.best,
    });
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

  private diverged(ctx: StepContext, cause: 'nonfinite' | 'exploding'): StepVerdict {
    const gb = ctx.graph as CompiledGraph;
    const { epoch, loss } = ctx;
    const step = this.loop.step + 1;
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
    this.loop.control.hold();
    this.record?.append({ kind: 'event', t: this.elapsed(), event: 'diverged', data: { step: at, cause, nodeId: site.nodeId, where: site.where } });
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
      suggestedLr: suggestLr(this.config.optimizer.kind, lr),
      hint: divergenceHint(site, lr, suggestLr(this.config.optimizer.kind, lr)),
      message: `${head}. The run paused without applying step ${step}; resuming restores the weights of step ${this.good.step}.`,
      restoredStep: this.good.step,
    });
    return 'retry';
  }

  /**
   * Whether this step is probed: a single step always is; otherwise at most `maxHz` frames a
   * second, at most `budget` of the time (interval ≥ the last frame's cost ÷ budget), and every
   * `everySteps` steps when that is set.
   */
  private probeDue(): boolean {
    if (this.forceProbe || this.loop.control.singleStepping) return true;
    const { everySteps, maxHz, budget } = this.probeOptions;
    if (everySteps !== undefined && (this.loop.step + 1) % everySteps !== 0) return false;
    // A paced run is there to be watched: frames keep up with its steps (up to PACED_PROBE_HZ).
    const pace = this.loop.control.pace;
    const hz = pace > 0 ? Math.max(maxHz, Math.min(pace, PACED_PROBE_HZ)) : maxHz;
    const interval = Math.max(1000 / hz, this.probeCostMs / budget);
    return performance.now() - this.lastProbeAt >= interval;
  }

  private captureFrame(gb: CompiledGraph, epoch: number, loss: number): void {
    this.forceProbe = false;
    const t0 = performance.now();
    const frame = this.probes!.capture(gb, { step: this.loop.step, epoch, loss });
    this.frameTaken(frame, performance.now() - t0);
  }

  /**
   * A GPU run's frame: the step already reduced its weights and gradients on the device and read
   * the figures back (`readbackMs` of it after its loss landed); the probe batch's forwards run on
   * the device. The frame's cost, and the cadence's, include both.
   */
  private async captureDeviceFrame(gb: CompiledGraph, epoch: number, loss: number, readbackMs: number, figures: StepFigures | undefined): Promise<void> {
    this.forceProbe = false;
    const t0 = performance.now();
    const frame = await this.probes!.captureAsync(gb, { step: this.loop.step, epoch, loss }, figures);
    frame.costMs = compact(frame.costMs + readbackMs);
    this.frameTaken(frame, readbackMs + performance.now() - t0);
  }

  private frameTaken(frame: Omit<ProbeFrame, 'runId' | 'seq'>, cost: number): void {
    this.lastProbeAt = performance.now();
    // The first frame runs cold (JIT, first eval plan) and would space the next ones too far apart.
    this.probeCostMs = this.seq === 0 ? 0 : this.seq === 1 ? cost : 0.7 * this.probeCostMs + 0.3 * cost;
    this.record?.append({ kind: 'frame', step: this.loop.step, t: this.elapsed(), frame });
    this.mailbox.offer({ runId: this.runId, seq: this.seq++, ...frame });
  }
}

/** The metrics a final checkpoint carries: those of the evaluated epoch. */
function recordMetricsLoop(r: { train?: MetricValues; val?: MetricValues }): Checkpoint['metrics'] {
  return { ...(r.train ? { train: r.train } : {}), ...(r.val ? { val: r.val } : {}) };
}

/** Root mean square of `data` (NaN/Inf when any value is). */
function rms(data: Float32Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return data.length ? Math.sqrt(s / data.length) : 0;
}

/** Metric values for JSON: numbers at float32 precision, NaN/Inf as null. */
function sanitize(v: MetricValues): EventData<'train.epoch'>['train'] {
  const walk = (x: unknown): unknown => (typeof x === 'number' ? compactOrNull(x) : Array.isArray(x) ? x.map(walk) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)])) : x);
  return walk(v) as EventData<'train.epoch'>['train'];
}

