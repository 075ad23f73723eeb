/// <reference types="@webgpu/types" />
/**
 * MultiHeadAttention on the GPU, as `core/ops/multi-head-attention.ts` (`nn.MultiheadAttention`
 * with batch_first, self-attention, the causal mask optional), step for step of the op file's
 * forward and backward, with its workspace names:
 * - `qkv = x·W_inᵀ + b_in` (one GEMM, the bias broadcast), then q (scaled by 1/√d), k and v copied
 *   head-major `[N, H, T, d]`;
 * - per (sample, head), as one batched GEMM each: `S = q·kᵀ` into `probs`, its rows softmaxed in
 *   place (the max subtracted; causal: the entries right of the diagonal 0), `o = P·v`;
 * - the heads back token-major, `y = attn·W_outᵀ + b_out`.
 * Backward: `dW_out`, `db_out`, `dAttn = dy·W_out` (into `attn`, no longer needed), `dO` head-major,
 * `dP = dO·vᵀ`, `dv = Pᵀ·dO`, the softmax backward `dS = P ∘ (dP − rowsum(P ∘ dP))` in place,
 * `dq̃ = dS·k`, `dk = dSᵀ·q̃`, the three back token-major into `qkv` (dq scaled by 1/√d), then
 * `dW_in`, `db_in` and `dx += dqkv·W_in`. Everything is recorded in the step's submission; sizes
 * are uniforms, the GEMMs the shared tiled kernel (`gemm.ts`), batched over N·H.
 *
 * NOTE: the op file exponentiates and sums a row in float64; here in float32. The max is subtracted
 * first in both, so the difference is a few roundings of values in (0, 1].
 */
import { dimsOf, type Dims } from '../../ops/multi-head-attention';
import { boolAttr } from '../../ops/shape-util';
import { GpuError, gpuView, type GpuContext, type GpuTensor } from '../context';
import { prepareGemm, prepareWeightGradient, type GpuDispatch } from '../gemm';
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import { biasAdd, biasGrad } from './linear';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params {
  total: u32, t: u32, d: u32, h: u32,
  e: u32, stride: u32, part: u32, rowStride: u32,
  a: u32, b: u32, mode: u32, scale: f32,
}`;

// One invocation per head-major value (b, head, s, j): a = token-major offset, b = head-major offset.
// mode 0: heads = tokens·scale; 1: tokens = heads·scale.
const HEADS = kernel1d(
  PARAMS,
  [
    ['TOK', 'read_write'],
    ['HM', 'read_write'],
  ],
  `  let j = i % P.d;
  let s = (i / P.d) % P.t;
  let bh = i / (P.d * P.t);
  let head = bh % P.h;
  let b = bh / P.h;
  let at = P.a + (b * P.t + s) * P.stride + P.part * P.e + head * P.d + j;
  if (P.mode == 0u) { HM[P.b + i] = TOK[at] * P.scale; } else { TOK[at] = HM[P.b + i] * P.scale; }
`,
);

// One invocation per row of `probs` (N·H·T rows of T): softmax in place; mode 1: causal.
const SOFTMAX = kernel1d(
  PARAMS,
  [['SP', 'read_write']],
  `  let o = P.a + i * P.t;
  let last = select(P.t - 1u, i % P.t, P.mode == 1u);
  var m = -3.4028234e38;
  for (var j = 0u; j <= last; j = j + 1u) { m = max(m, SP[o + j]); }
  var sum = 0.0;
  for (var j = 0u; j <= last; j = j + 1u) {
    let v = exp(SP[o + j] - m);
    SP[o + j] = v;
    sum = sum + v;
  }
  for (var j = 0u; j <= last; j = j + 1u) { SP[o + j] = SP[o + j] / sum; }
  for (var j = last + 1u; j < P.t; j = j + 1u) { SP[o + j] = 0.0; }
`,
);

// One invocation per row: dS = P ∘ (dP − Σ_j P·dP), in place in DP; a = probs, b = dp.
const SOFTMAX_BACKWARD = kernel1d(
  PARAMS,
  [
    ['PR', 'read'],
    ['DP', 'read_write'],
  ],
  `  let o = i * P.t;
  var s = 0.0;
  for (var j = 0u; j < P.t; j = j + 1u) { s = s + PR[P.a + o + j] * DP[P.b + o + j]; }
  for (var j = 0u; j < P.t; j = j + 1u) { DP[P.b + o + j] = PR[P.a + o + j] * (DP[P.b + o + j] - s); }
