/**
 * The frozen-backbone fixture feature-cache.test.ts, frozen-activations.test.ts and
 * probes/frozen-prefix-probes.test.ts share: the MNIST CNN of examples/mnist-cnn.json at 8/16
 * channels, its convolutions and BatchNorms frozen, a new Linear head; and a backend counting
 * what its convolutions compute.
 */
import { freezeNodes } from '../../../../src-engine/base/ir/freeze';
import type { GraphIR, NodeIR, TrainingConfig } from '../../../../src-engine/base/ir/types';
import type { Backend } from '../../../../src-engine/core/backend/types';

const BACKBONE = ['conv1', 'bn1', 'conv2', 'bn2'];

/** The MNIST CNN of examples/mnist-cnn.json at 8/16 channels, its convolutions and BatchNorms frozen, a new Linear head. */
export function frozenCnn(training: Partial<TrainingConfig> = {}, extra: NodeIR[] = []): GraphIR {
  const nodes: NodeIR[] = [
    { id: 'image', op: 'Input', attrs: { shape: [1, 28, 28], source: 'features' }, inputs: [] },
    { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'conv1', op: 'Conv2d', attrs: { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['image'] },
    { id: 'bn1', op: 'BatchNorm', attrs: {}, inputs: ['conv1'] },
    { id: 'relu1', op: 'ReLU', attrs: {}, inputs: ['bn1'] },
    { id: 'pool1', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['relu1'] },
    { id: 'conv2', op: 'Conv2d', attrs: { outChannels: 16, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['pool1'] },
    { id: 'bn2', op: 'BatchNorm', attrs: {}, inputs: ['conv2'] },
    { id: 'relu2', op: 'ReLU', attrs: {}, inputs: ['bn2'] },
    { id: 'pool2', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['relu2'] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool2'] },
    ...extra,
    { id: 'fc', op: 'Linear', attrs: { outFeatures: 10 }, inputs: [extra.at(-1)?.id ?? 'flat'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
  ];
  return {
    format: 'netwright.graph',
    version: 3,
    nodes: freezeNodes(nodes, BACKBONE, true),
    outputs: { logits: 'fc', loss: 'loss' },
    training: {
      dataset: { name: 'mnist', options: { normalize: 'global' }, validationSplit: 0.1, limit: 300 },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.003 },
      batchSize: 32,
      epochs: 2,
      seed: 1,
      metrics: ['accuracy'],
      ...training,
    },
  };
}

/** `backend` with its Conv2d forward counting the samples it computes. */
export function countingConv(backend: Backend): { backend: Backend; samples: () => number } {
  let n = 0;
  const conv = backend.overrides!.Conv2d!;
  const forward = conv.forward!;
  const overrides = { ...backend.overrides, Conv2d: { ...conv, forward: (ctx: Parameters<typeof forward>[0]) => ((n += ctx.rows ? ctx.rows[1] - ctx.rows[0] : ctx.output.shape[0]), forward(ctx)) } };
  // A chain the backend runs as one kernel from a Conv2d (a frozen one's BatchNorm applied as it writes) computes it too.
  const fusions = backend.fusions?.map((rule) =>
    rule.ops[0] !== 'Conv2d'
      ? rule
      : {
          ops: rule.ops,
          build(steps: Parameters<typeof rule.build>[0]) {
            const k = rule.build(steps);
            return k && { ...k, forward: () => ((n += steps[0].output.shape[0]), k.forward()) };
          },
        },
  );
  return { backend: { ...backend, overrides, ...(fusions ? { fusions } : {}) }, samples: () => n };
}
