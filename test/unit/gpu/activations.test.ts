/**
 * The WGSL activations against the op files' own forward and backward (the CPU path), on random
 * inputs with exact zeros and large magnitudes mixed in, on whatever adapter `testGpu` finds.
 *
 * Bounds: ReLU is a compare and a select, so it must match exactly. LeakyReLU multiplies by the
 * slope in float32 on the GPU (as PyTorch's float kernel does) and by the float64 attribute on the
 * CPU, so it may differ by the rounding of the slope: |got − want| ≤ 2⁻²²·m.
 * m is |y| for the forward and |dx₀| + |dy| for the backward (dx₀ + f'(x)·dy, with |f'| ≤ 1, may
 * cancel, so the error scales with its terms, not with the sum).
 * Sigmoid, Tanh, SiLU, ELU, GELU and Softplus go through WGSL's `exp`/`tanh`/`log` (and GELU through an erf
 * approximation with absolute error ≤ 1.5e-7), whose accuracy the WGSL spec leaves to the
 * implementation (a few ulp, more for large |x|), against float64 `Math.exp`/`Math.tanh`/`erf`
 * rounded to float32 on the CPU: |got − want| ≤ 1e-5·(1 + m).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_KERNELS, prepareActivationBackward, prepareActivationForward } from '../../../src-engine/core/gpu/kernels/activations';
import { submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { GpuError, gpuView, type GpuContext } from '../../../src-engine/core/gpu/context';
import { getOp } from '../../../src-engine/core/ops/registry';
import { tensor } from '../../../src-engine/base/tensor';
import { Rng } from '../../../src-engine/base/rng';
import type { Attrs } from '../../../src-engine/base/ir/types';
import type { OpBackwardContext } from '../../../src-engine/core/ops/types';
import { testGpu } from './device';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

function inputs(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i % 17 === 0 ? 0 : i % 23 === 0 ? rng.normal() * 30 : rng.normal() * 3;
  return x;
}

function bound(op: string, m: number): number {
  if (op.startsWith('ReLU')) return 0;
  if (op.startsWith('LeakyReLU')) return 2 ** -22 * m;
  return 1e-5 * (1 + m);
}

/** Check `got` against `want`; `mag(i)` is m in the bounds above. */
function compare(op: string, got: Float32Array, want: Float32Array, mag: (i: number) => number): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= bound(op, mag(i)))) {
      throw new Error(`${op}[${i}] = ${got[i]}, want ${want[i]}`);
    }
  }
  expect(got.length).toBe(want.length);
}

describe('WGSL activations vs the op files', () => {
  // Every kernel, with the attributes it reads (GELU in both forms).
  const attrsOf: Record<string, Attrs> = { LeakyReLU: { negativeSlope: 0.2 }, ELU: { alpha: 1.5 }, GELU: { approximate: 'none' }, Softplus: { beta: 1, threshold: 20 }, Clip: { min: -0.5, max: 1.5 } };
  const cases: [string, Attrs][] = Object.keys(ACTIVATION_KERNELS).map((op) => [op, attrsOf[op] ?? {}]);
  cases.push(['GELU', { approximate: 'tanh' }]);
  cases.push(['Softplus', { beta: 2.5, threshold: 4 }]); // βx above the threshold on a good share of the inputs
  for (const [op, attrs] of cases) {
    it(`${op} ${JSON.stringify(attrs)}: forward and backward (dx accumulates) match the CPU op, also on views at offsets`, async () => {
      const def = getOp(op);
      if (!def) throw new Error(`${op} is not a registered op`);
      const n = 1000;
      const x = inputs(n, 1);
      const dy = inputs(n, 2);
      const dx0 = inputs(n, 3);
      const cpu = { inputs: [tensor([n], x)], output: tensor([n]), attrs, params: {}, buffers: {}, workspace: {}, training: true } as unknown as OpBackwardContext;
      const reference = referenceKernel(def);
      reference.forward(cpu);
      const dxWant = dx0.slice();
      reference.backward?.({ ...cpu, dOutput: tensor([n], dy), dInputs: [tensor([n], dxWant)], dParams: {} });

      const pad = 5; // views that start mid-buffer, as activations inside one arena will
      const gx = gpuView(ctx.createTensor(pad + n), pad, n);
      const gy = ctx.createTensor(n);
      const gdy = ctx.createTensor(n);
      const gdx = gpuView(ctx.createTensor(n + pad), pad, n);
      ctx.device.queue.writeBuffer(gx.buffer, pad * 4, x);
      ctx.write(gdy, dy);
      ctx.device.queue.writeBuffer(gdx.buffer, pad * 4, dx0);
      const fwd = await ctx.checked(op, () => prepareActivationForward(ctx, op, attrs, gx, gy));
      const bwd = await ctx.checked(op, () => prepareActivationBackward(ctx, op, attrs, gx, gdy, gdx));
      await ctx.checked(op, () => submitDispatches(ctx, [fwd, bwd]));
      compare(op, await ctx.read(gy), cpu.output.data, (i) => Math.abs(cpu.output.data[i]));
      compare(`${op} backward`, await ctx.read(gdx), dxWant, (i) => Math.abs(dx0[i]) + Math.abs(dy[i]));
    });
  }

  it('refuses an op without a GPU kernel and tensors of different lengths, with E_GPU_BAD_ARGS', () => {
    const a = ctx.createTensor(4);
    const b = ctx.createTensor(5);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof GpuError ? e.code : String(e);
      }
      return 'no error';
    };
    expect(code(() => prepareActivationForward(ctx, 'Noise', {}, a, b))).toBe('E_GPU_BAD_ARGS');
    expect(code(() => prepareActivationForward(ctx, 'ReLU', {}, a, b))).toBe('E_GPU_BAD_ARGS');
  });
});
