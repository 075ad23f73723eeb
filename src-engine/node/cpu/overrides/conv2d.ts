import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { conv2dPlan, type ConvPlan } from '../../../core/ops/conv2d';
import { conv2dKernel } from '../../../core/ops/kernels/conv2d';
import { intAttr } from '../../../core/ops/shape-util';
import type { Attrs, OpBackwardContext, OpForwardContext } from '../../../core/ops/types';
import type { Tensor } from '../../../base/tensor';
import type { Backend } from '../../../core/backend/types';
import type { CpuContext } from '../context';
import type { Kernel } from '../kernel';
import { KIND, partsFor } from '../functions';
import { GEMM, type KernelArgs } from '../generated/kernel-table';
import { MAX_TASKS } from '../pool';
import { polyphaseApplies, polyphaseBlockRows, polyphaseWeightGradFinish } from './polyphase';

/** The op's geometry (groups = 1) plus what the kernels take. */
export interface Geometry extends ConvPlan {
  /** im2col rows: C·kH·kW. */
  rows: number;
  /** Output positions per channel. */
  spatial: number;
  direct: boolean;
}

function geometry(shape: readonly number[], attrs: Attrs): Geometry | null {
  if (intAttr(attrs, 'groups') !== 1) return null;
  const c = conv2dPlan(shape, attrs);
  const { k, s, p } = c;
  const direct = k[0] === 1 && k[1] === 1 && s[0] === 1 && s[1] === 1 && p[0] === 0 && p[1] === 0;
  return { ...c, rows: c.inC * k[0] * k[1], spatial: c.outH * c.outW, direct };
}

/** The geometry parameters conv2dForward and conv2dBackward share. */
type GeometryArgs = Pick<KernelArgs['conv2dForward'], 'C' | 'H' | 'W' | 'kH' | 'kW' | 'sH' | 'sW' | 'pH' | 'pW' | 'dH' | 'dW' | 'oH' | 'oW'>;

export function geomArgs(g: Geometry): GeometryArgs {
  return { C: g.inC, H: g.h, W: g.w, kH: g.k[0], kW: g.k[1], sH: g.s[0], sW: g.s[1], pH: g.p[0], pW: g.p[1], dH: g.d[0], dW: g.d[1], oH: g.outH, oW: g.outW };
}

/** A Winograd tile shape: channels in and out, output size (winogradScratchBytes' parameters). */
type TileShape = Omit<KernelArgs['winogradScratchBytes'], 'group'>;

/**
 * Most samples whose tiles share one Winograd GEMM (fewer where WINOGRAD_SCRATCH_BUDGET says): more
 * columns per GEMM pack and multiply better, but the transformed tiles (16·(C + Cout) floats per
 * tile, 36· for F(4×4)) must stay in cache. Measured on the MNIST CNN's conv2 (64×32×14×14 → 64,
 * F(2×2), 1 thread, forward): 1 sample 6.0 ms, 2: 4.9, 4: 4.6, 8: 4.3–4.5 ms. F(4×4) on resnet18's
 * 512→512 7×7 layers has 4 tiles a sample, and its GEMMs ([512×512]·[512 × 4·group]) want more
 * samples (batch 16, 1 thread, CPU ms, forward / dx, load 8–15): F(2×2) at 4 samples 75–78 / 73–91
 * and F(4×4) at 8 samples 60–64 / 52–58 (three interleaved rounds); single runs: F(4×4) at 4
 * samples 88 / 101, at 16 58 / 62 (64→64 on 7×7 at batch 64: 5.8–8.1 / 5.7–8.5 on F(2×2), 5.8–6.0 /
 * 5.6–5.9 on F(4×4); 128→128 on 12×12: 41–44 / 41–54, 27–28 / 26). The budget stopped it at 8 there; since
 * WINOGRAD_U_SCRATCH_SHARE it reaches 16 on one thread (and on 2, split by output channels: winogradRowSplit), and it stays
 * at the 4 or 2 samples it had before on the 28×28 and 56×56 layers.
 */
const WINOGRAD_MAX_GROUP: Record<ConvTile, number> = { winograd: 4, winograd4: 16, winograd4s2: 16, winograd4s2dx: 16 };

/**
 * Per-thread tile scratch above which fewer samples are grouped (down to one): large layers keep
 * the per-thread scratch near what im2col's unfolded columns take (9·C floats per output position;
 * Winograd needs 4·(C + Cout) per output position for one sample).
 */
const WINOGRAD_SCRATCH_BUDGET = 8 << 20;

/**
 * Past that budget, a layer's scratch may still grow to this share of the kernel transform its
 * group's GEMMs read (one U[ξ] of Cout·C floats for each of the variant's elements): where U
 * dwarfs the tiles ([512×512]·[512 × 4·group] at 7×7), each GEMM streams its U[ξ] from memory for
 * few columns, and a wider group reads it once for more. Measured (`CLOCK=cpu BACKWARD=1 STEPS=7
 * npx tsx bench/conv-layers.ts 1`, batch 16, the 2-vCPU Zen 5 EPYC with AVX-512, two rounds each):
 * resnet18's 512→512 7×7 layers at 8 samples (the budget's) forward 29.7 / 29.9 ms, backward
 * 57.7 / 58.4; at 16, 26.4 / 26.9 and 54.2 / 54.2; a VGG-like 512→512 on 14×14 (2 samples → 4)
 * forward 106.7 / 105.6 → 94.3 / 94.4 ms, backward 195.8 / 196.2 → 182.1 / 181.8. Raising the budget itself would also widen the
 * 256→256 14×14 layers' group (4 → 8), which lost (21.4 → 22.5 ms forward, 43.3 → 44.8 backward):
 * their U is no larger than their tiles.
 */
const WINOGRAD_U_SCRATCH_SHARE = 0.5;

/**
 * Fewest channels on either side for Winograd: its 16 GEMMs are [Cout × C]·[C × tiles] (forward)
 * and [C × Cout]·[Cout × tiles] (input gradient), which run far below peak when C or Cout is tiny.
 * Measured (batch 64, 1 thread, ms, Winograd / im2col + GEMM; dx = backward minus weight gradient):
 *
 * | layer                  | forward     | dx          | weight gradient |
 * | ---------------------- | ----------- | ----------- | --------------- |
 * | 1→32, 28×28 (conv1)    | 1.89 / 0.95 | 2.27 / 0.76 |                 |
 * | 4→32, 28×28            | 2.66 / 2.48 | 2.76 / 2.66 |                 |
 * | 8→16, 28×28            | 1.91 / 2.58 | 2.14 / 3.13 | 2.31 / 2.94     |
 * | 16→16, 28×28           |             |             | 4.42 / 4.86     |
 * | 16→32, 14×14           | 1.51 / 2.60 | 2.17 / 2.60 | 2.49 / 2.32     |
 * | 32→32, 14×14           |             |             | 2.35 / 4.49     |
 * | 32→64, 14×14 (conv2)   | 4.83 / 8.99 | 5.51 / 9.42 | 4.19 / 8.07     |
 * | 64→64, 7×7             | 3.28 / 5.92 | 3.36 / 6.08 | 3.46 / 4.60     |
 */
const WINOGRAD_MIN_CHANNELS = 8;

/**
 * Fewest C·Cout for the weight gradient on Winograd. Its 16 GEMMs are [Cout × tiles]·[tiles × C]
 * (A·Bᵀ): at C·Cout ≤ 512 the GEMM computes them as dot products (gemm.wat's small-output path),
 * about half as fast as packed, and Winograd only breaks even (table above: −20 % to +7 %); above
 * it, it is ~1.9× faster.
 */
const WINOGRAD_MIN_WEIGHT_GRAD = 513;

/**
 * Most output channels for the direct 3×3 kernels (direct3x3Forward/WeightGrad in winograd.wat),
 * for 3×3 stride-1 layers off Winograd. With few output channels im2col's GEMMs have 1–7 rows and
 * run far below peak; with many, the direct forward re-reads each output plane once per input
 * channel and loses to im2col. Measured (batch 64, 28×28 unless said, 1 thread, ms, direct /
 * im2col + GEMM; backward = weight gradient + dx):
 *
 * | layer                  | forward     | backward      |
 * | ---------------------- | ----------- | ------------- |
 * | 32→1 (a decoder's end) | 2.4 / 5.0   | 4.3 / 10.5    |
 * | 16→3                   | 1.9 / 2.9   | 4.5 / 6.9     |
 * | 1→32 (MNIST conv1)     | 1.3 / 1.3   | 3.7 / 3.5     |
 * | 3→32, 32×32            | 4.7 / 3.4   | 12.0 / 8.6    |
 */
const DIRECT_MAX_OUT_CHANNELS = 8;

/**
 * Columns an im2col GEMM aims for: a layer with few output positions L (a stride-2 layer's 7×7)
 * unfolds several samples side by side (conv2dForward/conv2dBackward's `group`), so its GEMMs have
 * group·L columns (the forward and Wᵀ·dy) or terms (the weight gradient). Measured (1 thread,
 * GFLOP/s, [64 × 512]·[512 × 49·S], the conditional DCGAN's 32→64 4×4 stride-2 layer): S = 1: 30,
 * 2: 25, 4: 30, 8: 41 forward; Wᵀ·dy 30, 38, 43, 46; the weight gradient 41, 45, 45, 44.
 */
const IM2COL_COLUMNS = 384;
/** Most samples in one im2col GEMM. */
const IM2COL_MAX_GROUP = 8;
/**
 * Fewest output positions at which a 1×1 stride-1 layer multiplies each sample's image in place
 * rather than copying a group's images side by side. Measured (64 samples, first layer: forward
 * and weight gradient, 1 thread, ms, in place / grouped): 64→256 on 2×2 1.50–1.61 / 0.74–0.83,
 * 256→64 on 4×4 1.76–1.97 / 1.79–1.92, 64→64 on 8×8 1.84–2.15 / 2.11–2.12. A Conv2d runs such
 * layers 'pointwise' up to POINTWISE_MAX_SPATIAL; a 1×1 ConvTranspose2d still groups.
 */
const DIRECT_GROUP_BELOW = 16;
/**
 * Most output positions at which a 1×1 stride-1 layer runs on the batch GEMMs ('pointwise': gemm.wat's
 * gemmSampleCols and gemmSampleDepth): the samples' planes read in place as one GEMM's columns
 * (forward, input gradient) or depth (weight gradient), where a GEMM per sample has ragged tiles
 * (49 = 3·16 + 1 columns), a weight gradient of depth L into dW at every sample, and the weights
 * packed again per sample, and the grouped path copies images and outputs. Measured
 * (mobilenet_v3_small's layers, batch 16, 1 thread, CPU ms, min of 40 after 2, load ~7; per sample /
 * pointwise; backward = dW + dx): 576→96 on 7×7 forward 2.77 / 2.23, backward 5.23 / 4.26; 96→576
 * 7×7 2.62 / 2.11, 5.24 / 4.19; 288→96 7×7 1.42 / 1.07, 2.65 / 2.01; 240→40 on 14×14 1.80 / 1.74,
 * 3.63 / 3.45; 144→48 14×14 1.28 / 1.13, 2.54 / 2.19; the squeeze-excite layers on 1×1 (grouped
 * copies before) 576→144 0.26 / 0.09, 0.63 / 0.20; at 28×28 and 56×56 (784 and 3136 columns a
 * sample) neither wins clearly (24→96 28×28 1.56 / 1.68, 4.01 / 4.37; 16→72 56×56 backward 7.8 / 8.7).
 */
