/**
 * Winograd F(2×2, 3×3) convolutions on the CPU backend (kernels/winograd.wat): forward, input
 * gradient and weight gradient against a float64 direct convolution and the reference backend, on
 * random shapes (odd sizes that leave partial tiles, padding 0–3, channel counts that are not
 * multiples of 4, one and several samples), 1 and 2 threads (bit-identical outputs and dx), and
 * the dispatch choosing Winograd for the MNIST CNN's second convolution.
 *
 * NOTE (bound): Winograd rounds transformed values, not the products of a direct convolution, so
 * its error is measured against the magnitudes it computes with: per output, S = the tile's
 * Σ_c |Aᵀ|((|G||g||G|ᵀ) ⊙ (|B|ᵀ|d||B|))|A| (+ |bias|), see winogradScale (and
 * winogradWeightScale for dW). To first order each rounding adds at most 2⁻²⁴ relative to that
 * scale: 2 in the input transform (two levels of ±), 4 in the kernel transform (×½ is exact), 1
 * per product, depth − 1 in the GEMM's sum (over C forward, Cout for dx, the batch's tiles for dW),
 * 5 in the output transform and bias (4 in Gᵀ·G for dW, plus up to 16 task partial sums). So we
 * assert |got − exact| ≤ (depth + 16)·2⁻²⁴·S: the worst case, with room for second-order terms.
 * Measured on these cases: ≤ 0.7·2⁻²⁴·S forward, ≤ 1.5 for dx, ≤ 0.4 for dW (rounding errors
 * mostly cancel; the bound is a worst case). A wrong tile, lane or padding gives errors ~2²⁴ times
 * larger. Compared with Σ|x||w| per output (the direct convolution's scale) the error is a few
 * times larger at borders, where few taps reach the output but the whole tile is transformed.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackends } from './backends';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { conv2dAlgorithm } from '../../../src-engine/node/cpu/overrides/conv2d';
import { Rng } from '../../../src-engine/base/rng';
import { runOp, withDefaults } from '../engine/harness';
import { attrsOf, CONV, EPS, kernelMagnitudes, label, runCase, worstRatio, type Case } from './conv-exact';
import { expectSameValues } from '../same-values';

const cpu = cpuBackends();

/**
 * The scale of Winograd's rounding error for y = correlate(x, g) (x zero-padded by p, [N][C][H][W];
 * g [M][C][3][3]; y [N][M][oH][oW]): per 2×2 output tile, Σ_c |Aᵀ|((|G||g||G|ᵀ) ⊙ (|B|ᵀ|d||B|))|A|
 * with d the tile's 4×4 input window — the magnitudes the algorithm actually adds and multiplies.
 * Unlike Σ|x||w| it stays large at a border where few taps reach the output, because the tile's
 * other values still pass through the transforms and cancel only in exact arithmetic.
 */
