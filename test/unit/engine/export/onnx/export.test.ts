/**
 * ONNX export: every template (trained a few steps; the GAN as its generator) and 60 random graphs covering every
 * exportable op and attribute variant run in onnxruntime (its WebAssembly build, onnxruntime-web) and match Netwright's eval outputs
 * within 1e-5 + 1e-4·|y|; python3-onnx's full checker accepts every file.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { ENGINE_VERSION } from '../../../../../src-engine/base/version';
import { analyzeGraph } from '../../../../../src-engine/core/analysis/validate';
import { inferenceModel } from '../../../../../src-engine/core/export/inference-graph';
import type { TrainedModel } from '../../../../../src-engine/core/export/model';
import { exportOnnx, OnnxError } from '../../../../../src-engine/core/export/onnx';
import { decodeModel } from '../../../../../src-engine/core/export/onnx/proto';
import { importOnnx } from '../../../../../src-engine/core/import/onnx';
import { isMapped } from '../../../../../src-engine/core/ops/export-mapping';
import { listOps } from '../../../../../src-engine/core/ops/registry';
import { compare, netwrightOutputs, onnxCheck, randomModel, runOrt, someNormalization, trainedModel } from './harness';
import { opFile } from '../../op-suite-cases';
import { embeddingRows, oneHotClasses, randomGraph } from './random-graphs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', '..', 'examples');
const BATCH = 3;

/**
 * Export `exported`, run in onnxruntime at batch 3, compare every output with Netwright's eval of
 * `model` (the exported model itself, or for a GAN the generator it leaves as, fed the same z);
 * returns the bytes and the largest error.
 */
async function roundThroughOrt(model: TrainedModel, options: Parameters<typeof exportOnnx>[1], rng: Rng, exported: TrainedModel = model) {
  const { bytes, inputs, outputs } = exportOnnx(exported, options);
  const shapes = analyzeGraph(model.graph, { batchSize: BATCH }).shapes;
  const raw: Record<string, Float32Array> = {};
  for (const id of inputs) {
    // Class indices (an Input read by OneHot): whole numbers in [−C, C − 1] (Netwright refuses others, E_ID_RANGE: #83).
    const classes = oneHotClasses(model.graph, id);
    // Token ids (an Input read by Embedding): whole numbers in [−V, V − 1] (onnxruntime's Gather refuses others, and Netwright).
    const rows = embeddingRows(model.graph, id);
    const draw = () => (classes ? rng.int(2 * classes) - classes : rows ? rng.int(2 * rows) - rows : rng.normal());
    raw[id] = Float32Array.from({ length: shapes[id].reduce((a, b) => a * b, 1) }, draw);
  }
  // With normalisation 'none' the file takes the features as the network saw them (normalised).
  const fed = options?.normalization === 'none' && model.normalization ? Object.fromEntries(inputs.map((id) => [id, netwrightOutputs(model, { [id]: raw[id] }, BATCH, [id])[id]])) : raw;
  const got = await runOrt(
    bytes,
    Object.fromEntries(inputs.map((id) => [id, { data: fed[id], dims: shapes[id] }])),
  );
  const keys = Object.entries(model.graph.outputs).filter(([k]) => outputs.includes(k));
  const want = netwrightOutputs(model, raw, BATCH, keys.map(([, id]) => id));
  let worst = { excess: -Infinity, maxAbs: 0 };
  for (const [key, id] of keys) {
    const c = compare(got[key], want[id]);
    worst = { excess: Math.max(worst.excess, c.excess), maxAbs: Math.max(worst.maxAbs, c.maxAbs) };
  }
  return { bytes, ...worst };
}

