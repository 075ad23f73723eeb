import type { CompiledGraph } from '../../core/autodiff/executor';
import { BatchFeeder, isStreamed, type Dataset, type PreparedData, type Samples } from '../../core/data';
import { probeSource } from '../../core/data/sources';
import type { GraphIR } from '../../base/ir/types';
import { PROBE_BATCH } from '../../core/analysis/memory';
import { getOp } from '../../core/ops/registry';
import type { DecisionBoundary, ParamProbeEntry, ProbeFrame } from '../../protocol';
import type { DeviceCapture, DeviceStep, ForwardReduce, StepFigures, TrainableGraph } from '../../core/train/types';
import { Rng } from '../../base/rng';
import { ActivationProbe } from './activation-probe';
import { DecisionBoundaryProbe } from './decision-boundary-probe';
import { GanProbe } from './gan-probe';
import { GradientProbe } from './gradient-probe';
import { layerHealth } from './layer-health';
import { PrefixProbeForward, constantPrefix } from './constant-prefix';
import { SampleProbe } from './sample-probe';
import { SequenceProbe } from './sequence-probe';
import type { GraphBinding } from '../../core/train/binding';
import { TensorSummarizer, compact, compactOrNull } from './summary';
import { WeightProbe } from './weight-probe';
import { hasClasses } from '../../catalog/tasks';

export interface ProbeSuiteOptions {
  batch: number;
  samples: number;
  bins: number;
  /** Decision-boundary grid side (0: off). Only used for classifiers over 2-D features. */
  boundary: number;
  /**
   * What a frozen backbone shows, computed at the first frame only (default true), to the same
   * frames: its layers' outputs on the probe batch (a constant prefix, `constantPrefix`: the
   * frames after run only the layers after it) and its weights' figures. `false` computes
   * everything every frame (the comparison in the tests).
   */
  frozenOnce?: boolean;
}

export const DEFAULT_PROBE_OPTIONS: ProbeSuiteOptions = { batch: PROBE_BATCH, samples: 8, bins: 32, boundary: 48 };

/** The network's outputs: every node a loss compares (its inputs) and every named output that is not a loss. */
export function outputNodes(graph: Pick<GraphIR, 'nodes' | 'outputs'>): Set<string> {
  const out = new Set<string>();
  for (const n of graph.nodes) if (getOp(n.op)?.isLoss) for (const s of n.inputs) out.add(s);
  for (const id of Object.values(graph.outputs)) {
    const n = graph.nodes.find((m) => m.id === id);
    if (n && !getOp(n.op)?.isLoss) out.add(id);
  }
  return out;
}

/**
 * Which samples of `source` the probe batch holds. Classification takes the classes in turn (the
 * first sample of each class, then the second of each, …, in dataset order), so the shown samples
 * cover every class even when a split is sorted by class (iris's test split starts with 10
 * setosa: a perfect model then showed only "setosa"). Other tasks take the first `count` samples.
 */
export function probeOrder(source: Pick<Dataset, 'count' | 'targets'>, count: number, classification: boolean): Int32Array {
  const order = new Int32Array(count);
  if (!classification || source.targets.length < source.count) {
    for (let i = 0; i < count; i++) order[i] = i;
    return order;
  }
  // Bounded scan: the first few thousand samples hold every class of the shipped datasets.
  const scan = Math.min(source.count, Math.max(count, 4096));
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < scan; i++) {
    const y = source.targets[i];
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b).map((y) => byClass.get(y)!);
  let n = 0;
  for (let round = 0; n < count; round++) {
    for (const list of classes) if (round < list.length && n < count) order[n++] = list[round];
  }
  return order;
}

