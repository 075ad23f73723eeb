import { crossEntropyLossKernel } from './cross-entropy-loss';
import type { OpBackwardContext, OpForwardContext } from '../types';
import { tokenCrossEntropyLoss } from '../token-cross-entropy-loss';
import { defineKernel } from './kernel';

/**
 * The context with logits `[N, T, V]` seen as `N·T` rows of `V` classes and targets `[N, T]` as
 * `N·T` labels: CrossEntropyLoss's own kernel then computes the token-level loss (a backend with a
 * CrossEntropyLoss kernel runs it the same way: node/cpu/overrides/index.ts).
 */
export function asRows<C extends OpForwardContext>(ctx: C): C {
  const [logits, target] = ctx.inputs;
  const v = logits.shape.at(-1)!;
  const rows = logits.data.length / v;
  const probs = ctx.workspace.probs;
  return {
    ...ctx,
    inputs: [{ shape: [rows, v], data: logits.data }, { shape: [rows], data: target.data }],
    workspace: { probs: { shape: [rows, v], data: probs.data } },
  };
}

/** TokenCrossEntropyLoss's reference kernels (the op's declaration: ops/token-cross-entropy-loss.ts). */
export const tokenCrossEntropyLossKernel = defineKernel(tokenCrossEntropyLoss, {
  forward(ctx) {
    crossEntropyLossKernel.forward(asRows(ctx));
  },
  backward(ctx) {
    crossEntropyLossKernel.backward!(asRows<OpBackwardContext>(ctx));
  },
});
