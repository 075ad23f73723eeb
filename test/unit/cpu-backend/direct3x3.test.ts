/**
 * Direct 3×3, stride-1 convolutions on the CPU backend (kernels/winograd.wat, direct3x3Forward and
 * direct3x3WeightGrad), the algorithm for 3×3 layers with fewer than 8 output channels (a
 * decoder's last layer, back to 1–3 channels): forward, input gradient
 * and weight gradient against a float64 convolution and the reference backend, on shapes whose
 * rows end in 0–3 leftover columns (the kernels' partial vectors), padding 0–3 (dx crops dy past
 * 2), 1 and 2 threads.
 *
 * NOTE (bound): the kernels add exact float32 products, like im2col's GEMM: an output sums 9·C
 * products (9·Cout for dx) plus the bias, so its error is at most depth·2⁻²⁴·Σ|x||w| to first
 * order. dW and db sum every sample's n·oH·oW products in f32x4 lanes, then per task, then up to 16
 * task partials. A wrong tap, lane or padding is off by ~2²⁴ times that.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackends } from './backends';
import { conv2dAlgorithm } from '../../../src-engine/node/cpu/overrides/conv2d';
import { runOp } from '../engine/harness';
import { attrsOf, CONV, EPS, label, runCase, worstRatio, type Case } from './conv-exact';
import { expectSameValues } from '../same-values';

const cpu = cpuBackends();

const CASES: Case[] = [
  { n: 4, c: 16, h: 28, w: 28, outC: 1, p: [1, 1], bias: true }, // a denoiser's last layer, fewer samples
  { n: 3, c: 3, h: 11, w: 13, outC: 3, p: [1, 1], bias: true }, // colour in and out, 13 = 3 vectors + 1
  { n: 2, c: 2, h: 7, w: 6, outC: 5, p: [0, 0], bias: false }, // oW 4: one whole vector
  { n: 5, c: 1, h: 6, w: 9, outC: 3, p: [2, 0], bias: true }, // oW 7: one vector + 3
  { n: 2, c: 9, h: 5, w: 4, outC: 7, p: [3, 1], bias: true }, // padding > 2: dx crops dy
  { n: 3, c: 12, h: 9, w: 10, outC: 3, p: [1, 1], bias: true },
  { n: 1, c: 4, h: 3, w: 3, outC: 2, p: [0, 0], bias: false }, // one output pixel
  { n: 8, c: 3, h: 16, w: 17, outC: 4, p: [1, 2], bias: true }, // oW 19 = 4 vectors + 3
  { n: 2, c: 40, h: 6, w: 5, outC: 1, p: [1, 1], bias: true },
];

describe('direct 3×3 convolutions (few output channels)', () => {
  for (const k of CASES) {
    it(label(k), () => {
      const attrs = attrsOf(k);
      const shape = [k.n, k.c, k.h, k.w];
      expect(conv2dAlgorithm(shape, attrs)).toEqual({ forward: 'direct', inputGrad: 'direct', weightGrad: 'direct' });
      const { x, params, dOutput, oh, ow, one, two, ref, exact } = runCase(k, cpu.one, cpu.two);
      const positions = k.n * oh * ow;
      for (const got of [one, two]) {
        expect(worstRatio(got.output.data, exact.y, exact.yScale), 'forward error / (2⁻²⁴·Σ|x||w|)').toBeLessThanOrEqual(9 * k.c + 1);
        expect(worstRatio(got.dInputs[0]!.data, exact.dx, exact.dxScale), 'dx error / (2⁻²⁴·Σ|dy||w|)').toBeLessThanOrEqual(9 * k.outC);
        expect(worstRatio(got.dParams.weight.data, exact.dW, exact.dWScale), 'dW error / (2⁻²⁴·Σ|dy||x|)').toBeLessThanOrEqual(positions + 16);
        if (k.bias) expect(worstRatio(got.dParams.bias.data, exact.db, exact.dbScale), 'db error / (2⁻²⁴·Σ|dy|)').toBeLessThanOrEqual(positions + 16);
      }
      // Against the reference backend, which sums the same products one by one in float32: within
      // both bounds added.
      const near = (got: Float32Array, want: Float32Array, scale: Float64Array, depth: number): boolean =>
        got.every((v, i) => Math.abs(v - want[i]) <= 2 * depth * EPS * scale[i]);
      expect(near(one.output.data, ref.output.data, exact.yScale, 9 * k.c + 1), 'forward vs reference').toBe(true);
      expect(near(one.dInputs[0]!.data, ref.dInputs[0]!.data, exact.dxScale, 9 * k.outC), 'dx vs reference').toBe(true);
      expect(near(one.dParams.weight.data, ref.dParams.weight.data, exact.dWScale, positions + 16), 'dW vs reference').toBe(true);
      // A fresh input gradient (stale memory the executor leaves unzeroed) is assigned.
      const fresh = runOp(CONV, { inputs: [x], attrs, params, dOutput, backend: cpu.two, freshInputGradients: true });
      expect(fresh.dInputs[0]!.data.every((v, i) => v === two.dInputs[0]!.data[i]), 'fresh dx = accumulated dx').toBe(true);
      // Each output is computed by one task the same way: 1 and 2 threads agree bit for bit.
      expectSameValues(two.output.data, one.output.data);
      expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    });
  }
  it('is not picked with 8 or more output channels (im2col, its image-channel form "shallow" or Winograd are faster there)', () => {
    expect(conv2dAlgorithm([64, 1, 28, 28], attrsOf({ ...CASES[0], c: 1, outC: 32 })).forward).toBe('im2col');
    expect(conv2dAlgorithm([64, 3, 32, 32], attrsOf({ ...CASES[0], c: 3, outC: 8 })).forward).toBe('shallow');
    expect(conv2dAlgorithm([64, 32, 14, 14], attrsOf({ ...CASES[0], c: 32, outC: 64 })).forward).toBe('winograd');
    expect(conv2dAlgorithm([64, 32, 14, 14], attrsOf({ ...CASES[0], c: 32, outC: 7, p: [1, 1] })).forward).toBe('direct');
  });
});
