/**
 * Export of a diverged run (#44 item 8): the engine's `E_EXPORT_DIVERGED` warning is asked about
 * before anything is written; declined, nothing is, and the notice carries the code.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostFiles } from '../../../src-contracts/host';
import type { RpcClient } from '../../../src-engine/protocol';
import { useConfirm } from '../../../src-renderer/src/state/confirm-store';
import { useEngine } from '../../../src-renderer/src/state/engine-store';
import { useSession } from '../../../src-renderer/src/state/session-store';
import { exportModel } from '../../../src-renderer/src/training/export';

const warning = { code: 'E_EXPORT_DIVERGED' as const, message: 'This run diverged at step 57 (fc1): the loss exploded, and it ended there.' };

function setup() {
  const request = vi.fn(async () => ({ format: 'json', kind: 'file', name: 'm.netwright-model.json', files: [{ path: 'm.netwright-model.json', data: new Uint8Array([1]) }], warning }));
  useEngine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient });
  const writeExport = vi.fn(async (name: string) => ({ path: name, full: `/exports/${name}` }));
  const files = { writeExport } as unknown as HostFiles;
  return { files, writeExport };
}

afterEach(() => useConfirm.setState({ question: undefined }));

describe('exporting a diverged run', () => {
  it('asks first, saying why with the code; declined, writes nothing', async () => {
    const { files, writeExport } = setup();
    const done = exportModel(files, 'json', { kind: 'run', id: 'r1', which: 'last' });
    await vi.waitFor(() => expect(useConfirm.getState().question).toBeDefined());
    expect(useConfirm.getState().question).toMatchObject({ title: 'Export a diverged run?', message: expect.stringContaining('step 57'), confirm: 'Export anyway' });
    expect(useConfirm.getState().question!.message).toContain('E_EXPORT_DIVERGED');
    useConfirm.getState().answer(false);
    expect(await done).toBe(false);
    expect(writeExport).not.toHaveBeenCalled();
    expect(useSession.getState().notice).toMatchObject({ code: 'E_EXPORT_DIVERGED' });
  });
});
