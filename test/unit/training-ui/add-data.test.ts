/**
 * #30 item 2, the add-data flow's rules in the renderer: which files an upload takes (and which it
 * lists as left out, never dropped silently), how it splits them into calls the host accepts, and
 * what "Use this data" makes the design's dataset.
 */
import { describe, expect, it } from 'vitest';
import { UPLOAD_LIMITS } from '../../../src-contracts/files';
import type { DataScanResult } from '../../../src-engine/protocol';
import { dataShapeOf, datasetToUse, uploadBatches, uploadable, type UploadFile } from '../../../src-renderer/src/training/add-data';
import { headToFit, type GraphIR } from '../../../src-engine/facade';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsRows } from '../../../src-renderer/src/training/compare';
import { textOptions } from '../../../src-renderer/src/state/add-data-store';

const file = (path: string, size = 10): UploadFile => ({ path, size, read: () => Promise.resolve(new Uint8Array(size)) });

describe('add data (renderer)', () => {
  it('an upload takes images into a folder and tables/arrays as files; the rest is listed with why (hidden files aside)', () => {
    const { taken, left } = uploadable([file('cats/a.png'), file('cats/B.JPG'), file('notes.txt'), file('dogs/.DS_Store'), file('dogs/big.png', UPLOAD_LIMITS.fileBytes + 1)], 'folder');
    expect(taken.map((f) => f.path)).toEqual(['cats/a.png', 'cats/B.JPG']);
    expect(left).toEqual([
      { path: 'notes.txt', reason: 'not uploaded: not a PNG, JPEG or WebP image' },
      { path: 'dogs/big.png', reason: expect.stringMatching(/^not uploaded: 48 MiB, over the upload limit/) as string },
    ]);
    // A folder of labelled texts (#48), no images: its .txt files are the data.
    const texts = uploadable([file('cats/1.txt'), file('dogs/2.TXT'), file('notes.pdf')], 'folder');
    expect([texts.taken.map((f) => f.path), texts.left]).toEqual([['cats/1.txt', 'dogs/2.TXT'], [{ path: 'notes.pdf', reason: 'not uploaded: not a .txt text, or a PNG, JPEG or WebP image' }]]);
    expect(uploadable([file('t.csv'), file('a.npz'), file('x.png')], 'file').taken.map((f) => f.path)).toEqual(['t.csv', 'a.npz']);
  });

  it('uploads go in calls of at most 64 files and a quarter of a call\'s bytes, in order, every file once', () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ size: 1000, i }));
    expect(uploadBatches(many).map((b) => b.length)).toEqual([64, 64, 22]);
    const big = [{ size: UPLOAD_LIMITS.callBytes / 4 - 10 }, { size: 20 }, { size: UPLOAD_LIMITS.callBytes / 2 }, { size: 5 }];
    expect(uploadBatches(big).map((b) => b.map((f) => f.size))).toEqual([[big[0].size], [20], [big[2].size], [5]]);
    expect(uploadBatches(many).flat()).toEqual(many);
  });

  it('"Use this data" saves the data by reference (path and fingerprint) and keeps the split and subset, not the old source\'s options', () => {
    const scan = { dataset: { name: 'image-folder', options: { path: 'data/pets', fingerprint: 'abc' } } } as unknown as DataScanResult;
    expect(datasetToUse(scan, { name: 'mnist', options: { normalize: 'raw', dir: '/x' }, validationSplit: 0.2, limit: 64, augment: { shift: 2 } })).toEqual({
      name: 'image-folder',
      options: { path: 'data/pets', fingerprint: 'abc' },
      validationSplit: 0.2,
      limit: 64,
    });
  });

  it('a folder of images keeps the design\'s augmentation (flips, jitter); a table drops it', () => {
    const augment = { flip: true, jitter: 0.2 };
    const folder = { kind: 'image-folder', dataset: { name: 'image-folder', options: { path: 'data/pets', fingerprint: 'abc' } } } as unknown as DataScanResult;
    const table = { kind: 'table', dataset: { name: 'csv', options: { path: 'data/t.csv', fingerprint: 'def' } } } as unknown as DataScanResult;
    expect(datasetToUse(folder, { name: 'shapes', augment }).augment).toEqual(augment);
    expect(datasetToUse(table, { name: 'shapes', augment }).augment).toBeUndefined();
  });

  it('the head to resize for a folder\'s classes: the prediction Linear when its size differs; nothing else', () => {
    const photos = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/your-photos.json'), 'utf8')) as GraphIR;
    expect(headToFit(photos, 5)).toEqual({ nodeId: 'fc', from: 3 });
    expect(headToFit(photos, 3)).toBeNull();
    expect(headToFit(photos, 1)).toBeNull();
    // A head that is not a Linear (a Softmax after it) is left for the user.
    const softmax: GraphIR = { ...photos, nodes: [...photos.nodes, { id: 'probs', op: 'Softmax', attrs: {}, inputs: ['fc'] }], outputs: { ...photos.outputs, logits: 'probs' } };
    expect(headToFit(softmax, 5)).toBeNull();
  });

  it('two runs on the same folder with different contents differ in Compare\'s settings by the fingerprint (#30 item 5)', () => {
    const run = (fingerprint: string) => ({ settings: { training: { dataset: { name: 'image-folder', options: { path: 'data/pets', fingerprint } }, epochs: 1 }, backend: 'cpu', appVersion: '0.1.0' } });
    const rows = settingsRows([run('aaa'), run('bbb')]);
    expect(rows.find((r) => r.key === 'dataset.options.fingerprint')).toMatchObject({ values: ['aaa', 'bbb'], differs: true });
    expect(rows.find((r) => r.key === 'dataset.options.path')).toMatchObject({ differs: false });
    expect(rows.find((r) => r.key === 'dataset.name')).toMatchObject({ values: ['image-folder', 'image-folder'] });
  });
});

