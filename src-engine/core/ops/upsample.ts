import { expectImage, intAttr, ok } from './shape-util';
import { defineOp } from './types';
import { str, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function resize(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'keep_aspect_ratio_policy']);
  if (bad) return { unsupported: bad };
  const mode = str(n, 'mode', 'nearest');
  const coords = str(n, 'coordinate_transformation_mode', 'half_pixel');
  if (mode === 'linear') {
    // PyTorch's bilinear (align_corners False): torch.onnx writes half_pixel; pytorch_half_pixel is the same for outputs longer than 1.
    if (coords !== 'half_pixel' && coords !== 'pytorch_half_pixel') return { unsupported: `linear Resize with coordinate_transformation_mode ${coords} is not PyTorch's bilinear upsampling (align_corners False)` };
    return byScales(n, cx, 'bilinear');
  }
  if (mode !== 'nearest') return { unsupported: 'only nearest-neighbour and bilinear Resize are supported' };
  const nearest = str(n, 'nearest_mode', 'round_prefer_floor');
  // NOTE: with an integer scale s, output pixel o reads floor(o / s) under asymmetric + floor, and
  // also under half_pixel with either rounding (the source position never lands on .5).
  const exact = (coords === 'asymmetric' && nearest === 'floor') || ((coords === 'half_pixel' || coords === 'pytorch_half_pixel') && nearest.startsWith('round_prefer'));
  if (!exact) return { unsupported: `coordinate_transformation_mode ${coords} with nearest_mode ${nearest} is not Netwright's nearest upsampling` };
  return byScales(n, cx, 'nearest');
}

/** A Resize by constant scales [1, 1, s, s] (a whole s) as an Upsample in `mode`. */
function byScales(n: OnnxNode, cx: RuleContext, mode: 'nearest' | 'bilinear'): RuleResult {
  const scales = n.input[2] ? cx.constant(n.input[2]) : undefined;
  if (!scales || scales.values.length !== 4) return { unsupported: 'only Resize by constant scales [1, 1, s, s] is supported (not by sizes)' };
  const [a, b, h, w] = scales.values;
  if (a !== 1 || b !== 1 || h !== w || !Number.isInteger(h) || h < 1) return { unsupported: `scales [${[...scales.values].join(', ')}]: only [1, 1, s, s] with a whole s is supported` };
  return { op: 'Upsample', attrs: { scaleFactor: h, mode }, inputs: [n.input[0]] };
}

/**
 * Upsampling by an integer factor, as `torch.nn.Upsample(scale_factor=s, mode=…)`: nearest (every
 * pixel becomes an s×s block) or bilinear (align_corners False). The GPU kernel is nearest only
 * (a bilinear Upsample runs on the CPU).
 */
export const upsample = defineOp({
  name: 'Upsample',
  category: 'layers',
  onnx: {
    opType: 'Resize',
    attrs: { mode: { attr: 'mode' }, coordinate_transformation_mode: { value: 'asymmetric' }, nearest_mode: { value: 'floor' } },
    note: 'scales [1, 1, scaleFactor, scaleFactor] as an initializer input; nearest: asymmetric coordinates, floor; bilinear: mode linear, half_pixel (as torch.onnx)',
    emit(ctx) {
      const s = intAttr(ctx.attrs, 'scaleFactor');
      const attrs = ctx.attrs.mode === 'bilinear' ? { mode: { string: 'linear' }, coordinate_transformation_mode: { string: 'half_pixel' } } : ctx.mappedAttrs();
      return ctx.node('Resize', [ctx.inputs[0], '', ctx.constant('scales', [4], [1, 1, s, s])], attrs);
    },
  },
  onnxImport: { Resize: resize },
  torch: { module: 'nn.Upsample(scale_factor={scaleFactor}, mode={mode})' },
  doc: 'Nearest-neighbour or bilinear upsampling of [N, C, H, W] by an integer factor.',
  inputs: [{ name: 'x' }],
  attrs: {
    scaleFactor: { kind: 'int', default: 2, min: 1, max: 64, doc: 'Each pixel becomes a scaleFactor × scaleFactor block.' },
    mode: { kind: 'enum', default: 'nearest', values: ['nearest', 'bilinear'], doc: 'Interpolation: nearest (copies) or bilinear (PyTorch’s, align_corners False).' },
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const bad = expectImage('Upsample', inputs[0]);
    if (bad) return bad;
    const [n, c, h, w] = inputs[0];
    const s = intAttr(attrs, 'scaleFactor');
    return ok([n, c, h * s, w * s]);
  },
});
