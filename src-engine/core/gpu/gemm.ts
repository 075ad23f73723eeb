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
 * Vectorised loads: where an operand's contiguous dimension, offset and batch stride are
 * multiples of 4, it is bound as `array<vec4<f32>>` and each invocation stages four elements per
 * load (a quarter of the load instructions); otherwise as `array<f32>`. The staged slices are
 * vec4s in workgroup memory and the next slice's loads are in flight while this one is multiplied
 * (register double-buffering, with constant-bound loops: a first unrolled-by-hand version hung
 * SwiftShader's shader compiler): {@link GemmTile.v4}, {@link GemmTile.pipe}.
 *
 * What the shader cache key holds: transposes, tile shape, vector loads per operand. What the
 * uniforms hold: sizes, offsets, strides, the accumulate flag — so one pipeline serves every size.
 */
import { GpuError, type GpuContext, type GpuTensor } from './context';
import { sumParts } from './kernels/column-sum';
import { encodeComputePass, type GpuDispatch } from './passes';

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
  /**
   * Workgroup memory as vec4s, each invocation owning runs of 4 rows and 4 columns (rows
   * `lid.y·4 + i%4 + (i/4)·4·wy`, likewise columns): its registers fill with one vec4 read per 4
   * values (a quarter of the shared-memory reads of the scalar layout), and every k row of a slice
   * is padded by 4 floats, so that loads along k store without bank conflicts. Needs `tm` and `tn`
   * multiples of 4. Each output still sums over k in order: the same bits as the scalar layout.
   */
  readonly v4?: boolean;
  /**
   * The next k-slice's operands loaded into registers while the current one is multiplied (register
   * double-buffering): one slice's global loads in flight behind each slice's FMAs. The same sums
   * in the same order: the same bits.
   */
  readonly pipe?: boolean;
}

/**
 * The tile shapes the GEMM picks from (see {@link chooseGemmTile}): each stages its slices in the
 * vec4 layout and loads the next slice into registers while it multiplies this one
 * ({@link GemmTile.v4}, {@link GemmTile.pipe}). Measured on an NVIDIA H200 (Vulkan, Dawn;
 * `bash bench/gpu-device.sh tiles`, docs/webgpu-backend.md "On a real GPU"): a 128×128 tile (8×8
 * per invocation) ran 1.9 TFLOP/s at 4096³ (its 64 accumulators do not stay in registers); in one
 * lease (bench/results/2026-11-28-h200-tiles-pipe.txt) `large` (64×128) ran 36.6 TFLOP/s at 4096³ and
 * 33.5 at 2048³ against 27.8 and 24.5 in the scalar layout before, `medium` 26.2 at 1024³ (19.1)
 * and `small` 11.3 at 512³, where `medium` ran 9.2. Each invocation still sums over k in order,
 * so every tile gives the same bits.
 */
export const GEMM_TILES: Readonly<Record<'large' | 'medium' | 'small', GemmTile>> = {
  large: { name: 'large', wx: 16, wy: 16, tm: 4, tn: 8, bk: 16, v4: true, pipe: true },
  medium: { name: 'medium', wx: 16, wy: 16, tm: 4, tn: 4, bk: 16, v4: true, pipe: true },
  small: { name: 'small', wx: 8, wy: 8, tm: 4, tn: 4, bk: 16, v4: true, pipe: true },
};

/**
 * Tiles not picked by {@link chooseGemmTile}, timed beside them by `bash bench/gpu-device.sh
 * tiles`: `medium` in the vec4 layout without the loads ahead, and in the scalar layout the GEMM
 * had before. The same bits.
 */
export const GEMM_TILE_CANDIDATES: readonly GemmTile[] = [
  { ...GEMM_TILES.medium, name: 'mediumV', pipe: false },
  { ...GEMM_TILES.medium, name: 'mediumS', v4: false, pipe: false },
];

/**
 * The tile for an `m×n` output: the largest that still gives enough workgroups to fill a big GPU
 * (a 64×128 tile on a 256×256 product would leave most of the machine idle). On the H200 (132
 * multiprocessors) `large` won from 2048² (512 workgroups), `medium` at 1024² (256 workgroups;
 * large's 128 are one partial wave) and `small` at 512² (256 workgroups; medium's 64 ran 0.8× as fast).
 */
