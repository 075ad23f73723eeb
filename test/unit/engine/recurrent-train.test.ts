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
import { SequenceProbe, TRACE_UNITS } from '../../../src-engine/app/probes/sequence-probe';
import { SequenceTrace } from '../../../src-engine/protocol';
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

  it('the sequence probe shows its gates and hidden state per step, and the gradient by time its backward recorded (reference and CPU)', () => {
    const T = 7;
    const g = sequenceGraph(op);
    g.nodes[0].attrs = { shape: [T, 1], source: 'features' };
    g.nodes[2].attrs = { hiddenSize: 20, numLayers: 1, output: 'sequence' };
    g.nodes.splice(3, 0, { id: 'lastStep', op: 'Flatten', attrs: {}, inputs: ['rnn'] });
    g.nodes[4].inputs = ['lastStep'];
    for (const backend of [createReferenceBackend(), cpu]) {
      const plan = compileGraph(checkedOrThrow(g), { batchSize: 3, backend, seed: 5 });
      plan.input('xy').data.forEach((_, i, a) => (a[i] = Math.sin(0.7 * i)));
      plan.input('label').data.set([0, 1, 1]);
      plan.forward(true);
      plan.backward();
      const [trace] = new SequenceProbe(g, plan).measure(plan);
      expect(SequenceTrace.parse(trace)).toEqual(trace);
      expect(trace).toMatchObject({ nodeId: 'rnn', op, steps: T });
      expect(trace.gates.map((x) => x.name)).toEqual(op === 'LSTM' ? ['input', 'forget', 'cell', 'output'] : ['reset', 'update', 'candidate']);
      // The first TRACE_UNITS of 20 units, every step, inside each gate's range.
      const h = plan.output('rnn').data;
      expect(trace.hidden.length).toBe(TRACE_UNITS);
      for (let j = 0; j < TRACE_UNITS; j++) for (let t = 0; t < T; t++) expect(trace.hidden[j][t]).toBeCloseTo(h[t * 20 + j], 5);
      for (const gate of trace.gates) {
        expect(gate.values.length).toBe(TRACE_UNITS);
        for (const row of gate.values) for (const v of row) expect(v! >= gate.range[0] && v! <= gate.range[1]).toBe(true);
      }
      // The last step's ‖dL/dh‖ is the output gradient's at that step alone; the earlier ones add the way back through time.
      const dy = plan.grad('rnn')!.data;
      const norm = (t: number) => Math.hypot(...Array.from({ length: 3 * 20 }, (_, i) => dy[Math.floor(i / 20) * T * 20 + t * 20 + (i % 20)]));
      expect(trace.gradByTime).toHaveLength(T);
      expect(trace.gradByTime![T - 1]).toBeCloseTo(norm(T - 1), 5);
      for (const v of trace.gradByTime!) expect(v).toBeGreaterThan(0);
    }
  });
});

