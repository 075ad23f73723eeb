/**
 * What the recurrent ops' declarations (RNN, LSTM, GRU) share: their attrs, shape rule, workspace,
 * PyTorch parameter names, ONNX forms and sequence traces. Their time loop and cells are the
 * reference kernels in ops/kernels/recurrent.ts. Not an op; nothing here is registered.
 *
 * Layout. Everything inside runs time-major (`[T, N, ·]`), so one step's rows are contiguous and a
 * step's recurrent product is one GEMM `[N, H]·W_hhᵀ`; the input projection of a whole layer is one
 * GEMM over all `T·N` rows, and so are the weight gradients in backward (BPTT).
 */
import { boolAttr, fail, fmt, intAttr, ok, ShapeCode, showAttr } from './shape-util';
import type { Attrs, OnnxAttrValue, OpDef, TimeTraces, TorchMapping, OnnxEmitContext, ParamSpec, ShapeArgs, ShapeResult, WorkspaceSpec } from './types';
import type { AttrSpec } from '../../catalog/attr-spec';
import type { ConstantValue, ImportRule } from '../../base/onnx/import-rule';
import type { FusionGraph, ImportFusion } from '../../base/onnx/import-fusion';
import { fromUtf8, tensorValues, type OnnxNode } from '../../base/onnx/model';

/** What a recurrent op's declaration knows of its cell: the gates per hidden unit (4 for LSTM: i, f, g, o; 3 for GRU: r, z, n). */
export interface CellGates {
  gates: number;
}

/**
 * The PyTorch module: a subclass of `nn.LSTM`/`nn.GRU` (so the state_dict names are the module's)
 * with `batch_first=True` that returns the sequence, or the last layer's final h (both
 * directions' concatenated, as Netwright's `output: 'last'`).
 */
export function recurrentTorch(module: 'RNN' | 'LSTM' | 'GRU'): TorchMapping {
  return {
    module: `Seq${module}({in[-1]}, {hiddenSize}, num_layers={numLayers}, bias={bias}, bidirectional={bidirectional}, output={output})`,
    helper: [
      `class Seq${module}(nn.${module}):`,
      `    """nn.${module}(batch_first=True) returning the sequence of h, or (output='last') the last layer's final h."""`,
      '',
      "    def __init__(self, *args, output='sequence', **kwargs):",
      '        super().__init__(*args, batch_first=True, **kwargs)',
      '        self.output = output',
      '',
      '    def forward(self, x):',
      '        y, state = super().forward(x)',
      "        if self.output != 'last':",
      '            return y',
      '        h = state[0] if isinstance(state, tuple) else state',
      '        return torch.cat([h[-2], h[-1]], dim=-1) if self.bidirectional else h[-1]',
    ].join('\n'),
    note: `a subclass of nn.${module}: the state_dict names are nn.${module}'s`,
  };
}

export const RECURRENT_ATTRS: Readonly<Record<string, AttrSpec>> = {
  hiddenSize: { kind: 'int', default: 64, min: 1, max: 4096, doc: 'Size of the hidden state h.' },
  numLayers: { kind: 'int', default: 1, min: 1, max: 8, doc: 'Stacked layers: each reads the sequence the one below outputs.' },
  bidirectional: { kind: 'bool', default: false, doc: 'Also read the sequence backwards; the two directions’ h are concatenated (2·hiddenSize).' },
  bias: { kind: 'bool', default: true, doc: 'Learn the biases b_ih and b_hh.' },
  output: {
    kind: 'enum',
    default: 'sequence',
    values: ['sequence', 'last'],
    doc: 'sequence: h at every step, [N, T, H]; last: the last layer’s final h, [N, H] (both directions’ final states when bidirectional).',
  },
};

/** A recurrent op's sizes (the GPU kernel, `core/gpu/kernels/recurrent.ts`, reads the same). */
export interface Dims {
  n: number;
  t: number;
  f: number;
  h: number;
  layers: number;
  dirs: number;
  g: number;
  /** Gate rows: G·H. */
  gh: number;
  /** A layer's output width: D·H. */
  dh: number;
  /** One step's h of one direction: N·H values. */
  step: number;
}

export function dimsOf(x: readonly number[], attrs: Attrs, cell: CellGates): Dims {
  const h = intAttr(attrs, 'hiddenSize');
  const dirs = boolAttr(attrs, 'bidirectional') ? 2 : 1;
  return { n: x[0], t: x[1], f: x[2], h, layers: intAttr(attrs, 'numLayers'), dirs, g: cell.gates, gh: cell.gates * h, dh: dirs * h, step: x[0] * h };
}

