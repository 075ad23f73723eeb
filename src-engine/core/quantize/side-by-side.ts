/**
 * float32 beside int8 on the test split (#85 deliverable 3), both run by Netwright: the task's
 * metric (a classifier's accuracy, a regression's MSE), the confusion matrices and the classes
 * whose predictions moved, the ONNX files' sizes, latency at batch 1 and throughput at batch 32.
 */
import { isGraphInput } from '../../base/ir/inputs';
import type { Backend } from '../backend/types';
import { createReferenceBackend } from '../backend/reference';
import { inferencePlan } from '../export/infer';
import type { TrainedModel } from '../export/model';
import { runFloat, runFloatFrom } from './calibrate';
import { QuantizeError } from './errors';
import { normalized, type Int8Model } from './int8';
import { dense, roundHalfEven } from './kernels';
import { sampleSize, stepSize } from './plan';
import { int8Inference, type Int8Inference } from './runtime';

export interface SideFigures {
  metric: number;
  bytes: number;
  /** Median milliseconds of one sample at batch 1 (unless timings were left out). */
  latencyMs?: number;
  /** Samples a second at batch 32 (unless timings were left out). */
  perSecond?: number;
}

export interface ClassMove {
  name: string;
  /** Test samples of the class, and how many each model got right. */
  samples: number;
  float: number;
  int8: number;
  /** Samples of the class whose predicted class changed. */
  changed: number;
}

export interface SideBySide {
  samples: number;
  metric: 'accuracy' | 'mse';
  float: SideFigures;
  int8: SideFigures;
  /** A classifier's: rows the true class, columns the predicted. */
  confusion?: { float: number[][]; int8: number[][] };
  /** A classifier's classes whose predictions changed, most changed first. */
  moved?: ClassMove[];
  /** Samples (pixels, for a segmenter) whose predicted class changed. */
  changed?: number;
  /** A segmenter's pixels per sample: the accuracy, the confusion and `changed` count pixels. */
  positions?: number;
  /** The largest difference of an output value, and the int8 output's requantisation step. */
  maxDifference: number;
  step: number;
  /** What ran the int8 model (its outputs and timings): "WebAssembly SIMD" (the CPU backend's kernels) or "TypeScript" (runtime.ts). */
  int8Runtime: string;
  /** What ran the float model (its outputs and timings): the backend's description ("CPU · 2 threads (WebAssembly SIMD)"). */
  floatRuntime: string;
}

/** The best of `k` scores at `at`, `stride` apart (a segmenter's channels are a plane apart). */
const argmax = (v: ArrayLike<number>, at: number, k: number, stride = 1) => {
  let best = 0;
  for (let c = 1; c < k; c++) if (v[at + c * stride] > v[at + best * stride]) best = c;
  return best;
};

/**
 * Positions classified per sample: 1 for a classifier (`width` scores, one per class), the pixels
 * of a segmenter (`[classes, H, W]` scores against an `[H, W]` mask of class indices), 0 when the
 * outputs are no class scores.
 */
function classifiedPositions(classes: number, width: number, targets: number, count: number): number {
  if (classes < 2 || width % classes !== 0) return 0;
  const positions = width / classes;
  return targets >= count * positions ? positions : 0;
}

/** The float model's outputs on `count` raw samples (normalised as it was trained), in batches of `batch`, targets restored. */
export function floatOutputs(model: TrainedModel, plan: Int8Model['plan'], x: Float32Array, count: number, backend: Backend = createReferenceBackend(), batch = 32): Float32Array {
  const n0 = sampleSize(plan.inputShape);
  const xs = normalized(model, x.subarray(0, count * n0), count);
  const compiled = inferencePlan(model, batch, backend);
  const out = compiled.output(plan.output);
  const width = out.data.length / batch;
  const result = new Float32Array(count * width);
  const input = compiled.input(plan.input).data;
  for (const n of model.graph.nodes) if (isGraphInput(n) && n.id !== plan.input) compiled.input(n.id).data.fill(0);
  for (let at = 0; at < count; at += batch) {
    const m = Math.min(batch, count - at);
    input.fill(0);
    input.set(xs.subarray(at * n0, (at + m) * n0));
    compiled.forward(false);
    result.set(compiled.output(plan.output).data.subarray(0, m * width), at * width);
  }
  const t = model.targetNormalization;
  if (t) for (let j = 0; j < result.length; j++) result[j] = result[j] * t.std[t.mean.length === 1 ? 0 : j % width] + t.mean[t.mean.length === 1 ? 0 : j % width];
  return result;
}

