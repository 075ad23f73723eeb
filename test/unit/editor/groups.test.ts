import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR, NodeGroup } from '../../../src-engine/base/ir/types';
import { EditCode } from '../../../src-renderer/src/editor/actions';
import { emptyDoc, type EditorDoc } from '../../../src-renderer/src/editor/document';
import { frameCoversOthers, toFlow, type GroupFlowNode } from '../../../src-renderer/src/editor/flow';
import { layoutWithGroups } from '../../../src-renderer/src/editor/group-layout';
import { drawnAs, groupFlowId, groupProblem, initiallyOpen } from '../../../src-renderer/src/editor/groups';
import { autoLayout } from '../../../src-renderer/src/editor/layout';
import { parseProject, serializeProject } from '../../../src-renderer/src/editor/project';
import { applyEdit } from '../../../src-renderer/src/editor/reducer';
import { groupSummary } from '../../../src-renderer/src/components/GroupNode';
import { build, mlpDoc } from './fixtures';

const BLOCK = ['conv1', 'bn1', 'relu1', 'pool1'];
const BLOCK2 = ['conv2', 'bn2', 'relu2', 'pool2'];

function cnnDoc(): EditorDoc {
  const r = parseProject(readFileSync(path.resolve(__dirname, '../../../examples/mnist-cnn.json'), 'utf8'));
  if (!r.ok) throw new Error(r.message);
  return r.doc;
}

/** The CNN's graph with these groups. */
const cnnWith = (...groups: NodeGroup[]): GraphIR => ({ ...cnnDoc().graph, groups });

const codeOf = (doc: EditorDoc, members: string[]) => groupProblem(doc.graph, members)?.code;

describe('what can be a group', () => {
  it('a Conv-BN-ReLU-Pool block; several ways in and out are fine (a loss reads the logits and the labels)', () => {
    const doc = cnnDoc();
    expect(codeOf(doc, BLOCK)).toBeUndefined();
    expect(codeOf(mlpDoc(), ['flat', 'fc1', 'act', 'fc2', 'loss'])).toBeUndefined();
  });

  it('refuses one node, unknown nodes, a selection in two pieces, and a path out and back in', () => {
    const cnn = cnnDoc();
    expect(codeOf(cnn, ['conv1'])).toBe(EditCode.GROUP_TOO_SMALL);
    expect(codeOf(cnn, ['conv1', 'nope'])).toBe(EditCode.UNKNOWN_NODE);
    // bn1 sits between them.
    expect(codeOf(cnn, ['conv1', 'relu1'])).toBe(EditCode.GROUP_DISCONNECTED);
    // x → r1 → sum and x → r2 → sum: grouping x, r2 and sum leaves r1 outside on a path from
    // the group (x) back into it (sum); folded, that would draw a cycle.
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

  it('groups nest: inside a group, or around whole groups; never across one, nor the same set again', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    expect(codeOf(doc, ['pool1', 'conv2'])).toBe(EditCode.GROUP_OVERLAP);
    expect(codeOf(doc, BLOCK)).toBe(EditCode.GROUP_OVERLAP);
    expect(codeOf(doc, ['bn1', 'relu1'])).toBeUndefined();
    expect(codeOf(doc, [...BLOCK, ...BLOCK2])).toBeUndefined();
    // Grouping around block1 makes it the new group's child; grouping inside it, its parent.
    const around = build(doc, { kind: 'group', nodeIds: [...BLOCK, ...BLOCK2] });
    expect(around.graph.groups).toEqual([
      { id: 'block1', name: 'block1', parent: 'block2', nodes: BLOCK },
      { id: 'block2', name: 'block2', nodes: [...BLOCK, ...BLOCK2] },
    ]);
    const inside = build(around, { kind: 'group', nodeIds: ['relu1', 'bn1'] });
    expect(inside.graph.groups!.at(-1)).toEqual({ id: 'block3', name: 'block3', parent: 'block1', nodes: ['bn1', 'relu1'] });
    // Ungrouping the middle one hands its child to its parent.
    expect(build(inside, { kind: 'ungroup', groupId: 'block1' }).graph.groups).toEqual([
      { id: 'block2', name: 'block2', nodes: [...BLOCK, ...BLOCK2] },
      { id: 'block3', name: 'block3', parent: 'block2', nodes: ['bn1', 'relu1'] },
    ]);
  });
});

describe('groups are in the IR, which ones are open is view state', () => {
  it('grouping adds to graph.groups (the analysis keeps it); opening and closing touch only doc.open; each is one edit', () => {
    const doc = cnnDoc();
    const grouped = build(doc, { kind: 'group', nodeIds: [...BLOCK].reverse() });
    expect(grouped.graph.nodes).toBe(doc.graph.nodes);
    expect(grouped.graph.groups).toEqual([{ id: 'block1', name: 'block1', nodes: BLOCK }]);
    expect(grouped.open).toBeUndefined();
    const opened = build(grouped, { kind: 'set-group-open', groupId: 'block1', open: true });
    expect(opened.graph).toBe(grouped.graph);
    expect(opened.open).toEqual(['block1']);
    const ungrouped = build(opened, { kind: 'ungroup', groupId: 'block1' });
    expect(ungrouped).toEqual(doc);
    expect(applyEdit(doc, { kind: 'ungroup', groupId: 'block1' })).toMatchObject({ ok: false, code: EditCode.UNKNOWN_GROUP });
  });

  it('follows the graph: a rename is followed, a removed member is dropped, a group left empty goes', () => {
    const grouped = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK }, { kind: 'set-group-open', groupId: 'block1', open: true });
    expect(build(grouped, { kind: 'rename', from: 'bn1', to: 'norm1' }).graph.groups?.[0].nodes).toEqual(['conv1', 'norm1', 'relu1', 'pool1']);
    expect(build(grouped, { kind: 'remove', nodeIds: ['bn1'] }).graph.groups?.[0].nodes).toEqual(['conv1', 'relu1', 'pool1']);
    const gone = build(grouped, { kind: 'remove', nodeIds: BLOCK });
    expect(gone.graph.groups).toBeUndefined();
    expect(gone.open).toBeUndefined();
  });
});

