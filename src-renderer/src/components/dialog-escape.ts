/**
 * Escape closes the dialog on top, with the handler its × / Cancel button calls (`Modal`'s
 * `onClose`), so a dialog that must not close yet answers Escape as it answers its button; a
 * dialog without one (a question that must be answered with its own buttons) takes Escape and does
 * nothing, also for the dialogs under it.
 *
 * Whatever inside the dialog uses Escape itself gets it first: a text field that reverts stops its
 * propagation, a menu or a search box that closes on it calls `preventDefault`; the dialog leaves
 * an Escape so claimed alone, and one typed while an input method composes. Listened to on the
 * window (bubbling, after the document's listeners), one listener per window, a stack of its open
 * dialogs, the last opened on top.
 */

interface OpenDialog {
  close: (() => void) | undefined;
}

/** What the listener reads of a keydown (a DOM `KeyboardEvent` is one). */
type EscapeKey = Pick<KeyboardEvent, 'key' | 'defaultPrevented' | 'isComposing' | 'preventDefault'>;

const stacks = new WeakMap<EventTarget, OpenDialog[]>();

function onKey(stack: readonly OpenDialog[], e: EscapeKey): void {
  if (e.key !== 'Escape' || e.defaultPrevented || e.isComposing) return;
  const top = stack[stack.length - 1];
  if (!top) return;
  // Claimed, also by a dialog that cannot be closed: nothing under it acts on this Escape.
  e.preventDefault();
  top.close?.();
}

/**
 * Puts a dialog on `target`'s stack (the app's `window`): while it is on top, Escape calls `close`
 * (none: Escape does nothing). Returns what takes it off again (the dialog closed).
 *
 * @example
 * useEffect(() => openDialog(window, () => latest.current?.()), []);
 */
export function openDialog(target: EventTarget, close: (() => void) | undefined): () => void {
  let stack = stacks.get(target);
  if (!stack) {
    const created: OpenDialog[] = [];
    stack = created;
    stacks.set(target, created);
    // One listener for the window's life: a dialog opened later does not reorder it behind the document's.
    target.addEventListener('keydown', (e) => onKey(created, e as unknown as EscapeKey));
  }
  const entry: OpenDialog = { close };
  stack.push(entry);
  const own = stack;
  return () => {
    const at = own.indexOf(entry);
    if (at >= 0) own.splice(at, 1);
  };
}

/** Whether a dialog is open on `target` (the app's shortcuts leave the design alone while one is). */
export function dialogOpen(target: EventTarget): boolean {
  return (stacks.get(target)?.length ?? 0) > 0;
}
