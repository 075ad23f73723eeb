import type { PreparedData, Samples } from '../data';
import { BatchFeeder } from '../data';
import { augments } from '../data/transforms';
import { getTransform } from '../../catalog/transforms/registry';
import { statisticsFrozen } from '../../base/ir/freeze';
import type { GraphIR, NodeIR, TrainingConfig } from '../../base/ir/types';
import { Rng } from '../../base/rng';
import { getOp } from '../ops/registry';
import type { FeatureCacheStatus, FeatureSpill, FeatureStore, TrainableGraph } from './types';
import type { CheckedGraph } from '../analysis/checked';

/** What the trainer caches by default: the features of a frozen backbone up to 1 GiB, as an image folder's decoded samples. */
export const FEATURE_CACHE_BYTES = 1024 * 1024 * 1024;

/**
 * A frozen, deterministic prefix of a graph (`frozenPrefix`): the nodes a training step need not
 * run when their `boundary` outputs are fed from a cache, one row per training sample.
 */
export interface FrozenPrefix {
  /** Every node of the prefix (the feature Input excluded). */
  readonly nodes: ReadonlySet<string>;
  /** The prefix's nodes whose outputs the trained part (or the loop) reads: what is cached, in forward order. */
  readonly boundary: readonly string[];
}

/** Why a graph's frozen backbone is not cached: a code and a sentence that says what to change. */
export type PrefixRefusal = Extract<FeatureCacheStatus, { state: 'off' }>;

/**
 * The frozen prefix whose outputs a run may compute once per sample (Teachable Machine's frozen
 * MobileNet run once per image): the nodes fed by the feature Input alone, directly or through
 * each other, each of them frozen or without weights, and each a function of its own sample
 * only in a training step: an op that computes sample i from sample i (`samplesRead: 'each'`,
 * an elementwise op) and draws nothing at random (`drawsInTraining`), or a frozen BatchNorm on its
 * running statistics (`statisticsFrozen`). Answers null when the graph freezes nothing, and a
 * refusal with the reason when it freezes weights this prefix does not hold (a Dropout or a
 * BatchNorm on batch statistics before them), when a random transform or augmentation changes
 * the samples before it, or when nothing after it trains.
 */
export function frozenPrefix(
  graph: GraphIR,
  featureInput: string,
  data: Pick<PreparedData<Samples>, 'transform' | 'augment'>,
  training: TrainingConfig,
  plan: { readonly params: readonly { readonly nodeId: string }[]; readonly buffers: readonly { readonly nodeId: string }[] },
): FrozenPrefix | PrefixRefusal | null {
  const weighted = new Set(plan.params.map((p) => p.nodeId));
  const buffered = new Set(plan.buffers.map((b) => b.nodeId));
  const frozenWeights = graph.nodes.filter((n) => n.frozen === true && weighted.has(n.id));
  if (frozenWeights.length === 0) return null;
  const random = drawnPerStep(data);
  if (random) return off('FEATURES_RANDOM_TRANSFORM', `${random} before the frozen layers, so their outputs differ every epoch`);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const prefix = new Set<string>();
  // Per node outside the prefix that a frozen layer reads through: why it is not in it.
  const why = new Map<string, PrefixRefusal>();
  for (const id of topological(graph)) {
    const node = byId.get(id)!;
    if (node.id === featureInput) continue;
    const fed = node.inputs.every((i) => i === featureInput || prefix.has(i));
    const inherited = node.inputs.map((i) => why.get(i)).find(Boolean);
    if (!fed) {
      if (inherited) why.set(id, inherited);
      continue;
    }
    const blocked = blockedBy(node, training, weighted.has(id), buffered.has(id));
    if (blocked) why.set(id, blocked);
    else prefix.add(id);
  }
  const outside = frozenWeights.find((n) => !prefix.has(n.id));
  if (outside) {
    const reason = why.get(outside.id);
    return reason ?? off('FEATURES_NOT_A_PREFIX', `the frozen layer "${outside.id}" reads a trained layer's output, so it runs every step`);
  }
  if (!graph.nodes.some((n) => !prefix.has(n.id) && n.frozen !== true && weighted.has(n.id))) {
    return off('FEATURES_NOTHING_TRAINS', 'no layer after the frozen ones trains');
  }
  return withBoundary(graph, prefix, topological(graph));
}

/**
 * The prefix `nodes` with its boundary: those of them a node outside it or a graph output reads,
 * in `order` (a forward order). What the feature cache keeps, and the probes' constant prefix
 * (app/probes/constant-prefix.ts) writes back.
 */
export function withBoundary(graph: GraphIR, nodes: ReadonlySet<string>, order: readonly string[]): FrozenPrefix {
  const read = new Set<string>(Object.values(graph.outputs));
  for (const n of graph.nodes) if (!nodes.has(n.id)) for (const i of n.inputs) read.add(i);
  return { nodes, boundary: order.filter((id) => nodes.has(id) && read.has(id)) };
}

