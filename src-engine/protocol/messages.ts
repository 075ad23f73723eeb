import { z } from 'zod';
import { paramsSchema } from '../catalog/params';
import { listTransforms, type TransformConfig } from '../catalog/transforms/registry';

/**
 * Netwright's one message protocol: the only contract between the renderer, the hosts (Electron
 * main, the web-mode server) and the engine. Every message that crosses a process boundary is
 * checked against these schemas; a message of the wrong shape is rejected with a logged error.
 *
 * Envelopes follow VS Code's IPC: requests and responses correlated by id, one-way events, and
 * cancellation of an in-flight request.
 */
export const PROTOCOL_VERSION = 1;

// ── Arrays of numbers ───────────────────────────────────────────────────────────────────────

/**
 * An array of finite numbers (`int`: safe integers; `min`: a lower bound; `max`: most elements),
 * checked in one pass. `z.array(z.number())` runs a schema and builds a result object per
 * element unless zod may compile its fast path with `new Function`, which the renderer's CSP
 * forbids: for the probe samples' pixels and the frames' histograms that was most of what the
 * renderer allocated per run, and the garbage collections it caused competed with training for
 * the CPU. A failure names the array, not the element.
 */
function numbers(opts: { int?: boolean; min?: number; max?: number; nullable?: false }): z.ZodType<number[]>;
function numbers(opts: { int?: boolean; min?: number; max?: number; nullable: true }): z.ZodType<(number | null)[]>;
function numbers(opts: { int?: boolean; min?: number; max?: number; nullable?: boolean } = {}): z.ZodType<number[]> | z.ZodType<(number | null)[]> {
  const { int = false, min = -Infinity, max = Infinity, nullable = false } = opts;
  const what = `an array of ${int ? 'integers' : 'finite numbers'}${nullable ? ' or nulls' : ''}${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` (at most ${max})` : ''}`;
  return z.custom<(number | null)[]>(
    (v) => {
      if (!Array.isArray(v) || v.length > max) return false;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x === null && nullable) continue;
        if (typeof x !== 'number' || !(int ? Number.isSafeInteger(x) : Number.isFinite(x)) || x < min) return false;
      }
      return true;
    },
    { message: `expected ${what}` },
  );
}
/** Finite numbers. */
const Numbers = numbers({});
/** Safe integers (shapes, class indices). */
const Ints = numbers({ int: true });
/** Non-negative integers (histogram counts, class balance). */
const Counts = numbers({ int: true, min: 0 });

/**
 * A typed array of `kind` (what the engine sends: compact, full float32 precision, and carried
 * as binary by the web host's WebSocket — see wire.ts) or, from a stored run or an older engine,
 * a plain array of the same values. Checked in one pass like `numbers`.
 */
function typed<T extends Float32Array | Uint32Array | Int32Array>(kind: { new (n: number): T; name: string }, opts: { finite?: boolean; min?: number; max?: number } = {}) {
  const { finite = true, min = -Infinity, max = Infinity } = opts;
  return z.custom<T | number[]>(
    (v) => {
      const ok = v instanceof kind || Array.isArray(v);
      if (!ok || (v as ArrayLike<number>).length > max) return false;
      const a = v as ArrayLike<unknown>;
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        if (typeof x !== 'number' || (finite && !Number.isFinite(x)) || x < min) return false;
        if (kind !== (Float32Array as unknown) && !Number.isInteger(x)) return false;
      }
      return true;
    },
    { message: `expected a ${kind.name} (or an array of its values)` },
  );
}
/** Probe-frame arrays: float32 values, counts, class indices (engine → app as typed arrays). */
const F32 = typed(Float32Array);
const U32 = typed(Uint32Array, { min: 0 });
const I32 = typed(Int32Array);

// ── Payloads ────────────────────────────────────────────────────────────────────────────────

export const ComputeBackendInfo = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cpu'), threads: z.number().int().positive(), simd: z.boolean(), description: z.string() }),
  z.object({ kind: z.literal('webgpu'), adapter: z.string(), description: z.string() }),
]);
export type ComputeBackendInfo = z.infer<typeof ComputeBackendInfo>;

export const EngineInfo = z.object({
  name: z.literal('netwright-engine'),
  version: z.string(),
  protocol: z.number().int(),
  pid: z.number().int(),
  runtime: z.enum(['electron-utility', 'node-child', 'in-process']),
  backend: ComputeBackendInfo,
});
export type EngineInfo = z.infer<typeof EngineInfo>;