/** The shape rule: `[N, T, F]` in; `[N, T, D·H]` or `[N, D·H]` out. */
export function recurrentShape(op: string) {
  return ({ inputs, attrs }: ShapeArgs): ShapeResult => {
    const x = inputs[0];
    if (x.length !== 3) {
      const hint = x.length === 2 ? ' — Reshape it to [T, F] steps of F features (e.g. [28, 28] for MNIST rows), or give the Input that shape' : '';
      return fail(ShapeCode.RANK, `${op} expects a batch of sequences [N, T, features]; got ${fmt(x)}${hint}.`);
    }
    const hd = intAttr(attrs, 'hiddenSize') * (boolAttr(attrs, 'bidirectional') ? 2 : 1);
    return ok(attrs.output === 'last' ? [x[0], hd] : [x[0], x[1], hd]);
  };
}

export function recurrentCard(a: Attrs): string {
  const extra = [(a.numLayers as number) > 1 ? `${showAttr(a.numLayers)} layers` : '', a.bidirectional ? 'bidir' : '', a.output === 'last' ? 'last h' : 'sequence'].filter(Boolean);
  return [`h ${showAttr(a.hiddenSize)}`, ...extra].join(' · ');
}

/** PyTorch's name of one parameter: `weight_ih_l0`, `bias_hh_l1_reverse`. */
export function paramName(kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh', layer: number, dir: number): string {
  return `${kind}_l${layer}${dir ? '_reverse' : ''}`;
}

/**
 * The parameters in PyTorch's order (per layer, per direction: W_ih, W_hh, b_ih, b_hh), all drawn
 * from U(±1/√H) as PyTorch's `reset_parameters` does (init `torch_bias` with fanIn = H).
 */
export function recurrentParams(cell: CellGates) {
  return ({ inputs, attrs }: ShapeArgs): ParamSpec[] => {
    const d = dimsOf(inputs[0], attrs, cell);
    const gh = d.gh;
    const out: ParamSpec[] = [];
    const spec = (name: string, shape: number[], decay: boolean): ParamSpec => ({ name, shape, init: 'torch_bias', fanIn: d.h, fanOut: gh, decay });
    for (let l = 0; l < d.layers; l++) {
      for (let dir = 0; dir < d.dirs; dir++) {
        out.push(spec(paramName('weight_ih', l, dir), [gh, l === 0 ? d.f : d.dirs * d.h], true));
        out.push(spec(paramName('weight_hh', l, dir), [gh, d.h], true));
        if (boolAttr(attrs, 'bias')) out.push(spec(paramName('bias_ih', l, dir), [gh], false), spec(paramName('bias_hh', l, dir), [gh], false));
      }
    }
    return out;
  };
}

/** Storage kept from forward for backward, and backward's scratch (time-major). */
export function recurrentWorkspace(cell: CellGates) {
  return ({ inputs, attrs }: ShapeArgs): WorkspaceSpec[] => {
    const d = dimsOf(inputs[0], attrs, cell);
    const { n, t, h, g, dh } = d;
    const k = d.layers * d.dirs;
    return [
      { name: 'seqIn', shape: [t, n, d.f] },
      { name: 'ys', shape: [d.layers, t, n, dh] },
      { name: 'hs', shape: [k, t, n, h] },
      { name: 'aux', shape: [k, t, n, h] },
      { name: 'gates', shape: [k, t, n, g * h] },
      { name: 'xg', shape: [t, n, g * h] },
      { name: 'rg', shape: [n, g * h] },
      { name: 'dXg', shape: [t, n, g * h] },
      { name: 'dRg', shape: [t, n, g * h] },
      { name: 'dh', shape: [n, h] },
      { name: 'dhNext', shape: [n, h] },
      { name: 'dCarry', shape: [n, h] },
      { name: 'dys', shape: [t, n, dh] },
      { name: 'dIn', shape: [t, n, Math.max(d.f, dh)] },
      // ‖dL/dh_t‖ over the batch per layer, direction and step, written by backward (the sequence probe's gradient by time).
      { name: 'dhNorm', shape: [k, t] },
      // The bias gradients' column sums, when one gradient serves both biases (LSTM, RNN).
      { name: 'biasSums', shape: [g * h] },
      // dW_ih transposed, when the input is narrower than the gates (its gradient is then summed as inpᵀ·dXg).
      { name: 'dWihT', shape: [g * h * Math.max(d.f, dh)] },
    ];
  };
}

