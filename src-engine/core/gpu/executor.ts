/// <reference types="@webgpu/types" />
/**
 * The GPU executor: a graph compiled for one batch size whose whole training step — forward,
 * backward and the optimizer's update — is recorded into one command buffer and submitted at
 * once; only the loss (and a status word) comes back, asynchronously.
 *
 * It is built on the CPU executor rather than beside it: `compileGraph` with the reference
 * backend makes the *host mirror* (`host`), which validates the graph, orders it, initialises the
 * parameters exactly as a CPU run would (same seed, same weights), and decides which nodes need a
 * gradient (`needsGradient`); its activations are allocated only when read (`onDemand`). This
 * file uploads those weights and asks the GPU kernel table (`kernels/registry.ts`) for each node's
 * dispatches. The mirror is where snapshots land (`syncToHost`), so a checkpoint,
 * a probe frame or a CPU resume after a lost device read the same `CompiledGraph` as on the CPU.
 *
 * Every device tensor is allocated here, once; a step allocates only a readback buffer when all
 * of the pool's are still in flight.
 */
import { graphInputs } from '../../base/ir/inputs';
import { statisticsFrozen } from '../../base/ir/freeze';
import type { GraphIR } from '../../base/ir/types';
import { sizeOf } from '../../base/tensor';
import type { CheckedGraph } from '../analysis/checked';
import { compileGraph, selectionBackward, type BufferEntry, type CompiledGraph, type LossSelection, type ParamEntry } from '../autodiff/executor';
import { createReferenceBackend } from '../backend/reference';
import { LABEL_RANGE } from '../ops/loss-util';
import { idRangeError } from '../ops/id-range';
import { GpuError, type GpuContext, type GpuTensor } from './context';

import { gpuKernel } from './kernels/registry';
import type { GpuOptimParam, GpuOptimizer } from './optim';
import type { DeviceCapture, ForwardReduce, TensorFigures } from '../train/types';
import { encodeComputePass, type GpuDispatch } from './passes';
import { prepareReductions, type PreparedReductions } from './reduce';
import { StagedInputs, type InputWriteCounts } from './staged-inputs';

export interface GpuCompileOptions {
  batchSize: number;
  gpu: GpuContext;
  /** Seeds parameter initialisation, as `CompileOptions.seed`. */
  seed: number;
  /**
   * Nodes whose outputs every step and forward also read back into the host mirror's
   * `output(id)`, in the same readback as the loss (the prediction the metrics need).
   */
  readback?: readonly string[];
  /** As `CompileOptions.seeds`: the nodes `gradients()` seeds in place of the losses. */
  seeds?: readonly string[];
  /** As `CompileOptions.gradientRoots`: nodes that get a gradient as if they had weights. */
  gradientRoots?: readonly string[];
}

/** What {@link GpuGraph.selectLosses} returns: opaque, valid for the plan that made it. */
export interface GpuLossSelection {
  readonly lossNodes: readonly string[];
  /** The host mirror's selection (its `forward`/`backward` take it). */
  readonly host: LossSelection;
}

/** A parameter on the device, with its host mirror entry. */
export interface GpuParamEntry extends GpuOptimParam {
  readonly host: ParamEntry;
}

/** A buffer (persistent state that is not trained: BatchNorm's running statistics) on the device. */
export interface GpuBufferEntry {
  readonly nodeId: string;
  readonly name: string;
  readonly value: GpuTensor;
  readonly host: BufferEntry;
}

