import { poolPlan, poolShape, POOL_ATTRS } from './max-pool2d';
import { pairAttr } from './shape-util';
import type { OpDef } from './types';

/**
 * Mean over each window, as `torch.nn.AvgPool2d` with its defaults (ceil_mode false,
 * count_include_pad true): padded zeros count, so every window divides by kH·kW.
 */
export const avgPool2d: OpDef = {
  name: 'AvgPool2d',
  category: 'layers',
  doc: 'Mean over sliding windows of [N, C, H, W] images (padding counts as zeros).',
  inputs: [{ name: 'x' }],
  attrs: POOL_ATTRS,
  inferShape: ({ inputs, attrs }) => poolShape('AvgPool2d', inputs, attrs),
  flops({ output, attrs }) {
    const k = pairAttr(attrs, 'kernelSize');
    return output[1] * output[2] * output[3] * k[0] * k[1];
  },
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const q = poolPlan(inputs[0].shape, attrs);
    const y = output.data;
    const inv = 1 / (q.k[0] * q.k[1]);
    const planes = inputs[0].shape[0] * q.c;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * q.h * q.w;
      for (let oy = 0; oy < q.outH; oy++) {
        const y0 = oy * q.s[0] - q.p[0];
        const ys = Math.max(0, y0);
        const ye = Math.min(q.h, y0 + q.k[0]);
        for (let ox = 0; ox < q.outW; ox++, o++) {
          const x0 = ox * q.s[1] - q.p[1];
          const xs = Math.max(0, x0);
          const xe = Math.min(q.w, x0 + q.k[1]);
          let s = 0;
          for (let yy = ys; yy < ye; yy++) for (let xx = xs; xx < xe; xx++) s += x[base + yy * q.w + xx];
          y[o] = s * inv;
        }
      }
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const q = poolPlan(inputs[0].shape, attrs);
    const dy = dOutput.data;
    const inv = 1 / (q.k[0] * q.k[1]);
    const planes = inputs[0].shape[0] * q.c;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * q.h * q.w;
      for (let oy = 0; oy < q.outH; oy++) {
        const y0 = oy * q.s[0] - q.p[0];
        const ys = Math.max(0, y0);
        const ye = Math.min(q.h, y0 + q.k[0]);
        for (let ox = 0; ox < q.outW; ox++, o++) {
          const x0 = ox * q.s[1] - q.p[1];
          const xs = Math.max(0, x0);
          const xe = Math.min(q.w, x0 + q.k[1]);
          const g = dy[o] * inv;
          for (let yy = ys; yy < ye; yy++) for (let xx = xs; xx < xe; xx++) dx[base + yy * q.w + xx] += g;
        }
      }
    }
  },
};
