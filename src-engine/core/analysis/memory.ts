import type { GraphIR, NodeIR, TrainingConfig } from '../../base/ir/types';
import { getOp } from '../ops/registry';
import { lossNodesOf, nodesNeedingGradients } from '../autodiff/gradients';
import { optimizerSlots } from '../../catalog/optimizers/registry';
import type { Diagnostic } from '../../base/ir/diagnostics';
import { inferShapes } from './infer';
import { packIntervals, transientNodes, type LiveRange } from '../autodiff/frozen-arena';
import type { CheckedGraph } from './checked';
import { probeSource } from '../data/sources';
import { isStreamed, type Samples } from '../data/types';

/**
 * A best epoch sooner than the run recorder's write interval waits for the next write as a copy
 * when the state (weights, buffers, optimizer buffers) is at most this many bytes — a small
 * model's fast epochs, where a write each would cost more than the copy; a larger one is written
 * at once, from the live tensors (app/session/run-recorder.ts).
 */
export const PENDING_BEST_MAX_BYTES = 64 * 2 ** 20;

/**
 * Copies of the weights and optimizer state a recorded session keeps besides the live ones, for a
 * state of `stateBytes`: the rollback snapshot, and a best checkpoint waiting to be written (a
 * small state's) or kept for early stopping to put back (`TrainingLoopOptions.checkpoints`).
 */
export function sessionCheckpointCopies(stateBytes: number, earlyStopping: boolean): number {
  return 1 + (earlyStopping || stateBytes <= PENDING_BEST_MAX_BYTES ? 1 : 0);
}

/**
 * What a training run of a graph holds, in float32 values, as the executor (core/autodiff/executor.ts)
 * allocates it: every weight, and the trained ones' gradients (a frozen node's are never
 * allocated); and per plan (one batch size), every node's output and workspace, and the output
 * gradients of the nodes `nodesNeedingGradients` names — none in a frozen prefix.
 */
export interface TrainingFootprint {
  /** Every parameter. */
  params: number;
  /** The parameters the optimizer updates (not frozen): they have a gradient and optimizer buffers. */
  trained: number;
  /** One plan's node outputs. */
  activations: number;
  /** One plan's output gradients. */
  gradients: number;
  /** One plan's workspaces (OpDef.workspace: a convolution's unfolded columns, a BatchNorm's normalised input). */
  workspace: number;
  /**
   * Of `activations` and `workspace`, those of the nodes no backward reads (a frozen prefix:
   * `transientNodes`), which the training loop's plans keep in one shared arena instead
   * (`CompileOptions.shareFrozenActivations`); absent: 0.
   */
  transient?: number;
  /** What that arena holds at most: the most of them live at once in a forward (`packIntervals`); absent: 0. */
  arena?: number;
}

/** Values in a tensor of `shape`; an open batch dimension (-1: shapes inferred without a batch size) counts as one sample. */
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * (b < 0 ? 1 : b), 1);

/**
 * A graph's {@link TrainingFootprint} at the batch size of the shapes given (every node's output shape, as
 * `analyzeGraph` or `CheckedGraph.shapesAt` infers them). Nodes whose shape is unknown (a design
 * with errors) count nothing.
 *
 * @param nodes the graph's nodes in a topological order (attribute defaults filled).
 */
