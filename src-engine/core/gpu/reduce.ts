/// <reference types="@webgpu/types" />
/**
 * The probes' reductions on the GPU (docs/webgpu-backend.md, "Probes on GPU runs"): for each
 * asked-for tensor, the figures of `TensorFigures` (core/train/types.ts) — counts of NaN, ±Inf
 * and zeros, min, max, Σx, Σx², Σ|x| over the finite values, optionally Σ(x − y)² against a
 * second tensor (the weights before the update), and a histogram with Σ(x − mean)² — written into
 * one small record buffer that a probed step reads back instead of the tensors.
 *
 * Four dispatch kinds per tensor, in one compute pass: per-workgroup partials (a shared-memory
 * tree, as clip.ts), one workgroup combining them into the tensor's record; then, for a
 * histogram, a second pass over the values that reads min, max and Σx from that record, counts
 * bins with `atomicAdd` (a workgroup's own bins first, then added to the record's) and sums the
 * squared deviations, and one workgroup combining those.
 *
 * Bin rule, as `TensorSummarizer`: finite values only, over [lo, hi] = [min, max] (widened by
 * max(0.5, |min|/2) each side when min = max), bin = ⌊(x − lo)·k/(hi − lo)⌋, the last bin taking
 * x = hi. Here in float32 where the host works in float64: a value within a rounding of an edge
 * may land in the neighbour bin. Finiteness and zero are tested on the bits (WGSL lets an
 * implementation assume no NaN; SwiftShader's `x != x` is false for one).
 *
 * Two more counts for activations: values in an op's flat tails (below/above two bounds: the
 * saturated fraction), in the first pass; and units (features, or channels of `[N, C, …]`) that
 * are ±0 for every sample (dead ReLUs), one invocation per unit scanning the batch.
 *
 * Record layout (u32 words; floats as their bits), `RECORD_HEAD + bins` words per tensor:
 * 0 min, 1 max, 2 Σx, 3 Σx², 4 Σ|x|, 5 Σ(x − y)², 6 Σ(x − mean)², 7 zeros, 8 NaN, 9 ±Inf,
 * 10 NaN differences, 11 ±Inf differences, 12 values in the tails, 13 dead units, 14–15 unused,
 * then the bins.
 */
import type { TensorFigures } from '../train/types';
import type { GpuContext, GpuTensor } from './context';
import type { GpuDispatch } from './gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './kernels/dispatch';

/** Words before a record's bins. */
export const RECORD_HEAD = 16;
/** Words of one workgroup's partial figures. */
const PART = 13;
const BIG = '3.4028234663852886e38';

const CLASSIFY = `
// 0: finite, 1: ±Inf, 2: NaN (from the bits: see the file comment).
fn kind(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  if ((b & 0x7f800000u) != 0x7f800000u) { return 0u; }
  return select(1u, 2u, (b & 0x007fffffu) != 0u);
}
`;

/** Shared memory and the tree of the first pass (and of the record's combine). */
const TREE = `
var<workgroup> fmin: array<f32, ${WORKGROUP}>;
var<workgroup> fmax: array<f32, ${WORKGROUP}>;
var<workgroup> fsum: array<f32, ${WORKGROUP}>;
var<workgroup> fsq: array<f32, ${WORKGROUP}>;
var<workgroup> fabs: array<f32, ${WORKGROUP}>;
var<workgroup> fdif: array<f32, ${WORKGROUP}>;
var<workgroup> czero: array<u32, ${WORKGROUP}>;
var<workgroup> cnan: array<u32, ${WORKGROUP}>;
var<workgroup> cinf: array<u32, ${WORKGROUP}>;
var<workgroup> cdnan: array<u32, ${WORKGROUP}>;
var<workgroup> cdinf: array<u32, ${WORKGROUP}>;
var<workgroup> ctail: array<u32, ${WORKGROUP}>;

fn tree(li: u32) {
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) {
      let o = li + s;
      fmin[li] = min(fmin[li], fmin[o]);
      fmax[li] = max(fmax[li], fmax[o]);
      fsum[li] = fsum[li] + fsum[o];
      fsq[li] = fsq[li] + fsq[o];
      fabs[li] = fabs[li] + fabs[o];
      fdif[li] = fdif[li] + fdif[o];
      czero[li] = czero[li] + czero[o];
      cnan[li] = cnan[li] + cnan[o];
      cinf[li] = cinf[li] + cinf[o];
      cdnan[li] = cdnan[li] + cdnan[o];
      cdinf[li] = cdinf[li] + cdinf[o];
      ctail[li] = ctail[li] + ctail[o];
    }
    workgroupBarrier();
  }
}

fn put(o: u32) {
  OUT[o] = bitcast<u32>(fmin[0]);
  OUT[o + 1u] = bitcast<u32>(fmax[0]);
  OUT[o + 2u] = bitcast<u32>(fsum[0]);
  OUT[o + 3u] = bitcast<u32>(fsq[0]);
  OUT[o + 4u] = bitcast<u32>(fabs[0]);
  OUT[o + 5u] = bitcast<u32>(fdif[0]);
  OUT[o + 7u] = czero[0];
  OUT[o + 8u] = cnan[0];
  OUT[o + 9u] = cinf[0];
  OUT[o + 10u] = cdnan[0];
  OUT[o + 11u] = cdinf[0];
  OUT[o + 12u] = ctail[0];
}
`;

