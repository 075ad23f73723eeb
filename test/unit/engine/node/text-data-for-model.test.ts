/**
 * Issue #83 deliverable 8: a text model is scored and used on a file of texts through its own
 * tokenizer. A bag-of-words classifier (and a word-ids one: Embedding, mean over time) trained one
 * epoch on a tiny table of reviews is evaluated
 * (`netwright evaluate --data`) and used (`netwright predict`) on another table, and a folder of
 * .txt files per class, whose texts hold words the training never saw. The file is encoded with
 * the model's vocabulary (evaluate built a new one from the file: TRAIN_SHAPE_MISMATCH [4000] …;
 * predict read the texts as a table of numbers: E_PREDICT_SHAPE), its labels are mapped to the
 * model's classes by name, and a label the model does not know is refused naming its line.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeWithTokenizer } from '../../../../src-engine/core/data';
import { modelFromJSON } from '../../../../src-engine/core/export/json';
import { LoadedModel } from '../../../../src-engine/app/session/loaded-model';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { main as predictCli } from '../../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');

async function run(cli: typeof trainCli, args: string[]) {
  let out = '';
  let err = '';
  const code = await cli(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err, lines: out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const words = { pos: ['great', 'loved', 'wonderful', 'fun', 'brilliant'], neg: ['boring', 'hated', 'awful', 'waste', 'bad'] } as const;
const review = (label: 'pos' | 'neg', i: number) => `the film was ${words[label][i % 5]} and ${words[label][(i * 3 + 1) % 5]}`;
/** Texts with words the training table never held (cinema, splendid, tedious…) beside known ones. */
const held = [
  { text: 'A splendid cinema evening, great and fun', label: 'pos' },
  { text: 'Tedious plot; awful, boring acting', label: 'neg' },
  { text: 'Marvellous! I loved it', label: 'pos' },
  { text: 'what a waste of a Tuesday, bad', label: 'neg' },
];