export function trainingFootprint(graph: Pick<GraphIR, 'training'> & Partial<Pick<GraphIR, 'outputs'>> & { nodes: readonly NodeIR[] }, shapes: Readonly<Record<string, readonly number[]>>): TrainingFootprint {
  const f: TrainingFootprint = { params: 0, trained: 0, activations: 0, gradients: 0, workspace: 0, transient: 0, arena: 0 };
  const sizes = new Map<string, number[]>();
  const shapeOf = (id: string) => (Object.hasOwn(shapes, id) ? shapes[id] : undefined);
  const paramsOf = new Map<string, number>();
  for (const node of graph.nodes) {
    const def = getOp(node.op);
    const output = shapeOf(node.id);
    const inputs = node.inputs.map(shapeOf);
    if (!def || !output || inputs.some((s) => !s)) continue;
    const args = { inputs: inputs as number[][], attrs: node.attrs };
    try {
      const p = (def.params?.(args) ?? []).reduce((a, s) => a + count(s.shape), 0);
      paramsOf.set(node.id, p);
      f.params += p;
      if (node.frozen !== true) f.trained += p;
      f.activations += count(output);
      const own = [count(output)];
      for (const w of def.workspace?.({ ...args, output: [...output] }) ?? []) {
        f.workspace += count(w.shape);
        own.push(count(w.shape));
      }
      sizes.set(node.id, own);
    } catch {
      // A rule that throws on this design: the analysis reports it; it counts nothing here.
    }
  }
  const losses = lossNodesOf({ nodes: [...graph.nodes], training: graph.training });
  const needing = nodesNeedingGradients(graph.nodes, losses, (n) => n.frozen !== true && (paramsOf.get(n.id) ?? 0) > 0);
  for (const id of needing) f.gradients += count(shapeOf(id) ?? []);
  sharedArena(f, graph.nodes, sizes, needing, new Set([...losses, ...Object.values(graph.outputs ?? {})]));
  return f;
}

/** The longest chain of ops a backend runs as one kernel (core/backend/fusion.ts; the CPU backend's BatchNorm → ReLU → MaxPool2d). */
const LONGEST_FUSION = 3;

/**
 * `f.transient` and `f.arena`: the outputs and workspaces the training loop's plans share
 * (core/autodiff/frozen-arena.ts), each output live from its node to the last node that reads it,
 * each workspace at its node, packed as the executor packs them. A step inside a fused chain is the
 * whole chain's there; which chains a backend fuses is its own, so here a step counts as live
 * across every chain of up to LONGEST_FUSION nodes it may be in (each read alone by the next,
 * which reads nothing else): a little more than the CPU backend's plan holds (resnet18's frozen
 * backbone at batch 64: 0.61 GiB counting no chain, 0.80 GiB allocated).
 */
