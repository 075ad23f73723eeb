import { describe, expect, it } from 'vitest';
import type { EditAction, EditKind } from '../../../src-renderer/src/editor/actions';
import { EditCode } from '../../../src-renderer/src/editor/actions';
import { copyNodes, pasteAction } from '../../../src-renderer/src/editor/clipboard';
import type { EditorDoc } from '../../../src-renderer/src/editor/document';
import { createNode } from '../../../src-renderer/src/editor/graph';
import { createHistory, push, redo, undo } from '../../../src-renderer/src/editor/history';
import { autoLayout } from '../../../src-renderer/src/editor/layout';
import { applyEdit } from '../../../src-renderer/src/editor/reducer';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GraphIR, TrainingConfig } from '../../../src-engine/facade';
import { withSchedule } from '../../../src-renderer/src/editor/training-defaults';
import { build, mlpDoc } from './fixtures';

/** One representative edit of every kind, applied to the MLP fixture. */
function everyKind(doc: EditorDoc): Record<EditKind, EditAction> {
  const ids = new Set(doc.graph.nodes.map((n) => n.id));
  return {
    'add-node': { kind: 'add-node', node: createNode('Dropout', ids), position: { x: 300, y: 300 } },
    'insert-node': { kind: 'insert-node', node: createNode('Dropout', ids), position: { x: 300, y: 300 }, edge: { source: 'act', target: 'fc2', slot: 0 } },
    remove: { kind: 'remove', nodeIds: ['act'], edges: [{ source: 'y', target: 'loss', slot: 1 }] },
    move: { kind: 'move', positions: { fc1: { x: 12, y: 34 } }, coalesce: 'drag:1' },
    connect: { kind: 'connect', edge: { source: 'flat', target: 'fc2', slot: 0 } },
    disconnect: { kind: 'disconnect', edges: [{ source: 'fc1', target: 'act', slot: 0 }] },
    'set-attrs': { kind: 'set-attrs', nodeIds: ['fc1', 'fc2'], attrs: { outFeatures: 64, bias: false } },
    'set-op': { kind: 'set-op', nodeId: 'loss', op: 'HuberLoss', attrs: { delta: 2 } },
    rename: { kind: 'rename', from: 'fc2', to: 'head' },
    paste: pasteAction(doc, copyNodes(doc, new Set(['fc1', 'act']))!),
    layout: { kind: 'layout', positions: autoLayout(doc.graph) },
    'set-name': { kind: 'set-name', name: 'renamed' },
    'set-training': {
      kind: 'set-training',
      training: { dataset: { name: 'mnist' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 32, epochs: 2, seed: 1, metrics: ['accuracy'] },
    },
    'set-output': { kind: 'set-output', name: 'logits', nodeId: undefined },
    group: { kind: 'group', nodeIds: ['x', 'flat'] },
    ungroup: { kind: 'ungroup', groupId: 'block1' },
    'set-group-open': { kind: 'set-group-open', groupId: 'block1', open: true },
    'set-frozen': { kind: 'set-frozen', nodeIds: ['fc1', 'act'], frozen: true },
    'replace-head': { kind: 'replace-head', nodeId: 'fc2', classes: 3 },
  };
}

describe('set-training: a schedule fitted to the run follows its epochs and rate', () => {
  const base: TrainingConfig = { dataset: { name: 'mnist' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.001 }, schedule: { kind: 'cosine', tMax: 5 }, batchSize: 64, epochs: 5, seed: 1, metrics: ['accuracy'] };
  const training = (doc: EditorDoc) => doc.graph.training!;
  const withTraining = (t: TrainingConfig) => build(mlpDoc(), { kind: 'set-training', training: t });

  it('a cosine over the run\'s 5 epochs, cut to 1: tMax 1 (undone with the edit); one set to 10 stays 10', () => {
    const doc = withTraining(base);
    const cut = build(doc, { kind: 'set-training', training: { ...training(doc), epochs: 1 } });
    expect(training(cut).schedule).toEqual({ kind: 'cosine', tMax: 1 });
    const history = push(push(createHistory(mlpDoc()), doc), cut);
    expect(undo(history).present.graph.training!.schedule).toEqual({ kind: 'cosine', tMax: 5 });
    const own = withTraining({ ...base, schedule: { kind: 'cosine', tMax: 10 } });
    expect(training(build(own, { kind: 'set-training', training: { ...training(own), epochs: 1 } })).schedule).toEqual({ kind: 'cosine', tMax: 10 });
  });

  it('one stepped per batch (the Tiny GPT\'s 3,378 steps over 3 epochs) follows in proportion; a schedule edited in the same change is kept as written', () => {
    const doc = withTraining({ ...base, scheduleUnit: 'step', epochs: 3, schedule: { kind: 'cosine', tMax: 3378 } });
    expect(training(build(doc, { kind: 'set-training', training: { ...training(doc), epochs: 1 } })).schedule).toEqual({ kind: 'cosine', tMax: 1126 });
    const both = build(doc, { kind: 'set-training', training: { ...training(doc), epochs: 1, schedule: { kind: 'cosine', tMax: 500 } } });
    expect(training(both).schedule).toEqual({ kind: 'cosine', tMax: 500 });
  });

  it('a schedule chosen in the Train dock for the Tiny GPT template (a cosine counted in steps) steps per epoch, its tMax the run\'s epochs', () => {
    const gpt = JSON.parse(readFileSync(path.resolve(__dirname, '../../../examples/tiny-gpt.json'), 'utf8')) as GraphIR;
    expect(gpt.training).toMatchObject({ scheduleUnit: 'step', epochs: 3 });
    const chosen = withSchedule(gpt.training!, 'cosine');
    expect(chosen.schedule).toEqual({ kind: 'cosine', tMax: 3, etaMin: 0 });
    expect(chosen.scheduleUnit).toBeUndefined();
    expect({ ...chosen, schedule: gpt.training!.schedule, scheduleUnit: 'step' }).toEqual(gpt.training);
  });

  it('one-cycle chosen at 10× the rate peaks at 10× the rate the user sets next', () => {
    const doc = withTraining({ ...base, optimizer: { kind: 'adam', lr: 0.003 }, schedule: { kind: 'onecycle', maxLr: 0.03, totalSteps: 1000 } });
    expect(training(build(doc, { kind: 'set-training', training: { ...training(doc), optimizer: { kind: 'adam', lr: 0.001 } } })).schedule).toMatchObject({ maxLr: 0.01 });
  });
});

describe('fine-tuning edits', () => {
  it('set-frozen freezes and thaws a set of nodes; an unknown id refuses the whole edit', () => {
    const r = applyEdit(mlpDoc(), { kind: 'set-frozen', nodeIds: ['fc1', 'act'], frozen: true });
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.graph.nodes.filter((n) => n.frozen).map((n) => n.id)).toEqual(['fc1', 'act']);
    const thawed = applyEdit(r.doc, { kind: 'set-frozen', nodeIds: ['act'], frozen: false });
    expect(thawed.ok && thawed.doc.graph.nodes.filter((n) => n.frozen).map((n) => n.id)).toEqual(['fc1']);
    expect(applyEdit(r.doc, { kind: 'set-frozen', nodeIds: ['fc1', 'nope'], frozen: false })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_NODE });
  });

  it('replace-head puts a new head of K outputs where the old one was, read by the loss and the outputs, in its group', () => {
    const doc = build(mlpDoc(), { kind: 'group', nodeIds: ['act', 'fc2'] });
    const r = applyEdit(doc, { kind: 'replace-head', nodeId: 'fc2', classes: 3 });
    if (!r.ok) throw new Error(r.message);
    const g = r.doc.graph;
    expect(g.nodes.find((n) => n.id === 'fc2')).toBeUndefined();
    expect(g.nodes.find((n) => n.id === 'head')).toMatchObject({ op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['act'] });
    expect(g.nodes.find((n) => n.id === 'loss')!.inputs[0]).toBe('head');
    expect(Object.values(g.outputs)).not.toContain('fc2');
    expect(r.doc.layout.head).toEqual(doc.layout.fc2);
    expect(r.doc.graph.groups?.[0].nodes).toEqual(['act', 'head']);
    expect(applyEdit(doc, { kind: 'replace-head', nodeId: 'act', classes: 3 })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
    expect(applyEdit(doc, { kind: 'replace-head', nodeId: 'fc2', classes: 0 })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
  });
});

describe('set-op', () => {
  it('changes the op of a node in place, its attributes then the given ones; an op of other inputs, or none, is refused', () => {
    const doc = build(mlpDoc(), { kind: 'set-attrs', nodeIds: ['loss'], attrs: { labelSmoothing: 0.1 } });
    const r = applyEdit(doc, { kind: 'set-op', nodeId: 'loss', op: 'MSELoss', attrs: {} });
    if (!r.ok) throw new Error(r.message);
    const before = doc.graph.nodes.find((n) => n.id === 'loss')!;
    expect(r.doc.graph.nodes.find((n) => n.id === 'loss')).toEqual({ ...before, op: 'MSELoss', attrs: {} });
    expect(r.doc.layout).toBe(doc.layout);
    expect(applyEdit(doc, { kind: 'set-op', nodeId: 'act', op: 'MSELoss', attrs: {} })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_OP, nodeId: 'act' });
    expect(applyEdit(doc, { kind: 'set-op', nodeId: 'loss', op: 'NoSuchLoss', attrs: {} })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_OP });
    expect(applyEdit(doc, { kind: 'set-op', nodeId: 'loss', op: 'MSELoss', attrs: { labelSmoothing: 0.1 } })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
    expect(applyEdit(doc, { kind: 'set-op', nodeId: 'nope', op: 'MSELoss', attrs: {} })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_NODE });
  });
});

