import { getOp, formatShape, type NodeIR } from '../../../src-engine/facade';
import { EditCode, type EditRefusal } from './actions';
import type { EditorDoc } from './document';
import { UNCONNECTED, slotName, type EdgeRef } from './graph';
import { applyEdit, structuralProblem } from './reducer';

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

/**
 * Why `node` may not be inserted on `edge` (source → node → target), or undefined when it may:
 * the edge must exist, the op must take one input, its shape rule must accept the source's shape,
 * and the target's rule must accept what the node puts out. Shapes not known yet (an unfinished
 * design) are not held against it, as in `checkConnection`.
 */
export function insertionProblem(doc: EditorDoc, shapes: Readonly<Record<string, readonly number[]>>, node: NodeIR, edge: EdgeRef): EditRefusal | undefined {
  const r = applyEdit(doc, { kind: 'insert-node', node, position: { x: 0, y: 0 }, edge });
  if (!r.ok) return r;
  const def = getOp(node.op)!;
  const source = shapes[edge.source];
  if (!source) return undefined;
  let out: readonly number[] | undefined;
  try {
    const s = def.inferShape({ inputs: [source as number[]], attrs: node.attrs });
    if (!s.ok) return { code: EditCode.SHAPE, nodeId: node.id, message: `${def.name} cannot take ${formatShape(source)} from "${edge.source}": ${s.message}` };
    out = s.shape;
  } catch {
    return undefined;
  }
  return checkConnection(r.doc, { ...shapes, [node.id]: out }, { source: node.id, target: edge.target, slot: edge.slot });
}
