/**
 * How a run's data is split (#83, "Splits the user sees and sets"): `training.dataset.split`
 * (IR v4) gives the train, validation and test shares of the data read, as fractions that sum to
 * 1; `netwright train --split 0.7,0.15,0.15` sets the same. Without it, the older fields stand:
 * `options.testSplit` (default 0.2) held out for the test split, then `validationSplit` (default
 * 0.1) of what is left for validation.
 *
 * This file only says what a split setting means; `core/data/split.ts` splits samples by it.
 */

/** Shares of the data read, each in [0, 1), summing to 1 (train > 0). */
export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

/** How far from 1 the three shares may sum (decimal fractions such as 0.7 + 0.15 + 0.15 do not sum to 1 exactly in binary). */
const SUM_TOLERANCE = 1e-6;

/**
 * Why `raw` is not a split setting (a sentence naming what to fix), or undefined when it is one:
 * an object `{ train, val, test }` of numbers, each in [0, 1), `train` above 0, summing to 1.
 *
 * @example splitIssue({ train: 0.7, val: 0.2, test: 0.2 }) // 'the split's fractions must sum to 1 (train 0.7 + val 0.2 + test 0.2 = 1.1).'
 */
export function splitIssue(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `the split must be { train, val, test }, fractions of the data; got ${JSON.stringify(raw)}.`;
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => k !== 'train' && k !== 'val' && k !== 'test');
  if (extra.length) return `the split has train, val and test only (not ${extra.join(', ')}).`;
  for (const k of ['train', 'val', 'test'] as const) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) return `the split's ${k} fraction must be a number in [0, 1) (got ${JSON.stringify(v)}).`;
  }
  const { train, val, test } = r as unknown as SplitFractions;
  if (!(train > 0)) return 'the split must leave a share for training (train > 0).';
  const sum = train + val + test;
  if (Math.abs(sum - 1) > SUM_TOLERANCE) return `the split's fractions must sum to 1 (train ${train} + val ${val} + test ${test} = ${+sum.toFixed(6)}).`;
  return undefined;
}

/**
 * Why `raw` is not a `splitFiles` setting (`{ val?, test? }`, each a file or folder's path), or
 * undefined when it is one.
 */
export function splitFilesIssue(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `the split files must be { val?, test? }, paths; got ${JSON.stringify(raw)}.`;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'val' && k !== 'test') return `the split files are val and test only (not ${k}).`;
    if (typeof v !== 'string' || v === '' || v.length > 4096) return `the ${k} split's file must be a path (got ${JSON.stringify(v)?.slice(0, 80)}).`;
  }
  return undefined;
}

/**
 * The test share of the data and the validation share of what the test leaves (the two steps the
 * split is carved in, and what the exported train.py is told), from a dataset's settings: its
 * `split` when set, else `options.testSplit` (default 0.2) and `validationSplit` (default 0.1).
 */
export function splitSteps(dataset: { split?: SplitFractions; validationSplit?: number; options?: Record<string, unknown> }): { test: number; valOfRest: number } {
  const s = dataset.split;
  if (s) return { test: s.test, valOfRest: s.test < 1 ? s.val / (1 - s.test) : 0 };
  const testSplit = dataset.options?.testSplit;
  return { test: typeof testSplit === 'number' ? testSplit : 0.2, valOfRest: dataset.validationSplit ?? 0.1 };
}
