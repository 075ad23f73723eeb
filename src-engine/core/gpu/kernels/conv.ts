/// <reference types="@webgpu/types" />
/**
 * Conv2d on the GPU, as `core/ops/conv2d.ts` (`torch.nn.Conv2d`: cross-correlation, weight
 * `[outC, inC/groups, kH, kW]`, stride, zero padding, dilation, groups, optional bias), as
 * **implicit GEMMs**: the op file's im2col + GEMM per group, without materialising the unfolded
 * image. Each workgroup computes a `BM×BN` tile of one group's product from `BK`-deep slices of
 * both operands staged in workgroup memory, gathered straight from the tensors (zero where a tap
 * falls in the padding); each invocation keeps a `TM×TN` block of sums in registers. With
 * `K = (inC/groups)·kH·kW` the unfolded rows, per group g:
 * - forward: `Y[o, (n, oy, ox)] = b[o] + Σ_K W[o, K] · im2col(X)[K, (n, oy, ox)]` — rows the
 *   group's output channels, columns the output pixels of the batch;
 * - `dx += …`: `dX[ci, (n, y, x)] += Σ_{(o, ky, kx)} W[o, ci, ky, kx] · dY[n, o, oy, ox]` over the
 *   taps whose window covers the pixel (`y + ph − ky·dh = oy·sh`, likewise x): the transposed
 *   product with col2im done as a gather, so each invocation owns the pixels it writes;
 * - `dW += …`: `dW[o, K] += Σ_{(n, oy, ox)} dY[o, (n, oy, ox)] · im2col(X)[K, (n, oy, ox)]` — the
 *   long sum (N·outH·outW terms) split over several workgroups, each writing its partial tile to a
 *   workspace, then one pass adding the partials into `dW` in split order;
 * - `db += …`: per output channel, the sum of `dy` (direct: one invocation per channel).
 *
 * No two invocations write one float and every sum runs in a fixed order (no atomics: WGSL has
 * none for floats), so a step gives the same bits every time.
 *
 * The shaders are also ConvTranspose2d's (`conv-transpose.ts`), which is Conv2d's adjoint: its
 * forward is the `dx` product (writing, with a bias), its `dx` is the forward (adding, without
 * one), its `dW` is this `dW` with the image and the gradient swapped. So the forward and `dx`
 * take a bias (`hasBias`) and whether they add into or overwrite what they write (`accumulate`)
 * as uniforms, and both ops share the pipelines.
 *
 * What the pipeline key holds: the pass and the tile (which sets the workgroup arrays and the
 * register blocks). Sizes, strides, padding, dilation, groups, offsets, the split: uniforms.
 *
 * NOTE: constant-bound loops and scalar loads, as `../gemm.ts`: SwiftShader (the only adapter in
 * the environment this was written in) compiles them in about a second, where a hand-unrolled
 * GEMM never finished compiling.
 *
 * A strided `dx` (dilation 1) runs per stride phase (`dxs`: a sub-pixel split, one phase per
 * `split` of the grid): the pixels of one phase are reached by one sub-grid of taps only, so it
 * sums (outC/groups)·⌈kH/sH⌉·⌈kW/sW⌉ terms, where gathering through every tap would add a zero
 * for a (1 − 1/(sH·sW)) share of them. It is ConvTranspose2d's forward too (a GAN generator's
 * upsampling): on SwiftShader the DCGAN template's four stride-2 dx products went from 0.90 to
 * 0.49 s a step. A dilated strided `dx` still gathers through every tap.
 */
import { conv2dPlan } from '../../ops/conv2d';
import { as2d } from '../../ops/conv1d';
import { GpuError, type GpuTensor } from '../context';
import { slotLoop, tileArrays, tileCol, tileMultiply, tileProduct, tileRow, tileStore, type GemmTile, type GpuDispatch } from '../gemm';
import { channelsOf, columnSum, sumParts } from './column-sum';
import { bindDispatch, bindings, words, type StorageBinding } from './dispatch';
import type { GpuKernelArgs, GpuOpKernel } from './types';

/**
 * The geometry every conv shader reads, its buffer offsets, and the product's shape: `gm×gn`
 * over `gk` (per group), `rowTiles×colTiles` tiles per group and split, `tiles` in all, laid out
 * `gridX` workgroups to a row of the grid; `dw` splits `gk` into runs of `splitLen`, each split's
 * partials `splitStride` apart.
 */
const PARAMS = `struct Params {
  n: u32, c: u32, h: u32, w: u32,
  oc: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: u32, pw: u32, dh: u32, dw: u32,
  xOff: u32, wOff: u32, bOff: u32, yOff: u32,
  hasBias: u32, accumulate: u32, gm: u32, gn: u32,
  gk: u32, splitLen: u32, splitStride: u32, rowTiles: u32,
  colTiles: u32, tiles: u32, gridX: u32, rowStride: u32,
}`;

/**
 * The tiles, by the rows of the product they cover (`wy·tm`): the output channels of a group for
 * the forward and `dW`, its input channels for `dx`. Columns (pixels, or `dW`'s unfolded rows)
 * are many, so every tile is 64 or 128 wide. Those of 4 rows an invocation and more stage their
 * slices in the vec4 layout and load the next slice into registers while they multiply this one
 * (`GemmTile.v4`, `pipe`): on the H200, every tile timed on resnet18's convolutions at batch 16
 * (`bash bench/gpu-device.sh convtiles`, bench/results/2026-11-28-h200-convtiles.txt), the forward,
 * `dx` and `dW` of all of them took 24.8 ms with the wide tile so built against 37.5 in the scalar
 * layout (the 64×64 tile: 29.4 against 33.8); the vec4 layout alone or the loads ahead alone
 * gained less or lost. The same sums in the same order: the same bits.
 */
