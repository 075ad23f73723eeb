import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { DecisionBoundaryProbe } from '../../../src-engine/app/probes';
import { TrainingSession } from '../../../src-engine/app/session';
import { Trainer } from '../../../src-engine/core/train';
import { twoMoonsGraph } from './fixtures';

const graph = twoMoonsGraph({ epochs: 2, batchSize: 16 }, 300);
graph.nodes.splice(4, 0, { id: 'drop', op: 'Dropout', attrs: { p: 0.2 }, inputs: ['relu1'] });
graph.nodes.find((n) => n.id === 'fc2')!.inputs = ['drop'];
const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);

async function sessionWeights(probes: boolean, probeBatch = 64): Promise<Float32Array[]> {
  let frames = 0;
  const s = new TrainingSession('t', graph, data, createReferenceBackend(), {
    compile: compileGraph,
    // No rate limit (beyond what the protocol allows): a frame after every step.
    probes: probes ? { everySteps: 1, maxHz: 1e9, budget: 1e9, boundary: 8, batch: probeBatch } : false,
    emit: (event, d) => {
      if (event === 'probe.frame') {
        frames++;
        queueMicrotask(() => s.ackFrame((d as { seq: number }).seq));
      }
    },
  });
  await s.run();
  expect(frames).toBe(probes ? 2 * s.stepsPerEpoch : 0);
  return s.plan.params.map((p) => p.value.data.slice());
}

describe('TrainingSession', () => {
  it('trains exactly as the Trainer does (same seed, same weights bit for bit), with or without probes on every step', async () => {
    const plain = await sessionWeights(false);
    const probed = await sessionWeights(true);
    expect(probed).toEqual(plain); // probes read; they never touch weights, Dropout's rng or BatchFeeder order
    // A probe batch the size of the training batch shares the training plan's storage: still identical.
    expect(await sessionWeights(true, 16)).toEqual(plain);
    let trainerPlan: ReturnType<typeof compileGraph> | null = null;
    const trainer = new Trainer(graph, data, createReferenceBackend(), { compile: (g, o) => (trainerPlan = compileGraph(g, o)) });
    await trainer.run();
    expect(trainerPlan!.params.map((p) => p.value.data)).toEqual(plain);
  });
});

describe('TrainingSession probe cadence', () => {
  it('always probes the last step of every epoch, so the final charts show the trained model', async () => {
    const steps: number[] = [];
    const s = new TrainingSession('cadence', graph, data, createReferenceBackend(), {
      compile: compileGraph,
      // A rate limit that would allow only the very first frame of this short run.
      probes: { maxHz: 1e-3, boundary: 8 },
      emit: (event, d) => {
        if (event !== 'probe.frame') return;
        steps.push((d as { step: number }).step);
        queueMicrotask(() => s.ackFrame((d as { seq: number }).seq));
      },
    });
    await s.run();
    await new Promise((r) => setTimeout(r, 0));
    expect(steps.at(-1)).toBe(2 * s.stepsPerEpoch);
    expect(steps).toContain(s.stepsPerEpoch);
  });
});

describe('DecisionBoundaryProbe', () => {
  it('covers the data range plus 10%, row 0 at the top, and reports the argmax class per cell', () => {
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 1,
      nodes: [
        { id: 'xy', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['xy'] },
      ],
      outputs: { logits: 'fc' },
    };
    const plan = compileGraph(checkedOrThrow(g), { batchSize: 4, backend: createReferenceBackend(), seed: 0 });
    // logits = [-y, y]: class 1 above the x axis, class 0 below.
    const [w, b] = plan.params;
    w.value.data.set([0, -1, 0, 1]);
    b.value.data.fill(0);
    const probe = new DecisionBoundaryProbe(plan, { featureInput: 'xy', targetInput: null, predictionNode: 'fc', scores: 'logits' }, new Float32Array([-1, -2, 1, 2]), 4);
    const m = probe.measure();
    expect(m.x).toEqual([-1.2, 1.2]);
    expect(m.y).toEqual([-2.4, 2.4]);
    expect(Array.from(m.classes)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Cell centres at y = ±0.6 and ±1.8: confidence σ(2y).
    expect(m.confidence[0]).toBeCloseTo(1 / (1 + Math.exp(-3.6)), 3);
    expect(m.confidence[4]).toBeCloseTo(1 / (1 + Math.exp(-1.2)), 3);
  });
});
