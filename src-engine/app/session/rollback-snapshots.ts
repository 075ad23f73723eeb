import type { Checkpoint, LoopEpoch, LoopHooks, StepContext, LoopView } from '../../core/train';
import { allFinite } from '../../base/tensor';
import { gradientsFinite } from './divergence-guard';

/** Take a rollback snapshot at most this often (ms), and only while the loss is healthy. */
const SNAPSHOT_EVERY_MS = 1000;
/**
 * On a device, a snapshot reads the weights and optimizer state back (`DeviceStep.sync`): at most
 * this share of the training time goes to it, so a model whose state takes long to read back is
 * snapshotted less often than every SNAPSHOT_EVERY_MS.
 */
const SNAPSHOT_BUDGET = 0.02;

/**
 * Rollback snapshots between epoch ends: at most every `everyMs` (default 1000), and on a device
 * at most `budget` of the time reading them back (default 0.02). Epoch ends always snapshot.
 */
export interface RollbackOptions {
  everyMs?: number;
  budget?: number;
}

/**
 * The state a run goes back to, a loop hook: one checkpoint (`good`), overwritten in place — at
 * the start, at each epoch end whose loss is finite, and about once a second while the loss (an
 * EMA) is not rising. Leaving a divergence hold restores it (`onRestore`); a run whose device
 * was lost goes on on the CPU from it. Given a later loop (the CPU's after a lost device), it
 * keeps the snapshot and starts the cadence afresh.
 */
export class RollbackSnapshots implements LoopHooks {
  /** The last good state (taken when the first loop is set up). */
  good!: Checkpoint;
  private loop!: LoopView;
  private ema = NaN;
  private bestEma = Infinity;
  private last = 0;
  /** Ms between snapshots: `everyMs`, or longer where a device snapshot costs more than its budget. */
  private everyMs = SNAPSHOT_EVERY_MS;

  constructor(private readonly options: RollbackOptions = {}) {}

  setup(loop: LoopView): void {
    this.loop = loop;
    this.good ??= loop.capture();
    this.everyMs = this.options.everyMs ?? SNAPSHOT_EVERY_MS;
    this.last = performance.now();
  }

  /** Snapshot the weights as they are now (a warm start's). */
  keep(): void {
    this.loop.capture({}, this.good);
  }

  afterStep(ctx: StepContext): Promise<void> | undefined {
    const loss = ctx.loss;
    this.ema = Number.isNaN(this.ema) ? loss : 0.9 * this.ema + 0.1 * loss;
    const now = performance.now();
    if (this.ema < this.bestEma) this.bestEma = this.ema;
    if (now - this.last < this.everyMs || !(this.ema <= this.bestEma * 1.5 + 1e-12)) return undefined;
    if (ctx.graph.device) return this.snapshotDevice();
    // Finite gradients of an applied step mean finite weights: a safe point to roll back to.
    if (gradientsFinite(ctx.graph)) {
      this.keep();
      this.last = now;
    }
    return undefined;
  }

  afterEpoch(e: LoopEpoch): void {
    if (!Number.isFinite(e.train.loss)) return;
    this.keep();
    this.last = performance.now();
  }

  onRestore(): void {
    this.loop.restore(this.good);
  }

  /**
   * A device run's snapshot: its weights and optimizer state read back into the host's (what a
   * lost device resumes on the CPU from, and a divergence rolls back to), kept only when every
   * weight is finite. Spaced so that reading back takes at most `budget` of the time.
   */
  private async snapshotDevice(): Promise<void> {
    const t0 = performance.now();
    await this.loop.sync();
    const now = performance.now();
    this.last = now;
    this.everyMs = Math.max(this.options.everyMs ?? SNAPSHOT_EVERY_MS, (now - t0) / (this.options.budget ?? SNAPSHOT_BUDGET));
    if (this.loop.plan.params.every((p) => allFinite(p.value.data))) this.keep();
  }
}
