/**
 * A run belongs to its project (#32 item 8): opening another design leaves a live run training,
 * shown as its own project's and drawn over no other canvas; "Back to" restores that project as it
 * was left; a page reloaded during a run reopens the run's project with the run's pace.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeFrame, RpcClient } from '../../../src-engine/protocol';
import { diffGraphs } from '../../../src-engine/facade';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { engineGraph } from '../../../src-renderer/src/editor/analysis';
import { ProjectFiles } from '../../../src-renderer/src/editor/files';
import { serializeProject } from '../../../src-renderer/src/editor/project';
import { selectDirty } from '../../../src-renderer/src/state/editor-store';
import { emptyRun, overlayFrame, reduceRun, runElsewhere, runLabel, type RunAction, type StartResult } from '../../../src-renderer/src/training/model';
import { build, memoryHost, mlpDoc } from '../editor/fixtures';
import { currentExportSource, loadProjectModel, modelForSave } from '../../../src-renderer/src/training/export';
import { startResult } from './fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const started: StartResult = { ...startResult, storedRunId: '20261124-041800-ab12' };
const progress = (step: number): RunAction => ({ type: 'progress', data: { runId: 'run-1', epoch: 1, epochs: 2, step, stepInEpoch: step, stepsPerEpoch: 10, loss: 0.5, batchLoss: 0.5, lr: 0.01, samplesPerSec: 100, etaSeconds: 1, state: 'running' } });
const frame: ProbeFrame = { runId: 'run-1', seq: 0, step: 3, epoch: 1, loss: 1, layers: [], params: [], health: [], costMs: 1 };

/** File commands over an in-memory folder and recovery slot. */
function memoryFiles() {
  const host = memoryHost();
  const project = new ProjectFiles(w, host, 60_000);
  return { disk: host.disk, project, setRecovery: (r: object) => void host.files.writeRecovery(JSON.stringify(r)) };
}

describe('the run view names its project (reducer)', () => {
  it('keeps the owner from start through progress and a design opened meanwhile; another loadSeq is "elsewhere", and draws no overlay there', () => {
    const owner = { name: 'MNIST MLP', path: 'MNIST MLP.netwright.json', loadSeq: 4 };
    let s = [{ type: 'starting', probes: true, owner } as RunAction, { type: 'started', result: started } as RunAction, progress(5), { type: 'frame', data: frame } as RunAction].reduce(reduceRun, emptyRun);
    expect(s.owner).toEqual(owner);
    expect(runElsewhere(s, 4)).toBe(false);
    expect(overlayFrame(s, 4)?.step).toBe(3);
    // Another design opened (`clear`): a live run is kept, with its owner; on that canvas it is elsewhere and draws nothing.
    s = reduceRun(s, { type: 'clear' });
    expect(s.phase).toBe('running');
    expect(runElsewhere(s, 5)).toBe(true);
    expect(overlayFrame(s, 5)).toBeUndefined();
    // Its project back on the canvas (loadSeq 6): shown there again.
    s = reduceRun(s, { type: 'owner', owner: { ...owner, loadSeq: 6 } });
    expect(runElsewhere(s, 6)).toBe(false);
    // A sweep's next run keeps the sweep's project; an ended run is forgotten by the next design.
    const next = reduceRun(s, { type: 'attached', result: { ...started, runId: 'run-2' }, state: 'running', step: 0 });
    expect(next.owner).toEqual(s.owner);
    expect(reduceRun(reduceRun(s, { type: 'done', data: { runId: 'run-1', reason: 'completed', epochs: 2, steps: 20, seconds: 1, evaluatedEpoch: 2 } }), { type: 'clear' })).toEqual(emptyRun);
    expect(runElsewhere(emptyRun, 1)).toBe(false);
  });

  it('labels a run by its start time when the run store keeps it', () => {
    expect(runLabel(started)).toBe('run of 04:18:00');
    expect(runLabel({ runId: 'run-7' })).toBe('run-7');
  });
});

