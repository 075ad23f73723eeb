/**
 * The 7×7 stride-2 stem's weight gradient on the CPU backend (kernels/polyphase.wat, written by
 * polyphase-gen.ts): the input split into its four row and column phases, each a 4×4 stride-1
 * correlation whose gradient runs on F(4×4, 4×4) tiles (F44 in overrides/polyphase.ts;
 * polyphaseWeightGrad, then Gᵀ dU G on the JS side), against a float64 direct convolution: RGB, 1, 2
 * and 4 channels, padding 2 and 3, odd input sizes, output channels not a multiple of 4, a bias;
 * 1 and 2 threads (2 tasks at batch 5).
 *
 * NOTE (bound): as winograd4s2.test.ts's weight gradient, per kernel element S = (|G|ᵀ(Σ_tiles
 * (|A||dY||A|ᵀ) ⊙ (|Bᵀ||d_q||B|))|G|) at its phase tap, A = (Aᵀ)ᵀ, over the 4×4 tiles of dy and the
 * 7×7 tiles d_q of its phase q. To first order each rounding adds at most 2⁻²⁴·S: up to 10 per level
 * of the input transform (a row of Bᵀ sums up to 6 terms, some times 5/2, 5, 9/2, 7/2 or 3/2), up to 4
 * per level of dY's (A's rows: up to 4 terms, powers of two), 1 per product, tiles − 1 in the GEMM's
 * sum, up to 7 for the tasks' partial sums, 1 for the finish (float64, rounded once) and 1 for
 * adding it to dW: tiles + 38, asserted as tiles + 48 (tiles: the batch's, the GEMM's depth).
 * Measured ≤ 0.07·2⁻²⁴·S, 3.5–15·2⁻²⁴ of Σ|x||dy|. db: float32 sums of dy, within (count)·2⁻²⁴·Σ|dy|.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuBackends } from './backends';
import { conv2dAlgorithm } from '../../../src-engine/node/cpu/overrides/conv2d';
import { F44 } from '../../../src-engine/node/cpu/overrides/polyphase';
import { POLYPHASE_WAT_PATH, polyphaseWat } from '../../../src-engine/node/cpu/kernels/polyphase-gen';
import { runOp, withDefaults } from '../engine/harness';
import { CONV, EPS, randn } from './conv-exact';
import { Rng } from '../../../src-engine/base/rng';

const cpu = cpuBackends();

const abs = (m: readonly (readonly number[])[]): number[][] => m.map((r) => r.map(Math.abs));
const [BT, G, AT] = [abs(F44.BT), abs(F44.G), abs(F44.AT)];

/** n samples of c channels, h × w, to outC channels, padding p on each side. */
type Case = [n: number, c: number, h: number, w: number, outC: number, p: number];
const CASES: Case[] = [
  [2, 3, 32, 32, 16, 3],
  [3, 3, 56, 32, 17, 3],
  [2, 2, 63, 95, 24, 3],
  [1, 4, 66, 34, 16, 2],
  [5, 1, 32, 32, 20, 3],
];

const attrsOf = ([, , , , outC, p]: Case) => withDefaults(CONV, { outChannels: outC, kernelSize: [7, 7], stride: [2, 2], padding: [p, p], bias: true });
const outSize = (size: number, p: number): number => Math.floor((size + 2 * p - 7) / 2) + 1;

/** M Z Mᵀ for a 7×4 or 7×7 M (rows of M: `m`) and Z k×k, row-major: 7×7. */
function sandwich(m: readonly (readonly number[])[], z: Float64Array, k: number): Float64Array {
  const t = new Float64Array(7 * k);
  for (let a = 0; a < 7; a++) for (let j = 0; j < k; j++) for (let i = 0; i < k; i++) t[a * k + j] += m[a][i] * z[i * k + j];
  const out = new Float64Array(49);
  for (let a = 0; a < 7; a++) for (let b = 0; b < 7; b++) for (let j = 0; j < k; j++) out[a * 7 + b] += t[a * k + j] * m[b][j];
  return out;
}

/**
 * The exact dW (float64, direct) and its error scale S (see the header): per 4×4 tile of dy and
 * phase q = 4c + 2py + px, d_q[i][j] = x[c][2(4ty + i) + py − p][2(4tx + j) + px − p].
 */
