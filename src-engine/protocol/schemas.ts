import { z } from 'zod';

/**
 * The protocol's shared values: the array checks every service builds its schemas with, and the
 * payloads more than one service carries (a diagnostic, an error, a run's ids and state, a
 * dataset's config, a split's metrics, probe samples). Each service's own payloads live with it
 * (services/*.ts).
 */

// ── Arrays of numbers ───────────────────────────────────────────────────────────────────────

/**
 * An array of finite numbers (`int`: safe integers; `min`: a lower bound; `max`: most elements),
 * checked in one pass. `z.array(z.number())` runs a schema and builds a result object per
 * element unless zod may compile its fast path with `new Function`, which the renderer's CSP
 * forbids: for the probe samples' pixels and the frames' histograms that was most of what the
 * renderer allocated per run, and the garbage collections it caused competed with training for
 * the CPU. A failure names the array, not the element.
 */
export function numbers(opts: { int?: boolean; min?: number; max?: number; nullable?: false }): z.ZodType<number[]>;
export function numbers(opts: { int?: boolean; min?: number; max?: number; nullable: true }): z.ZodType<(number | null)[]>;
export function numbers(opts: { int?: boolean; min?: number; max?: number; nullable?: boolean } = {}): z.ZodType<number[]> | z.ZodType<(number | null)[]> {
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
export const Numbers = numbers({});
/** Safe integers (shapes, class indices). */
export const Ints = numbers({ int: true });
/** Non-negative integers (histogram counts, class balance). */
export const Counts = numbers({ int: true, min: 0 });

/**
 * A typed array of `kind` (what the engine sends: compact, full float32 precision, and carried
 * as binary by the web host's WebSocket — see wire.ts) or, from a stored run or an older engine,
 * a plain array of the same values. Checked in one pass like `numbers`.
 */
export function typed<T extends Float32Array | Uint32Array | Int32Array>(kind: { new (n: number): T; name: string }, opts: { finite?: boolean; min?: number; max?: number } = {}) {
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
export const F32 = typed(Float32Array);
export const U32 = typed(Uint32Array, { min: 0 });
export const I32 = typed(Int32Array);

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** Names a training run; every training message carries it so a stale run's traffic is ignored. */
export const RunId = z.string().min(1).max(64);

/** A run's states (`train.state`) and a stored run's statuses: declared once, in base/schemas.ts. */
export { RunEnd, RunState, RunStatus } from '../base/schemas';

/** A run's pace: most optimizer steps a second, 0 for as fast as the backend goes. */
export const StepsPerSecond = z.number().min(0).max(10_000);

/** A row of a classification report (core/metrics/classification.ts `ReportRow`). */
const ReportRow = z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int().min(0) });

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
    'balanced-accuracy': z.number().nullable().optional(),
    report: z.object({ classes: z.array(ReportRow), accuracy: z.number().nullable(), macro: ReportRow, weighted: ReportRow }).optional(),
    ece: z.number().nullable().optional(),
    reliability: z.object({ count: Counts, confidence: numbers({ nullable: true }), accuracy: numbers({ nullable: true }) }).optional(),
    // A diverged run's errors are NaN (null on the wire), as its loss is.
    rmse: z.number().nullable().optional(),
    residuals: z.object({ predicted: numbers({ max: 100_000 }), true: numbers({ max: 100_000 }), outputs: z.number().int().min(1) }).optional(),
    confusion: z.array(Numbers).optional(),
    'roc-auc': z.number().nullable().optional(),
    mse: z.number().nullable().optional(),
    mae: z.number().nullable().optional(),
    r2: z.number().nullable().optional(),
    psnr: z.number().nullable().optional(),
    'mean-iou': z.number().nullable().optional(),
    iou: z.array(z.number().nullable()).optional(),
    'pixel-accuracy': z.number().optional(),
  })
  .passthrough();

/**
 * How a row of a table becomes a table model's input (core/data/table-encoding.ts `TableEncoding`):
 * its feature columns in order, each a number, a one-hot or an index of its categories.
 */
export const TableEncodingSchema = z.object({
  format: z.literal('netwright.table'),
  version: z.number().int(),
  columns: z
    .array(
      z.object({
        name: z.string().max(1000),
        kind: z.enum(['numeric', 'one-hot', 'index']),
        categories: z.array(z.string().max(1000)).max(1000).optional(),
        fill: z.union([z.number(), z.string().max(1000), z.null()]).optional(),
        indicator: z.boolean().optional(),
      }),
    )
    .max(10_000),
  target: z.string().max(1000),
});

/**
 * A few samples as fed to the network (the Playground's picker, the Samples tab): their shape,
 * inputs and targets; `texts`: each as text, for a text-classification set; `table`: how a row of
 * the table the model was trained on becomes its input (the Playground's form of the columns).
 */
export const ProbeSamples = z.object({
  shape: Ints,
  inputs: z.array(Numbers),
  targets: z.array(z.union([z.number(), Numbers])),
  texts: z.array(z.string().max(100_000)).optional(),
  table: TableEncodingSchema.optional(),
  /** A table's samples as rows of it (column name → cell), read back from their inputs. */
  rows: z.array(z.record(z.string().max(1000), z.string().max(1000))).max(1000).optional(),
});

/** A stored run's id (`<date>-<time>-<4 chars>`, the folder's name). */
export const RunIdSchema = z.string().regex(/^\d{8}-\d{6}-[0-9a-z]{4}$/, 'expected a run id');
