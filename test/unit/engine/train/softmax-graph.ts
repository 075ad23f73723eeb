import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import type { Tensor } from '../../../../src-engine/base/tensor';
import type { CompileFn, TrainableGraph } from '../../../../src-engine/core/train';
import { hostTrainStep } from '../../../../src-engine/core/train/step';

/**
 * A hand-written softmax regression standing in for the executor, so the trainer's loop
 * (shuffling, partial batches, pause/stop, checkpoints, NaN handling) is tested on its own.
 * Graph: Input x [F] → Linear fc [K] → CrossEntropyLoss with Input y [].
 */
export function softmaxGraph(features: number, classes: number, training: GraphIR['training']): GraphIR {
  return {
    format: 'netwright.graph',
    version: 1,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [features], source: 'features' }, inputs: [] },
      { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: classes }, inputs: ['x'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'y'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
    training,
  };
}

const t = (shape: number[]): Tensor => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

export const compileSoftmax: CompileFn = (checked, { batchSize, seed }) => {
  const graph = checked.ir;
  const x = graph.nodes.find((n) => n.id === 'x')!;
  const fc = graph.nodes.find((n) => n.id === 'fc')!;
  const F = (x.attrs.shape as number[])[0];
  const K = fc.attrs.outFeatures as number;
  const W = t([K, F]);
  const b = t([K]);
  const rng = new Rng(seed);
  for (let i = 0; i < W.data.length; i++) W.data[i] = (rng.uniform() * 2 - 1) / Math.sqrt(F);
  const params = [
    { nodeId: 'fc', name: 'weight', value: W, grad: t([K, F]), decay: true },
    { nodeId: 'fc', name: 'bias', value: b, grad: t([K]), decay: false },
  ];
  const make = (N: number): TrainableGraph => {
    const X = t([N, F]);
    const Y = t([N]);
    const logits = t([N, K]);
    const prob = new Float64Array(N * K);
    return {
      batchSize: N,
      input: (name) => (name === 'x' ? X : Y),
      // One loss, no groups: the loop never asks for a selection of this graph's losses.
      selectLosses: () => {
        throw new Error('softmax-graph has a single loss');
      },
      output: () => logits,
      params,
      buffers: [],
      withBatchSize: make,
      trainStep(group, lr, phases) {
        return hostTrainStep(this, undefined, group, lr, phases);
      },
      forward() {
        let loss = 0;
        for (let i = 0; i < N; i++) {
          let mx = -Infinity;
          for (let k = 0; k < K; k++) {
            let z = b.data[k];
            for (let f = 0; f < F; f++) z += W.data[k * F + f] * X.data[i * F + f];
            logits.data[i * K + k] = z;
            mx = Math.max(mx, z);
          }
          let s = 0;
          for (let k = 0; k < K; k++) s += (prob[i * K + k] = Math.exp(logits.data[i * K + k] - mx));
          for (let k = 0; k < K; k++) prob[i * K + k] /= s;
          loss -= Math.log(prob[i * K + Y.data[i]]);
        }
        return Math.fround(loss / N);
      },
      backward() {
        params[0].grad.data.fill(0);
        params[1].grad.data.fill(0);
        for (let i = 0; i < N; i++) {
          for (let k = 0; k < K; k++) {
            const d = (prob[i * K + k] - (Y.data[i] === k ? 1 : 0)) / N;
            params[1].grad.data[k] += d;
            for (let f = 0; f < F; f++) params[0].grad.data[k * F + f] += d * X.data[i * F + f];
          }
        }
      },
    };
  };
  return make(batchSize);
};
