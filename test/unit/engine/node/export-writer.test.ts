/**
 * Issue #32 item 1: an export never deletes what the exporter did not write. Exporting onto an
 * existing folder once replaced it whole (a user's `thesis.docx` and `taxes/2025.pdf` gone, exit
 * 0), and `--out .` replaced the current directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as fs from 'node:fs';
import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportBundle } from '../../../../src-engine/core/export/bundle';
import { checkExportTarget, EXPORT_MANIFEST, writeExport } from '../../../../src-engine/node/export-writer';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { cpuMs } from '../../cpu-time';
import { boundedFifo } from '../../fifo';

// renameSync as it is, until a test makes one rename fail (the writer's own view of node:fs);
// openSync and mkdirSync as they are, until a test plays another user in the target's folder
// (#81 H6: a link swapped in at the temp name as soon as the writer made it).
vi.mock('node:fs', async (original) => {
  const real = await original<typeof fs>();
  return { ...real, renameSync: vi.fn(real.renameSync), openSync: vi.fn(real.openSync), mkdirSync: vi.fn(real.mkdirSync) };
});
// randomBytes as it is, until a test fixes the temp name the writer draws (to plant a link there first).
vi.mock('node:crypto', async (original) => {
  const real = await original<typeof crypto>();
  return { ...real, randomBytes: vi.fn(real.randomBytes) };
});

const ROOT = resolve(import.meta.dirname, '../../../..');
const EXAMPLE = join(ROOT, 'examples/two-moons-mlp.json');
const bytes = (t: string) => new TextEncoder().encode(t);
const folder = (tag: string): ExportBundle => ({ kind: 'folder', files: [{ path: 'model.py', data: bytes(`# ${tag}`) }, { path: 'data/dataset.json', data: bytes(`{"tag":"${tag}"}`) }] });
const file = (tag: string): ExportBundle => ({ kind: 'file', files: [{ path: 'model.onnx', data: bytes(tag) }] });

/** A folder of the user's own: a document and a sub-folder with a file. */
function usersFolder(): string {
  const d = mkdtempSync(join(tmpdir(), 'nw-users-'));
  writeFileSync(join(d, 'thesis.docx'), 'four years of work');
  mkdirSync(join(d, 'taxes'));
  writeFileSync(join(d, 'taxes', '2025.pdf'), 'receipts');
  return d;
}
const intact = (d: string) => {
  expect(readFileSync(join(d, 'thesis.docx'), 'utf8')).toBe('four years of work');
  expect(readFileSync(join(d, 'taxes', '2025.pdf'), 'utf8')).toBe('receipts');
};
const leftovers = (parent: string) => readdirSync(parent).filter((f) => f.includes('.tmp-') || f.includes('.old-'));