/** A graph compiled for the GPU (see the file comment). */
export interface GpuGraph {
  readonly batchSize: number;
  readonly order: readonly string[];
  readonly lossNodes: readonly string[];
  /** The CPU mirror: same parameters (as of the last {@link syncToHost}), shapes and order. */
  readonly host: CompiledGraph;
  readonly params: readonly GpuParamEntry[];
  readonly buffers: readonly GpuBufferEntry[];
  /** Dispatches one training step records (forward + backward, without the optimizer's). */
  readonly dispatchCount: number;
  /**
   * Queue an upload of one batch into Input `name` (before the step that reads it): a large one
   * through a mapped staging buffer where the device allows it (core/gpu/staged-inputs.ts).
   */
  setInput(name: string, data: Float32Array): void;
  /**
   * A writable view over a mapped staging buffer for Input `name`'s first `elements` values (all
   * of them by default), or null (`StagedInputs.lend`): filled by the caller, then passed to
   * {@link setInput}, which uploads it with no host copy.
   */
  lendInput(name: string, elements?: number): Float32Array | null;
  /** How the inputs' uploads went so far: through staging buffers or `queue.writeBuffer`. */
  readonly inputWrites: InputWriteCounts;
  /** The device tensor of Input `name` (what a gather of resident samples writes: core/gpu/resident.ts). */
  inputTensor(name: string): GpuTensor;
  /**
   * Fill Input `name` on the device instead of uploading it: `dispatch` (which writes its whole
   * tensor) is recorded at the start of the next step's or forward's command buffer, after the
   * staged copies. The input stays fed ({@link feeds}) until the next {@link setInput} of it; the
   * later of the two wins.
   */
  feedInput(name: string, dispatch: GpuDispatch): void;
  /** Whether Input `name` was last filled by {@link feedInput}, not {@link setInput}. */
  feeds(name: string): boolean;
  /**
   * Run the forward pass only, in eval mode (BatchNorm with its running statistics) unless
   * `training` (batch statistics, running statistics updated, as the CPU's `forward(true)`);
   * resolves with the summed loss (of `sel`'s losses when given; NaN without a loss); every
   * loss's value also lands in the host mirror's `output(id)`. `read`: nodes whose outputs to
   * read back into the host mirror's `output(id)` too (a probe's samples), copied after the
   * forward and mapped beside the loss. `reduce`: node outputs reduced on the device after the
   * forward (core/gpu/reduce.ts: the probe batch's activations), their figures read back into
   * `reduce.figures`.
   *
   * @throws Error `E_NO_SUCH_NODE` for a node of `read` or `reduce` the graph does not have.
   */
  forward(training?: boolean, read?: readonly string[], sel?: GpuLossSelection, reduce?: ForwardReduce): Promise<number>;
  /**
   * One training step in one command buffer: forward, gradients zeroed and seeded, backward, and
   * `optimizer`'s update when given. Resolves with the summed loss of this step's forward.
   * With `capture` (a probed step; see {@link DeviceCapture}) the parameters are also copied
   * aside on the device at the start of that command buffer (`capture.before`: before anything
   * writes them), and a second submission right after it reduces the updated parameters (with
   * their differences from that copy), their gradients and the asked-for node gradients
   * (core/gpu/reduce.ts) and reads back only those figures, into `capture.figures`, before the
   * promise resolves; the host mirror is not touched. Without `capture` the step reads back only
   * its loss, status and prediction.
   * With a selection `sel` (one optimizer group's step, as the CPU's `forward(true, sel)` +
   * `backward(sel)`): only its losses are summed and seeded, and only the backwards of the nodes
   * between its parameters and its losses run — the CPU executor's own choice
   * ({@link selectionBackward}); the gradients of the parameters it does not update keep their
   * values, as on the CPU.
   *
   * @throws Error `E_LABEL_RANGE` when a class label was out of range (that sample was skipped).
   */
  trainStep(optimizer?: GpuOptimizer, lr?: number, capture?: DeviceCapture, sel?: GpuLossSelection): Promise<number>;
  /**
   * The forward pass in eval mode, then the gradients of the seeded nodes (`seeds`, else the
   * losses) down to every node that needs one, with no update: a saliency's pass (core/explain).
   * Resolves with the seeds' summed value.
   *
   * @throws GpuError `E_GPU_NO_KERNEL` when a gradient flows through a BatchNorm: its GPU backward
   *   is the batch-statistics one, not eval mode's.
   */
  gradients(): Promise<number>;
  /**
   * `optimizer`'s update alone, in its own submission (after a `trainStep` without an optimizer:
   * the training loop's step, whose hooks run between the backward and the update). With
   * `capture` the weights are copied aside first (`capture.before`) and the reductions of
   * `trainStep` run after the update; the promise resolves once their figures are in
   * `capture.figures`. Without it nothing is read back, and it resolves at once.
   */
  update(optimizer: GpuOptimizer, lr?: number, capture?: DeviceCapture): Promise<void>;
  /**
   * Encode `optimizer`'s update pass now, for the next {@link update} of it without a capture to
   * submit as it is (its uniforms written then): the training loop's step calls this while the GPU
   * runs the forward and backward, so that only the uniforms' write and a submit stand between the
   * loss coming back and the update running. A step the loop stops, or probes, drops it.
   */
  encodeUpdate(optimizer: GpuOptimizer): void;
  /**
   * A subset of the losses, and optionally of the parameters (the host mirror's entries, as
   * `params[i].host`) that will be updated from them: the host mirror's `selectLosses`, mirrored
   * on the device. Cached per plan and argument; valid for this plan only.
   */
  selectLosses(lossNodes: readonly string[], trainable?: readonly ParamEntry[]): GpuLossSelection;
  /** A node's activation after the last step (probes; tests). */
  read(nodeId: string): Promise<Float32Array>;
  /** dLoss/dActivation of a node after the last step, or null when it has no gradient. */
  readGrad(nodeId: string): Promise<Float32Array | null>;
  /**
   * A node's workspace buffer `name` (its kernel's name, the op file's where they mean the same)
   * after the last step, the values in `ranges` (`[start, length]`) concatenated; null when its
   * kernel keeps none by that name.
   */
  readWorkspace(nodeId: string, name: string, ranges: readonly (readonly [number, number])[]): Promise<Float32Array | null>;
  /** Copy the device's parameters and buffers into the host mirror's (for a snapshot or a CPU resume). */
  syncToHost(): Promise<void>;
  /** Queue a copy of the host mirror's parameters and buffers to the device (after a checkpoint is restored). */
  upload(): void;
  /** The plan for another batch size, sharing the parameters (on the device and the host). */
  withBatchSize(n: number): GpuGraph;
}

/**
 * The ops of `graph` that have no GPU kernel, with their node ids (`Conv2d (conv1)`), or the
 * attribute a kernel refuses; empty when the whole graph can run on the GPU.
 */
export function gpuKernelGaps(graph: GraphIR): string[] {
  const gaps: string[] = [];
  for (const node of graph.nodes) {
    // Which ops have a kernel: the table's (coverage.ts declares the same, for the UI).
    const kernel = gpuKernel(node.op);
    if (!kernel) gaps.push(`${node.op} (${node.id})`);
    else {
      const why = kernel.unsupported?.(node.attrs);
      if (why) gaps.push(`${node.op} (${node.id}): ${why}`);
    }
  }
  return gaps;
}

