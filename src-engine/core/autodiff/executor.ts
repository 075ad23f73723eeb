import { graphInputs } from '../../base/ir/inputs';
import type { Backend } from '../backend/types';
import type { GraphIR, NodeIR } from '../../base/ir/types';
import { statisticsFrozen } from '../../base/ir/freeze';
import type { CheckedGraph } from '../analysis/checked';
import { kernelFor } from '../ops/kernel-set';
import { planFusions, type FusedGroup } from './fusion';
import type { FusedStepContext } from '../backend/fusion';
import { packIntervals, transientNodes, type LiveRange } from './frozen-arena';
import { lossNodesOf, nodesNeedingGradients } from './gradients';
import { getOp } from '../ops/registry';
import { referenceKernel } from '../ops/kernels/registry';
import type { ReferenceKernel } from '../ops/kernels/kernel';
import type { OpDef, ShapeArgs } from '../ops/types';
import { hostTrainStep } from '../train/step';
import type { StepGroup, StepPhases } from '../train/types';
import { initTensor } from '../params/init';
import { Rng } from '../../base/rng';
import type { ErrorCode } from '../../base/errors';
import { sizeOf, tensor, type Tensor } from '../../base/tensor';

export { GraphError } from '../../base/ir/diagnostics';

/** One trainable tensor with its gradient (shared by every batch-size plan of a compiled graph). */
export interface ParamEntry {
  readonly nodeId: string;
  readonly name: string;
  readonly value: Tensor;
  /** dLoss/dParam after `backward()` (allocated when first read: an inference plan has none). */
  readonly grad: Tensor;
  /** Whether weight decay applies (the op's ParamSpec says). */
  readonly decay: boolean;
  /**
   * Its node is frozen (`NodeIR.frozen`): no optimizer updates it, and no backward runs only to
   * compute its gradient (which then stays 0; probes show the layer as frozen, not vanishing).
   */
  readonly frozen?: boolean;
}

export interface BufferEntry {
  readonly nodeId: string;
  readonly name: string;
  readonly value: Tensor;
}

/**
 * A graph ready to run for one batch size: every activation, gradient and workspace is allocated
 * once, here, through `backend.alloc` (or on first use, `CompileOptions.onDemand`); a training step
 * allocates nothing.
 */
export interface CompiledGraph {
  readonly batchSize: number;
  /** Node ids in topological order (the forward order). */
  readonly order: readonly string[];
  readonly params: readonly ParamEntry[];
  readonly buffers: readonly BufferEntry[];
  /** The loss nodes `forward` sums (training.loss, or every loss op when there is no training section). */
  readonly lossNodes: readonly string[];
  /**
   * The stream training forwards draw from (Dropout's masks), shared by every batch size's plan:
   * another executor that mirrors this graph (the GPU's) draws from it in the same order.
   */
  readonly rng: Rng;
  /** The Input node's storage, `[batchSize, ...shape]`; the caller writes each batch here. */
  input(name: string): Tensor;
  /** Any node's activation after `forward` (probes read these). */
  output(nodeId: string): Tensor;
  /**
   * Whether the plan keeps `nodeId`'s output through a step, so `output` reads it at no cost. False
   * for a frozen prefix's node (`transientNodes`: its output shares one arena with the others',
   * each only while the forward needs it), which `output` gives storage of its own from then on:
   * asked of every node of resnet18's frozen backbone at batch 64, 3.9 GB.
   */
  keepsOutput(nodeId: string): boolean;
  /** dLoss/dActivation after `backward`, or null for nodes that need no gradient (Inputs, targets). */
  grad(nodeId: string): Tensor | null;
  /**
   * Whether `backward` computes a gradient for the node (it has one, `grad` is not null): a node
   * with weights that are not frozen, or fed by one, that reaches a loss. Asks for no tensor.
   */
  needsGradient(nodeId: string): boolean;
  /** A node's workspace (its op's `workspace` spec, by name) after `forward`/`backward`: probes read what an op keeps (a recurrent layer's gates per step). */
  workspace(nodeId: string): Readonly<Record<string, Tensor>>;
  /**
   * Run every node; returns the summed loss (of `losses` when given, else of every loss node),
   * NaN when the graph has no loss.
   */
  forward(training: boolean, losses?: LossSelection): number;
  /**
   * Zero all gradients, seed each loss with 1, and run the ops' backwards in reverse order. With
   * a selection, only its losses are seeded, only nodes between its parameters and its losses
   * run (a GAN's discriminator step computes no gradient inside the generator), and they compute
   * only the gradients inside the selection: no input gradient of a node outside it (the
   * discriminator's first layer computes none for the fake images), no parameter gradient of a
   * node whose parameters it does not update (the generator's step computes none for the
   * discriminator's weights). Gradients it does not compute keep their values (a parameter's are
   * those of the last step that updated it).
   */
  backward(losses?: LossSelection): void;
  /**
   * A subset of the loss nodes, and optionally of the parameters that will be updated from them,
   * for `forward`/`backward` (one optimizer group's step). Cached per plan and argument. Its
   * `forward` computes what those losses and the nodes `reads` (the caller reads their outputs
   * after it: a prediction) need, and nothing else (`samplesNeeded`): the other nodes' outputs,
   * and the samples of a node's output nothing needs (`OpForwardContext.rows`), keep what they held.
   * `fed`: nodes whose outputs the caller writes before each forward (a cached frozen backbone's
   * boundary, core/train/feature-cache.ts): the forward computes neither them nor what only they read.
   */
  selectLosses(lossNodes: readonly string[], trainable?: readonly ParamEntry[], reads?: readonly string[], fed?: readonly string[]): LossSelection;
  /** A plan for another batch size that shares parameters, gradients, buffers and the rng (cached by size). */
  withBatchSize(n: number): CompiledGraph;
  /**
   * One optimizer group's step (`TrainableGraph.trainStep`, core/train/types.ts), synchronously:
   * `hostTrainStep` (core/train/step.ts) over the group's loss selection. (Typed as `TrainableGraph`'s, so that a
   * device plan shaped like this one, whose step is asynchronous, is one too.)
   */
  trainStep(group: StepGroup, lr: number, phases: StepPhases): number | Promise<number>;
}

