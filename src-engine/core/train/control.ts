import type { RunState } from '../../base/schemas';

export interface RunControlOptions {
  /** Give the host's event loop a turn (default: a zero-delay timer). */
  yieldToHost?: () => Promise<void>;
  /** Yield when this many ms passed since the last yield (default 10). */
  yieldEveryMs?: number;
  /** Every state change but the silent one into a single step. */
  onState?: (state: RunState) => void;
  /** A resume or step from `diverged`: put back the state the run retries from. */
  onRestore?: () => void;
  /** A new learning rate (a resume or step with one) takes effect: `lr` trains the next step. */
  onLearningRate?: (lr: number) => void;
}

/**
 * Pause / resume / single step / stop and a learning-rate change for one run, honoured between
 * steps (`gate`). A run is `running` from its creation, so it can be paused before it starts.
 * `hold()` is a pause the run put itself in (a divergence): leaving it restores the last good
 * state first (`onRestore`).
 */
export class RunControl {
  private current: RunState = 'running';
  private wake: (() => void) | null = null;
  private singleStep = false;
  /** The single step asked for has passed the gate (the batch now running is it, not one that was running when it was asked). */
  private singleBegun = false;
  /** The loop waits between steps (a pause or a hold has taken hold). */
  private parked = false;
  /** `held()`'s callers, waiting for a pause to take hold. */
  private heldWaiters: (() => void)[] = [];
  private restorePending = false;
  private pendingLr: number | null = null;
  private lrBase: () => number = () => 1;
  private lastYield = 0;
  /** Most steps a second (0: as fast as the backend goes). */
  private stepsPerSecond = 0;
  /** When the last step passed the gate. */
  private lastStepAt = -Infinity;
  /** Multiplies every group's scheduled learning rate (a resume with a new rate sets it). */
  lrFactor = 1;
  /** Time spent paused (excluded from throughput, ETA and the run's duration). */
  pausedMs = 0;
  /** When the run last woke from a pause. */
  resumedAt = -Infinity;

  constructor(private readonly options: RunControlOptions = {}) {}

  get state(): RunState {
    return this.current;
  }

  /** The pace: most steps a second, 0 when the run goes as fast as it can. */
  get pace(): number {
    return this.stepsPerSecond;
  }

  /**
   * Train at most `stepsPerSecond` steps a second (0: as fast as possible), so a learner can
   * watch a toy set's decision boundary form. Takes effect at once, also during a paced wait.
   * Time spent waiting for the pace counts as training time (throughput and ETA show the pace).
   */
  setPace(stepsPerSecond: number): void {
    if (!(stepsPerSecond >= 0) || !Number.isFinite(stepsPerSecond)) throw new RangeError(`pace must be a finite number ≥ 0 (steps per second); got ${stepsPerSecond}`);
    this.stepsPerSecond = stepsPerSecond;
    this.wakeUp();
  }

  /** Whether the current step is a single step (the run pauses after it). */
  get singleStepping(): boolean {
    return this.singleBegun;
  }

