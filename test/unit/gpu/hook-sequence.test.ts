/**
 * One step body (#28 item 4): the same hook recorder given to the one `TrainingLoop` over the CPU
 * plan (reference backend) and over the GPU plan (SwiftShader), same graph, seed and batches, sees
 * the same calls in the same order with the same step, epoch, batch and group — `afterForward`,
 * `afterBackward` and `beforeUpdate` included, which the GPU's old fused step never called —
 * and `afterForward` sees the loss of the forward, before the update, on both.
 *
 * The recorder asks for one retry (a divergence guard's verdict) at a fixed step: both plans then
 * skip that batch's backward and update and train it again. Two graphs: the two-moons MLP with
 * one optimizer group, and the same with two (`training.groups`), whose steps call the per-group
 * hooks once per group. Loss bound: 1e-4 relative (train-loop.test.ts: the GPU sums the same
 * float32 products in other orders; measured ≤ 8e-7 here on SwiftShader).
 *
 * Here too, sharing the device's compiled pipelines (a file of its own paid 11 s to compile them
 * again): the learning-rate range test (#48), a configuration of the same loop, on the GPU plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { buildGpuTrainable } from '../../../src-engine/core/gpu/trainable';
import { TrainingLoop, findLearningRate, type Checkpoint, type CompileFn, type LoopHooks, type StepContext, type StepVerdict } from '../../../src-engine/core/train';
import { checkGraph } from '../../../src-engine/core/analysis/checked';
import { twoMoonsGraph } from '../session/fixtures';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

interface Call {
  hook: string;
  /** epoch.batch.group @ step, for the per-step hooks; the split or epoch otherwise. */
  at: string;
  loss?: number;
}

/** Records every hook the loop calls; says `retry` once, at the forward of step `retryAt`'s first group. */
function recorder(retryAt: number): { hooks: LoopHooks; calls: Call[] } {
  const calls: Call[] = [];
  let retried = false;
  const at = (c: StepContext) => `${c.epoch}.${c.batch}.${c.group}@${c.step}`;
  const hooks: LoopHooks = {
    afterForward(c): StepVerdict {
      calls.push({ hook: 'afterForward', at: at(c), loss: c.loss });
      if (c.step === retryAt && c.group === 0 && !retried) {
        retried = true;
        return 'retry';
      }
      return 'ok';
    },
    afterBackward(c) {
      calls.push({ hook: 'afterBackward', at: at(c), loss: c.loss });
      return 'ok';
    },
    beforeUpdate(c) {
      calls.push({ hook: 'beforeUpdate', at: at(c), loss: c.loss });
    },
    afterStep(c) {
      calls.push({ hook: 'afterStep', at: at(c), loss: c.loss });
    },
    afterEpoch(e) {
      calls.push({ hook: 'afterEpoch', at: `${e.epoch}@${e.step}` });
    },
    onEvaluation(split) {
      calls.push({ hook: 'onEvaluation', at: split });
    },
  };
  return { hooks, calls };
}

async function record(g: GraphIR, compile: CompileFn): Promise<{ calls: Call[]; steps: number }> {
  const data = prepareData(loadBuiltinDataset(g.training!.dataset, g.training!.seed)!, g.training!.dataset, g.training!.seed);
  const r = recorder(2);
  // Progress reports depend on the clock; the recorder leaves them out.
  const loop = new TrainingLoop(g, data, createReferenceBackend(), { compile, hooks: [r.hooks] });
  const done = await loop.run();
  return { calls: r.calls, steps: done.steps };
}

const cpu: CompileFn = (checked, o) => compileGraph(checked, o);
const gpu: CompileFn = (checked, o) => buildGpuTrainable(checked, { gpu: ctx, batchSize: o.batchSize, seed: o.seed });

function grouped(): GraphIR {
  const g = twoMoonsGraph({ epochs: 2, batchSize: 32 }, 80);
  g.training!.groups = [
    { name: 'body', params: { nodes: ['fc1', 'fc2'] }, loss: 'loss' },
    { name: 'head', params: { nodes: ['fc3'] }, loss: 'loss' },
  ];
  return g;
}

describe('the hooks of a step are the same on the CPU and the GPU plan', () => {
  for (const [name, make] of [
    ['one optimizer group', () => twoMoonsGraph({ epochs: 2, batchSize: 32 }, 80)],
    ['two optimizer groups', grouped],
  ] as const) {
    it(name, async () => {
      const { calls: onCpu, steps } = await record(make(), cpu);
      const { calls: onGpu } = await record(make(), gpu);
      // Every step once, the retried one's first group twice (its forward only).
      const groups = name === 'two optimizer groups' ? 2 : 1;
      expect(steps).toBeGreaterThan(2);
      expect(onCpu.filter((c) => c.hook === 'afterStep')).toHaveLength(steps);
      expect(onCpu.filter((c) => c.hook === 'beforeUpdate')).toHaveLength(steps * groups);
      expect(onCpu.filter((c) => c.hook === 'afterForward')).toHaveLength(steps * groups + 1);
      expect(onGpu.map((c) => `${c.hook} ${c.at}`)).toEqual(onCpu.map((c) => `${c.hook} ${c.at}`));
      onCpu.forEach((c, i) => {
        if (c.loss === undefined) return;
        expect(Math.abs(onGpu[i].loss! - c.loss) / Math.abs(c.loss), `${c.hook} ${c.at}`).toBeLessThanOrEqual(1e-4);
      });
      // Within a group's step every phase sees the loss of its forward, before the update.
      for (const calls of [onCpu, onGpu]) {
        for (let i = 0; i + 2 < calls.length; i++) {
          if (calls[i].hook !== 'afterForward' || calls[i + 1].hook !== 'afterBackward') continue;
          expect(calls[i + 1].loss).toBe(calls[i].loss);
          expect(calls[i + 2]).toMatchObject({ hook: 'beforeUpdate', loss: calls[i].loss });
        }
      }
    });
  }
});

describe('findLearningRate on the GPU', () => {
  it('suggests what the CPU suggests and leaves the device weights and optimizer state as they were', async () => {
    const checked = checkGraph(twoMoonsGraph({ batchSize: 16 }, 400)).graph!;
    const t = checked.training!;
    const data = prepareData(loadBuiltinDataset(t.dataset, t.seed)!, t.dataset, t.seed);
    const range = { start: 1e-3, end: 100, steps: 30 };
    const backend = createReferenceBackend();
    let loop!: TrainingLoop;
    let before!: Checkpoint;
    const gpu = await findLearningRate(checked, data, backend, {
      compile: (g, o) => buildGpuTrainable(g, { gpu: ctx, batchSize: o.batchSize, seed: o.seed }),
      ...range,
      onLoop: (l) => {
        loop = l;
        before = l.capture();
      },
    });
    // The device's weights and moments, read back: as before the test.
    await loop.sync();
    const after = loop.capture();
    expect(after.params).toEqual(before.params);
    expect(after.optimizer).toEqual(before.optimizer);
    const cpu = await findLearningRate(checked, data, backend, { compile: compileGraph, ...range });
    expect(gpu.lrs.length).toBe(cpu.lrs.length);
    expect(gpu.suggestion).toBe(cpu.suggestion);
  });
});
