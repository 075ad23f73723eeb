/**
 * #81 H5: data reads confined to the allowed folder under a race. A local process that swaps a
 * folder on the way for a link (renameat2 exchange) between the check and the open made
 * `data.scan` read outside content: a CSV, a text folder, an image folder's thumbnails, a mask
 * folder's classes.txt. Here the swap is made deterministic: `node:fs`'s `openSync` is wrapped so
 * that the first open of a named file first moves a folder on its way aside and puts a link to an
 * outside folder (holding the same names, other content) in its place — exactly between whatever
 * the reader checked and its open. The reads now hold the folder's handle and open each component
 * below it without following links (node/confined-fs.ts), so what was checked is what is read, or
 * the read is refused; nothing outside shows.
 */
import type * as realFs from 'node:fs';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scanData } from '../../../../src-engine/node/data-scan';
import type { DataAccess } from '../../../../src-engine/node/data-access';
import { encodePng } from './user-data-fixtures';

/** Swaps waiting for the first open of a file named `name`: `swap` before it, `back` after it. */
const pending: { name: string; swap: () => void; back: () => void }[] = [];

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof realFs>();
  const openSync = ((p: realFs.PathLike, ...rest: unknown[]) => {
    const i = pending.findIndex((s) => s.name === path.basename(String(p)));
    const race = i >= 0 ? pending.splice(i, 1)[0] : undefined;
    race?.swap();
    try {
      return (fs.openSync as (...a: unknown[]) => number)(p, ...rest);
    } finally {
      race?.back();
    }
  }) as typeof fs.openSync;
  return { ...fs, openSync, default: { ...fs, openSync } };
});

