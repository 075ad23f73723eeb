/**
 * Baselines beside every result (#83): what simple models score on the run's own splits, with the
 * run's metrics, so a network that does worse than repeating the last value says so. A GRU on the
 * CO2 series reached test MSE 2.31 where the last value gives 0.263 and a linear model on 20 lags
 * 0.205, and an MLP on diabetes R² 0.2 against ridge's 0.358: nothing said either. In the manner of
 * scikit-learn's DummyClassifier / DummyRegressor and Hyndman's forecasting benchmarks (naive,
 * seasonal naive); each is fitted on the training split and measured on the validation and test
 * splits. Declared once in `BASELINES`; the CLI's done record, its summary and the run record read them.
 */
import type { Normalization } from '../data/normalize';
import { featureSize, isStreamed, targetSize, type Samples, type TextEncoding } from '../data/types';
import { MetricAccumulator, type MetricValues } from './accumulator';
import { fitLogistic, fitRidge, linearOutputs } from './linear-models';
import { hasClasses, taskOf, type Task } from '../../catalog/tasks';
import { getDataset } from '../../catalog/datasets/registry';
import type { TrainingConfig } from '../../base/ir/types';

/**
 * What kind of data a baseline is for: class labels, values, a series' next value (`forecast`),
 * texts with labels, or a token at every position of a text read as ids (`tokens`: a character or
 * word language model's next token).
 */
export type BaselineKind = 'classes' | 'values' | 'forecast' | 'texts' | 'tokens';

/** The metrics a baseline is scored on: one number each (a confusion matrix or per-pixel scores are not one to set beside). */
export type ScoredMetric = 'accuracy' | 'f1' | 'roc-auc' | 'precision' | 'recall' | 'top5' | 'mse' | 'mae' | 'r2';

/** A baseline's scores on each split it was measured on, by metric (the run's metrics that apply). */
export interface BaselineScores {
  val?: Partial<Record<ScoredMetric, number>>;
  test: Partial<Record<ScoredMetric, number>>;
  /** How it was fitted where it matters (`period 12, by autocorrelation`, `fitted on 1,275 of 54,000 samples`). */
  note?: string;
}

/** The baselines of a run by name, and those left out with why. */
export interface Baselines {
  scores: Record<string, BaselineScores>;
  skipped: { name: string; reason: string }[];
}

/**
 * One split as the baselines read it: raw features (normalisation undone; null when streamed) and
 * targets. `x` is made when a baseline first reads it: an image set's features are far wider than
 * a linear baseline takes, and a copy of every split made only to skip them was the largest thing
 * a frozen fine-tune allocated at its end (resnet18 on 574 icons at 224×224: +286 MiB of 2.3 GiB).
 */
interface Split {
  count: number;
  /** Whether the features are streamed from disk (then `x` is null), known without reading them. */
  streamed: boolean;
  readonly x: Float32Array | null;
  y: Float32Array;
}

/** What a baseline is fitted on. */
export interface BaselineInput {
  kind: BaselineKind;
  train: Split;
  val: Split;
  test: Split;
  /** Values per sample (the features' width) and per target (a regression's outputs; 1 for a label). */
  featureWidth: number;
  targetWidth: number;
  numClasses: number;
  /** A text set's encoding: ids or counts, and the vocabulary's size. */
  text?: TextEncoding;
  /** The series' window (values per sample) for `forecast`. */
  window?: number;
  /** Positions per sample for `tokens` (the window of ids; a label at each, the next token). */
  positions?: number;
}

/**
 * A fitted baseline: its predictions for a split (`n × width` rows: class probabilities, or values;
 * for `tokens`, `classes`: the class it predicts at each of the split's positions, measured a
 * chunk at a time rather than as rows of every class at every position), or why it was left out.
 */
type Fitted = { predict: (s: Split) => Float64Array; note?: string } | { classes: (s: Split) => Int32Array; note?: string } | { skip: string };

export interface BaselineDeclaration {
  name: string;
  /** What it does, as a sentence ends: "repeating the last value", "ridge regression". */
  doing: string;
  kinds: readonly BaselineKind[];
  fit(input: BaselineInput): Fitted;
}

