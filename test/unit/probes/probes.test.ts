import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData, textDataset } from '../../../src-engine/core/data';
import { GradientProbe, ProbeSuite, TensorSummarizer, compact, deadFraction, l2Distance, l2Norm, layerHealth, meanAbs, rowProbabilities } from '../../../src-engine/app/probes';
import { allFinite } from '../../../src-engine/base/tensor';
import { ProbeFrame, type ActivationProbeEntry, type ParamProbeEntry } from '../../../src-engine/protocol';
import { Rng } from '../../../src-engine/base/rng';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { LatestWinsMailbox, bindGraph, checkBinding, locateNonFinite } from '../../../src-engine/app/session';
import { outputNodes, probeOrder } from '../../../src-engine/app/probes/probe-suite';
import { twoMoonsGraph } from '../session/fixtures';

describe('TensorSummarizer', () => {
  it('counts finite values into equal bins over [min, max], max in the last bin, and reports NaN/Inf apart', () => {
    const s = new TensorSummarizer(4);
    const { hist, stats } = s.summarize(new Float32Array([0, 0, 1, 2, 3, 4, NaN, Infinity]));
    expect(hist).toEqual({ min: 0, max: 4, counts: Uint32Array.of(2, 1, 1, 2) });
    const finite = [0, 0, 1, 2, 3, 4];
    const mean = finite.reduce((a, b) => a + b) / 6;
    const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / 6);
    expect(stats).toEqual({ count: 6, mean: compact(mean), std: compact(std), min: 0, max: 4, zeroFrac: 0.25, nonFinite: 2 });
  });

  it('agrees with a direct count on random data', () => {
    const rng = new Rng(7);
    const data = new Float32Array(5000);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 3 + 1;
    const bins = 17;
    const { hist, stats } = new TensorSummarizer(bins).summarize(data);
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) [min, max] = [Math.min(min, v), Math.max(max, v)];
    const expected = new Array(bins).fill(0);
    for (const v of data) expected[Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins))]++;
    expect(Array.from(hist.counts)).toEqual(expected);
    expect(stats.mean).toBeCloseTo(data.reduce((a, b) => a + b, 0) / data.length, 4);
    expect(stats.std).toBeCloseTo(3, 0);
  });

  it('gives the same answer on the all-finite fast path as with a NaN among the values, at every length', () => {
    const rng = new Rng(11);
    const s = new TensorSummarizer(9);
    for (const length of [1, 2, 3, 4, 5, 7, 8, 9, 64, 1001]) {
      // ReLU-like: about half exact zeros, the rest spread out.
      const finite = new Float32Array(length);
      for (let i = 0; i < length; i++) finite[i] = Math.max(0, rng.normal() * 2);
      const withNaN = new Float32Array(length + 1);
      withNaN.set(finite);
      withNaN[length] = NaN;
      const fast = s.summarize(finite);
      const slow = s.summarize(withNaN);
      expect(fast.hist).toEqual(slow.hist);
      const zeros = finite.filter((v) => v === 0).length;
      expect(fast.stats).toMatchObject({ count: length, min: slow.stats.min, max: slow.stats.max, nonFinite: 0, zeroFrac: compact(zeros / length) });
      expect(slow.stats).toMatchObject({ count: length, nonFinite: 1 });
      expect(fast.stats.mean).toBeCloseTo(slow.stats.mean, 5);
      expect(fast.stats.std).toBeCloseTo(slow.stats.std, 5);
      // Only the first `length` values, when told so.
      expect(s.summarize(withNaN, length)).toEqual(fast);
    }
  });

  it('keeps a constant tensor in one bin and an all-NaN tensor empty', () => {
    const s = new TensorSummarizer(5);
    const c = s.summarize(new Float32Array([2, 2, 2]));
    expect(Array.from(c.hist.counts)).toEqual([0, 0, 3, 0, 0]);
    expect(c.stats.std).toBe(0);
    const n = s.summarize(new Float32Array([NaN, -Infinity]));
    expect(n.stats).toMatchObject({ count: 0, nonFinite: 2 });
    expect(n.hist.counts.every((k) => k === 0)).toBe(true);
  });

  it('norms, mean |x| and the finiteness check', () => {
    const a = new Float32Array([3, -4]);
    expect(l2Norm(a)).toBe(5);
    expect(meanAbs(a)).toBe(3.5);
    expect(allFinite(a)).toBe(true);
    expect(allFinite(new Float32Array([1, -Infinity]))).toBe(false);
    expect(allFinite(new Float32Array([NaN]))).toBe(false);
    expect(allFinite(new Float32Array([3e38, 3e38]))).toBe(true); // large but finite
    // Every length (the reductions run in four lanes plus a tail), against plain loops.
    const rng = new Rng(5);
    for (const length of [0, 1, 3, 4, 5, 9, 1003]) {
      const x = Float32Array.from({ length }, () => rng.normal());
      const y = Float32Array.from({ length }, () => rng.normal());
      let sq = 0;
      let abs = 0;
      let dist = 0;
      for (let i = 0; i < length; i++) [sq, abs, dist] = [sq + x[i] * x[i], abs + Math.abs(x[i]), dist + (x[i] - y[i]) ** 2];
      expect(l2Norm(x)).toBeCloseTo(Math.sqrt(sq), 10);
      expect(meanAbs(x)).toBeCloseTo(length ? abs / length : 0, 10);
      expect(l2Distance(x, y)).toBeCloseTo(Math.sqrt(dist), 10);
    }
    expect(l2Norm(new Float32Array([1, 2, 3, 4, NaN]))).toBeNaN();
    expect(l2Distance(new Float32Array([1, Infinity]), new Float32Array([1, 2]))).toBe(Infinity);
  });
});