const PASS1 = `struct Params { n: u32, xOff: u32, yOff: u32, diff: u32, partOff: u32, rowStride: u32, tails: u32, _a: u32, below: f32, above: f32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<u32>;
@group(0) @binding(3) var<uniform> P: Params;
${CLASSIFY}
${TREE}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  fmin[li] = ${BIG}; fmax[li] = -${BIG}; fsum[li] = 0.0; fsq[li] = 0.0; fabs[li] = 0.0; fdif[li] = 0.0;
  czero[li] = 0u; cnan[li] = 0u; cinf[li] = 0u; cdnan[li] = 0u; cdinf[li] = 0u; ctail[li] = 0u;
  if (i < P.n) {
    let v = X[P.xOff + i];
    let k = kind(v);
    let lower = (P.tails & 1u) != 0u;
    let upper = (P.tails & 2u) != 0u;
    if (k == 0u) {
      fmin[li] = v; fmax[li] = v; fsum[li] = v; fsq[li] = v * v; fabs[li] = abs(v);
      czero[li] = select(0u, 1u, (bitcast<u32>(v) & 0x7fffffffu) == 0u);
      ctail[li] = select(0u, 1u, (lower && v < P.below) || (upper && v > P.above));
    } else if (k == 2u) { cnan[li] = 1u; } else {
      cinf[li] = 1u;
      // −Inf is below any finite bound, +Inf above (a missing bound: none).
      ctail[li] = select(0u, 1u, select(upper, lower, (bitcast<u32>(v) >> 31u) == 1u));
    }
    if (P.diff != 0u) {
      let y = Y[P.yOff + i];
      let ky = kind(y);
      // As float64 on the host: NaN in, NaN out; Inf − Inf of one sign NaN; else any Inf gives Inf.
      if (k == 2u || ky == 2u) { cdnan[li] = 1u; }
      else if (k == 1u && ky == 1u) {
        if ((bitcast<u32>(v) >> 31u) == (bitcast<u32>(y) >> 31u)) { cdnan[li] = 1u; } else { cdinf[li] = 1u; }
      } else if (k == 1u || ky == 1u) { cdinf[li] = 1u; }
      else { let d = v - y; fdif[li] = d * d; }
    }
  }
  tree(li);
  if (li == 0u) { put(P.partOff + (wg.y * nwg.x + wg.x) * ${PART}u); }
}
`;

const TOTAL1 = `struct Params { count: u32, partOff: u32, recOff: u32, _a: u32, }
@group(0) @binding(0) var<storage, read_write> OUT: array<u32>;
@group(0) @binding(1) var<uniform> P: Params;
${TREE}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li: u32) {
  fmin[li] = ${BIG}; fmax[li] = -${BIG}; fsum[li] = 0.0; fsq[li] = 0.0; fabs[li] = 0.0; fdif[li] = 0.0;
  czero[li] = 0u; cnan[li] = 0u; cinf[li] = 0u; cdnan[li] = 0u; cdinf[li] = 0u; ctail[li] = 0u;
  for (var j = li; j < P.count; j = j + ${WORKGROUP}u) {
    let o = P.partOff + j * ${PART}u;
    fmin[li] = min(fmin[li], bitcast<f32>(OUT[o]));
    fmax[li] = max(fmax[li], bitcast<f32>(OUT[o + 1u]));
    fsum[li] = fsum[li] + bitcast<f32>(OUT[o + 2u]);
    fsq[li] = fsq[li] + bitcast<f32>(OUT[o + 3u]);
    fabs[li] = fabs[li] + bitcast<f32>(OUT[o + 4u]);
    fdif[li] = fdif[li] + bitcast<f32>(OUT[o + 5u]);
    czero[li] = czero[li] + OUT[o + 7u];
    cnan[li] = cnan[li] + OUT[o + 8u];
    cinf[li] = cinf[li] + OUT[o + 9u];
    cdnan[li] = cdnan[li] + OUT[o + 10u];
    cdinf[li] = cdinf[li] + OUT[o + 11u];
    ctail[li] = ctail[li] + OUT[o + 12u];
  }
  tree(li);
  if (li == 0u) { put(P.recOff); }
}
`;