/** What `CompiledGraph.selectLosses` returns: opaque, valid for the plan that made it. */
export interface LossSelection {
  readonly lossNodes: readonly string[];
  /** Private to the plan. */
  readonly plan: unknown;
}

export interface CompileOptions {
  batchSize: number;
  backend: Backend;
  /** Seeds parameter initialisation and the Dropout stream. */
  seed: number;
  /**
   * Allocate each activation, gradient and workspace when it is first asked for (`input`,
   * `output`, `grad`, `workspace`), and all of them at the first `forward` or `backward`, instead
   * of at once: for a plan that mirrors another executor (the GPU's host mirror), which reads
   * only its parameters, its inputs and a few outputs unless asked to run on the CPU.
   */
  onDemand?: boolean;
  /**
   * The nodes whose gradient `backward` seeds with 1, in place of the training losses: a node of
   * one value per sample (a saliency's class score, core/explain). Default: the losses.
   */
  seeds?: readonly string[];
  /**
   * Nodes that get a gradient as if they had weights (a feature Input, for the gradient of a
   * score with respect to the input: core/explain). Default: none.
   */
  gradientRoots?: readonly string[];
  /**
   * `false`: parameters and buffers are left as allocated, not initialised, for a plan whose
   * every weight and buffer is loaded next (`inferencePlan`: an imported densenet121's 8 M
   * weights drawn at random only to be overwritten). Default true.
   */
  init?: boolean;
  /**
   * The outputs and workspaces of nodes no backward reads (a frozen backbone before what trains:
   * `transientNodes`, core/autodiff/frozen-arena.ts) share one arena, each only while the forward
   * needs it, instead of each its own storage: a frozen prefix keeps no activations. Such a
   * node's `output` and `workspace` then hold its values only once asked for (the tensor gets its
   * own storage at the first `output`/`workspace` call, and the forwards after it write there):
   * for the training loop's plans, whose callers ask before they read (probes) or read only what
   * trains. Ignored with `onDemand`. Default false.
   */
  shareFrozenActivations?: boolean;
}

/** A tensor whose storage the plan sets after allocating it (a node's in the shared arena, `CompileOptions.shareFrozenActivations`). */
type Placed = { readonly shape: readonly number[]; data: Float32Array };

/** What every plan of one compiled graph shares. */
interface Family {
  checked: CheckedGraph;
  graph: GraphIR;
  backend: Backend;
  params: ParamEntry[];
  buffers: BufferEntry[];
  paramsByNode: Map<string, Record<string, Tensor>>;
  gradsByNode: Map<string, Record<string, Tensor>>;
  buffersByNode: Map<string, Record<string, Tensor>>;
  rng: Rng;
  lossNodes: string[];
  plans: Map<number, CompiledGraph>;
  onDemand: boolean;
  gradientRoots: ReadonlySet<string>;
  /**
   * Per node, where its parameter gradients go in a selection's step that does not read them, if
   * its backward computes them anyway (`StepBinding.dParams`): allocated when first needed.
   */
  discards: Map<string, Record<string, Tensor>>;
  /** `CompileOptions.shareFrozenActivations` (and not `onDemand`). */
  shareFrozen: boolean;
  /** The arena the plans' transient tensors share (one plan runs at a time), grown by a larger plan. */
  arena: Float32Array | null;
}

/**
 * Compile a checked graph (`checkGraph`) for a batch size: initialise parameters and buffers, and
 * allocate every tensor a step needs. The graph is not validated again: only its shapes at this
 * batch size are inferred (`shapesAt`), as they are for every other size's plan (`withBatchSize`).
 *
 * Parameters are initialised with each op's `ParamSpec.init` (params/init.ts). Each node draws
 * from its own stream, `Rng(seed ⊕ hash(nodeId))`, so the same graph and seed give identical
 * weights, and adding a node elsewhere does not change the others' initial weights.
 *
 * @throws GraphError when a shape rule refuses this batch size.
 * @example
 * ```ts
 * const g = compileGraph(checkedOrThrow(json), { batchSize: 64, backend: createReferenceBackend(), seed: 1 });
 * g.input('image').data.set(batchPixels);
 * g.input('label').data.set(batchLabels);
 * const loss = g.forward(true);
 * g.backward(); // g.params[i].grad now holds dLoss/dParam
 * ```
 */
export function compileGraph(checked: CheckedGraph, opts: CompileOptions): CompiledGraph {
  const g = checked.ir;
  const shapes = checked.shapesAt(opts.batchSize);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const backend = opts.backend;
  const alloc = (shape: readonly number[]): Tensor => tensor(shape, backend.alloc(sizeOf(shape)));
  const init = opts.init !== false;

  const family: Family = {
    checked,
    graph: g,
    backend,
    params: [],
    buffers: [],
    paramsByNode: new Map(),
    gradsByNode: new Map(),
    buffersByNode: new Map(),
    rng: new Rng(mix(opts.seed, 0x0d20_9047)),
    lossNodes: opts.seeds ? [...opts.seeds] : lossNodesOf(g),
    plans: new Map(),
    onDemand: opts.onDemand === true,
    gradientRoots: new Set(opts.gradientRoots ?? []),
    discards: new Map(),
    shareFrozen: opts.shareFrozenActivations === true && opts.onDemand !== true,
    arena: null,
  };
  for (const id of checked.order) {
    const node = byId.get(id)!;
    const def = getOp(node.op)!;
    const args = shapeArgs(node, shapes);
    const specs = def.params?.(args) ?? [];
    const bufferSpecs = def.buffers?.(args) ?? [];
    if (specs.length === 0 && bufferSpecs.length === 0) continue;
    const rng = new Rng(mix(opts.seed, hashString(id)));
    const values: Record<string, Tensor> = {};
    const grads: Record<string, Tensor> = {};
    for (const spec of specs) {
      const value = alloc(spec.shape);
      if (init) initTensor(value, spec, rng);
      values[spec.name] = value;
      family.params.push(lazyGradient({ nodeId: id, name: spec.name, value, decay: spec.decay, ...(node.frozen === true ? { frozen: true } : {}) }, grads, () => alloc(spec.shape)));
    }
    const bufs: Record<string, Tensor> = {};
    for (const spec of bufferSpecs) {
      const value = alloc(spec.shape);
      if (init) initTensor(value, spec, rng);
      bufs[spec.name] = value;
      family.buffers.push({ nodeId: id, name: spec.name, value });
    }
    family.paramsByNode.set(id, values);
    family.gradsByNode.set(id, grads);
    family.buffersByNode.set(id, bufs);
  }
  return planFor(family, opts.batchSize, checked.order, shapes);
}

