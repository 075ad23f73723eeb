/**
 * Where a GPU training step's host time goes (issue #61): the CPU time of each call the step makes
 * into WebGPU, on whatever adapter Dawn finds (SwiftShader here: its GPU work is CPU work too, so
 * only the calls' own time is read, never the step's wall time).
 *
 *   npx tsx bench/gpu-host.ts [workload, default resnet18; none: the uploads only]
 *   (BATCH=2 STEPS=5 DAWN_BACKEND=null)
 *
 * The step is the training loop's (`GpuTrainablePlan.trainStep`): the inputs' upload, the forward
 * and backward submitted, the update's pass encoded meanwhile, the loss read back, then the
 * optimizer's update (its uniforms written) in a second submission; with the forward submitted on
 * its own and with one submit, alternately. The dispatch count does not depend on the batch, so a
 * small BATCH gives the encoding's cost at any batch. `DAWN_BACKEND=null` runs it on Dawn's null
 * backend: every call through the binding and Dawn's validation as on Vulkan, no shader compiled
 * or run (a resnet18 on SwiftShader spends minutes compiling, and its losses mean nothing there
 * anyway). Then uploads from 16 KiB to one batch of 16 images at 3×224×224, both ways (staging
 * buffer, writeBuffer), as each step does.
 */
import type { GraphIR } from '../src-engine/base/ir/types';
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { buildGpuGraph } from '../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../src-engine/core/gpu/optim';
import { StagedInputs } from '../src-engine/core/gpu/staged-inputs';
import { defaultTraining } from '../src-engine/core/train/defaults';
import type { GpuContext } from '../src-engine/core/gpu/context';
import { acquireNodeGpu } from '../src-engine/node/gpu/device';
import { resolveWorkload } from './workloads';

/**
 * This process's CPU time in ms (user + system, all its threads: on the null backend almost all
 * of it the main thread's). The figures below are CPU time, not wall time: on a shared machine
 * the wall time of a call also holds the time other processes had the core.
 */
