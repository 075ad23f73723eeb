import type { CheckedGraph } from '../../core/analysis/checked';
import type { CompileOptions } from '../../core/autodiff/executor';
import type { Backend } from '../../core/backend/types';
import { languageTokenizer, largeRawTargets, tokenizerOf, type PreparedData, type Samples, type Tokenizer } from '../../core/data';
import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import type { TrainedModel } from '../../core/export/model';
import { Predictor, TrainError, TrainingLoop, nonFiniteLossFails, stripUndefined } from '../../core/train';
import type { Checkpoint, GraphBinding, LoopHooks, LoopResult, TrainingLoopOptions } from '../../core/train';
import type { ProbeOptions, ResultOf, RunState, TrainOverrides } from '../../protocol';
import type { ProbeSuite } from '../probes';
import { recordMetrics, type RunSink, type RunStoreApi } from '../runs/recorder';
import { ENGINE_VERSION } from '../../base/version';
import { DivergenceGuard, type DivergenceGuardOptions } from './divergence-guard';
import { predictSample, textSample } from './predict';
import { ProbeScheduler } from './probe-scheduler';
import { RollbackSnapshots, type RollbackOptions } from './rollback-snapshots';
import { RunRecorder } from './run-recorder';
import { SessionEvents, type SessionEmit } from './session-events';
import type { SessionPlan } from './session-plan';
import { hasClasses } from '../../catalog/tasks';
import { runBaselines } from '../../core/metrics/baselines';

export { PACED_PROBE_HZ } from './probe-scheduler';
export type { SessionEmit } from './session-events';

/** A session's settings; `resumeFrom` continues a stored run's checkpoint (docs/runs.md). */
export interface TrainingSessionOptions extends DivergenceGuardOptions, Pick<TrainingLoopOptions, 'resumeFrom' | 'yieldToHost' | 'yieldEveryMs' | 'progressEveryMs' | 'featureSpill'> {
  /** The executor's `compileGraph` (injected so tests can wrap it). */
  compile: (graph: CheckedGraph, opts: CompileOptions) => SessionPlan;
  /** Receives every `train.*` event and the probe frames (already flow-controlled). */
  emit: SessionEmit;
  overrides?: Omit<TrainOverrides, 'limit'>;
  /** `false`: no probes (headless). */
  probes?: ProbeOptions | false;
  /**
   * Where a run on a device (the GPU) goes on when that device is lost (`E_GPU_LOST`): the CPU's
   * compile function and its name. The run then pauses, rolled back to its last snapshot, on the
   * CPU, and `resume` trains on there (docs/webgpu-backend.md, "A lost device"). `onSwitch` is
   * called once it has (the caller lets go of the device). Absent: the run fails with E_GPU_LOST.
   */
  deviceLost?: { compile: TrainingSessionOptions['compile']; description: string; onSwitch?(): void };
  snapshots?: RollbackOptions;
  /**
   * A run no one watches (the CLI's `netwright train`): nothing holds it for a learner — a
   * non-finite loss fails it (`TRAIN_NONFINITE_LOSS`, the headless trainer's `nonFiniteLossFails`)
   * where the app's divergence guard pauses it, and no rollback snapshots are taken; it measures
   * the design's metrics as they are (the app adds accuracy and a confusion matrix to a
   * classifier's for its Samples tab), and takes no probes.
   */
  headless?: boolean;
  /** The host's own hooks, after the session's (the CLI's printer: core/train `trainerEvents`). */
  hooks?: readonly LoopHooks<SessionPlan>[];
}

/** How a run is recorded besides its graph and settings: what it trains on, its name, sweep, project and parent run. */
export type RunRecordAs = Omit<Parameters<RunStoreApi['create']>[0], 'graph' | 'settings'> & { backend: string };

/**
 * One training run as the app sees it: the one `TrainingLoop` (its recipe, groups, validation
 * with a confusion matrix, early stopping, final test and run control) given the app's hook
 * objects, in this order — the `DivergenceGuard`, the `RunRecorder` (the run store), the
 * `RollbackSnapshots` a divergence or a lost device goes back to, the `ProbeScheduler` and the
 * `SessionEvents` (the protocol), then the host's own (`hooks`). The session builds the loop from
 * them, runs it (on the CPU after a lost GPU), and answers control, `predict` and the model as it
 * stands; the loop tells the hooks how the run ended (`onEnd`, `onError`). A `headless` session
 * has no guard nor snapshots: a non-finite loss ends it.
 */
