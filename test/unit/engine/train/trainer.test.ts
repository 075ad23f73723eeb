import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../../src-engine/core/data';
import type { GraphIR, TrainingConfig } from '../../../../src-engine/base/ir/types';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { Trainer, TrainError, checkpointFromJSON, checkpointToJSON } from '../../../../src-engine/core/train';
import type { TrainerEvent } from '../../../../src-engine/core/train';
import { compileSoftmax, softmaxGraph } from './softmax-graph';

function config(over: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    dataset: { name: 'blobs', options: { samples: 310, classes: 3, noise: 1.5 }, validationSplit: 0.2 },
    loss: 'loss',
    optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9 },
    batchSize: 32,
    epochs: 4,
    seed: 11,
    metrics: ['accuracy', 'f1'],
    ...over,
  };
}

function setup(over: Partial<TrainingConfig> = {}, events: TrainerEvent[] = [], losses: number[] = []) {
  const c = config(over);
  const graph = softmaxGraph(2, 3, c);
  const data = prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed);
  const trainer = new Trainer(graph, data, createReferenceBackend(), {
    compile: compileSoftmax,
    onEvent: (e) => events.push(e),
    onStepLoss: (_, l) => losses.push(l),
  });
  return { trainer, data };
}

describe('Trainer', () => {
  it('runs epochs with a partial last batch, validates, tests, and learns', async () => {
    const events: TrainerEvent[] = [];
    const losses: number[] = [];
    const { trainer, data } = setup({}, events, losses);
    const done = await trainer.run();
    const steps = Math.ceil(data.train.count / 32);
    expect(data.train.count % 32).not.toBe(0); // the last batch really is partial
    expect(done.steps).toBe(4 * steps);
    expect(losses.length).toBe(4 * steps);
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(epochs.every((e) => e.type === 'epoch' && e.val !== undefined)).toBe(true);
    expect(events.some((e) => e.type === 'progress' && e.stepInEpoch === steps)).toBe(true);
    expect(done.reason).toBe('completed');
    expect(done.test?.accuracy).toBeGreaterThan(0.8);
    expect(done.test?.f1).toBeGreaterThan(0.8);
    // Loss falls: mean of the last epoch below the first batch.
    const last = losses.slice(-steps).reduce((a, b) => a + b, 0) / steps;
    expect(last).toBeLessThan(losses[0]);
    expect(events.at(-1)).toEqual(done);
    expect(trainer.last?.epoch).toBe(4);
  });

  it('same graph, data and seed → bit-identical loss sequence', async () => {
    const a: number[] = [];
    const b: number[] = [];
    await setup({ dataset: { name: 'blobs', transform: { kind: 'gaussian-noise', std: 0.1 } } }, [], a).trainer.run();
    await setup({ dataset: { name: 'blobs', transform: { kind: 'gaussian-noise', std: 0.1 } } }, [], b).trainer.run();
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    const c: number[] = [];
    await setup({ seed: 12 }, [], c).trainer.run();
    expect(c).not.toEqual(a);
  });

  it('stops the step on a NaN loss and names the step', async () => {
    const events: TrainerEvent[] = [];
    const { trainer } = setup({ optimizer: { kind: 'sgd', lr: 1e30 } }, events);
    await expect(trainer.run()).rejects.toBeInstanceOf(TrainError);
    const err = events.find((e) => e.type === 'error');
    expect(err).toMatchObject({ type: 'error', code: 'TRAIN_NONFINITE_LOSS' });
    expect(err?.type === 'error' && err.step).toBeGreaterThan(1);
    expect(err?.type === 'error' && err.message).toContain(`step ${err?.type === 'error' ? err.step : ''}`);
  });

  it('pause, step one batch, resume and stop between steps', async () => {
    const losses: number[] = [];
    const { trainer } = setup({ epochs: 100000 }, [], losses);
    const running = trainer.run();
    await new Promise((r) => setTimeout(r, 5));
    trainer.pause();
    await new Promise((r) => setTimeout(r, 20));
    const atPause = losses.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(losses.length).toBe(atPause);
    trainer.step();
    await new Promise((r) => setTimeout(r, 20));
    expect(losses.length).toBe(atPause + 1);
    expect(trainer.status).toBe('paused');
    trainer.resume();
    await new Promise((r) => setTimeout(r, 20));
    expect(losses.length).toBeGreaterThan(atPause + 1);
    trainer.stop();
    const done = await running;
    expect(done.reason).toBe('stopped');
    expect(done.test).toBeUndefined();
    expect(done.epochs).toBeLessThan(100000);
  });

  it('early stopping keeps the best checkpoint and evaluates it', async () => {
    const events: TrainerEvent[] = [];
    const { trainer } = setup({ epochs: 40, earlyStopping: { metric: 'val_loss', mode: 'min', patience: 2 }, optimizer: { kind: 'sgd', lr: 0.5 } }, events);
    const done = await trainer.run();
    expect(done.reason).toBe('early-stopping');
    const vals = events.flatMap((e) => (e.type === 'epoch' ? [e.val!.loss] : []));
    const bestEpoch = vals.indexOf(Math.min(...vals)) + 1;
    expect(done.evaluatedEpoch).toBe(bestEpoch);
    expect(trainer.best?.epoch).toBe(bestEpoch);
    expect(done.val?.loss).toBe(Math.min(...vals));
  });

  it('checkpoints serialise to JSON (base64 and arrays) and back', async () => {
    const { trainer } = setup({ epochs: 1, optimizer: { kind: 'adam', lr: 0.01 } });
    await trainer.run();
    const ck = trainer.last!;
    for (const enc of ['base64', 'array'] as const) {
      const back = checkpointFromJSON(JSON.parse(JSON.stringify(checkpointToJSON(ck, enc))));
      expect(back.params).toEqual(ck.params);
      expect(back.optimizer.step).toBe(ck.optimizer.step);
      expect(Object.keys(back.optimizer.slots)).toEqual(Object.keys(ck.optimizer.slots));
      for (const k of Object.keys(ck.optimizer.slots)) {
        for (const s of Object.keys(ck.optimizer.slots[k])) {
          expect(Array.from(back.optimizer.slots[k][s])).toEqual(Array.from(ck.optimizer.slots[k][s]));
        }
      }
    }
  });

  it('rejects a dataset whose samples do not fit the Input', () => {
    const c = config({ dataset: { name: 'iris' } });
    const data = prepareData(loadBuiltinDataset(c.dataset)!, c.dataset, 1);
    expect(() => new Trainer(softmaxGraph(2, 3, c), data, createReferenceBackend(), { compile: compileSoftmax })).toThrowError(/shape \[4\]/);
  });
});