export const CONV_TILES: readonly GemmTile[] = [
  { name: 'r4', wx: 32, wy: 4, tm: 1, tn: 4, bk: 16 },
  { name: 'r16', wx: 16, wy: 4, tm: 4, tn: 4, bk: 16, v4: true, pipe: true },
  { name: 'r32', wx: 16, wy: 8, tm: 4, tn: 4, bk: 16, v4: true, pipe: true },
  { name: 'r64', wx: 16, wy: 16, tm: 4, tn: 4, bk: 16, v4: true, pipe: true },
];

/**
 * 64 rows by 128 columns, 4×8 accumulators an invocation: the GEMM's `large` shape, which ran
 * 1.6× the 64×64 tile's FLOP/s on the H200 at 4096³ ("On a real GPU"). For products of at least
 * 64 rows with enough columns to still fill the GPU (a 224×224 network's convolutions at batch 16).
 */
export const CONV_TILE_WIDE: GemmTile = { name: 'r64w', wx: 16, wy: 16, tm: 4, tn: 8, bk: 16, v4: true, pipe: true };
/** Workgroups the wide tile must still give (as `chooseGemmTile`'s large tile). */
const WIDE_MIN_TILES = 256;
/** Workgroups the wide tile must still give a forward or `dx` product over several taps. */
const WIDE_MIN_TILES_TAPS = 150;

/**
 * The narrowest tile that covers `rows` rows (the widest beyond 64): the fewest idle rows. At 64
 * rows and beyond, the wide tile where `cols` columns give it {@link WIDE_MIN_TILES} workgroups,
 * or, for a kernel of several `taps` (a long unfolded depth per output), every `dW` product and a
 * forward or `dx` product with {@link WIDE_MIN_TILES_TAPS} workgroups. Measured on the H200 with
 * every conv tile on resnet18's and mobilenet_v3_small's convolutions at batch 16
 * (`bash bench/gpu-device.sh convtiles`, bench/results/2026-11-27-h200-s39-convtiles.txt): the wide
 * tile took 0.73–0.84× the 64×64 tile's time for the 3×3 and 7×7 `dW`s (512→512 at 7×7 a tie) but
 * 1.06–1.40× for the 1×1 ones; for 3×3 forwards and `dx` 0.81–0.85× from 196 workgroups, 1.02–1.10×
 * at 100. Every tile sums k in the same order; a choice changes bits only through a split's
 * boundaries (`dwSplit` counts the tiles).
 */
export function convTile(rows: number, cols = 0, o: { taps?: number; pass?: 'fwd' | 'dx' | 'dxs' | 'dw' } = {}): GemmTile {
  const t = CONV_TILES.find((c) => c.wy * c.tm >= rows) ?? CONV_TILES[CONV_TILES.length - 1];
  if (t.wy * t.tm < 64) return t;
  const wideTiles = Math.ceil(rows / (CONV_TILE_WIDE.wy * CONV_TILE_WIDE.tm)) * Math.ceil(cols / (CONV_TILE_WIDE.wx * CONV_TILE_WIDE.tn));
  const manyTaps = (o.taps ?? 1) > 1 && (o.pass === 'dw' || wideTiles >= WIDE_MIN_TILES_TAPS);
  return wideTiles >= WIDE_MIN_TILES || manyTaps ? CONV_TILE_WIDE : t;
}

/**
 * An index that fails every bounds test of a gathered load: a k index past the workgroup's range
 * (`K_OUT`) or a column past the product's (`COL_OUT`), so that a load tests one condition, not
 * three. Indices are u32 and wrap (two's complement), so "negative" rows and columns are huge and
 * a bounds test is one unsigned comparison; a sentinel plus or minus a real row or column (under
 * 2³⁰), or minus the other sentinel, stays at least 2³⁰, beyond any image.
 */
const K_OUT = '0x80000000u';
const COL_OUT = '0x40000000u';

/**
 * The two halves of the unfolded image, each decomposed where it is invariant, so that no load
 * divides: `tapAt(u)` sets `entry` to unfolded row u = (ci, ky, kx) of group g as
 * `(ci·H·W + ky·dh·W + kx·dw, ky·dh, kx·dw, 0)`, its place relative to a window's corner;
 * `windowAt(pix)` to output pixel `pix` = (n, oy, ox) as `(xBase + iy0·W + ix0, iy0, ix0, dY's
 * index of the pixel)`, xBase its sample's first channel of the group and (iy0, ix0) the window's
 * top-left corner. `bad` is the sentinel the entry holds where `ok` is false. {@link imageValue}
 * then reads the image under a window and a tap.
 */
const tapAt = (u: string, ok: string, bad: string) => `let tci = ${u} / khw;
    let ttap = ${u} % khw;
    let tkyd = (ttap / P.kw) * P.dh;
    let tkxd = (ttap % P.kw) * P.dw;
    let entry = select(vec4<u32>(0u, ${bad}, 0u, 0u), vec4<u32>(tci * hw + tkyd * P.w + tkxd, tkyd, tkxd, 0u), ${ok});`;
const windowAt = (pix: string, ok: string, bad: string) => `let wn = ${pix} / ohw;
    let wp = ${pix} % ohw;
    let wy0 = (wp / P.ow) * P.sh - P.ph;
    let wx0 = (wp % P.ow) * P.sw - P.pw;
    let entry = select(vec4<u32>(0u, ${bad}, 0u, 0u), vec4<u32>(P.xOff + (wn * P.c + g * cg) * hw + wy0 * P.w + wx0, wy0, wx0, P.yOff + (wn * P.oc + g * og) * ohw + wp), ${ok});`;
