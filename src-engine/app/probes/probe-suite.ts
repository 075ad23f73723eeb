import type { CompiledGraph } from '../../core/autodiff/executor';
import { BatchFeeder, type Dataset, type PreparedData } from '../../core/data';
import type { GraphIR } from '../../base/ir/types';
import type { ParamProbeEntry, ProbeFrame } from '../../protocol/messages';
import { Rng } from '../../base/rng';
import { ActivationProbe } from './activation-probe';
import { DecisionBoundaryProbe } from './decision-boundary-probe';
import { GradientProbe } from './gradient-probe';
import { layerHealth } from './layer-health';
import { SampleProbe, type ScoreKind } from './sample-probe';
import { TensorSummarizer, compact, compactOrNull } from './summary';
import { WeightProbe } from './weight-probe';

/** Where the probes plug into a graph: which Inputs to feed and which node predicts. */
export interface ProbeBinding {
  featureInput: string;
  targetInput: string | null;
  predictionNode: string;
  task: 'classification' | 'reconstruction' | 'regression';
  scores: ScoreKind;
}

export interface ProbeSuiteOptions {
  batch: number;
  samples: number;
  bins: number;
  /** Decision-boundary grid side (0: off). Only used for classifiers over 2-D features. */
  boundary: number;
}

export const DEFAULT_PROBE_OPTIONS: ProbeSuiteOptions = { batch: 64, samples: 8, bins: 32, boundary: 48 };

/**
 * Every probe over one compiled graph, on a fixed probe batch: the first `batch` samples of the
 * test split (the validation split, then the training split, when it is empty), fed through the
 * run's input transform once with a fixed seed, so every frame sees the same inputs.
 *
 * Activations, sample outputs and the decision boundary come from an eval-mode forward on a
 * `withBatchSize(batch)` plan, so Dropout's stream and BatchNorm's running statistics are not
 * touched. (When `batch` equals the training batch size that plan is the training plan itself:
 * the frame is taken after the step is complete, and the next step rewrites every activation.)
 * Gradients and update ratios come from the training step itself (`GradientProbe`).
 *
 * Everything is allocated here; `capture` allocates only the frame it returns.
 */
export class ProbeSuite {
  readonly probeInputs: Float32Array;
  readonly probeTargets: Float32Array | null;
  readonly probeCount: number;
  readonly sampleCount: number;
  private readonly plan: CompiledGraph;
  private readonly activations: ActivationProbe;
  readonly gradients: GradientProbe;
  private readonly weights: WeightProbe;
  private readonly sampleProbe: SampleProbe;
  private readonly boundary: DecisionBoundaryProbe | null;

  constructor(
    graph: GraphIR,
    base: CompiledGraph,
    data: PreparedData,
    readonly binding: ProbeBinding,
    options: ProbeSuiteOptions,
    seed: number,
  ) {
    const source: Dataset = data.test.count > 0 ? data.test : data.val.count > 0 ? data.val : data.train;
    this.probeCount = Math.max(1, Math.min(options.batch, source.count));
    this.sampleCount = Math.min(options.samples, this.probeCount);
    this.plan = base.withBatchSize(this.probeCount);
    const x = this.plan.input(binding.featureInput);
    const y = binding.targetInput ? this.plan.input(binding.targetInput) : null;
    this.probeInputs = new Float32Array(x.data.length);
    this.probeTargets = y ? new Float32Array(y.data.length) : null;
    const feeder = new BatchFeeder(source, { transform: data.transform, target: data.target });
    const order = Int32Array.from({ length: this.probeCount }, (_, i) => i);
    feeder.fill(order, 0, this.probeCount, this.probeInputs, this.probeTargets, new Rng((seed ^ 0x9b0be) >>> 0));
    const summarizer = new TensorSummarizer(options.bins);
    this.activations = new ActivationProbe(graph, this.plan, summarizer);
    this.gradients = new GradientProbe(base.params);
    this.weights = new WeightProbe(base.params, summarizer);
    const labels = binding.task === 'classification' ? Array.from(source.targets.subarray(0, this.sampleCount)) : [];
    this.sampleProbe = new SampleProbe(this.plan, binding.predictionNode, this.sampleCount, binding.task, binding.scores, labels);
    const twoD = data.train.featureShape.reduce((a, b) => a * b, 1) === 2;
    this.boundary =
      options.boundary > 0 && twoD && binding.task === 'classification'
        ? new DecisionBoundaryProbe(base, binding.featureInput, binding.targetInput, binding.predictionNode, binding.scores, data.train.features, options.boundary)
        : null;
  }

  /**
   * Probe the current weights. `trainPlan` is the plan of the step just taken (its node
   * gradients feed `gradNorm`); the caller called `gradients.beforeUpdate()` before the
   * optimizer step when it wants update ratios.
   */
  capture(trainPlan: CompiledGraph | null, at: { step: number; epoch: number; loss: number }): Omit<ProbeFrame, 'runId' | 'seq'> {
    const t0 = performance.now();
    // Gradients and weights first: the eval forward below does not touch them, but it may reuse
    // the training plan's activation storage when the batch sizes coincide.
    const grads = this.gradients.measure();
    const weights = this.weights.measure();
    this.plan.input(this.binding.featureInput).data.set(this.probeInputs);
    if (this.binding.targetInput && this.probeTargets) this.plan.input(this.binding.targetInput).data.set(this.probeTargets);
    this.plan.forward(false);
    const layers = this.activations.measure(trainPlan);
    const samples = this.sampleProbe.measure();
    const params: ParamProbeEntry[] = grads.map((g, i) => ({
      nodeId: g.nodeId,
      name: g.name,
      shape: weights[i].shape,
      gradNorm: compactOrNull(g.gradNorm),
      gradMeanAbs: compactOrNull(g.gradMeanAbs),
      weightNorm: compactOrNull(g.weightNorm),
      updateRatio: compactOrNull(g.updateRatio),
      weightHist: weights[i].hist,
      weightStats: weights[i].stats,
    }));
    const boundary = this.boundary?.measure();
    const frame: Omit<ProbeFrame, 'runId' | 'seq'> = {
      step: at.step,
      epoch: at.epoch,
      loss: compactOrNull(at.loss),
      layers,
      params,
      ...(samples ? { samples } : {}),
      ...(boundary ? { boundary } : {}),
      health: layerHealth(layers, params),
      costMs: 0,
    };
    frame.costMs = compact(performance.now() - t0);
    return frame;
  }
}
