import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { ProjectFiles, RECOVERY_TURN_MS, fileNameFor } from '../../../src-renderer/src/editor/files';
import { parseProject, serializeProject } from '../../../src-renderer/src/editor/project';
import { ANALYSIS_DEBOUNCE_MS, selectDirty } from '../../../src-renderer/src/state/editor-store';
import { memoryHost, mlpDoc } from './fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const s = () => w.editor.getState();

afterEach(() => vi.useRealTimers());

describe('editor store', () => {
  it('adds ops from the palette with default attrs and readable ids; a loss becomes the `loss` output', () => {
    expect(s().addOp('Linear', { x: 0, y: 0 })).toBe('linear');
    expect(s().addOp('Linear', { x: 0, y: 100 })).toBe('linear2');
    expect(s().history.present.graph.nodes[0].attrs.outFeatures).toBe(10);
    expect(s().addOp('CrossEntropyLoss', { x: 0, y: 200 })).toBe('crossentropyloss');
    expect(s().history.present.graph.outputs).toEqual({ loss: 'crossentropyloss' });
    expect([...s().selectedNodes]).toEqual(['crossentropyloss']);
    s().undo();
    expect(s().history.present.graph.outputs).toEqual({}); // one undo step removes node and output
  });

  it('is dirty after an edit and clean again when undone to the saved document', () => {
    expect(selectDirty(s())).toBe(false);
    s().addOp('ReLU', { x: 0, y: 0 });
    expect(selectDirty(s())).toBe(true);
    s().undo();
    expect(selectDirty(s())).toBe(false);
  });

  it('shows a refused edit as a coded notice at the cursor and changes nothing', () => {
    s().load(mlpDoc(), { name: 'mlp' });
    const before = s().history;
    const r = s().edit({ kind: 'connect', edge: { source: 'act', target: 'flat', slot: 0 } }, { at: { x: 5, y: 6 } });
    expect(r.ok).toBe(false);
    expect(s().history).toBe(before);
    expect(w.session.getState().notice).toMatchObject({ kind: 'error', code: 'E_EDIT_CYCLE', at: { x: 5, y: 6 } });
  });

  it('recompiles after a debounce, and not for moves', () => {
    vi.useFakeTimers();
    s().load(mlpDoc(), { name: 'mlp' });
    const first = s().analysis;
    s().edit({ kind: 'move', positions: { fc1: { x: 3, y: 3 } } });
    expect(s().analysisPending).toBe(false);
    s().edit({ kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 64 } });
    expect(s().analysisPending).toBe(true);
    expect(s().analysis).toBe(first);
    vi.advanceTimersByTime(ANALYSIS_DEBOUNCE_MS + 1);
    expect(s().analysisPending).toBe(false);
    expect(s().analysis.shapes.fc1).toEqual([-1, 64]); // no training settings: the batch is unknown (N)
  });

  it('copy/paste and duplicate add fresh nodes and select them; delete removes the selection', () => {
    s().load(mlpDoc(), { name: 'mlp' });
    s().select(['fc1', 'act']);
    s().copySelection();
    s().paste();
    expect([...s().selectedNodes]).toEqual(['fc', 'act2']);
    s().duplicateSelection();
    expect([...s().selectedNodes]).toEqual(['fc3', 'act3']); // fc2 is taken by the fixture
    expect(s().history.present.graph.nodes.find((n) => n.id === 'act3')!.inputs).toEqual(['fc3']);
    const count = s().history.present.graph.nodes.length;
    s().removeSelection();
    expect(s().history.present.graph.nodes.length).toBe(count - 2);
    s().select([], ['y->loss:1']);
    s().removeSelection();
    expect(s().history.present.graph.nodes.find((n) => n.id === 'loss')!.inputs).toEqual(['fc2', '']); // the slot stays, unconnected
  });

  it('auto-layout is one undoable edit', () => {
    s().load(mlpDoc(), { name: 'mlp' });
    const before = s().history.present;
    s().layout();
    expect(s().history.present.layout).not.toEqual(before.layout);
    s().undo();
    expect(s().history.present).toBe(before);
  });
});