const ONES = new Float32Array([1]);
const READBACK = 0x1 | 0x8; // MAP_READ | COPY_DST

/**
 * Compile `graph` for the GPU at `batchSize`.
 *
 * @throws GraphError as `compileGraph` when a shape rule refuses the batch size.
 * @throws GpuError `E_GPU_NO_KERNEL` naming every op without a GPU kernel (nothing runs on the
 *   CPU instead); `E_GPU_DEVICE` when the device rejects a shader or runs out of memory.
 */
export function compileGpuGraph(graph: CheckedGraph, opts: GpuCompileOptions): Promise<GpuGraph> {
  return opts.gpu.checked('Compiling the graph for the GPU', () => buildGpuGraph(graph, opts));
}

/**
 * As {@link compileGpuGraph}, synchronously (for the training loop's `compile`): a shader the
 * device rejects then surfaces at the first step, as `E_GPU_DEVICE`.
 */
export function buildGpuGraph(graph: CheckedGraph, opts: GpuCompileOptions): GpuGraph {
  {
    const shapes = graph.shapesAt(opts.batchSize);
    const gaps = gpuKernelGaps(graph.ir);
    if (gaps.length) throw new GpuError('E_GPU_NO_KERNEL', `No GPU kernel yet for: ${gaps.join(', ')}. Train this model on the CPU.`);
    // The host mirror: its parameters and buffers now (uploaded below), its activations only when
    // asked for (the losses, the prediction, a probe's reads; all of them for a forward on the CPU).
    const host = compileGraph(graph, {
      batchSize: opts.batchSize,
      backend: createReferenceBackend(),
      seed: opts.seed,
      onDemand: true,
      ...(opts.seeds ? { seeds: opts.seeds } : {}),
      ...(opts.gradientRoots ? { gradientRoots: opts.gradientRoots } : {}),
    });
    const ctx = opts.gpu;
    const params: GpuParamEntry[] = host.params.map((p) => {
      const value = ctx.createTensor(p.value.data.length, `${p.nodeId}.${p.name}`);
      ctx.write(value, p.value.data);
      return { nodeId: p.nodeId, name: p.name, value, grad: ctx.createTensor(p.value.data.length, `${p.nodeId}.${p.name}.grad`), decay: p.decay, host: p };
    });
    const buffers: GpuBufferEntry[] = host.buffers.map((b) => {
      const value = ctx.createTensor(b.value.data.length, `${b.nodeId}.${b.name}`);
      ctx.write(value, b.value.data);
      return { nodeId: b.nodeId, name: b.name, value, host: b };
    });
    const ones = ctx.createTensor(1, 'ones');
    ctx.write(ones, ONES);
    const family: Family = { graph, g: graph.ir, ctx, params, buffers, status: ctx.createTensor(2, 'status'), ones, readback: opts.readback ?? [], plans: new Map(), before: null, beforeFresh: false };
    return planFor(family, host, shapes);
  }
}

/** Where a probe readback's tensors sit in its mappable buffer (in floats), and its free buffers. */
interface ProbeLayout {
  after: { t: GpuTensor; into: Float32Array; at: number }[];
  floats: number;
  free: GPUBuffer[];
}

/** What every batch size's plan of one compiled graph shares. */
interface Family {
  graph: CheckedGraph;
  /** The checked graph's IR (attributes with defaults). */
  g: GraphIR;
  ctx: GpuContext;
  params: GpuParamEntry[];
  buffers: GpuBufferEntry[];
  status: GpuTensor;
  ones: GpuTensor;
  readback: readonly string[];
  plans: Map<number, GpuGraph>;
  /** The parameters as copied aside by a probed step (`DeviceCapture.before`), made on first use: one view per parameter. */
  before: GpuTensor[] | null;
  /** Whether `before` holds the weights before the update of the step being probed (copied since the last reduction). */
  beforeFresh: boolean;
}

/** A probed step's or a probe forward's reductions (made once per plan and request) and their free readback buffers. */
interface StepReductions {
  prepared: PreparedReductions;
  ids: string[];
  free: GPUBuffer[];
}

function planFor(family: Family, host: CompiledGraph, shapes: Record<string, number[]>): GpuGraph {
  const plan = new DevicePlan(family, host, shapes);
  family.plans.set(host.batchSize, plan);
  return plan;
}

/** A step's choice of losses: the indices of the losses it sums, the gradients it seeds, its backwards. */
interface Chosen {
  sum: number[];
  seed: GpuTensor[];
  backward: GpuDispatch[];
  /**
   * The gradients of the parameters the selection does not update, each with a copy: they keep
   * their values across its step (copied aside before the gradients are cleared, back after its
   * backward), as on the CPU, whose selection computes none of them (executor.ts, `backward`).
   */
  keep: { grad: GpuTensor; copy: GpuTensor }[];
}

/** Every node's dispatches, in forward order, as the GPU kernel table prepares them on `plan`'s tensors. */
interface PreparedNodes {
  forward: GpuDispatch[];
  evalForward: GpuDispatch[];
  backwardByNode: GpuDispatch[][];
  beforeForward: ((training: boolean) => void)[];
  workspaces: Map<string, Map<string, GpuTensor>>;
}

