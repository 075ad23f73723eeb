import { describe, expect, it, beforeEach } from 'vitest';
import { COMMANDS, commandForKey, commandRuns, helpRows, type KeyPress } from '../../../src-renderer/src/components/commands';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

/** The help overlay as it was written by hand before the commands table fed it (issue #28). */
const HELP_BEFORE = [
  { keys: 'Mod+Z', action: 'Undo' },
  { keys: 'Mod+Shift+Z / Mod+Y', action: 'Redo' },
  { keys: 'Mod+C / Mod+V', action: 'Copy / paste nodes' },
  { keys: 'Mod+D', action: 'Duplicate selection' },
  { keys: 'Delete / Backspace', action: 'Delete selection' },
  { keys: 'Mod+G / Mod+Shift+G', action: 'Group the selected nodes (one card you can open) / ungroup' },
  // Added with nested groups (#29 item 2).
  { keys: 'Shift+E / Shift+C', action: 'Open / fold every group (laid out again)' },
  { keys: 'Mod+A', action: 'Select all' },
  { keys: 'Shift+drag', action: 'Box select' },
  { keys: 'Mod+click', action: 'Add to selection' },
  { keys: 'Double-click canvas', action: 'Search and add an op' },
  { keys: 'Mod+N', action: 'New project' },
  { keys: 'Mod+O', action: 'Open…' },
  { keys: 'Mod+S / Mod+Shift+S', action: 'Save / Save As…' },
  { keys: 'Shift+L', action: 'Auto-layout' },
  { keys: 'Shift+F', action: 'Zoom to fit' },
  { keys: 'Shift+W', action: 'Watch / design: fold the side panels away and open the Train dock, and back' },
  { keys: '?', action: 'This help' },
  { keys: 'Escape', action: 'Close dialogs' },
];

const press = (key: string, mods: { ctrl?: boolean; meta?: boolean; shift?: boolean } = {}): KeyPress => ({ key, ctrlKey: !!mods.ctrl, metaKey: !!mods.meta, shiftKey: !!mods.shift });

describe('the commands table', () => {
  it('lists the help overlay the key handler binds, row for row', () => {
    expect(helpRows()).toEqual(HELP_BEFORE);
  });

  it('has unique ids and binds no chord twice', () => {
    expect(new Set(COMMANDS.map((c) => c.id)).size).toBe(COMMANDS.length);
    const chords = COMMANDS.filter((c) => c.run).flatMap((c) => c.keys);
    expect(new Set(chords).size).toBe(chords.length);
  });

  it.each([
    [press('z', { ctrl: true }), 'undo'],
    [press('Z', { ctrl: true, shift: true }), 'redo'],
    [press('z', { meta: true }), 'undo'],
    [press('y', { ctrl: true }), 'redo'],
    [press('Y', { ctrl: true, shift: true }), 'redo'],
    [press('c', { ctrl: true }), 'copy'],
    [press('v', { meta: true }), 'paste'],
    [press('d', { ctrl: true }), 'duplicate'],
    [press('a', { ctrl: true }), 'select-all'],
    [press('g', { ctrl: true }), 'group'],
    [press('G', { ctrl: true, shift: true }), 'ungroup'],
    [press('o', { ctrl: true }), 'open'],
    [press('n', { ctrl: true }), 'new'],
    [press('s', { ctrl: true }), 'save'],
    [press('S', { ctrl: true, shift: true }), 'save-as'],
    [press('Delete'), 'delete'],
    [press('Backspace', { shift: true }), 'delete'],
    [press('L', { shift: true }), 'layout'],
    [press('F', { shift: true }), 'fit'],
    [press('W', { shift: true }), 'focus'],
    [press('?', { shift: true }), 'help'],
    [press('?', { ctrl: true, shift: true }), 'help'],
    [press('Escape'), 'escape'],
    [press('Escape', { ctrl: true }), 'escape'],
  ])('%o fires %s', (e, id) => {
    expect(commandForKey(e)?.id).toBe(id);
  });

  it.each([[press('z')], [press('l')], [press('L', { shift: true, ctrl: true })], [press('Delete', { ctrl: true })], [press('x', { ctrl: true })], [press('f')]])('%o fires nothing', (e) => {
    expect(commandForKey(e)).toBeUndefined();
  });

  it("Escape clears the selection; an open dialog (a question included) is the dialog's own Escape to close (dialog-escape.test.ts)", () => {
    const ctx = { w, files: { newProject: async () => {}, open: async () => {}, save: async () => true, saveAs: async () => true }, fitView: () => {} };
    const escape = commandForKey(press('Escape'))!;
    w.editor.getState().select(['n1']);
    w.session.getState().setDialog('add-data');
    expect(commandRuns(escape, { typing: false, dialog: true })).toBe(false);
    // Add data closes through its own close (its scan stopped), never by the session's dialog set to none behind it.
    expect(w.session.getState().dialog).toBe('add-data');
    expect(w.editor.getState().selectedNodes.size).toBe(1);
    escape.run!(ctx);
    expect(w.editor.getState().selectedNodes.size).toBe(0);
  });
});
