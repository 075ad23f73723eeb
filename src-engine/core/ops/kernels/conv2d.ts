import { convGeometry } from '../shape-util';
import { conv2d, type ConvPlan, conv2dPlan } from '../conv2d';
import { defineKernel } from './kernel';

function isPointwise(c: ConvPlan): boolean {
  return c.k[0] === 1 && c.k[1] === 1 && c.s[0] === 1 && c.s[1] === 1 && c.p[0] === 0 && c.p[1] === 0;
}

/** Conv2d's reference kernels (the op's declaration: ops/conv2d.ts). */
export const conv2dKernel = defineKernel(conv2d, {
  forward({ inputs, output, params, workspace, attrs, backend }) {
    const x = inputs[0];
    const c = conv2dPlan(x.shape, attrs);
    const cg = c.inC / c.groups;
    const og = c.outC / c.groups;
    const rows = cg * c.k[0] * c.k[1];
    const spatial = c.outH * c.outW;
    const g = convGeometry(cg, c.h, c.w, c.k, c.s, c.p, c.d, c.outH, c.outW);
    const direct = isPointwise(c);
    const wData = params.weight.data;
    const cols = workspace.cols.data;
    const inSize = c.inC * c.h * c.w;
    const outSize = c.outC * spatial;
    for (let n = 0; n < x.shape[0]; n++) {
      for (let gi = 0; gi < c.groups; gi++) {
        const img = x.data.subarray(n * inSize + gi * cg * c.h * c.w, n * inSize + (gi + 1) * cg * c.h * c.w);
        let colm = img;
        if (!direct) {
          backend.im2col(img, g, cols);
          colm = cols;
        }
        backend.gemm({
          transA: false, transB: false, m: og, n: spatial, k: rows,
          a: wData.subarray(gi * og * rows, (gi + 1) * og * rows),
          b: colm,
          c: output.data.subarray(n * outSize + gi * og * spatial, n * outSize + (gi + 1) * og * spatial),
          accumulate: false,
        });
      }
      const bias = params.bias?.data;
      if (bias) {
        const y = output.data;
        for (let o = 0; o < c.outC; o++) {
          const base = n * outSize + o * spatial;
          const bv = bias[o];
          for (let i = 0; i < spatial; i++) y[base + i] += bv;
        }
      }
    }
  },
  skipsUnwantedParamGradients: true,
  backward({ inputs, dOutput, dInputs, params, dParams, dParamsWanted, workspace, attrs, backend }) {
    const x = inputs[0];
    const c = conv2dPlan(x.shape, attrs);
    const wanted = dParamsWanted !== false;
    const cg = c.inC / c.groups;
    const og = c.outC / c.groups;
    const rows = cg * c.k[0] * c.k[1];
    const spatial = c.outH * c.outW;
    const g = convGeometry(cg, c.h, c.w, c.k, c.s, c.p, c.d, c.outH, c.outW);
    const direct = isPointwise(c);
    const cols = workspace.cols.data;
    const dcols = workspace.dcols.data;
    const wData = params.weight.data;
    const dW = dParams.weight.data;
    const dx = dInputs[0];
    const inSize = c.inC * c.h * c.w;
    const outSize = c.outC * spatial;
    const dy = dOutput.data;
    for (let n = 0; n < x.shape[0]; n++) {
      for (let gi = 0; gi < c.groups; gi++) {
        const imgStart = n * inSize + gi * cg * c.h * c.w;
        const img = x.data.subarray(imgStart, imgStart + cg * c.h * c.w);
        const dyG = dy.subarray(n * outSize + gi * og * spatial, n * outSize + (gi + 1) * og * spatial);
        const wG = wData.subarray(gi * og * rows, (gi + 1) * og * rows);
        // NOTE: the columns are recomputed rather than kept from forward for the whole batch:
        // one sample's worth of workspace instead of N, for one extra (cheap) unfold.
        if (wanted) {
          let colm = img;
          if (!direct) {
            backend.im2col(img, g, cols);
            colm = cols;
          }
          backend.gemm({ transA: false, transB: true, m: og, n: rows, k: spatial, a: dyG, b: colm, c: dW.subarray(gi * og * rows, (gi + 1) * og * rows), accumulate: true });
        }
        if (dx) {
          const dImg = dx.data.subarray(imgStart, imgStart + cg * c.h * c.w);
          if (direct) {
            backend.gemm({ transA: true, transB: false, m: rows, n: spatial, k: og, a: wG, b: dyG, c: dImg, accumulate: true });
          } else {
            backend.gemm({ transA: true, transB: false, m: rows, n: spatial, k: og, a: wG, b: dyG, c: dcols, accumulate: false });
            backend.col2im(dcols, g, dImg);
          }
        }
      }
      const db = dParams.bias?.data;
      if (db && wanted) {
        for (let o = 0; o < c.outC; o++) {
          const base = n * outSize + o * spatial;
          let s = 0;
          for (let i = 0; i < spatial; i++) s += dy[base + i];
          db[o] += s;
        }
      }
    }
  },
});
