/**
 * The WGSL ConvTranspose2d (`kernels/conv-transpose.ts`, through Conv2d's shaders) against
 * `core/ops/conv-transpose2d.ts` (reference backend) on odd sizes and every attribute the op
 * file takes: stride, padding, output padding (also ≥ stride, allowed with dilation), dilation,
 * groups (depthwise too), with and without bias, a stride larger than the kernel (output pixels no
 * window reaches: bias only), and an input without a gradient. Forward, dx, dW and db, each
 * adding into random initial gradients, in views at odd offsets between sentinels.
 *
 * Bound (kernel-parity.ts): |gpu − cpu| ≤ 2·(m + 2)·2⁻²⁴·Σ|terms| per element, m the longest
 * sum: y sums (inC/groups)·kH·kW products and the bias (the op file: a float64 GEMM over the
 * input channels, then float32 col2im additions over the taps); dx sums (outC/groups)·kH·kW
 * products and its initial value; dW sums N·H·W products and its initial value; db sums
 * N·outH·outW values and its initial value. Σ|terms| is the op file run on absolute values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attrs } from '../../../src-engine/base/ir/types';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { convTranspose2dPlan } from '../../../src-engine/core/ops/conv-transpose2d';
import { getOp } from '../../../src-engine/core/ops/registry';
import { testGpu } from './device';
import { kernelParity } from './kernel-parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

/** The term counts of the bound, from the geometry. */
function terms(input: number[], attrs: Attrs): Record<string, number> {
  const def = getOp('ConvTranspose2d')!;
  const full: Attrs = { ...Object.fromEntries(Object.entries(def.attrs).map(([k, s]) => [k, s.default])), ...attrs };
  const c = convTranspose2dPlan(input, full);
  const taps = c.k[0] * c.k[1];
  return {
    y: (c.inC / c.groups) * taps + 1,
    dx: (c.outC / c.groups) * taps + 1,
    weight: c.n * c.h * c.w + 1,
    bias: c.n * c.outH * c.outW + 1,
  };
}

const CASES: [string, number[], Attrs, boolean?][] = [
  ['the defaults (k2, stride 2), odd image', [3, 3, 5, 7], { outChannels: 5 }],
  ['k3, stride 2, padding 1, output padding 1', [2, 3, 5, 3], { outChannels: 4, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] }],
  [
    'rectangular k2×3, stride 1×2, padding 0×1, output padding 1×0 < dilation 2×1, groups 2, no bias',
    [2, 4, 3, 5],
    { outChannels: 6, kernelSize: [2, 3], stride: [1, 2], padding: [0, 1], outputPadding: [1, 0], dilation: [2, 1], groups: 2, bias: false },
  ],
  ['depthwise (groups = channels), stride 3 > kernel 2 (unreached pixels), output padding 2×1', [2, 3, 3, 4], { outChannels: 3, kernelSize: [2, 2], stride: [3, 3], outputPadding: [2, 1], groups: 3 }],
  ['k5, padding 2 cropping, dilation 1×3, stride 1', [1, 2, 6, 7], { outChannels: 2, kernelSize: [5, 3], stride: [1, 1], padding: [2, 2], dilation: [1, 3] }],
  ['dilation 2, stride 1, output padding 1 ≥ stride', [2, 2, 4, 3], { outChannels: 3, kernelSize: [3, 3], stride: [1, 1], dilation: [2, 2], outputPadding: [1, 1] }],
  ['groups 3 with 2 in / 2 out per group, stride 2×3, padding 1×2', [3, 6, 4, 3], { outChannels: 6, kernelSize: [3, 4], stride: [2, 3], padding: [1, 2], groups: 3 }],
  ['an input without a gradient (a first layer)', [2, 2, 3, 3], { outChannels: 3, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, true],
];

describe('WGSL ConvTranspose2d vs the op file', () => {
  CASES.forEach(([name, input, attrs, noInputGrad], i) => {
    it(`${name}: forward, dx, dW, db`, async () => {
      const worst = await kernelParity(ctx, { op: 'ConvTranspose2d', attrs, input, seed: 100 + i, terms: terms(input, attrs), noInputGrad });
      expect(Object.keys(worst).sort()).toEqual(['y', ...(noInputGrad ? [] : ['dx']), 'weight', ...(attrs.bias === false ? [] : ['bias'])].sort());
    }, 60_000);
  });
});
