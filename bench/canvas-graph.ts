import type { GraphIR, NodeIR } from '../src-engine/base/ir/types';
import { PROJECT_FORMAT, PROJECT_VERSION, type ProjectFile } from '../src-renderer/src/editor/document';
import { autoLayout } from '../src-renderer/src/editor/layout';
import { getOp } from '../src-engine/core/ops/registry';
import { defaultAttrs } from '../src-renderer/src/editor/graph';

/**
 * A valid generated network of `size` nodes for the canvas benchmark: an MNIST input, then
 * multi-branch residual blocks (`branches` × [Linear → ReLU], summed with the block input by a
 * variadic Add; every few blocks a Dropout), and a cross-entropy head. It exercises fan-out,
 * variadic inputs and a layout both deep and wide.
 */
export function generateGraph(size: number, width = 64, branches = 4): GraphIR {
  const nodes: NodeIR[] = [];
  const node = (id: string, op: string, inputs: string[], attrs: Record<string, unknown> = {}): string => {
    nodes.push({ id, op, inputs, attrs: { ...defaultAttrs(getOp(op)!), ...attrs } as NodeIR['attrs'] });
    return id;
  };
  node('x', 'Input', [], { shape: [1, 28, 28], source: 'features' });
  let h = node('flat', 'Flatten', ['x']);
  h = node('stem', 'Linear', [h], { outFeatures: width });
  let b = 0;
  while (nodes.length + 2 * branches + 2 + 3 <= size) {
    b++;
    const outs: string[] = [];
    for (let k = 1; k <= branches; k++) outs.push(node(`b${b}_relu${k}`, 'ReLU', [node(`b${b}_fc${k}`, 'Linear', [h], { outFeatures: width })]));
    h = node(`b${b}_add`, 'Add', [h, ...outs]);
    if (b % 3 === 0) h = node(`b${b}_drop`, 'Dropout', [h], { p: 0.1 });
  }
  while (nodes.length + 3 < size) h = node(`pad${nodes.length}`, 'ReLU', [h]);
  const logits = node('head', 'Linear', [h], { outFeatures: 10 });
  node('y', 'Input', [], { shape: [], source: 'target' });
  node('loss', 'CrossEntropyLoss', [logits, 'y']);
  return {
    format: 'netwright.graph',
    version: 1,
    name: `generated-${size}`,
    nodes,
    outputs: { logits, loss: 'loss' },
    training: {
      dataset: { name: 'mnist' },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 1e-3 },
      batchSize: 64,
      epochs: 1,
      seed: 1,
      metrics: ['accuracy'],
    },
  };
}

/** The generated graph as a project file, laid out by the editor's auto-layout. */
export function generateProject(size: number): ProjectFile {
  const graph = generateGraph(size);
  return { format: PROJECT_FORMAT, version: PROJECT_VERSION, graph, layout: autoLayout(graph) };
}
