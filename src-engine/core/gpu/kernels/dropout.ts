/// <reference types="@webgpu/types" />
/**
 * Dropout on the GPU, as `core/ops/dropout.ts` (`torch.nn.Dropout(p)`, inverted): in a training
 * forward each element is dropped when its draw is below the threshold, the survivors are scaled
 * by 1/(1−p), and the mask (0 or the scale) is kept for the backward, `dx += dy·mask`. Eval mode
 * (and p = 0) is a copy.
 *
 * The draws are the op file's `dropoutBits`: Jarzynski and Olano's pcg4d hash of (i + k3, k0, k1,
 * k2), in u32 arithmetic (WGSL's integer multiply and add wrap, as `Math.imul` does), so the mask
 * is the CPU's bit for bit. The key comes from the host mirror's Rng before each training forward
 * (`beforeForward`), four words per node in node order, as the CPU executor draws them; it reaches
 * the shader as uniforms rewritten through the queue, so the step stays one command buffer.
 */
import { dropoutKey, dropoutMaskParams } from '../../ops/kernels/dropout';
import { floatAttr } from '../../ops/shape-util';
import { WORKGROUP, bindDispatch, bindUpdatableDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';
import { viewKernel } from './views';

const PARAMS = `struct Params {
  n: u32, xOff: u32, yOff: u32, maskOff: u32,
  k0: u32, k1: u32, k2: u32, k3: u32,
  threshold: u32, rowStride: u32, scale: f32, pad: u32,
}`;

/**
 * The op file's `dropoutBits` in WGSL: Jarzynski and Olano's pcg4d of (i + k3, k0, k1, k2), its
 * fourth word. u32 multiply and add wrap in WGSL as `Math.imul` does in JavaScript, so the bits
 * are the same. Shared with the Noise kernel (`noise.ts`).
 */
export const PCG4D_WGSL = `fn pcg4dLcg(v: u32) -> u32 { return v * 1664525u + 1013904223u; }
fn pcg4d(i: u32, k0: u32, k1: u32, k2: u32, k3: u32) -> u32 {
  var x = pcg4dLcg(i + k3);
  var y = pcg4dLcg(k0);
  var z = pcg4dLcg(k1);
  var w = pcg4dLcg(k2);
  x += y * w; y += z * x; z += x * y; w += y * z;
  x ^= x >> 16u; y ^= y >> 16u; z ^= z >> 16u; w ^= w >> 16u;
  x += y * w; y += z * x; z += x * y; w += y * z;
  return w;
}`;

const FORWARD = `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> MASK: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${PCG4D_WGSL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let m = select(P.scale, 0.0, pcg4d(i, P.k0, P.k1, P.k2, P.k3) < P.threshold);
  MASK[P.maskOff + i] = m;
  Y[P.yOff + i] = X[P.xOff + i] * m;
}
`;

const BACKWARD = `struct Params { n: u32, dyOff: u32, dxOff: u32, maskOff: u32, rowStride: u32, }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> MASK: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  DX[P.dxOff + i] = DX[P.dxOff + i] + DY[P.dyOff + i] * MASK[P.maskOff + i];
}
`;

export const dropoutKernel: GpuOpKernel = {
  prepare(args) {
    const p = floatAttr(args.attrs, 'p');
    // p = 0 draws nothing and is the identity in both modes, as the op file.
    if (p === 0) return viewKernel.prepare(args);
    const { ctx, inputs, output, dOutput, dInputs, workspace, rng } = args;
    const x = inputs[0];
    const mask = workspace('mask', x.length);
    const { threshold, scale } = dropoutMaskParams(p);
    const { workgroups, rowStride } = grid1d(ctx, x.length);
    const uniforms = (key: readonly number[]): Uint32Array =>
      words([x.length, x.offset, output.offset, mask.offset, ...key.map((k) => k >>> 0), threshold, rowStride], { 10: scale });
    const fwd = bindUpdatableDispatch(ctx, 'dropout:fwd', () => FORWARD, [x.buffer, output.buffer, mask.buffer], uniforms([0, 0, 0, 0]), workgroups);
    const copy = viewKernel.prepare({ ...args, dOutput: null });
    const dx = dInputs[0];
    const backward =
      dOutput && dx ? [bindDispatch(ctx, 'dropout:bwd', () => BACKWARD, [dOutput.buffer, mask.buffer, dx.buffer], words([x.length, dOutput.offset, dx.offset, mask.offset, rowStride]), workgroups)] : [];
    return {
      forward: [fwd.dispatch],
      evalForward: copy.forward,
      backward,
      beforeForward(training) {
        if (training) fwd.update(uniforms(dropoutKey(rng)));
      },
    };
  },
};
