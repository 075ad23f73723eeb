/// <reference types="@webgpu/types" />
/**
 * The GPU executor as the training loop's plan: a `TrainableGraph` whose `device` runs each step
 * on the GPU, with the host mirror's tensors as its `input`/`output`/`params` (see
 * `TrainableGraph.device` in core/train/types.ts). The loop stays one: it writes batches, reads
 * predictions for metrics, and checkpoints the host params and optimizer as on the CPU; the
 * device meets them at `sync`/`load`.
 *
 * Optimizer groups (`training.groups`, a GAN's discriminator and generator steps) are resolved as
 * the loop resolves them (`resolveGroups`): each group gets its own GPU optimizer (and clipping)
 * over its parameters, and its step is `GpuGraph.trainStep` with the group's loss selection —
 * the host mirror's `selectLosses`, so the same backwards run as on the CPU.
 */
import { graphInputs } from '../../base/ir/inputs';
import type { CheckedGraph } from '../analysis/checked';
import { resolveGroups } from '../../base/ir/training';
import { statisticsFrozen } from '../../base/ir/freeze';
import { getOp } from '../ops/registry';
import type { GraphIR } from '../../base/ir/types';
import type { CompiledGraph } from '../autodiff/executor';
import type { TrainableGraph } from '../train/types';
import { bindGraph } from '../train/binding';
import { withGradClip } from './clip';
import { adapterName, GpuError, type GpuContext } from './context';
import { buildGpuGraph, gpuKernelGaps, type GpuGraph, type GpuLossSelection } from './executor';
import { createGpuOptimizer, gpuOptimizerGap, type GpuOptimizer } from './optim';
import { holdSamples } from './resident';
import type { InputWriteCounts } from './staged-inputs';

export interface GpuTrainableOptions {
  gpu: GpuContext;
  batchSize: number;
  seed: number;
}

/**
 * Compile `graph` (with its training section) for training on the GPU.
 *
 * @throws GpuError `E_GPU_NO_KERNEL` naming the ops the GPU cannot run yet; `E_GPU_BAD_ARGS`
 *   without a training section.
 */
export function compileGpuTrainable(graph: CheckedGraph, opts: GpuTrainableOptions): Promise<GpuTrainablePlan> {
  return opts.gpu.checked('Compiling the graph for the GPU', () => buildGpuTrainable(graph, opts));
}

/** Why `graph` cannot train on the GPU (ops without kernels, an optimizer without a GPU update), or [] when it can. */
export function gpuTrainingGaps(graph: GraphIR): string[] {
  const optimizers = graph.training ? [graph.training.optimizer, ...(graph.training.groups ?? []).map((g) => g.optimizer)] : [];
  const optimizerGaps = [...new Set(optimizers.map((o) => (o ? gpuOptimizerGap(o) : undefined)).filter((g): g is string => g !== undefined))];
  return [...gpuKernelGaps(graph), ...frozenStatisticsGaps(graph), ...optimizerGaps];
}

/**
 * Frozen nodes with running statistics (BatchNorm) that a gradient flows through: a trained
 * layer lies before them. Their GPU backward is the batch-statistics one (buildGpuGraph refuses
 * them), so Auto trains such a model on the CPU. A frozen backbone at the start is fine, and so
 * is one in training mode (`training.frozenBatchNorm: 'train'`).
 */
function frozenStatisticsGaps(graph: GraphIR): string[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const trainedBefore = new Map<string, boolean>();
  const trained = (id: string): boolean => {
    const known = trainedBefore.get(id);
    if (known !== undefined) return known;
    trainedBefore.set(id, false); // a cycle (never in a checked graph) ends here
    const n = byId.get(id);
    const r = n !== undefined && n.inputs.some((i) => (byId.get(i)?.frozen !== true && getOp(byId.get(i)?.op ?? '')?.params !== undefined) || trained(i));
    trainedBefore.set(id, r);
    return r;
  };
  return graph.nodes.filter((n) => statisticsFrozen(n, graph.training) && getOp(n.op)?.buffers !== undefined && trained(n.id)).map((n) => `a frozen ${n.op} after trained layers (${n.id})`);
}