/** `v` = the image value under window entry `win` and tap entry `tap`, left 0 in the padding. */
const imageValue = (win: string, tap: string) => `if (${win}.y + ${tap}.y < P.h && ${win}.z + ${tap}.z < P.w) { v = X[${win}.x + ${tap}.x]; }`;

/**
 * One product pass, as WGSL: its storage bindings (the uniform `P` follows them); what each
 * invocation computes once (`fixed`); the k table and the column table (below); what it reads once
 * per k-slice (`slice`, from `sk`, the k index of its loads that run along k, and its own entry
 * `Kt[(kb + ks)·entries]`); statements setting `v` to A's element (row `r`, k index `kk`) and to
 * B's (slice index `kk0`, tile column `nn`); whether each operand is loaded along k or along its
 * rows/columns (the order that keeps neighbouring invocations on neighbouring addresses, and makes
 * the other index fixed per invocation); the output array, an element's index `at` (a statement),
 * and the bias' index, if it takes one.
 *
 * Every tile has a multiple of `bk`, `bm` and `bn` invocations, so an invocation's loads along k
 * all have k index `sk` (slice index `ks = tid % bk`), and its loads along the columns all have
 * column `col0 + tid % bn`: what depends only on those is computed in `slice` and `fixed`, not per
 * element. What depends on the k index of a load across k is in the **k table**: `table` sets
 * `entry` (or `entry0`, `entry1`: `entries` vec4<u32> per k index) from k index `tk`, valid where
 * `ok`; the workgroup's first `bk` invocations fill it per k-slice, at `Kt[(kb + j)·entries + e]`
 * for slice index j, each slice's while the others load the one before (two buffers, no extra
 * barrier). What depends on a column across the columns (`dW`'s taps) is in the **column table**
 * (`columns` sets `entry` from column `cc`, valid where `ok`, at `Ct[nn]`), filled once.
 * B's element must read as zero for a column or a k index out of range: the entries' sentinels.
 */
interface ProductPass {
  /**
   * Statements defining `kBegin`, `kEnd` (the k range this workgroup sums) and `gnEnd` (the
   * product's columns), after `split` and `g`; default: split `split` of `P.splitLen` terms, and `P.gn`.
   */
  range?: string;
  storage: readonly StorageBinding[];
  fixed: (bn: number) => string;
  table: string;
  entries: 1 | 2;
  columns?: string;
  slice: string;
  a: string;
  aAlongK: boolean;
  b: string;
  bAlongK: boolean;
  out: string;
  at: string;
  bias?: string;
}

