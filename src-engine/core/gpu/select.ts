/**
 * Which device a run trains on, from the user's choice (`train.start`'s `backend`, the Train
 * panel's Device): `cpu`; `gpu` (forced: a fallback adapter such as SwiftShader is accepted, and a model
 * the GPU cannot run yet is refused, naming why — never run partly on the CPU); `auto` (the
 * default: the GPU only with a real, non-fallback adapter and a model it runs entirely; else the
 * CPU, silently, as before).
 */
import type { GraphIR } from '../../base/ir/types';
import type { ComputeChoice } from '../../base/schemas';
import { GpuError, type GpuContext } from './context';
import { gpuTrainingGaps } from './trainable';

/** The user's choice (declared once, with its schema, in base/schemas.ts). */
export type { ComputeChoice };

/**
 * Gets a device: a fresh context (its buffers freed with it) on the engine's shared device.
 * Rejects with `GpuError('E_GPU_UNAVAILABLE')` when there is none (or only a fallback adapter and
 * `allowFallback` is off).
 */
export type AcquireGpu = (allowFallback: boolean) => Promise<GpuContext>;

/**
 * The GPU context a run of `graph` trains on, or null for the CPU.
 *
 * @throws GpuError `E_GPU_NO_KERNEL` (forced GPU, a model it cannot run: the message names the
 *   ops and features), `E_GPU_UNAVAILABLE` (forced GPU, no adapter, or no WebGPU in this engine).
 */
export async function chooseGpu(graph: GraphIR, choice: ComputeChoice, acquire: AcquireGpu | undefined): Promise<GpuContext | null> {
  if (choice === 'cpu') return null;
  const gaps = gpuTrainingGaps(graph);
  if (choice === 'gpu') {
    if (gaps.length) throw new GpuError('E_GPU_NO_KERNEL', `This model cannot train on the GPU yet: no GPU support for ${gaps.join(', ')}. Set Device to CPU or Auto in the Train panel.`);
    if (!acquire) throw new GpuError('E_GPU_UNAVAILABLE', 'This engine has no WebGPU support; set Device to CPU or Auto in the Train panel.');
    return acquire(true);
  }
  if (gaps.length || !acquire) return null;
  return acquire(false).catch(() => null);
}
