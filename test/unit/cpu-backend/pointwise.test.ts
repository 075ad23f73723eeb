/**
 * 1×1 stride-1 Conv2d on small planes ('pointwise': gemm.wat's gemmSampleCols / gemmSampleDepth, the
 * batch's planes as one GEMM's columns or depth, read in place). y and dx are the same bits as a
 * GEMM per sample (each element's sum runs over the same depth blocks whatever the columns beside
 * it); the weight gradient sums the whole batch in every task (split by output channels), so it is
 * the same bits on 1 and 2 threads; all three against the reference backend as overrides.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { conv2dAlgorithm } from '../../../src-engine/node/cpu/overrides/conv2d';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { runOp, withDefaults } from '../engine/harness';
import { scaledDiff } from './scaled-diff';
import { expectSameValues } from '../same-values';

let one: CpuBackend;
let two: CpuBackend;
beforeAll(async () => {
  [one, two] = await Promise.all([createCpuBackend({ threads: 1 }), createCpuBackend({ threads: 2 })]);
});
afterAll(() => {
  one?.dispose();
  two?.dispose();
});

function randn(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

const CONV = getOp('Conv2d')!;

// [N, C, H, W] → Cout, bias. 7×7: 49-column planes, a tile across two samples' planes at every
// sample's end; 16 samples: 784 columns, past one NC block of 512; C 300: two depth blocks (KC 256);
// Cout odd: a last row panel of one. 3×3 and 1×1 (a squeeze-excite layer): several samples in a tile.
const CASES: [label: string, shape: number[], outC: number, bias: boolean][] = [
  ['300→37 on 7×7, batch 16', [16, 300, 7, 7], 37, false],
  ['24→96 on 14×14 with bias, batch 5', [5, 24, 14, 14], 96, true],
  ['12→5 on 3×3, batch 7', [7, 12, 3, 3], 5, true],
  ['40→17 on 1×1 (squeeze-excite), batch 16', [16, 40, 1, 1], 17, true],
];

/** y = W·x_s and dx = Wᵀ·dy_s by the backend's GEMM, one sample at a time. */
function perSample(be: CpuBackend, x: Tensor, weight: Tensor, dy: Tensor, outC: number): { y: Float32Array; dx: Float32Array } {
  const [n, c, h, w] = x.shape;
  const L = h * w;
  const y = new Float32Array(n * outC * L);
  const dx = new Float32Array(n * c * L);
  const out = be.alloc(Math.max(outC, c) * L);
  for (let s = 0; s < n; s++) {
    be.gemm({ transA: false, transB: false, m: outC, n: L, k: c, a: weight.data, b: x.data.subarray(s * c * L, (s + 1) * c * L), c: out, accumulate: false });
    y.set(out.subarray(0, outC * L), s * outC * L);
    be.gemm({ transA: true, transB: false, m: c, n: L, k: outC, a: weight.data, b: dy.data.subarray(s * outC * L, (s + 1) * outC * L), c: out, accumulate: false });
    dx.set(out.subarray(0, c * L), s * c * L);
  }
  return { y, dx };
}

describe('Conv2d 1×1 on small planes runs the batch as one GEMM', () => {
  for (const [label, shape, outC, bias] of CASES) {
    it(label, () => {
      const attrs: Attrs = { outChannels: outC, kernelSize: [1, 1], bias };
      expect(conv2dAlgorithm(shape, withDefaults(CONV, attrs))).toEqual({ forward: 'pointwise', inputGrad: 'pointwise', weightGrad: 'pointwise' });
      const x = randn(shape, 1);
      const [n, c, h, w] = shape;
      const dOutput = randn([n, outC, h, w], 2);
      const opts = { inputs: [x], attrs, training: true, seed: 3, dOutput };
      const want = runOp(CONV, { ...opts, backend: createReferenceBackend() });
      const got = runOp(CONV, { ...opts, backend: two });
      const single = runOp(CONV, { ...opts, backend: one, freshInputGradients: true });
      expect(scaledDiff(got.output.data, want.output.data), 'y').toBeLessThanOrEqual(1e-5);
      expect(scaledDiff(got.dInputs[0]!.data, want.dInputs[0]!.data), 'dx').toBeLessThanOrEqual(1e-5);
      for (const [k, v] of Object.entries(want.dParams)) expect(scaledDiff(got.dParams[k].data, v.data), k).toBeLessThanOrEqual(1e-4);
      // The weight and bias gradients: the same bits on 1 and 2 threads.
      for (const [k, v] of Object.entries(got.dParams)) expectSameValues(single.dParams[k].data, v.data, `${k}, 1 and 2 threads`);
      // y (before its bias) and dx: a GEMM per sample's bits, on either thread count; dx assigned where fresh.
      const ref = perSample(two, x, got.params.weight, dOutput, outC);
      const b = got.params.bias?.data;
      const L = h * w;
      const y = bias ? ref.y.map((v, i) => v + b![Math.floor(i / L) % outC]) : ref.y;
      for (const r of [got, single]) {
        expectSameValues(r.output.data, y, 'y');
        expectSameValues(r.dInputs[0]!.data, ref.dx, 'dx');
      }
      // Only channels [1, c − 1) of dx read after it (a Concat's inputs), fresh or added into, with the
      // weight gradient or without: those the same bits, the others 0.
      const read = [1, c - 1] as const;
      for (const [fresh, unwanted] of [[true, true], [true, false], [false, false]]) {
        const part = runOp(CONV, { ...opts, backend: two, dInputsRead: [read], freshInputGradients: fresh, unwantedParamGradients: unwanted });
        const inRead = (i: number) => Math.floor(i / L) % c >= read[0] && Math.floor(i / L) % c < read[1];
        expectSameValues(part.dInputs[0]!.data, ref.dx.map((v, i) => (inRead(i) ? v : 0)), `dx, channels ${read.join('…')}, fresh ${fresh}, dW ${!unwanted}`);
        if (unwanted) for (const [k, v] of Object.entries(part.dParams)) expect(v.data.every((g) => g === 7.5), `${k} untouched`).toBe(true);
      }
      // The forward of samples [2, 4) only (OpForwardContext.rows): theirs the same bits.
      const rows = runOp(CONV, { ...opts, backend: two, forwardOnly: true, rows: [2, 4] });
      const per = outC * L;
      expectSameValues(rows.output.data.subarray(2 * per, 4 * per), y.subarray(2 * per, 4 * per), 'y of samples 2…4');
    });
  }
});
