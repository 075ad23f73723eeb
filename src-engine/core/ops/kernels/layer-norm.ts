import { floatAttr } from '../shape-util';
import { layerNorm } from '../layer-norm';
import { defineKernel } from './kernel';

/** LayerNorm's reference kernels (the op's declaration: ops/layer-norm.ts). */
export const layerNormKernel = defineKernel(layerNorm, {
  forward({ inputs, output, params, workspace, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const xhat = workspace.xhat.data;
    const invStd = workspace.invStd.data;
    const rows = invStd.length;
    const d = x.length / rows;
    const eps = floatAttr(attrs, 'eps');
    const gamma = params.weight?.data;
    const beta = params.bias?.data;
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      let s = 0;
      for (let i = 0; i < d; i++) s += x[base + i];
      const mean = s / d;
      let ss = 0;
      for (let i = 0; i < d; i++) {
        const t = x[base + i] - mean;
        ss += t * t;
      }
      const inv = 1 / Math.sqrt(ss / d + eps);
      invStd[r] = inv;
      for (let i = 0; i < d; i++) xhat[base + i] = (x[base + i] - mean) * inv;
      if (gamma && beta) {
        for (let i = 0; i < d; i++) y[base + i] = xhat[base + i] * gamma[i] + beta[i];
      } else {
        y.set(xhat.subarray(base, base + d), base);
      }
    }
  },
  backward({ dOutput, dInputs, params, dParams, workspace }) {
    const dy = dOutput.data;
    const xhat = workspace.xhat.data;
    const invStd = workspace.invStd.data;
    const rows = invStd.length;
    const d = dy.length / rows;
    const gamma = params.weight?.data;
    const dGamma = dParams.weight?.data;
    const dBeta = dParams.bias?.data;
    const dx = dInputs[0]?.data;
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      if (dGamma && dBeta) {
        for (let i = 0; i < d; i++) {
          const g = dy[base + i];
          dGamma[i] += g * xhat[base + i];
          dBeta[i] += g;
        }
      }
      if (!dx) continue;
      let sumG = 0;
      let sumGXhat = 0;
      if (gamma) {
        for (let i = 0; i < d; i++) {
          const g = dy[base + i] * gamma[i];
          sumG += g;
          sumGXhat += g * xhat[base + i];
        }
      } else {
        for (let i = 0; i < d; i++) {
          sumG += dy[base + i];
          sumGXhat += dy[base + i] * xhat[base + i];
        }
      }
      const inv = invStd[r];
      const meanG = sumG / d;
      const meanGXhat = sumGXhat / d;
      if (gamma) {
        for (let i = 0; i < d; i++) dx[base + i] += inv * (dy[base + i] * gamma[i] - meanG - xhat[base + i] * meanGXhat);
      } else {
        for (let i = 0; i < d; i++) dx[base + i] += inv * (dy[base + i] - meanG - xhat[base + i] * meanGXhat);
      }
    }
  },
});
