import { poolPlan } from '../max-pool2d';
import { forEachPoolWindow } from './max-pool2d';
import { avgPool2d } from '../avg-pool2d';
import { defineKernel } from './kernel';

/** AvgPool2d's reference kernels (the op's declaration: ops/avg-pool2d.ts). */
export const avgPool2dKernel = defineKernel(avgPool2d, {
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const q = poolPlan(inputs[0].shape, attrs);
    const y = output.data;
    const inv = 1 / (q.k[0] * q.k[1]);
    const planes = inputs[0].shape[0] * q.c;
    const w = q.w;
    forEachPoolWindow(q, planes, (o, base, ys, ye, xs, xe) => {
      let s = 0;
      for (let yy = ys; yy < ye; yy++) for (let xx = xs; xx < xe; xx++) s += x[base + yy * w + xx];
      y[o] = s * inv;
    });
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const q = poolPlan(inputs[0].shape, attrs);
    const dy = dOutput.data;
    const inv = 1 / (q.k[0] * q.k[1]);
    const planes = inputs[0].shape[0] * q.c;
    const w = q.w;
    forEachPoolWindow(q, planes, (o, base, ys, ye, xs, xe) => {
      const g = dy[o] * inv;
      for (let yy = ys; yy < ye; yy++) for (let xx = xs; xx < xe; xx++) dx[base + yy * w + xx] += g;
    });
  },
});
