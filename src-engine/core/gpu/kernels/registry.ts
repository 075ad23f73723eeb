/**
 * The GPU kernel table: one entry per op that runs on the GPU, keyed by the op's name in
 * `core/ops/registry.ts`. The GPU executor looks every node up here at compile time; a graph with
 * an op missing from this table (or whose attributes its kernel refuses) does not compile for the
 * GPU (E_GPU_NO_KERNEL naming the ops) — there is no per-op fallback to the CPU.
 */
import { ACTIVATION_OP_KERNELS } from './activations';
import { BINARY_OP_KERNELS } from './binary';
import { attentionKernel } from './attention';
import { batchNormKernel } from './batch-norm';
import { conv1dKernel, conv2dKernel } from './conv';
import { convTranspose2dKernel } from './conv-transpose';
import { dropoutKernel } from './dropout';
import { concatKernel } from './elementwise';
import { ganLossKernel, realFakeBatchKernel } from './gan';
import { groupNormKernel, layerNormKernel } from './layer-norm';
import { sliceKernel, transposeKernel } from './layout';
import { preluKernel } from './prelu';
import { gruKernel, lstmKernel, rnnKernel } from './recurrent';
import { embeddingKernel, positionalEmbeddingKernel, sequencePoolKernel, tokenCrossEntropyKernel } from './sequence';
import { linearKernel } from './linear';
import { crossEntropyKernel } from './losses';
import { POINTWISE_LOSS_OP_KERNELS } from './pointwise-losses';
import { noiseKernel } from './noise';
import { oneHotKernel } from './one-hot';
import { avgPool2dKernel, globalAvgPoolKernel, maxPool2dKernel } from './pool';
import { softmaxKernel } from './softmax';
import { isOpName, type OpName } from '../../ops/registry';
import type { GpuKernelOp } from '../../backend/coverage';
import type { GpuOpKernel } from './types';
import { upsampleKernel } from './upsample';
import { viewKernel } from './views';

/** Input: the executor writes each batch into its output; nothing to dispatch. */
const inputKernel: GpuOpKernel = { prepare: () => ({ forward: [], backward: [] }) };

/** The GPU backend's kernel set, by op (an op without one runs on the CPU backend: `opCoverage` says which). */
export const GPU_KERNELS: Readonly<Partial<Record<OpName, GpuOpKernel>>> = {
  ...ACTIVATION_OP_KERNELS,
  ...BINARY_OP_KERNELS,
  ...POINTWISE_LOSS_OP_KERNELS,
  ...({
    Input: inputKernel,
    Flatten: viewKernel,
    Reshape: viewKernel,
    Linear: linearKernel,
    Conv2d: conv2dKernel,
    Conv1d: conv1dKernel,
    ConvTranspose2d: convTranspose2dKernel,
    MaxPool2d: maxPool2dKernel,
    AvgPool2d: avgPool2dKernel,
    GlobalAvgPool: globalAvgPoolKernel,
    Upsample: upsampleKernel,
    BatchNorm: batchNormKernel,
    Dropout: dropoutKernel,
    LayerNorm: layerNormKernel,
    GroupNorm: groupNormKernel,
    Transpose: transposeKernel,
    Slice: sliceKernel,
    PReLU: preluKernel,
    Embedding: embeddingKernel,
    PositionalEmbedding: positionalEmbeddingKernel,
    SequencePool: sequencePoolKernel,
    TokenCrossEntropyLoss: tokenCrossEntropyKernel,
    MultiHeadAttention: attentionKernel,
    RNN: rnnKernel,
    LSTM: lstmKernel,
    GRU: gruKernel,
    Softmax: softmaxKernel,
    Concat: concatKernel,
    OneHot: oneHotKernel,
    CrossEntropyLoss: crossEntropyKernel,
    Noise: noiseKernel,
    RealFakeBatch: realFakeBatchKernel,
    GANLoss: ganLossKernel,
  } satisfies Record<GpuKernelOp, GpuOpKernel>),
};

/** The GPU kernel of `op`, or undefined when it has none. */
export function gpuKernel(op: string): GpuOpKernel | undefined {
  return isOpName(op) ? GPU_KERNELS[op] : undefined;
}
