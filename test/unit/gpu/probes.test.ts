/**
 * Probe frames of GPU runs (docs/webgpu-backend.md, "Probes on GPU runs"): the same
 * `TrainingSession` and `ProbeSuite` over the GPU plan and over the CPU plan (reference backend),
 * same seed and batches, a frame after every step; every frame's figures compared. And the cost
 * rule: a step nobody probes reads back exactly what it reads without probes.
 *
 * Bounds, and why (measured on SwiftShader in brackets):
 * - Statistics (mean, std, min, max of every activation and weight): within 1e-4 of the CPU
 *   tensor's largest |value|; norms (activation and parameter gradients, weights), mean |grad|,
 *   update ratios, the step loss: within 1e-4 relative of the CPU's [≤ 1.8e-5]. One step's
 *   activations and gradients are within ~1e-6 of their tensor's largest on both sides (the same
 *   float32 products summed in other orders: executor.test.ts bounds them at 1e-5); these runs
 *   take ≤ 12 Adam steps, which carry those roundings into the weights (train-loop.test.ts:
 *   losses within 1e-4 relative over 2 epochs); the GPU run's reductions then sum in float32 in
 *   a tree (core/gpu/reduce.ts), the CPU run's in float64: within (⌈log₂ n⌉ + 2)·2⁻²⁴ relative to
 *   Σ|term| (test/unit/gpu/figures.ts), ≤ 1.1e-6 for the ≤ 10⁵ values here, and a mean or std is
 *   off by that times the tensor's largest |value| at most; `compact` rounds each figure to 6
 *   significant digits, which alone separates two nearly equal values by up to 1e-5 relative. The update ratio's ΔW is Adam's
 *   lr·m̂/(√v̂ + ε), of the size of lr wherever the gradient is not exactly 0 (a dead ReLU's, 0 on
 *   both sides), so it does not magnify rounding the way a difference of nearly equal weights could.
 * - Zero and dead-unit fractions: at most 2 values (1 unit) on the other side of 0 [0]: a ReLU
 *   input within rounding of 0 may fall either way.
 * - Histograms: at most 2 + 0.5% of the values in another bin [0]: a value within rounding of
 *   a bin edge (or of min/max, which place the edges) may land in the neighbour, and the GPU
 *   places the edges in float32 where the CPU does in float64 (the same rule otherwise).
 * - Sequence traces of a recurrent layer: gates and h (in [−1, 1]) within 1e-4 absolute, the
 *   gradient by time within 1e-4 relative: the same roundings as the activations' statistics.
 * - Class probabilities and the decision grid's confidences: within 1e-4 absolute [≤ 2.4e-6];
 *   a grid cell's class may differ only where the CPU's confidence is ≤ 0.5 + 1e-4 (a tie).
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import type { DeviceCapture } from '../../../src-engine/core/train';
import { Rng } from '../../../src-engine/base/rng';
import { loadDataset } from '../../../src-engine/node/datasets';
import { twoMoonsGraph } from '../session/fixtures';
import { testGpu } from './device';
import { itDirectOnly } from './wire-cases';
import { EVERY_STEP, framesOf, type Frame } from './session-frames';
import { expectFigures } from './figures';
import { reduceOnHost } from '../../../src-engine/app/probes/summary';
import { readFileSync } from 'node:fs';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());


/** A sequence design's frames, one after every step (6 probe samples), on the CPU and on the GPU. */
async function sequenceFrames(g: GraphIR) {
  const c = g.training!;
  const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
  const probes = { ...EVERY_STEP, batch: 6 };
  const cpu = await framesOf(g, data, null, probes);
  const gpu = await framesOf(g, data, ctx, probes);
  expect(gpu.frames.length).toBe(cpu.session.stepsPerEpoch);
  return { cpu, gpu };
}

/**
 * 2 epochs of 3 steps (86 training samples: batches of 32, 32 and a partial 22): an epoch boundary
 * and a partial batch between frames. A GPU frame's reductions cost seconds of CPU on SwiftShader
 * (the small CNN's below: ~1.9 s a frame, against ~0.2 s for its unprobed step): more steps would
 * add frames, not cases.
 */
