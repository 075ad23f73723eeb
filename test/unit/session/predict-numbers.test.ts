/**
 * Issue #57: the numbers model.predict, model.explain and model.evaluate are given are refused with
 * a coded message where the engine cannot compute with them, rather than failing inside it. An
 * input past float32's range (1e300: Infinity to the network) came back as E_PROTOCOL_BAD_RESULT
 * ('The engine's answer to model.predict has the wrong shape'); a design's batch of 1e9 made
 * model.evaluate compile a batch of 16e9 values (E_ENGINE_INTERNAL 'Invalid typed array length').
 */
import { describe, expect, it } from 'vitest';
import { checkFinite } from '../../../src-engine/app/session/predict';
import { enginePerTest, twoMoonsGraph } from './fixtures';

const engine = enginePerTest();

describe('numbers the Playground and Evaluate send', () => {
  it('refuses an input value a float32 cannot hold with E_PREDICT_NOT_FINITE, naming it, in predict and explain', async () => {
    const { client, waitFor } = engine();
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false });
    await waitFor('train.done');
    const message = 'Input value 0 (1e+300) is Infinity as the network reads it (float32, normalised): a float32 holds up to ±3.4e38. Give values of the range the model was trained on.';
    await expect(client.request('model.predict', { runId, input: [1e300, 0.5] })).rejects.toMatchObject({ code: 'E_PREDICT_NOT_FINITE', message });
    await expect(client.request('model.explain', { runId, input: [1e300, 0.5], method: 'saliency' })).rejects.toMatchObject({ code: 'E_PREDICT_NOT_FINITE', message });
    // The largest a float32 holds is computed with.
    expect((await client.request('model.predict', { runId, input: [3e38, -3e38] })).kind).toBe('probabilities');
  });

  it('says which output or explanation value is not finite', () => {
    expect(() => checkFinite(Float32Array.of(1, Infinity), 'output')).toThrow(expect.objectContaining({ code: 'E_PREDICT_NOT_FINITE', message: expect.stringMatching(/^The model's output 1 for this input is Infinity: an overflow inside the network, or weights/) }));
    expect(() => checkFinite([NaN], 'explanation')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^The model's explanation 0 for this input is NaN: an overflow inside the network or its gradients/) }));
    expect(() => checkFinite(Float32Array.of(-3.4e38, 0), 'input')).not.toThrow();
  });

  it('evaluates a design whose batch is larger than the split (1e9) in one batch of the split, with the same figures', async () => {
    const { client, waitFor } = engine();
    const graph = twoMoonsGraph({ epochs: 1 });
    const { runId } = await client.request('train.start', { graph, probes: false });
    await waitFor('train.done');
    const own = await client.request('model.evaluate', { runId });
    const huge = await client.request('model.evaluate', { runId, graph: twoMoonsGraph({ epochs: 1, batchSize: 1e9 }) });
    expect(huge.samples).toBe(80);
    expect(huge.metrics.accuracy).toBe(own.metrics.accuracy);
    expect(huge.metrics.loss).toBeCloseTo(own.metrics.loss!, 5);
    expect((await client.request('model.evaluate', { runId, graph: twoMoonsGraph({ epochs: 1, batchSize: 1e9 }), split: 'all' })).samples).toBe(400);
  });
});
