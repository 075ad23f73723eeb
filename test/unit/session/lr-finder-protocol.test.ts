/**
 * `train.findLr` (issue #48): the range test over the protocol answers the curve and a suggestion
 * for the design as it stands or from a run's weights, and refuses a range that does not run upwards with TRAIN_LR_RANGE.
 */
import { describe, expect, it } from 'vitest';
import { enginePerTest, twoMoonsGraph } from './fixtures';

const engine = enginePerTest();

describe('train.findLr', () => {
  it('answers the rates, losses, smoothed losses, the divergence and a suggestion', async () => {
    const { client } = engine();
    const r = await client.request('train.findLr', { graph: twoMoonsGraph({ batchSize: 16 }), start: 1e-4, end: 100, steps: 100 });
    expect(r.lrs.length).toBe(r.losses.length);
    expect(r.smoothed.length).toBe(r.losses.length);
    expect(r.lrs[0]).toBe(1e-4);
    expect(r.stoppedAt).not.toBeNull();
    expect(r.suggestion).toBeGreaterThan(3e-3);
    expect(r.suggestion).toBeLessThan(0.3);
  });

  it('with a runId, starts from that run\'s weights as they stand (a trained model starts with a lower loss)', async () => {
    const { client, waitFor } = engine();
    const graph = twoMoonsGraph({ batchSize: 16, epochs: 3 });
    const { runId } = await client.request('train.start', { graph, probes: false });
    await waitFor('train.done', (d) => d.runId === runId, 20_000);
    const range = { start: 1e-6, end: 1e-5, steps: 20 };
    const fresh = await client.request('train.findLr', { graph, ...range });
    const trained = await client.request('train.findLr', { graph, runId, ...range });
    expect(trained.smoothed.at(-1)!).toBeLessThan(0.5 * fresh.smoothed.at(-1)!);
    // The run's weights were left as they were: the same test again finds the same curve.
    expect((await client.request('train.findLr', { graph, runId, ...range })).losses).toEqual(trained.losses);
    await expect(client.request('train.findLr', { graph, runId: 'run-999', ...range })).rejects.toMatchObject({ code: 'E_TRAIN_NO_RUN' });
  });

  it('refuses a range that runs downwards', async () => {
    const { client } = engine();
    await expect(client.request('train.findLr', { graph: twoMoonsGraph(), start: 1, end: 1e-3 })).rejects.toMatchObject({ code: 'TRAIN_LR_RANGE' });
  });
});
