import { transpose, permOf } from '../transpose';
import { defineKernel } from './kernel';

/** For each output element, the input element it copies (`perm`: output dim i is input dim perm[i]). */
function sourceOf(shape: readonly number[], perm: readonly number[]): Int32Array {
  const rank = shape.length;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const outShape = perm.map((p) => shape[p]);
  const n = shape.reduce((p, d) => p * d, 1);
  const src = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let s = 0;
    for (let i = 0; i < rank; i++) s += idx[i] * strides[perm[i]];
    src[o] = s;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return src;
}

/** Transpose's reference kernels (the op's declaration: ops/transpose.ts). */
export const transposeKernel = defineKernel(transpose, {
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const src = sourceOf(inputs[0].shape, permOf(attrs));
    const y = output.data;
    for (let i = 0; i < y.length; i++) y[i] = x[src[i]];
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const src = sourceOf(inputs[0].shape, permOf(attrs));
    const dy = dOutput.data;
    for (let i = 0; i < dy.length; i++) dx[src[i]] += dy[i];
  },
});
