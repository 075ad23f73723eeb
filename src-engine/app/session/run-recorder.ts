import { tokenizerOf, type PreparedData, type Samples } from '../../core/data';
import { PENDING_BEST_MAX_BYTES } from '../../core/analysis/memory';
import type { SettingsChange } from '../runs/types';
import type { Checkpoint, LoopEpoch, LoopFailure, LoopHooks, LoopResult, StepContext, LoopView } from '../../core/train';
import type { EventData, RunState } from '../../protocol';
import { recordMetrics, stepMetrics, type CheckpointExtras, type RunSink } from '../runs/recorder';
import type { RunSummary } from '../runs/types';
import { summaryBaselines } from '../../core/metrics/baselines';
import type { Divergence } from './divergence-guard';
import type { TakenFrame } from './probe-scheduler';

/** Write the run store's last/best checkpoints at epoch ends at most this often (ms); always at the end. */
const CHECKPOINT_EVERY_MS = 2000;
/**
 * The one place a run is written to the run store, a loop hook: every step's loss, metrics and
 * learning rate, a rate the learner changed mid-run (a `settings` event, and the summary's
 * `settingsHistory`), each epoch's metrics, the probe frames, state changes, divergences, a lost device, the
 * end, and the last and best checkpoints (at epoch ends, at most every 2 s, and at the end). A
 * store that cannot be written (disk full) must not stop training: the failure is recorded.
 * Without a sink (`recordTo`) it records nothing.
 *
 * The checkpoints are written from the live tensors (`LoopView.view`), not from copies the loop
 * keeps: a best epoch between two writes waits as a copy only when the state is small
 * (PENDING_BEST_MAX_BYTES), or as the loop's own best when early stopping keeps one.
 */
export class RunRecorder implements LoopHooks {
  private loop!: LoopView;
  private sink: RunSink | null = null;
  private readonly createdAt = performance.now();
  private lastStored = -Infinity;
  /** A best epoch's checkpoint not written yet (ours, `bestCopy`, or the loop's `best`). */
  private pendingBest: Checkpoint | null = null;
  /** The arrays a small state's pending best is copied into (reused). */
  private bestCopy: Checkpoint | null = null;
  /** The run was held (diverged) when it ended. */
  private heldAtEnd = false;
  /** Settings changed mid-run, in order (kept in the run's summary at the end). */
  private readonly history: SettingsChange[] = [];

  constructor(private readonly data: PreparedData<Samples>) {}

  setup(loop: LoopView): void {
    this.loop = loop;
  }

  /** Record into `sink` from now on (before the run starts). */
  recordTo(sink: RunSink): void {
    this.sink = sink;
  }

  /** The stored run's id, when there is one. */
  get id(): string | undefined {
    return this.sink?.id;
  }

  /** Seconds since the session was created. */
  elapsed(): number {
    return (performance.now() - this.createdAt) / 1000;
  }

