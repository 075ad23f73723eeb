import { intAttr } from '../shape-util';
import { softmax, resolveAxis } from '../softmax';
import { defineKernel } from './kernel';

/** Split a shape around `axis` into (outer, length, inner) for strided access. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** Softmax's reference kernels (the op's declaration: ops/softmax.ts). */
export const softmaxKernel = defineKernel(softmax, {
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const [outer, len, inner] = around(inputs[0].shape, resolveAxis(intAttr(attrs, 'axis'), inputs[0].shape.length));
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < inner; r++) {
        const base = o * len * inner + r;
        // NOTE: subtracting the max before exp changes nothing mathematically (it cancels in the
        // ratio) but keeps every exp argument ≤ 0: no overflow to Infinity for large scores
        // (exp(89) already overflows float32), and the largest term is exactly 1 so the sum is ≥ 1.
        let max = -Infinity;
        for (let k = 0; k < len; k++) {
          const v = x[base + k * inner];
          if (v > max || v !== v) max = v;
        }
        let sum = 0;
        for (let k = 0; k < len; k++) {
          const e = Math.exp(x[base + k * inner] - max);
          y[base + k * inner] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let k = 0; k < len; k++) y[base + k * inner] *= inv;
      }
    }
  },
  backward({ inputs, output, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const y = output.data;
    const dy = dOutput.data;
    const [outer, len, inner] = around(inputs[0].shape, resolveAxis(intAttr(attrs, 'axis'), inputs[0].shape.length));
    // dxᵢ = yᵢ·(dyᵢ − Σⱼ dyⱼ·yⱼ)
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < inner; r++) {
        const base = o * len * inner + r;
        let dot = 0;
        for (let k = 0; k < len; k++) dot += dy[base + k * inner] * y[base + k * inner];
        for (let k = 0; k < len; k++) {
          const i = base + k * inner;
          dx[i] += y[i] * (dy[i] - dot);
        }
      }
    }
  },
});
