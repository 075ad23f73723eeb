/**
 * Issue #60 item 1, the matrix: every export form for every kind of data the app trains on besides
 * image folders (export-image-folder.test.ts) and labelled texts in a table (text-tokenizer.test.ts):
 * a table with a text column and missing cells (classification, and regression), NumPy arrays (an
 * .npz of 8×8 uint8 images, an .npy pair of float features and targets), labelled texts in class
 * folders, a text for a character-level language model (the tiny GPT), a segmentation folder
 * (images/ + masks/, the U-Net template) and a time series (a CSV column, a GRU).
 *
 * In the app: each design trains one step through the protocol (the whole training split in one
 * batch, at a learning rate of 1e-12, so the weights exported are, to float32, the ones that step
 * ran with), then leaves in every form: the PyTorch project's train.py runs that step from the
 * exported weights and its loss is the app's first loss within 1e-4; the JSON model loads back in
 * Netwright, the ONNX file passes onnx's full checker and strict shape inference, taking the
 * features Input's shape at any batch size, and the safetensors file holds weights.pt's tensors
 * bit for bit, read by a reader written from the format's spec. The table's JSON model is exported
 * again by `netwright export` (node/export-cli.ts, which loads the data itself).
 *
 * From the command line: `netwright train DESIGN --data FILE|FOLDER --export DIR` fits a design to
 * the data as the app's "Use this data" does, trains the step and exports; train.py's first loss is
 * the one the CLI printed.
 *
 * NOTE: the app's progress events carry 6 significant digits (compact), so every loss here is kept
 * near 1 (regression targets of unit scale), where 1e-4 is a bound on the maths and not on the
 * rounding. Every Python run is forked from one interpreter that has imported torch (torchProcess).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { modelFromJSON } from '../../../src-engine/core/export/json';
import { loadDataset, loadSamples } from '../../../src-engine/node/datasets';
import { main as exportCli } from '../../../src-engine/node/export-cli';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { encodePng, lcg, npy, zip } from '../engine/data/user-data-fixtures';
import { HAS_TORCH, tempDir, torchProcess } from '../engine/export/torch-harness';
import { setupEngine } from './fixtures';
import { tinyGpt, writeFortunes } from './text-fixtures';

const EXAMPLES = join(import.meta.dirname, '../../../examples');

type Dataset = NonNullable<GraphIR['training']>['dataset'];

/**
 * A table of 40 rows: two numeric columns with empty cells, a colour (text, one-hot encoded, some
 * cells missing), a grade, a class label and a price (the regression target).
 */
function writeTable(dir: string): string {
  const rand = lcg(11);
  const colours = ['red', 'green', 'blue'];
  const rows = ['height,weight,colour,grade,label,price'];
  for (let i = 0; i < 40; i++) {
    const label = i % 3;
    const height = (150 + 10 * label + 20 * rand()).toFixed(1);
    const weight = (50 + 8 * label + 15 * rand()).toFixed(2);
    const colour = colours[(label + (rand() < 0.3 ? 1 : 0)) % 3];
    const price = ((Number(height) * 0.5 + Number(weight) * 0.2 + rand()) / 100).toFixed(4);
    rows.push([i % 7 === 3 ? '' : height, i % 9 === 5 ? 'NA' : weight, i % 8 === 2 ? '' : colour, String(1 + Math.floor(4 * rand())), ['small', 'medium', 'large'][label], price].join(','));
  }
  const path = join(dir, 'people.csv');
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}

/**
 * An .npz of 36 grey 8×8 images as uint8 (samples [8, 8], no channel axis) with integer classes
 * (a bright row at the class's height), and an .npy pair (x.npy, y.npy) of [5] float32 features
 * with float targets.
 */
function writeArrays(dir: string): { npz: string; npyPair: string } {
  const rand = lcg(5);
  const n = 36;
  const y = Array.from({ length: n }, (_, i) => i % 3);
  const pixels = y.flatMap((c) => Array.from({ length: 64 }, (_, p) => Math.floor(rand() * 100) + (p >> 3 === 2 * c + 1 ? 150 : 0)));
  const npzPath = join(dir, 'digits.npz');
  writeFileSync(npzPath, zip({ 'x.npy': npy('|u1', [n, 8, 8], pixels), 'y.npy': npy('<i8', [n], y) }, true));
  const features = Array.from({ length: n * 5 }, () => rand() * 4 - 2);
  const targets = Array.from({ length: n }, (_, i) => features.slice(i * 5, i * 5 + 5).reduce((a, v, k) => a + 0.1 * v * (k + 1), 0));
  mkdirSync(join(dir, 'pair'));
  writeFileSync(join(dir, 'pair', 'x.npy'), npy('<f4', [n, 5], features));
  writeFileSync(join(dir, 'pair', 'y.npy'), npy('<f4', [n], targets));
  return { npz: npzPath, npyPair: join(dir, 'pair', 'x.npy') };
}