/**
 * `entry` with its gradient allocated when first asked for — as `entry.grad` or as `grads[name]`
 * (its node's `dParams`): by the first `backward` or an optimizer, never by an inference plan
 * (a loaded model's, `inferencePlan`), which so holds its weights once, without a second buffer
 * of their size.
 */
function lazyGradient(entry: Omit<ParamEntry, 'grad'>, grads: Record<string, Tensor>, alloc: () => Tensor): ParamEntry {
  let grad: Tensor | undefined;
  const get = () => (grad ??= alloc());
  Object.defineProperty(grads, entry.name, { get, enumerable: true, configurable: true });
  return Object.defineProperty(entry, 'grad', { get, enumerable: true, configurable: true }) as ParamEntry;
}

interface Step {
  id: string;
  def: OpDef;
  ctx: FusedStepContext;
  forward: ReferenceKernel['forward'];
  backward?: ReferenceKernel['backward'];
  /**
   * A frozen node with running statistics (BatchNorm): it always runs as in eval mode — the
   * running statistics normalise and are not updated — as the fine-tuning idiom
   * `for m in backbone.modules(): m.eval()` does in PyTorch (unless `training.frozenBatchNorm` is
   * `'train'`: `statisticsFrozen`).
   */
  statsFrozen: boolean;
  /** Run this node's backward (it needs a gradient and reaches a loss). */
  runBackward: boolean;
  /** Its backward can assign a fresh input gradient (OpBackwardContext.dInputsFresh). */
  assigns: boolean;
  /** Its backward computes no parameter gradient when told they are not read (OpBackwardContext.dParamsWanted). */
  skipsParams: boolean;
}

/**
 * What a step's backward writes in one selection (installed into its context before the
 * selection's `backward`): its input gradients (null for an input outside the selection), which
 * of them it assigns, and whether its parameter gradients are read (and where they go).
 */
interface StepBinding {
  dInputs: readonly (Tensor | null)[];
  dInputsFresh: readonly boolean[] | undefined;
  dParams: Readonly<Record<string, Tensor>>;
  dParamsWanted: boolean;
  /** Per input, the channels of its gradient read after it (OpBackwardContext.dInputsRead); undefined: all of every one. */
  dInputsRead: readonly (readonly [number, number] | undefined)[] | undefined;
}

function planFor(family: Family, batchSize: number, order: readonly string[], shapes: Record<string, number[]>): CompiledGraph {
  const plan = new HostPlan(family, batchSize, order, shapes);
  family.plans.set(batchSize, plan);
  return plan;
}

/** Each node's step: its context (tensors wired once), and the kernels it runs (the backend's override, else the op's reference kernel). */
function buildSteps(
  family: Family,
  byId: Map<string, NodeIR>,
  order: readonly string[],
  tensors: { outputs: Map<string, Tensor>; grads: Map<string, Tensor>; reaches: Set<string>; workspaceOf: (id: string) => Record<string, Tensor> },
): Step[] {
  const { backend, rng } = family;
  const { outputs, grads, reaches, workspaceOf } = tensors;
  return order.map((id) => {
    const node = byId.get(id)!;
    const def = getOp(node.op)!;
    const workspace = workspaceOf(id);
    const output = outputs.get(id)!;
    const statsFrozen = statisticsFrozen(node, family.graph.training) && Object.keys(family.buffersByNode.get(id) ?? {}).length > 0;
    const ctx = {
      inputs: node.inputs.map((i) => outputs.get(i)!),
      output,
      params: family.paramsByNode.get(id) ?? {},
      buffers: family.buffersByNode.get(id) ?? {},
      workspace,
      attrs: node.attrs,
      training: false,
      rng,
      backend,
      dOutput: grads.get(id) ?? output,
      dInputs: node.inputs.map((i) => grads.get(i) ?? null),
      // Set per selection (StepBinding), as is dInputs.
      dInputsFresh: undefined as readonly boolean[] | undefined,
      dParams: family.gradsByNode.get(id) ?? {},
      dParamsWanted: true,
      dInputsRead: undefined as readonly (readonly [number, number] | undefined)[] | undefined,
      statsFrozen,
    };
    const o = kernelFor(backend.overrides, def.name);
    const reference = referenceKernel(def);
    const backward = o?.backward ?? reference.backward;
    return {
      id,
      def,
      ctx,
      forward: o?.forward ?? reference.forward,
      backward,
      assigns: (o?.backward ? o.assignsFreshGradients : reference.assignsFreshGradients) === true,
      skipsParams: (o?.backward ? o.skipsUnwantedParamGradients : reference.skipsUnwantedParamGradients) === true,
      runBackward: reaches.has(id),
      statsFrozen,
    };
  });
}

/** When a backward clears each activation gradient, and which input gradients each step assigns. */
interface ZeroingPlan {
  zeroBefore: Tensor[][];
  zeroFirst: Tensor[];
  /** Per step: its `dInputsFresh` (undefined: it assigns none). */
  fresh: (boolean[] | undefined)[];
}

/**
 * When each activation gradient is cleared in a backward that runs the steps `runs` says, each
 * writing the input gradients `dInputs[i]` holds. One with exactly one writer whose backward can
 * assign (dInputsFresh) is not zeroed at all (that writer's `fresh` is marked). Any other is
 * zeroed just before the first backward that adds into it (that of its last consumer in forward
 * order), not all at the top of backward(): the memset then runs while the consumer is about to
 * touch the same memory (on the MNIST CNN the activation gradients are ~30 MB). One that no step
 * writes is zeroed first (`unwritten: 'zero'`, every loss's backward) or left as it is (`'keep'`:
 * a selection's, which reads none of them; they keep the gradient of the step that last wrote them).
 */
