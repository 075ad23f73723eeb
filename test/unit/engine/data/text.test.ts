/**
 * Text as a character-level language-modelling set (#31 item 3): windows of T characters as token
 * ids with the next characters as targets, contiguous held-out blocks, the vocabulary as the class
 * names; Debian's fortunes over the fixed ASCII vocabulary, or a clear message where they are
 * absent; and a language model built for it trains through the Trainer, its accuracy counted per
 * position.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { ASCII_VOCABULARY, BatchFeeder, DataError, encodeText, fortunesText, prepareData, textDataset } from '../../../../src-engine/core/data';
import { Trainer } from '../../../../src-engine/core/train';
import { modelFromCheckpoint } from '../../../../src-engine/core/export/model';
import { sampleText, TextSampleError } from '../../../../src-engine/core/export/sample-text';
import { DEBIAN_FORTUNES_DIR, loadDataset } from '../../../../src-engine/node/datasets';
import { userDataset } from '../../../../src-engine/node/train-data';
import { Rng } from '../../../../src-engine/base/rng';

const TEXT = 'the cat sat on the mat. '.repeat(40);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DataError ? e.code : String(e);
  }
  return undefined;
}

describe('textDataset', () => {
  it('cuts non-overlapping windows whose targets are the next characters, the held-out blocks at the end', () => {
    const { train, val, test } = textDataset(TEXT, { name: 'cats', window: 8 });
    const vocab = train.classNames;
    expect(vocab).toEqual([' ', '.', 'a', 'c', 'e', 'h', 'm', 'n', 'o', 's', 't']);
    expect(train.featureShape).toEqual([8]);
    expect(train.targetShape).toEqual([8]);
    expect(train.numClasses).toBe(11);
    const ids = encodeText(Array.from(TEXT), vocab);
    // 960 characters: training from 0 to 864 (107 windows), validation 864–912, test 912–960 (5 each).
    expect([train.count, val!.count, test!.count]).toEqual([107, 5, 5]);
    for (const [ds, from] of [[train, 0], [val!, 864], [test!, 912]] as const) {
      for (let s = 0; s < ds.count; s++) {
        for (let j = 0; j < 8; j++) {
          expect(ds.features[s * 8 + j]).toBe(ids[from + s * 8 + j]);
          expect(ds.targets[s * 8 + j]).toBe(ids[from + s * 8 + j + 1]);
        }
      }
    }
  });

  it('keeps its held-out splits through prepareData, and the feeder gives T targets a sample', () => {
    const loaded = textDataset(TEXT, { name: 'cats', window: 8 });
    const data = prepareData(loaded, { name: 'text', validationSplit: 0.1 }, 1);
    expect([data.train.count, data.val.count, data.test.count]).toEqual([107, 5, 5]);
    const feeder = new BatchFeeder(data.train, { transform: data.transform, target: data.target });
    expect(feeder.targetSize).toBe(8);
    const x = new Float32Array(16);
    const y = new Float32Array(16);
    feeder.fill([3, 0], 0, 2, x, y, new Rng(1));
    expect(Array.from(y.subarray(0, 8))).toEqual(Array.from(data.train.targets.subarray(24, 32)));
  });

  it('reads a fixed vocabulary, leaving out other characters; fortunes overstrikes read as the last character', () => {
    const { train } = textDataset('héllo\u0007 wörld\n'.repeat(30), { name: 'x', window: 4, vocabulary: ASCII_VOCABULARY });
    expect(train.numClasses).toBe(97);
    expect(train.classNames.slice(0, 3)).toEqual(['\t', '\n', ' ']);
    const decoded = Array.from(train.features.subarray(0, 8), (i) => train.classNames[i]).join('');
    expect(decoded).toBe('hllo wrl');
    expect(fortunesText(['_\bA%\n', 'x\n%\ny'])).toBe('A%\n\nx\n\ny');
  });

  it('refuses a text too short for its splits, a bad window, too many characters, with codes', () => {
    expect(code(() => textDataset('abcdef', { name: 'x', window: 4 }))).toBe('DATA_TOO_SMALL');
    expect(code(() => textDataset(TEXT, { name: 'x', window: 1 }))).toBe('DATA_BAD_OPTION');
    const many = Array.from({ length: 600 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    expect(code(() => textDataset(many.repeat(3), { name: 'x', window: 4 }))).toBe('DATA_BAD_OPTION');
  });
});

describe('the text and fortunes datasets', () => {
  it('text: a UTF-8 .txt file; fortunes: a folder that is missing says where to get them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-text-'));
    const file = join(dir, 'notes.txt');
    writeFileSync(file, TEXT);
    const loaded = loadDataset({ name: 'text', options: { path: file, window: 16 } });
    expect(loaded.train.name).toBe('notes (train)');
    expect(loaded.report?.kind).toBe('text');
    expect(loadDataset({ name: 'text', options: { path: file, window: 16, vocabulary: 'ascii' } }).train.numClasses).toBe(97);
    // `--data notes.txt` for a design made for fortunes keeps its 97 characters.
    expect(userDataset(file, undefined, { nodes: [] } as unknown as GraphIR, { name: 'fortunes', options: { window: 64 } })).toEqual({ name: 'text', options: { vocabulary: 'ascii', window: 64, path: file } });
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x68, 0xe9, 0x0a]));
    expect(code(() => loadDataset({ name: 'text', options: { path: join(dir, 'latin1.txt') } }))).toBe('DATA_BAD_OPTION');
    expect(() => loadDataset({ name: 'fortunes', options: { dir: join(dir, 'none') } })).toThrow(/fortunes: .*none.* does not exist/);
  });

  it.skipIf(!existsSync(DEBIAN_FORTUNES_DIR))('fortunes: Debian’s files over the 97 ASCII characters', () => {
    const loaded = loadDataset({ name: 'fortunes', options: { window: 64 } });
    expect(loaded.train.numClasses).toBe(97);
    expect(loaded.train.count).toBeGreaterThan(10_000);
    expect(loaded.report?.files).toBeGreaterThan(10);
  });
});

describe('a language model on a text set', () => {
  it('trains through the Trainer: the loss falls, accuracy is counted per position', async () => {
    const loaded = textDataset(TEXT, { name: 'cats', window: 8 });
    const v = loaded.train.numClasses;
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      name: 'char LM',
      nodes: [
        { id: 'chars', op: 'Input', attrs: { shape: [8], source: 'features' }, inputs: [] },
        { id: 'next', op: 'Input', attrs: { shape: [8], source: 'target' }, inputs: [] },
        { id: 'emb', op: 'Embedding', attrs: { numEmbeddings: v, embeddingDim: 8 }, inputs: ['chars'] },
        { id: 'pos', op: 'PositionalEmbedding', attrs: {}, inputs: ['emb'] },
        { id: 'att', op: 'MultiHeadAttention', attrs: { numHeads: 2, causal: true }, inputs: ['pos'] },
        { id: 'res', op: 'Add', attrs: {}, inputs: ['pos', 'att'] },
        { id: 'head', op: 'Linear', attrs: { outFeatures: v }, inputs: ['res'] },
        { id: 'loss', op: 'TokenCrossEntropyLoss', attrs: {}, inputs: ['head', 'next'] },
      ],
      outputs: { logits: 'head', loss: 'loss' },
      training: { dataset: { name: 'text' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.02 }, batchSize: 16, epochs: 4, seed: 1, metrics: ['accuracy'] },
    };
    const data = prepareData(loaded, g.training!.dataset, 1);
    const losses: number[] = [];
    const trainer = new Trainer(g, data, createReferenceBackend(), { compile: compileGraph, onStepLoss: (_, l) => losses.push(l) });
    const result = await trainer.run();
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    const acc = result.test?.accuracy ?? NaN;
    // The text repeats a 24-character phrase: most next characters follow from the window.
    expect(acc).toBeGreaterThan(0.5);
    expect(acc).toBeLessThanOrEqual(1);

    // Text sampled from a prompt: the vocabulary saved with the model decodes it.
    const model = modelFromCheckpoint(g, trainer.loop.capture(), { classNames: data.train.classNames });
    const greedy = sampleText(model, { prompt: 'the cat', length: 40, temperature: 0, seed: 1 });
    console.info(`greedy continuation of "the cat": ${JSON.stringify(greedy)}`);
    expect(greedy.startsWith('the cat')).toBe(true);
    expect(greedy).toHaveLength(47);
    const hot = (seed: number) => sampleText(model, { prompt: 'the', length: 40, temperature: 1.5, seed }, createReferenceBackend());
    expect(hot(3)).toBe(hot(3));
    expect(hot(3)).not.toBe(hot(4));
    expect([...hot(5)].every((c) => data.train.classNames.includes(c))).toBe(true);
    expect(() => sampleText({ ...model, classNames: [] }, { prompt: 'x', length: 5, temperature: 1, seed: 1 })).toThrow(TextSampleError);
  });
});