describe('every edit undoes and redoes to an identical graph', () => {
  // With a group (fc1 → act), so ungrouping and opening have one to act on.
  const base = build(mlpDoc(), { kind: 'group', nodeIds: ['fc1', 'act'] });
  for (const [kind, action] of Object.entries(everyKind(base))) {
    it(kind, () => {
      const before = structuredClone(base);
      const r = applyEdit(base, action);
      expect(r.ok, r.ok ? '' : r.message).toBe(true);
      if (!r.ok) return;
      const after = structuredClone(r.doc);
      expect(after).not.toEqual(before); // the edit did something
      expect(base).toEqual(before); // and did not mutate its input
      let h = push(createHistory(base), r.doc);
      h = undo(h);
      expect(h.present).toEqual(before);
      h = redo(h);
      expect(h.present).toEqual(after);
      h = undo(redo(undo(h)));
      expect(h.present).toEqual(before);
    });
  }

  it('covers every action kind', () => {
    const kinds: EditKind[] = ['add-node', 'insert-node', 'remove', 'move', 'connect', 'disconnect', 'set-attrs', 'rename', 'paste', 'layout', 'set-name', 'set-training', 'set-output', 'group', 'ungroup', 'set-group-open', 'set-frozen', 'replace-head', 'set-op'];
    expect(Object.keys(everyKind(base)).sort()).toEqual([...kinds].sort());
  });

  it('a long random edit sequence undoes step by step back to the start and redoes to the end', () => {
    const docs: EditorDoc[] = [mlpDoc()];
    let h = createHistory(docs[0]);
    const script: ((d: EditorDoc) => EditAction)[] = [
      (d) => ({ kind: 'add-node', node: createNode('Dropout', new Set(d.graph.nodes.map((n) => n.id))), position: { x: 1, y: 2 } }),
      () => ({ kind: 'connect', edge: { source: 'act', target: 'dropout', slot: 0 } }),
      () => ({ kind: 'connect', edge: { source: 'dropout', target: 'fc2', slot: 0 } }),
      () => ({ kind: 'set-attrs', nodeIds: ['dropout'], attrs: { p: 0.25 } }),
      () => ({ kind: 'rename', from: 'dropout', to: 'drop' }),
      (d) => pasteAction(d, copyNodes(d, new Set(['fc1', 'act', 'drop']))!),
      () => ({ kind: 'remove', nodeIds: ['flat'] }),
      (d) => ({ kind: 'layout', positions: autoLayout(d.graph) }),
    ];
    for (const step of script) {
      const r = applyEdit(h.present, step(h.present));
      if (!r.ok) throw new Error(r.message);
      h = push(h, r.doc);
      docs.push(structuredClone(r.doc));
    }
    for (let i = docs.length - 1; i > 0; i--) {
      expect(h.present).toEqual(docs[i]);
      h = undo(h);
    }
    expect(h.present).toEqual(docs[0]);
    for (let i = 1; i < docs.length; i++) {
      h = redo(h);
      expect(h.present).toEqual(docs[i]);
    }
  });
});

