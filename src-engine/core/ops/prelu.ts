import { fail, fmt, ok, perSample, ShapeCode } from './shape-util';
import { defineOp, type ParamSpec } from './types';
import { dynamic, f32, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** ONNX PRelu with a constant slope: one per channel (`[C, 1, …]`), or one for all, repeated per channel. */
function preluRule(n: OnnxNode, cx: RuleContext): RuleResult {
  if (dynamic(n, cx, 1)) return { unsupported: 'its input is a constant tensor' };
  const slope = cx.constant(n.input[1]);
  const x = cx.shape(n.input[0]);
  if (!slope) return { unsupported: 'the slope must be a constant' };
  if (!x || x.length < 2) return { unsupported: 'the input shape is unknown' };
  const c = x[1];
  // Per channel, the slope broadcasts from the right as [C, 1, …, 1] (rank − 1 dims at most).
  const perChannel = slope.values.length === c && slope.dims.length <= x.length - 1 && slope.dims.filter((d) => d !== 1).length <= 1 && (slope.dims.length === 0 || slope.dims.length === x.length - 1 || c === 1);
  if (slope.values.length !== 1 && !perChannel) return { unsupported: `only a slope per channel ([${c}, 1, …]) or one for all is supported; it has dims [${slope.dims.join(', ')}]` };
  const values = slope.values.length === 1 ? new Float32Array(c).fill(slope.values[0]) : f32(slope.values);
  return { op: 'PReLU', inputs: [n.input[0]], params: { weight: values } };
}

/** Elements per channel plane of a tensor of `shape` (dim 1 is the channel; 1 for [N, C]). */
const planeSize = (shape: readonly number[]) => shape.slice(2).reduce((p, d) => p * d, 1);

/**
 * x for x > 0, a learned slope · x otherwise, one slope per channel (dim 1), as
 * `torch.nn.PReLU(num_parameters=C)`.
 *
 * NOTE: the slopes start at 0 (ReLU), where PyTorch starts them at 0.25; an imported model brings
 * its own. An ONNX PRelu with one slope for all channels comes in as C copies of it.
 */
export const prelu = defineOp({
  name: 'PReLU',
  category: 'activations',
  onnx: {
    opType: 'PRelu',
    note: 'the slope as an initializer of dims [C, 1, …] (broadcasting over the dims after the channel)',
    emit(ctx) {
      const w = ctx.weightValues('weight')!;
      const rank = ctx.inputShapes[0].length;
      return ctx.node('PRelu', [ctx.inputs[0], ctx.constant('slope', [w.length, ...new Array<number>(rank - 2).fill(1)], w)]);
    },
  },
  onnxImport: { PRelu: preluRule },
  torch: { module: 'nn.PReLU(num_parameters={in[1]})' },
  doc: 'x where x > 0, a learned slope · x elsewhere (one slope per channel).',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape({ inputs }) {
    const x = inputs[0];
    if (x.length < 2) return fail(ShapeCode.RANK, `PReLU needs a channel dim: [N, C, …]; got ${fmt(x)}.`);
    return ok([...x]);
  },
  params({ inputs }): ParamSpec[] {
    const c = inputs[0][1];
    return [{ name: 'weight', shape: [c], init: 'zeros', fanIn: c, fanOut: c, decay: false }];
  },
  flops: ({ output }) => 2 * perSample(output),
  forward({ inputs, output, params }) {
    const x = inputs[0].data;
    const y = output.data;
    const w = params.weight.data;
    const plane = planeSize(inputs[0].shape);
    const c = w.length;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v > 0 ? v : w[Math.floor(i / plane) % c] * v;
    }
  },
  backward({ inputs, dOutput, dInputs, params, dParams }) {
    const x = inputs[0].data;
    const dy = dOutput.data;
    const w = params.weight.data;
    const dx = dInputs[0]?.data;
    const dw = dParams.weight?.data;
    const plane = planeSize(inputs[0].shape);
    const c = w.length;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const ch = Math.floor(i / plane) % c;
      if (dx) dx[i] += v > 0 ? dy[i] : w[ch] * dy[i];
      if (dw && !(v > 0)) dw[ch] += v * dy[i];
    }
  },
});
