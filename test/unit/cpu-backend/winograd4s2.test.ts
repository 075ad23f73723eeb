/**
 * The stride-2 Winograd form on the CPU backend (winograd4s2Conv, the generated section of
 * kernels/winograd.wat): a 3×3 stride-2 forward on 4×4 output tiles from 9×9 input tiles, F(4, 2)
 * on the even taps and the odd tap direct per dimension (S2 in winograd4-gen.ts). Against a float64
 * direct convolution, on layers that pick it (≥ 64 channels each side) with partial tiles, padding 0
 * and 1, channel counts that are not multiples of 4; 1 and 2 threads bit for bit. The weight
 * gradient too (winograd4s2WeightGrad: D = A dY Aᵀ per 4×4 block of dy, the 81 GEMMs folded into
 * 36 planes, then Gᵀ dU G), and with padding 1 the input gradient (winograd4s2dxConv: dy's 5×5
 * tiles to 8×8 blocks of dx, S2DX); with padding 0 dx stays on im2col, run after the weight gradient.
 *
 * NOTE (bound): as winograd4.test.ts, per output S = the tile's Σ_c |Aᵀ|((|G||g||Gᵀ|) ⊙ (|Bᵀ||d||B|))|A|
 * with S2's matrices (+ |bias|). To first order each rounding adds at most 2⁻²⁴·S: up to 3 per level
 * of the input transform (two levels), up to 3 per level of the kernel transform plus G's rounded
 * 1/6, 8/3 and 4/3 (9), 1 per product, depth − 1 in the GEMM's sum, up to 4 per level of the output
 * transform and 1 for the bias (9): |got − exact| ≤ (depth + 24)·2⁻²⁴·S, asserted as (depth + 32).
 * Measured here: ≤ 0.26·2⁻²⁴·S; against Σ|x||w| (a direct convolution's scale) ~6–25·2⁻²⁴, F(4×4)'s
 * ~25–35 (docs/cpu-backend.md). dW: as winograd4.test.ts's, per kernel element |G|ᵀ(Σ_tiles
 * (|A||dY||A|ᵀ) ⊙ (|Bᵀ||d||B|))|G| with S2's matrices, asserted tiles + 48 (its rounding count as
 * F(4×4)'s, the GEMM's depth the batch's tiles); measured ≤ 1.9·2⁻²⁴ of it. dx on the dx form: its
 * own scale (dxScale), asserted as the forward's (depth = outC); measured ≤ 4.0·2⁻²⁴·S, at elements
 * whose dx is the odd tap alone (no transform: the same sums as im2col's), 15–21·2⁻²⁴ of Σ|dy||w|.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackends } from './backends';
import { conv2dAlgorithm, winogradRowSplit } from '../../../src-engine/node/cpu/overrides/conv2d';
import { S2, S2DX } from '../../../src-engine/node/cpu/kernels/winograd4-gen';
import { runOp, withDefaults } from '../engine/harness';
import { CONV, randn, worstRatio } from './conv-exact';
import { Rng } from '../../../src-engine/base/rng';
import { expectSameValues } from '../same-values';

const cpu = cpuBackends();

const abs = (m: readonly (readonly number[])[]): number[][] => m.map((r) => r.map(Math.abs));

interface S2Case {
  n: number;
  c: number;
  h: number;
  w: number;
  outC: number;
  p: number;
}

const attrsOf = (k: S2Case) => withDefaults(CONV, { outChannels: k.outC, kernelSize: [3, 3], stride: [2, 2], padding: [k.p, k.p], bias: true });
const outSize = (size: number, p: number): number => Math.floor((size + 2 * p - 3) / 2) + 1;

/**
 * The exact y (float64) and its error scale S per output: for each 4×4 output tile (its 9×9 input
 * window from 2·ty − p, 2·tx − p, zero outside x), Σ_c |Aᵀ|((|G||w||Gᵀ|) ⊙ (|Bᵀ||d||B|))|A| + |b|.
 */
