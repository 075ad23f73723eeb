import { groupsFromScopes } from '../../../base/ir/node-groups';
import { GRAPH_FORMAT, GRAPH_VERSION, type GraphIR, type NodeIR } from '../../../base/ir/types';
import type { Normalization } from '../../data/normalize';
import type { TargetNormalization } from '../../data/target-normalization';
import { getOp } from '../../ops/registry';
import type { Attrs } from '../../ops/types';
import { OnnxError, type OnnxDiagnostic } from '../../export/onnx/errors';
import { foldWithShapes, isConstantNode, type FoldedModel } from './fold';
import { SHAPE_OPS } from './shapes';
import type { ConstantValue, Lowered, RuleContext } from '../../../base/onnx/import-rule';
import type { FusionGraph, FusionMatch } from '../../../base/onnx/import-fusion';
import { IMPORT_FUSIONS, IMPORT_RULES } from './rules';
import { nodeName } from './structure';
import { sizeOf, type OnnxGraph, type OnnxNode } from '../../export/onnx/proto';

/** The graph the mapping read, before it is validated, with its weights. */
export interface MappedModel {
  /** Ids, ops, attributes and groups as the rules wrote them (no defaults filled): validated by the import, once. */
  graph: GraphIR;
  params: Record<string, Float32Array>;
  buffers: Record<string, Float32Array>;
  normalization?: Normalization;
  /** A Netwright export's trailing Mul (std) / Add (mean) on the prediction: the target's standardisation, undone by the model as by the file. */
  targetNormalization?: TargetNormalization;
  /** Each node's output shape at batch 1, from its op's shape rule as it was read (absent where one could not say). */
  shapes: ReadonlyMap<string, readonly number[]>;
}

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The mapping: the folded model's nodes read into Netwright nodes — graph inputs, a leading input
 * normalisation, the op files' multi-node patterns (`IMPORT_FUSIONS`), then one rule per node
 * (`IMPORT_RULES`) — yielding between nodes.
 *
 * @throws OnnxError `E_IMPORT_UNSUPPORTED` listing every node that cannot be read (with its name).
 */
export function* mapNodes(g: OnnxGraph, nodes: readonly OnnxNode[], folded: FoldedModel, opset: number, staticBatch: number | undefined, targetNormalized = false): Generator<void, MappedModel> {
  const m: NodeMapper = new NodeMapper(g, folded, { opset, constant: (v) => folded.constants.get(v), consumers: (v) => m.consumers(v), shape: (v) => m.shapeOf(v), staticBatch });
  for (const n of folded.refused) m.refuse(n, 'a Constant that is not a float or int tensor is not supported');
  yield* m.indexValues(nodes);
  m.readGraphInputs();
  m.readNormalization();
  if (targetNormalized) m.readTargetNormalization();
  yield* m.matchFusions(nodes);
  for (const n of nodes) {
    yield;
    m.mapNode(n);
  }
  return m.result();
}

/** The mapping's state: what was read so far, and what was refused. */
class NodeMapper {
  private readonly problems: OnnxDiagnostic[] = [];
  /** Values no Netwright node computes because their node (or one before it) was refused. */
  private readonly lost = new Set<string>();
  private readonly consumed: Set<OnnxNode>;
  private readonly producer = new Map<string, OnnxNode>();
  private readonly readers = new Map<string, OnnxNode[]>();
  private readonly outputNames: Set<string>;
  private readonly consumerLists = new Map<string, { nodes: OnnxNode[]; graphOutput: boolean }>();
  private readonly ir: NodeIR[] = [];
  /** Each node's module scope, for the groups (torch.onnx names a node `/features/conv0/Conv`). */
  private readonly scopes: [string, string[]][] = [];
  private readonly ids = new Set<string>();
  private readonly idCounts = new Map<string, number>();
  /** The Netwright node computing each ONNX value. */
  private readonly irOf = new Map<string, string>();
  private readonly shapes = new Map<string, number[]>();
  private readonly params: Record<string, Float32Array> = {};
  private readonly buffers: Record<string, Float32Array> = {};
  private normalization: Normalization | undefined;
  private targetNormalization: TargetNormalization | undefined;
  /** Graph outputs that are another value once the target's standardisation is undone (`readTargetNormalization`). */
  private readonly outputAliases = new Map<string, string>();
  private readonly fusionAt = new Map<OnnxNode, FusionMatch>();

