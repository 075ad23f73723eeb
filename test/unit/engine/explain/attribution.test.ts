/**
 * Issue #83 item 7, "Why?" for every data kind: the saliency's scores given back in what the user
 * gave. A table model's are summed per column (a one-hot column's categories and its gap
 * indicator together), named and sorted; a word model's are one per word, aligned with the words
 * as typed (it painted word scores onto the first letters: "configure", labelled per character); a
 * bag of words' entry is shared by its word's occurrences. Each is checked against the model's
 * own weights: for these linear (and mean-pooled) models gradient × input has a closed form.
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { explainSample } from '../../../../src-engine/app/session/explain';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import type { TableEncoding } from '../../../../src-engine/core/data/types';
import { tokenizerOf, type Tokenizer } from '../../../../src-engine/core/data/tokenizer';
import { columnAttributions, textAttributions } from '../../../../src-engine/core/explain/attribution';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { initialModel } from '../export/torch-harness';

const backend = createReferenceBackend();
const graph = (width: number, hidden: GraphIR['nodes']): GraphIR => ({
  format: 'netwright.graph',
  version: 2,
  nodes: [{ id: 'x', op: 'Input', attrs: { shape: [width], source: 'features' }, inputs: [] }, ...hidden, { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] }, { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'y'] }],
  outputs: { logits: 'head', loss: 'loss' },
  training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 3, metrics: ['accuracy'] },
});
const linear = (inputs: string) => [{ id: 'head', op: 'Linear', attrs: { outFeatures: 3 }, inputs: [inputs] }];
/** Row `target` of a Linear's weight `[out, in]`. */
const row = (m: TrainedModel, node: string, target: number, width: number) => m.params[`${node}.weight`].subarray(target * width, (target + 1) * width);

describe('"Why?" per column of a table', () => {
  const table: TableEncoding = {
    format: 'netwright.table',
    version: 1,
    target: 'survived',
    columns: [
      { name: 'age', kind: 'numeric', fill: 30, indicator: true },
      { name: 'port', kind: 'one-hot', categories: ['C', 'Q', 'S'] },
      { name: 'fare', kind: 'numeric' },
    ],
  } as TableEncoding;
  const model: TrainedModel = { ...initialModel(graph(6, linear('x'))), table };

  it('sums each column\'s values (its categories, its gap indicator) into one score, named and largest first, as the weights say', async () => {
    const x = [0.7, 1, 0, 1, 0, 2.5];
    const e = await explainSample(model, [6], { input: x, method: 'saliency', samples: 1, target: 1 }, backend);
    const w = row(model, 'head', 1, 6);
    // gradient × input of a Linear: W[t, i] · x[i]; age's number and its indicator, port's three categories.
    const want = { age: w[0] * x[0] + w[1] * x[1], port: w[2] * x[2] + w[3] * x[3] + w[4] * x[4], fare: w[5] * x[5] };
    expect(e.columns?.map((c) => c.name).sort()).toEqual(['age', 'fare', 'port']);
    for (const c of e.columns!) expect(c.value).toBeCloseTo(want[c.name as keyof typeof want], 5);
    const sizes = e.columns!.map((c) => Math.abs(c.value));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(e.text).toBeUndefined();
  });

  it('a vector without a table is scored per feature; the mapping refuses scores of another width', async () => {
    const plain = initialModel(graph(4, linear('x')));
    const e = await explainSample(plain, [4], { input: [1, 2, 3, 4], method: 'saliency', samples: 1, target: 0 }, backend);
    expect(e.columns?.map((c) => c.name).sort()).toEqual(['feature 1', 'feature 2', 'feature 3', 'feature 4']);
    expect(() => columnAttributions([1, 2], table)).toThrow(RangeError);
  });
});

describe('"Why?" per word of a word tokenizer', () => {
  const vocabulary = ['<pad>', '<unk>', 'the', 'film', 'was', 'great', 'boring'];
  const words = (features: 'ids' | 'counts', width: number): Tokenizer => tokenizerOf({ vocabulary, tokens: 'words', features }, width);

  it('ids through an Embedding: one score per word, on the word as typed, per word; words past maxLength and the text between words unscored', async () => {
    const tokenizer = words('ids', 6);
    const base = initialModel(graph(6, [
      { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: 7, embeddingDim: 4 }, inputs: ['x'] },
      { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['embed'] },
      ...linear('pool'),
    ]));
    const model: TrainedModel = { ...base, tokenizer };
    const text = 'The film, was GREAT and configure! the end';
    const e = await explainSample(model, [6], { input: [], text, method: 'saliency', target: 2 }, backend);
    expect(e.text?.unit).toBe('word');
    const pieces = e.text!.pieces;
    expect(pieces.map((p) => p.text).join('')).toBe(text);
    const scored = pieces.filter((p) => p.value !== null);
    expect(scored.map((p) => p.text)).toEqual(['The', 'film', 'was', 'GREAT', 'and', 'configure']);
    expect(pieces.filter((p) => /\w/.test(p.text) && p.value === null).map((p) => p.text)).toEqual(['the', 'end']);
    // gradient × embedding of a mean over 6 positions then a Linear: E[id] · W[t] / 6, at each word's position.
    const ids = [2, 3, 4, 5, 1, 1];
    const w = row(model, 'head', 2, 4);
    const E = model.params['embed.weight'];
    ids.forEach((id, t) => {
      const want = [0, 1, 2, 3].reduce((s, k) => s + E[id * 4 + k] * w[k], 0) / 6;
      expect(scored[t].value!).toBeCloseTo(want, 5);
      expect(e.values[t]).toBeCloseTo(want, 5);
    });
  });

  it('a bag of words: each occurrence of a word gets its share of the word\'s entry; unknown words the <unk> entry\'s', async () => {
    const tokenizer = words('counts', vocabulary.length);
    const model: TrainedModel = { ...initialModel(graph(vocabulary.length, linear('x'))), tokenizer };
    const e = await explainSample(model, [vocabulary.length], { input: [], text: 'Great, great film. Zzz!', method: 'saliency', samples: 1, target: 0 }, backend);
    const w = row(model, 'head', 0, vocabulary.length);
    // gradient × count: W[t, v] · count(v), shared by the word's occurrences.
    expect(e.text?.pieces.filter((p) => p.value !== null).map((p) => [p.text, Number(p.value!.toFixed(5))])).toEqual([
      ['Great', Number(w[5].toFixed(5))],
      ['great', Number(w[5].toFixed(5))],
      ['film', Number(w[3].toFixed(5))],
      ['Zzz', Number(w[1].toFixed(5))],
    ]);
  });

  it('a test sample without its text: the tokens the ids hold, in order; characters stay per character', () => {
    const ids = textAttributions([0.5, -0.25, 0.1, 9], words('ids', 4), [2, 5, 1, 0]);
    expect(ids).toEqual({ unit: 'word', pieces: [{ text: 'the', value: 0.5 }, { text: ' ', value: null }, { text: 'great', value: -0.25 }, { text: ' ', value: null }, { text: '<unk>', value: 0.1 }] });
    const chars = textAttributions([1, 2, 3], tokenizerOf({ vocabulary: ['<pad>', '<unk>', 'a', 'b'], tokens: 'chars', features: 'ids' }, 3), [2, 3, 2], 'ab\r\na');
    expect(chars).toEqual({ unit: 'character', pieces: [{ text: 'a', value: 1 }, { text: 'b', value: 2 }, { text: '\n', value: 3 }, { text: 'a', value: null }] });
  });
});