/** As {@link compileGpuTrainable}, synchronously (the training loop's `compile`). */
export function buildGpuTrainable(checked: CheckedGraph, opts: GpuTrainableOptions): GpuTrainablePlan {
  const graph = checked.ir;
  const t = graph.training;
  if (!t) throw new GpuError('E_GPU_BAD_ARGS', 'The graph has no training settings.');
  // Read back with each step's loss: the prediction the loop's binding reads (its metrics).
  const gpu = buildGpuGraph(checked, { ...opts, readback: [bindGraph(checked).predictionNode] });
  const grouped = (t.groups?.length ?? 0) > 0;
  const groups: DeviceGroup[] = resolveGroups(graph, t).map((spec) => {
    const params = spec.nodes === null ? gpu.params : gpu.params.filter((p) => spec.nodes!.has(p.nodeId));
    return {
      loss: spec.loss,
      params,
      selected: grouped,
      optimizer: withGradClip(opts.gpu, spec.gradClip, params, createGpuOptimizer(opts.gpu, spec.optimizer, params)),
    };
  });
  // What an evaluation sums with groups: each group's losses once, as the loop reports them.
  const reported = grouped ? [...new Set(groups.flatMap((g) => g.loss))] : null;
  const inputs = graphInputs(graph).map((n) => n.id);
  return wrap(gpu, { ctx: opts.gpu, groups, reported, inputs, name: adapterName(opts.gpu.adapter), plans: new Map(), gpus: new Map() });
}

/** One optimizer group on the device (the implicit one without `training.groups`). */
interface DeviceGroup {
  loss: readonly string[];
  params: GpuGraph['params'];
  /** Whether its step runs with a loss selection (with `training.groups`; else the plain full step). */
  selected: boolean;
  optimizer: GpuOptimizer;
}

/** What every batch size's plan shares. */
interface Shared {
  ctx: GpuContext;
  groups: readonly DeviceGroup[];
  /** The losses an evaluation sums with groups, or null (every loss). */
  reported: readonly string[] | null;
  inputs: readonly string[];
  name: string;
  plans: Map<number, GpuTrainablePlan>;
  /** The GPU plan behind each of `plans` (what a resident split's gather writes into). */
  gpus: Map<GpuTrainablePlan, GpuGraph>;
}

function deviceOnly(what: string): never {
  throw new GpuError('E_GPU_BAD_ARGS', `${what} on a GPU plan: its steps run through plan.device (the training loop does this).`);
}

/**
 * A GPU plan, shaped as the CPU executor's `CompiledGraph` so that the session's code reads it as
 * usual: `order`, `lossNodes`, and `grad`/`output` of the host mirror. Each step reads back only
 * the loss and the prediction; a probed step (`beforeUpdate` answered a capture) also the figures
 * of its weights, their gradients and the asked-for node gradients, reduced on the device (into
 * `capture.figures`), and a probe forward (`device.forward(false, read)`) the asked-for
 * activations, into the host mirror.
 */
export type GpuTrainablePlan = CompiledGraph &
  Required<Pick<TrainableGraph, 'device'>> & {
    /** How this plan's input uploads went so far (`GpuGraph.inputWrites`: the tests, the bench). */
    readonly inputWrites: InputWriteCounts;
  };

