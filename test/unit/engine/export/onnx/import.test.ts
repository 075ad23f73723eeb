/**
 * ONNX import: models written by torch.onnx (PyTorch 1.13: an MLP, a CNN with BatchNorm, GELU in
 * both forms) give PyTorch's outputs within 1e-4; Netwright → ONNX → Netwright gives the same graph
 * and bit-identical outputs; unsupported ops are listed by node name and nothing is produced.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { analyzeGraph } from '../../../../../src-engine/core/analysis/validate';
import { inferModel } from '../../../../../src-engine/core/export/infer';
import { inferenceModel } from '../../../../../src-engine/core/export/inference-graph';
import { exportOnnx, OnnxError } from '../../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../../src-engine/core/import/onnx';
import { decodeModel, encodeModel, type OnnxTensor } from '../../../../../src-engine/core/export/onnx/proto';
import { compare, importRefusal, netwrightOutputs, randomModel, runOrt, someNormalization, trainedModel } from './harness';
import { pythonFixtures } from './python-fixtures';
import { randomGraph } from './random-graphs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', '..', 'examples');
const FIXTURE_SCRIPT = join(import.meta.dirname, 'torch-fixtures.py');

interface TorchFixture {
  input: number[];
  inputShape: number[];
  output: number[];
}

describe('ONNX import of torch.onnx files (PyTorch 1.13)', () => {
  it('reads an MLP, a CNN with BatchNorm and GELU models, and gives PyTorch’s outputs within 1e-4', async () => {
    const dir = pythonFixtures(FIXTURE_SCRIPT, [], ['torch', 'onnx']);
    const names = readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
    expect(names).toEqual(['cnn', 'gelu', 'gelu_tanh', 'mlp']);
    for (const name of names) {
      const bytes = readFileSync(join(dir, `${name}.onnx`));
      const fixture = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as TorchFixture;
      const { model, restored } = importOnnx(bytes);
      expect(restored).toBe(false);
      const batch = fixture.inputShape[0];
      const input = model.graph.nodes.find((n) => n.op === 'Input')!;
      const out = inferModel(model, { [input.id]: Float32Array.from(fixture.input) }, batch, [model.graph.outputs.y]);
      const c = compare(out[model.graph.outputs.y], fixture.output, 1e-4, 0);
      expect(c.excess, `${name}: max error ${c.maxAbs}`).toBeLessThanOrEqual(0);
      console.info(`${name}: ${model.graph.nodes.map((n) => n.op).join(' → ')}; max |Netwright − PyTorch| = ${c.maxAbs.toExponential(2)}`);
      if (name === 'cnn') expect(model.graph.nodes.map((n) => n.op)).toEqual(['Input', 'Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'BatchNorm', 'GlobalAvgPool', 'Linear', 'BatchNorm']);
      if (name === 'mlp') {
        // A classifier ending in Softmax: recognised, given a label Input and a loss on the logits (fc3, not the Softmax).
        expect(model.graph.nodes.find((n) => n.op === 'CrossEntropyLoss')?.inputs).toEqual(['fc3', 'label']);
        expect(model.graph.outputs).toMatchObject({ logits: 'fc3', loss: 'loss' });
        // Replace the head, fine-tune a few steps, export again: onnxruntime agrees.
        const g = structuredClone(model.graph);
        const head = g.nodes.find((n) => n.id === 'fc3')!;
        head.attrs = { ...head.attrs, outFeatures: 3 };
        g.nodes = g.nodes.filter((n) => n.op !== 'Softmax');
        g.outputs = { logits: 'fc3', loss: 'loss' };
        const tuned = trainedModel(g, 3, 4);
        const x = Float32Array.from(fixture.input);
        const ort = await runOrt(exportOnnx(tuned).bytes, { [input.id]: { data: x, dims: fixture.inputShape } });
        expect(compare(ort.logits, inferModel(tuned, { [input.id]: x }, batch, ['fc3']).fc3).excess).toBeLessThanOrEqual(0);
      }
      if (name.startsWith('gelu')) expect(model.graph.nodes.filter((n) => n.op === 'GELU').map((n) => n.attrs.approximate)).toEqual([name === 'gelu' ? 'none' : 'tanh']);
    }
  }, 120_000);
});

describe('Netwright → ONNX → Netwright', () => {
  it('gives back the same graph and bit-identical outputs (templates, with their normalisation)', () => {
    const rng = new Rng(3);
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
      const graph = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as GraphIR;
      const trained = trainedModel(graph, 2, 4);
      const { model: generator, generator: info } = inferenceModel(trained);
      if (info) {
        // A GAN leaves as its generator, and comes back as it: z in, the samples out, bit for bit.
        const { model: back, restored } = importOnnx(exportOnnx(trained).bytes);
        expect(restored, file).toBe(true);
        expect(back.graph).toEqual(generator.graph);
        const z = { z: Float32Array.from({ length: 2 * 32 }, () => rng.normal()) };
        expect(Array.from(inferModel(back, z, 2, ['fake']).fake)).toEqual(Array.from(inferModel(generator, z, 2, ['fake']).fake));
        continue;
      }
      const features = graph.nodes.find((n) => n.op === 'Input' && n.attrs.source !== 'target')!;
      const size = (features.attrs.shape as number[]).reduce((a, b) => a * b, 1);
      const model = { ...trained, normalization: someNormalization('per-feature', size, rng), classNames: ['a', 'b'] };
      const { model: back, restored, warnings } = importOnnx(exportOnnx(model).bytes);
      expect(restored, file).toBe(true);
      expect(warnings).toEqual([]);
      expect(back.graph).toEqual(graph);
      expect(back.normalization).toEqual(model.normalization);
      expect(back.classNames).toEqual(['a', 'b']);
      const out = Object.values(graph.outputs).filter((id) => !id.startsWith('loss'));
      const x = { [features.id]: Float32Array.from({ length: 2 * size }, () => rng.uniform()) };
      const a = netwrightOutputs(model, x, 2, out);
      const b = netwrightOutputs(back, x, 2, out);
      for (const id of out) expect(Array.from(b[id]), `${file} ${id}`).toEqual(Array.from(a[id]));
    }
  });

  it('rebuilds the graph from the nodes alone (no stored graph): same ops, attrs and bit-identical outputs', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const graph = randomGraph(seed, 6 + (seed % 6));
      const model = randomModel(graph, seed);
      const file = decodeModel(exportOnnx(model).bytes);
      file.metadata_props = [];
      const { model: back, restored, warnings } = importOnnx(encodeModel(file));
      expect(restored).toBe(false);
      // A graph giving K ≥ 2 logits from a Linear or a convolution is recognised as a classifier:
      // it comes back with a label Input and a loss besides (classifier.ts).
      const classifier = warnings.some((w) => w.code === 'W_IMPORT_CLASSIFIER');
      // The inference graph comes back, as docs/export.md says: Dropout (the identity) is not
      // written; a Flatten from dim 2 on is a Reshape; an Add of k inputs is a chain of k − 1 Adds.
      // Nodes the output does not need (a dead branch) are not written either.
      const needed = new Set<string>();
      const visit = (id: string): void => void (needed.has(id) || (needed.add(id), graph.nodes.find((n) => n.id === id)!.inputs.forEach(visit)));
      visit(graph.outputs.y);
      const expected = analyzeGraph(graph).graph!.nodes.flatMap((n): [string, string][] => {
        if (n.op === 'Dropout' || !needed.has(n.id)) return [];
        if (n.op === 'Flatten' && n.attrs.startDim !== 1) return [[n.id, 'Reshape']];
        if (n.op === 'Add') return n.inputs.slice(2).map((_, i): [string, string] => [`${n.id}/${i + 1}`, 'Add']).concat([[n.id, 'Add']]);
        return [[n.id, n.op]];
      });
      if (classifier) expected.push(['label', 'Input'], ['loss', 'CrossEntropyLoss']);
      expect(back.graph.nodes.map((n) => [n.id, n.op]), `seed ${seed}`).toEqual(expected);
      const shapes = analyzeGraph(graph, { batchSize: 2 }).shapes;
      const x = Float32Array.from({ length: shapes.x.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.7 + seed));
      const a = inferModel(model, { x }, 2, [graph.outputs.y]);
      const b = inferModel(back, { x }, 2, [back.graph.outputs.y]);
      expect(Array.from(b[back.graph.outputs.y]), `seed ${seed}`).toEqual(Array.from(a[graph.outputs.y]));
    }
  });

  it('falls back to the nodes, with a warning, when a Netwright file was edited after export', () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'iris-mlp.json'), 'utf8')) as GraphIR;
    const classNames = ['setosa', 'versicolor', 'virginica'];
    const file = decodeModel(exportOnnx({ ...trainedModel(graph, 1, 4), classNames }).bytes);
    file.graph.node = file.graph.node.map((n) => (n.op_type === 'Relu' ? { ...n, op_type: 'Sigmoid' } : n));
    const { model, restored, warnings } = importOnnx(encodeModel(file));
    expect(restored).toBe(false);
    expect(warnings.map((w) => w.code)).toEqual(['W_IMPORT_EDITED', 'W_IMPORT_CLASSIFIER']);
    expect(model.graph.nodes.some((n) => n.op === 'Sigmoid')).toBe(true);
    // Rebuilt from the nodes, it is still a classifier of 3 classes with its class names (from the metadata).
    expect(model.classNames).toEqual(classNames);
    expect(model.graph.nodes.filter((n) => n.op === 'CrossEntropyLoss').length).toBe(1);
  });
});

describe('ONNX import refuses what it cannot read', () => {
  it('lists every unsupported node by name, and produces nothing', () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'two-moons-mlp.json'), 'utf8')) as GraphIR;
    const file = decodeModel(exportOnnx(trainedModel(graph, 1, 4)).bytes);
    file.metadata_props = [];
    let k = 0;
    file.graph.node = file.graph.node.map((n) => (n.op_type === 'Tanh' || n.op_type === 'Relu' ? { ...n, op_type: k++ ? 'Selu' : 'Celu' } : n));
    expect(k).toBeGreaterThanOrEqual(2);
    let err: unknown;
    try {
      importOnnx(encodeModel(file));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxError);
    expect((err as OnnxError).code).toBe('E_IMPORT_UNSUPPORTED');
    const listed = (err as OnnxError).diagnostics.map((d) => [d.nodeId, d.op]);
    expect(listed).toEqual(file.graph.node.filter((n) => n.op_type === 'Selu' || n.op_type === 'Celu').map((n) => [n.name, n.op_type]));
    expect((err as OnnxError).message).toMatch(/Celu is not an op Netwright can import/);
  });

  const moons = () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'two-moons-mlp.json'), 'utf8')) as GraphIR;
    const file = decodeModel(exportOnnx(trainedModel(graph, 1, 4)).bytes);
    file.metadata_props = [];
    return file;
  };

  it('an op type that is a key of every object (__proto__, constructor, toString) is an unsupported op, like any other', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const file = moons();
    let k = 0;
    file.graph.node = file.graph.node.map((n) => (n.op_type === 'Tanh' || n.op_type === 'Relu' || n.op_type === 'Gemm' ? { ...n, op_type: names[k++ % names.length] } : n));
    expect(k).toBeGreaterThanOrEqual(4);
    const err = importRefusal(encodeModel(file));
    expect(err.code).toBe('E_IMPORT_UNSUPPORTED');
    const changed = file.graph.node.filter((n) => names.includes(n.op_type));
    expect(err.diagnostics.map((d) => [d.nodeId, d.op, d.message])).toEqual(changed.map((n) => [n.name, n.op_type, `${n.op_type} is not an op Netwright can import`]));
  });

  it('a weight with a negative or huge dim, or fewer bytes than its dims declare, is E_IMPORT_FORMAT naming it', () => {
    const cases: [string, (t: OnnxTensor) => OnnxTensor, RegExp][] = [
      ['negative dim', (t) => ({ ...t, dims: [-t.dims[0], ...t.dims.slice(1)] }), /dims \[-\d+.*must be whole numbers ≥ 0/],
      ['huge dims', (t) => ({ ...t, dims: [1e6, 1e6, 1e6] }), /declares 1000000 × 1000000 × 1000000 values but holds \d+ bytes/],
      ['short raw data', (t) => ({ ...t, raw_data: t.raw_data!.subarray(0, t.raw_data!.length - 4) }), /declares \d+( × \d+)* values but holds \d+ bytes of float32 data/],
      ['float_data short', (t) => ({ ...t, raw_data: undefined, float_data: [1, 2] }), /declares \d+( × \d+)* values but holds 2/],
    ];
    for (const [what, change, message] of cases) {
      const file = moons();
      const init = file.graph.initializer.find((t) => t.dims.length === 2 && t.raw_data && t.raw_data.length > 8)!;
      file.graph.initializer = file.graph.initializer.map((t) => (t === init ? change(t) : t));
      const err = importRefusal(encodeModel(file));
      expect(err.code, what).toBe('E_IMPORT_FORMAT');
      expect(err.diagnostics, what).toEqual([{ code: 'E_IMPORT_FORMAT', nodeId: init.name, message: expect.stringMatching(message) }]);
    }
    // The same checks hold for a Constant node's tensor.
    const file = moons();
    file.graph.node.unshift({ name: 'c', op_type: 'Constant', input: [], output: ['c_out'], attribute: [{ name: 'value', type: 4, t: { dims: [4], data_type: 1, raw_data: new Uint8Array(8) } }] });
    expect(importRefusal(encodeModel(file)).diagnostics).toEqual([{ code: 'E_IMPORT_FORMAT', nodeId: 'c', op: 'Constant', message: expect.stringMatching(/declares 4 values but holds 8 bytes/) }]);
  });

  it('says when the bytes are not an ONNX model', () => {
    expect(() => importOnnx(new TextEncoder().encode('{"format": "netwright.graph"}'))).toThrow(expect.objectContaining({ code: 'E_IMPORT_FORMAT' }));
  });
});