describe('a .txt for a design made for text', () => {
  it('scans as a text with the design\'s window (fortunes: its 97-character vocabulary), and as a table for any other design', () => {
    expect(textOptions({ name: 'fortunes', options: { window: 64 } })).toEqual({ window: 64, vocabulary: 'ascii' });
    expect(textOptions({ name: 'text', options: { window: 32, path: 'a.txt' } })).toEqual({ window: 32 });
    expect(textOptions({ name: 'text' })).toEqual({});
    expect(textOptions({ name: 'csv', options: { path: 'a.txt' } })).toBeUndefined();
    expect(textOptions(undefined)).toBeUndefined();
  });
});

describe('labelled texts (#48)', () => {
  it('a table or folder of texts used for a design made for labelled texts keeps its tokenising; its classes fit the head', () => {
    const scan = { kind: 'text-csv', path: 'data/pets.csv', name: 'pets.csv', fingerprint: 'f', files: 1, bytes: 9, classes: [{ name: 'cats', count: 4, splits: { train: 3, val: 0, test: 1 }, thumbnails: [] }, { name: 'dogs', count: 4, splits: { train: 3, val: 0, test: 1 }, thumbnails: [] }, { name: 'fish', count: 4, splits: { train: 3, val: 0, test: 1 }, thumbnails: [] }], sizes: [], skipped: [], skippedTotal: 0, featureShape: [64], notes: [], dataset: { name: 'text-csv', options: { path: 'data/pets.csv', fingerprint: 'f', textColumn: 'review' } } } satisfies DataScanResult;
    const previous = { name: 'fortunes-topics', options: { tokens: 'words', maxLength: 64, dir: '/x' }, validationSplit: 0.1 };
    expect(datasetToUse(scan, previous)).toEqual({ name: 'text-csv', options: { tokens: 'words', maxLength: 64, path: 'data/pets.csv', fingerprint: 'f', textColumn: 'review' }, validationSplit: 0.1 });
    expect(datasetToUse(scan, { name: 'mnist' }).options).toEqual(scan.dataset.options);
    expect(dataShapeOf(scan)).toEqual({ name: 'pets.csv', kind: 'table', featureShape: [64], classes: 3 });
  });
});
