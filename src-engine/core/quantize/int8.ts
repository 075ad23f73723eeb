/**
 * An int8 model and Netwright's own int8 inference (#85 deliverables 1–3): per-output-channel
 * symmetric int8 weights, int32 biases at the input scale × weight scale, per-tensor asymmetric
 * uint8 activations; each layer sums int8 × int8 products in integers and requantises, as
 * onnxruntime's QLinearConv/QLinearMatMul do. `runInt8` is the pure-TypeScript reference; the CPU
 * backend runs the same integer arithmetic with WebAssembly SIMD dot products (node/cpu/int8.ts),
 * chosen by `int8Inference` (runtime.ts).
 *
 * Semantics, step by step (what the QDQ file says, float32 where ONNX computes in float32):
 * - input: `x' = (x − mean) / std` (the model's normalisation), `q = sat(roundHalfEven(x' / s) + zp)`;
 * - dense: `acc = Σ (q_x − zp_x)·w_q + b_q` (exact integers), `q_y = sat(roundHalfEven(fround(acc) · M) + zp_y)`
 *   with `M = fround(fround(s_x·s_w[c]) / s_y)`; a fused ReLU clamps at `zp_y` (its range starts at 0);
 * - max pool, flatten: on the uint8 values themselves (quantisation is monotonic); a lone ReLU: `max(q, zp)`;
 * - an op without an int8 kernel (ConvTranspose2d, HardSwish, Concat, Add…): each input dequantised,
 *   `fround((q − zp)·s)` (DequantizeLinear), the op in float32 by its own forward, its output quantised
 *   with its own calibrated params (QuantizeLinear); a join's inputs keep each their own scale;
 * - output: `(q − zp)·s`, then the target's standardisation undone where the model has one.
 */
import { applyNormalization } from '../data/normalize';
import type { TrainedModel } from '../export/model';
import { activationParams, calibrate, quantisedOutput, type ActivationParams, type CalibrationMethod } from './calibrate';
import { dense, maxPool, roundHalfEven } from './kernels';
import { lastUses, quantizationPlan, sampleSize, stepSize, type DenseStep, type PlanOptions, type QuantPlan } from './plan';

/** A dense layer in int8: weights `[out, per]`, their scales per output channel, the int32 bias. */
export interface Int8Dense {
  step: DenseStep;
  weight: Int8Array;
  weightScale: Float32Array;
  bias: Int32Array;
  /** The bias' scale per channel: fround(s_x · s_w[c]) (the QDQ file's bias DequantizeLinear). */
  biasScale: Float32Array;
  input: ActivationParams;
  output: ActivationParams;
  /** Requantisation multipliers per channel: fround(biasScale[c] / s_y). */
  multiplier: Float32Array;
}

export interface Int8Model {
  plan: QuantPlan;
  /** The float model it was made from (normalisation, target standardisation, class names, graph). */
  source: TrainedModel;
  method: CalibrationMethod;
  samples: number;
  input: ActivationParams;
  /** By step index: the dense layers' int8 form. */
  dense: Map<number, Int8Dense>;
  /** By step index: the activation params of each step's output. */
  params: ActivationParams[];
  /** By value id (the input's, each step's): the activation params it is quantised with. */
  paramsOf: Map<string, ActivationParams>;
}

/**
 * Quantise `model`: its chain planned (BatchNorm folded, ReLU fused), activations calibrated by
 * `method` on `count` samples of `x` (normalised features, as the float model reads them),
 * weights quantised per output channel; `options.keepFloat`: layers kept in float32 (`PlanOptions`).
 *
 * @throws QuantizeError `E_QUANTIZE_UNSUPPORTED` for layers the int8 path does not cover, `E_QUANTIZE_KEEP_FLOAT` for a kept id that is no such layer.
 */