describe('ONNX export', () => {
  const files: Record<string, Uint8Array> = {};

  it('exports every template, trained a few steps, and onnxruntime matches Netwright (a GAN: its generator)', async () => {
    const names = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    const rng = new Rng(5);
    let maxAbs = 0;
    let generatorMaxAbs = -1;
    for (const name of names) {
      const graph = JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8')) as GraphIR;
      const model = trainedModel(graph, 2, 4);
      const { model: generator, generator: info } = inferenceModel(model);
      if (info) {
        // The file holds the generator: its input is z, whatever normalisation the data had.
        const r = await roundThroughOrt(generator, undefined, rng, { ...model, normalization: someNormalization('global', 1, rng) });
        expect(r.excess, `${name} (generator)`).toBeLessThanOrEqual(0);
        const m = decodeModel(r.bytes);
        expect(m.graph.input.map((i) => i.name)).toEqual(info.inputs.map((l) => l.id));
        generatorMaxAbs = Math.max(generatorMaxAbs, r.maxAbs);
        files[`${name} generator`] = r.bytes;
        continue;
      }
      const features = graph.nodes.find((n) => n.op === 'Input' && n.attrs.source !== 'target')!;
      const size = (features.attrs.shape as number[]).reduce((a, b) => a * b, 1);
      // Token ids (a language model's characters) are never normalised: its file takes the ids as they are.
      const tokens = embeddingRows(graph, features.id) !== undefined;
      // The features go first into a convolution or a recurrent layer (the CNNs, "Your photos", the LSTM).
      const convOrRecurrent = graph.nodes.some((n) => n.inputs[0] === features.id && (n.op === 'Conv2d' || n.op === 'LSTM'));
      for (const mode of ['nodes', 'fold', 'none'] as const) {
        const m = tokens ? model : { ...model, normalization: someNormalization(convOrRecurrent ? 'global' : 'per-feature', size, rng) };
        if (mode === 'fold' && convOrRecurrent) {
          // Padding 1 in the first conv: the normalisation cannot be folded, and the exporter says
          // so. Nor into an LSTM (the folder knows Linear and Conv2d only).
          expect(() => exportOnnx(m, { normalization: 'fold' })).toThrow(expect.objectContaining({ code: 'E_EXPORT_FOLD' }));
          continue;
        }
        const r = await roundThroughOrt(m, { normalization: mode }, rng);
        expect(r.excess, `${name} (${mode})`).toBeLessThanOrEqual(0);
        maxAbs = Math.max(maxAbs, r.maxAbs);
        files[`${name} ${mode}`] = r.bytes;
      }
    }
    console.info(`templates: max |onnxruntime − Netwright| = ${maxAbs.toExponential(2)}; GAN generator: ${generatorMaxAbs.toExponential(2)}`);
    // Every template was written: each classifier/autoencoder in three modes (less the folds that cannot be), the GAN once.
    expect(Object.keys(files).filter((k) => k.endsWith(' generator')).length, 'a GAN template (mnist-dcgan.json) is covered').toBeGreaterThan(0);
    expect(new Set(Object.keys(files).map((k) => k.split(' ')[0]))).toEqual(new Set(names));
  }, 120_000);

  it('exports 60 random graphs covering every exportable op and its attribute variants', async () => {
    const seen = new Set<string>();
    const rng = new Rng(9);
    let maxAbs = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const graph = randomGraph(seed, 6 + (seed % 6));
      const model = randomModel(graph, seed);
      const input = graph.nodes[0];
      if (seed % 2 === 0) model.normalization = someNormalization(seed % 4 === 0 ? 'global' : 'per-feature', (input.attrs.shape as number[]).reduce((a, b) => a * b, 1), rng);
      for (const n of graph.nodes) {
        seen.add(n.op);
        for (const [k, v] of Object.entries(n.attrs)) if (typeof v !== 'number' || ['approximate', 'affine', 'elementwiseAffine', 'bias', 'groups', 'startDim', 'scaleFactor'].includes(k)) seen.add(`${n.op}.${k}=${JSON.stringify(v)}`);
        if (n.op === 'Add') seen.add(`Add×${n.inputs.length}`);
      }
      const opset = seed % 5 === 0 ? 20 : 17;
      const r = await roundThroughOrt(model, { opset }, rng);
      expect(r.excess, `random graph ${seed} (opset ${opset}): ${JSON.stringify(graph.nodes.map((n) => [n.op, n.attrs]))}`).toBeLessThanOrEqual(0);
      maxAbs = Math.max(maxAbs, r.maxAbs);
      if (opset === 17) files[`random ${seed}`] = r.bytes;
    }
    const exportable = listOps().filter((op) => op.name !== 'Input' && isMapped(op.onnx)).map((op) => op.name);
    const unseen = exportable.filter((op) => !seen.has(op)).map((op) => `${opFile(op)}: no random graph drew ${op}; an activation, or an op declaring testDomain.graph, is drawn from the registry (registry-draws.ts); any other op needs a draw in test/unit/engine/export/onnx/random-graphs.ts`);
    expect(unseen, `ops the random graphs never export:\n${unseen.join('\n')}`).toEqual([]);
    const variants = [
      'Linear.bias=false', 'Linear.bias=true', 'Conv2d.groups=2', 'Conv2d.bias=false', 'ConvTranspose2d.groups=2', 'ConvTranspose2d.bias=false',
      'BatchNorm.affine=false', 'LayerNorm.elementwiseAffine=false', 'GELU.approximate="none"', 'GELU.approximate="tanh"', 'MaxPool2d.stride=[]', 'AvgPool2d.stride=[]',
      'Flatten.startDim=1', 'Flatten.startDim=2', 'Flatten.startDim=3', 'Upsample.scaleFactor=2', 'Upsample.scaleFactor=3', 'Add×3',
      'MaxPool2d.ceilMode=true', 'GlobalAvgPool.keepDims=true', 'Upsample.mode="bilinear"',
    ];
    expect(variants.filter((v) => !seen.has(v))).toEqual([]);
    console.info(`60 random graphs: max |onnxruntime − Netwright| = ${maxAbs.toExponential(2)}`);
  }, 240_000);

  it('writes files that python3-onnx full_check accepts (opset 17, IR 8)', () => {
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(60);
    expect(onnxCheck(files)).toEqual({});
    const m = decodeModel(Object.values(files)[0]);
    expect(m.ir_version).toBe(8);
    expect(m.opset_import).toEqual([{ domain: '', version: 17 }]);
  }, 120_000);

  it('names nodes after the canvas, leaves out Dropout and the loss, and makes the batch dynamic', () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-mlp.json'), 'utf8')) as GraphIR;
    const m = decodeModel(exportOnnx(trainedModel(graph, 1, 4)).bytes);
    const names = m.graph.node.map((n) => n.name);
    for (const n of graph.nodes) {
      if (n.op === 'Input' || n.op === 'Dropout' || n.op.endsWith('Loss')) expect(names).not.toContain(n.id);
      else expect(names).toContain(n.id);
    }
    expect(m.graph.node.map((n) => n.op_type)).not.toContain('Dropout');
    expect(m.graph.input.map((i) => i.name)).toEqual(['image']);
    expect(m.graph.input[0].type?.tensor_type?.shape?.dim[0]).toEqual({ dim_param: 'batch' });
    expect(m.graph.output.map((o) => o.name)).toEqual(['logits']);
    expect(m.graph.node.find((n) => n.name === 'fc1')?.doc_string).toMatch(/^Linear \(128 out\)/);
  });

  it('states its producer version and every inner value’s shape, and embeds no host path of the training data (issue #29)', () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-mlp.json'), 'utf8')) as GraphIR;
    const model = trainedModel(graph, 1, 4);
    const local: TrainedModel = { ...model, graph: { ...model.graph, training: { ...model.graph.training!, dataset: { ...model.graph.training!.dataset, options: { dir: '/home/ana/thesis/mnist-files' } } } } };
    const { bytes } = exportOnnx(local);
    const m = decodeModel(bytes);
    expect(m.producer_version).toBe(ENGINE_VERSION);
    const shapes = new Map(m.graph.value_info?.map((v) => [v.name, v.type?.tensor_type?.shape?.dim.map((d) => d.dim_value ?? d.dim_param)]));
    expect(shapes.get('fc1')).toEqual(['batch', 128]);
    expect(shapes.get('relu1')).toEqual(['batch', 128]);
    expect(shapes.has('logits')).toBe(false); // a graph output describes itself
    expect(Buffer.from(bytes).includes('/home/ana')).toBe(false);
    expect(JSON.parse(m.metadata_props!.find((p) => p.key === 'netwright.graph')!.value).training.dataset.options).toEqual({ dir: 'mnist-files' });
    expect(onnxCheck({ local: bytes })).toEqual({});
  }, 60_000);

  it("writes an image's per-channel statistics as [C, 1, 1] (one figure per channel, also when one run spans the channels), and onnxruntime matches Netwright", async () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'your-photos.json'), 'utf8')) as GraphIR;
    const model = trainedModel(graph, 1, 4);
    const shape = analyzeGraph(model.graph, { batchSize: 1 }).shapes.image.slice(1);
    const plane = shape[1] * shape[2];
    const rng = new Rng(11);
    // Colour (a figure per channel) and grey read as RGB (one run over all three channels).
    for (const [mean, std] of [[[0.49, 0.48, 0.45], [0.25, 0.24, 0.26]], [[0.29], [0.35]]]) {
      const spread = (v: number[]) => Array.from({ length: shape[0] * plane }, (_, i) => v[Math.floor((i / (shape[0] * plane)) * v.length)]);
      const normalized: TrainedModel = { ...model, normalization: { kind: 'per-feature', mean: spread(mean), std: spread(std) } };
      const r = await roundThroughOrt(normalized, undefined, rng);
      expect(r.excess).toBeLessThanOrEqual(0);
      const inits = new Map(decodeModel(r.bytes).graph.initializer.map((t) => [t.name, t]));
      expect(inits.get('image.mean')?.dims.map(Number)).toEqual([shape[0], 1, 1]);
      expect(inits.get('image.std')?.dims.map(Number)).toEqual([shape[0], 1, 1]);
      // Read back (the Sub and Div taken as the normalisation, its figures as the metadata holds them): the model's own.
      const back = importOnnx(r.bytes).model.normalization!;
      expect(back.kind).toBe('per-feature');
      expect([back.mean, back.std]).toEqual([normalized.normalization!.mean, normalized.normalization!.std]);
    }
  }, 60_000);

  it('refuses, before writing anything, a graph whose output needs a node with no ONNX form', () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [3] }, inputs: [] },
        { id: 't', op: 'Input', attrs: { shape: [3], source: 'target' }, inputs: [] },
        { id: 'mse', op: 'MSELoss', attrs: {}, inputs: ['x', 't'] },
        { id: 'l1', op: 'L1Loss', attrs: {}, inputs: ['x', 't'] },
        { id: 'both', op: 'Add', attrs: {}, inputs: ['mse', 'l1'] },
      ],
      outputs: { y: 'both' },
    };
    let err: unknown;
    try {
      exportOnnx({ graph, params: {}, buffers: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxError);
    expect((err as OnnxError).code).toBe('E_EXPORT_UNSUPPORTED');
    expect((err as OnnxError).diagnostics.map((d) => [d.code, d.nodeId])).toEqual([
      ['E_EXPORT_UNSUPPORTED', 'mse'],
      ['E_EXPORT_UNSUPPORTED', 'l1'],
    ]);
    expect(() => exportOnnx({ graph, params: {}, buffers: {} }, { opset: 13 })).toThrow(expect.objectContaining({ code: 'E_EXPORT_OPTION' }));
  });
});
