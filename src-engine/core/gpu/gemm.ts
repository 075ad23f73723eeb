/// <reference types="@webgpu/types" />
/**
 * Tiled single-precision GEMM in WGSL: `C (+)= op(A)·op(B)`, row-major, all four transpose
 * variants, optionally batched (one workgroup layer per batch entry, with element strides).
 *
 * Each workgroup computes a `BM×BN` tile of C from `BK`-deep slices of A and B staged in
 * workgroup memory; each invocation holds a `TM×TN` block of accumulators in registers (rows and
 * columns strided by the workgroup size, so its writes to C and reads of the tiles are
 * contiguous across invocations). Global loads walk whichever dimension the operand is contiguous
 * in, so they are coalesced for every transpose.
 *
 * Not yet done (see docs/webgpu-backend.md): vec4 loads and register double-buffering; a first
 * unrolled-by-hand version of those hung SwiftShader's shader compiler, and without a real GPU in
 * this environment their speed could not be measured anyway.
 *
 * What the shader cache key holds: transposes, tile shape. What the uniforms hold:
 * sizes, offsets, strides, the accumulate flag — so one pipeline serves every size.
 */
import { GpuError, type GpuContext, type GpuTensor } from './context';

/** A tile shape: `wx×wy` invocations, each computing `tm×tn` outputs, over k-slices of `bk`. */
export interface GemmTile {
  readonly name: string;
  readonly wx: number;
  readonly wy: number;
  /** Rows per invocation (a multiple of 4 in the GEMM's own tiles; 1 in the thinnest convolution tile). */
  readonly tm: number;
  /** Columns per invocation (a multiple of 4). */
  readonly tn: number;
  readonly bk: number;
}

/** The tile shapes the GEMM picks from (see {@link chooseGemmTile}). */
export const GEMM_TILES: Readonly<Record<'large' | 'medium' | 'small', GemmTile>> = {
  large: { name: 'large', wx: 16, wy: 16, tm: 8, tn: 8, bk: 8 },
  medium: { name: 'medium', wx: 16, wy: 16, tm: 4, tn: 4, bk: 16 },
  small: { name: 'small', wx: 8, wy: 8, tm: 4, tn: 4, bk: 16 },
};

/**
 * The tile for an `m×n` output: the largest that still gives enough workgroups to fill a big GPU
 * (a 128×128 tile on a 256×256 product would leave most of the machine idle).
 */
export function chooseGemmTile(m: number, n: number): GemmTile {
  const tiles = (t: GemmTile) => Math.ceil(m / (t.wy * t.tm)) * Math.ceil(n / (t.wx * t.tn));
  if (tiles(GEMM_TILES.large) >= 128) return GEMM_TILES.large;
  if (tiles(GEMM_TILES.medium) >= 64) return GEMM_TILES.medium;
  return GEMM_TILES.small;
}

/** What changes the GEMM shader's text (its pipeline cache key). */
export interface GemmVariant {
  transA: boolean;
  transB: boolean;
  tile: GemmTile;
}

/** The pipeline cache key of a variant. */
export function gemmKey(v: GemmVariant): string {
  return `gemm:${v.transA ? 'T' : 'N'}${v.transB ? 'T' : 'N'}:${v.tile.name}`;
}

/** Uniform layout (u32 words) shared by the shader and {@link prepareGemm}. */
const PARAMS_WGSL = `struct Params {
  m: u32, n: u32, k: u32, accumulate: u32,
  aOff: u32, bOff: u32, cOff: u32, _pad: u32,
  strideA: u32, strideB: u32, strideC: u32, _pad2: u32,
}`;

/**
 * WGSL source of one GEMM variant. Each k-slice of A (`BM×BK`) and B (`BK×BN`) is staged in
 * workgroup memory k-major, loaded by all invocations along the operand's contiguous dimension
 * (coalesced); each invocation then accumulates its `TM×TN` block of C in registers with
 * fused multiply-adds. Constant-bound loops: the compiler unrolls them.
 */
