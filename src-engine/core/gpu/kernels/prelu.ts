/// <reference types="@webgpu/types" />
/**
 * PReLU on the GPU, as `core/ops/prelu.ts` (`nn.PReLU(C)`: a learned slope per channel of
 * [N, C, …]):
 * - forward: one invocation per value, `y = x > 0 ? x : w[c]·x`;
 * - backward, input: `dx += x > 0 ? dy : w[c]·dy` per value;
 * - backward, slope: one invocation per channel adds `x·dy` over the values where x ≤ 0, sample by
 *   sample and position by position — the op file's order, so the same float32 sum.
 *
 * NOTE: as in the op file, `x > 0` is false for NaN, so a NaN input takes the slope's branch (and
 * gives NaN either way). Sizes are uniforms: one pipeline per direction.
 */
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import type { GpuDispatch } from '../gemm';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params {
  total: u32, plane: u32, channels: u32, rowStride: u32,
  x: u32, w: u32, y: u32, dy: u32,
}`;

const FORWARD = kernel1d(
  PARAMS,
  [
    ['X', 'read'],
    ['W', 'read'],
    ['Y', 'read_write'],
  ],
  `  let v = X[P.x + i];
  let c = (i / P.plane) % P.channels;
  Y[P.y + i] = select(W[P.w + c] * v, v, v > 0.0);
`,
);

// Offsets: x = x, w = slope, y = dx, dy = dy.
const BACKWARD_INPUT = kernel1d(
  PARAMS,
  [
    ['X', 'read'],
    ['W', 'read'],
    ['DX', 'read_write'],
    ['DY', 'read'],
  ],
  `  let c = (i / P.plane) % P.channels;
  let g = DY[P.dy + i];
  DX[P.y + i] = DX[P.y + i] + select(W[P.w + c] * g, g, X[P.x + i] > 0.0);
`,
);

// Offsets: x = x, w = dSlope, dy = dy; `total` is the channel count here, one invocation each.
const BACKWARD_SLOPE = kernel1d(
  PARAMS,
  [
    ['X', 'read'],
    ['DW', 'read_write'],
    ['DY', 'read'],
  ],
  `  var acc = DW[P.w + i];
  let samples = P.y;
  for (var n = 0u; n < samples; n = n + 1u) {
    let base = (n * P.channels + i) * P.plane;
    for (var p = 0u; p < P.plane; p = p + 1u) {
      let v = X[P.x + base + p];
      if (!(v > 0.0)) { acc = acc + v * DY[P.dy + base + p]; }
    }
  }
  DW[P.w + i] = acc;
`,
);

export const preluKernel: GpuOpKernel = {
  prepare({ ctx, inputShapes, inputs, output, params, dParams, dOutput, dInputs }) {
    const shape = inputShapes[0];
    const channels = shape[1];
    const plane = shape.slice(2).reduce((p, d) => p * d, 1);
    const x = inputs[0];
    const w = params.weight;
    const all = grid1d(ctx, x.length);
    const forward = [bindDispatch(ctx, 'prelu:forward', () => FORWARD, [x.buffer, w.buffer, output.buffer], words([x.length, plane, channels, all.rowStride, x.offset, w.offset, output.offset, 0]), all.workgroups, 2 * x.length)];
    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dx = dInputs[0];
      if (dx) backward.push(bindDispatch(ctx, 'prelu:dx', () => BACKWARD_INPUT, [x.buffer, w.buffer, dx.buffer, dOutput.buffer], words([x.length, plane, channels, all.rowStride, x.offset, w.offset, dx.offset, dOutput.offset]), all.workgroups));
      const dw = dParams.weight;
      if (dw) {
        const perChannel = grid1d(ctx, channels);
        backward.push(bindDispatch(ctx, 'prelu:dw', () => BACKWARD_SLOPE, [x.buffer, dw.buffer, dOutput.buffer], words([channels, plane, channels, perChannel.rowStride, x.offset, dw.offset, shape[0], dOutput.offset]), perChannel.workgroups));
      }
    }
    return { forward, backward };
  },
};
