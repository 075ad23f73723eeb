import { expectImage, intAttr, ok } from './shape-util';
import type { OpDef } from './types';

/**
 * Nearest-neighbour upsampling by an integer factor, as `torch.nn.Upsample(scale_factor=s,
 * mode='nearest')`: every pixel becomes an s×s block.
 */
export const upsample: OpDef = {
  name: 'Upsample',
  category: 'layers',
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
    for (let pl = 0; pl < n * c; pl++) {
      const base = pl * h * w;
      for (let oy = 0; oy < h * s; oy++) {
        const row = base + Math.floor(oy / s) * w;
        for (let ox = 0; ox < ow; ox++, o++) y[o] = x[row + Math.floor(ox / s)];
      }
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const [n, c, h, w] = inputs[0].shape;
    const s = intAttr(attrs, 'scaleFactor');
    const dy = dOutput.data;
    const ow = w * s;
    let o = 0;
    for (let pl = 0; pl < n * c; pl++) {
      const base = pl * h * w;
      for (let oy = 0; oy < h * s; oy++) {
        const row = base + Math.floor(oy / s) * w;
        for (let ox = 0; ox < ow; ox++, o++) dx[row + Math.floor(ox / s)] += dy[o];
      }
    }
  },
};
