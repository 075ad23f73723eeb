/**
 * A look inside a prediction (core/explain): the saliency map (SmoothGrad-averaged gradient ×
 * input), Grad-CAM and per-token saliency on the CPU backend (WebAssembly), against PyTorch's autograd on the same
 * exported model, weights and inputs (torch_explain.py, one forked Python for every case); and the
 * coded refusals.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { cpuGradientPass, explainPrediction, gradientTimesInput, smoothingInputs, type ExplainOptions, type Explanation } from '../../../../src-engine/core/explain/explain';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { torchNodeNames } from '../../../../src-engine/core/export/pytorch';
import { Rng } from '../../../../src-engine/base/rng';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { exportTo, HAS_TORCH, initialModel, tempDir, torchProcess } from '../export/torch-harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');
const template = (file: string) => JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as GraphIR;

/** A template at its initial weights, running statistics (BatchNorm) drawn away from 0 and 1 so that eval mode matters. */
function model(graph: GraphIR): TrainedModel {
  const m = initialModel(graph);
  const rng = new Rng(5);
  for (const [key, v] of Object.entries(m.buffers)) v.forEach((_, i) => (v[i] = key.endsWith('Var') ? 0.5 + rng.uniform() : rng.normal() * 0.3));
  return m;
}

const mlp = model(template('mnist-mlp.json'));
const cnn = model(template('mnist-cnn.json'));
// The text template at 32 characters (its LSTM's cost grows with the length; the maths does not change).
const text = (() => {
  const g = template('fortunes-topics.json');
  return model({ ...g, nodes: g.nodes.map((n) => (n.id === 'chars' ? { ...n, attrs: { ...n.attrs, shape: [32] } } : n)) });
})();
const GLOBAL = { kind: 'global' as const, mean: [0.1307], std: [0.3081] };

/**
 * A blob of ink, as normalised. NOTE: a faint grain everywhere, so that no two values a max pool
 * compares are equal: at a tie PyTorch and Netwright may route the gradient to different (equally
 * valid) elements, and a blank background is all ties.
 */
function digit(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: 784 }, (_, i) => ((i % 28 > 8 && i % 28 < 20 && i > 200 && i < 600 ? 0.9 : 0) * rng.uniform() + 0.05 * rng.uniform() - GLOBAL.mean[0]) / GLOBAL.std[0]);
}
const chars = Float32Array.from('Computers are useless. They only', (c) => c.charCodeAt(0) % 128);

// The engine's CPU backend (WebAssembly, as the app's requests run), on one thread.
const wasm = createCpuBackend({ threads: 1 });
const explain = async (m: TrainedModel, x: Float32Array, o: ExplainOptions) => explainPrediction(m, x, o, cpuGradientPass(m, await wasm));

interface Case {
  name: string;
  model: TrainedModel;
  x: Float32Array;
  options: ExplainOptions;
}
const CASES: Case[] = [
  { name: 'MLP saliency, SmoothGrad over 4 noisy copies', model: mlp, x: digit(1), options: { method: 'saliency', samples: 4, normalization: GLOBAL } },
  { name: 'CNN saliency (the plain gradient)', model: cnn, x: digit(2), options: { method: 'saliency', samples: 1, target: 3 } },
  { name: 'CNN Grad-CAM on the last conv', model: cnn, x: digit(2), options: { method: 'gradcam' } },
  { name: 'CNN Grad-CAM on conv1', model: cnn, x: digit(3), options: { method: 'gradcam', layer: 'conv1', target: 7 } },
  { name: 'text: gradient × embedding per character', model: text, x: chars, options: { method: 'saliency' } },
];

