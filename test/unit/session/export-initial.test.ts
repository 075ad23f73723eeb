/**
 * A design exported before training (#60 item 6): `model.export { source: { kind: 'initial', graph } }`
 * answers the weights a run of the design starts from, and every format marks them untrained (the
 * name, the ONNX metadata and doc string, the JSON's origin, the PyTorch README and the weights'
 * metadata).
 */
import { describe, expect, it } from 'vitest';
import { modelFromJSON } from '../../../src-engine/core/export/json';
import { decodeModel } from '../../../src-engine/core/export/onnx/proto';
import { indexSafetensors } from '../../../src-engine/core/export/safetensors';
import { setupEngine, twoMoonsGraph } from './fixtures';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('export before training', () => {
  it('answers the initial weights a run of the design starts from, as JSON marked untrained', async () => {
    const { client, waitFor } = setupEngine();
    const graph = twoMoonsGraph({ seed: 7, optimizer: { kind: 'sgd', lr: 1e-12 }, epochs: 1 });
    const json = await client.request('model.export', { source: { kind: 'initial', graph }, format: 'json' });
    expect(json.name).toBe('model (untrained).netwright-model.json');
    const initial = modelFromJSON(text(json.files[0].data));
    expect(initial.origin).toEqual({ step: 0, epoch: 0, untrained: true, seed: 7 });
    expect(initial.metrics).toBeUndefined();
    expect(Object.keys(initial.params).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
    // A run of the design at a rate of 1e-12 keeps its weights where it started: they are the exported ones.
    await client.request('train.start', { graph, probes: false });
    await waitFor('train.done');
    const trained = modelFromJSON(text((await client.request('model.export', { source: { kind: 'current' }, format: 'json' })).files[0].data));
    for (const [key, w] of Object.entries(initial.params)) {
      const after = trained.params[key];
      expect(Math.max(...w.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-6);
    }
    // Another seed draws other weights.
    const other = modelFromJSON(text((await client.request('model.export', { source: { kind: 'initial', graph: twoMoonsGraph({ seed: 8 }) }, format: 'json' })).files[0].data));
    expect(other.params['fc1.weight']).not.toEqual(initial.params['fc1.weight']);
  });

  it('marks ONNX, PyTorch and safetensors untrained where their readers look', async () => {
    const { client } = setupEngine();
    const graph = twoMoonsGraph();
    const onnx = await client.request('model.export', { source: { kind: 'initial', graph }, format: 'onnx' });
    expect(onnx.name).toMatch(/ \(untrained\)\.onnx$/);
    const file = decodeModel(onnx.files[0].data);
    expect(file.doc_string).toMatch(/initial weights, untrained: no training step was taken \(seed 1/);
    const exported = JSON.parse(file.metadata_props!.find((p) => p.key === 'netwright.export')!.value) as Record<string, unknown>;
    expect(exported).toMatchObject({ weights: 'initial', untrained: true });

    const pt = await client.request('model.export', { source: { kind: 'initial', graph }, format: 'pytorch' });
    const readme = text(pt.files.find((f) => f.path === 'README.md')!.data);
    expect(readme).toMatch(/with the design's initial weights, untrained/);
    expect(readme).toMatch(/`weights\.pt` \| the initial weights \(untrained\)/);

    const st = await client.request('model.export', { source: { kind: 'initial', graph }, format: 'safetensors' });
    expect(indexSafetensors(st.files[0].data).metadata.weights).toMatch(/^the design's initial weights, untrained/);
  });

  it('refuses a design that does not compile with E_EXPORT_GRAPH, saying why', async () => {
    const { client } = setupEngine();
    const broken = { ...twoMoonsGraph(), nodes: twoMoonsGraph().nodes.map((n) => (n.id === 'fc2' ? { ...n, inputs: ['nowhere'] } : n)) };
    await expect(client.request('model.export', { source: { kind: 'initial', graph: broken }, format: 'onnx' })).rejects.toMatchObject({ code: 'E_EXPORT_GRAPH', message: expect.stringMatching(/^The design cannot be exported yet: .*nowhere/) });
  });
});
