/**
 * Runs one op's GPU kernel (its entry in the GPU kernel table) and the op file's CPU forward and
 * backward on the same values, for the per-kernel tests. The GPU side gets what the executor would
 * give it: the attributes with defaults, tensors that are views at an offset inside their buffer,
 * zeroed workspaces; its backward ADDS into gradients that already hold values, as the op files'.
 * Every device tensor is padded with sentinels on both sides, and `runGpu` fails if a kernel wrote
 * outside its tensor.
 */
import { expect } from 'vitest';
import type { Attrs } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { gpuView, type GpuContext, type GpuTensor } from '../../../src-engine/core/gpu/context';
import { submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { gpuKernel } from '../../../src-engine/core/gpu/kernels/registry';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { OpBackwardContext } from '../../../src-engine/core/ops/types';
import type { OpRunner } from '../engine/harness';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';

/** One call of an op: shapes (batch first), values, and the gradients' values before the backward. */
export interface KernelCase {
  op: string;
  /** Attributes; the op's defaults fill the rest (as analyzeGraph does for the executor). */
  attrs?: Attrs;
  inputShapes: number[][];
  inputs: Float32Array[];
  /** Parameter values by the op file's names (LayerNorm's weight and bias). */
  params?: Record<string, Float32Array>;
  /** dLoss/dOutput. */
  dOutput: Float32Array;
  /** Each input's gradient before the backward adds into it; null: that input needs no gradient. */
  dInputs: (Float32Array | null)[];
  /** Each parameter's gradient before the backward. */
  dParams?: Record<string, Float32Array>;
  /** State that is not trained (BatchNorm's running statistics), by the op file's names. */
  buffers?: Record<string, Float32Array>;
  /**
   * Train mode (default). In eval mode the kernel's eval forward runs, and the backward only where
   * the op has no separate eval forward (the GPU has no eval-mode backward: training never asks).
   */
  training?: boolean;
}

/** What a forward and a backward produced. */
export interface KernelResult {
  output: Float32Array;
  dInputs: (Float32Array | null)[];
  dParams: Record<string, Float32Array>;
  /** The buffers after the forward (GPU runs only). */
  buffers?: Record<string, Float32Array>;
  /** Whether the backward ran (GPU runs only; see {@link KernelCase.training}). */
  backward?: boolean;
  /** The workspaces after the backward, by the names the op file (CPU) or the kernel (GPU) gave them (GPU: when asked). */
  workspace: Record<string, Float32Array>;
  /** The pipeline keys of the dispatches that ran, in order (GPU runs only). */
  dispatches?: string[];
  /** The step's status after the kernels (GPU runs only): `[0, 0]`, or what a kernel found bad (`[1, label]`, `[−rows, id]`). */
  status?: Float32Array;
}

/** The op's attributes with its defaults filled in. */
export function withDefaults(op: string, attrs: Attrs = {}): Attrs {
  const def = getOp(op);
  if (!def) throw new Error(`${op} is not a registered op`);
  const full: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(def.attrs)) full[name] = spec.default;
  return { ...full, ...attrs } as Attrs;
}

/** The output shape the op file's shape rule gives. */
export function outputShapeOf(c: KernelCase): number[] {
  const r = getOp(c.op)!.inferShape({ inputs: c.inputShapes, attrs: withDefaults(c.op, c.attrs) });
  if (!r.ok) throw new Error(`${c.op}: ${r.message}`);
  return r.shape;
}

