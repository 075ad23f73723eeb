/**
 * Issue #60 item 2: a text model leaves with its tokenizer. A bag-of-words classifier (words,
 * counts) and a character model (ids for an Embedding) train through the protocol as the app does
 * on a table of labelled texts; then, for three typed sentences (mixed case, an apostrophe,
 * accented and unknown words, a CR LF):
 *
 * - the app answers a class and "Why…?" explains it (it refused typed text: "takes N values per
 *   sample; got 0");
 * - the JSON model carries the tokenizer (a stored run's checkpoint too), and loaded back it reads
 *   typed text as the run did, in the engine and in `netwright predict --text`;
 * - the ONNX file's `netwright.tokenizer` metadata, read by python-onnx and applied by the
 *   exported project's Python encoder (model.py `encode_ids`), encodes each sentence exactly as
 *   the engine's `encodeText` does;
 * - the PyTorch project's predict.py, on the raw sentences, answers the app's classes, and its
 *   train.py encodes the raw texts it ships into Netwright's samples, split for split, and trains.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { encodeWithTokenizer, prepareData, readTokenizer, sampleFeatures } from '../../../src-engine/core/data';
import { modelFromJSON } from '../../../src-engine/core/export/json';
import { importOnnx } from '../../../src-engine/core/import/onnx';
import { loadDataset, loadSamples } from '../../../src-engine/node/datasets';
import { RunStore } from '../../../src-engine/node/run-store';
import { main as predictCli } from '../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { HAS_TORCH, tempDir, torchProcess } from '../engine/export/torch-harness';
import { setupEngine } from './fixtures';

const TOPICS: Record<string, string[]> = {
  weather: ['Rain and wind all day', 'A sunny morning, then clouds', 'Snow fell on the hills', "It's cold and wet outside", 'The storm brought heavy rain', 'Fog over the river at dawn', 'Warm sun and a light breeze', 'Thunder and hail this evening', 'Clouds and drizzle again', 'The wind dropped by noon'],
  food: ['Bread with butter and jam', 'A bowl of soup with bread', 'Café au lait and a croissant', 'Pasta with tomato sauce', 'Cheese, apples and walnuts', 'Rice with beans and spice', "Grandma's apple pie", 'Fresh fish with lemon', 'A salad of beans and cheese', 'Soup, bread and a pear'],
  sport: ['The team won the match', 'She ran the race in record time', 'A goal in the final minute', 'The match ended in a draw', 'He swam ten lengths of the pool', 'Our team lost the final', 'The runner broke the record', 'A long race up the hills', 'The keeper saved the goal', 'They played the match in rain'],
};
const SENTENCES = ['RAIN and Wind over the Hills tonight', "Grandma's café: soup, bread, naïve crêpes\r\nand cheese", 'The team ran the final race, 2 goals'];

function writeTable(dir: string): string {
  const rows = Object.entries(TOPICS).flatMap(([topic, texts]) => texts.map((t) => `"${t.replace(/"/g, '""')}",${topic}`));
  const path = join(dir, 'topics.csv');
  writeFileSync(path, ['text,topic', ...rows].join('\n') + '\n');
  return path;
}

/** A design for the table: bag of words (Input [V] → Linear), or characters (Input [T] → Embedding → mean → Linear). */
function design(path: string, features: 'counts' | 'ids'): GraphIR {
  const options = { path, textColumn: 'text', labelColumn: 'topic', tokens: features === 'counts' ? 'words' : 'chars', features, maxLength: 48, testSplit: 0.2 };
  const width = loadDataset({ name: 'text-csv', options }).train.featureShape[0];
  const head = features === 'counts' ? [{ id: 'head', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['text'] }] : [
    { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: 64, embeddingDim: 8 }, inputs: ['text'] },
    { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['embed'] },
    { id: 'head', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['pool'] },
  ];
  return {
    format: 'netwright.graph',
    version: 2,
    name: `Topics (${features})`,
    nodes: [{ id: 'text', op: 'Input', attrs: { shape: [width], source: 'features' }, inputs: [] }, { id: 'topic', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] }, ...head, { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'topic'] }],
    outputs: { logits: 'head', loss: 'loss' },
    training: { dataset: { name: 'text-csv', options, validationSplit: features === 'counts' ? 0.1 : 0 }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.05 }, batchSize: 8, epochs: 8, seed: 1, metrics: ['accuracy'] },
  } as GraphIR;
}

function writeFiles(files: { path: string; data: Uint8Array }[], dir: string): string {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  return dir;
}

