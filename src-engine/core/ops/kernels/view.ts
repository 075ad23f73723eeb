import type { ReferenceKernel } from './kernel';

/**
 * Forward and backward of an op whose output holds its input's values in another shape (Flatten,
 * Reshape): a copy, and `dx += dy`.
 */
export const viewKernel: ReferenceKernel = {
  forward({ inputs, output }) {
    output.data.set(inputs[0].data);
  },
  backward({ dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    for (let i = 0; i < dx.length; i++) dx[i] += dOutput.data[i];
  },
};
