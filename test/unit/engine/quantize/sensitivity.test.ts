/**
 * The per-layer sensitivity pass made faster without changing what it computes (#85 deliverable 2):
 * each sample's float graph runs once and forks at each dense layer, where it ran the whole graph
 * once per layer; a pointwise (1×1) convolution adds whole planes. Both are held equal — the same
 * float64 values, not close ones — to the definitions they replace, written out here: the layer's
 * sums term by term in the order the general kernel adds them, and the sensitivity as the whole
 * graph run per layer with only that layer in int8. The pass reports its progress and stops on a
 * cancel (the Quantize… dialog's).
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { runFloat } from '../../../../src-engine/core/quantize/calibrate';
import { normalized, quantizeModel, type Int8Model } from '../../../../src-engine/core/quantize/int8';
import { dense, roundHalfEven } from '../../../../src-engine/core/quantize/kernels';
import { sampleSize, stepSize, type DenseStep } from '../../../../src-engine/core/quantize/plan';
import { layerSensitivity, layerSensitivityAsync } from '../../../../src-engine/core/quantize/side-by-side';
import { trainedModel } from '../export/onnx/harness';

const node = (id: string, op: string, inputs: string[], attrs: NodeIR['attrs'] = {}): NodeIR => ({ id, op, attrs, inputs });

/** A residual block whose shortcut is a pointwise convolution (a grouped one too), a branch joined by Concat, a head: forks before and after joins. */
function graph(loss: 'CrossEntropyLoss' | 'MSELoss'): GraphIR {
  return {
    format: 'netwright.graph',
    version: 1,
    nodes: [
      node('x', 'Input', [], { shape: [4, 6, 6], source: 'features' }),
      node('label', 'Input', [], loss === 'MSELoss' ? { shape: [3], source: 'target' } : { shape: [], source: 'target' }),
      node('c1', 'Conv2d', ['x'], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] }),
      node('b1', 'BatchNorm', ['c1']),
      node('r1', 'ReLU', ['b1']),
      node('pw', 'Conv2d', ['r1'], { outChannels: 6, kernelSize: [1, 1] }),
      node('gpw', 'Conv2d', ['pw'], { outChannels: 6, kernelSize: [1, 1], groups: 2 }),
      node('res', 'Add', ['gpw', 'r1']),
      node('side', 'Conv2d', ['x'], { outChannels: 2, kernelSize: [1, 1] }),
      node('cat', 'Concat', ['res', 'side'], { axis: 1 }),
      node('pool', 'MaxPool2d', ['cat'], { kernelSize: [2, 2] }),
      node('flat', 'Flatten', ['pool']),
      node('fc', 'Linear', ['flat'], { outFeatures: 3 }),
      node('loss', loss, ['fc', 'label']),
    ],
    outputs: { logits: 'fc', loss: 'loss' },
  } as GraphIR;
}

/** The sensitivity as it was defined and computed before: per layer, the whole float graph per sample with only that layer in int8. */
function wholeGraphSensitivity(m: Int8Model, x: Float32Array, y: Float32Array, count: number): { float: number; layers: { layer: string; metric: number; change: number }[]; metric: 'accuracy' | 'mse' } {
  const n0 = sampleSize(m.plan.inputShape);
  const xs = normalized(m.source, x.subarray(0, count * n0), count);
  const fq = (v: Float64Array, p: { scale: number; zeroPoint: number }, lo = 0) => {
    for (let j = 0; j < v.length; j++) v[j] = (Math.max(lo, Math.min(255, roundHalfEven(v[j] / p.scale) + p.zeroPoint)) - p.zeroPoint) * p.scale;
  };
  const outputs = (only: number | undefined) => {
    const rows: Float64Array[] = [];
    for (let i = 0; i < count; i++) {
      const cur = runFloat(m.plan, Float64Array.from(xs.subarray(i * n0, (i + 1) * n0)), {
        override: (k, inputs) => {
          const d = k === only ? m.dense.get(k) : undefined;
          if (!d) return undefined;
          const input = Float64Array.from(inputs[0]);
          fq(input, d.input);
          const w = Float64Array.from(d.weight, (q, j) => q * d.weightScale[Math.floor(j / d.step.per)]);
          const b = Float64Array.from(d.bias, (q, c) => q * d.biasScale[c]);
          const next = new Float64Array(stepSize(m.plan.steps[k]));
          dense(d.step, w, b, input, next);
          fq(next, d.output, d.step.relu ? d.output.zeroPoint : 0);
          return next;
        },
      });
      const t = m.source.targetNormalization;
      if (t) for (let c = 0; c < cur.length; c++) cur[c] = cur[c] * t.std[t.mean.length === 1 ? 0 : c] + t.mean[t.mean.length === 1 ? 0 : c];
      rows.push(cur);
    }
    return rows;
  };
  const classes = m.source.classNames?.length ?? 0;
  const score = (rows: Float64Array[]) => {
    if (classes) return rows.filter((r, i) => r.indexOf(Math.max(...r)) === y[i]).length / count;
    let e = 0;
    rows.forEach((r, i) => r.forEach((v, c) => (e += (v - y[i * r.length + c]) ** 2)));
    return e / (count * rows[0].length);
  };
  const float = score(outputs(undefined));
  return { float, layers: [...m.dense.keys()].map((k) => ({ layer: m.dense.get(k)!.step.id, metric: score(outputs(k)), change: score(outputs(k)) - float })), metric: classes ? 'accuracy' : 'mse' };
}

