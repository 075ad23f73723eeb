/**
 * Escape closes the dialog on top with the handler its × / Cancel button calls (#85): Modal puts
 * each dialog on its window's stack (openDialog); a dialog without a close handler takes Escape
 * and does nothing; an Escape that something inside the dialog claimed first (a menu that closed, a
 * field that reverted) or that an input method is composing closes nothing.
 */
import { describe, expect, it } from 'vitest';
import { dialogOpen, openDialog } from '../../../src-renderer/src/components/dialog-escape';
import { COMMANDS, commandForKey, commandRuns } from '../../../src-renderer/src/components/commands';

/** A keydown as the window hears it; `claimed`: preventDefault called by a listener before (the document's). */
function press(target: EventTarget, key: string, { claimed = false, composing = false } = {}): Event {
  const e = Object.assign(new Event('keydown', { cancelable: true }), { key, isComposing: composing });
  if (claimed) e.preventDefault();
  target.dispatchEvent(e);
  return e;
}

describe('Escape and the dialogs', () => {
  it('closes the dialog on top with its own handler, then the one under it, and only on Escape', () => {
    const window = new EventTarget();
    const closed: string[] = [];
    expect(dialogOpen(window)).toBe(false);
    const offQuantize = openDialog(window, () => closed.push('quantize'));
    const offConfirm = openDialog(window, () => closed.push('confirm'));
    expect(dialogOpen(window)).toBe(true);
    press(window, 'a');
    press(window, 'Enter');
    expect(closed).toEqual([]);
    const e = press(window, 'Escape');
    expect(closed).toEqual(['confirm']);
    expect(e.defaultPrevented).toBe(true);
    // Its handler decides: a dialog that stays open (busy) stays on top, and Escape asks it again.
    press(window, 'Escape');
    expect(closed).toEqual(['confirm', 'confirm']);
    offConfirm();
    press(window, 'Escape');
    expect(closed).toEqual(['confirm', 'confirm', 'quantize']);
    offQuantize();
    expect(dialogOpen(window)).toBe(false);
    expect(press(window, 'Escape').defaultPrevented).toBe(false);
    expect(closed.length).toBe(3);
  });

  it('leaves an Escape that a menu or field inside claimed, and one an input method composes', () => {
    const window = new EventTarget();
    const closed: number[] = [];
    const off = openDialog(window, () => closed.push(1));
    press(window, 'Escape', { claimed: true });
    press(window, 'Escape', { composing: true });
    expect(closed).toEqual([]);
    press(window, 'Escape');
    expect(closed).toEqual([1]);
    off();
  });

  it('a question that must be answered takes Escape and closes nothing, the dialogs under it included', () => {
    const window = new EventTarget();
    const closed: string[] = [];
    const offUnder = openDialog(window, () => closed.push('under'));
    const offQuestion = openDialog(window, undefined);
    expect(press(window, 'Escape').defaultPrevented).toBe(true);
    expect(closed).toEqual([]);
    offQuestion();
    press(window, 'Escape');
    expect(closed).toEqual(['under']);
    offUnder();
  });

  it('each window has its own stack, taken off in any order', () => {
    const [a, b] = [new EventTarget(), new EventTarget()];
    const closed: string[] = [];
    const offA1 = openDialog(a, () => closed.push('a1'));
    const offA2 = openDialog(a, () => closed.push('a2'));
    openDialog(b, () => closed.push('b'));
    offA1();
    offA1();
    press(a, 'Escape');
    expect(closed).toEqual(['a2']);
    offA2();
    press(a, 'Escape');
    expect(closed).toEqual(['a2']);
    expect([dialogOpen(a), dialogOpen(b)]).toEqual([false, true]);
  });

  it("the window's shortcuts leave the design alone while a dialog is open: Escape clears the selection only without one", () => {
    const escape = commandForKey({ key: 'Escape', ctrlKey: false, metaKey: false, shiftKey: false })!;
    const remove = COMMANDS.find((c) => c.id === 'delete')!;
    const save = COMMANDS.find((c) => c.id === 'save')!;
    // Escape: without a dialog, also from a field; with one, the dialog's own Escape closes it.
    expect([commandRuns(escape, { typing: false, dialog: false }), commandRuns(escape, { typing: true, dialog: false }), commandRuns(escape, { typing: false, dialog: true })]).toEqual([true, true, false]);
    // Backspace behind Export ▸ Quantize… deletes nothing; Save works whatever is open.
    expect([commandRuns(remove, { typing: false, dialog: true }), commandRuns(remove, { typing: true, dialog: false }), commandRuns(remove, { typing: false, dialog: false })]).toEqual([false, false, true]);
    expect(commandRuns(save, { typing: true, dialog: true })).toBe(true);
  });
});
