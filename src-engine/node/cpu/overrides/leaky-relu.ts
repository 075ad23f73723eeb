import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { floatAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { UNARY_KIND } from '../generated/kernel-table';
import { unaryOverride } from './unary';

/**
 * LeakyReLU in f32x4 (a lane select): x > 0 ? x : slope·x, gradient slope at x ≤ 0 as the op file.
 *
 * NOTE: the slope is rounded to float32 first (the op file multiplies by the float64 attr and
 * rounds once): within an ulp.
 */
export function leakyReluOverride(cpu: CpuContext): OpKernelOverride {
  return unaryOverride(cpu, {
    name: 'LeakyReLU',
    kind: () => UNARY_KIND.leakyRelu,
    alpha: (attrs) => floatAttr(attrs, 'negativeSlope'),
    cost: 1,
  });
}
