/**
 * #83 in the app: word ids of a vocabulary of 4,874 into the template's 128-row Embedding. Add data
 * said "Your design's Input [80] takes it as it is" and Problems "No problems". Now the scan's
 * vocabulary (its features are token ids) reaches the data's shape, and Problems lists the
 * Embedding (E_DATA_MISMATCH, Start waits) until Use this data grows it.
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/facade';
import type { DataScanResult } from '../../../src-engine/protocol';
import { dataProblems, startBlock } from '../../../src-renderer/src/state/setting-problems';
import { dataShapeOf } from '../../../src-renderer/src/training/add-data';

const scan = (features: 'ids' | 'counts') =>
  ({
    kind: 'text-csv',
    path: 'data/reviews.csv',
    name: 'reviews.csv',
    fingerprint: 'f',
    files: 1,
    bytes: 9,
    classes: [{ name: 'neg', count: 4, splits: { train: 3, val: 0, test: 1 }, thumbnails: [] }, { name: 'pos', count: 4, splits: { train: 3, val: 0, test: 1 }, thumbnails: [] }],
    sizes: [],
    skipped: [],
    skippedTotal: 0,
    featureShape: [80],
    labelled: { texts: 8, vocabulary: 4874, tokens: 'words', features, samples: [] },
    notes: [],
    dataset: { name: 'text-csv', options: { path: 'data/reviews.csv', fingerprint: 'f' } },
  }) satisfies DataScanResult;

const design = (rows: number): GraphIR => ({
  format: 'netwright.graph',
  version: 2,
  nodes: [
    { id: 'tokens', op: 'Input', attrs: { shape: [80], source: 'features' }, inputs: [] },
    { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: rows, embeddingDim: 16 }, inputs: ['tokens'] },
    { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['embed'] },
    { id: 'head', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['pool'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'label'] },
  ],
  outputs: { logits: 'head', loss: 'loss' },
  training: { dataset: { name: 'text-csv', options: { path: 'data/reviews.csv', fingerprint: 'f' } }, loss: 'loss', optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 32, epochs: 1, seed: 1, metrics: ['accuracy'] },
});

describe('token ids past an Embedding in Problems (#83)', () => {
  it('a scan of texts as ids carries the vocabulary; Problems lists the 128-row Embedding and Start waits; one as large does not', () => {
    const shape = dataShapeOf(scan('ids'))!;
    expect(shape.idCount).toBe(4874);
    const used = { path: 'data/reviews.csv', fingerprint: 'f', shape };
    const problems = dataProblems(design(128), {}, used);
    expect(problems).toEqual([{ code: 'E_DATA_MISMATCH', nodeId: 'embed', message: "embed (Embedding) has 128 rows but reviews.csv's ids run to 4,873 (a vocabulary of 4,874): an id past its rows has no vector to learn." }]);
    expect(startBlock(false, problems)).toBe(problems[0].message);
    expect(dataProblems(design(4874), {}, used)).toEqual([]);
  });

  it('a bag of words (counts per token) has no ids to check', () => {
    expect(dataShapeOf(scan('counts'))!.idCount).toBeUndefined();
  });
});
