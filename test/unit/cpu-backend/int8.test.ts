/**
 * The CPU backend's int8 inference (node/cpu/int8.ts, kernels/int8.wat) against the pure-TypeScript
 * reference (core/quantize/int8.ts `runInt8`): the same uint8 outputs, exactly, on random chains of
 * odd sizes — convolutions on 1 to 13 channels (unfolded below 8, by indirection from 8, 3×3
 * stride-1 ones by integer Winograd, odd output sizes included), 1×1, 5×3, strided, dilated and
 * padded kernels, depthwise ones (13 and 9 channels: int8Depthwise), output channels not a multiple of 4, max pools (clipped and ceil-mode windows), lone ReLUs, Flatten and Linear layers — with random zero points, multipliers,
 * biases and fused ReLUs, inputs normalised globally, per feature or not, power-of-two scales whose
 * roundings meet exact halves, at 1, 7 and 45 samples (past a prepared batch of 32), on 1 and 2 threads;
 * and the MNIST CNN's and MLP's own plans through `quantizeModel`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import type { Normalization } from '../../../src-engine/core/data/normalize';
import type { TrainedModel } from '../../../src-engine/core/export/model';
import { conv2dPlan } from '../../../src-engine/core/ops/conv2d';
import { poolPlan } from '../../../src-engine/core/ops/max-pool2d';
import { activationParams, type ActivationParams } from '../../../src-engine/core/quantize/calibrate';
import { quantizeModel, runInt8, type Int8Dense, type Int8Model } from '../../../src-engine/core/quantize/int8';
import type { DenseStep, QuantStep } from '../../../src-engine/core/quantize/plan';
import { int8Inference } from '../../../src-engine/core/quantize/runtime';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu/backend';
import { trainedModel } from '../engine/export/onnx/harness';

const EXAMPLES = join(import.meta.dirname, '../../../examples');

/** Random activation params: a zero point anywhere in 0…255 (a range from all-negative to all-positive). */
function params(rng: Rng): ActivationParams {
  const lo = -rng.uniform() * 4;
  const hi = rng.uniform() * 4;
  return rng.uniform() < 0.2 ? activationParams(0, hi + 0.1) : activationParams(lo, hi + 0.1);
}

/**
 * A dense layer with random int8 weights (some zero), int32 bias, multipliers that keep most outputs
 * inside 0…255; `ties`: powers of two, so that many sums land exactly halfway between two steps.
 */
function denseLayer(rng: Rng, step: DenseStep, input: ActivationParams, output: ActivationParams, ties: boolean): Int8Dense {
  const weight = new Int8Array(step.out * step.per);
  for (let j = 0; j < weight.length; j++) weight[j] = rng.uniform() < 0.1 ? 0 : Math.round((rng.uniform() * 2 - 1) * 127);
  const bias = new Int32Array(step.out);
  const multiplier = new Float32Array(step.out);
  for (let o = 0; o < step.out; o++) {
    bias[o] = Math.round((rng.uniform() * 2 - 1) * 20_000);
    const m = (40 + rng.uniform() * 80) / (127 * 128 * Math.sqrt(step.per));
    multiplier[o] = ties ? 2 ** Math.round(Math.log2(m)) : Math.fround(m);
  }
  const ones = new Float32Array(step.out).fill(1);
  return { step, weight, weightScale: ones, bias, biasScale: ones, input, output, multiplier };
}

interface Spec {
  input: number[];
  layers: ({ conv: Record<string, unknown> } | { linear: number } | { pool: Record<string, unknown> } | 'relu' | 'flatten')[];
}

/**
 * An `Int8Model` of `spec`'s chain with random weights and activation params (no float model behind
 * it), its input normalised globally, per feature or not at all. `ties`: power-of-two scales and
 * multipliers (see `features`), so that rounding meets exact halves.
 */