/** Multiply-accumulates ×2 per sample: input projections, recurrent products, a few per gate. */
export function recurrentFlops(cell: CellGates) {
  return ({ inputs, attrs }: ShapeArgs): number => {
    const d = dimsOf(inputs[0], attrs, cell);
    let f = 0;
    for (let l = 0; l < d.layers; l++) f += d.dirs * d.t * (2 * d.g * d.h * ((l === 0 ? d.f : d.dirs * d.h) + d.h) + 10 * d.h);
    return f;
  };
}

// — ONNX —

/**
 * PyTorch's gate blocks in ONNX's order: ONNX block `j` is PyTorch block `perm[j]` (LSTM: ONNX
 * i, o, f, c from PyTorch i, f, g, o → [0, 3, 1, 2]; GRU: ONNX z, r, h from r, z, n → [1, 0, 2]).
 */
export function reorderGates(w: ArrayLike<number>, perm: readonly number[], blockSize: number, into: Float32Array, at: number, inverse = false): void {
  for (let j = 0; j < perm.length; j++) {
    const [to, from] = inverse ? [perm[j], j] : [j, perm[j]];
    for (let i = 0; i < blockSize; i++) into[at + to * blockSize + i] = w[from * blockSize + i];
  }
}

const i64 = (ctx: OnnxEmitContext, name: string, values: number[], dims: number[] = [values.length]) => ctx.constant(name, dims, values, 'int64');

function squeeze(ctx: OnnxEmitContext, x: string, axis: number, name: string): string {
  return ctx.opset >= 13 ? ctx.node('Squeeze', [x, i64(ctx, name, [axis])]) : ctx.node('Squeeze', [x], { axes: { ints: [axis] } });
}

/**
 * Emit the ONNX form of a recurrent op: per layer one ONNX `opType` node (time-major, PyTorch's
 * gates reordered into ONNX's), as torch.onnx writes `nn.LSTM`/`nn.GRU` with `batch_first=True`:
 * Transpose → node → Squeeze (or Transpose + Reshape of the two directions) → … → Transpose, or
 * the final states gathered from Y for `output: 'last'`.
 */
export function emitRecurrent(ctx: OnnxEmitContext, opType: string, perm: readonly number[], extra: Readonly<Record<string, OnnxAttrValue>> = {}): string {
  const [, t, f] = ctx.inputShapes[0];
  const h = intAttr(ctx.attrs, 'hiddenSize');
  const layers = intAttr(ctx.attrs, 'numLayers');
  const dirs = boolAttr(ctx.attrs, 'bidirectional') ? 2 : 1;
  const g = perm.length;
  const gh = g * h;
  let seq = ctx.node('Transpose', [ctx.inputs[0]], { perm: { ints: [1, 0, 2] } });
  let y = '';
  for (let l = 0; l < layers; l++) {
    const fin = l === 0 ? f : dirs * h;
    const wv = new Float32Array(dirs * gh * fin);
    const rv = new Float32Array(dirs * gh * h);
    const bv = new Float32Array(dirs * 2 * gh);
    let biased = false;
    for (let dir = 0; dir < dirs; dir++) {
      reorderGates(ctx.weightValues(paramName('weight_ih', l, dir))!, perm, h * fin, wv, dir * gh * fin);
      reorderGates(ctx.weightValues(paramName('weight_hh', l, dir))!, perm, h * h, rv, dir * gh * h);
      const bih = ctx.weightValues(paramName('bias_ih', l, dir));
      const bhh = ctx.weightValues(paramName('bias_hh', l, dir));
      if (bih && bhh) {
        biased = true;
        reorderGates(bih, perm, h, bv, dir * 2 * gh);
        reorderGates(bhh, perm, h, bv, dir * 2 * gh + gh);
      }
    }
    const ins = [seq, ctx.constant(`W_l${l}`, [dirs, gh, fin], wv), ctx.constant(`R_l${l}`, [dirs, gh, h], rv)];
    if (biased) ins.push(ctx.constant(`B_l${l}`, [dirs, 2 * gh], bv));
    const attrs: Record<string, OnnxAttrValue> = { hidden_size: { int: h }, ...extra };
    if (dirs === 2) attrs.direction = { string: 'bidirectional' };
    y = ctx.node(opType, ins, attrs);
    seq = dirs === 1 ? squeeze(ctx, y, 1, `squeeze_l${l}`) : ctx.node('Reshape', [ctx.node('Transpose', [y], { perm: { ints: [0, 2, 1, 3] } }), i64(ctx, `shape_l${l}`, [0, 0, -1])]);
  }
  if (ctx.attrs.output !== 'last') return ctx.node('Transpose', [seq], { perm: { ints: [1, 0, 2] } });
  if (dirs === 1) return ctx.node('Gather', [seq, i64(ctx, 'last', [-1], [])], { axis: { int: 0 } });
  // Y is [T, 2, N, H]: the forward direction ends at step T − 1, the reverse one at step 0.
  const finalOf = (dir: number, time: number) => ctx.node('Gather', [ctx.node('Gather', [y, i64(ctx, `t${dir}`, [time], [])], { axis: { int: 0 } }), i64(ctx, `d${dir}`, [dir], [])], { axis: { int: 0 } });
  return ctx.node('Concat', [finalOf(0, t - 1), finalOf(1, 0)], { axis: { int: -1 } });
}