export function chooseGemmTile(m: number, n: number): GemmTile {
  const tiles = (t: GemmTile) => Math.ceil(m / (t.wy * t.tm)) * Math.ceil(n / (t.wx * t.tn));
  if (tiles(GEMM_TILES.large) >= 256) return GEMM_TILES.large;
  if (tiles(GEMM_TILES.medium) >= 128) return GEMM_TILES.medium;
  return GEMM_TILES.small;
}

/** What changes the GEMM shader's text (its pipeline cache key). */
export interface GemmVariant {
  transA: boolean;
  transB: boolean;
  tile: GemmTile;
  /** A (B) is read as vec4s along its contiguous dimension (see {@link vectorLoads}). */
  vecA?: boolean;
  vecB?: boolean;
}

/** The pipeline cache key of a variant. */
export function gemmKey(v: GemmVariant): string {
  const vec = v.vecA || v.vecB ? `:v${v.vecA ? 'A' : ''}${v.vecB ? 'B' : ''}` : '';
  return `gemm:${v.transA ? 'T' : 'N'}${v.transB ? 'T' : 'N'}:${v.tile.name}${vec}`;
}

/**
 * Which operands can be read as vec4s: an operand's contiguous dimension (A: k, or m when
 * transposed; B: n, or k when transposed), its offset and (batched) its stride must be multiples
 * of 4 elements, so every vec4 it is read as lies whole inside it and inside a tile or outside.
 */
