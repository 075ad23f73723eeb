import type { BackendPrimitives } from '../../backend/primitives';
import { boolAttr } from '../shape-util';
import { multiHeadAttention, type Dims, dimsOf, heads } from '../multi-head-attention';
import { defineKernel } from './kernel';

/** Rows of `p` (`rows × cols`) softmaxed in place; with `causal`, entries right of the diagonal are 0. */
function softmaxRows(p: Float32Array, rows: number, cols: number, causal: boolean): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const last = causal ? i : cols - 1;
    // NOTE: the max is subtracted before exp so that large scores do not overflow.
    let m = -Infinity;
    for (let j = 0; j <= last; j++) m = Math.max(m, p[o + j]);
    let s = 0;
    for (let j = 0; j <= last; j++) {
      const v = Math.exp(p[o + j] - m);
      p[o + j] = v;
      s += v;
    }
    for (let j = 0; j <= last; j++) p[o + j] /= s;
    for (let j = last + 1; j < cols; j++) p[o + j] = 0;
  }
}

function addRows(y: Float32Array, bias: Float32Array | undefined, rows: number, cols: number): void {
  if (!bias) return;
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) y[r * cols + j] += bias[j];
}

function colSums(into: Float32Array | undefined, m: Float32Array, rows: number, cols: number): void {
  if (!into) return;
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) into[j] += m[r * cols + j];
}

const view = (a: Float32Array, at: number, length: number) => a.subarray(at, at + length);

/** The per-(sample, head) products of the attention core: `fn(qOff, kvOff, pOff)` for each. */
function eachHead({ n, h, t, d }: Dims, fn: (qkv: number, p: number) => void): void {
  for (let bh = 0; bh < n * h; bh++) fn(bh * t * d, bh * t * t);
}

/**
 * Self-attention forward through the backend's GEMM: `qkv = x·W_inᵀ + b_in`, per sample and head
 * `P = softmax(q·kᵀ/√d)` (causal: future keys masked), `o = P·v`, heads concatenated, then
 * `y = o·W_outᵀ + b_out`.
 */
function attentionForward(x: Float32Array, y: Float32Array, p: Readonly<Record<string, { data: Float32Array }>>, ws: Readonly<Record<string, { data: Float32Array }>>, dm: Dims, causal: boolean, backend: BackendPrimitives): void {
  const { n, t, e, d } = dm;
  const rows = n * t;
  const qkv = ws.qkv.data;
  const hd = ws.qkvHeads.data;
  const size = n * t * e;
  backend.gemm({ transA: false, transB: true, m: rows, n: 3 * e, k: e, a: x, b: p.in_proj_weight.data, c: qkv, accumulate: false });
  addRows(qkv, p.in_proj_bias?.data, rows, 3 * e);
  heads(qkv, 3 * e, 0, view(hd, 0, size), dm, true, 1 / Math.sqrt(d));
  heads(qkv, 3 * e, 1, view(hd, size, size), dm, true);
  heads(qkv, 3 * e, 2, view(hd, 2 * size, size), dm, true);
  const probs = ws.probs.data;
  const o = ws.oHeads.data;
  eachHead(dm, (at, pAt) => {
    const pp = view(probs, pAt, t * t);
    backend.gemm({ transA: false, transB: true, m: t, n: t, k: d, a: view(hd, at, t * d), b: view(hd, size + at, t * d), c: pp, accumulate: false });
    softmaxRows(pp, t, t, causal);
    backend.gemm({ transA: false, transB: false, m: t, n: d, k: t, a: pp, b: view(hd, 2 * size + at, t * d), c: view(o, at, t * d), accumulate: false });
  });
  const attn = ws.attn.data;
  heads(attn, e, 0, o, dm, false);
  backend.gemm({ transA: false, transB: true, m: rows, n: e, k: e, a: attn, b: p.out_proj_weight.data, c: y, accumulate: false });
  addRows(y, p.out_proj_bias?.data, rows, e);
}