/** A CNN with block2 around block1 (nested), laid out with block2 open and block1 folded. */
function nestedDoc(open: string[]): EditorDoc {
  const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK }, { kind: 'group', nodeIds: [...BLOCK, ...BLOCK2] });
  const withOpen = { ...doc, open };
  return { ...withOpen, layout: layoutWithGroups(doc.graph, new Set(open)) };
}

describe('on the canvas', () => {
  it('folded: one card instead of the members; edges into and out of it end on the card and keep their ids; edges inside are not drawn', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    const { nodes, edges } = toFlow(doc);
    const card = groupFlowId('block1');
    expect(nodes.map((n) => n.id)).not.toContain('bn1');
    expect(nodes.find((n) => n.id === card)).toMatchObject({ type: 'op-group', position: doc.layout.conv1 });
    expect((nodes.find((n) => n.id === card) as GroupFlowNode).data.ports).toEqual({ entries: ['conv1'], exits: ['pool1'], sources: ['image'] });
    expect(edges.find((e) => e.id === 'image->conv1:0')).toMatchObject({ source: 'image', target: card, targetHandle: 'in-0' });
    expect(edges.find((e) => e.id === 'pool1->conv2:0')).toMatchObject({ source: card, target: 'conv2', data: { from: 'pool1' } });
    expect(edges.find((e) => e.id === 'conv1->bn1:0')).toBeUndefined();
    expect(nodes.length).toBe(doc.graph.nodes.length - BLOCK.length + 1);
  });

  it('nested: the outer group folded hides the inner one; open, its frame holds the inner card and its own nodes; all open, a frame in a frame', () => {
    const folded = toFlow(nestedDoc([]));
    expect(folded.nodes.filter((n) => n.type !== 'op').map((n) => n.id)).toEqual([groupFlowId('block2')]);
    const outerOpen = nestedDoc(['block2']);
    const { nodes, edges } = toFlow(outerOpen);
    expect(nodes.filter((n) => n.type !== 'op').map((n) => `${n.type} ${n.id}`)).toEqual(['group-frame group:block2', 'op-group group:block1']);
    expect(edges.find((e) => e.id === 'pool1->conv2:0')).toMatchObject({ source: groupFlowId('block1'), target: 'conv2' });
    const inside = (outer: { position: { x: number; y: number }; width?: number; height?: number }, p: { x: number; y: number }, w: number, h: number) =>
      p.x > outer.position.x && p.y > outer.position.y && p.x + w < outer.position.x + outer.width! && p.y + h < outer.position.y + outer.height!;
    const frame = nodes[0];
    expect(inside(frame, outerOpen.layout.conv1, 220, 84)).toBe(true);
    for (const m of BLOCK2) expect(inside(frame, outerOpen.layout[m], 180, 70), m).toBe(true);
    // The layout gave the open group room: nothing outside it under its frame.
    expect(frameCoversOthers(outerOpen, 'block2')).toBe(false);
    // Opening the inner group grows the outer frame over the nodes below it: that asks for a layout too.
    expect(frameCoversOthers({ ...outerOpen, open: ['block2', 'block1'] }, 'block1')).toBe(true);
    const allOpen = toFlow(nestedDoc(['block2', 'block1']));
    const [outer, inner] = allOpen.nodes;
    expect([outer.id, inner.id]).toEqual([groupFlowId('block2'), groupFlowId('block1')]);
    expect(inside(outer, inner.position, inner.width!, inner.height!)).toBe(true);
  });

  it('a card says what it holds: repeated sub-groups counted by kind, then its own ops', () => {
    const g = cnnWith({ id: 'b', name: 'body', nodes: [...BLOCK, ...BLOCK2, 'flat'] }, { id: 'l1', name: 'layer1', parent: 'b', nodes: BLOCK }, { id: 'l2', name: 'layer2', parent: 'b', nodes: BLOCK2 });
    expect(groupSummary(g, g.groups![0])).toBe('2 × layer · Flatten');
    expect(groupSummary(g, g.groups![1])).toBe('Conv2d · BatchNorm · ReLU · MaxPool2d');
  });
});

