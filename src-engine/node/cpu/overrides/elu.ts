import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { floatAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { UNARY_KIND } from '../generated/kernel-table';
import { unaryOverride } from './unary';

/**
 * ELU in f32x4: x > 0 ? x : α·expm1(x), expm1 from the polynomial e^x without the 1 − e^x
 * cancellation near 0 (as the op file's Math.expm1); backward dy·α·e^x for x ≤ 0.
 */
export function eluOverride(cpu: CpuContext): OpKernelOverride {
  return unaryOverride(cpu, { name: 'ELU', kind: () => UNARY_KIND.elu, alpha: (attrs) => floatAttr(attrs, 'alpha'), cost: 8 });
}
