/**
 * Issue #17, class 3: datasets stay inside what the user chose and cannot exhaust memory. Each
 * attack is a project's `training.dataset`, as a stranger's file would carry it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DATA_LIMITS, csvDataset, parseCsvRows, parseIdx, syntheticDataset } from '../../../../src-engine/core/data';
import { gunzipBounded, readDataFile, type DataAccess } from '../../../../src-engine/node/data-access';
import { loadDataset, readLabelledTexts } from '../../../../src-engine/node/datasets';
import { scanData } from '../../../../src-engine/node/data-scan';
import { trainingMemoryLimit } from '../../../../src-engine/node/compute-info';
import { cpuMs } from '../../cpu-time';
import { boundedFifo } from '../../fifo';
import { codeOf, encodePng, npy } from './user-data-fixtures';

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

const SECRET = 'root:x:0:0:s3cr3t';
function workspace() {
  const ws = mkdtempSync(path.join(tmpdir(), 'nw-data-ws-'));
  const outside = mkdtempSync(path.join(tmpdir(), 'nw-data-outside-'));
  writeFileSync(path.join(ws, 'ok.csv'), 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n');
  writeFileSync(path.join(outside, 'secret.csv'), `${SECRET},b\n1,2\n`);
  symlinkSync(path.join(outside, 'secret.csv'), path.join(ws, 'link.csv'));
  symlinkSync(outside, path.join(ws, 'linked-folder'));
  const access: DataAccess = { kind: 'roots', roots: [ws] };
  return { ws, outside, access };
}
const csv = (p: string) => ({ name: 'csv', options: { path: p } });

describe('dataset paths are confined (web mode: the workspace)', () => {
  it('negative control: without confinement (the CLI) an outside CSV loads', () => {
    const { outside } = workspace();
    expect(loadDataset(csv(path.join(outside, 'secret.csv'))).train.count).toBe(1);
  });

  it('loads a CSV inside the workspace, by relative or absolute path', () => {
    const { ws, access } = workspace();
    expect(loadDataset(csv('ok.csv'), 0, access).train.count).toBe(3);
    expect(loadDataset(csv(path.join(ws, 'ok.csv')), 0, access).train.count).toBe(3);
  });

  it.each([
    ['an absolute path outside', (o: string) => path.join(o, 'secret.csv')],
    ['/etc/passwd', () => '/etc/passwd'],
    ['a ../ escape', (o: string) => `../${path.basename(o)}/secret.csv`],
    ['a symlinked file', () => 'link.csv'],
    ['a file in a symlinked folder', () => 'linked-folder/secret.csv'],
  ])('refuses %s with DATA_NOT_ALLOWED and no file contents in the message', (_name, target) => {
    const { outside, access } = workspace();
    const p = target(outside);
    expect(codeOf(() => loadDataset(csv(p), 0, access))).toBe('DATA_NOT_ALLOWED');
    const msg = messageOf(() => loadDataset(csv(p), 0, access));
    expect(msg).not.toContain('root:');
    expect(msg).not.toContain('s3cr3t');
  });

  it('refuses IDX folders outside the workspace, and links out of an allowed folder', () => {
    const { ws, outside, access } = workspace();
    expect(codeOf(() => loadDataset({ name: 'mnist', options: { dir: outside } }, 0, access))).toBe('DATA_NOT_ALLOWED');
    expect(codeOf(() => loadDataset({ name: 'fashion-mnist', options: { dir: 'linked-folder' } }, 0, access))).toBe('DATA_NOT_ALLOWED');
    const inside = path.join(ws, 'idx');
    mkdirSync(inside);
    symlinkSync(path.join(outside, 'secret.csv'), path.join(inside, 'train-images-idx3-ubyte'));
    expect(codeOf(() => loadDataset({ name: 'mnist', options: { dir: 'idx' } }, 0, access))).toBe('DATA_NOT_ALLOWED');
  });

  it('Electron: only paths the user picked (or files in a picked folder) are read', () => {
    const { ws, outside } = workspace();
    const granted: DataAccess = { kind: 'granted', paths: new Set([path.join(ws, 'ok.csv')]) };
    expect(loadDataset(csv(path.join(ws, 'ok.csv')), 0, granted).train.count).toBe(3);
    expect(codeOf(() => loadDataset(csv(path.join(outside, 'secret.csv')), 0, granted))).toBe('DATA_NOT_ALLOWED');
    expect(codeOf(() => loadDataset(csv('/etc/passwd'), 0, granted))).toBe('DATA_NOT_ALLOWED');
    // A picked folder grants what is inside it, through links resolved first.
    const folder: DataAccess = { kind: 'granted', paths: new Set([outside]) };
    expect(loadDataset(csv(path.join(ws, 'link.csv')), 0, folder).train.count).toBe(1);
    expect(codeOf(() => loadDataset(csv(path.join(ws, 'ok.csv')), 0, folder))).toBe('DATA_NOT_ALLOWED');
    expect(codeOf(() => loadDataset(csv('x.csv'), 0, { kind: 'granted', paths: new Set() }))).toBe('DATA_NOT_FOUND');
  });

  it('CSV errors name lines and column numbers, never the file\'s contents', () => {
    const text = `${SECRET},b,label\n1,${SECRET},x\n,2,y\n`;
    for (const opts of [{}, { targetColumn: 'nope' }, { task: 'regression' as const }, { targetColumn: 0 }]) {
      const msg = messageOf(() => csvDataset(text, opts));
      expect(msg, JSON.stringify(opts)).not.toBe('');
      expect(msg).not.toContain('s3cr3t');
    }
  });
});

describe('memory bombs are refused before they are allocated', () => {
  const unrestricted: DataAccess = { kind: 'unrestricted' };

  it.each(['/dev/zero', '/dev/urandom'])('%s as a CSV or IDX folder file: DATA_NOT_A_FILE at once', (dev) => {
    if (!existsSync(dev)) return;
    const t0 = cpuMs();
    expect(codeOf(() => loadDataset(csv(dev), 0, unrestricted))).toBe('DATA_NOT_A_FILE');
    expect(codeOf(() => loadDataset(csv(dev), 0, { kind: 'roots', roots: ['/dev'] }))).toBe('DATA_NOT_A_FILE');
    const dir = mkdtempSync(path.join(tmpdir(), 'nw-dev-'));
    symlinkSync(dev, path.join(dir, 'train-images-idx3-ubyte'));
    expect(codeOf(() => loadDataset({ name: 'mnist', options: { dir } }, 0, unrestricted))).toMatch(/DATA_NOT_A_FILE|DATA_NOT_ALLOWED/);
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
  });

  it('a FIFO does not hang the engine', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nw-fifo-'));
    const fifo = path.join(dir, 'data.csv');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here
    }
    expect(codeOf(() => loadDataset(csv(fifo), 0, { kind: 'roots', roots: [dir] }))).toBe('DATA_NOT_A_FILE');
  });

  it('a CSV over the size limit is refused from its size, before it is read', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nw-big-'));
    const p = path.join(dir, 'big.csv');
    writeFileSync(p, 'a,b\n'.repeat(1000));
    expect(codeOf(() => readDataFile(p, 'csv', { kind: 'roots', roots: [dir] }, 100))).toBe('DATA_TOO_LARGE');
    expect(readDataFile(p, 'csv', { kind: 'roots', roots: [dir] }, 4000).length).toBe(4000);
  });

  it('a gzip bomb stops at the decompressed-size limit (negative control: unbounded, it inflates)', () => {
    const bomb = gzipSync(Buffer.alloc(32 * 2 ** 20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(gunzipBounded(bomb, 'x', 64 * 2 ** 20).length).toBe(32 * 2 ** 20);
    expect(codeOf(() => gunzipBounded(bomb, 'x', 2 ** 20))).toBe('DATA_TOO_LARGE');
    expect(codeOf(() => gunzipBounded(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'x', 2 ** 20))).toBe('DATA_IDX_TRUNCATED');
  });

  it('an IDX header declaring billions of values is refused before the allocation', () => {
    const header = Buffer.from([0, 0, 0x08, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0, 0, 0, 0x10, 0]);
    expect(codeOf(() => parseIdx(header))).toBe('DATA_TOO_LARGE');
    const small = Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 4, 1, 2, 3, 4]);
    expect(parseIdx(small).data.length).toBe(4);
    expect(codeOf(() => parseIdx(small, 'x', 3))).toBe('DATA_TOO_LARGE');
  });

  it('two-moons with 1e9 samples is refused at once; a million still loads', () => {
    const t0 = cpuMs();
    expect(codeOf(() => loadDataset({ name: 'two-moons', options: { samples: 1e9 } }))).toBe('DATA_TOO_LARGE');
    expect(codeOf(() => syntheticDataset('blobs', { samples: DATA_LIMITS.maxSamples + 1 }))).toBe('DATA_TOO_LARGE');
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(100);
    expect(syntheticDataset('xor', { samples: DATA_LIMITS.maxSamples }).count).toBe(DATA_LIMITS.maxSamples);
  });

  it('a CSV with more cells than the limit stops while parsing', () => {
    expect(codeOf(() => csvDataset('a,b\n' + '1,2\n'.repeat(100)))).toBeUndefined();
    expect(parseCsvRows('1,2\n'.repeat(100), ',', 200)).toHaveLength(100);
    expect(codeOf(() => parseCsvRows('1,2\n'.repeat(100), ',', 150))).toBe('DATA_TOO_LARGE');
  });

  it('the training memory limit is a share of RAM', () => {
    expect(trainingMemoryLimit({}, 16 * 2 ** 30)).toBe(8 * 2 ** 30);
    expect(trainingMemoryLimit({ NETWRIGHT_MEMORY_SHARE: '0.25' }, 16 * 2 ** 30)).toBe(4 * 2 ** 30);
    expect(trainingMemoryLimit({ NETWRIGHT_MEMORY_SHARE: 'lots' }, 16 * 2 ** 30)).toBe(8 * 2 ** 30);
  });
});

describe("a mask folder's classes.txt is read only inside the folder, only as a regular file (#57)", () => {
  /** D/seg/{images,masks}/a.png (ids 0 and 1) with `classes` as D/seg/classes.txt (a link when `link`). */
  function maskFolder(classes: { link?: string; text?: string }) {
    const data = mkdtempSync(path.join(tmpdir(), 'nw-masks-data-'));
    const root = path.join(data, 'seg');
    mkdirSync(path.join(root, 'images'), { recursive: true });
    mkdirSync(path.join(root, 'masks'));
    writeFileSync(path.join(root, 'images', 'a.png'), encodePng(Uint8Array.from({ length: 12 }, (_, i) => i * 20), 2, 2, 3));
    writeFileSync(path.join(root, 'masks', 'a.png'), encodePng(Uint8Array.from([0, 1, 1, 0]), 2, 2, 1));
    if (classes.link) symlinkSync(classes.link, path.join(root, 'classes.txt'));
    if (classes.text !== undefined) writeFileSync(path.join(root, 'classes.txt'), classes.text);
    const access: DataAccess = { kind: 'roots', roots: [data] };
    return { data, root, load: () => loadDataset({ name: 'image-folder', options: { path: root } }, 0, access) };
  }

  it('a link to a file outside the folder is refused (DATA_NOT_ALLOWED), its lines never the class names', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'nw-masks-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), `${SECRET}\napi-key-123\n`);
    const { root, data, load } = maskFolder({ link: path.join(outside, 'secret.txt') });
    expect(codeOf(load)).toBe('DATA_NOT_ALLOWED');
    expect(messageOf(load)).toMatch(/classes\.txt is a link leading outside the chosen folder/);
    expect(messageOf(load)).not.toContain('s3cr3t');
    // The app's scan of the folder (Add data…) reads it as the loader does.
    await expect(scanData({ scanId: 'seg', path: root }, { access: { kind: 'roots', roots: [data] } })).rejects.toMatchObject({ code: 'DATA_NOT_ALLOWED', message: expect.not.stringContaining('s3cr3t') });
    // Also where the data root holds the file the link leads to: the folder chosen is the bound, as its scan's.
    const beside = maskFolder({});
    writeFileSync(path.join(beside.data, 'names.txt'), 'bg\nfg\n');
    symlinkSync(path.join(beside.data, 'names.txt'), path.join(beside.root, 'classes.txt'));
    expect(codeOf(beside.load)).toBe('DATA_NOT_ALLOWED');
  });

  it('negative controls: a classes.txt, or a link to one inside the folder, names the classes', () => {
    expect(maskFolder({ text: 'background\nfish\n' }).load().train.classNames).toEqual(['background', 'fish']);
    const inside = maskFolder({});
    writeFileSync(path.join(inside.root, 'names.txt'), 'sky\nsea\n');
    symlinkSync(path.join(inside.root, 'names.txt'), path.join(inside.root, 'classes.txt'));
    expect(inside.load().train.classNames).toEqual(['sky', 'sea']);
    expect(maskFolder({}).load().train.classNames).toEqual(['class 0', 'class 1']);
  });

  it('images/ or masks/ as a link leading outside the folder: DATA_NOT_ALLOWED, no file there named; a link inside it is followed', () => {
    for (const sub of ['images', 'masks']) {
      const { root, load } = maskFolder({});
      const outside = mkdtempSync(path.join(tmpdir(), 'nw-masks-outside-'));
      renameSync(path.join(root, sub), path.join(outside, sub));
      writeFileSync(path.join(outside, sub, 'private-name.png'), 'x');
      symlinkSync(path.join(outside, sub), path.join(root, sub));
      expect(codeOf(load), sub).toBe('DATA_NOT_ALLOWED');
      expect(messageOf(load)).toBe(`seg: ${sub}/ is a link leading outside the chosen folder; Netwright does not follow it.`);
    }
    const inside = maskFolder({});
    renameSync(path.join(inside.root, 'images'), path.join(inside.root, 'pictures'));
    symlinkSync(path.join(inside.root, 'pictures'), path.join(inside.root, 'images'));
    expect(inside.load().train.count).toBe(1);
  });

  it('/dev/zero is refused at once; a classes.txt over 1 MiB from its size', () => {
    const t0 = cpuMs();
    if (existsSync('/dev/zero')) expect(codeOf(maskFolder({ link: '/dev/zero' }).load)).toBe('DATA_NOT_ALLOWED');
    expect(codeOf(maskFolder({ text: 'x\n'.repeat(2 ** 19 + 1) }).load)).toBe('DATA_TOO_LARGE');
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
  });

  it('a FIFO, as classes.txt or as where it links, is refused without waiting for a writer', () => {
    const { root, load } = maskFolder({});
    const fifo = boundedFifo(root, 'classes.txt');
    if (!fifo) return; // no mkfifo here
    try {
      expect(codeOf(load)).toBe('DATA_NOT_A_FILE');
    } finally {
      fifo.release();
    }
    const outside = mkdtempSync(path.join(tmpdir(), 'nw-masks-outside-'));
    const far = boundedFifo(outside, 'pipe')!;
    try {
      expect(codeOf(maskFolder({ link: far.path }).load)).toBe('DATA_NOT_ALLOWED');
    } finally {
      far.release();
    }
  });
});

