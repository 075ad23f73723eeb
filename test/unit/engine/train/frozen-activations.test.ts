/**
 * A frozen prefix keeps no activations (#59 deliverable 3): the training loop's plans put the
 * outputs and workspaces of the nodes no backward reads (a frozen backbone) in one shared arena,
 * live only while the forward needs them. Training is the same bit for bit, the plan allocates
 * less by about the backbone's activations, and a node asked for (a probe's) keeps its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { frozenCnn } from './frozen-cnn';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { packIntervals, type LiveRange } from '../../../../src-engine/core/autodiff/frozen-arena';
import type { Backend } from '../../../../src-engine/core/backend/types';
import { prepareData } from '../../../../src-engine/core/data';
import { TrainingLoop } from '../../../../src-engine/core/train';
import { TrainingSession } from '../../../../src-engine/app/session';
import { Rng } from '../../../../src-engine/base/rng';
import { createCpuBackend, type CpuBackend } from '../../../../src-engine/node/cpu';
import { loadDataset } from '../../../../src-engine/node/datasets';

/** The nodes before the head that no backward reads (`flat` is read by the trained head's). */
const PREFIX = ['conv1', 'bn1', 'relu1', 'pool1', 'conv2', 'bn2', 'relu2', 'pool2'];

/** The frozen-backbone CNN (frozen-cnn.ts), on 200 MNIST samples. */
function cnn(): GraphIR {
  return frozenCnn({ dataset: { name: 'mnist', options: { normalize: 'global' }, validationSplit: 0.1, limit: 200 } });
}

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

/** `cpu` counting the floats allocated through it. */
function counted(): { backend: Backend; floats: () => number } {
  let n = 0;
  return { backend: { ...cpu, alloc: (length: number) => ((n += length), cpu.alloc(length)) }, floats: () => n };
}

/** Two epochs every step running the backbone (no feature cache), the plans sharing the prefix's storage or not. */
async function train(share: boolean) {
  const g = cnn();
  const c = g.training!;
  const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
  const { backend, floats } = counted();
  const losses: number[] = [];
  const loop = new TrainingLoop(g, data, backend, {
    compile: (checked, o) => compileGraph(checked, { ...o, shareFrozenActivations: share && o.shareFrozenActivations }),
    featureCache: false,
    validate: true,
    test: false,
    hooks: [{ afterForward: (ctx) => (losses.push(ctx.loss), 'ok') }],
  });
  const result = await loop.run();
  return { losses, weights: loop.plan.params.map((p) => p.value.data.slice()), floats: floats(), val: result.val, plan: loop.plan };
}

describe('a frozen prefix keeps no activations (#59)', () => {
  it('trains to the same losses, weights and validation figures bit for bit, allocating less by about the backbone’s outputs', async () => {
    const kept = await train(false);
    const shared = await train(true);
    expect(shared.losses.length).toBeGreaterThan(8);
    expect(shared.losses).toEqual(kept.losses);
    expect(shared.weights).toEqual(kept.weights);
    expect(shared.val).toEqual(kept.val);
    // What the prefix's outputs and BatchNorms' normalised inputs take per plan (a full batch and the last, partial one).
    const size = (id: string) => kept.plan.output(id).data.length + Object.values(kept.plan.workspace(id)).reduce((a, t) => a + t.data.length, 0);
    const perBatch = PREFIX.reduce((a, id) => a + size(id), 0);
    // The old plans hold all of it in each plan; the shared ones at most the largest few live at once.
    expect(kept.floats - shared.floats).toBeGreaterThan(perBatch);
  });

  it('gives a node asked for its own storage, which the forwards after then write (a probe reads the backbone’s activations)', () => {
    const checked = checkedOrThrow(cnn());
    const plain = compileGraph(checked, { batchSize: 16, backend: cpu, seed: 3 });
    const shared = compileGraph(checked, { batchSize: 16, backend: cpu, seed: 3, shareFrozenActivations: true });
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 16 * 28 * 28 }, () => rng.normal());
    const asked = shared.output('relu1');
    for (const p of [plain, shared]) {
      p.input('image').data.set(x);
      p.input('label').data.set(Float32Array.from({ length: 16 }, (_, i) => i % 10));
    }
    expect(shared.forward(true)).toBe(plain.forward(true));
    // (relu1 is inside the CPU backend's fused Conv2d → BatchNorm → ReLU: written when read.)
    expect(shared.output('relu1')).toBe(asked);
    expect(asked.data).toEqual(plain.output('relu1').data);
    // conv2 is not asked for before the forward: its storage is shared (and not even written: the
    // CPU backend's fused Conv2d → frozen BatchNorm → ReLU computes it when read, from pool1, whose
    // storage later nodes wrote over).
    expect(shared.output('conv2').data).not.toEqual(plain.output('conv2').data);
    shared.forward(true);
    expect(shared.output('conv2').data).toEqual(plain.output('conv2').data);
  });

  it('in the app\'s run (its divergence guard, probes off) the backbone keeps none either: the guard reads only the outputs a plan keeps', async () => {
    const g = cnn();
    const c = g.training!;
    const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
    const session = new TrainingSession('frozen', g, data, cpu, { compile: compileGraph, probes: false, emit: () => {} });
    const plan = session.plan;
    // before any step, no prefix node has storage of its own
    expect(PREFIX.filter((id) => plan.keepsOutput(id))).toEqual([]);
    expect(plan.keepsOutput('fc')).toBe(true);
    await session.run();
    // The first step's reference (and every step after) left the prefix in the shared arena: the
    // guard asked every node's output before, pinning each (with the features cached too, where
    // the prefix does not even run).
    expect(PREFIX.filter((id) => plan.keepsOutput(id))).toEqual([]);
  });

  it('packs live ranges so that no two live at the same step overlap, in less than their sum', () => {
    const rng = new Rng(11);
    const ranges: LiveRange[] = Array.from({ length: 200 }, () => {
      const start = rng.int(60);
      return { start, end: start + rng.int(6), size: 1 + rng.int(5000) };
    });
    const { offsets, floats } = packIntervals(ranges);
    let sum = 0;
    ranges.forEach((a, i) => {
      sum += a.size;
      expect(offsets[i] % 16).toBe(0);
      expect(offsets[i] + a.size).toBeLessThanOrEqual(floats);
      ranges.forEach((b, j) => {
        if (j <= i || a.end < b.start || b.end < a.start) return;
        expect(offsets[i] + a.size <= offsets[j] || offsets[j] + b.size <= offsets[i]).toBe(true);
      });
    });
    expect(floats).toBeLessThan(sum / 2);
  });
});
