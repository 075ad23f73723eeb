import { create } from 'zustand';
import type { GraphIR } from '../../../src-engine/ir/types';
import type { DatasetPreview, ProbeFrame, ResultOf, RpcClient, TrainOverrides } from '../../../src-engine/protocol';
import { engineGraph } from '../editor/analysis';
import { useEngine } from '../state/engine-store';
import { emptyRun, isLive, reduceRun, type RunAction, type RunView } from './model';

export type SanityResult = ResultOf<'train.sanityCheck'>;

export interface RunStore extends RunView {
  /** The last sanity check (or `running` while one is under way), and the graph it checked. */
  sanity?: SanityResult | 'running' | { error: string };
  sanityGraph?: GraphIR;
  dispatch(action: RunAction): void;
  /** Apply several actions in order as one state change (one re-render of whatever they touch). */
  dispatchAll(actions: readonly RunAction[]): void;
  /** Start training `graph`; `probes: false` trains headless (no probe frames: charts show only the curves). */
  start(graph: GraphIR, overrides?: TrainOverrides, options?: { probes?: false }): Promise<void>;
  /** Pause, resume, stop or single-step the current run; `lr` changes the learning rate (resume/step). */
  control(action: 'pause' | 'resume' | 'stop' | 'step', lr?: number): Promise<void>;
  sanityCheck(graph: GraphIR): Promise<void>;
}

const client = (): RpcClient | undefined => useEngine.getState().client;

/**
 * Training runs as UI state: progress, bounded metric series, the latest probe frame and the run
 * state, all derived by `reduceRun` from the engine's events. Components select narrow slices
 * (`useRun(s => s.progress?.step)`), so a 10 Hz progress tick re-renders the step counter, not
 * the canvas.
 */
export const useRun = create<RunStore>((set, get) => ({
  ...emptyRun,
  dispatch(action) {
    const s = get();
    const next = reduceRun(s, action);
    if (next !== s) set(next);
  },
  dispatchAll(actions) {
    const s = get();
    let next: RunView = s;
    for (const a of actions) next = reduceRun(next, a);
    if (next !== s) set(next);
  },
  async start(graph, overrides, options = {}) {
    const c = client();
    if (!c) return get().dispatch({ type: 'start-failed', code: 'E_ENGINE_NOT_READY', message: 'The engine is not connected yet.' });
    get().dispatch({ type: 'starting', probes: options.probes !== false });
    try {
      const result = await c.request('train.start', { graph: engineGraph(graph), ...(overrides ? { overrides } : {}), ...(options.probes === false ? { probes: false as const } : {}) });
      get().dispatch({ type: 'started', result });
    } catch (err) {
      const e = err as { code?: string; message: string };
      get().dispatch({ type: 'start-failed', code: e.code ?? 'E_TRAIN_START', message: e.message });
    }
  },
  async control(action, lr) {
    const { runId, phase } = get();
    const c = client();
    if (!c || !runId || !isLive(phase)) return;
    try {
      const r = await c.request('train.control', { runId, action, ...(lr !== undefined ? { lr } : {}) });
      get().dispatch({ type: 'control', runId, state: r.state, step: r.step });
    } catch (err) {
      const e = err as { code?: string; message: string };
      set({ error: { code: e.code ?? 'E_TRAIN_CONTROL', message: e.message } });
    }
  },
  async sanityCheck(graph) {
    const c = client();
    if (!c) return;
    set({ sanity: 'running', sanityGraph: graph });
    try {
      set({ sanity: await c.request('train.sanityCheck', { graph: engineGraph(graph) }) });
    } catch (err) {
      set({ sanity: { error: (err as Error).message } });
    }
  },
}));

/** Run `fn` after the browser has painted what the current update renders (two animation frames). */
function afterPaint(fn: () => void): void {
  if (typeof requestAnimationFrame !== 'function') return void setTimeout(fn, 0);
  requestAnimationFrame(() => requestAnimationFrame(fn));
}

