/**
 * Export of a diverged run (#44 item 8): the engine's `E_EXPORT_DIVERGED` warning is asked about
 * before anything is written; declined, nothing is, and the notice carries the code.
 */
import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { HostFiles } from '../../../src-contracts/host';
import type { RpcClient } from '../../../src-engine/protocol';
import { exportModel } from '../../../src-renderer/src/training/export';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const warning = { code: 'E_EXPORT_DIVERGED' as const, message: 'This run diverged at step 57 (fc1): the loss exploded, and it ended there.' };

function setup() {
  const request = vi.fn(async (method: string) => (method === 'model.exportOpen' ? { handle: 'export-1', format: 'json', kind: 'file', name: 'm.netwright-model.json', files: [{ path: 'm.netwright-model.json', bytes: 1 }], warning } : {}));
  w.engine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient });
  // Nothing is written: neither streamed (beginExport, the app's Export) nor whole (writeExport).
  const writeExport = vi.fn(async (name: string) => ({ path: name, full: `/exports/${name}` }));
  const beginExport = vi.fn(async () => ({ id: 'export-0000' }));
  const files = { writeExport, beginExport } as unknown as HostFiles;
  return { files, writeExport, beginExport };
}

describe('exporting a diverged run', () => {
  it('asks first, saying why with the code; declined, writes nothing', async () => {
    const { files, writeExport, beginExport } = setup();
    const done = exportModel(w, files, 'json', { kind: 'run', id: 'r1', which: 'last' });
    await vi.waitFor(() => expect(w.confirm.getState().question).toBeDefined());
    expect(w.confirm.getState().question).toMatchObject({ title: 'Export a diverged run?', message: expect.stringContaining('step 57'), confirm: 'Export anyway' });
    expect(w.confirm.getState().question!.message).toContain('E_EXPORT_DIVERGED');
    w.confirm.getState().answer(false);
    expect(await done).toBe(false);
    expect(writeExport).not.toHaveBeenCalled();
    expect(beginExport).not.toHaveBeenCalled();
    expect(w.session.getState().notice).toMatchObject({ code: 'E_EXPORT_DIVERGED' });
  });
});
