/** Test graphs more than one GPU test file trains. */
import type { GraphIR } from '../../../src-engine/base/ir/types';

/** BatchNorm on `[N, C, H, W]` after Conv2d: C = 3 over 7×5, then C = 4 over 6×4 without affine. */
export function bnCnn(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [2, 7, 5] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'conv1', op: 'Conv2d', attrs: { outChannels: 3, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['x'] },
      { id: 'bn1', op: 'BatchNorm', attrs: {}, inputs: ['conv1'] },
      { id: 'a1', op: 'ReLU', attrs: {}, inputs: ['bn1'] },
      { id: 'conv2', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [2, 2] }, inputs: ['a1'] },
      { id: 'bn2', op: 'BatchNorm', attrs: { affine: false, eps: 1e-3, momentum: 0.3 }, inputs: ['conv2'] },
      { id: 'a2', op: 'Tanh', attrs: {}, inputs: ['bn2'] },
      { id: 'pool', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['a2'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
  };
}

/**
 * One Linear over `features` inputs and a CrossEntropyLoss over 10 classes: with batch ×
 * `features` × 4 bytes ≥ STAGED_MIN_BYTES its batch is uploaded through a staging buffer on Dawn
 * (core/gpu/staged-inputs.ts), its labels through writeBuffer.
 */
export function wideLinear(features: number): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [features] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['x'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { loss: 'loss' },
  };
}
