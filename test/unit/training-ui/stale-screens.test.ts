/**
 * Screens that kept the state of what was open before (#60 item 7): each case fails on the code
 * before its fix.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DataScanResult } from '../../../src-engine/protocol';
import { weightsShown } from '../../../src-renderer/src/components/StatusBar';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { ProjectFiles } from '../../../src-renderer/src/editor/files';
import { TEMPLATES } from '../../../src-renderer/src/editor/templates';
import { datasetLabel, trainingSummary } from '../../../src-renderer/src/editor/training-summary';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';
import { namesForData } from '../../../src-renderer/src/training/add-data';
import { withoutZoomSlider } from '../../../src-renderer/src/components/training/Compare';
import { memoryHost, mlpDoc } from '../editor/fixtures';

let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const iris = () => TEMPLATES.find((t) => t.id === 'iris-mlp')!.doc!;

/** A scan of a breast-cancer table: 30 measurements and `diagnosis` (2 classes). */
const breastCancer = (): DataScanResult =>
  ({
    path: '/data/breast-cancer.csv',
    name: 'breast-cancer.csv',
    kind: 'csv',
    fingerprint: 'f',
    classes: [{ name: 'B' }, { name: 'M' }],
    featureShape: [30],
    table: {
      rows: 569,
      task: 'classification',
      columns: [...Array.from({ length: 30 }, (_, i) => ({ name: `m${i}`, role: 'feature' })), { name: 'diagnosis', role: 'target' }],
    },
    dataset: { name: 'csv', options: { path: '/data/breast-cancer.csv' } },
  }) as unknown as DataScanResult;

describe('the Runs tab after another design opens', () => {
  it('forgets the previous project\'s Compare and sweep: New, then an import, start at the list', () => {
    w.runsUi.getState().set({ selected: ['20261127-050000-aaaa', '20261127-050100-bbbb'], comparing: true, sweep: 'sweep-1' });
    w.editor.getState().load(emptyDoc(), { name: 'Untitled' });
    expect(w.runsUi.getState()).toMatchObject({ selected: [], comparing: false, sweep: undefined });
  });

  it('keeps them through edits of the design that is open', () => {
    w.editor.getState().load(mlpDoc(), { name: 'mlp' });
    w.runsUi.getState().set({ selected: ['a', 'b'], comparing: true });
    w.editor.getState().edit({ kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 64 } });
    expect(w.runsUi.getState()).toMatchObject({ selected: ['a', 'b'], comparing: true });
  });
});

describe('the status bar after an import', () => {
  it('names the weights loaded, not "training: done"', () => {
    w.editor.getState().load(emptyDoc(), { name: 'tinycnn' });
    const info = { runId: 'run-3', task: 'classification' as const, classNames: [], probeSamples: { shape: [3, 8, 8], inputs: [], targets: [] } };
    w.run.getState().dispatch({ type: 'model-loaded', info, graph: { format: 'netwright.graph', version: 3, nodes: [], outputs: {} }, source: 'tinycnn.onnx' });
    // The status bar's run item shows the weights' source for this view (a static render reads a store's first state, so the selector is what is checked).
    expect(weightsShown(w.run.getState())).toBe('tinycnn.onnx');
    expect(w.run.getState().phase).toBe('done');
    w.run.getState().dispatch({ type: 'clear' });
    expect(weightsShown(w.run.getState())).toBeUndefined();
  });
});

describe('names that follow the data and the file', () => {
  it('a breast-cancer table over the Iris template renames its target and the design (and so its runs)', () => {
    const names = namesForData(iris().graph, 'iris', breastCancer());
    expect(names).toEqual({ target: { from: 'species', to: 'diagnosis' }, name: 'breast-cancer MLP (30-16-2)' });
  });

  it('leaves a name that says nothing of the data, and a target already named after its column', () => {
    const graph = { ...iris().graph, name: 'my classifier', nodes: iris().graph.nodes.map((n) => (n.id === 'species' ? { ...n, id: 'diagnosis' } : n)) };
    expect(namesForData(graph, 'iris', breastCancer())).toEqual({});
  });

  it('"Use this data" applies them in the one undo step; the unsaved project goes by the new name', () => {
    const doc = iris();
    w.editor.getState().load(doc, { name: doc.graph.name! });
    w.addData.setState({ result: breastCancer() });
    w.addData.getState().use();
    const graph = w.editor.getState().history.present.graph;
    expect(graph.name).toBe('breast-cancer MLP (30-16-2)');
    expect(graph.nodes.map((n) => n.id)).toContain('diagnosis');
    expect(graph.nodes.map((n) => n.id)).not.toContain('species');
    expect(w.editor.getState().file.name).toBe('breast-cancer MLP (30-16-2)');
    expect(w.session.getState().notice?.message).toMatch(/measurements now takes \[30\].*fc2 now outputs 2.*the target species is now diagnosis, as the table names it; the design is now called “breast-cancer MLP \(30-16-2\)”\. Undo puts back all of it\.$/);
    w.editor.getState().undo();
    expect(w.editor.getState().history.present.graph).toMatchObject({ name: 'Iris MLP (4-16-3)' });
    expect(w.editor.getState().history.present.graph.nodes.map((n) => n.id)).toContain('species');
  });

  it('a folder read by reference goes by its name, not the loader\'s ("digits", not "image-folder")', () => {
    const dataset = { name: 'image-folder', options: { path: '/home/me/data/digits/' } };
    expect(datasetLabel(dataset)).toBe('digits');
    expect(datasetLabel({ name: 'mnist' })).toBe('mnist');
    expect(trainingSummary(iris().graph, { ...iris().graph.training!, dataset })).toMatch(/^Dataset digits · /);
  });

  it('Save As "my-mlp" names the design too, where it went by "Untitled"', async () => {
    const host = memoryHost();
    const files = new ProjectFiles(w, host);
    w.editor.getState().load({ ...mlpDoc(), graph: { ...mlpDoc().graph, name: 'Untitled' } }, { name: 'Untitled' }, {}, true);
    expect(await files.saveAsName('my-mlp')).toBe(true);
    expect(w.editor.getState().history.present.graph.name).toBe('my-mlp');
    expect(w.editor.getState().file).toMatchObject({ name: 'my-mlp', path: 'my-mlp.netwright.json' });
    expect(JSON.parse(host.disk.get('my-mlp.netwright.json')!).graph.name).toBe('my-mlp');
    // A design named by its user keeps its name under another file name.
    w.editor.getState().edit({ kind: 'set-name', name: 'Digits, take 2' });
    expect(await files.saveAsName('copy')).toBe(true);
    expect(w.editor.getState().history.present.graph.name).toBe('Digits, take 2');
  });
});

describe('an exported Compare chart', () => {
  it('leaves the zoom slider out of the PNG (it came out clipped at the bottom) and gives its room to the plot; the screen gets it back', () => {
    const option = { grid: { left: 52, right: 14, top: 24, bottom: 52 }, dataZoom: [{ type: 'inside' }, { type: 'slider', height: 14 }] };
    expect(withoutZoomSlider({ grid: { top: 42, left: 66 } }, option, true)).toEqual({ grid: { top: 42, left: 66, bottom: 30 }, dataZoom: [{}, { show: false }] });
    expect(withoutZoomSlider({ grid: { top: 24, left: 52 } }, option, false)).toEqual({ grid: { top: 24, left: 52, bottom: 52 }, dataZoom: [{}, { show: true }] });
    // A chart without a slider is patched as before.
    expect(withoutZoomSlider({ grid: { top: 42 } }, { grid: { bottom: 30 } }, true)).toEqual({ grid: { top: 42 } });
  });
});