function planGradientZeroing(
  steps: Step[],
  byId: Map<string, NodeIR>,
  grads: Map<string, Tensor>,
  lossSet: Set<string>,
  runs: readonly boolean[],
  dInputs: readonly (readonly (Tensor | null)[])[],
  unwritten: 'zero' | 'keep',
): ZeroingPlan {
  const zeroBefore: Tensor[][] = steps.map(() => []);
  const zeroFirst: Tensor[] = [];
  const fresh: (boolean[] | undefined)[] = steps.map(() => undefined);
  for (const [id, g] of grads) {
    if (lossSet.has(id)) continue; // seeded with 1 by backward()
    const writers: [step: number, input: number][] = [];
    for (let i = 0; i < steps.length; i++) {
      if (!runs[i] || !steps[i].backward) continue;
      byId.get(steps[i].id)!.inputs.forEach((input, k) => {
        if (input === id && dInputs[i][k] !== null) writers.push([i, k]);
      });
    }
    if (writers.length === 1 && steps[writers[0][0]].assigns) {
      const [i, k] = writers[0];
      (fresh[i] ??= dInputs[i].map(() => false))[k] = true;
    } else if (writers.length > 0) zeroBefore[writers[writers.length - 1][0]].push(g);
    else if (unwritten === 'zero') zeroFirst.push(g);
  }
  return { zeroBefore, zeroFirst, fresh };
}

/**
 * Chains the backend runs as one kernel (Backend.fusions, core/autodiff/fusion.ts), indexed by the
 * step each starts at and ends at, and by interior node: their interior outputs and gradients are
 * written only when read (output(), grad()).
 */
