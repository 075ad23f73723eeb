import { floatAttr } from '../shape-util';
import { batchNorm } from '../batch-norm';
import { defineKernel } from './kernel';

/** [N, C, spatial…] → (batch, channels, positions per channel per sample). */
function dims(shape: readonly number[]): [number, number, number] {
  let inner = 1;
  for (let i = 2; i < shape.length; i++) inner *= shape[i];
  return [shape[0], shape[1], inner];
}

/** weight's reference kernels (the op's declaration: ops/batch-norm.ts). */
export const batchNormKernel = defineKernel(batchNorm, {
  forward({ inputs, output, params, buffers, workspace, attrs, training }) {
    const [n, c, inner] = dims(inputs[0].shape);
    const x = inputs[0].data;
    const y = output.data;
    const xhat = workspace.xhat.data;
    const invStd = workspace.invStd.data;
    const eps = floatAttr(attrs, 'eps');
    const momentum = floatAttr(attrs, 'momentum');
    const gamma = params.weight?.data;
    const beta = params.bias?.data;
    const rm = buffers.runningMean.data;
    const rv = buffers.runningVar.data;
    const m = n * inner;
    for (let ch = 0; ch < c; ch++) {
      let mean: number;
      let inv: number;
      if (training) {
        let s = 0;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) s += x[i];
        }
        mean = s / m;
        let ss = 0;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) {
            const d = x[i] - mean;
            ss += d * d;
          }
        }
        const variance = ss / m;
        inv = 1 / Math.sqrt(variance + eps);
        // NOTE: with one value per channel the unbiased variance is undefined (PyTorch refuses to
        // train); the running variance then takes the biased value (0) instead of Infinity.
        const unbiased = m > 1 ? (ss / (m - 1)) : variance;
        rm[ch] = (1 - momentum) * rm[ch] + momentum * mean;
        rv[ch] = (1 - momentum) * rv[ch] + momentum * unbiased;
      } else {
        mean = rm[ch];
        inv = 1 / Math.sqrt(rv[ch] + eps);
      }
      invStd[ch] = inv;
      const g = gamma ? gamma[ch] : 1;
      const bb = beta ? beta[ch] : 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * inner;
        for (let i = base; i < base + inner; i++) {
          const xh = (x[i] - mean) * inv;
          xhat[i] = xh;
          y[i] = xh * g + bb;
        }
      }
    }
  },
  backward({ inputs, dOutput, dInputs, params, dParams, workspace, training }) {
    const [n, c, inner] = dims(inputs[0].shape);
    const dy = dOutput.data;
    const xhat = workspace.xhat.data;
    const invStd = workspace.invStd.data;
    const gamma = params.weight?.data;
    const dGamma = dParams.weight?.data;
    const dBeta = dParams.bias?.data;
    const dx = dInputs[0]?.data;
    const m = n * inner;
    for (let ch = 0; ch < c; ch++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * inner;
        for (let i = base; i < base + inner; i++) {
          sumDy += dy[i];
          sumDyXhat += dy[i] * xhat[i];
        }
      }
      if (dGamma) dGamma[ch] += sumDyXhat;
      if (dBeta) dBeta[ch] += sumDy;
      if (!dx) continue;
      const k = (gamma ? gamma[ch] : 1) * invStd[ch];
      if (training) {
        // NOTE: batch statistics depend on x, so dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
        const meanDy = sumDy / m;
        const meanDyXhat = sumDyXhat / m;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) dx[i] += k * (dy[i] - meanDy - xhat[i] * meanDyXhat);
        }
      } else {
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) dx[i] += k * dy[i];
        }
      }
    }
  },
});