/**
 * Every probe over one compiled graph, on a fixed probe batch: the first `batch` samples of the
 * test split (the validation split, then the training split, when it is empty), fed through the
 * run's input transform once with a fixed seed, so every frame sees the same inputs.
 *
 * Activations, sample outputs and the decision boundary come from an eval-mode forward on a
 * `withBatchSize(batch)` plan, so Dropout's stream and BatchNorm's running statistics are not
 * touched. (When `batch` equals the training batch size that plan is the training plan itself:
 * the frame is taken after the step is complete, and the next step rewrites every activation.)
 * Gradients (norms and histograms, binned as the weights') and update ratios come from the
 * training step itself (`GradientProbe`).
 *
 * A frozen backbone's outputs on the probe batch never change (`constantPrefix`): on a host plan
 * it runs at the first frame only, its layers' figures are kept, and the frames after run the
 * layers after it from its kept outputs (`PrefixProbeForward`), to the same frames; its weights'
 * figures are kept from the first frame too (`ProbeSuiteOptions.frozenOnce`).
 *
 * On a GPU run (docs/webgpu-backend.md, "Probes on GPU runs") the probed step reduces its
 * weights and gradients on the device (`deviceCapture()`: the same figures the host code
 * computes, turned into the same entries), and `captureAsync` runs the eval forwards on the
 * device and reads back the nodes the probes read into the probe plan's host mirror.
 *
 * Everything is allocated here; `capture` allocates only the frame it returns.
 */
export class ProbeSuite {
  readonly probeInputs: Float32Array;
  readonly probeTargets: Float32Array | null;
  readonly probeCount: number;
  readonly sampleCount: number;
  private readonly plan: CompiledGraph;
  /** The probe batch's forward after the first frame from a constant prefix's kept outputs; null: the whole graph every frame. */
  private readonly prefixForward: PrefixProbeForward | null;
  private readonly activations: ActivationProbe;
  readonly gradients: GradientProbe;
  private readonly weights: WeightProbe;
  private readonly sampleProbe: SampleProbe;
  private readonly boundary: DecisionBoundaryProbe | null;
  private readonly gan: GanProbe | null;
  /** Recurrent layers over time; null when the graph has none. */
  private readonly sequences: SequenceProbe | null;
  /** The nodes that are the network's outputs (see `outputNodes`). */
  private readonly outputs: ReadonlySet<string>;
  /** What a device forward reads back whole: the prediction (the sample probe) and a GAN's nodes; the activations are reduced there. */
  private readonly deviceReadNodes: readonly string[];
  private readonly bins: number;

  constructor(
    graph: GraphIR,
    base: CompiledGraph,
    data: PreparedData<Samples>,
    readonly binding: GraphBinding,
    options: ProbeSuiteOptions,
    seed: number,
  ) {
    const source = probeSource(data);
    this.probeCount = Math.max(1, Math.min(options.batch, source.count));
    this.sampleCount = Math.min(options.samples, this.probeCount);
    this.plan = base.withBatchSize(this.probeCount);
    const x = this.plan.input(binding.featureInput);
    const y = binding.targetInput ? this.plan.input(binding.targetInput) : null;
    this.probeInputs = new Float32Array(x.data.length);
    this.probeTargets = y ? new Float32Array(y.data.length) : null;
    const feeder = new BatchFeeder(source, { transform: data.transform, target: data.target });
    // Class-balanced (0, 1, …, 9, 0, …) for a classifier, and for a GAN conditioned on the labels:
    // its sample grid then draws each digit in turn.
    const balanced = hasClasses(binding.task) || (binding.targetInput !== null && data.target === 'label' && hasClasses(source.task));
    const order = probeOrder(source, this.probeCount, balanced);
    feeder.fill(order, 0, this.probeCount, this.probeInputs, this.probeTargets, new Rng((seed ^ 0x9b0be) >>> 0));
    this.outputs = outputNodes(graph);
    const summarizer = new TensorSummarizer(options.bins);
    this.bins = options.bins;
    const frozenOnce = options.frozenOnce !== false;
    this.gradients = new GradientProbe(base.params, summarizer, frozenOnce);
    this.weights = new WeightProbe(base.params, summarizer, frozenOnce);
    const labels = hasClasses(binding.task) ? Array.from(order.subarray(0, this.sampleCount), (i) => source.targets[i]) : [];
    this.sampleProbe = new SampleProbe(this.plan, binding, this.sampleCount, labels);
    this.gan = GanProbe.of(graph, this.plan, binding.predictionNode, this.probeInputs, this.probeCount, balanced ? this.probeTargets : null);
    // A sequence of token ids (a language model's input): the first sample's ids label the attention maps.
    const perSample = this.probeInputs.length / this.probeCount;
    const first = Array.from(this.probeInputs.subarray(0, perSample));
    const tokens = x.shape.length === 2 && first.every((v) => Number.isInteger(v) && v >= 0) ? first : null;
    const sequences = new SequenceProbe(graph, this.plan, tokens);
    this.sequences = sequences.empty ? null : sequences;
    this.deviceReadNodes = [...new Set([binding.predictionNode, ...(this.gan?.nodes ?? [])])];
    this.prefixForward = this.prefixForwardOf(graph, options);
    this.activations = new ActivationProbe(graph, this.plan, summarizer, this.prefixForward?.prefix.nodes);
    const twoD = data.train.featureShape.reduce((a, b) => a * b, 1) === 2;
    const train = data.train;
    this.boundary =
      options.boundary > 0 && twoD && hasClasses(binding.task) && !isStreamed(train)
        ? new DecisionBoundaryProbe(base, binding, train.features, options.boundary)
        : null;
  }

