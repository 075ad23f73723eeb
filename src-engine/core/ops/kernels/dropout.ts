import { floatAttr } from '../shape-util';
import type { Rng } from '../../../base/rng';
import { dropout } from '../dropout';
import { defineKernel } from './kernel';

/**
 * One training forward's key: four words of the executor's Rng (as int32). Every backend draws
 * exactly these four words per Dropout node per training forward with p > 0, in node order, so
 * the Rng stays in step across backends.
 */
export function dropoutKey(rng: Rng): [number, number, number, number] {
  return [rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0];
}

/**
 * Element i is dropped when `dropoutBits(i, key) < threshold` (a uint32, so probability p up to
 * 2⁻³²); the survivors are multiplied by `scale` = 1/(1−p). Where p rounds to 1 (p ≥ 1 − 2⁻³²),
 * everything is dropped through `scale` = 0: p = 1 zeroes everything, as PyTorch does, rather
 * than dividing by zero.
 */
export function dropoutMaskParams(p: number): { threshold: number; scale: number } {
  const t = Math.ceil(p * 4294967296);
  return t >= 4294967296 ? { threshold: 0xffffffff, scale: 0 } : { threshold: t, scale: 1 / (1 - p) };
}

/**
 * The 32 random bits of element `i` under key (k0…k3), as a uint32: Jarzynski and Olano's pcg4d
 * hash ("Hash Functions for GPU Rendering", JCGT 2020) of (i + k3, k0, k1, k2), its fourth word.
 *
 * NOTE: a hash of the element's index, not a stream, so a thread or a GPU invocation draws its
 * element without the ones before it; pcg4d is what that paper recommends for 4-D input, and uses
 * only 32-bit multiply, add, xor and shift, which WGSL and WebAssembly have (no 64-bit product).
 * Measured here on 2²⁰ draws: each of the 32 bits within 3.2σ of ½, adjacent elements' top nibbles
 * and the same element under successive keys independent by χ² (test/unit/engine/dropout-bits.test.ts).
 * The WGSL (`core/gpu/kernels/dropout.ts`) and WebAssembly (`elementwise.wat`) copies must match
 * this bit for bit; their tests compare masks exactly.
 */
export function dropoutBits(i: number, k0: number, k1: number, k2: number, k3: number): number {
  let x = (Math.imul((i + k3) | 0, 1664525) + 1013904223) | 0;
  let y = (Math.imul(k0, 1664525) + 1013904223) | 0;
  let z = (Math.imul(k1, 1664525) + 1013904223) | 0;
  let w = (Math.imul(k2, 1664525) + 1013904223) | 0;
  x = (x + Math.imul(y, w)) | 0;
  y = (y + Math.imul(z, x)) | 0;
  z = (z + Math.imul(x, y)) | 0;
  w = (w + Math.imul(y, z)) | 0;
  x ^= x >>> 16;
  y ^= y >>> 16;
  z ^= z >>> 16;
  w ^= w >>> 16;
  x = (x + Math.imul(y, w)) | 0;
  y = (y + Math.imul(z, x)) | 0;
  z = (z + Math.imul(x, y)) | 0;
  w = (w + Math.imul(y, z)) | 0;
  return w >>> 0;
}

/** Dropout's reference kernels (the op's declaration: ops/dropout.ts). */
export const dropoutKernel = defineKernel(dropout, {
  forward({ inputs, output, workspace, attrs, training, rng }) {
    const x = inputs[0].data;
    const y = output.data;
    const p = floatAttr(attrs, 'p');
    if (!training || p === 0) {
      y.set(x);
      return;
    }
    const mask = workspace.mask.data;
    const { threshold, scale } = dropoutMaskParams(p);
    const [k0, k1, k2, k3] = dropoutKey(rng);
    for (let i = 0; i < mask.length; i++) mask[i] = dropoutBits(i, k0, k1, k2, k3) < threshold ? 0 : scale;
    for (let i = 0; i < x.length; i++) y[i] = x[i] * mask[i];
  },
  backward({ dOutput, dInputs, workspace, attrs, training }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const dy = dOutput.data;
    if (!training || floatAttr(attrs, 'p') === 0) {
      for (let i = 0; i < dy.length; i++) dx[i] += dy[i];
      return;
    }
    const mask = workspace.mask.data;
    for (let i = 0; i < dy.length; i++) dx[i] += dy[i] * mask[i];
  },
});