/** Why `node`, fed by the prefix, cannot join it (its op's traits and its frozen state); undefined: it can. */
function blockedBy(node: NodeIR, training: TrainingConfig, weighted: boolean, keepsStatistics: boolean): PrefixRefusal | undefined {
  const def = getOp(node.op);
  if (!def || def.isLoss) return off('FEATURES_NOT_A_PREFIX', `"${node.id}" is not a layer`);
  if (node.frozen !== true && weighted) return off('FEATURES_NOT_A_PREFIX', `"${node.id}" trains`);
  if (def.drawsInTraining) return off('FEATURES_RANDOM_LAYER', `"${node.id}" (${def.name}) draws at random in training, before the frozen layers after it`);
  if (keepsStatistics) {
    if (statisticsFrozen(node, training)) return undefined;
    return off(
      'FEATURES_BATCH_STATISTICS',
      node.frozen === true
        ? `the frozen "${node.id}" (${def.name}) normalises with each batch's statistics (training.frozenBatchNorm "train"), so a sample's features depend on its batch`
        : `"${node.id}" (${def.name}) normalises with each batch's statistics, so a sample's features depend on its batch`,
    );
  }
  if (def.samplesRead === 'each' || def.elementwise) return undefined;
  return off('FEATURES_NOT_A_PREFIX', `"${node.id}" (${def.name}) reads other samples of its batch`);
}

/**
 * Why a training step's samples are not a function of their index alone, or null when they are: a
 * random input transform or data augmentation draws anew for every batch. Where they are, what a
 * sample feeds may be computed or kept once (this cache; the GPU's resident training data,
 * core/gpu/resident.ts). The sentence names what draws: `the input transform "…" changes every
 * sample at random`.
 */
export function drawnPerStep(data: Pick<PreparedData<Samples>, 'transform' | 'augment'>): string | null {
  const transform = getTransform(data.transform.kind);
  if (transform && transform.identity !== true) return `the input transform "${transform.label}" changes every sample at random`;
  if (augments(data.augment)) return 'data augmentation changes every sample at random';
  return null;
}

function off(code: PrefixRefusal['code'], reason: string): PrefixRefusal {
  return { state: 'off', code, reason };
}

/** Node ids in an order where every node comes after its inputs (the IR's node order is one; this does not assume it). */
function topological(graph: GraphIR): string[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const out: string[] = [];
  const visit = (id: string): void => {
    if (seen.has(id) || !byId.has(id)) return;
    seen.add(id);
    for (const i of byId.get(id)!.inputs) visit(i);
    out.push(id);
  };
  for (const n of graph.nodes) visit(n.id);
  return out;
}

/** A feature cache's values in memory: one float32 array. */
class MemoryStore implements FeatureStore {
  private readonly values: Float32Array;
  constructor(floats: number) {
    this.values = new Float32Array(floats);
  }
  write(at: number, values: Float32Array): void {
    this.values.set(values, at);
  }
  read(at: number, into: Float32Array): void {
    into.set(this.values.subarray(at, at + into.length));
  }
  close(): void {}
}

/**
 * The outputs of a frozen prefix's boundary for every training sample, computed once (in
 * batches, on the run's own plans, in training mode: the prefix draws nothing and reads each
 * sample alone, so this is what every step's forward would compute), each boundary node's rows
 * one after another, indexed by sample, in memory or (past the budget) in a `FeatureSpill`'s
 * file. A step then copies its samples' rows into the plan (`feed`) and runs the trained part
 * alone (`selectLosses`' `fed`).
 */
export class FeatureCache {
  /** Values per sample of each boundary node's output. */
  readonly sizes: readonly number[];
  /** Where each boundary node's rows start in the store. */
  private readonly bases: readonly number[];
  private readonly store: FeatureStore;

  private constructor(
    readonly boundary: readonly string[],
    readonly samples: number,
    sizes: number[],
    spill: FeatureSpill | undefined,
  ) {
    this.sizes = sizes;
    const bases: number[] = [];
    let floats = 0;
    for (const s of sizes) {
      bases.push(floats);
      floats += s * samples;
    }
    this.bases = bases;
    this.store = spill ? spill.open(floats) : new MemoryStore(floats);
    this.onDisk = spill !== undefined;
    this.bytes = floats * 4;
  }

  /** Whether the rows are in a file. */
  readonly onDisk: boolean;
  readonly bytes: number;

  /** Bytes the cache of `prefix` takes for `samples` samples, from a plan's output shapes. */
  static bytes(prefix: FrozenPrefix, plan: TrainableGraph, samples: number): number {
    return prefix.boundary.reduce((sum, id) => sum + perSample(plan, id) * samples * 4, 0);
  }

