import { z } from 'zod';
import { defineService } from '../service';
import { RunIdSchema, RunStatus, numbers } from '../schemas';
import { StoredFrame } from '../probe';
import { ComputeChoice } from '../../base/schemas';
import { ProjectIdSchema, RUN_PROJECT_MAX, RunSweepInfo, StartInfo, TrainOverrides } from './train';

/** The longest run name (`run.json`'s `name`, `runs.update`): the run store cuts longer ones where a run is made. */
export const RUN_NAME_MAX = 500;

/**
 * A setting the learner changed during the run (a new learning rate on resuming from a
 * divergence): from `step` (the first step trained with it) on, `changes` (dotted paths into the
 * training section, `optimizer.lr`) replace the values of `settings.training`.
 */
export const SettingsChangeSchema = z.object({ step: z.number().int().nonnegative(), changes: z.record(z.string().max(100), z.union([z.number(), z.string().max(100)])) });

/** What a run trained with, besides its graph (stored whole beside it); the engine types `training` as the IR's (app/runs/types.ts). */
export const RunSettingsSchema = z.object({
  /** The effective training section (overrides applied). */
  training: z.unknown(),
  /** e.g. `CPU · 2 threads (WebAssembly SIMD)`. */
  backend: z.string().max(500),
  appVersion: z.string().max(64),
});

/** A run's headline figures, written when it ends. */
export const RunSummarySchema = z.object({
  steps: z.number().int(),
  epochs: z.number().int(),
  seconds: z.number(),
  /** Final metrics by split (`train`, `val`, `test`), as the training loop reported them. */
  metrics: z.record(z.string().max(16), z.record(z.string().max(64), z.unknown())),
  /** The settings changed mid-run, in order (absent when the run trained with `settings.training` throughout). */
  settingsHistory: z.array(SettingsChangeSchema).max(10_000).optional(),
  /**
   * Simple models fitted on the run's training split and measured with its metrics (#83:
   * core/metrics/baselines.ts): by name (`majority`, `ridge`, `last-value`…), their `test` and
   * `val` figures by metric and how they were fitted; absent in runs stored before them.
   */
  baselines: z
    .record(
      z.string().max(64),
      z.object({ test: z.record(z.string().max(64), z.number()), val: z.record(z.string().max(64), z.number()).optional(), note: z.string().max(500).optional() }),
    )
    .optional(),
  /** A sentence when the network did worse on the test split than the best baseline. */
  baselineVerdict: z.string().max(500).optional(),
});

/**
 * `run.json` of a stored run (docs/runs.md), declared once: small, rewritten atomically at the
 * start and at the end of a run. The engine's `RunMeta` (app/runs/types.ts) is this with its
 * settings typed.
 */
export const RunMetaSchema = z.object({
  format: z.literal('netwright.run'),
  version: z.number().int(),
  id: RunIdSchema,
  name: z.string().max(RUN_NAME_MAX),
  notes: z.string().max(100_000),
  createdAt: z.string().max(64),
  endedAt: z.string().max(64).optional(),
  status: RunStatus,
  /** The writing process, so another process can tell a live run from a crashed one. */
  pid: z.number().int(),
  /**
   * The writing process beyond its pid, which the OS hands out again (after a reboot, or to the
   * next engine in a container): a nonce of that process and, where the OS says, its start time
   * (ms since 1970). A live pid whose process does not match is not the writer. Absent in runs
   * recorded before it was kept: those go by the pid alone.
   */
  writer: z.object({ nonce: z.string().max(64), started: z.number().optional() }).optional(),
  settings: RunSettingsSchema,
  summary: RunSummarySchema.optional(),
  /** Set on the runs of a sweep: which sweep, what it varied, this run's value. */
  sweep: RunSweepInfo.optional(),
  /** The project the run was trained from (the app's document name, or the file the CLI trained). */
  project: z.string().max(RUN_PROJECT_MAX).optional(),
  /** The project's id (its file's `id`): the run stays the project's through Save As and renames (older runs go by `project`). */
  projectId: ProjectIdSchema.optional(),
  /** A resumed or continued run: the stored run it started from, at that run's checkpoint step and epoch. */
  resumedFrom: z.object({ runId: RunIdSchema, step: z.number().int().nonnegative(), epoch: z.number().int().nonnegative() }).optional(),
  /**
   * A run trained elsewhere than in the writing process (`netwright train --on TARGET`,
   * catalog/targets): the target as `--on` spells it (`torchrun:2`), the job's id there (torchrun's
   * launcher pid; a Slurm job id), and, for a process of this machine, when it started (ms since
   * 1970, as `writer.started`): a job id the OS handed out again is not the job. Absent for `local`.
   */
  target: z.object({ spec: z.string().max(500), jobId: z.string().max(200), jobStarted: z.number().optional() }).optional(),
});