function winogradScale(x: Float32Array, n: number, c: number, h: number, w: number, p: [number, number], g: Float64Array, m: number, oh: number, ow: number): Float64Array {
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0, 0, 1]]; // |G|
  const B = [[1, 0, 1, 0], [0, 1, 1, 1], [0, 1, 1, 0], [0, 0, 0, 1]]; // |B|ᵀ (rows), |B| = its transpose
  const At = [[1, 1, 1, 0], [0, 1, 1, 1]]; // |A|ᵀ
  const U = new Float64Array(m * c * 16);
  for (let o = 0; o < m; o++) {
    for (let ci = 0; ci < c; ci++) {
      const k = (o * c + ci) * 9;
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let v = 0;
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) v += G[i][a] * Math.abs(g[k + a * 3 + b]) * G[j][b];
          U[(o * c + ci) * 16 + i * 4 + j] = v;
        }
      }
    }
  }
  const out = new Float64Array(n * m * oh * ow);
  const V = new Float64Array(c * 16);
  const d = new Float64Array(16);
  for (let s = 0; s < n; s++) {
    for (let ty = 0; 2 * ty < oh; ty++) {
      for (let tx = 0; 2 * tx < ow; tx++) {
        for (let ci = 0; ci < c; ci++) {
          for (let r = 0; r < 4; r++) {
            for (let q = 0; q < 4; q++) {
              const ih = 2 * ty + r - p[0];
              const iw = 2 * tx + q - p[1];
              d[r * 4 + q] = ih >= 0 && ih < h && iw >= 0 && iw < w ? Math.abs(x[((s * c + ci) * h + ih) * w + iw]) : 0;
            }
          }
          for (let i = 0; i < 4; i++) {
            for (let j = 0; j < 4; j++) {
              let v = 0;
              for (let r = 0; r < 4; r++) for (let q = 0; q < 4; q++) v += B[i][r] * d[r * 4 + q] * B[j][q];
              V[ci * 16 + i * 4 + j] = v;
            }
          }
        }
        for (let o = 0; o < m; o++) {
          for (let a = 0; a < 2; a++) {
            for (let b = 0; b < 2; b++) {
              if (2 * ty + a >= oh || 2 * tx + b >= ow) continue;
              let v = 0;
              for (let ci = 0; ci < c; ci++) {
                for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) v += At[a][i] * U[(o * c + ci) * 16 + i * 4 + j] * V[ci * 16 + i * 4 + j] * At[b][j];
              }
              out[((s * m + o) * oh + 2 * ty + a) * ow + 2 * tx + b] = v;
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * The scale of the Winograd weight gradient's rounding error: per kernel element,
 * |G|ᵀ (Σ_tiles (|A||dY||A|ᵀ) ⊙ (|B|ᵀ|d||B|)) |G| over every sample's tiles (dY: the tile's 2×2
 * block of dy, zero past the output's edge).
 */
function winogradWeightScale(x: Float32Array, dy: Float32Array, k: Case, oh: number, ow: number): Float64Array {
  const { n, c, h, w, outC, p } = k;
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0, 0, 1]];
  const B = [[1, 0, 1, 0], [0, 1, 1, 1], [0, 1, 1, 0], [0, 0, 0, 1]];
  const A = [[1, 0], [1, 1], [1, 1], [0, 1]];
  const sum = new Float64Array(outC * c * 16);
  const V = new Float64Array(c * 16);
  const D = new Float64Array(16);
  for (let s = 0; s < n; s++) {
    for (let ty = 0; 2 * ty < oh; ty++) {
      for (let tx = 0; 2 * tx < ow; tx++) {
        for (let ci = 0; ci < c; ci++) {
          for (let i = 0; i < 4; i++) {
            for (let j = 0; j < 4; j++) {
              let v = 0;
              for (let r = 0; r < 4; r++) {
                for (let q = 0; q < 4; q++) {
                  const ih = 2 * ty + r - p[0];
                  const iw = 2 * tx + q - p[1];
                  if (ih >= 0 && ih < h && iw >= 0 && iw < w) v += B[i][r] * Math.abs(x[((s * c + ci) * h + ih) * w + iw]) * B[j][q];
                }
              }
              V[ci * 16 + i * 4 + j] = v;
            }
          }
        }
        for (let o = 0; o < outC; o++) {
          for (let i = 0; i < 4; i++) {
            for (let j = 0; j < 4; j++) {
              let v = 0;
              for (let a = 0; a < 2; a++) {
                for (let b = 0; b < 2; b++) {
                  const yh = 2 * ty + a;
                  const yw = 2 * tx + b;
                  if (yh < oh && yw < ow) v += A[i][a] * Math.abs(dy[((s * outC + o) * oh + yh) * ow + yw]) * A[j][b];
                }
              }
              D[i * 4 + j] = v;
            }
          }
          for (let ci = 0; ci < c; ci++) for (let e = 0; e < 16; e++) sum[(o * c + ci) * 16 + e] += D[e] * V[ci * 16 + e];
        }
      }
    }
  }
  const out = new Float64Array(outC * c * 9);
  for (let oc = 0; oc < outC * c; oc++) {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let v = 0;
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) v += G[i][a] * sum[oc * 16 + i * 4 + j] * G[j][b];
        out[oc * 9 + a * 3 + b] = v;
      }
    }
  }
  return out;
}