function twoMoonsWithDropout(): GraphIR {
  const g = twoMoonsGraph({ epochs: 2, batchSize: 32 }, 120);
  g.nodes.splice(4, 0, { id: 'drop', op: 'Dropout', attrs: { p: 0.2 }, inputs: ['relu1'] });
  g.nodes.find((n) => n.id === 'fc2')!.inputs = ['drop'];
  return g;
}

/**
 * Conv2d (no bias: BatchNorm follows) → BatchNorm → ReLU → MaxPool2d → Linear, on MNIST: 4 steps
 * (38 training samples: three batches of 10 and a partial 8; one validation sample).
 */
function smallCnn(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 1,
    nodes: [
      { id: 'image', op: 'Input', attrs: { shape: [1, 28, 28], source: 'features' }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'conv1', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], bias: false }, inputs: ['image'] },
      { id: 'bn1', op: 'BatchNorm', attrs: {}, inputs: ['conv1'] },
      { id: 'relu1', op: 'ReLU', attrs: {}, inputs: ['bn1'] },
      { id: 'pool1', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['relu1'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool1'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
    training: {
      dataset: { name: 'mnist', options: { normalize: 'global' }, validationSplit: 0.1, limit: 38 },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.003 },
      batchSize: 10,
      epochs: 1,
      seed: 3,
      metrics: ['accuracy'],
    },
  };
}

const TOL = 1e-4;

/** `gpu`'s figure within `TOL·scale` of `cpu`'s (both null, or both numbers). */
function near(what: string, cpu: number | null | undefined, gpu: number | null | undefined, scale: number): void {
  if (cpu === null || cpu === undefined || gpu === null || gpu === undefined) {
    expect(gpu, what).toBe(cpu);
    return;
  }
  expect(Math.abs(gpu - cpu), `${what}: gpu ${gpu}, cpu ${cpu}`).toBeLessThanOrEqual(TOL * Math.abs(scale));
}

