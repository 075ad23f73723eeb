/**
 * Export over the protocol: `model.export` of the current run and of a stored run's checkpoints
 * (which the run store now keeps), `model.load` making a saved model predict at once without
 * training, a GAN's `model.generate`, and the coded errors.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../../src-engine/core/export/onnx/proto';
import { bytesToBase64 } from '../../../src-engine/base/base64';
import { modelFromJSON, modelToJSON } from '../../../src-engine/core/export/json';
import { readFileSync } from 'node:fs';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { trainedModel } from '../engine/export/onnx/harness';
import { inferenceModel } from '../../../src-engine/core/export/inference-graph';
import { inferModel } from '../../../src-engine/core/export/infer';
import { Rng } from '../../../src-engine/base/rng';
import { ASCII_VOCABULARY } from '../../../src-engine/core/data';
import { writesText } from '../../../src-engine/core/data/text-sets';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine, twoMoonsGraph } from './fixtures';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('export over the protocol', () => {
  it('says there are no trained weights before a run, and names the formats on a wrong one', async () => {
    const { client } = setupEngine();
    await expect(client.request('model.export', { source: { kind: 'current' }, format: 'json' })).rejects.toMatchObject({ code: 'E_EXPORT_NO_WEIGHTS', message: expect.stringMatching(/no trained weights yet/) });
    await expect(client.request('model.export', { source: { kind: 'current' }, format: 'onnx-x' })).rejects.toMatchObject({ code: 'E_EXPORT_FORMAT', message: expect.stringMatching(/choose json, onnx, onnx-int8, pytorch/) });
  });

  it('exports the current run as JSON and PyTorch, keeps last/best checkpoints in the run store, exports them, and a loaded model predicts as the run did', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-')));
    const { client, waitFor } = setupEngine({ runs: store });
    const start = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 3 }), probes: false });
    await waitFor('train.done');
    const progress: number[] = [];
    client.on('export.progress', (d) => progress.push(d.fraction));

    const json = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    expect(json.kind).toBe('file');
    expect(json.name).toMatch(/\.netwright-model\.json$/);
    const model = modelFromJSON(text(json.files[0].data));
    expect(model.classNames).toEqual(start.classNames);
    expect(model.origin).toMatchObject({ runId: start.storedRunId, which: 'last' });
    expect(model.metrics?.test).toBeDefined();

    const pt = await client.request('model.export', { source: { kind: 'current' }, format: 'pytorch' });
    expect(pt.files.map((f) => f.path).sort()).toEqual(['MODEL_CARD.md', 'README.md', 'data/dataset.json', 'data/train_features.npy', 'data/train_targets.npy', 'model.py', 'model.safetensors', 'requirements.txt', 'train.py', 'weights.pt']);
    expect(progress.at(-1)).toBe(1);

    // The run store kept both checkpoints, and a stored run exports like the live one.
    expect(readdirSync(join(store.dir, start.storedRunId!)).sort()).toEqual([
      expect.stringMatching(/^checkpoint-best\.[0-9a-f]{8}\.bin$/),
      'checkpoint-best.json',
      expect.stringMatching(/^checkpoint-last\.[0-9a-f]{8}\.bin$/),
      'checkpoint-last.json',
      expect.stringMatching(/^events\.out\.tfevents\.\d+\./),
      'graph.json',
      'log.nwr',
      'run.json',
    ]);
    const last = await client.request('model.export', { source: { kind: 'run', id: start.storedRunId!, which: 'last' }, format: 'json' });
    expect(modelFromJSON(text(last.files[0].data)).params).toEqual(model.params);
    const best = await client.request('model.export', { source: { kind: 'run', id: start.storedRunId!, which: 'best' }, format: 'json' });
    expect(modelFromJSON(text(best.files[0].data)).origin).toMatchObject({ which: 'best', runId: start.storedRunId });

    // A project's model, loaded: predictions identical to the run's, at once.
    const sample = [0.3, -0.1];
    const live = await client.request('model.predict', { runId: start.runId, input: sample });
    const loaded = await client.request('model.load', { model: JSON.parse(text(json.files[0].data)) });
    expect(loaded).toMatchObject({ task: 'classification', classNames: start.classNames });
    expect(loaded.probeSamples.inputs.length).toBeGreaterThan(0);
    const again = await client.request('model.predict', { runId: loaded.runId, input: sample });
    expect(again).toEqual(live);
    // Exporting "current" now exports the loaded model.
    const re = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    expect(text(re.files[0].data)).toBe(text(json.files[0].data));
  }, 30_000);

  it('warns (E_EXPORT_DIVERGED, naming the step) when the weights are a diverged run\'s: held now, and stored after it was stopped there; a healthy run has no warning (#44 item 8)', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-')));
    const { client, waitFor } = setupEngine({ runs: store });
    const start = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 4, optimizer: { kind: 'adam', lr: 1000 } }), probes: false });
    const d = await waitFor('train.diverged');
    const held = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    expect(held.files.length).toBe(1);
    expect(held.warning).toMatchObject({ code: 'E_EXPORT_DIVERGED', message: expect.stringMatching(/diverged.*held there/) });
    await client.request('train.control', { runId: start.runId, action: 'stop' });
    await waitFor('train.done');
    const stored = await client.request('model.export', { source: { kind: 'run', id: start.storedRunId!, which: 'last' }, format: 'json' });
    expect(stored.warning).toMatchObject({ code: 'E_EXPORT_DIVERGED', message: expect.stringContaining(`at step ${d.step}`) });
    const healthy = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false });
    await waitFor('train.done', (e) => e.runId === healthy.runId);
    expect((await client.request('model.export', { source: { kind: 'current' }, format: 'json' })).warning).toBeUndefined();
  });

  it('a GAN exports as its generator, and the answer says so (the Export notice shows it); JSON keeps the whole GAN', async () => {
    const { client } = setupEngine();
    const dcgan = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/mnist-dcgan.json'), 'utf8')) as GraphIR;
    await client.request('model.load', { model: modelToJSON(trainedModel(dcgan, 1, 4)) });
    for (const format of ['onnx', 'pytorch', 'safetensors']) {
      const r = await client.request('model.export', { source: { kind: 'current' }, format });
      expect(r.holds, format).toBe('the generator: z [32] → samples [1, 28, 28]');
    }
    const json = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    expect(json.holds).toBeUndefined();
    expect(modelFromJSON(text(json.files[0].data)).graph.nodes.some((n) => n.op === 'RealFakeBatch')).toBe(true);
  });

  it('a GAN draws from its generator on request (the playground): seeded noise, the digit asked for, coded refusals', async () => {
    const { client } = setupEngine();
    const cgan = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/mnist-cdcgan.json'), 'utf8')) as GraphIR;
    const model = trainedModel(cgan, 1, 4);
    const { runId } = await client.request('model.load', { model: modelToJSON(model) });
    const sevens = await client.request('model.generate', { runId, seed: 3, count: 4, label: 7 });
    expect(sevens).toMatchObject({ count: 4, shape: [1, 28, 28], labels: [7, 7, 7, 7], classes: 10 });
    expect(sevens.samples).toHaveLength(4 * 784);
    // The generator as exported, fed what the request says: z from Rng(seed), the label.
    const { model: g } = inferenceModel(model);
    const rng = new Rng(3);
    const z = Float32Array.from({ length: 4 * 32 }, () => rng.normal());
    const want = inferModel(g, { z, label: Float32Array.of(7, 7, 7, 7) }, 4, ['fake']).fake;
    expect(Math.max(...sevens.samples.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
    // The same seed draws the same samples; another seed, others; no label: the classes in turn.
    expect(await client.request('model.generate', { runId, seed: 3, count: 4, label: 7 })).toEqual(sevens);
    expect((await client.request('model.generate', { runId, seed: 4, count: 4, label: 7 })).samples).not.toEqual(sevens.samples);
    expect((await client.request('model.generate', { runId, seed: 3, count: 12 })).labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    await expect(client.request('model.generate', { runId, seed: 3, count: 4, label: 10 })).rejects.toMatchObject({ code: 'E_GENERATE_LABEL', message: expect.stringMatching(/classes 0 to 9/) });
    // An unconditional GAN: no labels; a classifier: not a GAN.
    const dcgan = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/mnist-dcgan.json'), 'utf8')) as GraphIR;
    const plain = await client.request('model.load', { model: modelToJSON(trainedModel(dcgan, 1, 4)) });
    const drawn = await client.request('model.generate', { runId: plain.runId, seed: 1, count: 2 });
    expect(drawn.labels).toBeUndefined();
    expect(drawn.samples).toHaveLength(2 * 784);
    const mlp = await client.request('model.load', { model: modelToJSON(trainedModel(twoMoonsGraph(), 1, 4)) });
    await expect(client.request('model.generate', { runId: mlp.runId, seed: 1, count: 2 })).rejects.toMatchObject({ code: 'E_NOT_A_GAN' });
  });

  it('refuses a damaged model file with a coded message, and a run without checkpoints', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-')));
    const { client } = setupEngine({ runs: store });
    await expect(client.request('model.load', { model: { format: 'netwright.model', version: 1, graph: { format: 'netwright.graph' } } })).rejects.toMatchObject({ code: expect.stringMatching(/^E_MODEL_/) });
    const w = store.create({ graph: twoMoonsGraph(), settings: { training: twoMoonsGraph().training!, backend: 'test', appVersion: '0' } });
    w.finish('stopped');
    await expect(client.request('model.export', { source: { kind: 'run', id: w.id, which: 'best' }, format: 'json' })).rejects.toMatchObject({ code: 'E_RUN_NO_CHECKPOINT' });
  });

  it('refuses at load a model with NaN or infinite weights, a normalisation std of 0, or a million class names, with E_MODEL_VALUES', async () => {
    const { client } = setupEngine();
    const good = modelToJSON({ ...trainedModel(twoMoonsGraph(), 1, 4), normalization: { kind: 'per-feature', mean: [0, 0], std: [1, 2] }, classNames: ['a', 'b'] });
    await expect(client.request('model.load', { model: good })).resolves.toMatchObject({ classNames: ['a', 'b'] });
    const weight = Object.keys(good.params)[0];
    const withWeight = (value: number) => {
      const v = modelFromJSON(good).params[weight].slice();
      v[1] = value;
      return { ...good, params: { ...good.params, [weight]: { shape: good.params[weight].shape, data: bytesToBase64(new Uint8Array(v.buffer)) } } };
    };
    const cases: [string, object, RegExp][] = [
      ['NaN weight', withWeight(NaN), new RegExp(`"${weight}" holds a value that is not a finite number \\(NaN at index 1\\)`)],
      ['Inf weight', withWeight(-Infinity), /-Infinity at index 1/],
      ['zero std', { ...good, normalization: { kind: 'per-feature', mean: [0, 0], std: [1, 0] } }, /standard deviation of 0 \(feature 1\)/],
      ['a million class names', { ...good, classNames: Array.from({ length: 1_000_000 }, (_, i) => `c${i}`) }, /1000000 class names; Netwright loads models with up to 65536/],
    ];
    for (const [what, model, message] of cases) {
      await expect(client.request('model.load', { model: model as never }), what).rejects.toMatchObject({ code: 'E_MODEL_VALUES', message: expect.stringMatching(message) });
    }
  });

  it('lists the formats, exports ONNX, imports it as the current model (same predictions), and fine-tunes from it with a replaced head', async () => {
    const { client, waitFor } = setupEngine();
    const { formats } = await client.request('model.formats', {});
    expect(formats.map((f) => [f.id, f.kind])).toEqual([['json', 'file'], ['onnx', 'file'], ['onnx-int8', 'file'], ['pytorch', 'folder'], ['web', 'folder'], ['safetensors', 'file']]);
    const graph = twoMoonsGraph({ epochs: 2 });
    const start = await client.request('train.start', { graph, probes: false });
    await waitFor('train.done');
    const onnx = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' });
    expect(onnx.name).toMatch(/\.onnx$/);
    // The format's settings travel as data (issue #29 item 4): offered with defaults, checked when asked.
    expect(formats.find((f) => f.id === 'onnx')!.settings.map((x) => [x.key, x.default])).toEqual([['opset', '17'], ['normalization', 'nodes']]);
    const o19 = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx', settings: { opset: '19' } });
    expect(decodeModel(o19.files[0].data).opset_import).toEqual([{ domain: '', version: 19 }]);
    await expect(client.request('model.export', { source: { kind: 'current' }, format: 'onnx', settings: { opset: '9' } })).rejects.toMatchObject({ code: 'E_EXPORT_SETTING' });
    await expect(client.request('model.export', { source: { kind: 'current' }, format: 'json', settings: { opset: '19' } })).rejects.toMatchObject({ code: 'E_EXPORT_SETTING' });
    const sample = [0.3, -0.1];
    const live = await client.request('model.predict', { runId: start.runId, input: sample });

    const imported = await client.request('model.import', { format: 'onnx', data: bytesToBase64(onnx.files[0].data) });
    expect(imported.restored).toBe(true);
    expect(imported.model).toMatchObject({ format: 'netwright.model' });
    const again = await client.request('model.predict', { runId: imported.runId, input: sample });
    expect(again).toEqual(live);

    // Replace the head (a new node id, so its weights start fresh), then fine-tune from the rest.
    const g = structuredClone((imported.model as { graph: typeof graph }).graph);
    const head = g.nodes.find((n) => n.id === g.outputs.logits)!;
    const oldId = head.id;
    head.id = 'head2';
    for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === oldId ? 'head2' : i));
    // As the canvas leaves it when the head is deleted: no output names the new head; the loss reads it.
    delete g.outputs.logits;
    const tuned = await client.request('train.start', { graph: { ...g, training: { ...g.training!, startFrom: { kind: 'loaded' } } }, probes: false, overrides: { epochs: 1 } });
    expect(tuned.warmStart).toEqual({ taken: expect.any(Number), fresh: ['head2.weight', 'head2.bias'] });
    expect(tuned.warmStart!.taken).toBeGreaterThan(0);
    await waitFor('train.done', (d) => d.runId === tuned.runId);
    // The fine-tuned model exports to ONNX (its prediction is what the loss reads) and predicts the same once imported.
    const tunedOnnx = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' });
    const tunedLive = await client.request('model.predict', { runId: tuned.runId, input: sample });
    const back = await client.request('model.import', { format: 'onnx', data: bytesToBase64(tunedOnnx.files[0].data) });
    expect(await client.request('model.predict', { runId: back.runId, input: sample })).toEqual(tunedLive);
    // A design that starts fresh takes nothing; the weights last loaded (the tuned model, head2
    // included) stay for the next run that starts from them.
    const fresh = await client.request('train.start', { graph: g, probes: false, overrides: { epochs: 1 } });
    expect(fresh.warmStart).toBeUndefined();
    await waitFor('train.done', (d) => d.runId === fresh.runId);
    const retuned = await client.request('train.start', { graph: { ...g, training: { ...g.training!, startFrom: { kind: 'loaded' } } }, probes: false, overrides: { epochs: 1 } });
    expect(retuned.warmStart).toEqual({ taken: tuned.warmStart!.taken + 2, fresh: [] });
  }, 30_000);

  it('model.read changes nothing until model.load takes what it staged: a declined or cancelled import leaves the finished run current', async () => {
    const { client, waitFor } = setupEngine();
    const start = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false });
    await waitFor('train.done');
    const onnx = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' });
    const sample = [0.3, -0.1];
    const live = await client.request('model.predict', { runId: start.runId, input: sample });

    // The file's bytes as they are (as the app sends them), answered with the graph alone: the weights wait in the engine.
    const first = await client.request('model.read', { format: 'onnx', data: onnx.files[0].data });
    expect(first.restored).toBe(true);
    expect(first.graph).toMatchObject({ version: expect.any(Number), nodes: expect.any(Array) });
    expect(JSON.stringify(first).length).toBeLessThan(onnx.files[0].data.length);
    // Read but not loaded (the user declined to discard the open design): the run is still current.
    expect(await client.request('model.predict', { runId: start.runId, input: sample })).toEqual(live);
    expect((await client.request('model.export', { source: { kind: 'current' }, format: 'json' })).files).toHaveLength(1);

    // A second read replaces the first: the first id is stale, coded; the second loads once.
    const second = await client.request('model.read', { format: 'onnx', data: bytesToBase64(onnx.files[0].data) });
    await expect(client.request('model.load', { staged: first.staged })).rejects.toMatchObject({ code: 'E_IMPORT_STAGED' });
    const loaded = await client.request('model.load', { staged: second.staged });
    expect(await client.request('model.predict', { runId: loaded.runId, input: sample })).toEqual(live);
    await expect(client.request('model.load', { staged: second.staged })).rejects.toMatchObject({ code: 'E_IMPORT_STAGED' });

    // Save fetches the loaded model's weights from the engine: they reload to the same predictions.
    const saved = await client.request('model.export', { source: { kind: 'loaded', runId: loaded.runId }, format: 'json' });
    const reopened = await client.request('model.load', { model: JSON.parse(new TextDecoder().decode(saved.files[0].data)) });
    expect(await client.request('model.predict', { runId: reopened.runId, input: sample })).toEqual(live);
    // The reopened model replaced the imported one: its weights are gone, and saying so is coded.
    await expect(client.request('model.export', { source: { kind: 'loaded', runId: loaded.runId }, format: 'json' })).rejects.toMatchObject({ code: 'E_EXPORT_NO_WEIGHTS' });
  });

  it('refuses an ONNX file it cannot read, or bytes that did not arrive intact, with a coded error', async () => {
    const { client } = setupEngine();
    await expect(client.request('model.import', { format: 'onnx', data: 'not*base64' })).rejects.toMatchObject({ code: 'E_IMPORT_FORMAT', message: expect.stringMatching(/did not arrive intact/) });
    await expect(client.request('model.import', { format: 'onnx', data: bytesToBase64(new Uint8Array([1, 2, 3, 4, 5])) })).rejects.toMatchObject({ code: expect.stringMatching(/^E_IMPORT_/) });
  });
  it('a language model writes from a prompt on request (the playground): seeded, at a temperature, coded refusals', async () => {
    const { client } = setupEngine();
    const gpt = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/tiny-gpt.json'), 'utf8')) as GraphIR;
    const { runId } = await client.request('model.load', { model: modelToJSON({ ...trainedModel(gpt, 1, 2), classNames: [...ASCII_VOCABULARY] }) });
    const ask = { runId, prompt: 'Q: What', length: 12, temperature: 0.8, seed: 2 };
    const { text: written } = await client.request('model.sampleText', ask);
    expect(written.startsWith('Q: What')).toBe(true);
    expect(Array.from(written)).toHaveLength(19);
    expect((await client.request('model.sampleText', ask)).text).toBe(written);
    expect(writesText(gpt)).toBe(true);
    expect(writesText(twoMoonsGraph())).toBe(false);
    const mlp = await client.request('model.load', { model: modelToJSON(trainedModel(twoMoonsGraph(), 1, 4)) });
    await expect(client.request('model.sampleText', { ...ask, runId: mlp.runId })).rejects.toMatchObject({ code: 'E_SAMPLE_NOT_TEXT' });
  }, 60_000);
});
