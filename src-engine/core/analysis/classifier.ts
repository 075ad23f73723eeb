import { upstreamNodeIds } from '../../base/ir/freeze';
import { predictionNodeId } from '../../base/ir/prediction';
import { trainingLossNodes } from '../../base/ir/training';
import { taskFor, taskOf } from '../../catalog/tasks';
import type { GraphIR, NodeIR } from '../../base/ir/types';
import { BINARY_LOSS_OPS, CLASS_LABEL_LOSS_OPS, GENERATIVE_LOSS_OPS, LOSS_OPS } from '../ops/categories';
import { getOp } from '../ops/registry';

/**
 * A classifier's head, as fine-tuning sees it: the layer that gives the class scores (the one
 * "Replace head" swaps), the node whose output is the logits `[N, K]`, and an optional Softmax
 * reading them.
 */
export interface ClassifierHead {
  /** The layer with parameters giving K outputs (its `widthAttr` is K): a Linear (ONNX Gemm) or a 1×1 convolution. */
  head: string;
  /** The node whose output is the logits `[N, K]`: the head, or what follows a convolution head (ReLU, pooling, Flatten). */
  logits: string;
  /** A Softmax (an op whose output reads as probabilities) on the logits, when the graph ends in one. */
  softmax?: string;
  /** K: the number of classes. */
  classes: number;
}

/** At most this many parameterless nodes between the head layer and the logits (SqueezeNet: ReLU, pool, Flatten). */
const MAX_TAIL = 4;

const hasParams = (node: NodeIR, shapes: Readonly<Record<string, readonly number[]>>): boolean => {
  const def = getOp(node.op);
  const inputs = node.inputs.map((i) => shapes[i]);
  return def?.params !== undefined && inputs.every(Boolean) && def.params({ inputs: inputs as number[][], attrs: node.attrs }).length > 0;
};

/**
 * Whether the graph predicts K ≥ 2 class scores, and with which layer: the prediction output (the
 * `logits` output, else the first loss's input, else the first output that is not a loss), past
 * a final Softmax, is `[N, K]`, computed by a layer whose width setting (`OpDef.widthAttr`) is K,
 * possibly followed by a few parameterless nodes that keep K (a 1×1 convolution head, then ReLU,
 * global pooling and Flatten). Undefined for anything else (a regression, of one value or of
 * several: a design whose every training loss compares values, as MSELoss; an autoencoder; a head
 * the walk does not reach).
 *
 * @param shapes Node shapes with the batch first (`analyzeGraph(...).shapes`).
 * @example
 * ```ts
 * const a = analyzeGraph(imported.graph, { batchSize: 1 });
 * findClassifierHead(a.graph!, a.shapes); // { head: 'fc', logits: 'fc', classes: 1000 }
 * ```
 */
export function findClassifierHead(graph: Pick<GraphIR, 'nodes' | 'outputs' | 'training'>, shapes: Readonly<Record<string, readonly number[]>>): ClassifierHead | undefined {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const isLoss = (id: string) => LOSS_OPS.has(byId.get(id)?.op ?? '');
  const losses = (graph.training ? trainingLossNodes(graph.training) : []).map((id) => byId.get(id)?.op ?? '');
  const comparesValues = (op: string) => LOSS_OPS.has(op) && !CLASS_LABEL_LOSS_OPS.has(op) && !BINARY_LOSS_OPS.has(op) && !GENERATIVE_LOSS_OPS.has(op);
  if (losses.length > 0 && losses.every(comparesValues)) return undefined;
  const predicted = predictionNodeId(graph) ?? Object.values(graph.outputs).find((id) => !isLoss(id));
  let end = predicted === undefined ? undefined : byId.get(predicted);
  if (!end) return undefined;
  let softmax: string | undefined;
  if (getOp(end.op)?.output?.scores === 'probabilities' && end.inputs.length === 1) {
    softmax = end.id;
    end = byId.get(end.inputs[0]);
    if (!end) return undefined;
  }
  const shape = shapes[end.id];
  if (!shape || shape.length !== 2 || !(shape[1] >= 2)) return undefined;
  const classes = shape[1];
  let cur: NodeIR | undefined = end;
  for (let step = 0; cur && step <= MAX_TAIL; step++) {
    const def = getOp(cur.op);
    if (!def) return undefined;
    if (hasParams(cur, shapes)) {
      return def.widthAttr !== undefined && cur.attrs[def.widthAttr] === classes ? { head: cur.id, logits: end.id, ...(softmax ? { softmax } : {}), classes } : undefined;
    }
    // A parameterless node on the way keeps the K features or channels (dim 1).
    if (cur.inputs.length !== 1 || shapes[cur.inputs[0]]?.[1] !== classes) return undefined;
    cur = byId.get(cur.inputs[0]);
  }
  return undefined;
}