  /**
   * A host plan's forward from a constant prefix's outputs (`constantPrefix`: a frozen backbone),
   * where the graph has one and `options.frozenOnce` is not false. The prefix holds no layer
   * whose workspace the sequence probe reads; the nodes the sample and GAN probes read whole are
   * kept with its boundary.
   */
  private prefixForwardOf(graph: GraphIR, options: ProbeSuiteOptions): PrefixProbeForward | null {
    if (options.frozenOnce === false || this.device(this.plan)) return null;
    const prefix = constantPrefix(graph, this.binding.featureInput, this.plan, new Set(this.sequences?.nodes ?? []));
    return prefix ? new PrefixProbeForward(this.plan, prefix, this.deviceReadNodes) : null;
  }

  /**
   * Whether the plans' forwards run on a device (a GPU plan): frames are then taken with
   * {@link captureAsync}, whose forwards run there and read back what the probes read.
   */
  get onDevice(): boolean {
    return this.device(this.plan) !== null;
  }

  /**
   * The nodes of the training step whose gradients a frame reads (each activation's `gradNorm`):
   * what a probed device step reads back (`DeviceCapture.grads`), with every parameter's.
   */
  get stepGradNodes(): readonly string[] {
    return this.activations.nodeIds;
  }

  /**
   * What a probed device step measures for a frame: its weights before the update copied aside,
   * and the reductions of the weights, their gradients and `stepGradNodes`' gradients (with this
   * suite's histogram bins). Pass its `figures` to {@link captureAsync}.
   */
  deviceCapture(): DeviceCapture {
    return { grads: this.stepGradNodes, before: true, bins: this.bins };
  }

  /**
   * Probe the current weights. `trainPlan` is the plan of the step just taken (its node
   * gradients feed `gradNorm`); the caller called `gradients.beforeUpdate()` before the
   * optimizer step when it wants update ratios. Host plans only: a device plan's forwards are
   * asynchronous ({@link captureAsync}).
   */
  capture(trainPlan: CompiledGraph | null, at: { step: number; epoch: number; loss: number }): Omit<ProbeFrame, 'runId' | 'seq'> {
    if (this.onDevice) throw Object.assign(new Error('PROBE_ON_DEVICE: this suite probes a device plan; take its frames with captureAsync.'), { code: 'PROBE_ON_DEVICE' });
    const t0 = performance.now();
    const params = this.measureParams();
    this.feedProbeBatch();
    if (this.prefixForward) this.prefixForward.forward();
    else this.plan.forward(false);
    const probed = this.measureProbeBatch(trainPlan, at.step);
    return this.frame(t0, at, params, probed, this.boundary?.measure());
  }

