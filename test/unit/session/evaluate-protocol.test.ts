/**
 * `model.evaluate` over the in-memory channel pair: a run's weights, the same weights loaded from
 * a saved model and imported back from ONNX give the test figures the run reported, with the
 * confusion matrix; a design the weights do not cover and one without settings are coded errors.
 */
import { describe, expect, it } from 'vitest';
import { enginePerTest, twoMoonsGraph } from './fixtures';

const engine = enginePerTest();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('model.evaluate', () => {
  it('measures a run, its saved model and its ONNX import on the test split as the run did, without training', async () => {
    const { client, waitFor } = engine();
    const graph = twoMoonsGraph({ epochs: 2 });
    const start = await client.request('train.start', { graph, probes: false });
    const done = await waitFor('train.done');
    expect(done.test?.accuracy).toBeGreaterThan(0.5);

    const live = await client.request('model.evaluate', { runId: start.runId });
    expect(live).toMatchObject({ split: 'test', task: 'classification', normalization: 'none', samples: 80 });
    expect(live.metrics.loss).toBe(done.test!.loss);
    expect(live.metrics.accuracy).toBe(done.test!.accuracy);
    // The graph measures accuracy only; the evaluation adds the confusion matrix (rows: true class).
    const confusion = live.metrics.confusion!;
    expect(confusion).toHaveLength(2);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(80);
    expect((confusion[0][0] + confusion[1][1]) / 80).toBeCloseTo(done.test!.accuracy!, 6);

    // The validation split on request.
    const val = await client.request('model.evaluate', { runId: start.runId, split: 'val' });
    expect(val.split).toBe('val');
    expect(val.samples).toBe(32);
    // All its samples as one: the three splits' counts add up, and so does the matrix.
    const all = await client.request('model.evaluate', { runId: start.runId, split: 'all' });
    expect(all).toMatchObject({ split: 'all', dataset: 'two-moons (all)', samples: 400 });
    expect(all.metrics.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(400);

    // The same weights saved, loaded back: the same figures.
    const saved = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    const loaded = await client.request('model.load', { model: JSON.parse(text(saved.files[0].data)) });
    expect(await client.request('model.evaluate', { runId: loaded.runId })).toEqual(live);

    // Imported from ONNX (Netwright's own export comes back with its settings): the same figures.
    const onnx = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' });
    const imported = await client.request('model.import', { format: 'onnx', data: onnx.files[0].data });
    expect(imported.restored).toBe(true);
    const again = await client.request('model.evaluate', { runId: imported.runId });
    expect(again.metrics.accuracy).toBe(done.test!.accuracy);
    expect(again.metrics.loss).toBeCloseTo(done.test!.loss!, 5);
  }, 30_000);

  it('refuses a design the weights do not cover, one without settings, and bad params, with coded errors', async () => {
    const { client, waitFor } = engine();
    const start = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false });
    await waitFor('train.done');
    const wider = twoMoonsGraph();
    wider.nodes = wider.nodes.map((n) => (n.id === 'fc2' ? { ...n, attrs: { outFeatures: 32 } } : n));
    await expect(client.request('model.evaluate', { runId: start.runId, graph: wider })).rejects.toMatchObject({ code: 'E_MODEL_WEIGHTS', message: expect.stringMatching(/no weights for fc2\.weight/) });
    const { training: _training, ...bare } = twoMoonsGraph();
    await expect(client.request('model.evaluate', { runId: start.runId, graph: bare })).rejects.toMatchObject({ code: 'TRAIN_NO_CONFIG' });
    await expect(client.request('model.evaluate', { runId: 'run-99' })).rejects.toMatchObject({ code: 'E_TRAIN_NO_RUN' });
    await expect(client.request('model.evaluate', { runId: start.runId, split: 'every' as 'test' })).rejects.toMatchObject({ code: 'E_PROTOCOL_BAD_PARAMS' });
  }, 30_000);
});
