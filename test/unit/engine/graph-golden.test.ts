/**
 * Whole graphs against PyTorch (test/golden/gen_graphs.py): the executor composes the ops — fan-out,
 * Add with a repeated input, Concat, Reshape, BatchNorm running stats — and must give PyTorch's loss,
 * every parameter gradient, activation gradients, the running stats after one training forward, and
 * the eval-mode loss after it. Tolerance: |a − b| ≤ 1e-4·max(1, |b|) (harness.compareGolden).
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { tensor } from '../../../src-engine/base/tensor';
import { compareGolden, type GoldenTensor } from './harness';

interface GraphGolden {
  case: string;
  graph: GraphIR;
  batchSize: number;
  inputs: Record<string, GoldenTensor>;
  params: Record<string, GoldenTensor>;
  buffers: Record<string, GoldenTensor>;
  loss: number;
  evalLoss: number;
  grads: Record<string, GoldenTensor>;
  activationGrads: Record<string, GoldenTensor>;
  buffersAfter: Record<string, GoldenTensor>;
}

const DIR = join(__dirname, '..', '..', 'golden', 'graphs');
const cases: GraphGolden[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as GraphGolden);

const scalar = (v: number): GoldenTensor => ({ shape: [], data: [v] });

describe('whole graphs match PyTorch', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(2));

  for (const c of cases) {
    it(c.case, () => {
      const g = compileGraph(checkedOrThrow(c.graph), { batchSize: c.batchSize, backend: createReferenceBackend(), seed: 0 });
      const keys = (xs: readonly { nodeId: string; name: string }[]) => xs.map((p) => `${p.nodeId}.${p.name}`).sort();
      expect(keys(g.params)).toEqual(Object.keys(c.params).sort());
      expect(keys(g.buffers)).toEqual(Object.keys(c.buffers).sort());
      for (const p of g.params) p.value.data.set(c.params[`${p.nodeId}.${p.name}`].data);
      for (const b of g.buffers) b.value.data.set(c.buffers[`${b.nodeId}.${b.name}`].data);
      for (const [name, t] of Object.entries(c.inputs)) g.input(name).data.set(t.data);

      const results = [compareGolden('loss', tensor([], Float32Array.of(g.forward(true))), scalar(c.loss))];
      g.backward();
      for (const p of g.params) results.push(compareGolden(`grad ${p.nodeId}.${p.name}`, p.grad, c.grads[`${p.nodeId}.${p.name}`]));
      for (const [id, t] of Object.entries(c.activationGrads)) results.push(compareGolden(`activation grad ${id}`, g.grad(id), t));
      for (const b of g.buffers) results.push(compareGolden(`buffer ${b.nodeId}.${b.name}`, b.value, c.buffersAfter[`${b.nodeId}.${b.name}`]));
      results.push(compareGolden('eval loss', tensor([], Float32Array.of(g.forward(false))), scalar(c.evalLoss)));
      expect(results.length).toBeGreaterThan(5);
      for (const r of results) expect(r.ok, r.message).toBe(true);
    });
  }
});
