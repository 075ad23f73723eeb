import { z } from 'zod';
import { defineService } from '../service';
import { ComputeChoice } from '../../base/schemas';
import { MetricValuesSchema, ProbeSamples, RunId, RunIdSchema, RunState, StepsPerSecond } from '../schemas';
import { ATTENTION_STEPS, ProbeFrame, ProbeOptions } from '../probe';
import { TASK_NAMES } from '../../catalog/tasks';

export const TrainOverrides = z.object({
  epochs: z.number().int().nonnegative().max(100_000).optional(),
  batchSize: z.number().int().positive().max(65_536).optional(),
  lr: z.number().positive().max(1e6).optional(),
  seed: z.number().int().nonnegative().max(0xffffffff).optional(),
  /** At most this many training samples (and validation/test samples, for quick runs). */
  limit: z.number().int().positive().optional(),
});
export type TrainOverrides = z.infer<typeof TrainOverrides>;

/** The Train dock's speed choices (steps a second; 0: as fast as possible). */
export const TRAIN_PACES = [0, 100, 20, 5] as const;
/** Most step losses one `train.progress` event carries (a faster run's are min/max-downsampled). */
export const MAX_STEP_LOSSES = 4096;

/** The longest project name a run records (`run.json`'s `project`). */
export const RUN_PROJECT_MAX = 300;
/** A project's id (its file's `id`), kept with its runs (`run.json`'s `projectId`): they stay the project's through Save As and renames. */
export const ProjectIdSchema = z.string().regex(/^[0-9a-f]{16}$/);

/** What `train.start` answers, and `train.current` repeats to a client that (re)attaches. */
export const StartInfo = z.object({
  runId: RunId,
  /** The run store's id of this run (`runs.open`), when the engine keeps runs. */
  storedRunId: RunIdSchema.optional(),
  backend: z.string(),
  stepsPerEpoch: z.number().int(),
  epochs: z.number().int(),
  batchSize: z.number().int(),
  task: z.enum(TASK_NAMES),
  classNames: z.array(z.string()),
  /**
   * The run's peak memory estimate in bytes (core/analysis/memory.ts: the engine with its data, the
   * model, checkpoint copies, activations) and the limit it was checked against, when there is one.
   */
  memory: z
    .object({
      bytes: z.number().nonnegative(),
      limit: z.number().nonnegative().optional(),
      /** The run trains from a folder streamed from disk: the bytes of decoded images it may hold (its memory budget, counted in `bytes`). */
      streamedBudget: z.number().nonnegative().optional(),
    })
    .optional(),
  /**
   * A run whose design's `training.startFrom` is `loaded` or `run` (base/ir/start-from.ts): how
   * many tensors came from those weights, and which of the graph's started fresh.
   */
  warmStart: z.object({ taken: z.number().int().nonnegative(), fresh: z.array(z.string().max(300)).max(10_000) }).optional(),
  /** The fixed probe samples (network inputs, as fed) whose outputs every frame carries. */
  probeSamples: ProbeSamples,
});
export type StartInfo = z.infer<typeof StartInfo>;

/** The settings a sweep can vary (besides any node attribute). */
export const SWEEP_SETTINGS = ['optimizer.lr', 'optimizer.kind', 'optimizer.weightDecay', 'batchSize', 'epochs', 'seed'] as const;

const SWEEP_NODE_MAX = 200;
const SWEEP_ATTR_MAX = 100;

/** What a sweep varies and over which values; `seeds` repeats every value once per seed. */
export const SweepSpec = z.object({
  over: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('attr'), nodeId: z.string().min(1).max(SWEEP_NODE_MAX), attr: z.string().min(1).max(SWEEP_ATTR_MAX) }),
    z.object({ kind: z.literal('setting'), setting: z.enum(SWEEP_SETTINGS) }),
  ]),
  values: z.array(z.union([z.number(), z.string().max(100)])).min(1).max(50),
  seeds: z.array(z.number().int().nonnegative().max(0xffffffff)).min(1).max(20).optional(),
});
export type SweepSpec = z.infer<typeof SweepSpec>;