function exactAndScale(k: S2Case, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array) {
  const { n, c, h, w: W, outC, p } = k;
  const oh = outSize(h, p);
  const ow = outSize(W, p);
  const y = new Float64Array(n * outC * oh * ow);
  const S = new Float64Array(y.length);
  const [BT, G, AT] = [abs(S2.BT), abs(S2.G), abs(S2.AT)];
  const U = new Float64Array(outC * c * 81);
  for (let kc = 0; kc < outC * c; kc++)
    for (let i = 0; i < 9; i++)
      for (let j = 0; j < 9; j++) {
        let v = 0;
        for (let a = 0; a < 3; a++) for (let bb = 0; bb < 3; bb++) v += G[i][a] * Math.abs(w[kc * 9 + a * 3 + bb]) * G[j][bb];
        U[kc * 81 + i * 9 + j] = v;
      }
  const d = new Float64Array(81);
  const t = new Float64Array(81);
  const V = new Float64Array(c * 81);
  const e = new Float64Array(81);
  const dW = new Float64Array(outC * c * 9);
  const dWSum = new Float64Array(outC * c * 81);
  const dx = new Float64Array(n * c * h * W);
  const dxScale = new Float64Array(dx.length);
  const D = new Float64Array(81);
  for (let s = 0; s < n; s++) {
    for (let ty = 0; ty < oh; ty += 4) {
      for (let tx = 0; tx < ow; tx += 4) {
        for (let ci = 0; ci < c; ci++) {
          for (let r = 0; r < 9; r++)
            for (let q = 0; q < 9; q++) {
              const ih = 2 * ty + r - p;
              const iw = 2 * tx + q - p;
              d[r * 9 + q] = ih >= 0 && ih < h && iw >= 0 && iw < W ? Math.abs(x[((s * c + ci) * h + ih) * W + iw]) : 0;
            }
          for (let i = 0; i < 9; i++) for (let q = 0; q < 9; q++) t[i * 9 + q] = BT[i].reduce((v, bt, r) => v + bt * d[r * 9 + q], 0);
          for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) V[ci * 81 + i * 9 + j] = BT[j].reduce((v, bt, q) => v + t[i * 9 + q] * bt, 0);
        }
        for (let o = 0; o < outC; o++) {
          // dW's scale: (|A||dY||A|ᵀ) of this tile's 4×4 block of dy, ⊙ V, summed over tiles
          for (let i = 0; i < 9; i++)
            for (let j = 0; j < 9; j++) {
              let v = 0;
              for (let a = 0; a < 4 && ty + a < oh; a++) for (let bb = 0; bb < 4 && tx + bb < ow; bb++) v += AT[a][i] * Math.abs(dy[((s * outC + o) * oh + ty + a) * ow + tx + bb]) * AT[bb][j];
              D[i * 9 + j] = v;
            }
          for (let ci = 0; ci < c; ci++) for (let m = 0; m < 81; m++) dWSum[(o * c + ci) * 81 + m] += D[m] * V[ci * 81 + m];
          e.fill(0);
          for (let ci = 0; ci < c; ci++) for (let m = 0; m < 81; m++) e[m] += U[(o * c + ci) * 81 + m] * V[ci * 81 + m];
          for (let a = 0; a < 4 && ty + a < oh; a++) {
            for (let bb = 0; bb < 4 && tx + bb < ow; bb++) {
              let scale = Math.abs(b[o]);
              for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) scale += AT[a][i] * e[i * 9 + j] * AT[bb][j];
              let acc = b[o];
              const at = ((s * outC + o) * oh + ty + a) * ow + tx + bb;
              for (let ci = 0; ci < c; ci++)
                for (let r = 0; r < 3; r++)
                  for (let q = 0; q < 3; q++) {
                    const ih = 2 * (ty + a) + r - p;
                    const iw = 2 * (tx + bb) + q - p;
                    if (ih < 0 || ih >= h || iw < 0 || iw >= W) continue;
                    const xi = ((s * c + ci) * h + ih) * W + iw;
                    const wi = ((o * c + ci) * 3 + r) * 3 + q;
                    acc += x[xi] * w[wi];
                    dW[wi] += dy[at] * x[xi];
                    dx[xi] += dy[at] * w[wi];
                    dxScale[xi] += Math.abs(dy[at] * w[wi]);
                  }
              y[at] = acc;
              S[at] = scale;
            }
          }
        }
      }
    }
  }
  const dWScale = new Float64Array(outC * c * 9);
  for (let kc = 0; kc < outC * c; kc++)
    for (let a = 0; a < 3; a++)
      for (let bb = 0; bb < 3; bb++) {
        let v = 0;
        for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) v += G[i][a] * dWSum[kc * 81 + i * 9 + j] * G[j][bb];
        dWScale[kc * 9 + a * 3 + bb] = v;
      }
  return { y, S, dW, dWScale, dx, dxScale };
}

/**
 * The stride-2 dx form's error scale per dx element: for each 8×8 block of dx (from dy's 5×5 window
 * at 4·ty, 4·tx, zero past dy's edge), Σ_o |Aᵀ|((|G||r||G|ᵀ) ⊙ (|Bᵀ||dY||B|))|A| with S2DX's Bᵀ
 * and Aᵀ, S2's G and r the kernel rotated 180°.
 */