export function vectorLoads(a: { transA: boolean; transB: boolean; m: number; n: number; k: number; aOffset: number; bOffset: number; strideA: number; strideB: number; batch: number }): { vecA: boolean; vecB: boolean } {
  const four = (x: number) => x % 4 === 0;
  return {
    vecA: four(a.transA ? a.m : a.k) && four(a.aOffset) && (a.batch === 1 || four(a.strideA)),
    vecB: four(a.transB ? a.k : a.n) && four(a.bOffset) && (a.batch === 1 || four(a.strideB)),
  };
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
  const loadA = stageLoad({ tile: v.tile, src: 'A', dst: 'As', vec: v.vecA ?? false, contiguousIsK: !v.transA, other: 'r', otherBase: 'row0', otherSize: 'P.m', tileOther: bm, bk, threads, base: 'aBase', index: v.transA ? 'kk * P.m + r' : 'r * P.k + kk' });
  const loadB = stageLoad({ tile: v.tile, src: 'B', dst: 'Bs', vec: v.vecB ?? false, contiguousIsK: v.transB, other: 'c', otherBase: 'col0', otherSize: 'P.n', tileOther: bn, bk, threads, base: 'bBase', index: v.transB ? 'c * P.k + kk' : 'kk * P.n + c' });
  return `// ${gemmKey(v)}
${PARAMS_WGSL}
@group(0) @binding(0) var<storage, read> A: array<${v.vecA ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read> B: array<${v.vecB ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

${tileArrays(v.tile)}

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
  ${
    v.tile.pipe
      ? `${loadA.registers}
  ${loadB.registers}
  {
    let k0 = 0u;
    ${loadA.toRegisters}
    ${loadB.toRegisters}
  }
  for (var k0 = 0u; k0 < P.k; k0 = k0 + ${bk}u) {
    ${loadA.fromRegisters}
    ${loadB.fromRegisters}
    workgroupBarrier();
    if (k0 + ${bk}u < P.k) {
      let k1 = k0 + ${bk}u;
      {
        let k0 = k1;
        ${loadA.toRegisters}
        ${loadB.toRegisters}
      }
    }
    ${tileProduct(v.tile)}
    workgroupBarrier();
  }`
      : `for (var k0 = 0u; k0 < P.k; k0 = k0 + ${bk}u) {
    ${loadA.direct}
    ${loadB.direct}
    ${tileMultiply(v.tile)}
  }`
  }
  for (var i = 0u; i < ${tm}u; i = i + 1u) {
    let r = row0 + ${tileRow(v.tile, 'i')};
    if (r >= P.m) { continue; }
    for (var j = 0u; j < ${tn}u; j = j + 1u) {
      let c = col0 + ${tileCol(v.tile, 'j')};
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

/** What {@link stageLoad} stages: one operand's k-slice of a tile, into workgroup memory k-major. */
interface StageLoad {
  tile: GemmTile;
  src: 'A' | 'B';
  dst: 'As' | 'Bs';
  /** Read as vec4s along the contiguous dimension. */
  vec: boolean;
  /** The operand is contiguous along k (A untransposed, B transposed); else along its row/column. */
  contiguousIsK: boolean;
  /** The name of the row (A) or column (B) index, its tile's first one, and its bound. */
  other: 'r' | 'c';
  otherBase: string;
  otherSize: string;
  /** The tile's extent along that dimension (bm or bn) and along k. */
  tileOther: number;
  bk: number;
  threads: number;
  base: string;
  /** The stored element of (other, kk), relative to `base`. */
  index: string;
}

/**
 * The WGSL that stages one k-slice of an operand: `dst[kk0·tileOther + o] = src(other0 + o, k0 + kk0)`,
 * zeros outside the operand. Consecutive invocations walk the operand's contiguous dimension, so
 * their global loads coalesce; with `vec` each loads four consecutive elements at once (the caller
 * ensures the contiguous size, offset and stride are multiples of 4, so a vec4 is wholly in or out).
 */
function stageLoad(l: StageLoad): { direct: string; toRegisters: string; fromRegisters: string; registers: string } {
  const w = l.vec ? 4 : 1;
  // The contiguous dimension's extent in the tile, in loads.
  const along = (l.contiguousIsK ? l.bk : l.tileOther) / w;
  const [kk0, o] = l.contiguousIsK ? [`(i % ${along}u) * ${w}u`, `i / ${along}u`] : [`i / ${along}u`, `(i % ${along}u) * ${w}u`];
  const put = (q: string, x: string) => (l.contiguousIsK ? tileStore(l.tile, l.dst, `kk0 + ${q}`, 'o', x) : tileStore(l.tile, l.dst, 'kk0', `o + ${q}`, x));
  // A vec4 along the tile's rows or columns lands whole in one vec4 of the vec4 layout (o and the stride are multiples of 4).
  const whole = l.vec && !l.contiguousIsK && l.tile.v4;
  const store = (x: string) => (whole ? `${l.dst}[(kk0 * ${tileStride(l.tile, l.src)}u + o) >> 2u] = ${x};` : l.vec ? `for (var q4 = 0u; q4 < 4u; q4 = q4 + 1u) { ${put('q4', `${x}[q4]`)} }` : put('0u', x));
  const read = l.vec ? `${l.src}[(${l.base} + ${l.index}) >> 2u]` : `${l.src}[${l.base} + ${l.index}]`;
  const loads = (l.tileOther * l.bk) / w;
  // Load q of this invocation: slot i, at (kk0, o) in the slice.
  const each = (body: string) =>
    slotLoop(
      loads,
      l.threads,
      `let kk0 = ${kk0};
      let o = ${o};
      ${body}`,
    );
  const value = `let ${l.other} = ${l.otherBase} + o;
      let kk = k0 + kk0;
      var x = ${l.vec ? 'vec4<f32>(0.0)' : '0.0'};
      if (${l.other} < ${l.otherSize} && kk < P.k) { x = ${read}; }`;
  const reg = `p${l.src}`;
  return {
    direct: each(`${value}\n      ${store('x')}`),
    toRegisters: each(`${value}\n      ${reg}[q] = x;`),
    fromRegisters: each(store(`${reg}[q]`)),
    registers: `var ${reg}: array<${l.vec ? 'vec4<f32>' : 'f32'}, ${Math.ceil(loads / l.threads)}>;`,
  };
}

/**
 * The WGSL looping over this invocation's share of a slice's `count` slots (loads of an operand):
 * `threads` invocations take slots `tid`, `tid + threads`, …; `body` reads the slot `i` and the
 * loop index `q` (which register of the invocation's, where the loads go ahead of the product).
 * Shared with the implicit-GEMM convolutions (`kernels/conv.ts`).
 */
export function slotLoop(count: number, threads: number, body: string): string {
  return `for (var q = 0u; q < ${Math.ceil(count / threads)}u; q = q + 1u) {
      let i = tid + q * ${threads}u;
      ${count % threads ? `if (i < ${count}u) ` : ''}{
        ${body}
      }
    }`;
}

/** The floats between consecutive k rows of a staged slice: `bm` (A) or `bn` (B), padded by 4 in the vec4 layout. */
export function tileStride(t: GemmTile, operand: 'A' | 'B'): number {
  const extent = operand === 'A' ? t.wy * t.tm : t.wx * t.tn;
  return extent + (t.v4 ? 4 : 0);
}

/** The tile's row (`i < tm`) or column (`j < tn`) of an invocation's accumulator, as WGSL. */
export function tileRow(t: GemmTile, i: string): string {
  return t.v4 ? `(lid.y * 4u + (${i}) % 4u + ((${i}) / 4u) * ${4 * t.wy}u)` : `(lid.y + (${i}) * ${t.wy}u)`;
}
export function tileCol(t: GemmTile, j: string): string {
  return t.v4 ? `(lid.x * 4u + (${j}) % 4u + ((${j}) / 4u) * ${4 * t.wx}u)` : `(lid.x + (${j}) * ${t.wx}u)`;
}

/** The workgroup arrays `As` (`bk` k rows of A's tile rows) and `Bs` (of B's tile columns). */
export function tileArrays(t: GemmTile): string {
  if (t.v4 && (t.tm % 4 || t.tn % 4)) throw new GpuError('E_GPU_BAD_ARGS', `Tile ${t.name}: the vec4 layout needs tm and tn multiples of 4.`);
  const type = t.v4 ? 'vec4<f32>' : 'f32';
  const w = t.v4 ? 4 : 1;
  return `var<workgroup> As: array<${type}, ${(t.bk * tileStride(t, 'A')) / w}>;
var<workgroup> Bs: array<${type}, ${(t.bk * tileStride(t, 'B')) / w}>;`;
}

/** The WGSL storing `value` as element (k row `kk`, tile row or column `o`) of a staged slice. */
export function tileStore(t: GemmTile, dst: 'As' | 'Bs', kk: string, o: string, value: string): string {
  const at = `(${kk}) * ${tileStride(t, dst === 'As' ? 'A' : 'B')}u + ${o}`;
  return t.v4 ? `{ let e = ${at}; ${dst}[e >> 2u][e & 3u] = ${value}; }` : `${dst}[${at}] = ${value};`;
}

/**
 * The WGSL of one k-slice of a tile's product, without the barriers around it: each invocation
 * adds `As[kk][its rows] ⊗ Bs[kk][its columns]` into its `acc` block (`tm×tn`: {@link tileRow},
 * {@link tileCol}) for every `kk < bk`, the slices staged k-major in `As` and `Bs`
 * ({@link tileArrays}), through the registers `ra` and `rb`.
 */
export function tileProduct(t: GemmTile): string {
  const sa = tileStride(t, 'A');
  const sb = tileStride(t, 'B');
  const fill = t.v4
    ? `for (var i = 0u; i < ${t.tm / 4}u; i = i + 1u) {
        let a = As[kk * ${sa / 4}u + i * ${t.wy}u + lid.y];
        ra[i * 4u] = a.x; ra[i * 4u + 1u] = a.y; ra[i * 4u + 2u] = a.z; ra[i * 4u + 3u] = a.w;
      }
      for (var j = 0u; j < ${t.tn / 4}u; j = j + 1u) {
        let b = Bs[kk * ${sb / 4}u + j * ${t.wx}u + lid.x];
        rb[j * 4u] = b.x; rb[j * 4u + 1u] = b.y; rb[j * 4u + 2u] = b.z; rb[j * 4u + 3u] = b.w;
      }`
    : `for (var i = 0u; i < ${t.tm}u; i = i + 1u) { ra[i] = As[kk * ${sa}u + lid.y + i * ${t.wy}u]; }
      for (var j = 0u; j < ${t.tn}u; j = j + 1u) { rb[j] = Bs[kk * ${sb}u + lid.x + j * ${t.wx}u]; }`;
  return `for (var kk = 0u; kk < ${t.bk}u; kk = kk + 1u) {
      ${fill}
      for (var i = 0u; i < ${t.tm}u; i = i + 1u) {
        for (var j = 0u; j < ${t.tn}u; j = j + 1u) { acc[i * ${t.tn}u + j] = fma(ra[i], rb[j], acc[i * ${t.tn}u + j]); }
      }
    }`;
}

/**
 * The WGSL of one k-slice of a tile's product between the barriers around it ({@link tileProduct}).
 * Shared with the implicit-GEMM convolutions (`kernels/conv.ts`).
 */
export function tileMultiply(t: GemmTile): string {
  return `workgroupBarrier();
    ${tileProduct(t)}
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
  /** Read operands as vec4s where they allow it (default true; false: scalar loads, for tests and comparisons). */
  vectorLoads?: boolean;
}