function sharedArena(f: TrainingFootprint, nodes: readonly NodeIR[], sizes: ReadonlyMap<string, number[]>, needing: ReadonlySet<string>, keep: ReadonlySet<string>): void {
  const order = nodes.filter((n) => sizes.has(n.id)).map((n) => n.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const transient = transientNodes(order, byId, needing, keep);
  const position = new Map(order.map((id, i) => [id, i]));
  const lastRead = new Map<string, number>();
  const readers = new Map<string, number>();
  order.forEach((id, i) =>
    byId.get(id)!.inputs.forEach((input) => {
      lastRead.set(input, i);
      readers.set(input, (readers.get(input) ?? 0) + 1);
    }),
  );
  // Each step's run of linked steps (each read alone by the next, which reads nothing else), then
  // the steps any fused chain within it that holds the step may span: [first, last].
  const run = order.map((_, i) => i);
  for (let i = 1; i < order.length; i++) {
    const inputs = byId.get(order[i])!.inputs;
    if (inputs.length === 1 && inputs[0] === order[i - 1] && readers.get(order[i - 1]) === 1) run[i] = run[i - 1];
  }
  const runEnd = [...run];
  for (let i = order.length - 2; i >= 0; i--) runEnd[i] = run[i + 1] === run[i] ? runEnd[i + 1] : i;
  const first = order.map((_, i) => Math.max(run[i], i - (LONGEST_FUSION - 1)));
  const last = order.map((_, i) => Math.min(runEnd[i], i + (LONGEST_FUSION - 1)));
  const ranges: LiveRange[] = [];
  for (const id of transient) {
    const p = position.get(id)!;
    sizes.get(id)!.forEach((size, k) => ranges.push({ start: first[p], end: last[k === 0 ? (lastRead.get(id) ?? p) : p], size }));
  }
  f.transient = ranges.reduce((a, r) => a + r.size, 0);
  f.arena = packIntervals(ranges).floats;
}

/** What a run's memory estimate is made of (`estimateRunMemory`). */
export interface RunMemoryInputs {
  /** What the run holds at its batch size (`trainingFootprint`). */
  footprint: TrainingFootprint;
  /**
   * The run's plans at its other batch sizes (`otherBatchSizes`: each split's partial last batch),
   * each allocated whole and kept; absent (the data unknown): one more at the run's batch.
   */
  otherPlans?: readonly TrainingFootprint[];
  /** Buffers the optimizer keeps per trained parameter (Adam 2, SGD with momentum 1; `optimizerSlots`). */
  optimizerSlots: number;
  /**
   * Copies of the weights and optimizer state kept while training besides the live ones: a
   * session's rollback snapshot, and a best checkpoint kept for early stopping or waiting to be
   * written (`sessionCheckpointCopies`).
   */
  checkpointCopies: number;
  /**
   * Copies of the trained weights kept while training: the gradient probe's, of the weights before
   * a probed step (its update ratio, app/probes/gradient-probe.ts); 0 without probes.
   */
  weightCopies?: number;
  /** What the engine holds already, measured (its resident memory with the data loaded), or 0. */
  residentBytes: number;
  /**
   * A set streamed from disk: the bytes of decoded samples it may come to hold while training (its
   * memory budget: cache and prefetched batches), which `residentBytes` has not seen yet; else 0.
   */
  streamedDataBytes?: number;
  /**
   * What the activation probes add (`probeActivationBytes` at their batch, `probeBatchSize`): they
   * ask for every layer's output at the probe batch; 0 without probes.
   */
  probeActivationBytes?: number;
  /** A frozen backbone's features the loop keeps in memory (core/train/feature-cache.ts, `featureCacheBytes`); else 0. */
  featureCacheBytes?: number;
}

/** A run's peak memory estimate in bytes, and its parts (for the message and the bench). */
export interface RunMemoryEstimate {
  bytes: number;
  parts: { resident: number; model: number; checkpoints: number; probes: number; activations: number; scratch: number; data: number; features: number };
}

/**
 * A checked graph's nodes in its order with its training and outputs, as `trainingFootprint` and
 * `trainingMemoryVerdict` take them, and its footprint at any batch (undefined where a shape rule
 * refuses that size).
 */
export function checkedDesign(g: CheckedGraph): { design: Pick<GraphIR, 'training' | 'outputs'> & { nodes: readonly NodeIR[] }; footprintAt(n: number): TrainingFootprint | undefined } {
  const byId = new Map(g.ir.nodes.map((n) => [n.id, n]));
  const design = { training: g.training, outputs: g.ir.outputs, nodes: g.order.map((id) => byId.get(id)!) };
  return {
    design,
    footprintAt(n) {
      try {
        return trainingFootprint(design, g.shapesAt(n));
      } catch {
        return undefined;
      }
    },
  };
}

/** Samples a probe batch asks for (ProbeSuite's `batch`, app/probes DEFAULT_PROBE_OPTIONS). */
export const PROBE_BATCH = 64;
/** What decides the probes' batch besides the design: the samples of the split they draw from, and the batch the run asks for (`ProbeOptions.batch`), if any. */
export interface ProbeBatchRequest {
  samples?: number;
  requested?: number;
}
/** The probe batch's request for a run on `data` (the split `probeSource` picks; `requested`: `ProbeOptions.batch`): one rule for Start's estimate and the probes' own batch. */
export function probeBatchRequest(data: { train: { count: number }; val: { count: number }; test: { count: number } }, requested?: number): ProbeBatchRequest {
  return { samples: probeSource(data).count, ...(requested !== undefined ? { requested } : {}) };
}

/** The training, validation and test splits' sizes (`RunMemorySetup.splitCounts`). */
export function splitCountsOf(data: { train: { count: number }; val: { count: number }; test: { count: number } }): number[] {
  return [data.train.count, data.val.count, data.test.count];
}
/** Fewest samples it keeps where memory makes it smaller: the Samples tab's eight. */
const PROBE_LEAST = 8;
/** The most the activation probes may add to a run's memory where a smaller probe batch helps (`probeBatchSize`). */
export const PROBE_ACTIVATION_BYTES = 512 * 2 ** 20;

/**
 * What the activation probes add to a run at `batch` with `probe` samples (footprint `f` at
 * `probe`): at the run's own batch they read its plan, whose outputs the backward keeps anyway,
 * and keep a frozen prefix's too (`transient`, which the plans otherwise share in one arena); at
 * another, a plan of their own: its outputs, gradients and workspaces.
 */
export function probeActivationBytes(f: TrainingFootprint, probe: number, batch: number): number {
  return 4 * (probe === batch ? (f.transient ?? 0) : f.activations + f.gradients + f.workspace);
}

/**
 * The activation probes' batch for a run at `batch` (ProbeSuite's plan; the memory estimate
 * counts what it adds): the batch the run asks for, if it does; else PROBE_BATCH samples (the
 * probe split's `samples` at most) where what they add fits PROBE_ACTIVATION_BYTES, as every
 * example design's does; else the run's own batch where that fits or adds less; else the most
 * samples that fit, down to eight. `footprintAt(n)`: the design's footprint at batch n. (A probe
 * batch the size of a split's partial batch shares that plan; the estimate counts it twice.)
 *
 * NOTE (why): 64 samples at any size made the probes of resnet18 at 224×224 a plan of 64 samples
 * beside a run at batch 16 (its outputs and gradients, ~7 GB: the engine's 4 GiB heap ran out at
 * Start, CPU001), and at batch 64 with the backbone frozen kept all of the backbone's outputs
 * (3.9 GB of a 4.6 GB run; a first frame of 5 s).
 */
export function probeBatchSize(batch: number, probes: ProbeBatchRequest, footprintAt: (n: number) => TrainingFootprint | undefined): { size: number; bytes: number } {
  const full = Math.max(1, Math.min(probes.requested ?? PROBE_BATCH, probes.samples ?? PROBE_BATCH));
  const cost = (n: number): number => {
    const f = footprintAt(n);
    return f ? probeActivationBytes(f, n, batch) : Infinity;
  };
  const first = cost(full);
  // A batch the run asks for (`ProbeOptions.batch`) is taken as it is.
  if (first <= PROBE_ACTIVATION_BYTES || probes.requested !== undefined) return { size: full, bytes: first };
  const own = batch < full ? cost(batch) : Infinity;
  if (own <= PROBE_ACTIVATION_BYTES) return { size: batch, bytes: own };
  // The most samples below `full` whose own plan fits (a plan's grows with its samples).
  const separate = (n: number): number => {
    const f = footprintAt(n);
    return f ? probeActivationBytes(f, n, -1) : Infinity;
  };
  let lo = Math.min(PROBE_LEAST, full);
  let hi = full;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (separate(mid) <= PROBE_ACTIVATION_BYTES) lo = mid;
    else hi = mid;
  }
  const chosen = cost(lo);
  return own < chosen ? { size: batch, bytes: own } : { size: lo, bytes: chosen };
}

