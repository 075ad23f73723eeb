/**
 * Issue #60: `netwright predict MODEL INPUT… [--out preds.csv]` answers as the Playground does
 * (class and probabilities) for an image folder, a table and an .npy; `--out` never replaces a
 * file without `--force`; a text is refused with a code by a model without a tokenizer (text-tokenizer.test.ts: one with). And the train CLI trains an imported
 * classifier (label Input and loss added by the importer, no training settings) with `--data`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../../src-engine/core/export/onnx';
import { decodeModel, encodeModel } from '../../../../src-engine/core/export/onnx/proto';
import { modelFromJSON } from '../../../../src-engine/core/export/json';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { encodeTableRow, tableWidth } from '../../../../src-engine/core/data/table-encoding';
import { HAS_TORCH, torchProcess } from '../export/torch-harness';
import { main as importCli } from '../../../../src-engine/node/import-cli';
import { main as predictCli } from '../../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { boundedFifo } from '../../fifo';
import { npy, writeDigitFolder } from '../data/user-data-fixtures';
import { titanicLikeCsv } from '../../../e2e/titanic.mjs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const tmp = () => mkdtempSync(join(tmpdir(), 'nw-predict-'));

async function run(cli: typeof trainCli, args: string[]) {
  let out = '';
  let err = '';
  const code = await cli(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

const csvRows = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));

/** Three classes of four measurements, as iris-mlp.json takes them, the label last. */
function threeClassCsv(rows: number): string {
  let csv = 'a,b,c,d,label\n';
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    csv += `${(k + Math.sin(i)).toFixed(3)},${(2 * k + Math.cos(i)).toFixed(3)},${1 - k},${((i % 7) / 7).toFixed(3)},${['x', 'y', 'z'][k]}\n`;
  }
  return csv;
}

