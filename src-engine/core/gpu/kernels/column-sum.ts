/// <reference types="@webgpu/types" />
/**
 * Sums along one axis of a tensor, split over many workgroups: a bias's gradient (Σ over rows),
 * a convolution's or GroupNorm's per-channel sums (Σ over samples and pixels), BatchNorm's
 * statistics and their gradient's sums, LayerNorm's γ/β gradients, a broadcast Multiply's
 * gradient (a squeeze-excite gate's), the recurrent kernels' per-step gradient norms. Each of
 * these was one invocation (or workgroup) per output summing thousands of values in a row — on the
 * H200 a handful of workgroups for the whole GPU, 80 % of the MNIST CNN's step and 60 % of the
 * tiny GPT's (the profile of issue #61).
 *
 * The sum of output `c` runs over `t ∈ [0, total)` at element
 * `offset + ⌊t / inner⌋·outerStride + c·colStride + t mod inner` — rows of a `[rows, cols]` matrix
 * (`inner` 1, `outerStride` cols, `colStride` 1), or the `[N, C, plane]` values of channel `c`
 * (`inner` plane, `outerStride` C·plane, `colStride` plane). Two dispatches: each workgroup sums a
 * chunk of `t` for a block of outputs into a partial (lanes striding the chunk, then a tree in
 * workgroup memory), and a second adds each output's partials in chunk order into it. The order
 * differs from a loop down the rows, so the last bits do too (the tests hold the GPU to the CPU
 * within their tolerances); it is the same from step to step.
 */
import type { GpuContext, GpuTensor } from '../context';
import type { GpuDispatch } from '../passes';
import { WORKGROUP, bindDispatch, grid1d, kernel1d, words } from './dispatch';

/**
 * What is summed: `a` (the values), `ab` (a·b, elementwise), `aa` (the squares), or `dd` (the
 * squared deviations (a − b[c])² from a centre per output, `b` holding one value per output: the
 * second pass of a two-pass variance).
 */
export type ColumnTerm = 'a' | 'ab' | 'aa' | 'dd';
/** How the sum lands in the output: added to it (`add`), stored (`set`), or its square root stored (`sqrt`, a norm). */
export type ColumnFinish = 'add' | 'set' | 'sqrt';

/** Where the summed values lie: see the file's comment. */
export interface ColumnLayout {
  cols: number;
  total: number;
  inner: number;
  outerStride: number;
  colStride: number;
}

/** Values each lane sums before the tree: enough work per workgroup, enough workgroups for a large GPU. */
const PER_LANE = 16;
/** Chunks at most per output block (the second pass's loop). */
const MAX_CHUNKS = 256;

const TERMS: Record<ColumnTerm, string> = {
  a: 'A[P.aOff + at]',
  ab: 'A[P.aOff + at] * B[P.bOff + at]',
  aa: 'A[P.aOff + at] * A[P.aOff + at]',
  dd: '(A[P.aOff + at] - centre) * (A[P.aOff + at] - centre)',
};
/** The terms that read `b`. */
const READS_B: Record<ColumnTerm, boolean> = { a: false, ab: true, aa: false, dd: true };

/** Stage one: `block` outputs × `lanes` lanes a workgroup (block·lanes = WORKGROUP). */
function partialShader(term: ColumnTerm, block: number): string {
  const lanes = WORKGROUP / block;
  return `struct Params { cols: u32, total: u32, inner: u32, outerStride: u32, colStride: u32, chunk: u32, aOff: u32, bOff: u32, pOff: u32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> A: array<f32>;
${READS_B[term] ? '@group(0) @binding(1) var<storage, read> B: array<f32>;\n' : ''}@group(0) @binding(${READS_B[term] ? 2 : 1}) var<storage, read_write> PART: array<f32>;
@group(0) @binding(${READS_B[term] ? 3 : 2}) var<uniform> P: Params;
var<workgroup> acc: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let lane = li / ${block}u;
  let c = wg.x * ${block}u + li % ${block}u;
  let t0 = wg.y * P.chunk;
  let t1 = min(t0 + P.chunk, P.total);
  var s = 0.0;
  if (c < P.cols) {
${term === 'dd' ? '    let centre = B[P.bOff + c];\n' : ''}    for (var t = t0 + lane; t < t1; t = t + ${lanes}u) {
      let at = (t / P.inner) * P.outerStride + c * P.colStride + t % P.inner;
      s = s + ${TERMS[term]};
    }
  }
  acc[li] = s;
  workgroupBarrier();
  for (var h = ${lanes / 2}u; h > 0u; h = h >> 1u) {
    if (lane < h) { acc[li] = acc[li] + acc[li + h * ${block}u]; }
    workgroupBarrier();
  }
  if (lane == 0u && c < P.cols) { PART[P.pOff + wg.y * P.cols + c] = acc[li]; }
}
`;
}

function finishShader(finish: ColumnFinish): string {
  return kernel1d(
    'struct Params { total: u32, chunks: u32, pOff: u32, oOff: u32, rowStride: u32, _a: u32, _b: u32, _c: u32, }',
    [
      ['PART', 'read'],
      ['OUT', 'read_write'],
    ],
    `  var s = 0.0;
  for (var k = 0u; k < P.chunks; k = k + 1u) { s = s + PART[P.pOff + k * P.total + i]; }
  OUT[P.oOff + i] = ${{ add: 'OUT[P.oOff + i] + s', set: 's', sqrt: 'sqrt(s)' }[finish]};
`,
  );
}