const PRODUCTS: Record<'fwd' | 'dx' | 'dxs' | 'dw', ProductPass> = {
  // Y[n, g·og + r, p] (+)= b + Σ_{kk = (ci, ky, kx)} W[g·og + r, kk] · im2col(g)[kk, (n, p)]:
  // the taps in the k table, the invocation's output pixel (its window) in registers.
  fwd: {
    storage: [['X', 'read'], ['W', 'read'], ['B', 'read'], ['Y', 'read_write']],
    fixed: (bn) => `let pc = col0 + tid % ${bn}u;
  var win: vec4<u32>;
  {
    ${windowAt('pc', 'pc < gnEnd', COL_OUT)}
    win = entry;
  }`,
    table: tapAt('tk', 'ok', K_OUT),
    entries: 1,
    slice: 'let wAt = P.wOff + g * og * P.gk + sk;',
    a: 'v = W[wAt + r * P.gk];',
    aAlongK: true,
    b: `let tap = Kt[kb + kk0]; ${imageValue('win', 'tap')}`,
    bAlongK: false,
    out: 'Y',
    at: 'let at = P.yOff + split * P.splitStride + ((c / ohw) * P.oc + g * og + r) * ohw + c % ohw;',
    bias: 'P.bOff + g * og + r',
  },
  // dX[n, g·cg + r, y, x] (+)= b + Σ_{kk = (o, ky, kx)} W[g·og + o, r, ky, kx] · dY[n, g·og + o, oy, ox]
  // over the taps with y + ph − ky·dh = oy·sh and x + pw − kx·dw = ox·sw inside the output. With
  // y + ph = qy·sh + ry (per column, in registers) and ky·dh = ay·sh + by (per k, in the table),
  // the tap reaches the pixel iff ry = by (one phase index compares y and x) and oy = qy − ay is
  // in [0, oh). A column or k index out of range has a phase no other has.
  dx: {
    storage: [['DY', 'read'], ['W', 'read'], ['B', 'read'], ['DX', 'read_write']],
    fixed: (bn) => `let dc = col0 + tid % ${bn}u;
  let dp = dc % hw;
  let ty0 = dp / P.w + P.ph;
  let tx0 = dp % P.w + P.pw;
  let qy = ty0 / P.sh;
  let qx = tx0 / P.sw;
  let phase = select(0xfffffffeu, (ty0 % P.sh) * P.sw + tx0 % P.sw, dc < gnEnd);
  let dyAt = P.yOff + ((dc / hw) * P.oc + g * og) * ohw + qy * P.ow + qx;`,
    table: `let tch = tk / khw;
    let ttap = tk % khw;
    let tkyd = (ttap / P.kw) * P.dh;
    let tkxd = (ttap % P.kw) * P.dw;
    let ay = tkyd / P.sh;
    let ax = tkxd / P.sw;
    let entry0 = vec4<u32>(tch * ohw - ay * P.ow - ax, ay, ax, select(0xffffffffu, (tkyd % P.sh) * P.sw + tkxd % P.sw, ok));
    let entry1 = vec4<u32>(P.wOff + (g * og + tch) * cg * khw + ttap, 0u, 0u, 0u);`,
    entries: 2,
    slice: 'let wAt = Kt[(kb + ks) * 2u + 1u].x;',
    a: 'v = W[wAt + r * khw];',
    aAlongK: true,
    b: `let t = Kt[(kb + kk0) * 2u];
      if (t.w == phase && qy - t.y < P.oh && qx - t.z < P.ow) { v = DY[dyAt + t.x]; }`,
    bAlongK: false,
    out: 'DX',
    at: 'let at = P.xOff + split * P.splitStride + ((c / hw) * P.c + g * cg + r) * hw + c % hw;',
    bias: 'P.bOff + g * cg + r',
  },
  // dx of a strided convolution (dilation 1), one stride phase per `split` (qy, qx): the pixels
  // with (y + ph) mod sh = qy and (x + pw) mod sw = qx, y = y0 + yi·sh, x = x0 + xi·sw, which
  // only the taps ky = qy + tyi·sh, kx = qx + txi·sw reach, at oy = yi + by − tyi, ox = xi + bx − txi:
  // dX[n, g·cg + r, y, x] (+)= b + Σ_{kk = (o, tyi, txi)} W[g·og + o, r, ky, kx] · dY[n, g·og + o, oy, ox].
  // The plain dx pass gathers through all kH·kW taps, a (1 − 1/(sh·sw)) share of which miss.
  // The table holds, per k index, W's index, dY's relative to the pixel's (yi + by, xi + bx), tyi, txi.
  dxs: {
    range: `let qy = split / P.sw;
  let qx = split % P.sw;
  let y0 = (qy + P.sh - P.ph % P.sh) % P.sh;
  let x0 = (qx + P.sw - P.pw % P.sw) % P.sw;
  let ny = select(0u, (P.h - y0 + P.sh - 1u) / P.sh, y0 < P.h);
  let nx = select(0u, (P.w - x0 + P.sw - 1u) / P.sw, x0 < P.w);
  let kyN = select(0u, (P.kh - qy + P.sh - 1u) / P.sh, qy < P.kh);
  let kxN = select(0u, (P.kw - qx + P.sw - 1u) / P.sw, qx < P.kw);
  let by = (y0 + P.ph - qy) / P.sh;
  let bx = (x0 + P.pw - qx) / P.sw;
  let nyx = ny * nx;
  let kyx = kyN * kxN;
  let kBegin = 0u;
  let kEnd = og * kyx;
  let gnEnd = P.n * nyx;`,
    storage: [['DY', 'read'], ['W', 'read'], ['B', 'read'], ['DX', 'read_write']],
    fixed: (bn) => `let dc = col0 + tid % ${bn}u;
  let drem = dc % max(nyx, 1u);
  let oyBase = select(${COL_OUT}, drem / max(nx, 1u) + by, dc < gnEnd);
  let oxBase = drem % max(nx, 1u) + bx;
  let dyAt = P.yOff + ((dc / max(nyx, 1u)) * P.oc + g * og) * ohw + oyBase * P.ow + oxBase;`,
    table: `let tch = tk / max(kyx, 1u);
    let st = tk % max(kyx, 1u);
    let tyi = st / max(kxN, 1u);
    let txi = st % max(kxN, 1u);
    let entry = vec4<u32>(P.wOff + (g * og + tch) * cg * khw + (qy + tyi * P.sh) * P.kw + qx + txi * P.sw, tch * ohw - tyi * P.ow - txi, select(${K_OUT}, tyi, ok), txi);`,
    entries: 1,
    slice: 'let wAt = Kt[kb + ks].x;',
    a: 'v = W[wAt + r * khw];',
    aAlongK: true,
    b: `let t = Kt[kb + kk0];
      if (oyBase - t.z < P.oh && oxBase - t.w < P.ow) { v = DY[dyAt + t.y]; }`,
    bAlongK: false,
    out: 'DX',
    at: 'let pix = c % nyx; let at = P.xOff + ((c / nyx) * P.c + g * cg + r) * hw + (y0 + (pix / nx) * P.sh) * P.w + x0 + (pix % nx) * P.sw;',
    bias: 'P.bOff + g * cg + r',
  },
  // OUT[split][g·og + r, c] (+)= Σ_{kk = (n, p) in the split} dY[n, g·og + r, p] · im2col(g)[c, (n, p)]:
  // the output pixels (windows) in the k table, the columns' taps in the column table.
  dw: {
    storage: [['X', 'read'], ['DY', 'read'], ['OUT', 'read_write']],
    fixed: () => '',
    table: windowAt('tk', 'ok', K_OUT),
    entries: 1,
    columns: tapAt('cc', 'ok', COL_OUT),
    slice: 'let win = Kt[kb + ks];',
    a: 'v = DY[win.w + r * ohw];',
    aAlongK: true,
    b: `let tap = Ct[nn]; ${imageValue('win', 'tap')}`,
    bAlongK: true,
    out: 'OUT',
    at: 'let at = P.wOff + split * P.splitStride + (g * og + r) * P.gn + c;',
  },
};

/** What every conv shader computes first: its tile (workgroup) index, leaving if past the last, and the sizes per group. */
const TILE_GEOMETRY = `let tile = wg.y * P.gridX + wg.x;
  if (tile >= P.tiles) { return; }
  let cg = P.c / P.groups;
  let og = P.oc / P.groups;
  let khw = P.kh * P.kw;
  let ohw = P.oh * P.ow;
  let hw = P.h * P.w;`;