/** A time series of 90 readings (a CSV of t and level: two waves and noise). */
function writeSeries(dir: string): string {
  const rand = lcg(9);
  const rows = Array.from({ length: 90 }, (_, i) => `${i},${(Math.sin(i / 4) + 0.5 * Math.sin(i / 9) + 0.1 * rand()).toFixed(4)}`);
  const path = join(dir, 'levels.csv');
  writeFileSync(path, ['t,level', ...rows].join('\n') + '\n');
  return path;
}

const TOPICS: Record<string, string[]> = {
  birds: ['A robin sang on the fence', 'Geese flew south at dawn', 'The owl hunted by night', 'Sparrows nest under the roof', 'A heron stood in the reeds', 'The crow called from the oak', 'Swallows skim the pond', 'A wren hopped in the hedge'],
  boats: ['The ferry left the harbour', 'A yacht with white sails', 'The rowing boat leaked', 'Barges move coal on the canal', 'A canoe drifted downstream', 'The tug pulled the liner', 'Sails filled in the breeze', 'The dinghy tipped over'],
  bread: ['Rye bread with seeds', 'A warm loaf from the oven', 'Sourdough needs a starter', 'Toast with butter and honey', 'The baker shaped the rolls', 'Flour, water, salt and yeast', 'A crusty baguette', 'Buns glazed with sugar'],
};

/** Labelled texts in class folders, one .txt file a text. */
function writeTextFolder(dir: string): string {
  for (const [topic, texts] of Object.entries(TOPICS)) {
    mkdirSync(join(dir, topic), { recursive: true });
    texts.forEach((t, i) => writeFileSync(join(dir, topic, `${i}.txt`), `${t}\n`));
  }
  return dir;
}

/** The tinier tiny GPT (text-fixtures.ts) for one step on `text`. */
function gptOneStep(text: string): GraphIR {
  const g = tinyGpt(text);
  return oneStep(g, g.training!.dataset);
}

/** A segmentation folder: 24 RGB images of 10×10 with a bright square (class 1) or bar (class 2) on noise, and their masks. */
function writeMaskFolder(dir: string): string {
  const rand = lcg(3);
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'masks'), { recursive: true });
  for (let i = 0; i < 24; i++) {
    const cls = 1 + (i % 2);
    const [x0, y0] = [Math.floor(rand() * 5), Math.floor(rand() * 5)];
    const mask = new Uint8Array(100);
    const rgb = new Uint8Array(300);
    for (let p = 0; p < 100; p++) {
      const [y, x] = [Math.floor(p / 10), p % 10];
      const inside = cls === 1 ? x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4 : y === y0 + 2 && x >= 1 && x < 9;
      mask[p] = inside ? cls : 0;
      for (let k = 0; k < 3; k++) rgb[p * 3 + k] = Math.min(255, Math.floor(rand() * 80) + (inside ? 120 + 40 * k * (cls - 1) : 0));
    }
    writeFileSync(join(dir, 'images', `s${i}.png`), encodePng(rgb, 10, 10, 3));
    writeFileSync(join(dir, 'masks', `s${i}.png`), encodePng(mask, 10, 10, 1));
  }
  return dir;
}

/** One step on the whole training split at a learning rate of 1e-12: the step the weights were exported after ran with them. */
function oneStep(g: GraphIR, dataset: Dataset, extra: Partial<NonNullable<GraphIR['training']>> = {}): GraphIR {
  return { ...g, training: { ...g.training!, dataset, optimizer: { kind: 'sgd', lr: 1e-12 }, schedule: { kind: 'constant' }, batchSize: 64, epochs: 1, ...extra } };
}