describe('Trainer on the real executor', () => {
  it('same graph + data + seed → bit-identical losses (Dropout, noise and shuffling included)', async () => {
    const { compileGraph } = await import('../../../../src-engine/core/autodiff/executor');
    const base = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'mnist-mlp.json'), 'utf8')) as GraphIR;
    const run = async (seed: number) => {
      const training = { ...base.training!, seed, epochs: 2, batchSize: 32, dataset: { ...base.training!.dataset, limit: 100, transform: { kind: 'gaussian-noise' as const, std: 0.1 } } };
      const data = prepareData(loadDataset(training.dataset, seed), training.dataset, seed);
      const losses: number[] = [];
      await new Trainer({ ...base, training }, data, createReferenceBackend(), { compile: compileGraph, onStepLoss: (_, l) => losses.push(l) }).run();
      return losses;
    };
    const a = await run(5);
    expect(a).toHaveLength(2 * 4); // 100 samples, batch 32 → 3 full + 1 partial per epoch
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });
});

describe('Trainer config checks', () => {
  it('rejects unknown metrics and an early-stopping metric that is not computed', () => {
    expect(() => setup({ metrics: ['accuarcy'] })).toThrowError(/Unknown metric "accuarcy"/);
    expect(() => setup({ metrics: ['accuracy'], earlyStopping: { metric: 'val_f1', mode: 'max', patience: 2 } })).toThrowError(/"f1" is not in training.metrics/);
  });
});

describe('CSV regression end to end', () => {
  it('standardised CSV features, MSE loss, R² near 1', async () => {
    const { compileGraph } = await import('../../../../src-engine/core/autodiff/executor');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const rng = new (await import('../../../../src-engine/base/rng')).Rng(3);
    let csv = 'size,rooms,price\n';
    for (let i = 0; i < 300; i++) {
      const a = 50 + 100 * rng.uniform();
      const b = 1 + Math.floor(5 * rng.uniform());
      csv += `${a.toFixed(2)},${b},${(0.03 * a - 0.2 * b + 0.05 * rng.normal()).toFixed(4)}\n`;
    }
    const path = join(mkdtempSync(join(tmpdir(), 'nw-csv-')), 'houses.csv');
    writeFileSync(path, csv);
    const training: TrainingConfig = {
      dataset: { name: 'csv', options: { path, targetColumn: 'price', task: 'regression' } },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.1 },
      batchSize: 32,
      epochs: 40,
      seed: 1,
      metrics: ['mse', 'mae', 'r2'],
      predictionOutput: 'price',
    };
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 1,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['x'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { price: 'fc', loss: 'loss' },
      training,
    };
    const data = prepareData(loadDataset(training.dataset, 1), training.dataset, 1);
    expect(data.normalization?.kind).toBe('per-feature');
    const done = await new Trainer(graph, data, createReferenceBackend(), { compile: compileGraph }).run();
    expect(done.test!.r2).toBeGreaterThan(0.95);
    // The loss is in the standardised target's units (#83), the MSE in the price's: std² times it.
    const std = data.targetNormalization!.std[0];
    expect(done.test!.mse).toBeCloseTo(done.test!.loss * std * std, 6);
  });
});
