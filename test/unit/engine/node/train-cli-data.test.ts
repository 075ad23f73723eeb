/**
 * `npm run train -- <graph> --data <folder | table | .npz>` (#30): the user's own data replaces the
 * graph's dataset, real PNG/JPEG files and a table with text columns and gaps train end to end.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinDataset } from '../../../../src-engine/core/data';
import { main, usage } from '../../../../src-engine/node/train-cli';
import { modelFromJSON } from '../../../../src-engine/core/export/json';
import { main as predictMain } from '../../../../src-engine/node/predict-cli';
import { npy, writeDigitFolder, zip } from '../data/user-data-fixtures';
import { pricesCsv, titanicLikeCsv } from '../../../e2e/titanic.mjs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const tmp = () => mkdtempSync(join(tmpdir(), 'nw-cli-data-'));

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  return { code, out, err, lines };
}

describe('train CLI --data: an image folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
    // 200 colour digits at 32×32, every 25th a JPEG (jpeg-js takes ~0.1 s to encode one), one folder per class.
    writeDigitFolder(dir, { perClass: 20, layout: 'flat', jpegEvery: 25 });
    writeFileSync(join(dir, '3', 'empty.png'), new Uint8Array(0));
  });

  it('examples/mnist-cnn.json trains on it as it is: images fed at its Input [1, 28, 28], class names from the folders', async () => {
    const model = join(tmp(), 'model.json');
    const runs = tmp();
    const r = await cli([join(EXAMPLES, 'mnist-cnn.json'), '--data', dir, '--epochs', '1', '--threads', '1', '--json', '--export', model, '--runs', runs]);
    expect(r.code, r.out + r.err).toBe(0);
    const data = r.lines.find((l) => l.type === 'data') as unknown as { kind: string; files: number; classCounts: Record<string, number>; skipped: { path: string; reason: string }[]; fingerprint: string; notes: string[] };
    expect(data.kind).toBe('image-folder');
    expect(data.files).toBe(201);
    expect(Object.keys(data.classCounts)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(data.skipped).toEqual([{ path: '3/empty.png', reason: 'empty file (0 bytes)' }]);
    expect(data.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The run store keeps which data, by path and content: Compare's settings diff shows it.
    const [run] = readdirSync(runs).filter((f) => /^\d{8}-/.test(f));
    const meta = JSON.parse(readFileSync(join(runs, run, 'run.json'), 'utf8')) as { settings: { training: { dataset: { name: string; options: { path: string; fingerprint: string } } } } };
    expect(meta.settings.training.dataset).toMatchObject({ name: 'image-folder', options: { path: dir, fingerprint: data.fingerprint } });
    expect(data.notes.join(' ')).toMatch(/grey \(luma\) and resized to 28×28/);
    expect(r.lines.at(-1)?.type).toBe('export');
    const exported = JSON.parse(readFileSync(model, 'utf8')) as { classNames: string[]; normalization: { kind: string; features: number; mean: number[] } };
    expect(exported.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Per-channel normalisation fitted on the training split (one channel here: 784 equal means),
    // written as its run: one mean for the 784 features (5445c489), read back feature by feature.
    expect(exported.normalization).toMatchObject({ kind: 'per-channel', features: 784 });
    expect(exported.normalization.mean).toHaveLength(1);
    const back = modelFromJSON(readFileSync(model, 'utf8')).normalization!;
    expect([back.kind, back.mean.length, new Set(back.mean).size]).toEqual(['per-feature', 784, 1]);
  });

  it('examples/your-photos.json (3 outputs) on the 10-class folder: its head is resized to 10, said in a note, and it trains', async () => {
    const r = await cli([join(EXAMPLES, 'your-photos.json'), '--data', dir, '--epochs', '1', '--limit', '64', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.find((l) => l.type === 'note')?.message).toBe('fc now outputs 10, one per class of the folder (it output 3); its weights start afresh');
    expect(r.lines.at(-1)?.type).toBe('done');
  });

  it('bad --data input: a missing path, a file of another kind, --target with a folder → exit 2 with a code', async () => {
    const graph = join(EXAMPLES, 'mnist-cnn.json');
    expect((await cli([graph, '--data', join(dir, 'nope'), '--json'])).lines[0]).toMatchObject({ type: 'error', code: 'DATA_NOT_FOUND' });
    const other = join(tmp(), 'x.bin');
    writeFileSync(other, 'x');
    expect((await cli([graph, '--data', other, '--json'])).lines[0]).toMatchObject({ type: 'error', code: 'DATA_BAD_OPTION' });
    expect((await cli([graph, '--data', dir, '--target', 'label', '--json'])).lines[0]).toMatchObject({ type: 'error', code: 'DATA_BAD_OPTION' });
    expect((await cli([graph, '--data', dir, '--missing', 'median', '--json'])).lines[0]).toMatchObject({ type: 'error', code: 'DATA_BAD_OPTION' });
    expect((await cli([graph, '--data', dir, '--missing', 'guess', '--json'])).lines[0]).toMatchObject({ type: 'error', code: 'CLI_USAGE' });
    const empty = tmp();
    const r = await cli([graph, '--data', empty, '--json']);
    expect(r.code).toBe(2);
    expect(r.lines.at(-1)).toMatchObject({ type: 'error', code: 'DATA_IMAGES_EMPTY' });
  });
});

describe('train CLI --data: a Titanic-like table on the Iris MLP (#44)', () => {
  it('Survived is the target by its name; the gaps name --missing; with a policy the Input takes 9 values and the head 2 classes, each said in a note, and it trains', async () => {
    const csv = join(tmp(), 'titanic.csv');
    writeFileSync(csv, titanicLikeCsv(100));
    const graph = join(EXAMPLES, 'iris-mlp.json');
    const refused = await cli([graph, '--data', csv, '--epochs', '1', '--threads', '1', '--json']);
    expect(refused.lines.at(-1)).toMatchObject({ type: 'error', code: 'DATA_NAN' });
    expect(String(refused.lines.at(-1)?.message)).toMatch(/Pass --missing drop\|mean\|median\|most-frequent\|indicator\.$/);
    const r = await cli([graph, '--data', csv, '--missing', 'median', '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const data = r.lines.find((l) => l.type === 'data') as unknown as { columns: { name: string; role: string }[] };
    expect(data.columns.filter((c) => c.role === 'target').map((c) => c.name)).toEqual(['Survived']);
    expect(r.lines.filter((l) => l.type === 'note').map((l) => l.message)).toEqual([
      "measurements now takes [9], the table's values per sample (it took [4])",
      'fc2 now outputs 2, one per class of the table (it output 3); its weights start afresh',
      'the design is now called “titanic MLP (9-16-2)”',
    ]);
    expect(r.lines.at(-1)?.type).toBe('done');
  });
});

describe('train CLI --data: a table of prices on the Iris MLP, a classifier', () => {
  it('price is a number to predict: the loss becomes MSELoss, the target [1], the head 1 output and the metrics mse, mae, r2, each said in a note, and it learns', async () => {
    const csv = join(tmp(), 'houses.csv');
    writeFileSync(csv, pricesCsv(300));
    const model = join(tmp(), 'prices.json');
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--data', csv, '--epochs', '30', '--threads', '1', '--json', '--export', model]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.filter((l) => l.type === 'note').map((l) => l.message)).toEqual([
      "measurements now takes [2], the table's values per sample (it took [4])",
      "loss is now MSELoss, a regression's loss (it was CrossEntropyLoss)",
      'species now takes [1], the values to predict (it took [])',
      'fc2 now outputs 1, the value to predict (it output 3); its weights start afresh',
      'the metrics are now mse, mae, r2',
      'the output logits is now called prediction (values, not class scores)',
      'the design is now called “houses MLP (2-16-1)”',
    ]);
    const done = r.lines.find((l) => l.type === 'done') as { type: string; test?: Record<string, number> };
    expect(done.test?.r2).toBeGreaterThan(0.9);
    // Its predictions are named after the column it predicts.
    const preds = join(tmp(), 'preds.csv');
    expect(await predictMain([model, csv, '--out', preds], () => undefined, () => undefined)).toBe(0);
    expect(readFileSync(preds, 'utf8').split('\n')[0]).toBe('input,price');
  });
});

describe('train CLI --data: labelled texts for a design made for them', () => {
  // Reviews that say which class they are in their words: a bag of words separates them.
  const words = { pos: ['great', 'loved', 'wonderful', 'fun', 'brilliant'], neg: ['boring', 'hated', 'awful', 'waste', 'bad'] } as const;
  const review = (label: 'pos' | 'neg', i: number) => `the film was ${words[label][i % 5]} and ${words[label][(i * 3 + 1) % 5]}`;

  it('a CSV of texts is read as texts, not as a table of categories: the bag-of-words design is fitted to its vocabulary and 2 classes, and learns them', async () => {
    const csv = join(tmp(), 'reviews.csv');
    writeFileSync(csv, `review,label\n${Array.from({ length: 120 }, (_, i) => (i % 2 ? `${review('pos', i)},pos` : `${review('neg', i)},neg`)).join('\n')}\n`);
    const r = await cli([join(EXAMPLES, 'fortunes-topics-bow.json'), '--data', csv, '--epochs', '8', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.find((l) => l.type === 'data')).toMatchObject({ kind: 'text-csv' });
    // The design's tokenising is kept (words, counts): its Input takes the vocabulary's counts.
    expect(r.lines.filter((l) => l.type === 'note').map((l) => l.message)).toEqual([
      expect.stringMatching(/^words now takes \[\d+\], the table's values per sample \(it took \[4000\]\)$/),
      expect.stringMatching(/^\w+ now outputs 2, one per class of the table \(it output 4\)/),
    ]);
    const done = r.lines.at(-1) as unknown as { type: string; test: { accuracy: number } };
    expect(done.type).toBe('done');
    expect(done.test.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('a folder of .txt files per class is a text folder, not an image folder', async () => {
    const dir = tmp();
    for (const label of ['pos', 'neg'] as const) {
      mkdirSync(join(dir, label));
      for (let i = 0; i < 30; i++) writeFileSync(join(dir, label, `${i}.txt`), review(label, i));
    }
    const r = await cli([join(EXAMPLES, 'fortunes-topics-bow.json'), '--data', dir, '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.find((l) => l.type === 'data')).toMatchObject({ kind: 'text-folder' });
    expect(r.lines.at(-1)?.type).toBe('done');
  });
});

describe('train CLI --data: a table with text columns and missing values', () => {
  it('one-hot encodes, fills gaps by the graph\'s policy, and learns the rule', async () => {
    const dir = tmp();
    const csv = join(dir, 'patients.csv');
    const colours = ['red', 'green', 'blue'];
    const rows = ['age,colour,score,label'];
    let seed = 11;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const age = 20 + Math.floor(60 * rand());
      const colour = colours[i % 3];
      const score = rand();
      // The label: old, or blue. Some cells missing.
      const label = age > 50 || colour === 'blue' ? 'yes' : 'no';
      rows.push(`${i % 17 === 0 ? '' : age},${i % 23 === 0 ? 'NA' : colour},${score.toFixed(3)},${label}`);
    }
    writeFileSync(csv, rows.join('\n'));
    const graph = join(dir, 'mlp.json');
    writeFileSync(
      graph,
      JSON.stringify({
        format: 'netwright.graph',
        version: 1,
        nodes: [
          { id: 'x', op: 'Input', attrs: { shape: [5], source: 'features' }, inputs: [] },
          { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
          { id: 'fc1', op: 'Linear', attrs: { outFeatures: 32 }, inputs: ['x'] },
          { id: 'act', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
          { id: 'fc2', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['act'] },
          { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc2', 'y'] },
        ],
        outputs: { logits: 'fc2', loss: 'loss' },
        training: { dataset: { name: 'csv', options: { missing: 'median' } }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 16, epochs: 30, seed: 1, metrics: ['accuracy'] },
      }),
    );
    const r = await cli([graph, '--data', csv, '--target', 'label', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const data = r.lines.find((l) => l.type === 'data') as unknown as { columns: { name: string; kind: string; missing: number; role: string }[]; classCounts: Record<string, number> };
    expect(data.columns.map((c) => [c.name, c.role, c.kind, c.missing])).toEqual([
      ['age', 'feature', 'numeric', 18],
      ['colour', 'feature', 'categorical', 14],
      ['score', 'feature', 'numeric', 0],
      ['label', 'target', 'categorical', 0],
    ]);
    expect(Object.keys(data.classCounts)).toEqual(['no', 'yes']);
    const done = r.lines.at(-1) as unknown as { type: string; test: { accuracy: number } };
    expect(done.type).toBe('done');
    // Rows with a gap in age or colour are partly unpredictable; the rest follow the rule exactly.
    expect(done.test.accuracy).toBeGreaterThan(0.85);
  });
});

describe('train CLI --data: NumPy arrays', () => {
  it('examples/iris-mlp.json trains on Iris saved as an .npz (x float64, y int64)', async () => {
    const iris = loadBuiltinDataset({ name: 'iris' })!.train;
    const x = npy('<f8', [150, 4], Array.from(iris.features));
    const y = npy('<i8', [150], Array.from(iris.targets));
    const file = join(tmp(), 'iris.npz');
    // Deflated, as np.savez_compressed writes it.
    writeFileSync(file, zip({ 'x.npy': x, 'y.npy': y }, true));
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--data', file, '--epochs', '40', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.find((l) => l.type === 'data')).toMatchObject({ kind: 'npz', files: 1, classCounts: { 0: 50, 1: 50, 2: 50 } });
    expect((r.lines.at(-1) as unknown as { test: { accuracy: number } }).test.accuracy).toBeGreaterThan(0.85);
  });

  it('... and as a pair of .npy files (X_train.npy, y_train.npy beside it); without the pair, a coded error that says how to name it', async () => {
    const iris = loadBuiltinDataset({ name: 'iris' })!.train;
    const dir = tmp();
    writeFileSync(join(dir, 'X_train.npy'), npy('<f4', [150, 4], Array.from(iris.features)));
    writeFileSync(join(dir, 'y_train.npy'), npy('<i8', [150], Array.from(iris.targets)));
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--data', join(dir, 'X_train.npy'), '--epochs', '40', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.find((l) => l.type === 'data')).toMatchObject({ kind: 'npz', classCounts: { 0: 50, 1: 50, 2: 50 } });
    expect((r.lines.at(-1) as unknown as { test: { accuracy: number } }).test.accuracy).toBeGreaterThan(0.85);
    writeFileSync(join(dir, 'alone-x.npy'), npy('<f4', [150, 4], Array.from(iris.features)));
    const alone = await cli([join(EXAMPLES, 'iris-mlp.json'), '--data', join(dir, 'alone-x.npy'), '--epochs', '1', '--json']);
    expect(alone.code).not.toBe(0);
    expect(alone.out + alone.err).toMatch(/DATA_NOT_FOUND[\s\S]*alone-y\.npy|no targets file beside alone-x\.npy/);
  });
});

describe('train CLI: a model file (--format json) trains (#82)', () => {
  // The model file holds its graph (with "training") and weights under "graph" and "params": it was
  // read as a bare graph, so "no training section" without --data, and a TypeError with it.
  it('trains on from its weights, on its own settings and on --data', async () => {
    const dir = tmp();
    const modelFile = join(dir, 'iris.netwright-model.json');
    const first = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', '30', '--threads', '1', '--json', '--export', modelFile, '--export-format', 'json']);
    expect(first.code, first.out + first.err).toBe(0);
    const trainedLoss = (first.lines.filter((l) => l.type === 'epoch').at(-1) as unknown as { train: { loss: number } }).train.loss;
    const fresh = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', '1', '--threads', '1', '--json']);
    const freshLoss = (fresh.lines.find((l) => l.type === 'epoch') as unknown as { train: { loss: number } }).train.loss;

    const again = await cli([modelFile, '--epochs', '1', '--threads', '1', '--json']);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.lines.at(-1)?.type).toBe('done');
    // It went on from the file's weights: its first epoch is near where the 30 left off, not where a fresh start is.
    const onLoss = (again.lines.find((l) => l.type === 'epoch') as unknown as { train: { loss: number } }).train.loss;
    expect(Math.abs(onLoss - trainedLoss)).toBeLessThan(Math.abs(freshLoss - trainedLoss) / 2);
    const human = await cli([modelFile, '--epochs', '1', '--threads', '1']);
    expect(human.out).toMatch(/^weights: \d+ tensors from the project$/m);

    const iris = loadBuiltinDataset({ name: 'iris' })!.train;
    const npz = join(dir, 'iris.npz');
    writeFileSync(npz, zip({ 'x.npy': npy('<f8', [150, 4], Array.from(iris.features)), 'y.npy': npy('<i8', [150], Array.from(iris.targets)) }, true));
    const withData = await cli([modelFile, '--data', npz, '--epochs', '1', '--threads', '1', '--json']);
    expect(withData.code, withData.out + withData.err).toBe(0);
    expect(withData.lines.find((l) => l.type === 'data')).toMatchObject({ kind: 'npz', files: 1 });
    expect(withData.lines.at(-1)?.type).toBe('done');
  });
});

describe('train CLI --freeze: fine-tuning from the command line, the memory verdict first (#82)', () => {
  let dir: string;
  const cnn = join(EXAMPLES, 'mnist-cnn.json');
  const backbone = ['conv1', 'bn1', 'conv2', 'bn2'];
  beforeAll(() => {
    dir = tmp();
    // 3 classes of 8 colour digits at 32×32: the CNN's head of 10 is resized to 3.
    writeDigitFolder(dir, { perClass: 8, layout: 'flat', classes: 3 });
  });
  const exported = async (epochs: number, more: string[] = []) => {
    const file = join(tmp(), 'm.json');
    const r = await cli([cnn, '--data', dir, '--epochs', String(epochs), '--batch-size', '8', '--threads', '1', '--json', '--export', file, ...more]);
    expect(r.code, r.out + r.err).toBe(0);
    return { r, model: modelFromJSON(readFileSync(file, 'utf8')) };
  };
  const tensorsOf = (m: ReturnType<typeof modelFromJSON>, nodes: string[]) => Object.fromEntries(Object.entries({ ...m.params, ...m.buffers }).filter(([k]) => nodes.includes(k.split('.')[0])));

  it('--freeze backbone: the head fits the folder\'s 3 classes and alone trains; the layers before it keep their weights and statistics', async () => {
    const one = await exported(1, ['--freeze', 'backbone']);
    const two = await exported(2, ['--freeze', 'backbone']);
    const notes = two.r.lines.filter((l) => l.type === 'note').map((l) => l.message);
    expect(notes).toContain('fc now outputs 3, one per class of the folder (it output 10); its weights start afresh');
    expect(notes).toContain('froze 4 layers before the classifier head "fc" (conv1, bn1, conv2, bn2): they keep their weights and running statistics');
    expect(two.r.lines.find((l) => l.type === 'start')).toMatchObject({ frozen: backbone });
    expect(two.model.params['fc.weight'].length).toBe(3 * 64 * 7 * 7);
    expect(two.model.classNames).toEqual(['0', '1', '2']);
    // One epoch more changed the head, and nothing before it.
    expect(two.model.params['fc.weight']).not.toEqual(one.model.params['fc.weight']);
    expect(tensorsOf(two.model, backbone)).toEqual(tensorsOf(one.model, backbone));
    expect(Object.keys(tensorsOf(two.model, backbone))).toHaveLength(4 + 4 + 4);
    // Without --freeze the same epoch moves them (the check above could fail).
    const whole = await exported(1);
    expect(tensorsOf(whole.model, ['conv1'])).not.toEqual(tensorsOf(one.model, ['conv1']));
  });

  it('--freeze NODE freezes it and every layer before it; an unknown node, or backbone without a head, is refused (CLI_FREEZE)', async () => {
    const r = await cli([cnn, '--data', dir, '--epochs', '1', '--threads', '1', '--json', '--freeze', 'conv2']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.lines.find((l) => l.type === 'start')).toMatchObject({ frozen: ['conv1', 'bn1', 'conv2'] });
    const none = await cli([cnn, '--data', dir, '--epochs', '1', '--json', '--freeze', 'conv9']);
    expect(none.code).toBe(2);
    expect(none.lines.at(-1)).toMatchObject({ type: 'error', code: 'CLI_FREEZE', message: expect.stringContaining('"conv9": the design has no node of that id') });
    const ae = await cli([join(EXAMPLES, 'mnist-denoise-ae.json'), '--epochs', '1', '--limit', '64', '--json', '--freeze', 'backbone']);
    expect(ae.code).toBe(2);
    expect(ae.lines.at(-1)).toMatchObject({ type: 'error', code: 'CLI_FREEZE' });
    expect(usage()).toMatch(/--freeze backbone +fine-tune: freeze every layer before the classifier head/);
    expect(usage()).toMatch(/--freeze NODE +freeze NODE and every layer before it/);
  });

  it('the memory verdict comes before training: the start line carries the estimate; a budget too small is refused naming the largest batch that fits', async () => {
    const small = await cli([cnn, '--data', dir, '--epochs', '1', '--batch-size', '4', '--threads', '1', '--json']);
    expect(small.code, small.out + small.err).toBe(0);
    const start = small.lines.find((l) => l.type === 'start') as unknown as { memoryEstimateBytes: number; memoryLimitBytes: number; batchSize: number };
    expect(start.batchSize).toBe(4);
    expect(start.memoryEstimateBytes).toBeGreaterThan(0);
    expect(start.memoryEstimateBytes).toBeLessThan(start.memoryLimitBytes);
    expect(small.lines.findIndex((l) => l.type === 'start')).toBeLessThan(small.lines.findIndex((l) => l.type === 'progress'));
    // A budget between batch 4's estimate and batch 4096's (the activations grow ~1 MB a sample).
    const limit = start.memoryEstimateBytes + 400 * 2 ** 20;
    const before = process.env.NETWRIGHT_MEMORY_SHARE;
    process.env.NETWRIGHT_MEMORY_SHARE = String(limit / totalmem());
    try {
      const big = await cli([cnn, '--data', dir, '--epochs', '1', '--batch-size', '4096', '--threads', '1', '--json']);
      expect(big.code).toBe(2);
      expect(big.lines.some((l) => l.type === 'progress' || l.type === 'start')).toBe(false);
      const refusal = big.lines.at(-1) as unknown as { type: string; code: string; message: string };
      expect(refusal).toMatchObject({ type: 'error', code: 'E_TRAIN_TOO_MUCH_MEMORY' });
      const largest = Number(/Batch (\d+) is the largest that fits/.exec(refusal.message)?.[1]);
      expect(largest).toBeGreaterThan(4);
      expect(largest).toBeLessThan(4096);
      expect(refusal.message).toContain(`On the command line: --batch-size ${largest}; or --freeze backbone`);
    } finally {
      if (before === undefined) delete process.env.NETWRIGHT_MEMORY_SHARE;
      else process.env.NETWRIGHT_MEMORY_SHARE = before;
    }
  });
});