function wrap(gpu: GpuGraph, shared: Shared): GpuTrainablePlan {
  const host = gpu.host;
  const { groups, reported, inputs, name, plans } = shared;
  // A training step leaves the inputs a resident split feeds (`holdSamples`) to its gather, and
  // uploads a view lent for this batch (`lendInput`) instead of the host's values (which the
  // loop did not write); the batch stays on the device for the next groups' steps, until the
  // next batch's `lendInput`. An evaluation forward uploads them all from the host, as the loop wrote them.
  const lent = new Map<string, Float32Array>();
  const onDevice = new Set<string>();
  const upload = (training: boolean) => {
    for (const id of inputs) {
      if (training && gpu.feeds(id)) continue;
      const view = training ? lent.get(id) : undefined;
      if (view) {
        gpu.setInput(id, view);
        lent.delete(id);
        onDevice.add(id);
      } else if (!(training && onDevice.has(id))) {
        onDevice.delete(id);
        gpu.setInput(id, host.input(id).data);
      }
    }
  };
  // This plan's selections, made on first use (each plan has its own host mirror and dispatches).
  const selections: (GpuLossSelection | undefined)[] = [];
  const selectionOf = (i: number): GpuLossSelection | undefined => {
    const g = groups[i];
    if (!g.selected) return undefined;
    return (selections[i] ??= gpu.selectLosses(
      g.loss,
      g.params.map((p) => p.host),
    ));
  };
  let evalSelection: GpuLossSelection | undefined;
  const plan: GpuTrainablePlan = {
    batchSize: gpu.batchSize,
    order: host.order,
    lossNodes: host.lossNodes,
    rng: host.rng,
    input: (id) => host.input(id),
    output: (id) => host.output(id),
    keepsOutput: (id) => host.keepsOutput(id),
    grad: (id) => host.grad(id),
    needsGradient: (id) => host.needsGradient(id),
    // The host mirror's: what its own forwards (below) leave there, not the device's steps.
    workspace: (id) => host.workspace(id),
    // Off the training path (the Playground's predictions): the host mirror on the CPU, with the
    // weights of the last sync (each checkpoint, and the end of the run).
    forward: (training, sel) => host.forward(training, sel),
    backward: () => deviceOnly('backward()'),
    // For `forward` above; a group's training step selects its losses itself (`trainStep`).
    selectLosses: (ids, trainable, reads) => host.selectLosses(ids, trainable, reads),
    params: host.params,
    buffers: host.buffers,
    get inputWrites() {
      return gpu.inputWrites;
    },
    withBatchSize(n) {
      let p = plans.get(n);
      if (!p) plans.set(n, (p = wrap(gpu.withBatchSize(n), shared)));
      return p;
    },
    // The loop's one step body: forward and backward in one submission, the phases once the loss
    // is back, then the device group's own update (clipping included) with the capture asked for.
    async trainStep(group, lr, phases) {
      const g = groups[group.index];
      if (!g) throw new GpuError('E_GPU_BAD_ARGS', `There is no optimizer group ${group.index} (the graph has ${groups.length}).`);
      upload(true);
      const step = gpu.trainStep(undefined, undefined, undefined, selectionOf(group.index));
      // Submitted: the update's pass is encoded while the GPU runs the step.
      gpu.encodeUpdate(g.optimizer);
      const loss = await step;
      if (phases.afterForward(loss) !== 'ok' || phases.afterBackward() !== 'ok') return loss;
      await gpu.update(g.optimizer, lr, phases.beforeUpdate());
      return loss;
    },
    device: {
      name,
      forward(training, read, reduce) {
        upload(false);
        if (reported) evalSelection ??= gpu.selectLosses(reported);
        return gpu.forward(training, read, evalSelection, reduce);
      },
      async sync(into) {
        await gpu.syncToHost();
        for (const [i, g] of groups.entries()) into[i].loadState(await g.optimizer.state());
      },
      load(from) {
        gpu.upload();
        groups.forEach((g, i) => g.optimizer.loadState(from[i].state()));
      },
      lendInput(id) {
        onDevice.delete(id);
        const view = lent.get(id) ?? gpu.lendInput(id, host.input(id).data.length);
        if (view) lent.set(id, view);
        return view;
      },
      async holdSamples(rows, budget) {
        const held = await holdSamples(shared.ctx, rows, budget);
        if ('state' in held) return held;
        return {
          bytes: held.bytes,
          feed(p, order, start, count) {
            const target = shared.gpus.get(p as GpuTrainablePlan);
            if (!target) throw new GpuError('E_GPU_BAD_ARGS', 'Resident samples fed to a plan of another graph or device.');
            held.feed(target, order, start, count);
          },
          close: () => held.dispose(),
        };
      },
      async readWorkspace(nodeId, ranges) {
        const into = host.workspace(nodeId);
        for (const [name, rs] of Object.entries(ranges)) {
          const t = into[name];
          const v = t ? await gpu.readWorkspace(nodeId, name, rs) : null;
          if (!v) continue;
          let at = 0;
          for (const [start, len] of rs) {
            t.data.set(v.subarray(at, at + len), start);
            at += len;
          }
        }
      },
    },
  };
  plans.set(gpu.batchSize, plan);
  shared.gpus.set(plan, gpu);
  return plan;
}
