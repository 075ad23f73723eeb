import { floatAttr, intAttr } from '../shape-util';
import type { Attrs } from '../types';
import { groupNorm } from '../group-norm';
import { defineKernel } from './kernel';

/** Samples, groups, channels per group and elements per channel of an input of `shape`. */
function geometry(shape: readonly number[], attrs: Attrs) {
  const groups = intAttr(attrs, 'numGroups');
  const per = shape.slice(2).reduce((p, d) => p * d, 1);
  return { n: shape[0], groups, channels: shape[1], cpg: shape[1] / groups, per };
}

/** Mean and 1/√(variance + eps) (biased variance) of `size` values of `x` from `base`. */
function stats(x: Float32Array, base: number, size: number, eps: number): { mean: number; rstd: number } {
  let mean = 0;
  for (let i = 0; i < size; i++) mean += x[base + i];
  mean /= size;
  let v = 0;
  for (let i = 0; i < size; i++) v += (x[base + i] - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(v / size + eps) };
}

/** GroupNorm's reference kernels (the op's declaration: ops/group-norm.ts). */
export const groupNormKernel = defineKernel(groupNorm, {
  forward({ inputs, output, params, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const g = geometry(inputs[0].shape, attrs);
    const eps = floatAttr(attrs, 'eps');
    const w = params.weight?.data;
    const b = params.bias?.data;
    const size = g.cpg * g.per;
    for (let s = 0; s < g.n * g.groups; s++) {
      const base = s * size;
      const { mean, rstd } = stats(x, base, size, eps);
      const c0 = (s % g.groups) * g.cpg;
      for (let i = 0; i < size; i++) {
        const c = c0 + Math.floor(i / g.per);
        const xh = (x[base + i] - mean) * rstd;
        y[base + i] = w && b ? xh * w[c] + b[c] : xh;
      }
    }
  },
  backward({ inputs, dOutput, dInputs, params, dParams, attrs }) {
    const x = inputs[0].data;
    const dy = dOutput.data;
    const dx = dInputs[0]?.data;
    const g = geometry(inputs[0].shape, attrs);
    const eps = floatAttr(attrs, 'eps');
    const w = params.weight?.data;
    const dw = dParams.weight?.data;
    const db = dParams.bias?.data;
    const size = g.cpg * g.per;
    const xh = new Float64Array(size);
    for (let s = 0; s < g.n * g.groups; s++) {
      const base = s * size;
      const { mean, rstd } = stats(x, base, size, eps);
      const c0 = (s % g.groups) * g.cpg;
      let sumD = 0;
      let sumDX = 0;
      for (let i = 0; i < size; i++) {
        const c = c0 + Math.floor(i / g.per);
        xh[i] = (x[base + i] - mean) * rstd;
        const d = w ? dy[base + i] * w[c] : dy[base + i];
        sumD += d;
        sumDX += d * xh[i];
        if (dw) dw[c] += dy[base + i] * xh[i];
        if (db) db[c] += dy[base + i];
      }
      if (!dx) continue;
      for (let i = 0; i < size; i++) {
        const c = c0 + Math.floor(i / g.per);
        const d = w ? dy[base + i] * w[c] : dy[base + i];
        dx[base + i] += rstd * (d - sumD / size - (xh[i] * sumDX) / size);
      }
    }
  },
});