/** The WGSL of one product pass on one tile (the structure of `../gemm.ts`'s shader). */
function productShader(pass: 'fwd' | 'dx' | 'dxs' | 'dw', t: GemmTile): string {
  const p = PRODUCTS[pass];
  const bm = t.wy * t.tm;
  const bn = t.wx * t.tn;
  const threads = t.wx * t.wy;
  if (threads % t.bk || threads % bm || threads % bn) throw new GpuError('E_GPU_BAD_ARGS', `Conv tile ${t.name}: ${threads} invocations must be a multiple of ${t.bk}, ${bm} and ${bn}.`);
  const aSlot = p.aAlongK ? `let kk0 = i % ${t.bk}u; let mm = i / ${t.bk}u;` : `let mm = i % ${bm}u; let kk0 = i / ${bm}u;`;
  const bSlot = p.bAlongK ? `let kk0 = i % ${t.bk}u; let nn = i / ${t.bk}u;` : `let nn = i % ${bn}u; let kk0 = i / ${bn}u;`;
  const bias = p.bias ? `if (P.hasBias != 0u) { y = y + B[${p.bias}]; }` : '';
  const e = p.entries;
  // The k table's entries for the slice starting at k index `from`, into the buffer at `base`.
  const fill = (base: string, from: string) => `if (tid < ${t.bk}u) {
    let tk = ${from} + tid;
    let ok = tk < kEnd;
    ${p.table}
    ${e === 1 ? `Kt[${base} + tid] = entry;` : `Kt[(${base} + tid) * 2u] = entry0;\n    Kt[(${base} + tid) * 2u + 1u] = entry1;`}
  }`;
  // Element `q` of this invocation's loads of A (B): its slot `i` in the slice (a tile may have
  // fewer of A's elements than invocations: r4), and its value `v`, for the slice at k index `k0`
  // whose table is at `kb` (p.slice, p.a and p.b read both names).
  const counts = { A: bm * t.bk, B: bn * t.bk };
  const each = (o: 'A' | 'B', body: string) => slotLoop(counts[o], threads, `${o === 'A' ? aSlot : bSlot}\n        ${body}`);
  const valueA = `let r = row0 + mm;
        let kk = k0 + kk0;
        var v = 0.0;
        if (r < P.gm && kk < kEnd) { ${p.a} }`;
  const valueB = `var v = 0.0;
        ${p.b}`;
  const direct = `${each('A', `${valueA}\n        ${tileStore(t, 'As', 'kk0', 'mm', 'v')}`)}
    ${each('B', `${valueB}\n        ${tileStore(t, 'Bs', 'kk0', 'nn', 'v')}`)}`;
  // pipe: the slice's values into registers (pa, pb) while the last is multiplied, then to the tiles.
  const na = Math.ceil(counts.A / threads);
  const nb = Math.ceil(counts.B / threads);
  const toRegisters = `${each('A', `${valueA}\n        pa[q] = v;`)}
    ${each('B', `${valueB}\n        pb[q] = v;`)}`;
  const fromRegisters = `${each('A', tileStore(t, 'As', 'kk0', 'mm', 'pa[q]'))}
    ${each('B', tileStore(t, 'Bs', 'kk0', 'nn', 'pb[q]'))}`;
  const slice = (k: string, kbuf: string, body: string) => `{
    ${k === 'k0' ? '' : `let k0 = ${k};`}
    ${kbuf === 'kb' ? '' : `let kb = ${kbuf};`}
    let sk = k0 + ks;
    ${p.slice}
    ${body}
  }`;
  // Without pipe, per slice: the next slice's table, this slice's loads, the product. With pipe,
  // per slice: the registers (loaded during the last slice) to the tiles; the next slice's loads
  // into registers (its table was filled during the last slice); the table of the slice after
  // it into the buffer this slice's loads used (read before the barrier above); the product.
  const loop = t.pipe
    ? `var pa: array<f32, ${na}>;
  var pb: array<f32, ${nb}>;
  ${slice('kBegin', '0u', toRegisters)}
  ${fill(`${t.bk}u`, `kBegin + ${t.bk}u`)}
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${t.bk}u) {
    ${fromRegisters}
    workgroupBarrier();
    let kn = k0 + ${t.bk}u;
    let kbn = ${t.bk}u - kb;
    if (kn < kEnd) ${slice('kn', 'kbn', toRegisters)}
    ${fill('kb', `kn + ${t.bk}u`)}
    ${tileProduct(t)}
    workgroupBarrier();
    kb = ${t.bk}u - kb;
  }`
    : `for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${t.bk}u) {
    ${fill(`${t.bk}u - kb`, `k0 + ${t.bk}u`)}
    ${slice('k0', 'kb', direct)}
    ${tileMultiply(t)}
    kb = ${t.bk}u - kb;
  }`;
  return `// conv2d:${pass}:${t.name}
${PARAMS}
${bindings(p.storage)}
${tileArrays(t)}
var<workgroup> Kt: array<vec4<u32>, ${2 * t.bk * e}>;
${p.columns ? `var<workgroup> Ct: array<vec4<u32>, ${bn}>;` : ''}
@compute @workgroup_size(${t.wx}, ${t.wy}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  ${TILE_GEOMETRY}
  let col0 = (tile % P.colTiles) * ${bn}u;
  let row0 = ((tile / P.colTiles) % P.rowTiles) * ${bm}u;
  let layer = tile / (P.colTiles * P.rowTiles);
  let g = layer % P.groups;
  let split = layer / P.groups;
  ${p.range ?? `let kBegin = split * P.splitLen;
  let kEnd = min(kBegin + P.splitLen, P.gk);
  let gnEnd = P.gn;`}
  ${p.fixed(bn)}
  ${p.columns ? `if (tid < ${bn}u) {
    let cc = col0 + tid;
    let ok = cc < gnEnd;
    ${p.columns}
    Ct[tid] = entry;
  }` : ''}
  ${fill('0u', 'kBegin')}
  workgroupBarrier();
  let ks = tid % ${t.bk}u;
  var kb = 0u;
  var acc: array<f32, ${t.tm * t.tn}>;
  var ra: array<f32, ${t.tm}>;
  var rb: array<f32, ${t.tn}>;
  ${loop}
  for (var i = 0u; i < ${t.tm}u; i = i + 1u) {
    let r = row0 + ${tileRow(t, 'i')};
    if (r >= P.gm) { continue; }
    for (var j = 0u; j < ${t.tn}u; j = j + 1u) {
      let c = col0 + ${tileCol(t, 'j')};
      if (c >= gnEnd) { continue; }
      ${p.at}
      var y = acc[i * ${t.tn}u + j];
      ${bias}
      if (P.accumulate != 0u) { y = ${p.out}[at] + y; }
      ${p.out}[at] = y;
    }
  }
}
`;
}

