/**
 * Issue #44 item 1: the Playground of an imported model kept saying "has no dataset" after data was
 * added to its design: its samples were taken once, at import, from a graph that named none.
 * `samplesForLoaded` takes them again from the design's dataset as it is now.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RpcClient } from '../../../src-engine/protocol';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { useEditor } from '../../../src-renderer/src/state/editor-store';
import { useEngine } from '../../../src-renderer/src/state/engine-store';
import { useRun } from '../../../src-renderer/src/state/training-store';
import { emptyRun } from '../../../src-renderer/src/training/model';
import { samplesForLoaded } from '../../../src-renderer/src/training/export';
import { addTrainingSettings } from '../../../src-renderer/src/editor/add-settings';

describe('an imported model’s Playground samples', () => {
  afterEach(() => useEngine.setState({ client: undefined, state: 'connecting' }));

  it('come from the dataset its design adds after the import, once per dataset, and only for the design the weights came with', async () => {
    useRun.setState({ ...emptyRun, weights: undefined });
    useEditor.getState().load(emptyDoc(), { name: 'tinycnn' });
    useEditor.getState().addOp('Input', { x: 0, y: 0 });
    const samples = { shape: [3, 8, 8], inputs: [Array.from({ length: 192 }, () => 0.5)], targets: [1] };
    const request = vi.fn(async (method: string, _params: unknown) => {
      if (method === 'model.samples') return { probeSamples: samples };
      throw new Error(`unexpected ${method}`);
    });
    useEngine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient, state: 'ready' });
    // Imported: no dataset, so nothing to pick.
    const info = { runId: 'run-3', task: 'classification' as const, classNames: [], probeSamples: { shape: [3, 8, 8], inputs: [], targets: [] } };
    useRun.getState().dispatch({ type: 'model-loaded', info, graph: { format: 'netwright.graph', version: 3, nodes: [], outputs: {} }, source: 'tinycnn.onnx' });
    useRun.getState().weightsLoaded('tinycnn.onnx');
    expect(await samplesForLoaded()).toBeUndefined();
    expect(request).not.toHaveBeenCalled();

    // Add settings (a dataset): the samples come from it.
    addTrainingSettings();
    const dataset = useEditor.getState().history.present.graph.training!.dataset;
    expect(await samplesForLoaded()).toBeUndefined();
    expect(request).toHaveBeenCalledWith('model.samples', { runId: 'run-3', dataset, seed: 1 });
    expect(useRun.getState().info?.probeSamples).toEqual(samples);
    // The same dataset: not asked again.
    await samplesForLoaded();
    expect(request).toHaveBeenCalledTimes(1);

    // Another design on the canvas: the loaded weights are not its own.
    useEditor.getState().load(emptyDoc(), { name: 'other' });
    useEditor.getState().addOp('Input', { x: 0, y: 0 });
    addTrainingSettings();
    useEditor.getState().edit({ kind: 'set-training', training: { ...useEditor.getState().history.present.graph.training!, dataset: { name: 'two-moons' } } });
    await samplesForLoaded();
    expect(request).toHaveBeenCalledTimes(1);
  });
});
