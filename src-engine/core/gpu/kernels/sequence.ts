/// <reference types="@webgpu/types" />
/**
 * The sequence ops around attention on the GPU (#31), as their op files:
 * - Embedding (`core/ops/embedding.ts`): one invocation per output value copies its row's value (an
 *   id truncated toward zero, negative ones from the end); an id out of range (or NaN) writes
 *   `[−rows, id]` to the step's status and the executor fails the step with E_ID_RANGE, as the op
 *   file refuses it (#83; it gave a row of zeros before). The
 *   weight's gradient is a gather, not a scatter: one invocation per table value adds `dy` of
 *   every position whose id selects its row, in position order — the op file's additions in its
 *   order, deterministic, no atomics; the ids are turned into rows once per workgroup of 64 values.
 *   NOTE: that still compares every id once per table value (V·D·N·T steps): fine for a character
 *   vocabulary, a sort by id first for a word-sized one.
 * - PositionalEmbedding: `y = x + p` broadcast over the batch; `dx += dy`, and per table value
 *   `dp += Σ_n dy` down the samples.
 * - SequencePool: `last` is the strided block copy of Concat (`elementwise.ts`) from step T − 1 and
 *   back; `mean` sums each (sample, feature) down the steps, then divides by T, and its backward
 *   adds `dy / T` to every step.
 * - TokenCrossEntropyLoss: CrossEntropyLoss's kernels over the `[N·T, V]` rows (classes last), as
 *   the op file runs CrossEntropyLoss's code over them.
 * Sizes are uniforms: one pipeline per kernel.
 */