/** A run's place in a sweep (kept in its `run.json`). */
export const RunSweepInfo = z.object({
  id: z.string().max(64),
  /** What was varied, e.g. `fc2.outFeatures` or `optimizer.lr` (`<nodeId>.<attr>`: as long as both allow). */
  over: z.string().max(SWEEP_NODE_MAX + 1 + SWEEP_ATTR_MAX),
  value: z.union([z.number(), z.string().max(100)]),
  seed: z.number().int().optional(),
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
});
export type RunSweepInfo = z.infer<typeof RunSweepInfo>;

/** Images of a folder streamed from disk that could not be read while training (each fed as zeros): how many, and the first 50. */
const DataSkippedSchema = z.object({
  count: z.number().int().nonnegative(),
  files: z.array(z.object({ path: z.string().max(1000), reason: z.string().max(300), code: z.literal('DATA_IMAGE_UNREADABLE') })).max(50),
});

/**
 * Training: start a run (or resume a stored one), control it, sweeps, the sanity check, and the
 * flow of probe frames (`probe.ack`); progress, epochs, the end, errors, divergence, a lost GPU,
 * state changes, sweep progress and probe frames come as events.
 */
export const trainService = defineService({
  name: 'train',
  methods: {
    /**
     * Start training a graph (one run at a time per connection; a new start stops the previous
     * run). Answers once the data is loaded and the graph compiled; progress then comes as events.
     */
    'train.start': {
      params: z.object({
        graph: z.unknown(),
        overrides: TrainOverrides.optional(),
        probes: z.union([ProbeOptions, z.literal(false)]).optional(),
        /** The open project's name, kept with the run: the Runs tab lists the open project's runs (or all). */
        project: z.string().max(RUN_PROJECT_MAX).optional(),
        /** The open project's id (its file's `id`), kept with the run: its runs stay its own whatever it is named. */
        projectId: ProjectIdSchema.optional(),
        /**
         * Where to train (docs/webgpu-backend.md): `auto` (default) the GPU with a real adapter when
         * the model runs on it entirely, else the CPU; `cpu`; `gpu` forced (a software adapter too),
         * refused with `E_GPU_NO_KERNEL` (naming the ops) or `E_GPU_UNAVAILABLE`.
         */
        backend: ComputeChoice.optional(),
        /** Most steps a second from the first step on (0 or absent: as fast as possible); `train.control` `pace` changes it. */
        pace: StepsPerSecond.optional(),
        /** Divergence guard: pause on NaN/Inf, or when the loss exceeds `lossExplosion`× the first step's (default 100; 0: off). */
        guard: z
          .object({
            lossExplosion: z.number().nonnegative().max(1e12).optional(),
            /** Check every parameter gradient before each update (catches a NaN gradient one step earlier; costs a few percent of an MLP step). */
            checkGradients: z.boolean().optional(),
          })
          .optional(),
      }),
      result: StartInfo,
    },
    /**
     * Continue a stored run (docs/runs.md, "Resume and continue") from its last checkpoint: the
     * run's own design and settings, its weights, optimizer and schedule state, at its step and next
     * epoch. Recorded as a new run whose meta names its parent (`resumedFrom`). `moreEpochs`: train
     * that many epochs past the checkpoint (a finished run); without it the run's own epoch count
     * (a crashed or stopped run). `E_RUN_NO_CHECKPOINT`, `E_RUN_CHECKPOINT_CORRUPT`,
     * `E_RUN_CHECKPOINT_MISMATCH`; `E_RUN_NOTHING_TO_RESUME` when the checkpoint is already at the
     * last epoch and no `moreEpochs` is given.
     */
    'train.resume': {
      params: z.object({
        storedRunId: RunIdSchema,
        moreEpochs: z.number().int().min(1).max(100_000).optional(),
        probes: z.union([ProbeOptions, z.literal(false)]).optional(),
        /** Where the resumed run trains, as `train.start`'s `backend`: `cpu` continues a run whose GPU was lost (`E_GPU_LOST`). */
        backend: ComputeChoice.optional(),
      }),
      result: StartInfo,
    },
    /**
     * Pause, resume, stop, or run exactly one batch while paused. `lr` (resume/step) changes the
     * learning rate, e.g. after a divergence. `pace` sets the most steps a second (`stepsPerSecond`,
     * 0: as fast as possible) without changing the state, so a learner can watch a toy set learn.
     */
    'train.control': {
      params: z.object({
        runId: RunId,
        action: z.enum(['pause', 'resume', 'stop', 'step', 'pace']),
        lr: z.number().positive().max(1e6).optional(),
        stepsPerSecond: StepsPerSecond.optional(),
      }),
      result: z.object({ state: RunState, step: z.number().int(), pace: StepsPerSecond }),
    },
    /**
     * The run this engine holds now, if any: a client that (re)connects — a reloaded page, a
     * restarted renderer — attaches to it instead of showing idle while it trains. Probe frames
     * flow to the attaching client from the next one on.
     */
    'train.current': {
      params: z.object({}),
      result: z.object({
        /** `pace`: its steps a second now (0: as fast as possible), for the reattached page's speed select. */
        run: z.object({ start: StartInfo, state: RunState, step: z.number().int(), graph: z.unknown(), sweep: RunSweepInfo.optional(), pace: StepsPerSecond.optional() }).nullable(),
      }),
    },
    /** Try to overfit 64 training examples: a healthy model and pipeline drive the loss to ~0. */
    'train.sanityCheck': {
      params: z.object({ graph: z.unknown(), samples: z.number().int().min(1).max(1024).optional(), steps: z.number().int().min(1).max(5000).optional() }),
      result: z.object({
        passed: z.boolean(),
        losses: z.array(z.number().nullable()),
        initialLoss: z.number().nullable(),
        finalLoss: z.number().nullable(),
        steps: z.number().int(),
        /** Classifiers: fraction of the examples classified right after the fit (eval mode). */
        accuracy: z.number().optional(),
        verdict: z.string(),
      }),
    },
    /**
     * The learning-rate range test (docs/trainer.md, "Finding a learning rate"): from the weights
     * the design's next run starts from (or, with `runId`, that run's weights as they stand), a
     * short run with the rate growing exponentially from `start` to `end` over `steps` steps,
     * stopped when the smoothed loss exceeds 4× its best; the weights are left as they were.
     * `TRAIN_LR_RANGE` for a range that does not run upwards.
     */
    'train.findLr': {
      params: z.object({
        graph: z.unknown(),
        runId: RunId.optional(),
        start: z.number().positive().max(1e6).optional(),
        end: z.number().positive().max(1e6).optional(),
        steps: z.number().int().min(5).max(1000).optional(),
      }),
      result: z.object({
        /** The rate each recorded step trained with, the step's loss (NaN/Inf as null) and the smoothed loss. */
        lrs: z.array(z.number()).max(1000),
        losses: z.array(z.number().nullable()).max(1000),
        smoothed: z.array(z.number().nullable()).max(1000),
        /** The steepest descent of the smoothed loss against log(rate) before its minimum; null when the loss never fell. */
        suggestion: z.number().nullable(),
        /** The rate at which the loss diverged; null when the test ran all its steps. */
        stoppedAt: z.number().nullable(),
      }),
    },
    /** The client has consumed probe frame `seq`; the engine may send the next (latest-wins flow control). */
    'probe.ack': {
      params: z.object({ runId: RunId, seq: z.number().int().nonnegative() }),
      result: z.object({ pending: z.boolean() }),
    },
    /**
     * Train one run per value (and seed) of a node attribute or a setting, one after another; each
     * is recorded with its place in the sweep. Every variant is checked before the first starts.
     * Progress comes as `sweep.progress`; the runs' own events as usual. A `train.start` cancels it.
     */
    'sweep.start': {
      params: z.object({ graph: z.unknown(), sweep: SweepSpec, overrides: TrainOverrides.optional(), probes: z.union([ProbeOptions, z.literal(false)]).optional(), project: z.string().max(RUN_PROJECT_MAX).optional(), projectId: ProjectIdSchema.optional() }),
      result: z.object({ sweepId: z.string(), total: z.number().int() }),
    },
    /** Stop the sweep: the run in progress stops (and is kept), the rest never start. */
    'sweep.cancel': {
      params: z.object({ sweepId: z.string().max(64) }),
      result: z.object({}),
    },
  },
  events: {
    /** A few times a second while training, and after every single step. */
    'train.progress': z.object({
      runId: RunId,
      epoch: z.number().int(),
      epochs: z.number().int(),
      step: z.number().int(),
      stepInEpoch: z.number().int(),
      stepsPerEpoch: z.number().int(),
      /** Mean training loss of this epoch so far, and of the last batch. */
      loss: z.number().nullable(),
      batchLoss: z.number().nullable(),
      /** The epoch's training metrics so far (accuracy, mse…; no loss), NaN/Inf as null. */
      metrics: z.record(z.string().max(64), z.number().nullable()).optional(),
      /**
       * Every step's batch loss since the previous progress event: `values[i]` is the loss of step
       * `steps[i]` (NaN/Inf as null). More than `MAX_STEP_LOSSES` steps between two events (a tiny
       * model trained flat out) come min/max-downsampled, so spikes survive.
       */
      stepLosses: z
        .object({ steps: z.array(z.number().int().nonnegative()).max(MAX_STEP_LOSSES), values: z.array(z.number().nullable()).max(MAX_STEP_LOSSES) })
        .refine((l) => l.steps.length === l.values.length, 'steps and values differ in length')
        .optional(),
      /** Each optimizer group's loss of the last batch (graphs with `training.groups`), NaN/Inf as null. */
      groupLosses: z.record(z.string().max(200), z.number().nullable()).optional(),
      lr: z.number(),
      samplesPerSec: z.number(),
      etaSeconds: z.number(),
      state: RunState,
    }),
    /** After each epoch: training metrics (train mode) and validation metrics (eval mode) with the confusion matrix. */
    'train.epoch': z.object({
      runId: RunId,
      epoch: z.number().int(),
      epochs: z.number().int(),
      step: z.number().int(),
      train: MetricValuesSchema,
      val: MetricValuesSchema.optional(),
      lr: z.number(),
      seconds: z.number(),
      best: z.boolean(),
      /** A folder streamed from disk: images unreadable this epoch, fed as zeros (a reported skip, docs/data.md): how many, and the first 50. */
      dataSkipped: DataSkippedSchema.optional(),
    }),
    'train.done': z.object({
      runId: RunId,
      reason: z.enum(['completed', 'early-stopping', 'stopped']),
      epochs: z.number().int(),
      steps: z.number().int(),
      /** A resumed run: the step it started from (its checkpoint's); `steps − fromStep` were trained in `seconds`. */
      fromStep: z.number().int().nonnegative().optional(),
      seconds: z.number(),
      evaluatedEpoch: z.number().int(),
      train: MetricValuesSchema.optional(),
      val: MetricValuesSchema.optional(),
      test: MetricValuesSchema.optional(),
      /** A folder streamed from disk: images unreadable since the last epoch's report (the test evaluation). */
      dataSkipped: DataSkippedSchema.optional(),
      /** Simple models fitted on the run's training split, their test figures by metric (#83: core/metrics/baselines.ts). */
      baselines: z.record(z.string().max(64), z.record(z.string().max(64), z.number())).optional(),
      /** A sentence when the network did worse on the test split than the best of them. */
      baselineVerdict: z.string().max(500).optional(),
    }),
    'train.error': z.object({ runId: RunId, code: z.string(), message: z.string(), epoch: z.number().int().optional(), step: z.number().int().optional() }),
    /**
     * The run's GPU was lost (a driver reset, a crashed GPU window): the run paused, rolled back to
     * its last snapshot (`resumeStep`, with `resumeEpoch` epochs complete), and goes on on the CPU
     * (`backend`) when resumed. Points after `resumeStep` (and epochs after `resumeEpoch`) are
     * trained again: a chart drops them.
     */
    'train.deviceLost': z.object({
      runId: RunId,
      step: z.number().int().nonnegative(),
      epoch: z.number().int().nonnegative(),
      resumeStep: z.number().int().nonnegative(),
      resumeEpoch: z.number().int().nonnegative(),
      backend: z.string().max(500),
      message: z.string().max(4000),
    }),
    /** The run paused on a NaN/Inf: where it first appeared, and the state it rolled back to. */
    'train.diverged': z.object({
      runId: RunId,
      step: z.number().int(),
      epoch: z.number().int(),
      /** `nonfinite`: a NaN/Inf appeared; `exploding`: the loss grew past the guard's limit (still finite). */
      cause: z.enum(['nonfinite', 'exploding']),
      where: z.enum(['loss', 'activation', 'gradient']),
      nodeId: z.string(),
      op: z.string(),
      /** For `gradient` on a parameter: which one (e.g. `weight`). */
      param: z.string().optional(),
      lr: z.number(),
      /** The rate the hint suggests resuming with (10× lower, capped at a rate known to train with the optimizer). */
      suggestedLr: z.number().positive().optional(),
      hint: z.string(),
      message: z.string(),
      /** The weights and optimizer state were restored to those after this step (0 = the initial weights). */
      restoredStep: z.number().int(),
    }),
    /**
     * The run's cache of a frozen backbone's outputs (docs/trainer.md#a-frozen-backbone-is-computed-once),
     * before its first step: its progress, then its size, or why the frozen layers run every step
     * (`code`, `reason`). `message` is the line the Train dock shows. Not sent when nothing is frozen.
     */
    'train.features': z.object({
      runId: RunId,
      state: z.enum(['computing', 'ready', 'off']),
      samples: z.number().int().nonnegative().optional(),
      done: z.number().int().nonnegative().optional(),
      bytes: z.number().nonnegative().optional(),
      seconds: z.number().nonnegative().optional(),
      code: z.string().max(64).optional(),
      reason: z.string().max(2000).optional(),
      message: z.string().max(2000),
    }),
    /**
     * A GPU run's training split kept on the device (docs/webgpu-backend.md#training-data-on-the-gpu),
     * before its first step: its size, or why every batch is uploaded (`code`, `reason`). `message`
     * is the Train dock's line. Not sent for a CPU run.
     */
    'train.residentData': z.object({
      runId: RunId,
      state: z.enum(['ready', 'off']),
      samples: z.number().int().nonnegative().optional(),
      bytes: z.number().nonnegative().optional(),
      seconds: z.number().nonnegative().optional(),
      code: z.string().max(64).optional(),
      reason: z.string().max(2000).optional(),
      message: z.string().max(2000),
    }),
    /** Run state changes (paused, resumed, stopping, …). */
    'train.state': z.object({ runId: RunId, state: RunState, step: z.number().int() }),
    /** A sweep's run starts (`running`, with what `train.start` would answer), or the sweep ends. */
    'sweep.progress': z.object({
      sweepId: z.string(),
      index: z.number().int().nonnegative(),
      total: z.number().int().positive(),
      state: z.enum(['running', 'done', 'cancelled']),
      run: RunSweepInfo.optional(),
      start: StartInfo.optional(),
      /** Why a run of the sweep could not start (it is skipped). */
      failed: z.object({ value: z.union([z.number(), z.string()]), message: z.string() }).optional(),
    }),
    'probe.frame': ProbeFrame,
  },
  limits: { maxStepLosses: MAX_STEP_LOSSES, attentionSteps: ATTENTION_STEPS, runProjectMax: RUN_PROJECT_MAX },
});
