/**
 * The GAN ops' WGSL kernels (`kernels/noise.ts`, `kernels/gan.ts`) against their op files, on
 * whatever adapter `testGpu` finds (SwiftShader here).
 *
 * Bounds (u = 2⁻²⁴):
 * - Noise: the kernel repeats the op file's float32 operations in the same order (integer
 *   operations, exact conversions, +, −, ×, which WGSL rounds correctly), so on SwiftShader it
 *   must give the same bits, and does. A conforming GPU may fuse a·b + c into one fma (WGSL does
 *   not forbid the contraction), each fusion changing a rounding: over the ~40 operations of an
 *   element that is a few ulps of values up to √(48 ln 2) ≈ 5.8, hence |Δ| ≤ 2e-6 elsewhere.
 * - RealFakeBatch: copies, and float32 additions of the same two numbers: exact.
 * - GANLoss forward: softplus through WGSL's `log`, whose error in [0.5, 2] (here: log(1 + e^−|z|))
 *   is left at 2⁻²¹ absolute, plus a float32 sum of n non-negative terms against the op file's
 *   float64 one: |Δ| ≤ 2⁻²¹ + (2n + 16)·u·|loss|.
 * - GANLoss backward: dx₀ + s·g·σ(s·x) with WGSL's `exp` (3 + 2|x| ulps by the spec) and
 *   division (2.5 ulps): |Δ| ≤ u·(2|dx₀| + (16 + 2|x|)·|g|), g = dLoss/count ≥ |the term|.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';
import { gpuView, type GpuContext } from '../../../src-engine/core/gpu/context';
import { submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { wgslF32 } from '../../../src-engine/core/gpu/kernels/noise';
import { gpuKernel } from '../../../src-engine/core/gpu/kernels/registry';
import { noiseKernel } from '../../../src-engine/core/ops/kernels/noise';
import { softplus } from '../../../src-engine/core/ops/special';
import type { OpForwardContext } from '../../../src-engine/core/ops/types';
import { expectWithin, outputShapeOf, runCpu, runGpu, values, type KernelCase } from './kernel-harness';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const U = 2 ** -24;

describe('Noise on the GPU', () => {
  /** The op file's forward into a fresh array (training: from `rng`; eval: from the node's seed). */
  function cpuNoise(shape: number[], attrs: { shape: number[]; seed: number }, training: boolean, rng: Rng): Float32Array {
    const out = tensor(shape);
    noiseKernel.forward({ inputs: [tensor([shape[0], 1])], output: out, params: {}, buffers: {}, workspace: {}, attrs, training, rng } as unknown as OpForwardContext);
    return out.data;
  }

  it('writes hexadecimal float literals that are the float32 bit patterns', () => {
    expect(wgslF32(0x3f800000)).toBe('0x1.000000p0f');
    expect(wgslF32(0xbda06006)).toBe('-0x1.40c00cp-4f');
    expect(wgslF32(0x3fb504f3)).toBe('0x1.6a09e6p0f');
    expect(wgslF32(0)).toBe('0.0f');
  });

  it('draws the op file\'s noise (the same bits on SwiftShader): training forwards from the Rng, each a fresh key; eval from the node\'s seed', async () => {
    const swiftshader = ctx.adapter.architecture === 'swiftshader';
    for (const [batch, per, seed] of [[37, [3, 5], 0], [4096, [32], 7]] as const) {
      const shape = [batch, ...per];
      const attrs = { shape: [...per], seed };
      const n = shape.reduce((a, b) => a * b, 1);
      const pad = 3;
      const whole = ctx.createTensor(n + 2 * pad);
      ctx.write(whole, new Float32Array(n + 2 * pad).fill(-99));
      const output = gpuView(whole, pad, n);
      const gpuRng = new Rng(42);
      const cpuRng = new Rng(42);
      const d = await ctx.checked('Noise', () =>
        gpuKernel('Noise')!.prepare({
          ctx,
          nodeId: 'z',
          attrs,
          inputShapes: [[batch, 1]],
          outputShape: shape,
          inputs: [ctx.createTensor(batch)],
          output,
          params: {},
          dParams: {},
          buffers: {},
          dOutput: null,
          dInputs: [null],
          workspace: (name, length) => ctx.createTensor(length, name),
          status: ctx.createTensor(2),
          rng: gpuRng,
        }),
      );
      expect(d.backward).toEqual([]);
      const draws: Float32Array[] = [];
      for (const training of [true, true, false, true, false]) {
        d.beforeForward!(training);
        await ctx.checked('Noise', () => submitDispatches(ctx, training ? d.forward : d.evalForward!));
        const all = await ctx.read(whole);
        expect([...all.subarray(0, pad), ...all.subarray(pad + n)], 'sentinels').toEqual(new Array(2 * pad).fill(-99));
        const got = all.subarray(pad, pad + n);
        const want = cpuNoise(shape, attrs, training, cpuRng);
        let differing = 0;
        for (let i = 0; i < n; i++) if (got[i] !== want[i]) differing++;
        if (swiftshader) expect(differing, `${shape} training=${training}: elements whose bits differ`).toBe(0);
        expectWithin(`Noise ${shape} training=${training}`, got, want, () => 2e-6);
        draws.push(got.slice());
      }
      // Both Rngs drew the same words (four per training forward, none in eval).
      expect(gpuRng.nextU32()).toBe(cpuRng.nextU32());
      expect(draws[1]).not.toEqual(draws[0]);
      expect(draws[3]).not.toEqual(draws[1]);
      expect(draws[4]).toEqual(draws[2]);
    }
  }, 60_000);
});

