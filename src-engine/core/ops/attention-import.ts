/**
 * Reading `nn.MultiheadAttention(batch_first=True)` back from ONNX: the MatMul/Softmax/Transpose
 * graph torch.onnx writes at opset 17 (and Netwright's export of MultiHeadAttention, the same graph
 * with its shape sub-graphs written as constants), found from its Softmax. Not an op; nothing here
 * is registered.
 */
import type { FusionGraph, ImportFusion } from '../../base/onnx/import-fusion';
import type { OnnxNode } from '../../base/onnx/model';
import { transpose2d } from '../../base/onnx/import-rule';

const perm = (n: OnnxNode | undefined) => (n?.op_type === 'Transpose' ? (n.attribute?.find((a) => a.name === 'perm')?.ints ?? []).join() : '');
const attrInt = (n: OnnxNode, name: string, def: number) => Number(n.attribute?.find((a) => a.name === name)?.i ?? def);

/** The op types of the shape sub-graphs torch.onnx builds around the heads' Reshapes and Slices. */
const SHAPE_ARITHMETIC = new Set(['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Slice', 'Add', 'Sub', 'Mul', 'Div']);

/**
 * The nodes computing `values` from constants and the shapes of `inside` (values of the pattern):
 * undefined when one reads anything else (data, another part of the graph).
 */
function shapeCone(g: FusionGraph, values: readonly string[], inside: ReadonlySet<string>): OnnxNode[] | undefined {
  const found: OnnxNode[] = [];
  const stack = values.filter(Boolean);
  while (stack.length) {
    const v = stack.pop()!;
    if (g.constant(v)) continue;
    const p = g.producer(v);
    if (!p) return undefined;
    if (found.includes(p)) continue;
    if (!SHAPE_ARITHMETIC.has(p.op_type)) return undefined;
    found.push(p);
    if (p.op_type === 'Shape') {
      if (!inside.has(p.input[0])) return undefined;
    } else stack.push(...p.input.filter(Boolean));
  }
  return found;
}

/** The scalar float constant `v` holds, if it is one. */
function scalarOf(g: FusionGraph, v: string): number | undefined {
  const c = g.constant(v);
  return c && c.values.length === 1 ? Number(c.values[0]) : undefined;
}

/** The constant of a binary node's other operand (the one not produced by `from`), with that operand's producer. */
function split(g: FusionGraph, n: OnnxNode | undefined): { c: number[] | Float32Array; dims: number[]; other: string } | undefined {
  if (!n) return undefined;
  for (const [a, b] of [
    [0, 1],
    [1, 0],
  ]) {
    const c = g.constant(n.input[a]);
    if (c && !g.constant(n.input[b])) return { c: c.values, dims: c.dims, other: n.input[b] };
  }
  return undefined;
}

/** Whether `m` (`[1, T, T]` or `[T, T]`) is the causal mask: −∞ (or below −1e9) right of the diagonal, 0 elsewhere. */
function causalMask(m: ArrayLike<number>, dims: readonly number[]): boolean {
  const t = dims.at(-1)!;
  if (dims.length < 2 || dims.at(-2) !== t || m.length !== t * t) return false;
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) if (j > i ? !(m[i * t + j] < -1e9) : m[i * t + j] !== 0) return false;
  return true;
}

/** One head path: `Transpose(permutation)(Reshape(Slice(proj)))`, its nodes (Slice first). */
function headPath(g: FusionGraph, value: string, permutation: string): OnnxNode[] | undefined {
  const tr = g.producer(value);
  const reshape = tr && g.producer(tr.input[0]);
  const slice = reshape && g.producer(reshape.input[0]);
  if (perm(tr) !== permutation || reshape?.op_type !== 'Reshape' || slice?.op_type !== 'Slice') return undefined;
  if (g.only(slice.output[0]) !== reshape || g.only(reshape.output[0]) !== tr || g.only(tr!.output[0]) === undefined) return undefined;
  return [slice, reshape, tr!];
}

/** The chain of single readers from `from`, of op types `types` in order (`A|B`: either), reading the previous one's output first. */
function chain(g: FusionGraph, from: string, types: readonly string[]): OnnxNode[] | undefined {
  const out: OnnxNode[] = [];
  let v = from;
  for (const t of types) {
    const n = g.only(v);
    if (!n || !t.split('|').includes(n.op_type) || n.input[0] !== v) return undefined;
    out.push(n);
    v = n.output[0];
  }
  return out;
}

/**
 * `nn.MultiheadAttention(E, H, batch_first=True)` on `(x, x, x)` as torch.onnx writes it:
 * `Transpose(1, 0, 2)` → `MatMul(W_inᵀ)` (+ `Add(b_in)`) → three `Slice`s (q, k, v), each
 * `Reshape` to `[T, N·H, d]` and `Transpose` → `Div(√d)` on q → `MatMul(q, kᵀ)` (→ `Mul(1)` →
 * `Add` of the causal mask) → `Softmax` → `MatMul(·, v)` → `Transpose` → `Reshape [T·N, E]` →
 * `Gemm(W_out, b_out)` → `Reshape` → `Transpose(1, 0, 2)`; the shape sub-graphs feeding the
 * Reshapes and Slices (from the pattern's own values) are part of it. Other masks, separate q/k/v
 * weights (kdim ≠ E) and cross-attention are left to the nodes' own rules.
 */
