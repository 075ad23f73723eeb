import { create } from 'zustand';
import { type GraphIR, startFromOf } from '../../../src-engine/facade';
import type { ComputeChoice, ProbeFrame, ProbeOptions, ResultOf, RpcClient, TrainOverrides } from '../../../src-engine/protocol';
import { engineGraph } from '../editor/analysis';
import { useEditor } from './editor-store';
import { useEngine } from './engine-store';
import { useTrainUi } from './train-ui';
import { useSweep } from './sweep-store';
import { trainingAtRate } from '../training/settings-history';
import { emptyRun, headlineMetric, isLive, reduceRun, runElsewhere, type AttachedHistory, type Point, type RunAction, type RunOwner, type RunView } from '../training/model';
import type { EditorDoc, ProjectUi } from '../editor/document';
import type { FileInfo } from './editor-store';

export type SanityResult = ResultOf<'train.sanityCheck'>;

/** A project's document as it was when another design was opened over its run: "Back to" restores it as it was (unsaved edits included). */
export interface AwayProject {
  doc: EditorDoc;
  file: FileInfo;
  ui: ProjectUi;
}

/** What opening a run's project needs from the file commands (editor/files.ts `ProjectFiles`). */
export interface RunProjectFiles {
  confirmDiscard(what: 'open'): Promise<boolean>;
  openRunProject(owner: RunOwner, graph: unknown, away?: AwayProject): Promise<boolean>;
}

export interface RunStore extends RunView {
  /** The run's project, when another design was opened over it (see `runElsewhere`). */
  away?: AwayProject;
  /** The last sanity check (or `running` while one is under way), and the graph it checked. */
  sanity?: SanityResult | 'running' | { error: string };
  sanityGraph?: GraphIR;
  dispatch(action: RunAction): void;
  /** Apply several actions in order as one state change (one re-render of whatever they touch). */
  dispatchAll(actions: readonly RunAction[]): void;
  /** Start training `graph`; `probes: false` trains headless (no probe frames: charts show only the curves), `ProbeOptions` sets the probe rate and sizes. */
  start(graph: GraphIR, overrides?: TrainOverrides, options?: { probes?: ProbeOptions | false; pace?: number; backend?: ComputeChoice }): Promise<void>;
  /**
   * The weights loaded into the engine (`model.load` / `model.import`) and the design they came
   * with (the editor's `loadSeq`): what a design whose `training.startFrom` is `loaded` starts
   * every run from. Not part of the run view: a run replaces the view, not these weights.
   */
  weights?: LoadedWeights;
  /** Weights were loaded into the engine for the design on the canvas (see `weights`). */
  weightsLoaded(source: string): void;
  /**
   * Continue a stored run from its last checkpoint (`train.resume`, docs/runs.md): a crashed or
   * stopped run to its own epoch count, or a finished one `moreEpochs` further. The charts start
   * with the parent's curves up to the checkpoint, so the new run's curve continues them.
   */
  resume(storedRunId: string, moreEpochs?: number, backend?: ComputeChoice): Promise<void>;
  /** Pause, resume, stop or single-step the current run; `lr` changes the learning rate (resume/step). */
  control(action: 'pause' | 'resume' | 'stop' | 'step', lr?: number): Promise<void>;
  /** The speed (steps a second, 0: as fast as possible): kept for the next run and applied to the live one. */
  setPace(stepsPerSecond: number): Promise<void>;
  sanityCheck(graph: GraphIR): Promise<void>;
}

/** Weights loaded into the engine: where they came from (`resnet18.onnx`, `the project "MNIST CNN"`), and the design's `loadSeq`. */
export interface LoadedWeights {
  source: string;
  loadSeq: number;
}

/** The loaded weights when they came with the design `loadSeq` names, else undefined. */
export const weightsFor = (weights: LoadedWeights | undefined, loadSeq: number): LoadedWeights | undefined => (weights?.loadSeq === loadSeq ? weights : undefined);

const client = (): RpcClient | undefined => useEngine.getState().client;

/** The project on the canvas, as the owner of a run it starts. */
export function canvasOwner(): RunOwner {
  const { file, loadSeq } = useEditor.getState();
  return { name: file.name, ...(file.path ? { path: file.path } : {}), loadSeq };
}

/** Where the page keeps the live run's project across a reload (the engine knows only its name). */
const OWNER_KEY = 'netwright.runOwner';