describe("a text folder's files are read only inside the folder, only as regular files (#57)", () => {
  it('a .txt linking outside is skipped and listed, its text never a sample; a FIFO and /dev/zero too, at once; a link inside is read', () => {
    const data = mkdtempSync(path.join(tmpdir(), 'nw-texts-data-'));
    const root = path.join(data, 'reviews');
    for (const [c, texts] of Object.entries({ bad: ['awful', 'dull'], good: ['lovely', 'great'] })) {
      mkdirSync(path.join(root, c), { recursive: true });
      texts.forEach((t, i) => writeFileSync(path.join(root, c, `${i}.txt`), t));
    }
    const outside = mkdtempSync(path.join(tmpdir(), 'nw-texts-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), SECRET);
    writeFileSync(path.join(data, 'beside.txt'), 'beside the folder, inside the data root');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'good', 'leak.txt'));
    symlinkSync(path.join(data, 'beside.txt'), path.join(root, 'good', 'beside.txt'));
    symlinkSync(path.join(root, 'bad', '0.txt'), path.join(root, 'good', 'again.txt'));
    if (existsSync('/dev/zero')) symlinkSync('/dev/zero', path.join(root, 'bad', 'zero.txt'));
    const fifo = boundedFifo(path.join(root, 'bad'), 'pipe.txt');
    const t0 = cpuMs();
    try {
      const { loaded, read } = readLabelledTexts({ holds: 'folder' }, { path: root }, { kind: 'roots', roots: [data] });
      expect(read.texts.map((t) => t.text).sort()).toEqual(['awful', 'awful', 'dull', 'great', 'lovely']);
      const skipped = Object.fromEntries(loaded.report!.skipped.map((s) => [s.path, s.reason]));
      expect(skipped['good/leak.txt']).toBe('a link leading outside the chosen folder (not followed)');
      expect(skipped['good/beside.txt']).toBe('a link leading outside the chosen folder (not followed)');
      if (existsSync('/dev/zero')) expect(skipped['bad/zero.txt']).toBe('a link leading outside the chosen folder (not followed)');
      if (fifo) expect(skipped['bad/pipe.txt']).toBe('not a regular file (a device, pipe or socket)');
      expect(JSON.stringify(loaded)).not.toContain('s3cr3t');
    } finally {
      fifo?.release();
    }
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
  });
});

