/**
 * The WGSL kernels of #29's import ops against their op files (the CPU path): Multiply with each
 * kind of broadcast (the squeeze-excite gate on either side, a broadcast on both sides, the same
 * shape, one input needing no gradient), Transpose (the channel shuffle, a rank-3 swap), Slice,
 * PReLU (negative, zero and positive values) and GroupNorm with and without affine. Forward and
 * backward (adding into gradients that already hold values), in views at odd offsets between
 * sentinels (kernel-harness.ts). Conv1d runs Conv2d's kernels on a [N, C, 1, L] view; the op suite's
 * gradient checks cover it.
 *
 * Bounds, per element. Copies (Transpose and Slice forward) are exact, and so are single float32
 * additions of the same two values (their backwards). A product accumulated into a gradient is one
 * float32 rounding on the CPU (a JS double `g + a·b`, rounded once on store) and up to two on the
 * GPU, per term: |Δ| ≤ 2·(m + 1)·2⁻²⁴·Σ|terms|, m the terms an element sums, Σ|terms| the op file
 * run on absolute values (the ops are linear in each operand): the bound of m float32 additions in
 * any order, so it holds the split sums (lanes, a tree, then chunks) as it does the gather. GroupNorm's statistics are float32
 * on the GPU and float64 in the op file: its bound is the LayerNorm test's (layer-norm.test.ts),
 * scaled by K = max|x|/σ of the group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { coverageOf } from '../../../src-engine/core/backend/coverage';
import { expectWithin, parity as parityOn, randomCase as make, runCpu, runGpu } from './kernel-harness';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const parity = (c: Parameters<typeof parityOn>[1], terms: Record<string, number>) => parityOn(ctx, c, terms);

describe('WGSL Multiply vs the op file', () => {
  const cases: [string, number[][], number[]?][] = [
    ['the gate second, [N, C, H, W] × [N, C, 1, 1]', [[2, 3, 4, 5], [2, 3, 1, 1]]],
    ['the gate first', [[2, 4, 1, 1], [2, 4, 3, 3]]],
    ['broadcast on both sides, [N, 1, H, 1] × [N, C, 1, W]', [[2, 1, 3, 1], [2, 4, 1, 5]]],
    ['the same shape', [[3, 7], [3, 7]]],
    ['the gate needs no gradient', [[2, 3, 2, 2], [2, 3, 1, 1]], [1]],
    // 32 values or more a gate value: its gradient is a column sum split over workgroups (binary.ts splitBackward).
    ['a gate over 7×7 planes (split: 4 gates a workgroup)', [[3, 5, 7, 7], [3, 5, 1, 1]]],
    ['a gate first over 40×50 planes (split: 2 chunks a gate)', [[2, 3, 1, 1], [2, 3, 40, 50]]],
    ['a per-channel scale [1, C, 1, 1] (split over N·H·W)', [[4, 6, 5, 9], [1, 6, 1, 1]]],
    ['a row [1, D] of [N, D] (split, D side by side)', [[300, 70], [1, 70]]],
  ];
  cases.forEach(([name, shapes, noGrad], i) => {
    it(name, async () => {
      const out = shapes[0].map((d, k) => Math.max(d, shapes[1][k]));
      // The most outputs any input value is read by, plus its initial gradient.
      const reps = (s: number[]) => size(out) / size(s);
      await parity(make('Multiply', shapes, {}, 100 + 7 * i, { noGrad }), { y: 1, dx0: reps(shapes[0]), dx1: reps(shapes[1]) });
    }, 60_000);
  });
});

describe('WGSL Transpose and Slice vs the op files: exact', () => {
  it('the channel shuffle (0, 2, 1, 3, 4) and a swap (0, 2, 1)', async () => {
    await parity(make('Transpose', [[2, 2, 3, 2, 2]], { perm: [0, 2, 1, 3, 4] }, 5), { y: 0, dx0: 0 });
    await parity(make('Transpose', [[3, 5, 7]], { perm: [0, 2, 1] }, 6), { y: 0, dx0: 0 });
    await parity(make('Transpose', [[2, 3, 2, 4]], { perm: [0, 3, 1, 2] }, 7), { y: 0, dx0: 0 });
  }, 60_000);
  it('channels [3, 6) of 6, and the middle of the last dim', async () => {
    await parity(make('Slice', [[2, 6, 3, 2]], { axis: 1, start: 3, length: 3 }, 8), { y: 0, dx0: 0 });
    await parity(make('Slice', [[2, 3, 7]], { axis: 2, start: 2, length: 4 }, 9), { y: 0, dx0: 0 });
  }, 60_000);
});

describe('WGSL PReLU vs the op file', () => {
  it('[N, C, H, W] and [N, C]: values of both signs and exact zeros (every 17th)', async () => {
    for (const [shape, seed] of [[[2, 3, 4, 5], 11], [[5, 4], 12]] as const) {
      const c = make('PReLU', [[...shape]], {}, seed, { params: { weight: shape[1] } });
      // dw sums x·dy over every x ≤ 0 of its channel: N·plane terms at most.
      await parity(c, { y: 0, dx0: 1, weight: size([...shape]) / shape[1] + 1 });
    }
  }, 60_000);
});

describe('WGSL GroupNorm vs the op file', () => {
  const cases: [string, number[], Record<string, unknown>][] = [
    ['2 groups of [N, C, H, W], affine', [2, 4, 3, 5], { numGroups: 2 }],
    ['3 groups of [N, C, L], no affine, eps 1e-3', [3, 6, 7], { numGroups: 3, affine: false, eps: 1e-3 }],
    ['one group per channel (InstanceNorm), 300 values a group (a workgroup’s shares uneven)', [2, 2, 15, 20], { numGroups: 2 }],
  ];
  cases.forEach(([name, shape, attrs], i) => {
    it(name, async () => {
      const affine = attrs.affine !== false;
      const c = make('GroupNorm', [shape], attrs, 300 + i, affine ? { params: { weight: shape[1], bias: shape[1] } } : {});
      const want = runCpu(c);
      const got = await runGpu(ctx, c);
      const groups = attrs.numGroups as number;
      const per = size(shape.slice(2));
      const d = (shape[1] / groups) * per;
      // K = max|x|/σ and max|x̂| of the element's group, from the op file's output (x̂ = y without affine).
      const x = c.inputs[0];
      const stats = (g: number) => {
        let mean = 0;
        for (let j = 0; j < d; j++) mean += x[g * d + j];
        mean /= d;
        let v = 0;
        let m = 0;
        for (let j = 0; j < d; j++) {
          v += (x[g * d + j] - mean) ** 2;
          m = Math.max(m, Math.abs(x[g * d + j]));
        }
        const sigma = Math.sqrt(v / d + ((attrs.eps as number | undefined) ?? 1e-5));
        return { k: m / sigma, inv: 1 / sigma };
      };
      const byGroup = Array.from({ length: shape[0] * groups }, (_, g) => stats(g));
      const E = 1e-5;
      const gamma = c.params?.weight;
      const beta = c.params?.bias;
      const ch = (i: number) => Math.floor(i / per) % shape[1];
      expectWithin('y', got.output, want.output, (i) => E * ((gamma ? Math.abs(gamma[ch(i)]) : 1) * byGroup[Math.floor(i / d)].k + (beta ? Math.abs(beta[ch(i)]) : 0)));
      const dy = c.dOutput;
      expectWithin('dx', got.dInputs[0]!, want.dInputs[0]!, (i) => {
        const g = byGroup[Math.floor(i / d)];
        let a = 0;
        for (let j = Math.floor(i / d) * d; j < (Math.floor(i / d) + 1) * d; j++) a = Math.max(a, Math.abs(dy[j] * (gamma ? gamma[ch(j)] : 1)));
        return E * (Math.abs(c.dInputs[0]![i]) + g.inv * a * (1 + 4 * g.k) * (1 + g.k));
      });
      if (gamma) {
        // dβ adds the same float32 dy values, split over workgroups (column-sum.ts) in another
        // order than the op file's: the bound of any order of summation; dγ carries x̂'s error too.
        expectWithin('dbias', got.dParams.bias, want.dParams.bias, (k) => {
          let s = Math.abs(c.dParams!.bias[k]);
          for (let n = 0; n < shape[0]; n++) for (let p = 0; p < per; p++) s += Math.abs(dy[(n * shape[1] + k) * per + p]);
          return E * s;
        });
        expectWithin('dweight', got.dParams.weight, want.dParams.weight, (k) => {
          let s = Math.abs(c.dParams!.weight[k]);
          for (let n = 0; n < shape[0]; n++) for (let p = 0; p < per; p++) {
            const at = (n * shape[1] + k) * per + p;
            s += Math.abs(dy[at]) * (4 + byGroup[Math.floor(at / d)].k);
          }
          return E * s;
        });
      }
    }, 60_000);
  });
});

it('the coverage query lists no missing GPU kernel for #29’s import ops', () => {
  for (const op of ['Multiply', 'Transpose', 'Slice', 'PReLU', 'GroupNorm', 'Conv1d']) expect(coverageOf(op)!.gpu, op).toBe(true);
});
