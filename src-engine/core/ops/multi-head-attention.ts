import { boolAttr, fail, fmt, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp, type Attrs, type OnnxEmitContext, type ShapeArgs } from './types';
import { transpose2d } from '../../base/onnx/import-rule';
import { ATTENTION_FUSION } from './attention-import';

/** Sizes of one attention call: batch, steps, embedding, heads, head width. */
export interface Dims {
  n: number;
  t: number;
  e: number;
  h: number;
  d: number;
}

export function dimsOf(shape: readonly number[], attrs: Attrs): Dims {
  const [n, t, e] = shape;
  const h = intAttr(attrs, 'numHeads');
  return { n, t, e, h, d: e / h };
}

/**
 * Copies between the token-major `[N, T, parts·E]` layout (`part` picks the block: q, k, v) and the
 * head-major `[N, H, T, d]` one, scaled by `scale`; `toHeads` false copies back (accumulating when `add`).
 */
export function heads(tokens: Float32Array, stride: number, part: number, hm: Float32Array, { n, t, e, h, d }: Dims, toHeads: boolean, scale = 1, add = false): void {
  for (let b = 0; b < n; b++) {
    for (let s = 0; s < t; s++) {
      const row = (b * t + s) * stride + part * e;
      for (let hh = 0; hh < h; hh++) {
        const at = ((b * h + hh) * t + s) * d;
        const from = row + hh * d;
        if (toHeads) for (let j = 0; j < d; j++) hm[at + j] = tokens[from + j] * scale;
        else if (add) for (let j = 0; j < d; j++) tokens[from + j] += hm[at + j] * scale;
        else for (let j = 0; j < d; j++) tokens[from + j] = hm[at + j] * scale;
      }
    }
  }
}

/** The workspace tensors, by name, with their sizes in values. */
function workspaceSizes(shape: readonly number[], attrs: Attrs): Record<string, number> {
  const { n, t, e, h } = dimsOf(shape, attrs);
  return {
    // x·W_inᵀ + b_in, token-major [N, T, 3E]; in backward its gradient.
    qkv: n * t * 3 * e,
    // q (scaled by 1/√d), k, v head-major: three [N, H, T, d] blocks.
    qkvHeads: 3 * n * t * e,
    // softmax(q·kᵀ), [N, H, T, T]: what the attention-map probe reads.
    probs: n * h * t * t,
    // The heads' outputs, head-major [N, H, T, d] (in backward their gradient), and token-major [N, T, E].
    oHeads: n * t * e,
    attn: n * t * e,
    // Backward only: the gradients of q, k, v head-major, and one head's dP.
    dqkvHeads: 3 * n * t * e,
    dp: t * t,
  };
}

/**
 * Multi-head self-attention over a sequence `[N, T, E]`, as `torch.nn.MultiheadAttention(E,
 * numHeads, bias, batch_first=True)` called with `(x, x, x)` (and `attn_mask` the causal mask when
 * `causal`): the same parameters under the same names (`in_proj_weight` `[3E, E]` = q, k, v
 * stacked, `in_proj_bias`, `out_proj.weight`, `out_proj.bias`) and initialisation (xavier_uniform
 * in, U(±1/√E) out, zero biases). No dropout. Output `[N, T, E]`.
 */
