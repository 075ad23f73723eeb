import type { Backend } from '../backend/types';
import type { Dataset, PreparedData, Samples } from '../data';
import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import type { MetricValues } from '../metrics';
import { TrainingLoop, type TrainingLoopOptions } from './loop';
import { featureCacheMessage } from './feature-cache';
import { residentDataMessage } from './resident-data';
import type { CheckedGraph } from '../analysis/checked';
import type { Checkpoint, CompileFn, DoneEvent, TrainerEvent } from './types';
import type { LoopHooks } from './hooks';
import type { RunState } from '../../base/schemas';
import { TrainError } from './types';

export interface TrainerOptions {
  /** Compiles the graph for a batch size (the executor's `compileGraph`). */
  compile: CompileFn;
  /** Receives progress, epoch, done and error events. */
  onEvent?: (e: TrainerEvent) => void;
  /** Overrides of the graph's training config (CLI flags, quick runs). */
  overrides?: Partial<Pick<TrainingConfig, 'epochs' | 'batchSize' | 'seed'>>;
  /** Continue from a stored run's checkpoint (weights, optimizer and schedule state, step and epoch): the CLI's `--resume`. */
  resumeFrom?: Checkpoint;
  /** Which epoch-end checkpoints the loop keeps in memory (`TrainingLoopOptions.checkpoints`; default the last and the best). */
  checkpoints?: TrainingLoopOptions['checkpoints'];
  /** Yield to the event loop when this many ms passed since the last yield (default 10). */
  yieldEveryMs?: number;
  /** Minimum ms between progress events (default 200). */
  progressEveryMs?: number;
  /** Called with every training batch loss, in order (tests, charts). */
  onStepLoss?: (step: number, loss: number, metrics?: Readonly<Record<string, number>>) => void;
}

/** A trainer before, during and after its run: the run control's states while it runs. */
type TrainerStatus = 'idle' | Extract<RunState, 'running' | 'paused' | 'stopping'> | 'finished';

/**
 * Headless training (the CLI's `npm run train`, tests): the one `TrainingLoop` with plain
 * events, and a non-finite loss ending the run with `TRAIN_NONFINITE_LOSS`.
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
  readonly loop: TrainingLoop;
  private started = false;
  private finished = false;

  /** The options' event listener (the rest is the loop's: a resume point is not kept here once it is restored). */
  private readonly onEvent: TrainerOptions['onEvent'];

  constructor(graph: CheckedGraph | GraphIR, data: PreparedData<Samples>, backend: Backend, options: TrainerOptions) {
    this.onEvent = options.onEvent;
    const { onStepLoss } = options;
    const emit = (e: TrainerEvent) => this.onEvent?.(e);
    this.loop = new TrainingLoop(graph, data, backend, {
      compile: options.compile,
      ...(options.overrides ? { overrides: options.overrides } : {}),
      ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
      ...(options.checkpoints !== undefined ? { checkpoints: options.checkpoints } : {}),
      ...(options.yieldEveryMs !== undefined ? { yieldEveryMs: options.yieldEveryMs } : {}),
      ...(options.progressEveryMs !== undefined ? { progressEveryMs: options.progressEveryMs } : {}),
      hooks: [
        nonFiniteLossFails,
        {
          ...trainerEvents(emit),
          afterStep: ({ step, loss, metrics }) => {
            onStepLoss?.(step, loss, metrics);
          },
        },
      ],
    });
  }

  get config(): TrainingConfig {
    return this.loop.config;
  }

  /** The best checkpoint so far (by the early-stopping metric, else validation loss). */
  get best(): Checkpoint | null {
    return this.loop.best;
  }

  /** The checkpoint at the end of the latest epoch. */
  get last(): Checkpoint | null {
    return this.loop.last;
  }

  /** Whether the loop is running, paused, stopping or finished. */
  get status(): TrainerStatus {
    if (this.finished) return 'finished';
    if (!this.started) return 'idle';
    const s = this.loop.control.state;
    return s === 'paused' || s === 'stopping' ? s : 'running';
  }

  /** Pause before the next batch. */
  pause(): void {
    if (this.started && !this.finished) this.loop.control.pause();
  }

  resume(): void {
    this.loop.control.resume();
  }

  /** While paused: run exactly one batch, then pause again. */
  step(): void {
    this.loop.control.step();
  }

  /** Stop after the current batch; `run()` then resolves with `reason: 'stopped'` (no test evaluation). */
  stop(): void {
    if (this.started && !this.finished) this.loop.control.stop();
  }

  /**
   * Train for the configured epochs. Resolves with the `done` event (also emitted); a failure
   * emits an `error` event and rejects with a TrainError.
   */
  async run(): Promise<DoneEvent> {
    if (this.started) throw new TrainError('TRAIN_BAD_CONFIG', 'This trainer has already run; create a new one.');
    this.started = true;
    try {
      return { type: 'done', ...(await this.loop.run()) };
    } finally {
      this.finished = true;
    }
  }

  /** Metrics of the current weights on `ds` in eval mode; null when stopped midway. */
  evaluate(ds: Dataset): Promise<MetricValues | null> {
    return this.loop.evaluate(ds);
  }

  /** Copy a checkpoint's parameters, buffers and optimizer state back into the graph. */
  restore(ck: Checkpoint): void {
    this.loop.restore(ck);
  }

}

/**
 * The loop told as the headless trainer's events (what the CLI prints, one JSON line each under
 * `--json`): progress, each epoch, the frozen backbone's cache, a GPU run's training data on the device or not, and the end (`done`) or failure
 * (`error`, with the step a non-finite loss stopped at).
 */
export function trainerEvents(emit: (e: TrainerEvent) => void): LoopHooks {
  return {
    onProgress: ({ single: _single, ...p }) => emit({ type: 'progress', ...p }),
    afterEpoch: (e) => emit({ type: 'epoch', ...e }),
    onFeatureCache: (s) => emit({ type: 'features', message: featureCacheMessage(s), ...s }),
    onResidentData: (s) => emit({ type: 'resident-data', message: residentDataMessage(s), ...s }),
    onEnd: (r) => emit({ type: 'done', ...r }),
    onError: ({ code, message, error }) => emit({ type: 'error', code, message, ...(error instanceof StepError ? { epoch: error.epoch, step: error.step } : {}) }),
  };
}

/**
 * A headless run has no one to hold a diverged run for (the app's divergence guard): a non-finite
 * loss ends it with `TRAIN_NONFINITE_LOSS`, the step not applied.
 */
export const nonFiniteLossFails: LoopHooks = {
  afterForward: ({ loss, epoch, batch, step }) => {
    if (!Number.isFinite(loss)) {
      throw new StepError(
        `The loss became ${loss} at step ${step + 1} (epoch ${epoch}, batch ${batch + 1}); the step was not applied. ` +
          'Try a lower learning rate, gradient clipping, or check the data for extreme values.',
        epoch,
        step + 1,
      );
    }
    return 'ok';
  },
};

class StepError extends TrainError {
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number,
  ) {
    super('TRAIN_NONFINITE_LOSS', message);
  }
}
