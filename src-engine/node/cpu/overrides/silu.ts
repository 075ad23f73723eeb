import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { UNARY_KIND } from '../generated/kernel-table';
import { unaryOverride } from './unary';

/**
 * SiLU in f32x4 as x/(1 + e^(−x)) (relative-accurate on both sides, NaN at −∞ as the op file's
 * −∞·0); backward dy·σ(x)·(1 + x·(1 − σ(x))) with 1 − σ = e^(−x)·σ, so no cancellation.
 */
export function siluOverride(cpu: CpuContext): OpKernelOverride {
  return unaryOverride(cpu, { name: 'SiLU', kind: () => UNARY_KIND.silu, cost: 10 });
}
