/**
 * The chain's layer kernels for one sample, shared by the float64 calibration pass and the int8
 * inference: the same loops, given float weights and inputs or integer ones.
 *
 * NOTE: given integers (int8 weights, inputs minus their zero point, an int32 bias), every product
 * and partial sum is an integer far below 2^53, so the JavaScript doubles hold the int32 sums of
 * int8 × int8 products exactly: the result is the integer arithmetic of an int8 kernel.
 */
import type { DenseStep, PoolStep } from './plan';
import { roundHalfEven } from './round';

export { roundHalfEven };

/** `out[o, …] = bias[o] + Σ weight[o, …]·x[…]`: a Linear on a flat `x`, or a Conv2d on `[C, H, W]` (zero padding). */
export function dense(step: DenseStep, weight: ArrayLike<number>, bias: ArrayLike<number>, x: ArrayLike<number>, out: Float64Array): void {
  if (step.transposed) return transposedDense(step, weight, bias, x, out);
  const c = step.conv;
  if (!c) {
    const inF = step.per;
    for (let o = 0; o < step.out; o++) {
      let acc = bias[o];
      const row = o * inF;
      for (let k = 0; k < inF; k++) acc += weight[row + k] * x[k];
      out[o] = acc;
    }
    return;
  }
  const { inC, h, w, outC, groups, k, s, p, d, outH, outW } = c;
  const cg = inC / groups;
  const og = outC / groups;
  const plane = outH * outW;
  if (k[0] === 1 && k[1] === 1 && s[0] === 1 && s[1] === 1 && p[0] === 0 && p[1] === 0) {
    // A pointwise (1×1) convolution: each input plane added whole, without the per-tap ranges
    // below (a tap per weight, mobilenet's planes of 2×2 to 16×16: the ranges cost more than the
    // products). The same products added to each output in the same order: the same sums.
    for (let o = 0; o < outC; o++) {
      const at = o * plane;
      const g = Math.floor(o / og);
      out.fill(bias[o], at, at + plane);
      for (let ci = 0; ci < cg; ci++) {
        const wv = weight[o * step.per + ci];
        if (wv === 0) continue;
        const xc = (g * cg + ci) * plane;
        for (let j = 0; j < plane; j++) out[at + j] += wv * x[xc + j];
      }
    }
    return;
  }
  // Weight-stationary: each tap's weight is added over the output positions whose input it reaches,
  // the valid range found once per tap (no bounds test in the inner loop).
  const first = (pad: number, tap: number, stride: number) => Math.max(0, Math.ceil((pad - tap) / stride));
  const end = (size: number, pad: number, tap: number, stride: number, outSize: number) => Math.min(outSize, Math.floor((size - 1 + pad - tap) / stride) + 1);
  for (let o = 0; o < outC; o++) {
    const g = Math.floor(o / og);
    const at = o * plane;
    out.fill(bias[o], at, at + plane);
    for (let ci = 0; ci < cg; ci++) {
      const xc = (g * cg + ci) * h * w;
      for (let ky = 0; ky < k[0]; ky++) {
        const ty = ky * d[0];
        const y0 = first(p[0], ty, s[0]);
        const y1 = end(h, p[0], ty, s[0], outH);
        for (let kx = 0; kx < k[1]; kx++) {
          const wv = weight[o * step.per + (ci * k[0] + ky) * k[1] + kx];
          if (wv === 0) continue;
          const tx = kx * d[1];
          const x0 = first(p[1], tx, s[1]);
          const x1 = end(w, p[1], tx, s[1], outW);
          for (let oy = y0; oy < y1; oy++) {
            const xr = xc + (oy * s[0] - p[0] + ty) * w - p[1] + tx;
            const or = at + oy * outW;
            for (let ox = x0; ox < x1; ox++) out[or + ox] += wv * x[xr + ox * s[1]];
          }
        }
      }
    }
  }
}

/**
 * A ConvTranspose2d (one group) on `[C, H, W]`: `out[o, iy·s − p + ky·d, ix·s − p + kx·d] +=
 * weight[o, (ci, ky, kx)]·x[ci, iy, ix]`, onto the bias; taps landing outside the output dropped.
 */
function transposedDense(step: DenseStep, weight: ArrayLike<number>, bias: ArrayLike<number>, x: ArrayLike<number>, out: Float64Array): void {
  const { inC, h, w, outC, k, s, p, d, outH, outW } = step.transposed!;
  const plane = outH * outW;
  for (let o = 0; o < outC; o++) {
    const at = o * plane;
    out.fill(bias[o], at, at + plane);
    for (let ci = 0; ci < inC; ci++) {
      for (let ky = 0; ky < k[0]; ky++) {
        for (let kx = 0; kx < k[1]; kx++) {
          const wv = weight[o * step.per + (ci * k[0] + ky) * k[1] + kx];
          if (wv === 0) continue;
          for (let iy = 0; iy < h; iy++) {
            const oy = iy * s[0] - p[0] + ky * d[0];
            if (oy < 0 || oy >= outH) continue;
            for (let ix = 0; ix < w; ix++) {
              const ox = ix * s[1] - p[1] + kx * d[1];
              if (ox >= 0 && ox < outW) out[at + oy * outW + ox] += wv * x[(ci * h + iy) * w + ix];
            }
          }
        }
      }
    }
  }
}

/** A max pool over `[C, H, W]`; windows clipped to the image (padding never wins, as PyTorch's −∞). */
export function maxPool(step: PoolStep, x: ArrayLike<number>, out: { [i: number]: number }): void {
  const { c, h, w, k, s, p, outH, outW } = step.pool;
  for (let ch = 0; ch < c; ch++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let m = -Infinity;
        for (let ky = 0; ky < k[0]; ky++) {
          const iy = oy * s[0] - p[0] + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k[1]; kx++) {
            const ix = ox * s[1] - p[1] + kx;
            if (ix >= 0 && ix < w) m = Math.max(m, x[(ch * h + iy) * w + ix]);
          }
        }
        out[(ch * outH + oy) * outW + ox] = m;
      }
    }
  }
}