export const multiHeadAttention = defineOp({
  name: 'MultiHeadAttention',
  category: 'layers',
  onnxFusions: [ATTENTION_FUSION],
  onnx: {
    opType: 'MatMul',
    note: 'the graph torch.onnx writes for nn.MultiheadAttention(batch_first=True) at opset 17: Transpose to time-major, MatMul + Add with the packed in-projection, three Slices reshaped to [T, N·H, d] heads, Div by √d, MatMul with the keys, Add of the causal mask, Softmax, MatMul with the values, Gemm of the out-projection, Transpose back',
    emit: emitAttention,
  },
  torch: {
    module: 'SelfAttention({in[-1]}, {numHeads}, bias={bias}, causal={causal})',
    helper: [
      'class SelfAttention(nn.MultiheadAttention):',
      '    """nn.MultiheadAttention(batch_first=True) attending a sequence to itself, optionally causal',
      '    (step t sees steps <= t); returns the output only (its state_dict is nn.MultiheadAttention\'s)."""',
      '',
      '    def __init__(self, embed_dim, num_heads, bias=True, causal=False):',
      '        super().__init__(embed_dim, num_heads, bias=bias, batch_first=True)',
      '        self.causal = causal',
      '',
      '    def forward(self, x):',
      '        t = x.shape[1]',
      '        mask = torch.triu(torch.full((t, t), float("-inf"), device=x.device), 1) if self.causal else None',
      '        if mask is None and self.in_proj_bias is None:',
      '            # PyTorch 1.13\'s fast path (eval, no grad, no mask) refuses a layer without biases;',
      '            # a mask of zeros adds nothing and keeps to the general path.',
      '            mask = torch.zeros((t, t), device=x.device, dtype=x.dtype)',
      '        return super().forward(x, x, x, need_weights=False, attn_mask=mask)[0]',
    ].join('\n'),
    stateNames: { out_proj_weight: 'out_proj.weight', out_proj_bias: 'out_proj.bias' },
    note: 'a subclass of nn.MultiheadAttention (batch_first) called on (x, x, x) with the causal mask when set',
  },
  card: (a) => `${String(a.numHeads)} heads${a.causal ? ', causal' : ''}`,
  doc: 'Multi-head self-attention over a sequence [N, T, E]: each step mixes the steps it attends to (causal: only earlier ones).',
  inputs: [{ name: 'x' }],
  attrs: {
    numHeads: { kind: 'int', default: 4, min: 1, max: 1024, doc: 'Attention heads; the embedding (the input’s last dim) must divide evenly among them.' },
    causal: { kind: 'bool', default: false, doc: 'Each step attends only to itself and earlier steps (a language model’s mask).' },
    bias: { kind: 'bool', default: true, doc: 'Biases on the in- and out-projections.' },
  },
  inferShape({ inputs, attrs }: ShapeArgs) {
    const x = inputs[0];
    if (x.length !== 3) return fail(ShapeCode.RANK, `MultiHeadAttention expects a sequence [N, T, E] (steps × embedding); got ${fmt(x)}.${x.length === 2 ? ' Add an Embedding (or a Reshape to [T, E]) before it.' : ''}`);
    const h = intAttr(attrs, 'numHeads');
    if (!Number.isInteger(h) || h < 1 || x[2] % h !== 0) return fail(ShapeCode.ATTR_RANGE, `MultiHeadAttention: the embedding size ${x[2]} does not divide into ${h} heads; pick numHeads among the divisors of ${x[2]}.`);
    return ok([...x]);
  },
  params({ inputs, attrs }) {
    const e = inputs[0][2];
    const bias = boolAttr(attrs, 'bias');
    return [
      { name: 'in_proj_weight', shape: [3 * e, e], init: 'xavier_uniform', fanIn: e, fanOut: 3 * e, decay: true },
      ...(bias ? [{ name: 'in_proj_bias', shape: [3 * e], init: 'zeros' as const, fanIn: e, fanOut: 3 * e, decay: false }] : []),
      { name: 'out_proj_weight', shape: [e, e], init: 'torch_default', fanIn: e, fanOut: e, decay: true },
      ...(bias ? [{ name: 'out_proj_bias', shape: [e], init: 'zeros' as const, fanIn: e, fanOut: e, decay: false }] : []),
    ];
  },
  workspace: ({ inputs, attrs }) => Object.entries(workspaceSizes(inputs[0], attrs)).map(([name, size]) => ({ name, shape: [size] })),
  attentionMaps: {
    // The forward's softmax(q·kᵀ) ([N, H, T, T]) of one sample: its top-left `steps` × `steps` per head.
    read(workspace, input, attrs, sample, steps) {
      const { n, h, t } = dimsOf(input, attrs);
      const s = Math.min(Math.max(0, sample), n - 1);
      const shown = Math.min(steps, t);
      const probs = workspace.probs.data;
      const heads = Array.from({ length: h }, (_, head) => {
        const map = new Float32Array(shown * shown);
        const at = (s * h + head) * t * t;
        for (let q = 0; q < shown; q++) map.set(probs.subarray(at + q * t, at + q * t + shown), q * shown);
        return map;
      });
      return { heads, steps: shown, of: t, causal: boolAttr(attrs, 'causal') };
    },
    // Per head, the rows `read` takes (whole rows: one range each).
    ranges(input, attrs, sample, steps) {
      const { n, h, t } = dimsOf(input, attrs);
      const s = Math.min(Math.max(0, sample), n - 1);
      const shown = Math.min(steps, t);
      return { probs: Array.from({ length: h }, (_, head) => [(s * h + head) * t * t, shown * t] as const) };
    },
  },
  flops({ inputs, attrs }) {
    const { t, e } = dimsOf(inputs[0], attrs);
    return 2 * (4 * t * e * e + 2 * t * t * e);
  },
});

