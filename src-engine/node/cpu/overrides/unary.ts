import { simdKindOf } from '../../../core/elementwise/simd';
import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { getOp, type OpName } from '../../../core/ops/registry';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * An elementwise activation in f32x4: its kernel generated from the op file's expressions
 * (activations.wat `unaryForward` / `unaryBackward`, the kind from `simdKindOf`), split by element
 * ranges; its backward assigns a fresh input gradient instead of adding (dInputsFresh).
 */
export function elementwiseOverride(cpu: CpuContext, op: OpName): OpKernelOverride {
  const decl = getOp(op)!.elementwise!;
  const forward = cpu.kernel('unaryForward', { range: ['i0', 'i1'], align: 4 });
  const backward = cpu.kernel('unaryBackward', { range: ['i0', 'i1'], align: 4 });
  const params = (attrs: Parameters<typeof simdKindOf>[1]) => ({ alpha: decl.params?.[0](attrs) ?? 0, beta: decl.params?.[1]?.(attrs) ?? 0 });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      const { kind } = simdKindOf(op, ctx.attrs);
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, `${op} input`, true, false);
        const y = cpu.addressOf(ctx.output.data, n, `${op} output`, false, true);
        forward.run({ x, y, i0: 0, i1: n, kind, ...params(ctx.attrs) }, partsFor(n, cpu.threads, Infinity, decl.cost));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const n = ctx.inputs[0].data.length;
      const { kind, usesOutput } = simdKindOf(op, ctx.attrs);
      const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, `${op} input`, true, false);
        // The kernel reads y only where the derivative is written in the saved output (Tanh); elsewhere any valid address does.
        const y = usesOutput ? cpu.addressOf(ctx.output.data, n, `${op} output`, true, false) : x;
        const dy = cpu.addressOf(ctx.dOutput.data, n, `${op} dOutput`, true, false);
        const dx = cpu.addressOf(dxT.data, n, `${op} dInput`, !assign, true);
        backward.run({ x, y, dy, dx, i0: 0, i1: n, kind, ...params(ctx.attrs), assign }, partsFor(n, cpu.threads, Infinity, decl.cost));
      } finally {
        cpu.unstage();
      }
    },
  };
}
