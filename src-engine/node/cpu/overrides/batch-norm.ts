import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { floatAttr } from '../../../core/ops/shape-util';
import type { OpBackwardContext, OpForwardContext } from '../../../core/ops/types';
import type { CpuContext } from '../context';
import { KIND, partsFor } from '../functions';
import { BATCH_NORM } from '../generated/kernel-table';

function dims(shape: readonly number[]): [number, number, number] {
  let inner = 1;
  for (let i = 2; i < shape.length; i++) inner *= shape[i];
  return [shape[0], shape[1], inner];
}

/**
 * The op after a BatchNorm run with it (fusions/batch-norm-relu.ts): 1, a ReLU, whose output and
 * dOutput `ctx` holds; 2, a ReLU then a 2×2, stride-2 MaxPool2d of [H, W] planes (`ctx`: the
 * pool's, with its argmax workspace); 3, a HardSwish (`ctx`: its; forward alone, in eval mode).
 */
export interface BatchNormTail {
  mode: 1 | 2 | 3;
  ctx: OpBackwardContext;
  H: number;
  W: number;
}

/**
 * BatchNorm's kernels with channels split across threads, alone or with a ReLU (and a pool) after
 * it (`tail`). Same maths and workspace (x̂, 1/σ) as the op file; statistics are summed in float64
 * as there. An eval-mode forward of BatchNorm alone (running statistics: a frozen backbone's)
 * writes y alone, at copy speed; x̂, which only its backward reads, is written by that backward
 * first (`ensureXhat`: x is still there, as for every node with a backward). A fused chain's keeps
 * x̂: its interior outputs are materialised from x̂ when read, and in a frozen prefix x's storage
 * may have been handed to a later node by then (`shareFrozenActivations`).
 *
 * NOTE: x̂ and y are computed in float32 from the float32-rounded mean and 1/σ (the op file keeps
 * them in float64 until the store), a difference of a few ulps.
 */