/** The most weights per group `dwDirectShader` computes: one workgroup's invocations. */
const DIRECT_DW_OUTPUTS = 64;
/** The terms one split of a direct `dW` sums, one after another in each invocation. */
const DIRECT_DW_TERMS = 256;

/**
 * A direct `dW`'s splits: runs of {@link DIRECT_DW_TERMS} terms (longer where the partials would
 * pass {@link DW_MAX_PARTIALS}), so that its serial sums are short and its workgroups many.
 */
export function directDwSplit(terms: number, len: number): { splits: number; splitLen: number } {
  const most = Math.max(1, Math.floor(DW_MAX_PARTIALS / len));
  const splitLen = Math.max(DIRECT_DW_TERMS, Math.ceil(terms / most / DIRECT_DW_OUTPUTS) * DIRECT_DW_OUTPUTS);
  return { splits: Math.ceil(terms / splitLen), splitLen };
}

/**
 * `dW` of a group with few weights (a depthwise layer: 1 output channel × 1 input channel × its
 * taps), one invocation per weight: the tile for it (r4) keeps 1 of its 4 rows and 9 or 25 of its
 * 128 columns busy, and ran mobilenet_v3_small's depthwise `dW`s at 0.07 TFLOP/s on the H200 (3.5 of
 * its step's 14.3 ms). One workgroup per group and split; each k-slice of 64 output pixels has its
 * windows staged in workgroup memory, then every invocation adds `dY · x` over them in k order.
 * With the tile's splits (long: up to thousands of terms in a row) it took 2.9 ms, so it splits
 * into runs of 256 terms ({@link directDwSplit}), the partials then summed in split order: another
 * order of additions than the tile's, within the bound of any order.
 */
function dwDirectShader(): string {
  const p = PRODUCTS.dw;
  return `// conv2d:dw:direct
${PARAMS}
${bindings(p.storage)}
var<workgroup> Win: array<vec4<u32>, ${DIRECT_DW_OUTPUTS}>;
@compute @workgroup_size(${DIRECT_DW_OUTPUTS}, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  ${TILE_GEOMETRY}
  let g = tile % P.groups;
  let split = tile / P.groups;
  let kBegin = split * P.splitLen;
  let kEnd = min(kBegin + P.splitLen, P.gk);
  let mine = tid < P.gm * P.gn;
  let r = select(0u, tid / P.gn, mine);
  let c = tid % P.gn;
  var tap: vec4<u32>;
  {
    ${tapAt('c', 'mine', COL_OUT)}
    tap = entry;
  }
  var acc = 0.0;
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${DIRECT_DW_OUTPUTS}u) {
    {
      let tk = k0 + tid;
      let ok = tk < kEnd;
      ${windowAt('tk', 'ok', K_OUT)}
      Win[tid] = entry;
    }
    workgroupBarrier();
    let count = min(${DIRECT_DW_OUTPUTS}u, kEnd - k0);
    for (var j = 0u; j < count; j = j + 1u) {
      let win = Win[j];
      var v = 0.0;
      ${imageValue('win', 'tap')}
      acc = fma(DY[win.w + r * ohw], v, acc);
    }
    workgroupBarrier();
  }
  if (mine) {
    ${p.at}
    var y = acc;
    if (P.accumulate != 0u) { y = OUT[at] + y; }
    OUT[at] = y;
  }
}
`;
}

/**
 * A convolution as the shaders see it: the image `[n, c, h, w]` the windows slide over, the
 * output `[n, oc, oh, ow]` with one value per window, the weight `[oc, c/groups, kh, kw]`.
 * (ConvTranspose2d passes its output as the image and its input as the output.)
 */
export interface ConvShape {
  n: number;
  c: number;
  h: number;
  w: number;
  oc: number;
  oh: number;
  ow: number;
  groups: number;
  k: readonly [number, number];
  s: readonly [number, number];
  p: readonly [number, number];
  d: readonly [number, number];
}

/** Which pass: forward (per output), `dx` (per image element), `dW`, `db` (per output channel). */
export type ConvPass = 'fwd' | 'dx' | 'dw' | 'db';

/** What one conv pass reads and writes; offsets in elements. */
export interface ConvBinding {
  /** The storage buffers in the shader's binding order (fwd: X, W, B, Y; dx: DY, W, B, DX; dw: X, DY, DW; db: DY, DB). */
  buffers: readonly GPUBuffer[];
  /** Offsets of the image, the weight, the bias and the output, as the shader names them (xOff, wOff, bOff, yOff). */
  offsets: readonly [number, number, number, number];
  /** Add the bias (fwd, dx). */
  hasBias: boolean;
  /** Add into what it writes instead of overwriting it (fwd, dx; dw and db always add). */
  accumulate: boolean;
}

