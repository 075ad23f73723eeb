import { describe, expect, it, vi } from 'vitest';
import { MENU_COMMANDS } from '../../../src-contracts/app-menu';
import { COMMANDS } from '../../../src-renderer/src/components/commands';
import { handleMenuCommand, runMenuCommand } from '../../../src-renderer/src/state/menu-commands';
import { checkOpenedFile, openFromHost } from '../../../src-renderer/src/editor/open-from-host';
import type { ProjectFiles } from '../../../src-renderer/src/editor/files';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import type { RpcClient } from '../../../src-engine/protocol';

/** The app menu's side in the page (issue #46): the keyboard table behind its keys, and what runs a click. */
describe('the app menu in the page', () => {
  it('a menu command that shows keys the page binds is the keyboard table\'s command with those keys first (the menu shows what works)', () => {
    const keyboard = Object.entries(MENU_COMMANDS).filter(([, spec]) => 'keyboard' in spec);
    expect(keyboard.length).toBeGreaterThan(5);
    for (const [id, spec] of keyboard) {
      const command = COMMANDS.find((c) => c.id === id);
      expect(command?.run, id).toBeDefined();
      expect(command?.keys[0], id).toBe((spec as { keys: string }).keys);
    }
  });

  it('runs the registered handler; a command nothing can run now is "unavailable" with its label; anything else is unknown', () => {
    const start = vi.fn();
    const off = handleMenuCommand('train-start', start);
    expect(runMenuCommand('train-start')).toEqual({ outcome: 'ran' });
    expect(start).toHaveBeenCalledOnce();
    off();
    expect(runMenuCommand('train-start')).toEqual({ outcome: 'unavailable', label: 'Start' });
    // A host command (main runs it), a name not declared, a prototype name, not a string.
    for (const raw of ['docs', 'format-disk', 'toString', 42, null]) expect(runMenuCommand(raw)).toEqual({ outcome: 'unknown' });
  });

  it('an unregistered handler leaves a newer one in place', () => {
    const a = vi.fn();
    const b = vi.fn();
    const offA = handleMenuCommand('export', a);
    const offB = handleMenuCommand('export', b);
    offA();
    runMenuCommand('export');
    expect(b).toHaveBeenCalledOnce();
    offB();
  });

  it('a file main hands over is checked before it opens', () => {
    const version = 'ab'.repeat(32);
    expect(checkOpenedFile({ kind: 'project', file: { path: '/p/a.netwright.json', name: 'a.netwright.json', text: '{}', version } })).toMatchObject({ kind: 'project' });
    expect(checkOpenedFile({ kind: 'onnx', name: 'm.onnx', bytes: new Uint8Array(3) })).toMatchObject({ kind: 'onnx', name: 'm.onnx' });
    expect(checkOpenedFile({ kind: 'project', file: { path: 1 } })).toBeUndefined();
    expect(checkOpenedFile({ kind: 'onnx', name: 'm.onnx', bytes: 'AAAA' })).toBeUndefined();
    // File ▸ View ONNX…'s model: marked to be shown read-only; any other mark is refused.
    expect(checkOpenedFile({ kind: 'onnx', name: 'm.onnx', bytes: new Uint8Array(3), view: true })).toMatchObject({ kind: 'onnx', view: true });
    expect(checkOpenedFile({ kind: 'onnx', name: 'm.onnx', bytes: new Uint8Array(3) })).not.toHaveProperty('view');
    expect(checkOpenedFile({ kind: 'onnx', name: 'm.onnx', bytes: new Uint8Array(3), view: 'import' })).toBeUndefined();
    expect(checkOpenedFile({ kind: 'run', name: 'x' })).toBeUndefined();
    expect(checkOpenedFile(null)).toBeUndefined();
  });

  it("File ▸ View ONNX…'s model is shown read-only (model.inspect): nothing asked, nothing imported, the design stays; without the mark it imports", async () => {
    const w = createWindowStores();
    const summary = { opset: 17 };
    const request = vi.fn(async (method: string) => {
      if (method === 'model.inspect') return summary;
      throw Object.assign(new Error('not read here'), { code: 'E_IMPORT_FORMAT' });
    });
    w.engine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient, state: 'ready' });
    const design = w.editor.getState().history.present.graph;
    const confirmDiscard = vi.fn(async () => false);
    const files = { confirmDiscard } as unknown as ProjectFiles;
    await openFromHost(w, { kind: 'onnx', name: 'm.onnx', bytes: Uint8Array.of(1, 2, 3), view: true }, files);
    expect(request).toHaveBeenCalledOnce();
    expect(request.mock.calls[0].slice(0, 2)).toMatchObject(['model.inspect', { format: 'onnx', data: Uint8Array.of(1, 2, 3) }]);
    expect(w.exports.getState().viewing).toMatchObject({ file: { name: 'm.onnx' }, summary });
    expect(confirmDiscard).not.toHaveBeenCalled();
    expect(w.editor.getState().history.present.graph).toBe(design);
    // The same file without the mark goes to Import ONNX's read (refused here, before anything is asked).
    await openFromHost(w, { kind: 'onnx', name: 'm.onnx', bytes: Uint8Array.of(1, 2, 3) }, files);
    expect(request.mock.calls.map((c) => c[0])).toEqual(['model.inspect', 'model.read']);
  });
});
