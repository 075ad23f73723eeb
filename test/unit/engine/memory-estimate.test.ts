/**
 * The run memory estimate's parts (issue #32 item 5; `bench/memory.ts` sets the estimate beside
 * the engine's measured peak): the optimizer buffer count it assumes is what each optimizer
 * really keeps, and a checkpoint taken into a kept one, or a view, allocates no tensor. And an
 * inference plan holds no gradients (#47).
 */
import { describe, expect, it } from 'vitest';
import type { OptimizerConfig } from '../../../src-engine/base/ir/types';
import { readFileSync } from 'node:fs';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { tensor } from '../../../src-engine/base/tensor';
import { estimateRunMemory } from '../../../src-engine/core/analysis/memory';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { prepareData } from '../../../src-engine/core/data';
import { createOptimizer } from '../../../src-engine/core/optim';
import { optimizerSlots } from '../../../src-engine/core/optim/registry';
import { TrainingLoop } from '../../../src-engine/core/train/loop';
import { loadDataset } from '../../../src-engine/node/datasets';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { inferencePlan } from '../../../src-engine/core/export/infer';
import { modelFromCheckpoint } from '../../../src-engine/core/export/model';
import type { Backend } from '../../../src-engine/core/backend/types';

/** Two epochs of the iris MLP on the reference backend. */
async function makeLoop(): Promise<TrainingLoop> {
  const g = JSON.parse(readFileSync('examples/iris-mlp.json', 'utf8')) as GraphIR;
  g.training = { ...g.training!, epochs: 2 };
  const t = g.training;
  const data = prepareData(loadDataset(t.dataset, t.seed), t.dataset, t.seed);
  return new TrainingLoop(g, data, createReferenceBackend(), { compile: compileGraph, test: false, yieldToHost: () => Promise.resolve() });
}

describe('the run memory estimate', () => {
  it('counts the optimizer buffers each optimizer keeps', () => {
    const configs: OptimizerConfig[] = [
      { kind: 'sgd', lr: 0.1 },
      { kind: 'sgd', lr: 0.1, momentum: 0.9 },
      { kind: 'adam', lr: 1e-3 },
      { kind: 'adam', lr: 1e-3, amsgrad: true },
      { kind: 'adamw', lr: 1e-3 },
      { kind: 'rmsprop', lr: 1e-3 },
      { kind: 'rmsprop', lr: 1e-3, momentum: 0.9, centered: true },
    ];
    for (const c of configs) {
      const p = { nodeId: 'fc', name: 'weight', value: tensor([3]), grad: tensor([3]), decay: true };
      const slots = createOptimizer(c, [p]).state().slots['fc.weight'];
      expect([c, Object.keys(slots).length]).toEqual([c, optimizerSlots(c)]);
    }
  });

  it('adds its parts: resident, model (weights, gradients, optimizer buffers), checkpoint copies, two plans of activations', () => {
    const e = estimateRunMemory({ params: 1000, activationsPerSample: 50, batchSize: 8, optimizerSlots: 2, checkpointCopies: 3, residentBytes: 1e6 });
    expect(e.parts).toEqual({ resident: 1e6, model: 4 * 1000 * 4, checkpoints: 4 * 1000 * 3 * 3, activations: 4 * 2 * 50 * 2 * 8, data: 0 });
    expect(e.bytes).toBe(1e6 + 16_000 + 36_000 + 6_400);
    // A folder streamed from disk: its memory budget (decoded images it may come to hold) is counted too.
    const streamed = estimateRunMemory({ params: 1000, activationsPerSample: 50, batchSize: 8, optimizerSlots: 2, checkpointCopies: 3, residentBytes: 1e6, streamedDataBytes: 2 ** 28 });
    expect(streamed.parts.data).toBe(2 ** 28);
    expect(streamed.bytes).toBe(e.bytes + 2 ** 28);
  });

  it('a checkpoint captured into a kept one reuses its arrays; a view is the live tensors', async () => {
    const loop = await makeLoop();
    await loop.run();
    const kept = loop.capture();
    const arrays = [...Object.values(kept.params), ...Object.values(kept.optimizer.slots).flatMap((s) => Object.values(s))];
    const again = loop.capture({}, kept);
    expect(again).toBe(kept);
    expect([...Object.values(again.params), ...Object.values(again.optimizer.slots).flatMap((s) => Object.values(s))]).toEqual(arrays);
    arrays.forEach((a, i) => expect(a, `array ${i}`).toBe(arrays[i]));
    const view = loop.view();
    for (const p of loop.plan.params) expect(view.params[`${p.nodeId}.${p.name}`]).toBe(p.value.data);
    expect(Object.values(view.params)).toEqual(Object.values(kept.params));
  });

  it('an inference plan holds its weights once: no gradient buffers; a training plan gets them at its first backward', () => {
    const g = JSON.parse(readFileSync('examples/mnist-mlp.json', 'utf8')) as GraphIR;
    const checked = checkedOrThrow(g);
    let floats = 0;
    const ref = createReferenceBackend();
    const counting: Backend = { ...ref, alloc: (n) => ((floats += n), ref.alloc(n)) };
    const train = compileGraph(checked, { batchSize: 1, backend: counting, seed: 1 });
    const params = train.params.reduce((n, p) => n + p.value.data.length, 0);
    const model = modelFromCheckpoint(g, { params: Object.fromEntries(train.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data])), buffers: {}, step: 0, epoch: 0 });
    floats = 0;
    const plan = inferencePlan(model, 1, counting, checked);
    plan.forward(false);
    expect(floats).toBeGreaterThanOrEqual(params);
    expect(floats).toBeLessThan(1.1 * params);
    floats = 0;
    train.input('image').data.fill(0.5);
    train.input('label').data.fill(3);
    train.forward(true);
    train.backward();
    expect(floats).toBeGreaterThanOrEqual(params);
    expect(train.params.every((p) => p.grad.data.some((v) => v !== 0))).toBe(true);
  });
});
