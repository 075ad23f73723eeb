import { describe, expect, it } from 'vitest';
import { inferModel } from '../../../../src-engine/core/export/infer';
import { MODEL_FORMAT, modelFromJSON, modelToJSON, modelToJSONBytes, modelToJSONText } from '../../../../src-engine/core/export/json';
import { getOp } from '../../../../src-engine/core/ops/registry';
import { trainedTemplate } from './torch-harness';
import type { GraphIR } from '../../../../src-engine/base/ir/types';

describe('the netwright.model JSON format', () => {
  it('round-trips a trained CNN (BatchNorm statistics, normalisation, class names) to bit-identical predictions', async () => {
    const { model, data } = await trainedTemplate('mnist-cnn.json');
    const text = modelToJSONText(model);
    const back = modelFromJSON(text);
    expect(back.normalization).toEqual(model.normalization);
    expect(back.classNames).toEqual(data.train.classNames);
    expect(Object.keys(back.buffers).sort()).toEqual(['bn1.runningMean', 'bn1.runningVar', 'bn2.runningMean', 'bn2.runningVar']);
    for (const [k, v] of Object.entries({ ...model.params, ...model.buffers })) {
      const w = back.params[k] ?? back.buffers[k];
      expect(Buffer.compare(Buffer.from(w.buffer, w.byteOffset, w.byteLength), Buffer.from(v.buffer, v.byteOffset, v.byteLength)), k).toBe(0);
    }
    const nodes = model.graph.nodes.filter((n) => n.op !== 'Input' && !getOp(n.op)?.isLoss).map((n) => n.id);
    const x = data.test.features.slice(0, 4 * 784);
    const a = inferModel(model, { image: x }, 4, nodes);
    const b = inferModel(back, { image: x }, 4, nodes);
    for (const id of nodes) expect(Buffer.from(b[id].buffer).equals(Buffer.from(a[id].buffer)), id).toBe(true);
    // Writing it again gives the same file; the byte writer (the JSON export's) writes that file's UTF-8.
    expect(modelToJSONText(back)).toBe(text);
    expect(Buffer.from(modelToJSONBytes(model)).equals(Buffer.from(text, 'utf8'))).toBe(true);
  }, 60_000);

  it('writes the same bytes as the text way for names JSON must escape and tensors of every base64 padding', () => {
    const hostile = 'a"b\\c\u0000d\r\n\u2028e\ud800f😀</script>';
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      name: hostile,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [3] }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['x'] },
        { id: 'fc2', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['fc'] },
      ],
      outputs: { y: 'fc2' },
    };
    // 24, 8, 8 and 4 bytes: no padding, one '=' and two.
    const model = { graph, params: { 'fc.weight': Float32Array.from({ length: 6 }, (_, i) => i / 7 - 0.3), 'fc.bias': Float32Array.of(1, -2), 'fc2.weight': Float32Array.of(0.5, Number.NaN), 'fc2.bias': Float32Array.of(-0) }, buffers: {}, classNames: [hostile, 'ok'] };
    const bytes = modelToJSONBytes(model);
    expect(Buffer.from(bytes).equals(Buffer.from(modelToJSONText(model), 'utf8'))).toBe(true);
    expect(modelFromJSON(new TextDecoder().decode(bytes)).graph.name).toBe(hostile);
  });

  it('keeps NaN payloads and signed zeros bit for bit', () => {
    const graph: GraphIR = { format: 'netwright.graph', version: 2, nodes: [{ id: 'x', op: 'Input', attrs: { shape: [2] }, inputs: [] }, { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['x'] }], outputs: { y: 'fc' } };
    const w = new Float32Array(2);
    new Uint32Array(w.buffer).set([0x7fc01234, 0x80000000]);
    const back = modelFromJSON(modelToJSONText({ graph, params: { 'fc.weight': w, 'fc.bias': Float32Array.of(1) }, buffers: {} }));
    expect(Array.from(new Uint32Array(back.params['fc.weight'].buffer))).toEqual([0x7fc01234, 0x80000000]);
  });

  it('refuses what is not a model, a newer one, and weights that do not fit, with coded messages', async () => {
    const { model } = await trainedTemplate('iris-mlp.json', 1);
    const json = modelToJSON(model);
    const err = (input: unknown) => {
      try {
        modelFromJSON(input);
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(err('{')).toMatch(/^E_MODEL_FORMAT: This is not a Netwright model file: it is not valid JSON/);
    expect(err({ ...json, format: 'netwright.project' })).toMatch(/^E_MODEL_FORMAT: .*expected "netwright.model"/);
    expect(err({ ...json, version: 99 })).toMatch(/^E_MODEL_NEWER: .*newer Netwright/);
    const fc = Object.keys(json.params)[0];
    expect(err({ ...json, params: { ...json.params, [fc]: { ...json.params[fc], shape: [1, 2] } } })).toMatch(/^E_MODEL_WEIGHTS: Tensor ".*" has shape \[1, 2\]/);
    expect(err({ ...json, params: { ...json.params, [fc]: { ...json.params[fc], data: 'AAAA' } } })).toMatch(/^E_MODEL_FORMAT: .*holds 0 values|^E_MODEL_FORMAT: .*not valid base64/);
    const { [fc]: _gone, ...rest } = json.params;
    expect(err({ ...json, params: rest })).toMatch(/^E_MODEL_WEIGHTS: The model file has no weights for/);
    expect(err({ ...json, params: { ...json.params, 'ghost.weight': json.params[fc] } })).toMatch(/^E_MODEL_WEIGHTS: .*"ghost.weight"/);
    expect(json.format).toBe(MODEL_FORMAT);
  });
});
