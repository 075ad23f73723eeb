/**
 * Every op has a GPU kernel now, so the tests of the refusal path (E_GPU_NO_KERNEL, Auto falling
 * back to the CPU) take one op's kernel out of the table for their duration.
 */
import { GPU_KERNELS } from '../../../src-engine/core/gpu/kernels/registry';
import type { GpuOpKernel } from '../../../src-engine/core/gpu/kernels/types';

/** Run `fn` as if `op` had no GPU kernel; the table is restored afterwards, also when `fn` fails. */
export async function withoutGpuKernel<T>(op: string, fn: () => T | Promise<T>): Promise<T> {
  const table = GPU_KERNELS as Record<string, GpuOpKernel>;
  const saved = table[op];
  if (!saved) throw new Error(`${op} has no GPU kernel to hide`);
  delete table[op];
  try {
    return await fn();
  } finally {
    table[op] = saved;
  }
}
