import { input } from '../input';
import { defineKernel } from './kernel';

/** Input's reference kernels (the op's declaration: ops/input.ts). */
export const inputKernel = defineKernel(input, {
  forward() {
    // The executor writes the batch straight into this node's output storage.
  },
});
