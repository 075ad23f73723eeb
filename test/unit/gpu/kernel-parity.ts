/**
 * One GPU op kernel (`kernels/registry.ts`) against its op file's CPU forward and backward on the
 * same random tensors: the helper the conv2d, conv-transpose, pool and upsample tests share.
 *
 * What it checks, per case:
 * - the forward overwrites its output (the output starts as garbage), and the backwards ADD into
 *   `dx`, `dW` and `db` (they start as random values, the same on both sides), as the op files do;
 * - every tensor lives in a view at an offset inside a larger buffer whose leading and trailing
 *   sentinels must survive (no write outside a view, offsets honoured);
 * - every element within a bound scaled by the sum of magnitudes of its terms (below).
 *
 * The bound. Both sides sum the same terms (x·W products, dy values, …) in different orders and
 * precisions: the op files in float64 or float32 (a JS number accumulator, a float32 array), the
 * shaders in float32. A float32 sum of m terms (each a rounded product) with a scale by a rounded
 * 1/k at the end errs by at most (m + 2)·u·Σ|terms|, u = 2⁻²⁴ (Higham's γ bound for recursive
 * summation, first order); the difference of two such results is at most twice that:
 *
 *   |gpu − cpu| ≤ 2·(m + 2)·2⁻²⁴·Σ|terms|,
 *
 * m the most terms any element of that tensor sums (given per case, initial value of an added-into
 * gradient counted as a term). Σ|terms| is computed exactly the way the result is: the op file's
 * forward/backward run again on the absolute values of every operand (the ops here are linear in
 * each operand, so that yields Σ|terms| element by element, the added-into values included).
 * The error scales with the magnitudes, not with the possibly cancelled result, as in
 * gemm.test.ts. Where the arithmetic is identical (a copy: Upsample's forward) the case sets m to 0
 * and the bound to exact equality.
 */
import { expect } from 'vitest';
import type { Attrs } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { sizeOf, tensor, type Tensor } from '../../../src-engine/base/tensor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { gpuView, type GpuContext, type GpuTensor } from '../../../src-engine/core/gpu/context';
import { submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { gpuKernel } from '../../../src-engine/core/gpu/kernels/registry';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { OpDef } from '../../../src-engine/core/ops/types';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';

/** Sentinel elements before and after every view (an odd count: unaligned offsets). */
const PAD = 3;
const SENTINEL = 7.25;
const U = 2 ** -24;

export interface ParityCase {
  op: string;
  attrs: Attrs;
  input: number[];
  seed: number;
  /**
   * The most terms an element sums, per tensor: `y` (forward), `dx`, and each parameter's
   * gradient by name (`weight`, `bias`). 0 = exact equality. Missing: not checked (absent).
   */
  terms: Readonly<Record<string, number>>;
  /** The input needs no gradient (a first layer): dInputs[0] is null on both sides. */
  noInputGrad?: boolean;
}

/** Attrs with every missing entry filled from the op's defaults, as analyzeGraph does. */
function withDefaults(def: OpDef, attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, spec] of Object.entries(def.attrs)) out[k] = spec.default;
  return { ...out, ...attrs };
}

function randn(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

interface CpuRun {
  y: Float32Array;
  dx: Float32Array | null;
  dParams: Record<string, Float32Array>;
}

/** The op file's forward then backward (adding into copies of `dx0`/`dParams0`). */
function cpuRun(def: OpDef, attrs: Attrs, inShape: number[], outShape: number[], x: Float32Array, params: Record<string, Float32Array>, dy: Float32Array, dx0: Float32Array | null, dParams0: Record<string, Float32Array>): CpuRun {
  const backend = createReferenceBackend();
  const workspace: Record<string, Tensor> = {};
  for (const spec of def.workspace?.({ inputs: [inShape], attrs, output: outShape }) ?? []) workspace[spec.name] = tensor(spec.shape);
  const paramTensors: Record<string, Tensor> = {};
  for (const spec of def.params?.({ inputs: [inShape], attrs }) ?? []) paramTensors[spec.name] = tensor(spec.shape, params[spec.name].slice());
  const fwd = { inputs: [tensor(inShape, x.slice())], output: tensor(outShape), params: paramTensors, buffers: {}, workspace, attrs, training: true, rng: new Rng(0), backend };
  const reference = referenceKernel(def);
  reference.forward(fwd);
  const dx = dx0 ? tensor(inShape, dx0.slice()) : null;
  const dParams: Record<string, Tensor> = Object.fromEntries(Object.entries(dParams0).map(([k, v]) => [k, tensor(paramTensors[k].shape, v.slice())]));
  reference.backward!({ ...fwd, dOutput: tensor(outShape, dy.slice()), dInputs: [dx], dParams });
  return { y: fwd.output.data, dx: dx?.data ?? null, dParams: Object.fromEntries(Object.entries(dParams).map(([k, v]) => [k, v.data])) };
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);
const absAll = (r: Record<string, Float32Array>): Record<string, Float32Array> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, abs(v)]));

/** A view of `n` elements at offset PAD of a fresh buffer holding `data` between sentinels. */
function upload(ctx: GpuContext, data: Float32Array): GpuTensor {
  const whole = ctx.createTensor(PAD + data.length + PAD);
  const init = new Float32Array(whole.length).fill(SENTINEL);
  init.set(data, PAD);
  ctx.write(whole, init);
  return gpuView(whole, PAD, data.length);
}