/** The scalar (or one-element) int constant `value` holds, if it is one. */
function intConstant(g: FusionGraph, value: string | undefined): number | undefined {
  const c = value ? g.constant(value) : undefined;
  return c && c.values.length === 1 ? Number(c.values[0]) : undefined;
}

function perm(n: OnnxNode | undefined): string {
  return n?.op_type === 'Transpose' ? (n.attribute?.find((a) => a.name === 'perm')?.ints ?? []).join() : '';
}

/** The axis a Squeeze node removes, when it removes one (opset 13's input, or the older attribute). */
function squeezeAxis(n: OnnxNode | undefined, g: FusionGraph): number | undefined {
  if (n?.op_type !== 'Squeeze') return undefined;
  const attr = n.attribute?.find((a) => a.name === 'axes')?.ints;
  if (attr) return attr.length === 1 ? Number(attr[0]) : undefined;
  return intConstant(g, n.input[1]);
}

function gatherIndex(n: OnnxNode | undefined, g: FusionGraph): number | undefined {
  if (n?.op_type !== 'Gather' || Number(n.attribute?.find((a) => a.name === 'axis')?.i ?? 0) !== 0) return undefined;
  return intConstant(g, n.input[1]);
}

/**
 * The zero initial state torch.onnx builds from the batch size, and its nodes: with a dynamic batch
 * `ConstantOfShape(Concat(…Shape(x)…))` (sliced per layer when stacked); with a fixed batch (no
 * `dynamic_axes`) `Expand(zeros, Concat(…Shape(seq)…))`, the shape read from the layer's own
 * time-major input. Zeros are zeros at any batch size, so either form reads as Netwright's zero
 * state, and the batch stays free.
 */
function zeroState(g: FusionGraph, value: string | undefined, shapeSources: readonly string[]): OnnxNode[] | undefined {
  if (!value) return [];
  const nodes: OnnxNode[] = [];
  let cos = g.producer(value);
  // A stacked layer's state: a Slice of the zeros of all layers.
  while (cos?.op_type === 'Slice') {
    nodes.push(cos);
    cos = g.producer(cos.input[0]);
  }
  const zeros = (c: ConstantValue | undefined) => c !== undefined && Array.from(c.values).every((x) => x === 0);
  if (cos?.op_type === 'ConstantOfShape') {
    const fill = cos.attribute?.find((a) => a.name === 'value')?.t;
    const v = fill ? tensorValues(fill) : [0];
    if (!v || v.some((x) => x !== 0)) return undefined;
  } else if (cos?.op_type !== 'Expand' || !zeros(g.constant(cos.input[0]))) return undefined;
  nodes.push(cos);
  const stack = cos.op_type === 'Expand' ? [cos.input[1]] : [...cos.input];
  while (stack.length) {
    const p = g.producer(stack.pop()!);
    if (!p || g.constant(p.output[0]) || nodes.includes(p)) continue;
    if (!['Concat', 'Unsqueeze', 'Gather', 'Shape', 'Slice', 'Cast'].includes(p.op_type)) return undefined;
    if (p.op_type === 'Shape' && !shapeSources.includes(p.input[0])) return undefined;
    nodes.push(p);
    if (p.op_type !== 'Shape') stack.push(...p.input);
  }
  return nodes;
}