describe('opening another design while a run trains (the stores)', () => {
  let disconnect: () => void;
  beforeEach(() => {
    disconnect = w.runs.connect();
  });
  afterEach(() => disconnect());

  /** The MLP open as a saved project with an unsaved edit, training. */
  function trainingMlp() {
    const saved = mlpDoc();
    w.editor.getState().load(saved, { path: 'mlp.netwright.json', name: 'mlp' });
    w.editor.getState().edit({ kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 64 } });
    const edited = w.editor.getState().history.present;
    const owner = { name: 'mlp', path: 'mlp.netwright.json', loadSeq: w.editor.getState().loadSeq };
    w.run.getState().dispatchAll([{ type: 'starting', probes: true, graph: engineGraph(edited.graph), owner }, { type: 'started', result: started }, progress(7)]);
    return { saved, edited };
  }

  it('another design leaves the run training as its project\'s; "Back to" brings that project back as it was left, unsaved edit included', async () => {
    const { saved, edited } = trainingMlp();
    const { project } = memoryFiles();
    w.editor.getState().load(build(emptyDoc()), { name: 'Untitled' });
    const s = w.run.getState();
    expect(s.phase).toBe('running');
    expect(s.progress?.step).toBe(7);
    expect(runElsewhere(s, w.editor.getState().loadSeq)).toBe(true);
    expect(s.away?.doc).toBe(edited);

    expect(await w.runs.showRunProject(project)).toBe(true);
    const e = w.editor.getState();
    expect(e.history.present).toBe(edited);
    expect(e.file).toMatchObject({ path: 'mlp.netwright.json', name: 'mlp', saved });
    expect(selectDirty(e)).toBe(true);
    const back = w.run.getState();
    expect(runElsewhere(back, e.loadSeq)).toBe(false);
    expect(back.progress?.step).toBe(7);
    expect(back.away).toBeUndefined();
  });

  it('a run that ends while its project is away keeps its results for "Back to"; a third design then forgets them', async () => {
    trainingMlp();
    const { project } = memoryFiles();
    w.editor.getState().load(emptyDoc(), { name: 'Other' });
    w.run.getState().dispatch({ type: 'done', data: { runId: 'run-1', reason: 'completed', epochs: 2, steps: 20, seconds: 1, evaluatedEpoch: 2 } });
    expect(runElsewhere(w.run.getState(), w.editor.getState().loadSeq)).toBe(true);
    expect(await w.runs.showRunProject(project)).toBe(true);
    expect(w.run.getState()).toMatchObject({ phase: 'done', runId: 'run-1' });
    w.editor.getState().load(emptyDoc(), { name: 'Third' });
    expect(w.run.getState().phase).toBe('idle');
  });

  it('saving the other design never takes the run\'s weights: it keeps the ones it was opened with, or none; Export has nothing of it', async () => {
    trainingMlp();
    const request = vi.fn(async (method: string) => {
      if (method === 'train.current') return { run: null };
      if (method === 'model.load') return { runId: 'run-9', task: 'classification', classNames: ['a', 'b'], probeSamples: { shape: [2], inputs: [], targets: [] } };
      throw new Error(`unexpected ${method}`);
    });
    w.engine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient, state: 'ready' });
    w.editor.getState().load(emptyDoc(), { name: 'Plain' });
    expect(currentExportSource(w)).toBeUndefined();
    expect(await modelForSave(w)).toBeUndefined();
    // A project saved with its weights, opened while the run trains: those weights stay its own.
    w.editor.getState().load(emptyDoc(), { name: 'With weights', path: 'w.netwright.json' });
    const model = { format: 'netwright.model', graph: { nodes: [] } };
    await loadProjectModel(w, model, 'With weights');
    expect(w.run.getState().runId).toBe('run-1');
    expect((await modelForSave(w))?.model).toBe(model);
    // The run's weights were never asked for.
    expect(request.mock.calls.map((c) => c[0])).not.toContain('model.export');
    w.engine.setState({ client: undefined, state: 'connecting' });
  });

  it('Save As on the run\'s project renames its owner', () => {
    trainingMlp();
    w.editor.getState().markSaved(w.editor.getState().history.present, { path: 'mlp v2.netwright.json', name: 'mlp v2' });
    expect(w.run.getState().owner).toMatchObject({ name: 'mlp v2', path: 'mlp v2.netwright.json' });
  });
});

