import { getOp } from '../../../src-engine/core/ops/registry';
import { formatShape } from '../../../src-engine/base/tensor';
import { EditCode, type EditRefusal } from './actions';
import type { EditorDoc } from './document';
import { UNCONNECTED, slotName, type EdgeRef } from './graph';
import { structuralProblem } from './reducer';

/**
 * Why `edge` may not be drawn, or undefined when it may: unknown nodes, a missing slot, a cycle,
 * or shapes the target's own shape rule rejects (checked when every input of the target would
 * have a known shape). The message is what the canvas shows at the cursor.
 *
 * @example
 * ```ts
 * checkConnection(doc, analysis.shapes, { source: 'x', target: 'fc1', slot: 0 })
 * // → { code: 'E_EDIT_SHAPE', message: 'Linear expects [N, features] …; got N×1×28×28 — add a Flatten …' }
 * ```
 */
export function checkConnection(doc: EditorDoc, shapes: Readonly<Record<string, readonly number[]>>, edge: EdgeRef): EditRefusal | undefined {
  const problem = structuralProblem(doc.graph, edge);
  if (problem) return problem;
  const target = doc.graph.nodes.find((n) => n.id === edge.target)!;
  const def = getOp(target.op)!;
  const inputs = [...target.inputs];
  while (inputs.length <= edge.slot) inputs.push(UNCONNECTED);
  inputs[edge.slot] = edge.source;
  const required = def.inputs.filter((i) => !i.variadic && !i.optional).length;
  if (inputs.filter((s) => s !== UNCONNECTED).length < Math.max(required, 1)) return undefined;
  const inShapes = inputs.filter((s) => s !== UNCONNECTED).map((s) => shapes[s]);
  if (inShapes.some((s) => !s)) return undefined;
  try {
    const r = def.inferShape({ inputs: inShapes as number[][], attrs: target.attrs });
    if (r.ok) return undefined;
    return {
      code: EditCode.SHAPE,
      nodeId: target.id,
      message: `Cannot connect ${formatShape(shapes[edge.source])} into ${def.name} "${target.id}" (${slotName(def, edge.slot)}): ${r.message}`,
    };
  } catch {
    return undefined; // The op's rule could not judge it; the live analysis will report the node.
  }
}
