import type { DataSkipped, FeatureCacheStatus, LoopEpoch, LoopFailure, LoopHooks, LoopProgress, LoopResult, ResidentStatus, StepContext, LoopView } from '../../core/train';
import { featureCacheMessage, residentDataMessage, stripUndefined } from '../../core/train';
import type { MetricValues } from '../../core/metrics';
import { baselineVerdict, runBaselines } from '../../core/metrics/baselines';
import type { PreparedData, Samples } from '../../core/data';
import { MAX_STEP_LOSSES, type EngineEvent, type EventData, type ProbeFrame, type RunState } from '../../protocol';
import { compact, compactOrNull } from '../probes';
import type { Divergence } from './divergence-guard';
import { LatestWinsMailbox } from './frame-mailbox';
import type { TakenFrame } from './probe-scheduler';
import { StepLossBuffer } from './step-losses';

export type SessionEmit = <E extends EngineEvent>(event: E, data: EventData<E>) => void;

/**
 * A run's protocol events, a loop hook: `train.progress` (with every step's loss since the last
 * one), `train.epoch`, `train.features`, `train.state`, `train.diverged`, `train.deviceLost`, `train.done`,
 * `train.error`, and the probe frames, numbered and delivered latest-wins (a frame waits for the
 * client's ack of the one before; a newer one replaces a waiting one).
 */
export class SessionEvents implements LoopHooks {
  private loop!: LoopView;
  private readonly mailbox: LatestWinsMailbox<ProbeFrame>;
  /** Every step's loss since the last progress event (the batch-loss curve's points). */
  private readonly stepLosses = new StepLossBuffer(MAX_STEP_LOSSES);
  private seq = 0;

  /**
   * `fromStep`: where a resumed run started (its checkpoint's step; 0 for a fresh run), said in
   * `train.done`; `data`: the run's data, whose baselines `train.done` sets beside the test
   * figures (#83; none given: a headless run, whose CLI prints its own).
   */
  constructor(
    private readonly runId: string,
    private readonly emit: SessionEmit,
    private readonly fromStep = 0,
    private readonly data?: PreparedData<Samples>,
  ) {
    this.mailbox = new LatestWinsMailbox((f) => emit('probe.frame', f));
  }

  setup(loop: LoopView): void {
    this.loop = loop;
  }

  /** The client consumed frame `seq`; returns whether another frame is now in flight. */
  ackFrame(seq: number): boolean {
    return this.mailbox.ack(seq);
  }

  /** A new client attached: forget the frame the old one never acknowledged. */
  reattach(): void {
    this.mailbox.reset();
  }

  frame(frame: TakenFrame): void {
    this.mailbox.offer({ runId: this.runId, seq: this.seq++, ...frame });
  }

  afterStep(ctx: StepContext): void {
    this.stepLosses.push(this.loop.step, ctx.loss);
  }

  onProgress(p: LoopProgress): void {
    this.emit('train.progress', {
      runId: this.runId,
      epoch: p.epoch,
      epochs: p.epochs,
      step: p.step,
      stepInEpoch: p.stepInEpoch,
      stepsPerEpoch: p.stepsPerEpoch,
      loss: compactOrNull(p.loss),
      batchLoss: compactOrNull(p.batchLoss),
      ...(p.metrics ? { metrics: Object.fromEntries(Object.entries(p.metrics).map(([k, v]) => [k, compactOrNull(v)])) } : {}),
      ...stripUndefined({ stepLosses: this.stepLosses.take() }),
      ...(p.groupLosses ? { groupLosses: Object.fromEntries(Object.entries(p.groupLosses).map(([k, v]) => [k, compactOrNull(v)])) } : {}),
      lr: compact(p.lr),
      samplesPerSec: compact(p.samplesPerSec),
      etaSeconds: compact(p.etaSeconds),
      state: p.single ? 'paused' : this.loop.control.state,
    });
  }

  afterEpoch(e: LoopEpoch): void {
    this.emit('train.epoch', {
      runId: this.runId,
      epoch: e.epoch,
      epochs: e.epochs,
      step: e.step,
      train: sanitize(e.train),
      ...(e.val ? { val: sanitize(e.val) } : {}),
      lr: compact(e.lr),
      seconds: compact(e.seconds),
      best: e.best,
      ...(e.dataSkipped ? { dataSkipped: skippedOnWire(e.dataSkipped) } : {}),
    });
  }

  onFeatureCache(s: FeatureCacheStatus): void {
    const { boundary: _nodes, ...figures } = s.state === 'ready' ? s : { ...s, boundary: undefined };
    this.emit('train.features', { runId: this.runId, ...figures, message: featureCacheMessage(s) });
  }

  onResidentData(s: ResidentStatus): void {
    this.emit('train.residentData', { runId: this.runId, ...s, message: residentDataMessage(s) });
  }

  onState(state: RunState): void {
    this.emit('train.state', { runId: this.runId, state, step: this.loop.step });
  }

  diverged(d: Divergence): void {
    this.emit('train.diverged', { runId: this.runId, ...d });
  }

  deviceLost(d: Omit<EventData<'train.deviceLost'>, 'runId'>): void {
    this.emit('train.deviceLost', { runId: this.runId, ...d });
  }

  onEnd(r: LoopResult): void {
    this.emit('train.done', {
      runId: this.runId,
      reason: r.reason,
      epochs: r.epochs,
      steps: r.steps,
      ...(this.fromStep > 0 ? { fromStep: this.fromStep } : {}),
      seconds: compact(r.seconds),
      evaluatedEpoch: r.evaluatedEpoch,
      ...(r.train ? { train: sanitize(r.train) } : {}),
      ...(r.val ? { val: sanitize(r.val) } : {}),
      ...(r.test ? { test: sanitize(r.test) } : {}),
      ...(r.dataSkipped ? { dataSkipped: skippedOnWire(r.dataSkipped) } : {}),
      ...this.baselines(r),
    });
  }

  /** The run's baselines' test figures and the verdict, for `train.done` (fitted once with the run record's: `runBaselines`). */
  private baselines(r: LoopResult): Pick<EventData<'train.done'>, 'baselines' | 'baselineVerdict'> {
    if (!this.data || !r.test) return {};
    try {
      const b = runBaselines(this.data, this.loop.config);
      if (!b || Object.keys(b.scores).length === 0) return {};
      const verdict = baselineVerdict(r.test, b, b.metrics);
      return { baselines: Object.fromEntries(Object.entries(b.scores).map(([k, v]) => [k, v.test as Record<string, number>])), ...(verdict ? { baselineVerdict: verdict } : {}) };
    } catch {
      // The run record says why (RunRecorder's 'baselines-failed'); the result stands without them.
      return {};
    }
  }

  onError({ code, message }: LoopFailure): void {
    this.emit('train.error', { runId: this.runId, code, message, epoch: this.loop.epoch, step: this.loop.step });
  }
}

function skippedOnWire(s: DataSkipped): EventData<'train.epoch'>['dataSkipped'] {
  return { count: s.count, files: s.files.map((f) => ({ path: f.path.slice(0, 1000), reason: f.reason.slice(0, 300), code: f.code ?? 'DATA_IMAGE_UNREADABLE' })) };
}

/** Metric values for JSON: numbers at float32 precision, NaN/Inf as null (epoch and done events, `model.evaluate`). */
export function sanitize(v: MetricValues): EventData<'train.epoch'>['train'] {
  const walk = (x: unknown): unknown => (typeof x === 'number' ? compactOrNull(x) : Array.isArray(x) ? x.map(walk) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)])) : x);
  return walk(v) as EventData<'train.epoch'>['train'];
}
