/**
 * The update language (core/elementwise/update.ts): statements read names in order (a later
 * statement sees a name set again), stores round to float32 in the reference loop, chained
 * transformations keep one scalar per name, and a malformed form is refused when resolved.
 */
import { describe, expect, it } from 'vitest';
import { add, mul, sub, v } from '../../../src-engine/core/elementwise/expr';
import { chain, resolve, scalar, store, temp, type UpdateForm } from '../../../src-engine/core/elementwise/update';
import { updateLoop } from '../../../src-engine/core/elementwise/update-js';
import { l2Decay, rate } from '../../../src-engine/core/optim/transforms';

type S = { weightDecay: number };
const descend: UpdateForm<S> = { state: [], ...chain<S>(l2Decay, { scalars: [rate], body: [store('w', sub(v('w'), mul(v('lr'), v('g'))))] }) };

describe('the update language', () => {
  it('a statement reads the value a name has at that point: L2 decay then the step reads the decayed g', () => {
    const w = Float32Array.of(1, -2);
    const g = Float32Array.of(2, 0.5);
    // Scalars in the chain's order: wd (l2Decay's), then lr.
    expect(descend.scalars.map((s) => s.name)).toEqual(['wd', 'lr']);
    updateLoop(descend)([w, g], Float64Array.of(0.5, 0.1));
    expect(Array.from(w)).toEqual([Math.fround(1 - 0.1 * (2 + 0.5 * 1)), Math.fround(-2 - 0.1 * (0.5 + 0.5 * -2))]);
    expect(Array.from(g), 'g is read, never written').toEqual([2, 0.5]);
  });

  it('the reference stores a slot rounded to float32 and later statements read the stored value', () => {
    const form: UpdateForm<object> = { state: ['m'], scalars: [], body: [store('m', add(v('m'), v('g'))), store('w', mul(sub(v('m'), 1), 1e9))] };
    const m = Float32Array.of(1);
    const w = Float32Array.of(5);
    // 1 + 1e-9 rounds to 1 in float32: w = (m − 1)·1e9 reads the stored m and is 0 (the float64 sum would give 1).
    updateLoop(form)([w, Float32Array.of(1e-9), m], new Float64Array(0));
    expect(m[0]).toBe(1);
    expect(w[0]).toBe(0);
  });

  it('chain keeps one scalar per name', () => {
    const twice = chain<S>(l2Decay, l2Decay, { scalars: [rate, scalar('lr', (_s, at) => at.lr)], body: [] });
    expect(twice.scalars.map((s) => s.name)).toEqual(['wd', 'lr']);
    expect(twice.body).toHaveLength(2);
  });

  it('refuses a name read before it is set, a store to g or to a slot the form does not bind, and a form that never stores w', () => {
    const form = (body: UpdateForm<object>['body'], state: string[] = []): UpdateForm<object> => ({ state, scalars: [], body });
    expect(() => resolve(form([temp('d', v('e')), store('w', v('d'))]))).toThrow(/reads e before it is set/);
    expect(() => resolve(form([store('g', v('w')), store('w', v('g'))]))).toThrow(/stores to g/);
    expect(() => resolve(form([store('m', v('w')), store('w', v('g'))]))).toThrow(/stores to m/);
    expect(() => resolve(form([temp('w', v('g'))]))).toThrow(/never stores w/);
    expect(resolve(form([store('m', add(v('m'), v('g'))), store('w', v('m'))], ['m'])).stmts.map((s) => s.storeTo)).toEqual([2, 0]);
  });
});