/** The op file's forward and backward (the CPU reference), on copies of the case's arrays. */
export function runCpu(c: KernelCase): KernelResult {
  const def = getOp(c.op)!;
  const attrs = withDefaults(c.op, c.attrs);
  const outShape = outputShapeOf(c);
  const inputs = c.inputShapes.map((s, i) => tensor(s, c.inputs[i].slice()));
  const params: Record<string, Tensor> = {};
  for (const p of def.params?.({ inputs: c.inputShapes, attrs }) ?? []) params[p.name] = tensor(p.shape, c.params![p.name].slice());
  const workspace: Record<string, Tensor> = {};
  for (const w of def.workspace?.({ inputs: c.inputShapes, attrs, output: outShape }) ?? []) workspace[w.name] = tensor(w.shape);
  const output = tensor(outShape);
  const dInputs = c.dInputs.map((d, i) => (d ? tensor(c.inputShapes[i], d.slice()) : null));
  const dParams: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(params)) dParams[name] = tensor(t.shape, c.dParams![name].slice());
  const ctx = { inputs, output, params, buffers: {}, workspace, attrs, training: true, backend: createReferenceBackend(), dOutput: tensor(outShape, c.dOutput.slice()), dInputs, dParams } as unknown as OpBackwardContext;
  const reference = referenceKernel(def);
  reference.forward(ctx);
  reference.backward?.(ctx);
  return {
    output: output.data,
    dInputs: dInputs.map((d) => d?.data ?? null),
    dParams: Object.fromEntries(Object.entries(dParams).map(([k, t]) => [k, t.data])),
    workspace: Object.fromEntries(Object.entries(workspace).map(([k, t]) => [k, t.data])),
  };
}

const PAD = 3;
const SENTINEL = 1234.5;

/** A device tensor holding `data`, a view at element PAD of a buffer with PAD sentinels either side. */
function padded(ctx: GpuContext, data: Float32Array): GpuTensor {
  const whole = new Float32Array(data.length + 2 * PAD).fill(SENTINEL);
  whole.set(data, PAD);
  const t = ctx.createTensor(whole.length);
  ctx.write(t, whole);
  return gpuView(t, PAD, data.length);
}

/** Read `t` (made by {@link padded}) and check its sentinels. */
async function readPadded(ctx: GpuContext, what: string, t: GpuTensor): Promise<Float32Array> {
  const whole = await ctx.read({ buffer: t.buffer, offset: 0, length: t.length + 2 * PAD });
  const outside = [...whole.subarray(0, PAD), ...whole.subarray(PAD + t.length)];
  expect(outside, `${what}: a kernel wrote outside the tensor`).toEqual(new Array(2 * PAD).fill(SENTINEL));
  return whole.slice(PAD, PAD + t.length);
}

/** The tensors a kernel is prepared with (the executor's view of one node). */
interface KernelTensors {
  inputs: GpuTensor[];
  output: GpuTensor;
  params: Record<string, GpuTensor>;
  dParams: Record<string, GpuTensor>;
  buffers: Record<string, GpuTensor>;
  dOutput: GpuTensor;
  dInputs: (GpuTensor | null)[];
}

/** `op`'s GPU kernel prepared on `t`, with zeroed workspaces, as the executor prepares a node. */
function prepareKernel(ctx: GpuContext, op: string, attrs: Attrs, inputShapes: number[][], outputShape: number[], t: KernelTensors, rng: Rng, workspaces = new Map<string, GpuTensor>(), status = ctx.createTensor(2)) {
  const kernel = gpuKernel(op);
  if (!kernel) throw new Error(`${op} has no GPU kernel`);
  return ctx.checked(op, () =>
    kernel.prepare({
      ctx,
      nodeId: 'node',
      attrs,
      inputShapes,
      outputShape,
      ...t,
      workspace(name, length) {
        let w = workspaces.get(name);
        if (!w) workspaces.set(name, (w = ctx.createTensor(length, name)));
        return w;
      },
      status,
      rng,
    }),
  );
}

