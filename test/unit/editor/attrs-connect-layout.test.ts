import { describe, expect, it } from 'vitest';
import type { AttrSpec } from '../../../src-engine/catalog/attr-spec';
import { generateGraph } from '../../../bench/canvas-graph';
import { EditCode } from '../../../src-renderer/src/editor/actions';
import { analyzeDesign } from '../../../src-renderer/src/editor/analysis';
import { attrProblem, commonAttrs, formatAttrValue, parseAttrText } from '../../../src-renderer/src/editor/attrs';
import { checkConnection } from '../../../src-renderer/src/editor/connect';
import { UNCONNECTED, freshId, topoOrder } from '../../../src-renderer/src/editor/graph';
import { autoLayout } from '../../../src-renderer/src/editor/layout';
import { build, mlpDoc } from './fixtures';

const int: AttrSpec = { kind: 'int', default: 10, min: 1, max: 100, doc: '' };
const float: AttrSpec = { kind: 'float', default: 0.5, min: 0, max: 1, doc: '' };
const ints: AttrSpec = { kind: 'ints', default: [1], min: 1, doc: '' };
const pair: AttrSpec = { kind: 'ints', default: [3, 3], length: 2, min: 1, doc: '' };
const floats: AttrSpec = { kind: 'floats', default: [], doc: '' };

