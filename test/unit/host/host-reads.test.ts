/**
 * Issue #57: the host reads a project, the file a save checks the version of, and its state files
 * (recent.json, recovery.json) as the engine reads data (readRegularFile): a FIFO put in place
 * is refused, never waited on. Each FIFO's writer comes after 5 s (test/unit/fifo.ts), so code
 * that waited on it fails here rather than hanging the run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileService, callFileOp } from '../../../src-main/host/files';
import { boundedFifo } from '../fifo';

describe('the host never waits on a FIFO where it reads a file', () => {
  const fifos: { release(): void }[] = [];
  afterEach(() => fifos.splice(0).forEach((f) => f.release()));
  const fifo = (dir: string, name: string) => {
    const f = boundedFifo(dir, name);
    if (f) fifos.push(f);
    return f;
  };

  it('a save checking the version of a file that became a FIFO: E_FILE_CHANGED at once, nothing written', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-host-fifo-'));
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const { version } = await s.write('p.netwright.json', '1', { replace: true });
    rmSync(path.join(ws, 'p.netwright.json'));
    if (!fifo(ws, 'p.netwright.json')) return; // no mkfifo here
    const t0 = Date.now();
    expect(await callFileOp(s, 'write', ['p.netwright.json', '2', { ifVersion: version }])).toMatchObject({ ok: false, error: { code: 'E_FILE_CHANGED' } });
    expect(Date.now() - t0, 'ms').toBeLessThan(4000);
    expect(await callFileOp(s, 'read', ['p.netwright.json'])).toMatchObject({ ok: false, error: { code: 'E_FILE_NOT_A_FILE' } });
  }, 20_000);

  it('a FIFO as recent.json is no list of recent files (empty), not a hang', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-host-fifo-'));
    const state = path.join(ws, '.netwright');
    mkdirSync(state);
    if (!fifo(state, 'recent.json')) return;
    const s = new FileService({ workspaceDir: ws, stateDir: state });
    const t0 = Date.now();
    expect(await s.recent()).toEqual([]);
    expect(Date.now() - t0, 'ms').toBeLessThan(4000);
  }, 20_000);
});