/** Milliseconds per call of `f` after one call to warm it: the median of as many calls as fit in ~`budgetMs` (at least 3). */
function timed(f: () => void, budgetMs = 250): number {
  f();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Latency at batch 1 and throughput at batch `batch` of both sides, and what ran each. */
export interface SideTimings {
  float: Required<Pick<SideFigures, 'latencyMs' | 'perSecond'>>;
  int8: Required<Pick<SideFigures, 'latencyMs' | 'perSecond'>>;
  /** The throughput's batch: 32, or `count` when fewer. */
  batch: number;
  /** The float side's runtime (the backend's description), and the int8 side's (`Int8Inference.kind`). */
  floatRuntime: string;
  int8Runtime: string;
}

/**
 * Time `m` beside its float model on `backend` with the first samples of raw features `x`: the
 * median milliseconds of one sample at batch 1 and samples a second at batch 32 (or `count`), each
 * the median of the calls that fit in a quarter second (three at least, after one to warm up). The
 * float side runs `inferencePlan` on the backend's kernels, the int8 side `int8` (by default
 * `int8Inference` on the backend): the input's normalisation or quantisation is timed with them.
 */
export function timeSides(m: Int8Model, x: Float32Array, count: number, backend: Backend = createReferenceBackend(), int8: Int8Inference = int8Inference(m, backend)): SideTimings {
  const model = m.source;
  const n0 = sampleSize(m.plan.inputShape);
  const one = x.subarray(0, n0);
  const batch = Math.max(1, Math.min(32, count));
  const b32 = x.subarray(0, batch * n0);
  const plan1 = inferencePlan(model, 1, backend);
  const plan32 = inferencePlan(model, batch, backend);
  for (const plan of [plan1, plan32]) for (const n of model.graph.nodes) if (isGraphInput(n) && n.id !== m.plan.input) plan.input(n.id).data.fill(0);
  const floatOne = timed(() => {
    plan1.input(m.plan.input).data.set(normalized(model, one, 1));
    plan1.forward(false);
  });
  const floatBatch = timed(() => {
    plan32.input(m.plan.input).data.set(normalized(model, b32, batch));
    plan32.forward(false);
  });
  const intOne = timed(() => int8.run(one, 1));
  const intBatch = timed(() => int8.run(b32, batch));
  return {
    float: { latencyMs: floatOne, perSecond: (1000 * batch) / floatBatch },
    int8: { latencyMs: intOne, perSecond: (1000 * batch) / intBatch },
    batch,
    floatRuntime: backend.description,
    int8Runtime: int8.kind,
  };
}

/**
 * Measure `m` beside its float model on `count` raw test samples `x` with targets `y` (class
 * indices, or values in the target's units); `bytes` are the two ONNX files' sizes; `speed: false`
 * leaves the timings out. Both run on `backend`: the float model on its kernels, the int8 one on its
 * int8 kernels where it has them (the CPU backend's), else on the TypeScript reference — the same
 * outputs either way (runtime.ts).
 */
export function sideBySide(m: Int8Model, x: Float32Array, y: Float32Array, count: number, bytes: { float: number; int8: number }, backend: Backend = createReferenceBackend(), options: { speed?: boolean } = {}): SideBySide {
  const model = m.source;
  const f = floatOutputs(model, m.plan, x, count, backend);
  const int8 = int8Inference(m, backend);
  const q = int8.run(x, count);
  const width = f.length / Math.max(1, count);
  let maxDifference = 0;
  for (let j = 0; j < f.length; j++) maxDifference = Math.max(maxDifference, Math.abs(f[j] - q.values[j]));

  const s = options.speed === false ? { float: {}, int8: {} } : timeSides(m, x, count, backend, int8);
  const classes = model.classNames?.length ?? 0;
  const positions = classifiedPositions(classes, width, y.length, count);
  if (positions) {
    const cf = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const ci = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const moves = model.classNames!.map((name) => ({ name, samples: 0, float: 0, int8: 0, changed: 0 }));
    let changed = 0;
    for (let at = 0; at < count * positions; at++) {
      const i = Math.floor(at / positions);
      const pos = at % positions;
      const t = y[at];
      const a = argmax(f, i * width + pos, classes, positions);
      const b = argmax(q.values, i * width + pos, classes, positions);
      cf[t][a]++;
      ci[t][b]++;
      moves[t].samples++;
      if (a === t) moves[t].float++;
      if (b === t) moves[t].int8++;
      if (a !== b) {
        moves[t].changed++;
        changed++;
      }
    }
    const acc = (c: number[][]) => c.reduce((s2, row, i) => s2 + row[i], 0) / Math.max(1, count * positions);
    return {
      samples: count,
      metric: 'accuracy',
      float: { metric: acc(cf), bytes: bytes.float, ...s.float },
      int8: { metric: acc(ci), bytes: bytes.int8, ...s.int8 },
      confusion: { float: cf, int8: ci },
      moved: moves.filter((c) => c.changed > 0 || c.float !== c.int8).sort((a, b) => b.changed - a.changed),
      changed,
      ...(positions > 1 ? { positions } : {}),
      maxDifference,
      step: q.step,
      int8Runtime: int8.kind,
      floatRuntime: backend.description,
    };
  }
  const mse = (v: Float32Array) => {
    let e = 0;
    for (let j = 0; j < v.length; j++) e += (v[j] - y[j]) ** 2;
    return e / Math.max(1, v.length);
  };
  return { samples: count, metric: 'mse', float: { metric: mse(f), bytes: bytes.float, ...s.float }, int8: { metric: mse(q.values), bytes: bytes.int8, ...s.int8 }, maxDifference, step: q.step, int8Runtime: int8.kind, floatRuntime: backend.description };
}

/** One dense layer's sensitivity: the metric with only that layer in int8 (the rest float), and its change from float. */
export interface LayerSensitivity {
  layer: string;
  metric: number;
  /** metric − the float chain's: for accuracy, negative is worse; for MSE, positive is worse. */
  change: number;
}

/**
 * The `k` layers whose quantisation costs most (`--keep-float-worst`, the dialog's marks): by their
 * change from float, worst first (accuracy: most negative; MSE: most positive), the plan's order
 * between equal changes. A layer whose int8 form costs nothing on the samples measured is none of
 * them (keeping it would cost latency and size for nothing), so there may be fewer than `k`.
 */
export function worstLayers(layers: readonly LayerSensitivity[], metric: SideBySide['metric'], k: number): string[] {
  const cost = (l: LayerSensitivity) => (metric === 'accuracy' ? -l.change : l.change);
  return layers
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => cost(l) > 0)
    .sort((a, b) => cost(b.l) - cost(a.l) || a.i - b.i)
    .slice(0, Math.max(0, k))
    .map(({ l }) => l.layer);
}