const POINTWISE_MAX_SPATIAL = 256;
/** Fewest columns a 'pointwise' forward or input-gradient task gets where the batch has them. */
const POINTWISE_COLUMNS = 512;

/**
 * Tasks for a 'pointwise' forward or input gradient over `n` samples of L positions: the same number
 * on every thread (up to 4 each), each with POINTWISE_COLUMNS columns or more where the batch has
 * them. Each output is one GEMM column's sum, the same bits for any split. NOTE: sampleParts' split
 * gave 5 tasks at 16 × 14×14 (3 on one thread, 2 on the other).
 */
function pointwiseParts(n: number, L: number, threads: number): number {
  if (threads <= 1 || n * L < threads * POINTWISE_TASK_MIN_COLUMNS) return 1;
  const each = Math.max(1, Math.min(4, Math.floor((n * L) / (threads * POINTWISE_COLUMNS))));
  return Math.max(1, Math.min(n, threads * each));
}
/**
 * Fewest columns each thread's 'pointwise' forward or input-gradient task must get, else the pass
 * runs as one task: two 16-wide panels. NOTE: a squeeze-excite 1×1 layer (1×1 planes, batch 16)
 * cut in two gave each thread a GEMM of 8 columns, one ragged panel that costs as much as a whole
 * one, so each thread did the whole GEMM's work and the round bought nothing; 7×7 planes (784
 * columns at batch 16) still split. With POINTWISE_TASK_MIN_MACS and the bias passes' partsFor,
 * mobilenet_v3_small's 18 squeeze-excite 1×1 layers run on the calling thread alone: 368 → 278
 * parallel rounds a training step (frozen backbone 137 → 101), the step's wall time unchanged.
 */
const POINTWISE_TASK_MIN_COLUMNS = 32;
/** Fewest multiply-adds per thread for which a 'pointwise' weight gradient is split (else one task). */
const POINTWISE_TASK_MIN_MACS = 1 << 20;
/** Per-thread column scratch above which fewer samples are grouped (as WINOGRAD_SCRATCH_BUDGET). */
const IM2COL_SCRATCH_BUDGET = 8 << 20;

/**
 * Samples per im2col GEMM (`group`) and the per-thread blocks, in bytes, that the kernels take:
 * conv2dForward's `cols` (`forward`: the unfolded columns, and with a group the GEMM's output
 * before it is copied out), conv2dBackward's `cols` and `dcols` (with a group, dy side by side too).
 */
export function im2colBlocks(g: Geometry): { group: number; forward: number; cols: number; dcols: number } {
  const bytes = (group: number) => {
    // A 1×1 stride-1 layer's single sample multiplies its image in place: no columns.
    if (g.direct && group === 1) return { group, forward: 64, cols: 64, dcols: 64 };
    const tail = group > 1 ? g.outC * group * g.spatial : 0;
    return { group, forward: round64(g.rows * group * g.spatial + tail), cols: round64(g.rows * group * g.spatial), dcols: round64(g.rows * group * g.spatial + tail) };
  };
  if (g.direct && g.spatial >= DIRECT_GROUP_BELOW) return bytes(1);
  let group = Math.min(IM2COL_MAX_GROUP, Math.max(1, Math.ceil(IM2COL_COLUMNS / g.spatial)));
  while (group > 1 && bytes(group).cols + bytes(group).dcols > IM2COL_SCRATCH_BUDGET) group--;
  return bytes(group);
}

/**
 * Where Winograd F(4×4, 3×3) (kernels/winograd.wat's generated section) replaces F(2×2) for the
 * forward (on the output's size) and the input gradient (on dx's): 36 GEMMs on 4×4 output tiles,
 * 4× fewer multiplies than direct against F(2×2)'s 2.25×, at ~15× F(2×2)'s float32 error
 * (docs/cpu-backend.md, "Winograd F(4×4, 3×3)"); the weight gradient has its own rule
 * (WINOGRAD4_MIN_GAIN_WEIGHT_GRAD). It pays where
 * its 4×4 tiles cover the output with little waste: F(2×2)'s multiplies over F(4×4)'s for the
 * size, ⌈h/2⌉⌈w/2⌉·16 / (⌈h/4⌉⌈w/4⌉·36), at least WINOGRAD4_MIN_GAIN (1.78 for 56, 28 and 7, no
 * less than 1.56 for any size from 28 up; 1.36 for 14 and 13, 1.23 for 9 and 10, 1.0 for 5 and 6). Measured (resnet18's 3×3 layers, batch 16, 1 thread, ms of CPU time, F(2×2) / F(4×4),
 * medians of 5–7 interleaved rounds on the shared 2-vCPU EPYC at load 12–20; forward includes
 * runOp's copies):
 *
 * | layer           | forward          | backward (dW on F(2×2) + dx) |
 * | --------------- | ---------------- | ---------------------------- |
 * | 64→64, 56×56    | 131 / 102        | 167 / 152                    |
 * | 128→128, 28×28  | 97 / 71          | 145 / 119                    |
 * | 256→256, 14×14  | 81–91 / 79–85    | 136–148 / 125–142            |
 *
 * At 14×14 (and 13) a 4×4 tiling computes 16×16 outputs: 1.36× fewer multiplies than F(2×2), not
 * 1.78×. That gained nothing measurable above, so those sizes kept F(2×2)'s smaller error while the
 * bar was 1.5. Since the transforms' planes sit 16 floats apart (769c352, docs/cpu-backend.md) F(4×4)
 * runs ~11 % faster and the bar is 1.3, the weight gradient's: 256→256 at 14×14, batch 16, 1 thread,
 * CPU ms, median of 7, two rounds (`CLOCK=cpu BACKWARD=1 STEPS=7 npx tsx bench/conv-layers.ts 1
 * 256→256`), forward 31.5–31.6 / 24.0, backward (dW already on F(4×4)) 53.7–53.9 / 46.5–47.6; in
 * resnet18's step (1 thread) its 14×14 output rows 140 → 116 ms forward, 250 → 229 backward. So 13
 * and 14, 17 and 18, 21 and 22 now take F(4×4) too; 9 and 10 (1.23), 5 and 6 (1.0) do not. At 7×7
 * (2×2 tiles of 4×4 per sample against 4×4 tiles of 2×2) it lost with
 * 4 samples per GEMM (16 columns; 128 / 137 forward, 194 / 238 backward) and wins with the larger
 * group WINOGRAD_MAX_GROUP allows it (see there).
 */
const WINOGRAD4_MIN_GAIN = 1.3;
/**
 * The same for the weight gradient, on the output's size (dy's tiles): 36 GEMMs [Cout × tiles] ·
 * [tiles × C] on D = A dY Aᵀ (winograd4WeightGrad), summed over the batch's tiles, then Gᵀ dU G
 * (winograd4WeightGradFinish). Its partial sums are 2.25× F(2×2)'s (36 planes of Cout·C), so it runs
 * one task per thread (F(2×2): up to 4, for balance) to keep their sum small. Measured on resnet18
 * (224×224, batch 16, `STEPS=5 bench/profile.ts resnet18`, the 2-vCPU AMD EPYC with AVX-512, quiet),
 * F(2×2) / F(4×4) weight gradients, ms a step: 1 thread (CPU time), the 56×56, 28×28 and 7×7
 * layers' kernel 402 / 254 (10 calls), the 14×14 layers' 96 + 1.3 / 77 + 3.4 (their backward 273–279
 * / 260); 2 threads (wall), every dW kernel 260 / 174–177 with addParts 6.9 / 7.9–8.4, the
 * 14×14 backward 152–155 / 137–147. Step: 1 thread 1,930 / 1,757–1,765 ms of CPU; 2 threads 1,039–1,069
 * / 944–984 ms. At 5 and 6 (gain 1.0) F(4×4) only wastes.
 */
const WINOGRAD4_MIN_GAIN_WEIGHT_GRAD = 1.3;
const WINOGRAD4_MIN_CHANNELS = 64;

/**
 * Where a 3×3 stride-2 forward runs on the stride-2 Winograd form (winograd4s2Conv: per 4×4 output
 * tile a 9×9 input tile, 81 products per channel pair for 16 outputs where direct takes 144; F(4, 2)
 * on the even taps, the odd tap direct, docs/cpu-backend.md): at least WINOGRAD4_MIN_CHANNELS on
 * each side, and its multiplies under im2col's by WINOGRAD4S2_MIN_GAIN for the output's size
 * (9·h·w / (81·⌈h/4⌉⌈w/4⌉): 1.78 at 28 and 56, 1.36 at 14 and 7). Its weight gradient runs on the
 * same tiles (winograd4s2WeightGrad), its input gradient on its own (stride2InputGrad), both measured
 * in docs/cpu-backend.md ("Winograd for 3×3 stride 2").
 */
const WINOGRAD4S2_MIN_GAIN = 1.3;

/**
 * Most input channels for which a forward that would unfold columns runs 'shallow' instead (conv.wat's
 * conv2dShallow: the image's rows split by column phase, no columns, four output channels × eight
 * positions per register tile): a network's first layer, on an image's 1–4 channels, whose
 * unfolded columns (C·kH·kW rows of every output position) cost as much as the GEMM that reads them.
 * Measured (1 thread, CPU ms, min of 21–41 interleaved rounds on the shared 2-vCPU EPYC, im2col /
 * shallow): mobilenet_v3_small's stem 3→16 3×3 s2 on 224×224, batch 16, 8.3 / 5.4; resnet18's
 * 3→64 7×7 s2 111 / 82; batch 64: 3→16 3×3 on 56×56 6.2 / 4.6, 4→32 3×3 s2 on 64×64 5.1 / 4.6,
 * 1→6 5×5 on 28×28 0.87 / 0.65, 3→32 and 3→64 3×3 on 32×32 and 1→32 5×5 on 28×28 even. With more
 * channels it lost: 64→128 and 16→32 1×1 s2 on 56×56 (batch 16 / 64) 6.3 / 7.2 and 3.1 / 3.8.
 */
const SHALLOW_MAX_CHANNELS = 4;
/**
 * Fewest C·kH·kW for 'shallow': each register tile's overhead (zeroing, bias, eight stores) is paid
 * once per C·kH·kW taps. MNIST's conv1 (1→32 3×3 on 28×28, 9 taps, batch 64) lost: 1.42 / 1.65 ms.
 */
const SHALLOW_MIN_DEPTH = 16;
/** Fewest outputs a row has for 'shallow' (its tiles are eight positions of one row). */
const SHALLOW_MIN_ROW = 8;

