import { type GraphIR, startFromOf, type ComputeChoice } from '../../../src-engine/facade';
import type { ProbeFrame, ProbeOptions, ResultOf, RpcClient, TrainOverrides } from '../../../src-engine/protocol';
import { engineGraph } from '../editor/analysis';
import type { StoreApi } from 'zustand';
import type { EditorState } from './editor-store';
import type { EngineStore } from './engine-store';
import type { TrainUi } from './train-ui';
import type { SweepState } from './sweep-store';
import { weightsFor, type AwayProject, type RunViewStore } from './training-store';
import { trainingAtRate } from '../training/settings-history';
import { isLive, runElsewhere, type AttachedHistory, type RunAction, type RunOwner } from '../training/model';
import { afterPaint, frameBatched } from '../training/run-pacing';
import { rememberOwner, rememberedOwner } from '../training/remembered-owner';
import { historyUpTo, lineageHistory } from '../training/stored-history';

/** What opening a run's project needs from the file commands (editor/files.ts `ProjectFiles`). */
export interface RunProjectFiles {
  confirmDiscard(what: 'open'): Promise<boolean>;
  openRunProject(owner: RunOwner, graph: unknown, away?: AwayProject): Promise<boolean>;
}

/** Opens a run's project onto the canvas (its file, or its unsaved state); false when it could not. */
export type ReopenRunProject = (owner: RunOwner, graph: unknown) => Promise<boolean>;

/** The run store as the controller drives it (the window's, or a store of a test's own). */
export type RunViewApi = Pick<StoreApi<RunViewStore>, 'getState' | 'setState'>;

/** The stores of its window the controller reads and drives. */
export interface RunControllerDeps {
  /** The window's engine connection (the engine may restart: its client is read at each request). */
  engine: Pick<StoreApi<EngineStore>, 'getState' | 'subscribe'>;
  run: RunViewApi;
  /** The document: the run's owner, the rate a resumed run trains at, the designs opened. */
  editor: Pick<StoreApi<EditorState>, 'getState' | 'subscribe'>;
  trainUi: Pick<StoreApi<TrainUi>, 'getState'>;
  sweep: Pick<StoreApi<SweepState>, 'getState' | 'setState'>;
  /** The engine client now, when not the engine store's (a test's in-memory channel). */
  client?: () => RpcClient | undefined;
}

/** The project on the canvas, as the owner of a run it starts. */
export function canvasOwner({ file, loadSeq }: Pick<EditorState, 'file' | 'loadSeq'>): RunOwner {
  return { name: file.name, ...(file.path ? { path: file.path } : {}), loadSeq };
}

const failure = (err: unknown, code: string): { code: string; message: string } => {
  const e = err as { code?: string; message: string };
  return { code: e.code ?? code, message: e.message };
};

/**
 * The run's commands and events: what the UI asks the engine about the run (start, resume,
 * pause…, a stored run to show) and what the engine tells it (progress, epochs, probe frames),
 * fed into the run store. The store keeps the state and its reducer; the controller is the one
 * place that speaks the protocol for the run, so it is tested over an in-memory channel pair
 * without a page (test/unit/training-ui/run-controller.test.ts).
 *
 * @example
 * const runs = new RunController({ ...createWindowStores(), client: () => client });
 * const off = runs.bind(client);
 * await runs.start(graph);
 */
export class RunController {
  /**
   * Applies the run events still queued for the next paced update. A control reply (pause, step…)
   * flushes first: the engine sent every event before its reply, so the UI shows the step it paused
   * at together with the new state, not a counter that keeps moving after "paused".
   */
  private flushEvents: () => void = () => {};

  /** The engine client now (the engine may restart), or undefined while none is connected. */
  private readonly client: () => RpcClient | undefined;
  private readonly run: RunViewApi;
  private readonly editor: RunControllerDeps['editor'];
  private readonly engine: RunControllerDeps['engine'];
  private readonly trainUi: RunControllerDeps['trainUi'];
  private readonly sweep: RunControllerDeps['sweep'];

