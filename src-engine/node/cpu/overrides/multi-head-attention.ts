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
/** Where item (sample, head) starts in each operand, in bytes. */
type Offsets = Pick<Batched, 'aOuter' | 'aInner' | 'bOuter' | 'bInner' | 'cOuter' | 'cInner'>;

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
 * With a causal mask the six products are attention.wat's (`causalProducts`): only the triangle
 * the mask keeps, the same bits.
 *
 * NOTE: the scores are q·kᵀ scaled after the product (the op file scales q first), and the softmax
 * is Softmax's float32 kernel (the op file's is float64): float32 rounding only.
 */
export function multiHeadAttentionOverride(cpu: CpuContext): OpKernelOverride {
  const gemmBatched = cpu.kernel('gemmBatched', { range: ['i0', 'i1'], perThread: { scratch: KIND.gemmScratch } });
  const scale = cpu.kernel('scaleInPlace', { range: ['i0', 'i1'], align: 4 });
  const softmaxRows = cpu.kernel('softmaxRows', { range: ['r0', 'r1'] });
  const softmaxBackwardRows = cpu.kernel('softmaxBackwardRows', { range: ['r0', 'r1'] });
  const { project, biasGrad } = linearRows(cpu);
  const scoresKernel = cpu.kernel('attentionScores', { range: ['i0', 'i1'], perThread: { scratch: KIND.gemmScratch } });
  const applyKernel = cpu.kernel('attentionApply', { range: ['i0', 'i1'] });

  /**
   * The products when the mask is causal: `attentionScores` (q·kᵀ scaled by s, dO·vᵀ: the
   * lower triangle, zeros above) and `attentionApply` (P·v, dS·k: each row over the keys up to
   * its query; Pᵀ·dO, dSᵀ·q, `transposed`: each key's row over the queries from it on): half of
   * `gemmBatched`'s work, each sum over the same terms in the same order but for masked zeros, so
   * the same bits. Null where they do not apply (no mask; t or d not a multiple of 4; kᵀ, t·d
   * floats, not fitting a thread's GEMM scratch).
   */
  function causalProducts(dm: Dims, causal: boolean) {
    const { n, t, h, d } = dm;
    if (!causal || t % 4 !== 0 || d % 4 !== 0 || t * d * 4 > GEMM.SCRATCH_BYTES) return null;
    const items = n * h;
    const parts = Math.min(items, MAX_TASKS, partsFor((items * t * t * d) / 2, cpu.threads, items));
    return {
      scores(a: number, lda: number, b: number, ldb: number, c: number, s: number, zero: boolean, at: Offsets): void {
        scoresKernel.run({ a, lda, b, ldb, c, t, d, s, zero: zero ? 1 : 0, inner: h, ...at, i0: 0, i1: items }, parts);
      },
      apply(a: number, transposed: boolean, b: number, ldb: number, c: number, ldc: number, at: Offsets): void {
        applyKernel.run({ a, ars: transposed ? 1 : t, acs: transposed ? t : 1, b, ldb, c, ldc, t, n: d, upper: transposed ? 1 : 0, inner: h, ...at, i0: 0, i1: items }, parts);
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
        if (causal) causal.scores(qkv, 3 * e, qkv + e * 4, 3 * e, probs, 1 / Math.sqrt(d), false, qk);
        else {
          batched({ transA: 0, transB: 1, m: t, n: t, k: d, a: qkv, lda: 3 * e, b: qkv + e * 4, ldb: 3 * e, c: probs, ldc: t, ...qk }, dm);
          scale.run({ p: probs, s: 1 / Math.sqrt(d), i0: 0, i1: n * h * t * t }, partsFor(n * h * t * t, cpu.threads));
        }
        softmaxRows.run({ x: probs, y: probs, r0: 0, r1: n * h * t, len: t, stats: 0, causal: boolAttr(ctx.attrs, 'causal') ? 1 : 0 }, partsFor(n * h * t * t, cpu.threads, n * h * t, 8));
        // o = P·v, each head's d columns of attn.
        if (causal) causal.apply(probs, false, qkv + 2 * e * 4, 3 * e, attn, e, pv);
        else batched({ transA: 0, transB: 0, m: t, n: d, k: t, a: probs, lda: t, b: qkv + 2 * e * 4, ldb: 3 * e, c: attn, ldc: e, ...pv }, dm);
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
      ctx.backend.gemm({ transA: true, transB: false, m: e, n: e, k: rows, a: dy, b: ws.attn.data, c: ctx.dParams.out_proj_weight.data, accumulate: true });
      biasGrad(dy, ctx.dParams.out_proj_bias?.data, rows, e, 'MultiHeadAttention');
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
        // dP = dO·vᵀ; dv = Pᵀ·dO.
        const dp = { aOuter: s.tokenSample, aInner: s.head, bOuter: s.qkvSample, bInner: s.head, cOuter: h * s.square, cInner: s.square };
        const dv = { ...square, bOuter: s.tokenSample, bInner: s.head, cOuter: s.qkvSample, cInner: s.head };
        const dqk = { ...square, bOuter: s.qkvSample, bInner: s.head, cOuter: s.qkvSample, cInner: s.head };
        if (causal) {
          // dP's masked entries set to 0 (P is 0 there, so dS too).
          causal.scores(dO, e, qkv + 2 * e * 4, 3 * e, dS, 1, true, dp);
          causal.apply(probs, true, dO, e, dqkv + 2 * e * 4, 3 * e, dv);
        } else {
          batched({ transA: 0, transB: 1, m: t, n: t, k: d, a: dO, lda: e, b: qkv + 2 * e * 4, ldb: 3 * e, c: dS, ldc: t, ...dp }, dm);
          batched({ transA: 1, transB: 0, m: t, n: d, k: t, a: probs, lda: t, b: dO, ldb: e, c: dqkv + 2 * e * 4, ldc: 3 * e, ...dv }, dm);
        }
        // dS = P ∘ (dP − rowsum(P ∘ dP)) (0 where masked: P = 0 there), times 1/√d: the gradient of
        // q·kᵀ, so dq = dS·k and dk = dSᵀ·q with q unscaled. With the causal products each row
        // stops at its query's keys (the rest 0), which are all they read.
        const dsRows = { r0: 0, r1: n * h * t, len: t, assign: 1, sc: 1 / Math.sqrt(d), causal: causal ? 1 : 0 };
        softmaxBackwardRows.run({ y: probs, dy: dS, dx: dS, ...dsRows }, partsFor(n * h * t * t, cpu.threads, n * h * t, 2));
        if (causal) {
          causal.apply(dS, false, qkv + e * 4, 3 * e, dqkv, 3 * e, dqk);
          causal.apply(dS, true, qkv, 3 * e, dqkv + e * 4, 3 * e, dqk);
        } else {
          batched({ transA: 0, transB: 0, m: t, n: d, k: t, a: dS, lda: t, b: qkv + e * 4, ldb: 3 * e, c: dqkv, ldc: 3 * e, ...dqk }, dm);
          batched({ transA: 1, transB: 0, m: t, n: d, k: t, a: dS, lda: t, b: qkv, ldb: 3 * e, c: dqkv + e * 4, ldc: 3 * e, ...dqk }, dm);
        }
      } finally {
        cpu.unstage();
      }
      // qkv = x·W_inᵀ + b_in: its weight and input gradients in one parallel round (as Linear's).
      const x = ctx.inputs[0].data;
      const dW: GemmArgs = { transA: true, transB: false, m: 3 * e, n: e, k: rows, a: dqkvT, b: x, c: ctx.dParams.in_proj_weight.data, accumulate: true };
      const dx = ctx.dInputs[0];
      if (dx) cpu.gemmMany([{ transA: false, transB: false, m: rows, n: e, k: 3 * e, a: dqkvT, b: ctx.params.in_proj_weight.data, c: dx.data, accumulate: !ctx.dInputsFresh?.[0] }, dW]);
      else ctx.backend.gemm(dW);
      biasGrad(dqkvT, ctx.dParams.in_proj_bias?.data, rows, 3 * e, 'MultiHeadAttention');
    },
  };
}