function pass2(bins: number): string {
  return `struct Params { n: u32, xOff: u32, recOff: u32, partOff: u32, rowStride: u32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> R: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> P: Params;
${CLASSIFY}
var<workgroup> acc: array<f32, ${WORKGROUP}>;
var<workgroup> hb: array<atomic<u32>, ${bins}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var b = li; b < ${bins}u; b = b + ${WORKGROUP}u) { atomicStore(&hb[b], 0u); }
  workgroupBarrier();
  let r = P.recOff;
  let count = P.n - atomicLoad(&R[r + 8u]) - atomicLoad(&R[r + 9u]);
  let mean = bitcast<f32>(atomicLoad(&R[r + 2u])) / f32(max(count, 1u));
  var lo = bitcast<f32>(atomicLoad(&R[r]));
  var hi = bitcast<f32>(atomicLoad(&R[r + 1u]));
  if (lo == hi) {
    let pad = max(0.5, abs(lo) / 2.0);
    lo = lo - pad;
    hi = hi + pad;
  }
  let scale = f32(${bins}) / (hi - lo);
  let i = gid.y * P.rowStride + gid.x;
  var q = 0.0;
  if (i < P.n) {
    let v = X[P.xOff + i];
    if (kind(v) == 0u) {
      let d = v - mean;
      q = d * d;
      let b = min(u32(max((v - lo) * scale, 0.0)), ${bins - 1}u);
      atomicAdd(&hb[b], 1u);
    }
  }
  acc[li] = q;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { acc[li] = acc[li] + acc[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { atomicStore(&R[P.partOff + (wg.y * nwg.x + wg.x) * ${PART}u + 6u], bitcast<u32>(acc[0])); }
  for (var b = li; b < ${bins}u; b = b + ${WORKGROUP}u) {
    let c = atomicLoad(&hb[b]);
    if (c > 0u) { atomicAdd(&R[r + ${RECORD_HEAD}u + b], c); }
  }
}
`;
}

const TOTAL2 = `struct Params { count: u32, partOff: u32, recOff: u32, _a: u32, }
@group(0) @binding(0) var<storage, read_write> OUT: array<u32>;
@group(0) @binding(1) var<uniform> P: Params;
var<workgroup> acc: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li: u32) {
  var v = 0.0;
  for (var j = li; j < P.count; j = j + ${WORKGROUP}u) { v = v + bitcast<f32>(OUT[P.partOff + j * ${PART}u + 6u]); }
  acc[li] = v;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { acc[li] = acc[li] + acc[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { OUT[P.recOff + 6u] = bitcast<u32>(acc[0]); }
}
`;

const DEAD = `struct Params { batch: u32, units: u32, inner: u32, xOff: u32, recOff: u32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> R: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let u = gid.x;
  if (u >= P.units) { return; }
  let per = P.units * P.inner;
  var alive = false;
  for (var n = 0u; n < P.batch && !alive; n = n + 1u) {
    let o = P.xOff + n * per + u * P.inner;
    for (var i = 0u; i < P.inner; i = i + 1u) {
      // Not ±0 (a NaN is not 0 either, as on the host): from the bits.
      if ((bitcast<u32>(X[o + i]) & 0x7fffffffu) != 0u) { alive = true; break; }
    }
  }
  if (!alive) { atomicAdd(&R[P.recOff + 13u], 1u); }
}
`;

/**
 * One tensor to reduce: `x`, with a histogram or not; optionally the differences with `y` (same
 * length), the count of values below `tails.below` or above `tails.above` (±Infinity: no bound),
 * and the dead units of an `[batch, units, inner…]` layout.
 */
export interface ReduceJob {
  x: GpuTensor;
  hist: boolean;
  y?: GpuTensor;
  tails?: { below: number; above: number };
  units?: { batch: number; units: number; inner: number };
}