function randomModel(rng: Rng, spec: Spec, ties = false): Int8Model {
  let shape = spec.input;
  const steps: QuantStep[] = [];
  const dense = new Map<number, Int8Dense>();
  const input = ties ? { scale: 0.25, zeroPoint: 100 + Math.floor(rng.uniform() * 50), min: -30, max: 30 } : params(rng);
  const all: ActivationParams[] = [];
  let cur = input;
  spec.layers.forEach((layer, k) => {
    const id = `l${k}`;
    const inputs = [k === 0 ? 'x' : `l${k - 1}`];
    if (layer === 'relu' || layer === 'flatten') {
      const outShape = layer === 'flatten' ? [shape.reduce((a, b) => a * b, 1)] : shape;
      steps.push({ kind: layer === 'relu' ? 'relu' : 'reshape', id, inputs, inShape: shape, outShape });
      shape = outShape;
    } else if ('pool' in layer) {
      const pool = poolPlan([1, ...shape], { padding: 0, ...layer.pool });
      const outShape = [pool.c, pool.outH, pool.outW];
      steps.push({ kind: 'pool', id, inputs, pool, inShape: shape, outShape });
      shape = outShape;
    } else {
      const conv = 'conv' in layer ? conv2dPlan([1, ...shape], { stride: 1, padding: 0, dilation: 1, groups: 1, ...layer.conv }) : undefined;
      const out = 'linear' in layer ? layer.linear : conv!.outC;
      const per = conv ? conv.inC * conv.k[0] * conv.k[1] : shape[0];
      const outShape = conv ? [conv.outC, conv.outH, conv.outW] : [out];
      const step: DenseStep = { kind: 'dense', id, inputs, merged: [], weight: new Float64Array(0), bias: new Float64Array(0), out, per, ...(conv ? { conv } : {}), relu: k < spec.layers.length - 1 && rng.uniform() < 0.5, inShape: shape, outShape };
      const output = params(rng);
      steps.push(step);
      dense.set(k, denseLayer(rng, step, cur, output, ties));
      cur = output;
      shape = outShape;
    }
    all.push(cur);
  });
  const plan = { input: 'x', inputShape: spec.input, steps, output: `l${spec.layers.length - 1}`, outputName: 'y' };
  const n = spec.input.reduce((a, b) => a * b, 1);
  const kind = rng.int(3);
  const stats = (size: number, f: () => number) => Array.from({ length: size }, f);
  // Features in [0, 1] then, normalised, in about the input's range.
  const normalization: Normalization | undefined = ties || kind === 0 ? undefined : { kind: kind === 1 ? 'global' : 'per-feature', mean: stats(kind === 1 ? 1 : n, () => 0.5 * rng.uniform()), std: stats(kind === 1 ? 1 : n, () => 0.1 + 0.3 * rng.uniform()) };
  const paramsOf = new Map([['x', input], ...steps.map((s, k): [string, ActivationParams] => [s.id, all[k]])]);
  return { plan, source: { ...(normalization ? { normalization } : {}) } as TrainedModel, method: 'minmax', samples: 0, input, dense, params: all, paramsOf };
}

/**
 * Raw features: over (and past) the input's range, so that some saturate at 0 and 255 (normalised
 * models: in [0, 1], which their statistics stretch past it); for a `ties` model, multiples of 1/8
 * at an input scale of 1/4, so that a quarter of them quantise from an exact half.
 */
function features(rng: Rng, m: Int8Model, count: number): Float32Array {
  const n = m.plan.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * n);
  const { min, max, scale } = m.input;
  for (let j = 0; j < x.length; j++) {
    if (scale === 0.25) x[j] = Math.round((min + rng.uniform() * (max - min)) * 8) / 8;
    else if (m.source.normalization) x[j] = rng.uniform() * 1.2 - 0.1;
    else x[j] = min - 0.2 + rng.uniform() * (max - min + 0.4);
  }
  return x;
}

