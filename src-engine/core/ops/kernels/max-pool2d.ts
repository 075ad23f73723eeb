import { maxPool2d, type PoolPlan, poolPlan } from '../max-pool2d';
import { defineKernel } from './kernel';

/**
 * Visit every window of a pool over `planes` [H, W] planes in output order: `o` the output index,
 * `base` the plane's first input index, and the window clipped to the image, rows [ys, ye) and
 * columns [xs, xe) (padding lies outside it).
 */
export function forEachPoolWindow(
  q: PoolPlan,
  planes: number,
  visit: (o: number, base: number, ys: number, ye: number, xs: number, xe: number) => void,
): void {
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * q.h * q.w;
    for (let oy = 0; oy < q.outH; oy++) {
      const y0 = oy * q.s[0] - q.p[0];
      const ys = Math.max(0, y0);
      const ye = Math.min(q.h, y0 + q.k[0]);
      for (let ox = 0; ox < q.outW; ox++, o++) {
        const x0 = ox * q.s[1] - q.p[1];
        visit(o, base, ys, ye, Math.max(0, x0), Math.min(q.w, x0 + q.k[1]));
      }
    }
  }
}

/**
 * The common 2×2, stride 2, no padding case, unrolled (same tie and NaN rules as the general loop).
 *
 * NOTE: on ReLU outputs the comparisons are unpredictable; branch-free variants (ternaries,
 * arithmetic on 0/1 comparisons) measured slower in V8, so this keeps plain branches.
 */
function pool2x2(x: Float32Array, y: Float32Array, arg: Float32Array, planes: number, h: number, w: number, outH: number, outW: number): void {
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const r0 = 2 * oy * w;
      const r1 = r0 + w;
      for (let ox = 0; ox < outW; ox++, o++) {
        const c = 2 * ox;
        let best = x[base + r0 + c];
        let idx = r0 + c;
        if (best === best) {
          const v1 = x[base + r0 + c + 1];
          if (!(v1 <= best)) {
            best = v1;
            idx = r0 + c + 1;
          }
          if (best === best) {
            const v2 = x[base + r1 + c];
            if (!(v2 <= best)) {
              best = v2;
              idx = r1 + c;
            }
            if (best === best) {
              const v3 = x[base + r1 + c + 1];
              if (!(v3 <= best)) {
                best = v3;
                idx = r1 + c + 1;
              }
            }
          }
        }
        y[o] = best;
        arg[o] = idx;
      }
    }
  }
}

/** pads's reference kernels (the op's declaration: ops/max-pool2d.ts). */
export const maxPool2dKernel = defineKernel(maxPool2d, {
  forward({ inputs, output, workspace, attrs }) {
    const x = inputs[0].data;
    const q = poolPlan(inputs[0].shape, attrs);
    const y = output.data;
    const arg = workspace.argmax.data;
    const planes = inputs[0].shape[0] * q.c;
    if (q.k[0] === 2 && q.k[1] === 2 && q.s[0] === 2 && q.s[1] === 2 && q.p[0] === 0 && q.p[1] === 0 && 2 * q.outH <= q.h && 2 * q.outW <= q.w) {
      pool2x2(x, y, arg, planes, q.h, q.w, q.outH, q.outW);
      return;
    }
    const w = q.w;
    forEachPoolWindow(q, planes, (o, base, ys, ye, xs, xe) => {
      let best = -Infinity;
      let bestIdx = ys * w + xs;
      search: for (let yy = ys; yy < ye; yy++) {
        for (let xx = xs; xx < xe; xx++) {
          const v = x[base + yy * w + xx];
          // !(v <= best): a larger value, or NaN (which wins and ends the search).
          if (!(v <= best)) {
            best = v;
            bestIdx = yy * w + xx;
            if (v !== v) break search;
          }
        }
      }
      y[o] = best;
      arg[o] = bestIdx;
    });
  },
  backward({ inputs, dOutput, dInputs, workspace }) {
    const dx = dInputs[0];
    if (!dx) return;
    const [, c, h, w] = inputs[0].shape;
    const [, , outH, outW] = dOutput.shape;
    const arg = workspace.argmax.data;
    const dy = dOutput.data;
    const planes = inputs[0].shape[0] * c;
    const per = outH * outW;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * h * w;
      for (let i = pl * per; i < (pl + 1) * per; i++) dx.data[base + arg[i]] += dy[i];
    }
  },
});
