/**
 * Issue #44 items 3 and 4: what Problems and Start read besides the graph. A settings field that
 * says no (`abc` in the learning rate) is a problem naming the field and blocks Start; a table the
 * design does not take (a Titanic-like CSV on the Iris MLP: [9] values, 2 classes) is fitted at
 * "Use this data" — the Input's width and the head, one undo step — and what stays unfitted is
 * listed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, beforeEach } from 'vitest';
import { fitToData, type DataShape, type GraphIR } from '../../../src-engine/facade';
import type { DataScanResult } from '../../../src-engine/protocol';
import { dataShapeOf } from '../../../src-renderer/src/training/add-data';
import { dataProblems, draftProblems, startBlock } from '../../../src-renderer/src/state/setting-problems';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const iris = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/iris-mlp.json'), 'utf8')) as GraphIR;
const titanic: DataShape = { name: 'titanic.csv', kind: 'table', featureShape: [9], classes: 2 };
const attr = (g: GraphIR, id: string, name: string) => g.nodes.find((n) => n.id === id)?.attrs[name];

/** What the scan answers for the Titanic-like table read with a fill policy (data-scan.test.ts checks the engine's side). */
const titanicScan = {
  kind: 'csv',
  path: 'data/titanic.csv',
  name: 'titanic.csv',
  fingerprint: 'f1',
  files: 1,
  bytes: 3000,
  classes: [
    { name: '0', count: 60, splits: { train: 60, val: 0, test: 0 }, thumbnails: [] },
    { name: '1', count: 40, splits: { train: 40, val: 0, test: 0 }, thumbnails: [] },
  ],
  sizes: [],
  skipped: [],
  skippedTotal: 0,
  table: { rows: 100, columns: [], task: 'classification', encodedWidth: 9, targetBy: 'name' },
  featureShape: [9],
  notes: [],
  dataset: { name: 'csv', options: { targetColumn: 'Survived', missing: 'median', path: 'data/titanic.csv', fingerprint: 'f1' } },
} satisfies DataScanResult;

const housing = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/housing-mlp.json'), 'utf8')) as GraphIR;
const houses: DataShape = { name: 'houses.csv', kind: 'table', featureShape: [6], classes: 0, targetShape: [1] };
/** A table of house prices, price the target: a regression (data-scan.test.ts checks the engine's side). */
const housesScan = {
  ...titanicScan,
  name: 'houses.csv',
  path: 'data/houses.csv',
  fingerprint: 'f2',
  classes: [],
  table: { rows: 400, columns: [], task: 'regression', encodedWidth: 6, targetBy: 'last' },
  featureShape: [6],
  targetShape: [1],
  dataset: { name: 'csv', options: { path: 'data/houses.csv', fingerprint: 'f2' } },
} satisfies DataScanResult;

/** Opens the Iris MLP, presses "Use this data" on a scanned table, and returns the design it became (analysed). */
function useOnIris(scan: DataScanResult): GraphIR {
  w.editor.getState().load({ graph: iris, layout: {} }, { name: 'iris' });
  w.addData.setState({ result: scan });
  w.addData.getState().use();
  w.editor.getState().analyzeNow();
  return w.editor.getState().history.present.graph;
}

describe('a settings field that says no blocks Start, named in Problems', () => {
  it('abc in the learning rate is a problem naming the field and what was typed; Start gives it as the reason; fixing it lifts both', () => {
    const drafts = w.fieldDrafts.getState();
    expect(startBlock(false, draftProblems(w.fieldDrafts.getState().drafts))).toBeUndefined();
    drafts.put({ field: 'train-lr', label: 'Learning rate', text: 'abc', message: 'Enter a number.' });
    const problems = draftProblems(w.fieldDrafts.getState().drafts);
    expect(problems).toEqual([{ code: 'E_SETTING_INVALID', message: 'Learning rate: “abc” is not used. Enter a number.', field: 'train-lr' }]);
    expect(startBlock(false, problems)).toBe('Learning rate: “abc” is not used. Enter a number.');
    // Every field, the Inspector's attribute fields too (with their node, to go to it).
    drafts.put({ field: 'attr-outFeatures', label: 'fc2 · outFeatures', text: '0', message: 'Must be between 1 and 1000000.', nodeId: 'fc2' });
    expect(draftProblems(w.fieldDrafts.getState().drafts).map((p) => [p.field, p.nodeId])).toEqual([
      ['train-lr', undefined],
      ['attr-outFeatures', 'fc2'],
    ]);
    drafts.drop('train-lr');
    drafts.drop('attr-outFeatures');
    expect(startBlock(true, draftProblems(w.fieldDrafts.getState().drafts))).toBe('Fix the problems first');
    expect(startBlock(false, draftProblems(w.fieldDrafts.getState().drafts))).toBeUndefined();
  });
});