function rememberOwner(info: { runId: string; storedRunId?: string }, owner: RunOwner | undefined): void {
  if (!owner) return;
  try {
    globalThis.localStorage?.setItem(OWNER_KEY, JSON.stringify({ run: info.storedRunId ?? info.runId, name: owner.name, path: owner.path }));
  } catch {
    // No storage: a reload then finds the project by the name the run store keeps.
  }
}

/** The project remembered for run `run` (its stored id, else the engine's), if this page started it. */
export function rememberedOwner(run: string): RunOwner | undefined {
  try {
    const r = JSON.parse(globalThis.localStorage?.getItem(OWNER_KEY) ?? 'null') as { run?: unknown; name?: unknown; path?: unknown } | null;
    if (!r || r.run !== run || typeof r.name !== 'string') return undefined;
    return { name: r.name, ...(typeof r.path === 'string' ? { path: r.path } : {}) };
  } catch {
    return undefined;
  }
}

/** Phase changes go on the performance timeline (`netwright:run-running`, …), so a profile or trace shows where a run starts and ends. */
function markPhase(phase: RunView['phase']): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(`netwright:run-${phase}`);
}

/**
 * Training runs as UI state: progress, bounded metric series, the latest probe frame and the run
 * state, all derived by `reduceRun` from the engine's events. Components select narrow slices
 * (`useRun(s => s.progress?.step)`), so a 10 Hz progress tick re-renders the step counter, not
 * the canvas.
 */
