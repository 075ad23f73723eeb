import type { FusedKernel, FusedStepContext, KernelFusion } from '../../../core/backend/fusion';
import type { OpName } from '../../../core/ops/registry';
import { floatAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { batchNormKernels } from '../overrides/batch-norm';
import { conv2dEpilogue, type ConvEpilogue } from '../overrides/conv2d';

/**
 * The chains whose BatchNorm (and activation) a Conv2d applies as it writes its output, each with
 * the activation code the epilogue takes (bnForward's modes: elementwise.wat's $normalize runs it).
 */
const CHAINS: readonly { ops: readonly OpName[]; act: ConvEpilogue['act'] }[] = [
  { ops: ['Conv2d', 'BatchNorm', 'HardSwish'], act: 3 },
  { ops: ['Conv2d', 'BatchNorm', 'ReLU'], act: 1 },
  { ops: ['Conv2d', 'BatchNorm'], act: 0 },
];

/**
 * Conv2d → frozen BatchNorm (→ ReLU or HardSwish) as one pass: the convolution applies the
 * BatchNorm on its running statistics, and the activation, to each part of its output while that is
 * in cache (a 64-row × 512-column block of the 1×1 layers' batch GEMM, a sample of the per-sample
 * GEMMs, a depthwise plane), and writes the chain's output alone (the convolution's and
 * BatchNorm's are left unwritten, x̂ too, as BatchNorm's own eval forward leaves it). A frozen
 * backbone's forward: the BatchNorm-and-activation pass over memory (read the convolution's
 * output, write x̂ and the activation's) is gone. Each output value gets the float32 operations
 * bnForward's eval mode gives it (its own $normalize, with the activation written out as there),
 * in the same order: the same bits (`fusions.test.ts`).
 *
 * Fused only where nothing in the chain gets a gradient (no backward ever runs it: the executor
 * gives such a node no gradient tensor, its `dOutput` is its output) and the BatchNorm's statistics
 * are frozen (eval mode in every step), and where the convolution's algorithm has the epilogue
 * (`conv2dEpilogue`: not the direct 3×3 kernels). The interior outputs are computed
 * again when read (`materializeOutputs`: the convolution from its input, which the executor keeps
 * for a chain whose interior is asked for, then BatchNorm's own forward).
 */
export function convBatchNormFusions(cpu: CpuContext): KernelFusion[] {
  const conv = conv2dEpilogue(cpu);
  const bn = batchNormKernels(cpu);

  function kernel(steps: readonly FusedStepContext[], act: ConvEpilogue['act']): FusedKernel {
    const [convCtx, norm] = steps;
    const epilogue: ConvEpilogue = { out: steps[steps.length - 1].output, table: new Float32Array(4 * norm.inputs[0].shape[1]), act };
    return {
      forward() {
        evalTable(norm, epilogue.table);
        conv.forward(convCtx, epilogue);
      },
      // Never runs: no node of the chain gets a gradient.
      backward() {},
      // the convolution again, from its input
      rereadsInputs: true,
      materializeOutputs() {
        conv.plain(convCtx);
        // BatchNorm's output, where an activation follows it
        if (steps.length > 2) bn.forward(norm);
      },
      materializeGrads() {},
    };
  }

  return CHAINS.map(({ ops, act }) => ({
    ops,
    build(steps) {
      const [convCtx, norm] = steps;
      if (!norm.statsFrozen || steps.some((s) => s.dOutput !== s.output) || !conv.applies(convCtx)) return null;
      return kernel(steps, act);
    },
  }));
}

/**
 * Each channel's mean, 1/σ, γ and β as bnForward's eval mode computes them (elementwise.wat's
 * $bnChannel): the running mean, 1/√(running var + eps) in float64 rounded once to float32, γ or 1,
 * β or 0. Also BatchNorm's invStd workspace, which its own forward writes.
 */
function evalTable(norm: FusedStepContext, table: Float32Array): void {
  const mean = norm.buffers.runningMean.data;
  const variance = norm.buffers.runningVar.data;
  const gamma = norm.params.weight?.data;
  const beta = norm.params.bias?.data;
  const invStd = norm.workspace.invStd.data;
  const eps = floatAttr(norm.attrs, 'eps');
  for (let c = 0; c < mean.length; c++) {
    const inv = Math.fround(1 / Math.sqrt(variance[c] + eps));
    invStd[c] = inv;
    table[4 * c] = mean[c];
    table[4 * c + 1] = inv;
    table[4 * c + 2] = gamma ? gamma[c] : 1;
    table[4 * c + 3] = beta ? beta[c] : 0;
  }
}