export function gemmShader(v: GemmVariant): string {
  const { wx, wy, tm, tn, bk } = v.tile;
  const bm = wy * tm;
  const bn = wx * tn;
  const threads = wx * wy;
  // Element (row r of op(A), k index kk) and (kk, column c of op(B)) in the stored layouts.
  const aIndex = v.transA ? 'kk * P.m + r' : 'r * P.k + kk';
  const bIndex = v.transB ? 'c * P.k + kk' : 'kk * P.n + c';
  // Load order: consecutive invocations walk the operand's contiguous dimension.
  const aLoad = v.transA ? `let mm = i % ${bm}u; let kk0 = i / ${bm}u;` : `let kk0 = i % ${bk}u; let mm = i / ${bk}u;`;
  const bLoad = v.transB ? `let kk0 = i % ${bk}u; let nn = i / ${bk}u;` : `let nn = i % ${bn}u; let kk0 = i / ${bn}u;`;
  return `// ${gemmKey(v)}
${PARAMS_WGSL}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

var<workgroup> As: array<f32, ${bk * bm}>;
var<workgroup> Bs: array<f32, ${bk * bn}>;

@compute @workgroup_size(${wx}, ${wy}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let row0 = wg.y * ${bm}u;
  let col0 = wg.x * ${bn}u;
  let aBase = P.aOff + wg.z * P.strideA;
  let bBase = P.bOff + wg.z * P.strideB;
  let cBase = P.cOff + wg.z * P.strideC;
  var acc: array<f32, ${tm * tn}>;
  var ra: array<f32, ${tm}>;
  var rb: array<f32, ${tn}>;
  for (var k0 = 0u; k0 < P.k; k0 = k0 + ${bk}u) {
    for (var i = tid; i < ${bm * bk}u; i = i + ${threads}u) {
      ${aLoad}
      let r = row0 + mm;
      let kk = k0 + kk0;
      var x = 0.0;
      if (r < P.m && kk < P.k) { x = A[aBase + ${aIndex}]; }
      As[kk0 * ${bm}u + mm] = x;
    }
    for (var i = tid; i < ${bn * bk}u; i = i + ${threads}u) {
      ${bLoad}
      let c = col0 + nn;
      let kk = k0 + kk0;
      var x = 0.0;
      if (c < P.n && kk < P.k) { x = B[bBase + ${bIndex}]; }
      Bs[kk0 * ${bn}u + nn] = x;
    }
    ${tileMultiply(v.tile)}
  }
  for (var i = 0u; i < ${tm}u; i = i + 1u) {
    let r = row0 + lid.y + i * ${wy}u;
    if (r >= P.m) { continue; }
    for (var j = 0u; j < ${tn}u; j = j + 1u) {
      let c = col0 + lid.x + j * ${wx}u;
      if (c < P.n) {
        let at = cBase + r * P.n + c;
        var y = acc[i * ${tn}u + j];
        if (P.accumulate != 0u) { y = y + C[at]; }
        C[at] = y;
      }
    }
  }
}
`;
}

/**
 * The WGSL of one k-slice of a tile's product, between the barriers around it: each invocation
 * adds `As[kk][its rows] ⊗ Bs[kk][its columns]` into its `acc` block (`tm×tn`, rows `lid.y + i·wy`,
 * columns `lid.x + j·wx`) for every `kk < bk`, the slices staged k-major in `As` (`bk×wy·tm`) and
 * `Bs` (`bk×wx·tn`), through the registers `ra` and `rb`. Shared with the implicit-GEMM
 * convolutions (`kernels/conv.ts`).
 */
export function tileMultiply(t: GemmTile): string {
  const bm = t.wy * t.tm;
  const bn = t.wx * t.tn;
  return `workgroupBarrier();
    for (var kk = 0u; kk < ${t.bk}u; kk = kk + 1u) {
      for (var i = 0u; i < ${t.tm}u; i = i + 1u) { ra[i] = As[kk * ${bm}u + lid.y + i * ${t.wy}u]; }
      for (var j = 0u; j < ${t.tn}u; j = j + 1u) { rb[j] = Bs[kk * ${bn}u + lid.x + j * ${t.wx}u]; }
      for (var i = 0u; i < ${t.tm}u; i = i + 1u) {
        for (var j = 0u; j < ${t.tn}u; j = j + 1u) { acc[i * ${t.tn}u + j] = fma(ra[i], rb[j], acc[i * ${t.tn}u + j]); }
      }
    }
    workgroupBarrier();`;
}