describe('probe rules', () => {
  it('dead units: a unit (feature, or channel of [N, C, H, W]) that is 0 on every sample', () => {
    // 3 samples × 4 features; features 1 and 3 are always 0.
    const feat = new Float32Array([1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0]);
    expect(deadFraction(feat, 3, 4, 1, new Uint8Array(4))).toBe(0.5);
    // 2 samples × 2 channels × 2×2: channel 0 has one non-zero pixel in sample 1.
    const conv = new Float32Array(16);
    conv[8 + 3] = 0.5;
    expect(deadFraction(conv, 2, 2, 4, new Uint8Array(2))).toBe(0.5);
  });

  it('class probabilities: softmax without overflow, and the single-logit case', () => {
    const p = rowProbabilities(new Float32Array([1000, 1000, 0]), 'logits');
    expect(p[0]).toBeCloseTo(0.5, 12);
    expect(p[2]).toBe(0);
    expect(rowProbabilities(new Float32Array([0]), 'single-logit')).toEqual([0.5, 0.5]);
  });

  it('gradient norms, mean |grad| and the update-to-weight ratio of one step', () => {
    const value = { shape: [2], data: new Float32Array([3, 4]) };
    const grad = { shape: [2], data: new Float32Array([1, -1]) };
    const probe = new GradientProbe([{ nodeId: 'fc', name: 'weight', value, grad, decay: true }], new TensorSummarizer(4));
    probe.beforeUpdate();
    value.data[0] -= 0.5; // ‖ΔW‖ = 0.5, exact in float32
    const [g] = probe.measure();
    expect(g.gradNorm).toBe(compact(Math.SQRT2));
    expect(g.gradMeanAbs).toBe(1);
    expect(g.updateRatio).toBe(compact(0.5 / Math.hypot(2.5, 4)));
    // The gradient's histogram: -1 in the first of 4 bins over [-1, 1], 1 in the last.
    expect(g.hist).toEqual({ min: -1, max: 1, counts: Uint32Array.of(1, 0, 0, 1) });
    expect(g.stats).toEqual({ count: 2, mean: 0, std: 1, min: -1, max: 1, zeroFrac: 0, nonFinite: 0 });
    expect(probe.measure()[0].updateRatio).toBe(0); // not armed again
    // A frozen parameter has no gradient, so no histogram (its gradient is never read: reading it would allocate it).
    const frozen = new GradientProbe([{ nodeId: 'fc', name: 'weight', value, get grad(): never { throw new Error('read a frozen gradient'); }, decay: true, frozen: true }], new TensorSummarizer(4));
    expect(frozen.measure()[0]).not.toHaveProperty('hist');
  });

  it('layer health: dead ReLU, saturation, vanishing/exploding gradients, large updates, NaN', () => {
    const hist = { min: 0, max: 1, counts: [1] };
    const stats = { count: 1, mean: 0, std: 0, min: 0, max: 0, zeroFrac: 1, nonFinite: 0 };
    const layers: ActivationProbeEntry[] = [
      { nodeId: 'relu1', op: 'ReLU', shape: [4], hist, stats, deadFrac: 0.75 },
      { nodeId: 'sig', op: 'Sigmoid', shape: [4], hist, stats, saturatedFrac: 0.9 },
      { nodeId: 'fc9', op: 'Linear', shape: [4], hist, stats: { ...stats, nonFinite: 3 } },
      { nodeId: 'relu2', op: 'ReLU', shape: [4], hist, stats, deadFrac: 0.1 },
    ];
    const param = (nodeId: string, gradNorm: number, updateRatio = 1e-3): ParamProbeEntry => ({
      nodeId, name: 'weight', shape: [1], gradNorm, gradMeanAbs: gradNorm, weightNorm: 1, updateRatio, weightHist: hist, weightStats: stats,
    });
    const bias = { ...param('fc5', 1, 1), name: 'bias' }; // a zero-initialised bias after its first step: not a warning
    const w = layerHealth(layers, [param('fc1', 1e-9), param('fc2', 1), param('fc3', 1e5), param('fc4', 1, 0.5), bias]);
    const codes = w.map((x) => `${x.code}@${x.nodeId}`);
    expect(codes).toEqual([
      'HEALTH_DEAD_RELU@relu1',
      'HEALTH_SATURATED@sig',
      'HEALTH_NONFINITE@fc9',
      'HEALTH_VANISHING_GRAD@fc1',
      'HEALTH_EXPLODING_GRAD@fc3',
      'HEALTH_LARGE_UPDATES@fc4',
    ]);
    for (const x of w) expect(x.fix.length).toBeGreaterThan(10);
    // The network's own output squashed on purpose (an autoencoder's Sigmoid) is not "saturated".
    expect(layerHealth(layers, [], undefined, new Set(['sig'])).map((x) => x.code)).not.toContain('HEALTH_SATURATED');
  });

  it('the outputs of a network are what its losses compare and its named outputs (#18)', () => {
    const graph: Pick<GraphIR, 'nodes' | 'outputs'> = {
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4] }, inputs: [] },
        { id: 'enc', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['x'] },
        { id: 'dec', op: 'Sigmoid', attrs: {}, inputs: ['enc'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['dec', 'x'] },
      ],
      outputs: { recon: 'dec', loss: 'loss', code: 'enc' },
    };
    expect([...outputNodes(graph)].sort()).toEqual(['dec', 'enc', 'x']);
  });

  it('probe samples take the classes in turn, so a class-sorted split shows every class (#18: iris all "setosa")', () => {
    const targets = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const order = probeOrder({ count: 10, targets }, 6, true);
    expect(Array.from(order)).toEqual([0, 4, 7, 1, 5, 8]);
    expect(Array.from(order, (i) => targets[i])).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(probeOrder({ count: 10, targets }, 10, true)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(probeOrder({ count: 10, targets: new Float32Array(0) }, 3, false))).toEqual([0, 1, 2]);
  });
});