/** The case as torch_explain.py reads it, and Netwright's answer to compare. */
function torchCase(c: Case, e: Explanation): [string, string] {
  const names = torchNodeNames(checkedOrThrow(c.model.graph));
  const mode = e.method === 'gradcam' ? 'gradcam' : e.kind;
  const module = e.method === 'gradcam' ? e.layer : e.kind === 'tokens' ? e.node : null;
  const inputs = mode === 'features' ? smoothingInputs(c.x, c.options) : [c.x];
  const shape = c.model.graph.nodes.find((n) => n.id === c.model.graph.nodes[0].id)!.attrs.shape as number[];
  const file = join(tempDir('explain'), 'case.json');
  writeFileSync(file, JSON.stringify({ mode, shape, target: e.target, module: module && names.get(module), inputs: inputs.map((x) => Array.from(x)) }));
  return [exportTo(c.model), file];
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('explaining a prediction', () => {
  it.skipIf(!HAS_TORCH)('matches PyTorch autograd on the same model, weights and input (max |Δ| within 1e-5 of the largest value)', async () => {
    const mine = await Promise.all(CASES.map((c) => explain(c.model, c.x, c.options)));
    const r = await torchProcess([join(import.meta.dirname, 'torch_explain.py'), ...CASES.flatMap((c, i) => torchCase(c, mine[i]))], import.meta.dirname);
    expect(r.status, r.stderr).toBe(0);
    const torch = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { score: number; values: number[] });
    const report: string[] = [];
    CASES.forEach((c, i) => {
      const e = mine[i];
      const ours = e.method === 'saliency' && e.kind === 'features' ? e.gradient : e.values;
      const scale = maxAbs(torch[i].values);
      const d = maxDiff(ours, torch[i].values);
      report.push(`${c.name}: max |Δ| ${d.toExponential(2)} (largest value ${scale.toExponential(2)})`);
      expect(ours.length, c.name).toBe(torch[i].values.length);
      expect(scale, c.name).toBeGreaterThan(0);
      expect(d, c.name).toBeLessThanOrEqual(1e-5 * scale + 1e-7);
      if (e.method === 'saliency' && e.kind === 'features') {
        // The map itself: gradient × input in the dataset's units, from PyTorch's gradient.
        const theirs = gradientTimesInput(Float32Array.from(torch[i].values), c.x, c.options.normalization);
        expect(maxDiff(e.values, theirs), c.name).toBeLessThanOrEqual(1e-5 * maxAbs(theirs) + 1e-7);
      }
      if (c.options.samples === 1 || e.method !== 'saliency' || e.kind !== 'features') expect(Math.abs(e.score - torch[i].score), c.name).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(e.score)));
    });
    console.log(`CPU vs PyTorch autograd:\n  ${report.join('\n  ')}`);
  }, 120_000);

  it('takes the largest score by default, and the noise is seeded: the same input gives the same map', async () => {
    const a = await explain(mlp, digit(4), { method: 'saliency', samples: 3 });
    const b = await explain(mlp, digit(4), { method: 'saliency', samples: 3 });
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    const scores = await Promise.all(Array.from({ length: 10 }, (_, t) => explain(mlp, digit(4), { method: 'saliency', samples: 1, target: t })));
    expect(a.score).toBe(Math.max(...scores.map((s) => s.score)));
    expect(smoothingInputs(digit(4), { samples: 3 })).toHaveLength(3);
  });

  it('refuses with a code: no conv layer for Grad-CAM, a layer that is not one, a score that does not exist, an input no gradient reaches', async () => {
    await expect(explain(mlp, digit(1), { method: 'gradcam' })).rejects.toMatchObject({ code: 'E_EXPLAIN_NO_CONV' });
    await expect(explain(text, chars, { method: 'gradcam' })).rejects.toMatchObject({ code: 'E_EXPLAIN_NO_CONV' });
    await expect(explain(cnn, digit(1), { method: 'gradcam', layer: 'bn1' })).rejects.toMatchObject({ code: 'E_EXPLAIN_LAYER', message: expect.stringContaining('"conv1", "conv2"') });
    await expect(explain(cnn, digit(1), { method: 'saliency', target: 10 })).rejects.toMatchObject({ code: 'E_EXPLAIN_TARGET' });
    // Ids read as a one-hot row: explained per position (gradient × one-hot).
    const ids = (body: GraphIR['nodes']): GraphIR => ({
      format: 'netwright.graph',
      version: 3,
      nodes: [{ id: 'k', op: 'Input', attrs: { shape: [1], source: 'features' }, inputs: [] }, { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] }, ...body],
      outputs: { logits: 'fc', loss: 'loss' },
    });
    const hot = initialModel(ids([
      { id: 'hot', op: 'OneHot', attrs: { numClasses: 4 }, inputs: ['k'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['hot'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'y'] },
    ]));
    await expect(explain(hot, Float32Array.of(2), { method: 'saliency' })).resolves.toMatchObject({ kind: 'tokens', node: 'hot' });
    // A prediction drawn from noise (the input only gives it its batch size): nothing flows back.
    const apart = initialModel(ids([
      { id: 'z', op: 'Noise', attrs: { shape: [4] }, inputs: ['k'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['z'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'y'] },
    ]));
    await expect(explain(apart, Float32Array.of(2), { method: 'saliency' })).rejects.toMatchObject({ code: 'E_EXPLAIN_NOT_DIFFERENTIABLE' });
  });
});