export const ATTENTION_FUSION: ImportFusion = {
  anchor: 'Softmax',
  match(sm, g) {
    const axis = attrInt(sm, 'axis', -1);
    const nodes: OnnxNode[] = [];
    let scores = g.producer(sm.input[0]);
    let causal = false;
    if (scores?.op_type === 'Add') {
      const m = split(g, scores);
      if (!m || !causalMask(m.c, m.dims)) return undefined;
      causal = true;
      nodes.push(scores);
      scores = g.producer(m.other);
    }
    if (scores?.op_type === 'Mul') {
      const one = split(g, scores);
      if (!one || one.c.length !== 1 || Number(one.c[0]) !== 1) return undefined;
      nodes.push(scores);
      scores = g.producer(one.other);
    }
    if (scores?.op_type !== 'MatMul' || (axis !== -1 && axis !== 2)) return undefined;
    nodes.push(scores);
    const div = g.producer(scores.input[0]);
    const scale = div?.op_type === 'Div' ? scalarOf(g, div.input[1]) : div?.op_type === 'Mul' ? 1 / (scalarOf(g, div.input[1]) ?? NaN) : undefined;
    if (!div || !scale || !(scale > 0)) return undefined;
    const q = headPath(g, div.input[0], '1,0,2');
    const k = headPath(g, scores.input[1], '1,2,0');
    const pv = g.only(sm.output[0]);
    const v = pv?.op_type === 'MatMul' && pv.input[0] === sm.output[0] ? headPath(g, pv.input[1], '1,0,2') : undefined;
    if (!q || !k || !v) return undefined;
    const proj = q[0].input[0];
    if (k[0].input[0] !== proj || v[0].input[0] !== proj) return undefined;
    // The in-projection: MatMul(Transpose(x), W_inᵀ) (+ Add of b_in).
    let mm = g.producer(proj);
    let bias: Float32Array | undefined;
    const addNode = mm?.op_type === 'Add' ? mm : undefined;
    if (addNode) {
      const b = split(g, addNode);
      if (!b || b.dims.length !== 1) return undefined;
      bias = Float32Array.from(b.c);
      mm = g.producer(b.other);
    }
    const w = mm?.op_type === 'MatMul' ? g.constant(mm.input[1]) : undefined;
    const xt = mm && g.producer(mm.input[0]);
    if (!w || w.dims.length !== 2 || perm(xt) !== '1,0,2' || (addNode && g.only(mm!.output[0]) !== addNode)) return undefined;
    const e = w.dims[0];
    const d = Math.round(scale * scale);
    if (w.dims[1] !== 3 * e || Math.abs(d - scale * scale) > 1e-3 * d || e % d !== 0 || (bias && bias.length !== 3 * e)) return undefined;
    // The slices q, k, v in order along the last axis.
    const bounds = [q[0], k[0], v[0]].map((s) => s.input.slice(1, 4));
    for (const [i, [start, end, ax]] of bounds.entries()) {
      const [s0, s1, a] = [start, end, ax].map((x) => (x ? scalarOf(g, x) : undefined));
      if (a !== undefined && a !== -1 && a !== 2) return undefined;
      if (s0 !== undefined && s0 !== i * e) return undefined;
      if (s1 !== undefined && s1 !== (i + 1) * e) return undefined;
      if (i > 0 && s0 === undefined && start !== bounds[i - 1][1]) return undefined;
      if (i === 0 && s0 === undefined) return undefined;
    }
    // After the values: Transpose → Reshape → Gemm(W_out, b_out) (MatMul(W_outᵀ) without biases) → Reshape → Transpose.
    const tail = chain(g, pv!.output[0], ['Transpose', 'Reshape', 'Gemm|MatMul', 'Reshape', 'Transpose']);
    if (!tail || perm(tail[0]) !== '1,0,2' || perm(tail[4]) !== '1,0,2') return undefined;
    const out = tail[2];
    const wOut = g.constant(out.input[1]);
    const bOut = out.input[2] ? g.constant(out.input[2]) : undefined;
    if (!wOut || wOut.dims.join() !== `${e},${e}` || (out.input[2] && bOut?.values.length !== e)) return undefined;
    const gemm = out.op_type === 'Gemm';
    if (gemm && (attrInt(out, 'transB', 0) !== 1 || attrInt(out, 'transA', 0) !== 0)) return undefined;
    if ((out.attribute ?? []).some((a) => (a.name === 'alpha' || a.name === 'beta') && a.f !== undefined && a.f !== 1)) return undefined;
    if (!bias !== !bOut) return undefined;
    const main = [xt!, mm!, ...(addNode ? [addNode] : []), ...q, ...k, ...v, div, ...nodes.reverse(), sm, pv!, ...tail];
    const inside = new Set(main.flatMap((n) => n.output));
    const shapeInputs = [...[q, k, v].flatMap(([s, r]) => [...s.input.slice(1), r.input[1]]), tail[1].input[1], tail[3].input[1]];
    const cone = shapeCone(g, shapeInputs, inside);
    if (!cone) return undefined;
    const all = new Set([...main, ...cone]);
    const last = tail[4];
    for (const n of all) for (const o of n.output) if (n !== last && g.consumers(o).nodes.some((r) => !all.has(r))) return undefined;
    // NOTE: W_inᵀ is stored [E, 3E] (MatMul's right operand); PyTorch's in_proj_weight is [3E, E].
    const wIn = transpose2d(w.values, e, 3 * e);
    const params: Record<string, Float32Array> = { in_proj_weight: wIn, out_proj_weight: gemm ? Float32Array.from(wOut.values) : transpose2d(wOut.values, e, e) };
    if (bias && bOut) Object.assign(params, { in_proj_bias: bias, out_proj_bias: Float32Array.from(bOut.values) });
    return { nodes: [...cone, ...main.filter((n) => n !== last), last], op: 'MultiHeadAttention', attrs: { numHeads: e / d, causal, bias: !!bias }, input: xt!.input[0], output: last.output[0], params };
  },
};