/** Layer `layer`'s weights in PyTorch's gate order and names, from an ONNX node's W, R, B (`[D, G·H, ·]`). */
function readLayer(w: ConstantValue, r: ConstantValue, b: ConstantValue | undefined, gatePerm: readonly number[], layer: number, into: Record<string, Float32Array>): void {
  const [dirs, gh, fin] = w.dims;
  const h = gh / gatePerm.length;
  for (let dir = 0; dir < dirs; dir++) {
    const at = (kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh', src: ArrayLike<number>, block: number) => {
      const out = new Float32Array(gatePerm.length * block);
      reorderGates(src, gatePerm, block, out, 0, true);
      into[paramName(kind, layer, dir)] = out;
    };
    at('weight_ih', w.values.slice(dir * gh * fin, (dir + 1) * gh * fin), h * fin);
    at('weight_hh', r.values.slice(dir * gh * h, (dir + 1) * gh * h), h * h);
    const bv = b ? b.values.slice(dir * 2 * gh, (dir + 1) * 2 * gh) : new Float32Array(2 * gh);
    at('bias_ih', bv.slice(0, gh), h);
    at('bias_hh', bv.slice(gh), h);
  }
}

/**
 * Read what torch.onnx writes for `nn.LSTM`/`nn.GRU(batch_first=True)` (and what Netwright writes
 * for one): `Transpose(1, 0, 2)` → per layer the node (zero initial states, made from the input's
 * shape — sliced per layer when stacked — or left out) and its Y made a time-major sequence again
 * (`Squeeze(1)`, or `Transpose(0, 2, 1, 3)` + `Reshape(0, 0, −1)` for both directions) → …; then
 * `Transpose(1, 0, 2)` (the sequence) or `Gather(−1)` (one direction's last step); or, for one
 * layer and direction, Y_h `Gather(0 | −1)`/`Squeeze(0)` (the last state). The weights come back
 * in PyTorch's gate order. Other forms are left to the node's own rule, which says why it cannot
 * read them.
 */
export function recurrentFusion(opType: string, op: string, gatePerm: readonly number[], attrsOk: (n: OnnxNode) => boolean): ImportFusion {
  return {
    anchor: opType,
    match(first, g) {
      const pre = g.producer(first.input[0]);
      if (perm(pre) !== '1,0,2' || g.only(first.input[0]) !== first) return undefined;
      const source = pre!.input[0];
      const nodes: OnnxNode[] = [];
      const states: OnnxNode[] = [];
      const params: Record<string, Float32Array> = {};
      let dirs = 0;
      let hidden = 0;
      let output: 'sequence' | 'last' = 'sequence';
      let node = first;
      for (let layer = 0; ; layer++) {
        if (!attrsOk(node)) return undefined;
        const dirAttr = node.attribute?.find((a) => a.name === 'direction');
        const direction = dirAttr ? fromUtf8(dirAttr.s) : 'forward';
        const d = direction === 'bidirectional' ? 2 : direction === 'forward' ? 1 : 0;
        const [w, r, b] = [1, 2, 3].map((i) => (node.input[i] ? g.constant(node.input[i]) : undefined));
        if (!d || (dirs && d !== dirs) || !w || !r || (node.input[3] && !b) || node.input[4] || w.dims.length !== 3 || w.dims[0] !== d) return undefined;
        const h = w.dims[1] / gatePerm.length;
        if (hidden && h !== hidden) return undefined;
        [dirs, hidden] = [d, h];
        for (const i of [5, 6]) {
          const z = zeroState(g, node.input[i], [source, node.input[0]]);
          if (!z) return undefined;
          for (const n of z) if (!states.includes(n)) states.push(n);
        }
        readLayer(w, r, b, gatePerm, layer, params);
        nodes.push(node);
        const [yv, yh] = node.output;
        const yReader = yv ? g.only(yv) : undefined;
        const hReader = yh ? g.only(yh) : undefined;
        if (node.output[2] && g.used(node.output[2])) return undefined; // LSTM's Y_c
        if (layer === 0 && d === 1 && !yReader && hReader && (squeezeAxis(hReader, g) === 0 || [0, -1].includes(gatherIndex(hReader, g) ?? 1))) {
          nodes.push(hReader);
          output = 'last';
          break;
        }
        if (!yReader || (yh && g.used(yh))) return undefined;
        let seq: OnnxNode;
        if (d === 1) {
          if (squeezeAxis(yReader, g) !== 1) return undefined;
          seq = yReader;
        } else {
          const reshape = g.only(yReader.output[0]);
          const shape = reshape?.op_type === 'Reshape' ? g.constant(reshape.input[1])?.values : undefined;
          if (perm(yReader) !== '0,2,1,3' || Array.from(shape ?? []).join() !== '0,0,-1') return undefined;
          nodes.push(yReader);
          seq = reshape!;
        }
        nodes.push(seq);
        const next = g.only(seq.output[0]);
        if (next?.op_type === opType && next.input[0] === seq.output[0]) {
          node = next;
          continue;
        }
        if (perm(next) !== '1,0,2' && !(d === 1 && gatherIndex(next, g) === -1)) return undefined;
        nodes.push(next!);
        if (perm(next) !== '1,0,2') output = 'last';
        break;
      }
      const layers = nodes.filter((n) => n.op_type === opType);
      // No B anywhere: no biases (one layer without B among others: its biases are zeros).
      const bias = layers.some((n) => n.input[3]);
      if (!bias) for (const k of Object.keys(params)) if (k.startsWith('bias_')) delete params[k];
      const attrs = { hiddenSize: hidden, numLayers: layers.length, bidirectional: dirs === 2, bias, output };
      return { nodes: [...states, pre!, ...nodes], op, attrs, input: source, output: nodes.at(-1)!.output[0], params };
    },
  };
}