  /**
   * Resolves once a pause holds: the loop waits between steps, the batch that was running when the
   * pause came having ended (a resnet18 batch on the CPU takes a second); at once where the run is
   * not paused (resumed, stopping, ended) or already waits.
   */
  held(): Promise<void> {
    if (this.parked || (this.current !== 'paused' && this.current !== 'diverged')) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  private releaseHeld(): void {
    const waiting = this.heldWaiters;
    this.heldWaiters = [];
    for (const resolve of waiting) resolve();
  }

  /** Whether the run can still be controlled (not stopping, done or failed). */
  get live(): boolean {
    return this.current === 'running' || this.current === 'paused' || this.current === 'diverged';
  }

  /** What a new learning rate is relative to (the first group's scheduled rate). */
  setLrBase(base: () => number): void {
    this.lrBase = base;
  }

  pause(): void {
    if (this.current === 'running') this.set('paused');
  }

  /** Go on (from a pause or a hold), optionally at learning rate `lr`. */
  resume(lr?: number): void {
    if (this.current !== 'paused' && this.current !== 'diverged') return;
    if (lr !== undefined) this.pendingLr = lr;
    this.restorePending = this.current === 'diverged';
    this.singleStep = this.singleBegun = false;
    this.set('running');
    this.wakeUp();
  }

  /** While paused or held: run exactly one step, then pause again. */
  step(lr?: number): void {
    if (this.current !== 'paused' && this.current !== 'diverged') return;
    if (lr !== undefined) this.pendingLr = lr;
    this.restorePending = this.current === 'diverged';
    this.singleStep = true;
    this.wakeUp();
  }

  /** Stop after the current step. */
  stop(): void {
    if (!this.live) return;
    this.set('stopping');
    this.wakeUp();
  }

  /** Pause the run from inside (a divergence); `resume`/`step` leave it, restoring first. */
  hold(): void {
    this.singleStep = this.singleBegun = false;
    this.set('diverged');
  }

  /** The run ended (the loop says so, after its hooks' `onEnd` or `onError`). */
  finish(state: Extract<RunState, 'done' | 'failed'>): void {
    this.set(state);
  }

  /**
   * Before each step: yield now and then, wait while paused, apply a pending restore and
   * learning rate. Resolves false when the run must stop.
   */
  async gate(): Promise<boolean> {
    await this.maybeYield();
    if (this.singleStep && this.current === 'running') {
      // The single step ran; pause again.
      this.singleStep = this.singleBegun = false;
      this.set('paused');
    }
    for (;;) {
      await this.waitWhilePaused();
      // A single step is not paced: the learner asked for exactly one, now.
      if (this.stepsPerSecond <= 0 || this.current !== 'running' || this.singleStep) break;
      const wait = this.lastStepAt + 1000 / this.stepsPerSecond - performance.now();
      if (wait <= 0) break;
      await this.sleep(wait);
      this.lastYield = performance.now();
    }
    this.lastStepAt = performance.now();
    // A single step runs in the running state without telling anyone: the next gate pauses again.
    if (this.singleStep && (this.current === 'paused' || this.current === 'diverged')) {
      this.current = 'running';
      this.singleBegun = true;
      // Its throughput counts from here: a step asked for while a batch still ran passed no wait.
      this.resumedAt = performance.now();
    }
    if (this.restorePending) {
      this.restorePending = false;
      this.options.onRestore?.();
    }
    if (this.pendingLr !== null) {
      const lr = this.pendingLr;
      this.lrFactor = lr / this.lrBase();
      this.pendingLr = null;
      this.options.onLearningRate?.(lr);
    }
    return this.current !== 'stopping';
  }

  private async waitWhilePaused(): Promise<void> {
    const t0 = performance.now();
    let waited = false;
    while ((this.current === 'paused' || this.current === 'diverged') && !this.singleStep) {
      waited = true;
      if (!this.parked) {
        this.parked = true;
        this.releaseHeld();
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.lastYield = performance.now();
    }
    this.parked = false;
    if (waited) {
      this.pausedMs += this.lastYield - t0;
      this.resumedAt = this.lastYield;
    }
  }

  /** Wait `ms`, or less when a control action (pause, stop, a new pace) wakes the run. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Yield to the host when `yieldEveryMs` passed since the last yield. */
  async maybeYield(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield >= (this.options.yieldEveryMs ?? 10)) {
      await (this.options.yieldToHost ? this.options.yieldToHost() : new Promise<void>((resolve) => setTimeout(resolve, 0)));
      this.lastYield = performance.now();
    }
  }

  /** Forget the lr factor (the best checkpoint restored at the end of a run). */
  resetLr(): void {
    this.lrFactor = 1;
  }

  private set(s: RunState): void {
    if (this.current === s) return;
    this.current = s;
    // Resumed, stopping or ended before the pause took hold: nothing to wait for.
    if (s !== 'paused' && s !== 'diverged') this.releaseHeld();
    this.options.onState?.(s);
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
