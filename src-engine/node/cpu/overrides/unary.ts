import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { Attrs } from '../../../core/ops/types';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

export interface UnarySpec {
  /** The op's name, for error messages. */
  name: string;
  /** Kernel kind for these attrs. */
  kind(attrs: Attrs): number;
  /** The kernel's scalar attr (LeakyReLU's slope, ELU's α); 0 when unused. */
  alpha?(attrs: Attrs): number;
  /** The backward reads the saved output (Tanh) instead of only the input. */
  usesOutput?: boolean;
  /**
   * Work per element relative to a memory-bound pass (partsFor's `cost`): ~1 for a select, ~8 per
   * polynomial e^x; decides how soon the op is split across threads.
   */
  cost: number;
}

/**
 * An elementwise activation in f32x4 (activations.wat `unaryForward` / `unaryBackward`), split by
 * element ranges; its backward assigns a fresh input gradient instead of adding (dInputsFresh).
 */
export function unaryOverride(cpu: CpuContext, spec: UnarySpec): OpKernelOverride {
  const forward = cpu.kernel('unaryForward', { range: ['i0', 'i1'], align: 4 });
  const backward = cpu.kernel('unaryBackward', { range: ['i0', 'i1'], align: 4 });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      const kind = spec.kind(ctx.attrs);
      const alpha = spec.alpha?.(ctx.attrs) ?? 0;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, `${spec.name} input`, true, false);
        const y = cpu.addressOf(ctx.output.data, n, `${spec.name} output`, false, true);
        forward.run({ x, y, i0: 0, i1: n, kind, alpha }, partsFor(n, cpu.threads, Infinity, spec.cost));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const n = ctx.inputs[0].data.length;
      const kind = spec.kind(ctx.attrs);
      const alpha = spec.alpha?.(ctx.attrs) ?? 0;
      const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, `${spec.name} input`, true, false);
        // The kernel reads y only for Tanh; elsewhere any valid address does.
        const y = spec.usesOutput ? cpu.addressOf(ctx.output.data, n, `${spec.name} output`, true, false) : x;
        const dy = cpu.addressOf(ctx.dOutput.data, n, `${spec.name} dOutput`, true, false);
        const dx = cpu.addressOf(dxT.data, n, `${spec.name} dInput`, !assign, true);
        backward.run({ x, y, dy, dx, i0: 0, i1: n, kind, alpha, assign }, partsFor(n, cpu.threads, Infinity, spec.cost));
      } finally {
        cpu.unstage();
      }
    },
  };
}