/** The node's own rule: reached only when the fusion did not match, so it says what is read. */
export function recurrentRule(opType: string, module: string): ImportRule {
  const rule = () => ({
    unsupported: `${opType} is read only as torch.onnx writes ${module}(batch_first=True) with zero initial states: Transpose → ${opType} per layer → Transpose (the sequence), or the last state of one direction; initial states, sequence lengths and other activations are not supported yet`,
  });
  return Object.assign(rule, { refusesByForm: true });
}

/** The row (of `[K, T, N, ·]`) the traces read at each step: sample `sample` of the last layer's forward direction. */
function traceRow(d: Dims, sample: number): (time: number) => number {
  const k = (d.layers - 1) * d.dirs;
  const s = Math.min(Math.max(0, sample), d.n - 1);
  return (time) => (k * d.t + time) * d.n + s;
}

/**
 * The sequence probe's view of a recurrent op (`OpDef.traces`): gates and hidden state per step
 * from the forward's workspace (`gates`, `hs`: time-major per layer and direction), and the
 * gradient by time `backward` leaves in `dhNorm`.
 */
export function recurrentTraces(cell: CellGates, gates: TimeTraces['gates']): TimeTraces {
  return {
    gates,
    ranges(input, attrs, sample) {
      const d = dimsOf(input, attrs, cell);
      const at = traceRow(d, sample);
      const steps = Array.from({ length: d.t }, (_, time) => time);
      return {
        forward: { gates: steps.map((time) => [at(time) * d.gh, d.gh]), hs: steps.map((time) => [at(time) * d.h, d.h]) },
        backward: { dhNorm: [[0, d.t]] },
      };
    },
    read(w, input, attrs, sample, units) {
      const d = dimsOf(input, attrs, cell);
      const { t, h, gh } = d;
      const u = Math.min(units, h);
      const g = w.gates.data;
      const hs = w.hs.data;
      const at = traceRow(d, sample);
      return {
        gates: Array.from({ length: d.g }, (_, q) => Array.from({ length: u }, (_, j) => Array.from({ length: t }, (_, time) => g[at(time) * gh + q * h + j]))),
        hidden: Array.from({ length: u }, (_, j) => Array.from({ length: t }, (_, time) => hs[at(time) * h + j])),
      };
    },
    gradByTime(w, input, attrs) {
      const { t } = dimsOf(input, attrs, cell);
      return Array.from(w.dhNorm.data.subarray(0, t));
    },
  };
}

/** The parts of a recurrent op's declaration its cell decides: shape, parameters, workspace (its kernels: ops/kernels/recurrent.ts). */
export function recurrentOp(name: string, cell: CellGates): Pick<OpDef, 'category' | 'card' | 'inputs' | 'attrs' | 'inferShape' | 'params' | 'workspace' | 'flops'> {
  return {
    category: 'layers',
    card: recurrentCard,
    inputs: [{ name: 'x' }],
    attrs: RECURRENT_ATTRS,
    inferShape: recurrentShape(name),
    params: recurrentParams(cell),
    workspace: recurrentWorkspace(cell),
    flops: recurrentFlops(cell),
  };
}
