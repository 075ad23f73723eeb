/**
 * #83: no silent wrong results from ids. Word ids of a vocabulary of 4,874 fed to a 128-row
 * Embedding gave rows of zeros for every id past 127 and trained to 54 % with nothing said (PyTorch
 * raises IndexError). Here: the fit a scan's vocabulary asks for (Add data, Problems, the CLI's
 * --data), the training loop's refusal on the data before the first step (Start, the CLI), and a
 * normalisation that overflows a float refused rather than trained on. The kernels' own refusals:
 * cpu-backend/embedding.test.ts, engine/gan-ops.test.ts, gpu/sequence-ops.test.ts, gpu/executor.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { fitToData } from '../../../../src-engine/core/analysis/data-fit';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { prepareData, type Dataset, type PreparedData } from '../../../../src-engine/core/data';
import { TrainingLoop } from '../../../../src-engine/core/train';

/** A text classifier: ids [T] → Embedding(size) → mean → Linear(2) → CrossEntropyLoss. */
function textClassifier(size: number, t = 4): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'tokens', op: 'Input', attrs: { shape: [t], source: 'features' }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: size, embeddingDim: 3 }, inputs: ['tokens'] },
      { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['embed'] },
      { id: 'head', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['pool'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'label'] },
    ],
    outputs: { logits: 'head', loss: 'loss' },
    training: { dataset: { name: 'text-csv' }, loss: 'loss', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 4, epochs: 1, seed: 1, metrics: ['accuracy'] },
  };
}

/** `count` samples of `t` ids below `vocabulary` (the last sample holds vocabulary − 1), labels alternating. */
function ids(name: string, count: number, vocabulary: number, t = 4): Dataset {
  const features = Float32Array.from({ length: count * t }, (_, i) => (i * 7) % vocabulary);
  features[count * t - 1] = vocabulary - 1;
  return { name, task: 'classification', count, features, featureShape: [t], targets: Float32Array.from({ length: count }, (_, i) => i % 2), targetShape: [], numClasses: 2, classNames: ['a', 'b'] };
}

function prepared(vocabulary: number): PreparedData {
  return { train: ids('words.csv (train)', 8, vocabulary), val: ids('words.csv (validation)', 4, vocabulary), test: ids('words.csv (test)', 4, vocabulary), normalization: null, transform: { kind: 'none' }, target: 'label' };
}

const loop = (g: GraphIR, data: PreparedData) => new TrainingLoop(checkedOrThrow(g).ir, data, createReferenceBackend(), { compile: compileGraph, validate: false, checkpoints: false });

describe('ids against the tables that look them up (#83)', () => {
  it('Start refuses ids past an Embedding with E_ID_RANGE, naming the node, the data, the sample and the size it needs', () => {
    expect(() => loop(textClassifier(128), prepared(4874))).toThrow(
      expect.objectContaining({ code: 'E_ID_RANGE', message: expect.stringMatching(/^Embedding “embed” has 128 rows \(ids 0 to 127\) but words\.csv \(train\) gives it the id \d+ \(sample \d+; its ids run to 4,873\): set numEmbeddings to at least 4874/) }),
    );
    // A table as large as the vocabulary trains.
    expect(() => loop(textClassifier(4874), prepared(4874))).not.toThrow();
  });

  it('the validation and test splits are checked too, and a conditional label OneHot against the labels', () => {
    const data = prepared(10);
    data.test = ids('words.csv (test)', 4, 12);
    expect(() => loop(textClassifier(10), data)).toThrow(expect.objectContaining({ code: 'E_ID_RANGE', message: expect.stringContaining('words.csv (test) gives it the id 11') }));
    // A OneHot of the labels (a conditional GAN's) with fewer classes than the data has.
    const g = textClassifier(10);
    g.nodes.push({ id: 'cond', op: 'OneHot', attrs: { numClasses: 1 }, inputs: ['label'] });
    g.outputs.cond = 'cond';
    expect(() => loop(g, prepared(10))).toThrow(expect.objectContaining({ code: 'E_ID_RANGE', message: expect.stringMatching(/^OneHot “cond” has 1 classes .* gives it the id 1/) }));
  });

  it('a scan\'s vocabulary grows an Embedding smaller than it (Add data lists it, Problems while it stands, the CLI\'s --data notes it)', () => {
    const g = textClassifier(128, 80);
    const fit = fitToData(g, { name: 'reviews.csv', kind: 'table', featureShape: [80], classes: 2, idCount: 4874 });
    expect(fit.edits).toEqual([
      {
        nodeId: 'embed',
        attrs: { numEmbeddings: 4874 },
        problem: "embed (Embedding) has 128 rows but reviews.csv's ids run to 4,873 (a vocabulary of 4,874): an id past its rows has no vector to learn.",
        done: 'embed now has 4,874 rows, one per id of the vocabulary (it had 128); its weights start afresh',
      },
    ]);
    expect(fit.mismatches).toEqual([]);
    // Large enough, or not ids (a bag of words): nothing to fit.
    expect(fitToData(textClassifier(4874, 80), { name: 'reviews.csv', kind: 'table', featureShape: [80], classes: 2, idCount: 4874 }).edits).toEqual([]);
    expect(fitToData(g, { name: 'reviews.csv', kind: 'table', featureShape: [80], classes: 2 }).edits).toEqual([]);
  });
});

describe('values that overflow a float after normalisation (#83)', () => {
  it('a nearly constant training column divides a far value to Infinity: refused with DATA_NAN, naming the sample and the statistics', () => {
    const count = 40;
    const features = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      features[2 * i] = i;
      features[2 * i + 1] = 1 + (i % 2) * 1e-7; // std 5e-8 on every split
    }
    features[2 * (count - 1) + 1] = 3e38;
    const train: Dataset = { name: 'far.csv', task: 'regression', count, features, featureShape: [2], targets: Float32Array.from({ length: count }, (_, i) => i), targetShape: [1], numClasses: 0, classNames: [] };
    const config = { name: 'csv', options: { normalize: 'per-feature', testSplit: 0.5 }, validationSplit: 0 };
    expect(() => prepareData({ train }, config, 1)).toThrow(expect.objectContaining({ code: 'DATA_NAN', message: expect.stringMatching(/feature 1 is -?Infinity after normalisation \(mean .*, std .* on the training split\)/) }));
  });
});