/** MultiHeadAttention's reference kernels (the op's declaration: ops/multi-head-attention.ts). */
export const multiHeadAttentionKernel = defineKernel(multiHeadAttention, {
  forward({ inputs, output, params, workspace, attrs, backend }) {
    attentionForward(inputs[0].data, output.data, params, workspace, dimsOf(inputs[0].shape, attrs), boolAttr(attrs, 'causal'), backend);
  },
  backward({ inputs, dOutput, dInputs, params, dParams, workspace, attrs, backend }) {
    const dm = dimsOf(inputs[0].shape, attrs);
    const { n, t, e, d } = dm;
    const rows = n * t;
    const size = n * t * e;
    const dy = dOutput.data;
    const ws = (k: string) => workspace[k].data;
    // y = attn·W_outᵀ + b_out
    backend.gemm({ transA: true, transB: false, m: e, n: e, k: rows, a: dy, b: ws('attn'), c: dParams.out_proj_weight.data, accumulate: true });
    colSums(dParams.out_proj_bias?.data, dy, rows, e);
    const dAttn = ws('attn');
    backend.gemm({ transA: false, transB: false, m: rows, n: e, k: e, a: dy, b: params.out_proj_weight.data, c: dAttn, accumulate: false });
    const dO = ws('oHeads');
    heads(dAttn, e, 0, dO, dm, true);
    const hd = ws('qkvHeads');
    const dh = ws('dqkvHeads');
    const probs = ws('probs');
    const dp = ws('dp');
    eachHead(dm, (at, pAt) => {
      const pp = view(probs, pAt, t * t);
      const dOh = view(dO, at, t * d);
      // dP = dO·vᵀ; dv = Pᵀ·dO
      backend.gemm({ transA: false, transB: true, m: t, n: t, k: d, a: dOh, b: view(hd, 2 * size + at, t * d), c: dp, accumulate: false });
      backend.gemm({ transA: true, transB: false, m: t, n: d, k: t, a: pp, b: dOh, c: view(dh, 2 * size + at, t * d), accumulate: false });
      // Softmax backward: dS = P ∘ (dP − rowsum(P ∘ dP)); masked entries have P = 0, so dS = 0 there.
      for (let i = 0; i < t; i++) {
        let s = 0;
        for (let j = 0; j < t; j++) s += pp[i * t + j] * dp[i * t + j];
        for (let j = 0; j < t; j++) dp[i * t + j] = pp[i * t + j] * (dp[i * t + j] - s);
      }
      // S = q̃·kᵀ with q̃ = q/√d: dq̃ = dS·k, dk = dSᵀ·q̃
      backend.gemm({ transA: false, transB: false, m: t, n: d, k: t, a: dp, b: view(hd, size + at, t * d), c: view(dh, at, t * d), accumulate: false });
      backend.gemm({ transA: true, transB: false, m: t, n: d, k: t, a: dp, b: view(hd, at, t * d), c: view(dh, size + at, t * d), accumulate: false });
    });
    const dqkv = ws('qkv');
    heads(dqkv, 3 * e, 0, view(dh, 0, size), dm, false, 1 / Math.sqrt(d));
    heads(dqkv, 3 * e, 1, view(dh, size, size), dm, false);
    heads(dqkv, 3 * e, 2, view(dh, 2 * size, size), dm, false);
    const x = inputs[0].data;
    backend.gemm({ transA: true, transB: false, m: 3 * e, n: e, k: rows, a: dqkv, b: x, c: dParams.in_proj_weight.data, accumulate: true });
    colSums(dParams.in_proj_bias?.data, dqkv, rows, 3 * e);
    const dx = dInputs[0]?.data;
    if (dx) backend.gemm({ transA: false, transB: false, m: rows, n: e, k: 3 * e, a: dqkv, b: params.in_proj_weight.data, c: dx, accumulate: true });
  },
});