function prepareNodes(family: Family, host: CompiledGraph, shapes: Record<string, number[]>, outputs: Map<string, GpuTensor>, grads: Map<string, GpuTensor>): PreparedNodes {
  const { ctx, g, params, buffers, status } = family;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const out: PreparedNodes = { forward: [], evalForward: [], backwardByNode: [], beforeForward: [], workspaces: new Map() };
  for (const id of host.order) {
    const node = byId.get(id)!;
    const nodeParams = params.filter((p) => p.nodeId === id);
    const workspace = new Map<string, GpuTensor>();
    out.workspaces.set(id, workspace);
    const d = gpuKernel(node.op)!.prepare({
      ctx,
      nodeId: id,
      attrs: node.attrs,
      inputShapes: node.inputs.map((i) => shapes[i]),
      outputShape: shapes[id],
      inputs: node.inputs.map((i) => outputs.get(i)!),
      output: outputs.get(id)!,
      params: Object.fromEntries(nodeParams.map((p) => [p.name, p.value])),
      dParams: Object.fromEntries(nodeParams.map((p) => [p.name, p.grad])),
      buffers: Object.fromEntries(buffers.filter((b) => b.nodeId === id).map((b) => [b.name, b.value])),
      dOutput: grads.get(id) ?? null,
      dInputs: node.inputs.map((i) => grads.get(i) ?? null),
      workspace(name, length) {
        let t = workspace.get(name);
        if (!t) workspace.set(name, (t = ctx.createTensor(length, `${id}.${name}`)));
        return t;
      },
      status,
      rng: host.rng,
    });
    if (d.beforeForward) out.beforeForward.push(d.beforeForward);
    // A frozen node with running statistics (BatchNorm) runs as in eval mode in training steps
    // too, as on the CPU (executor.ts, `statsFrozen`). Its GPU backward is the batch-statistics
    // one, so a gradient through it is refused rather than computed wrong.
    const statsFrozen = statisticsFrozen(node, family.g.training) && buffers.some((b) => b.nodeId === id);
    if (statsFrozen && d.backward.length > 0) {
      throw new GpuError('E_GPU_NO_KERNEL', `"${id}" is a frozen ${node.op} that a gradient flows through: its GPU backward uses batch statistics. Train this model on the CPU, or freeze the layers before it too.`);
    }
    out.forward.push(...(statsFrozen ? (d.evalForward ?? d.forward) : d.forward));
    out.evalForward.push(...(d.evalForward ?? d.forward));
    out.backwardByNode.push(d.backward);
  }
  return out;
}

function noSuchNode(id: string): Error {
  return Object.assign(new Error(`E_NO_SUCH_NODE: The graph has no node "${id}".`), { code: 'E_NO_SUCH_NODE' });
}

/** One batch size's plan of a graph compiled for the GPU (see {@link GpuGraph}): every device tensor allocated in the constructor. */
class DevicePlan implements GpuGraph {
  readonly batchSize: number;
  readonly order: readonly string[];
  readonly lossNodes: readonly string[];
  readonly params: readonly GpuParamEntry[];
  readonly buffers: readonly GpuBufferEntry[];
  readonly dispatchCount: number;
  private readonly ctx: GpuContext;
  private readonly outputs = new Map<string, GpuTensor>();
  private readonly grads = new Map<string, GpuTensor>();
  private readonly nodes: PreparedNodes;
  private readonly lossOut: GpuTensor[];
  private readonly lossHost: Float32Array[];
  private readonly everything: Chosen;
  private readonly chosen = new Map<LossSelection, { sel: GpuLossSelection; chosen: Chosen }>();
  private readonly gradBuffers: GpuTensor[];
  private readonly inputNames: Set<string>;
  private readonly staged: StagedInputs;
  /** The update pass {@link encodeUpdate} recorded, not yet submitted. */
  private encodedUpdate: { optimizer: GpuOptimizer; buffer: GPUCommandBuffer } | null = null;
  /** Inputs filled on the device (`feedInput`): the dispatch not yet recorded, or null once it was. */
  private readonly fed = new Map<string, GpuDispatch | null>();
  // Readback: the losses then the status pair, then the `readback` nodes' outputs, into a pool of
  // mappable buffers (a step whose result nobody awaited yet keeps its buffer; the next step takes another).
  private readonly extra: { t: GpuTensor; into: Float32Array }[];
  private readonly extraStart: number;
  private readonly readBytes: number;
  private readonly free: GPUBuffer[] = [];
  // A probe forward's outputs: a second mappable buffer per distinct request, made on first use,
  // so a forward nobody probes costs nothing extra; its copies run in a second submission.
  private readonly probeLayouts = new Map<string, ProbeLayout>();
  // A probed step's reductions (core/gpu/reduce.ts): each parameter after the update (with a
  // histogram, and its differences with the copy taken before the update), each gradient, each
  // asked-for node gradient; only their record is read back.
  private readonly reductions = new Map<string, StepReductions>();

