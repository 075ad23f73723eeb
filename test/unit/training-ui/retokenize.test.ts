/**
 * Issue #83 deliverable 8, the tokenizer in the Train dock: changing how a design's labelled texts
 * are read left contradictory blockers. Tokens = words, maxLength = 80 on a table of texts used at
 * maxLength 256: Start said "Set the Input's shape to [80]"; after setting it, Problems said the
 * Input "takes [80] … but reviews.csv gives [256]" (E_DATA_MISMATCH, the data's summary from the
 * scan) until Add data was run again. Now the options edit fits the Input (and, when the
 * vocabulary may change, the Embedding, after the engine reads the texts again) in the same undo
 * step, and the data's summary follows: the design and the data agree after the change and after
 * its undo.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/facade';
import type { DataScanResult, RpcClient } from '../../../src-engine/protocol';
import { dataProblems } from '../../../src-renderer/src/state/setting-problems';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

/** The character LSTM (Input [256] ids, Embedding of 128) made for labelled texts. */
const lstm = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/fortunes-topics.json'), 'utf8')) as GraphIR;
const classes = ['a', 'b', 'c', 'd'].map((name) => ({ name, count: 10, splits: { train: 8, val: 0, test: 2 }, thumbnails: [] }));
/** What the scan of a table of 40 reviews answers, read as characters (90 ids) or words (`vocabulary` ids), `maxLength` ids a sample. */
const scan = (tokens: 'chars' | 'words', vocabulary: number, maxLength: number) =>
  ({
    kind: 'text-csv',
    path: 'data/reviews.csv',
    name: 'reviews.csv',
    fingerprint: 'f1',
    files: 1,
    bytes: 4000,
    classes,
    sizes: [],
    skipped: [],
    skippedTotal: 0,
    featureShape: [maxLength],
    labelled: { texts: 40, vocabulary, tokens, features: 'ids', samples: [] },
    notes: [],
    dataset: { name: 'text-csv', options: { path: 'data/reviews.csv', fingerprint: 'f1' } },
  }) satisfies DataScanResult;

const graph = () => w.editor.getState().history.present.graph;
const attr = (id: string, name: string) => graph().nodes.find((n) => n.id === id)?.attrs[name];
const problems = () => {
  w.editor.getState().analyzeNow();
  return dataProblems(graph(), w.editor.getState().analysis.shapes, w.addData.getState().used).map((p) => p.message);
};

/** Opens the LSTM and uses the table of reviews (read as characters, 256 ids a sample, a vocabulary of 90). */
function useReviews(): void {
  w.editor.getState().load({ graph: lstm, layout: {} }, { name: 'lstm' });
  w.addData.setState({ result: scan('chars', 90, 256) });
  w.addData.getState().use();
  expect([attr('chars', 'shape'), graph().training?.dataset.name, problems()]).toEqual([[256], 'text-csv', []]);
}

describe('changing the tokenizer fits the design to what a sample becomes, in one undo step', () => {
  it('maxLength 80: the Input takes [80] at once and the data agrees; undo puts back [256] and the data still agrees', async () => {
    useReviews();
    const steps = w.editor.getState().history.past.length;
    await w.addData.getState().retokenize({ maxLength: 80 });
    expect(graph().training?.dataset.options?.maxLength).toBe(80);
    expect(attr('chars', 'shape')).toEqual([80]);
    expect(problems()).toEqual([]);
    expect(w.editor.getState().history.past.length).toBe(steps + 1);
    w.editor.getState().undo();
    expect([graph().training?.dataset.options?.maxLength, attr('chars', 'shape'), problems()]).toEqual([256, [256], []]);
    w.editor.getState().redo();
    expect([attr('chars', 'shape'), problems()]).toEqual([[80], []]);
  });

  it('tokens = words and maxLength 80: the texts are read again (the words\' vocabulary), the Input and Embedding fitted in the same step', async () => {
    useReviews();
    const asked: unknown[] = [];
    const request = (method: string, params: { options?: Record<string, unknown> }) => {
      asked.push([method, params]);
      const o = params.options ?? {};
      return Promise.resolve(scan(o.tokens === 'words' ? 'words' : 'chars', o.tokens === 'words' ? 300 : 90, typeof o.maxLength === 'number' ? o.maxLength : 256));
    };
    w.engine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient, state: 'ready' });
    const steps = w.editor.getState().history.past.length;
    await w.addData.getState().retokenize({ tokens: 'words' });
    await w.addData.getState().retokenize({ maxLength: 80 });
    expect(asked).toEqual([['data.scan', expect.objectContaining({ path: 'data/reviews.csv', kind: 'text-csv', options: expect.objectContaining({ tokens: 'words' }) })]]);
    expect([attr('chars', 'shape'), attr('embed', 'numEmbeddings'), problems()]).toEqual([[80], 300, []]);
    expect(w.editor.getState().history.past.length).toBe(steps + 2);
    // Each change is one step: undo the maxLength, then the words.
    w.editor.getState().undo();
    expect([graph().training?.dataset.options?.tokens, attr('chars', 'shape'), attr('embed', 'numEmbeddings'), problems()]).toEqual(['words', [256], 300, []]);
    w.editor.getState().undo();
    expect([graph().training?.dataset.options?.tokens, attr('chars', 'shape'), attr('embed', 'numEmbeddings'), problems()]).toEqual(['chars', [256], 128, []]);
  });

  it('a built-in set (fortunes-topics): maxLength 80 sets the Input to [80] in the same step; nothing else changes', async () => {
    w.editor.getState().load({ graph: lstm, layout: {} }, { name: 'lstm' });
    await w.addData.getState().retokenize({ maxLength: 80 });
    expect([attr('chars', 'shape'), attr('embed', 'numEmbeddings'), attr('head', 'outFeatures'), graph().training?.loss]).toEqual([[80], 128, 4, 'loss']);
    w.editor.getState().undo();
    expect([attr('chars', 'shape'), graph().training?.dataset.options?.maxLength]).toEqual([[256], 256]);
  });
});
