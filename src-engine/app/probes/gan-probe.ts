import { GENERATIVE_LOSS_OPS, TRAINING_ONLY_OPS } from '../../core/ops/categories';
import type { CompiledGraph } from '../../core/autodiff/executor';
import type { GraphIR } from '../../base/ir/types';
import { discriminatorOutputs } from '../../core/ops/gan-loss';
import type { GanProbeResult, GanWarning } from '../../protocol';
import { compact } from './summary';

/** The grid of fixed-noise samples a GAN frame carries (8 × 8). */
export const GAN_GRID = 64;
/** Steps before the hints judge: at initialisation the generator's outputs are all alike grey. */
export const GAN_HINT_AFTER_STEPS = 200;
/** The discriminator "wins" when it scores real samples above this and generated ones below 1 − it. */
export const GAN_D_WINS = 0.95;
/** Mode collapse: the grid's mean pairwise distance below this share of real digits' (MNIST: ~4 of ~10)… */
export const GAN_COLLAPSE_SHARE = 0.4;
/** …and below this share of the highest it reached earlier in the run: the samples became alike. */
export const GAN_COLLAPSE_DROP = 0.6;

/** Mean Euclidean distance between the `n` rows (`d` values each) of `x`. */
export function meanPairwiseDistance(x: ArrayLike<number>, n: number, d: number): number {
  if (n < 2) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = x[i * d + k] - x[j * d + k];
        s += v * v;
      }
      sum += Math.sqrt(s);
    }
  }
  return sum / ((n * (n - 1)) / 2);
}

/**
 * The two GAN hints, from the figures of one frame (docs/trainer.md "Training a GAN"):
 * the discriminator wins too fast (D(x) → 1 and D(G(z)) → 0: its loss → 0, the generator's
 * gradient says little), and mode collapse (the fixed-noise samples far more alike than real ones
 * and than they were earlier in the run: a generator still learning from grey blobs, alike too,
 * is not collapsing). `peakDiversity`: the highest diversity of the run's frames since the hints
 * began judging.
 */
export function ganHints(f: { step: number; dReal: number; dFake: number; diversity: number; realDiversity: number; peakDiversity: number }): GanWarning[] {
  if (f.step < GAN_HINT_AFTER_STEPS) return [];
  const out: GanWarning[] = [];
  if (f.dReal > GAN_D_WINS && f.dFake < 1 - GAN_D_WINS) {
    out.push({
      code: 'GAN_D_WINS',
      message: `The discriminator wins: D(x) = ${f.dReal.toFixed(2)}, D(G(z)) = ${f.dFake.toFixed(3)}; its loss is near 0 and the generator learns little from it.`,
      fix: 'Give the discriminator less: a lower learning rate in its group, fewer or narrower layers, or Dropout in it; or give the generator more capacity.',
    });
  }
  if (f.realDiversity > 0 && f.diversity < GAN_COLLAPSE_SHARE * f.realDiversity && f.diversity < GAN_COLLAPSE_DROP * f.peakDiversity) {
    out.push({
      code: 'GAN_MODE_COLLAPSE',
      message: `The samples became alike (mode collapse): their mean pairwise distance fell to ${f.diversity.toFixed(1)} from ${f.peakDiversity.toFixed(1)}; real images' is ${f.realDiversity.toFixed(1)}.`,
      fix: 'Lower the learning rates (the generator\'s first), use Adam with β₁ 0.5, add BatchNorm to the generator, or restart with another seed.',
    });
  }
  return out;
}

/**
 * A GAN's probe (a graph with a RealFakeBatch node and GANLoss nodes): after the probe batch's
 * eval forward, the generator's samples from the Noise node's fixed noise (the sample grid; a
 * conditional GAN draws each for the probe batch's label at its place: 0, 1, …, 9, 0, …),
 * D(x) and D(G(z)) from the discriminator's scores of the probe batch's real images and of those
 * samples, and the grid's diversity against that of the real images.
 */
export class GanProbe {
  private readonly count: number;
  private readonly realDiversity: number;
  private peakDiversity = 0;
  /** A conditional GAN's: the class each grid sample is asked to draw. */
  private readonly labels: number[] | undefined;

  private constructor(
    private readonly plan: CompiledGraph,
    private readonly samplesNode: string,
    private readonly scoresNode: string,
    realInputs: Float32Array,
    probeCount: number,
    labels: Float32Array | null,
  ) {
    this.count = Math.min(GAN_GRID, probeCount);
    const d = realInputs.length / probeCount;
    this.realDiversity = meanPairwiseDistance(realInputs, this.count, d);
    this.labels = labels ? Array.from(labels.subarray(0, this.count)) : undefined;
  }

  /** The nodes `measure` reads: the samples and the discriminator's scores. */
  get nodes(): string[] {
    return [this.samplesNode, this.scoresNode];
  }

  /**
   * The probe for `graph`, or null when it is not a GAN. `labels`: the probe batch's class labels
   * when the GAN is conditioned on them (its target Input), so the grid can say what each sample
   * was asked to draw.
   */
  static of(graph: GraphIR, plan: CompiledGraph, samplesNode: string, realInputs: Float32Array, probeCount: number, labels: Float32Array | null = null): GanProbe | null {
    // A GAN: a loss that reads no target (GANLoss) and a training-only construct (RealFakeBatch) feeding it.
    const loss = graph.nodes.find((n) => GENERATIVE_LOSS_OPS.has(n.op));
    if (!loss || !graph.nodes.some((n) => TRAINING_ONLY_OPS.has(n.op))) return null;
    return new GanProbe(plan, samplesNode, loss.inputs[0], realInputs, probeCount, labels);
  }

  /** Read the plan's last eval-mode forward. */
  measure(step: number): GanProbeResult {
    const out = this.plan.output(this.samplesNode);
    const size = out.data.length / out.shape[0];
    const samples = new Float32Array(out.data.subarray(0, this.count * size));
    const { dReal, dFake } = discriminatorOutputs(this.plan.output(this.scoresNode).data);
    const diversity = meanPairwiseDistance(samples, this.count, size);
    const figures = { dReal: compact(dReal), dFake: compact(dFake), diversity: compact(diversity), realDiversity: compact(this.realDiversity) };
    if (step >= GAN_HINT_AFTER_STEPS) this.peakDiversity = Math.max(this.peakDiversity, figures.diversity);
    return {
      samples,
      count: this.count,
      shape: out.shape.slice(1),
      ...figures,
      ...(this.labels ? { labels: this.labels } : {}),
      hints: ganHints({ step, ...figures, peakDiversity: this.peakDiversity }),
    };
  }
}
