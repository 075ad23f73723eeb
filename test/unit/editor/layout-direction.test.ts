import dagre from '@dagrejs/dagre';
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { generateGraph } from '../../../bench/canvas-graph';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import type { XY } from '../../../src-renderer/src/editor/document';
import { UNCONNECTED } from '../../../src-renderer/src/editor/graph';
import { LAYOUT_SPACING, autoLayout, type LayoutOptions } from '../../../src-renderer/src/editor/layout';
import { mlpDoc } from './fixtures';

const cnn = JSON.parse(readFileSync(new URL('../../../examples/mnist-cnn.json', import.meta.url), 'utf8')) as GraphIR;

/** Largest zoom at which the whole layout fits a view of `aspect` (height 1). */
function fitScale(pos: Record<string, XY>, aspect: number): number {
  const ps = Object.values(pos);
  const w = Math.max(...ps.map((p) => p.x)) - Math.min(...ps.map((p) => p.x)) + LAYOUT_SPACING.width;
  const h = Math.max(...ps.map((p) => p.y)) - Math.min(...ps.map((p) => p.y)) + LAYOUT_SPACING.height;
  return Math.min(aspect / w, 1 / h);
}

function overlaps(pos: Record<string, XY>): string[] {
  const ids = Object.keys(pos);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      const [a, b] = [pos[ids[i]], pos[ids[j]]];
      if (Math.abs(a.x - b.x) < LAYOUT_SPACING.width && Math.abs(a.y - b.y) < LAYOUT_SPACING.height) out.push(`${ids[i]}/${ids[j]}`);
    }
  return out;
}

describe('auto-layout direction', () => {
  it('left to right puts every producer left of its consumers', () => {
    for (const g of [mlpDoc().graph, cnn, generateGraph(200)]) {
      const pos = autoLayout(g, { direction: 'LR' });
      expect(Object.keys(pos).sort()).toEqual(g.nodes.map((n) => n.id).sort());
      for (const n of g.nodes) for (const s of n.inputs) if (s !== UNCONNECTED) expect(pos[s].x, `${s} → ${n.id}`).toBeLessThan(pos[n.id].x);
      expect(overlaps(pos)).toEqual([]);
    }
  });

  it('the large-graph layout turns on its side too', () => {
    const g = generateGraph(400); // past DAGRE_MAX_NODES
    const pos = autoLayout(g, { direction: 'LR' });
    for (const n of g.nodes) for (const s of n.inputs) if (s !== UNCONNECTED) expect(pos[s].x).toBeLessThan(pos[n.id].x);
    expect(overlaps(pos)).toEqual([]);
  });
});

describe('folding a long layout to the view', () => {
  // The canvas at 1280×800 with the Train dock open is about 760×250 px.
  const dockOpen = 760 / 250;
  for (const direction of ['LR', 'TB'] as const) {
    it(`${direction}: the CNN template shows at least twice as large at fit with the dock open, without overlaps`, () => {
      const flat = autoLayout(cnn, { direction });
      const folded = autoLayout(cnn, { direction, aspect: dockOpen });
      expect(fitScale(folded, dockOpen)).toBeGreaterThan(2 * fitScale(flat, dockOpen));
      expect(overlaps(folded)).toEqual([]);
    });
  }

  it('keeps the order along each band: within a band, producers come first', () => {
    const opts: LayoutOptions = { direction: 'LR', aspect: dockOpen };
    const pos = autoLayout(cnn, opts);
    const bandOf = (id: string) => Math.round(pos[id].y / 10);
    const rows = new Map<number, string[]>();
    for (const n of cnn.nodes) rows.set(bandOf(n.id), [...(rows.get(bandOf(n.id)) ?? []), n.id]);
    expect(rows.size).toBeGreaterThan(1);
    for (const n of cnn.nodes) for (const s of n.inputs) if (s !== UNCONNECTED && pos[s].y === pos[n.id].y) expect(pos[s].x).toBeLessThan(pos[n.id].x);
  });

  it('leaves a layout that already fits the view as it is', () => {
    const g = mlpDoc().graph;
    expect(autoLayout(g, { direction: 'TB', aspect: 0.5 })).toEqual(autoLayout(g, { direction: 'TB' }));
  });
});

describe('laying out the same shape again', () => {
  /** 41 nodes in a chain, node 0 feeding every seventh too (`skip` moves one of those edges): a shape no other test lays out. */
  const shape = (prefix: string, skip = 3): GraphIR => ({
    ...mlpDoc().graph,
    nodes: Array.from({ length: 41 }, (_, i) => ({ id: `${prefix}${i}`, op: i ? 'ReLU' : 'Input', attrs: {}, inputs: i === 0 ? [] : i % 7 === skip && i > 1 ? [`${prefix}${i - 1}`, `${prefix}0`] : [`${prefix}${i - 1}`] })),
  });

  it("reuses dagre's positions for the same direction, node count and edges: each node under its own id, in objects of its own", () => {
    const layout = vi.spyOn(dagre, 'layout');
    try {
      const first = autoLayout(shape('a'));
      expect(layout).toHaveBeenCalledTimes(1);
      const want = structuredClone(first);
      first.a1.x = 1e6;
      // Other ids, the same shape: dagre is not run again, and each id gets its index's place.
      const renamed = autoLayout(shape('b'));
      expect(layout).toHaveBeenCalledTimes(1);
      expect(Object.fromEntries(Object.entries(renamed).map(([id, p]) => [id.replace('b', 'a'), p]))).toEqual(want);
      expect(autoLayout(shape('a'))).toEqual(want);
      // Another direction, or one edge elsewhere, is another layout.
      const lr = autoLayout(shape('a'), { direction: 'LR' });
      expect(layout).toHaveBeenCalledTimes(2);
      expect(lr).not.toEqual(want);
      const moved = autoLayout(shape('a', 4));
      expect(layout).toHaveBeenCalledTimes(3);
      expect(moved).not.toEqual(want);
    } finally {
      layout.mockRestore();
    }
  });
});
