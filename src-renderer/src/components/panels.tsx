import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { DEFAULT_PANELS } from '../state/panels';
import { usePanels, useWindow } from '../state/window';
import type { WindowStores } from '../state/window-stores';

type Size = 'paletteWidth' | 'inspectorWidth' | 'dockHeight' | 'focusDockHeight' | 'problemsHeight';

/** Which way dragging grows a panel: its handle sits on the panel's right, left or top edge. */
const GROWS: Record<Size, { axis: 'x' | 'y'; sign: 1 | -1 }> = {
  paletteWidth: { axis: 'x', sign: 1 },
  inspectorWidth: { axis: 'x', sign: -1 },
  dockHeight: { axis: 'y', sign: -1 },
  focusDockHeight: { axis: 'y', sign: -1 },
  problemsHeight: { axis: 'y', sign: -1 },
};

/** Keyboard step of a splitter, px (arrow keys; Home restores the default size). */
const KEY_STEP = 16;

/**
 * The drag handle on a panel's edge: drag (or focus it and use the arrow keys) to resize the
 * panel, double-click or Home for the default size. The size is kept in `usePanels`, so it
 * survives a reload. `max` caps the size by what the window can give right now (the canvas keeps
 * some room).
 */
export function Splitter({ size, label, max }: { size: Size; label: string; max?: () => number }) {
  const w = useWindow();
  const start = useRef<{ at: number; value: number } | undefined>(undefined);
  const value = usePanels((s) => s[size]);
  const { axis, sign } = GROWS[size];
  const apply = (v: number) => w.panels.getState().resize(size, max ? Math.min(v, max()) : v);
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    start.current = { at: axis === 'x' ? e.clientX : e.clientY, value: w.panels.getState()[size] };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const s = start.current;
    if (s) apply(s.value + sign * ((axis === 'x' ? e.clientX : e.clientY) - s.at));
  };
  const onPointerUp = () => {
    start.current = undefined;
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const grow: Record<string, number> = axis === 'x' ? { ArrowRight: sign, ArrowLeft: -sign } : { ArrowUp: -sign, ArrowDown: sign };
    const d = grow[e.key];
    if (d !== undefined) {
      e.preventDefault();
      apply(w.panels.getState()[size] + d * KEY_STEP);
    } else if (e.key === 'Home') {
      e.preventDefault();
      apply(DEFAULT_PANELS[size]);
    }
  };
  return (
    <div
      className={`splitter splitter--${axis === 'x' ? (sign > 0 ? 'right' : 'left') : 'top'}`}
      role="separator"
      aria-orientation={axis === 'x' ? 'vertical' : 'horizontal'}
      aria-label={label}
      aria-valuenow={value}
      tabIndex={0}
      title={`${label}: drag to resize, double-click for the default size`}
      data-testid={`splitter-${size}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onDoubleClick={() => apply(DEFAULT_PANELS[size])}
      onKeyDown={onKeyDown}
    />
  );
}

/** A folded side panel: a thin strip with one button that opens it again. */
export function PanelRail({ side, label, onOpen, testId }: { side: 'left' | 'right'; label: string; onOpen: () => void; testId: string }) {
  return (
    <aside className={`panel-rail panel-rail--${side}`} data-testid={testId} aria-label={label}>
      <button type="button" onClick={onOpen} title={`Show ${label.toLowerCase()}`} data-testid={`${testId}-open`}>
        <span>{side === 'left' ? '»' : '«'}</span>
        <span className="panel-rail__label">{label}</span>
      </button>
    </aside>
  );
}

/** Whether the Train dock was open before the window's focus view opened it, by the window's panels store. */
const dockOpenBeforeFocus = new WeakMap<object, boolean>();

/**
 * Switch between designing and watching. Watching folds the palette and the inspector away and
 * opens the Train dock; back to designing restores both panels, and closes the dock if focus opened it.
 */
export function toggleFocus(w: Pick<WindowStores, 'panels' | 'trainUi'>): void {
  const panels = w.panels.getState();
  const train = w.trainUi.getState();
  if (!panels.focus) {
    dockOpenBeforeFocus.set(w.panels, train.open);
    panels.set({ focus: true });
    if (!train.open) train.set({ open: true });
  } else {
    panels.set({ focus: false });
    if (dockOpenBeforeFocus.get(w.panels) === false) train.set({ open: false });
    dockOpenBeforeFocus.delete(w.panels);
  }
}
