import { createStore, type StoreApi } from 'zustand';
import type { GraphIR } from '../../../src-engine/facade';
import type { ResultOf } from '../../../src-engine/protocol';
import { engineGraph } from '../editor/analysis';
import { isLive } from '../training/model';
import type { EditorState } from './editor-store';
import type { EngineStore } from './engine-store';
import type { RunViewStore } from './training-store';

/** The engine's answer to `graph.latency`: each node's time and memory at batch 1. */
export type GraphLatency = ResultOf<'graph.latency'>;
export type NodeLatency = GraphLatency['nodes'][number];

/** How long the design must stay unchanged before it is measured again (a measurement runs a few forwards on the engine). */
export const LATENCY_DEBOUNCE_MS = 800;

/**
 * What the canvas shows of each node's measured cost (#85 deliverable 6), and whether it is the
 * design's as it stands. Session state: never saved, never undone.
 */
export interface LatencyState {
  /** The last measurement's figures by node id (no prototype: ids come from files). */
  byId: Readonly<Record<string, NodeLatency>>;
  /** The last measurement's totals. */
  totals?: Pick<GraphLatency, 'sumMs' | 'forwardMs' | 'repeats' | 'backend'>;
  /** The design's key (`latencyKey`) the figures were measured on. */
  measuredKey?: string;
  /** The design's key now: figures of another key are stale (shown greyed until measured again). */
  currentKey: string;
  /**
   * `measuring`: a measurement is under way; `waiting`: the design changed and is measured once it
   * settles (and the engine is free); `blocked`: the design has errors, or no engine; `idle`: the
   * figures are the design's; `failed`: the engine refused (`error` says why).
   */
  status: 'idle' | 'waiting' | 'measuring' | 'blocked' | 'failed';
  error?: string;
}

/** Whether the figures on screen are another design's than the one on the canvas. */
export const selectLatencyStale = (s: LatencyState): boolean => s.measuredKey !== s.currentKey;

/**
 * What a node's forward cost depends on: the nodes' ops, attributes and connections (not their
 * places, names of groups or the training settings), as the engine receives them.
 */
export function latencyKey(graph: GraphIR): string {
  return JSON.stringify(engineGraph(graph).nodes.map((n) => [n.id, n.op, n.attrs, n.inputs]));
}

/**
 * A window's latency figures, kept up to date with its design: after each change that affects the
 * forward (`latencyKey`), once the design has settled for `LATENCY_DEBOUNCE_MS`, has no errors and
 * the engine is connected and not training, the engine measures it (`graph.latency`); meanwhile the
 * old figures stay, marked stale. One measurement at a time; an answer for a design edited since is
 * kept (stale) and the design measured again.
 */
export function createLatencyStore(deps: { editor: StoreApi<EditorState>; engine: StoreApi<EngineStore>; run: StoreApi<RunViewStore> }, debounceMs = LATENCY_DEBOUNCE_MS): StoreApi<LatencyState> {
  const { editor, engine, run } = deps;
  const graphOf = () => editor.getState().history.present.graph;
  const store = createStore<LatencyState>(() => ({ byId: Object.create(null) as Record<string, NodeLatency>, currentKey: latencyKey(graphOf()), status: 'waiting' }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;

  const schedule = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(measure, debounceMs);
  };

  const measure = (): void => {
    timer = undefined;
    const s = store.getState();
    if (inFlight) return;
    // Back to the design measured last (an undo): its figures are the design's again.
    if (s.measuredKey === s.currentKey) return store.setState({ status: 'idle', error: undefined });
    const ed = editor.getState();
    // The analysis follows the document after its own debounce: wait for it.
    if (ed.analysisPending) return schedule();
    const client = engine.getState().state === 'ready' ? engine.getState().client : undefined;
    const graph = graphOf();
    // An empty canvas (New) has no forward: the last design's figures are not its, greyed or not.
    if (graph.nodes.length === 0) return store.setState({ byId: Object.create(null) as Record<string, NodeLatency>, totals: undefined, measuredKey: s.currentKey, status: 'idle', error: undefined });
    if (!client || ed.analysis.diagnostics.some((d) => d.severity === 'error')) return store.setState({ status: 'blocked' });
    // A run trains: measuring now would slow it and read its contention. Measured when it ends.
    if (isLive(run.getState().phase)) return store.setState({ status: 'waiting' });
    const key = s.currentKey;
    inFlight = true;
    store.setState({ status: 'measuring', error: undefined });
    // Asked by itself, on every new connection too: a design the engine crashed on is not sent again (#44).
    engine
      .getState()
      .requestUnlessCrashed(client, 'graph.latency', { graph: engineGraph(graph) })
      .then((r) => {
        inFlight = false;
        const byId = Object.create(null) as Record<string, NodeLatency>;
        for (const n of r.nodes) byId[n.id] = n;
        store.setState({ byId, totals: { sumMs: r.sumMs, forwardMs: r.forwardMs, repeats: r.repeats, backend: r.backend }, measuredKey: key, status: key === store.getState().currentKey ? 'idle' : 'waiting' });
        if (key !== store.getState().currentKey) schedule();
      })
      // NOTE: after .then, not as its second argument: an answer that cannot be read (an engine of
      // another version, a test's stand-in answering every method alike) fails the measurement
      // instead of escaping as an unhandled rejection (seen in npm test: engine-taken.test.ts).
      .catch((e: Error) => {
        inFlight = false;
        store.setState({ status: 'failed', error: e.message });
        if (key !== store.getState().currentKey) schedule();
      });
  };

  editor.subscribe((s, prev) => {
    // The key reads the nodes alone: a training setting's edit (a new graph, the same nodes) changes nothing.
    if (s.history.present.graph.nodes !== prev.history.present.graph.nodes) {
      const key = latencyKey(s.history.present.graph);
      if (key !== store.getState().currentKey) {
        store.setState({ currentKey: key, status: 'waiting' });
        schedule();
      }
    } else if (s.analysis !== prev.analysis && store.getState().status === 'blocked') schedule();
  });
  engine.subscribe((s, prev) => {
    if (s.state === 'ready' && s.client && (prev.state !== 'ready' || prev.client !== s.client)) schedule();
  });
  run.subscribe((s, prev) => {
    if (isLive(prev.phase) && !isLive(s.phase)) schedule();
  });
  schedule();
  return store;
}