export const Diagnostic = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  nodeId: z.string().optional(),
  message: z.string(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

// ── Training payloads (docs/training-protocol.md) ──────────────────────────────────────────

/** Names a training run; every training message carries it so a stale run's traffic is ignored. */
const RunId = z.string().min(1).max(64);

/** A `dataset.transform`: one of the declared transforms (catalog/transforms/), each parameter within its range. */
const TransformSchema = z.union(listTransforms().map((t) => paramsSchema(t.kind, t.params)) as unknown as readonly [z.ZodType, z.ZodType, ...z.ZodType[]]) as unknown as z.ZodType<TransformConfig>;

/** A graph's `training.dataset` (checked loosely here; the data layer reports coded errors). */
export const DatasetConfigSchema = z
  .object({
    name: z.string().min(1).max(100),
    options: z.record(z.string(), z.unknown()).optional(),
    validationSplit: z.number().min(0).max(0.99).optional(),
    transform: TransformSchema.optional(),
    augment: z.object({ shift: z.number().int().min(0).max(64).optional(), rotate: z.number().min(0).max(180).optional(), flip: z.boolean().optional(), jitter: z.number().min(0).max(1).optional() }).optional(),
    target: z.enum(['label', 'features']).optional(),
    limit: z.number().int().positive().optional(),
  })
  .passthrough();

/**
 * A histogram over `[min, max]` in `counts.length` equal bins, of the finite values only
 * (`TensorStats.nonFinite` counts the rest).
 */
export const Histogram = z.object({ min: z.number(), max: z.number(), counts: U32 });
export type Histogram = z.infer<typeof Histogram>;

/** Summary statistics of one tensor over its finite values. */
export const TensorStats = z.object({
  count: z.number().int().nonnegative(),
  mean: z.number(),
  std: z.number(),
  min: z.number(),
  max: z.number(),
  /** Fraction of values exactly 0. */
  zeroFrac: z.number(),
  /** Values that are NaN or ±Inf. */
  nonFinite: z.number().int().nonnegative(),
});
export type TensorStats = z.infer<typeof TensorStats>;

/** One node's output on the probe batch (eval mode), with its gradient norm from the last training step. */
export const ActivationProbeEntry = z.object({
  nodeId: z.string(),
  op: z.string(),
  /** Per-sample shape. */
  shape: Ints,
  hist: Histogram,
  stats: TensorStats,
  /** ReLU: fraction of units (features, or channels for `[N, C, H, W]`) that are 0 on every probe sample. */
  deadFrac: z.number().optional(),
  /** Sigmoid (< 0.01 or > 0.99) / Tanh (|y| > 0.99): fraction of values in the flat tails. */
  saturatedFrac: z.number().optional(),
  /** ‖dLoss/dOutput‖₂ of the last training step (absent for nodes without a gradient). */
  gradNorm: z.number().nullable().optional(),
});
export type ActivationProbeEntry = z.infer<typeof ActivationProbeEntry>;

/** One parameter tensor: gradient flow and the last update's size, from the training step itself. */
export const ParamProbeEntry = z.object({
  nodeId: z.string(),
  name: z.string(),
  shape: Ints,
  /** Null when not finite (the divergence guard reports where). */
  gradNorm: z.number().nullable(),
  gradMeanAbs: z.number().nullable(),
  weightNorm: z.number().nullable(),
  /** ‖ΔW‖₂ / ‖W‖₂ of the optimizer step that followed the gradient (healthy: around 1e-3; 0 when not measured). */
  updateRatio: z.number().nullable(),
  /** The layer is frozen (fine-tuning): not trained, no gradient computed; charts show it as frozen, not vanishing. */
  frozen: z.literal(true).optional(),
  weightHist: Histogram,
  weightStats: TensorStats,
});
export type ParamProbeEntry = z.infer<typeof ParamProbeEntry>;

/** Outputs of the current weights for the fixed probe samples (the first ones of the probe batch). */
export const SampleProbeResult = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('classification'),
    /** Softmax probabilities per sample (sigmoid pair [1-p, p] for a single-logit output). */
    probs: z.array(F32),
    predicted: Ints,
    targets: Ints,
  }),
  z.object({
    /** `reconstruction`: autoencoders (compare with the sample's clean input); `regression`: raw outputs. */
    kind: z.enum(['reconstruction', 'regression']),
    outputs: z.array(F32),
    /** Per-sample shape of one output row, e.g. [1, 28, 28]. */
    shape: Ints,
  }),
]);
export type SampleProbeResult = z.infer<typeof SampleProbeResult>;

/** Predicted class over a grid of the 2-D input plane, row-major with y growing downward rows. */
export const DecisionBoundary = z.object({
  x: z.tuple([z.number(), z.number()]),
  y: z.tuple([z.number(), z.number()]),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  classes: I32,
  /** Probability of the predicted class per cell. */
  confidence: F32,
});
export type DecisionBoundary = z.infer<typeof DecisionBoundary>;

/** A layer-health finding with a fix the user can try. */
export const HealthWarning = z.object({
  code: z.enum(['HEALTH_DEAD_RELU', 'HEALTH_SATURATED', 'HEALTH_VANISHING_GRAD', 'HEALTH_EXPLODING_GRAD', 'HEALTH_LARGE_UPDATES', 'HEALTH_NONFINITE']),
  severity: z.enum(['warning', 'error']),
  nodeId: z.string(),
  message: z.string(),
  fix: z.string(),
});
export type HealthWarning = z.infer<typeof HealthWarning>;

/** A GAN hint: the discriminator wins too fast, or the generator collapses to one mode (docs/trainer.md "Training a GAN"). */
export const GanWarning = z.object({
  code: z.enum(['GAN_D_WINS', 'GAN_MODE_COLLAPSE']),
  message: z.string(),
  fix: z.string(),
});
export type GanWarning = z.infer<typeof GanWarning>;

/**
 * A recurrent layer over time, for one probe sample (the first): each gate's activations and the
 * hidden state per step for the first units of its last layer, and ‖dL/dh_t‖ per step from the
 * last training step (its first layer; null when that step's gradients are not at hand, e.g. on
 * a GPU run) — the vanishing-gradient picture.
 */
export const SequenceTrace = z.object({
  nodeId: z.string().max(200),
  op: z.string().max(64),
  steps: z.number().int().positive().max(4096),
  /** Each gate's values `[unit][step]` and its range (σ gates 0–1, tanh ones −1–1). */
  gates: z.array(z.object({ name: z.string().max(32), range: z.tuple([z.number(), z.number()]), values: z.array(z.array(z.number().nullable()).max(4096)).max(64) })).max(8),
  /** The hidden state `[unit][step]` (null: not a finite number). */
  hidden: z.array(z.array(z.number().nullable()).max(4096)).max(64),
  gradByTime: z.array(z.number().nullable()).max(4096).nullable(),
});
export type SequenceTrace = z.infer<typeof SequenceTrace>;

/** Steps of each axis an attention map shows (of 64 in the tiny GPT): readable cells, a small frame. */
export const ATTENTION_STEPS = 32;

/**
 * An attention layer's weights for one probe sample (the first), per head: `softmax(q·kᵀ/√d)`
 * (its mask applied) as a map of queries (rows) × keys (columns), for the first `steps` of `of`
 * steps, each weight quantised to 0–255 (255 = 1). `tokens`: the sample's token ids at those
 * steps, when its input is a sequence of tokens (the app shows the characters).
 */
export const AttentionMap = z.object({
  nodeId: z.string().max(200),
  op: z.string().max(64),
  steps: z.number().int().positive().max(ATTENTION_STEPS),
  of: z.number().int().positive(),
  causal: z.boolean(),
  heads: z.array(z.array(z.number().int().min(0).max(255)).max(ATTENTION_STEPS * ATTENTION_STEPS)).max(64),
  tokens: z.array(z.number().int().nonnegative()).max(ATTENTION_STEPS).optional(),
});
export type AttentionMap = z.infer<typeof AttentionMap>;