export const useRun = create<RunStore>((set, get) => ({
  ...emptyRun,
  dispatch(action) {
    get().dispatchAll([action]);
  },
  dispatchAll(actions) {
    const s = get();
    let next: RunView = s;
    for (const a of actions) next = reduceRun(next, a);
    if (next === s) return;
    if (next.phase !== s.phase) markPhase(next.phase);
    set(next);
  },
  async start(graph, overrides, options = {}) {
    // The engine keeps the weights last loaded, whichever design they came with: a design that
    // starts from "the loaded weights" starts only from its own.
    if (startFromOf(graph.training).kind === 'loaded' && !weightsFor(get().weights, useEditor.getState().loadSeq)) {
      return get().dispatch({ type: 'start-failed', code: 'E_TRAIN_NO_LOADED_MODEL', message: 'This design starts from the loaded weights, but none were loaded with it: import the model or open the project saved with its weights again, or set Start from to fresh initialisation.' });
    }
    const c = client();
    if (!c) return get().dispatch({ type: 'start-failed', code: 'E_ENGINE_NOT_READY', message: 'The engine is not connected yet.' });
    const sent = engineGraph(graph);
    set({ away: undefined });
    get().dispatch({ type: 'starting', probes: options.probes !== false, graph: sent, owner: canvasOwner() });
    try {
      const result = await c.request('train.start', { graph: sent, project: useEditor.getState().file.name, ...(overrides ? { overrides } : {}), ...(options.probes !== undefined ? { probes: options.probes } : {}), ...(options.pace ? { pace: options.pace } : {}), ...(options.backend ? { backend: options.backend } : {}) });
      get().dispatch({ type: 'started', result });
      rememberOwner(result, get().owner);
    } catch (err) {
      const e = err as { code?: string; message: string };
      get().dispatch({ type: 'start-failed', code: e.code ?? 'E_TRAIN_START', message: e.message });
    }
  },
  weightsLoaded(source) {
    set({ weights: { source, loadSeq: useEditor.getState().loadSeq } });
  },
  async resume(storedRunId, moreEpochs, backend) {
    const c = client();
    if (!c) return get().dispatch({ type: 'start-failed', code: 'E_ENGINE_NOT_READY', message: 'The engine is not connected yet.' });
    set({ away: undefined });
    get().dispatch({ type: 'starting', probes: true, owner: canvasOwner() });
    try {
      const parent = await c.request('runs.open', { id: storedRunId });
      const result = await c.request('train.resume', { storedRunId, ...(moreEpochs !== undefined ? { moreEpochs } : {}), ...(backend ? { backend } : {}) });
      const from = (await c.request('runs.open', { id: result.storedRunId ?? storedRunId })).meta.resumedFrom;
      get().dispatch({ type: 'attached', result, state: 'running', step: from?.step ?? 0, graph: parent.graph as GraphIR, history: historyUpTo(storedHistory(parent), from) });
      rememberOwner(result, get().owner);
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
      flushRunEvents();
      get().dispatch({ type: 'control', runId, state: r.state, step: r.step });
      const ran = get().graph;
      if (lr !== undefined && ran?.training) {
        // The design's field reads the rate that now trains (and the next run starts from it);
        // the run's design trains at it from now on (so a second resume is adopted too).
        const editor = useEditor.getState();
        const training = trainingAtRate(editor.history.present.graph.training, ran.training, lr);
        if (training) editor.edit({ kind: 'set-training', training }, { quiet: true });
        set({ graph: { ...ran, training: { ...ran.training, optimizer: { ...ran.training.optimizer, lr } } } });
      }
    } catch (err) {
      const e = err as { code?: string; message: string };
      set({ error: { code: e.code ?? 'E_TRAIN_CONTROL', message: e.message } });
    }
  },
  async setPace(stepsPerSecond) {
    useTrainUi.getState().set({ pace: stepsPerSecond });
    const { runId, phase } = get();
    const c = client();
    if (!c || !runId || !isLive(phase)) return;
    try {
      await c.request('train.control', { runId, action: 'pace', stepsPerSecond });
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

/**
 * Run `fn` after the browser has painted what the current update renders: a task queued from the
 * next animation frame runs once that frame is done.
 *
 * NOTE: not the usual two nested animation frames: the second one makes the page produce one more
 * (empty) frame per probe frame, about 1.5 ms of the renderer's main thread each while the
 * engine trains.
 */
function afterPaint(fn: () => void): void {
  if (typeof requestAnimationFrame !== 'function') return void setTimeout(fn, 0);
  requestAnimationFrame(() => setTimeout(fn, 0));
}

/** At the latest this long (ms) after an event, the UI applies it, even where no animation frame comes (a hidden window). */
export const EVENT_BATCH_MAX_MS = 100;

/** Run `fn` at the next animation frame, or after `EVENT_BATCH_MAX_MS` if none comes first; once. */
function nextFrame(fn: () => void): void {
  let frame: number | undefined;
  const timer = setTimeout(() => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    fn();
  }, EVENT_BATCH_MAX_MS);
  if (typeof requestAnimationFrame === 'function') {
    frame = requestAnimationFrame(() => {
      clearTimeout(timer);
      fn();
    });
  }
}

/** The UI applies run events at most this often (ms): the fastest probe rate offered (4 Hz), so a probe frame and the progress ticks around it become one update and one paint. */
export const RUN_UI_INTERVAL_MS = 250;

/**
 * A schedule that runs each callback at an animation frame at least `interval` ms after the
 * previous one ran (the first one at once): a pace for UI updates that keeps up with the probes
 * without redrawing for every progress tick in between.
 */
export function paced(interval = RUN_UI_INTERVAL_MS, now: () => number = () => performance.now(), frame: (fn: () => void) => void = nextFrame): (fn: () => void) => void {
  let last = -Infinity;
  return (fn) => {
    const run = () =>
      frame(() => {
        last = now();
        fn();
      });
    const wait = last + interval - now();
    if (wait <= 0) run();
    else setTimeout(run, wait);
  };
}

/**
 * A dispatcher that queues actions and hands them to `apply` in arrival order, one batch per
 * `schedule` tick: events that arrive together — a probe frame and the progress around it, the
 * epoch's validation and the end of the run — become one store change and one paint instead of
 * several. Nothing is dropped: the store reduces every action of a batch.
 */
export function frameBatched(apply: (actions: readonly RunAction[]) => void, schedule: (fn: () => void) => void = paced()): BatchedDispatch {
  let queue: RunAction[] = [];
  let scheduled = false;
  const flush = (): void => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    apply(batch);
  };
  const dispatch = ((action: RunAction) => {
    queue.push(action);
    if (scheduled) return;
    scheduled = true;
    schedule(() => {
      scheduled = false;
      flush();
    });
  }) as BatchedDispatch;
  dispatch.flush = flush;
  return dispatch;
}

/** A batching dispatcher; `flush()` applies what is queued now (the pending tick then has nothing left). */
export interface BatchedDispatch {
  (action: RunAction): void;
  flush(): void;
}

/**
 * Applies the run events still queued for the next paced update. A control reply (pause, step…)
 * flushes first: the engine sent every event before its reply, so the UI shows the step it paused
 * at together with the new state, not a counter that keeps moving after "paused".
 */
let flushRunEvents: () => void = () => {};

/**
 * Feed a client's training events into the run store, batched at most every `RUN_UI_INTERVAL_MS`
 * (or, for tests, into `dispatch`, one action at a time). Probe frames are acknowledged only
 * after the UI has painted them: the engine sends the next (newest) frame then, so a slow UI gets
 * fewer frames instead of a queue. Returns the unsubscriber.
 */
export function bindRunEvents(c: RpcClient, dispatch?: (a: RunAction) => void): () => void {
  const ack = (f: ProbeFrame) =>
    afterPaint(() => {
      c.request('probe.ack', { runId: f.runId, seq: f.seq }).catch(() => {
        // A replaced run or a closed engine: nothing to acknowledge any more.
      });
    });
  const batched = dispatch
    ? undefined
    : frameBatched((actions) => {
        useRun.getState().dispatchAll(actions);
        // After the batch that shows it has been painted (at most one frame is unacknowledged at a time).
        for (const a of actions) if (a.type === 'frame') ack(a.data);
      });
  const send =
    batched ??
    ((a: RunAction) => {
      dispatch!(a);
      if (a.type === 'frame') ack(a.data);
    });
  const flush = batched ? batched.flush : () => {};
  flushRunEvents = flush;
  const offs = [
    c.on('train.progress', (data) => send({ type: 'progress', data })),
    c.on('train.epoch', (data) => send({ type: 'epoch', data })),
    c.on('train.done', (data) => send({ type: 'done', data })),
    c.on('train.error', (data) => send({ type: 'error', data })),
    c.on('train.diverged', (data) => send({ type: 'diverged', data })),
    c.on('train.deviceLost', (data) => send({ type: 'deviceLost', data })),
    c.on('train.state', (data) => send({ type: 'state', data })),
    c.on('probe.frame', (data: ProbeFrame) => send({ type: 'frame', data })),
    c.on('sweep.progress', (data) => {
      useSweep.getState().progress(data);
      // The UI follows the sweep: each of its runs as it starts (in order with that run's events).
      // Its first run belongs to the project on the canvas (the sweep started from it), the next ones to the same.
      if (data.state === 'running' && data.start) send({ type: 'attached', result: data.start, state: 'running', step: 0, ...(data.index === 0 ? { owner: canvasOwner() } : {}) });
    }),
  ];
  return () => {
    offs.forEach((off) => off());
    if (flushRunEvents === flush) flushRunEvents = () => {};
  };
}

/**
 * Attach to the run the engine holds, if any (a reloaded page, a restarted renderer): the run view
 * shows it running, with its curves so far from the run store, and can pause or stop it; the pace
 * select shows the run's pace. `reopen` opens the run's project (its file, or its unsaved state)
 * when the run still trains and the canvas holds nothing yet — a page reloaded during a run comes
 * back to that project, not to an empty "Untitled" that the run's design would be compared against.
 */
export async function attachToCurrentRun(c: RpcClient, reopen?: (owner: RunOwner, graph: unknown) => Promise<boolean>): Promise<void> {
  const { run } = await c.request('train.current', {});
  if (!run || useRun.getState().runId === run.start.runId) return;
  let history: AttachedHistory | undefined;
  let project: string | undefined;
  if (run.start.storedRunId) {
    try {
      const stored = await c.request('runs.open', { id: run.start.storedRunId });
      history = storedHistory(stored);
      project = stored.meta.project;
    } catch {
      // No stored curves (a run store that cannot be read): the charts fill from the next events.
    }
  }
  if (useEngine.getState().client !== c) return;
  if (run.sweep) useSweep.setState({ sweepId: run.sweep.id, total: run.sweep.total, state: 'running', run: run.sweep, failures: [] });
  if (run.pace !== undefined) useTrainUi.getState().set({ pace: run.pace });
  const owner: RunOwner = rememberedOwner(run.start.storedRunId ?? run.start.runId) ?? { name: project ?? (run.graph as GraphIR | null)?.name ?? 'Untitled' };
  const editor = useEditor.getState();
  // The canvas as the page opened it (nothing loaded, nothing drawn): the run's project takes its place.
  const pristine = editor.loadSeq === 0 && editor.history.present === editor.file.saved && editor.history.present.graph.nodes.length === 0;
  // The same page (a reconnected engine), its project still open: it is the run's.
  const here = !pristine && editor.file.name === owner.name && editor.file.path === owner.path;
  useRun.getState().dispatch({ type: 'attached', result: run.start, state: run.state, step: run.step, graph: run.graph as GraphIR, ...(history ? { history } : {}), owner: here ? { ...owner, loadSeq: editor.loadSeq } : owner });
  // Only a run that still trains takes the canvas; an ended one shows as its project's, with Back to.
  if (!pristine || !isLive(run.state)) return;
  if (reopen) await openRunProject(() => reopen(owner, run.graph));
  // A page reloaded during a run shows it, as it did before the reload.
  useTrainUi.getState().set({ open: true });
}

/**
 * Bring the run's project onto the canvas with `open` (which loads a design, or fails): the run's
 * owner names the design loaded next before it loads, so the run's results are kept through the
 * load (`connectRunStore` forgets an ended run's results when another design opens).
 */
async function openRunProject(open: () => Promise<boolean>): Promise<boolean> {
  const owner = useRun.getState().owner;
  if (!owner) return false;
  const next = useEditor.getState().loadSeq + 1;
  useRun.getState().dispatch({ type: 'owner', owner: { ...owner, loadSeq: next } });
  const opened = await open().catch(() => false);
  const now = useRun.getState().owner;
  if (!now) return opened;
  if (!opened || useEditor.getState().loadSeq !== next) useRun.getState().dispatch({ type: 'owner', owner: { ...now, loadSeq: opened ? useEditor.getState().loadSeq : owner.loadSeq } });
  else useRun.setState({ away: undefined });
  return opened;
}

/**
 * "Back to <project>": the run's project onto the canvas again (after asking about unsaved changes
 * of the design open now) — as it was left when another design was opened over it, else its file,
 * else the run's design.
 */
export async function showRunProject(files: RunProjectFiles): Promise<boolean> {
  const s = useRun.getState();
  if (!s.owner || !runElsewhere(s, useEditor.getState().loadSeq)) return false;
  if (!(await files.confirmDiscard('open'))) return false;
  const { owner, graph, away } = useRun.getState();
  if (!owner) return false;
  return openRunProject(() => files.openRunProject(owner, graph, away));
}

/**
 * Show a stored run in the Train dock: its curves and result, and its last probe frame (the
 * timeline, `showStoredFrame`, moves through the others). Refused while a run is live.
 */
export async function viewStoredRun(c: RpcClient, id: string): Promise<ResultOf<'runs.open'>> {
  const run = await c.request('runs.open', { id });
  useRun.getState().dispatch({ type: 'view-stored', run, history: storedHistory(run) });
  const last = run.frameSteps[run.frameSteps.length - 1];
  if (last !== undefined) await showStoredFrame(c, id, last);
  return run;
}

/** The timeline: show a stored run's probe frame at `step` (or the last one before it). */
export async function showStoredFrame(c: RpcClient, id: string, step: number): Promise<void> {
  const { frame } = await c.request('runs.frame', { id, step });
  useRun.getState().dispatch({ type: 'stored-frame', id, frame });
}

/** A parent run's curves up to the checkpoint a resumed run starts from (a crash's lost tail is trained again). */
function historyUpTo(h: AttachedHistory, from: { step: number; epoch: number } | undefined): AttachedHistory {
  if (!from) return { ...h, progress: undefined };
  const bySteps = (ps: readonly Point[]) => ps.filter(([x]) => x <= from.step);
  const byEpochs = (ps: readonly Point[]) => ps.filter(([x]) => x <= from.epoch);
  return { ...h, loss: bySteps(h.loss), batchLoss: bySteps(h.batchLoss), lr: bySteps(h.lr), stepMetric: bySteps(h.stepMetric ?? []), valLoss: byEpochs(h.valLoss), trainMetric: byEpochs(h.trainMetric), valMetric: byEpochs(h.valMetric), progress: undefined };
}

/** A stored run's curves as the run view's series: batch loss and LR by step, validation by epoch. */
export function storedHistory(view: Pick<ResultOf<'runs.open'>, 'curve' | 'epochs'>): AttachedHistory {
  const batchLoss: Point[] = [];
  const meanLoss: Point[] = [];
  const lr: Point[] = [];
  const { step, loss, epoch } = view.curve;
  // The live chart's "train loss (epoch mean)": the mean of the epoch's batch losses so far.
  let sum = 0;
  let n = 0;
  for (let i = 0; i < step.length; i++) {
    if (i > 0 && epoch[i] !== epoch[i - 1]) sum = n = 0;
    const l = loss[i];
    if (l !== null) {
      batchLoss.push([step[i], l]);
      sum += l;
      n++;
    }
    if (n > 0) meanLoss.push([step[i], sum / n]);
    lr.push([step[i], view.curve.lr[i]]);
  }
  const valLoss: Point[] = [];
  const trainMetric: Point[] = [];
  const valMetric: Point[] = [];
  let metricName: string | undefined;
  const stepMetric = epochSoFar(view.curve);
  for (const e of view.epochs) {
    const train = headlineMetric(e.metrics.train);
    const val = headlineMetric(e.metrics.val);
    const vl = e.metrics.val?.loss;
    if (typeof vl === 'number') valLoss.push([e.epoch, vl]);
    if (train) trainMetric.push([e.epoch, train.value]);
    if (val) valMetric.push([e.epoch, val.value]);
    metricName = val?.name ?? train?.name ?? metricName;
  }
  metricName ??= stepMetric?.name;
  return { loss: meanLoss, batchLoss, lr, valLoss, trainMetric, valMetric, ...(stepMetric && stepMetric.name === metricName ? { stepMetric: stepMetric.points } : {}), ...(metricName ? { metricName } : {}) };
}

/** The headline metric of a stored run's steps as the live chart draws it: the mean of the epoch's batches so far, by step. */
function epochSoFar(curve: ResultOf<'runs.open'>['curve']): { name: string; points: Point[] } | undefined {
  const columns = curve.metrics ?? {};
  const name = headlineMetric(Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, c.find((v) => v !== null)])))?.name;
  if (!name) return undefined;
  const values = columns[name];
  const points: Point[] = [];
  let sum = 0;
  let n = 0;
  for (let i = 0; i < curve.step.length; i++) {
    if (i > 0 && curve.epoch[i] !== curve.epoch[i - 1]) sum = n = 0;
    const v = values[i];
    if (v === null || v === undefined) continue;
    sum += v;
    n++;
    points.push([curve.step[i], sum / n]);
  }
  return { name, points };
}