/** The linear baselines leave out features wider than this (an image of 150,528 values): said, not fitted. */
export const LINEAR_MAX_FEATURES = 4096;
/**
 * Non-zero features × classes of the training rows a logistic regression takes (one L-BFGS pass
 * costs about that; a bag of words is mostly zeros, MNIST a fifth non-zero: about 1,000 of its
 * rows); more training rows are thinned evenly, at least LOGISTIC_MIN_ROWS kept, and its note says
 * how many it was fitted on.
 */
const LOGISTIC_BUDGET = 1.5e6;
/**
 * Non-zeros × classes × passes a logistic regression may spend in all: its iteration cap, at most
 * LOGISTIC_MAX_ITERATIONS (300 passes of a full budget, a few seconds on one core, as the 300
 * gradient steps on 510 MNIST rows it replaced; a bag of words of 1,832 man-page descriptions
 * converges in 33 iterations, 0.8 s). A cap hit is said in its note.
 */
const LOGISTIC_WORK = 300 * LOGISTIC_BUDGET;
const LOGISTIC_MAX_ITERATIONS = 1000;
const LOGISTIC_MIN_ROWS = 500;
/** Bag of words over this many of the training split's most frequent tokens. */
const BAG_OF_WORDS_TOKENS = 1000;

const n0 = (v: number) => v.toLocaleString('en-US');
/** The longest context an n-gram baseline counts: the last three tokens (a 4-gram model). */
const NGRAM_CONTEXT = 3;

/** The most frequent of `k` classes among the labels `y` (the smallest on a tie). */
function mostFrequent(y: ArrayLike<number>, k: number): number {
  const counts = new Float64Array(k);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  let top = 0;
  for (let c = 1; c < k; c++) if (counts[c] > counts[top]) top = c;
  return top;
}

/** Class probabilities of one class everywhere (the majority's). */
function constantRows(n: number, row: Float64Array): Float64Array {
  const out = new Float64Array(n * row.length);
  for (let i = 0; i < n; i++) out.set(row, i * row.length);
  return out;
}

/** Softmax of each row of `n × k` logits, in place. */
function softmaxRows(z: Float64Array, n: number, k: number): Float64Array {
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, z[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += z[i * k + c] = Math.exp(z[i * k + c] - max);
    for (let c = 0; c < k; c++) z[i * k + c] /= sum;
  }
  return z;
}

/** Every n-th training row, `keep` of them (the logistic budget). */
function subsample(s: Split, width: number, keep: number): Split {
  if (keep >= s.count) return s;
  const step = s.count / keep;
  const x = new Float32Array(keep * width);
  const y = new Float32Array(keep);
  for (let i = 0; i < keep; i++) {
    const r = Math.floor(i * step);
    x.set(s.x!.subarray(r * width, (r + 1) * width), i * width);
    y[i] = s.y[r];
  }
  return { count: keep, streamed: false, x, y };
}

