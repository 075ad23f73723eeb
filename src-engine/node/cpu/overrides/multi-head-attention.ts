import type { GemmArgs } from '../../../core/backend/types';
import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { dimsOf, type Dims } from '../../../core/ops/multi-head-attention';
import { boolAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { KIND, partsFor } from '../functions';
import { GEMM, type KernelArgs } from '../generated/kernel-table';
import { MAX_TASKS } from '../pool';
import { linearRows } from './linear';

/** One batched product of the attention core: its shape and, per operand, where item (sample, head) starts. */
type Batched = Omit<KernelArgs['gemmBatched'], 'i0' | 'i1' | 'inner' | 'accumulate' | 'scratch'>;

/**
 * MultiHeadAttention with its per-(sample, head) products batched: the op file runs each head's
 * two forward and four backward GEMMs one call at a time from JavaScript (the tiny GPT: 512 calls
 * forward, 1,024 backward, each 64×64×16) and its softmax, mask and head-layout copies in
 * JavaScript. Here each product is one `gemmBatched` round split across threads by (sample, head),
 * reading q, k, v and writing the heads' outputs and gradients in place in the token-major
 * `[N, T, 3E]` / `[N, T, E]` arrays (no head-major copies); the scores are scaled, then softmaxed
 * by Softmax's kernels (`causal`: each row's first steps only); the projections are Linear's (bias rows
 * filled, then the GEMM accumulates; bias gradients by `colSums`).
 *
 * Workspace, as the op file's: `qkv` the projection, `probs` softmax(q·kᵀ/√d) (the attention-map
 * probe's), `attn` the heads' outputs token-major (in backward their gradient); `qkvHeads` holds
 * the gradient of `qkv` in backward. `oHeads` and `dqkvHeads` are unused (no head-major copies).
 *
 * With a causal mask the core is attention.wat's (`causalProducts`): only the triangle the mask
 * keeps, each (sample, head) whole in one round, the same bits.
 *
 * NOTE: the scores are q·kᵀ scaled after the product (the op file scales q first), and the softmax
 * is Softmax's float32 kernel (the op file's is float64): float32 rounding only.
 */
export function multiHeadAttentionOverride(cpu: CpuContext): OpKernelOverride {
  const gemmBatched = cpu.kernel('gemmBatched', { range: ['i0', 'i1'], perThread: { scratch: KIND.gemmScratch } });
  const scale = cpu.kernel('scaleInPlace', { range: ['i0', 'i1'], align: 4 });
  const softmaxRows = cpu.kernel('softmaxRows', { range: ['r0', 'r1'] });
  const softmaxBackwardRows = cpu.kernel('softmaxBackwardRows', { range: ['r0', 'r1'] });
  const { project, biasGradBeside } = linearRows(cpu);
  const causalForward = cpu.kernel('attentionCausalForward', { range: ['i0', 'i1'], perThread: { scratch: KIND.gemmScratch } });
  const causalBackward = cpu.kernel('attentionCausalBackward', { range: ['i0', 'i1'], perThread: { scratch: KIND.gemmScratch } });

  /**
   * The causal core, one parallel round forward and one backward, split by (sample, head): per item
   * attention.wat's `attentionCausalForward` computes the scores' kept triangle (q·kᵀ scaled by s),
   * Softmax's causal rows and P·v; `attentionCausalBackward` dP = dO·vᵀ (zeros above the triangle),
   * dv = Pᵀ·dO, dS by Softmax's causal backward rows (1/√d folded in), dq = dS·k and dk = dSᵀ·q.
   * Each product is half of `gemmBatched`'s work, each sum over the same terms in the same order but
   * for masked zeros, and the item's steps are the calls the separate rounds made (#59), in the same
   * order: the same bits, with each item's [t, t] block still in cache and 1 round instead of 3 (5
   * backward). Null where they do not apply (no mask; t or d not a multiple of 4; kᵀ, t·d floats,
   * not fitting a thread's GEMM scratch).
   */
  function causalProducts(dm: Dims, causal: boolean) {
    const { n, t, h, d } = dm;
    if (!causal || t % 4 !== 0 || d % 4 !== 0 || t * d * 4 > GEMM.SCRATCH_BYTES) return null;
    const items = n * h;
    const parts = Math.min(items, MAX_TASKS, partsFor((items * t * t * d) / 2, cpu.threads, items));
    return {
      forward(args: Omit<KernelArgs['attentionCausalForward'], 't' | 'd' | 'inner' | 'i0' | 'i1' | 'scratch'>): void {
        causalForward.run({ ...args, t, d, inner: h, i0: 0, i1: items }, parts);
      },
      backward(args: Omit<KernelArgs['attentionCausalBackward'], 't' | 'd' | 'inner' | 'i0' | 'i1' | 'scratch'>): void {
        causalBackward.run({ ...args, t, d, inner: h, i0: 0, i1: items }, parts);
      },
    };
  }

  /** One product for every (sample, head), split across threads. */
  function batched(args: Batched, dm: Dims): void {
    const items = dm.n * dm.h;
    const parts = Math.min(items, MAX_TASKS, partsFor(items * args.m * args.n * args.k, cpu.threads, items));
    gemmBatched.run({ ...args, inner: dm.h, accumulate: 0, i0: 0, i1: items }, parts);
  }

  /** Byte strides of the token-major arrays per sample and per head. */
  function strides({ t, e, d }: Dims) {
    return { qkvSample: t * 3 * e * 4, tokenSample: t * e * 4, head: d * 4, square: t * t * 4 };
  }

  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const dm = dimsOf(ctx.inputs[0].shape, ctx.attrs);
      const { n, t, e, h, d } = dm;
      const rows = n * t;
      const ws = ctx.workspace;
      const p = ctx.params;
      project(ctx.backend, ctx.inputs[0].data, p.in_proj_weight.data, p.in_proj_bias?.data, ws.qkv.data, rows, 3 * e);
      const s = strides(dm);
      const causal = causalProducts(dm, boolAttr(ctx.attrs, 'causal'));
      try {
        const qkv = cpu.addressOf(ws.qkv.data, rows * 3 * e, 'MultiHeadAttention qkv', true, false);
        const probs = cpu.addressOf(ws.probs.data, n * h * t * t, 'MultiHeadAttention probs', false, true);
        const attn = cpu.addressOf(ws.attn.data, rows * e, 'MultiHeadAttention attn', false, true);
        // S = q·kᵀ, then ·1/√d, then the softmax (rows of t, in place; causal: the keys after each
        // query are 0): P.
        const qk = { aOuter: s.qkvSample, aInner: s.head, bOuter: s.qkvSample, bInner: s.head, cOuter: h * s.square, cInner: s.square };
        const pv = { aOuter: h * s.square, aInner: s.square, bOuter: s.qkvSample, bInner: s.head, cOuter: s.tokenSample, cInner: s.head };
        if (causal) {
          // all three per (sample, head) in one round
          causal.forward({ q: qkv, k: qkv + e * 4, v: qkv + 2 * e * 4, ldq: 3 * e, p: probs, out: attn, ldo: e, s: 1 / Math.sqrt(d), qOuter: s.qkvSample, qInner: s.head, pOuter: h * s.square, pInner: s.square, oOuter: s.tokenSample, oInner: s.head });
        } else {
          batched({ transA: 0, transB: 1, m: t, n: t, k: d, a: qkv, lda: 3 * e, b: qkv + e * 4, ldb: 3 * e, c: probs, ldc: t, ...qk }, dm);
          scale.run({ p: probs, s: 1 / Math.sqrt(d), i0: 0, i1: n * h * t * t }, partsFor(n * h * t * t, cpu.threads));
          softmaxRows.run({ x: probs, y: probs, r0: 0, r1: n * h * t, len: t, stats: 0, causal: boolAttr(ctx.attrs, 'causal') ? 1 : 0 }, partsFor(n * h * t * t, cpu.threads, n * h * t, 8));
          // o = P·v, each head's d columns of attn.
          batched({ transA: 0, transB: 0, m: t, n: d, k: t, a: probs, lda: t, b: qkv + 2 * e * 4, ldb: 3 * e, c: attn, ldc: e, ...pv }, dm);
        }
      } finally {
        cpu.unstage();
      }
      project(ctx.backend, ws.attn.data, p.out_proj_weight.data, p.out_proj_bias?.data, ctx.output.data, rows, e);
    },
    backward(ctx) {
      const dm = dimsOf(ctx.inputs[0].shape, ctx.attrs);
      const { n, t, e, h, d } = dm;
      const rows = n * t;
      const ws = ctx.workspace;
      const dy = ctx.dOutput.data;
      // y = attn·W_outᵀ + b_out; then attn holds its gradient dO.
      // (its bias gradient summed by the caller beside the weight gradient's GEMM)
      cpu.gemmMany(
        [{ transA: true, transB: false, m: e, n: e, k: rows, a: dy, b: ws.attn.data, c: ctx.dParams.out_proj_weight.data, accumulate: true }],
        biasGradBeside(dy, ctx.dParams.out_proj_bias?.data, rows, e, 'MultiHeadAttention'),
      );
      ctx.backend.gemm({ transA: false, transB: false, m: rows, n: e, k: e, a: dy, b: ctx.params.out_proj_weight.data, c: ws.attn.data, accumulate: false });
      const s = strides(dm);
      const dqkvT = ws.qkvHeads.data.subarray(0, rows * 3 * e);
      const dS = cpu.sharedScratch(n * h * t * t * 4);
      const causal = causalProducts(dm, boolAttr(ctx.attrs, 'causal'));
      try {
        const qkv = cpu.addressOf(ws.qkv.data, rows * 3 * e, 'MultiHeadAttention qkv', true, false);
        const probs = cpu.addressOf(ws.probs.data, n * h * t * t, 'MultiHeadAttention probs', true, false);
        const dO = cpu.addressOf(ws.attn.data, rows * e, 'MultiHeadAttention dO', true, false);
        const dqkv = cpu.addressOf(dqkvT, rows * 3 * e, 'MultiHeadAttention dqkv', false, true);
        const square = { aOuter: h * s.square, aInner: s.square };
        if (causal) {
          // dP (its masked entries 0: P is 0 there, so dS too), dv, dS, dq and dk per (sample, head) in one round
          causal.backward({ q: qkv, k: qkv + e * 4, v: qkv + 2 * e * 4, ldq: 3 * e, dO, ldo: e, p: probs, dS, dq: dqkv, dk: dqkv + e * 4, dv: dqkv + 2 * e * 4, sc: 1 / Math.sqrt(d), qOuter: s.qkvSample, qInner: s.head, oOuter: s.tokenSample, oInner: s.head, pOuter: h * s.square, pInner: s.square });
        } else {
          // dP = dO·vᵀ; dv = Pᵀ·dO.
          const dp = { aOuter: s.tokenSample, aInner: s.head, bOuter: s.qkvSample, bInner: s.head, cOuter: h * s.square, cInner: s.square };
          const dv = { ...square, bOuter: s.tokenSample, bInner: s.head, cOuter: s.qkvSample, cInner: s.head };
          const dqk = { ...square, bOuter: s.qkvSample, bInner: s.head, cOuter: s.qkvSample, cInner: s.head };
          batched({ transA: 0, transB: 1, m: t, n: t, k: d, a: dO, lda: e, b: qkv + 2 * e * 4, ldb: 3 * e, c: dS, ldc: t, ...dp }, dm);
          batched({ transA: 1, transB: 0, m: t, n: d, k: t, a: probs, lda: t, b: dO, ldb: e, c: dqkv + 2 * e * 4, ldc: 3 * e, ...dv }, dm);
          // dS = P ∘ (dP − rowsum(P ∘ dP)), times 1/√d: the gradient of q·kᵀ, so dq = dS·k and dk =
          // dSᵀ·q with q unscaled.
          const dsRows = { r0: 0, r1: n * h * t, len: t, assign: 1, sc: 1 / Math.sqrt(d), causal: 0 };
          softmaxBackwardRows.run({ y: probs, dy: dS, dx: dS, ...dsRows }, partsFor(n * h * t * t, cpu.threads, n * h * t, 2));
          batched({ transA: 0, transB: 0, m: t, n: d, k: t, a: dS, lda: t, b: qkv + e * 4, ldb: 3 * e, c: dqkv, ldc: 3 * e, ...dqk }, dm);
          batched({ transA: 1, transB: 0, m: t, n: d, k: t, a: dS, lda: t, b: qkv, ldb: 3 * e, c: dqkv + e * 4, ldc: 3 * e, ...dqk }, dm);
        }
      } finally {
        cpu.unstage();
      }
      // qkv = x·W_inᵀ + b_in: its weight and input gradients in one parallel round, the bias
      // gradient summed beside them (as Linear's).
      const x = ctx.inputs[0].data;
      const dW: GemmArgs = { transA: true, transB: false, m: 3 * e, n: e, k: rows, a: dqkvT, b: x, c: ctx.dParams.in_proj_weight.data, accumulate: true };
      const dx = ctx.dInputs[0];
      const dxArgs: GemmArgs[] = dx ? [{ transA: false, transB: false, m: rows, n: e, k: 3 * e, a: dqkvT, b: ctx.params.in_proj_weight.data, c: dx.data, accumulate: !ctx.dInputsFresh?.[0] }] : [];
      cpu.gemmMany([...dxArgs, dW], biasGradBeside(dqkvT, ctx.dParams.in_proj_bias?.data, rows, 3 * e, 'MultiHeadAttention'));
    },
  };
}