describe('export writer: nothing it did not write is ever deleted', () => {
  it('refuses a folder holding the user’s files, with or without force, and leaves it as it was', () => {
    const d = usersFolder();
    for (const force of [false, true]) {
      expect(() => writeExport(folder('a'), d, { force })).toThrow(expect.objectContaining({ code: 'E_EXPORT_FOLDER_NOT_EMPTY', message: expect.stringMatching(/thesis\.docx.*nothing was written/) }));
      intact(d);
      expect(readdirSync(d).sort()).toEqual(['taxes', 'thesis.docx']);
    }
    expect(leftovers(join(d, '..'))).toEqual([]);
  });

  it('writes a new folder with a manifest, and replaces it only with force and only while it holds nothing else', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nw-exp-'));
    const d = join(parent, 'net-pytorch');
    expect(writeExport(folder('a'), d)).toBe(d);
    expect(JSON.parse(readFileSync(join(d, EXPORT_MANIFEST), 'utf8'))).toEqual({ format: 'netwright.export', files: ['model.py', 'data/dataset.json'] });
    expect(() => writeExport(folder('b'), d)).toThrow(expect.objectContaining({ code: 'E_EXPORT_EXISTS' }));
    expect(readFileSync(join(d, 'model.py'), 'utf8')).toBe('# a');
    writeExport(folder('b'), d, { force: true });
    expect(readFileSync(join(d, 'model.py'), 'utf8')).toBe('# b');
    expect(leftovers(parent)).toEqual([]);
    // The user added a notes file to the export: it is theirs now, so the folder is not replaced.
    writeFileSync(join(d, 'notes.txt'), 'mine');
    expect(() => writeExport(folder('c'), d, { force: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT_FOLDER_NOT_EMPTY' }));
    expect(readFileSync(join(d, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(d, 'model.py'), 'utf8')).toBe('# b');
    // An empty folder (made in a save dialog) takes the export.
    mkdirSync(join(parent, 'empty'));
    writeExport(folder('d'), join(parent, 'empty'));
    expect(readdirSync(join(parent, 'empty')).sort()).toEqual([EXPORT_MANIFEST, 'data', 'model.py']);
  });

  it('never follows a manifest outside its folder: `..`, absolute names and links are not an earlier export (#44)', () => {
    // A folder D whose manifest lists a file beside D; replacing D once deleted it, removed the
    // emptied folder, then failed ENOTEMPTY leaving D.old-<stamp>.
    const hostile: [string, (d: string, outside: string) => string[]][] = [
      ['parent', () => ['model.py', '../outside/victim.txt']],
      ['nested parent', () => ['model.py', 'a/../../outside/victim.txt']],
      ['absolute', (_, outside) => ['model.py', join(outside, 'victim.txt')]],
      ['backslash', () => ['model.py', '..\\outside\\victim.txt']],
      ['linked folder', (d, outside) => (symlinkSync(outside, join(d, 'a')), ['model.py', 'a/victim.txt'])],
    ];
    for (const [what, listing] of hostile) {
      const parent = mkdtempSync(join(tmpdir(), 'nw-escape-'));
      const outside = join(parent, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'victim.txt'), 'not the exporter’s');
      const d = join(parent, 'D');
      mkdirSync(d);
      writeFileSync(join(d, 'model.py'), '# earlier');
      const files = listing(d, outside);
      writeFileSync(join(d, EXPORT_MANIFEST), JSON.stringify({ format: 'netwright.export', files }));
      const before = readdirSync(d).sort();
      expect(() => writeExport(folder('new'), d, { force: true }), what).toThrow(expect.objectContaining({ code: 'E_EXPORT_FOLDER_NOT_EMPTY' }));
      expect(readFileSync(join(outside, 'victim.txt'), 'utf8'), what).toBe('not the exporter’s');
      expect(readdirSync(d).sort(), what).toEqual(before);
      expect(readFileSync(join(d, 'model.py'), 'utf8'), what).toBe('# earlier');
      expect(readdirSync(parent).sort(), what).toEqual(['D', 'outside']);
    }
  });

  it('a listed name that is not there is harmless: replacing removes only what it finds inside (#44)', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nw-escape-'));
    const d = join(parent, 'D');
    writeExport(folder('a'), d);
    writeFileSync(join(parent, 'beside.txt'), 'keep');
    writeFileSync(join(d, EXPORT_MANIFEST), JSON.stringify({ format: 'netwright.export', files: ['model.py', 'data/dataset.json', 'gone/beside.txt'] }));
    writeExport(folder('b'), d, { force: true });
    expect(readFileSync(join(d, 'model.py'), 'utf8')).toBe('# b');
    expect(readFileSync(join(parent, 'beside.txt'), 'utf8')).toBe('keep');
    expect(readdirSync(parent).sort()).toEqual(['D', 'beside.txt']);
  });

  it('a manifest that is a FIFO or a link to /dev/zero is no earlier export, refused without reading it (#57)', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nw-manifest-'));
    const d = join(parent, 'D');
    writeExport(folder('a'), d);
    rmSync(join(d, EXPORT_MANIFEST));
    const fifo = boundedFifo(d, EXPORT_MANIFEST);
    if (fifo) {
      const t0 = Date.now();
      try {
        expect(() => writeExport(folder('b'), d, { force: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT_FOLDER_NOT_EMPTY' }));
      } finally {
        fifo.release();
      }
      // Its writer comes after 5 s: a read of the FIFO would have waited for it.
      expect(Date.now() - t0, 'ms').toBeLessThan(4000);
      rmSync(join(d, EXPORT_MANIFEST));
    }
    if (!existsSync('/dev/zero')) return;
    symlinkSync('/dev/zero', join(d, EXPORT_MANIFEST));
    const t0 = cpuMs();
    expect(() => writeExport(folder('b'), d, { force: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT_FOLDER_NOT_EMPTY' }));
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
    expect(readFileSync(join(d, 'model.py'), 'utf8')).toBe('# a');
  });

  it('a replace that cannot put the new folder in place puts the earlier export back (#44)', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nw-restore-'));
    const d = join(parent, 'D');
    writeExport(folder('a'), d);
    // The earlier export is moved aside, then the new one cannot take its place (EIO).
    const rename = vi.mocked(fs.renameSync);
    const real = rename.getMockImplementation()!;
    rename.mockImplementation((from, to) => {
      if (String(from).includes('.tmp-')) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      real(from, to);
    });
    const renames = rename.mock.calls.length;
    try {
      expect(() => writeExport(folder('b'), d, { force: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT_WRITE' }));
    } finally {
      rename.mockImplementation(real);
    }
    expect(rename.mock.calls.length - renames).toBe(3); // aside, (failed) into place, back
    expect(readFileSync(join(d, 'model.py'), 'utf8')).toBe('# a');
    expect(readdirSync(d).sort()).toEqual([EXPORT_MANIFEST, 'data', 'model.py']);
    expect(readdirSync(parent)).toEqual(['D']);
  });

  it('overwrites a file only with force, and never a folder with a file', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nw-exp-'));
    const f = join(parent, 'net.onnx');
    writeFileSync(f, 'the user’s own model');
    expect(() => writeExport(file('new'), f)).toThrow(expect.objectContaining({ code: 'E_EXPORT_EXISTS', message: expect.stringMatching(/--force/) }));
    expect(readFileSync(f, 'utf8')).toBe('the user’s own model');
    writeExport(file('new'), f, { force: true });
    expect(readFileSync(f, 'utf8')).toBe('new');
    const d = usersFolder();
    expect(() => writeExport(file('x'), d, { force: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT_EXISTS' }));
    intact(d);
    expect(leftovers(parent)).toEqual([]);
  });

  it('`npm run train -- … --export D` refuses a non-empty D before training; `npm run export -- … --out .` keeps the current folder', async () => {
    const d = usersFolder();
    let out = '';
    let err = '';
    const code = await trainCli([EXAMPLE, '--epochs', '1', '--threads', '1', '--export', d], (s) => (out += s), (s) => (err += s));
    expect(code).toBe(2);
    expect(err).toMatch(/E_EXPORT_FOLDER_NOT_EMPTY/);
    expect(out).not.toMatch(/epoch/); // refused before a step was trained
    intact(d);

    // A trained model to export, then the CLI in a process whose current folder is the user's.
    const model = join(mkdtempSync(join(tmpdir(), 'nw-model-')), 'moons.json');
    expect(await trainCli([EXAMPLE, '--epochs', '1', '--threads', '1', '--export', model], () => {}, () => {})).toBe(0);
    const cli = spawnSync(process.execPath, ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/esm/index.mjs')).href, join(ROOT, 'src-engine/node/export-cli.ts'), model, '--format', 'pytorch', '--out', '.'], { cwd: d, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(2);
    expect(cli.stderr).toMatch(/E_EXPORT_FOLDER_NOT_EMPTY: .* is a folder that already holds files Netwright did not write/);
    intact(d);
    expect(readdirSync(d).sort()).toEqual(['taxes', 'thesis.docx']);
    expect(existsSync(join(d, 'model.py'))).toBe(false);
  }, 60_000);
});

describe('export writer: the temp file beside the target (#81 H6, L4)', () => {
  const realFs = vi.importActual<typeof fs>('node:fs');
  // mockReset puts back the implementation each vi.fn was made with (node's own).
  afterEach(() => {
    vi.restoreAllMocks();
    vi.mocked(fs.openSync).mockReset();
    vi.mocked(fs.mkdirSync).mockReset();
    vi.mocked(crypto.randomBytes).mockReset();
  });
  /** What `write` threw (undefined when it did not). */
  const thrown = (write: () => unknown): unknown => {
    try {
      write();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  /** A file of another place the planted links lead to: what must never be written. */
  function victim(): string {
    const v = join(mkdtempSync(join(tmpdir(), 'nw-victim-')), 'victim.txt');
    writeFileSync(v, 'the victim’s file');
    return v;
  }

  it('a link planted at every name the writer could pick is never followed: E_EXPORT_TEMP_TAKEN, the file it leads to untouched', () => {
    vi.mocked(crypto.randomBytes).mockImplementation(((n: number) => Buffer.alloc(n, 0xab)) as typeof crypto.randomBytes);
    const now = 1_790_000_000_000;
    vi.spyOn(Date, 'now').mockReturnValue(now);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const parent = mkdtempSync(join(tmpdir(), 'nw-exp-'));
    const target = join(parent, 'net.onnx');
    const v = victim();
    // The names: `<out>.tmp-<pid>-<ms36>` (#81's report), with a Math.random part, and the random one now.
    const stamps = [`${process.pid}-${now.toString(36)}`, `${process.pid}-${now.toString(36)}-${(0.5).toString(36).slice(2, 8)}`, `${process.pid}-${'ab'.repeat(8)}`];
    for (const stamp of stamps) symlinkSync(v, `${target}.tmp-${stamp}`);
    const e = thrown(() => writeExport(file('overwritten'), target));
    expect(readFileSync(v, 'utf8')).toBe('the victim’s file');
    expect(e).toMatchObject({ code: 'E_EXPORT_TEMP_TAKEN' });
    expect(existsSync(target)).toBe(false);
    // What it did not create is left where it is: the three links.
    expect(readdirSync(parent).length).toBe(3);
  });

  it('a link swapped in at the temp file just after it was created is not written through; the rename refuses it', async () => {
    const real = await realFs;
    const v = victim();
    // Another user who can write to the folder replaces the writer's fresh temp file with a link.
    vi.mocked(fs.openSync).mockImplementation(((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      const fd = real.openSync(p, flags ?? 'r', mode);
      const exclusive = typeof flags === 'string' ? flags.includes('x') : ((flags ?? 0) & real.constants.O_EXCL) !== 0;
      if (exclusive && String(p).includes('.tmp-')) {
        real.rmSync(p);
        real.symlinkSync(v, p);
      }
      return fd;
    }) as typeof fs.openSync);
    const parent = mkdtempSync(join(tmpdir(), 'nw-exp-'));
    const target = join(parent, 'net.onnx');
    const e = thrown(() => writeExport(file('OVERWRITTEN'), target));
    expect(readFileSync(v, 'utf8')).toBe('the victim’s file');
    expect(e).toMatchObject({ code: 'E_EXPORT_TEMP_TAKEN' });
    expect(existsSync(target)).toBe(false);
  });

  it('a temp folder swapped for a link just after it was made: nothing written into the place it leads to', async () => {
    const real = await realFs;
    const elsewhere = mkdtempSync(join(tmpdir(), 'nw-elsewhere-'));
    writeFileSync(join(elsewhere, EXPORT_MANIFEST), 'the other place’s file');
    vi.mocked(fs.mkdirSync).mockImplementation(((p: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
      const made = real.mkdirSync(p, options);
      if (String(p).includes('.tmp-') && !options?.recursive) {
        real.rmdirSync(p);
        real.symlinkSync(elsewhere, p);
      }
      return made;
    }) as typeof fs.mkdirSync);
    const parent = mkdtempSync(join(tmpdir(), 'nw-exp-'));
    const e = thrown(() => writeExport(folder('a'), join(parent, 'net-pytorch')));
    expect(readdirSync(elsewhere)).toEqual([EXPORT_MANIFEST]);
    expect(readFileSync(join(elsewhere, EXPORT_MANIFEST), 'utf8')).toBe('the other place’s file');
    expect(e).toMatchObject({ code: 'E_EXPORT_TEMP_TAKEN' });
    expect(existsSync(join(parent, 'net-pytorch'))).toBe(false);
  });

  it('--out under a regular file: E_EXPORT_NOT_A_FOLDER naming the file, checked before any work and when written', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nw-exp-'));
    const notes = join(parent, 'notes.txt');
    writeFileSync(notes, 'a file, not a folder');
    for (const [bundle, out] of [
      [file('x'), join(notes, 'net.onnx')],
      [folder('x'), join(notes, 'deeper', 'net-pytorch')],
    ] as const) {
      expect(() => checkExportTarget(out, bundle.kind)).toThrow(expect.objectContaining({ code: 'E_EXPORT_NOT_A_FOLDER', message: expect.stringContaining(`${notes} is a file, not a folder`) }));
      expect(() => writeExport(bundle, out)).toThrow(expect.objectContaining({ code: 'E_EXPORT_NOT_A_FOLDER', message: expect.stringContaining(`${notes} is a file, not a folder`) }));
    }
    expect(readFileSync(notes, 'utf8')).toBe('a file, not a folder');
    expect(readdirSync(parent)).toEqual(['notes.txt']);
  });
});
