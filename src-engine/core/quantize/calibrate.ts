/**
 * Calibration: the range each activation is quantised over, measured on the user's samples with the
 * float model (#85 deliverable 1), as ONNX Runtime's `quantize_static` and TensorRT calibrate:
 *
 * - `minmax`: the smallest and largest value seen;
 * - `percentile`: the 0.01th and 99.99th percentiles of the values seen (outliers clipped);
 * - `entropy`: the clipping threshold whose quantised distribution is closest to the float one in
 *   KL divergence (TensorRT's "entropy calibration", ONNX Runtime's `CalibrationMethod.Entropy`):
 *   a 2048-bin histogram of |x|, each candidate threshold's bins merged into the quantised levels
 *   (255 one-sided for a tensor ≥ 0, 128 a side otherwise) and spread back, the least divergent kept;
 *   the network's input and its last layer's output keep their min-max range (`calibrate`'s NOTE).
 *
 * Each range then becomes a per-tensor asymmetric uint8 scale and zero point (`activationParams`).
 */
import { dense, maxPool } from './kernels';
import type { QuantPlan, QuantStep } from './plan';
import { lastUses, sampleSize, stepSize } from './plan';

import { CALIBRATION_METHODS, type CalibrationMethod } from '../../catalog/calibration';

export { CALIBRATION_METHODS, type CalibrationMethod };

/** Percentile calibration keeps this share of the values inside the range (ONNX Runtime's default 99.999; TensorRT's 99.99). */
export const PERCENTILE = 99.99;
/** Histogram bins of entropy calibration (TensorRT's 2048). */
const ENTROPY_BINS = 2048;
/** Values kept per tensor for the percentile and entropy methods (every k-th beyond this); min and max see them all. */
const KEPT_VALUES = 1 << 22;

/** A per-tensor uint8 quantisation: `real = (q − zeroPoint) · scale`, `scale` a float32. */
export interface ActivationParams {
  scale: number;
  zeroPoint: number;
  /** The calibrated range it covers. */
  min: number;
  max: number;
}

/** One activation's values as calibration saw them. */
interface Seen {
  min: number;
  max: number;
  kept: number[];
  every: number;
  count: number;
}

/**
 * Run the float graph (float64, BatchNorm folded; ops without an int8 kernel in float32) on `count`
 * samples of `x` (normalised features, `sampleSize(plan.inputShape)` values each) and return each
 * quantised activation's range by `method`: the input's (index 0), then the output of each dense
 * or float step (after a fused ReLU), by step index + 1.
 */
export function calibrate(plan: QuantPlan, x: Float32Array, count: number, method: CalibrationMethod): Map<number, ActivationParams> {
  const seen = new Map<number, Seen>();
  const n0 = sampleSize(plan.inputShape);
  const width = (i: number) => (i < 0 ? n0 : stepSize(plan.steps[i]));
  const record = (key: number, v: ArrayLike<number>, values: number) => {
    let s = seen.get(key);
    if (!s) seen.set(key, (s = { min: Infinity, max: -Infinity, kept: [], every: Math.max(1, Math.ceil((width(key - 1) * count) / KEPT_VALUES)), count: 0 }));
    for (let i = 0; i < values; i++) {
      const a = v[i];
      if (a < s.min) s.min = a;
      if (a > s.max) s.max = a;
      if (s.count++ % s.every === 0) s.kept.push(a);
    }
  };
  for (let i = 0; i < count; i++) {
    const first = Float64Array.from(x.subarray(i * n0, (i + 1) * n0));
    record(0, first, n0);
    runFloat(plan, first, {
      visit: (k, out) => {
        if (quantisedOutput(plan.steps[k])) record(k + 1, out, out.length);
      },
    });
  }
  const out = new Map<number, ActivationParams>();
  const lastKey = plan.steps.reduce((k, st, i) => (quantisedOutput(st) ? i + 1 : k), 0);
  for (const [key, s] of seen) {
    // NOTE: entropy calibration is made for the layers' activations (TensorRT's ReLU outputs). On
    // the network's input (MNIST's normalised pixels: a mass at the background, another at the
    // strokes) the least divergent threshold clipped every stroke (0.43 of 2.8: accuracy 89% → 71%),
    // and clipping the last layer's outputs flattens the scores that decide the class: both keep
    // their min-max range.
    const [lo, hi] = rangeOf(s, method === 'entropy' && (key === 0 || key === lastKey) ? 'minmax' : method);
    out.set(key, activationParams(lo, hi));
  }
  return out;
}

/** Whether a step's output gets its own quantisation (a dense or float step's), not its input's (a pool's, a reshape's, a lone ReLU's). */
export const quantisedOutput = (step: QuantStep): boolean => step.kind === 'dense' || step.kind === 'float';

/**
 * The float graph on one sample `x`, each value let go after its last reader; returns the last
 * step's output. `override(k, inputs)`: step k's output computed otherwise (undefined: as usual);
 * `visit(k, out)`: each step's output as it is made; `before(k, values)`: the values alive before
 * step k runs (those it and later steps read), from which `runFloatFrom` can take the graph on.
 */
export function runFloat(plan: QuantPlan, x: Float64Array, hooks: FloatHooks = {}): Float64Array {
  return runFloatFrom(plan, new Map([[plan.input, x]]), 0, hooks);
}

