/// <reference types="@webgpu/types" />
/**
 * ConvTranspose2d on the GPU, as `core/ops/conv-transpose2d.ts` (`torch.nn.ConvTranspose2d`:
 * weight `[inC, outC/groups, kH, kW]`, stride, padding, output padding, dilation, groups,
 * optional bias), through Conv2d's shaders (`conv.ts`). A transposed convolution is the adjoint
 * of the Conv2d whose image is this op's output `[N, outC, outH, outW]`, whose output is this op's
 * input `[N, inC, H, W]` and whose weight `[inC, outC/groups, kH, kW]` is this op's weight as
 * stored; so, with that Conv2d's geometry:
 * - forward `y = b + Σ x·W`: Conv2d's `dx` product, writing (not adding) and adding the bias —
 *   each output element sums the input pixels whose windows reach it (col2im as a gather);
 * - `dx += …`: Conv2d's forward (a plain correlation of `dy` with `W`), adding;
 * - `dW += …`: Conv2d's `dW` with the image and the gradient swapped (`dy` as the image, `x` as
 *   the output gradient), split over workgroups with its partials in this node's workspace;
 * - `db += …`: Conv2d's `db` over `dy` (with this op's own output geometry).
 *
 * NOTE: output padding needs nothing of its own: it only makes the image `outH × outW` larger,
 * and the gather leaves the rows/columns no window reaches at the bias, as the op file's col2im
 * does. The Conv2d geometry is given explicitly (H, W as the Conv2d's output size), not derived
 * from the image size, which output padding (or `outputPadding ≥ stride` with dilation) would
 * make differ. Every pass is one of Conv2d's implicit GEMMs (or its direct `db`): no two
 * invocations write one float, and the sums run in a fixed order.
 */
import { convTranspose2dPlan } from '../../ops/conv-transpose2d';
import { GpuError } from '../context';
import type { GpuDispatch } from '../gemm';
import { convDispatches, type ConvShape } from './conv';
import type { GpuOpKernel } from './types';

export const convTranspose2dKernel: GpuOpKernel = {
  prepare(args) {
    const { nodeId, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs } = args;
    const c = convTranspose2dPlan(inputShapes[0], attrs);
    const x = inputs[0];
    const w = params.weight;
    const b = params.bias;
    if (!w) throw new GpuError('E_GPU_BAD_ARGS', `ConvTranspose2d ${nodeId}: no weight on the device.`);
    // The adjoint Conv2d: its image is this op's output, its output this op's input.
    const adjoint: ConvShape = { n: c.n, c: c.outC, h: c.outH, w: c.outW, oc: c.inC, oh: c.h, ow: c.w, groups: c.groups, k: c.k, s: c.s, p: c.p, d: c.d };
    const flops = 2 * x.length * (c.outC / c.groups) * c.k[0] * c.k[1];
    // Without a bias, W stands in for B's binding (never read: hasBias is false).
    const forward = convDispatches(args, 'dx', adjoint, { buffers: [x.buffer, w.buffer, (b ?? w).buffer, output.buffer], offsets: [output.offset, w.offset, b?.offset ?? 0, x.offset], hasBias: !!b, accumulate: false }, flops);
    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dx = dInputs[0];
      if (dx) {
        backward.push(...convDispatches(args, 'fwd', adjoint, { buffers: [dOutput.buffer, w.buffer, w.buffer, dx.buffer], offsets: [dOutput.offset, w.offset, 0, dx.offset], hasBias: false, accumulate: true }, flops));
      }
      const dw = dParams.weight;
      if (dw) {
        backward.push(...convDispatches(args, 'dw', adjoint, { buffers: [dOutput.buffer, x.buffer, dw.buffer], offsets: [dOutput.offset, dw.offset, 0, x.offset], hasBias: false, accumulate: true }, flops));
      }
      const db = dParams.bias;
      if (db) {
        // db[o] = Σ dy[n, o, ·, ·]: the `db` pass reads the output geometry (oc, oh, ow), so it gets this op's own.
        const own: ConvShape = { ...adjoint, c: c.inC, h: c.h, w: c.w, oc: c.outC, oh: c.outH, ow: c.outW };
        backward.push(...convDispatches(args, 'db', own, { buffers: [dOutput.buffer, db.buffer], offsets: [0, 0, db.offset, dOutput.offset], hasBias: false, accumulate: true }));
      }
    }
    return { forward, backward };
  },
};
