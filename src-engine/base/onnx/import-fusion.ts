/**
 * What an op file's `onnxFusions` are written with: several ONNX nodes read as one Netwright op
 * (the elementwise decompositions exporters write for ops older opsets lack, a recurrent layer's
 * squeezes and zero states). The importer (core/import/onnx/import.ts) tries every registered
 * op's fusions before the per-node rules.
 */
import type { Attrs } from '../ir/types';
import type { ConstantValue } from './import-rule';
import type { OnnxNode } from './model';

/** The graph as a fusion sees it. */
export interface FusionGraph {
  constant(value: string): ConstantValue | undefined;
  producer(value: string): OnnxNode | undefined;
  /** The node reading `value` when it is the only reader (and `value` is no graph output). */
  only(value: string): OnnxNode | undefined;
  /** Whether anything reads `value` (a node, or the graph's outputs). */
  used(value: string): boolean;
  /** Every node reading `value`, and whether it is a graph output. */
  consumers(value: string): { nodes: readonly OnnxNode[]; graphOutput: boolean };
}

/** Several nodes read as one Netwright op. */
export interface FusionMatch {
  nodes: OnnxNode[];
  op: string;
  attrs: Attrs;
  input: string;
  /** The value holding the op's output. */
  output: string;
  /** The op's parameters read from the nodes' constants (LSTM's weights), by parameter name. */
  params?: Record<string, Float32Array>;
}

/**
 * A chain of ONNX nodes forming one Netwright op, declared by that op's file (`OpDef.onnxFusions`).
 * Each is tried at every node of its `anchor` op type.
 */
export interface ImportFusion {
  anchor: string;
  match(anchor: OnnxNode, g: FusionGraph): FusionMatch | undefined;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** Whether `value` is a one-value constant equal to `target` (to float32 rounding). */
export function scalar(g: FusionGraph, value: string, target: number): boolean {
  const c = g.constant(value);
  return c !== undefined && c.values.length === 1 && close(c.values[0], target);
}

/** The other operand of a binary node whose one operand is `value`, or undefined. */
export function other(n: OnnxNode, value: string): string | undefined {
  if (n.input[0] === value) return n.input[1];
  if (n.input[1] === value) return n.input[0];
  return undefined;
}

/** `value` read by `op(value, c)` (either order) with `c` the constant `target`; returns that node. */
export function byConstant(g: FusionGraph, value: string, op: string, target: number): OnnxNode | undefined {
  const n = g.only(value);
  if (!n || n.op_type !== op) return undefined;
  const o = other(n, value);
  return o !== undefined && scalar(g, o, target) ? n : undefined;
}

/** A constant's values when every one equals `v`. */
export const allEqual = (c: ConstantValue | undefined, v: number) => c !== undefined && [...c.values].every((x) => x === v);
