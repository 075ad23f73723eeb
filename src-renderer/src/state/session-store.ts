import { createStore } from 'zustand';
import type { XY } from '../editor/document';

/** A message for the user: where it came from and, for refused connections, where the cursor was. */
export interface Notice {
  kind: 'error' | 'info';
  message: string;
  code?: string;
  /** Screen position to show it at (a refused connection shows at the cursor). */
  at?: XY;
  /** A button on the notice (an export's "Show in folder"). */
  action?: NoticeAction;
  /** Stays until replaced or cleared (work in progress: a long import with its Cancel). */
  sticky?: boolean;
  seq: number;
}

export interface NoticeAction {
  label: string;
  run: () => void;
}

export interface NoticeExtra {
  code?: string;
  at?: XY;
  action?: NoticeAction;
  sticky?: boolean;
}

export type Dialog = 'none' | 'help' | 'templates' | 'lessons' | 'open' | 'save-as' | 'recover' | 'add-data';
export type Theme = 'light' | 'dark';

/**
 * This window's session, apart from the document (state/editor-store.ts): the theme, the open
 * dialog, the notice on screen and the canvas's focus request. None of it is saved with a project
 * or undone; the theme alone is remembered (localStorage).
 */
export interface SessionState {
  theme: Theme;
  dialog: Dialog;
  notice?: Notice;
  /** Set to ask the canvas to centre on a node (problems panel click); `seq` makes repeats fire. */
  focus?: { nodeId: string; seq: number };
  /** The project whose trained weights are being read back from beside its file (they load after the design: seconds for a resnet18). */
  loadingWeights?: string;

  setDialog(d: Dialog): void;
  setLoadingWeights(name: string | undefined): void;
  setTheme(t: Theme): void;
  notify(kind: Notice['kind'], message: string, extra?: NoticeExtra): void;
  clearNotice(): void;
  /** Ask the canvas to centre on a node (the editor's `focusNode` also selects it). */
  requestFocus(nodeId: string): void;
}

function initialTheme(): Theme {
  try {
    const saved = globalThis.localStorage?.getItem('netwright.theme');
    if (saved === 'light' || saved === 'dark') return saved;
    return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  } catch {
    return 'light';
  }
}

/**
 * A session store: a window's theme, open dialog, notice and focus requests, never saved or
 * undone. Each window (and each test that wants one) makes its own.
 */
export function createSessionStore() {
  // Numbers each notice and focus request, so a repeat of the same one fires again.
  let seq = 0;
  return createStore<SessionState>((set) => ({
    theme: initialTheme(),
    dialog: 'none',
    setDialog(dialog) {
      set({ dialog });
    },
    setLoadingWeights(loadingWeights) {
      set({ loadingWeights });
    },
    setTheme(theme) {
      try {
        globalThis.localStorage?.setItem('netwright.theme', theme);
      } catch {
        // Private mode or no storage: the theme just is not remembered.
      }
      set({ theme });
    },
    notify(kind, message, extra) {
      set({ notice: { kind, message, code: extra?.code, at: extra?.at, ...(extra?.action ? { action: extra.action } : {}), ...(extra?.sticky ? { sticky: true } : {}), seq: ++seq } });
    },
    clearNotice() {
      set({ notice: undefined });
    },
    requestFocus(nodeId) {
      set({ focus: { nodeId, seq: ++seq } });
    },
  }));
}