/** How the CPU backend computes one Conv2d (exported for tests and diagnostics). */
export interface Conv2dAlgorithm {
  forward: 'winograd4' | 'winograd4s2' | 'winograd' | 'direct' | 'pointwise' | 'shallow' | 'im2col' | 'op';
  inputGrad: 'winograd4' | 'winograd4s2' | 'winograd' | 'direct' | 'pointwise' | 'im2col' | 'op';
  weightGrad: 'winograd4' | 'winograd4s2' | 'winograd' | 'direct' | 'pointwise' | 'polyphase' | 'im2col' | 'op';
}

/**
 * The algorithm the CPU Conv2d override picks for an input shape and attrs: Winograd F(2×2, 3×3)
 * for 3×3, stride-1, dilation-1 convolutions with at least WINOGRAD_MIN_CHANNELS input and output
 * channels (forward and input gradient; the weight gradient too from WINOGRAD_MIN_WEIGHT_GRAD
 * channel pairs), direct 3×3 kernels for other 3×3 stride-1 ones with fewer than
 * DIRECT_MAX_OUT_CHANNELS output channels (a decoder's last layer, back to 1–3 channels), im2col +
 * GEMM for the rest; the op file's own code for grouped convolutions.
 *
 * @example conv2dAlgorithm([64, 32, 14, 14], { ...attrs, kernelSize: [3, 3], padding: [1, 1] }).forward // 'winograd'
 */
export function conv2dAlgorithm(shape: readonly number[], attrs: Attrs): Conv2dAlgorithm {
  const g = geometry(shape, attrs);
  return g ? plan(g) : { forward: 'op', inputGrad: 'op', weightGrad: 'op' };
}

/** A 3×3, stride-1, dilation-1 convolution: what the Winograd and direct kernels compute. */
function threeByThree(g: Geometry): boolean {
  return g.k[0] === 3 && g.k[1] === 3 && g.s[0] === 1 && g.s[1] === 1 && g.d[0] === 1 && g.d[1] === 1;
}

/** F(2×2)'s multiplies over F(4×4)'s for an h×w output (their tiles: 2×2 outputs for 16, 4×4 for 36). */
function winograd4Gain(h: number, w: number): number {
  return (Math.ceil(h / 2) * Math.ceil(w / 2) * 16) / (Math.ceil(h / 4) * Math.ceil(w / 4) * 36);
}

/**
 * A forward that conv2dShallow computes, and faster than im2col (SHALLOW_MAX_CHANNELS): few input
 * channels, C·kH·kW from SHALLOW_MIN_DEPTH to GEMM.KC (one GEMM depth block, so that each output is
 * summed as im2col + GEMM sums it: the same bits), no dilation.
 */
function shallow(g: Geometry): boolean {
  const depth = g.rows >= SHALLOW_MIN_DEPTH && g.rows <= GEMM.KC;
  return g.inC <= SHALLOW_MAX_CHANNELS && depth && g.outW >= SHALLOW_MIN_ROW && g.d[0] === 1 && g.d[1] === 1;
}

/** A 1×1 stride-1 layer that runs on the batch GEMMs (POINTWISE_MAX_SPATIAL). */
function pointwise(g: Geometry): boolean {
  return g.direct && g.spatial <= POINTWISE_MAX_SPATIAL;
}

function plan(g: Geometry): Conv2dAlgorithm {
  if (pointwise(g)) return { forward: 'pointwise', inputGrad: 'pointwise', weightGrad: 'pointwise' };
  const applies = threeByThree(g) && Math.min(g.inC, g.outC) >= WINOGRAD_MIN_CHANNELS;
  if (!applies) {
    const direct = threeByThree(g) && g.outC < DIRECT_MAX_OUT_CHANNELS;
    if (direct) return { forward: 'direct', inputGrad: 'direct', weightGrad: 'direct' };
    if (stride2Winograd(g)) {
      if (g.inC * g.outC < WINOGRAD_MIN_WEIGHT_GRAD) return { forward: 'winograd4s2', inputGrad: 'im2col', weightGrad: 'im2col' };
      return { forward: 'winograd4s2', inputGrad: stride2InputGrad(g) ? 'winograd4s2' : 'im2col', weightGrad: 'winograd4s2' };
    }
    return { forward: shallow(g) ? 'shallow' : 'im2col', inputGrad: 'im2col', weightGrad: polyphaseApplies(g) ? 'polyphase' : 'im2col' };
  }
  const f4 = Math.min(g.inC, g.outC) >= WINOGRAD4_MIN_CHANNELS;
  return {
    forward: f4 && winograd4Gain(g.outH, g.outW) >= WINOGRAD4_MIN_GAIN ? 'winograd4' : 'winograd',
    inputGrad: f4 && winograd4Gain(g.h, g.w) >= WINOGRAD4_MIN_GAIN ? 'winograd4' : 'winograd',
    weightGrad: g.inC * g.outC < WINOGRAD_MIN_WEIGHT_GRAD ? 'im2col' : f4 && winograd4Gain(g.outH, g.outW) >= WINOGRAD4_MIN_GAIN_WEIGHT_GRAD ? 'winograd4' : 'winograd',
  };
}

/** A 3×3 stride-2 layer the stride-2 Winograd form computes faster (WINOGRAD4S2_MIN_GAIN). */
function stride2Winograd(g: Geometry): boolean {
  const shape = g.k[0] === 3 && g.k[1] === 3 && g.s[0] === 2 && g.s[1] === 2 && g.d[0] === 1 && g.d[1] === 1;
  const gain = (9 * g.outH * g.outW) / (81 * Math.ceil(g.outH / 4) * Math.ceil(g.outW / 4));
  return shape && Math.min(g.inC, g.outC) >= WINOGRAD4_MIN_CHANNELS && gain >= WINOGRAD4S2_MIN_GAIN;
}

/**
 * Whether the stride-2 form's input gradient (winograd4s2dxConv: dy's 5×5 tiles to 8×8 blocks of dx,
 * 81 products for 64 dx values) takes a stride-2 layer's dx: padding 1 (the tiles' parity is
 * printed for it), and 8×8 blocks covering dx with a gain of WINOGRAD4S2_MIN_GAIN (9·h·w /
 * (81·⌈h/8⌉⌈w/8⌉): 1.78 at 56, 1.36 at 28 and 14).
 */
function stride2InputGrad(g: Geometry): boolean {
  const gain = (9 * g.outH * g.outW) / (81 * Math.ceil(g.h / 8) * Math.ceil(g.w / 8));
  return g.p[0] === 1 && g.p[1] === 1 && gain >= WINOGRAD4S2_MIN_GAIN;
}

/** F(2×2) tiles per sample of a layer's output. */
const tilesPerSample = (g: Geometry): number => Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);

/** A Winograd variant with a weight gradient: F(2×2, 3×3) or F(4×4, 3×3). */
type WinogradTile = 'winograd' | 'winograd4';
/** A Winograd variant's convolution: those, the stride-2 form, and the stride-2 form's input gradient (its own tiles). */
type ConvTile = WinogradTile | 'winograd4s2' | DxTile;
/** A Winograd variant of an input gradient: F(2×2), F(4×4), or the stride-2 form's own tiles. */
type DxTile = WinogradTile | 'winograd4s2dx';
/** Each input-gradient variant's dy padding (its tiles' first row and column in dy): 2 − p, or the stride-2 form's 0 (it runs for padding 1 only). */
const DY_PAD: Record<DxTile, (g: Geometry) => readonly [number, number]> = {
  winograd: (g) => [2 - g.p[0], 2 - g.p[1]],
  winograd4: (g) => [2 - g.p[0], 2 - g.p[1]],
  winograd4s2dx: () => [0, 0],
};
/** The input-gradient variant of each Winograd plan (Conv2dAlgorithm.inputGrad). */
const DX_TILE: Partial<Record<Conv2dAlgorithm['inputGrad'], DxTile>> = { winograd: 'winograd', winograd4: 'winograd4', winograd4s2: 'winograd4s2dx' };
/** U's planes per kernel: 4×4, 6×6, and 6×6 for the stride-2 forms (their 9×9 elements' distinct ones). */
const WINOGRAD_ELEMENTS: Record<ConvTile, number> = { winograd: 16, winograd4: 36, winograd4s2: 36, winograd4s2dx: 36 };
/** `n` rounded up to even. */
const even = (n: number): number => n + (n & 1);
/**
 * Floats of a layer's kernel transform U: F(2×2)'s planes Cout·C + 16 floats apart (winogradWeights);
 * F(4×4)'s and the stride-2 forms' laid out as GEMM's prepacked A, pairs of rows interleaved, the
 * row count rounded up to even: planes even(Cout)·even(C) + 16 apart (winograd4Weights,
 * winograd4s2Weights, winograd4PlaneFloats).
 */
const uFloats = (tile: ConvTile, g: Geometry): number =>
  WINOGRAD_ELEMENTS[tile] * (tile === 'winograd' ? g.outC * g.inC : even(g.outC) * even(g.inC)) + WINOGRAD_ELEMENTS[tile] * 16;
/** Floats of one task's F(4×4) weight-gradient partial dU: [36][Cout·C + 16] (winograd4WeightGrad). */
const dUFloats4 = (g: Geometry): number => 36 * (g.outC * g.inC + 16);

/**
 * How many tasks to cut a batch of `n` samples into: up to 4 per thread (dynamic scheduling, so a
 * descheduled thread delays only its share), at least 2 samples each.
 */
export function chunks(n: number, threads: number): number {
  if (threads <= 1) return 1;
  return Math.max(1, Math.min(4 * threads, MAX_TASKS, Math.floor(n / 2)));
}

/**
 * Tasks for an im2col pass in which no sum crosses samples (a forward; a ConvTranspose2d's forward
 * and input gradient): as {@link chunks}, but each task with at least `group` samples (and one per
 * thread at the least), so that its GEMMs get the group's full width. Each output element is one
 * GEMM column's sum over the same depth slices whatever the columns beside it, so this split does
 * not change a bit; a weight gradient's per-task partials do depend on the split and keep
 * {@link chunks}. NOTE (the conditional DCGAN, batch 32, 2 threads): its batch-32 passes (the
 * generator's ConvTranspose2d 64→32 from 7×7, both ways; the discriminator's 32→64 on the
 * generated half) went from 8 tasks of 4 samples to 4 of 8, GEMMs of 196 columns to 392:
 * [64 × 512]·[512 × N] 33.7 → 34.9 GFLOP/s and [512 × 64]ᵀ·[64 × N] 30.2 → 35.5 (1 thread, CPU
 * time, 25th percentile of 20 interleaved rounds on the shared 2-vCPU EPYC at load ~15). The
 * step's own change is below what that machine resolves.
 */
export function sampleParts(n: number, threads: number, group: number): number {
  return Math.min(chunks(n, threads), Math.max(Math.min(threads, n), Math.floor(n / group)));
}

/**
 * Fewest F(2×2) tiles a Winograd task should hold: with few tiles per sample (7×7 outputs: 16), the
 * default split (up to 4 tasks per thread, 2 samples each) leaves GEMMs of 32 columns and a
 * [16][Cout][C] weight-gradient partial per task, 16.8 MB each for 512 channels, all added up after.
 */
const WINOGRAD_TASK_TILES = 128;

