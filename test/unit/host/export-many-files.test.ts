import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callFileOp, FileService } from '../../../src-main/host/files';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * Issue #82's journey in web mode: Export ▸ PyTorch… of a resnet18 fine-tuned on 573 icons failed
 * at once with "The request holds more than 208 values": the export carries the user's image files,
 * one each, and `beginExport` took at most 64 files. The engine lists up to 100,000 (model.exportOpen).
 */
describe('a streamed export of many files', () => {
  it('web mode: a PyTorch folder with 600 image files begins, streams and commits through the file channel', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-exp-many-'));
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const files = [{ path: 'model.py', text: 'import torch\n' }, ...Array.from({ length: 600 }, (_, i) => ({ path: `data/icons/c${i % 5}/${i}.png`, text: `png ${i}` }))];
    const begun = await callFileOp(s, 'beginExport', ['icons', 'folder', files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.text) }))]);
    expect(begun).toMatchObject({ ok: true });
    const { id } = (begun as { result: { id: string } }).result;
    for (const [seq, f] of files.entries()) expect(await callFileOp(s, 'appendExport', [id, seq, f.path, b64(f.text)])).toMatchObject({ ok: true });
    const done = await callFileOp(s, 'commitExport', [id]);
    expect(done).toMatchObject({ ok: true });
    const full = (done as { result: { full: string } }).result.full;
    expect(readdirSync(path.join(full, 'data', 'icons', 'c3')).length).toBe(120);
    expect(readFileSync(path.join(full, 'data', 'icons', 'c4', '599.png'), 'utf8')).toBe('png 599');
  });

  it('a list past the engine’s 100,000 files is still refused before it is parsed', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-exp-many-'));
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const many = Array.from({ length: 100_001 }, (_, i) => ({ path: `f${i}.png`, bytes: 1 }));
    expect(await callFileOp(s, 'beginExport', ['icons', 'folder', many])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
  });
});
