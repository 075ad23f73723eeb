/**
 * Issue #81 H5 measured as reported: `data.scan` while another local process swaps a folder on the
 * way with a link to an outside folder (`renameat2(RENAME_EXCHANGE)` in a loop, from Python's
 * ctypes: Node has no renameat2). Each of `SCANS` scans (default 150) of a workspace's data is
 * checked for the outside folder's content: a CSV's column, a text folder's texts, an image
 * folder's thumbnails (red), a mask folder's class names. The outside folder holds the same names.
 *
 * Run: `npx tsx bench/scan-race.ts [csv|texts|images|masks …] [rounds]` (default all four, 1
 * round). Prints, per kind and round, how many scans read outside content and how many were
 * refused (the scan threw: the swapped folder was seen, and not followed).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scanData } from '../src-engine/node/data-scan';
import { encodePng } from '../test/unit/engine/data/user-data-fixtures';

const SCANS = Number(process.env.SCANS ?? 150);
const SECRET = 'SECRETrace';
const EXCHANGE = `
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
while True:
    libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
`;

const solid = (rgb: readonly number[]) => encodePng(Uint8Array.from({ length: 48 }, (_, k) => rgb[k % 3]), 4, 4, 3);
const write = (file: string, data: string | Uint8Array) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
};

/** A kind's data, inside (`ws`) and outside (the same names, secret content): the scan's path, the folder swapped, whether an answer shows the outside. */
const KINDS: Record<string, (ws: string, out: string) => { scan: string; swapped: string; leaked: (answer: string) => boolean }> = {
  csv: (ws, out) => {
    write(path.join(ws, 't', 'd.csv'), 'x,y,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n');
    write(path.join(out, 't', 'd.csv'), `${SECRET},y,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n`);
    return { scan: 't/d.csv', swapped: 't', leaked: (a) => a.includes(SECRET) };
  },
  texts: (ws, out) => {
    for (const c of ['bad', 'good']) for (let i = 0; i < 6; i++) {
      write(path.join(ws, 'r', c, `${i}.txt`), `${c} text ${i}`);
      write(path.join(out, 'r', c, `${i}.txt`), `${SECRET} ${i}`);
    }
    return { scan: 'r', swapped: 'r/good', leaked: (a) => a.includes(SECRET) };
  },
  images: (ws, out) => {
    for (const c of ['a', 'b']) for (let i = 0; i < 4; i++) {
      write(path.join(ws, 'p', c, `${i}.png`), solid([0, 200, 0]));
      write(path.join(out, 'p', c, `${i}.png`), solid([250, 0, 0]));
    }
    return { scan: 'p', swapped: 'p/b', leaked: (a) => ((JSON.parse(a) as { classes?: { thumbnails: { rgb: number[] }[] }[] }).classes ?? []).some((c) => c.thumbnails.some((t) => t.rgb[0] > 200)) };
  },
  masks: (ws, out) => {
    for (const [root, names] of [
      [path.join(ws, 's'), 'background\nroad\n'],
      [path.join(out, 's'), `${SECRET}A\n${SECRET}B\n`],
    ] as const) {
      write(path.join(root, 'images', 'a.png'), solid([10, 20, 30]));
      write(path.join(root, 'masks', 'a.png'), encodePng(Uint8Array.from([0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0]), 4, 4, 1));
      write(path.join(root, 'classes.txt'), names);
    }
    return { scan: 's', swapped: 's', leaked: (a) => a.includes(SECRET) };
  },
};

async function round(kind: string): Promise<string> {
  const ws = mkdtempSync(path.join(tmpdir(), 'nw-race-ws-'));
  const out = mkdtempSync(path.join(tmpdir(), 'nw-race-out-'));
  const { scan, swapped, leaked } = KINDS[kind](ws, out);
  const link = path.join(ws, `${swapped}.link`);
  symlinkSync(path.join(out, swapped), link);
  const swapper = spawn('python3', ['-c', EXCHANGE, path.join(ws, swapped), link], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  let leaks = 0;
  let refused = 0;
  for (let i = 0; i < SCANS; i++) {
    let answer: string;
    try {
      answer = JSON.stringify(await scanData({ scanId: String(i), path: scan }, { access: { kind: 'roots', roots: [ws] } }));
    } catch (e) {
      refused++;
      answer = JSON.stringify({ message: String((e as Error).message) });
    }
    if (leaked(answer)) leaks++;
  }
  swapper.kill();
  rmSync(ws, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return `${kind}: ${leaks} of ${SCANS} scans read outside content (${refused} refused)`;
}

const args = process.argv.slice(2);
const kinds = args.filter((a) => a in KINDS);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 1);
for (let r = 0; r < rounds; r++) for (const kind of kinds.length ? kinds : Object.keys(KINDS)) console.log(await round(kind));
