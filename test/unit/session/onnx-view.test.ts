/**
 * Looking at an ONNX file without importing it (#60 item 6): `model.inspect` reads it with the
 * importer and describes it (graph, shapes, parameters, opset, producer); nothing is loaded or
 * staged, so the engine's weights are what they were.
 */
import { describe, expect, it } from 'vitest';
import { setupEngine, twoMoonsGraph } from './fixtures';

describe('model.inspect', () => {
  it('describes an exported file: opset, IR version, producer, layers with their shapes and parameters; the untrained mark', async () => {
    const { client } = setupEngine();
    const graph = { ...twoMoonsGraph(), name: 'moons' };
    const onnx = await client.request('model.export', { source: { kind: 'initial', graph }, format: 'onnx' });
    const v = await client.request('model.inspect', { format: 'onnx', data: onnx.files[0].data });
    expect(v).toMatchObject({ opset: 17, irVersion: 8, producer: expect.stringMatching(/^Netwright /), restored: true, untrained: true });
    // 2→16→16→2 Linears: (2·16+16) + (16·16+16) + (16·2+2).
    expect(v.params).toBe(48 + 272 + 34);
    expect(v.paramsByNode).toEqual({ fc1: 48, fc2: 272, fc3: 34 });
    expect(v.shapes).toMatchObject({ xy: [-1, 2], fc1: [-1, 16], fc3: [-1, 2] });
    expect(v.onnxNodes).toBeGreaterThanOrEqual(5);
    expect((v.graph as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['xy', 'fc1', 'relu1', 'fc2', 'fc3']));
  });

  it('loads nothing: the engine has no model afterwards, and a trained run it had stays the one exported', async () => {
    const { client, waitFor } = setupEngine();
    const onnx = await client.request('model.export', { source: { kind: 'initial', graph: twoMoonsGraph() }, format: 'onnx' });
    await client.request('model.inspect', { format: 'onnx', data: onnx.files[0].data });
    await expect(client.request('model.export', { source: { kind: 'current' }, format: 'json' })).rejects.toMatchObject({ code: 'E_EXPORT_NO_WEIGHTS' });
    await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false });
    await waitFor('train.done');
    const before = (await client.request('model.export', { source: { kind: 'current' }, format: 'json' })).files[0].data;
    const other = await client.request('model.export', { source: { kind: 'initial', graph: twoMoonsGraph({ seed: 9 }) }, format: 'onnx' });
    const seen = await client.request('model.inspect', { format: 'onnx', data: other.files[0].data });
    expect(seen.untrained).toBe(true);
    expect((await client.request('model.export', { source: { kind: 'current' }, format: 'json' })).files[0].data).toEqual(before);
  });

  it('refuses bytes that are not ONNX as an import does', async () => {
    const { client } = setupEngine();
    await expect(client.request('model.inspect', { format: 'onnx', data: new TextEncoder().encode('not a model') })).rejects.toMatchObject({ code: 'E_IMPORT_FORMAT' });
  });
});