  /**
   * Compute the cache over `data`'s training split: batches of `plan`'s size in sample order, into
   * memory, or into `spill`'s file when given. `turn` is called between batches with the samples
   * done (the loop's progress, yield and stop): false from it stops the computation, which answers null.
   */
  static async compute<P extends TrainableGraph>(
    prefix: FrozenPrefix,
    data: PreparedData<Samples>,
    featureInput: string,
    planFor: (count: number) => P,
    batchSize: number,
    turn: (done: number) => Promise<boolean>,
    spill?: FeatureSpill,
  ): Promise<FeatureCache | null> {
    const ds = data.train;
    const first = planFor(Math.min(batchSize, ds.count));
    const cache = new FeatureCache(prefix.boundary, ds.count, prefix.boundary.map((id) => perSample(first, id)), spill);
    const feeder = new BatchFeeder(ds, { transform: data.transform, target: data.target });
    const order = Int32Array.from({ length: ds.count }, (_, i) => i);
    // The transform is the identity here (frozenPrefix refuses any other): nothing is drawn.
    const rng = new Rng(0);
    try {
      for (let start = 0; start < ds.count; start += batchSize) {
        if (!(await turn(start))) {
          cache.close();
          return null;
        }
        const count = Math.min(batchSize, ds.count - start);
        const g = planFor(count);
        const loading = feeder.ready(order, start, count, batchSize);
        if (loading) await loading;
        feeder.fill(order, start, count, g.input(featureInput).data, null, rng);
        g.forward(true, g.selectLosses([], undefined, prefix.boundary));
        prefix.boundary.forEach((id, k) => {
          const size = cache.sizes[k];
          cache.store.write(cache.bases[k] + start * size, g.output(id).data.subarray(0, count * size));
        });
      }
      await turn(ds.count);
    } catch (e) {
      // A partial cache (a spilled one is a file: a full disk, a failed batch) is let go, not left behind.
      cache.close();
      throw e;
    }
    return cache;
  }

  /** The rows of samples `order[start .. start+count)` into the boundary nodes' outputs of `plan`. */
  feed(plan: TrainableGraph, order: Int32Array, start: number, count: number): void {
    this.boundary.forEach((id, k) => {
      const size = this.sizes[k];
      const base = this.bases[k];
      const dst = plan.output(id).data;
      for (let j = 0; j < count; j++) this.store.read(base + order[start + j] * size, dst.subarray(j * size, (j + 1) * size));
    });
  }

  /** Let the rows go (a file is removed). */
  close(): void {
    this.store.close();
  }
}

/**
 * The line the Train dock and the CLI show for a run's feature cache: `backbone features cached:
 * 500 samples (25 MB, computed in 0.5 s)`, `computing backbone features: 200 of 500 samples`, or
 * `backbone features not cached: <the reason>`.
 */
export function featureCacheMessage(s: FeatureCacheStatus): string {
  if (s.state === 'computing') return `computing backbone features: ${s.done} of ${s.samples} samples`;
  if (s.state === 'off') return `backbone features not cached: ${s.reason}`;
  const mb = s.bytes / 1e6;
  return `backbone features cached${s.onDisk ? ' on disk' : ''}: ${s.samples} samples (${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB, computed in ${s.seconds.toFixed(1)} s); the frozen layers run no more`;
}

/**
 * The bytes a run's feature cache will hold in memory, for its memory estimate
 * (core/analysis/memory.ts): the boundary's outputs for every training sample where the loop will
 * cache them in memory — a frozen prefix (`frozenPrefix`, its weights and statistics found from
 * the ops' specs), more than one epoch, within `budget` — and for every validation sample where
 * those fit too; else 0 (no cache, or one on disk).
 */
export function featureCacheFootprint(checked: CheckedGraph, data: PreparedData<Samples>, featureInput: string, budget = FEATURE_CACHE_BYTES): number {
  const training = checked.training;
  if (!training || training.epochs <= 1 || data.train.count === 0) return 0;
  const shapes = checked.shapesAt(1);
  const specs = (kind: 'params' | 'buffers') =>
    checked.ir.nodes.filter((n) => (getOp(n.op)?.[kind]?.({ inputs: n.inputs.map((i) => shapes[i]), attrs: n.attrs }) ?? []).length > 0).map((n) => ({ nodeId: n.id }));
  const found = frozenPrefix(checked.ir, featureInput, data, training, { params: specs('params'), buffers: specs('buffers') });
  if (!found || 'state' in found) return 0;
  const perSample = found.boundary.reduce((sum, id) => sum + shapes[id].slice(1).reduce((a, b) => a * b, 1) * 4, 0);
  const [train, val] = [perSample * data.train.count, perSample * data.val.count];
  // The validation split's beside the training split's, where both fit (TrainingLoop's validationFeatures).
  return train > budget ? 0 : train + val <= budget ? train + val : train;
}

/** Values per sample of node `id`'s output in `plan`. */
function perSample(plan: TrainableGraph, id: string): number {
  const shape = plan.output(id).shape;
  let n = 1;
  for (let d = 1; d < shape.length; d++) n *= shape[d];
  return n;
}