/** A GAN's frame figures: the sample grid from the Noise node's fixed noise, D(x), D(G(z)) and the grid's diversity. */
export const GanProbeResult = z.object({
  /** `count` samples of `shape`, row after row. */
  samples: F32,
  count: z.number().int().nonnegative(),
  shape: Ints,
  /** Mean sigmoid of the discriminator's scores of the probe batch's real images, and of the samples. */
  dReal: z.number(),
  dFake: z.number(),
  /** Mean pairwise Euclidean distance between the samples, and between as many real images. */
  diversity: z.number(),
  realDiversity: z.number(),
  /** A conditional GAN's: the class each sample was asked to draw (the probe batch's labels), sample by sample. */
  labels: z.array(z.number().int().nonnegative()).optional(),
  hints: z.array(GanWarning),
});
export type GanProbeResult = z.infer<typeof GanProbeResult>;

/** One probe snapshot. Scalars carry float32-level precision (6 significant digits); the large arrays are typed arrays. */
export const ProbeFrame = z.object({
  runId: RunId,
  /** Increases by one per frame of a run; `probe.ack` names it. */
  seq: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  /** Batch loss of the training step the frame follows. */
  loss: z.number().nullable(),
  layers: z.array(ActivationProbeEntry),
  params: z.array(ParamProbeEntry),
  samples: SampleProbeResult.optional(),
  boundary: DecisionBoundary.optional(),
  gan: GanProbeResult.optional(),
  /** Recurrent layers over time (LSTM, GRU). */
  sequences: z.array(SequenceTrace).max(32).optional(),
  /** Attention layers' weights per head (MultiHeadAttention). */
  attention: z.array(AttentionMap).max(32).optional(),
  health: z.array(HealthWarning),
  /** Milliseconds the engine spent computing this frame. */
  costMs: z.number(),
});
export type ProbeFrame = z.infer<typeof ProbeFrame>;
/** A probe frame as the run store keeps it (the live run's id and delivery sequence are not kept). */
export const StoredFrame = ProbeFrame.omit({ runId: true, seq: true });
export type StoredFrame = z.infer<typeof StoredFrame>;

/**
 * Probe frames a second when a run does not say (`ProbeOptions.maxHz`), and the rates the app
 * offers. NOTE (measured, `npm run bench:ui`, 2-core VM): each frame the app draws costs its
 * renderer ~15–25 ms of CPU, which on a machine whose cores the engine's threads all use slows
 * training by about twice that (a preempted engine thread stalls its partner); 2 frames a second
 * keeps a watched run within a few per cent of a headless one, and still reads as live.
 */
export const DEFAULT_PROBE_HZ = 2;
export const PROBE_RATES_HZ = [1, 2, 4] as const;

/** How often and how much to probe. Probing is bounded: at most `maxHz` frames a second and at most `budget` of the run's time. */
export const ProbeOptions = z.object({
  /** Probe every N optimizer steps (still capped by maxHz and budget). Default: time-based only. */
  everySteps: z.number().int().positive().max(1_000_000).optional(),
  /** Frames per second at most (default `DEFAULT_PROBE_HZ`, 2). */
  maxHz: z.number().positive().max(30).optional(),
  /** Fraction of wall time probes may take (default 0.02). */
  budget: z.number().positive().max(0.5).optional(),
  /** How many fixed test samples get predictions/reconstructions (default 8, ≤ batch). */
  samples: z.number().int().min(0).max(32).optional(),
  /** Probe batch size (default 64). */
  batch: z.number().int().positive().max(512).optional(),
  /** Histogram bins (default 32). */
  bins: z.number().int().min(2).max(256).optional(),
  /** Decision-boundary grid side for 2-D datasets (default 48; 0 turns it off). */
  boundary: z.number().int().min(0).max(128).optional(),
});
export type ProbeOptions = z.infer<typeof ProbeOptions>;

export const TrainOverrides = z.object({
  epochs: z.number().int().nonnegative().max(100_000).optional(),
  batchSize: z.number().int().positive().max(65_536).optional(),
  lr: z.number().positive().max(1e6).optional(),
  seed: z.number().int().nonnegative().max(0xffffffff).optional(),
  /** At most this many training samples (and validation/test samples, for quick runs). */
  limit: z.number().int().positive().optional(),
});
export type TrainOverrides = z.infer<typeof TrainOverrides>;

export const RunState = z.enum(['running', 'paused', 'diverged', 'stopping', 'done', 'failed']);
/** Where a run trains (docs/webgpu-backend.md, "Selection"): `auto`, `cpu`, or `gpu` forced. */
export const ComputeChoice = z.enum(['auto', 'cpu', 'gpu']);
export type ComputeChoice = z.infer<typeof ComputeChoice>;

/** A run's pace: most optimizer steps a second, 0 for as fast as the backend goes. */
export const StepsPerSecond = z.number().min(0).max(10_000);
/** The Train dock's speed choices (steps a second; 0: as fast as possible). */
export const TRAIN_PACES = [0, 100, 20, 5] as const;
/** Most step losses one `train.progress` event carries (a faster run's are min/max-downsampled). */
export const MAX_STEP_LOSSES = 4096;
export type RunState = z.infer<typeof RunState>;

/** Metrics of one split (see docs/trainer.md; `confusion[true][predicted]`). */
export const MetricValuesSchema = z
  .object({
    loss: z.number().nullable(),
    accuracy: z.number().optional(),
    top5: z.number().optional(),
    precision: z.number().optional(),
    recall: z.number().optional(),
    f1: z.number().optional(),
    perClass: z.object({ precision: Numbers, recall: Numbers, f1: Numbers, support: Numbers }).optional(),
    confusion: z.array(Numbers).optional(),
    'roc-auc': z.number().nullable().optional(),
    mse: z.number().optional(),
    mae: z.number().optional(),
    r2: z.number().nullable().optional(),
    psnr: z.number().nullable().optional(),
  })
  .passthrough();

