/**
 * What leaves the app for inference: a GAN as its generator (z in, samples out), which computes
 * exactly what the trained graph's generator branch computes; every other graph unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { EXPORT_FORMATS } from '../../../../src-engine/core/export/formats';
import { describeGenerator, generatorOf, inferenceModel } from '../../../../src-engine/core/export/inference-graph';
import { modelFromJSON } from '../../../../src-engine/core/export/json';
import { inferModel, inferencePlan } from '../../../../src-engine/core/export/infer';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { exportPytorch } from '../../../../src-engine/core/export/pytorch';
import { trainedModel } from './onnx/harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');
const template = (f: string) => JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')) as GraphIR;

describe('inferenceModel', () => {
  it('leaves every graph without a training-only construct as it is (the same object)', () => {
    const plain = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json') && !['mnist-dcgan.json', 'mnist-cdcgan.json'].includes(f));
    expect(plain.length).toBeGreaterThan(0);
    for (const f of plain) {
      const model = { graph: template(f), params: {}, buffers: {} };
      const r = inferenceModel(model);
      expect(r.model, f).toBe(model);
      expect(r.generator, f).toBeUndefined();
    }
  });

  it('makes the DCGAN its generator: z as an Input, the generator weights only, no training section', () => {
    const model = trainedModel(template('mnist-dcgan.json'), 1, 4);
    const { model: g, generator } = inferenceModel({ ...model, normalization: { kind: 'global', mean: [0.1], std: [0.3] }, classNames: ['0'] });
    expect(generator).toEqual({ inputs: [{ id: 'z', shape: [32], kind: 'noise' }], output: { id: 'fake', name: 'samples', shape: [1, 28, 28] } });
    expect(describeGenerator(generator!)).toBe('the generator: z [32] → samples [1, 28, 28]');
    expect(g.graph.nodes.map((n) => n.id)).toEqual(['z', 'g_fc', 'g_bn1', 'g_relu1', 'g_reshape', 'g_up1', 'g_bn2', 'g_relu2', 'g_up2', 'fake']);
    expect(g.graph.nodes[0]).toEqual({ id: 'z', op: 'Input', attrs: { shape: [32], source: 'features' }, inputs: [] });
    expect(g.graph.outputs).toEqual({ samples: 'fake' });
    expect(g.graph.training).toBeUndefined();
    expect(g.normalization).toBeUndefined();
    expect(g.classNames).toBeUndefined();
    expect(Object.keys(g.params).every((k) => k.startsWith('g_'))).toBe(true);
    expect(Object.keys(g.params).length).toBeGreaterThan(0);
    expect(Object.keys(model.params).some((k) => k.startsWith('d_'))).toBe(true);
  });

  it('makes the conditional DCGAN its generator: z and the label as Inputs, the label one-hot inside', () => {
    const model = trainedModel(template('mnist-cdcgan.json'), 1, 4);
    const { model: g, generator } = inferenceModel(model);
    expect(generator).toEqual({
      inputs: [
        { id: 'label', shape: [], kind: 'label', classes: 10 },
        { id: 'z', shape: [32], kind: 'noise' },
      ],
      output: { id: 'fake', name: 'samples', shape: [1, 28, 28] },
    });
    expect(describeGenerator(generator!)).toBe('the generator: label (class 0–9), z [32] → samples [1, 28, 28]');
    expect(g.graph.nodes.map((n) => n.id)).toEqual(['label', 'z', 'onehot', 'g_in', 'g_fc', 'g_bn1', 'g_relu1', 'g_reshape', 'g_up1', 'g_bn2', 'g_relu2', 'g_up2', 'fake']);
    expect(g.graph.nodes[0]).toEqual({ id: 'label', op: 'Input', attrs: { shape: [], source: 'features' }, inputs: [] });
    expect(Object.keys(g.params).every((k) => k.startsWith('g_'))).toBe(true);
  });

  it('a generator that reads the dataset\'s samples too (image to image) says so: a features input beside z', () => {
    const graph = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'real', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
        { id: 'z', op: 'Noise', attrs: { shape: [3] }, inputs: ['real'] },
        { id: 'g_in', op: 'Concat', attrs: { axis: 1 }, inputs: ['real', 'z'] },
        { id: 'fake', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['g_in'] },
        { id: 'pair', op: 'RealFakeBatch', attrs: {}, inputs: ['real', 'fake'] },
        { id: 'd_out', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['pair'] },
        { id: 'd_loss', op: 'GANLoss', attrs: { player: 'discriminator' }, inputs: ['d_out'] },
      ],
      outputs: { samples: 'fake' },
    } as GraphIR;
    const generator = generatorOf(graph);
    expect(generator?.inputs).toEqual([
      { id: 'real', shape: [2], kind: 'features' },
      { id: 'z', shape: [3], kind: 'noise' },
    ]);
    expect(describeGenerator(generator!)).toBe('the generator: real [2], z [3] → samples [2]');
  });

  it('a conditional generator draws what the trained graph draws for the same labels, bit for bit', () => {
    const model = trainedModel(template('mnist-cdcgan.json'), 2, 4);
    const { model: g } = inferenceModel(model);
    const batch = 3;
    const label = Float32Array.of(7, 0, 3);
    const full = inferModel(model, { label }, batch, ['z', 'fake']);
    const alone = inferModel(g, { z: full.z, label }, batch, ['fake']);
    expect(Array.from(alone.fake)).toEqual(Array.from(full.fake));
    // The label matters: another digit, other samples.
    const other = inferModel(g, { z: full.z, label: Float32Array.of(1, 1, 1) }, batch, ['fake']);
    expect(Array.from(other.fake)).not.toEqual(Array.from(full.fake));
  });

  it('computes what the trained graph computes: fed the Noise node\'s own draw, the same samples bit for bit', () => {
    const model = trainedModel(template('mnist-dcgan.json'), 2, 4);
    const { model: g } = inferenceModel(model);
    const batch = 3;
    // Eval mode: the Noise node draws from its own seed, so the full graph's z and samples are fixed.
    const full = inferModel(model, {}, batch, ['z', 'fake']);
    const alone = inferModel(g, { z: full.z }, batch, ['fake']);
    expect(alone.fake.length).toBe(batch * 28 * 28);
    expect(Array.from(alone.fake)).toEqual(Array.from(full.fake));
  });
});

describe('exporting a GAN', () => {
  it('the PyTorch project holds the generator for inference, says so, and has no train.py', () => {
    const model = trainedModel(template('mnist-dcgan.json'), 1, 4);
    const files = exportPytorch(model).files;
    expect(files.map((f) => f.path)).toEqual(['model.py', 'weights.pt', 'model.safetensors', 'README.md', 'MODEL_CARD.md', 'requirements.txt']);
    const readme = new TextDecoder().decode(files.find((f) => f.path === 'README.md')!.data);
    expect(readme).toContain('the generator: z [32] → samples [1, 28, 28]');
    expect(readme).toContain('no `train.py`');
    expect(readme).toContain('torch.randn(16, 32)');
    const py = new TextDecoder().decode(files[0].data);
    expect(py).toContain("INPUT_SHAPES = {'z': [32]}");
    expect(py).not.toMatch(/self\.d_/);
  });

  it('a conditional GAN\'s PyTorch project takes the label beside z', () => {
    const model = trainedModel(template('mnist-cdcgan.json'), 1, 4);
    const files = exportPytorch(model).files;
    const readme = new TextDecoder().decode(files.find((f) => f.path === 'README.md')!.data);
    expect(readme).toContain('the generator: label (class 0–9), z [32] → samples [1, 28, 28]');
    expect(readme).toContain('model(torch.arange(16) % 10, torch.randn(16, 32))');
    const py = new TextDecoder().decode(files[0].data);
    expect(py).toContain("INPUT_SHAPES = {'label': [], 'z': [32]}");
    expect(py).toContain('self.onehot = OneHot(10)');
  });

  it('the JSON model file keeps the whole GAN (Netwright reopens it to train on)', () => {
    const model = trainedModel(template('mnist-dcgan.json'), 1, 4);
    const json = EXPORT_FORMATS.find((f) => f.id === 'json')!.export(model, {});
    const back = modelFromJSON(new TextDecoder().decode(json.files[0].data));
    expect(back.graph.nodes.map((n) => n.id)).toEqual(model.graph.nodes.map((n) => n.id));
    expect(back.graph.training?.groups?.length).toBe(2);
    expect(Object.keys(back.params).sort()).toEqual(Object.keys(model.params).sort());
  });
});

describe('inferencePlan (#47)', () => {
  it('draws no random weights it then overwrites: compiled with init: false, every weight and buffer is the loaded one', () => {
    const graph = template('mnist-cnn.json');
    const blank = compileGraph(checkedOrThrow(graph), { batchSize: 1, backend: createReferenceBackend(), seed: 0, init: false });
    expect([...blank.params, ...blank.buffers].every((e) => e.value.data.every((v) => v === 0))).toBe(true);
    const model = trainedModel(graph, 1, 4);
    const plan = inferencePlan(model, 1);
    for (const e of [...plan.params, ...plan.buffers]) expect(e.value.data).toEqual(model[plan.params.includes(e as never) ? 'params' : 'buffers'][`${e.nodeId}.${e.name}`]);
  });
});