describe('LatestWinsMailbox', () => {
  it('sends one frame, keeps only the newest waiting, and releases it on ack', () => {
    const sent: number[] = [];
    const box = new LatestWinsMailbox<{ seq: number }>((f) => sent.push(f.seq));
    for (let seq = 0; seq < 5; seq++) {
      box.offer({ seq });
      expect(box.queued).toBeLessThanOrEqual(1);
    }
    expect(sent).toEqual([0]);
    expect(box.dropped).toBe(3);
    expect(box.ack(0)).toBe(true);
    expect(sent).toEqual([0, 4]);
    expect(box.ack(0)).toBe(true); // stale ack: ignored
    expect(box.ack(4)).toBe(false);
    box.offer({ seq: 5 });
    expect(sent).toEqual([0, 4, 5]);
  });
});

/** `graph` compiled on the reference backend with its probe suite, after one training step's forward and backward on `feed` (Input name → values). */
function steppedPlan(graph: GraphIR, data: ReturnType<typeof prepareData>, batchSize: number, probes: ConstructorParameters<typeof ProbeSuite>[4], feed: Record<string, Float32Array>) {
  const plan = compileGraph(checkedOrThrow(graph), { batchSize, backend: createReferenceBackend(), seed: 1 });
  const suite = new ProbeSuite(graph, plan, data, checkBinding(bindGraph(checkedOrThrow(graph)), data), probes, 1);
  for (const [name, values] of Object.entries(feed)) plan.input(name).data.set(values);
  plan.forward(true);
  plan.backward();
  return { plan, suite };
}

