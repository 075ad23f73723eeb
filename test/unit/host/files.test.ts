import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileService, callFileOp } from '../../../src-main/host/files';
import { writeAtomic } from '../../../src-main/host/atomic-write';

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

describe('FileService', () => {
  it('writes atomically: the target is replaced whole and no temp file is left behind', async () => {
    const dir = tmp('nw-atomic-');
    const target = path.join(dir, 'p.netwright.json');
    writeFileSync(target, 'old');
    await writeAtomic(target, 'new contents');
    expect(readFileSync(target, 'utf8')).toBe('new contents');
    expect(readdirSync(dir)).toEqual(['p.netwright.json']);
  });

  it('keeps the previous version when the write cannot complete', async () => {
    const dir = tmp('nw-atomic-');
    const target = path.join(dir, 'p.json');
    writeFileSync(target, 'precious');
    // Renaming a file over a directory fails: the original stays intact and the temp file is removed.
    await expect(writeAtomic(dir, 'x')).rejects.toThrow();
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['p.json']);
  });

  it('web mode: confines paths to the workspace and lists project files newest first', async () => {
    const ws = tmp('nw-ws-');
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    await s.write('a.netwright.json', '1', { replace: true });
    await new Promise((r) => setTimeout(r, 15));
    await s.write('b.netwright.json', '2', { replace: true });
    expect((await s.list()).map((f) => f.name)).toEqual(['b.netwright.json', 'a.netwright.json']);
    expect((await s.read('a.netwright.json')).text).toBe('1');
    expect(() => s.resolve('../outside.json')).toThrow(/workspace/);
    expect(() => s.resolve('/etc/passwd')).toThrow(/workspace/);
    expect((await s.recent()).map((r) => r.name)).toEqual(['a.netwright.json', 'b.netwright.json']);
  });

  it('desktop mode: only paths granted by a dialog or the recent list are usable', async () => {
    const dir = tmp('nw-desk-');
    const s = new FileService({ stateDir: path.join(dir, 'state') });
    const p = path.join(dir, 'x.netwright.json');
    await expect(s.write(p, 'x', { replace: true })).rejects.toMatchObject({ code: 'E_FILE_NOT_GRANTED' });
    s.grant(p);
    await s.write(p, 'x', { replace: true });
    const fresh = new FileService({ stateDir: path.join(dir, 'state') });
    await expect(fresh.read(p)).rejects.toMatchObject({ code: 'E_FILE_NOT_GRANTED' });
    expect((await fresh.recent()).map((r) => r.path)).toEqual([p]);
    expect((await fresh.read(p)).text).toBe('x'); // granted through the recent list
  });

  it('writes exports atomically: web mode into exports/ by name only, Electron only where a dialog granted', async () => {
    const ws = tmp('nw-exp-');
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    expect(await s.writeExport('net.onnx', 'file', [{ path: 'model.onnx', data: b64('onnx bytes') }])).toEqual({ path: path.join('exports', 'net.onnx'), full: path.join(ws, 'exports', 'net.onnx') });
    expect(readFileSync(path.join(ws, 'exports', 'net.onnx'), 'utf8')).toBe('onnx bytes');
    // The same name again (another "Untitled" design): written beside it, the first one kept.
    expect((await s.writeExport('net.onnx', 'file', [{ path: 'model.onnx', data: b64('second') }])).path).toBe(path.join('exports', 'net (2).onnx'));
    expect(readFileSync(path.join(ws, 'exports', 'net.onnx'), 'utf8')).toBe('onnx bytes');
    expect(readFileSync(path.join(ws, 'exports', 'net (2).onnx'), 'utf8')).toBe('second');
    // A name is a plain name: nothing that climbs out, points at exports/ itself or names a path.
    for (const bad of ['../../escape.onnx', 'a/b.onnx', '..', '.', ' net.onnx']) {
      await expect(s.writeExport(bad, 'file', [{ path: 'm', data: b64('x') }])).rejects.toMatchObject({ code: 'E_FILE_PATH' });
    }
    await s.writeExport('net-pytorch', 'folder', [
      { path: 'model.py', data: b64('class Net: ...') },
      { path: 'data/dataset.json', data: b64('{}') },
    ]);
    expect(readdirSync(path.join(ws, 'exports', 'net-pytorch')).sort()).toEqual(['.netwright-export.json', 'data', 'model.py']);
    // A folder file that climbs out of the export is refused and nothing is left behind.
    await expect(s.writeExport('bad-pytorch', 'folder', [{ path: '../../outside.txt', data: b64('x') }])).rejects.toMatchObject({ code: 'E_EXPORT_WRITE' });
    expect(readdirSync(path.join(ws, 'exports')).sort()).toEqual(['net (2).onnx', 'net-pytorch', 'net.onnx']);
    expect(existsSync(path.join(ws, 'outside.txt'))).toBe(false);

    const desk = new FileService({ stateDir: tmp('nw-exp-state-') });
    const target = path.join(tmp('nw-exp-desk-'), 'm.onnx');
    await expect(desk.writeExport(target, 'file', [{ path: 'model.onnx', data: b64('y') }])).rejects.toMatchObject({ code: 'E_FILE_NOT_GRANTED' });
    desk.grant(target);
    expect((await desk.writeExport(target, 'file', [{ path: 'model.onnx', data: b64('y') }])).path).toBe(target);
    // The dialog confirmed replacing a file; a folder of the user's own is never replaced.
    expect(readFileSync((await desk.writeExport(target, 'file', [{ path: 'model.onnx', data: b64('z') }])).full, 'utf8')).toBe('z');
    const theirs = tmp('nw-exp-theirs-');
    writeFileSync(path.join(theirs, 'thesis.docx'), 'mine');
    desk.grant(theirs);
    await expect(desk.writeExport(theirs, 'folder', [{ path: 'model.py', data: b64('x') }])).rejects.toMatchObject({ code: 'E_EXPORT_FOLDER_NOT_EMPTY' });
    expect(readdirSync(theirs)).toEqual(['thesis.docx']);
    // Through the file channel: the arguments are checked first.
    expect(await callFileOp(s, 'writeExport', ['x.onnx', 'file', []])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
  });

  it('web mode: an export named `..` or `.` never replaces the workspace (its projects and runs/) or exports/ (issue #32)', async () => {
    const ws = tmp('nw-exp-ws-');
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    writeFileSync(path.join(ws, 'thesis-net.netwright.json'), '{"project":true}');
    mkdirSync(path.join(ws, 'runs', '20261124-010000-abcd'), { recursive: true });
    writeFileSync(path.join(ws, 'runs', '20261124-010000-abcd', 'run.json'), '{}');
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    for (const target of ['..', '.', '../..', 'exports/..']) {
      for (const kind of ['folder', 'file'] as const) {
        expect(await callFileOp(s, 'writeExport', [target, kind, [{ path: 'model.py', data: b64('x') }], null])).toMatchObject({ ok: false, error: { code: 'E_FILE_PATH' } });
      }
    }
    expect(readdirSync(ws).sort()).toEqual(['runs', 'thesis-net.netwright.json']);
    expect(readFileSync(path.join(ws, 'runs', '20261124-010000-abcd', 'run.json'), 'utf8')).toBe('{}');
    expect(readdirSync(path.dirname(ws)).filter((f) => f.startsWith(path.basename(ws)) && f !== path.basename(ws))).toEqual([]);
  });

  it('web mode: uploads data into data/ under a free name, never over anything, images and tables only; lists it with the host\'s data folder (#30 item 2)', async () => {
    const ws = tmp('nw-ws-');
    const dataDir = tmp('nw-data-');
    mkdirSync(path.join(dataDir, 'flowers'));
    writeFileSync(path.join(dataDir, 'titanic.csv'), 'a,b\n1,2\n');
    writeFileSync(path.join(dataDir, 'notes.md'), 'not data');
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright'), dataDir });
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    // A folder in two calls: the first names it, the second adds to it.
    const first = await callFileOp(s, 'uploadData', ['pets', 'folder', [{ path: 'cats/1.png', data: b64('png1') }], false]);
    expect(first).toEqual({ ok: true, result: { path: path.join('data', 'pets') } });
    expect(await callFileOp(s, 'uploadData', ['pets', 'folder', [{ path: 'dogs/a/2.jpg', data: b64('jpg2') }], true])).toMatchObject({ ok: true });
    expect(readFileSync(path.join(ws, 'data', 'pets', 'dogs', 'a', '2.jpg'), 'utf8')).toBe('jpg2');
    // A second upload of the same name gets its own folder; a table its own file.
    expect(await callFileOp(s, 'uploadData', ['pets', 'folder', [{ path: 'cats/1.png', data: b64('x') }], false])).toEqual({ ok: true, result: { path: path.join('data', 'pets (2)') } });
    expect(await callFileOp(s, 'uploadData', ['people.csv', 'file', [{ path: 'people.csv', data: b64('a,b\n1,2\n') }], false])).toEqual({ ok: true, result: { path: path.join('data', 'people.csv') } });
    expect(readFileSync(path.join(ws, 'data', 'pets', 'cats', '1.png'), 'utf8')).toBe('png1');
    // Arrays saved with np.save: the pair in one call, into a folder of its own (so no renaming
    // parts them), answered with the features file; twice, two folders.
    const pair = [{ path: 'y_train.npy', data: b64('targets') }, { path: 'X_train.npy', data: b64('features') }];
    expect(await callFileOp(s, 'uploadData', ['X_train.npy', 'file', pair, false])).toEqual({ ok: true, result: { path: path.join('data', 'X_train', 'X_train.npy') } });
    expect(await callFileOp(s, 'uploadData', ['X_train.npy', 'file', pair, false])).toEqual({ ok: true, result: { path: path.join('data', 'X_train (2)', 'X_train.npy') } });
    expect(readFileSync(path.join(ws, 'data', 'X_train', 'y_train.npy'), 'utf8')).toBe('targets');
    const unpaired = await callFileOp(s, 'uploadData', ['a.npy', 'file', [{ path: 'a.npy', data: b64('x') }, { path: 'b.npy', data: b64('y') }], false]);
    expect(unpaired).toMatchObject({ ok: false, error: { code: 'E_FILE_CONTENT', message: expect.stringMatching(/features and targets named as a pair \(X_train\.npy and y_train\.npy/) } });
    // Refused, coded: paths leaving the upload, other kinds of file, a folder not in progress, a file twice.
    const refused: [unknown[], string][] = [
      [['pets', 'folder', [{ path: '../../escape.png', data: b64('x') }], true], 'E_FILE_PATH'],
      [['pets', 'folder', [{ path: '/etc/x.png', data: b64('x') }], true], 'E_FILE_PATH'],
      [['pets', 'folder', [{ path: 'cats/run.sh', data: b64('x') }], true], 'E_FILE_PATH'],
      [['../pets', 'folder', [{ path: 'a.png', data: b64('x') }], false], 'E_FILE_PATH'],
      [['other', 'folder', [{ path: 'a.png', data: b64('x') }], true], 'E_FILE_BAD_REQUEST'],
      [['pets', 'folder', [{ path: 'cats/1.png', data: b64('again') }], true], 'E_FILE_EXISTS'],
      [['x.exe', 'file', [{ path: 'x.exe', data: b64('x') }], false], 'E_FILE_PATH'],
    ];
    for (const [args, code] of refused) expect(await callFileOp(s, 'uploadData', args), JSON.stringify(args)).toMatchObject({ ok: false, error: { code } });
    expect(readFileSync(path.join(ws, 'data', 'pets', 'cats', '1.png'), 'utf8')).toBe('png1');
    expect(existsSync(path.join(ws, 'escape.png'))).toBe(false);
    // A call carries up to 64 files (what the renderer's batches hold), not more.
    const batch = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ path: `birds/${from + i}.png`, data: b64('p') }));
    expect(await callFileOp(s, 'uploadData', ['pets', 'folder', batch(64, 0), true])).toMatchObject({ ok: true });
    expect(await callFileOp(s, 'uploadData', ['pets', 'folder', batch(65, 100), true])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    expect(readdirSync(path.join(ws, 'data', 'pets', 'birds')).length).toBe(64);
    // Texts by class folder are listed as a text folder, not an image folder.
    expect(await callFileOp(s, 'uploadData', ['reviews', 'folder', [{ path: 'good/1.txt', data: b64('fine') }, { path: 'bad/1.txt', data: b64('poor') }], false])).toMatchObject({ ok: true });
    const listed = await s.listData();
    expect(listed.map((d) => [d.name, d.kind, d.where]).sort()).toEqual([
      ['X_train (2)/X_train.npy', 'npz', 'workspace'],
      ['X_train/X_train.npy', 'npz', 'workspace'],
      ['flowers', 'image-folder', 'data-dir'],
      ['people.csv', 'csv', 'workspace'],
      ['pets (2)', 'image-folder', 'workspace'],
      ['pets', 'image-folder', 'workspace'],
      ['reviews', 'text-folder', 'workspace'],
      ['titanic.csv', 'csv', 'data-dir'],
    ]);
    expect(listed.find((d) => d.name === 'flowers')!.path).toBe(path.join(dataDir, 'flowers'));
    // Electron has no uploads (its dialog picks data).
    const desktop = new FileService({ stateDir: tmp('nw-state-') });
    expect(await callFileOp(desktop, 'uploadData', ['pets', 'folder', [{ path: 'a.png', data: b64('x') }], false])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
  });

  it('recovery slot round-trips, and corrupt state files are ignored rather than fatal', async () => {
    const dir = tmp('nw-rec-');
    const s = new FileService({ stateDir: dir, workspaceDir: dir });
    expect(await s.readRecovery()).toBeNull();
    await s.writeRecovery('{"draft":true}');
    expect((await s.readRecovery())?.text).toBe('{"draft":true}');
    await s.clearRecovery();
    expect(await s.readRecovery()).toBeNull();
    writeFileSync(path.join(dir, 'recent.json'), '{corrupt');
    writeFileSync(path.join(dir, 'recovery.json'), '[1,2');
    expect(await s.recent()).toEqual([]);
    expect(await s.readRecovery()).toBeNull();
  });

  it('a clear sent while an autosave is being written wins: the slot ends empty (no stale offer after a save)', async () => {
    const dir = tmp('nw-rec-race-');
    const s = new FileService({ stateDir: dir, workspaceDir: dir });
    // The renderer's autosave is in flight when a save clears the slot: the host gets both at once.
    const write = s.writeRecovery('{"draft":true}');
    const clear = s.clearRecovery();
    await Promise.all([write, clear]);
    expect(await s.readRecovery()).toBeNull();
    // And the other way round: a write after a clear stays.
    await Promise.all([s.clearRecovery(), s.writeRecovery('{"draft":2}')]);
    expect((await s.readRecovery())?.text).toBe('{"draft":2}');
  });

  it('recent files opened at once are all listed (no entry lost to another read-modify-write)', async () => {
    const ws = tmp('nw-recent-race-');
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const names = ['a', 'b', 'c', 'd'].map((n) => `${n}.netwright.json`);
    for (const n of names) writeFileSync(path.join(ws, n), '{}');
    await Promise.all(names.map((n) => s.read(n)));
    expect((await s.recent()).map((r) => r.name).sort()).toEqual(names);
  });

  it('answers bad requests and missing files with coded errors', async () => {
    const dir = tmp('nw-err-');
    const s = new FileService({ stateDir: dir, workspaceDir: dir, maxBytes: 10 });
    expect(await callFileOp(s, 'read', ['missing.json'])).toMatchObject({ ok: false, error: { code: 'E_FILE_NOT_FOUND' } });
    expect(await callFileOp(s, '__proto__', [])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    // Arguments are checked against the file channel's schemas (FileMethods) before anything runs.
    expect(await callFileOp(s, 'write', ['a.json', 42])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST', message: expect.stringContaining('Bad arguments for write') } });
    expect(await callFileOp(s, 'read', [])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    expect(await callFileOp(s, 'read', ['a.json', 'extra'])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    expect(await callFileOp(s, 'list', 'not-a-list')).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    expect(await callFileOp(s, 'toString', [])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    expect(await callFileOp(s, 'write', ['a.json', 'x'.repeat(11), { replace: true }])).toMatchObject({ ok: false, error: { code: 'E_FILE_TOO_LARGE' } });
    expect(await callFileOp(s, 'read', ['a\0b'])).toMatchObject({ ok: false, error: { code: 'E_FILE_PATH' } });
  });
});

describe("the file channel's answers are checked too", () => {
  it('a malformed answer is refused with a coded error, a good one passes', async () => {
    const { checkFileResult } = await import('../../../src-contracts/files');
    const version = 'ab'.repeat(32);
    expect(checkFileResult('read', { path: 'a.json', name: 'a.json', text: '{}', version })).toEqual({ path: 'a.json', name: 'a.json', text: '{}', version });
    expect(() => checkFileResult('read', { path: 'a.json', name: 'a.json', text: 42 })).toThrow(/malformed answer to read/);
    expect(() => checkFileResult('list', [{ path: 1 }])).toThrow(expect.objectContaining({ code: 'E_FILE_BAD_RESPONSE' }));
    expect(checkFileResult('readRecovery', null)).toBeNull();
  });

  it('the sandboxed preloads (the app window’s, the GPU window’s) load nothing but electron and the zod-free bridge (they cannot require packages)', () => {
    const imports = (file: string) =>
      [...readFileSync(path.join(__dirname, '../../..', file), 'utf8').matchAll(/^import (type )?.*from '([^']+)';$/gm)].filter((m) => !m[1]).map((m) => m[2]);
    expect(imports('src-main/electron/preload.ts')).toEqual(['electron', '../../src-contracts/host']);
    expect(imports('src-main/electron/gpu-preload.ts')).toEqual(['electron', '../../src-contracts/host']);
    expect(imports('src-contracts/host.ts')).toEqual([]);
  });
});
