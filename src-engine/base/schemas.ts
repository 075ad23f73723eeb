import { z } from 'zod';
import { paramsSchema, settingSchema } from '../catalog/params';
import { OPTIMIZERS, type OptimizerConfig } from '../catalog/optimizers/registry';
import { SCHEDULES, type ScheduleConfig } from '../catalog/schedules/registry';
import { listTransforms, type TransformConfig } from '../catalog/transforms/registry';
import { TARGET_NORMALIZATIONS } from '../catalog/datasets/options';

/**
 * Values the engine's tiers and the protocol both name: one zod schema each, and its type derived
 * from it, so no second definition drifts from the first. The IR validator reports `Diagnostic`s,
 * a graph's `training.dataset` is a `DatasetConfig`, the GPU selection takes a `ComputeChoice`; the
 * protocol checks the same values where they cross a process boundary. This file imports nothing
 * but zod and the catalog: it is the one file of base the protocol may import (eslint.config.js).
 */

/**
 * What the validator reports. Errors stop compilation; warnings are shown but do not. Codes are
 * stable (docs/ir.md has the table); messages are for people and may change.
 */
export const Diagnostic = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  /** The node the problem is about, when there is one (the canvas highlights it). */
  nodeId: z.string().optional(),
  message: z.string(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

/** Where a run trains (docs/webgpu-backend.md, "Selection"): `auto`, `cpu`, or `gpu` forced. */
export const ComputeChoice = z.enum(['auto', 'cpu', 'gpu']);
export type ComputeChoice = z.infer<typeof ComputeChoice>;

/**
 * A run's states, declared once: what its control says (core/train/control.ts `RunControl`) and
 * the protocol carries (`train.state`): running, paused, held on a divergence, stopping, and how
 * its loop ended. The renderer's phases and the stored statuses are derived from it.
 */
export const RunState = z.enum(['running', 'paused', 'diverged', 'stopping', 'done', 'failed']);
export type RunState = z.infer<typeof RunState>;

/**
 * A stored run's status (`run.json`, docs/runs.md): `running` while its writer trains it, then how
 * it ended — `done`, `stopped`, `diverged` (stopped while held on a divergence) or `failed` — or
 * `crashed`: its writer went without ending it.
 */
export const RunStatus = z.enum([...RunState.extract(['running', 'done', 'diverged', 'failed']).options, 'stopped', 'crashed']);
export type RunStatus = z.infer<typeof RunStatus>;

/** The statuses a run's writer ends it with (`RunSink.finish`). */
export const RunEnd = RunStatus.exclude(['running', 'crashed']);
export type RunEnd = z.infer<typeof RunEnd>;

/** One schema for the settings of every declared kind, told apart by `kind`: a kind no declaration names is one issue at `kind` (see `settingIssue`). */
const byKind = <T>(options: readonly z.ZodObject[]) => z.discriminatedUnion('kind', options as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<T>;

/** A `training.optimizer`: one of the declared optimizers (catalog/optimizers/), with its rate. */
export const OptimizerConfigSchema = byKind<OptimizerConfig>(OPTIMIZERS.map((o) => settingSchema(o.kind, o.params, { lr: z.number().min(0) })));

/** A `training.schedule`: one of the declared learning-rate schedules (catalog/schedules/). */
export const ScheduleConfigSchema = byKind<ScheduleConfig>(SCHEDULES.map((s) => settingSchema(s.kind, s.params)));

/** A `dataset.transform`: one of the declared transforms (catalog/transforms/), each parameter within its range. */
export const TransformSchema = byKind<TransformConfig>(listTransforms().map((t) => paramsSchema(t.kind, t.params)));

/**
 * What `schema` (one of the kind-discriminated schemas above) refuses in `value`, in the terms of
 * the engine's coded errors: `unknownKind` when no declaration names its kind, else the first
 * field that does not fit (`''` for a value that is not an object). Undefined when it fits.
 */
export function settingIssue(schema: z.ZodType, value: unknown): { unknownKind: true } | { unknownKind: false; field: string } | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  if (issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'kind') return { unknownKind: true };
  return { unknownKind: false, field: String(issue.path[0] ?? '') };
}

/** A graph's `training.dataset`: which dataset, and how it is split, corrupted and augmented. */
const DatasetConfigFields = z.object({
  /** A declared dataset's name (catalog/datasets/). */
  name: z.string().min(1).max(100),
  /** Dataset-specific options: `noise` for synthetic sets, `path`/`targetColumn`/`task` for CSV, `dir` for IDX folders, sample counts. */
  options: z.record(z.string(), z.unknown()).optional(),
  /** Fractions of the non-test data held out for validation (default 0.1). */
  validationSplit: z.number().min(0).max(0.99).optional(),
  /**
   * IR v4: the train, validation and test shares of the data read (fractions summing to 1;
   * base/ir/split.ts). Set, it replaces `validationSplit` and `options.testSplit`.
   */
  split: z.object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) }).optional(),
  /**
   * IR v4: the validation and test splits read from files of their own (`netwright train
   * --val-data FILE --test-data FILE`), every sample of each, read as the training data is
   * (node/split-files.ts); no share of the data is carved for them.
   */
  splitFiles: z.object({ val: z.string().min(1).max(4096).optional(), test: z.string().min(1).max(4096).optional() }).optional(),
  /** Corruption applied to the features fed to the network; the target stays clean (denoising AEs). Declared in catalog/transforms/. */
  transform: TransformSchema.optional(),
  /**
   * Random changes to image samples, training batches only: shifts (whole pixels, zero fill: a
   * random crop of the padded image), rotations (degrees), a left–right mirror with probability ½
   * (`flip`), and colour jitter (`jitter`: each channel's values scaled by a factor uniform in
   * [1 − jitter, 1 + jitter], per sample).
   */
  augment: z.object({ shift: z.number().int().min(0).max(64).optional(), rotate: z.number().min(0).max(180).optional(), flip: z.boolean().optional(), jitter: z.number().min(0).max(1).optional() }).optional(),
  /** What the `target` Input receives: class labels, or the clean features (autoencoders). */
  target: z.enum(['label', 'features']).optional(),
  /** Use at most this many training samples (quick runs, sanity checks). */
  limit: z.number().int().positive().optional(),
  /**
   * How a regression's targets are scaled for training (IR v4): `standard` (default) — standardised
   * with the training split's mean and std, undone wherever a value is shown, predicted, measured or
   * exported (core/data/target-normalization.ts); off — trained in their own units, as before v4.
   */
  targetNormalization: z.enum(TARGET_NORMALIZATIONS).optional(),
});
export type DatasetConfig = z.infer<typeof DatasetConfigFields>;
/** A `DatasetConfig` as the protocol checks it: loosely (unknown keys pass; the data layer reports coded errors). */
export const DatasetConfigSchema = DatasetConfigFields.passthrough();

