import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../../src-engine/core/data';
import type { GraphIR, TrainingConfig } from '../../../../src-engine/base/ir/types';
import { TrainingLoop } from '../../../../src-engine/core/train';

/** Blobs through Linear → BatchNorm → ReLU → Dropout(p) → Linear. */
function graph(p: number, evaluation?: TrainingConfig['evaluation']): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
      { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 32 }, inputs: ['x'] },
      { id: 'bn', op: 'BatchNorm', attrs: {}, inputs: ['fc1'] },
      { id: 'act', op: 'ReLU', attrs: {}, inputs: ['bn'] },
      { id: 'drop', op: 'Dropout', attrs: { p }, inputs: ['act'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['drop'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc2', 'y'] },
    ],
    outputs: { logits: 'fc2' },
    training: {
      dataset: { name: 'blobs', options: { samples: 600, classes: 3, noise: 1.0 }, validationSplit: 0.2 },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.01 },
      batchSize: 32,
      epochs: 3,
      seed: 3,
      metrics: ['accuracy'],
      ...(evaluation ? { evaluation } : {}),
    },
  };
}

async function run(g: GraphIR) {
  const c = g.training!;
  const data = prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed);
  const loop = new TrainingLoop(g, data, createReferenceBackend(), { compile: compileGraph });
  return { r: await loop.run() };
}

describe("the evaluation mode switch (training.evaluation: what model.eval() does)", () => {
  it("evaluating with eval() forgotten keeps Dropout dropping: the same weights score worse than in eval mode", async () => {
    // The first validation happens before any evaluation could change the weights or the rng: both runs have identical weights there.
    const g1 = graph(0.7);
    const g1e = { ...g1, training: { ...g1.training!, epochs: 1 } };
    const g2e = { ...g1e, training: { ...g1e.training!, evaluation: 'train' as const } };
    const evalMode = await run(g1e);
    const forgotten = await run(g2e);
    expect(forgotten.r.val!.loss!).toBeGreaterThan(evalMode.r.val!.loss! * 1.05);
    expect(forgotten.r.test!.accuracy!).toBeLessThan(evalMode.r.test!.accuracy!);
  });

  it("is recorded in the training section and defaults to eval mode (a graph without it evaluates exactly as before)", async () => {
    const a = await run(graph(0.3));
    const b = await run(graph(0.3, 'eval'));
    expect(b.r.test).toEqual(a.r.test);
    expect(b.r.val).toEqual(a.r.val);
  });
});