export class TrainingSession {
  private current: TrainingLoop<SessionPlan>;
  /** The hooks the loops are given, in order (the same objects for the CPU's loop after a lost device). */
  private readonly hooks: readonly LoopHooks<SessionPlan>[];
  private readonly recorder: RunRecorder;
  private readonly snapshots: RollbackSnapshots;
  /** The design's `training.metrics`, before the session adds a classifier's accuracy and confusion matrix. */
  private readonly designMetrics: TrainingConfig['metrics'];
  private readonly scheduler: ProbeScheduler;
  private readonly events: SessionEvents;
  private started = false;
  /** Training time of the loops before the current one (a run that lost its device and went on on the CPU). */
  private earlierSeconds = 0;
  private finalMetrics: Record<string, Record<string, unknown>> | null = null;
  private readonly options: Omit<TrainingSessionOptions, 'resumeFrom'>;

  constructor(
    readonly runId: string,
    graph: CheckedGraph | GraphIR,
    readonly data: PreparedData<Samples>,
    readonly backend: Backend,
    { resumeFrom, ...options }: TrainingSessionOptions,
  ) {
    // The resume point is restored by the loop, then let go: not kept for the run as a second copy.
    this.options = options;
    if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
    const o = options.overrides ?? {};
    const t = graph.training;
    this.events = new SessionEvents(runId, options.emit, resumeFrom?.step, options.headless ? undefined : data);
    this.recorder = new RunRecorder(data);
    this.snapshots = new RollbackSnapshots(options.snapshots);
    this.scheduler = new ProbeScheduler(data, options.headless ? false : options.probes, (frame) => {
      this.recorder.frame(frame);
      this.events.frame(frame);
    });
    const guard = new DivergenceGuard({
      ...stripUndefined({ lossExplosion: options.lossExplosion, checkGradients: options.checkGradients, rawTargets: largeRawTargets(data) }),
      restoresTo: () => this.snapshots.good.step,
      onDiverged: (d) => {
        this.recorder.diverged(d);
        this.events.diverged(d);
      },
    });
    // The guard holds a diverged run for the learner, the snapshots are what it goes back to; a headless run ends instead.
    const guarded = options.headless ? [nonFiniteLossFails, this.recorder] : [guard, this.recorder, this.snapshots];
    this.hooks = [...guarded, this.scheduler, this.events, ...(options.hooks ?? [])];
    this.designMetrics = t.metrics;
    const classification = !options.headless && data.target === 'label' && hasClasses(data.train.task);
    this.current = this.createLoop(graph, options.compile, {
      // The Samples tab shows accuracy and a confusion matrix for every classifier.
      metrics: classification ? [...new Set([...t.metrics, 'accuracy', 'confusion'])] : t.metrics,
      ...(o.lr !== undefined ? { optimizer: { ...t.optimizer, lr: o.lr } } : {}),
      ...stripUndefined({ epochs: o.epochs, batchSize: o.batchSize, seed: o.seed }),
    }, resumeFrom);
  }

  /** A loop of this run's hooks: the one it starts with, or, after its device was lost, the one that goes on on the CPU. */
  private createLoop(graph: CheckedGraph | GraphIR, compile: TrainingSessionOptions['compile'], overrides: Partial<TrainingConfig>, resumeFrom: Checkpoint | undefined): TrainingLoop<SessionPlan> {
    const o = this.options;
    const loop: TrainingLoop<SessionPlan> = new TrainingLoop(graph, this.data, this.backend, {
      compile,
      // A run the user stops still gets test figures (of the weights at the stop).
      testWhenStopped: true,
      // One copy of the state kept besides the live one, the rollback snapshot: the recorder writes
      // the epochs' checkpoints out from the live tensors, and only early stopping needs the best
      // one back in memory (RunRecorder, `sessionCheckpointCopies`).
      checkpoints: graph.training?.earlyStopping ? 'best' : false,
      overrides,
      ...(resumeFrom ? { resumeFrom } : {}),
      ...stripUndefined({ yieldToHost: o.yieldToHost, yieldEveryMs: o.yieldEveryMs, progressEveryMs: o.progressEveryMs, featureSpill: o.featureSpill }),
      hooks: this.hooks,
      // A lost GPU is not the run's end: it goes on on the CPU (`continueOnHost`), its time counted on.
      recoverable: (e) => (e as { code?: string }).code === 'E_GPU_LOST' && o.deviceLost !== undefined && loop.plan.device !== undefined,
      secondsBefore: this.earlierSeconds,
    });
    return loop;
  }

