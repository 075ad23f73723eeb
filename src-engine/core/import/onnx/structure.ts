import { allFinite } from '../../../base/tensor';
import type { TrainedModel } from '../../export/model';
import { OnnxError, type OnnxDiagnostic } from '../../export/onnx/errors';
import type { OnnxGraph, OnnxNode } from '../../../base/onnx/model';

/** A node's name, or its first output's when it has none (what diagnostics call it). */
export const nodeName = (n: OnnxNode): string => n.name || n.output[0] || n.op_type;

/**
 * The graph's nodes in an order where each is read after the nodes it reads from: the file's own
 * order when it is one (ONNX requires it), else a topological one. Linear in nodes and edges.
 *
 * @throws OnnxError `E_IMPORT_FORMAT` naming each value that two nodes compute (or a node and a
 *   graph input or initializer); `E_IMPORT_CYCLE` naming the nodes that read, through others, what
 *   they compute. A file is a stranger's input: read as it is, a cycle's nodes would be dropped
 *   without a word, and of two producers one would silently win.
 */
export function nodesInOrder(g: OnnxGraph): OnnxNode[] {
  const nodes = g.node ?? [];
  const producer = new Map<string, OnnxNode>();
  const given = new Set([...(g.input ?? []).map((i) => i.name), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  const twice: OnnxDiagnostic[] = [];
  for (const n of nodes) {
    for (const o of n.output) {
      if (!o) continue;
      const other = producer.get(o);
      if (other || given.has(o)) {
        const by = other ? `the node "${nodeName(other)}" (${other.op_type})` : 'a graph input or initializer';
        twice.push({ code: 'E_IMPORT_FORMAT', nodeId: nodeName(n), op: n.op_type, message: `it computes "${o}", which ${by} computes too; an ONNX value has one producer, so the file is damaged or was edited by hand` });
      } else producer.set(o, n);
    }
  }
  if (twice.length) throw new OnnxError('E_IMPORT_FORMAT', twice);

  // Kahn's algorithm, seeded and run in file order: a sorted file keeps its order.
  const waiting = new Map<OnnxNode, number>();
  const readers = new Map<OnnxNode, OnnxNode[]>();
  let sorted = true;
  const seen = new Set<OnnxNode>();
  for (const n of nodes) {
    let count = 0;
    for (const i of n.input) {
      const p = i ? producer.get(i) : undefined;
      if (!p) continue;
      count++;
      if (!seen.has(p)) sorted = false;
      const list = readers.get(p);
      if (list) list.push(n);
      else readers.set(p, [n]);
    }
    waiting.set(n, count);
    seen.add(n);
  }
  if (sorted) return nodes;
  const order = nodes.filter((n) => waiting.get(n) === 0);
  for (let k = 0; k < order.length; k++) {
    for (const r of readers.get(order[k]) ?? []) {
      const left = waiting.get(r)! - 1;
      waiting.set(r, left);
      if (left === 0) order.push(r);
    }
  }
  if (order.length === nodes.length) return order;
  const placed = new Set(order);
  const stuck = nodes.filter((n) => !placed.has(n));
  throw new OnnxError(
    'E_IMPORT_CYCLE',
    stuck.map((n) => ({ code: 'E_IMPORT_CYCLE', nodeId: nodeName(n), op: n.op_type, message: 'it reads, through itself or the nodes before it, a value it computes: the graph has a cycle, which ONNX does not allow' })),
  );
}

/**
 * A warning per weight holding NaN or infinite values (a damaged file, or one saved from a
 * diverged run): the graph imports (to train again), but the weights cannot predict
 * (`assertLoadable` refuses them).
 */
export function nonFiniteWeights(model: TrainedModel): OnnxDiagnostic[] {
  const out: OnnxDiagnostic[] = [];
  for (const [key, w] of [...Object.entries(model.params), ...Object.entries(model.buffers)]) {
    // One branchless pass over tens of MB of weights; counted only where something is wrong.
    if (allFinite(w)) continue;
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < w.length; i++) {
      if (Number.isNaN(w[i])) nan++;
      else if (!Number.isFinite(w[i])) inf++;
    }
    if (nan + inf === 0) continue;
    const held = [nan ? `${nan} NaN` : '', inf ? `${inf} infinite` : ''].filter(Boolean).join(' and ');
    out.push({
      code: 'W_IMPORT_NONFINITE',
      nodeId: key.slice(0, key.lastIndexOf('.')),
      message: `The weight "${key}" holds ${held} value${nan + inf > 1 ? 's' : ''} (of ${w.length}): every output it feeds would be NaN, so the model cannot be loaded to predict (E_MODEL_VALUES) until it is trained again or the file is fixed.`,
    });
  }
  return out;
}