/** An MLP from `width` features to `out` outputs, with a cross-entropy (classes) or MSE (`out` 1, regression) loss. */
function mlp(name: string, shape: number[], out: number, dataset: Dataset): GraphIR {
  const regression = out === 1;
  return oneStep(
    {
      format: 'netwright.graph',
      version: 1,
      name,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape, source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: regression ? [1] : [], source: 'target' }, inputs: [] },
        ...(shape.length > 1 ? [{ id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] }] : []),
        { id: 'fc1', op: 'Linear', attrs: { outFeatures: 12 }, inputs: [shape.length > 1 ? 'flat' : 'x'] },
        { id: 'act', op: 'Tanh', attrs: {}, inputs: ['fc1'] },
        { id: 'fc2', op: 'Linear', attrs: { outFeatures: out }, inputs: ['act'] },
        { id: 'loss', op: regression ? 'MSELoss' : 'CrossEntropyLoss', attrs: {}, inputs: ['fc2', 'y'] },
      ],
      outputs: { [regression ? 'prediction' : 'logits']: 'fc2', loss: 'loss' },
      training: { dataset, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 8, epochs: 1, seed: 3, metrics: regression ? [] : ['accuracy'] },
    },
    dataset,
  );
}

/** The segmentation template (a small U-Net with BatchNorms) at [3, 8, 8] for 3 classes. */
function unet(folder: string): GraphIR {
  const g = JSON.parse(readFileSync(join(EXAMPLES, 'shapes-segmentation.json'), 'utf8')) as GraphIR;
  const nodes = g.nodes.map((n) => {
    if (n.id === 'image') return { ...n, attrs: { ...n.attrs, shape: [3, 8, 8] } };
    if (n.id === 'mask') return { ...n, attrs: { ...n.attrs, shape: [8, 8] } };
    if (n.id === 'head') return { ...n, attrs: { ...n.attrs, outChannels: 3 } };
    return n;
  });
  return oneStep({ ...g, nodes }, { name: 'image-folder', options: { path: folder }, validationSplit: 0.2 });
}

/** A GRU(8) forecaster of the next value from 6 (a time series' windows are [window, 1]). */
function forecaster(dataset: Dataset): GraphIR {
  return oneStep(
    {
      format: 'netwright.graph',
      version: 1,
      name: 'Levels',
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [6, 1], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'gru', op: 'GRU', attrs: { hiddenSize: 8, output: 'last' }, inputs: ['x'] },
        { id: 'out', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['gru'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['out', 'y'] },
      ],
      outputs: { prediction: 'out', loss: 'loss' },
      training: { dataset, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 16, epochs: 1, seed: 2, metrics: [] },
    },
    dataset,
  );
}

/** A bag-of-words classifier for labelled texts in class folders; a word seen once in training reads as <unk>. */
function bagOfWords(folder: string): GraphIR {
  const options = { path: folder, tokens: 'words', features: 'counts', minCount: 2, testSplit: 0.25 };
  const width = loadDataset({ name: 'text-folder', options }).train.featureShape[0];
  return mlp('Topics (words)', [width], 3, { name: 'text-folder', options, validationSplit: 0.1 });
}

function writeFiles(files: readonly { path: string; data: Uint8Array }[], dir: string): string {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  return dir;
}

const TRAIN_STEP = ['train.py', '--epochs', '1', '--batch-size', '64', '--init-weights', 'weights.pt', '--cpu', '--out', 'one.pt'];

/** train.py's first (and only) epoch's loss, from its output. */
async function trainPyLoss(dir: string): Promise<number> {
  const r = await torchProcess(TRAIN_STEP, dir);
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  return Number(/train_loss (\S+)/.exec(r.stdout)?.[1]);
}

/**
 * The other forms, read as the user's tools read them (in the project folder, beside weights.pt):
 * export.safetensors by a reader written from the format's spec (8-byte header length, a JSON
 * header, little-endian data at its offsets) against torch.load's state_dict, and export.onnx by
 * onnx's full checker and strict shape inference; prints the ONNX inputs' and outputs' dims.
 */
const FORMS_PY = `import json, struct, numpy as np, torch, onnx
state = torch.load('weights.pt')
raw = open('export.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
header.pop('__metadata__', None)
assert sorted(header) == sorted(state), (sorted(header), sorted(state))
for k, h in header.items():
    a, b = h['data_offsets']
    value = np.frombuffer(raw[8 + n + a:8 + n + b], dtype={'F32': '<f4', 'I64': '<i8'}[h['dtype']]).reshape(h['shape'])
    assert np.array_equal(value, state[k].numpy()), k
m = onnx.load('export.onnx')
onnx.checker.check_model(m, full_check=True)
inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
dims = lambda v: [d.dim_value if d.HasField('dim_value') else d.dim_param for d in v.type.tensor_type.shape.dim]
print(json.dumps({'values': int(sum(np.prod(h['shape']) for h in header.values() if h['dtype'] == 'F32')), 'inputs': [dims(v) for v in m.graph.input], 'outputs': [dims(v) for v in inferred.graph.output]}))`;