export function quantizeModel(model: TrainedModel, x: Float32Array, count: number, method: CalibrationMethod, options: PlanOptions = {}): Int8Model {
  const plan = quantizationPlan(model, options);
  const ranges = calibrate(plan, x, count, method);
  const input = ranges.get(0) ?? activationParams(0, 1);
  const paramsOf = new Map<string, ActivationParams>([[plan.input, input]]);
  const params: ActivationParams[] = [];
  const layers = new Map<number, Int8Dense>();
  plan.steps.forEach((step, k) => {
    const from = paramsOf.get(step.inputs[0])!;
    const output = quantisedOutput(step) ? (ranges.get(k + 1) ?? activationParams(0, 1)) : from;
    if (step.kind === 'dense') layers.set(k, int8Dense(step, from, output));
    paramsOf.set(step.id, output);
    params.push(output);
  });
  return { plan, source: model, method, samples: count, input, dense: layers, params, paramsOf };
}

function int8Dense(step: DenseStep, input: ActivationParams, output: ActivationParams): Int8Dense {
  const weight = new Int8Array(step.weight.length);
  const weightScale = new Float32Array(step.out);
  const bias = new Int32Array(step.out);
  const biasScale = new Float32Array(step.out);
  const multiplier = new Float32Array(step.out);
  for (let o = 0; o < step.out; o++) {
    let amax = 0;
    for (let j = 0; j < step.per; j++) amax = Math.max(amax, Math.abs(step.weight[o * step.per + j]));
    // A channel of zeros keeps a positive scale (DequantizeLinear's scale must be one).
    const s = amax > 0 ? Math.fround(amax / 127) : 1;
    weightScale[o] = s;
    for (let j = 0; j < step.per; j++) weight[o * step.per + j] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(step.weight[o * step.per + j]) / s)));
    biasScale[o] = Math.fround(input.scale * s);
    bias[o] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfEven(step.bias[o] / biasScale[o])));
    multiplier[o] = Math.fround(biasScale[o] / output.scale);
  }
  return { step, weight, weightScale, bias, biasScale, input, output, multiplier };
}

/** `sat(roundHalfEven(v / s) + zp)` into [0, 255], `v / s` in float32 (ONNX QuantizeLinear). */
export function quantizeValue(v: number, p: ActivationParams): number {
  return Math.max(0, Math.min(255, roundHalfEven(Math.fround(Math.fround(v) / p.scale)) + p.zeroPoint));
}

/** What int8 inference gives: the output's uint8 values and their dequantised float values (targets restored). */
export interface Int8Outputs {
  quantized: Uint8Array;
  values: Float32Array;
  /** The output's scale: a requantisation step, in the network's units. */
  step: number;
}

/**
 * Int8 inference on `count` samples of raw features `x` (the model's normalisation is applied
 * here, in float32 as the QDQ file's Sub/Div do).
 */
export function runInt8(m: Int8Model, x: Float32Array, count: number): Int8Outputs {
  const n0 = sampleSize(m.plan.inputShape);
  const last = m.plan.steps.at(-1)!;
  const outSize = stepSize(last);
  const quantized = new Uint8Array(count * outSize);
  const sample = new Float32Array(n0);
  const lastUse = lastUses(m.plan);
  // Integer buffers as doubles: the kernels' sums stay exact (kernels.ts NOTE).
  const weights = new Map([...m.dense].map(([k, d]) => [k, { w: Float64Array.from(d.weight), b: Float64Array.from(d.bias) }]));
  for (let i = 0; i < count; i++) {
    const first = new Float64Array(n0);
    quantizeSample(m, x, i, sample, first);
    // The uint8 values by id, each let go after its last reader.
    const values = new Map<string, Float64Array>([[m.plan.input, first]]);
    m.plan.steps.forEach((step, k) => {
      const q = values.get(step.inputs[0])!;
      const p = m.paramsOf.get(step.inputs[0])!;
      const next = new Float64Array(stepSize(step));
      const d = m.dense.get(k);
      if (d) {
        const centred = new Float64Array(q.length);
        for (let j = 0; j < q.length; j++) centred[j] = q[j] - p.zeroPoint;
        const { w, b } = weights.get(k)!;
        dense(d.step, w, b, centred, next);
        const per = next.length / d.step.out;
        const lo = d.step.relu ? d.output.zeroPoint : 0;
        for (let j = 0; j < next.length; j++) {
          const c = Math.floor(j / per);
          next[j] = Math.max(lo, Math.min(255, roundHalfEven(Math.fround(Math.fround(next[j]) * d.multiplier[c])) + d.output.zeroPoint));
        }
      } else if (step.kind === 'float') {
        const y = step.run(step.inputs.map((id) => dequantized(values.get(id)!, m.paramsOf.get(id)!)));
        const o = m.params[k];
        for (let j = 0; j < next.length; j++) next[j] = quantizeValue(y[j], o);
      } else if (step.kind === 'pool') maxPool(step, q, next);
      else if (step.kind === 'relu') for (let j = 0; j < next.length; j++) next[j] = Math.max(q[j], p.zeroPoint);
      else next.set(q);
      values.set(step.id, next);
      for (const id of step.inputs) if (lastUse.get(id) === k) values.delete(id);
    });
    quantized.set(values.get(last.id)!, i * outSize);
  }
  return int8Outputs(m, quantized);
}

