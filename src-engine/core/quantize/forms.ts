/**
 * The integer forms of float ops (`QUANTIZE_RULES`' `table`, `concat`, `mean`): tables over uint8
 * values whose entries are what the float op between a dequantise and a quantise computes
 * (`runInt8`, the QDQ file), so a kernel that looks them up gives the same uint8 outputs exactly.
 *
 * NOTE: an elementwise op's output at a position depends only on its inputs' values there, and on
 * uint8 inputs of one per-tensor scale each there are only 256 (one input) or 65,536 (two) cases:
 * the table is the op's own forward run once on all of them, so its entries are the reference's
 * float32 arithmetic, whatever that is.
 */
import type { GraphIR } from '../../base/ir/types';
import { inferencePlan } from '../export/infer';
import type { ActivationParams } from './calibrate';
import { islandInput, type FloatStep } from './plan';
import { quantizeValue as quantize } from './int8';

/** Each uint8 value dequantised as DequantizeLinear does: `(q − zp)·s` in float32. */
export function dequantizeTable(p: ActivationParams): Float32Array {
  return Float32Array.from({ length: 256 }, (_, q) => (q - p.zeroPoint) * p.scale);
}

/** Each uint8 value of `from` dequantised and quantised with `to` (a Concat's input, as the float Concat copies it). */
export function requantizeTable(from: ActivationParams, to: ActivationParams): Uint8Array {
  const d = dequantizeTable(from);
  return Uint8Array.from(d, (v) => quantize(v, to));
}

/**
 * An elementwise float step (`form` 'table') on every uint8 input: one input, entry `q`; two,
 * entry `q_major·256 + q_minor` (`major`: which input indexes the rows, 0 or 1). Each entry is the
 * op's own float32 forward on the dequantised inputs, quantised with `to`.
 */
export function elementwiseTable(step: FloatStep, from: readonly ActivationParams[], to: ActivationParams, major = 0): Uint8Array {
  const k = step.inShapes.length;
  if (k < 1 || k > 2 || from.length !== k) throw new Error(`elementwiseTable: ${step.op} "${step.id}" reads ${k} inputs; a table covers one or two`);
  const n = 256 ** k;
  // The op alone on flat inputs of n values, every combination once.
  const inputs = step.inShapes.map((_, i) => islandInput(step.id, i));
  const graph: GraphIR = { ...step.model.graph, nodes: step.model.graph.nodes.map((node) => (inputs.includes(node.id) ? { ...node, attrs: { ...node.attrs, shape: [n] } } : node)) };
  const plan = inferencePlan({ ...step.model, graph }, 1);
  const deq = from.map(dequantizeTable);
  inputs.forEach((id, i) => {
    const data = plan.input(id).data;
    const shift = k === 2 && i === major ? 8 : 0;
    for (let j = 0; j < n; j++) data[j] = deq[i][(j >> shift) & 255];
  });
  plan.forward(false);
  const y = plan.output(step.id).data;
  return Uint8Array.from({ length: n }, (_, j) => quantize(y[j], to));
}
