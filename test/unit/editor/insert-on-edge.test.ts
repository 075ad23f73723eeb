import { beforeEach, describe, expect, it } from 'vitest';
import { EditCode } from '../../../src-renderer/src/editor/actions';
import { analyzeDesign } from '../../../src-renderer/src/editor/analysis';
import { insertionProblem } from '../../../src-renderer/src/editor/connect';
import { UNCONNECTED, createNode } from '../../../src-renderer/src/editor/graph';
import { applyEdit } from '../../../src-renderer/src/editor/reducer';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { build, mlpDoc } from './fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const doc = mlpDoc();
const shapes = analyzeDesign(doc.graph).shapes;
const fresh = (op: string) => createNode(op, new Set(doc.graph.nodes.map((n) => n.id)));
const inputsOf = (d: typeof doc, id: string) => d.graph.nodes.find((n) => n.id === id)?.inputs;

describe('inserting a node on an edge (a pure edit)', () => {
  it('rewires source → new → target and touches nothing else', () => {
    const node = fresh('Dropout');
    const r = applyEdit(doc, { kind: 'insert-node', node, position: { x: 5, y: 6 }, edge: { source: 'act', target: 'fc2', slot: 0 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(inputsOf(r.doc, node.id)).toEqual(['act']);
    expect(inputsOf(r.doc, 'fc2')).toEqual([node.id]);
    expect(r.doc.layout[node.id]).toEqual({ x: 5, y: 6 });
    for (const n of doc.graph.nodes) if (n.id !== 'fc2') expect(r.doc.graph.nodes.find((m) => m.id === n.id)).toBe(n);
    const shapesAfter = analyzeDesign(r.doc.graph).shapes;
    expect(shapesAfter.fc2).toEqual(shapes.fc2);
    expect(analyzeDesign(r.doc.graph).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('rewires the right slot of a two-input target (the loss target slot)', () => {
    const node = fresh('Dropout');
    const r = applyEdit(doc, { kind: 'insert-node', node, position: { x: 0, y: 0 }, edge: { source: 'y', target: 'loss', slot: 1 } });
    expect(r.ok && inputsOf(r.doc, 'loss')).toEqual(['fc2', node.id]);
  });

  it('refuses an edge that does not exist, an op without an input, a loss and a two-input op', () => {
    const on = (op: string, edge = { source: 'act', target: 'fc2', slot: 0 }) => applyEdit(doc, { kind: 'insert-node', node: fresh(op), position: { x: 0, y: 0 }, edge });
    expect(on('ReLU', { source: 'x', target: 'fc2', slot: 0 })).toMatchObject({ ok: false, code: EditCode.NO_SUCH_EDGE });
    expect(on('Input')).toMatchObject({ ok: false, code: EditCode.CANNOT_INSERT });
    expect(on('MSELoss')).toMatchObject({ ok: false, code: EditCode.CANNOT_INSERT });
  });
});

describe('whether the shapes allow an insertion', () => {
  it('allows an op that keeps the shape, and one that changes it to what the target takes', () => {
    expect(insertionProblem(doc, shapes, fresh('ReLU'), { source: 'fc1', target: 'act', slot: 0 })).toBeUndefined();
    expect(insertionProblem(doc, shapes, fresh('Linear'), { source: 'act', target: 'fc2', slot: 0 })).toBeUndefined();
  });

  it("refuses when the new op's rule rejects the source's shape", () => {
    const p = insertionProblem(doc, shapes, fresh('Conv2d'), { source: 'flat', target: 'fc1', slot: 0 });
    expect(p?.code).toBe(EditCode.SHAPE);
    expect(p?.message).toMatch(/Conv2d cannot take N?×?\d*.*784/);
  });

  it("refuses when the target's rule rejects what the new op puts out", () => {
    // A global pooling of the images is fine by itself ([N, 1, 28, 28] → [N, 1]), but the
    // convolution after it needs an image.
    const images = build(
      emptyDoc('conv'),
      { kind: 'add-node', node: { ...createNode('Input', new Set(), 'x'), attrs: { ...createNode('Input', new Set()).attrs, shape: [1, 28, 28] } }, position: { x: 0, y: 0 } },
      { kind: 'add-node', node: createNode('Conv2d', new Set(['x']), 'conv'), position: { x: 0, y: 100 } },
      { kind: 'connect', edge: { source: 'x', target: 'conv', slot: 0 } },
    );
    const pool = createNode('GlobalAvgPool', new Set(['x', 'conv']));
    const p = insertionProblem(images, analyzeDesign(images.graph).shapes, pool, { source: 'x', target: 'conv', slot: 0 });
    expect(p?.code).toBe(EditCode.SHAPE);
    expect(p?.message).toMatch(/Cannot connect N×1 into Conv2d "conv"/);
  });
});

describe('the store inserts a dropped op as one undo step', () => {
  const s = () => w.editor.getState();
  beforeEach(() => {
    s().load(mlpDoc(), { name: 'mlp' });
    s().analyzeNow();
  });

  it('inserts, selects the new node, and one undo restores the document', () => {
    const before = s().history.present;
    const id = s().insertOp('Dropout', { x: 10, y: 10 }, { source: 'act', target: 'fc2', slot: 0 });
    expect(id).toBeDefined();
    expect(inputsOf(s().history.present, 'fc2')).toEqual([id]);
    expect([...s().selectedNodes]).toEqual([id]);
    s().undo();
    expect(s().history.present).toBe(before);
  });

  it('shapes that do not fit: the op lands unconnected where it was dropped, with a notice saying why', () => {
    const id = s().insertOp('Conv2d', { x: 10, y: 10 }, { source: 'flat', target: 'fc1', slot: 0 });
    expect(id).toBeDefined();
    expect(inputsOf(s().history.present, 'fc1')).toEqual(['flat']);
    expect(inputsOf(s().history.present, id!)?.every((src) => src === UNCONNECTED)).toBe(true);
    expect(w.session.getState().notice?.message).toMatch(/beside the edge/);
  });
});
