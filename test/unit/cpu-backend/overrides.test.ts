/**
 * The CPU backend's op overrides at training sizes (so the thread split is exercised: small op-suite
 * cases run on one thread) against the reference backend, forward and backward, train and eval.
 *
 * NOTE (tolerance): 1e-5 scaled (|a − b| / max(1, |b|)), as in op-suite.test.ts: GEMM and the
 * per-thread weight-gradient sums reassociate float32 additions; BatchNorm normalises in float32
 * from float32-rounded statistics (LayerNorm likewise). Everything else (ReLU, MaxPool, Dropout's masks, the shape ops)
 * must match exactly.
 * Parameter gradients get 1e-4: a Conv2d weight gradient sums N·outH·outW products (12,544 for
 * conv1 at batch 16), and the reference accumulates them one by one in float32, so its own
 * rounding error is up to ~n·2⁻²⁴ ≈ 7e-4 relative (measured differences: ≤ 4e-5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { runOp } from '../engine/harness';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import { scaledDiff } from './scaled-diff';
import { expectSameValues } from '../same-values';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

function randn(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

const CASES: [label: string, op: string, shape: number[], attrs: Attrs, training: boolean, tol: number][] = [
  ['Conv2d MNIST conv1 (1→16, 3×3 pad 1), batch 16', 'Conv2d', [16, 1, 28, 28], { outChannels: 16, kernelSize: [3, 3], padding: [1, 1] }, true, 1e-5],
  ['Conv2d MNIST conv2 (16→32), batch 8', 'Conv2d', [8, 16, 14, 14], { outChannels: 32, kernelSize: [3, 3], padding: [1, 1] }, true, 1e-5],
  ['Conv2d stride 2, no bias, batch 5 (uneven split)', 'Conv2d', [5, 3, 11, 9], { outChannels: 7, kernelSize: [3, 3], stride: [2, 2], bias: false }, true, 1e-5],
  ['Conv2d 1×1 direct, batch 4', 'Conv2d', [4, 8, 10, 10], { outChannels: 6, kernelSize: [1, 1] }, true, 1e-5],
  ['Conv2d 1×1 on 3×3 (the planes of the batch as columns of one GEMM: pointwise.test.ts), batch 7', 'Conv2d', [7, 12, 3, 3], { outChannels: 5, kernelSize: [1, 1] }, true, 1e-5],
  ['Conv2d 1×1 direct on 24×24 (the image in place), batch 3', 'Conv2d', [3, 5, 24, 24], { outChannels: 4, kernelSize: [1, 1] }, true, 1e-5],
  // 14×14 outputs: samples unfolded in pairs (im2colBlocks); batch 9 in 4 tasks, one of 3 samples: a pair, then a single.
  ['Conv2d stride 2 on 28×28, batch 9 (sample pairs and a single)', 'Conv2d', [9, 3, 28, 28], { outChannels: 5, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, true, 1e-5],
  // conv.wat's conv2dShallow (few input channels, conv2d.ts's SHALLOW_MAX_CHANNELS): the forward from the image's rows, split by column phase.
  ['Conv2d shallow: mobilenet_v3_small’s stem, 3→16 3×3 stride 2 pad 1 on 224×224, batch 2', 'Conv2d', [2, 3, 224, 224], { outChannels: 16, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, true, 1e-5],
  ['Conv2d shallow: 3→5 5×5 stride 2 pad 2 on 37×29 (rows of 15: an overlapping tile; a channel past four), batch 3', 'Conv2d', [3, 3, 37, 29], { outChannels: 5, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2] }, true, 1e-5],
  ['Conv2d shallow: resnet18’s stem, 3→64 7×7 stride 2 pad 3 on 22×30, no bias, batch 3 (uneven split)', 'Conv2d', [3, 3, 22, 30], { outChannels: 64, kernelSize: [7, 7], stride: [2, 2], padding: [3, 3], bias: false }, true, 1e-5],
  ['Conv2d shallow: 4→9 3×4 kernel, stride (2, 1), pad (0, 2) on 17×21, batch 3', 'Conv2d', [3, 4, 17, 21], { outChannels: 9, kernelSize: [3, 4], stride: [2, 1], padding: [0, 2] }, true, 1e-5],
  ['Conv2d shallow: LeNet’s 1→6 5×5 pad 2 on 28×28, stride 1, batch 4', 'Conv2d', [4, 1, 28, 28], { outChannels: 6, kernelSize: [5, 5], padding: [2, 2] }, true, 1e-5],
  // Depthwise (groups = in = out channels: kernels/depthwise.wat): MobileNet's 3×3 and 5×5, stride 1 and 2, a dilated one, odd sizes.
  ['Conv2d depthwise 3×3 pad 1, batch 5', 'Conv2d', [5, 6, 9, 11], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1], groups: 6 }, true, 1e-5],
  ['Conv2d depthwise 5×5 stride 2 pad 2, no bias, batch 3', 'Conv2d', [3, 4, 11, 10], { outChannels: 4, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2], groups: 4, bias: false }, true, 1e-5],
  ['Conv2d depthwise 3×3 stride 2 pad 1 on 14×14, batch 16', 'Conv2d', [16, 16, 14, 14], { outChannels: 16, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], groups: 16 }, true, 1e-5],
  ['Conv2d depthwise 3×3 dilation 2, 2×3 kernel stride (1, 2), batch 2', 'Conv2d', [2, 3, 8, 9], { outChannels: 3, kernelSize: [2, 3], stride: [1, 2], padding: [1, 2], dilation: [2, 2], groups: 3 }, true, 1e-5],
  // Padded planes in scratch (kernels/depthwise.wat): rows of whole vectors (in place) or not (7 wide: a block of four wraps onto the
  // next row), stride 2 and 3 as column phases (odd sizes: phases of unequal width), padding 0/1/2, and a dilated stride 2 whose
  // input-gradient phases of one parity have no taps at all.
  ['Conv2d depthwise 3×3 pad 1 on 16×16 (rows of whole vectors), batch 2', 'Conv2d', [2, 5, 16, 16], { outChannels: 5, kernelSize: [3, 3], padding: [1, 1], groups: 5 }, true, 1e-5],
  ['Conv2d depthwise 3×3 pad 1 on 19×21 (rows of six vectors, not whole), batch 2', 'Conv2d', [2, 3, 19, 21], { outChannels: 3, kernelSize: [3, 3], padding: [1, 1], groups: 3 }, true, 1e-5],
  ['Conv2d depthwise 3×3 pad 1 on 12×28 (rows of seven whole vectors), batch 2', 'Conv2d', [2, 3, 12, 28], { outChannels: 3, kernelSize: [3, 3], padding: [1, 1], groups: 3 }, true, 1e-5],
  ['Conv2d depthwise 5×5 pad 2 on 7×7, batch 4', 'Conv2d', [4, 6, 7, 7], { outChannels: 6, kernelSize: [5, 5], padding: [2, 2], groups: 6 }, true, 1e-5],
  ['Conv2d depthwise 5×5 pad 2 on 15×15, no bias, batch 3', 'Conv2d', [3, 4, 15, 15], { outChannels: 4, kernelSize: [5, 5], padding: [2, 2], groups: 4, bias: false }, true, 1e-5],
  ['Conv2d depthwise 5×5 stride 2 pad 2 on 15×15, batch 3', 'Conv2d', [3, 4, 15, 15], { outChannels: 4, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2], groups: 4 }, true, 1e-5],
  ['Conv2d depthwise 5×5 pad 0 on 12×12 (8-wide output), batch 2', 'Conv2d', [2, 3, 12, 12], { outChannels: 3, kernelSize: [5, 5], groups: 3 }, true, 1e-5],
  ['Conv2d depthwise 3×3 stride 2 pad 0 on 7×7, no bias, batch 3', 'Conv2d', [3, 5, 7, 7], { outChannels: 5, kernelSize: [3, 3], stride: [2, 2], groups: 5, bias: false }, true, 1e-5],
  ['Conv2d depthwise 3×3 stride 3 pad 1 on 13×9, batch 2', 'Conv2d', [2, 3, 13, 9], { outChannels: 3, kernelSize: [3, 3], stride: [3, 3], padding: [1, 1], groups: 3 }, true, 1e-5],
  ['Conv2d depthwise 5×5 stride 2 dilation 2 pad 2 on 11×10, batch 2', 'Conv2d', [2, 4, 11, 10], { outChannels: 4, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2], dilation: [2, 2], groups: 4 }, true, 1e-5],
  ['ReLU 64×16×28×28', 'ReLU', [64, 16, 28, 28], {}, true, 0],
  ['ReLU odd length', 'ReLU', [7, 11, 13, 37], {}, true, 0],
  ['MaxPool2d 2×2, 32×16×28×28', 'MaxPool2d', [32, 16, 28, 28], { kernelSize: [2, 2] }, true, 0],
  ['MaxPool2d 3×3 stride 2 pad 1', 'MaxPool2d', [16, 8, 15, 15], { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, true, 0],
  ['BatchNorm 2-D train, 32×16×28×28', 'BatchNorm', [32, 16, 28, 28], {}, true, 1e-5],
  ['BatchNorm 2-D eval', 'BatchNorm', [32, 16, 14, 14], {}, false, 1e-5],
  ['BatchNorm 1-D [N, C] train', 'BatchNorm', [512, 130], {}, true, 1e-5],
  ['BatchNorm no affine, odd inner', 'BatchNorm', [40, 33, 7, 5], { affine: false }, true, 1e-5],
  // mobilenet_v3_small's last stage: 576 planes of 7×7, each task's 72 channels in blocks of 41 and 31, sample by sample.
  ['BatchNorm 16×576×7×7 train (channel blocks)', 'BatchNorm', [16, 576, 7, 7], {}, true, 1e-5],
  ['BatchNorm 16×576×7×7 eval', 'BatchNorm', [16, 576, 7, 7], {}, false, 1e-5],
  ['Sigmoid 64×784 (polynomial e^x)', 'Sigmoid', [64, 784], {}, true, 1e-5],
  // k = 784 products per output, which the reference sums one by one in float32 (error up to
  // ~k·2⁻²⁴ ≈ 5e-5 relative; measured 1.3e-5): 1e-4, as gemm.test.ts's 1e-6·k bound.
  ['Linear 64×784 → 128 (bias folded into the GEMM)', 'Linear', [64, 784], { outFeatures: 128 }, true, 1e-4],
  ['Linear 3-D, 130 outputs (column split with a tail)', 'Linear', [4, 33, 50], { outFeatures: 130 }, true, 1e-5],
  ['Linear no bias', 'Linear', [16, 40], { outFeatures: 24, bias: false }, true, 1e-5],
  ['Sigmoid odd length', 'Sigmoid', [3, 7, 11], {}, true, 1e-5],
  ['LayerNorm 64×512 (rows split across threads)', 'LayerNorm', [64, 512], {}, true, 1e-5],
  ['LayerNorm over C·H·W, odd sizes', 'LayerNorm', [6, 3, 7, 5], { normalizedDims: 3 }, true, 1e-5],
  ['LayerNorm no affine, 3-D input', 'LayerNorm', [5, 33, 130], { elementwiseAffine: false }, true, 1e-5],
  ['Flatten 64×64×7×7', 'Flatten', [64, 64, 7, 7], {}, true, 0],
  ['Reshape odd length', 'Reshape', [5, 3, 7, 11], { shape: [21, 11] }, true, 0],
  ['Dropout p = 0.2, 64×128 (the reference stream, bit for bit)', 'Dropout', [64, 128], { p: 0.2 }, true, 0],
  ['Dropout p = 0.5, odd length', 'Dropout', [3, 7, 11], { p: 0.5 }, true, 0],
  ['Dropout p = 0.3, 63×1041 (split across threads, a tail of 3)', 'Dropout', [63, 1041], { p: 0.3 }, true, 0],
  ['Dropout p = 1 (all zero)', 'Dropout', [4, 9], { p: 1 }, true, 0],
  ['Dropout p = 0 (identity)', 'Dropout', [4, 9], { p: 0 }, true, 0],
  ['Dropout eval (identity)', 'Dropout', [64, 128], { p: 0.2 }, false, 0],
  ['MultiHeadAttention 3 heads, no bias, odd steps', 'MultiHeadAttention', [5, 13, 12], { numHeads: 3, bias: false }, true, 1e-5],
  ['Add (one input: a copy)', 'Add', [7, 11, 13], {}, true, 0],
  // The DCGAN generator's layers (64→32 channels, 7×7 → 14×14; 32→1, 14×14 → 28×28), an odd batch.
  // The first's input gradient sums 32·4·4 = 512 products per element, one by one in float32 in
  // the reference (error up to ~k·2⁻²⁴ ≈ 3e-5; measured 1.4e-5): 1e-4, as the Linear above.
  ['ConvTranspose2d 4×4 stride 2 pad 1, 64→32, batch 5', 'ConvTranspose2d', [5, 64, 7, 7], { outChannels: 32, kernelSize: [4, 4], stride: [2, 2], padding: [1, 1] }, true, 1e-4],
  ['ConvTranspose2d to one channel, no bias, batch 4', 'ConvTranspose2d', [4, 32, 14, 14], { outChannels: 1, kernelSize: [4, 4], stride: [2, 2], padding: [1, 1], bias: false }, true, 1e-5],
  ['ConvTranspose2d 3×3 stride 2, outputPadding 1, rectangular, dilation 2', 'ConvTranspose2d', [3, 5, 6, 4], { outChannels: 7, kernelSize: [3, 2], stride: [2, 2], padding: [1, 0], outputPadding: [1, 1], dilation: [2, 2] }, true, 1e-5],
  ['ConvTranspose2d 1×1 (the direct path)', 'ConvTranspose2d', [4, 6, 5, 5], { outChannels: 3, kernelSize: [1, 1], stride: [1, 1] }, true, 1e-5],
  // Off the adjoint Conv2d (the op file's code): groups, and an outputPadding at the stride (below the dilation).
  ['ConvTranspose2d groups 2 (the op file)', 'ConvTranspose2d', [3, 4, 5, 5], { outChannels: 6, kernelSize: [3, 3], stride: [2, 2], groups: 2 }, true, 1e-5],
  ['ConvTranspose2d outputPadding 1 at stride 1, dilation 2 (the op file)', 'ConvTranspose2d', [2, 3, 5, 5], { outChannels: 2, kernelSize: [3, 3], stride: [1, 1], outputPadding: [1, 1], dilation: [2, 2] }, true, 1e-5],
  // Rows split in blocks per thread for the whole sequence (kernels/recurrent.wat); h a multiple of 16 takes LSTM's fused cells.
  ['LSTM 2 layers, bidirectional, h 32, batch 9 (row blocks of 2 and 3)', 'LSTM', [9, 4, 5], { hiddenSize: 32, numLayers: 2, bidirectional: true }, true, 1e-5],
  ['LSTM last state, h 13 (the cells with a tail)', 'LSTM', [5, 4, 3], { hiddenSize: 13, output: 'last' }, true, 1e-5],
  ['LSTM no bias, h 16 (the fused cell with no biases to add)', 'LSTM', [6, 3, 5], { hiddenSize: 16, bias: false }, true, 1e-5],
  ['GRU 2 layers, bidirectional, h 20, no bias', 'GRU', [7, 5, 6], { hiddenSize: 20, numLayers: 2, bidirectional: true, bias: false }, true, 1e-5],
];

describe('CPU backend overrides match the reference at training sizes (2 threads)', () => {
  for (const [label, op, shape, attrs, training, tol] of CASES) {
    it(label, () => {
      const def = getOp(op)!;
      expect(kernelFor(cpu.overrides, op), `${op} has an override`).toBeDefined();
      const x = randn(shape, 1);
      const ref = runOp(def, { inputs: [x], attrs, training, seed: 3, backend: createReferenceBackend() });
      const dOutput = randn([...ref.output.shape], 2);
      const want = runOp(def, { inputs: [x], attrs, training, seed: 3, dOutput, backend: createReferenceBackend() });
      const got = runOp(def, { inputs: [x], attrs, training, seed: 3, dOutput, backend: cpu });
      expect(scaledDiff(got.output.data, want.output.data), 'output').toBeLessThanOrEqual(tol);
      expect(scaledDiff(got.dInputs[0]!.data, want.dInputs[0]!.data), 'dInput').toBeLessThanOrEqual(tol);
      for (const [k, v] of Object.entries(want.dParams)) expect(scaledDiff(got.dParams[k].data, v.data), `dParams.${k}`).toBeLessThanOrEqual(tol * 10);
      for (const [k, v] of Object.entries(want.buffers)) expect(scaledDiff(got.buffers[k].data, v.data), `buffers.${k}`).toBeLessThanOrEqual(tol);
      for (const [k, v] of Object.entries(want.workspace)) if (tol === 0) expectSameValues(got.workspace[k].data, v.data, `workspace.${k}`);
      // The attention-map probe reads the softmax from the workspace.
      if (op === 'MultiHeadAttention') expect(scaledDiff(got.workspace.probs.data, want.workspace.probs.data), 'workspace.probs').toBeLessThanOrEqual(tol);
      if (kernelFor(cpu.overrides, op)?.assignsFreshGradients) {
        // As the executor runs a sole writer: dInput starts as NaN, marked fresh; it must be assigned.
        const fresh = runOp(def, { inputs: [x], attrs, training, seed: 3, dOutput, backend: cpu, freshInputGradients: true });
        expect(scaledDiff(fresh.dInputs[0]!.data, want.dInputs[0]!.data), 'dInput (fresh, assigned)').toBeLessThanOrEqual(tol);
      }
      if (kernelFor(cpu.overrides, op)?.skipsUnwantedParamGradients) {
        // As a GAN's generator step runs the discriminator's layers: the parameter gradients (7.5) untouched, dInput the same bits.
        const skip = runOp(def, { inputs: [x], attrs, training, seed: 3, dOutput, backend: cpu, unwantedParamGradients: true });
        for (const [k, v] of Object.entries(skip.dParams)) expect(v.data.every((g) => g === 7.5), `dParams.${k} untouched`).toBe(true);
        expectSameValues(skip.dInputs[0]!.data, got.dInputs[0]!.data, 'dInput without parameter gradients');
      }
    });
  }
});

describe('Conv2d override: a dx-only backward skips groups of samples whose dy is all zeros', () => {
  // The cDCGAN discriminator's 4×4 stride-2 layer (7×7 out: samples go 8 to a GEMM), 20 samples
  // on 2 threads: as in its generator step, dy is zero for some samples (the real half) and the
  // parameter gradients are not read. Samples [0, 8) and [16, 20) zero: two groups to skip; sample
  // 9's one NaN keeps its group computed.
  it('dx the same bits as the full backward; the skipped samples\' dx +0; a NaN not skipped', () => {
    const def = getOp('Conv2d')!;
    const attrs: Attrs = { outChannels: 12, kernelSize: [4, 4], stride: [2, 2], padding: [1, 1] };
    const x = randn([20, 6, 14, 14], 1);
    const dOutput = randn([20, 12, 7, 7], 2);
    const per = 12 * 7 * 7;
    for (const [a, b] of [[0, 8], [16, 20]]) dOutput.data.fill(0, a * per, b * per);
    for (let i = 0; i < 8 * per; i += 7) dOutput.data[i] = -0;
    const opts = { inputs: [x], attrs, training: true, seed: 3, backend: cpu };
    const full = runOp(def, { ...opts, dOutput });
    const skip = runOp(def, { ...opts, dOutput, freshInputGradients: true, unwantedParamGradients: true });
    expectSameValues(skip.dInputs[0]!.data, full.dInputs[0]!.data, 'dInput, zero groups skipped');
    const img = 6 * 14 * 14;
    expect(skip.dInputs[0]!.data.subarray(0, 8 * img).every((v) => Object.is(v, 0)), 'samples 0–7: +0').toBe(true);
    expect(skip.dInputs[0]!.data.subarray(16 * img).every((v) => Object.is(v, 0)), 'samples 16–19: +0').toBe(true);
    expect(skip.dInputs[0]!.data.subarray(8 * img, 16 * img).some((v) => v !== 0), 'samples 8–15 computed').toBe(true);
    dOutput.data[9 * per] = NaN;
    const nan = runOp(def, { ...opts, dOutput, freshInputGradients: true, unwantedParamGradients: true });
    expect(nan.dInputs[0]!.data.subarray(9 * img, 10 * img).some((v) => Number.isNaN(v)), 'sample 9: NaN through').toBe(true);
  });
});

describe('MaxPool2d override: ties and NaN route like the op file', () => {
  for (const [label, attrs, shape, ninfEvery = 61] of [
    ['2×2 stride 2 (vector path, ragged row end)', { kernelSize: [2, 2] }, [4, 3, 12, 12]],
    ['2×2 stride 2, 16×16 (vector path, rows of whole vectors)', { kernelSize: [2, 2] }, [2, 3, 16, 16]],
    ['2×2 stride 2, odd 15×29 (vector path, overlapping last vector)', { kernelSize: [2, 2] }, [2, 3, 15, 29]],
    ['2×2 stride 2, 7×7 → 3×3 (too narrow for vectors: general loop)', { kernelSize: [2, 2] }, [3, 5, 7, 7]],
    ['3×3 stride 2 pad 1, 12×12 (four outputs at a time, the general loop at the row ends)', { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, [4, 3, 12, 12]],
    ['3×3 stride 2 pad 1, 30×33 (four at a time, several a row)', { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, [2, 3, 30, 33]],
    ['3×3 stride 2, no padding, 25×40', { kernelSize: [3, 3], stride: [2, 2] }, [2, 3, 25, 40]],
    // Eight at a time (two groups of four side by side), from the clipped first row and column.
    ['3×3 stride 2 pad 1, 36×36 (eight at a time from the first column, four, then the general loop)', { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, [2, 3, 36, 36]],
    ["3×3 stride 2 pad 1, 112×112 (ResNet's stem pool: every output eight at a time)", { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, [1, 2, 112, 112]],
    // Every input −∞ past the first 11: each window's index is its first position in the image (clipped at the edges).
    ['3×3 stride 2 pad 1, 36×35, the inputs −∞', { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, [2, 3, 36, 35], 1],
  ] as [string, Attrs, number[], number?][]) {
    it(label, () => {
      // Small integers: many ties in every window; a sprinkle of NaN and ±Infinity.
      const x = randn(shape, 5);
      for (let i = 0; i < x.data.length; i++) x.data[i] = Math.round(x.data[i]);
      for (let i = 7; i < x.data.length; i += 53) x.data[i] = NaN;
      for (let i = 11; i < x.data.length; i += ninfEvery) x.data[i] = -Infinity;
      const def = getOp('MaxPool2d')!;
      const want = runOp(def, { inputs: [x], attrs, backend: createReferenceBackend() });
      const got = runOp(def, { inputs: [x], attrs, backend: cpu });
      expectSameValues(got.output.data, want.output.data);
      expectSameValues(got.workspace.argmax.data, want.workspace.argmax.data);
      expectSameValues(got.dInputs[0]!.data, want.dInputs[0]!.data);
      // A fresh (NaN-filled) dInput: assigned where the windows tile the image, else zeroed first.
      const fresh = runOp(def, { inputs: [x], attrs, backend: cpu, freshInputGradients: true });
      expectSameValues(fresh.dInputs[0]!.data, want.dInputs[0]!.data);
    });
  }
});

describe('Sigmoid override at the extremes', () => {
  it('saturates like 1/(1+e^(−x)) for |x| ≥ 80, passes NaN, and stays within 2e-7 relative', () => {
    const xs = [NaN, -Infinity, Infinity, -1000, -100, -88.5, -87, -80, -20, -1e-7, 0, 1e-7, 0.5, 15, 17, 80, 100];
    const x = tensor([1, xs.length], Float32Array.from(xs));
    const def = getOp('Sigmoid')!;
    const want = runOp(def, { inputs: [x], forwardOnly: true, backend: createReferenceBackend() }).output.data;
    const got = runOp(def, { inputs: [x], forwardOnly: true, backend: cpu }).output.data;
    expect(Number.isNaN(got[0])).toBe(true);
    for (let i = 1; i < xs.length; i++) {
      // Below ~1e-38 both are 0 to float32 precision (the kernel clamps e^x at e^88).
      const err = Math.abs(got[i] - want[i]);
      expect(err <= 2e-7 * Math.abs(want[i]) || err < 1e-37, `σ(${xs[i]}) = ${got[i]}, reference ${want[i]}`).toBe(true);
    }
  });
});

describe('MSELoss override', () => {
  it('matches the op file at 64×784 (sum of squares in float64; gradient within an ulp)', () => {
    const def = getOp('MSELoss')!;
    const p = randn([64, 784], 7);
    const t = randn([64, 784], 8);
    for (const noGrad of [[1], []]) {
      const want = runOp(def, { inputs: [p, t], noGrad, dOutput: tensor([], Float32Array.of(0.7)), backend: createReferenceBackend() });
      const got = runOp(def, { inputs: [p, t], noGrad, dOutput: tensor([], Float32Array.of(0.7)), backend: cpu });
      expect(Math.abs(got.output.data[0] - want.output.data[0]) / want.output.data[0]).toBeLessThan(1e-7);
      expect(scaledDiff(got.dInputs[0]!.data, want.dInputs[0]!.data)).toBeLessThan(1e-6);
      if (noGrad.length === 0) expect(scaledDiff(got.dInputs[1]!.data, want.dInputs[1]!.data)).toBeLessThan(1e-6);
      else expect(got.dInputs[1]).toBeNull();
    }
  });
});

describe('LSTM and GRU overrides: whole sequences per parallel round', () => {
  it('train a step of 28 time steps (MNIST rows) in a few parallel rounds, not two per step', () => {
    for (const op of ['LSTM', 'GRU']) {
      const x = randn([64, 28, 28], 1);
      const l0 = cpu.launches;
      runOp(getOp(op)!, { inputs: [x], attrs: { hiddenSize: 128, output: 'last' }, training: true, seed: 3, dOutput: randn([64, 128], 2), backend: cpu });
      // Forward: the input projection and the sequence; backward: the sequence, dW_ih, dW_hh and the bias sums.
      expect(cpu.launches - l0, op).toBeLessThanOrEqual(8);
    }
  });
});
