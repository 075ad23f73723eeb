import { createStore } from 'zustand';

/** An in-app yes/no question (no native dialogs in web mode, and testable in e2e). */
export interface ConfirmState {
  question?: { title: string; message: string; confirm: string; resolve(ok: boolean): void };
  ask(title: string, message: string, confirm: string): Promise<boolean>;
  answer(ok: boolean): void;
}

/** A window's yes/no question store. */
export const createConfirmStore = () =>
  createStore<ConfirmState>((set, get) => ({
    ask(title, message, confirm) {
      get().question?.resolve(false);
      return new Promise((resolve) => set({ question: { title, message, confirm, resolve } }));
    },
    answer(ok) {
      const q = get().question;
      set({ question: undefined });
      q?.resolve(ok);
    },
  }));
