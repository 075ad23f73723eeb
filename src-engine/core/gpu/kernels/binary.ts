/// <reference types="@webgpu/types" />
/**
 * WGSL kernels of the binary elementwise ops (Add, Multiply), printed from the expressions each op
 * file declares (`elementwise` with `binary`: `f(x, x2)` and its two derivatives) and registered by
 * op name in {@link BINARY_OP_KERNELS}. Broadcasting is done here once for every such op:
 * - forward: one invocation per output value, each input read at its broadcast index (a stride of
 *   0 along its dims of size 1); a variadic op (Add) folds its inputs left, `y = f(x0, x1)` then
 *   `y = f(y, xk)` one dispatch each, in the op file's order;
 * - backward, per input that needs a gradient: one invocation per value of that input sums
 *   `dy · ∂f/∂input` over the output values that read it — its broadcast dims, walked in increasing
 *   output order — starting from the gradient's current value: the op file's `+=` in its order, so
 *   the sums are the same float32 additions (a gather: no two invocations write one value); except
 *   where each value sums 32 or more products `dy·other` (a squeeze-excite gate's gradient): that
 *   is a column sum split over workgroups (column-sum.ts), in another order (see `splitBackward`).
 *
 * Where every tensor has the output's shape the shaders index by i alone (no strides to walk).
 * Shapes and strides are uniforms ({@link MAX_RANK} dims): one pipeline per op, form, direction
 * and layout. An input used twice (`Add(a, a)`) gets two dispatches into one gradient, which run one
 * after the other (WebGPU orders the dispatches of a pass), so nothing races.
 */