/** At the latest this long (ms) after an event, the UI applies it, even where no animation frame comes (a hidden window). */
export const EVENT_BATCH_MAX_MS = 100;

/** Run `fn` at the next animation frame, or after `EVENT_BATCH_MAX_MS` if none comes first; once. */
function nextFrame(fn: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
  setTimeout(once, EVENT_BATCH_MAX_MS);
}

/**
 * A dispatcher that queues actions and hands them to `apply` in arrival order, one batch per
 * `schedule` tick (an animation frame): events that arrive together — the last probe frame, the
 * epoch's validation and the end of the run — become one store change and one paint instead
 * of several.
 */
export function frameBatched(apply: (actions: readonly RunAction[]) => void, schedule: (fn: () => void) => void = nextFrame): (action: RunAction) => void {
  let queue: RunAction[] = [];
  return (action) => {
    queue.push(action);
    if (queue.length > 1) return;
    schedule(() => {
      const batch = queue;
      queue = [];
      apply(batch);
    });
  };
}

/**
 * Feed a client's training events into the run store (batched per animation frame). Probe
 * frames are acknowledged only after the UI has painted them: the engine sends the next (newest)
 * frame then, so a slow UI gets fewer frames instead of a queue. Returns the unsubscriber.
 */
export function bindRunEvents(c: RpcClient, dispatch: (a: RunAction) => void = frameBatched((actions) => useRun.getState().dispatchAll(actions))): () => void {
  const offs = [
    c.on('train.progress', (data) => dispatch({ type: 'progress', data })),
    c.on('train.epoch', (data) => dispatch({ type: 'epoch', data })),
    c.on('train.done', (data) => dispatch({ type: 'done', data })),
    c.on('train.error', (data) => dispatch({ type: 'error', data })),
    c.on('train.diverged', (data) => dispatch({ type: 'diverged', data })),
    c.on('train.state', (data) => dispatch({ type: 'state', data })),
    c.on('probe.frame', (data: ProbeFrame) => {
      dispatch({ type: 'frame', data });
      // Two frames after this one: the batch that applies it has been painted.
      afterPaint(() => {
        c.request('probe.ack', { runId: data.runId, seq: data.seq }).catch(() => {
          // A replaced run or a closed engine: nothing to acknowledge any more.
        });
      });
    }),
  ];
  return () => offs.forEach((off) => off());
}

/** Keep the run store bound to whichever engine client is current (the engine may restart). */
export function connectRunStore(): () => void {
  let unbind: (() => void) | undefined;
  let bound: RpcClient | undefined;
  const sync = (c: RpcClient | undefined) => {
    if (c === bound) return;
    unbind?.();
    bound = c;
    unbind = c ? bindRunEvents(c) : undefined;
    const s = useRun.getState();
    if (!c && isLive(s.phase)) useRun.setState({ phase: 'failed', error: { code: 'E_ENGINE_GONE', message: 'The engine stopped; the run ended with it.' } });
  };
  sync(useEngine.getState().client);
  const off = useEngine.subscribe((s) => sync(s.client));
  return () => {
    off();
    unbind?.();
  };
}

export type TrainTab = 'curves' | 'layers' | 'samples' | 'playground';

/** View preferences of the train dock and the canvas overlays (not part of a run). */
export interface TrainUi {
  open: boolean;
  tab: TrainTab;
  /** Node sparklines and health badges on the canvas. */
  overlays: boolean;
  /** Colour edges by the gradient norm of the tensor they carry. */
  edgeGradients: boolean;
  /** Probe the network while training (activations, gradients, samples); off trains headless. */
  probes: boolean;
  /** The train panel's dataset preview (the decision boundary draws its 2-D points). */
  preview?: DatasetPreview;
  set(patch: Partial<Omit<TrainUi, 'set'>>): void;
}

export const useTrainUi = create<TrainUi>((set) => ({
  open: false,
  tab: 'curves',
  overlays: true,
  edgeGradients: true,
  probes: true,
  set: (patch) => set(patch),
}));