/**
 * The most an import's answer holds of what a model file says in its own words: its warnings (one
 * per weight holding NaN, say: a file of 5,000 such weights gives 5,000), and an ONNX file's
 * producer and opset domains. The importer fits what it answers to these (`importWarningTexts`,
 * `onnxSummary`); the protocol checks the same, so no file makes a valid answer the page refuses.
 */
export const IMPORT_TEXT_LIMITS = { warnings: 1000, warningChars: 2000, producerChars: 400, opsets: 64, domainChars: 200 } as const;

/** An import's warnings, as `importWarningTexts` fits them. */
export const ImportWarnings = z.array(z.string().max(IMPORT_TEXT_LIMITS.warningChars)).max(IMPORT_TEXT_LIMITS.warnings);

/**
 * An ONNX file as the read-only view shows it (#60: "look at an ONNX without importing it"): what
 * the importer made of it (the checked graph, every node's output shape, its parameters) and what
 * the file says of itself (opset, IR version, producer, its own node count). `onnxSummary` makes
 * it; `model.inspect` answers it.
 */
export const OnnxSummarySchema = z.object({
  /** The graph as the importer reads it (IR JSON), laid out by the viewer. */
  graph: z.record(z.string(), z.unknown()),
  /** The default domain's opset (`ai.onnx`), and every domain's (the first 64); 0 where the file names none or a number out of range. */
  opset: z.number().int().nonnegative(),
  opsets: z.array(z.object({ domain: z.string().max(IMPORT_TEXT_LIMITS.domainChars), version: z.number().int().nonnegative() })).max(IMPORT_TEXT_LIMITS.opsets),
  irVersion: z.number().int().nonnegative(),
  /** `producer_name producer_version` (`pytorch 2.3.0`, `Netwright 0.1.0`), empty when the file names none; cut to 400 characters. */
  producer: z.string().max(IMPORT_TEXT_LIMITS.producerChars),
  /** The file's own nodes (before the importer folded shape sub-graphs and fused patterns). */
  onnxNodes: z.number().int().nonnegative(),
  /** Trainable parameters in all, and per node that has any. */
  params: z.number().int().nonnegative(),
  paramsByNode: z.record(z.string(), z.number().int().nonnegative()),
  /** Each node's output shape per sample (`-1`: the batch). */
  shapes: z.record(z.string(), z.array(z.number().int())),
  /** Netwright's own design came back whole (its metadata), and whether its weights are an untrained export's. */
  restored: z.boolean(),
  untrained: z.boolean(),
  warnings: ImportWarnings,
});
export type OnnxSummary = z.infer<typeof OnnxSummarySchema>;
