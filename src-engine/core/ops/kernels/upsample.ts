import { intAttr } from '../shape-util';
import { upsample } from '../upsample';
import { defineKernel } from './kernel';

/**
 * PyTorch's bilinear source taps (align_corners False, a whole scale s): output index o reads
 * input indices i0 and i1 with weights 1 − t and t, from the position (o + 0.5)/s − 0.5 clamped at 0.
 */
function taps(size: number, s: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const out = size * s;
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const t = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const src = Math.max(0, (o + 0.5) / s - 0.5);
    const lo = Math.floor(src);
    i0[o] = lo;
    i1[o] = lo < size - 1 ? lo + 1 : lo;
    t[o] = src - lo;
  }
  return { i0, i1, t };
}

function bilinear(x: Float32Array, y: Float32Array, planes: number, h: number, w: number, s: number, backward: boolean): void {
  const r = taps(h, s);
  const c = taps(w, s);
  const oh = h * s;
  const ow = w * s;
  for (let p = 0; p < planes; p++) {
    const xb = p * h * w;
    const yb = p * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const [r0, r1, ty] = [xb + r.i0[oy] * w, xb + r.i1[oy] * w, r.t[oy]];
      for (let ox = 0; ox < ow; ox++) {
        const [c0, c1, tx] = [c.i0[ox], c.i1[ox], c.t[ox]];
        const o = yb + oy * ow + ox;
        if (backward) {
          // x is dx and y is dy here: each output's gradient goes back to its four taps.
          const g = y[o];
          x[r0 + c0] += (1 - ty) * (1 - tx) * g;
          x[r0 + c1] += (1 - ty) * tx * g;
          x[r1 + c0] += ty * (1 - tx) * g;
          x[r1 + c1] += ty * tx * g;
        } else {
          y[o] = (1 - ty) * ((1 - tx) * x[r0 + c0] + tx * x[r0 + c1]) + ty * ((1 - tx) * x[r1 + c0] + tx * x[r1 + c1]);
        }
      }
    }
  }
}

/** Output rows shorter than this are repeated element by element rather than by copyWithin. */
const SHORT_ROW = 64;

/** Upsample's reference kernels (the op's declaration: ops/upsample.ts). */
export const upsampleKernel = defineKernel(upsample, {
  forward({ inputs, output, attrs }) {
    const [n, c, h, w] = inputs[0].shape;
    const s = intAttr(attrs, 'scaleFactor');
    const x = inputs[0].data;
    const y = output.data;
    if (attrs.mode === 'bilinear') return bilinear(x, y, n * c, h, w, s, false);
    const ow = w * s;
    // A 1×1 plane (a label broadcast to an image: a conditional GAN's label maps) is one value
    // repeated s·s times: one fill each.
    if (w === 1 && h === 1) {
      for (let p = 0; p < n * c; p++) y.fill(x[p], p * s * s, (p + 1) * s * s);
      return;
    }
    let o = 0;
    for (let r = 0; r < n * c * h; r++) {
      // Widen one input row, then repeat it s times (short rows by hand: copyWithin is a call
      // out of the compiled loop, costlier than the few floats it would move).
      const src = r * w;
      const start = o;
      for (let ix = 0; ix < w; ix++) {
        const v = x[src + ix];
        for (let k = 0; k < s; k++) y[o++] = v;
      }
      if (ow >= SHORT_ROW) for (let k = 1; k < s; k++, o += ow) y.copyWithin(o, start, start + ow);
      else for (let k = 1; k < s; k++) for (let i = start; i < start + ow; i++) y[o++] = y[i];
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const [n, c, h, w] = inputs[0].shape;
    const s = intAttr(attrs, 'scaleFactor');
    const dy = dOutput.data;
    if (attrs.mode === 'bilinear') return bilinear(dx, dy, n * c, h, w, s, true);
    let o = 0;
    for (let r = 0; r < n * c * h; r++) {
      const dst = r * w;
      for (let k = 0; k < s; k++) {
        for (let ix = 0; ix < w; ix++) {
          let acc = 0;
          for (let j = 0; j < s; j++) acc += dy[o++];
          dx[dst + ix] += acc;
        }
      }
    }
  },
});
