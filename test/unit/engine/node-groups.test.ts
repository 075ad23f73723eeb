/**
 * Node groups (IR v3, `graph.groups`): named, nested node sets. The validator keeps sound ones and
 * warns about the others; an older graph upgrades to none; they survive the JSON model file and an
 * ONNX export read back; torch.onnx module scopes become nested groups.
 */
import { describe, expect, it } from 'vitest';
import { migrateGraph } from '../../../src-engine/base/ir/migrate';
import { checkNodeGroups, groupsFromScopes, remapNodeGroups } from '../../../src-engine/base/ir/node-groups';
import { GRAPH_VERSION, type GraphIR, type NodeGroup } from '../../../src-engine/base/ir/types';
import { analyzeGraph } from '../../../src-engine/core/analysis/validate';
import { modelFromJSON, modelToJSONText } from '../../../src-engine/core/export/json';
import type { TrainedModel } from '../../../src-engine/core/export/model';
import { exportOnnx } from '../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../src-engine/core/import/onnx';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';

/** x → [block: fc1 → [inner: act → fc2]] → out */
function grouped(): GraphIR {
  return {
    format: 'netwright.graph',
    version: GRAPH_VERSION,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [3] }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 4 }, inputs: ['x'] },
      { id: 'act', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['act'] },
      { id: 'out', op: 'Sigmoid', attrs: {}, inputs: ['fc2'] },
    ],
    outputs: { y: 'out' },
    groups: [
      { id: 'block', name: 'block', nodes: ['fc1', 'act', 'fc2'] },
      { id: 'inner', name: 'inner', parent: 'block', nodes: ['act', 'fc2'] },
    ],
  };
}

const codes = (g: unknown) => analyzeGraph(g).diagnostics.map((d) => d.code);

describe('the IR keeps node groups', () => {
  it('a sound tree of groups comes back from the validator unchanged, and compiles as the same network', () => {
    const g = grouped();
    const a = analyzeGraph(g);
    expect(a.diagnostics).toEqual([]);
    expect(a.graph!.groups).toEqual(g.groups);
    const plain = { ...g, groups: undefined };
    const run = (graph: GraphIR) => {
      const plan = compileGraph(checkedOrThrow(graph), { batchSize: 2, backend: createReferenceBackend(), seed: 1 });
      plan.input('x').data.set([1, 2, 3, -1, 0, 4]);
      plan.forward(false);
      return Array.from(plan.output('out').data);
    };
    expect(run(g)).toEqual(run(plain));
  });

  it('a v2 graph upgrades silently to the current version with no groups', () => {
    const { groups: _g, ...v2 } = { ...grouped(), version: 2 };
    const r = migrateGraph(v2);
    expect(r.applied).toEqual([]);
    expect(r.json).toEqual({ ...v2, version: GRAPH_VERSION });
    expect(analyzeGraph(v2).graph!.groups).toBeUndefined();
  });

  it('a group that is not sound is a W_NODE_GROUP warning and left out; the graph still trains', () => {
    const bad = (groups: unknown) => ({ ...grouped(), groups });
    expect(codes(bad('nope'))).toEqual(['W_NODE_GROUP']);
    for (const groups of [
      [{ id: 'a', name: 'a', nodes: ['ghost'] }], // not a node
      [{ id: 'a', name: 'a', nodes: ['fc1', 'fc1'] }], // twice
      [{ id: 'a', nodes: ['fc1'] }], // no name
      [{ id: '__proto__', name: 'p', nodes: ['fc1'] }], // reserved id
      [{ id: 'a', name: 'a', parent: 'nobody', nodes: ['fc1'] }], // parent not a group
    ]) {
      const a = analyzeGraph(bad(groups));
      expect(a.diagnostics.map((d) => d.code), JSON.stringify(groups)).toEqual(['W_NODE_GROUP']);
      expect(a.graph!.groups).toBeUndefined();
    }
    // A child holding a node its parent does not; two siblings sharing a node; parents in a loop.
    const child = checkNodeGroups([{ id: 'p', name: 'p', nodes: ['fc1'] }, { id: 'c', name: 'c', parent: 'p', nodes: ['fc1', 'act'] }], new Set(['fc1', 'act']));
    expect(child.groups.map((g) => g.id)).toEqual(['p']);
    expect(child.problems[0].message).toContain('its parent "p" does not');
    const siblings = checkNodeGroups([{ id: 'a', name: 'a', nodes: ['fc1', 'act'] }, { id: 'b', name: 'b', nodes: ['act'] }], new Set(['fc1', 'act']));
    expect(siblings.groups.map((g) => g.id)).toEqual(['a']);
    expect(siblings.problems[0].message).toContain('both hold "act"');
    const loop = checkNodeGroups([{ id: 'a', name: 'a', parent: 'b', nodes: ['fc1'] }, { id: 'b', name: 'b', parent: 'a', nodes: ['fc1'] }], new Set(['fc1']));
    expect(loop.groups).toEqual([]);
    expect(loop.problems.map((p) => p.message)).toEqual(['Group "a" is its own ancestor: the parents of the groups form a loop.', 'Group "b" is its own ancestor: the parents of the groups form a loop.']);
    // A parent listed after its child is fine.
    const later = checkNodeGroups([...grouped().groups!].reverse(), new Set(['fc1', 'act', 'fc2']));
    expect(later.problems).toEqual([]);
    expect(later.groups.map((g) => g.id)).toEqual(['inner', 'block']);
  });

  it('removed and renamed nodes leave the groups; a group left empty goes, and its children lose the parent', () => {
    const groups = grouped().groups!;
    expect(remapNodeGroups(groups, () => true)).toBe(groups);
    expect(remapNodeGroups(groups, (id) => id !== 'act', (id) => (id === 'fc2' ? 'head' : id))).toEqual([
      { id: 'block', name: 'block', nodes: ['fc1', 'head'] },
      { id: 'inner', name: 'inner', parent: 'block', nodes: ['head'] },
    ]);
    expect(remapNodeGroups(groups, (id) => id === 'act')).toEqual([{ id: 'block', name: 'block', nodes: ['act'] }, { id: 'inner', name: 'inner', parent: 'block', nodes: ['act'] }]);
    const orphan: NodeGroup[] = [{ id: 'p', name: 'p', nodes: ['a'] }, { id: 'c', name: 'c', parent: 'p', nodes: ['b'] }];
    expect(remapNodeGroups(orphan, (id) => id === 'b')).toEqual([{ id: 'c', name: 'c', nodes: ['b'] }]);
  });

  it('survive the netwright.model JSON file and an ONNX export read back (the graph rides in its metadata)', () => {
    const graph = analyzeGraph(grouped()).graph!;
    const model: TrainedModel = {
      graph,
      params: { 'fc1.weight': new Float32Array(12).fill(0.1), 'fc1.bias': new Float32Array(4), 'fc2.weight': new Float32Array(8).fill(-0.2), 'fc2.bias': new Float32Array(2) },
      buffers: {},
    };
    expect(modelFromJSON(modelToJSONText(model)).graph.groups).toEqual(graph.groups);
    const back = importOnnx(exportOnnx(model).bytes);
    expect(back.restored).toBe(true);
    expect(back.model.graph.groups).toEqual(graph.groups);
  });
});