/** What one plan allocates of its own: outputs, gradients and workspaces but a frozen prefix's (the plans' shared arena). */
const planFloats = (f: TrainingFootprint): number => f.activations + f.gradients + f.workspace - (f.transient ?? 0);

/**
 * The batch sizes a run's plans take besides `batch`: each split's last, partial batch (training,
 * and the evaluations of validation and test; the loop's `planFor`), each a plan allocated whole
 * and kept for the run. resnet18 trained whole at batch 16 on 362/39/99 images made plans of 16,
 * 10, 7 and 3 samples: 3.4 GiB of the engine's 4 GiB heap, where the estimate said 2.7.
 */
export function otherBatchSizes(batch: number, splitCounts: readonly number[]): number[] {
  return [...new Set(splitCounts.map((n) => n % batch).filter((r) => r > 0))];
}

/**
 * The most memory a run will hold at once: what the engine holds now (code, the loaded data), the
 * model on the backend (weights, the trained ones' gradients and optimizer buffers), the copies of
 * its state kept while it trains, the probes' copy of the trained weights, the plans' activations,
 * workspaces and output gradients (the batch's, and the splits' partial batches' plans, `otherPlans`,
 * else one more) but for a frozen prefix's, which the plans share in one arena, what the activation
 * probes add at their batch (`probeBatchSize`), the kernels' scratch beside them
 * (KERNEL_SCRATCH_SHARE), a streamed set's memory budget, and a frozen backbone's cached
 * features. Float32 throughout. `bench/memory.ts` and `bench/finetune-journey.ts` compare it
 * with the engine's measured peak.
 */