/** Random shapes (seeded): odd and even sizes, padding 0–3, channel counts not multiples of 4. */
function randomCases(count: number, seed: number): Case[] {
  const rng = new Rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rng.uniform() * (hi - lo + 1));
  const out: Case[] = [];
  while (out.length < count) {
    const p: [number, number] = [int(0, 3), int(0, 3)];
    const h = int(2, 17);
    const w = int(2, 17);
    if (h + 2 * p[0] - 2 < 1 || w + 2 * p[1] - 2 < 1) continue;
    out.push({ n: [1, 2, 3, 5, 8][int(0, 4)], c: int(8, 41), h, w, outC: int(8, 37), p, bias: rng.uniform() < 0.7 });
  }
  return out;
}

const CASES: Case[] = [
  { n: 4, c: 32, h: 14, w: 14, outC: 64, p: [1, 1], bias: true }, // MNIST conv2, fewer samples
  { n: 3, c: 9, h: 7, w: 7, outC: 11, p: [1, 1], bias: true }, // 7×7: partial tiles both ways
  { n: 5, c: 13, h: 9, w: 6, outC: 10, p: [0, 2], bias: false },
  { n: 1, c: 8, h: 3, w: 3, outC: 8, p: [0, 0], bias: true }, // one output pixel: one partial tile
  { n: 2, c: 10, h: 5, w: 4, outC: 9, p: [3, 1], bias: true }, // padding > 2: dx crops dy
  { n: 6, c: 27, h: 9, w: 8, outC: 21, p: [2, 0], bias: true }, // Winograd weight gradient, partial tiles
  { n: 3, c: 18, h: 5, w: 5, outC: 31, p: [3, 3], bias: false },
  { n: 4, c: 24, h: 18, w: 17, outC: 25, p: [1, 1], bias: true }, // 324 tiles per GEMM: dW depth > one 256 slice
  { n: 2, c: 260, h: 5, w: 6, outC: 9, p: [1, 1], bias: true }, // forward depth > one 256 slice
  ...randomCases(12, 7),
];