  afterStep(ctx: StepContext): void {
    const loss = ctx.loss;
    const metrics = stepMetrics(ctx.metrics);
    const groupLosses = ctx.groupLosses && Object.fromEntries(Object.entries(ctx.groupLosses).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
    this.sink?.append({ kind: 'step', step: this.loop.step, epoch: ctx.epoch, loss: Number.isFinite(loss) ? loss : null, lr: this.loop.lr, t: this.elapsed(), ...(groupLosses ? { groupLosses } : {}), ...(metrics ? { metrics } : {}) });
  }

  /** The learner changed the rate mid-run (a resume after a divergence): a step of the run's settings history. */
  onLearningRate(lr: number): void {
    const change: SettingsChange = { step: this.loop.step + 1, changes: { 'optimizer.lr': lr } };
    this.history.push(change);
    this.event('settings', change);
  }

  afterEpoch(e: LoopEpoch): void {
    this.sink?.append({ kind: 'epoch', epoch: e.epoch, step: e.step, t: this.elapsed(), metrics: recordMetrics({ train: e.train, val: e.val }) });
    if (!this.sink?.checkpoint) return;
    // The loop read a device's state back before this hook: the live tensors are the epoch's.
    const view = this.loop.view({ train: e.train, ...(e.val ? { val: e.val } : {}) });
    const now = performance.now();
    if (now - this.lastStored >= CHECKPOINT_EVERY_MS) {
      this.lastStored = now;
      this.store(view, e.best ? view : this.pendingBest);
    } else if (e.best) {
      const kept = this.loop.best;
      if (kept?.epoch === e.epoch) this.pendingBest = kept;
      else if (stateBytes(view) <= PENDING_BEST_MAX_BYTES) this.pendingBest = this.bestCopy = this.loop.capture(view.metrics, this.bestCopy ?? undefined);
      else this.store(null, view);
    }
  }

  onState(state: RunState): void {
    this.heldAtEnd = state === 'diverged' || (state === 'stopping' && this.heldAtEnd);
    this.event('state', { state, step: this.loop.step });
  }

  frame(frame: TakenFrame): void {
    this.sink?.append({ kind: 'frame', step: this.loop.step, t: this.elapsed(), frame });
  }

  diverged(d: Divergence): void {
    this.event('diverged', { step: d.step, cause: d.cause, nodeId: d.nodeId, where: d.where });
  }

  /** The run lost its device and goes back to its snapshot: its records after it are trained again. */
  deviceLost(d: Omit<EventData<'train.deviceLost'>, 'runId'>): void {
    this.event('device-lost', { step: d.step, epoch: d.epoch, backend: d.backend, message: d.message });
    this.event('rewind', { step: d.resumeStep, epoch: d.resumeEpoch });
  }

  /** The run ended (`r.seconds` of training in all): the weights as it ends, and its summary. */
  onEnd(r: LoopResult): void {
    // Early stopping has put the best weights back. The live buffers, written at once: no copy.
    if (this.loop.step > 0 && this.sink?.checkpoint) {
      this.store(this.loop.view({ ...(r.train ? { train: r.train } : {}), ...(r.val ? { val: r.val } : {}) }), this.pendingBest);
    }
    const status = r.reason === 'stopped' ? (this.heldAtEnd ? 'diverged' : 'stopped') : 'done';
    this.sink?.finish(status, { steps: r.steps, epochs: r.epochs, seconds: r.seconds, metrics: recordMetrics({ train: r.train, val: r.val, test: r.test }), ...(this.history.length ? { settingsHistory: this.history } : {}), ...(this.sink && r.test ? this.baselines(r) : {}) });
  }

  onError({ code, message }: LoopFailure): void {
    this.event('error', { code, message });
    this.sink?.finish('failed', { steps: this.loop.step, epochs: this.loop.epoch, seconds: this.elapsed(), metrics: {}, ...(this.history.length ? { settingsHistory: this.history } : {}) });
  }

  /** The run's baselines and the verdict beside its test figures (#83), for its summary; none where they do not apply or cannot be fitted. */
  private baselines(r: LoopResult): Pick<RunSummary, 'baselines' | 'baselineVerdict'> {
    const { baselines, baselineVerdict, failed } = summaryBaselines(this.data, this.loop.config, r.test);
    // A baseline that fails to fit (a singular system) must not lose the run's record: said in the log instead.
    if (failed !== undefined) this.event('baselines-failed', { message: failed });
    return { ...(baselines ? { baselines } : {}), ...(baselineVerdict ? { baselineVerdict } : {}) };
  }

  private event(event: string, data: unknown): void {
    this.sink?.append({ kind: 'event', t: this.elapsed(), event, data });
  }

  /** Write `last` and `best` (each when given); a best written is no longer pending. */
  private store(last: Checkpoint | null, best: Checkpoint | null): void {
    const sink = this.sink;
    if (!sink?.checkpoint) return;
    const extras = checkpointExtras(this.data);
    try {
      if (last) sink.checkpoint('last', last, extras);
      if (best) {
        sink.checkpoint('best', best, extras);
        this.pendingBest = null;
      }
    } catch (err) {
      this.event('checkpoint-failed', { message: (err as Error).message });
    }
  }
}

/** What inference needs besides a checkpoint's weights, from the run's data (what the run store keeps with each checkpoint). */
export function checkpointExtras(data: PreparedData<Samples>): CheckpointExtras {
  const { train } = data;
  return { normalization: data.normalization, classNames: [...train.classNames], ...(train.text ? { tokenizer: tokenizerOf(train.text, train.featureShape[0]) } : {}), ...(train.table ? { table: train.table } : {}), ...(data.targetNormalization ? { targetNormalization: data.targetNormalization } : {}) };
}

/** Bytes of a checkpoint's tensors: weights, buffers and every group's optimizer buffers. */
function stateBytes(ck: Checkpoint): number {
  let n = 0;
  const add = (r: Record<string, Float32Array | readonly number[]>) => {
    for (const a of Object.values(r)) n += a.length * 4;
  };
  add(ck.params);
  add(ck.buffers);
  for (const g of ck.groups ?? [{ optimizer: ck.optimizer }]) for (const slots of Object.values(g.optimizer.slots)) add(slots);
  return n;
}