`,
);

export const attentionKernel: GpuOpKernel = {
  prepare({ ctx, nodeId, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs, workspace }) {
    const dm = dimsOf(inputShapes[0], attrs);
    const { n, t, e, h, d } = dm;
    const causal = boolAttr(attrs, 'causal');
    const rows = n * t;
    const size = n * t * e;
    const x = inputs[0];
    const wIn = params.in_proj_weight;
    const wOut = params.out_proj_weight;
    if (!wIn || !wOut) throw new GpuError('E_GPU_BAD_ARGS', `MultiHeadAttention ${nodeId}: no projection weights on the device.`);
    const qkv = workspace('qkv', rows * 3 * e);
    const hd = workspace('qkvHeads', 3 * size);
    const probs = workspace('probs', n * h * t * t);
    const oh = workspace('oHeads', size);
    const attn = workspace('attn', size);
    const part = (tensor: GpuTensor, at: number, length: number) => gpuView(tensor, at, length);
    const q = part(hd, 0, size);
    const k = part(hd, size, size);
    const v = part(hd, 2 * size, size);
    const batched = { batch: n * h };

    const forward: GpuDispatch[] = [prepareGemm(ctx, { transA: false, transB: true, m: rows, n: 3 * e, k: e, a: x, b: wIn, c: qkv, accumulate: false })];
    if (params.in_proj_bias) forward.push(biasAdd(ctx, params.in_proj_bias, qkv, rows, 3 * e));
    forward.push(
      headsCopy(ctx, qkv, q, dm, 3 * e, 0, 0, 1 / Math.sqrt(d)),
      headsCopy(ctx, qkv, k, dm, 3 * e, 1, 0, 1),
      headsCopy(ctx, qkv, v, dm, 3 * e, 2, 0, 1),
      prepareGemm(ctx, { transA: false, transB: true, m: t, n: t, k: d, a: q, b: k, c: probs, accumulate: false, ...batched, strideA: t * d, strideB: t * d, strideC: t * t }),
      rowKernel(ctx, 'attention:softmax', SOFTMAX, [probs], n * h * t, t, [probs.offset, 0], causal ? 1 : 0),
      prepareGemm(ctx, { transA: false, transB: false, m: t, n: d, k: t, a: probs, b: v, c: oh, accumulate: false, ...batched, strideA: t * t, strideB: t * d, strideC: t * d }),
      headsCopy(ctx, attn, oh, dm, e, 0, 1, 1),
      prepareGemm(ctx, { transA: false, transB: true, m: rows, n: e, k: e, a: attn, b: wOut, c: output, accumulate: false }),
    );
    if (params.out_proj_bias) forward.push(biasAdd(ctx, params.out_proj_bias, output, rows, e));

    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dh = workspace('dqkvHeads', 3 * size);
      const dp = workspace('dp', n * h * t * t);
      const dq = part(dh, 0, size);
      const dk = part(dh, size, size);
      const dv = part(dh, 2 * size, size);
      backward.push(...prepareWeightGradient(ctx, { m: e, n: e, k: rows, a: dOutput, b: attn, c: dParams.out_proj_weight }));
      if (dParams.out_proj_bias) backward.push(...biasGrad(ctx, dOutput, dParams.out_proj_bias, rows, e));
      backward.push(
        // dAttn = dy·W_out, into attn (read for dW_out just before), then head-major into oHeads.
        prepareGemm(ctx, { transA: false, transB: false, m: rows, n: e, k: e, a: dOutput, b: wOut, c: attn, accumulate: false }),
        headsCopy(ctx, attn, oh, dm, e, 0, 0, 1),
        prepareGemm(ctx, { transA: false, transB: true, m: t, n: t, k: d, a: oh, b: v, c: dp, accumulate: false, ...batched, strideA: t * d, strideB: t * d, strideC: t * t }),
        prepareGemm(ctx, { transA: true, transB: false, m: t, n: d, k: t, a: probs, b: oh, c: dv, accumulate: false, ...batched, strideA: t * t, strideB: t * d, strideC: t * d }),
        rowKernel(ctx, 'attention:softmax-backward', SOFTMAX_BACKWARD, [probs, dp], n * h * t, t, [probs.offset, dp.offset], 0),
        prepareGemm(ctx, { transA: false, transB: false, m: t, n: d, k: t, a: dp, b: k, c: dq, accumulate: false, ...batched, strideA: t * t, strideB: t * d, strideC: t * d }),
        prepareGemm(ctx, { transA: true, transB: false, m: t, n: d, k: t, a: dp, b: q, c: dk, accumulate: false, ...batched, strideA: t * t, strideB: t * d, strideC: t * d }),
        headsCopy(ctx, qkv, dq, dm, 3 * e, 0, 1, 1 / Math.sqrt(d)),
        headsCopy(ctx, qkv, dk, dm, 3 * e, 1, 1, 1),
        headsCopy(ctx, qkv, dv, dm, 3 * e, 2, 1, 1),
        ...prepareWeightGradient(ctx, { m: 3 * e, n: e, k: rows, a: qkv, b: x, c: dParams.in_proj_weight }),
      );
      if (dParams.in_proj_bias) backward.push(...biasGrad(ctx, qkv, dParams.in_proj_bias, rows, 3 * e));
      const dx = dInputs[0];
      if (dx) backward.push(prepareGemm(ctx, { transA: false, transB: false, m: rows, n: e, k: 3 * e, a: qkv, b: wIn, c: dx, accumulate: true }));
    }
    return { forward, backward };
  },
};

/** The token-major `[N, T, stride]` block `part` (q, k, v) ↔ head-major `[N, H, T, d]`, scaled; `mode` 0 to the heads, 1 back. */
function headsCopy(ctx: GpuContext, tokens: GpuTensor, hm: GpuTensor, dm: Dims, stride: number, part: number, mode: number, scale: number): GpuDispatch {
  const { workgroups, rowStride } = grid1d(ctx, hm.length);
  return bindDispatch(
    ctx,
    'attention:heads',
    () => HEADS,
    [tokens.buffer, hm.buffer],
    words([hm.length, dm.t, dm.d, dm.h, dm.e, stride, part, rowStride, tokens.offset, hm.offset, mode], { 11: scale }),
    workgroups,
  );
}

/** A kernel with one invocation per row of `t` values; `at` the offsets `a`, `b`. */
function rowKernel(ctx: GpuContext, key: string, source: string, tensors: GpuTensor[], rows: number, t: number, at: [number, number], mode: number): GpuDispatch {
  const { workgroups, rowStride } = grid1d(ctx, rows);
  return bindDispatch(ctx, key, () => source, tensors.map((x) => x.buffer), words([rows, t, 0, 0, 0, 0, 0, rowStride, at[0], at[1], mode], { 11: 1 }), workgroups);
}