import { intAttr } from '../../ops/shape-util';
import type { GpuDispatch } from '../gemm';
import { bindDispatch, bindings, grid1d, kernel1d, words } from './dispatch';
import { blockCopy } from './elementwise';
import { crossEntropyKernel } from './losses';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params {
  total: u32, d: u32, rows: u32, rowStride: u32,
  a: u32, b: u32, c: u32, count: u32,
}`;

/** The table row id `v` selects among `rows` (-1: none), as the op file's `rowOf`. */
const ROW_OF = `fn rowOf(v: f32, rows: u32) -> i32 {
  var k = i32(trunc(v));
  if (k < 0) { k = k + i32(rows); }
  return select(-1, k, k >= 0 && k < i32(rows));
}`;

/** PARAMS with the status's offset: where a kernel that reads ids says one is out of range. */
const ID_PARAMS = `struct Params {
  total: u32, d: u32, rows: u32, rowStride: u32,
  a: u32, b: u32, c: u32, count: u32,
  sOff: u32, _p0: u32, _p1: u32, _p2: u32,
}`;

/**
 * An id out of range said in the status as `[−rows, id]` (a label out of range is `[1, label]`):
 * the range is tested on the float (truncated), so NaN and ids too large for an i32 fail it too.
 */
export const ID_STATUS = `fn idStatus(v: f32, rows: u32) {
  let t = trunc(v);
  if (!(t >= -f32(rows) && t < f32(rows))) {
    STATUS[P.sOff] = -f32(rows);
    STATUS[P.sOff + 1u] = v;
  }
}`;

// a = ids, b = weight, c = y; d = embedding size, rows = table rows; the first value of each row checks its id.
const EMBED_FORWARD = `${ROW_OF}
${kernel1d(
  ID_PARAMS,
  [
    ['IDS', 'read'],
    ['W', 'read'],
    ['Y', 'read_write'],
    ['STATUS', 'read_write'],
  ],
  `  let v = IDS[P.a + i / P.d];
  if (i % P.d == 0u) { idStatus(v, P.rows); }
  let k = rowOf(v, P.rows);
  Y[P.c + i] = select(0.0, W[P.b + u32(max(k, 0)) * P.d + i % P.d], k >= 0);
`,
)}
${ID_STATUS}`;

// a = ids, b = dy, c = dW; total = rows·d table values, count = ids. One invocation per table
// value, 64 to a workgroup (EMBED_GROUP); each chunk of 64 ids is turned into table rows once per
// workgroup, in workgroup memory, and every invocation then adds dy of the positions in the chunk
// that select its row, in position order (the op file's order: the same bits as reading the ids
// itself). On the H200 reading every id from storage per value took 0.64 of the tiny GPT's 3.3 ms.
const EMBED_GROUP = 64;
const EMBED_BACKWARD = `${ROW_OF}
${PARAMS}
${bindings([
  ['IDS', 'read'],
  ['DY', 'read'],
  ['DW', 'read_write'],
])}
var<workgroup> Rows: array<i32, ${EMBED_GROUP}>;
@compute @workgroup_size(${EMBED_GROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let i = gid.y * P.rowStride + gid.x;
  let mine = i < P.total;
  let row = i32(i / P.d);
  let j = i % P.d;
  var acc = 0.0;
  if (mine) { acc = DW[P.c + i]; }
  for (var n0 = 0u; n0 < P.count; n0 = n0 + ${EMBED_GROUP}u) {
    var k = -1;
    if (n0 + tid < P.count) { k = rowOf(IDS[P.a + n0 + tid], P.rows); }
    Rows[tid] = k;
    workgroupBarrier();
    let m = min(${EMBED_GROUP}u, P.count - n0);
    for (var t = 0u; t < m; t = t + 1u) {
      if (Rows[t] == row) { acc = acc + DY[P.b + (n0 + t) * P.d + j]; }
    }
    workgroupBarrier();
  }
  if (mine) { DW[P.c + i] = acc; }
}
`;

export const embeddingKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputs, output, params, dParams, dOutput, status }) {
    const d = intAttr(attrs, 'embeddingDim');
    const rows = intAttr(attrs, 'numEmbeddings');
    const ids = inputs[0];
    const w = params.weight;
    const all = grid1d(ctx, output.length);
    const forward = [bindDispatch(ctx, 'embedding:forward', () => EMBED_FORWARD, [ids.buffer, w.buffer, output.buffer, status.buffer], words([output.length, d, rows, all.rowStride, ids.offset, w.offset, output.offset, ids.length, status.offset]), all.workgroups)];
    const dw = dParams.weight;
    const backward: GpuDispatch[] = [];
    if (dOutput && dw) {
      const table = grid1d(ctx, rows * d, EMBED_GROUP);
      backward.push(bindDispatch(ctx, 'embedding:dw', () => EMBED_BACKWARD, [ids.buffer, dOutput.buffer, dw.buffer], words([rows * d, d, rows, table.rowStride, ids.offset, dOutput.offset, dw.offset, ids.length]), table.workgroups));
    }
    return { forward, backward };
  },
};

// a = x, b = p, c = y; d = the table's length (T·E).
const POS_FORWARD = kernel1d(
  PARAMS,
  [
    ['X', 'read'],
    ['PT', 'read'],
    ['Y', 'read_write'],
  ],
  `  Y[P.c + i] = X[P.a + i] + PT[P.b + i % P.d];
`,
);

// a = dy, c = dp; one invocation per table value, count = samples.
const POS_BACKWARD_TABLE = kernel1d(
  PARAMS,
  [
    ['DY', 'read'],
    ['DP', 'read_write'],
  ],
  `  var acc = DP[P.c + i];
  for (var n = 0u; n < P.count; n = n + 1u) { acc = acc + DY[P.a + n * P.d + i]; }
  DP[P.c + i] = acc;
`,
);

export const positionalEmbeddingKernel: GpuOpKernel = {
  prepare({ ctx, inputs, output, params, dParams, dOutput, dInputs }) {
    const x = inputs[0];
    const p = params.weight;
    const all = grid1d(ctx, x.length);
    const forward = [bindDispatch(ctx, 'positions:forward', () => POS_FORWARD, [x.buffer, p.buffer, output.buffer], words([x.length, p.length, 0, all.rowStride, x.offset, p.offset, output.offset, 0]), all.workgroups)];
    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dp = dParams.weight;
      if (dp) {
        const table = grid1d(ctx, p.length);
        backward.push(bindDispatch(ctx, 'positions:dp', () => POS_BACKWARD_TABLE, [dOutput.buffer, dp.buffer], words([p.length, p.length, 0, table.rowStride, dOutput.offset, 0, dp.offset, x.length / p.length]), table.workgroups));
      }
      const dx = dInputs[0];
      if (dx) backward.push(blockCopy(ctx, { rows: 1, len: x.length, src: dOutput, srcRow: x.length, srcAt: 0, dst: dx, dstRow: x.length, dstAt: 0 }, true));
    }
    return { forward, backward };
  },
};

// a = x, c = y; one invocation per (sample, feature): total = N·F, d = F, rows = T.
const MEAN_FORWARD = kernel1d(
  PARAMS,
  [
    ['X', 'read'],
    ['Y', 'read_write'],
  ],
  `  let b = i / P.d;
  let j = i % P.d;
  var acc = 0.0;
  for (var s = 0u; s < P.rows; s = s + 1u) { acc = acc + X[P.a + (b * P.rows + s) * P.d + j]; }
  Y[P.c + i] = acc / f32(P.rows);
`,
);

// a = dy, c = dx; one invocation per input value: total = N·T·F.
const MEAN_BACKWARD = kernel1d(
  PARAMS,
  [
    ['DY', 'read'],
    ['DX', 'read_write'],
  ],
  `  let b = i / (P.rows * P.d);
  DX[P.c + i] = DX[P.c + i] + DY[P.a + b * P.d + i % P.d] / f32(P.rows);
`,
);

export const sequencePoolKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, dOutput, dInputs }) {
    const [n, t] = inputShapes[0];
    const f = inputShapes[0].slice(2).reduce((a, b) => a * b, 1);
    const x = inputs[0];
    const dx = dInputs[0];
    if (attrs.mode === 'last') {
      const forward = [blockCopy(ctx, { rows: n, len: f, src: x, srcRow: t * f, srcAt: (t - 1) * f, dst: output, dstRow: f, dstAt: 0 }, false)];
      const backward = dOutput && dx ? [blockCopy(ctx, { rows: n, len: f, src: dOutput, srcRow: f, srcAt: 0, dst: dx, dstRow: t * f, dstAt: (t - 1) * f }, true)] : [];
      return { forward, backward };
    }
    const out = grid1d(ctx, n * f);
    const forward = [bindDispatch(ctx, 'seqpool:mean', () => MEAN_FORWARD, [x.buffer, output.buffer], words([n * f, f, t, out.rowStride, x.offset, 0, output.offset, 0]), out.workgroups)];
    const all = grid1d(ctx, x.length);
    const backward = dOutput && dx ? [bindDispatch(ctx, 'seqpool:mean-dx', () => MEAN_BACKWARD, [dOutput.buffer, dx.buffer], words([x.length, f, t, all.rowStride, dOutput.offset, 0, dx.offset, 0]), all.workgroups)] : [];
    return { forward, backward };
  },
};

export const tokenCrossEntropyKernel: GpuOpKernel = {
  prepare(args) {
    const [logits] = args.inputShapes;
    const v = logits.at(-1)!;
    const rows = logits.slice(0, -1).reduce((a, b) => a * b, 1);
    return crossEntropyKernel.prepare({ ...args, inputShapes: [[rows, v], [rows]] });
  },
  unsupported: (attrs) => crossEntropyKernel.unsupported?.(attrs) ?? null,
};