/** The view's values, after checking its buffer's sentinels. */
async function download(ctx: GpuContext, what: string, t: GpuTensor): Promise<Float32Array> {
  const all = await ctx.read({ buffer: t.buffer, offset: 0, length: PAD + t.length + PAD });
  for (const i of [...Array(PAD).keys()].flatMap((k) => [k, PAD + t.length + k])) expect(all[i], `${what}: sentinel ${i} overwritten`).toBe(SENTINEL);
  return all.subarray(PAD, PAD + t.length);
}

/** |got − want| ≤ 2·(m + 2)·u·mag per element (exact when m = 0); returns the worst |Δ|/mag. */
function compare(what: string, got: Float32Array, want: Float32Array, mag: Float32Array, m: number): number {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const bound = m === 0 ? 0 : 2 * (m + 2) * U * mag[i];
    if (!(d <= bound)) throw new Error(`${what}[${i}] = ${got[i]}, want ${want[i]}: |Δ| ${d} over the bound ${bound} (m = ${m}, Σ|terms| = ${mag[i]})`);
    if (mag[i] > 0) worst = Math.max(worst, d / mag[i]);
  }
  return worst;
}

/**
 * Run one case on the GPU and the CPU and compare (see the file comment). Returns the worst
 * |Δ|/Σ|terms| seen per tensor (for the record; the bounds are asserted here).
 */
export async function kernelParity(ctx: GpuContext, c: ParityCase): Promise<Record<string, number>> {
  const def = getOp(c.op);
  const kernel = gpuKernel(c.op);
  if (!def || !kernel) throw new Error(`${c.op}: no op or no GPU kernel`);
  const attrs = withDefaults(def, c.attrs);
  expect(kernel.unsupported?.(attrs) ?? null, `${c.op} refuses ${JSON.stringify(attrs)}`).toBeNull();
  const shape = def.inferShape({ inputs: [c.input], attrs });
  if (!shape.ok) throw new Error(`${c.op} ${JSON.stringify(c.attrs)} on [${c.input}]: ${shape.message}`);
  const outShape = shape.shape;
  const rng = new Rng(c.seed);
  const x = randn(sizeOf(c.input), rng);
  const params: Record<string, Float32Array> = {};
  const dParams0: Record<string, Float32Array> = {};
  for (const spec of def.params?.({ inputs: [c.input], attrs }) ?? []) {
    params[spec.name] = randn(sizeOf(spec.shape), rng);
    dParams0[spec.name] = randn(sizeOf(spec.shape), rng);
  }
  const dy = randn(sizeOf(outShape), rng);
  const dx0 = c.noInputGrad ? null : randn(x.length, rng);
  const garbage = randn(sizeOf(outShape), rng).map((v) => v * 1e3);

  const want = cpuRun(def, attrs, c.input, outShape, x, params, dy, dx0, dParams0);
  const mag = cpuRun(def, attrs, c.input, outShape, abs(x), absAll(params), abs(dy), dx0 && abs(dx0), absAll(dParams0));

  const gx = upload(ctx, x);
  const gy = upload(ctx, garbage);
  const gdy = upload(ctx, dy);
  const gdx = dx0 && upload(ctx, dx0);
  const gParams = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, upload(ctx, v)]));
  const gdParams = Object.fromEntries(Object.entries(dParams0).map(([k, v]) => [k, upload(ctx, v)]));
  const d = await ctx.checked(c.op, () =>
    kernel.prepare({
      ctx,
      nodeId: 'node',
      attrs,
      inputShapes: [c.input],
      outputShape: outShape,
      inputs: [gx],
      output: gy,
      params: gParams,
      dParams: gdParams,
      buffers: {},
      dOutput: gdy,
      dInputs: [gdx],
      workspace: (name, length) => ctx.createTensor(length, name),
      status: ctx.createTensor(2, 'status'),
      rng: new Rng(1),
    }),
  );
  expect(d.backward.length, `${c.op}: backward dispatches`).toBeGreaterThan(0);
  await ctx.checked(c.op, () => submitDispatches(ctx, [...d.forward, ...d.backward]));

  const worst: Record<string, number> = {};
  const check = async (name: string, t: GpuTensor, w: Float32Array, m: Float32Array) => {
    const terms = c.terms[name];
    if (terms === undefined) throw new Error(`${c.op}: no term count for ${name}`);
    worst[name] = compare(`${c.op} ${JSON.stringify(c.attrs)} [${c.input}] ${name}`, await download(ctx, name, t), w, m, terms);
  };
  await check('y', gy, want.y, mag.y);
  if (gdx) await check('dx', gdx, want.dx!, mag.dx!);
  for (const k of Object.keys(gdParams)) await check(k, gdParams[k], want.dParams[k], mag.dParams[k]);
  // The inputs the kernels only read are left as they were.
  expect(Array.from(await download(ctx, 'x', gx))).toEqual(Array.from(x));
  expect(Array.from(await download(ctx, 'dy', gdy))).toEqual(Array.from(dy));
  for (const t of [gx, gy, gdy, gdx, ...Object.values(gParams), ...Object.values(gdParams)]) t?.buffer.destroy();
  return worst;
}
