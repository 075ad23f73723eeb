/**
 * Shared helpers for op tests: run one op forward + backward on concrete tensors, check its
 * gradients by finite differences, and compare against PyTorch golden fixtures.
 *
 * Every op test (layers, activations, losses) uses these, so they depend only on the op contract
 * (`OpDef`) and a `Backend`, never on the executor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../../src-engine/core/backend/types';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Attrs, AttrValue, OpDef } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { sizeOf, tensor, type Tensor } from '../../../src-engine/base/tensor';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';
import type { ReferenceKernel } from '../../../src-engine/core/ops/kernels/kernel';

export interface RunOpOptions {
  inputs: readonly Tensor[];
  /** Missing attrs are filled from the op's AttrSpec defaults. */
  attrs?: Attrs;
  /** Parameters by name; any not given are drawn from N(0, 0.5²) with Rng(seed + 1). */
  params?: Record<string, Tensor>;
  /** Buffers by name (copied, never mutated); any not given start from the BufferSpec init. */
  buffers?: Record<string, Tensor>;
  training?: boolean;
  seed?: number;
  /** Gradient flowing into the output; default all ones. */
  dOutput?: Tensor;
  backend?: Backend;
  /** Indices of inputs that need no gradient (loss targets): their dInputs entry is `null`. */
  noGrad?: readonly number[];
  /** Skip the backward pass (e.g. when only the forward output matters). */
  forwardOnly?: boolean;
  /**
   * Start every input gradient as NaN and mark it fresh (OpBackwardContext.dInputsFresh), as the
   * executor does for a sole writer: the implementation must assign, not add. Throws when the
   * implementation does not declare `assignsFreshGradients`.
   */
  freshInputGradients?: boolean;
  /**
   * Tell the backward its parameter gradients are not read (OpBackwardContext.dParamsWanted =
   * false), each starting as 7.5 (a write, which adds, would change it): it must leave them so. Throws when the implementation does not
   * declare `skipsUnwantedParamGradients`.
   */
  unwantedParamGradients?: boolean;
  /** OpForwardContext.rows: the samples of the output read after the forward. */
  rows?: readonly [number, number];
  /** OpBackwardContext.dInputsRead: the channels of each input gradient read after the backward. */
  dInputsRead?: readonly (readonly [number, number] | undefined)[];
  /** The kernels to run in place of the op's reference kernels (a deliberately broken one, to show a check is not vacuous). */
  kernel?: ReferenceKernel;
}

export interface RunOpResult {
  output: Tensor;
  /** `null` for inputs that need no gradient (or when the op is not differentiable). */
  dInputs: (Tensor | null)[];
  dParams: Record<string, Tensor>;
  params: Record<string, Tensor>;
  /** Buffers after forward (BatchNorm running stats after a train step). */
  buffers: Record<string, Tensor>;
  workspace: Record<string, Tensor>;
}

/** Attrs with every missing entry filled from the op's AttrSpec default. */
export function withDefaults(def: OpDef, attrs: Attrs = {}): Attrs {
  const out: Record<string, AttrValue> = {};
  for (const [k, spec] of Object.entries(def.attrs)) out[k] = spec.default;
  return { ...out, ...attrs };
}

function copy(t: Tensor): Tensor {
  return tensor(t.shape, Float32Array.from(t.data));
}

/**
 * Run one op forward then backward on concrete tensors, allocating output, workspace and
 * gradient storage from the op's own shape rule and specs, as the executor does.
 *
 * @example
 * ```ts
 * const r = runOp(linear, { inputs: [x], attrs: { outFeatures: 3 }, training: true });
 * r.dInputs[0]; // dL/dx for L = Σ output (dOutput defaults to ones)
 * ```
 */