/** Every figure of a GPU frame against the CPU frame of the same step, within the bounds above. */
function expectSameFrame(cpu: Frame, gpu: Frame): void {
  const at = `step ${cpu.step}`;
  expect(gpu.step).toBe(cpu.step);
  expect(gpu.epoch).toBe(cpu.epoch);
  near(`${at} loss`, cpu.loss, gpu.loss, cpu.loss ?? 0);
  const stats = (what: string, a: Frame['layers'][number]['stats'], b: typeof a) => {
    const scale = Math.max(Math.abs(a.min), Math.abs(a.max));
    for (const k of ['mean', 'std', 'min', 'max'] as const) near(`${what} ${k}`, a[k], b[k], scale);
    expect(b.count, what).toBe(a.count);
    expect(b.nonFinite, what).toBe(a.nonFinite);
    expect(Math.abs(b.zeroFrac - a.zeroFrac) * a.count, `${what} zeroFrac`).toBeLessThanOrEqual(2 + 1e-9);
  };
  const hist = (what: string, a: { counts: ArrayLike<number> }, b: { counts: ArrayLike<number> }, count: number) => {
    let moved = 0;
    for (let i = 0; i < a.counts.length; i++) moved += Math.abs(a.counts[i] - b.counts[i]);
    expect(moved / 2, `${what} histogram`).toBeLessThanOrEqual(2 + 0.005 * count);
  };
  expect(gpu.layers.map((l) => l.nodeId)).toEqual(cpu.layers.map((l) => l.nodeId));
  cpu.layers.forEach((a, i) => {
    const b = gpu.layers[i];
    const what = `${at} ${a.nodeId}`;
    expect(b.shape).toEqual(a.shape);
    stats(what, a.stats, b.stats);
    hist(what, a.hist, b.hist, a.stats.count);
    if (a.deadFrac !== undefined) expect(Math.abs(a.deadFrac - b.deadFrac!) * a.shape[0], `${what} deadFrac`).toBeLessThanOrEqual(1 + 1e-9);
    expect(b.saturatedFrac === undefined).toBe(a.saturatedFrac === undefined);
    expect(b.gradNorm === undefined, `${what} gradNorm`).toBe(a.gradNorm === undefined);
    near(`${what} gradNorm`, a.gradNorm, b.gradNorm, a.gradNorm ?? 0);
  });
  expect(gpu.params.map((p) => `${p.nodeId}.${p.name}`)).toEqual(cpu.params.map((p) => `${p.nodeId}.${p.name}`));
  cpu.params.forEach((a, i) => {
    const b = gpu.params[i];
    const what = `${at} ${a.nodeId}.${a.name}`;
    stats(what, a.weightStats, b.weightStats);
    hist(what, a.weightHist, b.weightHist, a.weightStats.count);
    // The gradient's histogram, reduced on the device with the weights' (none for a frozen parameter).
    expect(b.gradHist === undefined, `${what} gradHist`).toBe(a.gradHist === undefined);
    expect(a.gradHist === undefined, `${what}: a gradient histogram unless frozen`).toBe(a.frozen === true);
    if (a.gradHist && a.gradStats) {
      stats(`${what} gradient`, a.gradStats, b.gradStats!);
      hist(`${what} gradient`, a.gradHist, b.gradHist!, a.gradStats.count);
    }
    near(`${what} gradNorm`, a.gradNorm, b.gradNorm, a.gradNorm ?? 0);
    near(`${what} gradMeanAbs`, a.gradMeanAbs, b.gradMeanAbs, a.gradMeanAbs ?? 0);
    near(`${what} weightNorm`, a.weightNorm, b.weightNorm, a.weightNorm ?? 0);
    expect(a.updateRatio, `${what}: the CPU run measures an update`).toBeGreaterThan(0);
    near(`${what} updateRatio`, a.updateRatio, b.updateRatio, a.updateRatio ?? 0);
  });
  expect(cpu.samples?.kind).toBe('classification');
  if (cpu.samples?.kind === 'classification' && gpu.samples?.kind === 'classification') {
    const theirs = gpu.samples.probs;
    expect(gpu.samples.targets).toEqual(cpu.samples.targets);
    cpu.samples.probs.forEach((p, i) => p.forEach((v, c) => expect(Math.abs(v - theirs[i][c]), `${at} sample ${i}`).toBeLessThanOrEqual(TOL)));
  } else expect(gpu.samples?.kind).toBe('classification');
  expect(gpu.health.map((h) => `${h.code} ${h.nodeId}`)).toEqual(cpu.health.map((h) => `${h.code} ${h.nodeId}`));
  expect(gpu.boundary === undefined).toBe(cpu.boundary === undefined);
  if (cpu.boundary && gpu.boundary) {
    const [a, b] = [cpu.boundary, gpu.boundary];
    expect([b.x, b.y, b.width, b.height]).toEqual([a.x, a.y, a.width, a.height]);
    for (let c = 0; c < a.classes.length; c++) {
      expect(Math.abs(a.confidence[c] - b.confidence[c]), `${at} grid cell ${c}`).toBeLessThanOrEqual(TOL);
      if (a.classes[c] !== b.classes[c]) expect(a.confidence[c], `${at} grid cell ${c}'s class`).toBeLessThanOrEqual(0.5 + TOL);
    }
  }
}