/** A GEMM on device tensors; sizes and transposes as in the CPU backend's `GemmArgs`. */
export interface GpuGemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: GpuTensor;
  b: GpuTensor;
  c: GpuTensor;
  /** C += op(A)·op(B) when true; C = op(A)·op(B) otherwise. */
  accumulate: boolean;
  /** Independent products, one per batch entry (default 1), at the element strides below. */
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Force a tile shape (benchmarks); otherwise {@link chooseGemmTile}. */
  tile?: GemmTile;
}

/** One compute dispatch, made once (pipeline, bind group, uniforms) and encoded every step. */
export interface GpuDispatch {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
  /** Floating-point operations it performs (for throughput figures); 0 where not meaningful. */
  readonly flops: number;
}

/** Record `dispatches` into `pass` in order. */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: readonly GpuDispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

/** Submit `dispatches` as one command buffer with one compute pass. */
export function submitDispatches(ctx: GpuContext, dispatches: readonly GpuDispatch[]): void {
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
}

function need(ok: boolean, message: string): void {
  if (!ok) throw new GpuError('E_GPU_BAD_ARGS', message);
}

/**
 * Build the dispatch of one GEMM: checks the views cover the operands, picks the tile and the
 * vector loads, compiles (or reuses) the pipeline and writes the uniforms. Call once per plan.
 *
 * @throws GpuError `E_GPU_BAD_ARGS` when a view is too short, C shares a buffer with A or B
 *   (WebGPU forbids a writable binding aliasing another), or a size is out of range.
 */
export function prepareGemm(ctx: GpuContext, args: GpuGemmArgs): GpuDispatch {
  const { transA, transB, m, n, k, a, b, c, accumulate } = args;
  const batch = args.batch ?? 1;
  const strideA = args.strideA ?? m * k;
  const strideB = args.strideB ?? k * n;
  const strideC = args.strideC ?? m * n;
  for (const [name, x] of [['m', m], ['n', n], ['k', k], ['batch', batch]] as const) {
    need(Number.isInteger(x) && x >= 1, `GEMM ${name} must be a positive integer, got ${x}.`);
  }
  need((batch - 1) * strideA + m * k <= a.length, `GEMM: A holds ${a.length} floats, needs ${(batch - 1) * strideA + m * k}.`);
  need((batch - 1) * strideB + k * n <= b.length, `GEMM: B holds ${b.length} floats, needs ${(batch - 1) * strideB + k * n}.`);
  need((batch - 1) * strideC + m * n <= c.length, `GEMM: C holds ${c.length} floats, needs ${(batch - 1) * strideC + m * n}.`);
  need(c.buffer !== a.buffer && c.buffer !== b.buffer, 'GEMM: C must not share a buffer with A or B (WebGPU forbids aliasing a writable binding).');
  const tile = args.tile ?? chooseGemmTile(m, n);
  const bm = tile.wy * tile.tm;
  const bn = tile.wx * tile.tn;
  const wgX = Math.ceil(n / bn);
  const wgY = Math.ceil(m / bm);
  const maxDim = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  need(wgX <= maxDim && wgY <= maxDim && batch <= maxDim, `GEMM ${m}×${n} (batch ${batch}) needs more workgroups than this device allows per dimension (${maxDim}).`);
  const variant: GemmVariant = { transA, transB, tile };
  const key = gemmKey(variant);
  const pipeline = ctx.pipeline(key, () => gemmShader(variant));
  const uniforms = ctx.createUniform(
    new Uint32Array([m, n, k, accumulate ? 1 : 0, a.offset, b.offset, c.offset, 0, strideA, strideB, strideC, 0]),
    key,
  );
  const bindGroup = ctx.device.createBindGroup({
    label: key,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: a.buffer } },
      { binding: 1, resource: { buffer: b.buffer } },
      { binding: 2, resource: { buffer: c.buffer } },
      { binding: 3, resource: { buffer: uniforms } },
    ],
  });
  return { label: key, pipeline, bindGroup, workgroups: [wgX, wgY, batch], flops: 2 * m * n * k * batch };
}
