import { intAttr } from '../shape-util';
import type { Attrs } from '../types';
import { slice } from '../slice';
import { defineKernel } from './kernel';

/** Rows before the axis, the axis size, and elements after it, for `shape`. */
function geometry(shape: readonly number[], attrs: Attrs) {
  const axis = intAttr(attrs, 'axis');
  return { outer: shape.slice(0, axis).reduce((p, d) => p * d, 1), size: shape[axis], inner: shape.slice(axis + 1).reduce((p, d) => p * d, 1), start: intAttr(attrs, 'start'), length: intAttr(attrs, 'length') };
}

/** Slice's reference kernels (the op's declaration: ops/slice.ts). */
export const sliceKernel = defineKernel(slice, {
  forward({ inputs, output, attrs }) {
    const g = geometry(inputs[0].shape, attrs);
    const x = inputs[0].data;
    const y = output.data;
    const run = g.length * g.inner;
    for (let o = 0; o < g.outer; o++) y.set(x.subarray((o * g.size + g.start) * g.inner, (o * g.size + g.start) * g.inner + run), o * run);
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const g = geometry(inputs[0].shape, attrs);
    const dy = dOutput.data;
    const run = g.length * g.inner;
    for (let o = 0; o < g.outer; o++) {
      const base = (o * g.size + g.start) * g.inner;
      for (let i = 0; i < run; i++) dx[base + i] += dy[o * run + i];
    }
  },
});
