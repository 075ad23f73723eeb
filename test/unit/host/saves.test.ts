/**
 * Issue #44: nothing saved over, through the real web host (/api/files) and the renderer's own
 * web-mode file services (`webHostFiles`): Save As onto a name taken, a stale tab's Save, twelve
 * uploads of one name at once, and a JSON export larger than one request.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFileOp, FileService } from '../../../src-main/host/files';
import type { WebServer } from '../../../src-main/web/server';
import { webHostFiles } from '../../../src-renderer/src/host';
import { startTestServer } from './attack-kit';

let server: WebServer;
/** One browser tab's file services (each tab is its own page, with the same token). */
const tab = () => webHostFiles(`http://127.0.0.1:${server.port}/api/files`, server.token, (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), Origin: `http://127.0.0.1:${server.port}` } }));
const ws = (...p: string[]) => path.join(server.workspaceDir, ...p);
const b64 = (t: string | Uint8Array) => Buffer.from(t).toString('base64');

beforeAll(async () => {
  server = await startTestServer({ token: 'saves-token' });
});
afterAll(async () => {
  await server?.close();
});

describe('web mode: nothing saved over', () => {
  it('Save As onto a taken name is refused until the user confirms, and Open lists the file once', async () => {
    const a = tab();
    await a.write('my-mlp.netwright.json', '{"hand":"built"}', { ifAbsent: true });
    // A template saved as "my-mlp": the hand-built design stays.
    await expect(a.write('my-mlp.netwright.json', '{"template":1}', { ifAbsent: true })).rejects.toMatchObject({ code: 'E_FILE_EXISTS', message: expect.not.stringContaining(server.workspaceDir) });
    expect(readFileSync(ws('my-mlp.netwright.json'), 'utf8')).toBe('{"hand":"built"}');
    // Confirmed: replaced.
    await a.write('my-mlp.netwright.json', '{"template":1}', { replace: true });
    expect(readFileSync(ws('my-mlp.netwright.json'), 'utf8')).toBe('{"template":1}');
    await a.read('my-mlp.netwright.json');
    expect((await a.recent()).filter((r) => r.name === 'my-mlp.netwright.json')).toHaveLength(1);
  });

  it("two tabs: the stale tab's Save is refused (E_FILE_CHANGED), not written over the other's", async () => {
    const [a, b] = [tab(), tab()];
    await a.write('alpha.netwright.json', '{"epochs":1}', { ifAbsent: true });
    const openedA = await a.read('alpha.netwright.json');
    const openedB = await b.read('alpha.netwright.json');
    expect(openedB.version).toBe(openedA.version);
    const savedB = await b.write('alpha.netwright.json', '{"epochs":9}', { ifVersion: openedB.version });
    expect(savedB.version).not.toBe(openedA.version);
    await expect(a.write('alpha.netwright.json', '{"epochs":7}', { ifVersion: openedA.version })).rejects.toMatchObject({ code: 'E_FILE_CHANGED' });
    expect(readFileSync(ws('alpha.netwright.json'), 'utf8')).toBe('{"epochs":9}');
    // B saves again over its own version: fine.
    await b.write('alpha.netwright.json', '{"epochs":10}', { ifVersion: savedB.version });
    expect(readFileSync(ws('alpha.netwright.json'), 'utf8')).toBe('{"epochs":10}');
  });

  it('two saves over one version at the same moment: one is written, the other refused', async () => {
    const [a, b] = [tab(), tab()];
    const { version } = await a.write('beta.netwright.json', '{"v":0}', { ifAbsent: true });
    const results = await Promise.allSettled([a.write('beta.netwright.json', '{"v":"a"}', { ifVersion: version }), b.write('beta.netwright.json', '{"v":"b"}', { ifVersion: version })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const won = results[0].status === 'fulfilled' ? 'a' : 'b';
    expect(readFileSync(ws('beta.netwright.json'), 'utf8')).toBe(`{"v":"${won}"}`);
  });

  it('12 concurrent uploads of race.csv: 12 files, each with its own bytes', async () => {
    const a = tab();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => a.uploadData!('race.csv', 'file', [{ path: 'race.csv', data: b64(`x,y\n${i},${i}\n`) }], false)));
    const names = readdirSync(ws('data')).filter((n) => n.startsWith('race'));
    expect(names).toHaveLength(12);
    expect(new Set(answers.map((r) => r.path)).size).toBe(12);
    const contents = names.map((n) => readFileSync(ws('data', n), 'utf8')).sort();
    expect(contents).toEqual(Array.from({ length: 12 }, (_, i) => `x,y\n${i},${i}\n`).sort());
    expect(readdirSync(ws('data')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a JSON export over the 80 MiB a request may carry (a 17.3 M-parameter model: ~88 MiB) is written whole, in parts', async () => {
    const bytes = Buffer.alloc(92 * 10 ** 6);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    bytes.write('{"format":"netwright.model"', 0);
    const w = await tab().writeExport('big.netwright-model.json', 'file', [{ path: 'model.json', data: b64(bytes) }]);
    expect(w.path).toBe(path.join('exports', 'big.netwright-model.json'));
    expect(statSync(w.full).size).toBe(bytes.length);
    expect(readFileSync(w.full).equals(bytes)).toBe(true);
  }, 60_000);
});

describe('file messages and upload names', () => {
  it('an upload named ".hidden" is refused with a code (the data list would hide it), and nothing is written', async () => {
    const a = tab();
    await expect(a.uploadData!('.hidden.csv', 'file', [{ path: '.hidden.csv', data: b64('x\n1\n') }], false)).rejects.toMatchObject({ code: 'E_FILE_HIDDEN_NAME' });
    await expect(a.uploadData!('.pets', 'folder', [{ path: 'cats/1.png', data: b64('png') }], false)).rejects.toMatchObject({ code: 'E_FILE_HIDDEN_NAME' });
    expect(existsSync(ws('data', '.hidden.csv'))).toBe(false);
    expect(existsSync(ws('data', '.pets'))).toBe(false);
  });

  it("a name too long for the file system, a folder export that climbs out: answered without the host's absolute paths", async () => {
    const root = server.workspaceDir;
    const s = new FileService({ workspaceDir: root, stateDir: path.join(root, '.netwright') });
    const long = `${'n'.repeat(250)}.csv`;
    const r = await callFileOp(s, 'uploadData', [long, 'file', [{ path: long, data: b64('a\n1\n') }], false]);
    expect(r).toMatchObject({ ok: false, error: { code: 'E_FILE_IO' } });
    expect(JSON.stringify(r)).not.toContain(root);
    const escape = await callFileOp(s, 'writeExport', ['bad-pytorch', 'folder', [{ path: '../../outside.txt', data: b64('x') }], null]);
    expect(escape).toMatchObject({ ok: false, error: { code: 'E_EXPORT_WRITE' } });
    expect(JSON.stringify(escape)).not.toContain(root);
  });
});