export const DatasetPreview = z.object({
  name: z.string(),
  task: z.enum(['classification', 'regression', 'reconstruction']),
  featureShape: Ints,
  counts: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }),
  classNames: z.array(z.string()),
  /** Training samples per class. */
  classBalance: Counts,
  /** The first training samples as fed to the network; `clean`: before augmentation and transform, when they change it. */
  samples: z.array(z.object({ features: Numbers, target: z.union([z.number(), Numbers]), clean: Numbers.optional() })),
  /** Smallest and largest value among the samples shown (what the normalisation makes of them). */
  range: z.tuple([z.number(), z.number()]).optional(),
  /** 2-D sets: up to 2,000 training points `[x, y, class]` for a scatter plot. */
  points: z.array(z.tuple([z.number(), z.number(), z.number()])).optional(),
  /**
   * The user's own data (docs/data.md): its content fingerprint (saved with the project as
   * `options.fingerprint`), the files found, the first 200 files skipped with why (`skippedTotal`
   * counts all), notes on how it was read, and a table's columns.
   */
  source: z
    .object({
      kind: z.string(),
      fingerprint: z.string(),
      files: z.number().int(),
      skipped: z.array(z.object({ path: z.string(), reason: z.string() })).max(200),
      skippedTotal: z.number().int(),
      notes: z.array(z.string()),
      columns: z.array(z.object({ name: z.string(), role: z.enum(['feature', 'target', 'ignore']), kind: z.enum(['numeric', 'categorical']), missing: z.number().int(), categories: z.number().int().optional() })).optional(),
    })
    .optional(),
});
export type DatasetPreview = z.infer<typeof DatasetPreview>;

/** The user's data kinds (docs/data.md): a folder of class sub-folders, a table, NumPy arrays, a text for a language model. */
export const DataKind = z.enum(['image-folder', 'csv', 'npz', 'text']);
export type DataKind = z.infer<typeof DataKind>;

/**
 * `data.scan`'s request: the file or folder to look at (web mode: inside the workspace or the
 * host's data folder; Electron: what the user picked), its kind (`auto`: a folder is an image
 * folder, `.npz`/`.npy` arrays, anything else a table; `text`: a `.txt` for a language model, its
 * `options` the design's window and vocabulary), a table's reading options (roles, missing-value
 * policy, target), and the id its `data.scanProgress` events carry. `check`: only read the files
 * and answer their fingerprint (no decoding, no thumbnails): what opening a project asks.
 */
export const DataScanRequest = z.object({
  scanId: z.string().min(1).max(64),
  path: z.string().min(1).max(4096),
  kind: z.union([DataKind, z.literal('auto')]).optional(),
  options: z.record(z.string().max(64), z.unknown()).optional(),
  check: z.boolean().optional(),
});
export type DataScanRequest = z.infer<typeof DataScanRequest>;

/** A small picture of one image (its aspect kept, at most 32 px a side): RGB bytes 0–255, row by row, `[3, height, width]`. */
export const DataThumbnail = z.object({ path: z.string().max(4096), width: z.number().int().positive().max(32), height: z.number().int().positive().max(32), rgb: numbers({ int: true, min: 0, max: 32 * 32 * 3 }) });
export type DataThumbnail = z.infer<typeof DataThumbnail>;

/** One column of a table as the scan read it: its kind, missing cells, distinct values, and the role it has now. */
export const DataColumn = z.object({
  name: z.string().max(1000),
  kind: z.enum(['numeric', 'categorical']),
  missing: z.number().int().nonnegative(),
  distinct: z.number().int().nonnegative(),
  role: z.enum(['feature', 'target', 'ignore']),
});
export type DataColumn = z.infer<typeof DataColumn>;

/**
 * What `data.scan` found. Every file it could not use is in `skipped` with the reason (the first
 * 500; `skippedTotal` counts all): nothing is dropped silently. `dataset` is the training
 * dataset to use ("Use this data"): the path, the content fingerprint and, for tables, the roles
 * and policy the scan was asked with. `problem`: the coded error training would stop with as the
 * data stands (a table whose missing cells need a policy, a folder with one class).
 */
export const DataScanResult = z.object({
  kind: DataKind,
  /** The path as given, and the name to show (the folder's or file's). */
  path: z.string().max(4096),
  name: z.string().max(1000),
  fingerprint: z.string().max(128),
  /** Files that looked like data (images, the table, the archive) and their bytes. */
  files: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  /** Image folders: classes with their image counts by split and a few thumbnails each. */
  classes: z
    .array(z.object({ name: z.string().max(1000), count: z.number().int().nonnegative(), splits: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }), thumbnails: z.array(DataThumbnail).max(16) }))
    .max(10_000),
  /** Image folders: the most common image sizes (`width × height`, grey or colour) and how many images have each. */
  sizes: z.array(z.object({ width: z.number().int(), height: z.number().int(), colour: z.boolean(), count: z.number().int() })).max(32),
  skipped: z.array(z.object({ path: z.string().max(4096), reason: z.string().max(2000) })).max(500),
  skippedTotal: z.number().int().nonnegative(),
  /** Tables: rows and columns (in file order). */
  table: z
    .object({
      rows: z.number().int().nonnegative(),
      columns: z.array(DataColumn).max(10_000),
      task: z.enum(['classification', 'regression']).optional(),
      encodedWidth: z.number().int().optional(),
      /** How the target was chosen: by the user (options), by its name (`Survived`, `label`…), or the last column for want of one (the preview asks). */
      targetBy: z.enum(['user', 'name', 'last']).optional(),
    })
    .optional(),
  /** The per-sample shape the data gives (`[3, 32, 32]`, `[12]`), when it was read that far. */
  featureShape: Ints.optional(),
  /**
   * Texts: the characters read, the distinct ones among them the model reads, the vocabulary's
   * size (larger than `distinct` when it is fixed, as ASCII's 97), the training windows and the text's start.
   */
  text: z.object({ characters: z.number().int().nonnegative(), distinct: z.number().int().nonnegative(), vocabulary: z.number().int().nonnegative(), windows: z.number().int().nonnegative(), start: z.string().max(2000) }).optional(),
  notes: z.array(z.string().max(2000)).max(100),
  problem: ErrorInfo.optional(),
  dataset: DatasetConfigSchema,
});
export type DataScanResult = z.infer<typeof DataScanResult>;

