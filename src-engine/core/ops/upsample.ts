import { expectImage, intAttr, ok } from './shape-util';
import { defineOp } from './types';
import { str, unexpected, type RuleContext, type RuleResult } from './onnx-import';
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
    if (attrs.mode === 'bilinear') return bilinear(x, y, n * c, h, w, s, false);
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
