/**
 * Finite-difference gradient checks for every differentiable layer/structure op (harness.gradcheck).
 * Tolerances: see the NOTE on `gradcheck` — 5e-3 for smooth ops, 1e-2 through normalisations.
 */
import { describe, expect, it } from 'vitest';
import { add } from '../../../src-engine/core/ops/add';
import { avgPool2d } from '../../../src-engine/core/ops/avg-pool2d';
import { batchNorm } from '../../../src-engine/core/ops/batch-norm';
import { concat } from '../../../src-engine/core/ops/concat';
import { conv2d } from '../../../src-engine/core/ops/conv2d';
import { convTranspose2d } from '../../../src-engine/core/ops/conv-transpose2d';
import { dropout } from '../../../src-engine/core/ops/dropout';
import { flatten } from '../../../src-engine/core/ops/flatten';
import { globalAvgPool } from '../../../src-engine/core/ops/global-avg-pool';
import { layerNorm } from '../../../src-engine/core/ops/layer-norm';
import { linear } from '../../../src-engine/core/ops/linear';
import { linearKernel } from '../../../src-engine/core/ops/kernels/linear';
import type { ReferenceKernel } from '../../../src-engine/core/ops/kernels/kernel';
import { lstm } from '../../../src-engine/core/ops/lstm';
import { gru } from '../../../src-engine/core/ops/gru';
import { embedding } from '../../../src-engine/core/ops/embedding';
import { multiHeadAttention } from '../../../src-engine/core/ops/multi-head-attention';
import { positionalEmbedding } from '../../../src-engine/core/ops/positional-embedding';
import { sequencePool } from '../../../src-engine/core/ops/sequence-pool';
import { tokenCrossEntropyLoss } from '../../../src-engine/core/ops/token-cross-entropy-loss';
import { maxPool2d } from '../../../src-engine/core/ops/max-pool2d';
import { reshape } from '../../../src-engine/core/ops/reshape';
import { upsample } from '../../../src-engine/core/ops/upsample';
import type { OpDef } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { gradcheck, type GradcheckOptions } from './harness';
import { randn } from './op-suite-cases';

/** Distinct values spaced 0.1 apart in random order: no MaxPool ties within ±h = 1e-2. */
function spaced(shape: number[], seed: number): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = (i - t.data.length / 2) * 0.1;
  new Rng(seed).shuffle(t.data);
  return t;
}

const SMOOTH = 5e-3;
const NORM = 1e-2;

