/**
 * Winograd F(4×4, 3×3) on the CPU backend (the generated section of kernels/winograd.wat): forward
 * and input gradient against a float64 direct convolution, on layers that pick it (≥ 64 channels
 * each side, a size its 4×4 tiles cover with little waste: 13×13 and up, 7×7 and 8×8, 11×11 and 12×12) with sizes that leave
 * partial 4×4 tiles, padding 0–3, channel counts that are not multiples of 4; 1 and 2 threads bit
 * for bit (7×7 too, where 1 thread groups 16 samples per GEMM and 2 threads 8); dx assigned where
 * fresh and added otherwise; the weight gradient (F(4×4) where the forward is, on the output's
 * tiles) against the same float64 convolution, and the same bits whether or not dx runs beside it.
 *
 * NOTE (bound): as winograd.test.ts, the error is measured against the magnitudes the algorithm
 * computes with, per output S = the tile's Σ_c |Aᵀ|((|G||g||Gᵀ|) ⊙ (|Bᵀ||d||B|))|A| with F(4×4)'s
 * matrices (+ |bias|). To first order each rounding adds at most 2⁻²⁴·S: up to 3 per level of the
 * input transform (two levels), up to 5 per level of the kernel transform plus G's rounded 1/6 and
 * 1/12 (12 in all), 1 per product, depth − 1 in the GEMM's sum, 3 per level of the output transform
 * and 1 for the bias (7): so |got − exact| ≤ (depth + 26)·2⁻²⁴·S, asserted as (depth + 32) for
 * second-order room. Measured here: ≤ 1.2·2⁻²⁴·S forward and dx. A wrong tile, lane or padding
 * gives errors ~2²⁴ times larger. Against Σ|x||w| (a direct convolution's scale) F(4×4)'s error is
 * ~25–35·2⁻²⁴ where F(2×2)'s is ~2–3 (docs/cpu-backend.md, "Winograd F(4×4, 3×3)").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuBackends } from './backends';
import { conv2dAlgorithm, winogradRowSplit } from '../../../src-engine/node/cpu/overrides/conv2d';
import { F43, WINOGRAD_WAT_PATH, winograd4Section } from '../../../src-engine/node/cpu/kernels/winograd4-gen';
import { withDefaults } from '../engine/harness';
import { attrsOf, caseInputs, CONV, direct64, kernelMagnitudes, label, worstRatio, type Case } from './conv-exact';
import { expectSameValues } from '../same-values';

const cpu = cpuBackends();

const abs = (m: readonly (readonly number[])[]): number[][] => m.map((r) => r.map(Math.abs));

/**
 * |Bᵀ||d||B| for each of the c channels of sample s's 6×6 input tile whose 4×4 outputs start at
 * (ty, tx) (x zero-padded by p, [N][C][H][W]), into V ([c][36]).
 */
function inputTileScales(x: Float32Array, s: number, c: number, h: number, w: number, p: readonly number[], ty: number, tx: number, V: Float64Array): void {
  const BT = abs(F43.BT);
  const d = new Float64Array(36);
  const t = new Float64Array(36);
  for (let ci = 0; ci < c; ci++) {
    for (let r = 0; r < 6; r++) {
      for (let q = 0; q < 6; q++) {
        const ih = ty + r - p[0];
        const iw = tx + q - p[1];
        d[r * 6 + q] = ih >= 0 && ih < h && iw >= 0 && iw < w ? Math.abs(x[((s * c + ci) * h + ih) * w + iw]) : 0;
      }
    }
    for (let i = 0; i < 6; i++) for (let q = 0; q < 6; q++) t[i * 6 + q] = BT[i].reduce((v, b, r) => v + b * d[r * 6 + q], 0);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) V[ci * 36 + i * 6 + j] = BT[j].reduce((v, b, q) => v + t[i * 6 + q] * b, 0);
  }
}

/**
 * F(4×4)'s error scale for y = correlate(x, g) (x zero-padded by p, [N][C][H][W]; g [M][C][3][3],
 * as float64 |g|; y [N][M][oH][oW]): per 4×4 output tile, Σ_c |Aᵀ|((|G||g||G|ᵀ) ⊙ (|Bᵀ||d||B|))|A|.
 */
