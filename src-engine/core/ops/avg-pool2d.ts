import { forEachPoolWindow, poolFlops, poolPlan, poolShape, POOL_ATTRS } from './max-pool2d';
import { defineOp } from './types';
import { pool } from './onnx-import';

/**
 * Mean over each window, as `torch.nn.AvgPool2d` with its defaults (ceil_mode false,
 * count_include_pad true): padded zeros count, so every window divides by kH·kW.
 */
export const avgPool2d = defineOp({
  name: 'AvgPool2d',
  category: 'layers',
  onnx: {
    opType: 'AveragePool',
    attrs: { kernel_shape: { attr: 'kernelSize' }, strides: { attr: 'stride', ifEmpty: 'kernelSize' }, pads: { attr: 'padding', convert: 'pads' }, count_include_pad: { value: 1 } },
    note: 'empty stride: the kernel size',
  },
  onnxImport: { AveragePool: pool('AvgPool2d') },
  torch: { module: 'nn.AvgPool2d({kernelSize}, stride={stride}, padding={padding})' },
  doc: 'Mean over sliding windows of [N, C, H, W] images (padding counts as zeros).',
  inputs: [{ name: 'x' }],
  attrs: POOL_ATTRS,
  inferShape: ({ inputs, attrs }) => poolShape('AvgPool2d', inputs, attrs),
  flops: poolFlops,
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
