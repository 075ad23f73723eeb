import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EditCode } from '../../../src-renderer/src/editor/actions';
import { emptyDoc, type EditorDoc } from '../../../src-renderer/src/editor/document';
import { toFlow } from '../../../src-renderer/src/editor/flow';
import { collapsedGraph, expandPositions, groupFlowId, groupProblem, keepValidGroups, portsOf } from '../../../src-renderer/src/editor/groups';
import { autoLayout } from '../../../src-renderer/src/editor/layout';
import { parseProject, serializeProject } from '../../../src-renderer/src/editor/project';
import { applyEdit } from '../../../src-renderer/src/editor/reducer';
import { build, mlpDoc } from './fixtures';

const BLOCK = ['conv1', 'bn1', 'relu1', 'pool1'];

function cnnDoc(): EditorDoc {
  const r = parseProject(readFileSync(path.resolve(__dirname, '../../../examples/mnist-cnn.json'), 'utf8'));
  if (!r.ok) throw new Error(r.message);
  return r.doc;
}

const codeOf = (doc: EditorDoc, members: string[]) => groupProblem(doc.graph, members, doc.groups ?? [])?.code;

describe('what can be a group', () => {
  it('a Conv-BN-ReLU-Pool block: one way in (conv1 reads image), one way out (conv2 reads pool1)', () => {
    const doc = cnnDoc();
    expect(codeOf(doc, BLOCK)).toBeUndefined();
    expect(portsOf(doc.graph, { id: 'b', members: BLOCK, open: false })).toEqual({ entry: 'conv1', exit: 'pool1' });
  });

  it('refuses one node, unknown nodes, a selection in two pieces, two ways in, two ways out, and a path out and back in', () => {
    const cnn = cnnDoc();
    expect(codeOf(cnn, ['conv1'])).toBe(EditCode.GROUP_TOO_SMALL);
    expect(codeOf(cnn, ['conv1', 'nope'])).toBe(EditCode.UNKNOWN_NODE);
    // bn1 sits between them.
    expect(codeOf(cnn, ['conv1', 'relu1'])).toBe(EditCode.GROUP_DISCONNECTED);
    // The loss reads the logits and the labels, two nodes outside: fc2 and y are both ways in.
    const mlp = mlpDoc();
    expect(codeOf(mlp, ['flat', 'fc1', 'act', 'fc2', 'loss'])).toBe(EditCode.GROUP_ENTRIES);
    // fc1 feeds act inside and a second head outside; act feeds fc2 outside: two ways out.
    const forked = build(mlp, { kind: 'add-node', node: { id: 'head2', op: 'Linear', attrs: { outFeatures: 10, bias: true }, inputs: ['fc1'] }, position: { x: 0, y: 0 } });
    expect(codeOf(forked, ['fc1', 'act'])).toBe(EditCode.GROUP_EXITS);
    // x → r1 → sum and x → r2 → sum: grouping x, r2 and sum leaves r1 outside on a path from
    // the group (x) back into it (sum); collapsed, that would draw a cycle.
    const diamond = build(
      emptyDoc(),
      { kind: 'add-node', node: { id: 'x', op: 'Input', attrs: { shape: [4], source: 'features' }, inputs: [] }, position: { x: 0, y: 0 } },
      { kind: 'add-node', node: { id: 'r1', op: 'ReLU', attrs: {}, inputs: ['x'] }, position: { x: 0, y: 100 } },
      { kind: 'add-node', node: { id: 'r2', op: 'ReLU', attrs: {}, inputs: ['x'] }, position: { x: 200, y: 100 } },
      { kind: 'add-node', node: { id: 'sum', op: 'Add', attrs: {}, inputs: ['r1', 'r2'] }, position: { x: 0, y: 200 } },
    );
    expect(codeOf(diamond, ['x', 'r2', 'sum'])).toBe(EditCode.GROUP_LEAKS);
    expect(codeOf(diamond, ['x', 'r1', 'r2', 'sum'])).toBeUndefined();
  });

  it('groups do not nest or overlap', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    expect(codeOf(doc, ['pool1', 'conv2'])).toBe(EditCode.GROUP_OVERLAP);
    expect(codeOf(doc, ['conv2', 'bn2', 'relu2', 'pool2'])).toBeUndefined();
  });
});

describe('a group is view state', () => {
  it('grouping, opening and ungrouping never touch the IR, and each is one edit', () => {
    const doc = cnnDoc();
    const grouped = build(doc, { kind: 'group', nodeIds: [...BLOCK].reverse() });
    expect(grouped.graph).toBe(doc.graph);
    expect(grouped.groups).toEqual([{ id: 'block1', members: BLOCK, open: false }]);
    const opened = build(grouped, { kind: 'set-group-open', groupId: 'block1', open: true });
    expect(opened.graph).toBe(doc.graph);
    expect(opened.groups?.[0].open).toBe(true);
    const ungrouped = build(opened, { kind: 'ungroup', groupId: 'block1' });
    expect(ungrouped).toEqual(doc);
    expect(applyEdit(doc, { kind: 'ungroup', groupId: 'block1' })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_GROUP });
  });

  it('follows the graph: a rename is followed, a removed end member is dropped, a removed middle member dissolves the group', () => {
    const grouped = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    expect(build(grouped, { kind: 'rename', from: 'bn1', to: 'norm1' }).groups?.[0].members).toEqual(['conv1', 'norm1', 'relu1', 'pool1']);
    expect(build(grouped, { kind: 'remove', nodeIds: ['pool1'] }).groups?.[0].members).toEqual(['conv1', 'bn1', 'relu1']);
    expect(build(grouped, { kind: 'remove', nodeIds: ['bn1'] }).groups).toBeUndefined();
    expect(keepValidGroups(grouped.graph, grouped.groups!)).toBe(grouped.groups);
  });
});

