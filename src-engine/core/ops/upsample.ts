import { expectImage, intAttr, ok } from './shape-util';
import { defineOp } from './types';
import { str, unexpected, type RuleContext, type RuleResult } from './onnx-import';
import type { OnnxNode } from '../export/onnx/onnx-types';

function resize(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'keep_aspect_ratio_policy']);
  if (bad) return { unsupported: bad };
  if (str(n, 'mode', 'nearest') !== 'nearest') return { unsupported: 'only nearest-neighbour Resize is supported' };
  const coords = str(n, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = str(n, 'nearest_mode', 'round_prefer_floor');
  // NOTE: with an integer scale s, output pixel o reads floor(o / s) under asymmetric + floor, and
  // also under half_pixel with either rounding (the source position never lands on .5).
  const exact = (coords === 'asymmetric' && nearest === 'floor') || ((coords === 'half_pixel' || coords === 'pytorch_half_pixel') && nearest.startsWith('round_prefer'));
  if (!exact) return { unsupported: `coordinate_transformation_mode ${coords} with nearest_mode ${nearest} is not Netwright's nearest upsampling` };
  const scales = n.input[2] ? cx.constant(n.input[2]) : undefined;
  if (!scales || scales.values.length !== 4) return { unsupported: 'only Resize by constant scales [1, 1, s, s] is supported (not by sizes)' };
  const [a, b, h, w] = scales.values;
  if (a !== 1 || b !== 1 || h !== w || !Number.isInteger(h) || h < 1) return { unsupported: `scales [${[...scales.values].join(', ')}]: only [1, 1, s, s] with a whole s is supported` };
  return { op: 'Upsample', attrs: { scaleFactor: h, mode: 'nearest' }, inputs: [n.input[0]] };
}

/**
 * Nearest-neighbour upsampling by an integer factor, as `torch.nn.Upsample(scale_factor=s,
 * mode='nearest')`: every pixel becomes an s×s block.
 */
export const upsample = defineOp({
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
  onnxImport: { Resize: resize },
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
});
