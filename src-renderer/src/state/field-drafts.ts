import { createStore } from 'zustand';

/**
 * What a settings field holds that the design does not: text typed into it that cannot be used
 * (`abc` in the learning rate), with the reason. While any is held the design is not what the
 * form shows, so Problems lists it and Start refuses (issue #44): a run never trains on the
 * previous value behind a field that says no.
 */
export interface FieldDraft {
  /** The field's test id (also how Problems finds it to focus it). */
  field: string;
  /** The field's name as the user sees it ("Learning rate", "linear · outFeatures"). */
  label: string;
  text: string;
  message: string;
  /** The node whose attribute the field edits, when it is one. */
  nodeId?: string;
}

export interface FieldDraftsState {
  /** Invalid drafts by field; a field that is valid again, reverted (Esc) or gone holds none. */
  drafts: Readonly<Record<string, FieldDraft>>;
  put(draft: FieldDraft): void;
  drop(field: string): void;
}

/** A window's store of invalid field drafts. */
export const createFieldDraftsStore = () =>
  createStore<FieldDraftsState>((set, get) => ({
    drafts: {},
    put(draft) {
      const had = get().drafts[draft.field];
      if (had && had.text === draft.text && had.message === draft.message && had.label === draft.label && had.nodeId === draft.nodeId) return;
      set({ drafts: { ...get().drafts, [draft.field]: draft } });
    },
    drop(field) {
      if (!Object.hasOwn(get().drafts, field)) return;
      const { [field]: _gone, ...rest } = get().drafts;
      set({ drafts: rest });
    },
  }));

/** A field's problem as Problems lists it: its name, what was typed, and why it cannot be used. */
export function draftProblem(d: FieldDraft): string {
  return `${d.label}: “${d.text}” is not used. ${d.message}`;
}