/**
 * What a conv pass needs from its kernel's arguments: the context, and a workspace for `dW`'s
 * partials; `tile` forces a tile shape (benchmarks: bench/gpu-device.ts `convtiles`), otherwise
 * {@link convTile}'s; `splitWorkgroups` the workgroups a split sum aims for (likewise), otherwise 256.
 */
export type ConvArgs = Pick<GpuKernelArgs, 'ctx' | 'workspace'> & { readonly tile?: GemmTile; readonly splitWorkgroups?: number };

/** Workgroups a `dW` product aims for in all (splits × tiles): enough to fill a large GPU. */
const DW_WORKGROUPS = 256;
/** The fewest reduction terms one `dW` split sums (16 k-slices of the tiles). */
const DW_MIN_SPLIT = 256;
/** The most floats of partials a `dW` split may keep (16 MB). */
const DW_MAX_PARTIALS = 1 << 22;

/**
 * How `dW`'s sum of `terms` terms is split for `tiles` output tiles of `len` weights: `splits`
 * runs of `splitLen` terms (a multiple of the k-slice `bk`), one split's workgroups per run.
 */
export function dwSplit(terms: number, tiles: number, len: number, bk: number, workgroups = DW_WORKGROUPS): { splits: number; splitLen: number } {
  const want = Math.min(Math.ceil(workgroups / tiles), Math.floor(terms / DW_MIN_SPLIT), Math.floor(DW_MAX_PARTIALS / len));
  const splits = Math.max(1, want);
  const splitLen = Math.ceil(terms / splits / bk) * bk;
  return { splits: Math.ceil(terms / splitLen), splitLen };
}

/**
 * The dispatches of one conv pass over `shape` (pipelines `conv2d:<pass>:<tile>`, `conv2d:db:*` and
 * `conv2d:<pass>-sum:*`, shared by Conv2d and ConvTranspose2d): two for `db`; for the forward, `dx`
 * and `dW` one product, plus the sum of its splits when its k is split (partials in the workspace
 * `<pass>-partials`).
 */
export function convDispatches(args: ConvArgs, pass: ConvPass, shape: ConvShape, b: ConvBinding, flops = 0): GpuDispatch[] {
  const { ctx } = args;
  const geometry = [shape.n, shape.c, shape.h, shape.w, shape.oc, shape.oh, shape.ow, shape.groups, shape.k[0], shape.k[1], shape.s[0], shape.s[1], shape.p[0], shape.p[1], shape.d[0], shape.d[1]];
  const uniforms = (offsets: readonly number[], accumulate: boolean, tail: readonly number[]) => words([...geometry, ...offsets, b.hasBias ? 1 : 0, accumulate ? 1 : 0, ...tail]);
  if (pass === 'db') {
    // db[o] += Σ over samples and pixels of dY[n, o, ·], split over workgroups (column-sum.ts).
    const plane = shape.oh * shape.ow;
    const dy = { buffer: b.buffers[0], offset: b.offsets[3], length: shape.n * shape.oc * plane };
    const db = { buffer: b.buffers[1], offset: b.offsets[2], length: shape.oc };
    return columnSum(ctx, 'conv2d:db', channelsOf(shape.n, shape.oc, plane), 'a', 'add', dy, db);
  }
  const cg = shape.c / shape.groups;
  const og = shape.oc / shape.groups;
  const taps = shape.k[0] * shape.k[1];
  const [sh, sw] = shape.s;
  // A strided dx (dilation 1) runs per stride phase (the `dxs` product): its columns and terms
  // are at most the phase with the most pixels' and taps'.
  const kind = pass === 'dx' && sh * sw > 1 && shape.d[0] === 1 && shape.d[1] === 1 ? 'dxs' : pass;
  const up = (a: number, b: number) => Math.ceil(a / b);
  // The product per group: rows × columns, summing gk terms.
  const [gm, gn, gk] = {
    fwd: [og, shape.n * shape.oh * shape.ow, cg * taps],
    dx: [cg, shape.n * shape.h * shape.w, og * taps],
    dxs: [cg, shape.n * up(shape.h, sh) * up(shape.w, sw), og * up(shape.k[0], sh) * up(shape.k[1], sw)],
    dw: [og, cg * taps, shape.n * shape.oh * shape.ow],
  }[kind];
  const tile = args.tile ?? convTile(gm, gn, { taps, pass: kind });
  const rowTiles = Math.ceil(gm / (tile.wy * tile.tm));
  const colTiles = Math.ceil(gn / (tile.wx * tile.tn));
  const len = shape.oc * gn;
  // A forward without a bias into a fresh output, or a dx added into its gradient, whose tiles are
  // too few to fill the GPU over a long sum (a 224×224 network's 7×7 and 14×14 layers) splits its
  // k as dW does: partials, then their sum in split order. Otherwise one product.
  const outLen = kind === 'fwd' ? shape.n * shape.oc * shape.oh * shape.ow : shape.n * shape.c * shape.h * shape.w;
  const splitsOut = (kind === 'fwd' && !b.hasBias && !b.accumulate) || (kind === 'dx' && !b.hasBias && b.accumulate);
  // A dW of at most DIRECT_DW_OUTPUTS weights per group (a depthwise layer's taps) sums each weight
  // in one invocation (dwDirectShader), over short splits (directDwSplit).
  const direct = pass === 'dw' && !args.tile && gm * gn <= DIRECT_DW_OUTPUTS && rowTiles * colTiles === 1;
  const { splits, splitLen } = direct
    ? directDwSplit(gk, len)
    : pass === 'dw'
      ? dwSplit(gk, rowTiles * colTiles * shape.groups, len, tile.bk, args.splitWorkgroups)
      : kind === 'dxs'
        ? { splits: sh * sw, splitLen: 0 }
        : splitsOut
          ? dwSplit(gk, rowTiles * colTiles * shape.groups, outLen, tile.bk, args.splitWorkgroups)
          : { splits: 1, splitLen: gk };
  const tiles = rowTiles * colTiles * shape.groups * splits;
  const maxDim = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  const gridX = Math.min(tiles, maxDim);
  const workgroups: [number, number, number] = [gridX, Math.ceil(tiles / gridX), 1];
  if (workgroups[1] > maxDim) throw new GpuError('E_GPU_BAD_ARGS', `A convolution of ${tiles} tiles needs more workgroups than this device allows (${maxDim}²).`);
  const key = direct ? 'conv2d:dw:direct' : `conv2d:${kind}:${tile.name}`;
  const shader = () => (direct ? dwDirectShader() : productShader(kind, tile));
  const tail = (splitStride: number) => [gm, gn, gk, splitLen, splitStride, rowTiles, colTiles, tiles, gridX, 0];
  if (kind === 'dxs' || splits === 1) return [bindDispatch(ctx, key, shader, b.buffers, uniforms(b.offsets, b.accumulate, tail(0)), workgroups, flops)];
  const [xOff, wOff, bOff, yOff] = b.offsets;
  // The splits' partials summed in split order into the output (column-sum.ts sumParts).
  const sum = (n: number, out: GPUBuffer, outOff: number, partials: GpuTensor, add: boolean): GpuDispatch =>
    sumParts(ctx, `conv2d:${pass}-sum`, partials, splits, { buffer: out, offset: outOff, length: n }, add ? 'add' : 'set');
  if (pass === 'dw') {
    // dW in splits: partials [split][oc][gn] in the workspace, then added into dW in split order.
    const partials = args.workspace('dw-partials', splits * len);
    const product = bindDispatch(ctx, key, shader, [b.buffers[0], b.buffers[1], partials.buffer], uniforms([xOff, partials.offset, bOff, yOff], false, tail(len)), workgroups, flops);
    return [product, sum(len, b.buffers[2], wOff, partials, true)];
  }
  // The forward's or dx's splits: partials [split][output] in the workspace, then their sum stored
  // into the output (the forward) or added into it (dx), in split order.
  const partials = args.workspace(`${pass}-partials`, splits * outLen);
  const offsets = kind === 'fwd' ? [xOff, wOff, bOff, partials.offset] : [partials.offset, wOff, bOff, yOff];
  const product = bindDispatch(ctx, key, () => productShader(kind, tile), [b.buffers[0], b.buffers[1], b.buffers[2], partials.buffer], uniforms(offsets, false, tail(outLen)), workgroups, flops);
  return [product, sum(outLen, b.buffers[3], kind === 'fwd' ? yOff : xOff, partials, kind === 'dx')];
}