  /** The run's training loop: the one it started with, or the CPU's after a lost device. */
  get loop(): TrainingLoop<SessionPlan> { return this.current; }
  /** The run's probes (null: headless). */
  get probes(): ProbeSuite | null { return this.scheduler.probes; }
  get config(): TrainingConfig { return this.loop.config; }
  get graph(): GraphIR { return this.loop.graph; }
  get plan(): SessionPlan { return this.loop.plan; }
  get binding(): GraphBinding { return this.loop.binding; }
  get stepsPerEpoch(): number { return this.loop.stepsPerEpoch; }
  get status(): RunState { return this.loop.control.state; }
  get step(): number { return this.loop.step; }

  /** Record the run into `sink` (see `RunRecorder`). Call before `run()`. */
  recordTo(sink: RunSink): void {
    this.recorder.recordTo(sink);
  }

  /**
   * Record the run as a new run of `runs` (docs/runs.md), the app's and the CLI's (`--runs`)
   * alike: the session's graph and effective settings, `backend` (what it trains on), and its name,
   * sweep, project or parent run when given. Call before `run()`; throws what the store throws.
   * The graph keeps the design's own metrics: those the session adds for the Samples tab are in
   * the settings, not in the design a learner opens (or continues) from the Runs tab.
   */
  record(runs: Pick<RunStoreApi, 'create'>, { backend, ...meta }: RunRecordAs): RunSink {
    const graph: GraphIR = { ...this.graph, training: { ...this.graph.training!, metrics: this.designMetrics } };
    const sink = runs.create({ graph, settings: { training: this.config, backend, appVersion: ENGINE_VERSION }, ...meta });
    this.recordTo(sink);
    return sink;
  }

  /** The client consumed frame `seq`; returns whether another frame is now in flight. */
  ackFrame(seq: number): boolean {
    return this.events.ackFrame(seq);
  }

