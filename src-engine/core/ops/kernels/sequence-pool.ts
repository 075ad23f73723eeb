import { sequencePool, isLast } from '../sequence-pool';
import { defineKernel } from './kernel';

/** `[N, T, rest…]` as (N, T, size of rest). */
function dims(shape: readonly number[]): [number, number, number] {
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}

/** SequencePool's reference kernels (the op's declaration: ops/sequence-pool.ts). */
export const sequencePoolKernel = defineKernel(sequencePool, {
  forward({ inputs, output, attrs }) {
    const [n, t, f] = dims(inputs[0].shape);
    const x = inputs[0].data;
    const y = output.data;
    if (isLast(attrs)) {
      for (let b = 0; b < n; b++) y.set(x.subarray((b * t + t - 1) * f, (b * t + t) * f), b * f);
      return;
    }
    y.fill(0);
    for (let b = 0; b < n; b++) for (let s = 0; s < t; s++) for (let j = 0; j < f; j++) y[b * f + j] += x[(b * t + s) * f + j];
    for (let i = 0; i < y.length; i++) y[i] /= t;
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const [n, t, f] = dims(inputs[0].shape);
    const dy = dOutput.data;
    const last = isLast(attrs);
    for (let b = 0; b < n; b++) {
      for (let s = last ? t - 1 : 0; s < t; s++) for (let j = 0; j < f; j++) dx[(b * t + s) * f + j] += last ? dy[b * f + j] : dy[b * f + j] / t;
    }
  },
});