const i64 = (ctx: OnnxEmitContext, name: string, values: number[], dims: number[] = [values.length]) => ctx.constant(name, dims, values, 'int64');

/**
 * The ONNX form torch.onnx writes for `nn.MultiheadAttention(batch_first=True)` at opset 17, its
 * shape sub-graphs written as constants (`-1` for the batch): time-major `[T, N, E]`, the packed
 * projection, the heads as `[N·H, T, d]` batches of MatMul, the out-projection as a Gemm on `[T·N, E]`.
 */
function emitAttention(ctx: OnnxEmitContext): string {
  const [, t, e] = ctx.inputShapes[0];
  const h = intAttr(ctx.attrs, 'numHeads');
  const d = e / h;
  const tm = ctx.node('Transpose', [ctx.inputs[0]], { perm: { ints: [1, 0, 2] } });
  let qkv = ctx.node('MatMul', [tm, ctx.constant('in_proj_weight_t', [e, 3 * e], transpose2d(ctx.weightValues('in_proj_weight')!, 3 * e, e))]);
  const bIn = ctx.weight('in_proj_bias');
  if (bIn) qkv = ctx.node('Add', [bIn, qkv]);
  const toHeads = (part: number) => {
    const slice = ctx.node('Slice', [qkv, i64(ctx, `start${part}`, [part * e]), i64(ctx, `end${part}`, [(part + 1) * e]), i64(ctx, `axis${part}`, [-1])]);
    return ctx.node('Reshape', [slice, i64(ctx, `heads${part}`, [t, -1, d])]);
  };
  const [q, k, v] = [0, 1, 2].map(toHeads);
  const qs = ctx.node('Div', [ctx.node('Transpose', [q], { perm: { ints: [1, 0, 2] } }), ctx.constant('scale', [], [Math.sqrt(d)])]);
  let scores = ctx.node('MatMul', [qs, ctx.node('Transpose', [k], { perm: { ints: [1, 2, 0] } })]);
  if (boolAttr(ctx.attrs, 'causal')) {
    const mask = Array.from({ length: t * t }, (_, i) => (i % t > Math.floor(i / t) ? -Infinity : 0));
    scores = ctx.node('Add', [scores, ctx.constant('mask', [1, t, t], mask)]);
  }
  const probs = ctx.node('Softmax', [scores], { axis: { int: -1 } });
  const o = ctx.node('MatMul', [probs, ctx.node('Transpose', [v], { perm: { ints: [1, 0, 2] } })]);
  const rows = ctx.node('Reshape', [ctx.node('Transpose', [o], { perm: { ints: [1, 0, 2] } }), i64(ctx, 'rows', [-1, e])]);
  const bOut = ctx.weight('out_proj_bias');
  const proj = ctx.node('Gemm', [rows, ctx.weight('out_proj_weight')!, ...(bOut ? [bOut] : [])], { transB: { int: 1 } });
  const seq = ctx.node('Reshape', [proj, i64(ctx, 'seq', [t, -1, e])]);
  return ctx.node('Transpose', [seq], { perm: { ints: [1, 0, 2] } });
}
