/**
 * What the Conv2d kernel tests of the CPU backend share (winograd.test.ts, direct3x3.test.ts): a
 * case's shape, a float64 direct convolution with its error scales Σ|·||·|, and the error measure.
 */
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Backend } from '../../../src-engine/core/backend/types';
import { Rng } from '../../../src-engine/base/rng';
import { runOp, withDefaults } from '../engine/harness';

export const EPS = 2 ** -24;

export function randn(shape: number[], rng: Rng, scale = 1): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = scale * rng.normal();
  return t;
}

export interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  outC: number;
  p: [number, number];
  bias: boolean;
}

/** Exact y = conv(x, w) + b, dx = conv_transpose(dy, w), dW and db, with error scales Σ|·||·|. */
export function direct64(k: Case, x: Float32Array, w: Float32Array, b: Float32Array | null, dy: Float32Array) {
  const { n, c, h, w: W, outC, p } = k;
  const oh = h + 2 * p[0] - 2;
  const ow = W + 2 * p[1] - 2;
  const y = new Float64Array(n * outC * oh * ow);
  const yScale = new Float64Array(y.length);
  const dx = new Float64Array(n * c * h * W);
  const dxScale = new Float64Array(dx.length);
  const dW = new Float64Array(outC * c * 9);
  const dWScale = new Float64Array(dW.length);
  const db = new Float64Array(outC);
  const dbScale = new Float64Array(outC);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < outC; o++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const yi = ((s * outC + o) * oh + i) * ow + j;
          let acc = b ? b[o] : 0;
          let scale = b ? Math.abs(b[o]) : 0;
          const g = dy[yi];
          for (let ci = 0; ci < c; ci++) {
            for (let a = 0; a < 3; a++) {
              const ih = i + a - p[0];
              if (ih < 0 || ih >= h) continue;
              for (let bb = 0; bb < 3; bb++) {
                const iw = j + bb - p[1];
                if (iw < 0 || iw >= W) continue;
                const xi = ((s * c + ci) * h + ih) * W + iw;
                const wv = w[((o * c + ci) * 3 + a) * 3 + bb];
                acc += x[xi] * wv;
                scale += Math.abs(x[xi] * wv);
                dx[xi] += g * wv;
                dxScale[xi] += Math.abs(g * wv);
                dW[((o * c + ci) * 3 + a) * 3 + bb] += g * x[xi];
                dWScale[((o * c + ci) * 3 + a) * 3 + bb] += Math.abs(g * x[xi]);
              }
            }
          }
          y[yi] = acc;
          yScale[yi] = scale;
          db[o] += g;
          dbScale[o] += Math.abs(g);
        }
      }
    }
  }
  return { y, yScale, dx, dxScale, dW, dWScale, db, dbScale };
}

/** Largest |got − exact| / (EPS · scale) (∞ for NaN). */
export function worstRatio(got: Float32Array, exact: Float64Array, scale: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < exact.length; i++) {
    const r = Math.abs(got[i] - exact[i]) / (EPS * Math.max(scale[i], 1e-30));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}

export const CONV = getOp('Conv2d')!;

export function attrsOf(k: Case): Attrs {
  return withDefaults(CONV, { outChannels: k.outC, kernelSize: [3, 3], padding: k.p, bias: k.bias });
}

export function label(k: Case): string {
  return `${k.n}×${k.c}×${k.h}×${k.w} → ${k.outC}, pad ${k.p.join('/')}${k.bias ? '' : ', no bias'}`;
}


/**
 * A case's random x, weight (and bias) and dOutput (seeded by its shape), and `run`: the op forward
 * and backward on a backend (with runOp's options, e.g. a fresh dx or none).
 */
export function caseInputs(k: Case) {
  const attrs = attrsOf(k);
  const rng = new Rng(k.n * 1000 + k.c * 31 + k.h);
  const x = randn([k.n, k.c, k.h, k.w], rng);
  const weight = randn([k.outC, k.c, 3, 3], rng, 0.5);
  const params: Record<string, Tensor> = { weight };
  if (k.bias) params.bias = randn([k.outC], rng, 0.5);
  const oh = k.h + 2 * k.p[0] - 2;
  const ow = k.w + 2 * k.p[1] - 2;
  const dOutput = randn([k.n, k.outC, oh, ow], rng);
  const run = (backend: Backend, more: { freshInputGradients?: boolean; noGrad?: number[]; unwantedParamGradients?: boolean } = {}) =>
    runOp(CONV, { inputs: [x], attrs, params, dOutput, backend, ...more });
  return { x, weight, params, dOutput, oh, ow, run };
}

/**
 * A case's inputs (caseInputs), the op run forward and backward on `cpu1`, `cpu2` and the reference
 * backend, and the float64 result.
 */
export function runCase(k: Case, cpu1: Backend, cpu2: Backend) {
  const inputs = caseInputs(k);
  const { x, weight, params, dOutput, run } = inputs;
  const exact = direct64(k, x.data, weight.data, params.bias?.data ?? null, dOutput.data);
  return { ...inputs, one: run(cpu1), two: run(cpu2), ref: run(createReferenceBackend()), exact };
}

/** |w| ([Cout][C][3][3]) and dx's kernel: |w| rotated 180° with its channel axes swapped ([C][Cout][3][3]). */
export function kernelMagnitudes(w: Float32Array, k: Case): { wAbs: Float64Array; wRot: Float64Array } {
  const wAbs = Float64Array.from(w, Math.abs);
  const wRot = new Float64Array(wAbs.length);
  for (let o = 0; o < k.outC; o++) {
    for (let ci = 0; ci < k.c; ci++) for (let t = 0; t < 9; t++) wRot[(ci * k.outC + o) * 9 + 8 - t] = wAbs[(o * k.c + ci) * 9 + t];
  }
  return { wAbs, wRot };
}
