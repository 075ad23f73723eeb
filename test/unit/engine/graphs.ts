/** Small GraphIR builders shared by the IR and executor tests. */
import type { Attrs } from '../../../src-engine/core/ops/types';
import type { GraphIR, NodeIR, TrainingConfig } from '../../../src-engine/base/ir/types';

export function node(id: string, op: string, inputs: string[] = [], attrs: Attrs = {}): NodeIR {
  return { id, op, attrs, inputs };
}

export function graph(nodes: NodeIR[], outputs: Record<string, string>, training?: Partial<TrainingConfig>): GraphIR {
  const g: GraphIR = { format: 'netwright.graph', version: 1, nodes, outputs };
  if (training) {
    g.training = {
      dataset: { name: 'mnist' },
      loss: 'loss',
      optimizer: { kind: 'sgd', lr: 0.1 },
      batchSize: 64,
      epochs: 1,
      seed: 1,
      metrics: ['accuracy'],
      ...training,
    };
  }
  return g;
}

/** The MNIST MLP of docs/ir.md: 784 → 128 → ReLU → 10, cross-entropy on integer labels. */
export function mnistMlp(hidden = 128): GraphIR {
  return graph(
    [
      node('image', 'Input', [], { shape: [1, 28, 28], source: 'features' }),
      node('label', 'Input', [], { shape: [], source: 'target' }),
      node('flat', 'Flatten', ['image']),
      node('fc1', 'Linear', ['flat'], { outFeatures: hidden }),
      node('act1', 'ReLU', ['fc1']),
      node('fc2', 'Linear', ['act1'], { outFeatures: 10 }),
      node('loss', 'CrossEntropyLoss', ['fc2', 'label']),
    ],
    { logits: 'fc2', loss: 'loss' },
    {},
  );
}

/** A small CNN: conv → BN → ReLU → maxpool → conv → ReLU → global pool → linear. */
export function smallCnn(size = 8, classes = 3): GraphIR {
  return graph(
    [
      node('image', 'Input', [], { shape: [1, size, size] }),
      node('label', 'Input', [], { shape: [], source: 'target' }),
      node('c1', 'Conv2d', ['image'], { outChannels: 4, kernelSize: 3, padding: 1 }),
      node('bn1', 'BatchNorm', ['c1']),
      node('r1', 'ReLU', ['bn1']),
      node('p1', 'MaxPool2d', ['r1'], { kernelSize: 2 }),
      node('c2', 'Conv2d', ['p1'], { outChannels: 6, kernelSize: 3, padding: 1 }),
      node('r2', 'ReLU', ['c2']),
      node('gap', 'GlobalAvgPool', ['r2']),
      node('fc', 'Linear', ['gap'], { outFeatures: classes }),
      node('loss', 'CrossEntropyLoss', ['fc', 'label']),
    ],
    { logits: 'fc', loss: 'loss' },
    {},
  );
}