/** What a caller of `runFloat` may do at each step. */
export interface FloatHooks {
  override?: (k: number, inputs: Float64Array[]) => Float64Array | undefined;
  visit?: (k: number, out: Float64Array) => void;
  before?: (k: number, values: ReadonlyMap<string, Float64Array>) => void;
}

/**
 * The float graph from step `from` on, given the values alive before it (a `before` hook's, taken
 * as they are: never written, only let go from `values`, which the caller gives as its own copy).
 */
export function runFloatFrom(plan: QuantPlan, values: Map<string, Float64Array>, from: number, hooks: FloatHooks = {}): Float64Array {
  const last = lastUses(plan);
  for (let k = from; k < plan.steps.length; k++) {
    const step = plan.steps[k];
    hooks.before?.(k, values);
    const inputs = step.inputs.map((i) => values.get(i)!);
    const out = hooks.override?.(k, inputs) ?? floatStep(step, inputs);
    hooks.visit?.(k, out);
    values.set(step.id, out);
    for (const i of step.inputs) if (last.get(i) === k) values.delete(i);
  }
  return values.get(plan.steps.at(-1)!.id)!;
}

/** One step of the float graph on one sample, given the values it reads. */
export function floatStep(step: QuantStep, inputs: readonly Float64Array[]): Float64Array {
  const x = inputs[0];
  if (step.kind === 'float') return Float64Array.from(step.run(inputs.map((v) => Float32Array.from(v))));
  const out = new Float64Array(stepSize(step));
  if (step.kind === 'dense') {
    dense(step, step.weight, step.bias, x, out);
    if (step.relu) for (let i = 0; i < out.length; i++) out[i] = Math.max(0, out[i]);
  } else if (step.kind === 'pool') maxPool(step, x, out);
  else if (step.kind === 'relu') for (let i = 0; i < out.length; i++) out[i] = Math.max(0, x[i]);
  else out.set(x);
  return out;
}

function rangeOf(s: Seen, method: CalibrationMethod): [number, number] {
  if (method === 'minmax' || s.kept.length === 0) return [s.min, s.max];
  const sorted = Float64Array.from(s.kept).sort();
  if (method === 'percentile') {
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
    return [Math.max(s.min, at(1 - PERCENTILE / 100)), Math.min(s.max, at(PERCENTILE / 100))];
  }
  const oneSided = s.min >= 0;
  const t = entropyThreshold(sorted, oneSided ? 255 : 128);
  return oneSided ? [0, Math.min(s.max, t)] : [Math.max(s.min, -t), Math.min(s.max, t)];
}

/**
 * TensorRT's entropy calibration on sorted values: the threshold T on |x| minimising KL(P‖Q), P the
 * histogram clipped at T (outliers in its last bin), Q P merged into `levels` bins and spread back
 * over the bins that held values.
 */
export function entropyThreshold(sorted: Float64Array, levels: number): number {
  let amax = 0;
  for (const v of sorted) amax = Math.max(amax, Math.abs(v));
  if (amax === 0) return 0;
  const bins = ENTROPY_BINS;
  const width = amax / bins;
  const hist = new Float64Array(bins);
  for (const v of sorted) hist[Math.min(bins - 1, Math.floor(Math.abs(v) / width))]++;
  let best = Infinity;
  let bestI = bins;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  const suffix = new Float64Array(bins + 1);
  for (let b = bins - 1; b >= 0; b--) suffix[b] = suffix[b + 1] + hist[b];
  for (let i = levels; i <= bins; i++) {
    // P: the histogram clipped at bin i, the values past it in its last bin.
    p.set(hist.subarray(0, i));
    p[i - 1] = suffix[i - 1];
    q.fill(0, 0, i);
    for (let j = 0; j < levels; j++) {
      const start = Math.floor((j * i) / levels);
      const end = j === levels - 1 ? i : Math.floor(((j + 1) * i) / levels);
      let total = 0;
      let nonzero = 0;
      for (let b = start; b < end; b++) {
        total += hist[b];
        if (p[b] !== 0) nonzero++;
      }
      if (nonzero) for (let b = start; b < end; b++) if (p[b] !== 0) q[b] = total / nonzero;
    }
    const kl = divergence(p, q, i);
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return (bestI + 0.5) * width > amax ? amax : (bestI + 0.5) * width;
}

/** KL(P‖Q) over the first `n` bins, each normalised; a bin P holds and Q lacks costs as if Q held a tiny share. */
function divergence(p: Float64Array, q: Float64Array, n: number): number {
  let sp = 0;
  let sq = 0;
  for (let b = 0; b < n; b++) {
    sp += p[b];
    sq += q[b];
  }
  if (sp === 0 || sq === 0) return Infinity;
  let kl = 0;
  for (let b = 0; b < n; b++) {
    if (p[b] === 0) continue;
    const pb = p[b] / sp;
    const qb = Math.max(q[b] / sq, 1e-12);
    kl += pb * Math.log(pb / qb);
  }
  return kl;
}

/**
 * A range as uint8 quantisation: widened to hold 0 (so zero padding and ReLU's zero are exact),
 * `scale = (max − min) / 255` rounded to float32 (a range of nothing gets scale 1), zero point
 * `round(−min / scale)` in [0, 255].
 */
export function activationParams(lo: number, hi: number): ActivationParams {
  const min = Math.min(0, lo);
  const max = Math.max(0, hi);
  const scale = max > min ? Math.fround((max - min) / 255) : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-min / scale)));
  return { scale, zeroPoint, min, max };
}