  constructor(
    private readonly g: OnnxGraph,
    private readonly folded: FoldedModel,
    private readonly cx: RuleContext,
  ) {
    this.consumed = new Set(folded.consumed);
    this.outputNames = new Set((g.output ?? []).map((o) => o.name));
  }

  refuse(n: OnnxNode | undefined, message: string): void {
    n?.output.forEach((o) => this.lost.add(o));
    this.problems.push({ code: 'E_IMPORT_UNSUPPORTED', nodeId: n ? nodeName(n) : undefined, op: n?.op_type, message });
  }

  shapeOf(v: string): readonly number[] | undefined {
    return this.shapes.get(this.irOf.get(v) ?? '');
  }

  /**
   * The nodes reading `v`, known once the constants are (kept, so a value read by many nodes is
   * filtered once). A Shape node reads only its input's shape (folded), not its values: no consumer.
   */
  consumers(v: string): { nodes: readonly OnnxNode[]; graphOutput: boolean } {
    let c = this.consumerLists.get(v);
    if (!c) {
      const nodes = (this.readers.get(v) ?? []).filter((n) => n.op_type !== 'Shape' && (!this.consumed.has(n) || !isConstantNode(n, this.folded.constants)));
      this.consumerLists.set(v, (c = { nodes, graphOutput: this.outputNames.has(v) }));
    }
    return c;
  }

  private only(v: string): OnnxNode | undefined {
    const c = this.consumers(v);
    return c.nodes.length === 1 && !c.graphOutput ? c.nodes[0] : undefined;
  }

  *indexValues(nodes: readonly OnnxNode[]): Generator<void> {
    for (const n of nodes) {
      yield;
      n.output.forEach((o) => o && this.producer.set(o, n));
      for (const i of n.input) {
        if (!i) continue;
        const list = this.readers.get(i);
        if (list) list.push(n);
        else this.readers.set(i, [n]);
      }
    }
  }

  /** Graph inputs (those that are not initializers) become Input nodes. */
  readGraphInputs(): void {
    const initializers = new Set((this.g.initializer ?? []).map((t) => t.name));
    for (const input of this.g.input ?? []) {
      if (initializers.has(input.name)) continue;
      const tensor = input.type?.tensor_type;
      const dims = tensor?.shape?.dim ?? [];
      if (!tensor || tensor.elem_type !== 1) {
        this.refuse(undefined, `Graph input "${input.name}" is not a float32 tensor; Netwright reads float32 inputs only.`);
        continue;
      }
      if (dims.length < 1 || dims.slice(1).some((d) => !(Number(d.dim_value) > 0))) {
        this.refuse(undefined, `Graph input "${input.name}" needs a batch dim and fixed sample dims; it has [${dims.map((d) => d.dim_param || d.dim_value || '?').join(', ')}].`);
        continue;
      }
      const id = this.newId(sanitize(input.name, 'input'));
      const shape = dims.slice(1).map((d) => Number(d.dim_value));
      this.ir.push({ id, op: 'Input', attrs: { shape, source: 'features' }, inputs: [] });
      this.irOf.set(input.name, id);
      this.shapes.set(id, [1, ...shape]);
    }
  }

  /** A leading Sub / Div by constants on a graph input is the input normalisation. */
  readNormalization(): void {
    const constant = (v: string) => this.folded.constants.get(v);
    for (const input of this.ir) {
      const value = [...this.irOf].find(([, id]) => id === input.id)![0];
      const sub = this.only(value);
      const div = sub && sub.op_type === 'Sub' && sub.input[0] === value ? this.only(sub.output[0]) : undefined;
      if (!sub || !div || div.op_type !== 'Div' || div.input[0] !== sub.output[0]) continue;
      const n = readNormalization(constant(sub.input[1]), constant(div.input[1]), input.attrs.shape as number[]);
      if (!n || this.normalization) continue;
      this.normalization = n;
      this.consumed.add(sub).add(div);
      this.irOf.set(div.output[0], input.id);
    }
  }