/** `model` quantised (min-max) on 32 random images, 24 test images and targets: classes, or values near the model's own. */
function quantized(model: TrainedModel, seed: number): { q: Int8Model; x: Float32Array; y: Float32Array; count: number } {
  const rng = new Rng(seed);
  const n0 = 4 * 6 * 6;
  const images = (count: number) => Float32Array.from({ length: count * n0 }, () => rng.uniform() * 2 - 0.5);
  const q = quantizeModel(model, normalized(model, images(32), 32), 32, 'minmax');
  const count = 24;
  const x = images(count);
  const y = model.classNames ? Float32Array.from({ length: count }, () => rng.int(3)) : Float32Array.from({ length: count * 3 }, () => rng.uniform() * 4 - 2);
  return { q, x, y, count };
}

describe('per-layer sensitivity', () => {
  it('a pointwise convolution gives the sums the general kernel gives, term by term in its order (grouped, zero weights skipped)', () => {
    const rng = new Rng(3);
    const [inC, outC, groups, h, w] = [6, 4, 2, 3, 5];
    const per = inC / groups;
    const step = { kind: 'dense', id: 'pw', inputs: ['x'], out: outC, per, relu: false, merged: [], weight: new Float64Array(0), bias: new Float64Array(0), conv: { inC, h, w, outC, groups, k: [1, 1], s: [1, 1], p: [0, 0], d: [1, 1], outH: h, outW: w } } as unknown as DenseStep;
    const weight = Float64Array.from({ length: outC * per }, (_, j) => (j % 5 === 0 ? 0 : rng.uniform() * 2 - 1));
    const bias = Float64Array.from({ length: outC }, () => rng.uniform());
    const x = Float64Array.from({ length: inC * h * w }, () => rng.uniform() * 8 - 4);
    const out = new Float64Array(outC * h * w);
    dense(step, weight, bias, x, out);
    const expected = new Float64Array(out.length);
    for (let o = 0; o < outC; o++) {
      const g = Math.floor(o / (outC / groups));
      for (let j = 0; j < h * w; j++) {
        let acc = bias[o];
        for (let ci = 0; ci < per; ci++) if (weight[o * per + ci] !== 0) acc += weight[o * per + ci] * x[(g * per + ci) * h * w + j];
        expected[o * h * w + j] = acc;
      }
    }
    expect(Array.from(out)).toEqual(Array.from(expected));
  });

  it("equals the whole graph run per layer: a classifier's accuracy and a standardised regression's MSE, to the last bit", () => {
    const classifier = { ...trainedModel(graph('CrossEntropyLoss'), 3), classNames: ['a', 'b', 'c'] };
    const regression = { ...trainedModel(graph('MSELoss'), 3), targetNormalization: { mean: [0.5, -1, 2], std: [2, 0.5, 3] } };
    for (const [model, seed] of [[classifier, 5], [regression, 6]] as const) {
      const { q, x, y, count } = quantized(model, seed);
      const fast = layerSensitivity(q, x, y, count);
      expect(fast.layers.map((l) => l.layer).sort()).toEqual(['c1', 'fc', 'gpw', 'pw', 'side']);
      expect(fast).toEqual(wholeGraphSensitivity(q, x, y, count));
    }
  });

  it('reports each sample done, gives the same figures asynchronously, and stops with E_CANCELLED when cancelled', async () => {
    const model = { ...trainedModel(graph('CrossEntropyLoss'), 3), classNames: ['a', 'b', 'c'] };
    const { q, x, y, count } = quantized(model, 7);
    const seen: number[] = [];
    const sync = layerSensitivity(q, x, y, count, (done, total) => seen.push(done / total));
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => (i + 1) / count));
    expect(await layerSensitivityAsync(q, x, y, count, { sliceMs: 0 })).toEqual(sync);
    const stop = new AbortController();
    const done: number[] = [];
    const cancelled = layerSensitivityAsync(q, x, y, count, { signal: stop.signal, sliceMs: 0, onProgress: (n) => (done.push(n), n === 3 ? stop.abort() : undefined) });
    await expect(cancelled).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(done).toEqual([1, 2, 3]);
  });
});
