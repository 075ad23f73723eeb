// Constants shared by the WebAssembly kernels (kernels/*.wat) and the TypeScript that drives them,
// declared here once. scripts/build-kernels.mjs substitutes each `{{GROUP.NAME}}` in the .wat text
// with its value and writes the groups, as `as const` objects, into generated/kernel-table.ts, which
// is where the TypeScript side imports them from. Edit a value, then run
// `node scripts/build-kernels.mjs`.

/** The shared heap every kernel module imports. */
export const HEAP = {
  /**
   * Maximum heap in WebAssembly pages (4 GiB: the most a 32-bit memory addresses). Shared
   * memories must declare a maximum, and every module's `(import "env" "memory" …)` states the one
   * the backend creates. NOTE: addresses at or above 2³¹ are negative as i32, so kernels compare
   * addresses unsigned (`i32.lt_u`); test/unit/cpu-backend/high-heap.test.ts runs the op suite
   * and a CNN's training steps on tensors above and across 2³¹.
   */
  MAX_PAGES: 65536,
};

const MR = 2;
const NR = 16;
const MC = 64;
const KC = 256;
const NC = 512;

/**
 * GEMM blocking (gemm.wat). NOTE: MR × NR is also the shape of the unrolled micro-kernel and of the
 * fast paths of `$packA` / `$packB`, which are written for 2 × 16: change those with them
 * (kernels/unroll-microkernel.mjs writes the micro-kernel body).
 */
export const GEMM = {
  /** Rows of the micro-kernel (A is packed in panels of MR rows). */
  MR,
  /** Columns of the micro-kernel (B is packed in panels of NR columns). */
  NR,
  /**
   * A block of at most DIRECT_A_MAX_N columns reads A's rows in place instead of packing them,
   * where they are contiguous and at most DIRECT_A_MAX_LDA floats apart (gemm.wat, $gemmBlock).
   * NOTE (measured, 1 thread, packed and in-place builds interleaved in one process, min CPU time
   * of 25): the tiny GPT's [4096 × 256]·[256 × 64] 0.94–0.96× the packed time (four runs),
   * [4096 × 64]·[64 × 64] 0.95–1.01×. Not past 64 columns ([4096 × 64]·[64 × 256] 1.02–1.03×,
   * 1024³ 1.08×, each A panel shared by more column panels) nor with rows 2 KiB apart or more
   * ([4096 × 512]·[512 × 64] 1.06×, [4096 × 1024]·… 1.03–1.08×): the packed block is one
   * contiguous 64 KiB where the rows of 64 are spread over 32 pages and more.
   */
  DIRECT_A_MAX_N: 64,
  DIRECT_A_MAX_LDA: 256,
  /** Rows of A per packed block. */
  MC,
  /** Depth per packed block. */
  KC,
  /** Columns of B per packed block. */
  NC,
  /** Packed A block in the per-thread scratch: MC × KC floats, at offset 0. */
  PACK_A_BYTES: 4 * MC * KC,
  /** Packed B block, after packed A: KC × NC floats. */
  PACK_B_BYTES: 4 * KC * NC,
  /** Row stride of the edge tile (an MR × NR block of C computed aside, then merged), after packed B. */
  TILE_ROW_BYTES: 4 * NR,
  /** Per-thread scratch one GEMM call needs: packed A, packed B and the edge tile. */
  SCRATCH_BYTES: 4 * (MC * KC + KC * NC + MR * NR),
  /**
   * Largest m·n that A·Bᵀ computes as dot products (with k ≥ DOT_MIN_DEPTH) instead of packing.
   * The choice depends on the block's own m·n, so the backend keeps such products on one thread.
   */
  DOT_MAX_OUTPUT: 512,
  /** Shortest reduction for the dot-product path. */
  DOT_MIN_DEPTH: 64,
};

/** BatchNorm's channel blocks (elementwise.wat, bnForward / bnBackward; overrides/batch-norm.ts). */
export const BATCH_NORM = {
  /**
   * Bytes of one tensor's planes per block of channels (at least one channel): the statistics
   * pass leaves them in L2 (512 KiB a core on Zen 3) for the pass that uses the statistics, with
   * the other tensors that pass reads and writes. A fused ReLU's rebuilt gradient (bnBackward's
   * mode 1) is kept for a block, in max(BLOCK_BYTES, one channel's planes) of scratch.
   */
  BLOCK_BYTES: 131072,
};

/** Convolutions of shallow depth computed from the image (conv.wat, conv2dShallow; overrides/conv2d.ts). */
export const SHALLOW = {
  /**
   * Bytes of the band of padded input rows conv2dShallow keeps (at least one output row's):
   * mobilenet_v3_small's stem reads 3 channels × 2 column phases × 116 floats a row, 33 rows for
   * 16 output rows (92 KiB), which stay in L2 while the band's outputs are summed.
   */
  BAND_BYTES: 98304,
};
