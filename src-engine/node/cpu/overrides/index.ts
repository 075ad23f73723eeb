import type { KernelSet, OpKernelOverride } from '../../../core/ops/kernel-set';
import type { HandCpuKernelOp } from '../../../core/backend/coverage';
import { binarySimdOps, simdOps } from '../../../core/elementwise/simd';
import { lossCpuOps } from '../../../core/elementwise/loss-simd';
import { flatten } from '../../../core/ops/flatten';
import { reshape } from '../../../core/ops/reshape';
import type { CpuContext } from '../context';
import { batchNormOverride } from './batch-norm';
import { binaryElementwiseOverride } from './binary';
import { conv2dOverride } from './conv2d';
import { convTranspose2dOverride } from './conv-transpose2d';
import { crossEntropyLossOverride } from './cross-entropy-loss';
import { asRows } from '../../../core/ops/kernels/token-cross-entropy-loss';
import { dropoutOverride } from './dropout';
import { embeddingOverride } from './embedding';
import { globalAvgPoolOverride } from './global-avg-pool';
import { layerNormOverride } from './layer-norm';
import { linearOverride } from './linear';
import { gruOverride, lstmOverride } from './recurrent';
import { maxPool2dOverride } from './max-pool2d';
import { multiHeadAttentionOverride } from './multi-head-attention';
import { positionalEmbeddingOverride } from './positional-embedding';
import { reluOverride } from './relu';
import { addOverride, shapeOpOverride } from './shape-ops';
import { elementwiseOverride } from './unary';
import { pointwiseLossOverride } from './pointwise-loss';
import { sigmoidOverride } from './sigmoid';
import { softmaxOverride } from './softmax';

/**
 * The CPU backend's whole-op kernels by op (one file per op), as factories over the backend's
 * context. Each reproduces its op file's maths and workspace layout;
 * test/unit/cpu-backend/op-suite.test.ts checks them against the reference backend, gradchecks
 * and the PyTorch goldens. An op without one runs its op file's reference kernels on the CPU.
 * Its keys are exactly `HAND_CPU_KERNEL_OPS` (core/backend/coverage.ts); the elementwise
 * activations' and binary ops' kernels, generated from their op files, are added by `createOverrides`.
 */
const OVERRIDES = {
  Linear: linearOverride,
  Conv2d: conv2dOverride,
  ReLU: reluOverride,
  MaxPool2d: maxPool2dOverride,
  BatchNorm: batchNormOverride,
  LayerNorm: layerNormOverride,
  Sigmoid: sigmoidOverride,
  Dropout: dropoutOverride,
  Flatten: (cpu) => shapeOpOverride(flatten, cpu),
  Reshape: (cpu) => shapeOpOverride(reshape, cpu),
  Softmax: softmaxOverride,
  CrossEntropyLoss: crossEntropyLossOverride,
  // Logits [N, T, V] as N·T rows: CrossEntropyLoss's kernel, as the op file runs CrossEntropyLoss's.
  TokenCrossEntropyLoss: (cpu) => {
    const ce = crossEntropyLossOverride(cpu);
    return { assignsFreshGradients: ce.assignsFreshGradients, forward: (ctx) => ce.forward!(asRows(ctx)), backward: (ctx) => ce.backward!(asRows(ctx)) };
  },
  LSTM: lstmOverride,
  GRU: gruOverride,
  Add: addOverride,
  MultiHeadAttention: multiHeadAttentionOverride,
  ConvTranspose2d: convTranspose2dOverride,
  PositionalEmbedding: positionalEmbeddingOverride,
  Embedding: embeddingOverride,
  GlobalAvgPool: globalAvgPoolOverride,
} satisfies Record<HandCpuKernelOp, (cpu: CpuContext) => OpKernelOverride>;

/** The CPU backend's kernel set for one backend instance. */
export function createOverrides(cpu: CpuContext): KernelSet {
  const generated = simdOps().filter((op) => !(op in OVERRIDES)).map((op) => [op, elementwiseOverride(cpu, op)] as const);
  const binary = binarySimdOps().map((op) => [op, binaryElementwiseOverride(cpu, op)] as const);
  const losses = lossCpuOps().map((op) => [op, pointwiseLossOverride(cpu, op)] as const);
  return Object.fromEntries([...Object.entries(OVERRIDES).map(([op, make]) => [op, make(cpu)] as const), ...generated, ...binary, ...losses]);
}
