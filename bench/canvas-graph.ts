import type { GraphIR, NodeIR } from '../src-engine/ir/types';
import { PROJECT_FORMAT, PROJECT_VERSION, type ProjectFile } from '../src-renderer/src/editor/document';
import { autoLayout } from '../src-renderer/src/editor/layout';
import { getOp } from '../src-engine/ops/registry';
import { defaultAttrs } from '../src-renderer/src/editor/graph';

/**
 * A valid generated network of about `size` nodes for the canvas benchmark: an MNIST input, then
 * residual blocks (Linear → ReLU → Dropout → Linear, plus a skip Add) and a cross-entropy head.
 * Wide enough to exercise every edge kind (fan-out, variadic Add), deep enough to be realistic.
 */
export function generateGraph(size: number, width = 64): GraphIR {
  const nodes: NodeIR[] = [];
  const node = (id: string, op: string, inputs: string[], attrs: Record<string, unknown> = {}): string => {
    nodes.push({ id, op, inputs, attrs: { ...defaultAttrs(getOp(op)!), ...attrs } as NodeIR['attrs'] });
    return id;
  };
  node('x', 'Input', [], { shape: [1, 28, 28], source: 'features' });
  let h = node('flat', 'Flatten', ['x']);
  h = node('stem', 'Linear', [h], { outFeatures: width });
  let b = 0;
  while (nodes.length + 5 + 3 <= size) {
    b++;
    const a = node(`b${b}_fc1`, 'Linear', [h], { outFeatures: width });
    const r = node(`b${b}_relu`, 'ReLU', [a]);
    const d = node(`b${b}_drop`, 'Dropout', [r]);
    const c = node(`b${b}_fc2`, 'Linear', [d], { outFeatures: width });
    h = node(`b${b}_add`, 'Add', [h, c]);
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