describe('attribute fields validate as typed', () => {
  it.each([
    [int, '42', 42],
    [float, '0.25', 0.25],
    [float, '1e-1', 0.1],
    [ints, '1, 28, 28', [1, 28, 28]],
    [ints, '[1 28 28]', [1, 28, 28]],
    [ints, '1×28×28', [1, 28, 28]],
    [ints, '1x28x28', [1, 28, 28]],
    [ints, '', []],
    [pair, '2,2', [2, 2]],
    [floats, '0.5, 2', [0.5, 2]],
  ])('%o accepts %s', (spec, text, value) => {
    expect(parseAttrText(spec, text)).toEqual({ ok: true, value });
  });

  it.each([
    [int, '0', /between 1 and 100/],
    [int, '2.5', /whole number/],
    [int, 'abc', /whole number/],
    [int, '', /whole number/],
    [float, '1.5', /between 0 and 1/],
    [ints, '1, 0', /at least 1/],
    [ints, '1, x', /whole numbers/],
    [pair, '3', /exactly 2 values/],
    [floats, '1, nope', /numbers separated/],
  ])('%o refuses %s with a reason', (spec, text, message) => {
    const r = parseAttrText(spec, text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('enum and bool values are checked against the spec', () => {
    const e: AttrSpec = { kind: 'enum', default: 'a', values: ['a', 'b'], doc: '' };
    expect(attrProblem(e, 'b')).toBeUndefined();
    expect(attrProblem(e, 'c')).toMatch(/one of: a, b/);
    expect(attrProblem({ kind: 'bool', default: true, doc: '' }, 'yes')).toMatch(/true or false/);
  });

  it('formats values back into field text', () => {
    expect(formatAttrValue([1, 28, 28])).toBe('1, 28, 28');
    expect(parseAttrText(ints, formatAttrValue([1, 28, 28]))).toEqual({ ok: true, value: [1, 28, 28] });
  });
});

describe('multi-select', () => {
  it('edits the attrs the selected nodes share', () => {
    const nodes = mlpDoc().graph.nodes;
    const pick = (...ids: string[]) => nodes.filter((n) => ids.includes(n.id));
    expect(commonAttrs(pick('fc1', 'fc2')).map(([n]) => n)).toEqual(['outFeatures', 'bias', 'init']);
    expect(commonAttrs(pick('fc1', 'act'))).toEqual([]);
    expect(commonAttrs(pick('x', 'y')).map(([n]) => n)).toEqual(['shape', 'source']);
    const doc = build(mlpDoc(), { kind: 'set-attrs', nodeIds: ['fc1', 'fc2'], attrs: { bias: false } });
    expect(doc.graph.nodes.filter((n) => n.op === 'Linear').map((n) => n.attrs.bias)).toEqual([false, false]);
  });
});

describe('checking a connection before drawing it', () => {
  it('refuses shapes the target cannot take, with the op\'s own reason', () => {
    const doc = mlpDoc();
    const { shapes } = analyzeDesign(doc.graph);
    const r = checkConnection(doc, shapes, { source: 'x', target: 'fc1', slot: 0 });
    expect(r?.code).toBe(EditCode.SHAPE);
    expect(r?.nodeId).toBe('fc1');
    expect(r?.message).toMatch(/N×1×28×28/);
    expect(r?.message).toMatch(/Flatten/);
  });

  it('refuses a cycle, allows a fitting edge', () => {
    const doc = mlpDoc();
    const { shapes } = analyzeDesign(doc.graph);
    expect(checkConnection(doc, shapes, { source: 'fc2', target: 'flat', slot: 0 })?.code).toBe(EditCode.CYCLE);
    expect(checkConnection(doc, shapes, { source: 'flat', target: 'fc2', slot: 0 })).toBeUndefined();
  });

  it('does not judge a multi-input op until its other inputs are known', () => {
    const doc = build(mlpDoc(), { kind: 'disconnect', edges: [{ source: 'y', target: 'loss', slot: 1 }, { source: 'fc2', target: 'loss', slot: 0 }] });
    const { shapes } = analyzeDesign(doc.graph);
    expect(checkConnection(doc, shapes, { source: 'fc1', target: 'loss', slot: 0 })).toBeUndefined();
  });
});

describe('live analysis', () => {
  it('reports shapes, per-node params and totals of the MLP', () => {
    const a = analyzeDesign(mlpDoc().graph);
    expect(a.diagnostics).toEqual([]);
    expect(a.shapes.flat).toEqual([-1, 784]);
    expect(a.nodeParams).toEqual({ fc1: 784 * 128 + 128, fc2: 128 * 10 + 10 });
    expect(a.params).toBe(784 * 128 + 128 + 1290);
    expect(a.flopsPerSample).toBeGreaterThan(2 * 784 * 128);
  });

  it('reports an unconnected input as a missing input on that node', () => {
    const a = analyzeDesign(build(mlpDoc(), { kind: 'disconnect', edges: [{ source: 'y', target: 'loss', slot: 1 }] }).graph);
    expect(a.byNode.loss?.map((d) => d.code)).toEqual(['E_MISSING_INPUT']);
    expect(a.diagnostics.every((d) => !d.message.includes('""'))).toBe(true);
  });

  it('puts a wrong target size on the loss node', () => {
    const a = analyzeDesign(build(mlpDoc(), { kind: 'set-attrs', nodeIds: ['y'], attrs: { shape: [10] } }).graph);
    expect(Object.keys(a.byNode)).toEqual(['loss']);
    expect(a.byNode.loss[0].message).toMatch(/target must be/);
  });
});

describe('auto-layout', () => {
  it('places every node, producers above their consumers', () => {
    for (const g of [mlpDoc().graph, generateGraph(200)]) {
      const pos = autoLayout(g);
      expect(Object.keys(pos).sort()).toEqual(g.nodes.map((n) => n.id).sort());
      for (const n of g.nodes) for (const s of n.inputs) if (s !== UNCONNECTED) expect(pos[s].y, `${s} → ${n.id}`).toBeLessThan(pos[n.id].y);
    }
  });

  it('gives no two nodes the same place', () => {
    const pos = Object.values(autoLayout(generateGraph(300)));
    expect(new Set(pos.map((p) => `${p.x},${p.y}`)).size).toBe(pos.length);
  });
});

describe('graph helpers', () => {
  it('orders nodes topologically and names new nodes readably', () => {
    const g = mlpDoc().graph;
    const order = topoOrder(g);
    for (const n of g.nodes) for (const s of n.inputs) expect(order.indexOf(s)).toBeLessThan(order.indexOf(n.id));
    expect(freshId('Linear', new Set(['linear', 'linear2']))).toBe('linear3');
    expect(freshId('CrossEntropyLoss', new Set())).toBe('crossentropyloss');
  });
});
