import type { OpKernelOverride } from '../../../core/backend/types';
import { flatten } from '../../../core/ops/flatten';
import { reshape } from '../../../core/ops/reshape';
import type { CpuContext } from '../context';
import { batchNormOverride } from './batch-norm';
import { conv2dOverride } from './conv2d';
import { crossEntropyLossOverride } from './cross-entropy-loss';
import { dropoutOverride } from './dropout';
import { eluOverride } from './elu';
import { geluOverride } from './gelu';
import { layerNormOverride } from './layer-norm';
import { leakyReluOverride } from './leaky-relu';
import { linearOverride } from './linear';
import { maxPool2dOverride } from './max-pool2d';
import { mseLossOverride } from './mse-loss';
import { reluOverride } from './relu';
import { shapeOpOverride } from './shape-ops';
import { sigmoidOverride } from './sigmoid';
import { siluOverride } from './silu';
import { softmaxOverride } from './softmax';
import { tanhOverride } from './tanh';

/**
 * The CPU backend's whole-op kernels, keyed by op name (one file per op). Each reproduces its op
 * file's maths and workspace layout; test/unit/cpu-backend/op-suite.test.ts checks them against
 * the reference backend, gradchecks and the PyTorch goldens.
 */
export function createOverrides(cpu: CpuContext): Record<string, OpKernelOverride> {
  return {
    Linear: linearOverride(cpu),
    Conv2d: conv2dOverride(cpu),
    ReLU: reluOverride(cpu),
    MaxPool2d: maxPool2dOverride(cpu),
    BatchNorm: batchNormOverride(cpu),
    LayerNorm: layerNormOverride(cpu),
    Sigmoid: sigmoidOverride(cpu),
    MSELoss: mseLossOverride(cpu),
    Dropout: dropoutOverride(cpu),
    Flatten: shapeOpOverride(flatten, cpu),
    Reshape: shapeOpOverride(reshape, cpu),
    Tanh: tanhOverride(cpu),
    GELU: geluOverride(cpu),
    SiLU: siluOverride(cpu),
    LeakyReLU: leakyReluOverride(cpu),
    ELU: eluOverride(cpu),
    Softmax: softmaxOverride(cpu),
    CrossEntropyLoss: crossEntropyLossOverride(cpu),
  };
}