  /**
   * A graph output computed as `Add(Mul(prediction, std), mean)` with constant std and mean (what a
   * Netwright export appends for a regression learnt standardised, #83; read only for a file whose
   * metadata says so): the target's standardisation, the output then the prediction itself.
   */
  readTargetNormalization(): void {
    const constant = (v: string) => this.folded.constants.get(v);
    for (const o of this.g.output ?? []) {
      const add = this.producer.get(o.name);
      const mul = add?.op_type === 'Add' ? this.producer.get(add.input[0]) : undefined;
      if (!add || !mul || mul.op_type !== 'Mul' || this.only(mul.output[0]) !== add) continue;
      const std = constant(mul.input[1]);
      const mean = constant(add.input[1]);
      if (!std || !mean || std.values.length !== mean.values.length || this.targetNormalization) continue;
      this.targetNormalization = { mean: Array.from(mean.values, Number), std: Array.from(std.values, Number) };
      this.consumed.add(mul).add(add);
      this.outputAliases.set(o.name, mul.input[0]);
    }
  }

  /** Multi-node patterns (GELU's decompositions…), before the rules of single nodes. */
  *matchFusions(nodes: readonly OnnxNode[]): Generator<void> {
    const view: FusionGraph = {
      constant: (v) => this.folded.constants.get(v),
      producer: (v) => this.producer.get(v),
      only: (v) => this.only(v),
      consumers: (v) => this.consumers(v),
      used: (v) => this.consumers(v).nodes.length > 0 || this.consumers(v).graphOutput,
    };
    for (const rule of IMPORT_FUSIONS) {
      for (const n of nodes) {
        yield;
        if (n.op_type !== rule.anchor || this.consumed.has(n)) continue;
        const f = rule.match(n, view);
        if (!f || f.nodes.some((x) => this.consumed.has(x))) continue;
        f.nodes.forEach((x) => this.consumed.add(x));
        this.fusionAt.set(f.nodes.at(-1)!, f);
      }
    }
  }

  /** One node: the end of a fusion, a constant, or read by its op type's rule. */
  mapNode(n: OnnxNode): void {
    if (this.consumed.has(n)) {
      const f = this.fusionAt.get(n);
      if (f) this.emit(n, { op: f.op, attrs: f.attrs, inputs: [f.input], ...(f.params ? { params: f.params } : {}) }, f.output);
      return;
    }
    if (this.folded.folded.has(n)) return;
    if (n.domain && n.domain !== 'ai.onnx') return this.refuse(n, `ops of the domain "${n.domain}" are not supported`);
    // Shape sub-graphs on known dims become constants (the batch stays a marker: see BATCH_DIM).
    if (foldWithShapes(this.folded, n, this.cx.opset, this.cx.shape)) return;
    const outside = n.input.find((v) => this.folded.external.has(v));
    if (outside !== undefined) return this.refuse(n, this.outsideMessage(outside));
    if (this.silencedByRefusal(n)) return void n.output.forEach((o) => this.lost.add(o));
    const rule = IMPORT_RULES.get(n.op_type); // a Map: `__proto__` or `toString` finds no rule
    if (!rule) return this.refuse(n, `${n.op_type} is not an op Netwright can import`);
    const r = rule(n, this.cx);
    if ('unsupported' in r) this.refuse(n, r.unsupported);
    else if ('alias' in r) {
      const id = this.irOf.get(r.alias);
      if (id !== undefined) this.irOf.set(n.output[0], id);
    } else {
      (r.consumes ?? []).forEach((x) => this.consumed.add(x));
      const last = r.consumes?.at(-1) ?? n;
      this.emit(last, r, last.output[0]);
    }
  }