describe('probe frames of a GPU run', () => {
  itDirectOnly('two moons (with Dropout): the same frames as the CPU run, figure by figure', async () => {
    const g = twoMoonsWithDropout();
    const data = prepareData(loadBuiltinDataset(g.training!.dataset, 1)!, g.training!.dataset, 1);
    const probes = { ...EVERY_STEP, boundary: 16 };
    const cpu = await framesOf(g, data, null, probes);
    const gpu = await framesOf(g, data, ctx, probes);
    expect(gpu.frames.length).toBe(2 * cpu.session.stepsPerEpoch);
    expect(gpu.frames.map((f) => f.step)).toEqual(cpu.frames.map((f) => f.step));
    expect(cpu.frames[0].boundary?.classes.length).toBe(16 * 16);
    expect(cpu.frames[0].layers.find((l) => l.nodeId === 'drop')).toBeDefined();
    cpu.frames.forEach((f, i) => expectSameFrame(f, gpu.frames[i]));
    // The run itself is the unprobed one's: probing reads, it never changes what trains (nor
    // Dropout's stream): the losses of every step agree as in train-loop.test.ts.
    const plain = await framesOf(g, data, ctx, false);
    expect(plain.session.plan.params.map((p) => p.value.data)).toEqual(gpu.session.plan.params.map((p) => p.value.data));
  }, 120_000);

  itDirectOnly('a small CNN with BatchNorm on MNIST: the same frames as the CPU run', async () => {
    const g = smallCnn();
    const c = g.training!;
    const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
    const probes = { ...EVERY_STEP, batch: 16 };
    const cpu = await framesOf(g, data, null, probes);
    const gpu = await framesOf(g, data, ctx, probes);
    expect(gpu.frames.length).toBe(cpu.session.stepsPerEpoch);
    expect(gpu.frames[0].params.map((p) => `${p.nodeId}.${p.name}`)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'fc.weight', 'fc.bias']);
    cpu.frames.forEach((f, i) => expectSameFrame(f, gpu.frames[i]));
  }, 180_000);

  itDirectOnly('the MNIST-row LSTM (shrunk): the same frames as the CPU run, its sequence traces included (gates and h per step of the probe sample, the gradient by time of the step)', async () => {
    const example = JSON.parse(readFileSync('examples/mnist-lstm.json', 'utf8')) as GraphIR;
    const g: GraphIR = {
      ...example,
      nodes: example.nodes.map((n) => (n.op === 'LSTM' ? { ...n, attrs: { ...n.attrs, hiddenSize: 8 } } : n)),
      training: { ...example.training!, dataset: { ...example.training!.dataset, limit: 40 }, batchSize: 12, epochs: 1, schedule: undefined, seed: 3 },
    };
    const { cpu, gpu } = await sequenceFrames(g);
    cpu.frames.forEach((f, i) => {
      const b = gpu.frames[i];
      expectSameFrame(f, b);
      const [want] = f.sequences!;
      const [got] = b.sequences ?? [];
      expect(got, `step ${f.step}: the GPU frame has the traces`).toBeDefined();
      expect([got.nodeId, got.steps, got.gates.map((q) => q.name)]).toEqual([want.nodeId, 28, ['input', 'forget', 'cell', 'output']]);
      // Gates and h lie in [−1, 1]: within TOL absolute; the gradient by time within TOL relative.
      want.gates.forEach((q, k) => q.values.forEach((row, u) => row.forEach((v, time) => near(`step ${f.step} gate ${q.name} unit ${u} t ${time}`, v, got.gates[k].values[u][time], 1))));
      want.hidden.forEach((row, u) => row.forEach((v, time) => near(`step ${f.step} h unit ${u} t ${time}`, v, got.hidden[u][time], 1)));
      expect(want.gradByTime).not.toBeNull();
      want.gradByTime!.forEach((v, time) => near(`step ${f.step} ‖dL/dh‖ t ${time}`, v, got.gradByTime![time], v ?? 0));
    });
  }, 180_000);

  itDirectOnly('the tiny GPT (shrunk): its attention maps on the GPU frames are the CPU run\'s (the probe sample\'s weights per head, read back)', async () => {
    const example = JSON.parse(readFileSync('examples/tiny-gpt.json', 'utf8')) as GraphIR;
    // One block, 16-wide, a 16-character window: the maps are 4 heads of 16 × 16.
    const keep = new Set(['chars', 'next', 'embed', 'positions', 'b1_ln1', 'b1_attention', 'b1_res1', 'ln_f', 'logits', 'loss']);
    const g: GraphIR = {
      ...example,
      nodes: example.nodes
        .filter((n) => keep.has(n.id))
        .map((n) => (n.op === 'Input' ? { ...n, attrs: { ...n.attrs, shape: [16] } } : n.id === 'embed' ? { ...n, attrs: { ...n.attrs, embeddingDim: 16 } } : n.id === 'ln_f' ? { ...n, inputs: ['b1_res1'] } : n)),
      training: { ...example.training!, dataset: { ...example.training!.dataset, options: { window: 16 }, limit: 24 }, batchSize: 12, epochs: 1, schedule: undefined, seed: 3 },
    };
    const { cpu, gpu } = await sequenceFrames(g);
    cpu.frames.forEach((f, i) => {
      const [want] = f.attention!;
      const [got] = gpu.frames[i].attention ?? [];
      expect(got, `step ${f.step}: the GPU frame has the maps`).toBeDefined();
      expect([got.nodeId, got.steps, got.of, got.causal, got.heads.length, got.tokens]).toEqual([want.nodeId, 16, 16, true, 4, want.tokens]);
      // Quantised to 0–255: a weight within rounding of a step's edge may land one step away.
      want.heads.forEach((m, h) => m.forEach((v, k) => expect(Math.abs(v - got.heads[h][k]), `step ${f.step} head ${h} cell ${k}`).toBeLessThanOrEqual(1)));
      expect(want.heads.flat().some((v) => v > 0 && v < 255)).toBe(true);
      // Its samples: a guess at every position (the sample probe's 'sequence'), the GPU's as the CPU's
      // (a position whose guess differs is a tie within the tolerance).
      const [a, b] = [f.samples, gpu.frames[i].samples];
      expect([a?.kind, b?.kind]).toEqual(['sequence', 'sequence']);
      if (a?.kind !== 'sequence' || b?.kind !== 'sequence') return;
      expect(b.predicted.map((row) => row.length)).toEqual(a.predicted.map(() => 16));
      a.predicted.forEach((row, s) =>
        row.forEach((c, q) => {
          expect(Math.abs(a.confidence[s][q] - b.confidence[s][q]), `step ${f.step} sample ${s} position ${q}`).toBeLessThanOrEqual(TOL);
          if (b.predicted[s][q] !== c) expect(a.confidence[s][q], `step ${f.step} sample ${s} position ${q}: a tie`).toBeLessThanOrEqual(0.5 + TOL);
        }),
      );
    });
  }, 180_000);

  itDirectOnly('a probed step reduces its weights (against those before the update), gradients and node gradients on the GPU, as the host would; an unprobed one nothing', async () => {
    const g = smallCnn();
    const gpu = await compileGpuGraph(checkedOrThrow(g), { batchSize: 5, gpu: ctx, seed: 3 });
    const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 0.01 }, gpu.params);
    const rng = new Rng(5);
    gpu.setInput('image', Float32Array.from({ length: 5 * 28 * 28 }, () => rng.normal()));
    gpu.setInput('label', Float32Array.from([0, 3, 9, 3, 1]));
    const hostOf = () => [...gpu.params.map((p) => p.host.value.data), ...gpu.params.map((p) => p.host.grad.data), ...gpu.buffers.map((b) => b.host.value.data)].map((d) => d.slice());
    const initial = hostOf();
    await gpu.trainStep(opt, 0.01);
    expect(hostOf()).toEqual(initial);
    const weights = await Promise.all(gpu.params.map((p) => ctx.read(p.value)));
    const capture: DeviceCapture = { grads: ['conv1', 'bn1', 'relu1', 'pool1', 'flat', 'fc', 'image'], before: true, bins: 32 };
    await gpu.trainStep(opt, 0.01, capture);
    const f = capture.figures!;
    expect(f.updated).toBe(true);
    for (const [i, p] of gpu.params.entries()) {
      const after = await ctx.read(p.value);
      expect(after).not.toEqual(weights[i]); // updated
      expectFigures(`${p.nodeId}.${p.name}`, f.params[i].value, reduceOnHost(after, 32, weights[i]), 2);
      // The gradient with its histogram (the frame's gradHist), in the weights' bins.
      expectFigures(`${p.nodeId}.${p.name} grad`, f.params[i].grad, reduceOnHost(await ctx.read(p.grad), 32), 2);
    }
    for (const id of capture.grads) {
      const want = await gpu.readGrad(id);
      if (want) expectFigures(`d${id}`, f.grads.get(id)!, reduceOnHost(want, 0));
      else expect([id, f.grads.has(id)]).toEqual(['image', false]); // an Input: no gradient, skipped
    }
    // Figures only: the host mirror is left as it was.
    expect(hostOf()).toEqual(initial);
    expect(capture.readbackMs).toBeGreaterThanOrEqual(0);
    // Without `before` the differences are against an older copy: not this step's update.
    const again: DeviceCapture = { grads: [], bins: 32 };
    await gpu.trainStep(opt, 0.01, again);
    expect(again.figures!.updated).toBe(false);
    await expect(gpu.trainStep(opt, 0.01, { grads: [], bins: -1 })).rejects.toMatchObject({ code: 'E_GPU_BAD_ARGS' });
  });

  itDirectOnly('the MNIST MLP: a probed step reads back a few KB, not its tensors', async () => {
    const g = JSON.parse(readFileSync('examples/mnist-mlp.json', 'utf8')) as GraphIR;
    const gpu = await compileGpuGraph(checkedOrThrow(g), { batchSize: 64, gpu: ctx, seed: 1 });
    const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 0.001 }, gpu.params);
    gpu.setInput('label', new Float32Array(64).fill(3));
    const maps = vi.spyOn(ctx, 'mapForRead');
    // What a session asks for: every node but the Inputs and the loss (`ProbeSuite.stepGradNodes`).
    const capture: DeviceCapture = { grads: g.nodes.filter((n) => n.op !== 'Input' && n.id !== 'loss').map((n) => n.id), before: true, bins: 32 };
    await gpu.trainStep(opt, 0.001, capture);
    const sizes = maps.mock.calls.filter(([, what]) => what === 'Reading a probed step back from the GPU').map(([b]) => b.size);
    maps.mockRestore();
    const paramBytes = gpu.params.reduce((a, p) => a + p.value.length * 4, 0);
    const gradNodes = [...capture.figures!.grads.keys()];
    // What the same step read back before (weights before and after, gradients, node gradients).
    const wholeTensors = 3 * paramBytes + gradNodes.reduce((a, id) => a + gpu.host.grad(id)!.data.length * 4, 0);
    // One record of 16 + 32 words per tensor: each parameter, its gradient, each node gradient.
    expect(sizes).toEqual([(2 * gpu.params.length + gradNodes.length) * 48 * 4]);
    expect(gradNodes.length).toBe(7); // flat has no gradient (nothing trainable before it)
    expect(sizes[0]).toBeLessThan(paramBytes / 100);
    console.info(`MNIST MLP probed step readback: ${sizes[0]} bytes (whole tensors: ${wholeTensors} bytes; parameters ${paramBytes} bytes)`);
  });

  it('an unprobed step reads back nothing more than a run without probes', async () => {
    const g = twoMoonsGraph({ epochs: 1, batchSize: 32 }, 240);
    const data = prepareData(loadBuiltinDataset(g.training!.dataset, 1)!, g.training!.dataset, 1);
    const maps = vi.spyOn(ctx, 'mapForRead');
    const count = () => {
      const byWhat = new Map<string, number[]>();
      for (const [buffer, what] of maps.mock.calls) byWhat.set(what, [...(byWhat.get(what) ?? []), buffer.size]);
      maps.mockClear();
      return byWhat;
    };
    const plain = await framesOf(g, data, ctx, false);
    const without = count();
    const probed = await framesOf(g, data, ctx, { everySteps: 3, maxHz: 1e9, budget: 1e9, boundary: 8 });
    const withProbes = count();
    maps.mockRestore();
    expect(plain.frames).toEqual([]);
    const steps = probed.session.step;
    const frames = probed.frames.length;
    expect(frames).toBe(Math.floor(steps / 3) + (steps % 3 === 0 ? 0 : 1)); // every third step, and the epoch's last
    // Every step, probed or not, maps the same step readback (loss, status, prediction) once.
    expect(withProbes.get('Training step on the GPU')).toEqual(without.get('Training step on the GPU'));
    expect(without.get('Training step on the GPU')!.length).toBe(steps);
    // A probed step adds exactly one readback (its reductions' figures), an unprobed one none.
    expect(without.has('Reading a probed step back from the GPU')).toBe(false);
    const probedReads = withProbes.get('Reading a probed step back from the GPU')!;
    expect(probedReads.length).toBe(frames);
    // Figures, not tensors: one record (16 words + 32 bins) per parameter, gradient and node gradient.
    const nodes = probed.session.probes!.stepGradNodes.filter((id) => probed.session.plan.grad(id));
    const params = probed.session.plan.params.length;
    for (const size of probedReads) expect(size).toBe((2 * params + nodes.length) * 48 * 4);
    // Each frame's forwards: the probe batch (its prediction for the samples in a second readback,
    // its activations' figures in a third) and the grid.
    expect(withProbes.get('Reading the probe batch back from the GPU')!.length).toBe(frames);
    const layers = probed.frames[0].layers.length;
    expect(withProbes.get('Reading the probe batch figures back from the GPU')).toEqual(new Array(frames).fill(layers * 48 * 4));
    expect(withProbes.get('Forward pass on the GPU')!.length - without.get('Forward pass on the GPU')!.length).toBe(2 * frames);
  }, 120_000);
});