// ── Methods: renderer → engine requests, with typed params and results ─────────────────────

/** A few samples as fed to the network (the Playground's picker, the Samples tab): their shape, inputs and targets. */
const ProbeSamples = z.object({ shape: Ints, inputs: z.array(Numbers), targets: z.array(z.union([z.number(), Numbers])) });

/** A stored run's id (`<date>-<time>-<4 chars>`, the folder's name). */
const RunIdSchema = z.string().regex(/^\d{8}-\d{6}-[0-9a-z]{4}$/, 'expected a run id');

/** What `train.start` answers, and `train.current` repeats to a client that (re)attaches. */
export const StartInfo = z.object({
  runId: RunId,
  /** The run store's id of this run (`runs.open`), when the engine keeps runs. */
  storedRunId: RunIdSchema.optional(),
  backend: z.string(),
  stepsPerEpoch: z.number().int(),
  epochs: z.number().int(),
  batchSize: z.number().int(),
  task: z.enum(['classification', 'regression', 'reconstruction']),
  classNames: z.array(z.string()),
  /** The fixed probe samples (network inputs, as fed) whose outputs every frame carries. */
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

/** The longest run name (`run.json`'s `name`, `runs.update`): the run store cuts longer ones where a run is made. */
export const RUN_NAME_MAX = 500;

/** The longest project name a run records (`run.json`'s `project`). */
export const RUN_PROJECT_MAX = 300;

/** A setting changed mid-run (src-engine/app/runs/types.ts `SettingsChange`): from `step` on, `changes` (dotted paths, `optimizer.lr`). */
export const SettingsChangeSchema = z.object({ step: z.number().int().nonnegative(), changes: z.record(z.string().max(100), z.union([z.number(), z.string().max(100)])) });

/** `run.json` of a stored run (src-engine/app/runs/types.ts). */
export const RunMetaSchema = z.object({
  format: z.literal('netwright.run'),
  version: z.number().int(),
  id: RunIdSchema,
  name: z.string().max(RUN_NAME_MAX),
  notes: z.string().max(100_000),
  createdAt: z.string().max(64),
  endedAt: z.string().max(64).optional(),
  status: z.enum(['running', 'done', 'stopped', 'diverged', 'failed', 'crashed']),
  pid: z.number().int(),
  /** Which process wrote the run, beyond its pid (which the OS hands out again): its start time and a per-process nonce. */
  writer: z.object({ nonce: z.string().max(64), started: z.number().optional() }).optional(),
  settings: z.object({ training: z.unknown(), backend: z.string().max(500), appVersion: z.string().max(64) }),
  summary: z
    .object({ steps: z.number().int(), epochs: z.number().int(), seconds: z.number(), metrics: z.record(z.string().max(16), z.record(z.string().max(64), z.unknown())), settingsHistory: z.array(SettingsChangeSchema).max(10_000).optional() })
    .optional(),
  sweep: RunSweepInfo.optional(),
  project: z.string().max(RUN_PROJECT_MAX).optional(),
  /** A resumed or continued run: its parent and the checkpoint it started from (`train.resume`). */
  resumedFrom: z.object({ runId: RunIdSchema, step: z.number().int().nonnegative(), epoch: z.number().int().nonnegative() }).optional(),
});

/** A run folder whose `run.json` cannot be read or does not fit `RunMetaSchema`: listed so the user can delete it. */
export const DamagedRunSchema = z.object({ id: RunIdSchema, reason: z.string().max(2000) });

/** What to export: the connection's current model, or a stored run's last or best checkpoint. */
export const ExportSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('current') }),
  z.object({ kind: z.literal('run'), id: RunIdSchema, which: z.enum(['last', 'best']) }),
  /** The loaded model `runId` names (an import's weights stay in the engine; Save fetches them so). */
  z.object({ kind: z.literal('loaded'), runId: RunId }),
]);
export type ExportSource = z.infer<typeof ExportSource>;