describe('a text model on a file of texts, through its own tokenizer', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nw-text-model-'));
    const train = join(dir, 'reviews.csv');
    writeFileSync(train, `review,label\n${Array.from({ length: 40 }, (_, i) => (i % 2 ? `${review('pos', i)},pos` : `${review('neg', i)},neg`)).join('\n')}\n`);
    model = join(dir, 'bow.json');
    const r = await run(trainCli, [join(EXAMPLES, 'fortunes-topics-bow.json'), '--data', train, '--epochs', '1', '--threads', '1', '--export', model]);
    expect(r.code, r.out + r.err).toBe(0);
  }, 60_000);

  const heldCsv = (rows = held, header = 'text,sentiment') => {
    const path = join(dir, `held-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(path, `${header}\n${rows.map((r) => `"${r.text}",${r.label}`).join('\n')}\n`);
    return path;
  };

  it('evaluate --data: the file is encoded with the model\'s vocabulary and measured, its labels read as the model\'s classes', async () => {
    const r = await run(evaluateCli, [model, '--data', heldCsv(), '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const e = r.lines.find((l) => l.type === 'evaluation') as { samples: number; classNames: string[]; metrics: { accuracy: number; confusion: number[][] } };
    expect(e.samples).toBe(4);
    const trained = modelFromJSON(readFileSync(model, 'utf8'));
    expect(e.classNames).toEqual(trained.classNames);
    // The confusion matrix's rows are the file's labels as the model's classes: two texts each.
    expect(e.metrics.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([2, 2]);
    // Its accuracy is the predictions' below, class by class.
    const backend = createReferenceBackend();
    const loaded = new LoadedModel('t', trained, backend);
    const right = held.filter((h) => {
      const p = loaded.predict([], false, h.text);
      return p.kind === 'probabilities' && trained.classNames![p.predicted] === h.label;
    }).length;
    expect(e.metrics.accuracy).toBeCloseTo(right / held.length, 6);
  });

  it('predict on a table of texts (with or without a label column) answers what the app answers for each text', async () => {
    const trained = modelFromJSON(readFileSync(model, 'utf8'));
    const loaded = new LoadedModel('t', trained, createReferenceBackend());
    for (const path of [heldCsv(), join(dir, 'only-texts.csv')]) {
      if (path.endsWith('only-texts.csv')) writeFileSync(path, `text\n${held.map((h) => `"${h.text}"`).join('\n')}\n`);
      const r = await run(predictCli, [model, path, '--threads', '1', '--json']);
      expect(r.code, r.out + r.err).toBe(0);
      const got = r.lines.filter((l) => l.type === 'prediction') as { input: string; values: number[]; predicted: number }[];
      expect(got.map((p) => p.input)).toEqual(held.map((_, i) => `${path}:${i + 2}`));
      held.forEach((h, i) => {
        // The text as the model's tokenizer encodes it: unseen words count as <unk>, not as new entries.
        expect(encodeWithTokenizer(h.text, trained.tokenizer!).length).toBe(trained.tokenizer!.length);
        const app = loaded.predict([], false, h.text);
        expect(app.kind).toBe('probabilities');
        if (app.kind !== 'probabilities') return;
        expect(got[i].predicted).toBe(app.predicted);
        got[i].values.forEach((v, k) => expect(v).toBeCloseTo(app.values[k], 5));
      });
    }
  });

  it('the ONNX export carries the tokenizer: predict on it reads the table of texts as the JSON model does', async () => {
    const onnx = join(dir, 'bow.onnx');
    expect((await run(exportCli, [model, '--format', 'onnx', '--out', onnx])).code).toBe(0);
    const path = heldCsv();
    const [fromJson, fromOnnx] = [await run(predictCli, [model, path, '--threads', '1', '--json']), await run(predictCli, [onnx, path, '--threads', '1', '--json'])];
    expect(fromOnnx.code, fromOnnx.out + fromOnnx.err).toBe(0);
    const preds = (r: typeof fromJson) => r.lines.filter((l) => l.type === 'prediction') as { predicted: number; values: number[] }[];
    expect(preds(fromOnnx)).toHaveLength(4);
    preds(fromOnnx).forEach((p, i) => {
      expect(p.predicted).toBe(preds(fromJson)[i].predicted);
      p.values.forEach((v, k) => expect(v).toBeCloseTo(preds(fromJson)[i].values[k], 5));
    });
  });

  it('a folder of .txt files per class is read the same way, for evaluate and predict', async () => {
    const folder = join(dir, 'held');
    held.forEach((h, i) => {
      mkdirSync(join(folder, h.label), { recursive: true });
      writeFileSync(join(folder, h.label, `${i}.txt`), h.text);
    });
    const fromCsv = await run(evaluateCli, [model, '--data', heldCsv(), '--threads', '1', '--json']);
    const fromFolder = await run(evaluateCli, [model, '--data', folder, '--threads', '1', '--json']);
    expect(fromFolder.code, fromFolder.out + fromFolder.err).toBe(0);
    const metrics = (r: typeof fromCsv) => (r.lines.find((l) => l.type === 'evaluation') as { metrics: { accuracy: number; loss: number } }).metrics;
    expect(metrics(fromFolder).accuracy).toBe(metrics(fromCsv).accuracy);
    expect(metrics(fromFolder).loss).toBeCloseTo(metrics(fromCsv).loss, 5);
    const p = await run(predictCli, [model, folder, '--threads', '1', '--json']);
    expect(p.code, p.out + p.err).toBe(0);
    expect(p.lines.filter((l) => l.type === 'prediction')).toHaveLength(4);
  });

  it('a word-ids model (Embedding, mean over time): evaluate and predict read the file with its words\' ids, as the app does', async () => {
    const design = join(dir, 'word-ids.json');
    const train = join(dir, 'reviews.csv');
    writeFileSync(
      design,
      JSON.stringify({
        format: 'netwright.graph',
        version: 2,
        name: 'reviews (word ids)',
        nodes: [
          { id: 'words', op: 'Input', attrs: { shape: [12], source: 'features' }, inputs: [] },
          { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
          { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: 64, embeddingDim: 8 }, inputs: ['words'] },
          { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['embed'] },
          { id: 'head', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['pool'] },
          { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'label'] },
        ],
        outputs: { logits: 'head', loss: 'loss' },
        training: { dataset: { name: 'text-csv', options: { path: train, tokens: 'words', features: 'ids', maxLength: 12 } }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.05 }, batchSize: 8, epochs: 1, seed: 1, metrics: ['accuracy'] },
      }),
    );
    const words = join(dir, 'word-ids-model.json');
    const t = await run(trainCli, [design, '--threads', '1', '--export', words]);
    expect(t.code, t.out + t.err).toBe(0);
    const trained = modelFromJSON(readFileSync(words, 'utf8'));
    expect([trained.tokenizer?.tokens, trained.tokenizer?.features, trained.tokenizer?.length]).toEqual(['words', 'ids', 12]);
    const loaded = new LoadedModel('w', trained, createReferenceBackend());
    const app = held.map((h) => loaded.predict([], false, h.text));
    const e = await run(evaluateCli, [words, '--data', heldCsv(), '--threads', '1', '--json']);
    expect(e.code, e.out + e.err).toBe(0);
    const right = held.filter((h, i) => app[i].kind === 'probabilities' && trained.classNames![(app[i] as { predicted: number }).predicted] === h.label).length;
    expect((e.lines.find((l) => l.type === 'evaluation') as { metrics: { accuracy: number } }).metrics.accuracy).toBeCloseTo(right / held.length, 6);
    const p = await run(predictCli, [words, heldCsv(), '--threads', '1', '--json']);
    expect(p.code, p.out + p.err).toBe(0);
    const got = p.lines.filter((l) => l.type === 'prediction') as { predicted: number; values: number[] }[];
    got.forEach((g, i) => {
      const a = app[i] as { predicted: number; values: number[] };
      expect(g.predicted).toBe(a.predicted);
      g.values.forEach((v, k) => expect(v).toBeCloseTo(a.values[k], 5));
    });
  });

  it('a label the model does not know is refused, coded, naming its line', async () => {
    const path = heldCsv([...held.slice(0, 2), { text: 'meh, it was fine', label: 'mixed' }]);
    const r = await run(evaluateCli, [model, '--data', path, '--threads', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error DATA_TEXT_UNKNOWN_CLASS: .*line 4.*"mixed".*neg, pos/);
  });
});