type Exported = { files: { path: string; data: Uint8Array }[] };

/**
 * The JSON model loads back in Netwright with the trained weights; safetensors and ONNX as
 * FORMS_PY reads them: the ONNX file takes the features Input's shape (any batch) and gives the
 * prediction's.
 */
async function checkForms(dir: string, g: GraphIR, forms: Record<'json' | 'onnx' | 'safetensors', Exported>): Promise<void> {
  const json = modelFromJSON(new TextDecoder().decode(forms.json.files[0].data));
  expect(json.graph.training?.dataset, 'the JSON model: the dataset it trained on').toEqual(g.training!.dataset);
  const values = [...Object.values(json.params), ...Object.values(json.buffers)].reduce((a, w) => a + w.length, 0);
  writeFileSync(join(dir, 'export.onnx'), forms.onnx.files[0].data);
  writeFileSync(join(dir, 'export.safetensors'), forms.safetensors.files[0].data);
  const r = await torchProcess(['-c', FORMS_PY], dir);
  expect(r.status, r.stderr).toBe(0);
  const read = JSON.parse(r.stdout.trim().split('\n').pop()!) as { values: number; inputs: (number | string)[][]; outputs: (number | string)[][] };
  expect(read.values, 'safetensors: the JSON model\'s weights and buffers, value for value in number').toBe(values);
  const feature = g.nodes.find((n) => n.op === 'Input' && n.attrs.source === 'features')!;
  expect(read.inputs.map((d) => d.slice(1)), 'ONNX input: the features Input\'s shape').toEqual([feature.attrs.shape]);
  expect(typeof read.inputs[0][0], 'a dynamic batch').toBe('string');
  expect(read.outputs[0].slice(1).every((d) => typeof d === 'number' && d > 0), 'ONNX output: a known shape').toBe(true);
}

