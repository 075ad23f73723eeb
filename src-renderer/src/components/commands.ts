import type { ProjectFiles } from '../editor/files';
import { canvasAspect, layoutToView } from './canvas-view';
import { toggleFocus } from './panels';
import type { WindowStores } from '../state/window-stores';

/** What a command acts on: the window's stores, the project's file commands and the canvas's view. */
export interface CommandContext {
  /** The window's stores the command acts on. */
  w: WindowStores;
  files: Pick<ProjectFiles, 'newProject' | 'open' | 'save' | 'saveAs'>;
  /** Zoom the canvas to fit the design (animated). */
  fitView(): void;
}

/**
 * One thing the user can do from the keyboard, declared once: the key handler (`commandForKey`,
 * bound in App.tsx) and the help overlay (`helpRows`) both read `COMMANDS`.
 */
export interface Command {
  id: string;
  /** What it does, as the help lists it. */
  label: string;
  /**
   * Its key chords, e.g. `Mod+Shift+Z` (`Mod` = Ctrl, or ⌘ on macOS). A chord without `Shift` also
   * fires with Shift held unless another command binds that chord with `Shift`. A command without
   * `run` is a pointer gesture the canvas handles itself (`Shift+drag`): listed, not bound.
   */
  keys: readonly string[];
  run?(ctx: CommandContext): void;
  /** Also while a field has the keyboard, a dialog is open or a question is asked (Save). */
  always?: true;
  /** Also while a field has the keyboard, not while a dialog is open (Escape: the dialog's own Escape closes it). */
  whileTyping?: true;
  /** Fires with or without Ctrl/⌘ held (Escape, `?`). */
  anyMod?: true;
  /** Keep the browser's default for the keys (copy, paste, Escape, the Shift+letter view keys); else it is prevented. */
  browserDefault?: true;
  /** Listed in one help row (this label) with the neighbouring commands of the same row. */
  row?: string;
}

function allGroups(open: boolean, c: CommandContext): void {
  c.w.editor.getState().setAllGroupsOpen(open, canvasAspect());
  setTimeout(() => c.fitView(), 50);
}