  constructor(deps: RunControllerDeps) {
    this.run = deps.run;
    this.editor = deps.editor;
    this.engine = deps.engine;
    this.trainUi = deps.trainUi;
    this.sweep = deps.sweep;
    this.client = deps.client ?? (() => deps.engine.getState().client);
  }

  private dispatch(action: RunAction): void {
    this.run.getState().dispatch(action);
  }

  /** Start training `graph`; `probes: false` trains headless (no probe frames: charts show only the curves), `ProbeOptions` sets the probe rate and sizes. */
  async start(graph: GraphIR, overrides?: TrainOverrides, options: { probes?: ProbeOptions | false; pace?: number; backend?: ComputeChoice } = {}): Promise<void> {
    // The engine keeps the weights last loaded, whichever design they came with: a design that
    // starts from "the loaded weights" starts only from its own.
    const editor = this.editor.getState();
    if (startFromOf(graph.training).kind === 'loaded' && !weightsFor(this.run.getState().weights, editor.loadSeq)) {
      return this.dispatch({ type: 'start-failed', code: 'E_TRAIN_NO_LOADED_MODEL', message: 'This design starts from the loaded weights, but none were loaded with it: import the model or open the project saved with its weights again, or set Start from to fresh initialisation.' });
    }
    const c = this.client();
    if (!c) return this.dispatch({ type: 'start-failed', code: 'E_ENGINE_NOT_READY', message: 'The engine is not connected yet.' });
    const sent = engineGraph(graph);
    this.run.setState({ away: undefined });
    this.dispatch({ type: 'starting', probes: options.probes !== false, graph: sent, owner: canvasOwner(editor) });
    try {
      const result = await c.request('train.start', { graph: sent, project: editor.file.name, projectId: editor.file.projectId, ...(overrides ? { overrides } : {}), ...(options.probes !== undefined ? { probes: options.probes } : {}), ...(options.pace ? { pace: options.pace } : {}), ...(options.backend ? { backend: options.backend } : {}) });
      this.dispatch({ type: 'started', result });
      rememberOwner(result, this.run.getState().owner);
    } catch (err) {
      this.dispatch({ type: 'start-failed', ...failure(err, 'E_TRAIN_START') });
    }
  }

  /**
   * Continue a stored run from its last checkpoint (`train.resume`, docs/runs.md): a crashed or
   * stopped run to its own epoch count, or a finished one `moreEpochs` further. The charts start
   * with the parent's curves up to the checkpoint, so the new run's curve continues them.
   */
  async resume(storedRunId: string, moreEpochs?: number, backend?: ComputeChoice): Promise<void> {
    const c = this.client();
    if (!c) return this.dispatch({ type: 'start-failed', code: 'E_ENGINE_NOT_READY', message: 'The engine is not connected yet.' });
    this.run.setState({ away: undefined });
    this.dispatch({ type: 'starting', probes: true, owner: canvasOwner(this.editor.getState()) });
    try {
      const parent = await c.request('runs.open', { id: storedRunId });
      const parentHistory = await lineageHistory(parent, (id) => c.request('runs.open', { id }));
      const result = await c.request('train.resume', { storedRunId, ...(moreEpochs !== undefined ? { moreEpochs } : {}), ...(backend ? { backend } : {}) });
      const from = (await c.request('runs.open', { id: result.storedRunId ?? storedRunId })).meta.resumedFrom;
      this.dispatch({ type: 'attached', result, state: 'running', step: from?.step ?? 0, graph: parent.graph as GraphIR, history: historyUpTo(parentHistory, from) });
      rememberOwner(result, this.run.getState().owner);
    } catch (err) {
      this.dispatch({ type: 'start-failed', ...failure(err, 'E_TRAIN_START') });
    }
  }

