import { linear } from '../linear';
import { defineKernel } from './kernel';

/** Linear's reference kernels (the op's declaration: ops/linear.ts). */
export const linearKernel = defineKernel(linear, {
  forward({ inputs, output, params, backend }) {
    const x = inputs[0];
    const inF = x.shape[x.shape.length - 1];
    const outF = output.shape[output.shape.length - 1];
    const rows = x.data.length / inF;
    const w = params.weight.data;
    backend.gemm({ transA: false, transB: true, m: rows, n: outF, k: inF, a: x.data, b: w, c: output.data, accumulate: false });
    const b = params.bias?.data;
    if (b) {
      const y = output.data;
      for (let r = 0; r < rows; r++) {
        const o = r * outF;
        for (let j = 0; j < outF; j++) y[o + j] += b[j];
      }
    }
  },
  skipsUnwantedParamGradients: true,
  backward({ inputs, dOutput, dInputs, params, dParams, dParamsWanted, backend }) {
    const x = inputs[0];
    const inF = x.shape[x.shape.length - 1];
    const outF = dOutput.shape[dOutput.shape.length - 1];
    const rows = x.data.length / inF;
    const dy = dOutput.data;
    const dx = dInputs[0];
    if (dx) backend.gemm({ transA: false, transB: false, m: rows, n: inF, k: outF, a: dy, b: params.weight.data, c: dx.data, accumulate: true });
    if (dParamsWanted === false) return;
    backend.gemm({ transA: true, transB: false, m: outF, n: inF, k: rows, a: dy, b: x.data, c: dParams.weight.data, accumulate: true });
    const db = dParams.bias?.data;
    if (db) {
      for (let r = 0; r < rows; r++) {
        const o = r * outF;
        for (let j = 0; j < outF; j++) db[j] += dy[o + j];
      }
    }
  },
});
