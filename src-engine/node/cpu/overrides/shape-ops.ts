import type { OpKernelOverride } from '../../../backend/types';
import type { OpDef } from '../../../ops/types';
import type { CpuContext } from '../context';
import { FN, partsFor, ranges } from '../functions';

/** dst += src (·scale elementwise, when given) in f32x4, split across threads when large; `assign`: dst = instead. */
export function accumulateInto(cpu: CpuContext, src: Float32Array, scale: Float32Array | null, dst: Float32Array, what: string, assign = false): void {
  const n = dst.length;
  try {
    const s = cpu.addressOf(src, n, `${what} dOutput`, true, false);
    const m = scale ? cpu.addressOf(scale, n, `${what} mask`, true, false) : 0;
    const d = cpu.addressOf(dst, n, `${what} dInput`, !assign, true);
    cpu.run(FN.accumulate, ranges(n, partsFor(n, cpu.threads), 4).map(([i0, i1]) => [s, m, d, i0, i1, assign ? 1 : 0]));
  } finally {
    cpu.unstage();
  }
}

/**
 * Flatten and Reshape: the forward is the op file's copy; the backward (`dx += dy`, the same
 * values in another shape) runs in f32x4 instead of a JavaScript loop.
 */
export function shapeOpOverride(op: OpDef, cpu: CpuContext): OpKernelOverride {
  return {
    assignsFreshGradients: true,
    forward: op.forward,
    backward(ctx) {
      const dx = ctx.dInputs[0];
      if (dx) accumulateInto(cpu, ctx.dOutput.data, null, dx.data, op.name, ctx.dInputsFresh?.[0]);
    },
  };
}
