import { getOp } from '../ops/registry';
import type { OpDef, ShapeArgs } from '../ops/types';
import { formatShape } from '../../base/tensor';
import type { Diagnostic } from '../../base/ir/diagnostics';
import type { NodeIR } from '../../base/ir/types';

/** Largest tensor (elements per sample) and parameter count the validator accepts: 2²⁸ floats = 1 GiB. */
export const MAX_ELEMENTS = 2 ** 28;

export interface ShapeInference {
  /** Output shape of every node whose shape could be inferred (dim 0 = batch, -1 if unknown). */
  shapes: Record<string, number[]>;
  /** Trainable parameter count. */
  params: number;
  /** Ids of the nodes that have parameters, in order. */
  paramNodes: string[];
  /** Forward FLOPs per sample (2 per multiply-accumulate), from each op's `flops`. */
  flopsPerSample: number;
  diagnostics: Diagnostic[];
}

/**
 * Infer every node's output shape, in topological order, from the ops' shape rules. Nodes are
 * expected to be structurally valid (known ops, attrs with defaults filled — see analyzeGraph).
 * A node whose inputs failed is skipped silently, so one mistake gives one diagnostic, not a
 * cascade.
 */
export function inferShapes(order: readonly NodeIR[], opts: { batchSize?: number } = {}): ShapeInference {
  const shapes = new Map<string, number[]>();
  const diagnostics: Diagnostic[] = [];
  let params = 0;
  const paramNodes: string[] = [];
  let flopsPerSample = 0;
  const batch = opts.batchSize ?? -1;
  for (const node of order) {
    const def = getOp(node.op);
    if (!def) continue;
    const inputs: number[][] = [];
    let ready = true;
    for (const id of node.inputs) {
      const s = shapes.get(id);
      if (!s) ready = false;
      else inputs.push(s);
    }
    if (!ready) continue;
    const args: ShapeArgs = { inputs, attrs: node.attrs };
    const r = safely(def, node, diagnostics, () => def.inferShape(args));
    if (!r) continue;
    if (!r.ok) {
      diagnostics.push({ code: r.code, severity: 'error', nodeId: node.id, message: r.message });
      continue;
    }
    const shape = [...r.shape];
    if (node.inputs.length === 0 && shape.length > 0 && shape[0] === -1) shape[0] = batch;
    const malformed = malformedShape(def, node, inputs, shape);
    if (malformed) {
      diagnostics.push(malformed);
      continue;
    }
    const perSample = shape.slice(1).reduce((a, b) => a * b, 1);
    if (shape.slice(1).some((d) => !Number.isInteger(d) || d < 0) || !(perSample <= MAX_ELEMENTS)) {
      diagnostics.push({
        code: 'E_TOO_LARGE',
        severity: 'error',
        nodeId: node.id,
        message: `${def.name} would produce ${formatShape(shape)} (${perSample} values per sample); the limit is ${MAX_ELEMENTS}.`,
      });
      continue;
    }
    const specs = def.params ? safely(def, node, diagnostics, () => def.params!(args)) : [];
    if (!specs) continue;
    let nodeParams = 0;
    for (const p of specs) nodeParams += p.shape.reduce((a, b) => a * b, 1);
    if (!(nodeParams <= MAX_ELEMENTS)) {
      diagnostics.push({ code: 'E_TOO_LARGE', severity: 'error', nodeId: node.id, message: `${def.name} would have ${nodeParams} parameters; the limit is ${MAX_ELEMENTS}.` });
      continue;
    }
    params += nodeParams;
    if (nodeParams > 0) paramNodes.push(node.id);
    if (def.flops) {
      const f = safely(def, node, diagnostics, () => def.flops!({ ...args, output: shape }));
      if (typeof f === 'number' && Number.isFinite(f)) flopsPerSample += f;
    }
    shapes.set(node.id, shape);
  }
  // Keyed by node ids, which come from files: no prototype, so `shapes.toString` is undefined
  // unless a node is called that.
  return { shapes: Object.assign(Object.create(null) as Record<string, number[]>, Object.fromEntries(shapes)), params, paramNodes, flopsPerSample, diagnostics };
}

/**
 * A shape no tensor can have, as a diagnostic on the node that produced it: a dim that is not a
 * whole number (the shape rule read a dim its input does not have: the batch dim of a loss's
 * single number) or a sample dim of 0. Such a graph would pass validation and fail when compiled
 * ("data has 0 elements, shape [,32]").
 */
function malformedShape(def: OpDef, node: NodeIR, inputs: readonly number[][], shape: readonly number[]): Diagnostic | undefined {
  const text = `[${shape.map((d) => (Number.isInteger(d) ? (d < 0 ? 'N' : String(d)) : '?')).join(', ')}]`;
  if (shape.some((d) => !Number.isInteger(d))) {
    const scalar = node.inputs.find((_, i) => inputs[i].length === 0);
    const message =
      scalar !== undefined
        ? `${def.name} "${node.id}" reads "${scalar}", a single number (a loss's value), not a batch of samples. Connect it to a layer's output; a loss feeds only training.`
        : `${def.name} "${node.id}" would produce ${text}, with a dim that is not a whole number; check its attributes and inputs.`;
    return { code: 'E_RANK', severity: 'error', nodeId: node.id, message };
  }
  if (shape.slice(1).some((d) => d === 0)) {
    return { code: 'E_OUTPUT_EMPTY', severity: 'error', nodeId: node.id, message: `${def.name} "${node.id}" would produce ${text}: no values per sample. Check its attributes and inputs.` };
  }
  return undefined;
}

/** Run an op's rule; an exception (a bug in the op, or input it did not expect) becomes a diagnostic. */
function safely<T>(def: OpDef, node: NodeIR, diagnostics: Diagnostic[], f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    diagnostics.push({ code: 'E_INTERNAL', severity: 'error', nodeId: node.id, message: `${def.name} could not infer its shape: ${String(e)}` });
    return undefined;
  }
}