  constructor(
    private readonly family: Family,
    readonly host: CompiledGraph,
    shapes: Record<string, number[]>,
  ) {
    const { ctx, g, params, buffers } = family;
    this.ctx = ctx;
    this.batchSize = host.batchSize;
    this.order = host.order;
    this.lossNodes = host.lossNodes;
    this.params = params;
    this.buffers = buffers;
    const { outputs, grads } = this;
    for (const id of host.order) {
      outputs.set(id, ctx.createTensor(sizeOf(shapes[id]), id));
      if (host.needsGradient(id)) grads.set(id, ctx.createTensor(sizeOf(shapes[id]), `d${id}`));
    }
    this.nodes = prepareNodes(family, host, shapes, outputs, grads);
    const backward = [...this.nodes.backwardByNode].reverse().flat();
    this.dispatchCount = this.nodes.forward.length + backward.length;
    this.lossOut = host.lossNodes.map((id) => outputs.get(id)!);
    const lossGrads = host.lossNodes.map((id) => grads.get(id)).filter((t): t is GpuTensor => t !== undefined);
    this.lossHost = host.lossNodes.map((id) => host.output(id).data);
    this.everything = { sum: this.lossOut.map((_, i) => i), seed: lossGrads, backward, keep: [] };
    this.gradBuffers = [...grads.values(), ...params.map((p) => p.grad)];
    this.inputNames = new Set(graphInputs(g).map((n) => n.id));
    this.staged = new StagedInputs(ctx);
    this.extra = family.readback.map((id) => ({ t: outputs.get(id)!, into: host.output(id).data }));
    this.extraStart = this.lossOut.length + 2;
    this.readBytes = (this.extraStart + this.extra.reduce((a, e) => a + e.t.length, 0)) * 4;
  }

  setInput(name: string, data: Float32Array): void {
    if (!this.inputNames.has(name)) throw Object.assign(new Error(`E_NO_SUCH_INPUT: The graph has no Input node "${name}".`), { code: 'E_NO_SUCH_INPUT' });
    this.fed.delete(name);
    this.staged.write(this.outputs.get(name)!, data);
  }

  lendInput(name: string, elements?: number): Float32Array | null {
    return this.staged.lend(this.inputTensor(name), elements);
  }

  inputTensor(name: string): GpuTensor {
    if (!this.inputNames.has(name)) throw Object.assign(new Error(`E_NO_SUCH_INPUT: The graph has no Input node "${name}".`), { code: 'E_NO_SUCH_INPUT' });
    return this.outputs.get(name)!;
  }

  feedInput(name: string, dispatch: GpuDispatch): void {
    this.inputTensor(name);
    this.fed.set(name, dispatch);
  }

  feeds(name: string): boolean {
    return this.fed.has(name);
  }

  /** Record the feeds queued since the last step (after the staged copies: the later write wins). */
  private encodeFeeds(enc: GPUCommandEncoder): void {
    const pending: GpuDispatch[] = [];
    for (const [name, d] of this.fed) {
      if (!d) continue;
      pending.push(d);
      this.fed.set(name, null);
    }
    if (pending.length) encodeComputePass(this.ctx, enc, 'inputs', pending);
  }

  get inputWrites(): InputWriteCounts {
    return this.staged.counts;
  }

  forward(training = false, read?: readonly string[], sel?: GpuLossSelection, reduce?: ForwardReduce): Promise<number> {
    return this.run(training, false, undefined, undefined, undefined, read, sel, reduce);
  }

  trainStep(optimizer?: GpuOptimizer, lr?: number, capture?: DeviceCapture, sel?: GpuLossSelection): Promise<number> {
    return this.run(true, true, optimizer, lr, capture, undefined, sel);
  }

  gradients(): Promise<number> {
    const { g, buffers } = this.family;
    const stats = g.nodes.find((n) => this.host.needsGradient(n.id) && buffers.some((b) => b.nodeId === n.id));
    if (stats) throw new GpuError('E_GPU_NO_KERNEL', `A gradient in eval mode flows through "${stats.id}" (${stats.op}), whose GPU backward uses batch statistics: compute this on the CPU.`);
    return this.run(false, true);
  }

  /** The optimizer's update alone, after a step without one (`GpuGraph.update`). */
  encodeUpdate(optimizer: GpuOptimizer): void {
    // Profiled passes are recorded as they are encoded: a dropped one would stay in the profile.
    if (this.ctx.profiler) return;
    const enc = this.ctx.device.createCommandEncoder({ label: 'update' });
    encodeComputePass(this.ctx, enc, 'update', optimizer.dispatches);
    this.encodedUpdate = { optimizer, buffer: enc.finish() };
  }

  async update(optimizer: GpuOptimizer, lr?: number, capture?: DeviceCapture): Promise<void> {
    const ctx = this.ctx;
    const encoded = this.encodedUpdate;
    this.encodedUpdate = null;
    if (!capture && encoded?.optimizer === optimizer) {
      optimizer.prepareStep(lr);
      ctx.device.queue.submit([encoded.buffer]);
      return;
    }
    checkBins(capture);
    const red = capture && capture.bins > 0 ? this.reductionsFor(capture) : null;
    const enc = ctx.device.createCommandEncoder({ label: 'update' });
    if (capture?.before) this.copyBefore(enc);
    encodeComputePass(ctx, enc, 'update', optimizer.prepareStep(lr));
    ctx.device.queue.submit([enc.finish()]);
    if (!capture) return;
    if (!red) {
      capture.readbackMs = 0;
      return;
    }
    const staging = red.free.pop() ?? ctx.device.createBuffer({ label: 'probe reductions readback', size: Math.max(16, red.prepared.bytes), usage: READBACK });
    const t0 = performance.now();
    const figs = await this.takeFigures(red, staging, this.startReductions(red, staging, 'Reading a probed step back from the GPU'));
    ctx.throwIfFailed('Updating the weights on the GPU');
    this.captured(capture, red, figs);
    capture.readbackMs = performance.now() - t0;
  }