const SPECS: Record<string, Spec> = {
  'conv 1 channel (unfolded) 3×3 pad 1, pool 2, conv 8 → 10 (Winograd), pool 2, flatten, linear 10': {
    input: [1, 12, 12],
    layers: [{ conv: { outChannels: 8, kernelSize: 3, padding: 1 } }, { pool: { kernelSize: 2 } }, { conv: { outChannels: 10, kernelSize: 3, padding: 1 } }, { pool: { kernelSize: 2 } }, 'flatten', { linear: 10 }],
  },
  'conv 1 channel 5×3 dilated 2 down, stride 2 across, on 13×11 (unfolded rows copied whole inside the image), flatten, linear 6': {
    input: [1, 13, 11],
    layers: [{ conv: { outChannels: 12, kernelSize: [5, 3], stride: [1, 2], padding: [3, 1], dilation: [2, 1] } }, 'flatten', { linear: 6 }],
  },
  'conv 3 channels 5×3 stride 2 dilation 2 on 11×9, relu, conv 1×1 to 5, flatten, linear 7 → 3': {
    input: [3, 11, 9],
    layers: [{ conv: { outChannels: 6, kernelSize: [5, 3], stride: 2, padding: [2, 1], dilation: [1, 2] } }, 'relu', { conv: { outChannels: 5, kernelSize: 1 } }, 'flatten', { linear: 7 }, { linear: 3 }],
  },
  'conv 13 channels 3×3 stride 2 pad 1 to 17 (9×7), pool 3 stride 2 pad 1 ceil, conv 2×2 to 9, flatten, linear 1': {
    input: [13, 9, 7],
    layers: [{ conv: { outChannels: 17, kernelSize: 3, stride: 2, padding: 1 } }, { pool: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } }, { conv: { outChannels: 9, kernelSize: 2, padding: 1 } }, 'flatten', { linear: 1 }],
  },
  'Winograd 3×3 on odd outputs: 11 channels on 7×5 pad 1 → 6, relu, 3×3 unpadded → 9 (5×3), flatten, linear 4': {
    input: [11, 7, 5],
    layers: [{ conv: { outChannels: 6, kernelSize: 3, padding: 1 } }, 'relu', { conv: { outChannels: 9, kernelSize: 3 } }, 'flatten', { linear: 4 }],
  },
  'depthwise (int8Depthwise): conv 1×1 3 → 13, depthwise 5×5 pad 2, depthwise 3×3 stride 2 pad 1 (9×7 → 5×4), relu, conv 1×1 → 5, flatten, linear 3': {
    input: [3, 9, 7],
    layers: [{ conv: { outChannels: 13, kernelSize: 1 } }, { conv: { outChannels: 13, kernelSize: 5, padding: 2, groups: 13 } }, { conv: { outChannels: 13, kernelSize: 3, stride: 2, padding: 1, groups: 13 } }, 'relu', { conv: { outChannels: 5, kernelSize: 1 } }, 'flatten', { linear: 3 }],
  },
  'depthwise first, on 9 channels (a 16-wide input block): 3×2 dilation 2 stride [1, 2] pad [2, 1], then 1×1 unpadded 9 channels, flatten, linear 4': {
    input: [9, 6, 7],
    layers: [{ conv: { outChannels: 9, kernelSize: [3, 2], stride: [1, 2], padding: [2, 1], dilation: 2, groups: 9 } }, { conv: { outChannels: 9, kernelSize: 1, groups: 9 } }, 'flatten', { linear: 4 }],
  },
  'first conv 3×3 stride 1 on 3 channels (the input padded to 8, unfolded a vector a tap) pad 1 on 9×7 → 5, relu, conv 3×3 on 5 channels unpadded (Winograd) → 6, flatten, linear 3': {
    input: [3, 9, 7],
    layers: [{ conv: { outChannels: 5, kernelSize: 3, padding: 1 } }, 'relu', { conv: { outChannels: 6, kernelSize: 3 } }, 'flatten', { linear: 3 }],
  },
  'first conv 3×3 on 5 channels unpadded (the input padded to 8, Winograd), 7×6 → 11 (5×4), flatten, linear 2': {
    input: [5, 7, 6],
    layers: [{ conv: { outChannels: 11, kernelSize: 3 } }, 'flatten', { linear: 2 }],
  },
  'conv 1×1 to 2 channels (a block of 8), conv 3×3 dilated 2 pad 2 on them (unfolded a vector a tap: taps off the image and all on it), flatten, linear 3': {
    input: [4, 9, 8],
    layers: [{ conv: { outChannels: 2, kernelSize: 1 } }, { conv: { outChannels: 6, kernelSize: 3, padding: 2, dilation: 2 } }, 'flatten', { linear: 3 }],
  },
  'conv 3×3 pad 1 on 7×9 to 12 channels, pool 2 (2×2 stride 2: the last row and column dropped), relu, conv 1×1 → 5, pool 2 again (3×4 → 1×2), flatten, linear 3': {
    input: [3, 7, 9],
    layers: [{ conv: { outChannels: 12, kernelSize: 3, padding: 1 } }, { pool: { kernelSize: 2 } }, 'relu', { conv: { outChannels: 5, kernelSize: 1 } }, { pool: { kernelSize: 2 } }, 'flatten', { linear: 3 }],
  },
  'pool first on 2 channels, conv 2 → 4, flatten': {
    input: [2, 7, 5],
    layers: [{ pool: { kernelSize: 2, stride: 1 } }, { conv: { outChannels: 4, kernelSize: 3, padding: 1 } }, 'flatten'],
  },
  'MLP on a flat 37-feature input: 37 → 13 → relu → 6 → 5': {
    input: [37],
    layers: [{ linear: 13 }, 'relu', { linear: 6 }, { linear: 5 }],
  },
  'MLP on an image (flatten first): 1×5×7 → 33 → 2': {
    input: [1, 5, 7],
    layers: ['flatten', { linear: 33 }, { linear: 2 }],
  },
};

