/**
 * The Transformer block template (#31): added as its nodes and one group around them, it has one
 * way in (its first LayerNorm) and one way out (its last Add), so it can stand as a card; wired
 * after an Embedding and a PositionalEmbedding it validates; and the two blocks of
 * examples/tiny-gpt.json are that template, each a valid group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../../src-engine/core/analysis/validate';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { blockEdits, TRANSFORMER_BLOCK } from '../../../src-renderer/src/editor/block-templates';
import { emptyDoc, type EditorDoc } from '../../../src-renderer/src/editor/document';
import { groupPorts, groupProblem } from '../../../src-renderer/src/editor/groups';
import { applyEdit } from '../../../src-renderer/src/editor/reducer';

function apply(doc: EditorDoc, action: Parameters<typeof applyEdit>[1]): EditorDoc {
  const r = applyEdit(doc, action);
  if (!r.ok) throw new Error(r.message);
  return r.doc;
}

describe('the Transformer block template', () => {
  it('adds its nodes as one group with one way in and one way out, which validates after an embedding', () => {
    let doc = emptyDoc('lm');
    doc = apply(doc, {
      kind: 'paste',
      nodes: [
        { id: 'chars', op: 'Input', attrs: { shape: [16], source: 'features' }, inputs: [] },
        { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: 20, embeddingDim: 64 }, inputs: ['chars'] },
        { id: 'positions', op: 'PositionalEmbedding', attrs: {}, inputs: ['embed'] },
      ],
      layout: { chars: { x: 0, y: 0 }, embed: { x: 0, y: 90 }, positions: { x: 0, y: 180 } },
    });
    for (const action of blockEdits(doc, TRANSFORMER_BLOCK, { x: 0, y: 300 })) doc = apply(doc, action);
    expect(doc.graph.groups).toHaveLength(1);
    const group = doc.graph.groups![0];
    expect(group.nodes.map((m) => doc.graph.nodes.find((n) => n.id === m)!.op)).toEqual(['LayerNorm', 'MultiHeadAttention', 'Add', 'LayerNorm', 'Linear', 'GELU', 'Linear', 'Add']);
    doc = apply(doc, { kind: 'connect', edge: { source: 'positions', target: group.nodes[0], slot: 0 } });
    expect(doc.graph.groups).toHaveLength(1);
    // One way in (its first LayerNorm, from the positions); nothing reads it yet.
    expect(groupPorts(doc.graph, doc.graph.groups![0].nodes)).toEqual({ entries: [group.nodes[0]], exits: [], sources: ['positions'] });
    const a = analyzeGraph(doc.graph, { batchSize: 2 });
    expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(a.shapes[group.nodes[7]]).toEqual([2, 16, 64]);
    // A second block pasted beside the first gets fresh ids and a group of its own.
    for (const action of blockEdits(doc, TRANSFORMER_BLOCK, { x: 300, y: 300 })) doc = apply(doc, action);
    expect(doc.graph.groups).toHaveLength(2);
    expect(new Set(doc.graph.groups!.flatMap((g) => g.nodes)).size).toBe(16);
  });

  it('is what examples/tiny-gpt.json stacks twice, each block a valid group', () => {
    const g = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/tiny-gpt.json'), 'utf8')) as GraphIR;
    const ops = TRANSFORMER_BLOCK.nodes().map((n) => n.op);
    for (const b of ['b1_', 'b2_']) {
      const members = g.nodes.filter((n) => n.id.startsWith(b));
      expect(members.map((n) => n.op)).toEqual(ops);
      expect(groupProblem(g, members.map((n) => n.id))).toBeUndefined();
    }
  });
});