describe('RealFakeBatch on the GPU', () => {
  it('joins real then fake (forward) and adds each half of dy into the input that needs it, exactly', async () => {
    const cases: KernelCase[] = [
      { op: 'RealFakeBatch', inputShapes: [[3, 1, 2, 2], [3, 1, 2, 2]], inputs: [values(12, 1), values(12, 2)], dOutput: values(24, 3), dInputs: [values(12, 4), values(12, 5)] },
      // The template's shape: real images (an Input: no gradient) and the generator's samples.
      { op: 'RealFakeBatch', inputShapes: [[2, 1, 28, 28], [2, 1, 28, 28]], inputs: [values(1568, 6), values(1568, 7)], dOutput: values(3136, 8), dInputs: [null, values(1568, 9)] },
      // Unequal halves are not the GAN's use, but the op allows them.
      { op: 'RealFakeBatch', inputShapes: [[5, 3], [2, 3]], inputs: [values(15, 10), values(6, 11)], dOutput: values(21, 12), dInputs: [values(15, 13), null] },
    ];
    for (const c of cases) {
      const want = runCpu(c);
      const got = await runGpu(ctx, c);
      expect(Array.from(got.output), `${c.inputShapes} forward`).toEqual(Array.from(want.output));
      got.dInputs.forEach((g, i) => expect(g && Array.from(g), `${c.inputShapes} d${i}`).toEqual(want.dInputs[i] && Array.from(want.dInputs[i])));
    }
  });
});

describe('OneHot on the GPU', () => {
  it('writes the op file\'s rows exactly: labels, truncation, negative indices (out of range: sequence-ops.test.ts)', async () => {
    const labels = Float32Array.from({ length: 70 }, (_, i) => i % 10);
    const odd = Float32Array.of(2.9, -1, -3, 2, -2, 1.5, -2.5, 0.5, -0.5, 2);
    const cases: KernelCase[] = [
      // The conditional template's: 64 labels of MNIST's 10 classes, and a batch not a multiple of the workgroup.
      { op: 'OneHot', attrs: { numClasses: 10 }, inputShapes: [[70]], inputs: [labels], dOutput: values(700, 1), dInputs: [null] },
      { op: 'OneHot', attrs: { numClasses: 3 }, inputShapes: [[2, 5]], inputs: [odd], dOutput: values(30, 2), dInputs: [null] },
    ];
    for (const c of cases) {
      const want = runCpu(c);
      const got = await runGpu(ctx, c);
      expect(Array.from(got.output), `${c.inputShapes}`).toEqual(Array.from(want.output));
    }
  });
});

describe('GANLoss on the GPU', () => {
  for (const player of ['discriminator', 'generator'] as const) {
    it(`${player}: the loss and dx (adding) of the op file, within the bounds above, for [2N, 1] and [2N] scores`, async () => {
      for (const [shape, scale] of [[[6, 1], 2], [[600], 3], [[1000, 1], 8]] as const) {
        const n = shape[0];
        const x = values(n, n + 1, scale);
        x[1] = 40; // saturated scores: σ → 1 and σ → 0, softplus → |x| and → 0
        x[n - 2] = -45;
        const c: KernelCase = { op: 'GANLoss', attrs: { player }, inputShapes: [[...shape]], inputs: [x], dOutput: Float32Array.of(1.7), dInputs: [values(n, n + 2)] };
        expect(outputShapeOf(c)).toEqual([]);
        const want = runCpu(c);
        const got = await runGpu(ctx, c);
        const count = player === 'generator' ? n / 2 : n;
        const loss = want.output[0];
        const worstF = expectWithin(`${player} ${shape} loss`, got.output, want.output, () => 2 ** -21 + (2 * count + 16) * U * Math.abs(loss));
        const g = 1.7 / count;
        const dx0 = c.dInputs[0]!;
        const worstB = expectWithin(`${player} ${shape} dx`, got.dInputs[0]!, want.dInputs[0]!, (i) => U * (2 * Math.abs(dx0[i]) + (16 + 2 * Math.abs(x[i])) * g));
        // The generator's loss reads the fake half only: the real half's gradient is untouched.
        if (player === 'generator') expect(Array.from(got.dInputs[0]!.subarray(0, n / 2))).toEqual(Array.from(dx0.subarray(0, n / 2)));
        // The loss really is the mean softplus the docs say (a cross-check of the op file itself).
        let direct = 0;
        for (let i = player === 'generator' ? n / 2 : 0; i < n; i++) direct += softplus(i < n / 2 || player === 'generator' ? -x[i] : x[i]);
        expect(loss).toBeCloseTo(direct / count, 5);
        expect(worstF).toBeLessThanOrEqual(1);
        expect(worstB).toBeLessThanOrEqual(1);
      }
    });
  }

  it('a GANLoss whose input needs no gradient has no backward', async () => {
    const c: KernelCase = { op: 'GANLoss', attrs: { player: 'generator' }, inputShapes: [[4, 1]], inputs: [values(4, 1)], dOutput: Float32Array.of(1), dInputs: [null] };
    const got = await runGpu(ctx, c);
    expect(got.output[0]).toBeCloseTo(runCpu(c).output[0], 6);
  });
});