/** Tasks for a Winograd layer of `tiles` F(2×2) tiles per sample: as {@link chunks}, but each with at least WINOGRAD_TASK_TILES tiles (and one per thread). */
function winogradParts(n: number, tiles: number, threads: number): number {
  return Math.min(chunks(n, threads), Math.max(Math.min(threads, n), Math.floor((n * tiles) / WINOGRAD_TASK_TILES)));
}

/**
 * How many times the kernel transform U a layer's GEMMs read must outweigh its transformed tiles V
 * (the whole batch's) before a multithreaded Winograd pass splits by output channels instead of
 * samples ({@link winogradRowSplit}). Split by samples, each of T threads runs the GEMMs of n/T
 * samples and streams all of U from memory (resnet18's 512→512 7×7 layers: 37.7 MB per thread a
 * call, at batch 16 on 2 threads for GEMMs of 32 columns where one thread alone groups 64), and the
 * weight gradient writes a dU partial of U's size per task, added after; split by output channels,
 * each streams 1/T of U (writes 1/T of the one dU) for all n samples' columns, but transforms every
 * sample's input itself (V written T times). Measured (2 threads, CPU ms, batch 16, `CLOCK=cpu
 * BACKWARD=1 STEPS=15 npx tsx bench/conv-layers.ts 2`, medians of 6 alternating rounds at load 8–10):
 * 512→512 at 7×7 (U 8× V) forward 41.7 → 37.6, backward 88.3 → 78.3; the 256→512 stride-2 layer
 * (3.6×: 81 elements of V) forward 34.1 → 34.3, backward 82.4 → 81: even, so not split.
 */
const WINOGRAD_ROW_SPLIT_U = 4;

/**
 * Whether a Winograd pass (F(4×4) or a stride-2 form; forward, dx or dW, `shape` the pass's own:
 * dx's C and Cout swapped) of `n` samples on `threads` threads runs split by output channels (one
 * share of U's or dU's rows per thread, each over every sample): where a sample split would leave a
 * thread fewer samples than the `group` its GEMMs could take, and U is at least
 * WINOGRAD_ROW_SPLIT_U·(threads − 1) times the batch's V (each further thread transforms it again).
 * resnet18 at batch 16 on 2 threads: its three 512→512 7×7 layers (U 8× V) every way; not the
 * 256→512 stride-2 layer (3.6×, dx 1.8×) nor any layer at 14×14 and up.
 */
export function winogradRowSplit(tile: ConvTile, n: number, shape: TileShape, group: number, threads: number): boolean {
  if (tile === 'winograd' || threads <= 1 || shape.Cout < 2 * threads || Math.floor(n / threads) >= group) return false;
  const block = tile === 'winograd4s2dx' ? 8 : 4;
  const tiles = n * Math.ceil(shape.oH / block) * Math.ceil(shape.oW / block);
  const vElements = tile === 'winograd4' ? 36 : 81;
  // T threads write V T times: (T − 1)·V more than the sample split (4·V at 2 threads, the measured bar)
  return WINOGRAD_ELEMENTS[tile] * shape.C * shape.Cout >= WINOGRAD_ROW_SPLIT_U * (threads - 1) * vElements * shape.C * tiles;
}

export const round64 = (floats: number): number => Math.ceil((floats * 4) / 64) * 64;

/**
 * Task partial sums (a weight or bias gradient's, one block per task, `stride` bytes apart from
 * byte `src`) added into `dst` in task order: `addParts`, dst's floats split across the threads
 * (each float's sum in the same order whatever the split). Conv2d's and ConvTranspose2d's backward.
 */
export function addTaskPartials(cpu: CpuContext, addParts: Kernel<'addParts'>, dst: Float32Array, what: string, src: number, parts: number, stride: number): void {
  const n = dst.length;
  const at = cpu.addressOf(dst, n, what, true, true);
  addParts.run({ dst: at, src, parts, stride, i0: 0, i1: n }, partsFor(n, cpu.threads, Infinity, parts));
}

/** Zeroes `floats` floats of the heap from byte `at` (task partial sums before they sum), split across the threads as `Backend.zero` splits a memset. */
export function zeroHeap(cpu: CpuContext, backend: Backend, at: number, floats: number): void {
  const view = cpu.heap.f32().subarray(at / 4, at / 4 + floats);
  if (backend.zero) backend.zero(view);
  else view.fill(0);
}

