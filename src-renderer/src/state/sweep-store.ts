import { createStore, type StoreApi } from 'zustand';
import type { GraphIR } from '../../../src-engine/facade';
import type { EventData, ProbeOptions, RunSweepInfo, SweepSpec } from '../../../src-engine/protocol';
import { engineGraph } from '../editor/analysis';
import type { EngineStore } from './engine-store';

export interface SweepState {
  sweepId?: string;
  state: 'idle' | 'starting' | 'running' | 'done' | 'cancelled';
  total: number;
  /** The run in progress. */
  run?: RunSweepInfo;
  failures: { value: number | string; message: string }[];
  error?: string;
  /** Start a sweep of `graph` for the project named `project` of id `projectId` (its runs are stored under both). */
  start(graph: GraphIR, spec: SweepSpec, options: { limit?: number; probes: ProbeOptions | false; project: string; projectId?: string }): Promise<void>;
  cancel(): Promise<void>;
  /** A `sweep.progress` event (bound by the run store's event binding). */
  progress(p: EventData<'sweep.progress'>): void;
}

/** A window's view of the sweep the engine is running, as the train panel shows it; `engine` is the window's connection. */
export const createSweepStore = (engine: Pick<StoreApi<EngineStore>, 'getState'>) =>
  createStore<SweepState>((set, get) => ({
    state: 'idle',
    total: 0,
    failures: [],
    async start(graph, spec, { limit, probes, project, projectId }) {
      const c = engine.getState().client;
      if (!c) return set({ error: 'The engine is not connected yet.' });
      set({ state: 'starting', error: undefined, failures: [], run: undefined, sweepId: undefined });
      try {
        const r = await c.request('sweep.start', { graph: engineGraph(graph), sweep: spec, probes, project, ...(projectId ? { projectId } : {}), ...(limit ? { overrides: { limit } } : {}) });
        set({ sweepId: r.sweepId, total: r.total, state: get().state === 'starting' ? 'running' : get().state });
      } catch (e) {
        set({ state: 'idle', error: (e as Error).message });
      }
    },
    async cancel() {
      const { sweepId } = get();
      const c = engine.getState().client;
      if (!c || !sweepId) return;
      await c.request('sweep.cancel', { sweepId }).catch((e: Error) => set({ error: e.message }));
    },
    progress(p) {
      const s = get();
      if (s.sweepId !== undefined && s.sweepId !== p.sweepId) {
        // Another client's (or a reloaded page's) sweep: follow it.
        if (p.state !== 'running') return;
      }
      set({
        sweepId: p.sweepId,
        total: p.total,
        state: p.state,
        ...(p.run && !p.failed ? { run: p.run } : {}),
        ...(p.failed ? { failures: [...(s.sweepId === p.sweepId ? s.failures : []), p.failed] } : {}),
      });
    },
  }));
