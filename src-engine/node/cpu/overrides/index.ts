import type { OpKernelOverride } from '../../../backend/types';
import type { CpuContext } from '../context';
import { conv2dOverride } from './conv2d';

/** The CPU backend's whole-op kernels, keyed by op name (one file per op). */
export function createOverrides(cpu: CpuContext): Record<string, OpKernelOverride> {
  return {
    Conv2d: conv2dOverride(cpu),
  };
}
