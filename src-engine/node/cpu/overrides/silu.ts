import type { OpKernelOverride } from '../../../backend/types';
import type { CpuContext } from '../context';
import { UNARY_KIND, unaryOverride } from './unary';

/**
 * SiLU (x·σ(x)) in f32x4, σ from e^(−|x|) so that both σ and 1 − σ keep their relative precision;
 * backward dy·σ(x)·(1 + x·(1 − σ(x))), as the op file.
 */
export function siluOverride(cpu: CpuContext): OpKernelOverride {
  return unaryOverride(cpu, { name: 'SiLU', kind: () => UNARY_KIND.silu, cost: 10 });
}