/** What `model.load` (and `model.import`) answer: the loaded model's run id and what the Playground needs. */
export const LoadedModelInfo = z.object({
  runId: RunId,
  task: z.enum(['classification', 'regression', 'reconstruction']),
  classNames: z.array(z.string()),
  /** As `train.start`'s: a few test samples as fed to the network (empty when the dataset is not at hand). */
  probeSamples: ProbeSamples,
  /** Where the weights came from (run id, step, epoch). */
  origin: z.object({ runId: z.string().optional(), step: z.number().optional(), epoch: z.number().optional(), which: z.enum(['last', 'best']).optional() }).optional(),
  /** The final metrics the model was saved with, by split (`test: { loss, accuracy }`). */
  metrics: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
export type LoadedModelInfo = z.infer<typeof LoadedModelInfo>;

/** The largest model file an import takes (150 MB; as base64 text, 200 MiB). */
export const MAX_IMPORT_BYTES = 150 * 1024 * 1024;
/**
 * A model file to import: `data` is the file's bytes — as they are (the app sends them so: a typed
 * array crosses MessagePorts as it is, and web mode's socket as binary chunks, protocol/wire.ts), or
 * as base64 text.
 */
const ImportParams = z.object({
  format: z.literal('onnx'),
  data: z.union([
    z.string().min(1).max(200 * 1024 * 1024),
    z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length > 0 && v.length <= MAX_IMPORT_BYTES, { message: `expected the file's bytes (1 B to ${MAX_IMPORT_BYTES / 1024 / 1024} MiB)` }),
  ]),
});
/** An imported model as a `netwright.model` object, whether Netwright's own graph came back (`restored`), and warnings. */
const ImportedModel = z.object({ model: z.record(z.string(), z.unknown()), restored: z.boolean(), warnings: z.array(z.string().max(2000)).max(1000) });

/**
 * What `lessons.report` computes, by `kind`, and which stored run plays each role. A figure of a
 * Learn lesson that needs several of its finished runs at once (one run's network reading
 * another's outputs), so the gallery cannot read it from one run (docs/lessons.md).
 * - `inpainting`: the in-painter's test digits, masked as it was trained (seeded), in-painted,
 *   and read by the judge classifier; per digit class.
 */
export const LessonReportRequest = z.discriminatedUnion('kind', [z.object({ kind: z.literal('inpainting'), runs: z.object({ judge: RunIdSchema, inpainter: RunIdSchema }) })]);
export type LessonReportRequest = z.infer<typeof LessonReportRequest>;
export type LessonReportKind = LessonReportRequest['kind'];

/** One row of a lesson report: what it is about (a digit class), how many samples, and its figures by column key (shares in [0, 1]). */
export const LessonReportRow = z.object({ label: z.string().max(100), count: z.number().int().nonnegative(), values: z.record(z.string().max(64), z.number()) });
export type LessonReportRow = z.infer<typeof LessonReportRow>;

/**
 * Every request the engine answers. Adding a method = one entry here plus its handler in the
 * engine service; both ends get the types and the runtime checks from this table.
 */
export const EngineMethods = {
  'engine.hello': {
    params: z.object({ client: z.string().max(200), protocol: z.number().int() }),
    result: EngineInfo,
  },
  'engine.ping': {
    params: z.object({}),
    result: z.object({ time: z.number() }),
  },
  'graph.analyze': {
    params: z.object({ graph: z.unknown(), batchSize: z.number().int().positive().max(1 << 20).optional() }),
    result: z.object({
      diagnostics: z.array(Diagnostic),
      shapes: z.record(z.string(), Numbers),
      params: z.number(),
      flopsPerSample: z.number(),
    }),
  },
  /** A few samples, the class names and the class balance of a dataset, for the train panel. */
  'dataset.preview': {
    params: z.object({ dataset: DatasetConfigSchema, samples: z.number().int().min(0).max(64).optional(), seed: z.number().int().nonnegative().optional() }),
    result: DatasetPreview,
  },
  /**
   * Look at a user's data before using it (docs/data.md "In the app"): files found, classes with
   * thumbnails, image sizes, every unreadable file with the reason, a table's columns. Progress
   * comes as `data.scanProgress` events; cancel the request to stop it (`E_CANCELLED`). Coded
   * errors: `DATA_NOT_FOUND`, `DATA_NOT_ALLOWED`, `DATA_IMAGES_EMPTY`, `DATA_TOO_LARGE`…
   */
  'data.scan': {
    params: DataScanRequest,
    result: DataScanResult,
  },
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
  /** Outputs of the run's current weights for one sample (eval mode); allowed while training. */
  'model.predict': {
    params: z.object({
      runId: RunId,
      /** One sample in the dataset's units (e.g. pixels in [0, 1]); the engine applies the run's normalisation. */
      input: numbers({ max: 1 << 20 }),
      /** The input is already normalised (e.g. taken from `probeSamples`). */
      normalized: z.boolean().optional(),
    }),
    result: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('probabilities'), values: Numbers, predicted: z.number().int(), classNames: z.array(z.string()) }),
      z.object({ kind: z.literal('output'), values: Numbers, shape: Ints }),
    ]),
  },
  /**
   * A GAN's generator at the run's current weights (eval mode): `count` samples from fresh noise
   * drawn with `seed`; a conditional GAN draws `label` in every one (absent: the classes in turn).
   * Allowed while training. `E_NOT_A_GAN` for a model that is not one; `E_GENERATE_LABEL`, `E_GENERATE_INPUT` (app/session/generate.ts).
   */
  'model.generate': {
    params: z.object({
      runId: RunId,
      seed: z.number().int().nonnegative().max(2 ** 31),
      count: z.number().int().min(1).max(64),
      label: z.number().int().nonnegative().max(65535).optional(),
    }),
    result: z.object({
      /** `count` samples of `shape`, row after row. */
      samples: Numbers,
      count: z.number().int(),
      shape: Ints,
      /** A conditional GAN's: the class each sample was drawn for. */
      labels: z.array(z.number().int()).optional(),
      /** A conditional GAN's class count (its labels run 0 … classes − 1) and the dataset's class names. */
      classes: z.number().int().optional(),
      classNames: z.array(z.string()).optional(),
    }),
  },
  /**
   * Text from a character-level language model (a design on a `text` or `fortunes` set) at the
   * current run's (or the loaded model's) weights: `prompt` continued by `length` characters
   * sampled at `temperature` (0: the likeliest each time) with `seed`. Allowed while training.
   * `E_SAMPLE_NOT_TEXT`, `E_SAMPLE_OPTIONS` (core/export/sample-text.ts).
   */
  'model.sampleText': {
    params: z.object({
      runId: RunId,
      prompt: z.string().max(4096),
      length: z.number().int().min(1).max(2000),
      temperature: z.number().min(0).max(10),
      seed: z.number().int().nonnegative().max(2 ** 31),
    }),
    result: z.object({ text: z.string() }),
  },
  /**
   * Keras' `model.evaluate`: the metrics of the loaded model's (or the run's current) weights on a
   * split of a dataset, without training (eval mode; the training loop's own evaluation, the CLI's
   * `npm run evaluate`). `graph`: the design on the canvas, whose dataset, loss and metrics say what
   * to measure (absent: the model's own graph); its weights must all be in the model
   * (`E_MODEL_WEIGHTS` otherwise). A classifier's accuracy and confusion matrix always come back.
   * `TRAIN_NO_CONFIG` when the graph has no training settings (an import before Add settings).
   */
  'model.evaluate': {
    params: z.object({ runId: RunId, graph: z.unknown().optional(), split: z.enum(['test', 'val', 'train', 'all']).optional() }),
    result: z.object({
      split: z.enum(['test', 'val', 'train', 'all']),
      /** The split's name, e.g. `MNIST (test)` (`all`: every sample of the three splits). */
      dataset: z.string(),
      samples: z.number().int().nonnegative(),
      task: z.enum(['classification', 'regression', 'reconstruction']),
      classNames: z.array(z.string()),
      metrics: MetricValuesSchema,
      /** The inputs' normalisation: the model's own, the dataset's (fitted on its training split), or none. */
      normalization: z.enum(['model', 'dataset', 'none']),
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
    params: z.object({ graph: z.unknown(), sweep: SweepSpec, overrides: TrainOverrides.optional(), probes: z.union([ProbeOptions, z.literal(false)]).optional(), project: z.string().max(RUN_PROJECT_MAX).optional() }),
    result: z.object({ sweepId: z.string(), total: z.number().int() }),
  },
  /** Stop the sweep: the run in progress stops (and is kept), the rest never start. */
  'sweep.cancel': {
    params: z.object({ sweepId: z.string().max(64) }),
    result: z.object({}),
  },
  /**
   * Export a trained model (docs/export.md) in one of the formats of the engine's export table
   * (`json`, `pytorch`, …): the current run's weights (or the model loaded with `model.load`), or
   * a stored run's last or best checkpoint. Answers the files; the host writes them (atomically)
   * or the browser downloads them. Progress comes as `export.progress` events.
   */
  'model.export': {
    /** `settings`: the format's choices by key (`model.formats` lists them); a missing one takes its default. */
    params: z.object({ source: ExportSource, format: z.string().min(1).max(32), settings: z.record(z.string().max(32), z.string().max(64)).optional() }),
    result: z.object({
      format: z.string(),
      /** One file, or a folder of files (paths relative to it). */
      kind: z.enum(['file', 'folder']),
      /** The file or folder name the export suggests, e.g. `MNIST MLP.netwright-model.json`. */
      name: z.string().max(300),
      files: z.array(z.object({ path: z.string().min(1).max(1024), data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a Uint8Array' }) })).max(100_000),
      /** What the export holds when it is not the trained graph as a whole: a GAN's `the generator: z [32] → samples [1, 28, 28]`. */
      holds: z.string().max(300).optional(),
      /** The weights are a diverged run's (`E_EXPORT_DIVERGED`, saying where): the app asks before it writes them. */
      warning: z.object({ code: z.literal('E_EXPORT_DIVERGED'), message: z.string().max(1000) }).optional(),
    }),
  },
  /**
   * Make a trained model (a `netwright.model` file's JSON, e.g. from a saved project) the
   * connection's current model, so `model.predict` works at once with the answered `runId`,
   * without training. Replaces any run of this connection.
   */
  /**
   * Sample inputs for the loaded model `runId` from `dataset` (the design's, read at the model's
   * input shape): the Playground's picker once data is added to an imported model's design, whose
   * own graph named none. `E_PREDICT_SHAPE` when its samples do not fit the model's input.
   */
  'model.samples': {
    params: z.object({ runId: RunId, dataset: DatasetConfigSchema, seed: z.number().int().optional() }),
    result: z.object({ probeSamples: ProbeSamples }),
  },
  'model.load': {
    /** `model`: a `netwright.model` object; or `staged`: the id `model.read` answered (the file is not sent twice). */
    params: z.union([z.object({ model: z.unknown() }), z.object({ staged: z.string().min(1).max(64) })]),
    result: LoadedModelInfo,
  },
  /** The export formats (the engine's export table), in menu order: the Export menu lists them. */
  'model.formats': {
    params: z.object({}),
    result: z.object({
      formats: z
        .array(
          z.object({
            id: z.string().max(32),
            label: z.string().max(64),
            doc: z.string().max(500),
            kind: z.enum(['file', 'folder']),
            name: z.string().max(64),
            /** The choices the format offers (ONNX: opset, normalisation), each with its default. */
            settings: z
              .array(z.object({ key: z.string().max(32), label: z.string().max(64), doc: z.string().max(500), choices: z.array(z.object({ value: z.string().max(64), label: z.string().max(64) })).max(32), default: z.string().max(64) }))
              .max(16),
          }),
        )
        .max(64),
    }),
  },
  /**
   * Import a model file (today: ONNX, docs/export.md "Import") and make it the connection's
   * current model, as `model.load` does: answers the imported model as a `netwright.model` object
   * (its graph goes on the canvas; the object is kept with the project when it is saved), whether
   * Netwright's own graph came back (`restored`), and warnings. Unsupported nodes: a coded error
   * listing each, and nothing changes.
   */
  'model.import': {
    params: ImportParams,
    result: LoadedModelInfo.extend(ImportedModel.shape),
  },
  /**
   * Read a model file as `model.import` does, but change nothing: the model waits under `staged`
   * until `model.load({ staged })` makes it current (one waits at a time; the next read replaces
   * it). The app reads first, then asks before it discards the open design: a declined or
   * cancelled import leaves the current run and loaded model as they were.
   */
  'model.read': {
    params: ImportParams,
    /**
     * `graph`: the imported graph (IR JSON) to open on the canvas. The weights stay in the engine
     * (tens of MB for a torchvision model: sending them to the page and back cost seconds); once
     * `model.load` takes the staged model, Save fetches them with `model.export` of `{kind: 'loaded'}`.
     */
    result: ImportedModel.omit({ model: true }).extend({ staged: z.string().max(64), graph: z.record(z.string(), z.unknown()) }),
  },
  /** The stored runs (docs/runs.md), newest first. */
  'runs.list': {
    params: z.object({}),
    /** `damaged`: run folders whose `run.json` cannot be read, each with why (the Runs tab offers Delete). */
    result: z.object({ runs: z.array(RunMetaSchema).max(100_000), damaged: z.array(DamagedRunSchema).max(100_000) }),
  },
  /** One stored run: its meta, its graph, every step's loss and learning rate, each epoch, and which steps have a probe frame. */
  'runs.open': {
    params: z.object({ id: RunIdSchema }),
    result: z.object({
      meta: RunMetaSchema,
      graph: z.unknown(),
      /** `metrics`: each step's batch metrics by name (accuracy, mse…), a column beside `step` (null where a step has none). */
      curve: z.object({ step: numbers({ int: true, min: 0 }), epoch: numbers({ int: true, min: 0 }), loss: numbers({ nullable: true }), lr: numbers({}), t: numbers({}), metrics: z.record(z.string().max(64), numbers({ nullable: true })).optional() }),
      epochs: z.array(z.object({ epoch: z.number().int(), step: z.number().int(), t: z.number(), metrics: z.record(z.string().max(16), z.record(z.string().max(64), z.unknown())) })).max(1_000_000),
      frameSteps: numbers({ int: true, min: 0 }),
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
  'runs.delete': {
    params: z.object({ id: RunIdSchema }),
    result: z.object({}),
  },
  /**
   * A Learn lesson's figure computed from several stored runs (`LessonReportRequest`) at their
   * last checkpoints: one row per class, its shares by column, and how many test samples were
   * read (in-painting: the in-painter's test split, as that run trained). Coded errors:
   * `E_RUNS_UNAVAILABLE`, `RUN_NOT_FOUND`, `E_RUN_NO_CHECKPOINT`, `E_LESSON_REPORT_RUNS` (a run
   * that does not fit its role).
   */
  'lessons.report': {
    params: LessonReportRequest,
    result: z.object({ rows: z.array(LessonReportRow).max(1000), samples: z.number().int().nonnegative() }),
  },
} as const;
export type EngineMethod = keyof typeof EngineMethods;
export type ParamsOf<M extends EngineMethod> = z.infer<(typeof EngineMethods)[M]['params']>;
export type ResultOf<M extends EngineMethod> = z.infer<(typeof EngineMethods)[M]['result']>;

// ── Events: engine → renderer notifications ────────────────────────────────────────────────

/** Images of a folder streamed from disk that could not be read while training (each fed as zeros): how many, and the first 50. */
const DataSkippedSchema = z.object({
  count: z.number().int().nonnegative(),
  files: z.array(z.object({ path: z.string().max(1000), reason: z.string().max(300), code: z.literal('DATA_IMAGE_UNREADABLE') })).max(50),
});

export const EngineEvents = {
  /** Sent once by a freshly started engine to its host (Electron main or the web server). */
  'engine.ready': z.object({ pid: z.number().int(), version: z.string() }),
  'engine.log': z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string() }),
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
    seconds: z.number(),
    evaluatedEpoch: z.number().int(),
    train: MetricValuesSchema.optional(),
    val: MetricValuesSchema.optional(),
    test: MetricValuesSchema.optional(),
    /** A folder streamed from disk: images unreadable since the last epoch's report (the test evaluation). */
    dataSkipped: DataSkippedSchema.optional(),
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
  /** Run state changes (paused, resumed, stopping, …). */
  /** A long export's progress: `fraction` in [0, 1] and what is being produced. */
  'export.progress': z.object({ format: z.string(), fraction: z.number().min(0).max(1), what: z.string().max(200) }),
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
  /** A `data.scan` under way: files found so far (`listing`), then read (`done` of `files`), classes and skips so far. */
  'data.scanProgress': z.object({
    scanId: z.string().max(64),
    phase: z.enum(['listing', 'reading']),
    files: z.number().int().nonnegative(),
    done: z.number().int().nonnegative(),
    classes: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    bytes: z.number().nonnegative(),
  }),
  'probe.frame': ProbeFrame,
} as const;
export type EngineEvent = keyof typeof EngineEvents;
export type EventData<E extends EngineEvent> = z.infer<(typeof EngineEvents)[E]>;

// ── Envelopes ─────────────────────────────────────────────────────────────────────────────

const Id = z.number().int().nonnegative();

export const RequestMessage = z.object({ kind: z.literal('request'), id: Id, method: z.string(), params: z.unknown() });
export const ResponseMessage = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: Id, ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: Id, ok: z.literal(false), error: ErrorInfo }),
]);
export const EventMessage = z.object({ kind: z.literal('event'), event: z.string(), data: z.unknown() });
export const CancelMessage = z.object({ kind: z.literal('cancel'), id: Id });

/**
 * Anything that travels between the renderer and the engine. Discriminated by `kind`: a plain
 * union would try each envelope in turn and build the failed ones' issues for every message.
 */
export const EngineMessage = z.discriminatedUnion('kind', [RequestMessage, ResponseMessage, EventMessage, CancelMessage]);
export type EngineMessage = z.infer<typeof EngineMessage>;
export type RequestMessage = z.infer<typeof RequestMessage>;
export type ResponseMessage = z.infer<typeof ResponseMessage>;
export type EventMessage = z.infer<typeof EventMessage>;

/** Engine process supervision, as a host reports it to the renderer. */
export const EngineState = z.enum(['starting', 'ready', 'crashed', 'restarting', 'failed']);
export type EngineState = z.infer<typeof EngineState>;

export const HostEvent = z.object({
  kind: z.literal('host'),
  type: z.literal('engine-status'),
  state: EngineState,
  /** How many times the engine has been restarted since the app started. */
  restarts: z.number().int().nonnegative(),
  detail: z.string().optional(),
});
export type HostEvent = z.infer<typeof HostEvent>;

/** Renderer → host: start a failed engine again (web mode: over the WebSocket; Electron: IPC). */
export const HostCommand = z.object({ kind: z.literal('host'), type: z.literal('restart-engine') });
export type HostCommand = z.infer<typeof HostCommand>;

/** What the web-mode WebSocket carries: engine traffic plus host events. */
export const WireMessage = z.discriminatedUnion('kind', [EngineMessage, HostEvent]);
export type WireMessage = z.infer<typeof WireMessage>;

/** Stable error codes carried in failed responses. */
export const ErrorCodes = {
  badMessage: 'E_PROTOCOL_BAD_MESSAGE',
  unknownMethod: 'E_PROTOCOL_UNKNOWN_METHOD',
  badParams: 'E_PROTOCOL_BAD_PARAMS',
  badResult: 'E_PROTOCOL_BAD_RESULT',
  cancelled: 'E_CANCELLED',
  disconnected: 'E_ENGINE_DISCONNECTED',
  internal: 'E_ENGINE_INTERNAL',
  /** The host has no running engine to pass a request to (starting, restarting or failed). */
  unavailable: 'E_ENGINE_UNAVAILABLE',
  /**
   * The renderer's own: this very request was in flight when the engine crashed, so it is not sent
   * again by itself after the restart (a preview that crashes the engine would loop); the user asks.
   */
  crashedOnRequest: 'E_ENGINE_CRASHED_ON_REQUEST',
  tooDeep: 'E_PROTOCOL_TOO_DEEP',
  tooLarge: 'E_PROTOCOL_TOO_LARGE',
} as const;

/** A short, log-friendly account of why a value failed a schema. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
