/**
 * #83 in the app's Evaluate: `model.evaluate` answers the run's baselines beside the figures (the
 * session's model carries them once the run has ended: TrainedModel.baselines), as the same samples
 * on the run's own test split, and as another split's figures when the design on the canvas reads
 * other data; a model saved and loaded back keeps them.
 */
import { describe, expect, it } from 'vitest';
import { enginePerTest, twoMoonsGraph } from './fixtures';

const engine = enginePerTest();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('model.evaluate: the run\'s baselines beside its figures (#83)', () => {
  it('the run\'s test split: the baselines train.done gave, as the same samples; other data: marked so, no verdict; a saved model keeps them', async () => {
    const { client, waitFor } = engine();
    const graph = twoMoonsGraph({ epochs: 1 });
    const start = await client.request('train.start', { graph, probes: false });
    const done = await waitFor('train.done');
    expect(Object.keys(done.baselines ?? {})).toEqual(['majority', 'logistic']);

    const live = await client.request('model.evaluate', { runId: start.runId });
    expect(live.baselines).toEqual(done.baselines);
    expect(live.baselinesOn).toEqual({ split: 'test', sameSamples: true });
    expect(live.baselineVerdict).toBe(done.baselineVerdict);

    // The design on the canvas draws another sample of the moons: the run's figures, not these samples'.
    const other = twoMoonsGraph({ epochs: 1, seed: 2 });
    const elsewhere = await client.request('model.evaluate', { runId: start.runId, graph: other });
    expect(elsewhere.baselines).toEqual(done.baselines);
    expect(elsewhere.baselinesOn).toEqual({ split: 'test', sameSamples: false });
    expect(elsewhere.baselineVerdict).toBeUndefined();

    const saved = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    const loaded = await client.request('model.load', { model: JSON.parse(text(saved.files[0].data)) });
    expect(await client.request('model.evaluate', { runId: loaded.runId })).toEqual(live);
    // Reopened, the model says what its run said beside its test figures (the dock's 'Beside: …' line and verdict).
    expect(loaded.baselines).toEqual(done.baselines);
    expect(loaded.baselineVerdict).toBe(done.baselineVerdict);
  }, 30_000);
});
