import { createStore } from 'zustand';
import { MAX_COMPARED } from '../training/compare';

export type SortKey = 'newest' | 'oldest' | 'result' | 'name' | 'duration';

/** The Runs tab's view state: which runs are ticked for comparing, the baseline, sorting, filter. */
export interface RunsUi {
  selected: readonly string[];
  /** The run the others are compared against (kept across sessions). */
  baseline?: string;
  sort: SortKey;
  filter: string;
  /** Only the open project's runs (by its name when they were trained), or every project's. */
  scope: 'project' | 'all';
  comparing: boolean;
  /** The sweep whose results are shown. */
  sweep?: string;
  /** The list of runs, or the hyperparameter table with its parallel coordinates. */
  view: 'list' | 'hparams';
  /** The hyperparameter table's sort: a column key and its direction. */
  hparamSort?: { key: string; dir: 'asc' | 'desc' };
  set(patch: Partial<Omit<RunsUi, 'set' | 'toggle'>>): void;
  toggle(id: string): void;
}

const BASELINE_KEY = 'netwright.baselineRun';
const storedBaseline = (): string | undefined => {
  try {
    return globalThis.localStorage?.getItem(BASELINE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
};

/** A window's Runs tab view state. */
export const createRunsUiStore = () =>
  createStore<RunsUi>((set, get) => ({
    selected: [],
    baseline: storedBaseline(),
    sort: 'newest',
    filter: '',
    scope: 'project',
    comparing: false,
    view: 'list',
    set(patch) {
      if ('baseline' in patch) {
        try {
          if (patch.baseline) globalThis.localStorage?.setItem(BASELINE_KEY, patch.baseline);
          else globalThis.localStorage?.removeItem(BASELINE_KEY);
        } catch {
          // No storage: the baseline lasts this session.
        }
      }
      set(patch);
    },
    toggle(id) {
      const sel = get().selected;
      set({ selected: sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id].slice(-MAX_COMPARED) });
    },
  }));
