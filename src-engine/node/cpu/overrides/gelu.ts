import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { UNARY_KIND } from '../generated/kernel-table';
import { unaryOverride } from './unary';

/**
 * GELU in f32x4, both forms of the op file's `approximate` attr:
 * - 'none' (exact): x·Φ(x) with the op file's erfc approximation (Numerical Recipes `erfcc`) in
 *   float32, −x²/2 split into an exact head and a tail so its rounding does not grow with x²;
 *   backward Φ(x) + x·φ(x).
 * - 'tanh': ½x(1 + tanh u) written as x/(1 + e^(−2u)) (no 1 + tanh cancellation for negative x);
 *   backward σ(2u) + 2x·σ(2u)σ(−2u)·u'.
 *
 * NOTE: for x ≲ −5 the op file's float64 1 + erf (1 + tanh) cancels, so its result there carries an
 * absolute error ~|x|·1e-16 that this kernel does not have; activations.test.ts bounds the
 * difference relatively plus that floor.
 */
export function geluOverride(cpu: CpuContext): OpKernelOverride {
  return unaryOverride(cpu, {
    name: 'GELU',
    kind: (attrs) => (attrs.approximate === 'tanh' ? UNARY_KIND.geluTanh : UNARY_KIND.geluErf),
    cost: 16,
  });
}