export function estimateRunMemory(m: RunMemoryInputs): RunMemoryEstimate {
  const f = m.footprint;
  const parts = {
    resident: m.residentBytes,
    model: 4 * (f.params + f.trained * (1 + m.optimizerSlots)),
    checkpoints: 4 * (f.params + f.trained * m.optimizerSlots) * m.checkpointCopies,
    probes: 4 * f.trained * (m.weightCopies ?? 0),
    activations: 4 * (planFloats(f) + (m.otherPlans ?? [f]).reduce((a, o) => a + planFloats(o), 0) + (f.arena ?? 0)) + (m.probeActivationBytes ?? 0),
    scratch: 0,
    data: m.streamedDataBytes ?? 0,
    features: m.featureCacheBytes ?? 0,
  };
  // The kernels' scratch lives in the backend's heap beside the plans: it is the process's memory too.
  parts.scratch = parts.activations * KERNEL_SCRATCH_SHARE;
  return { bytes: parts.resident + parts.model + parts.checkpoints + parts.probes + parts.activations + parts.scratch + parts.data + parts.features, parts };
}

/** How much memory a run may use: the machine's share (NETWRIGHT_MEMORY_SHARE) and what the compute backend's own memory can grow to. Absent: no limit. */
export interface MemoryLimits {
  machineBytes?: number;
  backendBytes?: number;
}

/**
 * What the engine process holds as a run starts, less its array buffers: the runtime, its code and
 * heap (`rss − arrayBuffers`, as `process.memoryUsage()` gives them), and what it keeps of the data
 * (`dataBytes`: `heldDataBytes`). The buffers are counted by arithmetic, not read, because a copy
 * let go may not be collected yet (#82).
 */
export interface EngineResidence {
  baseBytes: number;
  dataBytes: number;
}

/**
 * The engine's resident memory for a run (`RunMemorySetup.residentBytes`): its base, the data it
 * keeps, and the design's weights as read, 4 bytes a parameter. One sum for `netwright train`
 * (node/train-design.ts), the app's Start (app/handlers/runs.ts) and the status bar's figure
 * (the Train dock's preview answers `EngineResidence` for its data), so each is an estimate of
 * the engine's peak resident memory.
 *
 * @example residentForRun({ baseBytes: 150 * 2 ** 20, dataBytes: 40 * 2 ** 20 }, 11_178_117) // 150 MiB + 40 MiB + 42.6 MiB
 */
export function residentForRun(residence: EngineResidence, params: number): number {
  return Math.max(0, residence.baseBytes) + residence.dataBytes + 4 * params;
}

/** Samples and targets of a split in memory: a streamed split's targets only (its samples are its memory budget's, `streamedDataBytes`). */
function splitBytes(s: Samples | undefined): number {
  if (!s) return 0;
  return s.targets.byteLength + (isStreamed(s) ? 0 : s.features.byteLength);
}

/**
 * The bytes of data the engine keeps for a run: the prepared splits and, when the loaded set stays
 * held beside them (`kept`: the app's image-folder cache, kept for the Train dock's previews; not
 * `netwright train`'s folder, read for its one run and prepared in place), the loaded set too.
 */