import type { Attrs } from '../../../base/ir/types';
import { backwardOf, dy as dyLeaf, formFor, gradient, mul, replace, uses, x as xLeaf, x2 as x2Leaf, y as savedOutput, type ElementwiseDecl, type Expr, type Input } from '../../elementwise/expr';
import { isOpName, listOps, type OpName } from '../../ops/registry';
import type { GpuContext, GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { channelsOf, columnGroups, columnSum, type ColumnLayout } from './column-sum';
import { bindDispatch, grid1d, kernel1d, words, type StorageBinding } from './dispatch';
import { blockCopy } from './elementwise';
import { printWgsl } from './activations';
import { slot, slots, stridesOf } from './strided';
import type { GpuOpKernel } from './types';

const ARRAYS = (names: readonly string[]) => names.map((n) => `  ${n}: array<vec4<u32>, 2>,`).join('\n');

/** The coordinates of output value `o` (or, backward, of the r-th output value reading input value i): `ia`, `ib` the inputs' indices. */
const WALK_FORWARD = `  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var k = P.rank; k > 0u; k = k - 1u) {
    let d = ${slot('P.dims', 'k - 1u')};
    let c = rest % d;
    rest = rest / d;
    ia = ia + c * ${slot('P.sa', 'k - 1u')};
    ib = ib + c * ${slot('P.sb', 'k - 1u')};
  }
`;

/** Which of the inputs an expression reads, as storage bindings (WGSL refuses a name it does not declare, and a bind group an array the shader does not read). */
function reads(e: Expr, fold: boolean): StorageBinding[] {
  return [...(uses(e, 'x') && !fold ? [['A', 'read'] as const] : []), ...(uses(e, 'x2') ? [['B', 'read'] as const] : [])];
}

/** `let x = …; let x2 = …;` for the inputs `e` reads (x from `Y` in a fold), `p` and `q`, indented. */
function loads(e: Expr, fold: boolean, indent: string): string {
  const lines = [
    ...(uses(e, 'x') ? [`let x = ${fold ? 'Y[P.offY + i]' : 'A[P.offA + ia]'};`] : []),
    ...(uses(e, 'x2') ? ['let x2 = B[P.offB + ib];'] : []),
    'let p = P.p;',
    'let q = P.q;',
  ];
  return lines.map((l) => `${indent}${l}\n`).join('');
}

/**
 * The forward shader: `Y = f(A, B)` (`fold`: `Y = f(Y, B)`, the running value of a variadic op);
 * `same`: every tensor has the output's shape.
 */
function forwardShader(f: Expr, same: boolean, fold: boolean): string {
  const storage: StorageBinding[] = [...reads(f, fold), ['Y', 'read_write']];
  return kernel1d(
    `struct Params {
  total: u32, rank: u32, rowStride: u32, offA: u32,
  offB: u32, offY: u32, p: f32, q: f32,
${ARRAYS(['dims', 'sa', 'sb'])}
}`,
    storage,
    `${same ? '  let ia = i;\n  let ib = i;\n' : WALK_FORWARD}${loads(f, fold, '  ')}  Y[P.offY + i] = ${printWgsl(f)};
`,
  );
}

/** The backward shader of one input: `DS += Σ dy·∂f/∂input` over the output values reading each of its values. */
function backwardShader(g: Expr, same: boolean): string {
  const storage: StorageBinding[] = [['DY', 'read'], ...reads(g, false), ['DS', 'read_write']];
  const term = printWgsl(g);
  const body = same
    ? `  let ia = i;
  let ib = i;
  let dy = DY[P.offDy + i];
${loads(g, false, '  ')}  DS[P.offDs + i] = DS[P.offDs + i] + ${term};
`
    : `  var acc = DS[P.offDs + i];
  for (var r = 0u; r < P.reps; r = r + 1u) {
    var restJ = i;
    var restR = r;
    var o = 0u;
    var ia = 0u;
    var ib = 0u;
    for (var k = P.rank; k > 0u; k = k - 1u) {
      let sd = ${slot('P.own', 'k - 1u')};
      let od = ${slot('P.out', 'k - 1u')};
      var c = 0u;
      if (sd == od) {
        c = restJ % sd;
        restJ = restJ / sd;
      } else {
        c = restR % od;
        restR = restR / od;
      }
      o = o + c * ${slot('P.outStride', 'k - 1u')};
      ia = ia + c * ${slot('P.sa', 'k - 1u')};
      ib = ib + c * ${slot('P.sb', 'k - 1u')};
    }
    let dy = DY[P.offDy + o];
${loads(g, false, '    ')}    acc = acc + ${term};
  }
  DS[P.offDs + i] = acc;
`;
  return kernel1d(
    `struct Params {
  total: u32, rank: u32, rowStride: u32, reps: u32,
  offDy: u32, offA: u32, offB: u32, offDs: u32,
  p: f32, q: f32, _a: u32, _b: u32,
${ARRAYS(['out', 'own', 'outStride', 'sa', 'sb'])}
}`,
    storage,
    body,
  );
}

/** Strides of an input of `shape` read at the coordinates of `out` (0 along its broadcast dims). */
const broadcastStrides = (shape: readonly number[], out: readonly number[]) => stridesOf(shape).map((s, k) => (shape[k] === 1 && out[k] !== 1 ? 0 : s));

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, k) => d === b[k]);

/** p and q of the declaration for these attributes. */
const params = (decl: ElementwiseDecl, attrs: Attrs): [number, number] => [decl.params?.[0](attrs) ?? 0, decl.params?.[1]?.(attrs) ?? 0];

/** The expressions of a form as the shaders read them: the forward, and each input's gradient (the saved output recomputed). */
function expressions(decl: ElementwiseDecl, form: string): { forward: Expr; gradient: (wrt: Input) => Expr } {
  const f = decl.forms[form];
  const forward = f.f32?.forward ?? f.forward;
  return { forward, gradient: (wrt) => replace(gradient(backwardOf(f, true, wrt)), savedOutput, forward) };
}

interface Operand {
  readonly t: GpuTensor;
  readonly shape: readonly number[];
}

