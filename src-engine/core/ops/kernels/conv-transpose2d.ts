import { convGeometry } from '../shape-util';
import { convTranspose2d, convTranspose2dPlan } from '../conv-transpose2d';
import { defineKernel } from './kernel';

/** ConvTranspose2d's reference kernels (the op's declaration: ops/conv-transpose2d.ts). */
export const convTranspose2dKernel = defineKernel(convTranspose2d, {
  forward({ inputs, output, params, workspace, attrs, backend }) {
    const x = inputs[0];
    const c = convTranspose2dPlan(x.shape, attrs);
    const icg = c.inC / c.groups;
    const ocg = c.outC / c.groups;
    const rows = ocg * c.k[0] * c.k[1];
    const hw = c.h * c.w;
    const outSpatial = c.outH * c.outW;
    // The output image plays the role of Conv2d's input: windows of the output map to input pixels.
    const g = convGeometry(ocg, c.outH, c.outW, c.k, c.s, c.p, c.d, c.h, c.w);
    const cols = workspace.cols.data;
    const wData = params.weight.data;
    output.data.fill(0);
    for (let n = 0; n < x.shape[0]; n++) {
      const out = output.data.subarray(n * c.outC * outSpatial, (n + 1) * c.outC * outSpatial);
      for (let gi = 0; gi < c.groups; gi++) {
        const img = x.data.subarray((n * c.inC + gi * icg) * hw, (n * c.inC + (gi + 1) * icg) * hw);
        // cols [rows, hw] = W_gᵀ · x_g, with W_g stored [icg, rows].
        backend.gemm({ transA: true, transB: false, m: rows, n: hw, k: icg, a: wData.subarray(gi * icg * rows, (gi + 1) * icg * rows), b: img, c: cols, accumulate: false });
        backend.col2im(cols, g, out.subarray(gi * ocg * outSpatial, (gi + 1) * ocg * outSpatial));
      }
      const bias = params.bias?.data;
      if (bias) {
        for (let o = 0; o < c.outC; o++) {
          const bv = bias[o];
          for (let i = o * outSpatial; i < (o + 1) * outSpatial; i++) out[i] += bv;
        }
      }
    }
  },
  skipsUnwantedParamGradients: true,
  backward({ inputs, dOutput, dInputs, params, dParams, dParamsWanted, workspace, attrs, backend }) {
    const x = inputs[0];
    const c = convTranspose2dPlan(x.shape, attrs);
    const wanted = dParamsWanted !== false;
    const icg = c.inC / c.groups;
    const ocg = c.outC / c.groups;
    const rows = ocg * c.k[0] * c.k[1];
    const hw = c.h * c.w;
    const outSpatial = c.outH * c.outW;
    const g = convGeometry(ocg, c.outH, c.outW, c.k, c.s, c.p, c.d, c.h, c.w);
    const cols = workspace.cols.data;
    const wData = params.weight.data;
    const dW = dParams.weight.data;
    const dx = dInputs[0];
    const db = wanted ? dParams.bias?.data : undefined;
    for (let n = 0; n < x.shape[0]; n++) {
      const dyImg = dOutput.data.subarray(n * c.outC * outSpatial, (n + 1) * c.outC * outSpatial);
      for (let gi = 0; gi < c.groups; gi++) {
        backend.im2col(dyImg.subarray(gi * ocg * outSpatial, (gi + 1) * ocg * outSpatial), g, cols);
        const start = (n * c.inC + gi * icg) * hw;
        const img = x.data.subarray(start, start + icg * hw);
        const wG = wData.subarray(gi * icg * rows, (gi + 1) * icg * rows);
        // dW_g [icg, rows] += x_g [icg, hw] · colsᵀ
        if (wanted) backend.gemm({ transA: false, transB: true, m: icg, n: rows, k: hw, a: img, b: cols, c: dW.subarray(gi * icg * rows, (gi + 1) * icg * rows), accumulate: true });
        // dx_g [icg, hw] += W_g [icg, rows] · cols
        if (dx) backend.gemm({ transA: false, transB: false, m: icg, n: hw, k: rows, a: wG, b: cols, c: dx.data.subarray(start, start + icg * hw), accumulate: true });
      }
      if (db) {
        for (let o = 0; o < c.outC; o++) {
          let s = 0;
          for (let i = o * outSpatial; i < (o + 1) * outSpatial; i++) s += dyImg[i];
          db[o] += s;
        }
      }
    }
  },
});