  /**
   * After a refused node: the shape sub-graphs reading it, and the nodes Netwright could read but
   * not without their input (its shape), say nothing more; the refused node is the diagnostic. An
   * op Netwright lacks is still listed.
   */
  private silencedByRefusal(n: OnnxNode): boolean {
    if (!n.input.some((v) => this.lost.has(v))) return false;
    const rule = IMPORT_RULES.get(n.op_type);
    return SHAPE_OPS.has(n.op_type) || (rule !== undefined && !rule.refusesByForm);
  }

  private outsideMessage(v: string): string {
    return `its weight "${v}" is stored outside the file (in "${this.folded.external.get(v)}"); Netwright reads weights stored inside the .onnx file: load the model with onnx.load (which reads the external data) and save it with onnx.save_model(model, "model.onnx", save_as_external_data=False)`;
  }

  /** Why `v` cannot feed a Netwright node, when it cannot; undefined when its producer was refused already. */
  private unreadable(v: string): string | undefined {
    if (this.folded.external.has(v)) return this.outsideMessage(v);
    if (this.folded.constants.has(v)) return `it reads the constant "${v}" as data, which Netwright cannot represent`;
    if (!this.producer.has(v)) return `it reads "${v}", which nothing in the file produces`;
    return undefined;
  }

  /** Add the Netwright node `lowered` read from `source`, computing the ONNX value `output`. */
  private emit(source: OnnxNode, lowered: Lowered, output: string): void {
    const inputs: string[] = [];
    for (const v of lowered.inputs) {
      const id = this.irOf.get(v);
      if (id !== undefined) {
        inputs.push(id);
        continue;
      }
      const why = this.unreadable(v);
      return why ? this.refuse(source, why) : void this.lost.add(output);
    }
    const id = this.newId(sanitize(nodeName(source), lowered.op.toLowerCase()));
    const attrs: Attrs = lowered.attrs ?? {};
    this.ir.push({ id, op: lowered.op, attrs, inputs });
    this.scopes.push([id, scopeOf(nodeName(source))]);
    this.irOf.set(output, id);
    for (const [k, w] of Object.entries(lowered.params ?? {})) this.params[`${id}.${k}`] = w;
    for (const [k, w] of Object.entries(lowered.buffers ?? {})) this.buffers[`${id}.${k}`] = w;
    this.inferShape(id, lowered.op, attrs, inputs);
  }

  /** A new node's output shape, from its op's shape rule with the defaults filled, when its inputs' are known. */
  private inferShape(id: string, op: string, attrs: Attrs, inputs: readonly string[]): void {
    const inShapes = inputs.map((i) => this.shapes.get(i));
    if (inShapes.some((s) => s === undefined)) return;
    const r = getOp(op)!.inferShape({ inputs: inShapes as number[][], attrs: attrsWithDefaults(op, attrs) });
    if (r.ok) this.shapes.set(id, r.shape);
  }

  private newId(base: string): string {
    return uniqueId(base, this.ids, this.idCounts);
  }

  /**
   * The graph read, with its outputs.
   *
   * @throws OnnxError `E_IMPORT_UNSUPPORTED` with every refusal.
   */
  result(): MappedModel {
    const outputs: Record<string, string> = {};
    for (const [o, v] of this.outputAliases) if (this.irOf.has(v)) this.irOf.set(o, this.irOf.get(v)!);
    for (const o of this.g.output ?? []) {
      const id = this.irOf.get(o.name);
      if (id === undefined) {
        if (!this.producer.has(o.name)) this.refuse(undefined, `Graph output "${o.name}" is not computed by any node.`);
        continue;
      }
      outputs[RESERVED.has(o.name) ? `${o.name}_` : o.name] = id;
    }
    if (this.problems.length) throw new OnnxError('E_IMPORT_UNSUPPORTED', this.problems);
    const groups = groupsFromScopes(this.scopes);
    const graph: GraphIR = { format: GRAPH_FORMAT, version: GRAPH_VERSION, name: this.g.name || 'Imported ONNX model', nodes: this.ir, outputs, ...(groups.length ? { groups } : {}) };
    return { graph, params: this.params, buffers: this.buffers, ...(this.normalization ? { normalization: this.normalization } : {}), ...(this.targetNormalization ? { targetNormalization: this.targetNormalization } : {}), shapes: this.shapes };
  }
}