describe('an .npy pair: the targets found beside the features', () => {
  it('are read where they really lie in the features\' folder: a y.npy linking out of it is refused, not read (DATA_NOT_ALLOWED)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nw-npy-pair-'));
    const outside = mkdtempSync(path.join(tmpdir(), 'nw-npy-outside-'));
    writeFileSync(path.join(dir, 'x.npy'), npy('<f4', [3, 2], [1, 2, 3, 4, 5, 6]));
    writeFileSync(path.join(outside, 'labels.npy'), npy('<i8', [3], [0, 2, 1]));
    const config = { name: 'npz', options: { path: path.join(dir, 'x.npy') } } as Parameters<typeof loadDataset>[0];
    symlinkSync(path.join(outside, 'labels.npy'), path.join(dir, 'y.npy'));
    expect(codeOf(() => loadDataset(config))).toBe('DATA_NOT_ALLOWED');
    // The same file in the folder loads; a link inside it is followed.
    renameSync(path.join(outside, 'labels.npy'), path.join(dir, 'labels.npy'));
    rmSync(path.join(dir, 'y.npy'));
    symlinkSync(path.join(dir, 'labels.npy'), path.join(dir, 'y.npy'));
    expect(loadDataset(config).train.count + (loadDataset(config).test?.count ?? 0)).toBeGreaterThan(0);
  });
});
