/**
 * #83 in the app: `train.done` sets the run's baselines beside its test figures, with the verdict
 * the Train dock shows under them; a headless run (the CLI, which prints its own) has none on its
 * events.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import type { EngineEvent, EventData } from '../../../src-engine/protocol';
import { TrainingSession } from '../../../src-engine/app/session';

/** A Linear on windows of the waves series, one epoch at a learning rate too small to learn. */
const graph: GraphIR = {
  format: 'netwright.graph',
  version: 2,
  nodes: [
    { id: 'x', op: 'Input', attrs: { shape: [20, 1], source: 'features' }, inputs: [] },
    { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
    { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['flat'] },
    { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
  ],
  outputs: { prediction: 'fc', loss: 'loss' },
  training: { dataset: { name: 'waves', options: { samples: 400 } }, loss: 'loss', optimizer: { kind: 'sgd', lr: 1e-5 }, batchSize: 32, epochs: 1, seed: 1, metrics: ['mse'] },
};

async function done(headless: boolean): Promise<EventData<'train.done'>> {
  const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);
  const events: { event: EngineEvent; data: unknown }[] = [];
  const session = new TrainingSession('t', graph, data, createReferenceBackend(), { compile: compileGraph, probes: false, headless, emit: (event, d) => void events.push({ event, data: d }) });
  await session.run();
  return events.find((e) => e.event === 'train.done')!.data as EventData<'train.done'>;
}

describe('train.done carries the baselines (#83)', () => {
  it('the series baselines\' test figures and the sentence, the network being worse than the best', async () => {
    const d = await done(false);
    expect(Object.keys(d.baselines!)).toEqual(['mean', 'last-value', 'linear-lags']);
    const best = Math.min(...Object.values(d.baselines!).map((b) => b.mse));
    expect(d.test!.mse).toBeGreaterThan(best);
    expect(d.baselineVerdict).toBe(`The network's test MSE ${d.test!.mse!.toPrecision(3)} is worse than a linear model on the lags (${d.baselines!['linear-lags'].mse.toPrecision(3)}).`);
  });

  it('a headless run\'s events have none (its CLI prints them itself)', async () => {
    const d = await done(true);
    expect(d.baselines).toBeUndefined();
    expect(d.baselineVerdict).toBeUndefined();
  });
});
