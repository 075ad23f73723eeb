/**
 * A frozen backbone's probes are computed once (#59 deliverable 4): its outputs on the fixed
 * probe batch never change, so the probe suite runs it at the first frame only and the layers
 * after it from its kept outputs at every frame after, and summarises its weights once — to the
 * same frames as computing all of it each time. Where a layer's outputs do change (a frozen
 * BatchNorm on batch statistics, `frozenBatchNorm: 'train'`, whose running statistics training
 * updates), the prefix ends before it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freezeNodes } from '../../../src-engine/base/ir/freeze';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { ProbeSuite, TensorSummarizer } from '../../../src-engine/app/probes';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { prepareData } from '../../../src-engine/core/data';
import { TrainingLoop } from '../../../src-engine/core/train';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { loadDataset } from '../../../src-engine/node/datasets';
import { countingConv, frozenCnn } from '../engine/train/frozen-cnn';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

type Frame = ReturnType<ProbeSuite['capture']>;

/**
 * Two epochs of `g` (100 samples, batch 32), a frame after every step from two suites over the
 * loop's plan: one keeping the frozen figures (taken first, so it finds what the step left in the
 * plan), one computing all of them (`frozenOnce: false`); the probe batch is the training batch's
 * size, so the probe plan is the training plan. Each frame with the Conv2d samples its forward
 * computed and the frozen weight tensors it summarised.
 */
async function framesOf(g: GraphIR) {
  const c = g.training!;
  const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
  const { backend, samples } = countingConv(cpu);
  const suites: ProbeSuite[] = [];
  const taken: { frame: Frame; conv: number; frozen: number }[][] = [[], []];
  const options = { batch: 32, samples: 4, bins: 16, boundary: 0 };
  const summarized = vi.spyOn(TensorSummarizer.prototype, 'summarize');
  let frozen = new Set<Float32Array>();
  const loop = new TrainingLoop(g, data, backend, {
    compile: compileGraph,
    validate: false,
    test: false,
    hooks: [
      {
        setup: (l) => {
          suites.push(new ProbeSuite(l.graph, l.plan as CompiledGraph, data, l.binding, options, c.seed));
          suites.push(new ProbeSuite(l.graph, l.plan as CompiledGraph, data, l.binding, { ...options, frozenOnce: false }, c.seed));
          frozen = new Set(l.plan.params.filter((p) => p.frozen).map((p) => p.value.data));
        },
        beforeUpdate: () => suites.forEach((s) => s.gradients.beforeUpdate()),
        afterStep: (ctx) => {
          suites.forEach((s, k) => {
            const before = samples();
            const calls = summarized.mock.calls.length;
            const { costMs: _cost, ...frame } = s.capture(ctx.graph as CompiledGraph, { step: ctx.step, epoch: ctx.epoch, loss: ctx.loss });
            const summaries = summarized.mock.calls.slice(calls).filter(([data]) => frozen.has(data)).length;
            taken[k].push({ frame: { ...frame, costMs: 0 }, conv: samples() - before, frozen: summaries });
          });
        },
      },
    ],
  });
  await loop.run().finally(() => summarized.mockRestore());
  const [kept, whole] = taken;
  return {
    kept: kept.map((t) => t.frame),
    whole: whole.map((t) => t.frame),
    keptConv: kept.map((t) => t.conv),
    wholeConv: whole.map((t) => t.conv),
    keptFrozen: kept.map((t) => t.frozen),
    wholeFrozen: whole.map((t) => t.frozen),
    frozenTensors: frozen.size,
  };
}

const data100 = { dataset: { name: 'mnist', options: { normalize: 'global' as const }, validationSplit: 0.1, limit: 100 } };

describe('a frozen backbone’s probes are computed once (#59)', () => {
  it('runs the frozen convolutions and summarises the frozen weights at the first frame only, to the same frames as all of it each time', async () => {
    const { kept, whole, keptConv, wholeConv, keptFrozen, wholeFrozen, frozenTensors } = await framesOf(frozenCnn(data100));
    expect(kept.length).toBeGreaterThanOrEqual(6);
    expect(kept).toEqual(whole);
    // conv1, bn1, conv2, bn2: a weight and a bias each.
    expect(frozenTensors).toBe(8);
    expect(wholeFrozen).toEqual(whole.map(() => 8));
    expect(keptFrozen).toEqual([8, ...kept.slice(1).map(() => 0)]);
    // Two convolutions on 32 probe samples: every frame of the whole graph, the first of the kept prefix's.
    expect(wholeConv).toEqual(whole.map(() => 64));
    expect(keptConv).toEqual([64, ...kept.slice(1).map(() => 0)]);
    // The head learns meanwhile: its activations and the predictions change from frame to frame.
    expect(kept.at(-1)!.layers.find((l) => l.nodeId === 'fc')!.stats).not.toEqual(kept[0].layers.find((l) => l.nodeId === 'fc')!.stats);
    expect(kept.at(-1)!.samples).not.toEqual(kept[0].samples);
  }, 60_000);

  it('a random transform and a Dropout before a frozen layer keep it (the probe batch is drawn once, an eval forward draws nothing)', async () => {
    const g = frozenCnn({ dataset: { ...data100.dataset, transform: { kind: 'salt-pepper', fraction: 0.1 } } });
    const nodes = g.nodes.map((n) => (n.id === 'conv2' ? { ...n, inputs: ['drop'] } : n));
    nodes.splice(nodes.findIndex((n) => n.id === 'conv2'), 0, { id: 'drop', op: 'Dropout', attrs: { p: 0.2 }, inputs: ['pool1'] });
    // The training loop runs this backbone every step (no feature cache: its samples differ every epoch), over the probe plan's storage.
    const { kept, whole, keptConv } = await framesOf({ ...g, nodes });
    expect(kept).toEqual(whole);
    expect(keptConv).toEqual([64, ...kept.slice(1).map(() => 0)]);
  }, 60_000);

  it("frozenBatchNorm 'train' ends the prefix before the first BatchNorm, whose running statistics change: the same frames", async () => {
    const { kept, whole, keptConv, wholeConv } = await framesOf(frozenCnn({ ...data100, frozenBatchNorm: 'train' }));
    expect(kept).toEqual(whole);
    // conv1 is kept; conv2, after bn1, runs every frame.
    expect(keptConv).toEqual([64, ...kept.slice(1).map(() => 32)]);
    expect(wholeConv).toEqual(whole.map(() => 64));
    const bn1 = (f: Frame) => f.layers.find((l) => l.nodeId === 'bn1')!.stats;
    expect(bn1(kept.at(-1)!)).not.toEqual(bn1(kept[0]));
  }, 60_000);

  it('a frozen LSTM stays out of it: the sequence probe reads its gates every frame, which the training steps overwrite', async () => {
    const example = JSON.parse(readFileSync('examples/mnist-lstm.json', 'utf8')) as GraphIR;
    const nodes = freezeNodes(example.nodes.map((n) => (n.op === 'LSTM' ? { ...n, attrs: { ...n.attrs, hiddenSize: 8 } } : n)), ['lstm'], true);
    // The transform keeps the feature cache off: every step runs the LSTM on its batch, in the probe plan.
    const training = { ...example.training!, ...data100, dataset: { ...data100.dataset, transform: { kind: 'salt-pepper' as const, fraction: 0.1 } }, batchSize: 32, epochs: 2, schedule: undefined };
    const { kept, whole } = await framesOf({ ...example, nodes, training });
    expect(kept[0].sequences?.[0]).toMatchObject({ nodeId: 'lstm', steps: 28 });
    expect(kept).toEqual(whole);
  }, 60_000);
});