export function heldDataBytes(data: { train: Samples; val: Samples; test: Samples }, kept?: { train: Samples; val?: Samples; test?: Samples }): number {
  const splits = splitBytes(data.train) + splitBytes(data.val) + splitBytes(data.test);
  return splits + (kept ? splitBytes(kept.train) + splitBytes(kept.val) + splitBytes(kept.test) : 0);
}

/** What a run holds besides its design, and what it is measured against (`trainingMemoryVerdict`). */
export interface RunMemorySetup {
  training: Pick<TrainingConfig, 'earlyStopping'>;
  /** The most buffers any of its optimizers keeps per parameter (`optimizerSlots`). */
  optimizerSlots: number;
  /** Whether it runs probes (the gradient probe's copy of the weights, the activation probes' batch). */
  probed?: boolean;
  /** With `probed`: what else decides their batch (`probeBatchSize`). */
  probeBatch?: ProbeBatchRequest;
  /** The samples of the training, validation and test splits, where the data is loaded: their partial batches' plans are counted (`otherBatchSizes`); else one more plan at the batch. */
  splitCounts?: readonly number[];
  residentBytes?: number;
  streamedDataBytes?: number;
  /** A frozen backbone's features the loop will keep in memory (`featureCacheFootprint`, core/train/feature-cache.ts); else 0. */
  featureCacheBytes?: number;
}

/**
 * What a compute backend's kernels hold besides the plans, as a share of the activations, which its
 * memory must have room for: the CPU backend's per-thread packing and Winograd's transformed tiles
 * and products, which grow with the batch. Measured on resnet18 trained whole at 224×224: 0.21 GiB
 * beside 3.19 of model and activations at batch 16 (heap 3.40), 0.20 beside 3.77 at batch 24
 * (heap 3.97 of the 4.00 it may grow to): 6–7 % of the activations.
 */
export const KERNEL_SCRATCH_SHARE = 0.08;

/** Whether a run fits, and if not, which limit it passes and the largest batch that fits. */
export interface MemoryVerdict {
  batchSize: number;
  estimate: RunMemoryEstimate;
  /** The model and activations, and its kernels' scratch (KERNEL_SCRATCH_SHARE): what the compute backend's own memory holds. */
  onBackend: number;
  /** Absent: it fits. */
  over?: 'backend' | 'machine';
  /** With `over`: the largest batch below `batchSize` that fits (0: none does). */
  largestBatch?: number;
  /** With `over`: what Start answers and Problems shows (code `E_TRAIN_TOO_MUCH_MEMORY`). */
  message?: string;
}

/**
 * One verdict on a run's memory, for the Problems panel (the design as it stands) and for Start
 * (`train.start`, again with the data loaded): its estimate at `batchSize` (`estimateRunMemory`)
 * against the limits, and when it does not fit, the largest batch that does (a search over
 * `shapesAt`; none when it cannot infer other sizes).
 *
 * @param shapesAt every node's output shape at a batch size, or undefined where it cannot say.
 */
