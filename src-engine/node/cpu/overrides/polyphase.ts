import type { ConvPlan } from '../../../core/ops/conv2d';

/**
 * The 7×7 stride-2 stem's weight gradient on four phases of F(4×4, 4×4) (kernels/polyphase.wat;
 * docs/cpu-backend.md, "The 7×7 stride-2 stem"): where it applies, the block size, and the finish.
 */

/**
 * F(4, 4) with the points 0, ±1, ±2, 1/2, ∞ (Bᵀ's rows the monic products Π_{l≠j}(x − a_l), G's
 * rows scaled by 1/Π_{l≠j}(a_j − a_l)): y_i = Σ_k g_k d_{i+k} = Aᵀ[(G g) ⊙ (Bᵀ d)] for 4 outputs from
 * 7 inputs. In float32 on random data (12 input channels) its 2-D error is ~2× F(4×4, 3×3)'s (worst
 * 28 against 18 units of 2⁻²⁴·Σ|x||w|); of the point sets tried (1/2 or −1/2 beside ±2, or ±1/2 and
 * ±2) this gave the least.
 */
export const F44 = {
  BT: [
    [-2, 4, 5 / 2, -5, -1 / 2, 1, 0],
    [0, 2, -2, -9 / 2, 1 / 2, 1, 0],
    [0, -2, 6, -7 / 2, -3 / 2, 1, 0],
    [0, 1, -3 / 2, -2, 3 / 2, 1, 0],
    [0, -1, 5 / 2, 0, -5 / 2, 1, 0],
    [0, 4, 0, -5, 0, 1, 0],
    [0, -2, 4, 5 / 2, -5, -1 / 2, 1],
  ],
  G: [
    [-1 / 2, 0, 0, 0],
    [-1 / 3, -1 / 3, -1 / 3, -1 / 3],
    [1 / 9, -1 / 9, 1 / 9, -1 / 9],
    [1 / 36, 1 / 18, 1 / 9, 2 / 9],
    [-1 / 60, 1 / 30, -1 / 15, 2 / 15],
    [32 / 45, 16 / 45, 8 / 45, 4 / 45],
    [0, 0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, 1],
  ],
} as const;

/** Most input channels: a network's first layer, on an image's 1–4 channels (its phase channels are the GEMMs' 4·C rows). */
export const POLYPHASE_MAX_CHANNELS = 4;
/** Fewest output channels: the input transform, paid per phase channel and tile, is shared by the output channels. */
export const POLYPHASE_MIN_OUT_CHANNELS = 16;
/** Tiles per block of GEMMs (whole tile rows, at least one): V and Ỹ for 128 tiles are ~1.3 MB at 3→64. */
const POLYPHASE_BLOCK_TILES = 128;

/**
 * A convolution whose weight gradient polyphaseWeightGrad computes: 7×7, stride 2, dilation 1, groups
 * 1, few input channels, enough output channels, and whole groups of four 4×4 tiles (oH a multiple
 * of 4, oW of 16). NOTE (the forward stays on conv2dShallow or im2col): the same tiles ran resnet18's
 * stem forward in 32 ms where conv2dShallow takes 61 (batch 16, 1 thread), but with ~10× im2col's
 * error (17–54·2⁻²⁴ of Σ|x||w| against ~3; F(4, 4)'s rounding is inherent: exact transforms on
 * either side still left 15) a random-weight torchvision resnet50 at 64×64 came out of its ONNX
 * import 1.25e-4 of max|y| from PyTorch, past #29's 1e-4 (the forward on conv2dShallow: 9.4e-5).
 * The weight gradient's error (3.5–15·2⁻²⁴ of Σ|x||dy|) feeds no forward.
 */
export function polyphaseApplies(g: ConvPlan): boolean {
  const shape = g.k[0] === 7 && g.k[1] === 7 && g.s[0] === 2 && g.s[1] === 2 && g.d[0] === 1 && g.d[1] === 1;
  return shape && g.inC <= POLYPHASE_MAX_CHANNELS && g.outC >= POLYPHASE_MIN_OUT_CHANNELS && g.outH % 4 === 0 && g.outW % 16 === 0 && g.outH > 0;
}

/** Tile rows per block of polyphaseWeightGrad's GEMMs for an output oW wide. */
export function polyphaseBlockRows(oW: number): number {
  return Math.max(1, Math.floor(POLYPHASE_BLOCK_TILES / (oW / 4)));
}

/** polyphaseWeightGradFinish's scratch: one phase's D (7×7) and D G (7×4), in float64. */
const FINISH_D = new Float64Array(49);
const FINISH_DG = new Float64Array(28);

/**
 * dW[o][c] += Gᵀ dU G per phase, scattered back to the 7×7 kernel: tap (2s + py, 2t + px) of phase
 * q = 4c + 2py + px is element (s, t) of its 4×4 gradient (the phase's taps past 6 are no kernel's).
 * dU is [49][4C][Cout] (polyphaseWeightGrad's, the tasks' sum); in float64, added once to dW.
 */
export function polyphaseWeightGradFinish(dU: Float32Array, outC: number, inC: number, dW: Float32Array): void {
  const Q = 4 * inC;
  const G = F44.G;
  const [D, DG] = [FINISH_D, FINISH_DG];
  for (let o = 0; o < outC; o++) {
    for (let q = 0; q < Q; q++) {
      for (let xi = 0; xi < 49; xi++) D[xi] = dU[(xi * Q + q) * outC + o];
      // D G (7×4), then Gᵀ (D G)
      for (let a = 0; a < 7; a++) {
        for (let t = 0; t < 4; t++) {
          let v = 0;
          for (let b = 0; b < 7; b++) v += D[a * 7 + b] * G[b][t];
          DG[a * 4 + t] = v;
        }
      }
      const base = (o * inC + (q >> 2)) * 49;
      const py = (q >> 1) & 1;
      const px = q & 1;
      for (let s = 0; s < 4; s++) {
        const u = 2 * s + py;
        if (u >= 7) continue;
        for (let t = 0; t < 4; t++) {
          const v = 2 * t + px;
          if (v >= 7) continue;
          let sum = 0;
          for (let a = 0; a < 7; a++) sum += G[a][s] * DG[a * 4 + t];
          dW[base + u * 7 + v] += sum;
        }
      }
    }
  }
}