describe('edits', () => {
  it('keeps unchanged nodes identical (structural sharing)', () => {
    const doc = mlpDoc();
    const r = applyEdit(doc, { kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 32 } });
    if (!r.ok) throw new Error(r.message);
    for (const n of r.doc.graph.nodes) if (n.id !== 'fc1') expect(n).toBe(doc.graph.nodes.find((m) => m.id === n.id));
    expect(r.doc.layout).toBe(doc.layout);
  });

  it('refuses a connection that would make a cycle, and a self-loop', () => {
    const doc = mlpDoc();
    const cyc = applyEdit(doc, { kind: 'connect', edge: { source: 'act', target: 'flat', slot: 0 } });
    expect(cyc).toMatchObject({ ok: false, code: EditCode.CYCLE });
    expect(!cyc.ok && cyc.message).toMatch(/cycle/);
    expect(applyEdit(doc, { kind: 'connect', edge: { source: 'fc1', target: 'fc1', slot: 0 } })).toMatchObject({ ok: false, code: EditCode.SELF_LOOP });
  });

  it('refuses a slot the op does not have', () => {
    expect(applyEdit(mlpDoc(), { kind: 'connect', edge: { source: 'x', target: 'fc1', slot: 1 } })).toMatchObject({ ok: false, code: EditCode.NO_SUCH_INPUT });
  });

  it('rewires an occupied slot instead of adding a second edge', () => {
    const doc = build(mlpDoc(), { kind: 'connect', edge: { source: 'flat', target: 'fc2', slot: 0 } });
    expect(doc.graph.nodes.find((n) => n.id === 'fc2')!.inputs).toEqual(['flat']);
  });

  it('appends to variadic inputs and closes the gap when one is removed', () => {
    let doc = build(mlpDoc(), { kind: 'add-node', node: createNode('Add', new Set(), 'sum'), position: { x: 0, y: 0 } });
    doc = build(doc, { kind: 'connect', edge: { source: 'fc1', target: 'sum', slot: 0 } }, { kind: 'connect', edge: { source: 'act', target: 'sum', slot: 1 } }, { kind: 'connect', edge: { source: 'fc2', target: 'sum', slot: 2 } });
    expect(doc.graph.nodes.find((n) => n.id === 'sum')!.inputs).toEqual(['fc1', 'act', 'fc2']);
    doc = build(doc, { kind: 'disconnect', edges: [{ source: 'act', target: 'sum', slot: 1 }] });
    expect(doc.graph.nodes.find((n) => n.id === 'sum')!.inputs).toEqual(['fc1', 'fc2']);
  });

  it('removing a node drops its edges, layout and the outputs naming it', () => {
    const doc = build(mlpDoc(), { kind: 'remove', nodeIds: ['fc2'] });
    expect(doc.graph.nodes.find((n) => n.id === 'loss')!.inputs).toEqual(['', 'y']);
    expect(doc.layout.fc2).toBeUndefined();
    expect(doc.graph.outputs).toEqual({ loss: 'loss' });
  });

  it('refuses attr values outside the registry spec', () => {
    const doc = mlpDoc();
    expect(applyEdit(doc, { kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 0 } })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
    expect(applyEdit(doc, { kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 2.5 } })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
    expect(applyEdit(doc, { kind: 'set-attrs', nodeIds: ['fc1'], attrs: { nope: 1 } })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
    // Multi-select: an attr one of the nodes lacks refuses the whole edit.
    expect(applyEdit(doc, { kind: 'set-attrs', nodeIds: ['fc1', 'act'], attrs: { outFeatures: 8 } })).toMatchObject({ ok: false, code: EditCode.BAD_ATTR });
  });

  it('rename updates every reference: inputs, outputs, training loss, layout', () => {
    const withTraining = build(mlpDoc(), everyKind(mlpDoc())['set-training']);
    const doc = build(withTraining, { kind: 'rename', from: 'loss', to: 'ce' });
    expect(doc.graph.outputs.loss).toBe('ce');
    expect(doc.graph.training!.loss).toBe('ce');
    expect(doc.layout.ce).toBe(withTraining.layout.loss);
    expect(applyEdit(doc, { kind: 'rename', from: 'ce', to: 'fc1' })).toMatchObject({ ok: false, code: EditCode.DUPLICATE_ID });
    expect(applyEdit(doc, { kind: 'rename', from: 'ce', to: '1bad name' })).toMatchObject({ ok: false, code: EditCode.BAD_ID });
  });

  it('paste gives fresh ids and keeps only the edges inside the copied set', () => {
    const doc = mlpDoc();
    const action = pasteAction(doc, copyNodes(doc, new Set(['fc1', 'act']))!);
    const after = build(doc, action);
    const [a, b] = action.nodes;
    expect(a.id).toBe('fc');
    expect(a.inputs).toEqual(['']); // its producer (flat) was not copied
    expect(b.inputs).toEqual([a.id]);
    expect(after.layout[a.id]).toEqual({ x: doc.layout.fc1.x + 40, y: doc.layout.fc1.y + 40 });
  });

  it('refuses unknown nodes and ops, and duplicate ids', () => {
    const doc = mlpDoc();
    expect(applyEdit(doc, { kind: 'move', positions: { ghost: { x: 0, y: 0 } } })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_NODE });
    expect(applyEdit(doc, { kind: 'add-node', node: { id: 'n', op: 'Nope', attrs: {}, inputs: [] }, position: { x: 0, y: 0 } })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_OP });
    expect(applyEdit(doc, { kind: 'add-node', node: createNode('ReLU', new Set(), 'fc1'), position: { x: 0, y: 0 } })).toMatchObject({ ok: false, code: EditCode.DUPLICATE_ID });
  });
});

describe('history', () => {
  it('coalesces a drag into one undo step', () => {
    const doc = mlpDoc();
    let h = createHistory(doc);
    for (let i = 1; i <= 30; i++) h = push(h, build(h.present, { kind: 'move', positions: { fc1: { x: i, y: i } } }), 'drag:7');
    expect(h.past).toHaveLength(1);
    expect(h.present.layout.fc1).toEqual({ x: 30, y: 30 });
    h = push(h, build(h.present, { kind: 'move', positions: { fc1: { x: 99, y: 99 } } }), 'drag:8');
    expect(h.past).toHaveLength(2);
    expect(undo(undo(h)).present).toBe(doc);
  });

  it('a new edit after undo drops the redo branch, and undo does not coalesce into an older step', () => {
    const doc = mlpDoc();
    let h = push(createHistory(doc), build(doc, { kind: 'set-name', name: 'a' }), 'k');
    h = undo(h);
    h = push(h, build(h.present, { kind: 'set-name', name: 'b' }), 'k');
    expect(h.future).toHaveLength(0);
    expect(h.past).toEqual([doc]);
  });
});