  /** A new client attached (a reloaded page): it gets a frame soon, without waiting a whole interval. */
  reattach(): void {
    this.events.reattach();
    this.scheduler.soon();
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
      if (c.state === 'paused' || c.state === 'diverged') this.scheduler.soon();
      c.step(lr);
    } else c.stop();
    return this.controlAnswer();
  }

  /**
   * `control`, answered once a pause holds: the step the run holds at, not the one before a batch
   * still running when the pause came (which then ended, and a single step asked for on that
   * answer ran one batch past it). Other actions answer at once.
   */
  async controlled(action: 'pause' | 'resume' | 'stop' | 'step' | 'pace', lr?: number, stepsPerSecond?: number): Promise<{ state: RunState; step: number; pace: number }> {
    const now = this.control(action, lr, stepsPerSecond);
    if (action !== 'pause') return now;
    await this.loop.control.held();
    return this.controlAnswer();
  }

  private controlAnswer(): { state: RunState; step: number; pace: number } {
    const c = this.loop.control;
    return { state: c.state, step: this.loop.step, pace: c.pace };
  }

  /**
   * The current weights' output for one sample (`predictSample`; eval mode, a batch-1 plan sharing
   * the weights). Safe while training: it runs between steps, and every step refills whatever
   * storage it reads.
   */
  predict(input: readonly number[], normalized = false, text?: string): ResultOf<'model.predict'> {
    const { normalization, train } = this.data;
    const predictor = new Predictor(this.plan.withBatchSize(1), this.binding);
    const tokenizer = this.tokenizer;
    const p = { predictor, task: this.binding.task, featureShape: train.featureShape, normalization, targetNormalization: this.data.targetNormalization, classNames: train.classNames, ...(tokenizer ? { tokenizer } : {}) };
    return text === undefined ? predictSample(p, input, normalized) : predictSample(p, textSample(p, text), false);
  }

  /**
   * How the training texts were encoded (a labelled-text set), or how a language model reads a
   * prompt (`languageTokenizer`): what typed text is read with, and what leaves with the model.
   */
  get tokenizer(): Tokenizer | undefined {
    const { train } = this.data;
    if (this.textTokenizer === undefined) this.textTokenizer = (train.text ? tokenizerOf(train.text, train.featureShape[0]) : languageTokenizer(this.graph, train.classNames)) ?? null;
    return this.textTokenizer ?? undefined;
  }

  /** null: the model reads no text. */
  private textTokenizer: Tokenizer | null | undefined;

  /** Per-sample shape of the feature Input (what `predict` and `model.explain` take). */
  get featureShape(): readonly number[] {
    return this.data.train.featureShape;
  }

  /**
   * Before the run starts: take the weights of `model` where node ids, names and sizes match
   * (fine-tuning a loaded or imported model); the rollback snapshot starts from them too.
   */
  warmStart(model: Pick<TrainedModel, 'params' | 'buffers'>): { taken: string[]; fresh: string[] } {
    const r = this.loop.warmStart({ ...model.params, ...model.buffers });
    if (!this.options.headless) this.snapshots.keep();
    return r;
  }

  /** The model as the weights are now (between two steps, or after the run): for exports and the project file. */
  currentModel(): TrainedModel {
    const ck = this.loop.capture();
    return {
      graph: this.graph,
      params: ck.params,
      buffers: ck.buffers,
      ...(this.data.normalization ? { normalization: this.data.normalization } : {}),
      ...(this.data.targetNormalization ? { targetNormalization: this.data.targetNormalization } : {}),
      classNames: [...this.data.train.classNames],
      ...(this.tokenizer ? { tokenizer: this.tokenizer } : {}),
      ...(this.data.train.table ? { table: this.data.train.table } : {}),
      ...(this.finalMetrics ? { metrics: this.finalMetrics } : {}),
      ...(this.finalMetrics?.test ? this.baselines() : {}),
      origin: { ...(this.recorder.id ? { runId: this.recorder.id } : {}), step: ck.step, epoch: ck.epoch, which: 'last' },
    };
  }

  /** The run's baselines (#83) once it has test figures: fitted at its end for `train.done` and its record (`runBaselines` keeps them), so Evaluate sets them beside its own. */
  private baselines(): Pick<TrainedModel, 'baselines'> {
    try {
      const b = runBaselines(this.data, this.config);
      return b && Object.keys(b.scores).length ? { baselines: b.scores } : {};
    } catch {
      // The run record says why (RunRecorder's 'baselines-failed'); the model stands without them.
      return {};
    }
  }

  /**
   * Train until done, stopped or failed. Never rejects: the loop tells the hooks how it ended
   * (`onEnd`: `train.done` and the run store's summary; `onError`: `train.error` and `failed`).
   */
  async run(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      const r = await this.runLoops();
      this.finalMetrics = recordMetrics({ train: r.train, val: r.val, test: r.test });
    } catch {
      // Told to the hooks (onError) and the run control (failed) by the loop.
    }
  }

  /** The loop's run, and after a lost device (with `deviceLost`) the CPU loop's that goes on from the last snapshot. */
  private async runLoops(): Promise<LoopResult> {
    for (;;) {
      const started = performance.now();
      try {
        return await this.loop.run();
      } catch (e) {
        if ((e as { code?: string }).code !== 'E_GPU_LOST' || !this.options.deviceLost || !this.loop.plan.device) throw e;
        this.earlierSeconds += (performance.now() - started - this.loop.control.pausedMs) / 1000;
        this.continueOnHost(e as Error);
      }
    }
  }

  /**
   * The run's device was lost: its weights there are gone. Go on on the CPU from the last
   * snapshot (taken at most a few seconds before): a loop on the CPU plan resumes from it, paused,
   * so the user sees what happened and chooses to go on (Resume) or stop. The steps after the
   * snapshot are trained again; the run store records a rewind to it, so the stored curves keep
   * one value per step.
   */
  private continueOnHost(err: Error): void {
    const fallback = this.options.deviceLost!;
    const old = this.loop;
    const ck = this.snapshots.good;
    // The first snapshot is taken before any step: no epoch to resume in, so the same initial weights start afresh.
    const loop = this.createLoop(old.checked, fallback.compile, {}, ck.step > 0 ? ck : undefined);
    if (ck.step === 0) loop.warmStart({ ...ck.params, ...ck.buffers });
    loop.control.setPace(old.control.pace);
    this.current = loop;
    this.scheduler.soon();
    fallback.onSwitch?.();
    // Epochs whose end the snapshot had passed (its validation and checkpoint are kept).
    const epochsDone = ck.batch === undefined ? ck.epoch : ck.epoch - 1;
    const again = old.step - ck.step;
    const message =
      `${err.message} The run paused at step ${old.step}. Resume continues on the CPU (${fallback.description}) from step ${ck.step}, ` +
      `the last snapshot${again > 0 ? ` (step${again > 1 ? `s ${ck.step + 1}–${old.step} are` : ` ${old.step} is`} trained again)` : ''}.`;
    const lost = { step: old.step, epoch: old.epoch, resumeStep: ck.step, resumeEpoch: epochsDone, backend: fallback.description, message };
    this.recorder.deviceLost(lost);
    this.events.deviceLost(lost);
    loop.control.pause();
  }
}