describe('probes on a compiled graph', () => {
  const graph = twoMoonsGraph({ batchSize: 16 });
  const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);

  it('a frame leaves the weights and the training plan untouched and matches the protocol schema', () => {
    const { plan, suite } = steppedPlan(graph, data, 16, { batch: 40, samples: 4, bins: 8, boundary: 8 }, { xy: data.train.features.subarray(0, 32), label: data.train.targets.subarray(0, 16) });
    const weights = plan.params.map((p) => p.value.data.slice());
    const fc2Out = plan.output('fc2').data.slice();
    const frame = suite.capture(plan, { step: 1, epoch: 1, loss: 0.7 });
    expect(plan.params.map((p) => p.value.data)).toEqual(weights);
    expect(plan.output('fc2').data).toEqual(fc2Out);
    expect(ProbeFrame.safeParse({ runId: 'r', seq: 0, ...frame }).success).toBe(true);
    // The activation stats are those of an eval forward on the probe batch.
    const probe = plan.withBatchSize(40);
    probe.input('xy').data.set(suite.probeInputs);
    probe.input('label').data.set(suite.probeTargets!);
    probe.forward(false);
    const fc1 = frame.layers.find((l) => l.nodeId === 'fc1')!;
    const direct = new TensorSummarizer(8).summarize(probe.output('fc1').data);
    expect(fc1.hist).toEqual(direct.hist);
    expect(fc1.stats).toEqual(direct.stats);
    expect(fc1.gradNorm).toBe(compact(l2Norm(plan.grad('fc1')!.data)));
    // Each parameter's gradient histogram is a direct histogram of the step's gradient, in the weights' bins.
    expect(frame.params.length).toBe(plan.params.length);
    plan.params.forEach((p, i) => {
      const direct = new TensorSummarizer(8).summarize(p.grad.data);
      expect(frame.params[i].gradHist, `${p.nodeId}.${p.name}`).toEqual(direct.hist);
      expect(frame.params[i].gradStats).toEqual(direct.stats);
      expect(frame.params[i].gradHist!.counts.length).toBe(frame.params[i].weightHist.counts.length);
      expect(frame.params[i].gradStats!.count).toBe(p.grad.data.length);
    });
    expect(frame.params.some((p) => p.gradStats!.std > 0)).toBe(true);
    expect(frame.samples?.kind === 'classification' && frame.samples.probs.length).toBe(4);
    expect(frame.boundary!.classes.length).toBe(64);
  });

  it("a language model's samples are its guess at every position: argmax over the classes of each step, not of the flattened [T, V]", () => {
    // Next characters of a small text, T = 8, vocabulary of its letters: the prediction is [8, V].
    const loaded = textDataset('the cat sat on the mat; the rat ate the hat. '.repeat(12), { name: 'rhymes', window: 8 });
    const v = loaded.train.numClasses;
    const lm: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'chars', op: 'Input', attrs: { shape: [8], source: 'features' }, inputs: [] },
        { id: 'next', op: 'Input', attrs: { shape: [8], source: 'target' }, inputs: [] },
        { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: v, embeddingDim: 6 }, inputs: ['chars'] },
        { id: 'logits', op: 'Linear', attrs: { outFeatures: v }, inputs: ['embed'] },
        { id: 'loss', op: 'TokenCrossEntropyLoss', attrs: {}, inputs: ['logits', 'next'] },
      ],
      outputs: { logits: 'logits', loss: 'loss' },
      training: { dataset: { name: 'rhymes' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 1, metrics: ['accuracy'] },
    };
    const lmData = prepareData(loaded, lm.training!.dataset, 1);
    const { plan, suite } = steppedPlan(lm, lmData, 4, { batch: 6, samples: 3, bins: 8, boundary: 0 }, { chars: lmData.train.features.subarray(0, 32), next: lmData.train.targets.subarray(0, 32) });
    const frame = suite.capture(plan, { step: 1, epoch: 1, loss: 2 });
    expect(ProbeFrame.safeParse({ runId: 'r', seq: 0, ...frame }).success).toBe(true);
    const s = frame.samples;
    if (s?.kind !== 'sequence') throw new Error(`samples of kind ${s?.kind}`);
    expect(s.predicted.length).toBe(3);
    // The eval forward on the probe batch, read a step at a time.
    const probe = plan.withBatchSize(6);
    probe.input('chars').data.set(suite.probeInputs);
    probe.forward(false);
    const logits = probe.output('logits').data;
    for (let i = 0; i < 3; i++) {
      expect(s.predicted[i].length).toBe(8);
      for (let q = 0; q < 8; q++) {
        const row = Array.from(logits.subarray((i * 8 + q) * v, (i * 8 + q + 1) * v));
        const best = row.indexOf(Math.max(...row));
        expect(s.predicted[i][q]).toBe(best);
        expect(s.confidence[i][q]).toBeCloseTo(rowProbabilities(Float32Array.from(row), 'logits')[best], 6);
      }
    }
  });

  it('locates the first non-finite activation in forward order and the first non-finite gradient in backward order', () => {
    const plan = compileGraph(checkedOrThrow(graph), { batchSize: 16, backend: createReferenceBackend(), seed: 1 });
    plan.input('xy').data.set(data.train.features.subarray(0, 32));
    plan.input('label').data.set(data.train.targets.subarray(0, 16));
    plan.forward(true);
    plan.backward();
    expect(locateNonFinite(plan, graph)).toBeNull();
    plan.grad('relu1')!.data[3] = NaN;
    expect(locateNonFinite(plan, graph)).toEqual({ where: 'gradient', nodeId: 'relu1', op: 'ReLU' });
    plan.params.find((p) => p.nodeId === 'fc2' && p.name === 'weight')!.value.data[0] = Infinity;
    plan.forward(true);
    expect(locateNonFinite(plan, graph)).toEqual({ where: 'activation', nodeId: 'fc2', op: 'Linear' });
  });
});

describe('probe warm-up at engine start', () => {
  it('runs every probe of a small network, a frame per step, and ends', async () => {
    const { warmUpProbes } = await import('../../../src-engine/app/session/warm-up');
    const { steps, frames } = await warmUpProbes();
    expect(steps).toBeGreaterThanOrEqual(30);
    expect(frames).toBe(steps);
  });
});