  /** Pause, resume, stop or single-step the current run; `lr` changes the learning rate (resume/step). */
  async control(action: 'pause' | 'resume' | 'stop' | 'step', lr?: number): Promise<void> {
    const { runId, phase } = this.run.getState();
    const c = this.client();
    if (!c || !runId || !isLive(phase)) return;
    try {
      const r = await c.request('train.control', { runId, action, ...(lr !== undefined ? { lr } : {}) });
      this.flushEvents();
      this.dispatch({ type: 'control', runId, state: r.state, step: r.step });
      const ran = this.run.getState().graph;
      if (lr !== undefined && ran?.training) {
        // The design's field reads the rate that now trains (and the next run starts from it);
        // the run's design trains at it from now on (so a second resume is adopted too).
        const editor = this.editor.getState();
        const training = trainingAtRate(editor.history.present.graph.training, ran.training, lr);
        if (training) editor.edit({ kind: 'set-training', training }, { quiet: true });
        this.run.setState({ graph: { ...ran, training: { ...ran.training, optimizer: { ...ran.training.optimizer, lr } } } });
      }
    } catch (err) {
      this.run.setState({ error: failure(err, 'E_TRAIN_CONTROL') });
    }
  }

  /** The speed (steps a second, 0: as fast as possible): kept for the next run and applied to the live one. */
  async setPace(stepsPerSecond: number): Promise<void> {
    this.trainUi.getState().set({ pace: stepsPerSecond });
    const { runId, phase } = this.run.getState();
    const c = this.client();
    if (!c || !runId || !isLive(phase)) return;
    try {
      await c.request('train.control', { runId, action: 'pace', stepsPerSecond });
    } catch (err) {
      this.run.setState({ error: failure(err, 'E_TRAIN_CONTROL') });
    }
  }

  /** Check that `graph` can learn (a few steps on one batch); the answer lands in the store's `sanity`. */
  async sanityCheck(graph: GraphIR): Promise<void> {
    const c = this.client();
    if (!c) return;
    this.run.setState({ sanity: 'running', sanityGraph: graph });
    try {
      this.run.setState({ sanity: await c.request('train.sanityCheck', { graph: engineGraph(graph) }) });
    } catch (err) {
      this.run.setState({ sanity: { error: (err as Error).message } });
    }
  }