  selectLosses(ids: readonly string[], trainable?: readonly ParamEntry[]): GpuLossSelection {
    const host = this.host;
    const h = host.selectLosses(ids, trainable);
    let c = this.chosen.get(h);
    if (!c) {
      const runs = selectionBackward(h);
      const index = new Map(host.lossNodes.map((id, i) => [id, i]));
      const updated = trainable ? new Set(trainable.map((p) => p.nodeId)) : null;
      c = {
        sel: { lossNodes: h.lossNodes, host: h },
        chosen: {
          sum: h.lossNodes.map((id) => index.get(id)!),
          seed: h.lossNodes.map((id) => this.grads.get(id)).filter((t): t is GpuTensor => t !== undefined),
          // Reverse node order; each node's own dispatches keep theirs.
          backward: this.nodes.backwardByNode
            .map((d, i) => (runs[i] ? d : []))
            .reverse()
            .flat(),
          keep: updated ? this.params.filter((p) => !updated.has(p.nodeId)).map((p) => ({ grad: p.grad, copy: this.ctx.createTensor(p.grad.length, `${p.nodeId}.${p.name}.grad kept`) })) : [],
        },
      };
      this.chosen.set(h, c);
    }
    return c.sel;
  }

  read(nodeId: string): Promise<Float32Array> {
    const t = this.outputs.get(nodeId);
    if (!t) throw noSuchNode(nodeId);
    this.staged.flush();
    if ([...this.fed.values()].some(Boolean)) {
      const enc = this.ctx.device.createCommandEncoder({ label: 'inputs' });
      this.encodeFeeds(enc);
      this.ctx.device.queue.submit([enc.finish()]);
    }
    return this.ctx.read(t);
  }

  async readGrad(nodeId: string): Promise<Float32Array | null> {
    if (!this.outputs.has(nodeId)) throw noSuchNode(nodeId);
    const t = this.grads.get(nodeId);
    return t ? this.ctx.read(t) : null;
  }

  async readWorkspace(nodeId: string, name: string, ranges: readonly (readonly [number, number])[]): Promise<Float32Array | null> {
    if (!this.outputs.has(nodeId)) throw noSuchNode(nodeId);
    const t = this.nodes.workspaces.get(nodeId)?.get(name);
    return t ? this.ctx.readRanges(t, ranges) : null;
  }

  async syncToHost(): Promise<void> {
    const state = [...this.params, ...this.buffers];
    const values = await Promise.all(state.map((p) => this.ctx.read(p.value)));
    state.forEach((p, i) => p.host.value.data.set(values[i]));
  }

  upload(): void {
    for (const p of [...this.params, ...this.buffers]) this.ctx.write(p.value, p.host.value.data);
  }

  withBatchSize(n: number): GpuGraph {
    const cached = this.family.plans.get(n);
    if (cached) return cached;
    return planFor(this.family, this.host.withBatchSize(n), this.family.graph.shapesAt(n));
  }

  private own(sel: GpuLossSelection): Chosen {
    const c = this.chosen.get(sel.host);
    if (!c || c.sel !== sel) throw Object.assign(new Error('E_FOREIGN_SELECTION: This loss selection was made by another plan; call selectLosses on the plan that runs it.'), { code: 'E_FOREIGN_SELECTION' });
    return c.chosen;
  }

  private takeStaging(): GPUBuffer {
    return this.free.pop() ?? this.ctx.device.createBuffer({ label: 'step readback', size: Math.max(16, this.readBytes), usage: READBACK });
  }

  private readLayout(ids: readonly string[]): ProbeLayout {
    for (const id of ids) if (!this.outputs.has(id)) throw noSuchNode(id);
    const key = ids.join('\0');
    let l = this.probeLayouts.get(key);
    if (!l) {
      let at = 0;
      const after = ids.map((id) => {
        const t = this.outputs.get(id)!;
        at += t.length;
        return { t, into: this.host.output(id).data, at: at - t.length };
      });
      this.probeLayouts.set(key, (l = { after, floats: at, free: [] }));
    }
    return l;
  }

  private beforeViews(): GpuTensor[] {
    const family = this.family;
    if (!family.before) {
      const params = this.params;
      const total = params.reduce((a, p) => a + p.value.length, 0);
      const store = this.ctx.createTensor(total, 'weights before the update');
      let at = 0;
      family.before = params.map((p) => {
        at += p.value.length;
        return { buffer: store.buffer, offset: at - p.value.length, length: p.value.length };
      });
    }
    return family.before;
  }

  private forwardReductionsFor(r: ForwardReduce): StepReductions {
    for (const n of r.nodes) if (!this.outputs.has(n.id)) throw noSuchNode(n.id);
    const key = `forward:${r.bins}:${JSON.stringify(r.nodes, (_, v: unknown) => (typeof v === 'number' ? String(v) : v))}`; // String: keeps ±Infinity apart
    let red = this.reductions.get(key);
    if (!red) {
      const prepared = prepareReductions(
        this.ctx,
        r.nodes.map((n) => {
          const x = this.outputs.get(n.id)!;
          const batch = this.host.output(n.id).shape[0] ?? 1;
          return { x, hist: true, ...(n.tails ? { tails: n.tails } : {}), ...(n.units ? { units: { batch, ...n.units } } : {}) };
        }),
        r.bins,
      );
      this.reductions.set(key, (red = { prepared, ids: r.nodes.map((n) => n.id), free: [] }));
    }
    return red;
  }

