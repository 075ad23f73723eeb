import type { ConstantValue } from '../../../base/onnx/import-rule';
import { tensorValues, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../export/onnx/proto';
import { foldShapeNode } from './shapes';

/**
 * An ONNX graph's constants, folded before any node is mapped (as onnx-simplifier and
 * onnxruntime do): the initializers, the `Constant` nodes and `Identity` nodes of either, and the
 * shape sub-graphs computed on them alone (`Concat` of constant sizes, `Cast`, `Unsqueeze`…).
 * A shape sub-graph that reads a value's shape (`Shape` of an activation, then `Gather`…) is
 * folded when the mapping reaches it (`foldWithShapes`): that shape is known once the node
 * computing the value has been mapped.
 */
export interface FoldedModel {
  /** Every constant by value name; the mapping adds the shape sub-graphs it folds. */
  readonly constants: Map<string, ConstantValue>;
  /** Initializers stored outside the file, by name: where their data is (external_data's location). */
  readonly external: ReadonlyMap<string, string>;
  /** The `Constant` and `Identity` nodes read as constants: no op, and no reader of a value. */
  readonly consumed: ReadonlySet<OnnxNode>;
  /** The shape sub-graph nodes folded here, before mapping: no op either, but still readers. */
  readonly folded: ReadonlySet<OnnxNode>;
  /** `Constant` nodes that are not a float or int tensor, in file order: the mapping refuses them. */
  readonly refused: readonly OnnxNode[];
}

/**
 * The fold pass: the constants of `g` (nodes in `nodesInOrder`'s order), yielding between nodes
 * (the import may be paused there).
 *
 * @throws OnnxError `E_IMPORT_TOO_LARGE` when a folded constant would exceed `MAX_FOLDED_VALUES`.
 */
export function* foldConstants(g: OnnxGraph, nodes: readonly OnnxNode[], opset: number): Generator<void, FoldedModel> {
  const constants = new Map<string, ConstantValue>();
  const external = new Map<string, string>();
  for (const t of g.initializer ?? []) {
    const values = tensorValues(t);
    if (values) constants.set(t.name!, { dims: t.dims ?? [], values });
    else external.set(t.name!, t.external_data?.find((e) => e.key === 'location')?.value ?? 'another file');
  }
  const consumed = new Set<OnnxNode>();
  const refused: OnnxNode[] = [];
  for (const n of nodes) {
    yield;
    if (n.op_type === 'Constant' && inDefaultDomain(n)) {
      const c = constantNode(n);
      if (c) constants.set(n.output[0], c);
      else refused.push(n);
      consumed.add(n);
    } else if (n.op_type === 'Identity' && constants.has(n.input[0])) {
      constants.set(n.output[0], constants.get(n.input[0])!);
      consumed.add(n);
    }
  }
  const folded = new Set<OnnxNode>();
  const constant = (v: string) => constants.get(v);
  for (const n of nodes) {
    yield;
    if (consumed.has(n) || !inDefaultDomain(n) || !n.input.some(Boolean) || !n.input.every((v) => !v || constants.has(v))) continue;
    const value = foldShapeNode(n, opset, constant, () => undefined);
    if (!value) continue;
    constants.set(n.output[0], value);
    folded.add(n);
  }
  return { constants, external, consumed, folded, refused };
}

/**
 * At mapping time: the constant a shape sub-graph node computes from the shapes of the values
 * mapped so far (`shapeOf`, the batch as 1), recorded in `model.constants`; false when `n` is no
 * such node (it is then mapped as an op).
 */
export function foldWithShapes(model: FoldedModel, n: OnnxNode, opset: number, shapeOf: (v: string) => readonly number[] | undefined): boolean {
  const value = foldShapeNode(n, opset, (v) => model.constants.get(v), shapeOf);
  if (value) model.constants.set(n.output[0], value);
  return value !== undefined;
}

/** Whether `n`, consumed by the fold pass, is a constant node (a reader of no value). */
export function isConstantNode(n: OnnxNode, constants: ReadonlyMap<string, ConstantValue>): boolean {
  return n.op_type === 'Constant' || (n.op_type === 'Identity' && constants.has(n.input[0]));
}

const inDefaultDomain = (n: OnnxNode) => !n.domain || n.domain === 'ai.onnx';

function constantNode(n: OnnxNode): ConstantValue | undefined {
  const a: OnnxAttribute | undefined = n.attribute?.[0];
  if (!a) return undefined;
  if (a.name === 'value' && a.t) {
    const values = tensorValues(a.t as OnnxTensor);
    return values && { dims: a.t.dims ?? [], values };
  }
  if (a.name === 'value_float') return { dims: [], values: [a.f ?? 0] };
  if (a.name === 'value_int') return { dims: [], values: [a.i ?? 0] };
  if (a.name === 'value_floats') return { dims: [a.floats?.length ?? 0], values: a.floats ?? [] };
  if (a.name === 'value_ints') return { dims: [a.ints?.length ?? 0], values: a.ints ?? [] };
  return undefined;
}
