/**
 * What an op file's `onnxImport` rules are written with: the context a rule may ask about the
 * graph around the node it reads, what it answers, and small readers of ONNX attributes. The
 * ONNX importer (core/import/onnx/import.ts) collects the rules from the registry: an op's import
 * rule sits in its file beside its export mapping. Part of the ONNX vocabulary below the ops
 * (base/onnx), so an op file imports nothing of the exporter or the importer.
 */
import type { Attrs } from '../ir/types';
import { ATTR, fromUtf8, type OnnxAttribute, type OnnxNode } from './model';

/**
 * The batch dim where a shape computed from the graph (`Shape` of a value, then `Gather`,
 * `Unsqueeze`, `Concat`…) holds it: the importer folds such shape sub-graphs into constants, and
 * the batch, dynamic or not, stays this marker, so a `Reshape` to `[N, -1]` keeps the batch.
 */
export const BATCH_DIM = -(2 ** 40);

/**
 * A constant tensor of the file (initializer, Constant node, or Identity of one), or a shape the
 * importer computed (its batch dim `BATCH_DIM`). Integer tensors hold `number[]`, float ones
 * `Float32Array`.
 */
export interface ConstantValue {
  dims: number[];
  values: Float32Array | number[];
}

/** What a rule may ask about the graph around the node it reads. */
export interface RuleContext {
  /** The model's ai.onnx opset. */
  opset: number;
  constant(value: string): ConstantValue | undefined;
  /** The nodes that read `value` (graph outputs count as readers: `graphOutput` true). */
  consumers(value: string): { nodes: readonly OnnxNode[]; graphOutput: boolean };
  /** A value's shape with the batch dim as 1, once the node producing it has been read. */
  shape(value: string): readonly number[] | undefined;
  /** The static batch size of the graph inputs, when they fix one. */
  staticBatch?: number;
}

/** A node (or a fused chain of nodes) read as one Netwright op. */
export interface Lowered {
  op: string;
  attrs?: Attrs;
  /** The ONNX values feeding the op's inputs, in order. */
  inputs: string[];
  params?: Record<string, Float32Array>;
  buffers?: Record<string, Float32Array>;
  /** Later nodes read as part of this op; the last one's output is the op's output. */
  consumes?: OnnxNode[];
}

/** The outcome of a rule: an op, the identity (Dropout, Identity), or why it cannot be read. */
export type RuleResult = Lowered | { alias: string } | { unsupported: string };

/** Reads one ONNX node (by op_type) as a Netwright op. */
export type ImportRule = ((node: OnnxNode, cx: RuleContext) => RuleResult) & {
  /**
   * The rule only ever refuses, whatever the node's inputs (an op read as part of a pattern, whose
   * own rule says what that pattern is): it speaks even after its input's producer was refused,
   * where other rules stay silent to avoid a cascade.
   */
  readonly refusesByForm?: boolean;
  /**
   * The rank of the constant weight (input 2) of the nodes this rule reads, where several ops claim
   * one ONNX op type: Conv1d claims the `Conv` nodes with a rank-3 weight, Conv2d those with rank 4.
   */
  readonly weightRank?: number;
};

export function attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
  return n.attribute?.find((a) => a.name === name);
}

export function int(n: OnnxNode, name: string, def: number): number {
  return attr(n, name)?.i ?? def;
}

export function float(n: OnnxNode, name: string, def: number): number {
  return attr(n, name)?.f ?? def;
}

export function ints(n: OnnxNode, name: string): number[] | undefined {
  return attr(n, name)?.ints;
}

export function str(n: OnnxNode, name: string, def: string): string {
  const a = attr(n, name);
  return a?.type === ATTR.STRING ? fromUtf8(a.s) : def;
}

/** Attributes the rule does not read must be absent (or at their default), else the node is refused. */
export function unexpected(n: OnnxNode, allowed: readonly string[]): string | undefined {
  const extra = (n.attribute ?? []).map((a) => a.name).filter((a) => !allowed.includes(a));
  return extra.length ? `attribute${extra.length > 1 ? 's' : ''} ${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} not supported` : undefined;
}

/** ONNX `pads` [begins…, ends…] as Netwright's symmetric per-dim padding, or undefined if asymmetric. */
export function symmetricPads(n: OnnxNode, rank: number): number[] | undefined {
  const pads = ints(n, 'pads') ?? new Array<number>(2 * rank).fill(0);
  const autoPad = str(n, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return undefined;
  if (autoPad === 'VALID') return new Array<number>(rank).fill(0);
  const begins = pads.slice(0, rank);
  return begins.every((p, i) => p === pads[rank + i]) ? begins : undefined;
}

export const simple =
  (op: string, attrs: Attrs = {}): ImportRule =>
  (n) =>
    unexpected(n, []) ? { unsupported: unexpected(n, [])! } : { op, attrs, inputs: [n.input[0]] };

/** The data inputs of a node that must not be constants (Netwright ops take weights as parameters, not inputs). */
export function dynamic(n: OnnxNode, cx: RuleContext, count: number): string | undefined {
  for (let i = 0; i < count; i++) if (cx.constant(n.input[i])) return `its input ${i + 1} is a constant tensor, which Netwright cannot feed to this op`;
  return undefined;
}

export const transpose2d = (w: ArrayLike<number>, rows: number, cols: number) => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
};

export const f32 = (v: Float32Array | number[]) => (v instanceof Float32Array ? v : Float32Array.from(v));

/**
 * A float attribute as the decimal a person typed: ONNX stores float32, so PyTorch's eps 1e-5
 * arrives as 9.99999974e-6; the shortest decimal that rounds to the same float32 gives 1e-5 back.
 */
export function roundFloat(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

export const identity: ImportRule = (n, cx) => {
  if (n.output[1] && (cx.consumers(n.output[1]).nodes.length > 0 || cx.consumers(n.output[1]).graphOutput)) return { unsupported: 'its mask output is used' };
  return { alias: n.input[0] };
};