describe('groups from torch.onnx module scopes', () => {
  it('each scope of two nodes or more is a group inside its enclosing scope; a scope that only wraps one sub-scope, or holds everything, is skipped', () => {
    const scopes: [string, string[]][] = [
      ['x', []],
      ['conv0', ['features', 'conv0']],
      ['b1_l1_cat', ['features', 'block1', 'layer1']],
      ['b1_l1_conv', ['features', 'block1', 'layer1', 'conv']],
      ['b1_l2_cat', ['features', 'block1', 'layer2']],
      ['b1_l2_conv', ['features', 'block1', 'layer2', 'conv']],
      ['b1_cat', ['features', 'block1']],
      ['head', ['classifier', 'seq', 'fc']],
      ['head_act', ['classifier', 'seq', 'act']],
    ];
    expect(groupsFromScopes(scopes)).toEqual([
      { id: 'g:features', name: 'features', nodes: ['conv0', 'b1_l1_cat', 'b1_l1_conv', 'b1_l2_cat', 'b1_l2_conv', 'b1_cat'] },
      { id: 'g:features/block1', name: 'block1', parent: 'g:features', nodes: ['b1_l1_cat', 'b1_l1_conv', 'b1_l2_cat', 'b1_l2_conv', 'b1_cat'] },
      { id: 'g:features/block1/layer1', name: 'layer1', parent: 'g:features/block1', nodes: ['b1_l1_cat', 'b1_l1_conv'] },
      { id: 'g:features/block1/layer2', name: 'layer2', parent: 'g:features/block1', nodes: ['b1_l2_cat', 'b1_l2_conv'] },
      // classifier only wraps seq: seq stands for both.
      { id: 'g:classifier/seq', name: 'seq', nodes: ['head', 'head_act'] },
    ]);
    expect(checkNodeGroups(groupsFromScopes(scopes), new Set(scopes.map(([id]) => id))).problems).toEqual([]);
    // One scope holding every node says nothing.
    expect(groupsFromScopes([['a', ['m']], ['b', ['m']]])).toEqual([]);
  });
});