describe('Winograd F(2×2, 3×3) forward and input gradient', () => {
  for (const k of CASES) {
    it(label(k), () => {
      const attrs = attrsOf(k);
      const shape = [k.n, k.c, k.h, k.w];
      const algo = conv2dAlgorithm(shape, attrs);
      expect(algo.forward).toBe('winograd');
      expect(algo.inputGrad).toBe('winograd');
      expect(algo.weightGrad).toBe(k.c * k.outC > 512 ? 'winograd' : 'im2col');
      const { x, weight, params, dOutput, oh, ow, one, two, ref, exact } = runCase(k, cpu.one, cpu.two);

      const { wAbs, wRot } = kernelMagnitudes(weight.data, k);
      const yScale = winogradScale(x.data, k.n, k.c, k.h, k.w, k.p, wAbs, k.outC, oh, ow);
      if (params.bias) for (let i = 0; i < yScale.length; i++) yScale[i] += Math.abs(params.bias.data[Math.floor(i / (oh * ow)) % k.outC]);
      const dxScale = winogradScale(dOutput.data, k.n, k.outC, oh, ow, [2 - k.p[0], 2 - k.p[1]], wRot, k.c, k.h, k.w);
      // Forward reduces over C channels, dx over Cout (see the NOTE at the top for the bound).
      const fwdBound = k.c + 16;
      const dxBound = k.outC + 16;
      expect(worstRatio(one.output.data, exact.y, yScale), 'forward error / (2⁻²⁴·S)').toBeLessThanOrEqual(fwdBound);
      expect(worstRatio(one.dInputs[0]!.data, exact.dx, dxScale), 'dx error / (2⁻²⁴·S)').toBeLessThanOrEqual(dxBound);
      // Against the reference backend: within both bounds added (the reference sums 9·C products
      // one by one in float32: error ≤ 9·C·2⁻²⁴·Σ|x||w|).
      const near = (got: Float32Array, want: Float32Array, sw: Float64Array, sd: Float64Array, bound: number, depth: number): boolean =>
        got.every((v, i) => Math.abs(v - want[i]) <= EPS * (bound * sw[i] + 9 * depth * sd[i]));
      expect(near(one.output.data, ref.output.data, yScale, exact.yScale, fwdBound, k.c), 'forward vs reference').toBe(true);
      expect(near(one.dInputs[0]!.data, ref.dInputs[0]!.data, dxScale, exact.dxScale, dxBound, k.outC), 'dx vs reference').toBe(true);
      // Weight gradient. Winograd: 16 GEMMs reducing over every tile of the batch (depth n·tiles),
      // the per-task sums added, then Gᵀ·G (4 more roundings). im2col: dot products over the batch's
      // n·oH·oW output positions. Bias gradient: a plain sum of dy. Both add up to 16 task partials.
      const tiles = k.n * Math.ceil(oh / 2) * Math.ceil(ow / 2);
      const [wScale, wBound] =
        algo.weightGrad === 'winograd' ? [winogradWeightScale(x.data, dOutput.data, k, oh, ow), tiles + 16] : [exact.dWScale, k.n * oh * ow + 16];
      for (const got of [one, two]) {
        expect(worstRatio(got.dParams.weight.data, exact.dW, wScale), 'dW error / (2⁻²⁴·S)').toBeLessThanOrEqual(wBound);
        if (k.bias) expect(worstRatio(got.dParams.bias.data, exact.db, exact.dbScale), 'db error / (2⁻²⁴·Σ|dy|)').toBeLessThanOrEqual(k.n * oh * ow + 16);
      }
      // A fresh input gradient (stale memory, here NaN, that the executor leaves unzeroed) is assigned.
      const fresh = runOp(CONV, { inputs: [x], attrs, params, dOutput, backend: cpu.two, freshInputGradients: true });
      expect(fresh.dInputs[0]!.data.every((v, i) => v === two.dInputs[0]!.data[i]), 'fresh dx = accumulated dx').toBe(true);
      // 1 and 2 threads: bit for bit (the 2-thread run splits the batch into tasks).
      expectSameValues(two.output.data, one.output.data);
      expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    });
  }
});

describe('Conv2d dispatch', () => {
  it('picks Winograd for the MNIST CNN conv2 (32→64, 14×14) and im2col for conv1 (1 input channel)', () => {
    const graph = JSON.parse(readFileSync(join(__dirname, '../../../examples/mnist-cnn.json'), 'utf8')) as GraphIR;
    const convs = graph.nodes.filter((n) => n.op === 'Conv2d');
    expect(convs).toHaveLength(2);
    expect(conv2dAlgorithm([64, 1, 28, 28], withDefaults(CONV, convs[0].attrs))).toEqual({ forward: 'im2col', inputGrad: 'im2col', weightGrad: 'im2col' });
    expect(conv2dAlgorithm([64, 32, 14, 14], withDefaults(CONV, convs[1].attrs))).toEqual({ forward: 'winograd', inputGrad: 'winograd', weightGrad: 'winograd' });
    // The same at any batch size (the executor may compile a different one for evaluation).
    expect(conv2dAlgorithm([1, 32, 14, 14], withDefaults(CONV, convs[1].attrs)).forward).toBe('winograd');
  });
  it('keeps strided, dilated, 5×5 and grouped convolutions off Winograd', () => {
    const base = withDefaults(CONV, { outChannels: 16, kernelSize: [3, 3], padding: [1, 1] });
    const shape = [2, 16, 9, 9];
    expect(conv2dAlgorithm(shape, { ...base, stride: [2, 2] }).forward).toBe('im2col');
    expect(conv2dAlgorithm(shape, { ...base, dilation: [2, 1] }).forward).toBe('im2col');
    expect(conv2dAlgorithm(shape, { ...base, kernelSize: [5, 5] }).forward).toBe('im2col');
    expect(conv2dAlgorithm(shape, { ...base, groups: 2 }).forward).toBe('op');
    expect(conv2dAlgorithm(shape, base).forward).toBe('winograd');
  });
});