describe('a page reloaded during a run', () => {
  beforeEach(() => {
    // A fresh page (the window's stores are new): nothing loaded yet.
    w.trainUi.getState().set({ pace: 0 });
  });

  /** An engine holding a run of `graph` at pace 20 that the run store recorded for project "mlp". */
  function engineWithRun(graph: unknown, state = 'running') {
    const request = vi.fn(async (method: string) => {
      if (method === 'train.current') return { run: { start: started, state, step: 40, graph, pace: 20 } };
      if (method === 'runs.open') return { meta: { project: 'mlp' }, curve: { step: [1, 2], loss: [1, 0.9], epoch: [1, 1], lr: [0.01, 0.01] }, epochs: [] };
      throw new Error(`unexpected ${method}`);
    });
    const c = { request, on: () => () => {} } as unknown as RpcClient;
    w.engine.setState({ client: c });
    return c;
  }

  it('reopens the run\'s project (here: its unsaved state from the recovery slot), keeps the pace, and the canvas matches the run', async () => {
    const doc = mlpDoc();
    const graph = engineGraph(doc.graph);
    const { project, setRecovery } = memoryFiles();
    setRecovery({ kind: 'netwright.recovery', name: 'mlp', project: serializeProject(doc, {}) });
    const taken = vi.fn();
    project.onRecoveryTaken(taken);
    await w.runs.attach(engineWithRun(graph), (owner, g) => project.openRunProject(owner, g));
    const e = w.editor.getState();
    expect(e.file.name).toBe('mlp');
    expect(e.history.present.graph.nodes.map((n) => n.id)).toEqual(doc.graph.nodes.map((n) => n.id));
    expect(taken).toHaveBeenCalledOnce();
    const s = w.run.getState();
    expect(s).toMatchObject({ phase: 'running', runId: 'run-1', owner: { name: 'mlp', loadSeq: e.loadSeq } });
    expect(runElsewhere(s, e.loadSeq)).toBe(false);
    expect(w.trainUi.getState().pace).toBe(20);
    // What the "Changed since" banner compares: nothing differs.
    const d = diffGraphs(s.graph!, engineGraph(e.history.present.graph));
    expect(d.added.length + d.removed.length + d.changed.length + d.outputs.length).toBe(0);
  });

  it('without a recovery of that project, opens its file; without a file, the run\'s design under the project\'s name', async () => {
    const doc = mlpDoc();
    const graph = engineGraph(doc.graph);
    const { project, disk, setRecovery } = memoryFiles();
    setRecovery({ kind: 'netwright.recovery', name: 'Something else', project: serializeProject(emptyDoc(), {}) });
    disk.set('mlp.netwright.json', serializeProject(doc, {}));
    expect(await project.openRunProject({ name: 'mlp', path: 'mlp.netwright.json' }, graph)).toBe(true);
    expect(w.editor.getState().file).toMatchObject({ name: 'mlp', path: 'mlp.netwright.json' });
    expect(selectDirty(w.editor.getState())).toBe(false);
    expect(await project.openRunProject({ name: 'From a template' }, graph)).toBe(true);
    expect(w.editor.getState().file.name).toBe('From a template');
    expect(w.editor.getState().history.present.graph.nodes).toHaveLength(doc.graph.nodes.length);
  });

  it('an ended run the engine still holds takes no canvas: it shows as its project\'s, elsewhere', async () => {
    const reopen = vi.fn(async () => true);
    await w.runs.attach(engineWithRun(engineGraph(mlpDoc().graph), 'done'), reopen);
    expect(reopen).not.toHaveBeenCalled();
    expect(w.editor.getState().history.present.graph.nodes).toHaveLength(0);
    expect(w.run.getState()).toMatchObject({ phase: 'done', owner: { name: 'mlp' } });
    expect(runElsewhere(w.run.getState(), w.editor.getState().loadSeq)).toBe(true);
  });

  it('leaves a canvas the user already works on alone: the run shows as its project\'s, elsewhere', async () => {
    w.editor.getState().load(mlpDoc(), { name: 'Mine' });
    const reopen = vi.fn(async () => true);
    await w.runs.attach(engineWithRun(engineGraph(mlpDoc().graph)), reopen);
    expect(reopen).not.toHaveBeenCalled();
    expect(w.editor.getState().file.name).toBe('Mine');
    expect(runElsewhere(w.run.getState(), w.editor.getState().loadSeq)).toBe(true);
  });
});

describe('an imported model is saved with its weights', () => {
  it('fetches them from the engine at save time (model.read sends the graph alone), from the loaded model by its id', async () => {
    w.run.setState({ ...emptyRun });
    w.editor.getState().load(emptyDoc(), { name: 'resnet18' });
    const rest = { format: 'netwright.model', graph: { nodes: [] }, params: {}, buffers: {} };
    // The weights file as the engine makes it (here any 95 bytes): read in parts as bytes (10 a message here; at most EXPORT_CHUNK_BYTES).
    const bytes = Uint8Array.from({ length: 95 }, (_, i) => i);
    const request = vi.fn(async (method: string, params: unknown) => {
      if (method === 'model.weightsOpen') return { handle: 'export-1', model: rest, bytes: bytes.length };
      if (method === 'model.exportRead') return { data: bytes.subarray((params as { offset: number }).offset, (params as { offset: number }).offset + 10) };
      if (method === 'model.exportClose') return {};
      throw new Error(`unexpected ${method}`);
    });
    w.engine.setState({ client: { request, on: () => () => {} } as unknown as RpcClient, state: 'ready' });
    const info = { runId: 'run-7', task: 'classification' as const, classNames: [], probeSamples: { shape: [3, 8, 8], inputs: [], targets: [] } };
    w.run.getState().dispatch({ type: 'model-loaded', info, graph: { version: 3, nodes: [], outputs: {} } as never, source: 'resnet18.onnx' });
    expect(w.run.getState().loaded).toEqual({ source: 'resnet18.onnx' });
    const saved = (await modelForSave(w))!;
    expect(saved.model).toEqual(rest);
    expect(request).toHaveBeenCalledWith('model.weightsOpen', { source: { kind: 'loaded', runId: 'run-7' } });
    const read: number[] = [];
    for (let at = 0; at < saved.weights!.bytes; ) {
      const part = await saved.weights!.part(at);
      read.push(...part);
      at += part.length;
    }
    expect(read).toEqual([...bytes]);
    expect(request.mock.calls.filter(([m]) => m === 'model.exportRead')).toHaveLength(Math.ceil(bytes.length / 10));
    saved.weights!.close();
    expect(request).toHaveBeenLastCalledWith('model.exportClose', { handle: 'export-1' });
    w.engine.setState({ client: undefined, state: 'connecting' });
  });
});
