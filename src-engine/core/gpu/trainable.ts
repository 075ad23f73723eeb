/// <reference types="@webgpu/types" />
/**
 * The GPU executor as the training loop's plan: a `TrainableGraph` whose `device` runs each step
 * on the GPU, with the host mirror's tensors as its `input`/`output`/`params` (see
 * `TrainableGraph.device` in core/train/types.ts). The loop stays one: it writes batches, reads
 * predictions for metrics, and checkpoints the host params and optimizer as on the CPU; the
 * device meets them at `sync`/`load`.
 */
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../ops/registry';
import type { CompiledGraph } from '../autodiff/executor';
import type { TrainableGraph } from '../train/types';
import { withGradClip } from './clip';
import { adapterName, GpuError, type GpuContext } from './context';
import { buildGpuGraph, gpuKernelGaps, type GpuGraph } from './executor';
import { createGpuOptimizer, type GpuOptimizer } from './optim';

export interface GpuTrainableOptions {
  gpu: GpuContext;
  batchSize: number;
  seed: number;
}

/**
 * Compile `graph` (with its training section) for training on the GPU.
 *
 * @throws GpuError `E_GPU_NO_KERNEL` for what the GPU cannot run yet, named: ops without kernels,
 *   optimizer groups, gradient clipping, RMSprop; `E_GPU_BAD_ARGS` without a training section.
 */
export function compileGpuTrainable(graph: GraphIR, opts: GpuTrainableOptions): Promise<GpuTrainablePlan> {
  return opts.gpu.checked('Compiling the graph for the GPU', () => buildGpuTrainable(graph, opts));
}

/** Why `graph` cannot train on the GPU (ops without kernels, optimizer groups), or [] when it can. */
export function gpuTrainingGaps(graph: GraphIR): string[] {
  const t = graph.training;
  const gaps = gpuKernelGaps(graph);
  if (t?.groups?.length) gaps.push('optimizer groups (several optimizers, as in a GAN)');
  return gaps;
}

/** As {@link compileGpuTrainable}, synchronously (the training loop's `compile`). */
export function buildGpuTrainable(graph: GraphIR, opts: GpuTrainableOptions): GpuTrainablePlan {
  const t = graph.training;
  if (!t) throw new GpuError('E_GPU_BAD_ARGS', 'The graph has no training settings.');
  if (t.groups?.length) throw new GpuError('E_GPU_NO_KERNEL', 'Optimizer groups (several optimizers, as in a GAN) do not run on the GPU yet; train this model on the CPU.');
  const losses = new Set(graph.nodes.filter((n) => getOp(n.op)?.isLoss).map((n) => n.id));
  // Whatever the loop's binding may take as the prediction (binding.ts: predictionOutput, the
  // output named logits, or a loss's first input): read back with each step's loss.
  const readback = new Set<string>(Object.values(graph.outputs));
  if (t.predictionOutput) readback.add(t.predictionOutput);
  for (const n of graph.nodes) if (losses.has(n.id) && n.inputs[0]) readback.add(n.inputs[0]);
  for (const id of losses) readback.delete(id);
  const gpu = buildGpuGraph(graph, { ...opts, readback: [...readback].filter((id) => graph.nodes.some((n) => n.id === id)) });
  const optimizer = withGradClip(opts.gpu, t.gradClip, gpu.params, createGpuOptimizer(opts.gpu, t.optimizer, gpu.params));
  const inputs = graph.nodes.filter((n) => n.op === 'Input').map((n) => n.id);
  return wrap(gpu, optimizer, inputs, adapterName(opts.gpu.adapter), new Map());
}

function deviceOnly(what: string): never {
  throw new GpuError('E_GPU_BAD_ARGS', `${what} on a GPU plan: its steps run through plan.device (the training loop does this).`);
}

/**
 * A GPU plan, shaped as the CPU executor's `CompiledGraph` so that the session's code reads it as
 * usual: `order`, `lossNodes`, and `grad`/`output` of the host mirror. Each step reads back only
 * the loss and the prediction; a probed step (`device.trainStep(lr, capture)`) also the weights,
 * their gradients and the asked-for node gradients, and a probe forward (`device.forward(false,
 * read)`) the asked-for activations, into the host mirror.
 */
export type GpuTrainablePlan = CompiledGraph & Required<Pick<TrainableGraph, 'device'>>;

function wrap(gpu: GpuGraph, optimizer: GpuOptimizer, inputs: readonly string[], name: string, plans: Map<number, GpuTrainablePlan>): GpuTrainablePlan {
  const host = gpu.host;
  const upload = () => {
    for (const id of inputs) gpu.setInput(id, host.input(id).data);
  };
  const plan: GpuTrainablePlan = {
    batchSize: gpu.batchSize,
    order: host.order,
    lossNodes: host.lossNodes,
    rng: host.rng,
    input: (id) => host.input(id),
    output: (id) => host.output(id),
    grad: (id) => host.grad(id),
    // Off the training path (the Playground's predictions): the host mirror on the CPU, with the
    // weights of the last sync (each checkpoint, and the end of the run).
    forward: (training, sel) => host.forward(training, sel),
    backward: () => deviceOnly('backward()'),
    selectLosses: () => deviceOnly('selectLosses()'),
    params: host.params,
    buffers: host.buffers,
    withBatchSize(n) {
      let p = plans.get(n);
      if (!p) plans.set(n, (p = wrap(gpu.withBatchSize(n), optimizer, inputs, name, plans)));
      return p;
    },
    device: {
      name,
      trainStep(lr, capture) {
        upload();
        return gpu.trainStep(optimizer, lr, capture);
      },
      forward(training, read) {
        upload();
        return gpu.forward(training, read);
      },
      async sync(into) {
        await gpu.syncToHost();
        into.loadState(await optimizer.state());
      },
      load(from) {
        gpu.upload();
        optimizer.loadState(from.state());
      },
    },
  };
  plans.set(gpu.batchSize, plan);
  return plan;
}