/** The most lines one `runs.log` answers (the last of those asked for), and the longest line's length (longer ones end in `…`). */
export const RUN_LOG_LINES_MAX = 2000;
export const RUN_LOG_LINE_MAX = 4000;

/** A run as `runs.list` lists it: its `run.json`, and `followed: false` for a run trained elsewhere that no process follows now (its job may run on there: `netwright runs list` says "running elsewhere (not followed)"). */
export const ListedRunSchema = RunMetaSchema.extend({ followed: z.literal(false).optional() });

/** A run folder whose `run.json` cannot be read or does not fit `RunMetaSchema`: listed so the user can delete it. */
export const DamagedRunSchema = z.object({ id: RunIdSchema, reason: z.string().max(2000) });

/**
 * The run store (docs/runs.md): list the stored runs, open one (its curves and epochs), one of
 * its probe frames, rename or annotate it, delete it.
 */
export const runsService = defineService({
  name: 'runs',
  methods: {
    /** The stored runs (docs/runs.md), newest first. */
    'runs.list': {
      params: z.object({}),
      /** `damaged`: run folders whose `run.json` cannot be read, each with why (the Runs tab offers Delete). */
      result: z.object({ runs: z.array(ListedRunSchema).max(100_000), damaged: z.array(DamagedRunSchema).max(100_000) }),
    },
    /** One stored run: its meta, its graph, every step's loss and learning rate, each epoch, and which steps have a probe frame. */
    'runs.open': {
      params: z.object({ id: RunIdSchema }),
      result: z.object({
        meta: RunMetaSchema,
        graph: z.unknown(),
        /**
         * `metrics`: each step's batch metrics by name (accuracy, mse…), a column beside `step` (null where a step has none).
         * `groupLosses`: a multi-group run's (a GAN's) batch loss of each optimizer group by name, a column likewise; absent in other runs and in runs stored before it.
         */
        curve: z.object({
          step: numbers({ int: true, min: 0 }),
          epoch: numbers({ int: true, min: 0 }),
          loss: numbers({ nullable: true }),
          lr: numbers({}),
          t: numbers({}),
          metrics: z.record(z.string().max(64), numbers({ nullable: true })).optional(),
          groupLosses: z.record(z.string().max(200), numbers({ nullable: true })).optional(),
        }),
        epochs: z.array(z.object({ epoch: z.number().int(), step: z.number().int(), t: z.number(), metrics: z.record(z.string().max(16), z.record(z.string().max(64), z.unknown())) })).max(1_000_000),
        frameSteps: numbers({ int: true, min: 0 }),
        /** A GAN's D(x) and D(G(z)) from its probe frames, at `step` (the frames that have them): absent when no frame has. */
        gan: z.object({ step: numbers({ int: true, min: 0 }), dReal: numbers({}), dFake: numbers({}) }).optional(),
        /** The settings the learner changed mid-run (a new learning rate after a divergence), in order. */
        settingsHistory: z.array(SettingsChangeSchema).max(10_000).optional(),
        /** What `train.start` answered for this run (its probe samples, class names), when recorded. */
        start: StartInfo.optional(),
        /** Set when the run's log was torn or damaged: what was kept. */
        note: z.string().max(2000).optional(),
      }),
    },
    /** The probe frame of a stored run at `step`, or the last one before it (null when the run has none that early). */
    'runs.frame': {
      params: z.object({ id: RunIdSchema, step: z.number().int().nonnegative() }),
      result: z.object({ frame: StoredFrame.nullable() }),
    },
    /** Rename a run or edit its notes. */
    'runs.update': {
      params: z.object({ id: RunIdSchema, name: z.string().max(RUN_NAME_MAX).optional(), notes: z.string().max(100_000).optional() }),
      result: RunMetaSchema,
    },
    /**
     * A run's log as `netwright runs log` prints it (app/runs/run-log.ts, the same text): the lines
     * its job wrote (stdout, `! ` before stderr), its errors and lifecycle events, from its
     * `after`-th event on (0 when absent); the last `RUN_LOG_LINES_MAX` of them when there are
     * more (`skipped`: how many were left out). `next`: the `after` that asks for what comes next;
     * `status`: the run's, so a view knows whether to ask again.
     */
    'runs.log': {
      params: z.object({ id: RunIdSchema, after: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional() }),
      result: z.object({
        lines: z
          .array(z.object({ n: z.number().int().nonnegative(), t: z.number(), kind: z.enum(['stdout', 'stderr', 'error', 'event']), text: z.string().max(RUN_LOG_LINE_MAX) }))
          .max(RUN_LOG_LINES_MAX),
        next: z.number().int().nonnegative(),
        skipped: z.number().int().nonnegative(),
        status: RunStatus,
      }),
    },
    'runs.delete': {
      params: z.object({ id: RunIdSchema }),
      result: z.object({}),
    },
    /**
     * Train a graph elsewhere than in the engine (catalog/targets: `torchrun:N`, `ssh:…`, `slurm:…`;
     * the Train dock's "Where"), as `netwright train --on TARGET` does: the exported train.py runs
     * there and its records are written into the run store as they come, so the run is listed
     * (`runs.list`) with its target and job id while it trains. Answers once the job has started
     * and its run is recorded. `E_TARGET_SPEC` (a target the registry does not read, or `local`:
     * that is `train.start`), `E_TARGET_LAUNCH`, `E_TARGET_UNAVAILABLE` (an engine without launchers).
     */
    'runs.launch': {
      params: z.object({
        graph: z.unknown(),
        /** The target as `--on` spells it: `torchrun:2`, `ssh:me@gpu-box:runs`, `slurm:partition=gpu`. */
        target: z.string().min(1).max(500),
        overrides: TrainOverrides.optional(),
        project: z.string().max(RUN_PROJECT_MAX).optional(),
        projectId: ProjectIdSchema.optional(),
        /** `cpu`, `gpu` (refused there when PyTorch sees no GPU) or `auto`, as `--device`. */
        backend: ComputeChoice.optional(),
      }),
      result: z.object({ runId: RunIdSchema, target: z.string().max(500), jobId: z.string().max(200) }),
    },
    /**
     * End a run trained elsewhere, as `netwright runs cancel` (the same code): it is recorded
     * `stopped` once its job has ended. `E_RUN_NOT_RUNNING`, `E_RUN_NOT_CANCELLABLE` (a run of the
     * engine: `train.control` stops it).
     */
    'runs.cancel': {
      params: z.object({ id: RunIdSchema }),
      result: z.object({ id: RunIdSchema, target: z.string().max(500), jobId: z.string().max(200) }),
    },
  },
  events: {},
  limits: { runNameMax: RUN_NAME_MAX, logLinesMax: RUN_LOG_LINES_MAX, logLineMax: RUN_LOG_LINE_MAX },
});