export function runOp(def: OpDef, opts: RunOpOptions): RunOpResult {
  const backend = opts.backend ?? createReferenceBackend();
  const attrs = withDefaults(def, opts.attrs);
  const seed = opts.seed ?? 0;
  const training = opts.training ?? true;
  const inputShapes = opts.inputs.map((t) => [...t.shape]);
  const shapeArgs = { inputs: inputShapes, attrs };
  const inferred = def.inferShape(shapeArgs);
  if (!inferred.ok) throw new Error(`${def.name}.inferShape: ${inferred.code}: ${inferred.message}`);
  const outShape = inferred.shape;

  const alloc = (shape: readonly number[]): Tensor => tensor(shape, backend.alloc(sizeOf(shape)));

  const paramSpecs = def.params?.(shapeArgs) ?? [];
  const initRng = new Rng(seed + 1);
  const params: Record<string, Tensor> = {};
  const dParams: Record<string, Tensor> = {};
  for (const spec of paramSpecs) {
    const given = opts.params?.[spec.name];
    const p = alloc(spec.shape);
    if (given) {
      if (sizeOf(given.shape) !== sizeOf(spec.shape)) {
        throw new Error(`${def.name}: param ${spec.name} given as [${given.shape}] but the op expects [${spec.shape}]`);
      }
      p.data.set(given.data);
    } else {
      for (let i = 0; i < p.data.length; i++) p.data[i] = 0.5 * initRng.normal();
    }
    params[spec.name] = p;
    dParams[spec.name] = alloc(spec.shape);
  }

  const buffers: Record<string, Tensor> = {};
  for (const spec of def.buffers?.(shapeArgs) ?? []) {
    const b = alloc(spec.shape);
    const given = opts.buffers?.[spec.name];
    if (given) b.data.set(given.data);
    else if (spec.init === 'ones') b.data.fill(1);
    buffers[spec.name] = b;
  }

  const workspace: Record<string, Tensor> = {};
  for (const spec of def.workspace?.({ ...shapeArgs, output: outShape }) ?? []) workspace[spec.name] = alloc(spec.shape);

  const inputs = opts.inputs.map((t) => {
    const c = alloc(t.shape);
    c.data.set(t.data);
    return c;
  });
  const output = alloc(outShape);
  const rng = new Rng(seed);
  const ctx = { inputs, output, params, buffers, workspace, attrs, training, rng, backend, rows: opts.rows };
  const override = kernelFor(backend.overrides, def.name);
  const reference = opts.kernel ?? referenceKernel(def);
  (override?.forward ?? reference.forward)(ctx);

  const differentiable = def.differentiable !== false && reference.backward !== undefined;
  const noGrad = new Set(opts.noGrad ?? []);
  const dInputs = inputs.map((t, i) => (differentiable && !noGrad.has(i) ? alloc(t.shape) : null));
  if (differentiable && !opts.forwardOnly) {
    const dOutput = opts.dOutput ? copy(opts.dOutput) : tensor(outShape, new Float32Array(sizeOf(outShape)).fill(1));
    if (sizeOf(dOutput.shape) !== sizeOf(outShape)) {
      throw new Error(`${def.name}: dOutput [${dOutput.shape}] does not match output [${outShape}]`);
    }
    let dInputsFresh: boolean[] | undefined;
    if (opts.freshInputGradients) {
      const assigns = override?.backward ? override.assignsFreshGradients : reference.assignsFreshGradients;
      if (!assigns) throw new Error(`${def.name}: this backend's backward does not declare assignsFreshGradients`);
      for (const d of dInputs) d?.data.fill(NaN);
      dInputsFresh = dInputs.map((d) => d !== null);
    }
    if (opts.unwantedParamGradients) {
      const skips = override?.backward ? override.skipsUnwantedParamGradients : reference.skipsUnwantedParamGradients;
      if (!skips) throw new Error(`${def.name}: this backend's backward does not declare skipsUnwantedParamGradients`);
      for (const d of Object.values(dParams)) d.data.fill(7.5);
    }
    const bctx = { ...ctx, dOutput, dInputs, dParams, dInputsFresh, dInputsRead: opts.dInputsRead, ...(opts.unwantedParamGradients ? { dParamsWanted: false } : {}) };
    (override?.backward ?? reference.backward!)(bctx);
  }
  return { output, dInputs, dParams, params, buffers, workspace };
}

export interface GradcheckOptions extends Omit<RunOpOptions, 'dOutput' | 'forwardOnly'> {
  /** Finite-difference step relative to each element's magnitude: h = eps·max(1, |x|). Default 1e-2. */
  eps?: number;
  /** Check at most this many elements per tensor (evenly strided); default 64. */
  maxPoints?: number;
  /**
   * Skip points where the function has a kink within ±h (ReLU at 0, MaxPool ties): detected when
   * the two one-sided differences disagree by more than `kinkTol` relative. Off by default; the
   * count of skipped points is returned so a test can bound it.
   */
  skipKinks?: boolean;
  kinkTol?: number;
}

export interface GradcheckResult {
  /** max |numeric − analytic| / max(1, |analytic|) over every checked element. */
  maxError: number;
  /** Where it happened, e.g. `input0[17]` or `param.weight[3]`. */
  worst: string;
  checked: number;
  skipped: number;
}