export const conv2dKernel: GpuOpKernel = {
  prepare(args) {
    const { nodeId, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs } = args;
    const c = conv2dPlan(inputShapes[0], attrs);
    const x = inputs[0];
    const w = params.weight;
    const b = params.bias;
    if (!w) throw new GpuError('E_GPU_BAD_ARGS', `Conv2d ${nodeId}: no weight on the device.`);
    const shape: ConvShape = { n: c.n, c: c.inC, h: c.h, w: c.w, oc: c.outC, oh: c.outH, ow: c.outW, groups: c.groups, k: c.k, s: c.s, p: c.p, d: c.d };
    const macs = output.length * (c.inC / c.groups) * c.k[0] * c.k[1];
    // Without a bias, W stands in for B's binding (never read: hasBias is 0).
    const forward = convDispatches(args, 'fwd', shape, { buffers: [x.buffer, w.buffer, (b ?? w).buffer, output.buffer], offsets: [x.offset, w.offset, b?.offset ?? 0, output.offset], hasBias: !!b, accumulate: false }, 2 * macs);
    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dx = dInputs[0];
      if (dx) {
        backward.push(...convDispatches(args, 'dx', shape, { buffers: [dOutput.buffer, w.buffer, w.buffer, dx.buffer], offsets: [dx.offset, w.offset, 0, dOutput.offset], hasBias: false, accumulate: true }, 2 * macs));
      }
      const dw = dParams.weight;
      if (dw) {
        backward.push(...convDispatches(args, 'dw', shape, { buffers: [x.buffer, dOutput.buffer, dw.buffer], offsets: [x.offset, dw.offset, 0, dOutput.offset], hasBias: false, accumulate: true }, 2 * macs));
      }
      const db = dParams.bias;
      if (db) {
        backward.push(...convDispatches(args, 'db', shape, { buffers: [dOutput.buffer, db.buffer], offsets: [0, 0, db.offset, dOutput.offset], hasBias: false, accumulate: true }));
      }
    }
    return { forward, backward };
  },
};

/**
 * Conv1d (`core/ops/conv1d.ts`): Conv2d's kernels on the same values seen as [N, C, 1, L] with a
 * 1×k kernel (the weight [O, C/g, k] is [O, C/g, 1, k] in memory), as the op file runs Conv2d's.
 */
export const conv1dKernel: GpuOpKernel = {
  prepare(args) {
    const as4d = (s: readonly number[]) => [s[0], s[1], 1, ...s.slice(2)];
    return conv2dKernel.prepare({ ...args, attrs: as2d(args.attrs), inputShapes: [as4d(args.inputShapes[0])], outputShape: as4d(args.outputShape) });
  },
};