describe('on the canvas', () => {
  it('collapsed: one card instead of the members; edges into and out of it end on the card and keep their ids; edges inside are not drawn', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    const { nodes, edges } = toFlow(doc);
    const card = groupFlowId('block1');
    expect(nodes.map((n) => n.id)).not.toContain('bn1');
    expect(nodes.find((n) => n.id === card)).toMatchObject({ type: 'op-group', position: doc.layout.conv1 });
    expect(edges.find((e) => e.id === 'image->conv1:0')).toMatchObject({ source: 'image', target: card, targetHandle: 'in-0' });
    expect(edges.find((e) => e.id === 'pool1->conv2:0')).toMatchObject({ source: card, target: 'conv2', data: { from: 'pool1' } });
    expect(edges.find((e) => e.id === 'conv1->bn1:0')).toBeUndefined();
    expect(nodes.length).toBe(doc.graph.nodes.length - BLOCK.length + 1);
  });

  it('open: the members as they are, behind them a frame around all four', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK }, { kind: 'set-group-open', groupId: 'block1', open: true });
    const { nodes, edges } = toFlow(doc);
    expect(nodes[0]).toMatchObject({ id: groupFlowId('block1'), type: 'group-frame', selectable: false });
    for (const m of BLOCK) {
      const p = doc.layout[m];
      const f = nodes[0];
      expect(p.x).toBeGreaterThan(f.position.x);
      expect(p.y).toBeGreaterThan(f.position.y);
      expect(p.x + 180).toBeLessThan(f.position.x + f.width!);
      expect(p.y + 70).toBeLessThan(f.position.y + f.height!);
    }
    expect(edges.find((e) => e.id === 'conv1->bn1:0')).toMatchObject({ source: 'conv1', target: 'bn1' });
  });
});

describe('auto-layout', () => {
  it('lays a collapsed group out as its one card: the chain closes up, and the members keep their places relative to the entry', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    const drawn = collapsedGraph(doc.graph, doc.groups!);
    const card = groupFlowId('block1');
    expect(drawn.nodes.map((n) => n.id)).toEqual(['image', 'label', card, 'conv2', 'bn2', 'relu2', 'pool2', 'flat', 'fc', 'loss']);
    expect(drawn.nodes.find((n) => n.id === card)!.inputs).toEqual(['image']);
    expect(drawn.nodes.find((n) => n.id === 'conv2')!.inputs).toEqual([card]);
    const placed = autoLayout(drawn);
    const all = expandPositions(doc.layout, placed, doc.graph, doc.groups!);
    expect(Object.keys(all).sort()).toEqual(doc.graph.nodes.map((n) => n.id).sort());
    expect(all.conv1).toEqual(placed[card]);
    for (const m of BLOCK) expect({ x: all[m].x - all.conv1.x, y: all[m].y - all.conv1.y }).toEqual({ x: doc.layout[m].x - doc.layout.conv1.x, y: doc.layout[m].y - doc.layout.conv1.y });
    // One rank for the card: conv2 sits right under it, not four ranks down.
    expect(all.conv2.y - all.conv1.y).toBeLessThan(doc.layout.conv2.y - doc.layout.conv1.y);
    // Open groups are laid out node by node.
    const open = build(doc, { kind: 'set-group-open', groupId: 'block1', open: true });
    expect(collapsedGraph(open.graph, open.groups!)).toBe(open.graph);
  });
});

describe('saved with the project', () => {
  it('groups go to ui.groups and come back; a file without them has none', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    const text = serializeProject(doc, { layoutDirection: 'LR' });
    expect(JSON.parse(text).ui).toEqual({ layoutDirection: 'LR', groups: [{ id: 'block1', members: BLOCK, open: false }] });
    expect(JSON.parse(text).graph).toEqual(JSON.parse(JSON.stringify(doc.graph)));
    const back = parseProject(text);
    if (!back.ok) throw new Error(back.message);
    expect(back.doc.groups).toEqual(doc.groups);
    expect(back.ui).toEqual({ layoutDirection: 'LR' });
    const plain = parseProject(serializeProject(cnnDoc()));
    expect(plain.ok && plain.doc.groups).toBeUndefined();
  });

  it('a saved group that no longer fits the network is left out with a note, the rest opens', () => {
    const file = JSON.parse(serializeProject(cnnDoc()));
    file.ui = { groups: [{ id: 'bad', members: ['conv1', 'relu1'], open: false }, { id: 'ok', members: ['conv2', 'bn2'], open: true }, 'junk'] };
    const r = parseProject(JSON.stringify(file));
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.groups).toEqual([{ id: 'ok', members: ['conv2', 'bn2'], open: true }]);
    expect(r.notes.filter((n) => n.includes('left out'))).toHaveLength(2);
  });
});
