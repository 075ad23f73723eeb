import { describe, expect, it } from 'vitest';
import { graphEvent } from '../../../src-engine/app/runs/tf-events';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { decodeEvent, decodeGraphDef, readTfRecords } from './tf-reader';

/** node_def.proto's rule for a NodeDef's name (TensorFlow's IsValidNodeName also takes `-` after the first character). */
const VALID = /^[A-Za-z0-9.][A-Za-z0-9_>./-]*$/;

const graphDefOf = (graph: GraphIR) => decodeGraphDef(decodeEvent(readTfRecords(graphEvent(graph, 1.7e9)).records[0]).graphDef!);

describe("the design's GraphDef for TensorBoard (#81 L9)", () => {
  it('ids that read alike once sanitised get names of their own; the one that needed no change keeps its own', () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 3,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4] }, inputs: [] },
        { id: 'fc 1', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['x'] },
        { id: 'fc_1', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['fc 1'] },
        { id: 'fc:1', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['fc_1'] },
        { id: 'fc_1_2', op: 'ReLU', attrs: {}, inputs: ['fc:1'] },
        { id: '-out', op: 'ReLU', attrs: {}, inputs: ['fc_1_2'] },
      ],
      outputs: {},
    };
    const nodes = graphDefOf(graph);
    expect(nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['x', []],
      ['fc_1_3', ['x']],
      ['fc_1', ['fc_1_3']],
      ['fc_1_4', ['fc_1']],
      ['fc_1_2', ['fc_1_4']],
      ['n-out', ['fc_1_2']],
    ]);
    expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
    for (const n of nodes) expect(n.name).toMatch(VALID);
  });

  it('scopes with empty parts (a group named "/", "a/" or "/b", an id "c//d/") are left out, and a name starts as node_def.proto asks', () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 3,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4] }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['x'] },
        { id: 'fc2', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['fc'] },
        { id: 'c//d/', op: 'ReLU', attrs: {}, inputs: ['fc2'] },
        { id: 'e', op: 'ReLU', attrs: {}, inputs: ['c//d/'] },
        { id: 'f', op: 'ReLU', attrs: {}, inputs: ['e'] },
        { id: '_g', op: 'ReLU', attrs: {}, inputs: ['f'] },
      ],
      outputs: {},
      groups: [
        { id: 'g1', name: 'block 1', nodes: ['fc'] },
        { id: 'g2', name: 'block_1', nodes: ['fc2'] },
        { id: 'g3', name: 'a/', nodes: ['e'] },
        { id: 'g4', name: '/b', parent: 'g3', nodes: ['e'] },
        { id: 'g5', name: '/', nodes: ['f', '_g'] },
      ],
    };
    const nodes = graphDefOf(graph);
    expect(nodes.map((n) => n.name)).toEqual(['x', 'block_1/fc', 'block_1/fc2', 'c/d', 'a/b/e', 'f', 'n_g']);
    // The same names as inputs.
    expect(nodes.slice(1).map((n) => n.inputs[0])).toEqual(nodes.slice(0, -1).map((n) => n.name));
    for (const n of nodes) {
      expect(n.name).toMatch(VALID);
      expect(n.name.split('/')).not.toContain('');
    }
  });

  it('a node in a group and a node whose id holds the same path give two names', () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 3,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4] }, inputs: [] },
        { id: 'conv_1/fc', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['x'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['conv_1/fc'] },
      ],
      outputs: {},
      groups: [{ id: 'g1', name: 'conv 1', nodes: ['fc'] }],
    };
    const nodes = graphDefOf(graph);
    expect(nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['x', []],
      ['conv_1/fc', ['x']],
      ['conv_1/fc_2', ['conv_1/fc']],
    ]);
  });
});