function planFusedGroups(family: Family, steps: Step[], byId: Map<string, NodeIR>, lossSet: Set<string>) {
  const consumers = new Map<string, number>();
  for (const n of family.graph.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const groups = planFusions(
    family.backend.fusions,
    steps.map((s) => ({ id: s.id, op: s.def.name, inputs: byId.get(s.id)!.inputs, ctx: s.ctx })),
    consumers,
    lossSet,
  );
  const groupAt: (FusedGroup | undefined)[] = steps.map(() => undefined);
  const groupEnding: (FusedGroup | undefined)[] = steps.map(() => undefined);
  const groupOf = new Map<string, FusedGroup>();
  for (const f of groups) {
    groupAt[f.start] = f;
    groupEnding[f.end - 1] = f;
    for (const id of f.interior) groupOf.set(id, f);
  }
  return { groupAt, groupEnding, groupOf };
}

/** What a plan runs: each node's step, the fused chains, the selection of every loss. */
interface Runnable {
  steps: Step[];
  groupAt: (FusedGroup | undefined)[];
  groupEnding: (FusedGroup | undefined)[];
  groupOf: Map<string, FusedGroup>;
  full: SelectionInternal;
}

/**
 * One batch size's plan of a compiled graph (see {@link CompiledGraph}): every tensor allocated
 * in the constructor, or (`onDemand`) each when first asked for and the rest at the first run.
 */
class HostPlan implements CompiledGraph {
  readonly params: readonly ParamEntry[];
  readonly buffers: readonly BufferEntry[];
  readonly lossNodes: readonly string[];
  readonly rng: Rng;
  private readonly byId: Map<string, NodeIR>;
  private readonly outputs = new Map<string, Tensor>();
  private readonly grads = new Map<string, Tensor>();
  private readonly workspaces = new Map<string, Record<string, Tensor>>();
  /** The nodes that get a gradient (`needsGradient`). */
  private readonly reaches: Set<string>;
  private readonly lossSet: Set<string>;
  private readonly inputNames: Set<string>;
  private readonly zero: (a: Float32Array) => void;
  private built: Runnable | null = null;
  /** The selection whose bindings the steps' contexts hold. */
  private installed: SelectionInternal | null = null;
  private lastTraining = false;
  private readonly selections = new Map<string, LossSelection>();
  private readonly groupSelections = new WeakMap<StepGroup, { sel: LossSelection; fed: readonly string[] | undefined }>();
  private readonly owned = new WeakSet<object>();
  /** The nodes whose outputs and workspaces live in the shared arena until asked for (`CompileOptions.shareFrozenActivations`). */
  private readonly transient: ReadonlySet<string>;
  /** Per transient node, its output and workspace tensors (placed in the arena, or given their own storage when pinned). */
  private readonly placed = new Map<string, Placed[]>();

  constructor(
    private readonly family: Family,
    readonly batchSize: number,
    readonly order: readonly string[],
    private readonly shapes: Record<string, number[]>,
  ) {
    const { graph, backend } = family;
    this.params = family.params;
    this.buffers = family.buffers;
    this.lossNodes = family.lossNodes;
    this.rng = family.rng;
    this.byId = new Map(graph.nodes.map((n) => [n.id, n]));
    this.zero = backend.zero ? (a: Float32Array) => backend.zero!(a) : (a: Float32Array) => a.fill(0);
    this.reaches = nodesNeedingGradients(
      order.map((id) => this.byId.get(id)!),
      family.lossNodes,
      (node) => trainsParams(family, node),
      family.gradientRoots,
    );
    this.lossSet = new Set(family.lossNodes);
    this.inputNames = new Set(graphInputs(graph).map((n) => n.id));
    this.transient = family.shareFrozen ? transientNodes(order, this.byId, this.reaches, new Set([...family.lossNodes, ...Object.values(graph.outputs ?? {})])) : new Set();
    if (!family.onDemand) this.built = this.build();
  }

  /** The steps and what they run with, built now if they were not. */
  private get run(): Runnable {
    return (this.built ??= this.build());
  }

  /** Every tensor not allocated yet (in forward order: activation, then gradient), then each node's step. */
  private build(): Runnable {
    const { family, byId, order, outputs, grads, reaches, lossSet } = this;
    for (const id of this.transient) this.placeholders(id);
    for (const id of order) {
      this.tensorOf(id);
      this.gradOf(id);
    }
    const steps = buildSteps(family, byId, order, { outputs, grads, reaches, workspaceOf: (id) => this.workspaceOf(id) });
    const lossTensors = family.lossNodes.map((id) => outputs.get(id)!);
    const lossGrads = family.lossNodes.map((id) => grads.get(id)).filter((t): t is Tensor => t !== undefined);
    const fused = planFusedGroups(family, steps, byId, lossSet);
    if (this.transient.size > 0) this.placeInArena(fused.groupAt);
    return {
      steps,
      ...fused,
      full: { lossTensors, lossGrads, unseeded: [], run: steps.map((s) => s.runBackward), samples: null, need: null, roots: null, bound: null },
    };
  }

  /** Transient node `id`'s output and workspace tensors, without storage yet (`placeInArena` gives them theirs). */
  private placeholders(id: string): void {
    const none = new Float32Array(0);
    const own: Placed[] = [{ shape: [...this.shapes[id]], data: none }];
    this.outputs.set(id, own[0]);
    const node = this.byId.get(id)!;
    const w: Record<string, Tensor> = {};
    for (const spec of getOp(node.op)!.workspace?.({ ...shapeArgs(node, this.shapes), output: this.shapes[id] }) ?? []) {
      const t: Placed = { shape: [...spec.shape], data: none };
      w[spec.name] = t;
      own.push(t);
    }
    this.workspaces.set(id, w);
    this.placed.set(id, own);
  }

  /**
   * The transient tensors' storage in the family's arena: an output is live from its node's step
   * to the last step that reads it, a workspace during its node's step, and a step inside a fused
   * chain is the whole chain's (its kernel runs the chain's steps at once); tensors live at the
   * same step never overlap (`packIntervals`).
   */
  private placeInArena(groupAt: readonly (FusedGroup | undefined)[]): void {
    const { order, byId } = this;
    const first = order.map((_, i) => i);
    const last = order.map((_, i) => i);
    groupAt.forEach((f) => {
      if (!f) return;
      for (let j = f.start; j < f.end; j++) [first[j], last[j]] = [f.start, f.end - 1];
    });
    const position = new Map(order.map((id, i) => [id, i]));
    const lastRead = new Map<string, number>();
    order.forEach((id, i) => byId.get(id)!.inputs.forEach((input) => lastRead.set(input, i)));
    const ranges: LiveRange[] = [];
    const tensors: Placed[] = [];
    for (const [id, own] of this.placed) {
      const p = position.get(id)!;
      own.forEach((t, k) => {
        ranges.push({ start: first[p], end: last[k === 0 ? (lastRead.get(id) ?? p) : p], size: sizeOf(t.shape) });
        tensors.push(t);
      });
    }
    const { offsets, floats } = packIntervals(ranges);
    const family = this.family;
    if (!family.arena || family.arena.length < floats) family.arena = this.alloc([floats]).data;
    tensors.forEach((t, k) => (t.data = family.arena!.subarray(offsets[k], offsets[k] + sizeOf(t.shape))));
  }

  /**
   * A transient node's output and workspace (and those of the fused chain it is in, whose kernel
   * may read them again, and the chain's inputs where it computes its interior outputs from them:
   * `FusedKernel.rereadsInputs`) given their own storage: its caller reads them after the forwards
   * to come.
   */
  private pin(id: string): void {
    if (!this.placed.has(id)) return;
    const i = this.order.indexOf(id);
    const f = this.built?.groupAt.find((g) => g !== undefined && g.start <= i && i < g.end);
    const ids = f ? this.order.slice(f.start, f.end) : [id];
    if (f?.kernel.rereadsInputs) for (const input of this.byId.get(ids[0])!.inputs) this.ownStorage(input);
    for (const member of ids) this.ownStorage(member);
  }

  /** Transient node `id`'s output and workspace given their own storage. */
  private ownStorage(id: string): void {
    for (const t of this.placed.get(id) ?? []) t.data = this.alloc(t.shape).data;
    this.placed.delete(id);
  }

  /**
   * A selection's step bindings and gradient clearing (at its first backward). A step's input
   * gradient outside the selection is null (the discriminator's first conv computes no dX in the
   * discriminator's step), and a step whose parameters the selection does not update is told
   * they are not read (`dParamsWanted`: the generator's step computes no dW in the
   * discriminator); where its backward (or its fused chain's) computes them anyway, they go to
   * the node's discard tensors, so the gradients a parameter keeps are always those of the last
   * step that updated it.
   */
  private bind(o: SelectionInternal): BoundSelection {
    const { family, byId, grads, lossSet } = this;
    const { steps, groupAt } = this.run;
    const chained = steps.map(() => false);
    for (const f of groupAt) if (f) for (let j = f.start; j < f.end; j++) chained[j] = true;
    const discards: Tensor[] = [];
    const bindings: StepBinding[] = steps.map((s, i) => {
      const inputs = byId.get(s.id)!.inputs;
      const all = inputs.map((id) => grads.get(id) ?? null);
      const need = o.need;
      const dInputs = need && inputs.some((id, k) => all[k] && !need.has(id)) ? all.map((t, k) => (need.has(inputs[k]) ? t : null)) : all;
      const own = family.gradsByNode.get(s.id) ?? {};
      // A frozen node's parameter gradients are never read: a gradient flowing through it (a frozen
      // layer after a trained one) computes its input gradient only, and its own are never allocated.
      const wanted = Object.keys(family.paramsByNode.get(s.id) ?? {}).length === 0 || (byId.get(s.id)!.frozen !== true && (o.roots === null || o.roots.has(s.id)));
      let dParams = own;
      if (!wanted && o.run[i] && (!s.skipsParams || chained[i])) {
        dParams = this.discardOf(s.id);
        discards.push(...Object.values(dParams));
      }
      return { dInputs, dInputsFresh: undefined, dParams, dParamsWanted: wanted, dInputsRead: undefined };
    });
    this.markChannelsRead(o, bindings, chained);
    const zeroing = planGradientZeroing(
      steps,
      byId,
      grads,
      lossSet,
      o.run,
      bindings.map((b) => b.dInputs),
      o.need ? 'keep' : 'zero',
    );
    bindings.forEach((b, i) => (b.dInputsFresh = zeroing.fresh[i]));
    const params = family.params.filter((p) => p.frozen !== true && (o.roots === null || o.roots.has(p.nodeId))).map((p) => p.grad);
    return { bindings, zeroBefore: zeroing.zeroBefore, zeroFirst: zeroing.zeroFirst, cleared: [...params, ...discards] };
  }

  /**
   * Where a step's backward reads only some channels of its output gradient (a Concat some of whose
   * inputs need no gradient: OpDef.gradientChannelsRead), tells the steps that write that gradient
   * (their `dInputsRead`). Not across a fused chain, whose kernel reads and writes as one.
   */
  private markChannelsRead(o: SelectionInternal, bindings: StepBinding[], chained: readonly boolean[]): void {
    const { steps } = this.run;
    const channels = new Map<string, readonly [number, number]>();
    steps.forEach((s, p) => {
      const needed = bindings[p].dInputs.map((t) => t !== null);
      if (!o.run[p] || chained[p] || !s.def.gradientChannelsRead || needed.every(Boolean) || !needed.some(Boolean)) return;
      const read = s.def.gradientChannelsRead(shapeArgs(this.byId.get(s.id)!, this.shapes), needed);
      if (read) channels.set(s.id, read);
    });
    if (channels.size === 0) return;
    steps.forEach((s, i) => {
      if (chained[i]) return;
      const b = bindings[i];
      const inputs = this.byId.get(s.id)!.inputs;
      const read = inputs.map((id, k) => (b.dInputs[k] === null ? undefined : channels.get(id)));
      if (read.some(Boolean)) b.dInputsRead = read;
    });
  }

  /** Node `id`'s discard tensors (`Family.discards`), allocated on first use. */
  private discardOf(id: string): Record<string, Tensor> {
    let d = this.family.discards.get(id);
    if (!d) {
      d = {};
      for (const [name, t] of Object.entries(this.family.paramsByNode.get(id) ?? {})) d[name] = this.alloc(t.shape);
      this.family.discards.set(id, d);
    }
    return d;
  }

  /** Selection `o`'s bindings into the steps' contexts (where another selection's are), bound first if they were not. */
  private install(o: SelectionInternal): BoundSelection {
    const b = (o.bound ??= this.bind(o));
    if (this.installed === o) return b;
    const steps = this.run.steps;
    for (let i = 0; i < steps.length; i++) {
      const ctx = steps[i].ctx;
      const s = b.bindings[i];
      ctx.dInputs = s.dInputs;
      ctx.dInputsFresh = s.dInputsFresh;
      ctx.dParams = s.dParams;
      ctx.dParamsWanted = s.dParamsWanted;
      ctx.dInputsRead = s.dInputsRead;
    }
    this.installed = o;
    return b;
  }

  private alloc(shape: readonly number[]): Tensor {
    return tensor(shape, this.family.backend.alloc(sizeOf(shape)));
  }

  /** A node's activation, allocated on first use. */
  private tensorOf(id: string): Tensor {
    let t = this.outputs.get(id);
    if (!t) this.outputs.set(id, (t = this.alloc(this.shapes[id])));
    return t;
  }

  /** A node's activation gradient, allocated on first use; undefined for a node that gets none. */
  private gradOf(id: string): Tensor | undefined {
    if (!this.reaches.has(id)) return undefined;
    let t = this.grads.get(id);
    if (!t) this.grads.set(id, (t = this.alloc(this.shapes[id])));
    return t;
  }

  /** A node's workspace (its op's `workspace` spec), allocated on first use. */
  private workspaceOf(id: string): Record<string, Tensor> {
    let w = this.workspaces.get(id);
    if (w) return w;
    const node = this.byId.get(id)!;
    const args = shapeArgs(node, this.shapes);
    w = {};
    for (const spec of getOp(node.op)!.workspace?.({ ...args, output: this.shapes[id] }) ?? []) w[spec.name] = this.alloc(spec.shape);
    this.workspaces.set(id, w);
    return w;
  }

  private has(nodeId: string): boolean {
    return this.shapes[nodeId] !== undefined && this.byId.has(nodeId);
  }

  input(name: string): Tensor {
    if (!this.inputNames.has(name)) throw codedError('E_NO_SUCH_INPUT', `The graph has no Input node "${name}" (inputs: ${[...this.inputNames].join(', ') || 'none'}).`);
    return this.tensorOf(name);
  }

  output(nodeId: string): Tensor {
    if (!this.has(nodeId)) throw codedError('E_NO_SUCH_NODE', `The graph has no node "${nodeId}".`);
    this.pin(nodeId);
    const t = this.tensorOf(nodeId);
    const f = this.built?.groupOf.get(nodeId);
    if (f) this.freshOutputs(f);
    return t;
  }

  grad(nodeId: string): Tensor | null {
    if (!this.has(nodeId)) throw codedError('E_NO_SUCH_NODE', `The graph has no node "${nodeId}".`);
    const f = this.built?.groupOf.get(nodeId);
    if (f?.gradsStale) {
      this.freshOutputs(f);
      f.kernel.materializeGrads();
      f.gradsStale = false;
    }
    return this.gradOf(nodeId) ?? null;
  }

  needsGradient(nodeId: string): boolean {
    if (!this.has(nodeId)) throw codedError('E_NO_SUCH_NODE', `The graph has no node "${nodeId}".`);
    return this.reaches.has(nodeId);
  }

  keepsOutput(nodeId: string): boolean {
    if (!this.has(nodeId)) throw codedError('E_NO_SUCH_NODE', `The graph has no node "${nodeId}".`);
    return !this.placed.has(nodeId);
  }

  workspace(nodeId: string): Readonly<Record<string, Tensor>> {
    if (!this.has(nodeId)) throw codedError('E_NO_SUCH_NODE', `The graph has no node "${nodeId}".`);
    this.pin(nodeId);
    return this.workspaceOf(nodeId);
  }

  forward(training: boolean, sel?: LossSelection): number {
    const run = this.run;
    const steps = run.steps;
    this.lastTraining = training;
    const o = sel ? this.own(sel) : null;
    const computed = o?.samples?.computed;
    const rows = o?.samples?.rows;
    for (let i = 0; i < steps.length; i++) {
      const f = run.groupAt[i];
      if (f) {
        // A fused chain runs whole, on all its samples, when any of its nodes is needed.
        const first = computed?.indexOf(true, f.start) ?? f.start;
        if (first < 0 || first >= f.end) {
          i = f.end - 1;
          continue;
        }
        for (let j = f.start; j < f.end; j++) steps[j].ctx.training = training && !steps[j].statsFrozen;
        f.kernel.forward();
        f.outputsStale = true;
        f.gradsStale = false;
        i = f.end - 1;
        continue;
      }
      if (computed && !computed[i]) continue;
      const s = steps[i];
      s.ctx.training = training && !s.statsFrozen;
      s.ctx.rows = rows?.[i];
      s.forward(s.ctx);
    }
    const tensors = o ? o.lossTensors : run.full.lossTensors;
    if (tensors.length === 0) return NaN;
    let loss = 0;
    for (const t of tensors) loss += t.data[0];
    return loss;
  }

  backward(sel?: LossSelection): void {
    const run = this.run;
    const o = sel ? this.own(sel) : run.full;
    const b = this.install(o);
    const zero = this.zero;
    // Backend.zero where the backend has one (a memset on the CPU backend's shared heap, where
    // TypedArray.fill is ~7× slower). The gradients of parameters the selection does not update
    // are left as they are: its steps do not write them, and they hold those of the last step
    // that updated them (what its optimizer read, and what a probe after the step shows).
    for (const t of b.cleared) zero(t.data);
    for (const t of b.zeroFirst) zero(t.data);
    // A loss outside the selection still gets a gradient tensor: it must read 0, not 1.
    for (const t of o.unseeded) zero(t.data);
    for (const t of o.lossGrads) t.data.fill(1);
    for (let i = run.steps.length - 1; i >= 0; i--) {
      const f = run.groupEnding[i];
      if (!f) {
        for (const t of b.zeroBefore[i]) zero(t.data);
        this.runBackwardStep(o, i);
        continue;
      }
      this.backwardGroup(o, b, f);
      i = f.start;
    }
  }

  selectLosses(ids: readonly string[], trainable?: readonly ParamEntry[], reads: readonly string[] = [], fed: readonly string[] = []): LossSelection {
    const key = `${ids.join('\u0000')}\u0001${trainable ? trainable.map((p) => `${p.nodeId}.${p.name}`).join('\u0000') : '*'}\u0001${reads.join('\u0000')}\u0001${fed.join('\u0000')}`;
    let sel = this.selections.get(key);
    if (!sel) {
      const { family } = this;
      for (const id of ids) if (!this.lossSet.has(id)) throw codedError('E_NOT_A_TRAINING_LOSS', `"${id}" is not one of the graph's training losses (${family.lossNodes.join(', ')}).`);
      const roots = trainable ? new Set(trainable.map((p) => p.nodeId)) : null;
      const need = pathNodes(this.byId, this.order, family, ids, roots);
      const internal: SelectionInternal = {
        lossTensors: ids.map((id) => this.tensorOf(id)),
        lossGrads: ids.map((id) => this.gradOf(id)).filter((t): t is Tensor => t !== undefined),
        unseeded: family.lossNodes.filter((id) => !ids.includes(id)).map((id) => this.gradOf(id)).filter((t): t is Tensor => t !== undefined),
        // As each step's `runBackward` (the node reaches a loss), within the selection.
        run: this.order.map((id) => this.reaches.has(id) && need.has(id)),
        samples: samplesNeeded(this.byId, this.order, this.shapes, [...ids, ...reads], new Set(fed)),
        need,
        roots,
        bound: null,
      };
      // What the caller reads after the forward, or writes before it, keeps its own storage.
      for (const id of [...reads, ...fed]) this.pin(id);
      sel = { lossNodes: [...ids], plan: internal };
      this.owned.add(internal);
      SELECTIONS.add(internal);
      this.selections.set(key, sel);
    }
    return sel;
  }

  withBatchSize(n: number): CompiledGraph {
    const cached = this.family.plans.get(n);
    if (cached) return cached;
    return planFor(this.family, n, this.order, this.family.checked.shapesAt(n));
  }

  trainStep(group: StepGroup, lr: number, phases: StepPhases): number | Promise<number> {
    let sel: LossSelection | undefined;
    if (group.losses || group.fed) {
      const had = this.groupSelections.get(group);
      // A group's fed nodes are set when the loop's feature cache is ready (after its first plans' steps, on a resume).
      sel = had && had.fed === group.fed ? had.sel : undefined;
      if (!sel) this.groupSelections.set(group, { sel: (sel = this.selectLosses(group.losses ?? this.lossNodes, group.params, group.reads, group.fed)), fed: group.fed });
    }
    return hostTrainStep(this, sel, group, lr, phases);
  }

  private own(sel: LossSelection): SelectionInternal {
    if (!this.owned.has(sel.plan as object)) throw codedError('E_FOREIGN_SELECTION', 'This loss selection was made by another plan; call selectLosses on the plan that runs it.');
    return sel.plan as SelectionInternal;
  }

  private freshOutputs(f: FusedGroup): void {
    if (!f.outputsStale) return;
    f.kernel.materializeOutputs();
    f.outputsStale = false;
  }

  private runBackwardStep(o: SelectionInternal, i: number): void {
    const s = this.run.steps[i];
    if (!o.run[i] || !s.backward) return;
    s.ctx.training = this.lastTraining && !s.statsFrozen;
    s.backward(s.ctx);
  }

  /** The backward of fused chain `f`: as one kernel when the selection runs all of it. */
  private backwardGroup(o: SelectionInternal, b: BoundSelection, f: FusedGroup): void {
    const steps = this.run.steps;
    for (let j = f.end - 1; j >= f.start; j--) for (const t of b.zeroBefore[j]) this.zero(t.data);
    let running = 0;
    for (let j = f.start; j < f.end; j++) if (o.run[j] && steps[j].backward) running++;
    if (running === f.end - f.start) {
      for (let j = f.start; j < f.end; j++) steps[j].ctx.training = this.lastTraining && !steps[j].statsFrozen;
      f.kernel.backward();
      f.gradsStale = true;
    } else if (running > 0) {
      // A selection that stops inside the chain: the ops one by one, on its written-out interior.
      this.freshOutputs(f);
      for (let j = f.end - 1; j >= f.start; j--) this.runBackwardStep(o, j);
      f.gradsStale = false;
    }
  }
}

/** Every selection's internals, whichever plan made it (for {@link selectionBackward}). */
const SELECTIONS = new WeakSet<object>();

/**
 * Per node of the plan's `order`: whether `backward(sel)` runs that node's backward. Another
 * executor that mirrors the plan (the GPU's, core/gpu/executor.ts) runs exactly these, so a
 * group's step computes the same gradients on both.
 *
 * @throws Error `E_FOREIGN_SELECTION` for an object `selectLosses` did not make.
 */
export function selectionBackward(sel: LossSelection): readonly boolean[] {
  if (!SELECTIONS.has(sel.plan as object)) throw codedError('E_FOREIGN_SELECTION', 'Not a loss selection made by selectLosses.');
  return (sel.plan as SelectionInternal).run;
}

interface SelectionInternal {
  lossTensors: Tensor[];
  lossGrads: Tensor[];
  /** Gradients of loss nodes outside the selection (zeroed instead of seeded). */
  unseeded: Tensor[];
  /** Per step (forward order): whether its backward runs. */
  run: boolean[];
  /** What its forward computes (`samplesNeeded`); null: everything (every loss's forward). */
  samples: SamplesNeeded | null;
  /** The nodes whose gradients it computes (`pathNodes`); null: every loss's backward, all that reach one. */
  need: ReadonlySet<string> | null;
  /** The nodes whose parameters it updates; null: every node's. */
  roots: ReadonlySet<string> | null;
  /** What its backward installs and clears, made at its first backward. */
  bound: BoundSelection | null;
}

interface BoundSelection {
  /** Per step (forward order). */
  bindings: StepBinding[];
  zeroBefore: Tensor[][];
  zeroFirst: Tensor[];
  /** Cleared at the top of its backward: the gradients of the parameters it updates, and the discard tensors its steps write. */
  cleared: Tensor[];
}

/** What a selection's forward computes: per step (forward order), whether it runs, and the samples of its output it computes (undefined: all). */
interface SamplesNeeded {
  computed: readonly boolean[];
  rows: readonly (readonly [number, number] | undefined)[];
}

/**
 * The nodes a forward must compute for the outputs of `roots` (a selection's losses, and the nodes
 * its caller reads), and the samples of each that are read (`OpDef.samplesRead`, elementwise ops
 * sample by sample): a GAN's generator step computes neither the discriminator's loss nor its
 * scores of the real half (its loss reads the generated half's), nor what leads only to them.
 */
function samplesNeeded(byId: Map<string, NodeIR>, order: readonly string[], shapes: Record<string, number[]>, roots: readonly string[], fed: ReadonlySet<string> = new Set()): SamplesNeeded {
  const need = new Map<string, [number, number]>();
  const widen = (id: string, [first, end]: readonly [number, number]): void => {
    if (first >= end) return;
    const had = need.get(id);
    need.set(id, had ? [Math.min(had[0], first), Math.max(had[1], end)] : [first, end]);
  };
  // A node's samples: its output's batch, or (a loss, one number) its first input's.
  const batchOf = (id: string): number => (shapes[id].length > 0 ? shapes[id][0] : (shapes[byId.get(id)!.inputs[0]]?.[0] ?? 0));
  for (const id of roots) widen(id, [0, Math.max(batchOf(id), 1)]);
  for (let i = order.length - 1; i >= 0; i--) {
    const rows = need.get(order[i]);
    if (!rows || fed.has(order[i])) continue;
    const node = byId.get(order[i])!;
    const def = getOp(node.op)!;
    const read = def.samplesRead ?? (def.elementwise ? 'each' : undefined);
    node.inputs.forEach((id, k) => {
      if (read === 'each') widen(id, rows);
      else if (read) widen(id, read(shapeArgs(node, shapes), rows)[k]);
      else widen(id, [0, Math.max(batchOf(id), 1)]);
    });
  }
  return {
    // NOTE: a fed node is never inside a fused chain that runs: the chains (BatchNorm → ReLU) are of
    // ops a frozen prefix holds whole or not at all, and a chain's interior feeds its next step alone.
    computed: order.map((id) => need.has(id) && !fed.has(id)),
    rows: order.map((id) => {
      const rows = need.get(id);
      return rows && shapes[id].length > 0 && (rows[0] > 0 || rows[1] < shapes[id][0]) ? rows : undefined;
    }),
  };
}

/**
 * Nodes on a path from a parameter (of `roots`' nodes, or any node with parameters when null) to
 * one of `losses`: the only backwards a step that updates those parameters from those losses needs
 * (frozen nodes' parameters are never roots).
 */
function pathNodes(byId: Map<string, NodeIR>, order: readonly string[], family: Family, losses: readonly string[], roots: Set<string> | null): Set<string> {
  const downstream = new Set<string>();
  for (const id of order) {
    const node = byId.get(id)!;
    if ((trainsParams(family, node) && (roots === null || roots.has(id))) || node.inputs.some((i) => downstream.has(i))) downstream.add(id);
  }
  const need = new Set<string>();
  const stack = losses.filter((id) => downstream.has(id));
  while (stack.length) {
    const id = stack.pop()!;
    if (need.has(id)) continue;
    need.add(id);
    for (const i of byId.get(id)!.inputs) if (downstream.has(i)) stack.push(i);
  }
  return need;
}

/** Whether `node` has parameters the optimizer may update (some, and the node is not frozen). */
function trainsParams(family: Family, node: NodeIR): boolean {
  return node.frozen !== true && Object.keys(family.paramsByNode.get(node.id) ?? {}).length > 0;
}

function shapeArgs(node: NodeIR, shapes: Record<string, number[]>): ShapeArgs {
  return { inputs: node.inputs.map((i) => shapes[i]), attrs: node.attrs };
}

/** FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function mix(a: number, b: number): number {
  return (Math.imul((a >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ b) >>> 0;
}

function codedError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