describe('auto-layout with groups', () => {
  it('lays a folded group out as its one card: the chain closes up, the card stands at its first node, and the members keep a tidy block of their own', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK });
    const flat = autoLayout(doc.graph);
    const pos = layoutWithGroups(doc.graph, new Set());
    expect(Object.keys(pos).sort()).toEqual(doc.graph.nodes.map((n) => n.id).sort());
    // One rank for the card (84 high + the 50 gap): conv2 sits right under it, not four ranks down.
    expect(pos.conv2.y - pos.conv1.y).toBe(84 + 50);
    expect(pos.conv2.y - pos.conv1.y).toBeLessThan(flat.conv2.y - flat.conv1.y);
    // Inside, the block is a column: each member a rank below the one before.
    for (let i = 1; i < BLOCK.length; i++) expect(pos[BLOCK[i]].y - pos[BLOCK[i - 1]].y).toBe(120);
    // Opened, it is laid out as a frame: the members inside, the next layer below the frame.
    const opened = { ...doc, open: ['block1'], layout: layoutWithGroups(doc.graph, new Set(['block1'])) };
    expect(frameCoversOthers(opened, 'block1')).toBe(false);
    expect(frameCoversOthers({ ...opened, layout: pos }, 'block1')).toBe(true);
    // Without groups, the layout is autoLayout's.
    expect(layoutWithGroups(cnnDoc().graph, new Set())).toEqual(autoLayout(cnnDoc().graph));
  });

  it('an import opens a group holding most of the network, not the ones inside it', () => {
    const g = cnnWith({ id: 'f', name: 'features', nodes: [...BLOCK, ...BLOCK2, 'flat'] }, { id: 'l1', name: 'layer1', parent: 'f', nodes: BLOCK });
    expect(initiallyOpen(g)).toEqual(['f']);
    expect(drawnAs(g, new Set(['f'])).get('bn1')).toBe('l1');
    expect(drawnAs(g, new Set()).get('bn1')).toBe('f');
    const r = parseProject(JSON.stringify(g));
    expect(r.ok && r.doc.open).toEqual(['f']);
  });
});

describe('saved with the project', () => {
  it('groups are in the graph, the open ones in ui.openGroups; both come back', () => {
    const doc = build(cnnDoc(), { kind: 'group', nodeIds: BLOCK }, { kind: 'group', nodeIds: BLOCK2 }, { kind: 'set-group-open', groupId: 'block2', open: true });
    const text = serializeProject(doc, { layoutDirection: 'LR' });
    expect(JSON.parse(text).ui).toEqual({ layoutDirection: 'LR', openGroups: ['block2'] });
    expect(JSON.parse(text).graph.groups).toEqual(doc.graph.groups);
    const back = parseProject(text);
    if (!back.ok) throw new Error(back.message);
    expect(back.doc.graph).toEqual(doc.graph);
    expect(back.doc.open).toEqual(['block2']);
    expect(back.ui).toEqual({ layoutDirection: 'LR' });
    const plain = parseProject(serializeProject(cnnDoc()));
    expect(plain.ok && plain.doc.graph.groups).toBeUndefined();
  });

  it("an older file's ui.groups become the graph's groups; what does not fit is left out with a note, the rest opens", () => {
    const file = JSON.parse(serializeProject(cnnDoc()));
    file.ui = { groups: [{ id: 'bad', members: ['conv1', 'ghost'], open: false }, { id: 'ok', members: ['conv2', 'bn2'], open: true }, 'junk'] };
    file.graph.groups = [{ id: 'x', name: 'x', nodes: ['nobody'] }];
    const r = parseProject(JSON.stringify(file));
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.graph.groups).toEqual([{ id: 'ok', name: 'ok', nodes: ['conv2', 'bn2'] }]);
    expect(r.doc.open).toEqual(['ok']);
    expect(r.notes.filter((n) => n.includes('left out'))).toHaveLength(3);
  });
});
