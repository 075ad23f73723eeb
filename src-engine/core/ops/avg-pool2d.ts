import { poolFlops, poolShape, POOL_ATTRS } from './max-pool2d';
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
  samplesRead: 'each',
  inferShape: ({ inputs, attrs }) => poolShape('AvgPool2d', inputs, attrs),
  flops: poolFlops,
});
