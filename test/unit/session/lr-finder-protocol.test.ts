/**
 * `train.findLr` (issue #48): the range test over the protocol answers the curve and a suggestion
 * for the design as it stands, and refuses a range that does not run upwards with TRAIN_LR_RANGE.
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

  it('refuses a range that runs downwards', async () => {
    const { client } = engine();
    await expect(client.request('train.findLr', { graph: twoMoonsGraph(), start: 1, end: 1e-3 })).rejects.toMatchObject({ code: 'TRAIN_LR_RANGE' });
  });
});