  private reductionsFor(c: DeviceCapture): StepReductions {
    const { grads, params } = this;
    const ids = c.grads.filter((id) => grads.has(id));
    const key = `${c.bins}:${ids.join('\0')}`;
    let r = this.reductions.get(key);
    if (!r) {
      const before = this.beforeViews();
      const prepared = prepareReductions(
        this.ctx,
        [...params.map((p, i) => ({ x: p.value, hist: true, y: before[i] })), ...params.map((p) => ({ x: p.grad, hist: !p.host.frozen })), ...ids.map((id) => ({ x: grads.get(id)!, hist: false }))],
        c.bins,
      );
      this.reductions.set(key, (r = { prepared, ids, free: [] }));
    }
    return r;
  }

  /** Submit `red`'s reductions and the copy of their record into `staging`; the mapping's promise (a failure as its value, surfaced by `takeFigures`). */
  private startReductions(red: StepReductions, staging: GPUBuffer, what: string): Promise<unknown> {
    const ctx = this.ctx;
    const renc = ctx.device.createCommandEncoder({ label: 'probe reductions' });
    renc.clearBuffer(red.prepared.record.buffer);
    encodeComputePass(ctx, renc, 'probe reductions', red.prepared.dispatches);
    renc.copyBufferToBuffer(red.prepared.record.buffer, 0, staging, 0, red.prepared.bytes);
    ctx.device.queue.submit([renc.finish()]);
    return ctx.mapForRead(staging, what).then(
      () => null,
      (e: unknown) => ({ error: e }),
    );
  }

  private async takeFigures(red: StepReductions, staging: GPUBuffer, mapped: Promise<unknown>): Promise<TensorFigures[]> {
    const failed = (await mapped) as { error: unknown } | null;
    if (failed) throw failed.error;
    const figs = red.prepared.decode(staging.getMappedRange(0, red.prepared.bytes).slice(0));
    staging.unmap();
    red.free.push(staging);
    return figs;
  }

  /** A probed step's figures into its capture: the weights' and gradients', then the asked-for node gradients'. */
  private captured(capture: DeviceCapture, red: StepReductions, figs: TensorFigures[]): void {
    const params = this.params;
    const n = params.length;
    const byNode = new Map<string, TensorFigures>();
    red.ids.forEach((id, i) => byNode.set(id, figs[2 * n + i]));
    capture.figures = { params: params.map((_, i) => ({ value: figs[i], grad: figs[n + i] })), grads: byNode, updated: this.family.beforeFresh };
    this.family.beforeFresh = false;
  }

  /** Encode the copy of the weights aside (`DeviceCapture.before`): nothing before the optimizer's dispatches writes them. */
  private copyBefore(enc: GPUCommandEncoder): void {
    const before = this.beforeViews();
    this.params.forEach((p, i) => enc.copyBufferToBuffer(p.value.buffer, p.value.offset * 4, before[i].buffer, before[i].offset * 4, p.value.length * 4));
    this.family.beforeFresh = true;
  }

  private async run(training: boolean, backprop: boolean, optimizer?: GpuOptimizer, lr?: number, capture?: DeviceCapture, read?: readonly string[], sel?: GpuLossSelection, reduce?: ForwardReduce): Promise<number> {
    const ctx = this.ctx;
    const choice = sel ? this.own(sel) : this.everything;
    const probe = read?.length ? this.readLayout(read) : null;
    checkBins(capture);
    const red = capture && capture.bins > 0 ? this.reductionsFor(capture) : reduce?.nodes.length ? this.forwardReductionsFor(reduce) : null;
    const probeStaging = probe ? (probe.free.pop() ?? ctx.device.createBuffer({ label: 'probe readback', size: Math.max(16, probe.floats * 4), usage: READBACK })) : null;
    const redStaging = red ? (red.free.pop() ?? ctx.device.createBuffer({ label: 'probe reductions readback', size: Math.max(16, red.prepared.bytes), usage: READBACK })) : null;
    for (const f of this.nodes.beforeForward) f(training);
    const staging = this.takeStaging();
    // The optimizer's uniforms are written once the forward is encoded (and, split, submitted).
    const optDispatches = () => (backprop && optimizer ? optimizer.prepareStep(lr) : []);
    ctx.device.queue.submit([this.encodeStep(training, backprop, choice, optDispatches, capture, staging)]);
    this.staged.submitted();
    const probeMap = probe && probeStaging ? this.submitProbeCopies(probe, probeStaging) : null;
    const redMap = red && redStaging ? this.startReductions(red, redStaging, capture ? 'Reading a probed step back from the GPU' : 'Reading the probe batch figures back from the GPU') : null;
    const what = backprop ? 'Training step on the GPU' : 'Forward pass on the GPU';
    await ctx.mapForRead(staging, what);
    const values = new Float32Array(staging.getMappedRange(0, this.readBytes).slice(0));
    staging.unmap();
    this.free.push(staging);
    if (probe && probeStaging && probeMap) {
      const failed = (await probeMap) as { error: unknown } | null;
      if (failed) throw failed.error;
      this.copyProbe(probe, probeStaging);
    }
    if (red && redStaging && redMap) {
      const t0 = performance.now();
      const figs = await this.takeFigures(red, redStaging, redMap);
      if (!capture) reduce!.figures = new Map(red.ids.map((id, i) => [id, figs[i]]));
      else {
        this.captured(capture, red, figs);
        capture.readbackMs = performance.now() - t0;
      }
    } else if (capture) capture.readbackMs = 0;
    ctx.throwIfFailed(what);
    return this.takeValues(values, choice);
  }