/** The GPU kernel's forward then backward, on the device of `ctx`; `opts.workspace`: read its workspaces back too. */
export async function runGpu(ctx: GpuContext, c: KernelCase, opts: { workspace?: boolean } = {}): Promise<KernelResult> {
  const attrs = withDefaults(c.op, c.attrs);
  const outShape = outputShapeOf(c);
  const outLen = outShape.reduce((a, b) => a * b, 1);
  const inputs = c.inputs.map((x) => padded(ctx, x));
  const output = padded(ctx, new Float32Array(outLen));
  const params = Object.fromEntries(Object.entries(c.params ?? {}).map(([k, v]) => [k, padded(ctx, v)]));
  const dParams = Object.fromEntries(Object.entries(c.dParams ?? {}).map(([k, v]) => [k, padded(ctx, v)]));
  const dOutput = padded(ctx, c.dOutput);
  const dInputs = c.dInputs.map((d) => (d ? padded(ctx, d) : null));
  const buffers = Object.fromEntries(Object.entries(c.buffers ?? {}).map(([k, v]) => [k, padded(ctx, v)]));
  const workspaces = new Map<string, GpuTensor>();
  const status = ctx.createTensor(2, 'status');
  ctx.write(status, new Float32Array(2));
  const d = await prepareKernel(ctx, c.op, attrs, c.inputShapes, outShape, { inputs, output, params, dParams, buffers, dOutput, dInputs }, new Rng(1), workspaces, status);
  const training = c.training ?? true;
  const backward = training || !d.evalForward;
  d.beforeForward?.(training);
  const ran = [...(training ? d.forward : (d.evalForward ?? d.forward)), ...(backward ? d.backward : [])];
  await ctx.checked(c.op, () => submitDispatches(ctx, ran));
  const got: KernelResult = { output: await readPadded(ctx, `${c.op} output`, output), dInputs: [], dParams: {}, buffers: {}, backward, workspace: {}, dispatches: ran.map((x) => x.label) };
  if (opts.workspace) for (const [k, t] of workspaces) got.workspace[k] = await ctx.read(t);
  for (const [k, t] of Object.entries(buffers)) got.buffers![k] = await readPadded(ctx, `${c.op} ${k}`, t);
  for (const [i, t] of dInputs.entries()) got.dInputs.push(t ? await readPadded(ctx, `${c.op} dInputs[${i}]`, t) : null);
  for (const [k, t] of Object.entries(dParams)) got.dParams[k] = await readPadded(ctx, `${c.op} d${k}`, t);
  got.status = await ctx.read(status);
  return got;
}

/**
 * Compare `got` with `want` element by element: `|got − want| ≤ bound(i)`, and NaN exactly where
 * `want` is NaN. Returns the largest ratio |got − want| / bound(i) (for the record; 0 when exact).
 */
export function expectWithin(what: string, got: Float32Array, want: Float32Array, bound: (i: number) => number): number {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) || Number.isNaN(got[i])) {
      if (!(Number.isNaN(want[i]) && Number.isNaN(got[i]))) throw new Error(`${what}[${i}] = ${got[i]}, want ${want[i]}`);
      continue;
    }
    const err = got[i] === want[i] ? 0 : Math.abs(got[i] - want[i]); // equal infinities differ by 0, not NaN
    const b = bound(i);
    if (!(err <= b)) throw new Error(`${what}[${i}] = ${got[i]}, want ${want[i]} (|Δ| ${err} > bound ${b})`);
    if (err > 0) worst = Math.max(worst, b > 0 ? err / b : Infinity);
  }
  return worst;
}

/** Normal values with mean `mean` and spread `scale`; every 17th is exactly `mean` (zeros when it is 0). */
export function values(n: number, seed: number, scale = 1, mean = 0): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = mean + (i % 17 === 5 ? 0 : rng.normal() * scale);
  return a;
}

/**
 * `runOp` (test/unit/engine/harness.ts) on an op's GPU kernel: what the op suite's gradient checks
 * evaluate on the GPU. The kernel is prepared once per op, shapes and attributes (the executor's
 * way: one plan, many steps); each call writes the inputs, parameters, buffers and dOutput, zeroes
 * the gradients, runs the forward (and the backward unless `forwardOnly`) in one submission and
 * reads back what it produced. Its random stream restarts at `seed` every call, as `runOp`'s does,
 * so Dropout draws the same mask in every evaluation of a gradient check. Parameters must be given
 * (a gradient check passes the reference run's).
 */
