import { z } from 'zod';
import { F32, I32, Ints, RunId, U32 } from './schemas';
import { taskFor, VALUE_TASK_NAMES } from '../catalog/tasks';

/** Probe frames (docs/training-protocol.md): what the train service's `probe.frame` event carries, and how often. */

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

/** One parameter tensor: its weights, gradient flow and histogram, and the last update's size, from the training step itself. */
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
  /**
   * The gradient of the training step the frame follows, binned as `weightHist` (the same bins, at
   * the same frames). Absent for a frozen parameter (no gradient), and in frames kept before there were any.
   */
  gradHist: Histogram.optional(),
  gradStats: TensorStats.optional(),
});
export type ParamProbeEntry = z.infer<typeof ParamProbeEntry>;

/** Outputs of the current weights for the fixed probe samples (the first ones of the probe batch). */
export const SampleProbeResult = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal(taskFor('classes')),
    /** Softmax probabilities per sample (sigmoid pair [1-p, p] for a single-logit output). */
    probs: z.array(F32),
    predicted: Ints,
    targets: Ints,
  }),
  z.object({
    /** A segmenter: per sample, the predicted class of every pixel (row-major `shape`); the true masks are the probe samples' targets. */
    kind: z.literal('segmentation'),
    masks: z.array(Ints),
    /** `[H, W]`. */
    shape: Ints,
  }),
  z.object({
    /**
     * A class per position of a sequence (a language model's next characters): per sample, each
     * position's predicted class and its probability; the true classes are the probe samples' targets.
     */
    kind: z.literal('sequence'),
    predicted: z.array(Ints),
    confidence: z.array(F32),
  }),
  z.object({
    /** The task, one whose predictions are values (catalog/tasks.ts): a reconstruction (compare with the sample's clean input), raw outputs. */
    kind: z.enum(VALUE_TASK_NAMES),
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