/** A logistic regression on `width` features read from each split by `features` (the raw ones, or a bag of words). */
function logistic(input: BaselineInput, width: number, features: (s: Split) => Float32Array): Fitted {
  if (width > LINEAR_MAX_FEATURES) return { skip: `${n0(width)} values per sample, over the ${n0(LINEAR_MAX_FEATURES)} a linear baseline takes` };
  const k = input.numClasses;
  const all = features(input.train);
  let nonZero = 0;
  for (let i = 0; i < all.length; i++) if (all[i] !== 0) nonZero++;
  const perRow = Math.max(1, nonZero / Math.max(1, input.train.count));
  const keep = Math.max(LOGISTIC_MIN_ROWS, Math.floor(LOGISTIC_BUDGET / (perRow * k)));
  const train = subsample({ count: input.train.count, streamed: false, x: all, y: input.train.y }, width, keep);
  const maxIterations = Math.min(LOGISTIC_MAX_ITERATIONS, Math.max(1, Math.floor(LOGISTIC_WORK / (perRow * train.count * k))));
  const model = fitLogistic(train.x!, train.y, train.count, width, k, { maxIterations });
  const notes = [
    ...(train.count < input.train.count ? [`fitted on ${n0(train.count)} of ${n0(input.train.count)} training samples`] : []),
    ...(model.converged ? [] : [`not converged: ${n0(model.iterations)} L-BFGS iterations left a gradient of ${model.gradient.toPrecision(2)}`]),
  ];
  return {
    predict: (s) => softmaxRows(linearOutputs(model, features(s), s.count), s.count, k),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

/** The `n × V'` counts of the training split's most frequent ids (a text read as ids), V' ≤ BAG_OF_WORDS_TOKENS. */
function bagOfWords(input: BaselineInput): { width: number; features: (s: Split) => Float32Array } {
  const w = input.featureWidth;
  const counts = new Map<number, number>();
  const x = input.train.x!;
  for (let i = 0; i < x.length; i++) counts.set(x[i], (counts.get(x[i]) ?? 0) + 1);
  const kept = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, BAG_OF_WORDS_TOKENS).map(([id]) => id);
  const column = new Map(kept.map((id, c) => [id, c]));
  const width = kept.length;
  return {
    width,
    features: (s) => {
      const out = new Float32Array(s.count * width);
      for (let i = 0; i < s.count; i++) {
        for (let t = 0; t < w; t++) {
          const c = column.get(s.x![i * w + t]);
          if (c !== undefined) out[i * width + c]++;
        }
      }
      return out;
    },
  };
}

/** The series' last value in each window (the window's values are its features, oldest first). */
const lagged = (s: Split, window: number, lag: number): Float64Array => Float64Array.from({ length: s.count }, (_, i) => s.x![i * window + window - lag]);

/**
 * The season of a series seen through its windows: the lag whose autocorrelation (each window's
 * values about their own mean, pooled over the training windows) is the highest local peak in
 * [2, window − 2] — a peak, not merely a high value, since a smooth series correlates at every short
 * lag — or undefined when there is no positive peak (no season shorter than the window).
 */
export function seasonalPeriod(x: ArrayLike<number>, count: number, window: number): number | undefined {
  const r = new Float64Array(window);
  let den = 0;
  for (let i = 0; i < count; i++) {
    let m = 0;
    for (let t = 0; t < window; t++) m += x[i * window + t];
    m /= window;
    for (let t = 0; t < window; t++) {
      const a = x[i * window + t] - m;
      den += a * a;
      for (let p = 1; p <= t; p++) r[p] += a * (x[i * window + t - p] - m);
    }
  }
  if (!(den > 0)) return undefined;
  let best: number | undefined;
  for (let p = 2; p < window - 1; p++) {
    if (r[p] > 0 && r[p] > r[p - 1] && r[p] >= r[p + 1] && (best === undefined || r[p] > r[best])) best = p;
  }
  return best;
}

const declareBaseline = (b: BaselineDeclaration): BaselineDeclaration => b;

/** The one table of baselines: adding one is a line here. */
export const BASELINES: readonly BaselineDeclaration[] = [
  declareBaseline({
    name: 'majority',
    doing: 'predicting the majority class',
    kinds: ['classes', 'texts', 'tokens'],
    fit(input) {
      const k = input.numClasses;
      const top = mostFrequent(input.train.y, k);
      if (input.kind === 'tokens') return { classes: (s) => new Int32Array(s.count * input.positions!).fill(top) };
      const row = new Float64Array(k);
      row[top] = 1;
      return { predict: (s) => constantRows(s.count, row) };
    },
  }),
  declareBaseline({
    name: 'logistic',
    doing: 'logistic regression on the same inputs',
    kinds: ['classes'],
    fit: (input) => (input.train.streamed ? { skip: 'the features are streamed from disk' } : logistic(input, input.featureWidth, (s) => s.x!)),
  }),
  declareBaseline({
    name: 'bag-of-words',
    doing: 'a bag of words with logistic regression',
    kinds: ['texts'],
    fit(input) {
      // A text read as counts already is a bag of words; read as ids, its tokens are counted.
      if (input.text?.features === 'counts') return logistic(input, input.featureWidth, (s) => s.x!);
      const bag = bagOfWords(input);
      return logistic(input, bag.width, bag.features);
    },
  }),
  declareBaseline({
    name: 'mean',
    doing: 'predicting the training mean',
    kinds: ['values', 'forecast'],
    fit(input) {
      const k = input.targetWidth;
      const mean = new Float64Array(k);
      for (let i = 0; i < input.train.count; i++) for (let c = 0; c < k; c++) mean[c] += input.train.y[i * k + c];
      for (let c = 0; c < k; c++) mean[c] /= input.train.count;
      return { predict: (s) => constantRows(s.count, mean) };
    },
  }),
  declareBaseline({
    name: 'ridge',
    doing: 'ridge regression on the same inputs',
    kinds: ['values'],
    fit(input) {
      if (input.train.streamed) return { skip: 'the features are streamed from disk' };
      const d = input.featureWidth;
      if (d > LINEAR_MAX_FEATURES) return { skip: `${n0(d)} values per sample, over the ${n0(LINEAR_MAX_FEATURES)} a linear baseline takes` };
      const model = fitRidge(input.train.x!, input.train.y, input.train.count, d, input.targetWidth);
      return { predict: (s) => linearOutputs(model, s.x!, s.count) };
    },
  }),
  declareBaseline({
    name: 'last-value',
    doing: 'repeating the last value',
    kinds: ['forecast'],
    fit: (input) => ({ predict: (s) => lagged(s, input.window!, 1) }),
  }),
  declareBaseline({
    name: 'seasonal-naive',
    doing: 'repeating the value one season back',
    kinds: ['forecast'],
    fit(input) {
      const p = seasonalPeriod(input.train.x!, input.train.count, input.window!);
      if (p === undefined) return { skip: `no season shorter than the window of ${input.window} (no peak of the autocorrelation at a lag of 2 to ${input.window! - 2})` };
      return { predict: (s) => lagged(s, input.window!, p), note: `period ${p}, by autocorrelation within the window of ${input.window}` };
    },
  }),
  declareBaseline({
    name: 'linear-lags',
    doing: 'a linear model on the lags',
    kinds: ['forecast'],
    fit(input) {
      const w = input.window!;
      const model = fitRidge(input.train.x!, input.train.y, input.train.count, w, 1);
      return { predict: (s) => linearOutputs(model, s.x!, s.count), note: `ridge on the ${w} values of the window` };
    },
  }),
  declareBaseline({
    name: 'n-gram',
    doing: 'an n-gram model counting which character follows the last three in training',
    kinds: ['tokens'],
    fit(input) {
      const model = fitNgram(input);
      return { classes: (s) => ngramClasses(model, s, input.positions!), note: `the most frequent next character after the last ${model.context} in the training split, backing off to fewer where those were never seen; within each window, as the network sees it` };
    },
  }),
];

/** An n-gram count model (`fitNgram`): per context length c = 1 … context, the most frequent next token after each context seen; `top` after none. */
interface Ngram {
  context: number;
  k: number;
  best: Map<number, number>[];
  top: number;
}

/** The id of the c tokens ending at position t of a sample (the latest least significant), for c ≤ t + 1. */
function contextKey(x: Float32Array, at: number, c: number, k: number): number {
  let key = 0;
  for (let j = c - 1; j >= 0; j--) key = key * k + x[at - j];
  return key;
}

/**
 * Counts, over the training split's positions, which token follows each context of the last 1 …
 * NGRAM_CONTEXT tokens within its window (fewer where the vocabulary's size would take a key past
 * 2⁵³), keeping the most frequent (the smaller id on a tie); the most frequent token overall for
 * a position with no context seen.
 */
function fitNgram(input: BaselineInput): Ngram {
  const k = input.numClasses;
  const T = input.positions!;
  let context = NGRAM_CONTEXT;
  while (context > 1 && k ** (context + 1) > Number.MAX_SAFE_INTEGER) context--;
  const { x, y } = input.train;
  const n = input.train.count;
  const top = mostFrequent(y, k);
  const best: Map<number, number>[] = [];
  for (let c = 1; c <= context; c++) {
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      for (let t = c - 1; t < T; t++) {
        const at = i * T + t;
        const key = contextKey(x!, at, c, k) * k + y[at];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const bestCount = new Map<number, number>();
    const next = new Map<number, number>();
    for (const [key, count] of counts) {
      const ctx = Math.floor(key / k);
      const id = key - ctx * k;
      const had = bestCount.get(ctx);
      if (had === undefined || count > had || (count === had && id < next.get(ctx)!)) {
        bestCount.set(ctx, count);
        next.set(ctx, id);
      }
    }
    best.push(next);
  }
  return { context, k, best, top };
}

/** The n-gram model's next token at every position of `s`: after its longest context seen in training. */
function ngramClasses(m: Ngram, s: Split, T: number): Int32Array {
  const out = new Int32Array(s.count * T).fill(m.top);
  for (let i = 0; i < s.count; i++) {
    for (let t = 0; t < T; t++) {
      const at = i * T + t;
      for (let c = Math.min(m.context, t + 1); c >= 1; c--) {
        const id = m.best[c - 1].get(contextKey(s.x!, at, c, m.k));
        if (id !== undefined) {
          out[at] = id;
          break;
        }
      }
    }
  }
  return out;
}

/** Which way a metric improves (the ones a verdict compares), and how a sentence names it. */
const METRIC_SENSE: Readonly<Record<ScoredMetric, { better: 'higher' | 'lower'; label: string }>> = {
  accuracy: { better: 'higher', label: 'accuracy' },
  f1: { better: 'higher', label: 'F1' },
  'roc-auc': { better: 'higher', label: 'ROC AUC' },
  precision: { better: 'higher', label: 'precision' },
  recall: { better: 'higher', label: 'recall' },
  top5: { better: 'higher', label: 'top-5 accuracy' },
  mse: { better: 'lower', label: 'MSE' },
  mae: { better: 'lower', label: 'MAE' },
  r2: { better: 'higher', label: 'R²' },
};

/** The metrics a baseline reports among `metrics`. */
function scoredMetrics(metrics: readonly string[]): ScoredMetric[] {
  return metrics.filter((m): m is ScoredMetric => Object.hasOwn(METRIC_SENSE, m));
}

/** Positions a `tokens` baseline's classes are measured at a time (one-hot rows of every class for this many). */
const MEASURE_CHUNK = 4096;

/** `pred` (rows, or for `tokens` a class per position) against a split's targets with the run's metrics. */
function measure(input: BaselineInput, metrics: readonly ScoredMetric[], pred: Float64Array | Int32Array, s: Split): Partial<Record<ScoredMetric, number>> {
  const classes = input.kind === 'classes' || input.kind === 'texts' || input.kind === 'tokens';
  const width = classes ? input.numClasses : input.targetWidth;
  const acc = new MetricAccumulator(metrics, { kind: classes ? 'classes' : 'values', outputSize: width, numClasses: classes ? input.numClasses : 0 });
  if (pred instanceof Int32Array) {
    // one-hot rows, a chunk of positions at a time: every class at every position of a text's split would be gigabytes
    const rows = new Float32Array(Math.min(MEASURE_CHUNK, pred.length) * width);
    for (let p = 0; p < pred.length; p += MEASURE_CHUNK) {
      const n = Math.min(MEASURE_CHUNK, pred.length - p);
      rows.fill(0);
      for (let i = 0; i < n; i++) rows[i * width + pred[p + i]] = 1;
      acc.add(n, 0, rows.subarray(0, n * width), s.y.subarray(p, p + n));
    }
  } else acc.add(s.count, 0, Float32Array.from(pred), s.y);
  const r = acc.result();
  return Object.fromEntries(metrics.filter((m) => typeof r[m] === 'number' && Number.isFinite(r[m])).map((m) => [m, r[m] as number]));
}

/**
 * Every baseline of `input.kind`, fitted on the training split and measured with `metrics` on the
 * validation split (when it has samples) and the test split. A baseline that cannot be fitted here
 * (features streamed from disk, too wide, no season) is in `skipped` with why.
 *
 * @example computeBaselines(baselineInput(data, { metrics: ['mse'], timeSeries: true })!, ['mse']).scores['last-value'].test.mse // 0.263
 */
export function computeBaselines(input: BaselineInput, metrics: readonly string[]): Baselines {
  const wanted = scoredMetrics(metrics);
  const out: Baselines = { scores: {}, skipped: [] };
  if (wanted.length === 0 || input.train.count === 0 || input.test.count === 0) return out;
  for (const b of BASELINES) {
    if (!b.kinds.includes(input.kind)) continue;
    const fitted = b.fit(input);
    if ('skip' in fitted) {
      out.skipped.push({ name: b.name, reason: fitted.skip });
      continue;
    }
    const predict = (s: Split) => ('classes' in fitted ? fitted.classes(s) : fitted.predict(s));
    const score: BaselineScores = { test: measure(input, wanted, predict(input.test), input.test) };
    if (input.val.count > 0) score.val = measure(input, wanted, predict(input.val), input.val);
    if (fitted.note) score.note = fitted.note;
    out.scores[b.name] = score;
  }
  return out;
}

/** The features of `s` on the scale they were read (normalisation undone), or null when streamed. */
function rawFeatures(s: Samples, norm: Normalization | null): Float32Array | null {
  if (isStreamed(s)) return null;
  if (!norm) return s.features;
  const fs = featureSize(s);
  const x = new Float32Array(s.features.length);
  for (let i = 0; i < x.length; i++) {
    const k = norm.mean.length === 1 ? 0 : i % fs;
    x[i] = s.features[i] * norm.std[k] + norm.mean[k];
  }
  return x;
}

/**
 * What the baselines read of a run's data: its kind (a series, labelled texts, classes, values),
 * the splits with their features and targets on the scale they were read (the network's metrics
 * restore a standardised target likewise: MetricTarget.scale), or undefined where no baseline
 * applies (a reconstruction: its target is its input; labels per position other than a text's next
 * character: a mask's). A character-level language model's next character at every position
 * (`opts.characters`: its dataset declares itself a text set) is `tokens`: measured at every position, as the
 * network's metrics measure it.
 */
export function baselineInput(
  data: { train: Samples; val: Samples; test: Samples; normalization: Normalization | null; target: 'label' | 'features'; targetNormalization?: { readonly mean: readonly number[]; readonly std: readonly number[] } },
  opts: { timeSeries: boolean; characters?: boolean },
): BaselineInput | undefined {
  const t = data.train;
  if (data.target === 'features' || taskOf(t.task).targets === 'features') return undefined;
  const classes = hasClasses(t.task) && t.numClasses >= 2;
  // A character-level text set (`characters`: its dataset declares itself one), its next character at
  // every position of a window of ids (a language model): `tokens`.
  const tokens = classes && opts.characters === true && !isStreamed(t) && targetSize(t) > 1 && targetSize(t) === featureSize(t);
  if (classes && targetSize(t) !== 1 && !tokens) return undefined;
  // Targets in their own units, as the run's metrics measure its network (a standardised regression target restored).
  const tn = classes ? undefined : data.targetNormalization;
  const rawTargets = (y: Float32Array): Float32Array => (tn ? y.map((v, i) => v * tn.std[i % tn.std.length] + tn.mean[i % tn.mean.length]) : y);
  const split = (s: Samples): Split => {
    let x: Float32Array | null | undefined;
    return {
      count: s.count,
      streamed: isStreamed(s),
      get x() {
        if (x === undefined) x = rawFeatures(s, data.normalization);
        return x;
      },
      y: rawTargets(s.targets),
    };
  };
  const featureWidth = featureSize(t);
  const series = !classes && opts.timeSeries && !isStreamed(t) && targetSize(t) === 1;
  const kind: BaselineKind = tokens ? 'tokens' : classes ? (t.text ? 'texts' : 'classes') : series ? 'forecast' : 'values';
  return {
    kind,
    train: split(t),
    val: split(data.val),
    test: split(data.test),
    featureWidth,
    targetWidth: classes ? 1 : targetSize(t),
    numClasses: classes ? t.numClasses : 0,
    ...(t.text ? { text: t.text } : {}),
    ...(series ? { window: featureWidth } : {}),
    ...(tokens ? { positions: featureWidth } : {}),
  };
}

/**
 * A plain sentence when the network does worse on the test split (`splitName`: the split whose
 * figures `test` and the baselines' `test` are) than the best baseline, on the first of `metrics`
 * both were measured with; undefined when it does as well or better.
 *
 * @example baselineVerdict({ loss: 1, mse: 2.31 }, baselines, ['mse']) // 'The network\'s test MSE 2.31 is worse than repeating the last value (0.263).'
 */
export function baselineVerdict(test: MetricValues | undefined, baselines: Baselines, metrics: readonly string[], splitName = 'test'): string | undefined {
  if (!test) return undefined;
  const metric = scoredMetrics(metrics).find((m) => typeof test[m] === 'number' && Object.values(baselines.scores).some((s) => s.test[m] !== undefined));
  if (!metric) return undefined;
  const sense = METRIC_SENSE[metric];
  const better = (a: number, b: number) => (sense.better === 'higher' ? a > b : a < b);
  let best: { name: string; value: number } | undefined;
  for (const [name, s] of Object.entries(baselines.scores)) {
    const v = s.test[metric];
    if (v !== undefined && (!best || better(v, best.value))) best = { name, value: v };
  }
  const net = test[metric] as number;
  if (!best || !(better(best.value, net) || !Number.isFinite(net))) return undefined;
  const doing = BASELINES.find((b) => b.name === best.name)!.doing;
  const show = (v: number) => (metric === 'accuracy' || metric === 'top5' ? `${(100 * v).toFixed(2)} %` : v.toPrecision(3));
  return `The network's ${splitName} ${sense.label} ${show(net)} is worse than ${doing} (${show(best.value)}).`;
}

/** Baselines already fitted, by the data they were fitted on and the metrics (the CLI's summary and its run record ask for the same). */
const fitted = new WeakMap<object, Map<string, (Baselines & { metrics: readonly string[] }) | undefined>>();

/**
 * The baselines of a run at its end: its data's kind (a series by its dataset's declaration), its
 * metrics (the task's defaults where it lists none), or undefined where none applies. Fitted once
 * per data and metrics.
 */
export function runBaselines(data: Parameters<typeof baselineInput>[0], training: Pick<TrainingConfig, 'metrics' | 'dataset'>): (Baselines & { metrics: readonly string[] }) | undefined {
  const metrics = training.metrics.length ? training.metrics : taskOf(data.train.task).defaultMetrics;
  const key = `${training.dataset.name}\0${metrics.join(',')}`;
  const known = fitted.get(data)?.get(key);
  if (known || fitted.get(data)?.has(key)) return known;
  const declared = getDataset(training.dataset.name);
  const input = baselineInput(data, { timeSeries: declared?.timeSeries === true, characters: declared?.text === true });
  const out = input ? { ...computeBaselines(input, metrics), metrics } : undefined;
  if (!fitted.has(data)) fitted.set(data, new Map());
  fitted.get(data)!.set(key, out);
  return out;
}

/** A finished run's baselines as its summary keeps them (run.json, the protocol's RunSummary). */
export interface SummaryBaselines {
  /** What was fitted (the CLI prints it beside the run's test figures). */
  fitted?: Baselines & { metrics: readonly string[] };
  baselines?: Baselines['scores'];
  baselineVerdict?: string;
  /** Why none could be fitted (a singular system): said in the run's log, never losing its record. */
  failed?: string;
}

/**
 * The baselines of a finished run (`runBaselines`) and the verdict beside its `test` figures, for
 * its summary — wherever it trained: the engine, or a PyTorch job elsewhere, whose splits are the
 * ones Netwright prepared. Empty where none applies.
 */
export function summaryBaselines(data: Parameters<typeof baselineInput>[0], training: Pick<TrainingConfig, 'metrics' | 'dataset'>, test: MetricValues | undefined): SummaryBaselines {
  try {
    const b = runBaselines(data, training);
    if (!b || Object.keys(b.scores).length === 0) return {};
    const verdict = baselineVerdict(test, b, b.metrics);
    return { fitted: b, baselines: b.scores, ...(verdict ? { baselineVerdict: verdict } : {}) };
  } catch (e) {
    return { failed: (e as Error).message };
  }
}

/**
 * A model's stored baselines (`TrainedModel.baselines`) as a finished run shows them: each one's
 * test figures, and the verdict beside the model's own `test` figures on `metrics` — a project
 * reopened, a model file loaded, says what its run said.
 */
export function storedBaselines(stored: Record<string, BaselineScores> | undefined, test: MetricValues | undefined, metrics: readonly string[]): { baselines?: Record<string, Partial<Record<ScoredMetric, number>>>; baselineVerdict?: string } {
  if (!stored || Object.keys(stored).length === 0) return {};
  const verdict = baselineVerdict(test, { scores: stored, skipped: [] }, metrics);
  return { baselines: Object.fromEntries(Object.entries(stored).map(([name, b]) => [name, b.test])), ...(verdict ? { baselineVerdict: verdict } : {}) };
}

/** `v` as JSON with every object's keys sorted: two dataset settings written in another order read the same. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What an evaluation sets beside its figures (#83): the model's baselines, from the run that trained it. */
export interface EvaluationBaselines {
  /** Each baseline's figures by metric, on `baselinesOn.split` of the run that trained the model (the done record's shape). */
  baselines: Record<string, Partial<Record<ScoredMetric, number>>>;
  /**
   * Which of that run's splits the figures are from, and whether it is the very split this
   * evaluation measured (the same dataset settings and seed, the same split): only then do they
   * compare sample for sample, and only then is a verdict given.
   */
  baselinesOn: { split: 'test' | 'val'; sameSamples: boolean };
  baselineVerdict?: string;
}

/**
 * The model's baselines beside an evaluation of it: their figures on the split evaluated (the
 * validation split's when it was `val` and they have them, else the test split's), marked as the
 * same samples when the evaluation read the dataset the model was trained on, with the same
 * settings and seed, on that split; then a verdict when the network did worse. Undefined for a
 * model without baselines (one stored before them, or imported).
 *
 * @example evaluationBaselines(model.baselines, { split: 'test', metrics, task: 'classification', trained: model.graph.training, evaluated: graph.training })
 */
export function evaluationBaselines(
  stored: Readonly<Record<string, BaselineScores>> | undefined,
  e: { split: string; metrics: MetricValues; task: Task; trained: Pick<TrainingConfig, 'dataset' | 'seed'> | undefined; evaluated: Pick<TrainingConfig, 'dataset' | 'seed' | 'metrics'> | undefined },
): EvaluationBaselines | undefined {
  const entries = Object.entries(stored ?? {});
  if (entries.length === 0) return undefined;
  const split = e.split === 'val' && entries.every(([, b]) => b.val) ? 'val' : 'test';
  const figures = Object.fromEntries(entries.map(([name, b]) => [name, (split === 'val' ? b.val : b.test) ?? {}]));
  const sameData = !!e.trained && !!e.evaluated && e.trained.seed === e.evaluated.seed && sortedJson(e.trained.dataset) === sortedJson(e.evaluated.dataset);
  const sameSamples = sameData && e.split === split;
  const metrics = e.evaluated?.metrics.length ? e.evaluated.metrics : taskOf(e.task).defaultMetrics;
  const verdict = sameSamples ? baselineVerdict(e.metrics, { scores: Object.fromEntries(Object.entries(figures).map(([name, test]) => [name, { test }])), skipped: [] }, metrics, split === 'val' ? 'validation' : 'test') : undefined;
  return { baselines: figures, baselinesOn: { split, sameSamples }, ...(verdict ? { baselineVerdict: verdict } : {}) };
}
