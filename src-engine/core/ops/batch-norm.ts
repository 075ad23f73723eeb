import { boolAttr, fail, floatAttr, fmt, ok, ShapeCode } from './shape-util';
import { defineOp, type ParamSpec, type ShapeArgs } from './types';
import { f32, float, int, roundFloat, unexpected, type RuleContext, type RuleResult } from './onnx-import';
import type { OnnxNode } from '../../base/onnx/model';

/** [N, C, spatial…] → (batch, channels, positions per channel per sample). */
function dims(shape: readonly number[]): [number, number, number] {
  let inner = 1;
  for (let i = 2; i < shape.length; i++) inner *= shape[i];
  return [shape[0], shape[1], inner];
}

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
  forward({ inputs, output, params, buffers, workspace, attrs, training }) {
    const [n, c, inner] = dims(inputs[0].shape);
    const x = inputs[0].data;
    const y = output.data;
    const xhat = workspace.xhat.data;
    const invStd = workspace.invStd.data;
    const eps = floatAttr(attrs, 'eps');
    const momentum = floatAttr(attrs, 'momentum');
    const gamma = params.weight?.data;
    const beta = params.bias?.data;
    const rm = buffers.runningMean.data;
    const rv = buffers.runningVar.data;
    const m = n * inner;
    for (let ch = 0; ch < c; ch++) {
      let mean: number;
      let inv: number;
      if (training) {
        let s = 0;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) s += x[i];
        }
        mean = s / m;
        let ss = 0;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) {
            const d = x[i] - mean;
            ss += d * d;
          }
        }
        const variance = ss / m;
        inv = 1 / Math.sqrt(variance + eps);
        // NOTE: with one value per channel the unbiased variance is undefined (PyTorch refuses to
        // train); the running variance then takes the biased value (0) instead of Infinity.
        const unbiased = m > 1 ? (ss / (m - 1)) : variance;
        rm[ch] = (1 - momentum) * rm[ch] + momentum * mean;
        rv[ch] = (1 - momentum) * rv[ch] + momentum * unbiased;
      } else {
        mean = rm[ch];
        inv = 1 / Math.sqrt(rv[ch] + eps);
      }
      invStd[ch] = inv;
      const g = gamma ? gamma[ch] : 1;
      const bb = beta ? beta[ch] : 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * inner;
        for (let i = base; i < base + inner; i++) {
          const xh = (x[i] - mean) * inv;
          xhat[i] = xh;
          y[i] = xh * g + bb;
        }
      }
    }
  },
  backward({ inputs, dOutput, dInputs, params, dParams, workspace, training }) {
    const [n, c, inner] = dims(inputs[0].shape);
    const dy = dOutput.data;
    const xhat = workspace.xhat.data;
    const invStd = workspace.invStd.data;
    const gamma = params.weight?.data;
    const dGamma = dParams.weight?.data;
    const dBeta = dParams.bias?.data;
    const dx = dInputs[0]?.data;
    const m = n * inner;
    for (let ch = 0; ch < c; ch++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * inner;
        for (let i = base; i < base + inner; i++) {
          sumDy += dy[i];
          sumDyXhat += dy[i] * xhat[i];
        }
      }
      if (dGamma) dGamma[ch] += sumDyXhat;
      if (dBeta) dBeta[ch] += sumDy;
      if (!dx) continue;
      const k = (gamma ? gamma[ch] : 1) * invStd[ch];
      if (training) {
        // NOTE: batch statistics depend on x, so dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
        const meanDy = sumDy / m;
        const meanDyXhat = sumDyXhat / m;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) dx[i] += k * (dy[i] - meanDy - xhat[i] * meanDyXhat);
        }
      } else {
        for (let b = 0; b < n; b++) {
          const base = (b * c + ch) * inner;
          for (let i = base; i < base + inner; i++) dx[i] += k * dy[i];
        }
      }
    }
  },
});
