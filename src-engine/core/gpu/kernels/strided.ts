/// <reference types="@webgpu/types" />
/**
 * Strided index arithmetic shared by the GPU kernels that move values between tensors of
 * different layouts (Transpose, broadcast Multiply): up to {@link MAX_RANK} dims, as uniforms, so
 * one compiled pipeline serves every shape and permutation.
 *
 * A shader gets arrays of dims and strides as `array<vec4<u32>, 2>` uniforms (8 slots; unused
 * trailing slots are never read past `rank`) and reads slot k with {@link slot}.
 */
import { GpuError } from '../context';

/** The most dims a strided kernel handles (a batch dim and up to 7 per-sample dims). */
export const MAX_RANK = 8;

/** WGSL: slot `k` (a u32 expression) of a uniform `array<vec4<u32>, 2>` named `name`. */
export const slot = (name: string, k: string): string => `${name}[(${k}) >> 2u][(${k}) & 3u]`;

/** Row-major strides of `shape` (the last dim's is 1). */
export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1];
  return out;
}

/** `values` in {@link MAX_RANK} u32 slots (a uniform `array<vec4<u32>, 2>`), refusing a rank past it. */
export function slots(values: readonly number[], what: string): number[] {
  if (values.length > MAX_RANK) throw new GpuError('E_GPU_BAD_ARGS', `${what}: rank ${values.length} is more than the GPU kernels' ${MAX_RANK} dims.`);
  return [...values, ...new Array<number>(MAX_RANK - values.length).fill(0)];
}
