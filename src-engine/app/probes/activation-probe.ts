import { isProbedOp } from '../../core/ops/categories';
import type { CompiledGraph } from '../../core/autodiff/executor';
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../../core/ops/registry';
import type { ActivationProbeEntry } from '../../protocol';
import type { ForwardReduce, TensorFigures } from '../../core/train/types';
import { compact, compactOrNull, copySummary, figuresNorm, l2Norm, summaryOf, type TensorSummarizer } from './summary';

/** A node the activation probe watches: every node except Inputs and losses. */
interface Watched {
  id: string;
  op: string;
  /** The op's flat tails (OutputTraits.saturated), when it has them. */
  saturated: { below: number; above: number } | null;
  /** Units for the dead-ReLU count: features, or channels of an `[N, C, H, W]` output. */
  units: number;
  /** Values per unit per sample (1 for features, H·W for channels). */
  inner: number;
  alive: Uint8Array | null;
  /** Whether the node is in the constant prefix (`constantPrefix`): its figures never change. */
  constant: boolean;
  /** Such a node's entry as first measured, without the gradient norm; null until then. */
  settled: ActivationProbeEntry | null;
}

/**
 * Per-layer activation histograms and statistics on the probe batch: mean, std, fraction of
 * zeros, the fraction of dead units after an op whose 0 passes no gradient (ReLU), the fraction
 * of values in an op's flat tails (Sigmoid, Tanh, Softplus: `OutputTraits`), and each node's
 * gradient norm from the last training step.
 *
 * Reads a plan that has just run `forward(false)` on the probe batch; allocates only the frame.
 * The nodes of `constant` (a constant prefix's, probe-suite.ts), whose outputs on the probe batch
 * never change, are summarised at the first `measure` and given the same figures after (the
 * plan's forwards after the first compute them no more).
 */
export class ActivationProbe {
  private readonly watched: Watched[];

  constructor(
    graph: GraphIR,
    private readonly plan: CompiledGraph,
    private readonly summarizer: TensorSummarizer,
    constant: ReadonlySet<string> = new Set(),
  ) {
    const ops = new Map(graph.nodes.map((n) => [n.id, n.op]));
    this.watched = [];
    for (const id of plan.order) {
      const op = ops.get(id)!;
      const def = getOp(op);
      if (!isProbedOp(op)) continue;
      const shape = plan.output(id).shape;
      const units = shape.length >= 2 ? shape[1] : 1;
      const inner = shape.slice(2).reduce((a, b) => a * b, 1);
      const sat = def?.output?.saturated;
      this.watched.push({
        id,
        op,
        units,
        inner,
        alive: def?.output?.deadAtZero ? new Uint8Array(units) : null,
        saturated: sat ? { below: sat.below ?? -Infinity, above: sat.above ?? Infinity } : null,
        settled: null,
        constant: constant.has(id),
      });
    }
  }

  /** Node ids in topological order. */
  get nodeIds(): string[] {
    return this.watched.map((w) => w.id);
  }

  /** What `measureFigures` needs reduced from each watched node's output (a device forward's `ForwardReduce.nodes`). */
  get reductions(): ForwardReduce['nodes'] {
    return this.watched.map((w) => ({
      id: w.id,
      ...(w.saturated ? { tails: { ...w.saturated } } : {}),
      ...(w.alive ? { units: { units: w.units, inner: w.inner } } : {}),
    }));
  }

  /**
   * `measure` from the watched nodes' figures (`reductions`, reduced on the device after its
   * probe forward), with the dLoss/dOutput norms from the training step's figures when given.
   */
  measureFigures(figures: ReadonlyMap<string, TensorFigures>, gradFigures: ReadonlyMap<string, TensorFigures> | null): ActivationProbeEntry[] {
    return this.watched.map((w) => {
      const f = figures.get(w.id)!;
      const entry: ActivationProbeEntry = { nodeId: w.id, op: w.op, shape: this.plan.output(w.id).shape.slice(1), ...summaryOf(f) };
      if (w.alive) entry.deadFrac = compact(w.units ? f.dead / w.units : 0);
      if (w.saturated) entry.saturatedFrac = compact(f.length ? f.tail / f.length : 0);
      const g = gradFigures?.get(w.id);
      if (g) entry.gradNorm = compactOrNull(figuresNorm(g));
      return entry;
    });
  }

  /**
   * Summarise every watched node's output in `this.plan`. `trainPlan` (the plan of the last
   * training step) provides dLoss/dOutput norms; pass null to leave them out.
   */
  measure(trainPlan: CompiledGraph | null): ActivationProbeEntry[] {
    const out: ActivationProbeEntry[] = [];
    for (const w of this.watched) {
      const entry = w.settled ? copySummary(w.settled) : this.summarize(w);
      if (w.constant && !w.settled) w.settled = copySummary(entry);
      const g = trainPlan?.grad(w.id);
      if (g) entry.gradNorm = compactOrNull(l2Norm(g.data));
      out.push(entry);
    }
    return out;
  }

  /** `w`'s output in the plan: its histogram, statistics, dead and saturated fractions. */
  private summarize(w: Watched): ActivationProbeEntry {
    const t = this.plan.output(w.id);
    const { hist, stats } = this.summarizer.summarize(t.data);
    const entry: ActivationProbeEntry = { nodeId: w.id, op: w.op, shape: t.shape.slice(1), hist, stats };
    if (w.alive) entry.deadFrac = compact(deadFraction(t.data, t.shape[0], w.units, w.inner, w.alive));
    if (w.saturated) {
      const { below, above } = w.saturated;
      entry.saturatedFrac = compact(tailFraction(t.data, (v) => v < below || v > above));
    }
    return entry;
  }
}

/**
 * Fraction of units that are exactly 0 for every sample of the batch (a "dead" ReLU unit passes
 * no gradient, so nothing will revive it).
 */
export function deadFraction(data: Float32Array, batch: number, units: number, inner: number, alive: Uint8Array): number {
  alive.fill(0);
  const per = units * inner;
  for (let n = 0; n < batch; n++) {
    const base = n * per;
    for (let u = 0; u < units; u++) {
      if (alive[u]) continue;
      const o = base + u * inner;
      for (let i = 0; i < inner; i++) {
        if (data[o + i] !== 0) {
          alive[u] = 1;
          break;
        }
      }
    }
  }
  let dead = 0;
  for (let u = 0; u < units; u++) if (!alive[u]) dead++;
  return units ? dead / units : 0;
}

function tailFraction(data: Float32Array, inTail: (v: number) => boolean): number {
  let k = 0;
  for (let i = 0; i < data.length; i++) if (inTail(data[i])) k++;
  return data.length ? k / data.length : 0;
}