export function gpuOpRunner(ctx: GpuContext): OpRunner {
  const prepared = new Map<string, Awaited<ReturnType<typeof prepareOp>>>();
  return async (def, opts) => {
    const attrs = withDefaults(def.name, opts.attrs);
    const training = opts.training ?? true;
    const inputShapes = opts.inputs.map((t) => [...t.shape]);
    const key = JSON.stringify([def.name, inputShapes, attrs, training, opts.noGrad ?? []]);
    const p = prepared.get(key) ?? (await prepareOp(ctx, def.name, attrs, inputShapes, opts.noGrad ?? []));
    prepared.set(key, p);
    const backward = !opts.forwardOnly && p.differentiable;
    if (backward && !training && p.d.evalForward) throw new Error(`${def.name}: the GPU has no eval-mode backward (training never asks for one)`);
    opts.inputs.forEach((t, i) => ctx.write(p.inputs[i], t.data));
    for (const [name, t] of Object.entries(p.params)) {
      const given = opts.params?.[name];
      if (!given) throw new Error(`${def.name}: gpuOpRunner needs parameter ${name}`);
      ctx.write(t, given.data);
    }
    for (const [name, { t, init }] of Object.entries(p.buffers)) ctx.write(t, opts.buffers?.[name]?.data ?? new Float32Array(t.length).fill(init === 'ones' ? 1 : 0));
    for (const t of [...p.dInputs, ...Object.values(p.dParams)]) if (t) ctx.write(t, new Float32Array(t.length));
    ctx.write(p.dOutput, opts.dOutput?.data ?? new Float32Array(p.dOutput.length).fill(1));
    p.rng.restart(opts.seed ?? 0);
    p.d.beforeForward?.(training);
    await ctx.checked(def.name, () => submitDispatches(ctx, [...(training ? p.d.forward : (p.d.evalForward ?? p.d.forward)), ...(backward ? p.d.backward : [])]));
    const read = async (t: GpuTensor, shape: readonly number[]) => tensor(shape, await ctx.read(t));
    const output = await read(p.output, p.outShape);
    const dInputs = await Promise.all(p.dInputs.map((t, i) => (t && backward ? read(t, inputShapes[i]) : null)));
    const dParams: Record<string, Tensor> = {};
    if (backward) for (const [name, t] of Object.entries(p.dParams)) dParams[name] = await read(t, opts.params![name].shape);
    return { output, dInputs, dParams, params: opts.params ?? {}, buffers: {}, workspace: {} };
  };
}

/** An Rng whose stream can restart from a seed (the kernel keeps the one object it was prepared with). */
class RestartableRng {
  private inner = new Rng(0);
  restart(seed: number): void {
    this.inner = new Rng(seed);
  }
  asRng(): Rng {
    return new Proxy(this.inner, {
      get: (_t, k) => {
        const v = (this.inner as unknown as Record<PropertyKey, unknown>)[k];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(this.inner) : v;
      },
    });
  }
}

async function prepareOp(ctx: GpuContext, op: string, attrs: Attrs, inputShapes: number[][], noGrad: readonly number[]) {
  const def = getOp(op)!;
  const shapeArgs = { inputs: inputShapes, attrs };
  const inferred = def.inferShape(shapeArgs);
  if (!inferred.ok) throw new Error(`${op}: ${inferred.message}`);
  const outShape = inferred.shape;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const differentiable = def.differentiable !== false && referenceKernel(def).backward !== undefined;
  const inputs = inputShapes.map((s) => ctx.createTensor(size(s)));
  const output = ctx.createTensor(size(outShape));
  const params: Record<string, GpuTensor> = {};
  const dParams: Record<string, GpuTensor> = {};
  for (const spec of def.params?.(shapeArgs) ?? []) {
    params[spec.name] = ctx.createTensor(size(spec.shape));
    dParams[spec.name] = ctx.createTensor(size(spec.shape));
  }
  const buffers: Record<string, { t: GpuTensor; init?: string }> = {};
  for (const spec of def.buffers?.(shapeArgs) ?? []) buffers[spec.name] = { t: ctx.createTensor(size(spec.shape)), init: spec.init };
  const dOutput = ctx.createTensor(size(outShape));
  const dInputs = inputShapes.map((s, i) => (differentiable && !noGrad.includes(i) ? ctx.createTensor(size(s)) : null));
  const rng = new RestartableRng();
  const bufferTensors = Object.fromEntries(Object.entries(buffers).map(([k, b]) => [k, b.t]));
  const d = await prepareKernel(ctx, op, attrs, inputShapes, outShape, { inputs, output, params, dParams, buffers: bufferTensors, dOutput, dInputs }, rng.asRng());
  return { d, inputs, output, outShape, params, dParams, buffers, dOutput, dInputs, rng, differentiable };
}

