/**
 * The app menu's commands in the page (Electron: src-contracts/app-menu.ts). The part of the page
 * that owns a command registers what it does while it is on screen (the keyboard table's commands
 * in App.tsx, Export in the Export menu, the Train commands in the Train dock); a command chosen
 * while nothing can run it is answered with a notice, never silently dropped.
 */
import { MENU_COMMANDS, type RendererMenuCommandId } from '../../../src-contracts/app-menu';

const handlers = new Map<RendererMenuCommandId, () => void>();

/** Run `handler` when the menu's `id` is chosen, until the returned function is called. */
export function handleMenuCommand(id: RendererMenuCommandId, handler: () => void): () => void {
  handlers.set(id, handler);
  return () => {
    if (handlers.get(id) === handler) handlers.delete(id);
  };
}

/**
 * Run the command main sent (unvalidated: any value): `ran`; `unavailable` (a command of the
 * page's that nothing can run now: its label, for the notice); `unknown` (not a page command).
 */
export function runMenuCommand(raw: unknown): { outcome: 'ran' } | { outcome: 'unavailable'; label: string } | { outcome: 'unknown' } {
  if (typeof raw !== 'string' || !Object.hasOwn(MENU_COMMANDS, raw)) return { outcome: 'unknown' };
  const id = raw as keyof typeof MENU_COMMANDS;
  if (MENU_COMMANDS[id].by !== 'renderer') return { outcome: 'unknown' };
  const handler = handlers.get(id as RendererMenuCommandId);
  if (!handler) return { outcome: 'unavailable', label: MENU_COMMANDS[id].label };
  handler();
  return { outcome: 'ran' };
}