const made: string[] = [];
afterEach(() => {
  pending.length = 0;
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A workspace (the allowed root) and a folder outside it, both fresh. */
function places(): { ws: string; outside: string; access: DataAccess } {
  const ws = mkdtempSync(path.join(tmpdir(), 'nw-race-ws-'));
  const outside = mkdtempSync(path.join(tmpdir(), 'nw-race-outside-'));
  made.push(ws, outside);
  return { ws, outside, access: { kind: 'roots', roots: [ws] } };
}

/**
 * When `name` is first opened: `folder` moved aside and a link to `target` put where it was, and
 * put back once that open returned — one turn of the reporter's exchange loop, landing between
 * the reader's check and its open.
 */
function swapOnOpen(name: string, folder: string, target: string): { done: () => boolean } {
  const entry = {
    name,
    swap: () => {
      renameSync(folder, `${folder}.moved`);
      symlinkSync(target, folder);
    },
    back: () => {
      rmSync(folder);
      renameSync(`${folder}.moved`, folder);
    },
  };
  pending.push(entry);
  return { done: () => !pending.includes(entry) };
}

const solid = (rgb: readonly number[], w: number, h: number) => encodePng(Uint8Array.from({ length: w * h * 3 }, (_, k) => rgb[k % 3]), w, h, 3);
const SECRET = 'SECRETcolumn';

describe('a folder swapped for a link between the check and the open (#81 H5)', () => {
  it('a CSV: its folder swapped for a link out of the workspace; the outside table never read', async () => {
    const { ws, outside, access } = places();
    mkdirSync(path.join(ws, 'tables'));
    mkdirSync(path.join(outside, 'tables'));
    writeFileSync(path.join(ws, 'tables', 'data.csv'), 'x,y,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n');
    writeFileSync(path.join(outside, 'tables', 'data.csv'), `${SECRET},y,label\n9,9,z\n9,9,z\n9,9,y\n`);
    const swap = swapOnOpen('data.csv', path.join(ws, 'tables'), path.join(outside, 'tables'));
    let answer: unknown;
    try {
      answer = await scanData({ scanId: 'csv', path: 'tables/data.csv' }, { access });
    } catch (e) {
      answer = e;
    }
    expect(swap.done()).toBe(true);
    expect(JSON.stringify(answer) + String((answer as Error).message)).not.toContain(SECRET);
  });

  it.each([
    ['a class folder', 'reviews/good', 'good'],
    ['the folder itself', 'reviews', 'reviews'],
  ])("a text folder: %s swapped for a link out of the workspace; the outside texts never samples", async (_, swapped, outsideName) => {
    const { ws, outside, access } = places();
    const texts = { bad: ['awful', 'dull', 'slow', 'bland', 'weak', 'poor'], good: ['lovely', 'great', 'fine', 'fun', 'warm', 'bright'] };
    for (const [c, words] of Object.entries(texts)) {
      mkdirSync(path.join(ws, 'reviews', c), { recursive: true });
      words.forEach((t, i) => writeFileSync(path.join(ws, 'reviews', c, `${c}${i}.txt`), t));
    }
    // The outside folder: the same layout from the swapped folder down, every text a secret.
    const mirror = path.join(outside, outsideName);
    for (const [c, words] of Object.entries(texts)) {
      const into = outsideName === 'good' ? (c === 'good' ? mirror : undefined) : path.join(mirror, c);
      if (!into) continue;
      mkdirSync(into, { recursive: true });
      words.forEach((_, i) => writeFileSync(path.join(into, `${c}${i}.txt`), `${SECRET} ${i}`));
    }
    const swap = swapOnOpen('good0.txt', path.join(ws, swapped), mirror);
    let answer: unknown;
    try {
      answer = await scanData({ scanId: 'texts', path: 'reviews' }, { access });
    } catch (e) {
      answer = e;
    }
    expect(swap.done()).toBe(true);
    expect(JSON.stringify(answer) + String((answer as Error).message)).not.toContain(SECRET);
  });

  it.each([
    ['a class folder', 'b'],
    ['the folder itself', ''],
  ])('an image folder: %s swapped for a link out of the workspace; no thumbnail of the outside images', async (_, swapped) => {
    const { ws, outside, access } = places();
    const root = path.join(ws, 'photos');
    const GREEN = [20, 200, 30];
    const BLUE = [30, 40, 210];
    const RED = [250, 5, 5];
    for (const [at, a, b] of [
      [root, GREEN, BLUE],
      [path.join(outside, 'photos'), RED, RED],
    ] as const) {
      mkdirSync(path.join(at, 'a'), { recursive: true });
      mkdirSync(path.join(at, 'b'));
      for (const i of [0, 1]) {
        writeFileSync(path.join(at, 'a', `a${i}.png`), solid(a, 4, 4));
        writeFileSync(path.join(at, 'b', `b${i}.png`), solid(b, 4, 4));
      }
    }
    const swap = swapOnOpen('b0.png', path.join(root, swapped), path.join(outside, 'photos', swapped));
    let answer: unknown;
    try {
      answer = await scanData({ scanId: 'photos', path: 'photos' }, { access });
    } catch (e) {
      answer = e;
    }
    expect(swap.done()).toBe(true);
    const thumbnails = ((answer as { classes?: { thumbnails: { rgb: number[] }[] }[] }).classes ?? []).flatMap((c) => c.thumbnails);
    const pixels = thumbnails.flatMap((t) => Array.from({ length: t.rgb.length / 3 }, (_, p) => [t.rgb[p], t.rgb[t.rgb.length / 3 + p], t.rgb[(2 * t.rgb.length) / 3 + p]]));
    expect(pixels.length).toBeGreaterThan(0);
    expect(pixels.filter(([r]) => r > 200)).toEqual([]);
  });

  it("a mask folder: the folder itself swapped for a link out of the workspace as classes.txt is opened; its class names never the outside ones", async () => {
    const { ws, outside, access } = places();
    for (const root of [path.join(ws, 'seg'), path.join(outside, 'seg')]) {
      mkdirSync(path.join(root, 'images'), { recursive: true });
      mkdirSync(path.join(root, 'masks'));
      writeFileSync(path.join(root, 'images', 'a.png'), solid([10, 20, 30], 2, 2));
      writeFileSync(path.join(root, 'masks', 'a.png'), encodePng(Uint8Array.from([0, 1, 1, 0]), 2, 2, 1));
    }
    writeFileSync(path.join(ws, 'seg', 'classes.txt'), 'background\nroad\n');
    writeFileSync(path.join(outside, 'seg', 'classes.txt'), `${SECRET}A\n${SECRET}B\n`);
    const swap = swapOnOpen('classes.txt', path.join(ws, 'seg'), path.join(outside, 'seg'));
    let answer: unknown;
    try {
      answer = await scanData({ scanId: 'seg', path: 'seg' }, { access });
    } catch (e) {
      answer = e;
    }
    expect(swap.done()).toBe(true);
    expect(JSON.stringify(answer) + String((answer as Error).message)).not.toContain(SECRET);
  });
});

describe('a link planted before the scan is reported as what it is (#81 L6)', () => {
  it('train/ as a link to a folder inside: its images are read where it leads, none "became a link after the folder was scanned"', async () => {
    const { ws, access } = places();
    const root = path.join(ws, 'photos');
    for (const c of ['a', 'b']) {
      mkdirSync(path.join(root, 'pictures', c), { recursive: true });
      for (const i of [0, 1]) writeFileSync(path.join(root, 'pictures', c, `${c}${i}.png`), solid(c === 'a' ? [200, 0, 0] : [0, 0, 200], 4, 4));
    }
    mkdirSync(path.join(root, 'val', 'a'), { recursive: true });
    writeFileSync(path.join(root, 'val', 'a', 'v.png'), solid([200, 0, 0], 4, 4));
    symlinkSync(path.join(root, 'pictures'), path.join(root, 'train'));
    const r = await scanData({ scanId: 'split-link', path: 'photos' }, { access });
    expect(r.skipped.filter((s) => /became a link/.test(s.reason))).toEqual([]);
    expect(r.problem).toBeUndefined();
    expect(r.classes.map((c) => [c.name, c.splits.train, c.splits.val])).toEqual([
      ['a', 2, 1],
      ['b', 2, 0],
    ]);
  });

  it("a mask folder's image linking out of the folder: refused as a link leading outside, not one that became a link", async () => {
    const { ws, outside, access } = places();
    const root = path.join(ws, 'seg');
    mkdirSync(path.join(root, 'images'), { recursive: true });
    mkdirSync(path.join(root, 'masks'));
    writeFileSync(path.join(outside, 'a.png'), solid([10, 20, 30], 2, 2));
    symlinkSync(path.join(outside, 'a.png'), path.join(root, 'images', 'a.png'));
    writeFileSync(path.join(root, 'masks', 'a.png'), encodePng(Uint8Array.from([0, 1, 1, 0]), 2, 2, 1));
    await expect(scanData({ scanId: 'seg', path: 'seg' }, { access })).rejects.toMatchObject({ message: expect.stringMatching(/images\/a\.png cannot be used: a link leading outside the chosen folder/) });
  });
});