export type { GpuDispatch } from './passes';

/** Submit `dispatches` as one command buffer with one compute pass (one each while `ctx.profiler` is set). */
export function submitDispatches(ctx: GpuContext, dispatches: readonly GpuDispatch[]): void {
  const enc = ctx.device.createCommandEncoder();
  encodeComputePass(ctx, enc, 'dispatches', dispatches);
  ctx.device.queue.submit([enc.finish()]);
}

/** Workgroups a split-k product aims for (the H200 has 132 SMs; twice that keeps them busy). */
const SPLIT_K_TARGET = 256;
/** The fewest terms a split of k sums: below it the partials' traffic outweighs the parallelism. */
const SPLIT_K_MIN = 256;

/**
 * How many parts a weight gradient's `k` (the batch's rows) is split into: powers of two while
 * the tiles of `m×n` stay under {@link SPLIT_K_TARGET} workgroups and each part keeps
 * {@link SPLIT_K_MIN} terms; 1 where the product already fills the GPU.
 */
export function splitKParts(m: number, n: number, k: number): number {
  const t = chooseGemmTile(m, n);
  const tiles = Math.ceil(m / (t.wy * t.tm)) * Math.ceil(n / (t.wx * t.tn));
  let parts = 1;
  while (tiles * parts < SPLIT_K_TARGET && k % (2 * parts) === 0 && k / (2 * parts) >= SPLIT_K_MIN) parts *= 2;
  return parts;
}