function winograd4Scale(x: Float32Array, n: number, c: number, h: number, w: number, p: readonly number[], g: Float64Array, m: number, oh: number, ow: number): Float64Array {
  const G = abs(F43.G);
  const AT = abs(F43.AT);
  const U = new Float64Array(m * c * 36);
  for (let k = 0; k < m * c; k++) {
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        let v = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) v += G[i][a] * g[k * 9 + a * 3 + b] * G[j][b];
        U[k * 36 + i * 6 + j] = v;
      }
    }
  }
  const out = new Float64Array(n * m * oh * ow);
  const V = new Float64Array(c * 36);
  const e = new Float64Array(36);
  for (let s = 0; s < n; s++) {
    for (let ty = 0; ty < oh; ty += 4) {
      for (let tx = 0; tx < ow; tx += 4) {
        inputTileScales(x, s, c, h, w, p, ty, tx, V);
        for (let o = 0; o < m; o++) {
          e.fill(0);
          for (let ci = 0; ci < c; ci++) {
            const u = (o * c + ci) * 36;
            for (let k = 0; k < 36; k++) e[k] += U[u + k] * V[ci * 36 + k];
          }
          for (let a = 0; a < 4 && ty + a < oh; a++) {
            for (let b = 0; b < 4 && tx + b < ow; b++) {
              let v = 0;
              for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) v += AT[a][i] * e[i * 6 + j] * AT[b][j];
              out[((s * m + o) * oh + ty + a) * ow + tx + b] = v;
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * The scale of F(4×4)'s weight-gradient rounding error, per kernel element:
 * |G|ᵀ (Σ_tiles (|A||dY||A|ᵀ) ⊙ (|Bᵀ||d||B|)) |G| over every sample's tiles (dY: the tile's 4×4
 * block of dy, zero past the output's edge; d: its 6×6 window of x, zero-padded).
 */
function winograd4WeightScale(x: Float32Array, dy: Float32Array, k: Case, oh: number, ow: number): Float64Array {
  const { n, c, h, w, outC, p } = k;
  const G = abs(F43.G);
  const AT = abs(F43.AT);
  const sum = new Float64Array(outC * c * 36);
  const V = new Float64Array(c * 36);
  const D = new Float64Array(outC * 36);
  for (let s = 0; s < n; s++) {
    for (let ty = 0; ty < oh; ty += 4) {
      for (let tx = 0; tx < ow; tx += 4) {
        inputTileScales(x, s, c, h, w, p, ty, tx, V);
        for (let o = 0; o < outC; o++) {
          for (let i = 0; i < 6; i++) {
            for (let j = 0; j < 6; j++) {
              let v = 0;
              for (let a = 0; a < 4 && ty + a < oh; a++) {
                for (let b = 0; b < 4 && tx + b < ow; b++) v += AT[a][i] * Math.abs(dy[((s * outC + o) * oh + ty + a) * ow + tx + b]) * AT[b][j];
              }
              D[o * 36 + i * 6 + j] = v;
            }
          }
        }
        for (let o = 0; o < outC; o++) for (let ci = 0; ci < c; ci++) for (let e = 0; e < 36; e++) sum[(o * c + ci) * 36 + e] += D[o * 36 + e] * V[ci * 36 + e];
      }
    }
  }
  const out = new Float64Array(outC * c * 9);
  for (let kc = 0; kc < outC * c; kc++) {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let v = 0;
        for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) v += G[i][a] * sum[kc * 36 + i * 6 + j] * G[j][b];
        out[kc * 9 + a * 3 + b] = v;
      }
    }
  }
  return out;
}

/**
 * One sample each (the float64 convolution is the test's cost, ~0.6 s of CPU a case): whole and
 * partial tiles in both directions, channels not multiples of 4, uneven padding.
 */
const CASES: Case[] = [
  { n: 1, c: 65, h: 29, w: 31, outC: 67, p: [1, 1], bias: true }, // partial last tiles both ways
  { n: 1, c: 66, h: 28, w: 28, outC: 64, p: [3, 2], bias: false }, // output 32×30; padding > 2: dx crops dy
  { n: 3, c: 67, h: 7, w: 7, outC: 65, p: [1, 1], bias: true }, // resnet18's last stage cut small: partial 4×4 tiles, 3 samples in one GEMM
  { n: 1, c: 64, h: 14, w: 13, outC: 66, p: [1, 1], bias: true }, // resnet18's third stage: 4×4 tiles cover 16×16 for 14×13
];

describe('Winograd F(4×4, 3×3) forward and input gradient', () => {
  for (const k of CASES) {
    it(label(k), () => {
      const algo = conv2dAlgorithm([k.n, k.c, k.h, k.w], attrsOf(k));
      expect(algo).toEqual({ forward: 'winograd4', inputGrad: 'winograd4', weightGrad: 'winograd4' });
      const { x, weight, params, dOutput, oh, ow, run } = caseInputs(k);
      const one = run(cpu.one);
      const exact = direct64(k, x.data, weight.data, params.bias?.data ?? null, dOutput.data);
      const { wAbs, wRot } = kernelMagnitudes(weight.data, k);
      const yScale = winograd4Scale(x.data, k.n, k.c, k.h, k.w, k.p, wAbs, k.outC, oh, ow);
      if (params.bias) for (let i = 0; i < yScale.length; i++) yScale[i] += Math.abs(params.bias.data[Math.floor(i / (oh * ow)) % k.outC]);
      const dxScale = winograd4Scale(dOutput.data, k.n, k.outC, oh, ow, [2 - k.p[0], 2 - k.p[1]], wRot, k.c, k.h, k.w);
      expect(worstRatio(one.output.data, exact.y, yScale), 'forward error / (2⁻²⁴·S)').toBeLessThanOrEqual(k.c + 32);
      expect(worstRatio(one.dInputs[0]!.data, exact.dx, dxScale), 'dx error / (2⁻²⁴·S)').toBeLessThanOrEqual(k.outC + 32);
      // dW: x's transform (up to 3 roundings per level, two levels), dy's A·Aᵀ (3 per level), the
      // product, 36 GEMMs summing over the batch's tiles (depth − 1), up to 16 task partials, then Gᵀ·G
      // (up to 8 per level with G's rounded 1/6, 1/12, 1/24): depth + 45, asserted as depth + 48.
      // Measured here: ≤ 0.18·2⁻²⁴·S (against Σ|x||dy|, a direct convolution's scale: 17–35).
      const tiles = k.n * Math.ceil(oh / 4) * Math.ceil(ow / 4);
      const dwScale = winograd4WeightScale(x.data, dOutput.data, k, oh, ow);
      expect(worstRatio(one.dParams.weight.data, exact.dW, dwScale), 'dW error / (2⁻²⁴·S)').toBeLessThanOrEqual(tiles + 48);
    });
  }
  it('gives the same bits on 1 and 2 threads, assigns a fresh dx, and gives the weight gradient the same bits without dx', () => {
    // Six samples of resnet18's layer1 shape cut small: two tasks on 2 threads, three samples each.
    const k: Case = { n: 6, c: 64, h: 28, w: 30, outC: 64, p: [1, 1], bias: true };
    const { x, dOutput, oh, ow, run } = caseInputs(k);
    const [one, two] = [run(cpu.one), run(cpu.two)];
    expectSameValues(two.output.data, one.output.data);
    expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    // dW on 2 threads is three tasks' partial sums (added by the finish as it reads them), on 1 thread
    // one: both within the bound above of the exact value, so within twice it of each other (a lost
    // or doubled partial would be off by about a third of S).
    const tiles = k.n * Math.ceil(oh / 4) * Math.ceil(ow / 4);
    const dwScale = winograd4WeightScale(x.data, dOutput.data, k, oh, ow);
    expect(worstRatio(two.dParams.weight.data, Float64Array.from(one.dParams.weight.data), dwScale)).toBeLessThanOrEqual(2 * (tiles + 48));
    // A fresh input gradient (stale memory, here NaN) is assigned; otherwise dx is added into (zeros here).
    expectSameValues(run(cpu.two, { freshInputGradients: true }).dInputs[0]!.data, two.dInputs[0]!.data);
    // The weight gradient's sample grouping is its own: the same bits without dx.
    expectSameValues(run(cpu.two, { noGrad: [0] }).dParams.weight.data, two.dParams.weight.data);
  });
  it('runs dx alone on F(2×2) where its size wastes 4×4 tiles (9×10, forward and dW on F(4×4) at 7×8), with the bits it has without dW', () => {
    const k: Case = { n: 2, c: 64, h: 9, w: 10, outC: 66, p: [0, 0], bias: true };
    expect(conv2dAlgorithm([k.n, k.c, k.h, k.w], attrsOf(k))).toEqual({ forward: 'winograd4', inputGrad: 'winograd', weightGrad: 'winograd4' });
    const { x, weight, params, dOutput, oh, ow, run } = caseInputs(k);
    const exact = direct64(k, x.data, weight.data, params.bias.data, dOutput.data);
    const tiles = k.n * Math.ceil(oh / 4) * Math.ceil(ow / 4);
    const dwScale = winograd4WeightScale(x.data, dOutput.data, k, oh, ow);
    const [one, two] = [run(cpu.one), run(cpu.two)];
    for (const got of [one, two]) {
      expect(worstRatio(got.dParams.weight.data, exact.dW, dwScale), 'dW error / (2⁻²⁴·S)').toBeLessThanOrEqual(tiles + 48);
      expect(worstRatio(got.dParams.bias.data, exact.db, exact.dbScale), 'db error / (2⁻²⁴·Σ|dy|)').toBeLessThanOrEqual(k.n * oh * ow + 16);
    }
    expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    expectSameValues(run(cpu.two, { unwantedParamGradients: true }).dInputs[0]!.data, two.dInputs[0]!.data);
  });
  it('gives the same bits on 1 and 2 threads at 7×7, where the sample groups differ (16 and 8 per GEMM)', () => {
    const k: Case = { n: 16, c: 64, h: 7, w: 7, outC: 64, p: [1, 1], bias: false };
    expect(conv2dAlgorithm([k.n, k.c, k.h, k.w], attrsOf(k)).forward).toBe('winograd4');
    const { run } = caseInputs(k);
    const [one, two] = [run(cpu.one), run(cpu.two)];
    expectSameValues(two.output.data, one.output.data);
    expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
  });
  it('gives the same bits on 2 threads split by output channels (7×7, U 4× the tiles, an odd channel count both ways) as on 1, dW and db too', () => {
    // 4 samples on 2 threads: a sample split would leave each 2 of the 16 a GEMM takes, and U
    // (36·64·67 floats) is 4.2× the batch's V (36·64·64 tiles): each thread takes a share of the
    // output channels ([0, 32) and [32, 67) forward and for dW, [0, 32) and [32, 64) for dx) over all
    // 4 samples. dW's rows are then summed over the same one group of 4 samples as on 1 thread (split
    // by samples, it was two partials added: other last bits).
    const k: Case = { n: 4, c: 64, h: 7, w: 7, outC: 67, p: [1, 1], bias: true };
    expect(winogradRowSplit('winograd4', k.n, { C: k.c, Cout: k.outC, oH: 7, oW: 7 }, 16, 2)).toBe(true);
    expect(winogradRowSplit('winograd4', k.n, { C: k.outC, Cout: k.c, oH: 7, oW: 7 }, 16, 2)).toBe(true);
    const { x, weight, params, dOutput, oh, ow, run } = caseInputs(k);
    const [one, two] = [run(cpu.one), run(cpu.two)];
    expectSameValues(two.output.data, one.output.data);
    expectSameValues(two.dInputs[0]!.data, one.dInputs[0]!.data);
    expectSameValues(run(cpu.two, { freshInputGradients: true }).dInputs[0]!.data, two.dInputs[0]!.data);
    expectSameValues(two.dParams.weight.data, one.dParams.weight.data);
    expectSameValues(two.dParams.bias.data, one.dParams.bias.data);
    expectSameValues(run(cpu.two, { noGrad: [0] }).dParams.weight.data, two.dParams.weight.data);
    // and within the bound above of the exact values (a row share read from the wrong U or M rows would be off by ~S)
    const exact = direct64(k, x.data, weight.data, params.bias.data, dOutput.data);
    const { wAbs, wRot } = kernelMagnitudes(weight.data, k);
    const yScale = winograd4Scale(x.data, k.n, k.c, k.h, k.w, k.p, wAbs, k.outC, oh, ow);
    for (let i = 0; i < yScale.length; i++) yScale[i] += Math.abs(params.bias.data[Math.floor(i / (oh * ow)) % k.outC]);
    const dxScale = winograd4Scale(dOutput.data, k.n, k.outC, oh, ow, [2 - k.p[0], 2 - k.p[1]], wRot, k.c, k.h, k.w);
    expect(worstRatio(two.output.data, exact.y, yScale), 'forward error / (2⁻²⁴·S)').toBeLessThanOrEqual(k.c + 32);
    expect(worstRatio(two.dInputs[0]!.data, exact.dx, dxScale), 'dx error / (2⁻²⁴·S)').toBeLessThanOrEqual(k.outC + 32);
    const tiles = k.n * Math.ceil(oh / 4) * Math.ceil(ow / 4);
    expect(worstRatio(two.dParams.weight.data, exact.dW, winograd4WeightScale(x.data, dOutput.data, k, oh, ow)), 'dW error / (2⁻²⁴·S)').toBeLessThanOrEqual(tiles + 48);
  });
  it('splits by output channels only where U outweighs the tiles and a sample split would narrow the GEMMs', () => {
    const shape = (c: number, size: number) => ({ C: c, Cout: c, oH: size, oW: size });
    // resnet18 at batch 16 on 2 threads: the 512→512 7×7 layers (group 16), not 256→256 at 14×14 (group 4)
    expect(winogradRowSplit('winograd4', 16, shape(512, 7), 16, 2)).toBe(true);
    expect(winogradRowSplit('winograd4', 16, shape(256, 14), 4, 2)).toBe(false);
    expect(winogradRowSplit('winograd4', 16, shape(256, 14), 16, 2)).toBe(false); // U no larger than V
    expect(winogradRowSplit('winograd4', 32, shape(512, 7), 16, 2)).toBe(false); // 16 samples a thread already
    expect(winogradRowSplit('winograd4', 16, shape(512, 7), 16, 1)).toBe(false);
    // 4 threads would transform V four times: U must be 12× V (at batch 4 it is 32×)
    expect(winogradRowSplit('winograd4', 16, shape(512, 7), 16, 4)).toBe(false);
    expect(winogradRowSplit('winograd4', 4, shape(512, 7), 16, 4)).toBe(true);
    expect(winogradRowSplit('winograd', 16, shape(512, 7), 16, 2)).toBe(false); // F(2×2) has no row split
  });
});

describe('Conv2d dispatch between F(2×2) and F(4×4)', () => {
  it("puts every 3×3 stride-1 layer of resnet18 on F(4×4), narrow layers and sizes whose 4×4 tiles waste most on F(2×2)", () => {
    const at = (c: number, size: number) => conv2dAlgorithm([16, c, size, size], withDefaults(CONV, { outChannels: c, kernelSize: [3, 3], padding: [1, 1] }));
    expect(at(64, 56)).toEqual({ forward: 'winograd4', inputGrad: 'winograd4', weightGrad: 'winograd4' });
    expect(at(128, 28).forward).toBe('winograd4');
    // 14×14: F(2×2)'s multiplies over F(4×4)'s 1.36, at least WINOGRAD4_MIN_GAIN (and its weight gradient's).
    expect(at(256, 14)).toEqual({ forward: 'winograd4', inputGrad: 'winograd4', weightGrad: 'winograd4' });
    expect(at(256, 6).weightGrad).toBe('winograd');
    expect(at(512, 7)).toEqual({ forward: 'winograd4', inputGrad: 'winograd4', weightGrad: 'winograd4' });
    // 4×4 tiles that waste much: 9×9 and 10×10 (F(2×2)'s multiplies / F(4×4)'s = 1.23), 6×6 (1.0), 2×2 (0.44); 13×13 (1.36) does not.
    for (const size of [10, 9, 6, 2]) expect(at(128, size).forward).toBe('winograd');
    expect(at(128, 13).forward).toBe('winograd4');
    // From 28 up every size is on F(4×4) (29 and 30 waste most: 1.56).
    for (const size of [28, 29, 30, 31, 33, 57]) expect(at(64, size).forward).toBe('winograd4');
    expect(at(32, 56).forward).toBe('winograd');
    // Without padding an 11×11 input gives a 9×9 output: forward and dW (on the output's 9×9: 1.23) on F(2×2), dx (11×11: 1.78) on F(4×4).
    expect(conv2dAlgorithm([16, 64, 11, 11], withDefaults(CONV, { outChannels: 64, kernelSize: [3, 3] }))).toEqual({ forward: 'winograd', inputGrad: 'winograd4', weightGrad: 'winograd' });
  });
});

describe('winograd.wat', () => {
  it('holds the F(4×4, 3×3) section kernels/winograd4-gen.ts writes (run it, then scripts/build-kernels.mjs)', () => {
    expect(readFileSync(WINOGRAD_WAT_PATH, 'utf8')).toContain(winograd4Section());
  });
});
