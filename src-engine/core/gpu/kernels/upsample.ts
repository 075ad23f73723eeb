/// <reference types="@webgpu/types" />
/**
 * Upsample on the GPU, as `core/ops/upsample.ts` (`torch.nn.Upsample(scale_factor=s,
 * mode='nearest')` with an integer factor s ≥ 1): every input pixel becomes an s×s block.
 * - forward: one invocation per output element copies its source pixel `x[⌊y/s⌋, ⌊x/s⌋]`;
 * - `dx += …`: one invocation per input element sums `dy` over its s×s block (a gather: no two
 *   invocations write one float, and WGSL has no float atomics).
 *
 * NOTE: the op file knows only `mode: 'nearest'`; any other mode is refused (`unsupported`) rather
 * than run as nearest, so a mode added to the op file without a kernel fails the GPU compile with
 * E_GPU_NO_KERNEL instead of training something else.
 */
import type { Attrs } from '../../../base/ir/types';
import { intAttr } from '../../ops/shape-util';
import type { GpuDispatch } from '../gemm';
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params {
  h: u32, w: u32, s: u32, xOff: u32,
  yOff: u32, rowStride: u32, total: u32, _pad: u32,
}`;

// Y[plane, oy, ox] = X[plane, oy / s, ox / s]
const FORWARD = kernel1d(PARAMS, [['X', 'read'], ['Y', 'read_write']], `  let ow = P.w * P.s;
  let oh = P.h * P.s;
  let ox = i % ow;
  let oy = (i / ow) % oh;
  let plane = i / (ow * oh);
  Y[P.yOff + i] = X[P.xOff + (plane * P.h + oy / P.s) * P.w + ox / P.s];
`);

// dX[plane, y, x] += Σ_{ky, kx < s} dY[plane, y·s + ky, x·s + kx]   (rows of the block outer, as the op file)
const BACKWARD = kernel1d(PARAMS, [['DY', 'read'], ['DX', 'read_write']], `  let x = i % P.w;
  let y = (i / P.w) % P.h;
  let plane = i / (P.w * P.h);
  let ow = P.w * P.s;
  let first = P.yOff + (plane * P.h * P.s + y * P.s) * ow + x * P.s;
  var acc = 0.0;
  for (var ky = 0u; ky < P.s; ky = ky + 1u) {
    for (var kx = 0u; kx < P.s; kx = kx + 1u) { acc = acc + DY[first + ky * ow + kx]; }
  }
  DX[P.xOff + i] = DX[P.xOff + i] + acc;
`);

export const upsampleKernel: GpuOpKernel = {
  unsupported(attrs: Attrs) {
    const mode = attrs.mode ?? 'nearest';
    return mode === 'nearest' ? null : `mode '${String(mode)}' (the GPU kernel is nearest-neighbour only)`;
  },
  prepare({ ctx, attrs, inputShapes, inputs, output, dOutput, dInputs }) {
    const [, , h, w] = inputShapes[0];
    const s = intAttr(attrs, 'scaleFactor');
    const x = inputs[0];
    const fwd = grid1d(ctx, output.length);
    const forward = [bindDispatch(ctx, 'upsample:fwd', () => FORWARD, [x.buffer, output.buffer], words([h, w, s, x.offset, output.offset, fwd.rowStride, output.length, 0]), fwd.workgroups)];
    const backward: GpuDispatch[] = [];
    const dx = dInputs[0];
    if (dOutput && dx) {
      const b = grid1d(ctx, dx.length);
      backward.push(bindDispatch(ctx, 'upsample:bwd', () => BACKWARD, [dOutput.buffer, dx.buffer], words([h, w, s, dx.offset, dOutput.offset, b.rowStride, dx.length, 0]), b.workgroups));
    }
    return { forward, backward };
  },
};
