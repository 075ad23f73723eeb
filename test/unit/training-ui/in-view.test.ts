import { describe, expect, it } from 'vitest';
import { heldValue } from '../../../src-renderer/src/components/in-view';

describe('a live card off screen', () => {
  it('follows the latest value while in view', () => {
    let held = heldValue(undefined, 'frame 1', 'run A', true);
    held = heldValue(held, 'frame 2', 'run A', true);
    expect(held.value).toBe('frame 2');
  });

  it('keeps what it drew last while out of view, and catches up when it comes back', () => {
    let held = heldValue(undefined, 'frame 1', 'run A', true);
    const drawn = held;
    held = heldValue(held, 'frame 2', 'run A', false);
    held = heldValue(held, 'frame 3', 'run A', false);
    // The same object: a memoised body below it does not render at all.
    expect(held).toBe(drawn);
    held = heldValue(held, 'frame 3', 'run A', true);
    expect(held.value).toBe('frame 3');
  });

  it('never shows another run: a new run updates it even out of view', () => {
    let held = heldValue(undefined, 'A, last frame', 'run A', true);
    held = heldValue(held, 'B, first frame', 'run B', false);
    expect(held).toEqual({ value: 'B, first frame', epoch: 'run B' });
    held = heldValue(held, 'B, second frame', 'run B', false);
    expect(held.value).toBe('B, first frame');
  });

  it('returns the same object for an unchanged value, so renders settle', () => {
    const held = heldValue(undefined, 'frame 1', 'run A', true);
    expect(heldValue(held, 'frame 1', 'run A', true)).toBe(held);
    expect(heldValue(held, 'frame 1', 'run A', false)).toBe(held);
  });
});