function dxScale(k: S2Case, dy: Float32Array, w: Float32Array): Float64Array {
  const { n, c, h, w: W, outC, p } = k;
  const oh = outSize(h, p);
  const ow = outSize(W, p);
  const [BT, G, AT] = [abs(S2DX.BT), abs(S2.G), abs(S2DX.AT)];
  const U = new Float64Array(c * outC * 81);
  for (let ci = 0; ci < c; ci++)
    for (let o = 0; o < outC; o++)
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 9; j++) {
          let v = 0;
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) v += G[i][a] * Math.abs(w[((o * c + ci) * 3 + 2 - a) * 3 + 2 - b]) * G[j][b];
          U[(ci * outC + o) * 81 + i * 9 + j] = v;
        }
  const out = new Float64Array(n * c * h * W);
  const d = new Float64Array(25);
  const t = new Float64Array(45);
  const V = new Float64Array(outC * 81);
  const e = new Float64Array(81);
  for (let s = 0; s < n; s++) {
    for (let ty = 0; ty < Math.ceil(h / 8); ty++) {
      for (let tx = 0; tx < Math.ceil(W / 8); tx++) {
        for (let o = 0; o < outC; o++) {
          for (let r = 0; r < 5; r++)
            for (let q = 0; q < 5; q++) {
              const i = 4 * ty + r;
              const j = 4 * tx + q;
              d[r * 5 + q] = i < oh && j < ow ? Math.abs(dy[((s * outC + o) * oh + i) * ow + j]) : 0;
            }
          for (let i = 0; i < 9; i++) for (let q = 0; q < 5; q++) t[i * 5 + q] = BT[i].reduce((v, bt, r) => v + bt * d[r * 5 + q], 0);
          for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) V[o * 81 + i * 9 + j] = BT[j].reduce((v, bt, q) => v + t[i * 5 + q] * bt, 0);
        }
        for (let ci = 0; ci < c; ci++) {
          e.fill(0);
          for (let o = 0; o < outC; o++) for (let m = 0; m < 81; m++) e[m] += U[(ci * outC + o) * 81 + m] * V[o * 81 + m];
          for (let a = 0; a < 8 && 8 * ty + a < h; a++)
            for (let b = 0; b < 8 && 8 * tx + b < W; b++) {
              let v = 0;
              for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) v += AT[a][i] * e[i * 9 + j] * AT[b][j];
              out[((s * c + ci) * h + 8 * ty + a) * W + 8 * tx + b] = v;
            }
        }
      }
    }
  }
  return out;
}

function inputs(k: S2Case) {
  const rng = new Rng(k.n * 1000 + k.c * 31 + k.h);
  const x = randn([k.n, k.c, k.h, k.w], rng);
  const weight = randn([k.outC, k.c, 3, 3], rng, 0.5);
  const bias = randn([k.outC], rng, 0.5);
  const dOutput = randn([k.n, k.outC, outSize(k.h, k.p), outSize(k.w, k.p)], rng);
  const run = (backend: typeof cpu.one, more: { freshInputGradients?: boolean; noGrad?: number[]; unwantedParamGradients?: boolean } = {}) =>
    runOp(CONV, { inputs: [x], attrs: attrsOf(k), params: { weight, bias }, dOutput, backend, ...more });
  return { x, weight, bias, dOutput, run };
}

/** One or two samples (the float64 scale is the test's cost): partial tiles both ways, odd channel counts, padding 0. */
const CASES: S2Case[] = [
  { n: 1, c: 65, h: 29, w: 31, outC: 67, p: 1 }, // output 15×16: partial last tile rows
  { n: 2, c: 64, h: 14, w: 13, outC: 66, p: 1 }, // output 7×7 (resnet18's last stride-2 layer's size)
  { n: 1, c: 66, h: 17, w: 18, outC: 64, p: 0 }, // output 8×8, no padding
  { n: 1, c: 64, h: 16, w: 32, outC: 64, p: 1 }, // whole blocks four at a time: the forward's 4×4 (8×16 output) and dx's 8×8 (16×32)
];

