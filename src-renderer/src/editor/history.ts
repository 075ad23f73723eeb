/**
 * Undo/redo over immutable snapshots. Each entry is a whole document; unchanged parts are shared
 * between entries, so a step costs what the edit changed. Undo then redo returns the identical
 * object, which is what makes "every edit undoes and redoes to an identical graph" hold by
 * construction rather than by inverse operations that could drift.
 */
export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
  /** Coalescing key of the last entry (a drag, a typing burst); a push with the same key replaces it. */
  readonly lastKey?: string;
}

/** Entries kept for undo; older ones are dropped. */
export const HISTORY_LIMIT = 200;

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/**
 * Record a new present. With `coalesceKey` equal to the previous push's key, the new state
 * replaces the last step instead of adding one (a drag of 60 frames is one undo step).
 */
export function push<T>(h: History<T>, next: T, coalesceKey?: string): History<T> {
  if (next === h.present) return h;
  if (coalesceKey !== undefined && coalesceKey === h.lastKey && h.past.length > 0) {
    return { past: h.past, present: next, future: [], lastKey: coalesceKey };
  }
  const past = h.past.length >= HISTORY_LIMIT ? [...h.past.slice(h.past.length - HISTORY_LIMIT + 1), h.present] : [...h.past, h.present];
  return { past, present: next, future: [], lastKey: coalesceKey };
}

export function undo<T>(h: History<T>): History<T> {
  if (h.past.length === 0) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
}

export const canUndo = (h: History<unknown>): boolean => h.past.length > 0;
export const canRedo = (h: History<unknown>): boolean => h.future.length > 0;
