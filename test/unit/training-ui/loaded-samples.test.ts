/**
 * Issue #44 item 1: the Playground of an imported model kept saying "has no dataset" after data was
 * added to its design: its samples were taken once, at import, from a graph that named none.
 * `samplesForLoaded` takes them again from the design's dataset as it is now.
 */
import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { RpcClient } from '../../../src-engine/protocol';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { emptyRun } from '../../../src-renderer/src/training/model';
import { samplesForLoaded } from '../../../src-renderer/src/training/export';
import { addTrainingSettings } from '../../../src-renderer/src/editor/add-settings';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

describe('an imported model’s Playground samples', () => {

  it('come from the dataset its design adds after the import, once per dataset, and only for the design the weights came with', async () => {
    w.run.setState({ ...emptyRun, weights: undefined });
    w.editor.getState().load(emptyDoc(), { name: 'tinycnn' });
    w.editor.getState().addOp('Input', { x: 0, y: 0 });
    const samples = { shape: [3, 8, 8], inputs: [Array.from({ length: 192 }, () => 0.5)], targets: [1] };
    const request = vi.fn(async (method: string, _params: unknown) => {
      if (method === 'model.samples') return { probeSamples: samples };
      throw new Error(`unexpected ${method}`);
    });
    w.engine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient, state: 'ready' });
    // Imported: no dataset, so nothing to pick.
    const info = { runId: 'run-3', task: 'classification' as const, classNames: [], probeSamples: { shape: [3, 8, 8], inputs: [], targets: [] } };
    w.run.getState().dispatch({ type: 'model-loaded', info, graph: { format: 'netwright.graph', version: 3, nodes: [], outputs: {} }, source: 'tinycnn.onnx' });
    w.run.getState().weightsLoaded('tinycnn.onnx', w.editor.getState().loadSeq);
    expect(await samplesForLoaded(w)).toBeUndefined();
    expect(request).not.toHaveBeenCalled();

    // Add settings (a dataset): the samples come from it.
    addTrainingSettings(w);
    const dataset = w.editor.getState().history.present.graph.training!.dataset;
    expect(await samplesForLoaded(w)).toBeUndefined();
    expect(request).toHaveBeenCalledWith('model.samples', { runId: 'run-3', dataset, seed: 1 });
    expect(w.run.getState().info?.probeSamples).toEqual(samples);
    // The same dataset: not asked again.
    await samplesForLoaded(w);
    expect(request).toHaveBeenCalledTimes(1);

    // Another design on the canvas: the loaded weights are not its own.
    w.editor.getState().load(emptyDoc(), { name: 'other' });
    w.editor.getState().addOp('Input', { x: 0, y: 0 });
    addTrainingSettings(w);
    w.editor.getState().edit({ kind: 'set-training', training: { ...w.editor.getState().history.present.graph.training!, dataset: { name: 'two-moons' } } });
    await samplesForLoaded(w);
    expect(request).toHaveBeenCalledTimes(1);
  });
});