describe.skipIf(!HAS_TORCH)('exports × data kinds: each train.py\'s first loss is the app\'s, and every form loads (python3-torch, python3-onnx)', () => {
  const root = tempDir('kinds');
  const table = writeTable(root);
  const arrays = writeArrays(root);
  const texts = writeTextFolder(join(root, 'topics'));
  const fortunes = writeFortunes(root);
  const masks = writeMaskFolder(join(root, 'shapes'));
  const levels = writeSeries(root);
  const tableOptions = { path: table, targetColumn: 'label', missing: 'indicator', roles: { price: 'ignore' } };
  const priceOptions = { path: table, targetColumn: 'price', task: 'regression', missing: 'median', categorical: 'index', normalize: 'global', roles: { label: 'ignore' } };
  const width = (dataset: Dataset) => loadDataset(dataset).train.featureShape;
  const cases: { kind: string; design: () => GraphIR; cli?: boolean }[] = [
    { kind: 'table: a text column one-hot, missing cells (mean + indicator), 3 classes', design: () => mlp('People', width({ name: 'csv', options: tableOptions }), 3, { name: 'csv', options: tableOptions, validationSplit: 0.2 }), cli: true },
    { kind: 'table: regression, a text column as an index, missing cells (median), global normalisation', design: () => mlp('Prices', width({ name: 'csv', options: priceOptions }), 1, { name: 'csv', options: priceOptions, validationSplit: 0.2 }) },
    { kind: 'arrays: an .npz of [8, 8] uint8 images into [1, 8, 8], integer classes', design: () => mlp('Digits', [1, 8, 8], 3, { name: 'npz', options: { path: arrays.npz }, validationSplit: 0.2 }) },
    { kind: 'arrays: an .npy pair (x.npy, y.npy), float targets', design: () => mlp('Pair', [5], 1, { name: 'npz', options: { path: arrays.npyPair, task: 'regression' }, validationSplit: 0.2 }) },
    { kind: 'labelled texts: class folders of .txt files (words, counts, <unk>)', design: () => bagOfWords(texts) },
    { kind: 'text for generation: the tiny GPT on fortunes (characters)', design: () => gptOneStep(fortunes) },
    { kind: 'segmentation: images/ + masks/ (10×10 resized to 8×8), the U-Net', design: () => unet(masks) },
    { kind: 'time series: a CSV column, windows of 6, a GRU', design: () => forecaster({ name: 'series', options: { path: levels, column: 'level', window: 6 }, validationSplit: 0.2 }) },
  ];

  for (const { kind, design, cli } of cases) {
    it(kind, async () => {
      const { client, events, waitFor, service } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed) });
      try {
        const g = design();
        await client.request('train.start', { graph: g, probes: false });
        await waitFor('train.done', () => true, 60_000);
        const steps = events['train.progress']!.filter((e) => e.batchLoss !== undefined);
        expect(steps.map((e) => e.step), 'one step: the whole training split in one batch').toEqual([1]);
        const first = steps[0].batchLoss!;
        const exportAs = (format: string) => client.request('model.export', { source: { kind: 'current' }, format });
        const [pytorch, json, onnx, safetensors] = await Promise.all(['pytorch', 'json', 'onnx', 'safetensors'].map(exportAs));
        const exported = { pytorch, json, onnx, safetensors };
        const dir = writeFiles(exported.pytorch.files, join(tempDir('kind-export'), 'export'));
        const loss = await trainPyLoss(dir);
        console.info(`${kind}: app ${first} · train.py ${loss} (|Δ| ${Math.abs(loss - first).toExponential(1)})`);
        expect(Math.abs(loss - first)).toBeLessThan(1e-4);
        await checkForms(dir, g, exported);

        if (cli) {
          // netwright export of the app's JSON model: the CLI loads the data itself.
          const modelFile = join(tempDir('kind-cli'), 'model.netwright-model.json');
          writeFileSync(modelFile, exported.json.files[0].data);
          const out = join(dirname(modelFile), 'pytorch');
          let said = '';
          expect(await exportCli([modelFile, '--format', 'pytorch', '--out', out], (s) => (said += s), (s) => (said += s)), said).toBe(0);
          const again = await trainPyLoss(out);
          console.info(`${kind}, exported by netwright export: train.py ${again} (|Δ| ${Math.abs(again - first).toExponential(1)})`);
          expect(Math.abs(again - first)).toBeLessThan(1e-4);
        }
      } finally {
        service.dispose();
      }
    }, 120_000);
  }

  // Designs made for other data, fitted by the CLI as "Use this data" fits them (a table's width, the classes).
  const iris = () => mlp('Iris MLP', [4], 3, { name: 'iris', options: { normalize: 'per-feature' }, validationSplit: 0.2 });
  const cliCases: [string, () => GraphIR, string[]][] = [
    ['table (--target, --missing indicator) into the Iris MLP', iris, ['--data', table, '--target', 'label', '--missing', 'indicator']],
    ['arrays: an .npy pair', () => mlp('Pair', [5], 1, { name: 'housing', options: {}, validationSplit: 0.2 }), ['--data', arrays.npyPair]],
    ['labelled texts: class folders', () => bagOfWords(texts), ['--data', texts]],
    ['text for generation: a .txt for the tiny GPT', () => gptOneStep(fortunes), ['--data', fortunes]],
    ['segmentation: images/ + masks/', () => unet(masks), ['--data', masks]],
    ['time series: a CSV column (--target)', () => forecaster({ name: 'waves', options: { samples: 200 } }), ['--data', levels, '--target', 'level']],
  ];
  for (const [kind, design, flags] of cliCases) {
    it(`netwright train --data --export, ${kind}`, async () => {
      const dir = tempDir('cli-kind');
      const file = join(dir, 'design.json');
      writeFileSync(file, JSON.stringify(design()));
      const out = join(dir, 'export');
      let said = '';
      let err = '';
      const code = await trainCli([file, ...flags, '--epochs', '1', '--batch-size', '64', '--threads', '1', '--json', '--export', out], (s) => (said += s), (s) => (err += s));
      expect(code, said + err).toBe(0);
      const first = said.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; step?: number; batchLoss?: number }).filter((e) => e.type === 'progress');
      expect(first.map((e) => e.step)).toEqual([1]);
      const loss = await trainPyLoss(out);
      console.info(`netwright train, ${kind}: CLI ${first[0].batchLoss} · train.py ${loss} (|Δ| ${Math.abs(loss - first[0].batchLoss!).toExponential(1)})`);
      expect(Math.abs(loss - first[0].batchLoss!)).toBeLessThan(1e-4);
    }, 60_000);
  }
});

