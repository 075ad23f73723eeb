import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { crossEntropyLossKernel } from '../../../core/ops/kernels/cross-entropy-loss';
import { floatAttr } from '../../../core/ops/shape-util';
import type { Attrs } from '../../../core/ops/types';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';
import { fallbackBackward } from './softmax';

/** [N, C] logits without class weights: what the kernels handle; anything else runs the op file. */
function supported(shape: readonly number[], attrs: Attrs): boolean {
  const w = attrs.classWeights as readonly number[] | undefined;
  return shape.length === 2 && !(w && w.length > 0);
}

/** Whether every label is a class index in [0, classes) (else the op file throws E_LABEL_RANGE). */
function labelsValid(t: Float32Array, n: number, classes: number): boolean {
  for (let j = 0; j < n; j++) {
    const y = t[j];
    if (!(y >= 0 && y < classes && y === Math.floor(y))) return false;
  }
  return true;
}

/**
 * CrossEntropyLoss on [N, C] logits (mean reduction, label smoothing): the per-row softmax in
 * f32x4 (activations.wat `softmaxRows`, rows split across threads) writes the op file's `probs`
 * workspace and, per row, the max, Σ e^(x − max) and Σ x in float64; the loss is then summed here
 * in row order, so it does not depend on the thread count or timing. The gradient
 * g·(total·p − a) runs in f32x4 (`crossEntropyBackwardRows`).
 *
 * Class weights, extra spatial dims ([N, C, d…]) and invalid labels run the op file (which raises
 * E_LABEL_RANGE for the latter).
 */
export function crossEntropyLossOverride(cpu: CpuContext): OpKernelOverride {
  const softmaxRows = cpu.kernel('softmaxRows', { range: ['r0', 'r1'] });
  const backwardRows = cpu.kernel('crossEntropyBackwardRows', { range: ['r0', 'r1'] });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const [n, classes] = ctx.inputs[0].shape;
      const t = ctx.inputs[1].data;
      if (!supported(ctx.inputs[0].shape, ctx.attrs) || !labelsValid(t, n, classes)) return crossEntropyLossKernel.forward(ctx);
      const total = n * classes;
      const eps = floatAttr(ctx.attrs, 'labelSmoothing');
      const stats = cpu.sharedScratch(24 * n);
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, total, 'CrossEntropyLoss logits', true, false);
        const p = cpu.addressOf(ctx.workspace.probs.data, total, 'CrossEntropyLoss probabilities', false, true);
        softmaxRows.run({ x, y: p, r0: 0, r1: n, len: classes, stats, causal: 0 }, partsFor(total, cpu.threads, n, 8));
      } finally {
        cpu.unstage();
      }
      const s = new Float64Array(cpu.heap.memory.buffer, stats, 3 * n);
      const logits = ctx.inputs[0].data;
      let nll = 0;
      let smooth = 0;
      for (let r = 0; r < n; r++) {
        // NOTE: log p_y = x_y − lse with lse = max + log Σ e^(x − max): no log(0) once p underflows.
        const lse = s[3 * r] + Math.log(s[3 * r + 1]);
        nll -= logits[r * classes + t[r]] - lse;
        if (eps > 0) smooth -= s[3 * r + 2] - classes * lse;
      }
      ctx.output.data[0] = ((1 - eps) * nll + (eps / classes) * smooth) / n;
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      const dtT = ctx.dInputs[1];
      if (dtT && ctx.dInputsFresh?.[1]) dtT.data.fill(0); // labels get no gradient (the op file leaves it)
      if (!dxT) return;
      const [n, classes] = ctx.inputs[0].shape;
      const t = ctx.inputs[1].data;
      if (!supported(ctx.inputs[0].shape, ctx.attrs) || !labelsValid(t, n, classes)) {
        return fallbackBackward(crossEntropyLossKernel.backward!, { ...ctx, dInputsFresh: ctx.dInputsFresh?.map((f, i) => f && i === 0) });
      }
      const total = n * classes;
      const eps = floatAttr(ctx.attrs, 'labelSmoothing');
      const share = eps / classes;
      const g = ctx.dOutput.data[0] / n;
      const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
      try {
        const p = cpu.addressOf(ctx.workspace.probs.data, total, 'CrossEntropyLoss probabilities', true, false);
        const ta = cpu.addressOf(t, n, 'CrossEntropyLoss target', true, false);
        const dx = cpu.addressOf(dxT.data, total, 'CrossEntropyLoss dLogits', !assign, true);
        const sum = 1 - eps + share * classes;
        backwardRows.run(
          { pr: p, t: ta, dx, r0: 0, r1: n, len: classes, g, total: sum, aHit: 1 - eps + share, aMiss: share, assign },
          partsFor(total, cpu.threads, n, 2),
        );
      } finally {
        cpu.unstage();
      }
    },
  };
}
