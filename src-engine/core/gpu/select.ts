/**
 * Which device a run trains on, from the user's choice (`train.start`'s `backend`, the Train
 * panel's Device): `cpu`; `gpu` (forced: a fallback adapter such as SwiftShader is accepted, and a model
 * the GPU cannot run yet is refused, naming why — never run partly on the CPU); `auto` (the
 * default: the GPU only with a real, non-fallback adapter and a model it runs entirely; else the
 * CPU; `chooseGpuSaying` says why, for the CLI's `device:` line).
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
  return (await chooseGpuSaying(graph, choice, acquire)).gpu;
}

/** What `auto` (or the user) chose, and why: the GPU context or null, and a reason for the CPU. */
export interface GpuChoice {
  gpu: GpuContext | null;
  /** Why the run is on the CPU (`auto`: no adapter and what Dawn said, a model the GPU cannot run); undefined on the GPU. */
  why?: string;
}

/** {@link chooseGpu}, saying why `auto` took the CPU (the CLI prints it: `device: cpu (no GPU adapter found: …)`). Throws as chooseGpu does. */
export async function chooseGpuSaying(graph: GraphIR, choice: ComputeChoice, acquire: AcquireGpu | undefined): Promise<GpuChoice> {
  if (choice === 'cpu') return { gpu: null, why: 'chosen' };
  const gaps = gpuTrainingGaps(graph);
  if (choice === 'gpu') {
    if (gaps.length) throw new GpuError('E_GPU_NO_KERNEL', `This model cannot train on the GPU yet: no GPU support for ${gaps.join(', ')}. Set Device to CPU or Auto in the Train panel.`);
    if (!acquire) throw new GpuError('E_GPU_UNAVAILABLE', 'This engine has no WebGPU support; set Device to CPU or Auto in the Train panel.');
    return { gpu: await acquire(true) };
  }
  if (gaps.length) return { gpu: null, why: `the GPU cannot train this model yet: no GPU support for ${gaps.join(', ')}` };
  if (!acquire) return { gpu: null, why: 'this engine has no WebGPU support' };
  return acquire(false).then(
    (gpu) => ({ gpu }),
    (e: unknown) => ({ gpu: null, why: ((e as Error).message || String(e)).replace(/^(.)/, (c) => c.toLowerCase()).replace(/\.$/, '') }),
  );
}