  /**
   * `capture` for either kind of plan. On a device plan (a GPU run) the caller first ran the
   * training step with {@link deviceCapture}, whose `figures` (the step's weights and gradients,
   * reduced on the device) `figures` are; the probe batch's and the grid's eval forwards run on
   * the device, reading back the nodes the probes read into the probe plan's host mirror, where
   * the activations are summarised as on a CPU run.
   */
  async captureAsync(trainPlan: CompiledGraph | null, at: { step: number; epoch: number; loss: number }, figures?: StepFigures): Promise<Omit<ProbeFrame, 'runId' | 'seq'>> {
    const device = this.device(this.plan);
    if (!device) return this.capture(trainPlan, at);
    if (!figures) throw Object.assign(new Error('PROBE_NO_FIGURES: a device frame needs the figures of a step run with deviceCapture().'), { code: 'PROBE_NO_FIGURES' });
    const t0 = performance.now();
    const params = this.measureParams(figures);
    this.feedProbeBatch();
    const reduce: ForwardReduce = { nodes: this.activations.reductions, bins: this.bins };
    await device.forward(false, this.deviceReadNodes, reduce);
    // Before the grid's forward, which may share the probe plan's storage.
    await this.sequences?.fetch(device, trainPlan && this.device(trainPlan));
    const probed = {
      layers: this.activations.measureFigures(reduce.figures!, figures.grads),
      samples: this.sampleProbe.measure(),
      gan: this.gan?.measure(at.step),
      sequences: this.sequences?.measure(trainPlan),
      attention: this.sequences?.attention(),
    };
    let boundary: DecisionBoundary | undefined;
    if (this.boundary) {
      this.boundary.writeGrid();
      await this.device(this.boundary.plan)!.forward(false);
      boundary = this.boundary.read();
    }
    return this.frame(t0, at, params, probed, boundary);
  }

  private device(plan: CompiledGraph): DeviceStep | null {
    return (plan as Partial<TrainableGraph>).device ?? null;
  }

  /** Gradients and weights first: the eval forward does not touch them, but it may reuse the training plan's activation storage when the batch sizes coincide. */
  private measureParams(figures?: StepFigures): ParamProbeEntry[] {
    const grads = figures ? this.gradients.measureFigures(figures) : this.gradients.measure();
    const weights = figures ? this.weights.measureFigures(figures) : this.weights.measure();
    return grads.map((g, i) => ({
      nodeId: g.nodeId,
      name: g.name,
      shape: weights[i].shape,
      gradNorm: compactOrNull(g.gradNorm),
      gradMeanAbs: compactOrNull(g.gradMeanAbs),
      weightNorm: compactOrNull(g.weightNorm),
      updateRatio: compactOrNull(g.updateRatio),
      ...(this.plan.params[i].frozen ? { frozen: true as const } : {}),
      weightHist: weights[i].hist,
      weightStats: weights[i].stats,
      ...(g.hist && g.stats ? { gradHist: g.hist, gradStats: g.stats } : {}),
    }));
  }

  private feedProbeBatch(): void {
    this.plan.input(this.binding.featureInput).data.set(this.probeInputs);
    if (this.binding.targetInput && this.probeTargets) this.plan.input(this.binding.targetInput).data.set(this.probeTargets);
  }

  /** What the probe batch's eval forward shows (read before the grid's forward, which may share its storage). */
  private measureProbeBatch(trainPlan: CompiledGraph | null, step: number) {
    return { layers: this.activations.measure(trainPlan), samples: this.sampleProbe.measure(), gan: this.gan?.measure(step), sequences: this.sequences?.measure(trainPlan), attention: this.sequences?.attention() };
  }

  private frame(
    t0: number,
    at: { step: number; epoch: number; loss: number },
    params: ParamProbeEntry[],
    { layers, samples, gan, sequences, attention }: Partial<ReturnType<ProbeSuite['measureProbeBatch']>> & Pick<ReturnType<ProbeSuite['measureProbeBatch']>, 'layers' | 'samples' | 'gan'>,
    boundary: DecisionBoundary | undefined,
  ): Omit<ProbeFrame, 'runId' | 'seq'> {
    const frame: Omit<ProbeFrame, 'runId' | 'seq'> = {
      step: at.step,
      epoch: at.epoch,
      loss: compactOrNull(at.loss),
      layers,
      params,
      ...(samples ? { samples } : {}),
      ...(boundary ? { boundary } : {}),
      ...(gan ? { gan } : {}),
      ...(sequences?.length ? { sequences } : {}),
      ...(attention?.length ? { attention } : {}),
      health: layerHealth(layers, params, undefined, this.outputs),
      costMs: 0,
    };
    frame.costMs = compact(performance.now() - t0);
    return frame;
  }
}