/**
 * The two dispatches of `out[c] (+)= Σ_t term(a, b)[c, t]` over `layout` (see the file's comment);
 * `b` for the `ab` and `dd` terms. `key` names the caller in the pipeline keys (`<key>:partial`,
 * `<key>:finish`), so a profile says whose sum it is.
 */
export function columnSum(ctx: GpuContext, key: string, layout: ColumnLayout, term: ColumnTerm, finish: ColumnFinish, a: GpuTensor, out: GpuTensor, b?: GpuTensor): GpuDispatch[] {
  const { dispatch, partials, chunks } = columnPartials(ctx, key, layout, term, a, b);
  return [dispatch, sumParts(ctx, key, partials, chunks, out, finish)];
}

/** The first of {@link columnSum}'s dispatches, for a caller that adds the partials its own way. */
export interface ColumnPartials {
  dispatch: GpuDispatch;
  /** `chunks` partials per output, chunk-major: `partials[k·cols + c]` sums chunk k of output c. */
  partials: GpuTensor;
  chunks: number;
}

/**
 * The partial sums of `columnSum` (pipeline `<key>:partial:<term>:<block>`) into a tensor of its
 * own; the caller adds each output's `chunks` partials in chunk order (BatchNorm's statistics do,
 * finishing them into the mean or 1/σ in the same dispatch).
 */
export function columnPartials(ctx: GpuContext, key: string, layout: ColumnLayout, term: ColumnTerm, a: GpuTensor, b?: GpuTensor): ColumnPartials {
  const { cols, total, inner, outerStride, colStride } = layout;
  const block = blockOf(layout);
  const chunks = columnChunks(layout);
  const chunk = Math.ceil(total / chunks);
  const partials = ctx.createTensor(chunks * cols, `${key} partials`);
  const sources = READS_B[term] ? [a.buffer, b!.buffer] : [a.buffer];
  const dispatch = bindDispatch(
    ctx,
    `${key}:partial:${term}:${block}`,
    () => partialShader(term, block),
    [...sources, partials.buffer],
    words([cols, total, inner, outerStride, colStride, chunk, a.offset, b?.offset ?? 0, partials.offset]),
    [Math.ceil(cols / block), chunks, 1],
  );
  return { dispatch, partials, chunks };
}

/**
 * Outputs a workgroup sums side by side: 64 where neighbouring outputs are neighbours in memory
 * (a matrix's rows), else one, its lanes along t — or, where an output has at most half a
 * workgroup of values, as many as leave each lane one value at most (a squeeze-excite gate's
 * 7×7 plane: 4 outputs of 64 lanes, not 1 of 256 with 207 idle). Each lane then holds one value
 * or none and the tree's extra lanes would add zeros, so its sums keep the bits of one output a
 * workgroup.
 */
function blockOf(layout: ColumnLayout): number {
  if (layout.inner === 1 && layout.colStride === 1) return 64;
  if (layout.total > WORKGROUP / 2) return 1;
  return Math.min(64, WORKGROUP / 2 ** Math.ceil(Math.log2(Math.max(1, layout.total))));
}

/** The chunks each output's sum is cut into, a workgroup each. */
function columnChunks(layout: ColumnLayout): number {
  const lanes = WORKGROUP / blockOf(layout);
  return Math.max(1, Math.min(MAX_CHUNKS, Math.ceil(layout.total / (lanes * PER_LANE))));
}

/**
 * Whether {@link columnSum} gives each output one workgroup of its own (one output a workgroup, one
 * chunk): its partial is then the whole sum — `WORKGROUP` lanes' strided shares and a tree — and a
 * caller may sum it in a one-workgroup shader of its own with the same bits and no second
 * dispatch (BatchNorm's statistics do).
 */
export function oneWorkgroupEach(layout: ColumnLayout): boolean {
  return blockOf(layout) === 1 && columnChunks(layout) === 1;
}

/** Workgroups along x that {@link columnSum} dispatches for `layout` (under the device's limit per dimension, or it cannot run). */
export function columnGroups(layout: ColumnLayout): number {
  return Math.ceil(layout.cols / blockOf(layout));
}

/**
 * `out[i] (+)= Σ_k parts[k·n + i]` for the `n = out.length` outputs, one invocation each adding
 * the `count` parts in order (pipeline `<key>:finish:<finish>`): the second pass of `columnSum`,
 * and the sum of a product split over k (a convolution's splits, the split-k weight gradient).
 */
export function sumParts(ctx: GpuContext, key: string, parts: GpuTensor, count: number, out: GpuTensor, finish: ColumnFinish): GpuDispatch {
  const g = grid1d(ctx, out.length);
  return bindDispatch(ctx, `${key}:finish:${finish}`, () => finishShader(finish), [parts.buffer, out.buffer], words([out.length, count, parts.offset, out.offset, g.rowStride]), g.workgroups);
}

/** The layout of the rows of a `[rows, cols]` matrix, summed per column. */
export function rowsOf(rows: number, cols: number): ColumnLayout {
  return { cols, total: rows, inner: 1, outerStride: cols, colStride: 1 };
}

/** The layout of an `[n, channels, plane]` tensor, summed per channel over its samples and pixels. */
export function channelsOf(n: number, channels: number, plane: number): ColumnLayout {
  return { cols: channels, total: n * plane, inner: plane, outerStride: channels * plane, colStride: plane };
}
