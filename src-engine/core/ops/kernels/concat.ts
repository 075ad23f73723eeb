import { intAttr } from '../shape-util';
import { concat, axisOf } from '../concat';
import { defineKernel } from './kernel';

/**
 * Visit the contiguous blocks of a concat: for each outer index (dims before `axis`) and input k,
 * input k's block of `len` values at `src` lands at `dst` in the output.
 */
function copyBlocks(
  shapes: readonly (readonly number[])[],
  outShape: readonly number[],
  axis: number,
  visit: (k: number, src: number, dst: number, len: number) => void,
): void {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= outShape[i];
  let inner = 1;
  for (let i = axis + 1; i < outShape.length; i++) inner *= outShape[i];
  const outRow = outShape[axis] * inner;
  for (let o = 0; o < outer; o++) {
    let offset = 0;
    for (let k = 0; k < shapes.length; k++) {
      const len = shapes[k][axis] * inner;
      visit(k, o * len, o * outRow + offset, len);
      offset += len;
    }
  }
}

/** Concat's reference kernels (the op's declaration: ops/concat.ts). */
export const concatKernel = defineKernel(concat, {
  forward({ inputs, output, attrs }) {
    const axis = axisOf(intAttr(attrs, 'axis'), output.shape.length);
    copyBlocks(inputs.map((t) => t.shape), output.shape, axis, (k, src, dst, len) => {
      output.data.set(inputs[k].data.subarray(src, src + len), dst);
    });
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const axis = axisOf(intAttr(attrs, 'axis'), dOutput.shape.length);
    const dy = dOutput.data;
    copyBlocks(inputs.map((t) => t.shape), dOutput.shape, axis, (k, src, dst, len) => {
      const dx = dInputs[k]?.data;
      if (!dx) return;
      for (let i = 0; i < len; i++) dx[src + i] += dy[dst + i];
    });
  },
});