/** Runs an op forward (and backward) as `runOp` does: the reference backend, or a GPU kernel (test/unit/gpu). */
export type OpRunner = (def: OpDef, opts: RunOpOptions) => RunOpResult | Promise<RunOpResult>;

/**
 * Finite-difference gradient check of L = Σ output·w for a fixed random w (so every output element
 * contributes with a distinct weight), against the op's backward with dOutput = w. `run` evaluates
 * the op (default: `runOp` on the reference backend); the parameters' values and the weights w
 * come from the reference run, so every backend is checked on the same function.
 *
 * NOTE: the op runs in float32 while L is accumulated in float64. With step h the central
 * difference has truncation error O(h²·f''') and round-off about 2⁻²⁴·Σ|out·w| / h. With
 * h = 1e-2·max(1,|x|) and the small tensors the tests use (≤ a few hundred outputs of magnitude
 * ~1) both stay below ~1e-3, so smooth ops are asserted at `maxError < 5e-3` (1e-2 for ops whose
 * outputs pass through a normalisation, whose third derivatives are larger).
 * Ops with kinks: tests choose inputs away from the kink (values spaced more than 2h apart) and
 * may also enable `skipKinks`.
 *
 * Buffers are reset before every evaluation, and the rng reseeded, so BatchNorm's running stats
 * and Dropout's mask are identical in every evaluation.
 */
export async function gradcheck(def: OpDef, opts: GradcheckOptions, run: OpRunner = runOp): Promise<GradcheckResult> {
  const eps = opts.eps ?? 1e-2;
  const maxPoints = opts.maxPoints ?? 64;
  const kinkTol = opts.kinkTol ?? 0.1;
  // Fix the parameters once so every evaluation uses the same values.
  const base = runOp(def, { ...opts, forwardOnly: true });
  const params: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(base.params)) params[k] = copy(v);
  const wRng = new Rng((opts.seed ?? 0) + 7919);
  const w = tensor(base.output.shape, Float32Array.from({ length: base.output.data.length }, () => wRng.uniform() * 2 - 1));

  const inputs = opts.inputs.map(copy);
  const evalLoss = async (): Promise<number> => {
    const r = await run(def, { ...opts, inputs, params, forwardOnly: true });
    let s = 0;
    for (let i = 0; i < w.data.length; i++) s += r.output.data[i] * w.data[i];
    return s;
  };
  const analytic = await run(def, { ...opts, inputs, params, dOutput: w });

  let maxError = 0;
  let worst = '';
  let checked = 0;
  let skipped = 0;
  const check = async (label: string, target: Float32Array, grad: Float32Array): Promise<void> => {
    const n = target.length;
    const stride = Math.max(1, Math.floor(n / maxPoints));
    for (let i = 0; i < n; i += stride) {
      const x0 = target[i];
      const h = eps * Math.max(1, Math.abs(x0));
      target[i] = x0 + h;
      const hPlus = target[i] - x0; // the step actually taken in float32
      const lp = await evalLoss();
      target[i] = x0 - h;
      const hMinus = x0 - target[i];
      const lm = await evalLoss();
      target[i] = x0;
      if (opts.skipKinks) {
        const l0 = await evalLoss();
        const right = (lp - l0) / hPlus;
        const left = (l0 - lm) / hMinus;
        if (Math.abs(right - left) > kinkTol * Math.max(1, Math.abs(right), Math.abs(left))) {
          skipped++;
          continue;
        }
      }
      const numeric = (lp - lm) / (hPlus + hMinus);
      const err = Math.abs(numeric - grad[i]) / Math.max(1, Math.abs(grad[i]));
      checked++;
      if (err > maxError || Number.isNaN(err)) {
        maxError = Number.isNaN(err) ? Infinity : err;
        worst = `${label}[${i}] numeric=${numeric} analytic=${grad[i]}`;
      }
    }
  };
  for (const [i, t] of inputs.entries()) {
    const g = analytic.dInputs[i];
    if (g) await check(`input${i}`, t.data, g.data);
  }
  for (const [name, p] of Object.entries(params)) await check(`param.${name}`, p.data, analytic.dParams[name].data);
  return { maxError, worst, checked, skipped };
}

// — Golden fixtures (generated by PyTorch; see test/golden/gen_layers.py) —

export interface GoldenTensor {
  shape: number[];
  data: number[];
}