describe.each([1, 2])('int8 inference on the CPU backend, %i thread(s)', (threads) => {
  let backend: CpuBackend;
  beforeAll(async () => {
    backend = await createCpuBackend({ threads });
  });
  afterAll(() => backend.dispose());

  it.each(Object.entries(SPECS))('%s: the same uint8 outputs as runInt8', (_, spec) => {
    const rng = new Rng(7 + threads);
    const seen = new Set<number>();
    for (let round = 0; round < 4; round++) {
      const m = randomModel(rng, spec, round === 3);
      const fast = int8Inference(m, backend);
      expect(fast.kind).toBe('WebAssembly SIMD');
      for (const count of [1, 7, 45]) {
        const x = features(rng, m, count);
        const want = runInt8(m, x, count);
        const got = fast.run(x, count);
        expect(got.quantized).toEqual(want.quantized);
        expect(got.values).toEqual(want.values);
        for (const v of want.quantized) seen.add(v);
      }
    }
    // Not a constant: the chains' outputs take many values.
    expect(seen.size).toBeGreaterThan(5);
  });

  it.each([
    ['mnist-cnn', [1, 28, 28]],
    ['mnist-mlp', [1, 28, 28]],
  ])("%s through quantizeModel: the same uint8 outputs as runInt8", (name, shape) => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8')) as GraphIR;
    const model = trainedModel(graph, 2);
    const rng = new Rng(3);
    const n = shape.reduce((a, b) => a * b, 1);
    const calib = Float32Array.from({ length: 16 * n }, () => rng.uniform());
    const m = quantizeModel(model, calib, 16, 'minmax');
    const fast = int8Inference(m, backend);
    expect(fast.kind).toBe('WebAssembly SIMD');
    const x = Float32Array.from({ length: 40 * n }, () => rng.uniform());
    expect(fast.run(x, 40).quantized).toEqual(runInt8(m, x, 40).quantized);
  });
});

describe('a grouped convolution, which has no int8 kernel', () => {
  it('runs between the blocks as runInt8 runs it, the other layers on the kernels: the same uint8 outputs', async () => {
    const backend = await createCpuBackend({ threads: 1 });
    try {
      const m = randomModel(new Rng(1), { input: [4, 6, 6], layers: [{ conv: { outChannels: 4, kernelSize: 3, groups: 2 } }, 'flatten', { linear: 3 }] });
      const inference = int8Inference(m, backend);
      expect(inference.kind).toBe('WebAssembly SIMD, grouped convolutions in TypeScript');
      const x = features(new Rng(2), m, 3);
      expect(inference.run(x, 3).quantized).toEqual(runInt8(m, x, 3).quantized);
    } finally {
      backend.dispose();
    }
  });
});