/** One forward step: `y = f(a, b)`, or `y = f(y, b)` where `a` is absent (a fold's later steps). */
function forwardStep(ctx: GpuContext, op: string, form: string, decl: ElementwiseDecl, attrs: Attrs, a: Operand | undefined, b: Operand, y: Operand): GpuDispatch {
  const { forward } = expressions(decl, form);
  const same = sameShape(b.shape, y.shape) && (!a || sameShape(a.shape, y.shape));
  const { workgroups, rowStride } = grid1d(ctx, y.t.length);
  const aShape = a?.shape ?? y.shape;
  const [p, q] = params(decl, attrs);
  const buffers = [...reads(forward, !a).map(([n]) => (n === 'A' ? a!.t.buffer : b.t.buffer)), y.t.buffer];
  return bindDispatch(
    ctx,
    `binary:${op}:${form}:fwd:${same ? 'same' : 'strided'}${a ? '' : ':fold'}`,
    () => forwardShader(forward, same, !a),
    buffers,
    words(
      [y.t.length, y.shape.length, rowStride, a?.t.offset ?? 0, b.t.offset, y.t.offset, 0, 0, ...slots(y.shape, op), ...slots(broadcastStrides(aShape, y.shape), op), ...slots(broadcastStrides(b.shape, y.shape), op)],
      { 6: p, 7: q },
    ),
    workgroups,
    y.t.length,
  );
}

/**
 * The fewest output values an input value's gradient sums (its broadcast dims' product) for the
 * split sum of {@link splitBackward}: below it the gather's one invocation per value adds them
 * in the op file's order and keeps its bits; a squeeze-excite gate's 7×7 plane (49) is split.
 */
const SPLIT_MIN_REPS = 32;

/**
 * Where `self`'s broadcast dims lie in the output: `[reduced…, kept…, reduced…]` (dims of size 1
 * in both left out) — a gate `[N, C, 1, 1]` of `[N, C, H, W]` (N·C outputs of H·W values), a
 * bias `[1, C, 1, 1]` (C of N·H·W), a row `[1, D]` of `[N, D]` — as column-sum.ts's layout of an
 * `[outer, cols, inner]` tensor; null for any other pattern (kept dims on both sides of a reduced one).
 */
function broadcastLayout(own: readonly number[], out: readonly number[]): ColumnLayout | null {
  const sizes = [1, 1, 1];
  let part = 0;
  for (let k = 0; k < out.length; k++) {
    if (out[k] === 1) continue;
    const kept = own[k] === out[k];
    if (part === 0 && kept) part = 1;
    else if (part === 1 && !kept) part = 2;
    else if (part === 2 && kept) return null;
    sizes[part] *= out[k];
  }
  return channelsOf(sizes[0], sizes[1], sizes[2]);
}

/**
 * `ds += Σ dy · ∂f/∂wrt` as a column sum split over workgroups (column-sum.ts), where the input
 * reads `reps ≥` {@link SPLIT_MIN_REPS} output values each and the term is `dy` times the other
 * input at the output's shape (Multiply's squeeze-excite gate, whose gradient on the H200 was one
 * invocation per gate value summing its plane: 144 workgroups, 4.9 ms of mobilenet_v3_small's
 * 24.4 ms step; Add has no broadcast). Null where it does not apply: the gather then runs.
 *
 * NOTE: the split adds each value's terms in another order than the op file (lanes, a tree, then
 * chunks), so its last bits differ; the same from step to step.
 */
function splitBackward(ctx: GpuContext, key: string, g: Expr, wrt: Input, a: Operand, b: Operand, dy: Operand, ds: GpuTensor): GpuDispatch[] | null {
  const self = wrt === 'x' ? a : b;
  const other = wrt === 'x' ? b : a;
  const reps = dy.t.length / Math.max(1, ds.length);
  const layout = broadcastLayout(self.shape, dy.shape);
  if (reps < SPLIT_MIN_REPS || !layout || layout.cols !== ds.length || columnGroups(layout) > ctx.device.limits.maxComputeWorkgroupsPerDimension) return null;
  if (!sameShape(other.shape, dy.shape) || printWgsl(g) !== printWgsl(mul(dyLeaf, wrt === 'x' ? x2Leaf : xLeaf))) return null;
  return columnSum(ctx, `${key}:split`, layout, 'ab', 'add', dy.t, ds, other.t);
}

