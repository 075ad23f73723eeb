import { describe, expect, it, vi } from 'vitest';
import { MENU_COMMANDS } from '../../../src-contracts/app-menu';
import { COMMANDS } from '../../../src-renderer/src/components/commands';
import { handleMenuCommand, runMenuCommand } from '../../../src-renderer/src/state/menu-commands';
import { checkOpenedFile } from '../../../src-renderer/src/editor/open-from-host';

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
    expect(checkOpenedFile({ kind: 'run', name: 'x' })).toBeUndefined();
    expect(checkOpenedFile(null)).toBeUndefined();
  });
});
