/**
 * The structural ops' random-graph draws are declarations (`testDomain.graph`, read by
 * registry-draws.ts): every op of category 'structure' says how it is drawn or why it is not, and
 * every declared draw gives settings its op's shape rule accepts on the shapes the random graphs
 * hold (vectors, sequences, images), on at least one of them.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { missingGraphDraws, registryStructure } from './registry-draws';

/** Shapes as the random graphs hold them, batch first: a vector, a sequence, an image (even and odd dims). */
const SHAPES: readonly (readonly number[])[] = [[1, 6], [1, 7], [1, 4, 5], [1, 3, 3], [1, 2, 4, 6], [1, 3, 5, 5]];
const DRAWS = 20;

const withDefaults = (op: string, attrs: Attrs): Attrs => ({ ...Object.fromEntries(Object.entries(getOp(op)!.attrs).map(([k, s]) => [k, s.default])), ...attrs });

describe('the random graphs draw the structural ops from their declarations', () => {
  it('every structural op declares how it is drawn, or why not', () => {
    expect(missingGraphDraws()).toEqual([]);
  });

  const { joins, singles } = registryStructure();
  it.each([...joins, ...singles].map((d) => [d.op, d] as const))('%s: each setting drawn is one its shape rule accepts', (op, d) => {
    const refused: string[] = [];
    let accepted = 0;
    for (const shape of SHAPES) {
      const rng = new Rng(shape.reduce((a, b) => 31 * a + b, 7));
      for (let k = 0; k < DRAWS; k++) {
        const attrs = d.draw(shape, rng);
        if (!attrs) continue;
        // A join's branch as the graphs try it first: the node's own shape, as many inputs as it may take.
        const inputs = Array.from({ length: d.join?.inputs ?? 1 }, () => shape);
        const r = getOp(op)!.inferShape({ inputs, attrs: withDefaults(op, attrs) });
        if (r.ok) accepted++;
        else refused.push(`[${shape}] ${JSON.stringify(attrs)}: ${r.message}`);
      }
    }
    expect(refused, `${op}: settings drawn that its shape rule refuses`).toEqual([]);
    expect(accepted, `${op}: drawn on none of ${JSON.stringify(SHAPES)}`).toBeGreaterThan(0);
  });
});