describe('a table the design does not take', () => {
  it('the Iris MLP meets a Titanic-like table: its Input changes to [9] and its head to 2 classes, nothing left unfitted', () => {
    const fit = fitToData(iris, titanic);
    expect(fit.edits.map((e) => [e.nodeId, e.attrs])).toEqual([
      ['measurements', { shape: [9] }],
      ['fc2', { outFeatures: 2 }],
    ]);
    expect(fit.edits[0].problem).toBe('Input “measurements” takes [4] (4 values) but titanic.csv gives [9] per sample (9 values).');
    expect(fit.edits[1].problem).toBe('fc2 outputs 3 but titanic.csv has 2 classes.');
    expect(fit.edits[0].done).toBe("measurements now takes [9], the table's values per sample (it took [4])");
    expect(fitToData(iris, { ...titanic, kind: 'arrays' }).edits[0].done).toBe("measurements now takes [9], the arrays' values per sample (it took [4])");
    expect(fit.mismatches).toEqual([]);
    // Data it takes as it is: nothing to do.
    expect(fitToData(iris, { ...titanic, featureShape: [4], classes: 3 })).toEqual({ edits: [], mismatches: [] });
  });

  it('a regression table on the Iris MLP: its loss becomes MSELoss, its target [1], its head 1 output, its metrics mse, mae, r2', () => {
    const fit = fitToData(iris, houses);
    expect(fit.edits.map((e) => [e.nodeId, e.op, e.attrs])).toEqual([
      ['measurements', undefined, { shape: [6] }],
      ['loss', 'MSELoss', {}],
      ['species', undefined, { shape: [1] }],
      ['fc2', undefined, { outFeatures: 1 }],
    ]);
    expect(fit.edits[1].problem).toBe("loss (CrossEntropyLoss) compares class labels but houses.csv's target holds numbers to predict (a regression): it needs MSELoss.");
    expect(fit.edits[2].problem).toBe('Target “species” takes class labels ([]) but houses.csv gives 1 value to predict per sample ([1]).');
    expect(fit.metrics).toEqual({ to: ['mse', 'mae', 'r2'], problem: 'The metrics (accuracy, f1, confusion) measure classes, not houses.csv\'s values.', done: 'the metrics are now mse, mae, r2' });
    expect(fit.output).toEqual({ from: 'logits', to: 'prediction', done: 'the output logits is now called prediction (values, not class scores)' });
    // A design made for values (the housing MLP) takes it as it is, metrics and all.
    expect(fitToData(housing, { ...houses, featureShape: [4] })).toEqual({ edits: [], mismatches: [] });
    // Images of a folder are classes, whatever the count says.
    expect(fitToData(iris, { ...houses, kind: 'folder', featureShape: [3, 8, 8], resizedToInput: true }).edits).toEqual([]);
  });

  it('classes on the housing MLP (MSELoss, one output): CrossEntropyLoss, class labels, a head per class, accuracy; one 0/1 logit (BCEWithLogitsLoss) reads two classes as it is; a reconstruction keeps its loss', () => {
    const fit = fitToData(housing, { ...titanic, featureShape: [4] });
    expect(fit.edits.map((e) => [e.nodeId, e.op, e.attrs])).toEqual([
      ['fc3', undefined, { outFeatures: 2 }],
      ['loss', 'CrossEntropyLoss', {}],
      ['price', undefined, { shape: [] }],
    ]);
    expect(fit.edits[1].problem).toBe("loss (MSELoss) compares values but titanic.csv's target holds classes: it needs CrossEntropyLoss.");
    expect(fit.edits[2].problem).toBe('Target “price” takes [1] values but titanic.csv gives a class label per sample, of 2 classes.');
    expect(fit.metrics?.to).toEqual(['accuracy']);
    const bce: GraphIR = { ...housing, nodes: housing.nodes.map((n) => (n.op === 'MSELoss' ? { ...n, op: 'BCEWithLogitsLoss' } : n)) };
    expect(fitToData(bce, { ...titanic, featureShape: [4] })).toEqual({ edits: [], mismatches: [] });
    expect(fitToData(bce, { ...titanic, featureShape: [4], classes: 3 }).edits.map((e) => [e.nodeId, e.op])).toEqual([
      ['fc3', undefined],
      ['loss', 'CrossEntropyLoss'],
      ['price', undefined],
    ]);
    const ae = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/mnist-denoise-ae.json'), 'utf8')) as GraphIR;
    expect(fitToData(ae, { name: 'digits', kind: 'folder', featureShape: [1, 28, 28], classes: 10, resizedToInput: true })).toEqual({ edits: [], mismatches: [] });
  });

  it('"Use this data" with the regression table: one undo step, no diagnostics, and the loss it changed is a problem once put back', () => {
    expect(dataShapeOf(housesScan)).toEqual(houses);
    const fitted = useOnIris(housesScan);
    expect(fitted.nodes.find((n) => n.id === 'loss')).toMatchObject({ op: 'MSELoss', attrs: {} });
    expect(fitted.training?.metrics).toEqual(['mse', 'mae', 'r2']);
    // The name says the new widths: 6 values in, the 1 value to predict out; the output is a prediction, not logits.
    expect(fitted.name).toBe('houses MLP (6-16-1)');
    expect(fitted.outputs).toEqual({ prediction: 'fc2', loss: 'loss' });
    expect(w.editor.getState().analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(dataProblems(fitted, w.editor.getState().analysis.shapes, w.addData.getState().used)).toEqual([]);
    expect(w.session.getState().notice?.message).toContain('loss is now MSELoss, a regression\'s loss (it was CrossEntropyLoss)');
    w.editor.getState().edit({ kind: 'set-op', nodeId: 'loss', op: 'CrossEntropyLoss', attrs: {} });
    expect(dataProblems(w.editor.getState().history.present.graph, {}, w.addData.getState().used).map((p) => [p.code, p.nodeId])).toEqual([['E_DATA_MISMATCH', 'loss']]);
    w.editor.getState().undo();
    w.editor.getState().undo();
    const back = w.editor.getState().history.present.graph;
    expect(back.nodes.find((n) => n.id === 'loss')?.op).toBe('CrossEntropyLoss');
    expect(back.training?.metrics).toEqual(['accuracy', 'f1', 'confusion']);
    expect(back.outputs).toEqual(iris.outputs);
    expect(attr(back, 'fc2', 'outFeatures')).toBe(3);
  });

  it('what no single change fixes is listed: an Input of another rank, a head that is not a Linear', () => {
    const images: GraphIR = { ...iris, nodes: iris.nodes.map((n) => (n.id === 'measurements' ? { ...n, attrs: { ...n.attrs, shape: [1, 2, 2] } } : n)) };
    expect(fitToData(images, { ...titanic, classes: 3 }).mismatches).toEqual(['Input “measurements” takes [1, 2, 2] (4 values) but titanic.csv gives [9] per sample (9 values): set the Input\'s shape to [9].']);
    const softmax: GraphIR = { ...iris, nodes: [...iris.nodes, { id: 'probs', op: 'Softmax', attrs: {}, inputs: ['fc2'] }], outputs: { ...iris.outputs, logits: 'probs' } };
    expect(fitToData(softmax, { ...titanic, featureShape: [4] }, { probs: [16, 3] }).mismatches).toEqual(['The prediction “probs” gives 3 values per sample but titanic.csv has 2 classes: make the last layer output 2.']);
    // A folder's images are resized to the Input: only its classes count.
    expect(fitToData(iris, { ...titanic, kind: 'folder', featureShape: [3, 32, 32], resizedToInput: true }).edits.map((e) => e.nodeId)).toEqual(['fc2']);
  });

  it('"Use this data" fits the Iris MLP to the table in one undo step; Problems lists a mismatch an edit brings back', () => {
    expect(dataShapeOf(titanicScan)).toEqual(titanic);
    const fitted = useOnIris(titanicScan);
    expect(fitted.training?.dataset).toMatchObject({ name: 'csv', options: { targetColumn: 'Survived', path: 'data/titanic.csv' } });
    expect(attr(fitted, 'measurements', 'shape')).toEqual([9]);
    expect(attr(fitted, 'fc2', 'outFeatures')).toBe(2);
    expect(w.editor.getState().analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(dataProblems(fitted, w.editor.getState().analysis.shapes, w.addData.getState().used)).toEqual([]);
    // An edit that undoes the fit is a problem again, before Start.
    w.editor.getState().edit({ kind: 'set-attrs', nodeIds: ['measurements'], attrs: { shape: [4] } });
    const edited = w.editor.getState().history.present.graph;
    expect(dataProblems(edited, {}, w.addData.getState().used).map((p) => [p.code, p.nodeId])).toEqual([['E_DATA_MISMATCH', 'measurements']]);
    w.editor.getState().undo();
    // One undo puts back the dataset, the Input and the head.
    w.editor.getState().undo();
    const back = w.editor.getState().history.present.graph;
    expect(back.training?.dataset.name).toBe('iris');
    expect(attr(back, 'measurements', 'shape')).toEqual([4]);
    expect(attr(back, 'fc2', 'outFeatures')).toBe(3);
    // Another dataset than the one used: nothing to check against.
    expect(dataProblems(back, {}, w.addData.getState().used)).toEqual([]);
  });
});