export function trainingMemoryVerdict(
  graph: Pick<GraphIR, 'training'> & Partial<Pick<GraphIR, 'outputs'>> & { nodes: readonly NodeIR[] },
  shapesAt: (batch: number) => Readonly<Record<string, readonly number[]>> | undefined,
  batchSize: number,
  setup: RunMemorySetup,
  limits: MemoryLimits,
): MemoryVerdict {
  // Each size's footprint once: the search for the largest batch, the partial batches' plans and
  // the probe batch ask for the same sizes again and again.
  const footprints = new Map<number, TrainingFootprint | undefined>();
  const footprintAt = (n: number): TrainingFootprint | undefined => {
    if (!footprints.has(n)) {
      const shapes = shapesAt(n);
      footprints.set(n, shapes && trainingFootprint(graph, shapes));
    }
    return footprints.get(n);
  };
  const at = (b: number): { estimate: RunMemoryEstimate; onBackend: number; over?: 'backend' | 'machine' } | undefined => {
    const footprint = footprintAt(b);
    if (!footprint) return undefined;
    const stateBytes = 4 * (footprint.params + footprint.trained * setup.optimizerSlots);
    const probes = setup.probed === true ? probeBatchSize(b, setup.probeBatch ?? {}, footprintAt) : undefined;
    const others = setup.splitCounts ? otherBatchSizes(b, setup.splitCounts).map(footprintAt) : undefined;
    if (others?.some((o) => o === undefined)) return undefined;
    const estimate = estimateRunMemory({
      footprint,
      ...(others ? { otherPlans: others as TrainingFootprint[] } : {}),
      optimizerSlots: setup.optimizerSlots,
      checkpointCopies: sessionCheckpointCopies(stateBytes, Boolean(setup.training.earlyStopping)),
      weightCopies: setup.probed ? 1 : 0,
      probeActivationBytes: probes ? probes.bytes : 0,
      residentBytes: setup.residentBytes ?? 0,
      streamedDataBytes: setup.streamedDataBytes ?? 0,
      featureCacheBytes: setup.featureCacheBytes ?? 0,
    });
    const onBackend = estimate.parts.model + estimate.parts.activations + estimate.parts.scratch;
    const over = limits.backendBytes !== undefined && onBackend > limits.backendBytes ? 'backend' : limits.machineBytes !== undefined && estimate.bytes > limits.machineBytes ? 'machine' : undefined;
    return { estimate, onBackend, ...(over ? { over } : {}) };
  };
  const here = at(batchSize) ?? { estimate: estimateRunMemory({ footprint: { params: 0, trained: 0, activations: 0, gradients: 0, workspace: 0 }, optimizerSlots: 0, checkpointCopies: 0, residentBytes: 0 }), onBackend: 0 };
  const verdict: MemoryVerdict = { batchSize, estimate: here.estimate, onBackend: here.onBackend };
  if (!here.over) return verdict;
  verdict.over = here.over;
  // The largest batch that fits (a size a shape rule refuses counts as not fitting; where the
  // shapes are unknown, there is no answer).
  const fitsAt = (b: number): boolean | undefined => {
    try {
      const r = at(b);
      return r && !r.over;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let known = true;
  if (setup.splitCounts) {
    // NOTE: with the splits' partial batches counted, memory does not grow with the batch (resnet18
    // whole on 362/39/99 images: 2.2 GiB on the backend at batch 19, remainders 1, 1 and 4; 5.5 at
    // 23, remainders 17, 16 and 7), so each size below is tried, from the largest (once, at Start).
    for (let b = batchSize - 1; b >= 1 && lo === 0 && known; b--) {
      const fits = fitsAt(b);
      if (fits === undefined) known = false;
      else if (fits) lo = b;
    }
  } else {
    // Memory grows with the batch: a binary search.
    let hi = batchSize;
    while (known && hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const fits = fitsAt(mid);
      if (fits === undefined) known = false;
      else if (fits) lo = mid;
      else hi = mid;
    }
  }
  if (known) verdict.largestBatch = lo;
  verdict.message = memoryMessage(verdict, limits);
  return verdict;
}

/** A refusal's text: what the run needs, its parts, the limit it passes, and what to do. */
function memoryMessage(v: MemoryVerdict, limits: MemoryLimits): string {
  const p = v.estimate.parts;
  const parts = `the model with its gradients and optimizer state ${formatGiB(p.model)}, activations ${formatGiB(p.activations)}`;
  const advice =
    v.largestBatch === undefined
      ? 'Use smaller layers or a smaller batch.'
      : v.largestBatch > 0
        ? `Batch ${v.largestBatch} is the largest that fits; or freeze more layers, or use smaller ones.`
        : 'No batch size fits: freeze more layers, or use smaller ones.';
  if (v.over === 'backend') {
    return `Training this design at batch ${v.batchSize} needs ${formatGiB(v.onBackend)} on the compute backend (${parts}, its kernels' scratch ${formatGiB(v.onBackend - p.model - p.activations)}), more than the ${formatGiB(limits.backendBytes!)} its memory can grow to (the CPU backend's WebAssembly memory). ${advice}`;
  }
  return `Training this design at batch ${v.batchSize} needs about ${formatGiB(v.estimate.bytes)} (${parts}, checkpoints ${formatGiB(p.checkpoints)}${p.probes ? `, the probes' copy of the weights ${formatGiB(p.probes)}` : ''}${p.resident ? `, the engine and its data ${formatGiB(p.resident)}` : ''}${p.data ? `, decoded images of the folder streamed from disk ${formatGiB(p.data)} (its memory budget)` : ''}${p.features ? `, the frozen backbone's cached features ${formatGiB(p.features)}` : ''}), more than the ${formatGiB(limits.machineBytes!)} Netwright may use on this machine (NETWRIGHT_MEMORY_SHARE of its memory). ${advice}`;
}

/** `n` bytes as GiB or MiB, for messages. */
export function formatGiB(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(n / 2 ** 20)} MiB`;
}

/** The most buffers any optimizer of a run keeps per parameter (its groups' included). */
export function runOptimizerSlots(t: Pick<TrainingConfig, 'optimizer' | 'groups'>): number {
  const slots = (o: TrainingConfig['optimizer'] | undefined) => {
    try {
      return o ? optimizerSlots(o) : 0;
    } catch {
      return 2; // a kind no file declares (the analysis reports it): as Adam
    }
  };
  return Math.max(slots(t.optimizer), ...(t.groups ?? []).map((q) => slots(q.optimizer)));
}

/**
 * What the Problems panel knows of the run Start would make besides the design: the splits' sizes
 * (the dataset preview's, when it is the design's data) and the probes (on, and the samples their
 * batch draws from), as Start counts them once the data is loaded.
 */
export interface DesignRun {
  splitCounts?: readonly number[];
  probes?: ProbeBatchRequest;
  /** What the engine would keep for the run (the dataset preview's `engine`): counted as Start counts it (`residentForRun`). */
  residence?: EngineResidence;
}

/**
 * The Problems panel's memory verdict on a design as analysed (`analyzeGraph`): Start's check
 * (`train.start`, app/handlers/context.ts `checkMemory`) with what `run` tells of the run (its
 * splits' partial batches, its probes, what the engine would keep for it, weights as read included,
 * `params` of them; without them, as Start's first check before the data is loaded) and the limits the engine answers in its hello (`EngineInfo.memory`), as an error
 * diagnostic when it would refuse. Other batch sizes' shapes are inferred from the normalised
 * graph when it has no errors.
 */
export function designMemoryVerdict(
  analysis: { graph?: GraphIR; order?: readonly string[]; shapes: Readonly<Record<string, readonly number[]>>; params?: number },
  raw: GraphIR,
  batchSize: number,
  limits: MemoryLimits,
  run: DesignRun = {},
): { verdict: MemoryVerdict; diagnostic?: Diagnostic } {
  const g = analysis.graph ?? raw;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const nodes = analysis.order && analysis.graph ? analysis.order.map((id) => byId.get(id)!) : g.nodes;
  const sorted = analysis.order && analysis.graph ? nodes : undefined;
  const shapesAt = (b: number) => (b === batchSize ? analysis.shapes : sorted ? inferShapes(sorted, { batchSize: b }).shapes : undefined);
  const t = g.training;
  const setup: RunMemorySetup = {
    training: t ?? {},
    optimizerSlots: t?.optimizer ? runOptimizerSlots(t) : 2,
    ...(run.splitCounts ? { splitCounts: run.splitCounts } : {}),
    ...(run.probes ? { probed: true, probeBatch: run.probes } : {}),
    ...(run.residence ? { residentBytes: residentForRun(run.residence, analysis.params ?? 0) } : {}),
  };
  const verdict = trainingMemoryVerdict({ nodes, training: t, outputs: g.outputs }, shapesAt, batchSize, setup, limits);
  return verdict.message ? { verdict, diagnostic: { code: 'E_TRAIN_TOO_MUCH_MEMORY', severity: 'error', message: verdict.message } } : { verdict };
}