/** Whether freezing a node of `op` changes anything: the op has parameters or running statistics. */
export function holdsWeights(op: string): boolean {
  const def = getOp(op);
  return def?.params !== undefined || def?.buffers !== undefined;
}

/**
 * The layers with weights that `headId` reads from, directly or not: what the Inspector's "Freeze
 * the layers before it" and `netwright train --freeze backbone` freeze. With `including`, `headId`
 * itself too when it holds weights (`--freeze NODE`: up to and with that node).
 */
export function backboneOf(graph: Pick<GraphIR, 'nodes'>, headId: string, including = false): string[] {
  const up = upstreamNodeIds(graph, [headId]);
  if (including) up.add(headId);
  return graph.nodes.filter((n) => up.has(n.id) && holdsWeights(n.op)).map((n) => n.id);
}

/**
 * Replace the head layer `headId` with a new layer of the same op and settings but `classes`
 * outputs, called `newId`: every node and output that read the old head reads the new one, the
 * new one reads what the old one read. The new id gives it fresh weights when the model's weights
 * are loaded (they are matched by node id and size). Pure: returns a new graph.
 *
 * @throws Error `E_HEAD_UNKNOWN` when `headId` is not a node, `E_HEAD_WIDTH` when its op has no
 *   width setting, `E_HEAD_ID` when `newId` is taken.
 */
export function replaceHead<G extends Pick<GraphIR, 'nodes' | 'outputs'>>(graph: G, headId: string, classes: number, newId: string): G {
  const old = graph.nodes.find((n) => n.id === headId);
  if (!old) throw Object.assign(new Error(`No node called "${headId}".`), { code: 'E_HEAD_UNKNOWN' });
  const width = getOp(old.op)?.widthAttr;
  if (width === undefined) throw Object.assign(new Error(`${old.op} "${headId}" has no output width to set: a head is a Linear or a convolution.`), { code: 'E_HEAD_WIDTH' });
  if (graph.nodes.some((n) => n.id === newId)) throw Object.assign(new Error(`A node called "${newId}" already exists.`), { code: 'E_HEAD_ID' });
  const head: NodeIR = { id: newId, op: old.op, attrs: { ...old.attrs, [width]: classes }, inputs: [...old.inputs] };
  const r = (id: string) => (id === headId ? newId : id);
  const nodes = graph.nodes.map((n) => (n.id === headId ? head : n.inputs.includes(headId) ? { ...n, inputs: n.inputs.map(r) } : n));
  const outputs = Object.fromEntries(Object.entries(graph.outputs).map(([k, v]) => [k, r(v)]));
  return { ...graph, nodes, outputs };
}

/**
 * A classifier graph without a loss made trainable as one: a target Input of class labels and a
 * CrossEntropyLoss on the logits (not on a final Softmax), named as the `logits` and `loss`
 * outputs, so the prediction reads as class probabilities and choosing a dataset is all training
 * needs. A graph that has a loss already is returned as it is.
 */
export function withClassificationLoss<G extends Pick<GraphIR, 'nodes' | 'outputs'>>(graph: G, head: Pick<ClassifierHead, 'logits'>): G {
  if (graph.nodes.some((n) => LOSS_OPS.has(n.op))) return graph;
  const taken = new Set(graph.nodes.map((n) => n.id));
  const free = (base: string) => {
    let id = base;
    for (let k = 2; taken.has(id); k++) id = `${base}_${k}`;
    taken.add(id);
    return id;
  };
  const label = free('label');
  const loss = free('loss');
  const nodes: NodeIR[] = [
    ...graph.nodes,
    { id: label, op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    // A classification's loss (catalog/tasks.ts): CrossEntropyLoss.
    { id: loss, op: taskOf(taskFor('classes')).loss, attrs: {}, inputs: [head.logits, label] },
  ];
  const outputs = { ...graph.outputs, ...(graph.outputs.logits === undefined ? { logits: head.logits } : {}), loss };
  return { ...graph, nodes, outputs };
}