describe('a text model leaves with its tokenizer', () => {
  const table = writeTable(tempDir('topics'));

  for (const features of ['counts', 'ids'] as const) {
    it(`${features === 'counts' ? 'bag of words' : 'character ids'}: the app, Why…?, the JSON model, ONNX metadata and the PyTorch project read typed text alike`, async () => {
      const { client, waitFor, service } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed), runs: new RunStore(tempDir('text-runs')) });
      try {
        const start = await client.request('train.start', { graph: design(table, features), probes: false });
        await waitFor('train.done', () => true, 60_000);
        const app = await Promise.all(SENTENCES.map((text) => client.request('model.predict', { runId: start.runId, input: [], text })));
        const predicted = app.map((p) => (p.kind === 'probabilities' ? p.predicted : -1));
        expect(predicted, 'the run learnt the topics').toEqual([0, 1, 2].map((k) => start.classNames.indexOf(['weather', 'food', 'sport'][k])));
        // Why…? on typed text: encoded as model.predict encodes it.
        const why = await client.request('model.explain', { runId: start.runId, input: [], text: SENTENCES[1], method: 'saliency' });
        expect(why.target).toBe(predicted[1]);
        expect(why.kind).toBe(features === 'counts' ? 'features' : 'tokens');

        // The JSON model carries the tokenizer; loaded back, it reads typed text as the run did.
        const json = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
        const model = modelFromJSON(new TextDecoder().decode(json.files[0].data));
        const tokenizer = readTokenizer(model.tokenizer);
        // A stored run's checkpoint keeps it too (the Runs tab's Export).
        const stored = await client.request('model.export', { source: { kind: 'run', id: start.storedRunId!, which: 'last' }, format: 'json' });
        expect(modelFromJSON(new TextDecoder().decode(stored.files[0].data)).tokenizer).toEqual(tokenizer);
        expect(tokenizer).toMatchObject({ tokens: features === 'counts' ? 'words' : 'chars', features, length: features === 'counts' ? tokenizer.vocabulary.length : 48, padId: 0, unkId: 1 });
        const loaded = await client.request('model.load', { model: JSON.parse(new TextDecoder().decode(json.files[0].data)) });
        for (const [i, text] of SENTENCES.entries()) expect(await client.request('model.predict', { runId: loaded.runId, input: [], text })).toEqual(app[i]);
        expect((await client.request('model.explain', { runId: loaded.runId, input: [], text: SENTENCES[1], method: 'saliency' })).values).toEqual(why.values);
        const engine = SENTENCES.map((s) => Array.from(encodeWithTokenizer(s, tokenizer)));
        // netwright predict --text on the model file: the Playground's classes.
        const modelFile = join(tempDir('text-model'), 'topics.netwright-model.json');
        writeFileSync(modelFile, json.files[0].data);
        let said = '';
        expect(await predictCli([modelFile, ...SENTENCES.flatMap((t) => ['--text', t]), '--json'], (t) => (said += t), (t) => (said += t))).toBe(0);
        const cli = said.trim().split('\n').map((l) => JSON.parse(l) as { type: string; predicted?: number }).filter((l) => l.type === 'prediction');
        expect(cli.map((l) => l.predicted), 'netwright predict --text').toEqual(predicted);
        expect(engine[1].filter((v, k) => v > 0 && (features === 'counts' ? k === 1 : v === 1)).length, 'unknown tokens read as <unk>').toBeGreaterThan(0);

        // ONNX: the metadata carries it, and the importer reads it back (a re-imported file reads typed text).
        const onnx = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' });
        expect(importOnnx(onnx.files[0].data).model.tokenizer).toEqual(tokenizer);

        if (!HAS_TORCH) {
          console.info('python3 with torch and onnx is not installed: the ONNX metadata and PyTorch project checks are skipped');
          return;
        }
        const pytorch = await client.request('model.export', { source: { kind: 'current' }, format: 'pytorch' });
        const dir = writeFiles([...pytorch.files, { path: 'model.onnx', data: onnx.files[0].data }], join(tempDir('text-export'), 'export'));
        expect(pytorch.files.map((f) => f.path)).toEqual(expect.arrayContaining(['tokenizer.json', 'predict.py']));
        const script = `import json, sys, onnx
from model import encode_ids
meta = {p.key: p.value for p in onnx.load('model.onnx').metadata_props}
tokenizer = json.loads(meta['netwright.tokenizer'])
print(json.dumps([encode_ids(s, tokenizer) for s in json.loads(sys.argv[1])]))`;
        const encoded = await torchProcess(['-c', script, JSON.stringify(SENTENCES)], dir);
        expect(encoded.status, encoded.stderr).toBe(0);
        expect(JSON.parse(encoded.stdout.trim().split('\n').pop()!), 'the ONNX metadata\'s tokenizer in Python encodes as the engine').toEqual(engine);
        // train.py reads the raw texts (data/*_texts.json) and encodes them as Netwright did: every split's samples alike.
        expect(pytorch.files.map((f) => f.path)).toEqual(expect.arrayContaining(['data/train_texts.json', 'data/test_texts.json']));
        const t = design(table, features).training!;
        const prepared = prepareData(loadDataset(t.dataset, t.seed), t.dataset, t.seed);
        const splitScript = `import json, sys; sys.argv = ['train.py']; import train
splits, _ = train.prepare(train.os.path.join(train.HERE, 'data'), ${t.seed}, None, 0)
print(json.dumps({k: ds.tensors[0].flatten(1).tolist() for k, ds in splits.items()}))`;
        const split = await torchProcess(['-c', splitScript], dir);
        expect(split.status, split.stderr).toBe(0);
        const got = JSON.parse(split.stdout.trim().split('\n').pop()!) as Record<string, number[][]>;
        for (const k of ['train', 'val', 'test'] as const) {
          const ds = prepared[k];
          const rows = Array.from({ length: ds.count }, (_, i) => Array.from(sampleFeatures(ds, i, 1)));
          expect(got[k], `train.py's ${k} samples from the raw texts`).toEqual(rows);
        }
        const epoch = await torchProcess(['train.py', '--epochs', '1', '--out', 'one.pt'], dir);
        expect(epoch.status, epoch.stderr).toBe(0);
        expect(epoch.stdout).toMatch(/\[rank 0\] epoch 1\/1 train_loss \d+\.\d+/);
        const r = await torchProcess(['predict.py', '--json', ...SENTENCES], dir);
        expect(r.status, r.stderr).toBe(0);
        const answers = JSON.parse(r.stdout.trim().split('\n').pop()!) as { predicted: number; class: string; probabilities: number[] }[];
        expect(answers.map((a) => a.predicted), 'predict.py on raw text answers the app\'s classes').toEqual(predicted);
        for (const [i, a] of answers.entries()) {
          const p = app[i];
          if (p.kind === 'probabilities') expect(Math.max(...a.probabilities.map((v, k) => Math.abs(v - p.values[k])))).toBeLessThan(1e-4);
        }
      } finally {
        service.dispose();
      }
    }, 120_000);
  }

  it('netwright train --export writes the tokenizer too; a model file whose tokenizer Netwright would not follow is refused', async () => {
    const dir = tempDir('text-cli');
    const designFile = join(dir, 'topics.json');
    writeFileSync(designFile, JSON.stringify(design(table, 'counts')));
    const out = join(dir, 'topics.netwright-model.json');
    let said = '';
    expect(await trainCli([designFile, '--epochs', '1', '--threads', '1', '--export', out], (t) => (said += t), (t) => (said += t)), said).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { tokenizer: Record<string, unknown> };
    const tokenizer = readTokenizer(file.tokenizer);
    expect(tokenizer.vocabulary).toEqual(loadDataset(design(table, 'counts').training!.dataset).train.text!.vocabulary);
    for (const change of [{ wordPattern: '\\w+' }, { padId: 2 }, { length: 3 }, { vocabulary: ['a', 'b', 'c'] }]) {
      expect(() => modelFromJSON({ ...file, tokenizer: { ...file.tokenizer, ...change } }), JSON.stringify(change)).toThrow(expect.objectContaining({ code: 'E_MODEL_FORMAT' }));
    }
  }, 60_000);

  // As export-image-folder.test.ts does for images: one step on the whole training split at a
  // learning rate of 1e-12 in the app, then train.py's one step from the exported weights on the texts it encodes.
  for (const features of ['counts', 'ids'] as const) {
    it.skipIf(!HAS_TORCH)(`${features === 'counts' ? 'bag of words' : 'character ids'}: train.py's first loss on the raw texts is the app's`, async () => {
      const { client, events, waitFor, service } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed) });
      try {
        const g = design(table, features);
        await client.request('train.start', { graph: { ...g, training: { ...g.training!, optimizer: { kind: 'sgd', lr: 1e-12 }, batchSize: 64, epochs: 1 } }, probes: false });
        await waitFor('train.done', () => true, 60_000);
        const first = events['train.progress']!.find((e) => e.step === 1)!.batchLoss!;
        const pytorch = await client.request('model.export', { source: { kind: 'current' }, format: 'pytorch' });
        const dir = writeFiles(pytorch.files, join(tempDir('text-loss'), 'export'));
        const r = await torchProcess(['train.py', '--epochs', '1', '--batch-size', '64', '--init-weights', 'weights.pt', '--cpu', '--out', 'one.pt'], dir);
        expect(r.status, r.stderr).toBe(0);
        const loss = Number(/train_loss (\S+)/.exec(r.stdout)?.[1]);
        console.info(`${features}: app ${first} · train.py ${loss} (|Δ| ${Math.abs(loss - first).toExponential(1)})`);
        expect(Math.abs(loss - first)).toBeLessThan(1e-4);
      } finally {
        service.dispose();
      }
    }, 60_000);
  }
});