/**
 * Keep the run store bound to whichever engine client is current (the engine may restart), attach
 * to the run an engine already holds when it connects (`reopen`: see `attachToCurrentRun`), and
 * follow the designs opened: another design (New, Open, a template, a restored run) forgets an
 * ended run's results; a live run goes on, its project's document kept for "Back to" (#32 item 8).
 */
export function connectRunStore(options: { reopen?: (owner: RunOwner, graph: unknown) => Promise<boolean> } = {}): () => void {
  let unbind: (() => void) | undefined;
  let bound: RpcClient | undefined;
  let attached: RpcClient | undefined;
  const sync = (c: RpcClient | undefined, ready: boolean) => {
    if (c !== bound) {
      unbind?.();
      bound = c;
      unbind = c ? bindRunEvents(c) : undefined;
      const s = useRun.getState();
      if (!c && isLive(s.phase)) useRun.setState({ phase: 'failed', error: { code: 'E_ENGINE_GONE', message: 'The engine stopped; the run ended with it.' } });
    }
    if (c && ready && attached !== c) {
      attached = c;
      attachToCurrentRun(c, options.reopen).catch((e: Error) => console.error(`[netwright] could not attach to the engine's run: ${e.message}`));
    }
  };
  const engine = useEngine.getState();
  sync(engine.client, engine.state === 'ready');
  const off = useEngine.subscribe((s) => sync(s.client, s.state === 'ready'));
  const offEditor = useEditor.subscribe((s, prev) => {
    // The canvas's architecture-diff colours describe the design as opened: an edit or another design ends them.
    if (s.history.present !== prev.history.present && useTrainUi.getState().archDiff) useTrainUi.getState().set({ archDiff: undefined });
    const run = useRun.getState();
    const owner = run.owner;
    if (s.loadSeq === prev.loadSeq) {
      // Save As on the run's project: the run follows its new name.
      if (owner && owner.loadSeq === s.loadSeq && s.file !== prev.file && (s.file.name !== owner.name || s.file.path !== owner.path)) {
        run.dispatch({ type: 'owner', owner: { name: s.file.name, ...(s.file.path ? { path: s.file.path } : {}), loadSeq: s.loadSeq } });
      }
      return;
    }
    // The run's project coming back onto the canvas (`openRunProject`): its results stay.
    if (owner && owner.loadSeq === s.loadSeq) return;
    if (owner && owner.loadSeq === prev.loadSeq && run.phase !== 'idle') useRun.setState({ away: { doc: prev.history.present, file: prev.file, ui: prev.ui } });
    run.dispatch({ type: 'clear' });
    const after = useRun.getState();
    if (!isLive(after.phase)) useRun.setState({ sanity: undefined, sanityGraph: undefined, ...(after.phase === 'idle' ? { away: undefined } : {}) });
  });
  return () => {
    off();
    offEditor();
    unbind?.();
  };
}