  /**
   * One step's command buffer: the inputs' staged copies, forward, then (with `backprop`) gradients
   * cleared and seeded, backward and update; then the copies into `staging`. Where the context
   * splits a step (`GpuContext.splitSubmits`), the forward is submitted on its own before the
   * backward is encoded, and the command buffer returned holds the rest.
   */
  private encodeStep(training: boolean, backprop: boolean, choice: Chosen, optDispatches: () => readonly GpuDispatch[], capture: DeviceCapture | undefined, staging: GPUBuffer): GPUCommandBuffer {
    const { status, ones } = this.family;
    const device = this.ctx.device;
    let enc = device.createCommandEncoder({ label: 'step' });
    this.staged.encode(enc);
    this.encodeFeeds(enc);
    if (capture?.before) this.copyBefore(enc);
    enc.clearBuffer(status.buffer);
    encodeComputePass(this.ctx, enc, 'forward', training ? this.nodes.forward : this.nodes.evalForward);
    if (backprop && this.ctx.splitSubmits) {
      device.queue.submit([enc.finish()]);
      enc = device.createCommandEncoder({ label: 'step backward' });
    }
    if (backprop) {
      for (const k of choice.keep) enc.copyBufferToBuffer(k.grad.buffer, k.grad.offset * 4, k.copy.buffer, k.copy.offset * 4, k.grad.length * 4);
      for (const t of this.gradBuffers) enc.clearBuffer(t.buffer);
      for (const t of choice.seed) enc.copyBufferToBuffer(ones.buffer, 0, t.buffer, t.offset * 4, 4);
      encodeComputePass(this.ctx, enc, 'backward', choice.backward, optDispatches());
      for (const k of choice.keep) enc.copyBufferToBuffer(k.copy.buffer, k.copy.offset * 4, k.grad.buffer, k.grad.offset * 4, k.grad.length * 4);
    }
    const lossOut = this.lossOut;
    lossOut.forEach((t, i) => enc.copyBufferToBuffer(t.buffer, t.offset * 4, staging, i * 4, 4));
    enc.copyBufferToBuffer(status.buffer, status.offset * 4, staging, lossOut.length * 4, 8);
    let at = this.extraStart;
    for (const e of this.extra) {
      enc.copyBufferToBuffer(e.t.buffer, e.t.offset * 4, staging, at * 4, e.t.length * 4);
      at += e.t.length;
    }
    return enc.finish();
  }

  /** Submit the copies of a probe forward's outputs; the mapping's promise (a failure as its value, surfaced in `run`). */
  private submitProbeCopies(probe: ProbeLayout, probeStaging: GPUBuffer): Promise<unknown> {
    const ctx = this.ctx;
    const penc = ctx.device.createCommandEncoder({ label: 'probe readback' });
    for (const c of probe.after) penc.copyBufferToBuffer(c.t.buffer, c.t.offset * 4, probeStaging, c.at * 4, c.t.length * 4);
    ctx.device.queue.submit([penc.finish()]);
    // Mapped beside the step's readback; a failure surfaces when awaited (or not at all
    // when the step's own readback fails first).
    return ctx.mapForRead(probeStaging, 'Reading the probe batch back from the GPU').then(
      () => null,
      (e: unknown) => ({ error: e }),
    );
  }

  /** A probe forward's outputs from its mapped buffer into the host mirror's. */
  private copyProbe(probe: ProbeLayout, probeStaging: GPUBuffer): void {
    const got = new Float32Array(probeStaging.getMappedRange(0, probe.floats * 4));
    for (const c of probe.after) c.into.set(got.subarray(c.at, c.at + c.t.length));
    probeStaging.unmap();
    probe.free.push(probeStaging);
  }

  /** The step's readback into the host mirror (the `readback` nodes, the losses), checking its status; the summed loss of `choice`. */
  private takeValues(values: Float32Array, choice: Chosen): number {
    const lossCount = this.lossOut.length;
    let at = this.extraStart;
    for (const e of this.extra) {
      e.into.set(values.subarray(at, at + e.t.length));
      at += e.t.length;
    }
    // An id out of a table (Embedding, OneHot: ID_STATUS) is said as [−rows, id]; a class label as [1, label].
    if (values[lossCount] < 0) throw idRangeError('An Embedding or OneHot', -values[lossCount], 'rows', values[lossCount + 1]);
    if (values[lossCount] !== 0) {
      const label = values[lossCount + 1];
      throw Object.assign(new Error(`${LABEL_RANGE}: a target label (${label}) is not a class index of the loss's logits; check the dataset's labels and the layer before the loss.`), { code: LABEL_RANGE });
    }
    this.lossHost.forEach((h, i) => (h[0] = values[i]));
    if (choice.sum.length === 0) return NaN;
    let loss = 0;
    for (const i of choice.sum) loss += values[i];
    return loss;
  }
}

function checkBins(capture: DeviceCapture | undefined): void {
  if (capture && !(Number.isInteger(capture.bins) && capture.bins >= 0)) throw new GpuError('E_GPU_BAD_ARGS', `A probed step's histograms need a whole number of bins (got ${capture.bins}).`);
}