/** One fixture file, `test/golden/ops/<case>.json`. */
export interface GoldenCase {
  case: string;
  op: string;
  attrs: Attrs;
  training: boolean;
  seed: number;
  inputs: GoldenTensor[];
  params?: Record<string, GoldenTensor>;
  buffers?: Record<string, GoldenTensor>;
  dOutput?: GoldenTensor;
  output: GoldenTensor;
  /** `null` for inputs without a gradient (targets). */
  dInputs?: (GoldenTensor | null)[];
  dParams?: Record<string, GoldenTensor>;
  buffersAfter?: Record<string, GoldenTensor>;
  /** Where the fixture came from (set by the loader). */
  file?: string;
}

/** Every `*.json` fixture in `dir`, sorted by file name. */
export function loadGoldens(dir: string): GoldenCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as GoldenCase), file: f }));
}

export function fromGolden(g: GoldenTensor): Tensor {
  return tensor(g.shape, Float32Array.from(g.data));
}

export interface CompareResult {
  ok: boolean;
  /** max over elements of |a − b| / max(1, |b|). */
  maxError: number;
  message: string;
}

/**
 * Compare `actual` with the golden `expected`: every element must satisfy
 * `|a − b| ≤ rtol · max(1, |b|)` (relative for |b| ≥ 1, absolute `rtol` below), shapes must have
 * the same element count and dims, and NaN/Inf must match exactly.
 */
export function compareGolden(label: string, actual: Tensor | null | undefined, expected: GoldenTensor, rtol = 1e-4): CompareResult {
  if (!actual) return { ok: false, maxError: Infinity, message: `${label}: no value produced` };
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return { ok: false, maxError: Infinity, message: `${label}: shape [${actual.shape}] vs expected [${expected.shape}]` };
  }
  let maxError = 0;
  let worst = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const b = expected.data[i];
    let err: number;
    if (!Number.isFinite(b) || !Number.isFinite(a)) err = Object.is(a, b) || a === b ? 0 : Infinity;
    else err = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (err > maxError || Number.isNaN(err)) {
      maxError = Number.isNaN(err) ? Infinity : err;
      worst = i;
    }
  }
  const ok = maxError <= rtol;
  const message = ok
    ? `${label}: max error ${maxError.toExponential(2)}`
    : `${label}: max error ${maxError.toExponential(2)} > ${rtol} at [${worst}]: got ${actual.data[worst]}, expected ${expected.data[worst]}`;
  return { ok, maxError, message };
}

/** Run a golden case through `def` and compare every recorded tensor. */
export function checkGolden(def: OpDef, g: GoldenCase, backend?: Backend, rtol = 1e-4): CompareResult[] {
  const params: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(g.params ?? {})) params[k] = fromGolden(v);
  const buffers: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(g.buffers ?? {})) buffers[k] = fromGolden(v);
  const noGrad: number[] = [];
  g.dInputs?.forEach((d, i) => {
    if (d === null) noGrad.push(i);
  });
  const r = runOp(def, {
    inputs: g.inputs.map(fromGolden),
    attrs: g.attrs,
    params,
    buffers,
    training: g.training,
    seed: g.seed,
    dOutput: g.dOutput ? fromGolden(g.dOutput) : undefined,
    backend,
    noGrad,
    forwardOnly: !g.dInputs && !g.dParams,
  });
  const results = [compareGolden(`${g.case}.output`, r.output, g.output, rtol)];
  g.dInputs?.forEach((d, i) => {
    if (d) results.push(compareGolden(`${g.case}.dInputs[${i}]`, r.dInputs[i], d, rtol));
  });
  for (const [k, v] of Object.entries(g.dParams ?? {})) results.push(compareGolden(`${g.case}.dParams.${k}`, r.dParams[k], v, rtol));
  for (const [k, v] of Object.entries(g.buffersAfter ?? {})) results.push(compareGolden(`${g.case}.buffersAfter.${k}`, r.buffers[k], v, rtol));
  return results;
}

/**
 * Plain SGD on a compiled graph's parameters (w −= lr·∂w), so that a test of the executor needs no
 * optimizer module. Each tensor's arrays are read once: reading `p.value.data` per element took
 * resnet50's 25 M parameters 1.1 s a step, this 0.1 s.
 */
export function sgdStep(params: readonly { value: Tensor; grad: Tensor }[], lr: number): void {
  for (const p of params) {
    const w = p.value.data;
    const g = p.grad.data;
    for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
  }
}
