/**
 * The desktop app's menu, declared once as data (issue #46): which commands it offers, under which
 * heading, with which label and keys. Electron main builds the native menu from it
 * (src-main/electron/app-menu.ts) and runs the `host` commands itself; a `renderer` command's id
 * goes to the window, where the part of the page that owns it runs it (state/menu-commands.ts:
 * the keyboard table's commands, components/commands.ts, whose keys a test holds equal to these;
 * the Export menu; the Train dock). Imports nothing: the preload and both hosts may read it.
 */

/** One menu command. `keys` as the renderer's table writes them (`Mod` = Ctrl, or ⌘ on macOS). */
export interface MenuCommandSpec {
  readonly label: string;
  readonly keys?: string;
  /**
   * Who runs it: `renderer` (main sends its id to the window), or `host` (main does it itself:
   * the docs; Import ONNX… and View ONNX…, whose native dialog's file goes to the window as a
   * double-clicked `.onnx` does, to import or to show read-only). `keyboard`: the renderer's key handler already binds its keys, so the menu shows
   * them without registering them (a text field keeps its own Ctrl+Z, say).
   */
  readonly by: 'renderer' | 'host';
  readonly keyboard?: true;
}

export const MENU_COMMANDS = {
  new: { label: 'New project', keys: 'Mod+N', by: 'renderer', keyboard: true },
  open: { label: 'Open…', keys: 'Mod+O', by: 'renderer', keyboard: true },
  save: { label: 'Save', keys: 'Mod+S', by: 'renderer', keyboard: true },
  'save-as': { label: 'Save As…', keys: 'Mod+Shift+S', by: 'renderer', keyboard: true },
  'import-onnx': { label: 'Import ONNX…', by: 'host' },
  'view-onnx': { label: 'View ONNX…', by: 'host' },
  export: { label: 'Export…', by: 'renderer' },
  undo: { label: 'Undo', keys: 'Mod+Z', by: 'renderer', keyboard: true },
  redo: { label: 'Redo', keys: 'Mod+Shift+Z', by: 'renderer', keyboard: true },
  layout: { label: 'Auto-layout', keys: 'Shift+L', by: 'renderer', keyboard: true },
  fit: { label: 'Zoom to fit', keys: 'Shift+F', by: 'renderer', keyboard: true },
  focus: { label: 'Watch / design', keys: 'Shift+W', by: 'renderer', keyboard: true },
  'train-start': { label: 'Start', by: 'renderer' },
  'train-pause': { label: 'Pause', by: 'renderer' },
  'train-stop': { label: 'Stop', by: 'renderer' },
  'sanity-check': { label: 'Sanity check', by: 'renderer' },
  docs: { label: 'Documentation', by: 'host' },
  help: { label: 'Keyboard shortcuts', keys: '?', by: 'renderer', keyboard: true },
} as const satisfies Record<string, MenuCommandSpec>;

export type MenuCommandId = keyof typeof MENU_COMMANDS;

type CommandsBy<B> = { [K in MenuCommandId]: (typeof MENU_COMMANDS)[K]['by'] extends B ? K : never }[MenuCommandId];
/** The commands main sends to the window. */
export type RendererMenuCommandId = CommandsBy<'renderer'>;
/** The commands main runs itself (a record over them in main.ts: one missing fails to compile). */
export type HostMenuCommandId = CommandsBy<'host'>;

/** An entry of a heading: a command, a separator, or one of Electron's roles (text editing, zoom, window). */
export type MenuEntry = MenuCommandId | '-' | { readonly role: string; readonly devOnly?: true };

export interface MenuHeading {
  readonly label: 'File' | 'Edit' | 'View' | 'Train' | 'Window' | 'Help';
  readonly entries: readonly MenuEntry[];
}

/**
 * The menu, heading by heading. Edit keeps Electron's text roles (a field's cut, copy, paste and
 * select all, which macOS routes through the menu); View's reload and DevTools are for
 * development only: a packaged build leaves them out.
 */
export const APP_MENU: readonly MenuHeading[] = [
  { label: 'File', entries: ['new', 'open', '-', 'save', 'save-as', '-', 'import-onnx', 'view-onnx', 'export', '-', { role: 'quit' }] },
  { label: 'Edit', entries: ['undo', 'redo', '-', { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
  {
    label: 'View',
    entries: ['fit', 'layout', 'focus', '-', { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, '-', { role: 'togglefullscreen' }, '-', { role: 'reload', devOnly: true }, { role: 'toggleDevTools', devOnly: true }],
  },
  { label: 'Train', entries: ['train-start', 'train-pause', 'train-stop', '-', 'sanity-check'] },
  { label: 'Window', entries: [{ role: 'minimize' }, { role: 'close' }] },
  { label: 'Help', entries: ['docs', 'help'] },
];