export function batchNormKernels(cpu: CpuContext) {
  const forward = cpu.kernel('bnForward', { range: ['c0', 'c1'], perThread: { scratch: KIND.a } });
  const backward = cpu.kernel('bnBackward', { range: ['c0', 'c1'], perThread: { tmp: KIND.a } });
  /** The tail's output: the ReLU's (as large as x) or the pool's (a quarter). */
  const tailLength = (len: number, tail?: BatchNormTail) => (tail?.mode === 2 ? len / 4 : len);
  /** Workspaces whose x̂ an eval-mode forward left unwritten. */
  const staleXhat = new WeakSet<Float32Array>();

  /** bnForward over `ctx` into `out` (BatchNorm's output, or the tail's), x̂ too where `keepXhat`. */
  function run(ctx: OpForwardContext, out: OpForwardContext, keepXhat: boolean, tail?: BatchNormTail): void {
    const x = ctx.inputs[0];
    const [n, c, inner] = dims(x.shape);
    const len = n * c * inner;
    cpu.setThreadValues(KIND.a, cpu.threadScratch(64 + 32 * c + inner * 4));
    try {
      const xa = cpu.addressOf(x.data, len, 'BatchNorm input', true, false);
      const ya = cpu.addressOf(out.output.data, tailLength(len, tail), 'BatchNorm output', false, true);
      const xh = keepXhat ? cpu.addressOf(ctx.workspace.xhat.data, len, 'BatchNorm xhat', false, true) : 0;
      const inv = cpu.addressOf(ctx.workspace.invStd.data, c, 'BatchNorm invStd', false, true);
      const g = ctx.params.weight ? cpu.addressOf(ctx.params.weight.data, c, 'BatchNorm weight', true, false) : 0;
      const b = ctx.params.bias ? cpu.addressOf(ctx.params.bias.data, c, 'BatchNorm bias', true, false) : 0;
      const rm = cpu.addressOf(ctx.buffers.runningMean.data, c, 'BatchNorm runningMean', true, true);
      const rv = cpu.addressOf(ctx.buffers.runningVar.data, c, 'BatchNorm runningVar', true, true);
      const arg = tail?.mode === 2 ? cpu.addressOf(tail.ctx.workspace.argmax.data, len / 4, 'MaxPool2d argmax', false, true) : 0;
      const eps = floatAttr(ctx.attrs, 'eps');
      const momentum = floatAttr(ctx.attrs, 'momentum');
      const training = ctx.training ? 1 : 0;
      forward.run(
        { x: xa, y: ya, xhat: xh, invStd: inv, gamma: g, beta: b, rm, rv, n, c, inner, c0: 0, c1: c, training, eps, momentum, mode: tail?.mode ?? 0, H: tail?.H ?? 0, W: tail?.W ?? 0, arg },
        partsFor(len, cpu.threads, c),
      );
    } finally {
      cpu.unstage();
    }
  }

  /**
   * x̂ for a backward after an eval-mode forward of BatchNorm alone: that forward again with x̂
   * kept, into BatchNorm's output (the values it holds). The running statistics it reads are those
   * the forward read: eval mode does not update them.
   */
  function ensureXhat(ctx: OpForwardContext): void {
    if (!staleXhat.has(ctx.workspace.xhat.data)) return;
    run({ ...ctx, training: false }, ctx, true);
    staleXhat.delete(ctx.workspace.xhat.data);
  }

  return {
    forward(ctx: OpForwardContext, tail?: BatchNormTail): void {
      const keepXhat = ctx.training || tail !== undefined;
      if (keepXhat) staleXhat.delete(ctx.workspace.xhat.data);
      else staleXhat.add(ctx.workspace.xhat.data);
      run(ctx, tail?.ctx ?? ctx, keepXhat, tail);
    },
    backward(ctx: OpBackwardContext, tail?: BatchNormTail): void {
      ensureXhat(ctx);
      const x = ctx.inputs[0];
      const [n, c, inner] = dims(x.shape);
      const len = n * c * inner;
      const dxT = ctx.dInputs[0];
      const parts = partsFor(len, cpu.threads, c);
      // the channel table, then (a fused ReLU) a block's planes of its rebuilt gradient
      const kept = tail?.mode === 1 ? Math.max(BATCH_NORM.BLOCK_BYTES, n * inner * 4) : 0;
      cpu.setThreadValues(KIND.a, cpu.threadScratch(64 + 32 * c + kept));
      try {
        const last = tail?.ctx ?? ctx;
        const outLen = tailLength(len, tail);
        const dy = cpu.addressOf(last.dOutput.data, outLen, 'BatchNorm dOutput', true, false);
        const y = tail ? cpu.addressOf(last.output.data, outLen, 'BatchNorm output', true, false) : 0;
        const arg = tail?.mode === 2 ? cpu.addressOf(tail.ctx.workspace.argmax.data, outLen, 'MaxPool2d argmax', true, false) : 0;
        const xh = cpu.addressOf(ctx.workspace.xhat.data, len, 'BatchNorm xhat', true, false);
        const inv = cpu.addressOf(ctx.workspace.invStd.data, c, 'BatchNorm invStd', true, false);
        const g = ctx.params.weight ? cpu.addressOf(ctx.params.weight.data, c, 'BatchNorm weight', true, false) : 0;
        const dg = ctx.dParams.weight ? cpu.addressOf(ctx.dParams.weight.data, c, 'BatchNorm dWeight', true, true) : 0;
        const db = ctx.dParams.bias ? cpu.addressOf(ctx.dParams.bias.data, c, 'BatchNorm dBias', true, true) : 0;
        const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
        const dx = dxT ? cpu.addressOf(dxT.data, len, 'BatchNorm dInput', !assign, true) : 0;
        const training = ctx.training ? 1 : 0;
        backward.run(
          { dy, xhat: xh, invStd: inv, gamma: g, dGamma: dg, dBeta: db, dx, n, c, inner, c0: 0, c1: c, training, assign, mode: tail?.mode ?? 0, y, H: tail?.H ?? 0, W: tail?.W ?? 0, arg },
          parts,
        );
      } finally {
        cpu.unstage();
      }
    },
  };
}

/** What batchNormKernels returns. */
export type BatchNormKernels = ReturnType<typeof batchNormKernels>;

/** BatchNorm alone (see batchNormKernels). */
export function batchNormOverride(cpu: CpuContext): OpKernelOverride {
  const k = batchNormKernels(cpu);
  return { assignsFreshGradients: true, forward: (ctx) => k.forward(ctx), backward: (ctx) => k.backward(ctx) };
}