/** Reductions recorded once: dispatches that fill `record` (clear it first), and its decoding. */
export interface PreparedReductions {
  /** The record (u32 words); clear it before the dispatches (the histograms add into it). */
  readonly record: GpuTensor;
  readonly dispatches: readonly GpuDispatch[];
  /** Bytes of the record: what a probed step reads back. */
  readonly bytes: number;
  /** The figures of each job, from the record's words. */
  decode(words: ArrayBuffer): TensorFigures[];
}

/**
 * The dispatches that reduce `jobs` into one record, with `bins` histogram bins (≥ 1) for the jobs
 * that ask for one.
 */
export function prepareReductions(ctx: GpuContext, jobs: readonly ReduceJob[], bins: number): PreparedReductions {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`PROBE_BAD_OPTION: histogram bins must be a whole number ≥ 1 (got ${bins}).`);
  const per = RECORD_HEAD + bins;
  const grids = jobs.map((j) => grid1d(ctx, j.x.length));
  const counts = grids.map((g) => g.workgroups[0] * g.workgroups[1]);
  const partWords = counts.reduce((a, b) => a + b, 0) * PART;
  // The partials live behind the records in the same buffer: one binding serves every kernel.
  const record = ctx.createTensor(jobs.length * per + partWords, 'probe reductions');
  const dispatches: GpuDispatch[] = [];
  let part = jobs.length * per;
  jobs.forEach((j, k) => {
    const rec = k * per;
    const g = grids[k];
    const y = j.y ?? j.x;
    if (j.y && j.y.length !== j.x.length) throw new Error('E_GPU_BAD_ARGS: a difference needs two tensors of one length.');
    const t = j.tails;
    const tails = t ? (t.below > -Infinity ? 1 : 0) | (t.above < Infinity ? 2 : 0) : 0;
    const bounds = { 8: t && t.below > -Infinity ? t.below : 0, 9: t && t.above < Infinity ? t.above : 0 };
    dispatches.push(bindDispatch(ctx, 'probe:pass1', () => PASS1, [j.x.buffer, y.buffer, record.buffer], words([j.x.length, j.x.offset, y.offset, j.y ? 1 : 0, part, g.rowStride, tails, 0, 0, 0, 0, 0], bounds), g.workgroups));
    dispatches.push(bindDispatch(ctx, 'probe:total1', () => TOTAL1, [record.buffer], words([counts[k], part, rec]), [1, 1, 1]));
    if (j.hist) {
      dispatches.push(bindDispatch(ctx, `probe:hist${bins}`, () => pass2(bins), [j.x.buffer, record.buffer], words([j.x.length, j.x.offset, rec, part, g.rowStride]), g.workgroups));
      dispatches.push(bindDispatch(ctx, 'probe:total2', () => TOTAL2, [record.buffer], words([counts[k], part, rec]), [1, 1, 1]));
    }
    if (j.units) {
      const { batch, units, inner } = j.units;
      if (batch * units * inner !== j.x.length) throw new Error('E_GPU_BAD_ARGS: dead units need batch · units · inner = the tensor\'s length.');
      dispatches.push(bindDispatch(ctx, 'probe:dead', () => DEAD, [j.x.buffer, record.buffer], words([batch, units, inner, j.x.offset, rec]), [Math.max(1, Math.ceil(units / WORKGROUP)), 1, 1]));
    }
    part += counts[k] * PART;
  });
  const bytes = jobs.length * per * 4;
  return {
    record,
    dispatches,
    bytes,
    decode(buf) {
      const u = new Uint32Array(buf, 0, jobs.length * per);
      const f = new Float32Array(buf, 0, jobs.length * per);
      return jobs.map((j, k) => {
        const o = k * per;
        return {
          length: j.x.length,
          min: f[o],
          max: f[o + 1],
          sum: f[o + 2],
          sumSq: f[o + 3],
          sumAbs: f[o + 4],
          devSq: j.hist ? f[o + 6] : 0,
          zeros: u[o + 7],
          nan: u[o + 8],
          inf: u[o + 9],
          bins: j.hist ? u.slice(o + RECORD_HEAD, o + per) : null,
          diff: j.y ? { sumSq: f[o + 5], nan: u[o + 10], inf: u[o + 11] } : null,
          tail: u[o + 12],
          dead: u[o + 13],
        };
      });
    },
  };
}