const U = 2 ** -24;
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const abs = (a: Float32Array) => a.map(Math.abs);

/** The case on absolute values: its op file's results are Σ|terms| per element. Ids (a `discrete` input) stay as they are: |−7| is another row, or none. */
function absCase(c: KernelCase): KernelCase {
  const m = (r?: Record<string, Float32Array>) => r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, abs(v)]));
  const discrete = getOp(c.op)?.inputs.map((i) => i.discrete === true) ?? [];
  return { ...c, inputs: c.inputs.map((x, k) => (discrete[Math.min(k, discrete.length - 1)] ? x : abs(x))), dOutput: abs(c.dOutput), dInputs: c.dInputs.map((d) => d && abs(d)), params: m(c.params), dParams: m(c.dParams) };
}

/**
 * GPU against CPU on one case: `terms` per result (`y`, `dx0`, `dx1`, `weight`…) is the most terms an
 * element sums (0: exact equality); the bound is 2·(m + 1)·2⁻²⁴·Σ|terms|, Σ|terms| from the op file
 * run on absolute values.
 */
export async function parity(ctx: GpuContext, c: KernelCase, terms: Record<string, number>): Promise<void> {
  const want = runCpu(c);
  const got = await runGpu(ctx, c);
  const scale = runCpu(absCase(c));
  const bound = (key: string, s: Float32Array) => (i: number) => (terms[key] === 0 ? 0 : 2 * (terms[key] + 1) * U * s[i]);
  expectWithin(`${c.op} y`, got.output, want.output, bound('y', scale.output));
  want.dInputs.forEach((d, k) => {
    if (d) expectWithin(`${c.op} dx${k}`, got.dInputs[k]!, d, bound(`dx${k}`, scale.dInputs[k]!));
    else expect(got.dInputs[k]).toBeNull();
  });
  for (const [k, d] of Object.entries(want.dParams)) expectWithin(`${c.op} d${k}`, got.dParams[k], d, bound(k, scale.dParams[k]));
}

/** A case of `op` on inputs of `shapes` (random values), dy and initial gradients random too. */
export function randomCase(op: string, shapes: number[][], attrs: Record<string, unknown> = {}, seed = 1, opts: { noGrad?: number[]; params?: Record<string, number> } = {}): KernelCase {
  const c: KernelCase = { op, attrs: attrs as KernelCase['attrs'], inputShapes: shapes, inputs: shapes.map((s, i) => values(size(s), seed + i)), dOutput: new Float32Array(0), dInputs: shapes.map((s, i) => (opts.noGrad?.includes(i) ? null : values(size(s), seed + 10 + i, 0.5))) };
  c.dOutput = values(size(outputShapeOf(c)), seed + 20);
  if (opts.params) {
    c.params = Object.fromEntries(Object.entries(opts.params).map(([k, n], j) => [k, values(n, seed + 30 + j, 0.5, k === 'weight' ? 1 : 0)]));
    c.dParams = Object.fromEntries(Object.entries(opts.params).map(([k, n], j) => [k, values(n, seed + 40 + j, 0.5)]));
  }
  return c;
}
