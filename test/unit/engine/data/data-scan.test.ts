/**
 * #30 item 2: the add-data scan (node/data-scan.ts). It reports progress as it reads, lists every
 * unreadable file with the reason, answers the loader's own fingerprint (so "Use this data" trains
 * without DATA_CHANGED, and a changed folder is noticed), summarises a table's columns whatever
 * the policy, and stops when cancelled.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataScanResult } from '../../../../src-engine/protocol';
import { scanData, type ScanProgress } from '../../../../src-engine/node/data-scan';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { UNRESTRICTED } from '../../../../src-engine/node/data-access';
import { encodePng, npy } from './user-data-fixtures';
import { titanicLikeCsv } from '../../../e2e/titanic.mjs';

let dir: string;
const solid = (rgb: readonly number[], w: number, h: number) => encodePng(Uint8Array.from({ length: w * h * 3 }, (_, k) => rgb[k % 3]), w, h, 3);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'netwright-scan-'));
  const photos = path.join(dir, 'photos');
  for (const [cls, rgb] of [['cats', [200, 120, 40]], ['dogs', [40, 80, 200]]] as const) {
    mkdirSync(path.join(photos, cls), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(path.join(photos, cls, `${String(i).padStart(2, '0')}.png`), solid(rgb, i % 2 ? 40 : 20, 10));
  }
  writeFileSync(path.join(photos, 'dogs', 'zero.png'), new Uint8Array(0));
  writeFileSync(path.join(photos, 'dogs', 'cut.png'), solid([1, 2, 3], 8, 8).subarray(0, 60));
  writeFileSync(path.join(photos, 'cats', 'notes.txt'), 'not an image');
  writeFileSync(path.join(dir, 'people.csv'), 'age,city,income,bought\n31,Oslo,50,yes\n,Rome,61,no\n45,?,,yes\n22,Oslo,40,no\n50,Rome,70,yes\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data.scan (node/data-scan.ts)', () => {
  it('an image folder: progress while reading, classes with thumbnails, sizes, every skip with why; the loader\'s fingerprint', async () => {
    const events: ScanProgress[] = [];
    const r = await scanData({ scanId: 's1', path: path.join(dir, 'photos') }, { access: UNRESTRICTED, progress: (p) => events.push(p) });
    expect(DataScanResult.safeParse(r).success).toBe(true);
    expect(r.kind).toBe('image-folder');
    expect(r.classes.map((c) => [c.name, c.count, c.thumbnails.length])).toEqual([
      ['cats', 30, 8],
      ['dogs', 30, 8],
    ]);
    // 62 image files found (two unreadable), 60 read; progress rises to all of them.
    expect(events[0]).toMatchObject({ scanId: 's1', phase: 'listing', files: 62, classes: 2 });
    const reading = events.filter((e) => e.phase === 'reading').map((e) => e.done);
    expect(reading.length).toBeGreaterThanOrEqual(3);
    expect(reading).toEqual([...reading].sort((a, b) => a - b));
    expect(reading.at(-1)).toBe(62);
    const skipped = Object.fromEntries(r.skipped.map((s) => [s.path, s.reason]));
    expect(Object.keys(skipped).sort()).toEqual(['cats/notes.txt', 'dogs/cut.png', 'dogs/zero.png']);
    expect(skipped['dogs/zero.png']).toMatch(/empty|zero/i);
    expect(r.sizes.map((s) => [s.width, s.height, s.colour, s.count])).toEqual([
      [20, 10, true, 30],
      [40, 10, true, 30],
    ]);
    // A thumbnail keeps the aspect (40×10 → 32×8) and the colour.
    const t = r.classes[1].thumbnails.find((x) => x.width === 32)!;
    expect(t.height).toBe(8);
    const plane = 32 * 8;
    expect([t.rgb[0], t.rgb[plane], t.rgb[2 * plane]]).toEqual([40, 80, 200]);
    // The same fingerprint the loader checks: the dataset answered trains as it is.
    expect(r.dataset).toEqual({ name: 'image-folder', options: { path: path.join(dir, 'photos'), fingerprint: r.fingerprint } });
    expect(loadDataset(r.dataset, 0).report!.fingerprint).toBe(r.fingerprint);
    const check = await scanData({ scanId: 's2', path: path.join(dir, 'photos'), check: true }, { access: UNRESTRICTED });
    expect(check.fingerprint).toBe(r.fingerprint);
  });

  it('a changed folder changes the fingerprint, and the saved one is refused with DATA_CHANGED', async () => {
    const photos = path.join(dir, 'photos');
    const before = await scanData({ scanId: 'a', path: photos, check: true }, { access: UNRESTRICTED });
    writeFileSync(path.join(photos, 'cats', '07.png'), solid([0, 255, 0], 20, 10));
    const after = await scanData({ scanId: 'b', path: photos, check: true }, { access: UNRESTRICTED });
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(() => loadDataset({ name: 'image-folder', options: { path: photos, fingerprint: before.fingerprint } }, 0)).toThrow(expect.objectContaining({ code: 'DATA_CHANGED' }));
  });

  it('a segmentation folder (images/ + masks/): its masks\' classes, not "images" and "masks"; the loader\'s fingerprint, so its dataset previews without DATA_CHANGED (#57)', async () => {
    const seg = path.join(dir, 'segmentation');
    mkdirSync(path.join(seg, 'images'), { recursive: true });
    mkdirSync(path.join(seg, 'masks'));
    // Three 4×2 images; masks: a holds 0 and 1, b 0 and 2, c only 0.
    const masks = { a: [0, 0, 1, 1, 0, 0, 1, 1], b: [2, 2, 0, 0, 2, 2, 0, 0], c: new Array(8).fill(0) };
    for (const [n, ids] of Object.entries(masks)) {
      writeFileSync(path.join(seg, 'images', `${n}.png`), solid([n.charCodeAt(0), 50, 60], 4, 2));
      writeFileSync(path.join(seg, 'masks', `${n}.png`), encodePng(Uint8Array.from(ids), 4, 2, 1));
    }
    writeFileSync(path.join(seg, 'classes.txt'), 'background\nroad\ncar\n');
    const r = await scanData({ scanId: 'seg', path: seg }, { access: UNRESTRICTED });
    expect(DataScanResult.safeParse(r).success).toBe(true);
    expect(r.classes.map((c) => [c.name, c.count, c.thumbnails.length])).toEqual([
      ['background', 3, 3],
      ['road', 1, 1],
      ['car', 1, 1],
    ]);
    expect(r.featureShape).toEqual([3, 2, 4]);
    expect(r.files).toBe(6);
    // Image b's thumbnail under car: its colour, 'b' = 98.
    expect(r.classes[2].thumbnails[0].rgb.slice(0, 1)).toEqual([98]);
    expect(r.dataset).toEqual({ name: 'image-folder', options: { path: seg, fingerprint: r.fingerprint } });
    expect(loadDataset(r.dataset, 0).train.classNames).toEqual(['background', 'road', 'car']);
    const check = await scanData({ scanId: 'seg2', path: seg, check: true }, { access: UNRESTRICTED });
    expect(check.fingerprint).toBe(r.fingerprint);
    // A mask that is not a PNG: the loader's code.
    writeFileSync(path.join(seg, 'masks', 'c.png'), 'not a png');
    await expect(scanData({ scanId: 'seg3', path: seg }, { access: UNRESTRICTED })).rejects.toMatchObject({ code: 'DATA_IMAGES_EMPTY' });
  });

  it('stops when cancelled, with E_CANCELLED', async () => {
    const ac = new AbortController();
    const run = scanData({ scanId: 'c', path: path.join(dir, 'photos') }, { access: UNRESTRICTED, signal: ac.signal, progress: (p) => p.done >= 25 && ac.abort() });
    await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('a table: every column\'s kind, missing cells and role; the problem the default policy has, none with a policy chosen', async () => {
    const csv = path.join(dir, 'people.csv');
    const r = await scanData({ scanId: 't', path: csv }, { access: UNRESTRICTED });
    expect(r.kind).toBe('csv');
    expect(r.table!.rows).toBe(5);
    expect(r.table!.columns).toEqual([
      { name: 'age', kind: 'numeric', missing: 1, distinct: 4, role: 'feature' },
      { name: 'city', kind: 'categorical', missing: 1, distinct: 2, role: 'feature' },
      { name: 'income', kind: 'numeric', missing: 1, distinct: 4, role: 'feature' },
      { name: 'bought', kind: 'categorical', missing: 0, distinct: 2, role: 'target' },
    ]);
    expect(r.problem?.code).toBe('DATA_NAN');
    // No column named like a target: the last one, and the preview asks.
    expect(r.table!.targetBy).toBe('last');
    const ok = await scanData({ scanId: 't2', path: csv, options: { missing: 'median', roles: { income: 'ignore' } } }, { access: UNRESTRICTED });
    expect(ok.problem).toBeUndefined();
    expect(ok.table!.columns.map((c) => c.role)).toEqual(['feature', 'feature', 'ignore', 'target']);
    expect(ok.table).toMatchObject({ task: 'classification', encodedWidth: 3 });
    expect(ok.classes.map((c) => [c.name, c.count])).toEqual([
      ['no', 2],
      ['yes', 3],
    ]);
    expect(ok.dataset).toEqual({ name: 'csv', options: { missing: 'median', roles: { income: 'ignore' }, path: csv, fingerprint: ok.fingerprint } });
    expect(loadDataset(ok.dataset, 0).report!.fingerprint).toBe(ok.fingerprint);
    // Classes have no values' shape; a regression's target gives one value per sample.
    expect(ok.targetShape).toBeUndefined();
    const values = await scanData({ scanId: 't3', path: csv, options: { missing: 'median', targetColumn: 'income', task: 'regression' } }, { access: UNRESTRICTED });
    expect(values.problem).toBeUndefined();
    expect(values.table).toMatchObject({ task: 'regression' });
    expect(values.targetShape).toEqual([1]);
    // The row without an income is dropped (a target is never filled): 40 to 70.
    expect(values.table!.targetRange).toEqual([40, 70]);
    expect(ok.table!.targetRange).toBeUndefined();
  });

  it('a Titanic-like table: Survived is the target by its name, kept in the options; the missing-value problem names the app\'s control, not options.missing; filled, it is 9 values and 2 classes', async () => {
    const csv = path.join(dir, 'titanic.csv');
    writeFileSync(csv, titanicLikeCsv(100));
    const r = await scanData({ scanId: 'ti', path: csv }, { access: UNRESTRICTED });
    expect(DataScanResult.safeParse(r).success).toBe(true);
    expect(r.table!.columns.filter((c) => c.role === 'target').map((c) => c.name)).toEqual(['Survived']);
    expect(r.table!.targetBy).toBe('name');
    expect(r.dataset.options).toMatchObject({ targetColumn: 'Survived' });
    expect(r.problem?.code).toBe('DATA_NAN');
    expect(r.problem?.message).toMatch(/Choose one in “Missing values” above\.$/);
    expect(r.problem?.message).not.toMatch(/options\.missing|--missing/);
    const filled = await scanData({ scanId: 'ti2', path: csv, options: { missing: 'median' } }, { access: UNRESTRICTED });
    expect(filled.problem).toBeUndefined();
    expect(filled.table).toMatchObject({ task: 'classification', encodedWidth: 9, targetBy: 'name' });
    expect(filled.featureShape).toEqual([9]);
    expect(filled.classes.map((c) => c.name)).toEqual(['0', '1']);
    // What the scan answered trains as it was scanned: the same target and width.
    expect(loadDataset(filled.dataset, 0).train.featureShape).toEqual([9]);
    // A column given another role is not taken for its name; the user's target is theirs.
    const ignored = await scanData({ scanId: 'ti3', path: csv, options: { missing: 'median', roles: { Survived: 'ignore' } } }, { access: UNRESTRICTED });
    expect(ignored.table!.columns.find((c) => c.role === 'target')?.name).toBe('Embarked');
    const mine = await scanData({ scanId: 'ti4', path: csv, options: { missing: 'median', roles: { Pclass: 'target' } } }, { access: UNRESTRICTED });
    expect(mine.table).toMatchObject({ targetBy: 'user' });
    expect(mine.table!.columns.filter((c) => c.role === 'target').map((c) => c.name)).toEqual(['Pclass']);
    // A name column (every value its own category) is refused naming the Role control, not options.roles.
    const named = path.join(dir, 'named.csv');
    writeFileSync(named, ['Name,Age,Survived', ...Array.from({ length: 120 }, (_, i) => `Passenger ${i},${20 + (i % 40)},${i % 2}`)].join('\n'));
    const many = await scanData({ scanId: 'ti5', path: named }, { access: UNRESTRICTED });
    expect(many.problem?.code).toBe('DATA_CSV_TOO_MANY_CATEGORIES');
    expect(many.problem?.message).toMatch(/ignore it or clean it\. Set its Role to ignore above\.$/);
    expect(many.problem?.message).not.toMatch(/options\./);
  });

  it('a text for a language model (kind text, the design\'s window and vocabulary): its characters, vocabulary, windows and start; the loader\'s fingerprint; and an .npy pair, fingerprinted over both files', async () => {
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'The quick brown fox jumps over the lazy dog. '.repeat(40));
    const r = await scanData({ scanId: 't1', path: text, kind: 'text', options: { window: 16 } }, { access: UNRESTRICTED });
    expect(DataScanResult.safeParse(r).success).toBe(true);
    expect(r).toMatchObject({ kind: 'text', featureShape: [16], text: { characters: 45 * 40, distinct: 29, vocabulary: 29 } });
    expect(r.text!.start.startsWith('The quick brown fox')).toBe(true);
    const loaded = loadDataset(r.dataset, 0);
    expect(r.text!.windows).toBe(loaded.train.count + (loaded.val?.count ?? 0) + (loaded.test?.count ?? 0));
    expect(r.dataset).toMatchObject({ name: 'text', options: { window: 16, path: text, fingerprint: r.fingerprint } });
    // "Use this data" trains without DATA_CHANGED; the fortunes vocabulary fits a design made for it.
    expect(loadDataset(r.dataset, 0).train.featureShape).toEqual([16]);
    const ascii = await scanData({ scanId: 't2', path: text, kind: 'text', options: { vocabulary: 'ascii' } }, { access: UNRESTRICTED });
    // The fixed vocabulary is the design's; the text still holds its own 29 characters (#44 item 7).
    expect(ascii.text).toMatchObject({ distinct: 29, vocabulary: 97 });
    expect(loadDataset(ascii.dataset, 0).report!.notes[0]).toMatch(/^29 distinct characters \(a vocabulary of 97\);/);
    // Not UTF-8: the loader's coded problem, shown in the preview.
    writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from([0x68, 0xe9, 0x0a]));
    expect((await scanData({ scanId: 't3', path: path.join(dir, 'latin1.txt'), kind: 'text' }, { access: UNRESTRICTED })).problem?.code).toBe('DATA_BAD_OPTION');
    // An .npy of features with its targets beside it: scanned as arrays, fingerprinted as the loader does (both files).
    writeFileSync(path.join(dir, 'X_train.npy'), npy('<f4', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    writeFileSync(path.join(dir, 'y_train.npy'), npy('<i8', [4], [0, 1, 0, 1]));
    const arrays = await scanData({ scanId: 't4', path: path.join(dir, 'X_train.npy') }, { access: UNRESTRICTED });
    expect(arrays).toMatchObject({ kind: 'npz', featureShape: [2] });
    expect(arrays.problem).toBeUndefined();
    expect(loadDataset(arrays.dataset, 0).train.count).toBe(4);
  });

  it('refuses what the access rules refuse, coded', async () => {
    await expect(scanData({ scanId: 'x', path: '/etc/passwd' }, { access: { kind: 'roots', roots: [dir] } })).rejects.toMatchObject({ code: 'DATA_NOT_ALLOWED' });
    await expect(scanData({ scanId: 'y', path: path.join(dir, 'nope') }, { access: UNRESTRICTED })).rejects.toMatchObject({ code: 'DATA_NOT_FOUND' });
  });
});