/** Every keyboard command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  { id: 'undo', label: 'Undo', keys: ['Mod+Z'], run: ({ w }) => w.editor.getState().undo() },
  { id: 'redo', label: 'Redo', keys: ['Mod+Shift+Z', 'Mod+Y'], run: ({ w }) => w.editor.getState().redo() },
  { id: 'copy', label: 'Copy nodes', keys: ['Mod+C'], run: ({ w }) => w.editor.getState().copySelection(), browserDefault: true, row: 'Copy / paste nodes' },
  { id: 'paste', label: 'Paste nodes', keys: ['Mod+V'], run: ({ w }) => w.editor.getState().paste(), browserDefault: true, row: 'Copy / paste nodes' },
  { id: 'duplicate', label: 'Duplicate selection', keys: ['Mod+D'], run: ({ w }) => w.editor.getState().duplicateSelection() },
  { id: 'delete', label: 'Delete selection', keys: ['Delete', 'Backspace'], run: ({ w }) => w.editor.getState().removeSelection() },
  { id: 'group', label: 'Group the selected nodes (one card you can open)', keys: ['Mod+G'], run: ({ w }) => w.editor.getState().groupSelection(), row: 'Group the selected nodes (one card you can open) / ungroup' },
  { id: 'ungroup', label: 'Ungroup', keys: ['Mod+Shift+G'], run: ({ w }) => w.editor.getState().ungroupSelection(), row: 'Group the selected nodes (one card you can open) / ungroup' },
  { id: 'open-groups', label: 'Open every group', keys: ['Shift+E'], run: (c) => allGroups(true, c), browserDefault: true, row: 'Open / fold every group (laid out again)' },
  { id: 'fold-groups', label: 'Fold every group', keys: ['Shift+C'], run: (c) => allGroups(false, c), browserDefault: true, row: 'Open / fold every group (laid out again)' },
  { id: 'select-all', label: 'Select all', keys: ['Mod+A'], run: ({ w }) => w.editor.getState().select(w.editor.getState().history.present.graph.nodes.map((n) => n.id)) },
  { id: 'box-select', label: 'Box select', keys: ['Shift+drag'] },
  { id: 'add-to-selection', label: 'Add to selection', keys: ['Mod+click'] },
  { id: 'quick-add', label: 'Search and add an op', keys: ['Double-click canvas'] },
  { id: 'new', label: 'New project', keys: ['Mod+N'], run: (c) => void c.files.newProject() },
  { id: 'open', label: 'Open…', keys: ['Mod+O'], run: (c) => void c.files.open() },
  { id: 'save', label: 'Save', keys: ['Mod+S'], run: (c) => void c.files.save(), always: true, row: 'Save / Save As…' },
  { id: 'save-as', label: 'Save As…', keys: ['Mod+Shift+S'], run: (c) => void c.files.saveAs(), always: true, row: 'Save / Save As…' },
  {
    id: 'layout',
    label: 'Auto-layout',
    keys: ['Shift+L'],
    run: (c) => {
      layoutToView(c.w);
      setTimeout(() => c.fitView(), 50);
    },
    browserDefault: true,
  },
  { id: 'fit', label: 'Zoom to fit', keys: ['Shift+F'], run: (c) => c.fitView(), browserDefault: true },
  { id: 'focus', label: 'Watch / design: fold the side panels away and open the Train dock, and back', keys: ['Shift+W'], run: ({ w }) => toggleFocus(w), browserDefault: true },
  { id: 'help', label: 'This help', keys: ['?'], run: ({ w }) => w.session.getState().setDialog('help'), anyMod: true, browserDefault: true },
  // A dialog closes itself on Escape (Modal, dialog-escape.ts), with the handler its button calls:
  // Add data's stops its scan, a question is answered "no". Without a dialog, Escape clears the selection.
  { id: 'escape', label: 'Close dialogs', keys: ['Escape'], run: ({ w }) => w.editor.getState().select([], []), whileTyping: true, anyMod: true, browserDefault: true },
];

/** What stands between a key and the design: a field that has the keyboard, an open dialog or question. */
export interface KeyFocus {
  typing: boolean;
  dialog: boolean;
}

/** Whether `command` runs for a key pressed now: a command for the design waits while a field has the keyboard or a dialog is open. */
export function commandRuns(command: Command, now: KeyFocus): boolean {
  if (!command.run) return false;
  if (command.always) return true;
  return !now.dialog && (!now.typing || command.whileTyping === true);
}

interface Chord {
  mod: boolean;
  shift: boolean;
  key: string;
}

function parseChord(chord: string): Chord {
  const parts = chord.split('+');
  // `?` is typed with Shift on most layouts; the chord names the character, not the keys.
  const key = parts[parts.length - 1]!;
  return { mod: parts.includes('Mod'), shift: parts.slice(0, -1).includes('Shift'), key: key.length === 1 ? key.toLowerCase() : key };
}

/** What a key handler reads of a keydown. */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'>;

const BOUND = COMMANDS.flatMap((command) => (command.run ? command.keys.map((k) => ({ command, chord: parseChord(k) })) : []));

/** The command a key press fires, if any: a chord with its exact Shift state first, else one that does not name Shift. */
export function commandForKey(e: KeyPress): Command | undefined {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const candidates = BOUND.filter(({ command, chord }) => chord.key === key && (command.anyMod || chord.mod === mod));
  const exact = candidates.find(({ chord }) => chord.shift === e.shiftKey);
  const loose = candidates.find(({ chord }) => !chord.shift);
  return (exact ?? loose)?.command;
}

/** The help overlay's rows: each command's keys and label, commands of one `row` together. */
export function helpRows(commands: readonly Command[] = COMMANDS): { keys: string; action: string }[] {
  const rows: { keys: string; action: string; row?: string }[] = [];
  for (const c of commands) {
    const last = rows[rows.length - 1];
    const keys = c.keys.join(' / ');
    if (c.row && last?.row === c.row) last.keys = `${last.keys} / ${keys}`;
    else rows.push({ keys, action: c.row ?? c.label, ...(c.row ? { row: c.row } : {}) });
  }
  return rows.map(({ keys, action }) => ({ keys, action }));
}
