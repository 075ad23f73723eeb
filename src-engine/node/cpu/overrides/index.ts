import type { KernelSet, OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuKernelOp } from '../../../core/backend/coverage';
import { flatten } from '../../../core/ops/flatten';
import { reshape } from '../../../core/ops/reshape';
import type { CpuContext } from '../context';
import { batchNormOverride } from './batch-norm';
import { conv2dOverride } from './conv2d';
import { convTranspose2dOverride } from './conv-transpose2d';
import { crossEntropyLossOverride } from './cross-entropy-loss';
import { asRows } from '../../../core/ops/kernels/token-cross-entropy-loss';
import { dropoutOverride } from './dropout';
import { eluOverride } from './elu';
import { geluOverride } from './gelu';
import { layerNormOverride } from './layer-norm';
import { leakyReluOverride } from './leaky-relu';
import { linearOverride } from './linear';
import { gruOverride, lstmOverride } from './recurrent';
import { maxPool2dOverride } from './max-pool2d';
import { mseLossOverride } from './mse-loss';
import { multiHeadAttentionOverride } from './multi-head-attention';
import { reluOverride } from './relu';
import { addOverride, shapeOpOverride } from './shape-ops';
import { sigmoidOverride } from './sigmoid';
import { siluOverride } from './silu';
import { softmaxOverride } from './softmax';
import { tanhOverride } from './tanh';

/**
 * The CPU backend's whole-op kernels by op (one file per op), as factories over the backend's
 * context. Each reproduces its op file's maths and workspace layout;
 * test/unit/cpu-backend/op-suite.test.ts checks them against the reference backend, gradchecks
 * and the PyTorch goldens. An op without one runs its op file's reference kernels on the CPU.
 * Its keys are exactly `CPU_KERNEL_OPS` (core/backend/coverage.ts), which the coverage query reads.
 */
const OVERRIDES = {
  Linear: linearOverride,
  Conv2d: conv2dOverride,
  ReLU: reluOverride,
  MaxPool2d: maxPool2dOverride,
  BatchNorm: batchNormOverride,
  LayerNorm: layerNormOverride,
  Sigmoid: sigmoidOverride,
  MSELoss: mseLossOverride,
  Dropout: dropoutOverride,
  Flatten: (cpu) => shapeOpOverride(flatten, cpu),
  Reshape: (cpu) => shapeOpOverride(reshape, cpu),
  Tanh: tanhOverride,
  GELU: geluOverride,
  SiLU: siluOverride,
  LeakyReLU: leakyReluOverride,
  ELU: eluOverride,
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
} satisfies Record<CpuKernelOp, (cpu: CpuContext) => OpKernelOverride>;

/** The CPU backend's kernel set for one backend instance. */
export function createOverrides(cpu: CpuContext): KernelSet {
  return Object.fromEntries(Object.entries(OVERRIDES).map(([op, make]) => [op, make(cpu)]));
}
