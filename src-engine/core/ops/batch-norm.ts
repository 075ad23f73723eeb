import { boolAttr, fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp, type ParamSpec, type ShapeArgs } from './types';
import { f32, float, int, roundFloat, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function batchNormRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['epsilon', 'momentum', 'training_mode', 'spatial']);
  if (bad) return { unsupported: bad };
  if (int(n, 'training_mode', 0) !== 0 || n.output.filter(Boolean).length > 1) return { unsupported: 'only BatchNormalization in inference mode (one output) is supported' };
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => cx.constant(n.input[i]));
  if (!scale || !bias || !mean || !variance) return { unsupported: 'scale, bias, mean and variance must be constants' };
  return {
    op: 'BatchNorm',
    // NOTE: PyTorch's momentum weighs the new batch; ONNX's weighs the running value.
    attrs: { eps: roundFloat(float(n, 'epsilon', 1e-5)), momentum: Number((1 - roundFloat(float(n, 'momentum', 0.9))).toPrecision(12)), affine: true },
    inputs: [n.input[0]],
    params: { weight: f32(scale.values), bias: f32(bias.values) },
    buffers: { runningMean: f32(mean.values), runningVar: f32(variance.values) },
  };
}

/** A per-channel scale (1) and shift (0) over dim 1 when `affine` is on: BatchNorm's and GroupNorm's. */
export function channelAffine({ inputs, attrs }: ShapeArgs): ParamSpec[] {
  if (!boolAttr(attrs, 'affine')) return [];
  const c = inputs[0][1];
  return [
    { name: 'weight', shape: [c], init: 'ones', fanIn: c, fanOut: c, decay: false },
    { name: 'bias', shape: [c], init: 'zeros', fanIn: c, fanOut: c, decay: false },
  ];
}

/**
 * Batch normalisation over the channel dim 1, as `torch.nn.BatchNorm1d` (`[N, C]`, `[N, C, L]`) and
 * `BatchNorm2d` (`[N, C, H, W]`) with their defaults: eps 1e-5, momentum 0.1, affine.
 *
 * Train mode normalises with the batch mean and biased variance, and updates
 * `running = (1 − momentum)·running + momentum·stat` using the UNBIASED batch variance (M/(M−1)),
 * as PyTorch does. Eval mode uses the running statistics.
 *
 * NOTE: per-channel sums are accumulated in float64: the mean and variance of thousands of float32
 * values otherwise lose digits, and the goldens are compared at 1e-4.
 */
export const batchNorm = defineOp({
  name: 'BatchNorm',
  category: 'normalization',
  onnx: {
    opType: 'BatchNormalization',
    attrs: { epsilon: { attr: 'eps' }, momentum: { attr: 'momentum', convert: 'one-minus' } },
    note: 'scale, bias, running mean and variance as initializers (ones and zeros without affine); inference mode',
    emit(ctx) {
      const c = ctx.inputShapes[0][1];
      const scale = ctx.weight('weight') ?? ctx.constant('weight', [c], new Float32Array(c).fill(1));
      const bias = ctx.weight('bias') ?? ctx.constant('bias', [c], new Float32Array(c));
      return ctx.node('BatchNormalization', [ctx.inputs[0], scale, bias, ctx.weight('runningMean')!, ctx.weight('runningVar')!], ctx.mappedAttrs());
    },
  },
  onnxImport: { BatchNormalization: batchNormRule },
  torch: {
    module: 'nn.BatchNorm2d({in[1]}, eps={eps}, momentum={momentum}, affine={affine})',
    byRank: { 2: 'nn.BatchNorm1d({in[1]}, eps={eps}, momentum={momentum}, affine={affine})', 3: 'nn.BatchNorm1d({in[1]}, eps={eps}, momentum={momentum}, affine={affine})' },
    stateNames: { runningMean: 'running_mean', runningVar: 'running_var' },
    stepCounter: 'num_batches_tracked',
    note: 'nn.BatchNorm1d for [N, C] and [N, C, L] inputs',
  },
  doc: 'Normalise each channel over the batch (and positions), then scale and shift.',
  inputs: [{ name: 'x' }],
  attrs: {
    eps: { kind: 'float', default: 1e-5, min: 0, max: 1, doc: 'Added to the variance before the square root.' },
    momentum: { kind: 'float', default: 0.1, min: 0, max: 1, doc: 'Weight of the current batch in the running statistics.' },
    affine: { kind: 'bool', default: true, doc: 'Learn a per-channel scale (weight) and shift (bias).' },
  },
  inferShape({ inputs }) {
    const x = inputs[0];
    if (x.length < 2 || x.length > 4) {
      return fail(ShapeCode.RANK, `BatchNorm expects [N, C], [N, C, L] or [N, C, H, W]; got ${fmt(x)}.`);
    }
    return ok([...x]);
  },
  params: channelAffine,
  buffers({ inputs }) {
    const c = inputs[0][1];
    return [
      { name: 'runningMean', shape: [c], init: 'zeros' },
      { name: 'runningVar', shape: [c], init: 'ones' },
    ];
  },
  workspace({ inputs }) {
    return [
      { name: 'xhat', shape: [...inputs[0]] },
      { name: 'invStd', shape: [inputs[0][1]] },
    ];
  },
  flops: ({ inputs }) => 4 * inputs[0].slice(1).reduce((a, b) => a * b, 1),
});