/** A node's attributes with its op's defaults filled for those the rule did not write. */
export function attrsWithDefaults(op: string, attrs: Attrs): Attrs {
  return { ...Object.fromEntries(Object.entries(getOp(op)!.attrs).map(([k, s]) => [k, s.default])), ...attrs };
}

/** `(x − mean) / std` constants as a Normalization over a sample of `shape`, if they are one. */
function readNormalization(mean: ConstantValue | undefined, std: ConstantValue | undefined, shape: readonly number[]): Normalization | undefined {
  if (!mean || !std) return undefined;
  const size = sizeOf(shape);
  // Where each of the sample's features reads the constant: the whole sample's shape (its 1s aside),
  // or one that broadcasts to it as Sub and Div do (an image's per-channel statistics as [C, 1, 1]).
  const index = (c: ConstantValue): ((i: number) => number) | undefined => {
    if (c.values.length === 1) return () => 0;
    if (c.values.length === size && c.dims.filter((d) => d !== 1).join() === shape.filter((d) => d !== 1).join()) return (i) => i;
    const dims = c.dims.map(Number);
    if (dims.length > shape.length + 1 || (dims.length === shape.length + 1 && dims[0] !== 1)) return undefined;
    const aligned = [...new Array<number>(Math.max(0, shape.length - dims.length)).fill(1), ...dims.slice(-shape.length)];
    if (aligned.some((d, k) => d !== 1 && d !== shape[k])) return undefined;
    return (i) => {
      let at = 0;
      for (let k = 0, rest = i, below = size; k < shape.length; k++) {
        below /= shape[k];
        const coordinate = Math.floor(rest / below);
        rest -= coordinate * below;
        at = at * aligned[k] + (aligned[k] === 1 ? 0 : coordinate);
      }
      return at;
    };
  };
  const meanAt = index(mean);
  const stdAt = index(std);
  if (!meanAt || !stdAt) return undefined;
  if (mean.values.length === 1 && std.values.length === 1) return { kind: 'global', mean: [mean.values[0]], std: [std.values[0]] };
  return { kind: 'per-feature', mean: Array.from({ length: size }, (_, i) => mean.values[meanAt(i)]), std: Array.from({ length: size }, (_, i) => std.values[stdAt(i)]) };
}

/** The module scope of a torch.onnx node name: `/features/conv0/Conv` → `['features', 'conv0']`; other names have none. */
function scopeOf(name: string): string[] {
  return name.startsWith('/') ? name.split('/').filter(Boolean).slice(0, -1) : [];
}

/**
 * A canvas id from an ONNX name: torch.onnx's `/fc1/Gemm` becomes `fc1`, Netwright's own names
 * come back unchanged; characters other than letters, digits, `_`, `-` and `/` become `_`.
 */
function sanitize(name: string, fallback: string): string {
  let s = name.replace(/^\/+/, '');
  const parts = s.split('/');
  if (parts.length > 1 && /^[A-Z][A-Za-z]*(_\d+)?$/.test(parts.at(-1)!)) s = parts.slice(0, -1).join('_');
  s = s.replace(/[^A-Za-z0-9_\-/]/g, '_');
  if (s === '' || RESERVED.has(s)) s = fallback;
  if (/^\d+$/.test(s)) s = `${fallback}${s}`;
  return s;
}

/**
 * `base`, or `base_2`, `base_3`… when taken. `next` remembers where each base's count stopped, so
 * a file whose nodes all share one name costs linear time, not quadratic.
 */
function uniqueId(base: string, taken: Set<string>, next: Map<string, number>): string {
  let id = base;
  let k = next.get(base) ?? 2;
  while (taken.has(id)) id = `${base}_${k++}`;
  next.set(base, k);
  taken.add(id);
  return id;
}
