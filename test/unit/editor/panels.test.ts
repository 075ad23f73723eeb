import { describe, expect, it } from 'vitest';
import { DEFAULT_PANELS, PANEL_BOUNDS, clampSize, inspectorShown, paletteShown, parsePanels } from '../../../src-renderer/src/state/panels';

describe('panel arrangement read back from storage', () => {
  it('keeps every well-typed field and clamps sizes into their bounds', () => {
    const p = parsePanels(JSON.stringify({ paletteOpen: false, paletteWidth: 10_000, inspectorWidth: 3, dockHeight: 420.6, problemsOpen: false, focus: true, layoutDirection: 'LR' }));
    expect(p).toEqual({
      ...DEFAULT_PANELS,
      paletteOpen: false,
      paletteWidth: PANEL_BOUNDS.paletteWidth[1],
      inspectorWidth: PANEL_BOUNDS.inspectorWidth[0],
      dockHeight: 421,
      problemsOpen: false,
      focus: true,
      layoutDirection: 'LR',
    });
  });

  it('falls back to the defaults for missing, mistyped or unreadable values', () => {
    expect(parsePanels(null)).toEqual(DEFAULT_PANELS);
    expect(parsePanels('not json {')).toEqual(DEFAULT_PANELS);
    expect(parsePanels('[1,2]')).toEqual(DEFAULT_PANELS);
    expect(parsePanels(JSON.stringify({ paletteOpen: 'no', dockHeight: '300', layoutDirection: 'RL', inspectorWidth: null }))).toEqual(DEFAULT_PANELS);
    expect(clampSize('dockHeight', Number.NaN)).toBe(DEFAULT_PANELS.dockHeight);
  });

  it('a focused (watching) workspace hides both side panels but remembers whether they were open', () => {
    const designing = { ...DEFAULT_PANELS, paletteOpen: true, inspectorOpen: false };
    expect([paletteShown(designing), inspectorShown(designing)]).toEqual([true, false]);
    const watching = { ...designing, focus: true };
    expect([paletteShown(watching), inspectorShown(watching)]).toEqual([false, false]);
    const back = { ...watching, focus: false };
    expect([paletteShown(back), inspectorShown(back)]).toEqual([true, false]);
  });
});
