/**
 * A model card in every export (#85 deliverable 5): the JSON model's `modelCard`, the ONNX file's
 * `netwright.model_card` metadata, the safetensors header's, and the PyTorch project's
 * MODEL_CARD.md carry the same card, naming the dataset and its splits, the metrics beside the
 * baselines and the preprocessing. Hostile names (pipes, newlines, HTML, lone surrogates) stay
 * literal text inside one table cell, and the safetensors reader's header bound admits the card.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { EXPORT_FORMATS } from '../../../../src-engine/core/export/formats';
import { modelFromJSON, modelToJSON } from '../../../../src-engine/core/export/json';
import { MAX_MODEL_CARD_CHARS, MODEL_CARD_KEY, mdText, modelCard } from '../../../../src-engine/core/export/model-card';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { decodeModel } from '../../../../src-engine/core/export/onnx/proto';
import { MODEL_CARD_HEADER_BYTES, indexSafetensors, weightsLimits } from '../../../../src-engine/core/export/safetensors';
import { onnxCheck, runOrt, trainedModel } from './onnx/harness';

const IRIS = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples/iris-mlp.json'), 'utf8')) as GraphIR;
const HOSTILE = 'a|b\n# heading\r\n<script>x</script> [link](http://e) `code` \ud800 *em*';

/** iris-mlp after a few steps, with its splits' metrics, baselines, normalisation and a table encoding whose names are hostile. */
function irisModel(name = 'Iris MLP'): TrainedModel {
  const graph: GraphIR = { ...IRIS, name, training: { ...IRIS.training!, dataset: { ...IRIS.training!.dataset, options: { path: '/home/ana/private/iris.csv', targetColumn: HOSTILE } } } };
  const m = trainedModel(graph, 3);
  return {
    ...m,
    normalization: { kind: 'per-feature', mean: [5.8, 3.1, 3.8, 1.2], std: [0.8, 0.4, 1.8, 0.7] },
    classNames: ['setosa', HOSTILE, 'virginica'],
    table: { format: 'netwright.table', version: 1, target: HOSTILE, columns: ['sepal length', 'sepal width', HOSTILE, 'petal width'].map((c) => ({ name: c, kind: 'numeric' as const })) },
    metrics: { train: { loss: 0.31, accuracy: 0.9537 }, test: { loss: 0.402, accuracy: 0.9333, f1: 0.931, confusion: { matrix: [[1]] } } },
    baselines: { 'majority class': { test: { accuracy: 0.3333, f1: 0.1667 } }, 'logistic regression': { test: { accuracy: 0.9, f1: 0.89 }, note: HOSTILE } },
    origin: { runId: 'run-7', step: 60, epoch: 3, which: 'last' },
  };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const exported = (id: string, m: TrainedModel) => EXPORT_FORMATS.find((f) => f.id === id)!.export(m, {});

/** Rows of a Markdown table have as many unescaped `|` as the table's header. */
function tableCellsKept(card: string): void {
  const bars = (line: string) => line.replace(/\\./g, '').split('|').length;
  const lines = card.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('|')) continue;
    const header = lines.slice(0, i + 1).reverse().findIndex((l) => !l.startsWith('|'));
    expect(bars(lines[i]), lines[i]).toBe(bars(lines[i - header + 1]));
  }
}