describe('project files over a host', () => {
  it('Save As in web mode asks for a name, writes `<name>.netwright.json`, and clears the dirty marker', async () => {
    const host = memoryHost();
    const files = new ProjectFiles(w, host);
    const stop = files.start();
    s().load(mlpDoc(), { name: 'Untitled' }, {}, true);
    expect(selectDirty(s())).toBe(true);
    expect(await files.save()).toBe(false);
    expect(w.session.getState().dialog).toBe('save-as');
    expect(await files.saveAsName('my net')).toBe(true);
    expect([...host.disk.keys()]).toEqual(['my net.netwright.json']);
    expect(selectDirty(s())).toBe(false);
    expect(s().file).toMatchObject({ path: 'my net.netwright.json', name: 'my net' });
    expect(host.titles.at(-1)).toEqual(['my net', false]);
    const reopened = parseProject(host.disk.get('my net.netwright.json')!);
    expect(reopened.ok && reopened.doc).toEqual(s().history.present);
    stop();
  });

  it('Save with native dialogs uses the picked path; a later Save writes there again', async () => {
    const host = memoryHost(true);
    const files = new ProjectFiles(w, host);
    s().load(mlpDoc(), { name: 'Net' }, {}, true);
    expect(await files.save()).toBe(true);
    expect([...host.disk.keys()]).toEqual(['/picked/Net.netwright.json']);
    s().addOp('ReLU', { x: 0, y: 0 });
    expect(await files.save()).toBe(true);
    expect(parseProject(host.disk.get('/picked/Net.netwright.json')!).ok).toBe(true);
    expect(host.disk.size).toBe(1);
  });

  it('Save As onto a name taken asks before replacing it (issue #44): Cancel keeps the file and the dialog, Replace writes', async () => {
    const host = memoryHost();
    const files = new ProjectFiles(w, host);
    s().load(mlpDoc(), { name: 'Untitled' }, {}, true);
    expect(await files.saveAsName('my-mlp')).toBe(true);
    const handBuilt = host.disk.get('my-mlp.netwright.json')!;
    // A template, saved as the same name.
    s().load(emptyDoc(), { name: 'MNIST MLP' }, {}, true);
    s().addOp('ReLU', { x: 0, y: 0 });
    w.session.getState().setDialog('save-as');
    const cancelled = files.saveAsName('my-mlp');
    await vi.waitFor(() => expect(w.confirm.getState().question).toMatchObject({ title: 'Replace "my-mlp"?', confirm: 'Replace', message: expect.stringContaining('"my-mlp.netwright.json" already exists') }));
    w.confirm.getState().answer(false);
    expect(await cancelled).toBe(false);
    expect(host.disk.get('my-mlp.netwright.json')).toBe(handBuilt);
    expect(w.session.getState().dialog).toBe('save-as');
    expect(selectDirty(s())).toBe(true);
    const replaced = files.saveAsName('my-mlp');
    await vi.waitFor(() => expect(w.confirm.getState().question).toBeDefined());
    w.confirm.getState().answer(true);
    expect(await replaced).toBe(true);
    expect(host.disk.get('my-mlp.netwright.json')).not.toBe(handBuilt);
    expect(s().file).toMatchObject({ path: 'my-mlp.netwright.json', name: 'my-mlp' });
    expect(selectDirty(s())).toBe(false);
  });

  it('Save over a file changed since it was opened (another tab saved it) asks first, and keeps the other save when cancelled (issue #44)', async () => {
    const host = memoryHost();
    const files = new ProjectFiles(w, host);
    host.disk.set('alpha.netwright.json', serializeProject(mlpDoc(), {}));
    expect(await files.openPath('alpha.netwright.json')).toBe(true);
    s().edit({ kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 7 } });
    // Tab B saved alpha meanwhile.
    const tabB = serializeProject({ ...mlpDoc(), graph: { ...mlpDoc().graph, name: 'saved by tab B' } }, {});
    host.disk.set('alpha.netwright.json', tabB);
    const stale = files.save();
    await vi.waitFor(() => expect(w.confirm.getState().question).toMatchObject({ title: '"alpha" changed on disk', confirm: 'Replace' }));
    w.confirm.getState().answer(false);
    expect(await stale).toBe(false);
    expect(host.disk.get('alpha.netwright.json')).toBe(tabB);
    expect(selectDirty(s())).toBe(true);
    // Confirmed: written, and the next Save (over its own version) asks nothing.
    const confirmed = files.save();
    await vi.waitFor(() => expect(w.confirm.getState().question).toBeDefined());
    w.confirm.getState().answer(true);
    expect(await confirmed).toBe(true);
    s().edit({ kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 8 } });
    expect(await files.save()).toBe(true);
    expect(w.confirm.getState().question).toBeUndefined();
    expect(parseProject(host.disk.get('alpha.netwright.json')!)).toMatchObject({ ok: true, doc: s().history.present });
  });

  it('Save embeds the trained model the training side supplies; Open hands a project\'s model back to it', async () => {
    const host = memoryHost(true);
    const model = { format: 'netwright.model', version: 1, params: { 'fc1.weight': { shape: [2], data: 'AACAPwAAAEA=' } } };
    const opened: [unknown, string][] = [];
    const files = new ProjectFiles(w, host, 1500, { modelForSave: async () => ({ model }), openedWithModel: (m, name) => void opened.push([m, name]) });
    s().load(mlpDoc(), { name: 'Trained' }, {}, true);
    expect(await files.save()).toBe(true);
    const text = host.disk.get('/picked/Trained.netwright.json')!;
    const parsed = parseProject(text);
    expect(parsed.ok && parsed.model).toEqual(model);
    expect(await files.openPath('/picked/Trained.netwright.json')).toBe(true);
    expect(opened).toEqual([[model, 'Trained']]);
    // Nothing trained: no model key, and opening it loads none.
    const bare = new ProjectFiles(w, host, 1500, { modelForSave: async () => undefined, openedWithModel: (m, name) => void opened.push([m, name]) });
    s().addOp('ReLU', { x: 0, y: 0 });
    expect(await bare.save()).toBe(true);
    expect(JSON.parse(host.disk.get('/picked/Trained.netwright.json')!)).not.toHaveProperty('model');
    bare.load(host.disk.get('/picked/Trained.netwright.json')!, '/picked/Trained.netwright.json', 'Trained.netwright.json');
    expect(opened).toHaveLength(1);
  });

  it('opening a corrupt or foreign file shows why and changes nothing', async () => {
    const host = memoryHost();
    host.disk.set('bad.json', '{ "format": "netwright.project", "version": 1, "graph": ');
    host.disk.set('foreign.json', '{ "format": "onnx" }');
    const files = new ProjectFiles(w, host);
    s().load(mlpDoc(), { path: 'mlp.netwright.json', name: 'mlp' });
    s().addOp('ReLU', { x: 0, y: 0 });
    const before = { history: s().history, file: s().file, selected: s().selectedNodes };
    expect(await files.openPath('bad.json')).toBe(false);
    expect(w.session.getState().notice).toMatchObject({ kind: 'error', code: 'E_PROJECT_NOT_JSON' });
    expect(await files.openPath('foreign.json')).toBe(false);
    expect(w.session.getState().notice?.message).toMatch(/not a Netwright project/);
    expect(await files.openPath('missing.json')).toBe(false);
    expect(s().history).toBe(before.history);
    expect(s().file).toBe(before.file);
    expect(s().selectedNodes).toBe(before.selected);
  });

  it('asks before discarding unsaved changes, and keeps them when the user cancels', async () => {
    const host = memoryHost();
    const files = new ProjectFiles(w, host);
    s().addOp('ReLU', { x: 0, y: 0 });
    const pending = files.newProject();
    await Promise.resolve();
    expect(w.confirm.getState().question?.message).toMatch(/not saved/);
    w.confirm.getState().answer(false);
    await pending;
    expect(s().history.present.graph.nodes).toHaveLength(1);
    const again = files.newProject();
    await Promise.resolve();
    w.confirm.getState().answer(true);
    await again;
    expect(s().history.present.graph.nodes).toHaveLength(0);
  });

  it('autosaves unsaved work to the recovery slot and offers it back; saving clears it', async () => {
    vi.useFakeTimers();
    const host = memoryHost();
    const files = new ProjectFiles(w, host, 500);
    const stop = files.start();
    s().load(mlpDoc(), { name: 'mlp' });
    s().addOp('ReLU', { x: 0, y: 0 });
    expect(host.recovery()).toBeNull();
    await vi.advanceTimersByTimeAsync(600);
    expect(host.recovery()).not.toBeNull();
    const edited = s().history.present;
    // "Crash": the session ends without saving; a new one finds the recovery and restores the identical document, still dirty.
    stop();
    s().load(emptyDoc(), { name: 'Untitled' });
    const next = new ProjectFiles(w, host, 500);
    const stopNext = next.start();
    const rec = await next.findRecovery();
    expect(rec?.doc).toEqual(edited);
    next.restore(rec!);
    expect(s().history.present).toEqual(edited);
    expect(selectDirty(s())).toBe(true);
    await next.saveAsName('kept');
    expect(host.recovery()).toBeNull();
    stopNext();
  });

  it("a save while an autosave is still on its way leaves no draft to offer (the slot's writes and clears keep their order)", async () => {
    vi.useFakeTimers();
    const host = memoryHost();
    // The slot's write lands 50 ms after it is sent (a slow disk, a busy host); a clear at once.
    const write = host.files.writeRecovery;
    host.files.writeRecovery = (text) => new Promise((done) => setTimeout(() => void write(text).then(done), 50));
    const files = new ProjectFiles(w, host, 100);
    const stop = files.start();
    s().load(mlpDoc(), { name: 'mlp' });
    s().addOp('ReLU', { x: 0, y: 0 });
    await vi.advanceTimersByTimeAsync(110); // the autosave is sent, not yet written
    const saved = files.saveAsName('mlp');
    await vi.advanceTimersByTimeAsync(200);
    expect(await saved).toBe(true);
    expect(selectDirty(s())).toBe(false);
    expect(host.recovery()).toBeNull();
    stop();
  });

  it('a recovery write the host never answers holds the next ones back only RECOVERY_TURN_MS', async () => {
    vi.useFakeTimers();
    const host = memoryHost();
    host.files.writeRecovery = () => new Promise(() => {}); // a lost connection: no answer, ever
    const files = new ProjectFiles(w, host, 100);
    const stop = files.start();
    s().load(mlpDoc(), { name: 'mlp' });
    s().addOp('ReLU', { x: 0, y: 0 });
    await vi.advanceTimersByTimeAsync(110);
    const cleared = vi.fn();
    const clear = host.files.clearRecovery;
    host.files.clearRecovery = () => clear().then(cleared);
    void files.discardRecovery();
    await vi.advanceTimersByTimeAsync(RECOVERY_TURN_MS - 200);
    expect(cleared).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(300);
    expect(cleared).toHaveBeenCalledOnce();
    stop();
  });

  it('makes safe file names', () => {
    expect(fileNameFor('a/b:c')).toBe('a-b-c.netwright.json');
    expect(fileNameFor('  ')).toBe('Untitled.netwright.json');
    expect(fileNameFor('x.netwright.json')).toBe('x.netwright.json');
  });

  it('serialises what it saves as a project file', () => {
    expect(JSON.parse(serializeProject(mlpDoc())).format).toBe('netwright.project');
  });
});

describe('host calls', () => {
  it('sets the title only when the name or dirty marker changes, and clears recovery when back to saved', async () => {
    vi.useFakeTimers();
    const host = memoryHost();
    const files = new ProjectFiles(w, host, 100);
    s().load(mlpDoc(), { path: 'mlp.netwright.json', name: 'mlp' });
    const stop = files.start();
    const before = host.titles.length;
    for (let i = 0; i < 20; i++) s().edit({ kind: 'move', positions: { fc1: { x: i, y: i } }, coalesce: 'drag:1' });
    expect(host.titles.slice(before)).toEqual([['mlp', true]]);
    await vi.advanceTimersByTimeAsync(200);
    expect(host.recovery()).not.toBeNull();
    s().undo();
    await vi.advanceTimersByTimeAsync(0);
    expect(host.titles.at(-1)).toEqual(['mlp', false]);
    expect(host.recovery()).toBeNull();
    stop();
  });
});
