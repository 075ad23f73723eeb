/**
 * `npx tsx bench/conv-gpu.ts`: the MNIST CNN template's convolutions on the WebGPU adapter Dawn
 * finds, batch 64 — each Conv2d dispatch (forward, dx, dW, db) timed alone, then whole training
 * steps (Adam) of the template on real MNIST batches. On a fallback adapter (SwiftShader) these
 * are a CPU emulation's figures, labelled as such: they say nothing about a GPU.
 *
 * Options (env): STEPS (timed training steps, default 2, after one warm-up), REPS (repetitions
 * of each dispatch, default 3; the best is kept). `VK_ICD_FILENAMES` names the Vulkan driver.
 */
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { adapterName, type GpuContext, type GpuTensor } from '../src-engine/core/gpu/context';
import type { GpuDispatch } from '../src-engine/core/gpu/gemm';
import { conv2dKernel } from '../src-engine/core/gpu/kernels/conv';
import { buildGpuTrainable } from '../src-engine/core/gpu/trainable';
import { planStep } from '../src-engine/core/train/step';
import { Rng } from '../src-engine/base/rng';
import { loadDataset } from '../src-engine/node/datasets';
import { acquireNodeGpu } from '../src-engine/node/gpu/device';
import { timeDispatches } from './gpu';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 64;
const STEPS = Number(process.env.STEPS ?? 2);
const REPS = Number(process.env.REPS ?? 3);
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** The template's two convolutions at batch 64: [input shape, attrs]. */
const CONVS: [string, number[], Record<string, unknown>][] = [
  ['conv1 1→32, 28×28, k3 p1', [BATCH, 1, 28, 28], { outChannels: 32, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true }],
  ['conv2 32→64, 14×14, k3 p1', [BATCH, 32, 14, 14], { outChannels: 64, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true }],
];

const time = (ctx: GpuContext, d: readonly GpuDispatch[]): Promise<number> => timeDispatches(ctx, d, REPS);

function filled(ctx: GpuContext, n: number, rng: Rng): GpuTensor {
  const t = ctx.createTensor(n);
  ctx.write(t, Float32Array.from({ length: n }, () => rng.normal()));
  return t;
}

const { ctx } = await acquireNodeGpu({ allowFallback: true });
console.log(`adapter: ${adapterName(ctx.adapter)}${ctx.adapter.isFallback ? ' — a software adapter (CPU emulation): not a GPU figure' : ''}`);
const rng = new Rng(1);
for (const [name, input, attrs] of CONVS) {
  const [n, c, h, w] = input;
  const oc = attrs.outChannels as number;
  const t0 = performance.now();
  const x = filled(ctx, n * c * h * w, rng);
  const y = ctx.createTensor(n * oc * h * w);
  const dy = filled(ctx, n * oc * h * w, rng);
  const dx = ctx.createTensor(n * c * h * w);
  const weight = filled(ctx, oc * c * 9, rng);
  const bias = filled(ctx, oc, rng);
  const dW = ctx.createTensor(oc * c * 9);
  const db = ctx.createTensor(oc);
  const d = conv2dKernel.prepare({
    ctx, nodeId: name, attrs: attrs as never, inputShapes: [input], outputShape: [n, oc, h, w], inputs: [x], output: y,
    params: { weight, bias }, dParams: { weight: dW, bias: db }, buffers: {}, dOutput: dy, dInputs: [dx],
    workspace: (label, length) => ctx.createTensor(length, label), status: ctx.createTensor(2), rng: new Rng(0),
  });
  await ctx.device.queue.onSubmittedWorkDone();
  const compile = performance.now() - t0;
  const parts = [...d.forward.map((f) => ['forward', [f]] as const), ...d.backward.map((b) => [b.label, [b]] as const)];
  const times: string[] = [];
  for (const [label, ds] of parts) times.push(`${label} ${(await time(ctx, ds)).toFixed(0)} ms`);
  console.log(`${name}: ${times.join(', ')} (prepare incl. compiles ${compile.toFixed(0)} ms)`);
}

const graph = JSON.parse(readFileSync(join(ROOT, 'examples', 'mnist-cnn.json'), 'utf8')) as GraphIR;
const plan = buildGpuTrainable(checkedOrThrow(graph), { gpu: ctx, batchSize: BATCH, seed: 0 });
const ds = loadDataset({ name: 'mnist' }).train;
const xs = plan.input('image').data;
const ys = plan.input('label').data;
const steps: number[] = [];
for (let s = 0; s <= STEPS; s++) {
  xs.set(ds.features.subarray(s * xs.length, (s + 1) * xs.length));
  ys.set(ds.targets.subarray(s * ys.length, (s + 1) * ys.length));
  const t0 = performance.now();
  await planStep(plan, 1e-3);
  steps.push(performance.now() - t0);
}
console.log(`MNIST CNN training step, batch ${BATCH}: warm-up (compiles) ${(steps[0] / 1000).toFixed(1)} s, then ${steps.slice(1).map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')}`);
ctx.dispose();