function exact(k: Case, x: Float32Array, dy: Float32Array) {
  const [n, c, h, W, outC, p] = k;
  const [oh, ow] = [outSize(h, p), outSize(W, p)];
  const Q = 4 * c;
  const dW = new Float64Array(outC * c * 49);
  const dWS = new Float64Array(dW.length);
  const A = [0, 1, 2, 3, 4, 5, 6].map((j) => AT.map((r) => r[j]));
  // Σ over tiles of (|A||dY||A|ᵀ) ⊙ (|Bᵀ||d_q||B|), per (o, q)
  const dWSum = Array.from({ length: outC * Q }, () => new Float64Array(49));
  for (let s = 0; s < n; s++)
    for (let ty = 0; ty < oh / 4; ty++)
      for (let tx = 0; tx < ow / 4; tx++) {
        const D = [];
        for (let q = 0; q < Q; q++) {
          const d = new Float64Array(49);
          for (let i = 0; i < 7; i++)
            for (let j = 0; j < 7; j++) {
              const [r, col] = [2 * (4 * ty + i) + ((q >> 1) & 1) - p, 2 * (4 * tx + j) + (q & 1) - p];
              if (r >= 0 && r < h && col >= 0 && col < W) d[i * 7 + j] = Math.abs(x[((s * c + (q >> 2)) * h + r) * W + col]);
            }
          D.push(sandwich(BT, d, 7));
        }
        for (let o = 0; o < outC; o++) {
          const dY = new Float64Array(16);
          for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) dY[i * 4 + j] = Math.abs(dy[((s * outC + o) * oh + 4 * ty + i) * ow + 4 * tx + j]);
          const Y = sandwich(A, dY, 4);
          for (let q = 0; q < Q; q++) for (let e = 0; e < 49; e++) dWSum[o * Q + q][e] += Y[e] * D[q][e];
        }
      }
  for (let o = 0; o < outC; o++)
    for (let q = 0; q < Q; q++)
      for (let s = 0; s < 4; s++)
        for (let t = 0; t < 4; t++) {
          const [u, v] = [2 * s + ((q >> 1) & 1), 2 * t + (q & 1)];
          if (u >= 7 || v >= 7) continue;
          let sc = 0;
          for (let a = 0; a < 7; a++) for (let bb = 0; bb < 7; bb++) sc += G[a][s] * dWSum[o * Q + q][a * 7 + bb] * G[bb][t];
          dWS[((o * c + (q >> 2)) * 7 + u) * 7 + v] = sc;
        }
  // the direct sums
  for (let s = 0; s < n; s++)
    for (let o = 0; o < outC; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ci = 0; ci < c; ci++)
            for (let u = 0; u < 7; u++)
              for (let v = 0; v < 7; v++) {
                const [r, col] = [2 * i + u - p, 2 * j + v - p];
                if (r >= 0 && r < h && col >= 0 && col < W) dW[((o * c + ci) * 7 + u) * 7 + v] += x[((s * c + ci) * h + r) * W + col] * dy[((s * outC + o) * oh + i) * ow + j];
              }
  return { dW, dWS, tiles: (n * oh * ow) / 16 };
}

/** The largest |got − exact| / (2⁻²⁴·S). */
function worst(got: Float32Array, want: Float64Array, S: Float64Array): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / (EPS * Math.max(S[i], 1e-30)));
  return m;
}

describe('CPU backend: the 7×7 stride-2 stem’s weight gradient on four phases of F(4×4, 4×4) (#59)', () => {
  it('polyphase.wat is what polyphase-gen.ts writes', () => {
    expect(readFileSync(POLYPHASE_WAT_PATH, 'utf8')).toBe(polyphaseWat());
  });

  it('takes the weight gradient of 7×7 stride-2 layers on at most 4 channels to at least 16, on whole groups of four tiles (the forward stays on conv2dShallow)', () => {
    for (const k of CASES) expect(conv2dAlgorithm([k[0], k[1], k[2], k[3]], attrsOf(k))).toEqual({ forward: 'shallow', inputGrad: 'im2col', weightGrad: 'polyphase' });
    // resnet18's stem at 224×224
    expect(conv2dAlgorithm([16, 3, 224, 224], attrsOf([16, 3, 224, 224, 64, 3])).weightGrad).toBe('polyphase');
    // an output 19 rows or 15 columns wide, 5 channels in, 8 out, stride 1: not
    for (const [shape, outC] of [[[1, 3, 38, 64], 16], [[1, 3, 32, 30], 16], [[1, 5, 32, 32], 16], [[1, 3, 32, 32], 8]] as const) {
      expect(conv2dAlgorithm(shape, attrsOf([...shape, outC, 3] as unknown as Case)).weightGrad).toBe('im2col');
    }
    expect(conv2dAlgorithm([1, 3, 32, 32], withDefaults(CONV, { outChannels: 16, kernelSize: [7, 7], padding: [3, 3] })).weightGrad).not.toBe('polyphase');
  });

  for (const k of CASES) {
    const [n, c, h, w, outC, p] = k;
    it(`matches a float64 direct convolution: dW and db (${n}×${c}×${h}×${w} → ${outC}, padding ${p})`, () => {
      const rng = new Rng(n * 1000 + h);
      const x = randn([n, c, h, w], rng);
      const weight = randn([outC, c, 7, 7], rng, 0.1);
      const bias = randn([outC], rng);
      const dOutput = randn([n, outC, outSize(h, p), outSize(w, p)], rng);
      const run = (backend: typeof cpu.one) => runOp(CONV, { inputs: [x], attrs: attrsOf(k), params: { weight, bias }, dOutput, backend });
      const one = run(cpu.one);
      const two = run(cpu.two);
      const want = exact(k, x.data, dOutput.data);
      for (const r of [one, two]) expect(worst(r.dParams.weight.data, want.dW, want.dWS)).toBeLessThanOrEqual(want.tiles + 48);
      // db: float32 sums of each channel's dy
      const plane = outSize(h, p) * outSize(w, p);
      for (let o = 0; o < outC; o++) {
        let sum = 0;
        let scale = 0;
        for (let s = 0; s < n; s++)
          for (let i = 0; i < plane; i++) {
            const v = dOutput.data[(s * outC + o) * plane + i];
            sum += v;
            scale += Math.abs(v);
          }
        expect(Math.abs(one.dParams.bias.data[o] - sum)).toBeLessThanOrEqual(n * plane * EPS * scale);
      }
    });
  }
});