const cases: [string, OpDef, GradcheckOptions, number][] = [
  ['Linear 2-D', linear, { inputs: [randn([3, 5], 1)], attrs: { outFeatures: 4 } }, SMOOTH],
  ['Linear 3-D, no bias', linear, { inputs: [randn([2, 3, 4], 2)], attrs: { outFeatures: 3, bias: false } }, SMOOTH],
  ['Conv2d 3×3 pad 1', conv2d, { inputs: [randn([2, 2, 5, 5], 3)], attrs: { outChannels: 3, kernelSize: [3, 3], padding: [1, 1] } }, SMOOTH],
  [
    'Conv2d stride 2, dilation 2, groups 2, rectangular',
    conv2d,
    { inputs: [randn([2, 4, 7, 6], 4)], attrs: { outChannels: 2, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [2, 2], groups: 2 } },
    SMOOTH,
  ],
  ['Conv2d 1×1 (direct path)', conv2d, { inputs: [randn([2, 3, 3, 3], 5)], attrs: { outChannels: 2, kernelSize: [1, 1] } }, SMOOTH],
  [
    'ConvTranspose2d stride 2, padding 1, outputPadding 1',
    convTranspose2d,
    { inputs: [randn([2, 3, 3, 3], 6)], attrs: { outChannels: 2, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] } },
    SMOOTH,
  ],
  [
    'ConvTranspose2d groups 2, dilation, outputPadding < dilation',
    convTranspose2d,
    { inputs: [randn([2, 4, 3, 3], 28)], attrs: { outChannels: 2, kernelSize: [2, 3], stride: [1, 2], padding: [0, 1], outputPadding: [1, 0], dilation: [2, 1], groups: 2 } },
    SMOOTH,
  ],
  ['AvgPool2d 3×3 stride 2 pad 1', avgPool2d, { inputs: [randn([2, 2, 5, 5], 7)], attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] } }, SMOOTH],
  ['MaxPool2d 2×2 (inputs spaced away from ties)', maxPool2d, { inputs: [spaced([2, 2, 4, 4], 8)], attrs: { kernelSize: [2, 2] } }, SMOOTH],
  ['MaxPool2d 3×3 stride 2 pad 1 (overlapping)', maxPool2d, { inputs: [spaced([1, 2, 5, 5], 9)], attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] } }, SMOOTH],
  ['GlobalAvgPool', globalAvgPool, { inputs: [randn([2, 3, 2, 3], 10)] }, SMOOTH],
  ['Upsample ×2', upsample, { inputs: [randn([2, 2, 2, 3], 11)], attrs: { scaleFactor: 2 } }, SMOOTH],
  ['BatchNorm 2-D train', batchNorm, { inputs: [randn([4, 3, 2, 2], 12)], training: true }, NORM],
  ['BatchNorm 1-D [N, C] train', batchNorm, { inputs: [randn([5, 3], 13)], training: true }, NORM],
  [
    'BatchNorm eval (running stats given)',
    batchNorm,
    { inputs: [randn([3, 2, 4], 14)], training: false, buffers: { runningMean: tensor([2], Float32Array.of(0.3, -0.2)), runningVar: tensor([2], Float32Array.of(0.5, 2)) } },
    SMOOTH,
  ],
  ['LayerNorm last dim', layerNorm, { inputs: [randn([3, 6], 15)] }, NORM],
  ['LayerNorm over C, H, W', layerNorm, { inputs: [randn([2, 2, 2, 3], 16)], attrs: { normalizedDims: 3 } }, NORM],
  ['Dropout train (same mask every evaluation)', dropout, { inputs: [randn([4, 5], 17)], attrs: { p: 0.3 }, training: true }, SMOOTH],
  ['Dropout eval', dropout, { inputs: [randn([4, 5], 18)], attrs: { p: 0.3 }, training: false }, SMOOTH],
  ['Flatten', flatten, { inputs: [randn([2, 2, 3], 19)] }, SMOOTH],
  ['Reshape', reshape, { inputs: [randn([2, 6], 20)], attrs: { shape: [3, -1] } }, SMOOTH],
  ['Add of three', add, { inputs: [randn([2, 3], 21), randn([2, 3], 22), randn([2, 3], 23)] }, SMOOTH],
  ['Concat axis 1', concat, { inputs: [randn([2, 1, 3], 24), randn([2, 2, 3], 25)] }, SMOOTH],
  ['LSTM sequence', lstm, { inputs: [randn([2, 3, 3], 44)], attrs: { hiddenSize: 4 } }, SMOOTH],
  ['LSTM 2 layers, bidirectional, last state, no bias', lstm, { inputs: [randn([2, 3, 2], 45)], attrs: { hiddenSize: 3, numLayers: 2, bidirectional: true, output: 'last', bias: false } }, SMOOTH],
  ['GRU sequence', gru, { inputs: [randn([2, 3, 3], 46)], attrs: { hiddenSize: 4 } }, SMOOTH],
  ['GRU 2 layers, bidirectional, last state, no bias', gru, { inputs: [randn([2, 3, 2], 47)], attrs: { hiddenSize: 3, numLayers: 2, bidirectional: true, output: 'last', bias: false } }, SMOOTH],
  ['Embedding (the weight; ids get no gradient)', embedding, { inputs: [tensor([2, 4], Float32Array.of(0, 3, -1, 2.7, 4.9, -5, 4, 1.2))], attrs: { numEmbeddings: 5, embeddingDim: 3 }, noGrad: [0] }, SMOOTH],
  ['MultiHeadAttention 2 heads', multiHeadAttention, { inputs: [randn([2, 4, 6], 48)], attrs: { numHeads: 2 } }, SMOOTH],
  ['MultiHeadAttention causal, 3 heads, no bias', multiHeadAttention, { inputs: [randn([2, 5, 6], 49)], attrs: { numHeads: 3, causal: true, bias: false } }, SMOOTH],
  ['PositionalEmbedding', positionalEmbedding, { inputs: [randn([2, 3, 4], 50)] }, SMOOTH],
  ['SequencePool mean', sequencePool, { inputs: [randn([2, 4, 3], 51)] }, SMOOTH],
  ['SequencePool last', sequencePool, { inputs: [randn([2, 4, 3], 52)], attrs: { mode: 'last' } }, SMOOTH],
  [
    'TokenCrossEntropyLoss, label smoothing (the logits; targets get no gradient)',
    tokenCrossEntropyLoss,
    { inputs: [randn([2, 3, 5], 53), tensor([2, 3], Float32Array.of(0, 4, 2, 1, 1, 3))], attrs: { labelSmoothing: 0.1 }, noGrad: [1] },
    SMOOTH,
  ],
  ['Concat axis -1', concat, { inputs: [randn([2, 2, 1], 26), randn([2, 2, 3], 27)], attrs: { axis: -1 } }, SMOOTH],
];

describe('gradcheck: layer ops', () => {
  for (const [label, def, opts, tol] of cases) {
    it(label, async () => {
      const r = await gradcheck(def, { seed: 5, ...opts });
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxError, r.worst).toBeLessThan(tol);
    });
  }

  it('gradcheck catches a wrong backward (the check is not vacuous)', async () => {
    const broken: ReferenceKernel = {
      ...linearKernel,
      backward(ctx) {
        linearKernel.backward!(ctx);
        ctx.dParams.weight.data[0] += 0.5;
      },
    };
    const r = await gradcheck(linear, { inputs: [randn([3, 5], 1)], attrs: { outFeatures: 4 }, seed: 5, kernel: broken });
    expect(r.maxError).toBeGreaterThan(0.1);
  });

  it('skipKinks skips MaxPool points at a tie and still checks the rest', async () => {
    const x = spaced([1, 1, 4, 4], 3);
    x.data[0] = 5; // a tie at the maximum of the first window
    x.data[1] = 5;
    const r = await gradcheck(maxPool2d, { inputs: [x], attrs: { kernelSize: [2, 2] }, seed: 1, skipKinks: true, maxPoints: 16 });
    // Exactly the two tied elements sit on a kink (the winner flips with the sign of the step).
    expect(r.skipped).toBe(2);
    expect(r.checked).toBe(14);
    expect(r.maxError, r.worst).toBeLessThan(SMOOTH);
  });
});