/** The WebAssembly kernels the CPU Conv2d runs (see {@link conv2dOverride}). */
function conv2dKernels(cpu: CpuContext) {
  // Tasks split the batch into contiguous samples [n0, n1) (or output channels [o0, o1)); per
  // thread: its tile or column scratch (kinds a, b) and its GEMM packing scratch.
  return {
    winogradWeights: cpu.kernel('winogradWeights', { range: ['o0', 'o1'] }),
    winogradScratchBytes: cpu.kernel('winogradScratchBytes'),
    winogradConv: cpu.kernel('winogradConv', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    // align 2: U's rows are written in pairs (flip 0: output channels from o0)
    winograd4Weights: cpu.kernel('winograd4Weights', { range: ['o0', 'o1'], align: 2 }),
    winograd4ScratchBytes: cpu.kernel('winograd4ScratchBytes'),
    winograd4Conv: cpu.kernel('winograd4Conv', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    // The same split by output channels (U's rows, taken in pairs), each task over the whole batch: see WINOGRAD_ROW_SPLIT_U.
    winograd4ConvRows: cpu.kernel('winograd4Conv', { range: ['o0', 'o1'], align: 2, perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2Weights: cpu.kernel('winograd4s2Weights', { range: ['o0', 'o1'], align: 2 }),
    winograd4s2ScratchBytes: cpu.kernel('winograd4s2ScratchBytes'),
    winograd4s2Conv: cpu.kernel('winograd4s2Conv', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2ConvRows: cpu.kernel('winograd4s2Conv', { range: ['o0', 'o1'], align: 2, perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2dxScratchBytes: cpu.kernel('winograd4s2dxScratchBytes'),
    winograd4s2dxConv: cpu.kernel('winograd4s2dxConv', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2dxConvRows: cpu.kernel('winograd4s2dxConv', { range: ['o0', 'o1'], align: 2, perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2WeightGrad: cpu.kernel('winograd4s2WeightGrad', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2WeightGradRows: cpu.kernel('winograd4s2WeightGrad', { range: ['o0', 'o1'], align: 2, perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4s2WeightGradFinish: cpu.kernel('winograd4s2WeightGradFinish', { range: ['o0', 'o1'] }),
    winogradWeightGrad: cpu.kernel('winogradWeightGrad', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winogradWeightGradFinish: cpu.kernel('winogradWeightGradFinish', { range: ['o0', 'o1'] }),
    winograd4WeightGrad: cpu.kernel('winograd4WeightGrad', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4WeightGradRows: cpu.kernel('winograd4WeightGrad', { range: ['o0', 'o1'], align: 2, perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    winograd4WeightGradFinish: cpu.kernel('winograd4WeightGradFinish', { range: ['o0', 'o1'] }),
    addParts: cpu.kernel('addParts', { range: ['i0', 'i1'], align: 4 }),
    conv2dForward: cpu.kernel('conv2dForward', { range: ['n0', 'n1'], perThread: { cols: KIND.a, scratch: KIND.gemmScratch } }),
    conv2dShallow: cpu.kernel('conv2dShallow', { range: ['n0', 'n1'], perThread: { scratch: KIND.a } }),
    shallowScratchBytes: cpu.kernel('shallowScratchBytes'),
    polyphaseScratchBytes: cpu.kernel('polyphaseScratchBytes'),
    polyphaseWeightGrad: cpu.kernel('polyphaseWeightGrad', { range: ['n0', 'n1'], perThread: { scratch: KIND.a, gemmScratch: KIND.gemmScratch } }),
    conv2dBackward: cpu.kernel('conv2dBackward', { range: ['n0', 'n1'], perThread: { cols: KIND.a, dcols: KIND.b, scratch: KIND.gemmScratch } }),
    fillZero: cpu.kernel('fillZero'),
    gemmSampleCols: cpu.kernel('gemmSampleCols', { range: ['n0', 'n1'], perThread: { scratch: KIND.gemmScratch } }),
    // The weight gradient split by output channels (dW's rows, whole row panels) or input channels (its columns, whole 16-wide panels).
    gemmSampleDepthRows: cpu.kernel('gemmSampleDepth', { range: ['o0', 'o1'], align: 2, perThread: { scratch: KIND.gemmScratch } }),
    gemmSampleDepthCols: cpu.kernel('gemmSampleDepth', { range: ['j0', 'j1'], align: 16, perThread: { scratch: KIND.gemmScratch } }),
    addChannelBias: cpu.kernel('addChannelBias', { range: ['n0', 'n1'] }),
    channelSums64: cpu.kernel('channelSums64', { range: ['c0', 'c1'] }),
    direct3x3Forward: cpu.kernel('direct3x3Forward', { range: ['n0', 'n1'], perThread: { scratch: KIND.a } }),
    direct3x3WeightGrad: cpu.kernel('direct3x3WeightGrad', { range: ['n0', 'n1'], perThread: { scratch: KIND.a } }),
    direct3x3ScratchBytes: cpu.kernel('direct3x3ScratchBytes'),
    depthwiseScratchBytes: cpu.kernel('depthwiseScratchBytes'),
    depthwiseForward: cpu.kernel('depthwiseForward', { range: ['p0', 'p1'], perThread: { scratch: KIND.a } }),
    depthwiseInputGrad: cpu.kernel('depthwiseInputGrad', { range: ['p0', 'p1'], perThread: { scratch: KIND.a } }),
    depthwiseWeightGrad: cpu.kernel('depthwiseWeightGrad', { range: ['c0', 'c1'], perThread: { scratch: KIND.a } }),
  };
}

/**
 * A depthwise Conv2d (groups = in = out channels: one filter per channel) as the depthwise kernels
 * take it (kernels/depthwise.wat), or null for any other.
 */
function depthwisePlan(shape: readonly number[], attrs: Attrs): ConvPlan | null {
  const groups = intAttr(attrs, 'groups');
  if (groups <= 1) return null;
  const c = conv2dPlan(shape, attrs);
  return c.inC === groups && c.outC === groups ? c : null;
}

/** The geometry parameters the depthwise kernels share. */
function depthwiseArgs(c: ConvPlan): Pick<KernelArgs['depthwiseForward'], 'C' | 'H' | 'W' | 'kH' | 'kW' | 'sH' | 'sW' | 'pH' | 'pW' | 'dH' | 'dW' | 'oH' | 'oW'> {
  return { C: c.inC, H: c.h, W: c.w, kH: c.k[0], kW: c.k[1], sH: c.s[0], sW: c.s[1], pH: c.p[0], pW: c.p[1], dH: c.d[0], dW: c.d[1], oH: c.outH, oW: c.outW };
}

type Conv2dKernels = ReturnType<typeof conv2dKernels>;

/**
 * One Winograd variant's kernels (the two take the same arguments): kernel transform, per-thread
 * scratch, convolution, the weight gradient's task partials in the Winograd domain and their finish.
 */
interface WinogradConvKernels {
  weights: Pick<Conv2dKernels['winogradWeights'], 'run'>;
  scratchBytes: Pick<Conv2dKernels['winogradScratchBytes'], 'call'>;
  /** The convolution split by samples (F(2×2)'s takes no o0, o1: it ignores them). */
  conv: Pick<Conv2dKernels['winograd4Conv'], 'run'>;
  /** The convolution split by output channels, each task over every sample (F(4×4) and the stride-2 forms). */
  convRows?: Pick<Conv2dKernels['winograd4Conv'], 'run'>;
}
interface WinogradKernels extends WinogradConvKernels {
  /** The weight gradient split by samples, a partial dU per task (F(2×2)'s takes no o0, o1: it ignores them). */
  weightGrad: Pick<Conv2dKernels['winograd4WeightGrad'], 'run'>;
  /** The weight gradient split by output channels, each task over every sample into dU's rows (F(4×4) and the stride-2 form). */
  weightGradRows?: Pick<Conv2dKernels['winograd4WeightGrad'], 'run'>;
  weightGradFinish: Pick<Conv2dKernels['winogradWeightGradFinish'], 'run'>;
}

/**
 * Conv2d on the CPU backend's kernels: each algorithm (Winograd, direct 3×3, im2col) a method;
 * `forward` and `backward` pick one per call from the geometry (see {@link conv2dOverride}).
 */
class Conv2dOnCpu {
  private readonly k: Conv2dKernels;
  /** Each Winograd variant's kernels: the kernel transform, the per-thread scratch, the convolution. */
  private readonly tiles: Record<Exclude<ConvTile, 'winograd4s2dx'>, WinogradKernels> & Record<'winograd4s2dx', WinogradConvKernels>;

  constructor(private readonly cpu: CpuContext) {
    this.k = conv2dKernels(cpu);
    this.tiles = {
      winograd: {
        weights: this.k.winogradWeights,
        scratchBytes: this.k.winogradScratchBytes,
        conv: { run: (args, parts) => this.k.winogradConv.run(args, parts) },
        weightGrad: { run: (args, parts, step) => this.k.winogradWeightGrad.run(args, parts, step) },
        weightGradFinish: this.k.winogradWeightGradFinish,
      },
      winograd4: {
        weights: this.k.winograd4Weights,
        scratchBytes: this.k.winograd4ScratchBytes,
        conv: this.k.winograd4Conv,
        convRows: this.k.winograd4ConvRows,
        weightGrad: this.k.winograd4WeightGrad,
        weightGradRows: this.k.winograd4WeightGradRows,
        weightGradFinish: this.k.winograd4WeightGradFinish,
      },
      winograd4s2: {
        weights: this.k.winograd4s2Weights,
        scratchBytes: this.k.winograd4s2ScratchBytes,
        conv: this.k.winograd4s2Conv,
        convRows: this.k.winograd4s2ConvRows,
        weightGrad: this.k.winograd4s2WeightGrad,
        weightGradRows: this.k.winograd4s2WeightGradRows,
        weightGradFinish: this.k.winograd4s2WeightGradFinish,
      },
      // the stride-2 form's input gradient: the forward's kernel transform (flip 1), its own tiles
      winograd4s2dx: { weights: this.k.winograd4s2Weights, scratchBytes: this.k.winograd4s2dxScratchBytes, conv: this.k.winograd4s2dxConv, convRows: this.k.winograd4s2dxConvRows },
    };
  }

  forward(ctx: OpForwardContext): void {
    const x = ctx.inputs[0];
    const g = geometry(x.shape, ctx.attrs);
    if (!g) {
      const dw = depthwisePlan(x.shape, ctx.attrs);
      return dw ? this.depthwiseForward(ctx, dw) : conv2dKernel.forward(ctx);
    }
    const algo = plan(g).forward;
    if (algo === 'winograd' || algo === 'winograd4' || algo === 'winograd4s2') return this.winogradForward(ctx, g, algo);
    if (algo === 'direct') return this.directForward(ctx, g);
    if (algo === 'pointwise') return this.pointwiseForward(ctx, g);
    if (algo === 'shallow') return this.shallowForward(ctx, g);
    this.im2colForward(ctx, g);
  }

  private im2colForward(ctx: OpForwardContext, g: Geometry, epilogue?: ConvEpilogue): void {
    const x = ctx.inputs[0];
    // Only the samples read after it (OpForwardContext.rows: a GAN's generator step scores the generated half).
    const [n0, n1] = ctx.rows ?? [0, g.n];
    const blocks = im2colBlocks(g);
    const parts = sampleParts(n1 - n0, this.cpu.threads, blocks.group);
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(blocks.forward));
    try {
      const xa = this.cpu.addressOf(x.data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const ba = ctx.params.bias ? this.cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
      const ya = this.cpu.addressOf((epilogue?.out ?? ctx.output).data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
      const ep = epilogue ? this.cpu.addressOf(epilogue.table, 4 * g.outC, 'Conv2d epilogue table', true, false) : 0;
      const act = epilogue?.act ?? 0;
      this.k.conv2dForward.run({ x: xa, n0, n1, ...geomArgs(g), w: wa, Cout: g.outC, bias: ba, y: ya, accumulate: 0, direct: g.direct ? 1 : 0, group: blocks.group, ep, act }, parts);
    } finally {
      this.cpu.unstage();
    }
  }

  /**
   * A forward of shallow depth from the image itself (conv.wat's conv2dShallow), split by samples as
   * im2col's (sampleParts): the same bits as {@link im2colForward}, without its columns.
   */
  private shallowForward(ctx: OpForwardContext, g: Geometry, epilogue?: ConvEpilogue): void {
    const [n0, n1] = ctx.rows ?? [0, g.n];
    const shape = { C: g.inC, Cout: g.outC, kH: g.k[0], kW: g.k[1], sH: g.s[0], sW: g.s[1], oH: g.outH, oW: g.outW };
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(this.k.shallowScratchBytes.call(shape)));
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const ba = ctx.params.bias ? this.cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
      const ya = this.cpu.addressOf((epilogue?.out ?? ctx.output).data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
      const ep = epilogue ? this.cpu.addressOf(epilogue.table, 4 * g.outC, 'Conv2d epilogue table', true, false) : 0;
      const args = { x: xa, n0, n1, ...shape, H: g.h, W: g.w, pH: g.p[0], pW: g.p[1], w: wa, bias: ba, y: ya, ep, act: epilogue?.act ?? 0 };
      this.k.conv2dShallow.run(args, sampleParts(n1 - n0, this.cpu.threads, 1));
    } finally {
      this.cpu.unstage();
    }
  }

  /**
   * A 7×7 stride-2 layer's backward: dx (where wanted) on im2col, dW on four phases of F(4×4, 4×4)
   * (polyphaseWeightGrad: per-task partial dU and db, summed in task order, then Gᵀ dU G here). Its
   * forward stays on conv2dShallow or im2col: see polyphaseApplies.
   */
  private polyphaseBackward(ctx: OpBackwardContext, g: Geometry): void {
    if (ctx.dInputs[0]) this.im2colBackward(ctx, g, null, false);
    if (ctx.dParamsWanted === false) return;
    const rows = polyphaseBlockRows(g.outW);
    const parts = chunks(g.n, this.cpu.threads);
    const dUFloats = 49 * 4 * g.inC * g.outC;
    const db = ctx.dParams.bias;
    const partBytes = round64(dUFloats) + (db ? round64(g.outC) : 0);
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(this.k.polyphaseScratchBytes.call({ C: g.inC, Cout: g.outC, oH: g.outH, oW: g.outW, rows })));
    // The tasks' partials, then their sum (dU, read by the finish in place), zeroed together.
    const partials = this.cpu.sharedScratch(parts * partBytes + round64(dUFloats));
    const dUa = partials + parts * partBytes;
    zeroHeap(this.cpu, ctx.backend, partials, (parts * partBytes + round64(dUFloats)) / 4);
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const dya = this.cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
      const dbt = db ? partials + round64(dUFloats) : 0;
      const args = { x: xa, n0: 0, n1: g.n, C: g.inC, H: g.h, W: g.w, pH: g.p[0], pW: g.p[1], oH: g.outH, oW: g.outW, dy: dya, Cout: g.outC, dU: partials, db: dbt, rows };
      this.k.polyphaseWeightGrad.run(args, parts, { dU: partBytes, db: db ? partBytes : 0 });
      this.k.addParts.run({ dst: dUa, src: partials, parts, stride: partBytes, i0: 0, i1: dUFloats }, partsFor(dUFloats, this.cpu.threads, Infinity, parts));
      if (db) addTaskPartials(this.cpu, this.k.addParts, db.data, 'Conv2d dBias', dbt, parts, partBytes);
      polyphaseWeightGradFinish(this.cpu.heap.f32().subarray(dUa / 4, dUa / 4 + dUFloats), g.outC, g.inC, ctx.dParams.weight.data);
    } finally {
      this.cpu.unstage();
    }
  }

  backward(ctx: OpBackwardContext): void {
    const x = ctx.inputs[0];
    const g = geometry(x.shape, ctx.attrs);
    if (!g) {
      const dw = depthwisePlan(x.shape, ctx.attrs);
      if (dw) return this.depthwiseBackward(ctx, dw);
      this.zeroFreshInputGrad(ctx);
      return conv2dKernel.backward!(ctx);
    }
    const algo = plan(g);
    const dxTile = DX_TILE[algo.inputGrad] ?? null;
    if (algo.weightGrad === 'winograd' || algo.weightGrad === 'winograd4' || algo.weightGrad === 'winograd4s2') return this.winogradBackward(ctx, g, algo.weightGrad, dxTile);
    if (algo.weightGrad === 'direct') return this.directBackward(ctx, g);
    if (algo.weightGrad === 'pointwise') return this.pointwiseBackward(ctx, g);
    if (algo.weightGrad === 'polyphase') return this.polyphaseBackward(ctx, g);
    this.im2colBackward(ctx, g, dxTile);
  }

  /**
   * Whether the layer's forward can apply an epilogue (`ConvEpilogue`): where its algorithm has one,
   * the batch GEMM of a 'pointwise' layer without a bias (added after the GEMM, so after the
   * epilogue), the per-sample GEMMs of 'im2col', a group's planes of each output channel on
   * Winograd's tiles, and the depthwise planes (all after the bias).
   */
  hasEpilogue(ctx: OpForwardContext): boolean {
    const x = ctx.inputs[0];
    const g = geometry(x.shape, ctx.attrs);
    if (!g) return depthwisePlan(x.shape, ctx.attrs) !== null;
    const algo = plan(g).forward;
    return algo === 'im2col' || algo === 'shallow' || algo === 'winograd' || algo === 'winograd4' || algo === 'winograd4s2' || (algo === 'pointwise' && !ctx.params.bias);
  }

  /** The forward with `epilogue` applied as each block of the output is summed (where `hasEpilogue`). */
  forwardWithEpilogue(ctx: OpForwardContext, epilogue: ConvEpilogue): void {
    const x = ctx.inputs[0];
    const g = geometry(x.shape, ctx.attrs);
    if (!g) return this.depthwiseForward(ctx, depthwisePlan(x.shape, ctx.attrs)!, epilogue);
    const algo = plan(g).forward;
    if (algo === 'pointwise') this.pointwiseForward(ctx, g, epilogue);
    else if (algo === 'shallow') this.shallowForward(ctx, g, epilogue);
    else if (algo === 'winograd' || algo === 'winograd4' || algo === 'winograd4s2') this.winogradForward(ctx, g, algo, epilogue);
    else this.im2colForward(ctx, g, epilogue);
  }

  /**
   * A 1×1 stride-1 layer's forward as one GEMM over the samples' planes, y_s = W·x_s for every s
   * (gemm.wat's gemmSampleCols; the same bits as a GEMM per sample), split by samples; then the bias.
   */
  private pointwiseForward(ctx: OpForwardContext, g: Geometry, epilogue?: ConvEpilogue): void {
    const [n0, n1] = ctx.rows ?? [0, g.n];
    const parts = pointwiseParts(n1 - n0, g.spatial, this.cpu.threads);
    const L = g.spatial;
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * L, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.inC, 'Conv2d weight', true, false);
      const ya = this.cpu.addressOf((epilogue?.out ?? ctx.output).data, g.n * g.outC * L, 'Conv2d output', false, true);
      const ep = epilogue ? this.cpu.addressOf(epilogue.table, 4 * g.outC, 'Conv2d epilogue table', true, false) : 0;
      const act = epilogue?.act ?? 0;
      this.k.gemmSampleCols.run({ transA: 0, m: g.outC, k: g.inC, a: wa, lda: g.inC, x: xa, xs: 4 * g.inC * L, y: ya, ys: 4 * g.outC * L, L, n0, n1, accumulate: 0, ep, act }, parts);
      if (ctx.params.bias) {
        const ba = this.cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false);
        this.k.addChannelBias.run({ y: ya, bias: ba, C: g.outC, plane: L, n0, n1 }, partsFor((n1 - n0) * g.outC * L, this.cpu.threads, n1 - n0));
      }
    } finally {
      this.cpu.unstage();
    }
  }

  /**
   * A 1×1 stride-1 layer's backward on the batch GEMMs: dW += Σ_s dy_s·x_sᵀ as one GEMM whose depth
   * is every sample's positions (gemmSampleDepth), split by output or input channels, so no per-task
   * partial sums and the same bits on any thread count; db in float64 per channel (channelSums64); dx (+)=
   * Wᵀ·dy_s as gemmSampleCols, split by samples (the same bits as a GEMM per sample).
   */
  private pointwiseBackward(ctx: OpBackwardContext, g: Geometry): void {
    const L = g.spatial;
    const dx = ctx.dInputs[0];
    try {
      const dya = this.cpu.addressOf(ctx.dOutput.data, g.n * g.outC * L, 'Conv2d dOutput', true, false);
      if (ctx.dParamsWanted !== false) {
        const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * L, 'Conv2d input', true, false);
        const dWa = this.cpu.addressOf(ctx.dParams.weight.data, g.outC * g.inC, 'Conv2d dWeight', true, true);
        const args = { o0: 0, o1: g.outC, j0: 0, j1: g.inC, N: g.n, L, a: dya, as: 4 * g.outC * L, b: xa, bs: 4 * g.inC * L, c: dWa, ldc: g.inC, accumulate: 1 };
        // A task packs its share of one operand and all of the other (dy: outC·N·L floats, x: inC·N·L): split the side that leaves the smaller one whole.
        const tasks = g.outC * g.inC * g.n * L < this.cpu.threads * POINTWISE_TASK_MIN_MACS ? 1 : this.cpu.threads;
        if (tasks > 1 && g.outC < g.inC && g.inC >= 16 * tasks) this.k.gemmSampleDepthCols.run(args, tasks);
        else this.k.gemmSampleDepthRows.run(args, Math.min(tasks, Math.ceil(g.outC / 2)));
        if (ctx.dParams.bias) {
          const dba = this.cpu.addressOf(ctx.dParams.bias.data, g.outC, 'Conv2d bias gradient', true, true);
          this.k.channelSums64.run({ dy: dya, C: g.outC, plane: L, N: g.n, db: dba, c0: 0, c1: g.outC }, partsFor(g.n * g.outC * L, this.cpu.threads, g.outC));
        }
      }
      if (dx) {
        const fresh = ctx.dInputsFresh?.[0] === true;
        // Only the channels of dx read after this backward (OpBackwardContext.dInputsRead); a fresh dx's others are zeroed.
        const [c0, c1] = ctx.dInputsRead?.[0] ?? [0, g.inC];
        const partial = c0 > 0 || c1 < g.inC;
        const dxa = this.cpu.addressOf(dx.data, g.n * g.inC * L, 'Conv2d dInput', !fresh || partial, true);
        if (fresh && partial) this.k.fillZero.call({ p: dxa, n: g.n * g.inC * L });
        const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.inC, 'Conv2d weight', true, false);
        const parts = pointwiseParts(g.n, L, this.cpu.threads);
        this.k.gemmSampleCols.run(
          { transA: 1, m: c1 - c0, k: g.outC, a: wa + 4 * c0, lda: g.inC, x: dya, xs: 4 * g.outC * L, y: dxa + 4 * c0 * L, ys: 4 * g.inC * L, L, n0: 0, n1: g.n, accumulate: fresh && !partial ? 0 : 1, ep: 0, act: 0 },
          parts,
        );
      }
    } finally {
      this.cpu.unstage();
    }
  }

  /** Backward on unfolded columns (per-task partial dW and db), dx by col2im or, where `dxTile`, by that Winograd. */
  private im2colBackward(ctx: OpBackwardContext, g: Geometry, dxTile: DxTile | null, weights = true): void {
    const x = ctx.inputs[0];
    const parts = chunks(g.n, this.cpu.threads);
    const dx = ctx.dInputs[0];
    const wino = dx != null && dxTile !== null;
    const tile = dxTile ?? 'winograd';
    const blocks = im2colBlocks(g);
    // Per thread: unfolded columns and their gradient (kinds a, b); the Winograd input gradient
    // runs after the weight gradient and reuses the same block (kind a).
    const { group, bytes: winoBytes } = wino ? this.winogradGroup(tile, { C: g.outC, Cout: g.inC, oH: g.h, oW: g.w }) : { group: 1, bytes: 0 };
    const base = this.cpu.threadScratch(Math.max(blocks.cols + blocks.dcols, winoBytes));
    this.cpu.setThreadValues(KIND.a, base);
    this.cpu.setThreadValues(KIND.b, base.map((b) => b + blocks.cols));
    // Per task (not per thread): partial dW and db, reduced below in task order, so the sum does
    // not depend on which thread ran which samples (training stays bit-reproducible). After
    // them, the Winograd transform of the rotated kernel (for dx). None where the step reads no
    // parameter gradient (OpBackwardContext.dParamsWanted): dx alone.
    const wanted = weights && ctx.dParamsWanted !== false;
    const hasBias = wanted && ctx.dParams.bias !== undefined;
    const partBytes = wanted ? round64(g.outC * g.rows) + round64(g.outC) : 0;
    const partials = this.cpu.sharedScratch(parts * partBytes + (wino ? round64(uFloats(tile, g)) : 0));
    const ua = partials + parts * partBytes;
    zeroHeap(this.cpu, ctx.backend, partials, (parts * partBytes) / 4);
    try {
      const xa = this.cpu.addressOf(x.data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const dya = this.cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
      // A fresh dx holds stale values: the Winograd kernel assigns it; col2im adds into it, so zero it first.
      const fresh = ctx.dInputsFresh?.[0] === true;
      const dxa = dx ? this.cpu.addressOf(dx.data, g.n * g.inC * g.h * g.w, 'Conv2d dInput', !fresh, true) : 0;
      if (dx && fresh && !wino) this.k.fillZero.call({ p: dxa, n: g.n * g.inC * g.h * g.w });
      const read = wino ? undefined : ctx.dInputsRead?.[0];
      // Task t sums into its own partial dW (and db) block.
      this.k.conv2dBackward.run(
        {
          x: xa, n0: 0, n1: g.n, ...geomArgs(g), w: wa, Cout: g.outC, dy: dya, dx: wino ? 0 : dxa,
          dWt: wanted ? partials : 0, dbt: hasBias ? partials + round64(g.outC * g.rows) : 0, direct: g.direct ? 1 : 0, group: blocks.group,
          // dx alone, zeroed above: groups of samples whose dy is all zeros are skipped (a GAN's
          // generator step sends zeros back through the discriminator's real half), same bits.
          skipZero: !wanted && fresh && dx && !wino ? 1 : 0,
          // Only the channels of dx read after this backward (OpBackwardContext.dInputsRead), the others left at the zeros above.
          dx0: read ? read[0] : 0,
          dxC: read ? read[1] - read[0] : g.inC,
        },
        parts,
        { dWt: partBytes, dbt: hasBias ? partBytes : 0 },
      );
      if (wino) this.winogradInputGrad(tile, g, dya, wa, ua, dxa, fresh, group, parts);
      if (wanted) this.addPartials(ctx, g, partials, parts, partBytes);
    } finally {
      this.cpu.unstage();
    }
  }

  /** U = G g Gᵀ of every kernel into `ua` (flip = 1: rotated 180° and transposed, for dx). */
  private transformWeights(tile: ConvTile, wa: number, g: Geometry, ua: number, flip: number): void {
    const parts = this.cpu.threads > 1 && g.outC * g.inC >= 1024 ? Math.min(this.cpu.threads, g.outC) : 1;
    this.tiles[tile].weights.run({ w: wa, Cout: g.outC, C: g.inC, o0: 0, o1: g.outC, u: ua, flip }, parts);
  }

  /** Samples per GEMM for the tile shapes given, on that variant, and its per-thread scratch. */
  private winogradGroup(tile: ConvTile, ...shapes: TileShape[]): { group: number; bytes: number } {
    const bytesFor = (group: number): number => Math.max(...shapes.map((s) => this.tiles[tile].scratchBytes.call({ ...s, group })));
    const uRead = Math.min(...shapes.map((s) => WINOGRAD_ELEMENTS[tile] * s.C * s.Cout * 4));
    const budget = Math.max(WINOGRAD_SCRATCH_BUDGET, WINOGRAD_U_SCRATCH_SHARE * uRead);
    let group = WINOGRAD_MAX_GROUP[tile];
    while (group > 1 && bytesFor(group) > budget) group >>= 1;
    return { group, bytes: bytesFor(group) };
  }

  private winogradForward(ctx: OpForwardContext, g: Geometry, tile: ConvTile, epilogue?: ConvEpilogue): void {
    const [n0, n1] = ctx.rows ?? [0, g.n];
    const { group, bytes } = this.winogradGroup(tile, { C: g.inC, Cout: g.outC, oH: g.outH, oW: g.outW });
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(bytes));
    const ua = this.cpu.sharedScratch(uFloats(tile, g) * 4);
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const ba = ctx.params.bias ? this.cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
      const ya = this.cpu.addressOf((epilogue?.out ?? ctx.output).data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
      const ep = epilogue ? this.cpu.addressOf(epilogue.table, 4 * g.outC, 'Conv2d epilogue table', true, false) : 0;
      this.transformWeights(tile, wa, g, ua, 0);
      this.winogradConvRun(
        tile,
        { x: xa, n0, n1, C: g.inC, H: g.h, W: g.w, pH: g.p[0], pW: g.p[1], oH: g.outH, oW: g.outW, u: ua, Cout: g.outC, bias: ba, y: ya, accumulate: 0, group, ep, act: epilogue?.act ?? 0, o0: 0, o1: g.outC },
        { C: g.inC, Cout: g.outC, oH: g.outH, oW: g.outW },
        this.winogradConvParts(tile, n1 - n0, g, group),
      );
    } finally {
      this.cpu.unstage();
    }
  }

  /**
   * dx (added into, or assigned when `fresh`) = the correlation of dy, padded by 2 − p, with the
   * rotated, transposed kernel, whose transform goes to `ua`.
   */
  private winogradInputGrad(tile: DxTile, g: Geometry, dya: number, wa: number, ua: number, dxa: number, fresh: boolean, group: number, parts: number): void {
    this.transformWeights(tile, wa, g, ua, 1);
    const pad = DY_PAD[tile](g);
    this.winogradConvRun(
      tile,
      { x: dya, n0: 0, n1: g.n, C: g.outC, H: g.outH, W: g.outW, pH: pad[0], pW: pad[1], oH: g.h, oW: g.w, u: ua, Cout: g.inC, bias: 0, y: dxa, accumulate: fresh ? 0 : 1, group, ep: 0, act: 0, o0: 0, o1: g.inC },
      { C: g.outC, Cout: g.inC, oH: g.h, oW: g.w },
      parts,
    );
  }

  /**
   * A Winograd convolution pass (forward or dx) over samples [n0, n1) and every output channel:
   * split by samples ({@link winogradConvParts}), or where {@link winogradRowSplit} says, by output
   * channels, one share per thread, each task over all the samples. Either way each output is the
   * same GEMM sum over the channels in the same order (the micro-kernel's rows are computed in pairs
   * from an even row, its columns from zero whatever the group): the same bits.
   */
  private winogradConvRun(tile: ConvTile, args: Omit<KernelArgs['winograd4Conv'], 'scratch' | 'gemmScratch'>, shape: TileShape, parts: number): void {
    const kernels = this.tiles[tile];
    if (kernels.convRows && winogradRowSplit(tile, args.n1 - args.n0, shape, args.group, this.cpu.threads)) {
      kernels.convRows.run(args, Math.min(this.cpu.threads, Math.ceil(shape.Cout / 2)));
    } else {
      kernels.conv.run(args, parts);
    }
  }

  /**
   * Tasks for a Winograd convolution pass (forward or dx) over `n` samples grouped `group` per GEMM:
   * F(2×2)'s by its tiles ({@link winogradParts}); F(4×4)'s with at least `group` samples each (and
   * one per thread), as an im2col forward's ({@link sampleParts}), so a task's GEMMs get the
   * group's full width. Either way each output is one GEMM column's sum over the channels in the same
   * order, so the split changes no bit. NOTE: F(2×2)'s split gave F(4×4)'s 28×28 layers 8 tasks of
   * 2 samples where its group is 4, and its 14×14 ones 6 tasks of 2–3 where it is 7: each task packs
   * every U[ξ] for fewer columns. Measured (2 threads, wall, median of 9, two rounds, `BACKWARD=1
   * STEPS=9 npx tsx bench/conv-layers.ts 2`, the 2-vCPU AMD EPYC with AVX-512), before / after:
   * 128→128 at 28×28 forward 11.7–12.1 / 10.7–10.8 ms, backward (dx; dW as before) 22.2–22.3 /
   * 20.9–21.2; 256→256 at 14×14 14.3–14.8 / 13.5–13.6, 26.6–27.0 / 26.2–26.3; 56×56 and 7×7 within
   * noise (8 and 2 tasks either way).
   */
  private winogradConvParts(tile: ConvTile, n: number, g: Geometry, group: number): number {
    return tile !== 'winograd' ? sampleParts(n, this.cpu.threads, group) : winogradParts(n, tilesPerSample(g), this.cpu.threads);
  }

  /**
   * Backward of a Winograd-eligible convolution: weight and bias gradients in the Winograd domain
   * (per-task partial sums dU, reduced in task order and taken back to 3×3 once), then dx.
   */
  private winogradBackward(ctx: OpBackwardContext, g: Geometry, dwTile: Exclude<ConvTile, 'winograd4s2dx'>, dxTile: DxTile | null): void {
    const parts = winogradParts(g.n, tilesPerSample(g), this.cpu.threads);
    // F(4×4)'s (and the stride-2 form's) weight gradient: one task per thread (see WINOGRAD4_MIN_GAIN_WEIGHT_GRAD).
    const dwParts = dwTile !== 'winograd' ? Math.min(this.cpu.threads, g.n) : parts;
    const dx = ctx.dInputs[0];
    // No Winograd dx (the stride-2 form's): im2col's, alone, after the weight gradient.
    if (ctx.dParamsWanted === false) return dxTile ? this.winogradInputGradOnly(ctx, g, dxTile) : this.im2colBackward(ctx, g, null);
    const forwardTiles = { C: g.inC, Cout: g.outC, oH: g.outH, oW: g.outW };
    const dxTiles = { C: g.outC, Cout: g.inC, oH: g.h, oW: g.w };
    // The weight gradient's sums follow its sample group: F(2×2)'s as it was before dx could run on
    // F(4×4) (sized for dx's tiles too, which then share it); F(4×4)'s from its own tiles alone, so
    // that dW has the same bits whether dx runs beside it or not.
    const { group, bytes } = dwTile === 'winograd' && dx ? this.winogradGroup(dwTile, forwardTiles, dxTiles) : this.winogradGroup(dwTile, forwardTiles);
    const dxGroup = dx && dxTile && (dxTile !== 'winograd' || dwTile === 'winograd4') ? this.winogradGroup(dxTile, dxTiles) : { group, bytes };
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(Math.max(bytes, dxGroup.bytes)));
    // Split by output channels where dU outweighs the tiles as U does in the forward (winogradRowSplit):
    // each task sums its rows of one dU over every sample, so there are no partials to add, and dW
    // has the bits one thread gives it (the same groups of samples, each row's sums in the same order).
    const weightGradRows = this.tiles[dwTile].weightGradRows;
    const byRows = weightGradRows !== undefined && winogradRowSplit(dwTile, g.n, forwardTiles, group, this.cpu.threads);
    const partials = byRows ? 1 : dwParts;
    // Shared: per-task dU (F(2×2): [16][Cout][C]; F(4×4): [36][Cout·C + 16], see winograd4WeightGrad)
    // and db partial sums, then the rotated kernel's transform.
    const floats = dwTile === 'winograd' ? 16 * g.outC * g.inC : dUFloats4(g);
    const uBytes = round64(floats);
    const dbBytes = round64(g.outC);
    const dUa = this.cpu.sharedScratch(partials * (uBytes + dbBytes) + (dxTile ? round64(uFloats(dxTile, g)) : 0));
    const dba = dUa + partials * uBytes;
    const ua = dba + partials * dbBytes;
    const db = ctx.dParams.bias?.data;
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const dya = this.cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
      const dWa = this.cpu.addressOf(ctx.dParams.weight.data, g.outC * g.rows, 'Conv2d dWeight', true, true);
      const args = { x: xa, n0: 0, n1: g.n, C: g.inC, H: g.h, W: g.w, pH: g.p[0], pW: g.p[1], oH: g.outH, oW: g.outW, dy: dya, Cout: g.outC, dU: dUa, db: db ? dba : 0, group, o0: 0, o1: g.outC };
      // By rows: task t its rows of the one dU and db. Else task t sums into its own dU and db blocks.
      if (byRows) weightGradRows.run(args, Math.min(this.cpu.threads, Math.ceil(g.outC / 2)));
      else this.tiles[dwTile].weightGrad.run(args, dwParts, { dU: uBytes, db: db ? dbBytes : 0 });
      // The task partials added in task order into the first (contiguous, so in f32x4: one stream per
      // partial), then taken back to 3×3. NOTE: the finish can add them itself as it reads them (its
      // `parts`), but with 36 planes per partial that is 36·parts streams at once: resnet18's F(4×4)
      // weight gradients (2 threads, then up to 8 partials) took 35 ms a step in the finish that way,
      // against 15 + 9 ms for addParts and a finish on one.
      if (partials > 1) this.k.addParts.run({ dst: dUa, src: dUa + uBytes, parts: partials - 1, stride: uBytes, i0: 0, i1: floats }, partsFor(floats, this.cpu.threads, Infinity, partials));
      const finish = this.cpu.threads > 1 && g.outC * g.inC >= 1024 ? Math.min(this.cpu.threads, g.outC) : 1;
      this.tiles[dwTile].weightGradFinish.run({ dU: dUa, parts: 1, stride: uBytes, Cout: g.outC, C: g.inC, o0: 0, o1: g.outC, dW: dWa }, finish);
      if (db) addTaskPartials(this.cpu, this.k.addParts, db, 'Conv2d dBias', dba, partials, dbBytes);
      if (dx && dxTile) {
        const fresh = ctx.dInputsFresh?.[0] === true;
        const dxa = this.cpu.addressOf(dx.data, g.n * g.inC * g.h * g.w, 'Conv2d dInput', !fresh, true);
        this.winogradInputGrad(dxTile, g, dya, wa, ua, dxa, fresh, dxGroup.group, this.winogradConvParts(dxTile, g.n, g, dxGroup.group));
      }
    } finally {
      this.cpu.unstage();
    }
    if (dx && !dxTile) this.im2colBackward(ctx, g, null, false);
  }

  /** A Winograd-eligible convolution's backward where the step reads no parameter gradient: dx alone (if any). */
  private winogradInputGradOnly(ctx: OpBackwardContext, g: Geometry, tile: DxTile): void {
    const dx = ctx.dInputs[0];
    if (!dx) return;
    const { group, bytes } = this.winogradGroup(tile, { C: g.outC, Cout: g.inC, oH: g.h, oW: g.w });
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(bytes));
    const ua = this.cpu.sharedScratch(round64(uFloats(tile, g)));
    try {
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const dya = this.cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
      const fresh = ctx.dInputsFresh?.[0] === true;
      const dxa = this.cpu.addressOf(dx.data, g.n * g.inC * g.h * g.w, 'Conv2d dInput', !fresh, true);
      this.winogradInputGrad(tile, g, dya, wa, ua, dxa, fresh, group, this.winogradConvParts(tile, g.n, g, group));
    } finally {
      this.cpu.unstage();
    }
  }

  private directForward(ctx: OpForwardContext, g: Geometry): void {
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(this.k.direct3x3ScratchBytes.call({ oH: g.outH, oW: g.outW })));
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
      const ba = ctx.params.bias ? this.cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
      const ya = this.cpu.addressOf(ctx.output.data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
      this.k.direct3x3Forward.run(
        { x: xa, n0: 0, n1: g.n, C: g.inC, H: g.h, W: g.w, pH: g.p[0], pW: g.p[1], oH: g.outH, oW: g.outW, w: wa, Cout: g.outC, bias: ba, y: ya, accumulate: 0 },
        chunks(g.n, this.cpu.threads),
      );
    } finally {
      this.cpu.unstage();
    }
  }

  /**
   * Backward of a direct 3×3 convolution: weight and bias gradients summed per task (reduced in
   * task order), then dx as the direct correlation of dy, padded by 2 − p, with the kernel rotated
   * 180° and its channel axes swapped (written to shared scratch after the partial sums).
   */
  private directBackward(ctx: OpBackwardContext, g: Geometry): void {
    const parts = chunks(g.n, this.cpu.threads);
    const dx = ctx.dInputs[0];
    const scratch = Math.max(this.k.direct3x3ScratchBytes.call({ oH: g.outH, oW: g.outW }), dx ? this.k.direct3x3ScratchBytes.call({ oH: g.h, oW: g.w }) : 0);
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(scratch));
    // No partial sums where the step reads no parameter gradient (OpBackwardContext.dParamsWanted).
    const wanted = ctx.dParamsWanted !== false;
    const partBytes = wanted ? round64(g.outC * g.rows) + round64(g.outC) : 0;
    const partials = this.cpu.sharedScratch(parts * partBytes + (dx ? round64(g.outC * g.rows) : 0));
    zeroHeap(this.cpu, ctx.backend, partials, (parts * partBytes) / 4);
    try {
      const xa = this.cpu.addressOf(ctx.inputs[0].data, g.n * g.inC * g.h * g.w, 'Conv2d input', true, false);
      const dya = this.cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
      const hasBias = ctx.dParams.bias !== undefined;
      if (wanted) {
        this.k.direct3x3WeightGrad.run(
          { x: xa, n0: 0, n1: g.n, C: g.inC, H: g.h, W: g.w, pH: g.p[0], pW: g.p[1], oH: g.outH, oW: g.outW, dy: dya, Cout: g.outC, dW: partials, db: hasBias ? partials + round64(g.outC * g.rows) : 0 },
          parts,
          { dW: partBytes, db: hasBias ? partBytes : 0 },
        );
      }
      if (dx) {
        const fresh = ctx.dInputsFresh?.[0] === true;
        const dxa = this.cpu.addressOf(dx.data, g.n * g.inC * g.h * g.w, 'Conv2d dInput', !fresh, true);
        const flipped = partials + parts * partBytes;
        const w = ctx.params.weight.data;
        const heap = this.cpu.heap.f32();
        for (let o = 0; o < g.outC; o++) {
          for (let c = 0; c < g.inC; c++) {
            const from = (o * g.inC + c) * 9;
            const to = flipped / 4 + (c * g.outC + o) * 9 + 8;
            for (let t = 0; t < 9; t++) heap[to - t] = w[from + t];
          }
        }
        this.k.direct3x3Forward.run(
          { x: dya, n0: 0, n1: g.n, C: g.outC, H: g.outH, W: g.outW, pH: 2 - g.p[0], pW: 2 - g.p[1], oH: g.h, oW: g.w, w: flipped, Cout: g.inC, bias: 0, y: dxa, accumulate: fresh ? 0 : 1 },
          parts,
        );
      }
      if (wanted) this.addPartials(ctx, g, partials, parts, partBytes);
    } finally {
      this.cpu.unstage();
    }
  }

  /** dW (and db) += the per-task partial sums at `partials` (`partBytes` apart: dW, then db), in task order. */
  private addPartials(ctx: OpBackwardContext, g: Geometry, partials: number, parts: number, partBytes: number): void {
    addTaskPartials(this.cpu, this.k.addParts, ctx.dParams.weight.data, 'Conv2d dWeight', partials, parts, partBytes);
    const db = ctx.dParams.bias?.data;
    if (db) addTaskPartials(this.cpu, this.k.addParts, db, 'Conv2d dBias', partials + round64(g.outC * g.rows), parts, partBytes);
  }

  /** A depthwise layer's forward: planes (sample × channel) split across the threads, the samples read only (OpForwardContext.rows). */
  private depthwiseForward(ctx: OpForwardContext, c: ConvPlan, epilogue?: ConvEpilogue): void {
    const x = ctx.inputs[0];
    const [n0, n1] = ctx.rows ?? [0, c.n];
    const [p0, p1] = [n0 * c.inC, n1 * c.inC];
    this.depthwiseScratch(c);
    try {
      const xa = this.cpu.addressOf(x.data, c.n * c.inC * c.h * c.w, 'Conv2d input', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, c.outC * c.k[0] * c.k[1], 'Conv2d weight', true, false);
      const ba = ctx.params.bias ? this.cpu.addressOf(ctx.params.bias.data, c.outC, 'Conv2d bias', true, false) : 0;
      const ya = this.cpu.addressOf((epilogue?.out ?? ctx.output).data, c.n * c.outC * c.outH * c.outW, 'Conv2d output', false, true);
      const ep = epilogue ? this.cpu.addressOf(epilogue.table, 4 * c.outC, 'Conv2d epilogue table', true, false) : 0;
      const act = epilogue?.act ?? 0;
      const work = (p1 - p0) * c.outH * c.outW;
      this.k.depthwiseForward.run({ x: xa, w: wa, bias: ba, y: ya, p0, p1, ...depthwiseArgs(c), ep, act }, partsFor(work, this.cpu.threads, p1 - p0, c.k[0] * c.k[1]));
    } finally {
      this.cpu.unstage();
    }
  }

  /**
   * A depthwise layer's backward: dx += the adjoint (assigned where fresh), planes split
   * across the threads; then dW and db, channels split (each task sums its channels over the whole
   * batch: no partial sums), unless the step reads no parameter gradient.
   */
  private depthwiseBackward(ctx: OpBackwardContext, c: ConvPlan): void {
    const dx = ctx.dInputs[0];
    const planes = c.n * c.inC;
    const taps = c.k[0] * c.k[1];
    const work = planes * c.outH * c.outW * taps;
    this.depthwiseScratch(c);
    try {
      const dya = this.cpu.addressOf(ctx.dOutput.data, planes * c.outH * c.outW, 'Conv2d dOutput', true, false);
      const wa = this.cpu.addressOf(ctx.params.weight.data, c.outC * taps, 'Conv2d weight', true, false);
      if (dx) {
        const fresh = ctx.dInputsFresh?.[0] === true;
        const dxa = this.cpu.addressOf(dx.data, planes * c.h * c.w, 'Conv2d dInput', !fresh, true);
        this.k.depthwiseInputGrad.run({ dy: dya, w: wa, dx: dxa, p0: 0, p1: planes, ...depthwiseArgs(c), fresh: fresh ? 1 : 0 }, partsFor(work, this.cpu.threads, planes));
      }
      if (ctx.dParamsWanted !== false) {
        const xa = this.cpu.addressOf(ctx.inputs[0].data, planes * c.h * c.w, 'Conv2d input', true, false);
        const dWa = this.cpu.addressOf(ctx.dParams.weight.data, c.outC * taps, 'Conv2d weight gradient', true, true);
        const dba = ctx.dParams.bias ? this.cpu.addressOf(ctx.dParams.bias.data, c.outC, 'Conv2d bias gradient', true, true) : 0;
        this.k.depthwiseWeightGrad.run({ x: xa, dy: dya, dWt: dWa, db: dba, c0: 0, c1: c.outC, N: c.n, ...depthwiseArgs(c) }, partsFor(work, this.cpu.threads, c.outC));
      }
    } finally {
      this.cpu.unstage();
    }
  }

  /** Each thread's scratch for the depthwise kernels (a padded plane and its taps; kernels/depthwise.wat) at this geometry. */
  private depthwiseScratch(c: ConvPlan): void {
    this.cpu.setThreadValues(KIND.a, this.cpu.threadScratch(this.k.depthwiseScratchBytes.call(depthwiseArgs(c))));
  }

  /** The op file's backward adds into dx: a fresh (stale) one is zeroed first. */
  private zeroFreshInputGrad(ctx: OpBackwardContext): void {
    const dx = ctx.dInputs[0];
    if (!dx || ctx.dInputsFresh?.[0] !== true) return;
    if (this.cpu.heap.owns(dx.data)) this.k.fillZero.call({ p: dx.data.byteOffset, n: dx.data.length });
    else dx.data.fill(0);
  }
}

/**
 * Conv2d (groups = 1) with the batch split across threads by samples: each thread transforms (or
 * unfolds) and multiplies its own samples in one WebAssembly call (no per-sample fork/join).
 * Depthwise ones (groups = in = out channels) run kernels/depthwise.wat, planes or channels split
 * across the threads; other grouped convolutions use the op's own implementation (which still
 * runs on this backend's GEMM).
 *
 * 3×3 stride-1 convolutions with enough channels run forward and input gradient on Winograd
 * F(2×2, 3×3) (kernels/winograd.wat; see docs/cpu-backend.md, "Winograd"): 2.25× fewer
 * multiplies. The kernel transform is computed once per call into shared scratch, split by output
 * channel, before the per-sample tasks read it.
 *
 * NOTE: the weight gradient is summed per task (a fixed split of the batch) and the partial sums
 * added in task order, so it differs from the single-thread sum by float32 reassociation only and
 * does not depend on thread timing. Winograd outputs do not depend on the split at all (each
 * element's dot product runs over the channels in the same order whatever the grouping).
 */
export function conv2dOverride(cpu: CpuContext): OpKernelOverride {
  const conv = new Conv2dOnCpu(cpu);
  return {
    // dx is assigned where the executor marks it fresh (Winograd writes it; col2im and the op file
    // add, so they get it zeroed here instead of by the executor).
    assignsFreshGradients: true,
    // The reference kernel it falls back to honours it too.
    skipsUnwantedParamGradients: true,
    forward: (ctx) => conv.forward(ctx),
    backward: (ctx) => conv.backward(ctx),
  };
}

/**
 * What a Conv2d's forward applies to its output as it writes it: an eval-mode BatchNorm, then an
 * activation (fusions/conv-batch-norm.ts), into `out` (the chain's last output) instead of the
 * layer's own output.
 */
export interface ConvEpilogue {
  out: Tensor;
  /** Per output channel: BatchNorm's mean, 1/σ, γ and β as bnForward's eval mode takes them (float32). */
  table: Float32Array;
  /** The activation after it, as bnForward's modes number them: 0 none, 1 ReLU, 3 HardSwish. */
  act: 0 | 1 | 3;
}

/** Conv2d's forward with an epilogue (`Conv2dOnCpu.forwardWithEpilogue`) where it `applies`, and its plain forward. */
export function conv2dEpilogue(cpu: CpuContext) {
  const conv = new Conv2dOnCpu(cpu);
  return {
    applies: (ctx: OpForwardContext): boolean => conv.hasEpilogue(ctx),
    forward: (ctx: OpForwardContext, epilogue: ConvEpilogue): void => conv.forwardWithEpilogue(ctx, epilogue),
    plain: (ctx: OpForwardContext): void => conv.forward(ctx),
  };
}
