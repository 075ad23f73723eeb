/**
 * The native menu's template from the declared menu (src-contracts/app-menu.ts): a pure function,
 * so that what each heading holds is tested without Electron (test/unit/host/app-menu.test.ts).
 */
import type { MenuItemConstructorOptions } from 'electron';
import { APP_MENU, MENU_COMMANDS, type MenuCommandId, type MenuHeading } from '../../src-contracts/app-menu';

/**
 * What Help ▸ Documentation opens, under the docs folder (shipped beside a packaged app by
 * electron-builder's `extraResources`, the checkout's under `npm run dev`): the user guide's index.
 */
export const DOCS_ENTRY = 'guide/README.md';

export interface MenuTemplateOptions {
  /** `process.platform`: macOS gets the app menu first and ⌘ for Mod. */
  platform: NodeJS.Platform;
  /** `app.isPackaged`: a packaged build has no reload and no DevTools. */
  packaged: boolean;
  /** A command was chosen (main sends renderer commands to the focused window, runs host ones). */
  run(id: MenuCommandId): void;
}

/** `Mod+Shift+S` as Electron writes accelerators: `CmdOrCtrl+Shift+S`. */
export function accelerator(keys: string): string {
  return keys
    .split('+')
    .map((k) => (k === 'Mod' ? 'CmdOrCtrl' : k))
    .join('+');
}

function commandItem(id: MenuCommandId, run: MenuTemplateOptions['run']): MenuItemConstructorOptions {
  const spec: { label: string; keys?: string; keyboard?: true } = MENU_COMMANDS[id];
  return {
    id,
    label: spec.label,
    click: () => run(id),
    ...(spec.keys ? { accelerator: accelerator(spec.keys) } : {}),
    // The page's key handler binds these keys already (and knows when a field has the keyboard): shown, not registered.
    ...(spec.keys && spec.keyboard ? { registerAccelerator: false } : {}),
  };
}

function headingItems(heading: MenuHeading, options: MenuTemplateOptions): MenuItemConstructorOptions[] {
  const items = heading.entries.flatMap((e): MenuItemConstructorOptions[] => {
    if (e === '-') return [{ type: 'separator' }];
    if (typeof e === 'string') return [commandItem(e, options.run)];
    if (e.devOnly && options.packaged) return [];
    // macOS quits from the app menu, not from File.
    if (e.role === 'quit' && options.platform === 'darwin') return [];
    return [{ role: e.role as MenuItemConstructorOptions['role'] }];
  });
  // No separator first, last or twice in a row (what a left-out entry would leave).
  return items.filter((item, i) => item.type !== 'separator' || (i > 0 && i < items.length - 1 && items[i - 1]?.type !== 'separator'));
}

/** The application menu: File, Edit, View, Train, Window, Help (macOS: the app menu first). */
export function appMenuTemplate(options: MenuTemplateOptions): MenuItemConstructorOptions[] {
  const headings = APP_MENU.map((h): MenuItemConstructorOptions => ({ label: h.label, submenu: headingItems(h, options) }));
  return options.platform === 'darwin' ? [{ role: 'appMenu' }, ...headings] : headings;
}
