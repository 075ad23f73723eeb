import { expectImage, intAttr, ok } from './shape-util';
import type { OpDef } from './types';

/**
 * Nearest-neighbour upsampling by an integer factor, as `torch.nn.Upsample(scale_factor=s,
 * mode='nearest')`: every pixel becomes an s×s block.
 */
export const upsample: OpDef = {
  name: 'Upsample',
  category: 'layers',
  onnx: {
    opType: 'Resize',
    attrs: { mode: { attr: 'mode' }, coordinate_transformation_mode: { value: 'asymmetric' }, nearest_mode: { value: 'floor' } },
    note: 'scales [1, 1, scaleFactor, scaleFactor] as an initializer input; asymmetric coordinates, floor (as torch.onnx)',
    emit(ctx) {
      const s = intAttr(ctx.attrs, 'scaleFactor');
      return ctx.node('Resize', [ctx.inputs[0], '', ctx.constant('scales', [4], [1, 1, s, s])], ctx.mappedAttrs());
    },
  },
  torch: { module: 'nn.Upsample(scale_factor={scaleFactor}, mode={mode})' },
  doc: 'Nearest-neighbour upsampling of [N, C, H, W] by an integer factor.',
  inputs: [{ name: 'x' }],
  attrs: {
    scaleFactor: { kind: 'int', default: 2, min: 1, max: 64, doc: 'Each pixel becomes a scaleFactor × scaleFactor block.' },
    mode: { kind: 'enum', default: 'nearest', values: ['nearest'], doc: 'Interpolation (nearest only).' },
  },
  inferShape({ inputs, attrs }) {
    const bad = expectImage('Upsample', inputs[0]);
    if (bad) return bad;
    const [n, c, h, w] = inputs[0];
    const s = intAttr(attrs, 'scaleFactor');
    return ok([n, c, h * s, w * s]);
  },
  forward({ inputs, output, attrs }) {
    const [n, c, h, w] = inputs[0].shape;
    const s = intAttr(attrs, 'scaleFactor');
    const x = inputs[0].data;
    const y = output.data;
    const ow = w * s;
    let o = 0;
    for (let r = 0; r < n * c * h; r++) {
      // Widen one input row, then repeat it s times.
      const src = r * w;
      const start = o;
      for (let ix = 0; ix < w; ix++) {
        const v = x[src + ix];
        for (let k = 0; k < s; k++) y[o++] = v;
      }
      for (let k = 1; k < s; k++, o += ow) y.copyWithin(o, start, start + ow);
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const [n, c, h, w] = inputs[0].shape;
    const s = intAttr(attrs, 'scaleFactor');
    const dy = dOutput.data;
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
};
