import { uses } from '../../../core/elementwise/expr';
import { binarySimdKindOf } from '../../../core/elementwise/simd';
import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { referenceKernel } from '../../../core/ops/kernels/registry';
import { getOp, type OpName } from '../../../core/ops/registry';
import type { Attrs } from '../../../core/ops/types';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/** Rows of an equal-shape pass (any length does: a row is only how the threads split it). */
const EQUAL_ROW = 4096;

/**
 * How the kernels see a binary op's output: `rows` of `len` elements, and which input holds one
 * value a row (`mode` 1: the first, 2: the second; 0: both have the output's shape). An input of
 * the output's leading dims with every dim after them 1 is repeated along the row (a gate
 * [N, C, 1, 1] of features [N, C, H, W]: rows N·C, len H·W). Undefined for any other broadcast
 * (the op file's kernel runs it).
 */
export function planeLayout(a: readonly number[], b: readonly number[], out: readonly number[]): { mode: 0 | 1 | 2; rows: number; len: number } | undefined {
  const same = (s: readonly number[]): boolean => s.length === out.length && s.every((d, i) => d === out[i]);
  const size = out.reduce((p, d) => p * d, 1);
  if (same(a) && same(b)) return { mode: 0, rows: Math.max(1, Math.ceil(size / EQUAL_ROW)), len: EQUAL_ROW };
  const repeated = (s: readonly number[]): number | undefined => {
    if (s.length !== out.length) return undefined;
    let k = s.length;
    while (k > 0 && s[k - 1] === 1) k--;
    return s.slice(0, k).every((d, i) => d === out[i]) ? k : undefined;
  };
  const [full, row, mode] = same(a) ? [a, b, 2 as const] : [b, a, 1 as const];
  const k = same(full) ? repeated(row) : undefined;
  if (k === undefined) return undefined;
  const rows = out.slice(0, k).reduce((p, d) => p * d, 1);
  return { mode, rows, len: rows ? size / rows : 0 };
}

/**
 * A binary elementwise op (Multiply) in WebAssembly: its kernels printed from the op file's
 * expressions (broadcast.wat `binaryForward` / `binaryBackward`, the kind from binarySimdKindOf),
 * split by rows; the same bits as the op file's kernels. Shapes that are neither equal nor one
 * input repeated along trailing dims run the op file's kernels.
 */
export function binaryElementwiseOverride(cpu: CpuContext, op: OpName): OpKernelOverride {
  const def = getOp(op)!;
  const decl = def.elementwise!;
  const reference = referenceKernel(def);
  const forward = cpu.kernel('binaryForward', { range: ['r0', 'r1'], align: 8 });
  const backward = cpu.kernel('binaryBackward', { range: ['r0', 'r1'], align: 8 });
  const params = (attrs: Attrs) => ({ p: decl.params?.[0](attrs) ?? 0, q: decl.params?.[1]?.(attrs) ?? 0 });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const [a, b] = ctx.inputs;
      const plan = ctx.inputs.length === 2 ? planeLayout(a.shape, b.shape, ctx.output.shape) : undefined;
      if (!plan) return reference.forward(ctx);
      const n = ctx.output.data.length;
      try {
        const x = cpu.addressOf(a.data, a.data.length, `${op} input a`, true, false);
        const x2 = cpu.addressOf(b.data, b.data.length, `${op} input b`, true, false);
        const y = cpu.addressOf(ctx.output.data, n, `${op} output`, false, true);
        const { kind } = binarySimdKindOf(op, ctx.attrs);
        forward.run({ a: x, b: x2, y, r0: 0, r1: plan.rows, len: plan.len, n, mode: plan.mode, kind, ...params(ctx.attrs) }, partsFor(n, cpu.threads, plan.rows, decl.cost));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const [a, b] = ctx.inputs;
      const [da, db] = ctx.dInputs;
      const plan = ctx.inputs.length === 2 ? planeLayout(a.shape, b.shape, ctx.output.shape) : undefined;
      if (!plan) {
        // The op file's kernel adds: a fresh gradient is zeroed first.
        ctx.dInputs.forEach((d, i) => ctx.dInputsFresh?.[i] && d && (ctx.backend.zero ?? ((v: Float32Array) => v.fill(0)))(d.data));
        return reference.backward!(ctx);
      }
      if (!da && !db) return;
      const n = ctx.output.data.length;
      const { kind, gradX, gradX2 } = binarySimdKindOf(op, ctx.attrs);
      const assignA = ctx.dInputsFresh?.[0] ? 1 : 0;
      const assignB = ctx.dInputsFresh?.[1] ? 1 : 0;
      try {
        const x = cpu.addressOf(a.data, a.data.length, `${op} input a`, true, false);
        const x2 = cpu.addressOf(b.data, b.data.length, `${op} input b`, true, false);
        // The kernel reads y only where a derivative is written in the saved output; elsewhere any valid address does.
        const y = uses(gradX, 'y') || uses(gradX2, 'y') ? cpu.addressOf(ctx.output.data, n, `${op} output`, true, false) : x;
        const dy = cpu.addressOf(ctx.dOutput.data, n, `${op} dOutput`, true, false);
        const dA = da ? cpu.addressOf(da.data, da.data.length, `${op} dInput a`, !assignA, true) : 0;
        const dB = db ? cpu.addressOf(db.data, db.data.length, `${op} dInput b`, !assignB, true) : 0;
        backward.run(
          { a: x, b: x2, y, dy, da: dA, db: dB, r0: 0, r1: plan.rows, len: plan.len, n, mode: plan.mode, kind, ...params(ctx.attrs), assignA, assignB },
          partsFor(n, cpu.threads, plan.rows, 2 * decl.cost),
        );
      } finally {
        cpu.unstage();
      }
    },
  };
}