/**
 * `C += Aᵀ·B` (A `[k, m]`, B `[k, n]`: a weight's gradient from its layer's rows) with `k` split
 * over workgroups where `m×n` has too few tiles to fill the GPU (the tiny GPT's `dW`s: 16 tiles
 * summing 4,096 rows each): one batched product of the parts into partials, then their sum added
 * into C in order (column-sum.ts sumParts). The order of additions, and so the last bits, differ from one product's;
 * where the split is 1 it is that product. A `[k, ·]` operand's parts are contiguous, so the
 * batch strides express them.
 */
export function prepareWeightGradient(ctx: GpuContext, args: Omit<GpuGemmArgs, 'transA' | 'transB' | 'accumulate' | 'batch'>): GpuDispatch[] {
  const { m, n, k, c } = args;
  const parts = splitKParts(m, n, k);
  if (parts === 1) return [prepareGemm(ctx, { ...args, transA: true, transB: false, accumulate: true })];
  const kp = k / parts;
  const partials = ctx.createTensor(parts * m * n, 'gemm split-k partials');
  const product = prepareGemm(ctx, { ...args, transA: true, transB: false, k: kp, c: partials, accumulate: false, batch: parts, strideA: kp * m, strideB: kp * n, strideC: m * n });
  return [product, sumParts(ctx, 'gemm:split-k', partials, parts, { ...c, length: m * n }, 'add')];
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
  // A vec4 must also fit the tile along the contiguous dimension (every GEMM tile does: bk, tm·wy and tn·wx are multiples of 4).
  const fits = (x: number) => x % 4 === 0;
  const can = args.vectorLoads === false ? { vecA: false, vecB: false } : vectorLoads({ transA, transB, m, n, k, aOffset: a.offset, bOffset: b.offset, strideA, strideB, batch });
  const vec = { vecA: can.vecA && fits(transA ? bm : tile.bk), vecB: can.vecB && fits(transB ? tile.bk : bn) };
  const variant: GemmVariant = { transA, transB, tile, ...vec };
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
  // What the product reads and writes: its operands once each (C twice when accumulating).
  const bytes = 4 * batch * (m * k + k * n + (accumulate ? 2 : 1) * m * n);
  return { label: key, pipeline, bindGroup, workgroups: [wgX, wgY, batch], flops: 2 * m * n * k * batch, bytes };
}