/** uint8 values dequantised as ONNX's DequantizeLinear does: `(q − zp)·s` in float32. */
function dequantized(q: Float64Array, p: ActivationParams): Float32Array {
  const out = new Float32Array(q.length);
  for (let j = 0; j < q.length; j++) out[j] = (q[j] - p.zeroPoint) * p.scale;
  return out;
}

/**
 * Sample `i` of raw features `x` normalised (as the QDQ file's Sub/Div) and quantised to the
 * input's uint8 values: element j goes to `out[at ? at[j] : j]`. `sample`: scratch of one sample.
 */
export function quantizeSample(m: Int8Model, x: Float32Array, i: number, sample: Float32Array, out: { [j: number]: number }, at?: Int32Array): void {
  const n0 = sample.length;
  sample.set(x.subarray(i * n0, (i + 1) * n0));
  if (m.source.normalization) normalizeAsOnnx(m.source.normalization, sample);
  for (let j = 0; j < n0; j++) out[at ? at[j] : j] = quantizeValue(sample[j], m.input);
}

/**
 * The chain's uint8 outputs (`count` samples, one after another) with their dequantised values,
 * targets restored. `dequantized`: `(q − zp)·s` in float32 already computed for each (a kernel's,
 * `dequantizeTable`'s values).
 */
export function int8Outputs(m: Int8Model, quantized: Uint8Array, dequantized?: Float32Array): Int8Outputs {
  const outSize = stepSize(m.plan.steps.at(-1)!);
  const out = m.params.at(-1)!;
  const values = dequantized ?? new Float32Array(quantized.length);
  if (!dequantized) for (let j = 0; j < values.length; j++) values[j] = Math.fround((quantized[j] - out.zeroPoint) * out.scale);
  const t = m.source.targetNormalization;
  if (t) {
    for (let j = 0; j < values.length; j++) {
      const c = t.mean.length === 1 ? 0 : j % outSize;
      values[j] = Math.fround(Math.fround(values[j] * t.std[c]) + t.mean[c]);
    }
  }
  return { quantized, values, step: out.scale };
}

/** `(x − mean) / std` in float32, a Sub then a Div, as onnxruntime runs the file's normalisation nodes. */
function normalizeAsOnnx(norm: NonNullable<TrainedModel['normalization']>, x: Float32Array): void {
  for (let j = 0; j < x.length; j++) {
    const f = norm.kind === 'global' ? 0 : j;
    x[j] = Math.fround(Math.fround(x[j] - Math.fround(norm.mean[f])) / Math.fround(norm.std[f]));
  }
}

/** The model's features normalised as its float form reads them (a copy). */
export function normalized(model: TrainedModel, x: Float32Array, count: number): Float32Array {
  const out = x.slice();
  if (model.normalization) applyNormalization(model.normalization, out, x.length / Math.max(1, count));
  return out;
}