/** A sensitivity pass: the float graph's metric (`metric` names which), and each int8 layer's. */
export interface Sensitivities {
  float: number;
  layers: LayerSensitivity[];
  metric: SideBySide['metric'];
}

/** The test samples a per-layer sensitivity pass measures, at most (the first of the test split): the CLI's and the Quantize dialog's. */
export const SENSITIVITY_SAMPLES = 200;

/** How far a sensitivity pass has got: test samples done of those it measures. */
export type SensitivityProgress = (done: number, total: number) => void;

/**
 * Per-layer sensitivity, as ONNX Runtime's QDQ debugging and TensorRT's layer precision tools
 * report it: for each Linear or Conv2d, the float graph (float64, BatchNorm folded) with only that
 * layer quantised — its input and output through their uint8 scales, its int8 weights and int32
 * bias — measured on `count` raw samples; the layer whose quantisation costs most is the one to keep
 * in float (or calibrate differently).
 */
export function layerSensitivity(m: Int8Model, x: Float32Array, y: Float32Array, count: number, onProgress?: SensitivityProgress): Sensitivities {
  const steps = sensitivitySteps(m, x, y, count);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    onProgress?.(next.value, count);
  }
}

/**
 * `layerSensitivity` that lets the event loop run every `sliceMs` (a sample at least), so that a
 * cancel is heard (the protocol's `model.quantize`): the same figures.
 *
 * @throws QuantizeError `E_CANCELLED` once `signal` is aborted.
 */