function now(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU milliseconds spent in each timed call, summed per name, and how many calls. */
let spent = new Map<string, { ms: number; calls: number }>();
function add(name: string, ms: number): void {
  const s = spent.get(name) ?? { ms: 0, calls: 0 };
  s.ms += ms;
  s.calls++;
  spent.set(name, s);
}

/** Time `device`'s encoders (creation to `finish`, per label), its submits and its queue writes. */
function instrument(device: GPUDevice): void {
  const create = device.createCommandEncoder.bind(device);
  device.createCommandEncoder = (d?: GPUCommandEncoderDescriptor) => {
    const t0 = now();
    const enc = create(d);
    const finish = enc.finish.bind(enc);
    enc.finish = (fd?: GPUCommandBufferDescriptor) => {
      const b = finish(fd);
      add(`encode ${d?.label ?? '(unlabelled)'}`, now() - t0);
      return b;
    };
    return enc;
  };
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (b: Iterable<GPUCommandBuffer>) => {
    const t0 = now();
    submit(b);
    add('queue.submit', now() - t0);
  };
  const write = queue.writeBuffer.bind(queue) as (...a: unknown[]) => void;
  queue.writeBuffer = ((...a: unknown[]) => {
    const t0 = now();
    write(...a);
    add('queue.writeBuffer', now() - t0);
  }) as GPUQueue['writeBuffer'];
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** One workload's step, call by call (see the file comment); `split`: the forward submitted on its own. */
async function stepBreakdown(ctx: GpuContext, name: string, batch: number, steps: number): Promise<void> {
  const w = resolveWorkload(name);
  if (typeof w === 'string') throw new Error(w);
  const training = w.graph.training ?? defaultTraining(w.graph);
  const graph: GraphIR = { ...w.graph, training: { ...training, batchSize: batch, optimizer: { kind: 'adam', lr: w.lr }, gradClip: undefined, groups: undefined } };
  const c0 = now();
  const gpu = buildGpuGraph(checkedOrThrow(graph), { gpu: ctx, batchSize: batch, seed: 0 });
  const trained = gpu.params.filter((p) => !p.host.frozen);
  const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: w.lr }, trained);
  const x = w.features.subarray(0, batch * (w.features.length / w.samples));
  const y = w.targets.subarray(0, batch * (w.targets.length / w.samples));
  const step = async (): Promise<Record<string, number>> => {
    const t0 = now();
    gpu.setInput(w.featureInput, x);
    gpu.setInput(w.targetInput, y);
    const t1 = now();
    const forward = gpu.trainStep();
    const t2 = now();
    gpu.encodeUpdate(opt); // as the loop's step (GpuTrainablePlan.trainStep) does
    const e2 = now();
    await forward;
    const t3 = now();
    const update = gpu.update(opt, w.lr);
    const t4 = now();
    await update;
    const p0 = now();
    opt.prepareStep(w.lr); // timed alone: its uniform writes (it counts a step more: no matter here)
    return { upload: t1 - t0, 'trainStep (sync part)': t2 - t1, 'encodeUpdate (while the GPU runs the step)': e2 - t2, 'trainStep, its readback awaited': t3 - t1, 'update (sync part)': t4 - t3, 'prepareStep alone': now() - p0 };
  };
  await step(); // compiles every pipeline
  console.log(`${name} at batch ${batch}: ${gpu.dispatchCount} dispatches (+ ${trained.length} optimizer's), compiled and first step in ${((now() - c0) / 1000).toFixed(1)} s of CPU, on ${ctx.adapter.description || ctx.adapter.device || ctx.adapter.architecture}`);
  // Both ways, step by step alternately (so that warming up and the machine's load weigh on both alike).
  const ways = [true, false].map((split) => ({ split, rows: [] as Record<string, number>[], spent: new Map<string, { ms: number; calls: number }>() }));
  for (let s = 0; s < 2 * steps; s++) {
    const way = ways[s % 2];
    ctx.splitSubmits = way.split;
    spent = way.spent;
    way.rows.push(await step());
  }
  for (const { split, rows, spent: calls } of ways) {
    console.log(` forward submitted ${split ? 'on its own' : 'with the backward'} (CPU ms, median of ${steps} steps / calls summed a step):`);
    for (const k of Object.keys(rows[0])) console.log(`  ${k}: ${median(rows.map((r) => r[k])).toFixed(3)} ms`);
    for (const [k, v] of calls) console.log(`  ${k}: ${(v.ms / steps).toFixed(3)} ms (${v.calls / steps} calls)`);
  }
  spent = new Map();
}

const name = process.argv[2] ?? 'resnet18'; // 'none': the uploads only
const { ctx } = await acquireNodeGpu({ allowFallback: true, dawnOptions: process.env.DAWN_BACKEND ? [`backend=${process.env.DAWN_BACKEND}`] : [] });
instrument(ctx.device);
if (name !== 'none') await stepBreakdown(ctx, name, Number(process.env.BATCH ?? 2), Number(process.env.STEPS ?? 5));

// Uploads both ways, from 16 KiB to one real-size batch (16 × 3×224×224, 9.6 MB): the CPU time of
// the write and of its copy's encoding and remap (the submit, common to both, not counted).
for (const n of [4096, 16384, 65536, 262144, 16 * 3 * 224 * 224]) {
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const t = ctx.createTensor(n);
  const line: string[] = [];
  for (const mapped of [true, false]) {
    ctx.mappedWrites = mapped;
    const staged = new StagedInputs(ctx, 0);
    const times: number[] = [];
    for (let r = 0; r < 12; r++) {
      const enc = ctx.device.createCommandEncoder({ label: 'upload' });
      const t0 = now();
      staged.write(t, data);
      staged.encode(enc);
      const b = enc.finish();
      times.push(now() - t0);
      ctx.device.queue.submit([b]);
      const t1 = now();
      staged.submitted();
      times[times.length - 1] += now() - t1;
      await ctx.device.queue.onSubmittedWorkDone();
    }
    const got = await ctx.read(t);
    if (!process.env.DAWN_BACKEND && got[n - 1] !== data[n - 1]) throw new Error('the upload did not arrive');
    line.push(`${mapped ? 'staged' : 'writeBuffer'} ${median(times.slice(2)).toFixed(3)} ms ${JSON.stringify(staged.counts)}`);
  }
  console.log(`upload ${((n * 4) / 1024).toFixed(0)} KiB: ${line.join(', ')} (CPU time, median of 10)`);
}
ctx.dispose();
process.exit(0);