describe('model card', () => {
  it('names the data, splits, preprocessing, metrics beside baselines, use and limits; a hostile name stays one literal cell', () => {
    const card = modelCard(irisModel(), { splits: { train: 108, val: 12, test: 30 } });
    for (const s of ['## Intended use', '## Training and evaluation data', '## Preprocessing', '## Metrics', '## Caveats and ethical considerations', 'Iris', '108 / 12 / 30 samples', 'per feature (4 features', 'predicts column', '| test | 0.402 | 0.9333 | 0.931 |', '| **this network** | 0.9333 | 0.931 |', '| majority class | 0.3333 | 0.1667 |', 'float32 weights', 'run run-7, last checkpoint, epoch 3, step 60', 'adam at learning rate 0.01, batch 16']) {
      expect(card).toContain(s);
    }
    // The host path is reduced to its file name; the hostile text never starts a line, a tag or a link.
    expect(card).not.toContain('/home/ana');
    expect(card).toContain('path = iris.csv');
    expect(card).not.toMatch(/^# heading/m);
    expect(card).not.toContain('<script>');
    expect(card).not.toContain('](http');
    tableCellsKept(card);
    expect(mdText(HOSTILE)).toBe('a\\|b # heading  \\<script\\>x\\</script\\> \\[link\\]\\(http://e\\) \\`code\\` \ufffd \\*em\\*');
  });

  it("an int8 export's card counts the predictions that changed class among those compared: test samples, or a segmenter's pixels", () => {
    const figures = { float: { bytes: 243_917, metric: { name: 'accuracy', value: 0.9 } }, int8: { bytes: 74_584, metric: { name: 'accuracy', value: 0.8997 } } };
    const card = (extra: object) => modelCard(irisModel(), { quantization: { precision: 'int8', method: 'minmax', samples: 256, calibratedOn: 'shape-masks, its training split', ...figures, ...extra } });
    expect(card({ changed: 998, compared: 204_800, pixels: true })).toContain('998 of 204,800 test pixels changed class between float32 and int8.');
    expect(card({ changed: 21, compared: 1000 })).toContain('21 of 1,000 test samples changed class between float32 and int8.');
    expect(card({ changed: 1 })).toContain('1 test sample changed class between float32 and int8.');
  });

  it('an untrained design says so, and a card is bounded however many classes and columns', () => {
    const m = irisModel();
    const untrained = modelCard({ ...m, metrics: undefined, baselines: undefined, origin: { untrained: true, seed: 4 } });
    expect(untrained).toContain('**untrained**');
    expect(untrained).toContain('No metrics were recorded');
    const many = modelCard({ ...m, classNames: Array.from({ length: 5000 }, (_, i) => `${HOSTILE}${i}`.repeat(10)), table: { ...m.table!, columns: Array.from({ length: 3000 }, (_, i) => ({ name: `${HOSTILE}${i}`.repeat(30), kind: 'one-hot' as const, categories: ['x'] })) } });
    expect(many.length).toBeLessThanOrEqual(MAX_MODEL_CARD_CHARS);
    expect(many).toContain('and 4960 more');
  });

  it('every export form carries it: JSON modelCard, ONNX metadata (checker and onnxruntime pass), safetensors header within the reader bound, MODEL_CARD.md', async () => {
    const m = irisModel('iris <b>|</b>\n\ud800');
    const card = modelCard(m);

    const json = JSON.parse(text(exported('json', m).files[0].data)) as { modelCard: string };
    expect(json.modelCard).toBe(card);
    const back = modelFromJSON(JSON.stringify(modelToJSON(m)));
    expect(back.baselines).toEqual(m.baselines);
    expect(modelCard(back)).toBe(card);

    const onnx = exported('onnx', m).files[0].data;
    const meta = new Map(decodeModel(onnx).metadata_props!.map((p) => [p.key, p.value]));
    expect(meta.get(MODEL_CARD_KEY)).toBe(card);
    expect(onnxCheck({ card: onnx })).toEqual({});
    const out = await runOrt(onnx, { measurements: { data: new Float32Array([5.1, 3.5, 1.4, 0.2]), dims: [1, 4] } });
    expect(Object.values(out)[0]).toHaveLength(3);

    const st = exported('safetensors', m).files[0].data;
    const index = indexSafetensors(st, 'model.safetensors', weightsLimits(4, 4));
    expect(index.metadata[MODEL_CARD_KEY]).toBe(card);

    const project = exported('pytorch', m);
    const md = project.files.find((f) => f.path === 'MODEL_CARD.md');
    expect(md && text(md.data)).toBe(card);
    expect(text(project.files.find((f) => f.path === 'README.md')!.data)).toContain('MODEL_CARD.md');
  });

  it("the safetensors reader's header bound admits a card of hostile names, and the card's costliest JSON (6 bytes a character)", () => {
    const m = irisModel();
    const lone = '\ud800'.repeat(200);
    const worst: TrainedModel = { ...m, graph: { ...m.graph, name: lone }, classNames: Array.from({ length: 60 }, (_, i) => lone + i), baselines: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [lone + i, { test: { accuracy: 0.5 }, note: lone }])) };
    const card = modelCard(worst);
    expect(card).not.toMatch(/[\ud800-\udfff]/);
    const st = exported('safetensors', worst).files[0].data;
    // The reader derives its bound from the design: 4 tensors, 4 input features.
    const index = indexSafetensors(st, 'model.safetensors', weightsLimits(4, 4));
    expect(index.metadata[MODEL_CARD_KEY]).toBe(card);
    // The largest card JSON can write fits the room the bound keeps for it.
    expect(new TextEncoder().encode(JSON.stringify('\u0001'.repeat(MAX_MODEL_CARD_CHARS))).length - 2).toBeLessThanOrEqual(MODEL_CARD_HEADER_BYTES);
  });
});