export async function layerSensitivityAsync(m: Int8Model, x: Float32Array, y: Float32Array, count: number, options: { signal?: AbortSignal; onProgress?: SensitivityProgress; sliceMs?: number } = {}): Promise<Sensitivities> {
  const steps = sensitivitySteps(m, x, y, count);
  let since = performance.now();
  for (;;) {
    if (options.signal?.aborted) throw quantizeCancelled();
    const next = steps.next();
    if (next.done) return next.value;
    options.onProgress?.(next.value, count);
    if (performance.now() - since >= (options.sliceMs ?? 50)) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      since = performance.now();
    }
  }
}

/** The error a cancelled quantisation ends with. */
export const quantizeCancelled = (): QuantizeError => new QuantizeError('E_CANCELLED', 'The quantisation was cancelled; nothing was measured.');

/**
 * The sensitivity pass one sample at a time (yields the samples done). Each sample's float graph
 * runs once; before each dense layer it forks: the layer in int8 and the steps after it run on the
 * values the float graph holds there, so the steps before a layer are not run again for it (the
 * same values as running the whole graph per layer, which this pass did before: each step is
 * deterministic, and the forks never write the values they share). The figures are summed sample
 * by sample in the order the whole-graph pass summed them.
 */
function* sensitivitySteps(m: Int8Model, x: Float32Array, y: Float32Array, count: number): Generator<number, Sensitivities> {
  const n0 = sampleSize(m.plan.inputShape);
  const xs = normalized(m.source, x.subarray(0, count * n0), count);
  const fq = (v: Float64Array, p: { scale: number; zeroPoint: number }, lo = 0) => {
    for (let j = 0; j < v.length; j++) v[j] = (Math.max(lo, Math.min(255, roundHalfEven(v[j] / p.scale) + p.zeroPoint)) - p.zeroPoint) * p.scale;
  };
  const dequantized = new Map([...m.dense].map(([k, d]) => [k, { w: Float64Array.from(d.weight, (q, j) => q * d.weightScale[Math.floor(j / d.step.per)]), b: Float64Array.from(d.bias, (q, c) => q * d.biasScale[c]) }]));
  const only = (k: number) => (j: number, inputs: Float64Array[]) => {
    if (j !== k) return undefined;
    const d = m.dense.get(k)!;
    const input = Float64Array.from(inputs[0]);
    fq(input, d.input);
    const { w, b } = dequantized.get(k)!;
    const next = new Float64Array(stepSize(m.plan.steps[k]));
    dense(d.step, w, b, input, next);
    fq(next, d.output, d.step.relu ? d.output.zeroPoint : 0);
    return next;
  };
  const t = m.source.targetNormalization;
  const restored = (cur: Float64Array) => {
    if (t) for (let c = 0; c < cur.length; c++) cur[c] = cur[c] * t.std[t.mean.length === 1 ? 0 : c] + t.mean[t.mean.length === 1 ? 0 : c];
    return cur;
  };
  const classes = m.source.classNames?.length ?? 0;
  const keys = [...m.dense.keys()];
  // Per layer (and the float graph, last): right answers, or the summed squared error, so far.
  const sums = new Float64Array(keys.length + 1);
  let width = 0;
  let positions = 0;
  const add = (at: number, r: Float64Array, i: number) => {
    if (i === 0 && at === keys.length) {
      width = r.length;
      positions = classifiedPositions(classes, width, y.length, count);
    }
    if (positions) {
      for (let pos = 0; pos < positions; pos++) if (argmax(r, pos, classes, positions) === y[i * positions + pos]) sums[at]++;
    } else for (let c = 0; c < r.length; c++) sums[at] += (r[c] - y[i * width + c]) ** 2;
  };
  for (let i = 0; i < count; i++) {
    const forks: Float64Array[] = [];
    const float = runFloat(m.plan, Float64Array.from(xs.subarray(i * n0, (i + 1) * n0)), {
      before: (k, values) => {
        if (m.dense.has(k)) forks.push(restored(runFloatFrom(m.plan, new Map(values), k, { override: only(k) })));
      },
    });
    add(keys.length, restored(float), i);
    forks.forEach((r, at) => add(at, r, i));
    yield i + 1;
  }
  const score = (sum: number) => sum / Math.max(1, count * (positions || width));
  const float = score(sums[keys.length]);
  const layers = keys.map((k, at) => {
    const metric = score(sums[at]);
    return { layer: m.dense.get(k)!.step.id, metric, change: metric - float };
  });
  return { float, layers, metric: positions ? 'accuracy' : 'mse' };
}
