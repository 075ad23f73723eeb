import { createStore } from 'zustand';
import type { LayoutDirection } from '../editor/layout';

export type { LayoutDirection } from '../editor/layout';

/**
 * The workspace's panel arrangement, remembered across reloads (localStorage, like the theme):
 * which side panels are open and how wide, how tall the Train dock and the problems list are,
 * whether the "watching" focus is on, and the auto-layout's direction. View state only: nothing
 * here is part of a project file.
 */
export interface PanelPrefs {
  paletteOpen: boolean;
  paletteWidth: number;
  inspectorOpen: boolean;
  inspectorWidth: number;
  /** Height of the open Train dock, px, while designing and while watching (focus). */
  dockHeight: number;
  focusDockHeight: number;
  problemsOpen: boolean;
  /** Most the problems list may take, px (it is shorter when there are fewer problems). */
  problemsHeight: number;
  /**
   * Watching instead of designing: palette and inspector fold away and the Train dock opens, so
   * the canvas and the charts get the window. Their own open flags are kept, so focus off restores them.
   */
  focus: boolean;
  layoutDirection: LayoutDirection;
}

/** Bounds of every size, px: a panel is never dragged to nothing or over the whole window. */
export const PANEL_BOUNDS = {
  paletteWidth: [160, 480],
  inspectorWidth: [200, 560],
  dockHeight: [160, 900],
  focusDockHeight: [160, 1200],
  problemsHeight: [48, 480],
} as const satisfies Record<string, readonly [number, number]>;

export const DEFAULT_PANELS: Readonly<PanelPrefs> = {
  paletteOpen: true,
  paletteWidth: 240,
  inspectorOpen: true,
  inspectorWidth: 280,
  dockHeight: 360,
  focusDockHeight: 520,
  problemsOpen: true,
  problemsHeight: 128,
  focus: false,
  layoutDirection: 'TB',
};

export const PANELS_STORAGE_KEY = 'netwright.panels';

type Size = keyof typeof PANEL_BOUNDS;

/** `value` rounded and held inside the bounds of `size`. */
export function clampSize(size: Size, value: number): number {
  const [lo, hi] = PANEL_BOUNDS[size];
  return Number.isFinite(value) ? Math.min(hi, Math.max(lo, Math.round(value))) : DEFAULT_PANELS[size];
}

/**
 * Preferences read back from storage: every field that is present and well-typed is kept (sizes
 * clamped to their bounds), anything else — a missing key, an old or hand-edited value, text that
 * is not JSON — falls back to its default. Never throws.
 */
export function parsePanels(text: string | null | undefined): PanelPrefs {
  let raw: unknown;
  try {
    raw = text ? JSON.parse(text) : undefined;
  } catch {
    raw = undefined;
  }
  const out: PanelPrefs = { ...DEFAULT_PANELS };
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  for (const key of ['paletteOpen', 'inspectorOpen', 'problemsOpen', 'focus'] as const) if (typeof r[key] === 'boolean') out[key] = r[key];
  for (const key of Object.keys(PANEL_BOUNDS) as Size[]) if (typeof r[key] === 'number') out[key] = clampSize(key, r[key]);
  if (r.layoutDirection === 'TB' || r.layoutDirection === 'LR') out.layoutDirection = r.layoutDirection;
  return out;
}

/** Whether a side panel shows: open, and not folded away by the focus view. */
export const paletteShown = (p: Pick<PanelPrefs, 'paletteOpen' | 'focus'>): boolean => p.paletteOpen && !p.focus;
export const inspectorShown = (p: Pick<PanelPrefs, 'inspectorOpen' | 'focus'>): boolean => p.inspectorOpen && !p.focus;

export interface PanelsState extends PanelPrefs {
  set(patch: Partial<PanelPrefs>): void;
  /** Set one size, clamped to its bounds. */
  resize(size: Size, value: number): void;
}

function load(): PanelPrefs {
  try {
    return parsePanels(globalThis.localStorage?.getItem(PANELS_STORAGE_KEY));
  } catch {
    return { ...DEFAULT_PANELS };
  }
}

function save(p: PanelPrefs): void {
  try {
    globalThis.localStorage?.setItem(PANELS_STORAGE_KEY, JSON.stringify(p));
  } catch {
    // Private mode or no storage: the arrangement just is not remembered.
  }
}

const prefsOf = (s: PanelsState): PanelPrefs => {
  const { set: _set, resize: _resize, ...prefs } = s;
  return prefs;
};

/** The panel arrangement (see `PanelPrefs`); every change is written through to storage. */
export const createPanelsStore = () =>
  createStore<PanelsState>((set, get) => ({
    ...load(),
    set(patch) {
      set(patch);
      save(prefsOf(get()));
    },
    resize(size, value) {
      get().set({ [size]: clampSize(size, value) });
    },
  }));