  /**
   * Feed a client's training events into the run store, batched at most every `RUN_UI_INTERVAL_MS`
   * (or, for tests, into `dispatch`, one action at a time). Probe frames are acknowledged only
   * after the UI has painted them: the engine sends the next (newest) frame then, so a slow UI gets
   * fewer frames instead of a queue. Returns the unsubscriber.
   */
  bind(c: RpcClient, dispatch?: (a: RunAction) => void): () => void {
    const ack = (f: ProbeFrame) =>
      afterPaint(() => {
        c.request('probe.ack', { runId: f.runId, seq: f.seq }).catch(() => {
          // A replaced run or a closed engine: nothing to acknowledge any more.
        });
      });
    const batched = dispatch
      ? undefined
      : frameBatched((actions) => {
          this.run.getState().dispatchAll(actions);
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
    this.flushEvents = flush;
    const offs = [
      c.on('train.progress', (data) => send({ type: 'progress', data })),
      c.on('train.epoch', (data) => send({ type: 'epoch', data })),
      c.on('train.done', (data) => send({ type: 'done', data })),
      c.on('train.error', (data) => send({ type: 'error', data })),
      c.on('train.diverged', (data) => send({ type: 'diverged', data })),
      c.on('train.deviceLost', (data) => send({ type: 'deviceLost', data })),
      c.on('train.features', (data) => send({ type: 'features', data })),
      c.on('train.residentData', (data) => send({ type: 'residentData', data })),
      c.on('train.state', (data) => send({ type: 'state', data })),
      c.on('probe.frame', (data: ProbeFrame) => send({ type: 'frame', data })),
      c.on('sweep.progress', (data) => {
        this.sweep.getState().progress(data);
        // The UI follows the sweep: each of its runs as it starts (in order with that run's events).
        // Its first run belongs to the project on the canvas (the sweep started from it), the next ones to the same.
        if (data.state === 'running' && data.start) send({ type: 'attached', result: data.start, state: 'running', step: 0, ...(data.index === 0 ? { owner: canvasOwner(this.editor.getState()) } : {}) });
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      if (this.flushEvents === flush) this.flushEvents = () => {};
    };
  }

  /**
   * Attach to the run the engine holds, if any (a reloaded page, a restarted renderer): the run view
   * shows it running, with its curves so far from the run store, and can pause or stop it; the pace
   * select shows the run's pace. `reopen` opens the run's project (its file, or its unsaved state)
   * when the run still trains and the canvas holds nothing yet — a page reloaded during a run comes
   * back to that project, not to an empty "Untitled" that the run's design would be compared against.
   */
  async attach(c: RpcClient, reopen?: ReopenRunProject): Promise<void> {
    const { run } = await c.request('train.current', {});
    if (!run || this.run.getState().runId === run.start.runId) return;
    let history: AttachedHistory | undefined;
    let project: string | undefined;
    if (run.start.storedRunId) {
      try {
        const stored = await c.request('runs.open', { id: run.start.storedRunId });
        history = await lineageHistory(stored, (id) => c.request('runs.open', { id }));
        project = stored.meta.project;
      } catch {
        // No stored curves (a run store that cannot be read): the charts fill from the next events.
      }
    }
    if (this.client() !== c) return;
    if (run.sweep) this.sweep.setState({ sweepId: run.sweep.id, total: run.sweep.total, state: 'running', run: run.sweep, failures: [] });
    if (run.pace !== undefined) this.trainUi.getState().set({ pace: run.pace });
    const owner: RunOwner = rememberedOwner(run.start.storedRunId ?? run.start.runId) ?? { name: project ?? (run.graph as GraphIR | null)?.name ?? 'Untitled' };
    const editor = this.editor.getState();
    // The canvas as the page opened it (nothing loaded, nothing drawn): the run's project takes its place.
    const pristine = editor.loadSeq === 0 && editor.history.present === editor.file.saved && editor.history.present.graph.nodes.length === 0;
    // The same page (a reconnected engine), its project still open: it is the run's.
    const here = !pristine && editor.file.name === owner.name && editor.file.path === owner.path;
    this.dispatch({ type: 'attached', result: run.start, state: run.state, step: run.step, graph: run.graph as GraphIR, ...(history ? { history } : {}), owner: here ? { ...owner, loadSeq: editor.loadSeq } : owner });
    // Only a run that still trains takes the canvas; an ended one shows as its project's, with Back to.
    if (!pristine || !isLive(run.state)) return;
    if (reopen) await this.openRunProject(() => reopen(owner, run.graph));
    // A page reloaded during a run shows it, as it did before the reload.
    this.trainUi.getState().set({ open: true });
  }

  /**
   * Bring the run's project onto the canvas with `open` (which loads a design, or fails): the run's
   * owner names the design loaded next before it loads, so the run's results are kept through the
   * load (`connect` forgets an ended run's results when another design opens).
   */
  private async openRunProject(open: () => Promise<boolean>): Promise<boolean> {
    const owner = this.run.getState().owner;
    if (!owner) return false;
    const next = this.editor.getState().loadSeq + 1;
    this.dispatch({ type: 'owner', owner: { ...owner, loadSeq: next } });
    const opened = await open().catch(() => false);
    const now = this.run.getState().owner;
    if (!now) return opened;
    const loadSeq = this.editor.getState().loadSeq;
    if (!opened || loadSeq !== next) this.dispatch({ type: 'owner', owner: { ...now, loadSeq: opened ? loadSeq : owner.loadSeq } });
    else this.run.setState({ away: undefined });
    return opened;
  }

  /**
   * "Back to <project>": the run's project onto the canvas again (after asking about unsaved changes
   * of the design open now) — as it was left when another design was opened over it, else its file,
   * else the run's design.
   */
  async showRunProject(files: RunProjectFiles): Promise<boolean> {
    const s = this.run.getState();
    if (!s.owner || !runElsewhere(s, this.editor.getState().loadSeq)) return false;
    if (!(await files.confirmDiscard('open'))) return false;
    const { owner, graph, away } = this.run.getState();
    if (!owner) return false;
    return this.openRunProject(() => files.openRunProject(owner, graph, away));
  }

  /**
   * Show a stored run in the Train dock: its curves and result, and its last probe frame (the
   * timeline, `showStoredFrame`, moves through the others). Refused while a run is live.
   */
  async viewStoredRun(c: RpcClient, id: string): Promise<ResultOf<'runs.open'>> {
    const run = await c.request('runs.open', { id });
    const history = await lineageHistory(run, (parent) => c.request('runs.open', { id: parent }));
    this.dispatch({ type: 'view-stored', run, history });
    const last = run.frameSteps[run.frameSteps.length - 1];
    if (last !== undefined) await this.showStoredFrame(c, id, last);
    return run;
  }

  /** The timeline: show a stored run's probe frame at `step` (or the last one before it). */
  async showStoredFrame(c: RpcClient, id: string, step: number): Promise<void> {
    const { frame } = await c.request('runs.frame', { id, step });
    this.dispatch({ type: 'stored-frame', id, frame });
  }

  /**
   * Keep the run store bound to whichever engine client is current (the engine may restart), attach
   * to the run an engine already holds when it connects (`reopen`: see `attach`), and follow the
   * designs opened: another design (New, Open, a template, a restored run) forgets an ended run's
   * results; a live run goes on, its project's document kept for "Back to" (#32 item 8).
   */
  connect(options: { reopen?: ReopenRunProject } = {}): () => void {
    let unbind: (() => void) | undefined;
    let bound: RpcClient | undefined;
    let attached: RpcClient | undefined;
    const sync = (c: RpcClient | undefined, ready: boolean) => {
      if (c !== bound) {
        unbind?.();
        bound = c;
        unbind = c ? this.bind(c) : undefined;
        const s = this.run.getState();
        if (!c && isLive(s.phase)) {
          // Another tab took the engine: the run goes on there (and is attached to again on "Use it here").
          const error = this.engine.getState().taken ? { code: 'E_ENGINE_TAKEN', message: 'Netwright was opened in another tab, which now has the engine: the run goes on there. "Use it here" follows it here again.' } : { code: 'E_ENGINE_GONE', message: 'The engine stopped; the run ended with it.' };
          this.run.setState({ phase: 'failed', error });
        }
      }
      if (c && ready && attached !== c) {
        attached = c;
        this.attach(c, options.reopen).catch((e: Error) => console.error(`[netwright] could not attach to the engine's run: ${e.message}`));
      }
    };
    const engine = this.engine.getState();
    sync(engine.client, engine.state === 'ready');
    const off = this.engine.subscribe((s) => sync(s.client, s.state === 'ready'));
    const offEditor = this.editor.subscribe((s, prev) => {
      // The canvas's architecture-diff colours describe the design as opened: an edit or another design ends them.
      const ui = this.trainUi.getState();
      if (s.history.present !== prev.history.present && ui.archDiff) ui.set({ archDiff: undefined });
      const run = this.run.getState();
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
      if (owner && owner.loadSeq === prev.loadSeq && run.phase !== 'idle') this.run.setState({ away: { doc: prev.history.present, file: prev.file, ui: prev.ui } });
      run.dispatch({ type: 'clear' });
      const after = this.run.getState();
      if (!isLive(after.phase)) this.run.setState({ sanity: undefined, sanityGraph: undefined, ...(after.phase === 'idle' ? { away: undefined } : {}) });
    });
    return () => {
      off();
      offEditor();
      unbind?.();
    };
  }
}

