/**
 * Issue #31: the recurrent ops train inside a graph. Two moons read as a sequence of two steps
 * (x, then y) through an LSTM or a GRU: the same losses on the reference and the CPU (WebAssembly)
 * backends, whose recurrences run through each backend's GEMM, and the loss falls; the activation
 * probe summarises a recurrent node's output like any layer's (no traits: no dead-unit or tail
 * figures).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationProbe } from '../../../src-engine/app/probes/activation-probe';
import { TensorSummarizer } from '../../../src-engine/app/probes/summary';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { prepareData } from '../../../src-engine/core/data';
import { Trainer } from '../../../src-engine/core/train';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { loadDataset } from '../../../src-engine/node/datasets';
import { twoMoonsGraph } from '../session/fixtures';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

/** Two moons as a sequence [x, y] of one feature per step, through `op`. */
function sequenceGraph(op: 'LSTM' | 'GRU'): GraphIR {
  const g = twoMoonsGraph({ epochs: 4 }, 256);
  g.nodes = [
    { id: 'xy', op: 'Input', attrs: { shape: [2, 1], source: 'features' }, inputs: [] },
    { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'rnn', op, attrs: { hiddenSize: 8, numLayers: 2, output: 'last' }, inputs: ['xy'] },
    { id: 'fc3', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['rnn'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc3', 'label'] },
  ];
  return g;
}

async function train(g: GraphIR, backend: ConstructorParameters<typeof Trainer>[2]) {
  const t = g.training!;
  const data = prepareData(loadDataset(t.dataset, t.seed), t.dataset, t.seed);
  const losses: number[] = [];
  await new Trainer(g, data, backend, { compile: compileGraph, onStepLoss: (_, l) => losses.push(l) }).run();
  return losses;
}

describe.each(['LSTM', 'GRU'] as const)('%s in a graph', (op) => {
  it('trains the same on the reference and CPU backends, and the loss falls', async () => {
    const ref = await train(sequenceGraph(op), createReferenceBackend());
    const onCpu = await train(sequenceGraph(op), cpu);
    expect(ref.length).toBe(24);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(onCpu[i] - ref[i]), `step ${i}`).toBeLessThan(1e-4 * Math.max(1, ref[i]));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(ref.slice(-4))).toBeLessThan(mean(ref.slice(0, 4)));
  });

  it('the activation probe summarises its output like any layer’s', () => {
    const g = sequenceGraph(op);
    const plan = compileGraph(checkedOrThrow(g), { batchSize: 4, backend: createReferenceBackend(), seed: 3 });
    plan.input('xy').data.forEach((_, i, a) => (a[i] = Math.sin(i)));
    plan.forward(false);
    const e = new ActivationProbe(g, plan, new TensorSummarizer(8)).measure(null).find((x) => x.nodeId === 'rnn')!;
    expect(e.shape).toEqual([8]);
    expect(e.deadFrac).toBeUndefined();
    expect(e.saturatedFrac).toBeUndefined();
    expect(Array.from(e.hist.counts as ArrayLike<number>).reduce((s, c) => s + c, 0)).toBe(4 * 8);
  });
});
