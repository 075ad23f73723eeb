/// <reference types="@webgpu/types" />
/**
 * Flatten and Reshape on the GPU, as `viewKernel` in `core/ops/kernels/view.ts`: the output is the
 * input's values in the same order (a copy), the backward adds the output's gradient into the
 * input's.
 */
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

function copyShader(accumulate: boolean): string {
  return kernel1d(
    'struct Params { n: u32, srcOff: u32, dstOff: u32, rowStride: u32, }',
    [
      ['SRC', 'read'],
      ['DST', 'read_write'],
    ],
    `  DST[P.dstOff + i] = ${accumulate ? 'DST[P.dstOff + i] + ' : ''}SRC[P.srcOff + i];
`,
    { bound: 'P.n' },
  );
}

export const viewKernel: GpuOpKernel = {
  prepare({ ctx, inputs, output, dOutput, dInputs }) {
    const x = inputs[0];
    const { workgroups, rowStride } = grid1d(ctx, x.length);
    const forward = [bindDispatch(ctx, 'view:copy', () => copyShader(false), [x.buffer, output.buffer], words([x.length, x.offset, output.offset, rowStride]), workgroups)];
    const dx = dInputs[0];
    const backward = dOutput && dx ? [bindDispatch(ctx, 'view:add', () => copyShader(true), [dOutput.buffer, dx.buffer], words([x.length, dOutput.offset, dx.offset, rowStride]), workgroups)] : [];
    return { forward, backward };
  },
};
