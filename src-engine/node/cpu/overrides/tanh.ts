import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { UNARY_KIND } from '../generated/kernel-table';
import { unaryOverride } from './unary';

/**
 * Tanh in f32x4: sign(x)·(−m)/(2 + m) with m = expm1(−2|x|) (activations.wat `$tanh4`), so tanh
 * stays relative-accurate near 0 and is exactly ±1 past |x| ≈ 9; backward dy·(1 − y)(1 + y) from
 * the saved output, as the op file (PyTorch's tanh_backward).
 *
 * NOTE: within 2.5e-7 relative of the op file's Math.tanh (measured 1.7e-7, ~2 ulp).
 */
export function tanhOverride(cpu: CpuContext): OpKernelOverride {
  return unaryOverride(cpu, { name: 'Tanh', kind: () => UNARY_KIND.tanh, usesOutput: true, cost: 10 });
}
