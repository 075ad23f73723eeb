import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGraph } from '../../../bench/canvas-graph';
import { FlowCache, fromFlow, graphMeta, toFlow } from '../../../src-renderer/src/editor/flow';
import { autoLayout } from '../../../src-renderer/src/editor/layout';
import { parseProject } from '../../../src-renderer/src/editor/project';
import { build, mlpDoc } from './fixtures';

const EXAMPLES = path.resolve(__dirname, '../../../examples');

function roundTrip(doc: Parameters<typeof toFlow>[0]) {
  const { nodes, edges } = toFlow(doc);
  return fromFlow(nodes, edges, graphMeta(doc.graph));
}

describe('canvas ⇄ IR', () => {
  it('round-trips the MLP losslessly', () => {
    const doc = mlpDoc();
    expect(roundTrip(doc)).toEqual(doc);
  });

  it('round-trips unconnected slots, variadic inputs and fan-out', () => {
    let doc = build(mlpDoc(), { kind: 'remove', nodeIds: ['fc2'] });
    doc = build(doc, { kind: 'add-node', node: { id: 'sum', op: 'Add', attrs: {}, inputs: [] }, position: { x: 5, y: 5 } }, { kind: 'connect', edge: { source: 'fc1', target: 'sum', slot: 0 } }, { kind: 'connect', edge: { source: 'fc1', target: 'sum', slot: 1 } }, { kind: 'connect', edge: { source: 'act', target: 'sum', slot: 2 } });
    expect(doc.graph.nodes.find((n) => n.id === 'loss')!.inputs).toEqual(['', 'y']);
    expect(roundTrip(doc)).toEqual(doc);
  });

  it('round-trips every example network and a generated 1,000-node graph', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = parseProject(readFileSync(path.join(EXAMPLES, f), 'utf8'));
      if (!r.ok) throw new Error(`${f}: ${r.message}`);
      expect(roundTrip(r.doc), f).toEqual(r.doc);
    }
    const g = generateGraph(1000);
    const doc = { graph: g, layout: autoLayout(g) };
    expect(roundTrip(doc)).toEqual(doc);
  });

  it('edges carry handles per slot and ids that name the slot', () => {
    const { edges } = toFlow(mlpDoc());
    expect(edges.find((e) => e.target === 'loss' && e.source === 'y')).toMatchObject({ id: 'y->loss:1', sourceHandle: 'out', targetHandle: 'in-1' });
  });

  it('reuses flow objects for nodes an edit did not touch', () => {
    const cache = new FlowCache();
    const doc = mlpDoc();
    const a = toFlow(doc, new Set(), cache);
    const moved = build(doc, { kind: 'move', positions: { fc1: { x: 1, y: 1 } } });
    const b = toFlow(moved, new Set(), cache);
    for (let i = 0; i < a.nodes.length; i++) {
      if (a.nodes[i].id === 'fc1') expect(b.nodes[i]).not.toBe(a.nodes[i]);
      else expect(b.nodes[i]).toBe(a.nodes[i]);
    }
    expect(b.edges).toEqual(a.edges);
    b.edges.forEach((e, i) => expect(e).toBe(a.edges[i]));
  });
});