/** `ds += Σ dy · ∂f/∂wrt` for the input `self` (one of `a`, `b`), summed over its broadcast dims. */
function backwardStep(ctx: GpuContext, op: string, form: string, decl: ElementwiseDecl, attrs: Attrs, wrt: Input, a: Operand, b: Operand, dy: Operand, ds: GpuTensor): GpuDispatch[] {
  const g = expressions(decl, form).gradient(wrt);
  const self = wrt === 'x' ? a : b;
  const out = dy.shape;
  const same = sameShape(a.shape, out) && sameShape(b.shape, out);
  const split = same ? null : splitBackward(ctx, `binary:${op}:${form}:bwd:${wrt}`, g, wrt, a, b, dy, ds);
  if (split) return split;
  const reps = out.reduce((n, d, k) => (self.shape[k] === d ? n : n * d), 1);
  const { workgroups, rowStride } = grid1d(ctx, ds.length);
  const [p, q] = params(decl, attrs);
  const buffers = [dy.t.buffer, ...reads(g, false).map(([n]) => (n === 'A' ? a.t.buffer : b.t.buffer)), ds.buffer];
  const gather = bindDispatch(
    ctx,
    `binary:${op}:${form}:bwd:${wrt}:${same ? 'same' : 'strided'}`,
    () => backwardShader(g, same),
    buffers,
    words(
      [
        ds.length,
        out.length,
        rowStride,
        reps,
        dy.t.offset,
        a.t.offset,
        b.t.offset,
        ds.offset,
        0,
        0,
        0,
        0,
        ...slots(out, op),
        ...slots(self.shape, op),
        ...slots(stridesOf(out), op),
        ...slots(broadcastStrides(a.shape, out), op),
        ...slots(broadcastStrides(b.shape, out), op),
      ],
      { 8: p, 9: q },
    ),
    workgroups,
    2 * dy.t.length,
  );
  return [gather];
}

/** The GPU kernel of one binary declaration. */
function binaryKernel(op: string, decl: ElementwiseDecl): GpuOpKernel {
  return {
    prepare({ ctx, attrs, inputShapes, outputShape, inputs, output, dOutput, dInputs }) {
      const form = formFor(decl, attrs);
      const operands: Operand[] = inputs.map((t, k) => ({ t, shape: inputShapes[k] }));
      const y: Operand = { t: output, shape: outputShape };
      const forward =
        operands.length === 1
          ? [blockCopy(ctx, { rows: 1, len: output.length, src: inputs[0], srcRow: output.length, srcAt: 0, dst: output, dstRow: output.length, dstAt: 0 }, false)]
          : operands.slice(1).map((b, k) => forwardStep(ctx, op, form, decl, attrs, k === 0 ? operands[0] : undefined, b, y));
      const backward: GpuDispatch[] = [];
      if (dOutput) {
        dInputs.forEach((ds, k) => {
          if (!ds) return;
          const wrt: Input = k === 0 ? 'x' : 'x2';
          // A variadic op's derivatives read neither input (the op file's `elementwise` checks): pair input k with itself.
          const [a, b] = operands.length === 2 ? operands : [operands[k], operands[k]];
          backward.push(...backwardStep(ctx, op, form, decl, attrs, wrt, a, b, { t: dOutput, shape: outputShape }, ds));
        });
      }
      return { forward, backward };
    },
  };
}

/** The binary ops as entries of the GPU kernel table (`registry.ts`): every op file whose `elementwise` is binary. */
export const BINARY_OP_KERNELS: Readonly<Partial<Record<OpName, GpuOpKernel>>> = Object.fromEntries(
  listOps().flatMap((d) => (d.elementwise?.binary && isOpName(d.name) ? [[d.name, binaryKernel(d.name, d.elementwise)]] : [])),
);
