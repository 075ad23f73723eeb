/**
 * A look inside a prediction on the GPU plan, on SwiftShader: the saliency map (SmoothGrad over
 * noisy copies) and Grad-CAM of a small conv net come out as on the CPU plan (the CPU's own match
 * with PyTorch's autograd: test/unit/engine/explain). A gradient through a BatchNorm in eval mode
 * is refused (its GPU backward is the batch-statistics one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { cpuGradientPass, explainPrediction, type ExplainOptions } from '../../../src-engine/core/explain/explain';
import { gpuGradientPass } from '../../../src-engine/core/explain/gpu-pass';
import type { TrainedModel } from '../../../src-engine/core/export/model';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const graph = (extra: NodeIR[] = []): GraphIR => ({
  format: 'netwright.graph',
  version: 3,
  nodes: [
    { id: 'x', op: 'Input', attrs: { shape: [1, 8, 8], source: 'features' }, inputs: [] },
    { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'conv1', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['x'] },
    { id: 'act1', op: 'ReLU', attrs: {}, inputs: ['conv1'] },
    { id: 'conv2', op: 'Conv2d', attrs: { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['act1'] },
    ...extra,
    { id: 'act2', op: 'ReLU', attrs: {}, inputs: [extra.at(-1)?.id ?? 'conv2'] },
    { id: 'pool', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['act2'] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool'] },
    { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'y'] },
  ],
  outputs: { logits: 'fc', loss: 'loss' },
});

function weights(g: GraphIR): TrainedModel {
  const plan = compileGraph(checkedOrThrow(g), { backend: createReferenceBackend(), batchSize: 1, seed: 4 });
  const byKey = (entries: typeof plan.params | typeof plan.buffers) => Object.fromEntries(entries.map((e) => [`${e.nodeId}.${e.name}`, e.value.data.slice()]));
  return { graph: g, params: byKey(plan.params), buffers: byKey(plan.buffers) };
}

const rng = new Rng(9);
const x = Float32Array.from({ length: 64 }, () => rng.normal());
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('explaining a prediction on the GPU', () => {
  it('gives the CPU plan’s saliency map and Grad-CAM (max |Δ| within 1e-5 of the largest value)', async () => {
    const model = weights(graph());
    const report: string[] = [];
    for (const options of [{ method: 'saliency', samples: 4 }, { method: 'gradcam' }, { method: 'gradcam', layer: 'conv1', target: 2 }] as ExplainOptions[]) {
      const cpu = await explainPrediction(model, x, options, cpuGradientPass(model, createReferenceBackend()));
      const gpu = await explainPrediction(model, x, options, gpuGradientPass(model, ctx));
      expect(gpu.target).toBe(cpu.target);
      expect(Math.abs(gpu.score - cpu.score)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.score)));
      const d = maxDiff(gpu.values, cpu.values);
      report.push(`${options.method}${options.layer ? ` ${options.layer}` : ''}: max |Δ| ${d.toExponential(2)} (largest ${maxAbs(cpu.values).toExponential(2)})`);
      expect(maxAbs(cpu.values)).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(1e-5 * maxAbs(cpu.values));
    }
    console.log(`GPU vs CPU:\n  ${report.join('\n  ')}`);
  }, 60_000);

  it('refuses a gradient through a BatchNorm in eval mode, naming it', async () => {
    const model = weights(graph([{ id: 'bn', op: 'BatchNorm', attrs: {}, inputs: ['conv2'] }]));
    await expect(explainPrediction(model, x, { method: 'saliency', samples: 1 }, gpuGradientPass(model, ctx))).rejects.toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringContaining('"bn"') });
  }, 60_000);
});
