/**
 * The loop's hooks as a list of objects (issue #28): each is called in list order, verdicts combine
 * to the strictest, a promise from one hook's `afterStep` holds the next hook's, and each hook is
 * given the loop it serves.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../../src-engine/core/data';
import type { TrainingConfig } from '../../../../src-engine/base/ir/types';
import { TrainingLoop, combineHooks, strictest, type DeviceCapture, type LoopHooks, type LoopView, type StepContext, type StepVerdict } from '../../../../src-engine/core/train';
import { compileSoftmax, softmaxGraph } from './softmax-graph';

const ctx = { epoch: 1, batch: 0, stepsPerEpoch: 4, step: 0, group: 0, loss: 1, count: 8 } as StepContext;

/** A hook that answers `verdict` from its forward and backward and logs each call as `name:method`. */
function answering(name: string, verdict: StepVerdict, log: string[]): LoopHooks {
  return {
    afterForward: () => (log.push(`${name}:forward`), verdict),
    afterBackward: () => (log.push(`${name}:backward`), verdict),
  };
}

describe('combineHooks', () => {
  it('orders verdicts stop > retry > ok', () => {
    const all: StepVerdict[] = ['ok', 'retry', 'stop'];
    const table = all.map((a) => all.map((b) => strictest(a, b)));
    expect(table).toEqual([
      ['ok', 'retry', 'stop'],
      ['retry', 'retry', 'stop'],
      ['stop', 'stop', 'stop'],
    ]);
  });

  it('asks every hook, in list order, and answers the strictest verdict', () => {
    const log: string[] = [];
    const hooks = combineHooks([answering('a', 'retry', log), answering('b', 'ok', log), answering('c', 'stop', log), {}]);
    expect(hooks.afterForward!(ctx)).toBe('stop');
    expect(hooks.afterBackward!(ctx)).toBe('stop');
    expect(log).toEqual(['a:forward', 'b:forward', 'c:forward', 'a:backward', 'b:backward', 'c:backward']);
    expect(combineHooks([answering('a', 'ok', []), answering('b', 'retry', [])]).afterForward!(ctx)).toBe('retry');
    expect(combineHooks([answering('a', 'ok', []), answering('b', 'ok', [])]).afterForward!(ctx)).toBe('ok');
  });

  it('leaves out the methods no hook has', () => {
    const hooks = combineHooks([{ onProgress: () => {} }, { onState: () => {} }]);
    expect(Object.keys(hooks).sort()).toEqual(['onProgress', 'onState']);
  });

  it("awaits one hook's afterStep promise before the next hook's afterStep", async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const hooks = combineHooks([
      { afterStep: () => void log.push('a') },
      { afterStep: () => (log.push('b start'), gate.then(() => void log.push('b end'))) },
      { afterStep: () => void log.push('c') },
    ]);
    const done = hooks.afterStep!(ctx);
    expect(done).toBeInstanceOf(Promise);
    await Promise.resolve();
    expect(log).toEqual(['a', 'b start']);
    release();
    await done;
    expect(log).toEqual(['a', 'b start', 'b end', 'c']);
    // All synchronous: no promise, so the loop awaits nothing.
    expect(combineHooks([{ afterStep: () => {} }, { afterStep: () => {} }]).afterStep!(ctx)).toBeUndefined();
  });

  it("hands the device one hook's capture, and refuses two", () => {
    const capture: DeviceCapture = { grads: [], bins: 8 };
    const seen: string[] = [];
    const one = combineHooks([{ beforeUpdate: () => void seen.push('a') }, { beforeUpdate: () => (seen.push('b'), capture) }]);
    expect(one.beforeUpdate!(ctx)).toBe(capture);
    expect(seen).toEqual(['a', 'b']);
    const two = combineHooks([{ beforeUpdate: () => capture }, { beforeUpdate: () => ({ grads: [], bins: 4 }) }]);
    expect(() => two.beforeUpdate!(ctx)).toThrow(expect.objectContaining({ code: 'TRAIN_INTERNAL' }));
  });

  it("stops after an epoch when any hook says so, every hook still seeing the epoch", () => {
    const seen: string[] = [];
    const hooks = combineHooks([
      { afterEpoch: () => (seen.push('a'), 'stop' as const) },
      { afterEpoch: () => void seen.push('b') },
    ]);
    expect(hooks.afterEpoch!({ epoch: 1, epochs: 2, step: 4, train: { loss: 1 }, lr: 0.1, seconds: 0, best: true })).toBe('stop');
    expect(seen).toEqual(['a', 'b']);
    expect(combineHooks([{ afterEpoch: () => {} }, { afterEpoch: () => {} }]).afterEpoch!({ epoch: 1, epochs: 2, step: 4, train: { loss: 1 }, lr: 0.1, seconds: 0, best: true })).toBeUndefined();
  });
});

describe('a TrainingLoop with several hooks', () => {
  const c: TrainingConfig = {
    dataset: { name: 'blobs', options: { samples: 200, classes: 3, noise: 1.5 }, validationSplit: 0.2 },
    loss: 'loss',
    optimizer: { kind: 'sgd', lr: 0.1 },
    batchSize: 32,
    epochs: 3,
    seed: 5,
    metrics: ['accuracy'],
  };
  const data = prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed);

  it('gives each hook the loop, calls them all every step, and ends where one of them says stop', async () => {
    const given: LoopView[] = [];
    const forwards: number[] = [];
    const steps: number[] = [];
    const loop = new TrainingLoop(softmaxGraph(2, 3, c), data, createReferenceBackend(), {
      compile: compileSoftmax,
      hooks: [
        { setup: (l) => void given.push(l), afterForward: ({ step }) => (forwards.push(step), 'ok'), afterStep: ({ step }) => void steps.push(step) },
        { setup: (l) => void given.push(l), afterForward: ({ step }) => (step === 6 ? 'stop' : 'ok') },
      ],
    });
    expect(given).toEqual([loop, loop]);
    await loop.run();
    // The first hook saw the forward of step 7 too, which the second stopped before its update.
    expect(forwards).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(loop.step).toBe(6);
  });
});