describe('predict CLI', () => {
  let dir: string;
  let iris: string;
  beforeAll(async () => {
    dir = tmp();
    iris = join(dir, 'iris.json');
    expect((await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--epochs', '2', '--threads', '1', '--export', iris])).code).toBe(0);
  });

  it('an image folder: each image resized to the Input as training reads it, its class and the class probabilities written as CSV', async () => {
    const images = join(dir, 'digits');
    writeDigitFolder(images, { perClass: 2, layout: 'flat', classes: 3, jpegEvery: 3 });
    const design = join(dir, 'tiny-cnn.json');
    writeFileSync(
      design,
      JSON.stringify({
        format: 'netwright.graph',
        version: 1,
        nodes: [
          { id: 'image', op: 'Input', attrs: { shape: [1, 8, 8], source: 'features' }, inputs: [] },
          { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
          { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['image'] },
          { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
          { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
        ],
        outputs: { logits: 'fc', loss: 'loss' },
        training: { dataset: { name: 'image-folder', options: { path: images } }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 1 },
      }),
    );
    const model = join(dir, 'digits-model.json');
    expect((await run(trainCli, [design, '--data', images, '--threads', '1', '--export', model])).code).toBe(0);

    const preds = join(dir, 'preds.csv');
    const r = await run(predictCli, [model, images, '--out', preds, '--threads', '1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`wrote 6 predictions to ${preds}\n`);
    const [header, ...rows] = csvRows(preds);
    expect(header).toEqual(['input', 'class', 'probability', 'p(0)', 'p(1)', 'p(2)']);
    expect(rows.map((row) => row[0])).toEqual(expect.arrayContaining([expect.stringMatching(/digits\/0\/train-\d+\.(png|jpg)$/)]));
    for (const [, cls, p, ...probs] of rows) {
      const values = probs.map(Number);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(Number(p)).toBe(Math.max(...values));
      expect(cls).toBe(String(values.indexOf(Math.max(...values))));
    }
    // One image prints the same answer as a table row.
    const one = await run(predictCli, [model, rows[0][0], '--threads', '1']);
    expect(one.out).toMatch(new RegExp(`^\\S+ {2}${rows[0][1]} ${(100 * Number(rows[0][2])).toFixed(1)}%`));
  });

  it('a table (its target column left out) and an .npy of the same rows give the same probabilities', async () => {
    const table = join(dir, 'rows.csv');
    writeFileSync(table, 'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n6.7,3.0,5.2,2.3,virginica\n');
    const arrays = join(dir, 'rows.npy');
    writeFileSync(arrays, npy('<f4', [2, 4], [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]));
    const fromTable = join(dir, 'table-preds.csv');
    const fromNpy = join(dir, 'npy-preds.csv');
    expect((await run(predictCli, [iris, table, '--out', fromTable])).code).toBe(0);
    expect((await run(predictCli, [iris, arrays, '--out', fromNpy])).code).toBe(0);
    const t = csvRows(fromTable);
    const n = csvRows(fromNpy);
    expect(t[0]).toEqual(['input', 'class', 'probability', 'p(setosa)', 'p(versicolor)', 'p(virginica)']);
    expect(t.slice(1).map((r) => r[0])).toEqual([`${table}:2`, `${table}:3`]);
    expect(n.slice(1).map((r) => r[0])).toEqual([`${arrays}[0]`, `${arrays}[1]`]);
    expect(n.slice(1).map((r) => r.slice(1))).toEqual(t.slice(1).map((r) => r.slice(1)));
    // Iris keeps its columns (sklearn's names): a table naming them is read by name, in any order.
    const named = join(dir, 'named.csv');
    writeFileSync(named, 'petal width (cm),species,petal length (cm),sepal width (cm),sepal length (cm)\n0.2,setosa,1.4,3.5,5.1\n2.3,virginica,5.2,3.0,6.7\n');
    const fromNamed = join(dir, 'named-preds.csv');
    expect((await run(predictCli, [iris, named, '--out', fromNamed])).code).toBe(0);
    expect(csvRows(fromNamed).slice(1).map((r) => r.slice(1))).toEqual(t.slice(1).map((r) => r.slice(1)));
  });

  it('a model trained on a table keeps its columns: a new table is read by their names (text ones one-hot, a gap filled as in training), its target and other columns not read; an unknown value or a missing column is refused, coded', async () => {
    const csv = join(dir, 'titanic.csv');
    writeFileSync(csv, titanicLikeCsv(100));
    const model = join(dir, 'titanic-model.json');
    expect((await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--data', csv, '--missing', 'median', '--epochs', '2', '--threads', '1', '--export', model])).code).toBe(0);
    expect(modelFromJSON(JSON.parse(readFileSync(model, 'utf8'))).table?.columns.map((c) => c.name)).toEqual(['Pclass', 'Sex', 'Age', 'SibSp', 'Fare', 'Embarked']);
    // The training table's first rows, and the same rows with their columns reversed, Survived left out and a note added.
    const [header, ...rows] = titanicLikeCsv(6).trim().split('\n').map((l) => l.split(','));
    const keep = header.map((h, i) => i).filter((i) => header[i] !== 'Survived').reverse();
    const shuffled = join(dir, 'shuffled.csv');
    writeFileSync(shuffled, [[...keep.map((i) => header[i]), 'note'], ...rows.map((r) => [...keep.map((i) => r[i]), 'x'])].map((r) => r.join(',')).join('\n') + '\n');
    const first = join(dir, 'first.csv');
    writeFileSync(first, [header, ...rows].map((r) => r.join(',')).join('\n') + '\n');
    const a = join(dir, 'first-preds.csv');
    const b = join(dir, 'shuffled-preds.csv');
    expect((await run(predictCli, [model, first, '--out', a])).code).toBe(0);
    expect((await run(predictCli, [model, shuffled, '--out', b])).code).toBe(0);
    expect(rows.some((r) => r[header.indexOf('Age')] === '')).toBe(true);
    expect(csvRows(b).slice(1).map((r) => r.slice(1))).toEqual(csvRows(a).slice(1).map((r) => r.slice(1)));
    // Exported to ONNX, the encoding travels in its metadata (netwright.table): the same answers.
    const onnx = join(dir, 'titanic-model.onnx');
    writeFileSync(onnx, exportOnnx(modelFromJSON(JSON.parse(readFileSync(model, 'utf8')))).bytes);
    const c = join(dir, 'onnx-preds.csv');
    expect((await run(predictCli, [onnx, shuffled, '--out', c])).code).toBe(0);
    expect(csvRows(c).slice(1).map((r) => r.slice(1))).toEqual(csvRows(a).slice(1).map((r) => r.slice(1)));
    // The PyTorch project's encode_row (table.json) reads the rows as the engine does, and its Net answers as predict.
    if (HAS_TORCH) {
      const project = join(dir, 'titanic-pytorch');
      expect((await run(exportCli, [model, '--format', 'pytorch', '--out', project])).code).toBe(0);
      const script = `import csv, json, sys, torch
from model import Net, normalize, load_weights, encode_row
rows = list(csv.DictReader(open(sys.argv[1])))
x = torch.stack([encode_row(r) for r in rows])
net = load_weights(Net(), 'weights.pt').eval()
with torch.no_grad():
    p = torch.softmax(net(normalize(x)), dim=1)
print(json.dumps({'x': x.tolist(), 'p': p.tolist()}))`;
      const py = await torchProcess(['-c', script, shuffled], project);
      expect(py.status, py.stderr).toBe(0);
      const got = JSON.parse(py.stdout.trim().split('\n').pop()!) as { x: number[][]; p: number[][] };
      const table = modelFromJSON(JSON.parse(readFileSync(model, 'utf8'))).table!;
      const engine = rows.map((r) => {
        const out = new Float32Array(tableWidth(table));
        encodeTableRow(table, (k) => r[header.indexOf(table.columns[k].name)], out, 0);
        return Array.from(out);
      });
      expect(got.x, 'encode_row in Python gives the engine\'s input').toEqual(engine);
      const ours = csvRows(a).slice(1).map((r) => r.slice(3).map(Number));
      expect(Math.max(...got.p.flatMap((row, i) => row.map((v, k) => Math.abs(v - ours[i][k]))))).toBeLessThan(1e-4);
    }
    // evaluate --data reads a table by the model's columns and classes too: the survivors alone, their
    // columns reversed (a table of one class, which read on its own terms would call them class 0).
    const all = titanicLikeCsv(100).trim().split('\n').map((l) => l.split(','));
    const survived = all.slice(1).filter((r) => r[header.indexOf('Survived')] === '1');
    const order = header.map((_, i) => i).reverse();
    const survivors = join(dir, 'survivors.csv');
    writeFileSync(survivors, [order.map((i) => header[i]), ...survived.map((r) => order.map((i) => r[i]))].map((r) => r.join(',')).join('\n') + '\n');
    const ev = await run(evaluateCli, [model, '--data', survivors, '--json']);
    expect(ev.code, ev.err).toBe(0);
    const measured = JSON.parse(ev.out.trim().split('\n').pop()!) as { count?: number; metrics: { accuracy: number } };
    const said = join(dir, 'survivors-preds.csv');
    expect((await run(predictCli, [model, survivors, '--out', said])).code).toBe(0);
    const right = csvRows(said).slice(1).filter((r) => r[1] === '1').length;
    expect(measured.metrics.accuracy).toBeCloseTo(right / survived.length, 6);
    const unknown = join(dir, 'unknown.csv');
    writeFileSync(unknown, 'Pclass,Sex,Age,SibSp,Fare,Embarked\n1,unknown,30,0,50,S\n');
    expect(await run(predictCli, [model, unknown])).toMatchObject({ code: 2, err: expect.stringMatching(/^error E_PREDICT_INPUT: .*line 2, column "Sex": a value the model was not trained on \(it knows female, male\)/) });
    const lacking = join(dir, 'lacking.csv');
    writeFileSync(lacking, 'Pclass,Sex,Age\n1,male,30\n');
    expect(await run(predictCli, [model, lacking])).toMatchObject({ code: 2, err: expect.stringMatching(/^error E_PREDICT_INPUT: .*no columns "SibSp", "Fare", "Embarked"; the model reads Pclass, Sex, Age, SibSp, Fare, Embarked/) });
  });

  it('--out never replaces a file without --force; a text without a vocabulary and an unknown input are refused with codes', async () => {
    const table = join(dir, 'one.csv');
    writeFileSync(table, 'a,b,c,d\n5.1,3.5,1.4,0.2\n');
    const out = join(dir, 'kept.csv');
    writeFileSync(out, 'mine\n');
    const refused = await run(predictCli, [iris, table, '--out', out]);
    expect(refused).toMatchObject({ code: 2, err: expect.stringMatching(/^error E_EXPORT_EXISTS: /) });
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect((await run(predictCli, [iris, table, '--out', out, '--force'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^input,class,probability,/);

    expect(await run(predictCli, [iris, '--text', 'a typed text'])).toMatchObject({ code: 2, err: expect.stringMatching(/^error E_PREDICT_TEXT: .*keeps no tokenizer/) });
    writeFileSync(join(dir, 'notes.md'), '# hi\n');
    expect(await run(predictCli, [iris, join(dir, 'notes.md')])).toMatchObject({ code: 2, err: expect.stringMatching(/^error E_PREDICT_INPUT: /) });
    expect(await run(predictCli, [iris, join(dir, 'rows.npy'), '--json'])).toMatchObject({ code: 0 });
  });

  it('weights without their design (a PyTorch export folder, a .safetensors or .pt file) are refused as such, not as bad JSON or a folder without run.json', async () => {
    const py = join(dir, 'iris-pytorch');
    mkdirSync(py);
    for (const f of ['model.py', 'model.safetensors', 'weights.pt']) writeFileSync(join(py, f), 'x');
    const table = join(dir, 'one.csv');
    writeFileSync(table, 'a,b,c,d\n5.1,3.5,1.4,0.2\n');
    expect(await run(predictCli, [py, table])).toMatchObject({ code: 2, err: expect.stringMatching(/^error CLI_WEIGHTS_ONLY: .*iris-pytorch is a PyTorch project/) });
    for (const f of ['model.safetensors', 'weights.pt']) expect(await run(predictCli, [join(py, f), table])).toMatchObject({ code: 2, err: expect.stringMatching(/^error CLI_WEIGHTS_ONLY: .*holds weights without the design/) });
    // Any other folder is still one without run.json.
    expect(await run(predictCli, [join(dir, 'digits'), table])).toMatchObject({ code: 2, err: expect.stringMatching(/^error CLI_NOT_A_RUN: /) });
  });

  it('an input that is a FIFO is refused with a code, not read (it said "E_PREDICT_INPUT: not-regular")', async () => {
    const fifo = boundedFifo(dir, 'rows-fifo.csv');
    try {
      if (fifo) expect(await run(predictCli, [iris, fifo.path])).toMatchObject({ code: 2, err: expect.stringMatching(/^error CLI_NOT_A_FILE: .*not a regular file/) });
    } finally {
      fifo?.release();
    }
  });
});

describe('train CLI: an imported classifier', () => {
  it('trains with --data (the importer added its label Input and loss; the app\'s Add settings fill in the rest), from its imported weights', async () => {
    const dir = tmp();
    const iris = join(dir, 'iris.json');
    expect((await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--epochs', '1', '--threads', '1', '--export', iris])).code).toBe(0);
    // An ONNX file from elsewhere: no Netwright metadata, so nothing of the training settings comes back.
    const file = decodeModel(exportOnnx(modelFromJSON(JSON.parse(readFileSync(iris, 'utf8')))).bytes);
    file.metadata_props = [];
    const onnx = join(dir, 'foreign.onnx');
    writeFileSync(onnx, encodeModel(file));
    const project = join(dir, 'foreign.netwright.json');
    const imported = await run(importCli, [onnx, '--out', project]);
    expect(imported.code).toBe(0);
    expect(imported.err).toMatch(/W_IMPORT_CLASSIFIER/);
    expect(imported.out).toContain(`npm run train -- ${project} --data`);

    const data = join(dir, 'three.csv');
    writeFileSync(data, threeClassCsv(60));
    const r = await run(trainCli, [project, '--data', data, '--epochs', '1', '--threads', '1']);
    expect(r.err).not.toMatch(/TRAIN_NO_CONFIG/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^weights: 4 tensors from the project$/m);
    expect(r.out).toMatch(/^completed after 1 epoch, \d+ steps/m);

    // Measured on the same data, as the app's Evaluate on a loaded model.
    const measured = await run(evaluateCli, [project, '--data', data, '--threads', '1']);
    expect(measured.code, measured.err).toBe(0);
    expect(measured.out).toMatch(/^all loss \d.*acc \d/m);

    const bare = await run(trainCli, [project, '--epochs', '1']);
    expect(bare).toMatchObject({ code: 2, err: expect.stringMatching(/TRAIN_NO_CONFIG: .*--data FOLDER/) });
  });
});