describe('Winograd stride-2 form (3×3, stride 2): forward and weight gradient', () => {
  for (const k of CASES) {
    it(`${k.n}×${k.c}×${k.h}×${k.w} → ${k.outC}, pad ${k.p}`, () => {
      expect(conv2dAlgorithm([k.n, k.c, k.h, k.w], attrsOf(k))).toEqual({ forward: 'winograd4s2', inputGrad: k.p === 1 ? 'winograd4s2' : 'im2col', weightGrad: 'winograd4s2' });
      const { x, weight, bias, dOutput, run } = inputs(k);
      const exact = exactAndScale(k, x.data, weight.data, bias.data, dOutput.data);
      const got = run(cpu.one);
      expect(got.output.data.length).toBe(exact.y.length);
      expect(worstRatio(got.output.data, exact.y, exact.S), 'forward error / (2⁻²⁴·S)').toBeLessThanOrEqual(k.c + 32);
      const tiles = k.n * Math.ceil(outSize(k.h, k.p) / 4) * Math.ceil(outSize(k.w, k.p) / 4);
      expect(worstRatio(got.dParams.weight.data, exact.dW, exact.dWScale), 'dW error / (2⁻²⁴·S)').toBeLessThanOrEqual(tiles + 48);
      // dx on im2col (a GEMM of depth 9·outC, then col2im's adds): within its depth of Σ|dy||w|
      if (k.p === 1) {
        // dx on the stride-2 dx form: against its own scale, as the forward (depth = outC)
        const S = dxScale(k, dOutput.data, weight.data);
        expect(worstRatio(got.dInputs[0]!.data, exact.dx, S), 'dx error / (2⁻²⁴·S)').toBeLessThanOrEqual(k.outC + 32);
      } else {
        // padding 0: dx on im2col (a GEMM of depth 9·outC, then col2im's adds), within its depth of Σ|dy||w|
        expect(worstRatio(got.dInputs[0]!.data, exact.dx, exact.dxScale), 'dx error / (2⁻²⁴·Σ|dy||w|)').toBeLessThanOrEqual(9 * k.outC + 16);
      }
    });
  }
  it('gives the same bits on 1 and 2 threads (resnet18 layer2.0 cut small: 6 samples, two tasks on 2 threads), dx with and without dW, a fresh dx assigned', () => {
    const k: S2Case = { n: 6, c: 64, h: 20, w: 22, outC: 72, p: 1 };
    const { run } = inputs(k);
    const [one, two] = [run(cpu.one), run(cpu.two)];
    expectSameValues(two.output.data, one.output.data);
    expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    // dW: one task per thread, their partials added in task order: 1 and 2 threads may differ in the last bits
    expectSameValues(run(cpu.two, { unwantedParamGradients: true }).dInputs[0]!.data, two.dInputs[0]!.data);
    expectSameValues(run(cpu.two, { freshInputGradients: true }).dInputs[0]!.data, two.dInputs[0]!.data);
    expectSameValues(run(cpu.two, { noGrad: [0] }).dParams.weight.data, two.dParams.weight.data);
  });
  it('gives the same bits on 2 threads split by output channels (7×7 output, U 7.2× the tiles; dx 4×) as on 1, dW and db too', () => {
    // 2 samples on 2 threads: one each where a GEMM takes 16; each thread takes a share of the output
    // channels ([0, 64) and [64, 130) forward and for dW, [0, 36) and [36, 72) for dx) over both samples.
    const k: S2Case = { n: 2, c: 72, h: 14, w: 13, outC: 130, p: 1 };
    expect(winogradRowSplit('winograd4s2', k.n, { C: k.c, Cout: k.outC, oH: 7, oW: 7 }, 16, 2)).toBe(true);
    expect(winogradRowSplit('winograd4s2dx', k.n, { C: k.outC, Cout: k.c, oH: k.h, oW: k.w }, 16, 2)).toBe(true);
    const { run } = inputs(k);
    const [one, two] = [run(cpu.one), run(cpu.two)];
    expectSameValues(two.output.data, one.output.data);
    expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    expectSameValues(run(cpu.two, { freshInputGradients: true }).dInputs[0]!.data, two.dInputs[0]!.data);
    // dW's rows summed over the one group of both samples, as on 1 thread
    expectSameValues(two.dParams.weight.data, one.dParams.weight.data);
    expectSameValues(two.dParams.bias.data, one.dParams.bias.data);
  });
  it('puts resnet18\'s stride-2 3×3 layers on it, and not narrow ones, 1×1 or 5×5 ones, or sizes its tiles waste', () => {
    const at = (c: number, size: number, k = 3) =>
      conv2dAlgorithm([16, c, size, size], withDefaults(CONV, { outChannels: 2 * c, kernelSize: [k, k], stride: [2, 2], padding: [(k - 1) / 2, (k - 1) / 2] })).forward;
    expect([at(64, 56), at(128, 28), at(256, 14)]).toEqual(['winograd4s2', 'winograd4s2', 'winograd4s2']);
    expect(at(32, 56)).toBe('im2col');
    expect(at(64, 56, 1)).not.toBe('winograd4s2');
    expect(at(64, 56, 5)).toBe('im2col');
    // output 3×3 (one 4×4 tile for 9 outputs: 9·9 / 81 = 1.0) and 5×5 (1.25): under WINOGRAD4S2_MIN_GAIN
    expect([at(64, 6), at(64, 10)]).toEqual(['im2col', 'im2col']);
  });
});
