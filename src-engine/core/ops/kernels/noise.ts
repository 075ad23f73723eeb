import { Rng } from '../../../base/rng';
import { dropoutBits, dropoutKey } from './dropout';
import { intAttr } from '../shape-util';
import { noise } from '../noise';
import { defineKernel } from './kernel';

/**
 * The key of the eval-mode (fixed) noise: four words of `Rng(seed)`, as int32. A training forward
 * draws its key from the executor's Rng instead, four words per Noise node (as Dropout does), so
 * the Rng stays in step across backends.
 */
export function noiseEvalKey(seed: number): [number, number, number, number] {
  return dropoutKey(new Rng(seed));
}

/**
 * The float32 bit patterns of the polynomial coefficients {@link noiseNormal} evaluates, lowest
 * degree first (fitted by iteratively reweighted least squares in float64, then rounded to float32):
 * - `LN`: ln(1 + t) ≈ t·Σ LNₖ·tᵏ on t ∈ [√½ − 1, √2 − 1] (relative error 4e-9 before rounding);
 * - `COS`: cos(πs/2) ≈ Σ COSₖ·(s²)ᵏ and `SIN`: sin(πs/2) ≈ s·Σ SINₖ·(s²)ᵏ on s ∈ [0, ½]
 *   (absolute error 5e-11).
 * Bit patterns, not decimals, so the WGSL copy (hexadecimal float literals) holds the same floats.
 */
export const NOISE_COEFFS = {
  LN: [0x3f800000, 0xbefffffc, 0x3eaaaaa0, 0xbe80020f, 0x3e4cd535, 0xbe2a1704, 0x3e11017b, 0xbe074b28, 0x3e0550ee, 0xbda06006],
  COS: [0x3f800000, 0xbf9de9e6, 0x3e81e0ee, 0xbcaae2be, 0x3a6ce1b9],
  SIN: [0x3fc90fdb, 0xbf255de7, 0x3da335dd, 0xbb99654f, 0x3925e450],
  /** √2, ln 2, and the inverse square root's seed (the classic 0x5f3759df). */
  SQRT2: 0x3fb504f3,
  LN2: 0x3f317218,
  RSQRT_MAGIC: 0x5f3759df,
} as const;

const bits = new Uint32Array(1);

const float = new Float32Array(bits.buffer);

const f32 = (b: number): number => {
  bits[0] = b;
  return float[0];
};

const asBits = (x: number): number => {
  float[0] = x;
  return bits[0];
};

const LN = NOISE_COEFFS.LN.map(f32);

const COS = NOISE_COEFFS.COS.map(f32);

const SIN = NOISE_COEFFS.SIN.map(f32);

const SQRT2 = f32(NOISE_COEFFS.SQRT2);

const LN2 = f32(NOISE_COEFFS.LN2);

const F = Math.fround;

/** Σ c[k]·xᵏ by Horner's rule, each product and sum rounded to float32. */
function horner(c: readonly number[], x: number): number {
  let q = c[c.length - 1];
  for (let k = c.length - 2; k >= 0; k--) q = F(F(q * x) + c[k]);
  return q;
}

/**
 * Element i's N(0, 1) value under key (k0…k3) (int32 words, as {@link dropoutKey} gives):
 * Box–Muller, `sqrt(−2·ln u₁)·cos(2π·u₂)`, on u₁ = (2·⌊h₁/2⁹⌋ + 1)·2⁻²⁴ ∈ (0, 1) and
 * u₂ = ⌊h₂/2⁸⌋·2⁻²⁴ ∈ [0, 1), where h₁ and h₂ are Dropout's hash ({@link dropoutBits}) of 2i
 * and 2i + 1. |values| ≤ √(48·ln 2) ≈ 5.77 (u₁ ≥ 2⁻²⁴).
 *
 * NOTE: written so that the WGSL kernel computes the same float32 bits: only integer operations,
 * exact conversions (integers below 2²⁴, powers of two) and float32 +, −, × (correctly rounded
 * in WGSL; here float64 then `Math.fround`, which is the correctly rounded float32 result for
 * these operations). No `log`, `cos` or `sqrt` builtin: WGSL lets them err by several ulps (cos:
 * 2⁻¹¹ absolute), so they are evaluated by hand — ln through the exponent (from the leading bit)
 * and a polynomial on [√½, √2), cos/sin through the quadrant (from the top bits of u₂) and
 * polynomials on [0, π/4], the square root as L·rsqrt(L) with three Newton steps from the
 * bit-trick seed. Result within 8e-7 (≤ 5 float32 ulps; 3.2e-7·max(1, |z|)) of float64 Box–Muller
 * on the same u₁, u₂ (measured over 3·10⁶ draws; test/unit/engine/gan-ops.test.ts). A GPU
 * compiler that fuses a·b + c into one fma would differ by a few ulps (the GPU tests allow for
 * that; SwiftShader gives the same bits).
 */
export function noiseNormal(i: number, k0: number, k1: number, k2: number, k3: number): number {
  const h1 = dropoutBits(2 * i, k0, k1, k2, k3);
  const h2 = dropoutBits(2 * i + 1, k0, k1, k2, k3);
  // ln u₁ = ln(a) − 24·ln 2, a odd in [1, 2²⁴): a = m·2ᵉ with m ∈ [√½, √2).
  const a = 2 * (h1 >>> 9) + 1;
  let e = 31 - Math.clz32(a);
  let m = a * 2 ** -e; // exact
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const t = m - 1; // exact (Sterbenz)
  const lnU = F(F(t * horner(LN, t)) + F((e - 24) * LN2));
  const l = lnU * -2; // > 0, exact
  // √L = L·rsqrt(L): seed from the bits, three Newton steps y ← y·(1.5 − (L/2)·y²).
  let y = f32((NOISE_COEFFS.RSQRT_MAGIC - (asBits(l) >>> 1)) >>> 0);
  const half = l * 0.5;
  for (let k = 0; k < 3; k++) y = F(y * F(1.5 - F(half * F(y * y))));
  const r = F(l * y);
  // cos(2π·u₂): quadrant q from the top two of 24 bits, then the angle within it, folded to ≤ π/4.
  const v = h2 >>> 8;
  const q = v >>> 22;
  const w = v & 0x3fffff;
  const folded = w > 0x200000;
  const s = (folded ? 0x400000 - w : w) * 2 ** -22; // exact, in [0, ½]
  const u = F(s * s);
  const c = horner(COS, u);
  const sn = F(s * horner(SIN, u));
  const cosPsi = folded ? sn : c;
  const sinPsi = folded ? c : sn;
  const cosTheta = q === 0 ? cosPsi : q === 1 ? -sinPsi : q === 2 ? -cosPsi : sinPsi;
  return F(r * cosTheta);
}

/** Noise's reference kernels (the op's declaration: ops/noise.ts). */
export const noiseKernel = defineKernel(noise, {
  forward({ output, attrs, training, rng }) {
    const y = output.data;
    const [k0, k1, k2, k3] = training ? dropoutKey(rng) : noiseEvalKey(intAttr(attrs, 'seed'));
    for (let i = 0; i < y.length; i++) y[i] = noiseNormal(i, k0, k1, k2, k3);
  },
  backward() {
    // No gradient: the noise does not depend on its input's values.
  },
});
