import { CheckedGraph, checkGraph } from '../analysis/checked';
import type { GraphIR } from '../../base/ir/types';
import { allFinite } from '../../base/tensor';
import type { Normalization } from '../data/normalize';
import { targetNormalizationProblem, type TargetNormalization } from '../data/target-normalization';
import { languageTokenizer, type Tokenizer } from '../data/tokenizer';
import type { TableEncoding } from '../data/table-encoding';
import type { Checkpoint } from '../train/types';
import type { BaselineScores } from '../metrics/baselines';
import { getOp } from '../ops/registry';

/**
 * A trained network as it leaves (or enters) the app: the graph, its weights, and what inference
 * needs besides them. Every exporter (JSON, ONNX, PyTorch) takes one and every importer makes one
 * (docs/export.md).
 */
export interface TrainedModel {
  /** The graph that was trained (current IR version, its `training` section included). */
  graph: GraphIR;
  /** Trainable tensors, keyed `nodeId.name` as in `Checkpoint.params`. */
  params: Record<string, Float32Array>;
  /** Non-trainable state (BatchNorm running mean/var), keyed `nodeId.name`. */
  buffers: Record<string, Float32Array>;
  /** The input standardisation fitted on the training split, applied before the first layer. */
  normalization?: Normalization;
  /**
   * A regression's target standardisation fitted on the training split (`training.dataset.targetNormalization`):
   * the network's outputs are standardised values, and every reader puts them back in the target's
   * units (`restoreTargets`): predict, evaluate, the ONNX graph's last nodes, model.py's `predict`.
   */
  targetNormalization?: TargetNormalization;
  /** Class names of a classifier's outputs, in order. */
  classNames?: string[];
  /** A text model's tokenizer: how a text becomes its input (core/data/tokenizer.ts). */
  tokenizer?: Tokenizer;
  /** A table model's encoding: how a row of its columns becomes its input (core/data/table-encoding.ts). */
  table?: TableEncoding;
  /**
   * Where the weights came from. `untrained`: the design's initial weights, as a run with its seed
   * (`seed`) starts from, exported before any training step (`initialModel`): every format marks them so.
   */
  origin?: { runId?: string; step?: number; epoch?: number; which?: 'last' | 'best'; untrained?: boolean; seed?: number };
  /** Final metrics by split, as the training loop reported them. */
  metrics?: Record<string, Record<string, unknown>>;
  /** The run's baselines on its own splits (core/metrics/baselines.ts), by name: the model card sets them beside `metrics`. */
  baselines?: Record<string, BaselineScores>;
}

/** How every format marks a design's initial weights (`origin.untrained`); undefined for trained ones. */
export function untrainedNote(model: Pick<TrainedModel, 'origin'>): string | undefined {
  const o = model.origin;
  return o?.untrained ? `the design's initial weights, untrained: no training step was taken (seed ${o.seed ?? 1}, as a run of the design starts)` : undefined;
}

/** A model from a graph and a checkpoint of it. */
export function modelFromCheckpoint(graph: GraphIR, ck: Pick<Checkpoint, 'params' | 'buffers' | 'step' | 'epoch'>, extra: Omit<TrainedModel, 'graph' | 'params' | 'buffers'> = {}): TrainedModel {
  // A language model's tokenizer is its classes and window (languageTokenizer): made here when the caller kept none.
  const tokenizer = extra.tokenizer ?? languageTokenizer(graph, extra.classNames);
  return { graph, params: ck.params, buffers: ck.buffers, ...extra, ...(tokenizer ? { tokenizer } : {}), origin: { step: ck.step, epoch: ck.epoch, ...extra.origin } };
}

/**
 * Stable codes of model errors: weights that do not fit the graph (`E_MODEL_WEIGHTS`), a file
 * that is not a Netwright model or is damaged (`E_MODEL_FORMAT`), one from a newer Netwright
 * (`E_MODEL_NEWER`), a graph that does not validate (`E_MODEL_GRAPH`), values no model can
 * predict with (`E_MODEL_VALUES`: `assertLoadable`), an evaluation on a split with no samples
 * (`E_MODEL_NO_SAMPLES`: `evaluateModel`); a weights file from PyTorch's tools that cannot be read
 * (`E_WEIGHTS_FILE`), whose pickle names more than plain tensors (`E_WEIGHTS_PICKLE`), or whose
 * tensors do not fit the design (`E_WEIGHTS_MISMATCH`: state-dict.ts), or whose load was
 * cancelled (`E_CANCELLED`: `loadWeightsAsync`).
 */
export type ModelErrorCode = 'E_MODEL_WEIGHTS' | 'E_MODEL_FORMAT' | 'E_MODEL_NEWER' | 'E_MODEL_GRAPH' | 'E_MODEL_VALUES' | 'E_MODEL_NO_SAMPLES' | 'E_WEIGHTS_FILE' | 'E_WEIGHTS_PICKLE' | 'E_WEIGHTS_MISMATCH' | 'E_CANCELLED';

/** Error thrown when a model's weights do not fit its graph, or a model file cannot be read. */
export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** The most class names a model may carry (a label is at most 65535: `dataset.samples`' `label`). */
export const MAX_CLASS_NAMES = 65_536;
/** The longest class name a model may carry. */
export const MAX_CLASS_NAME_LENGTH = 256;

/**
 * Check that a model can predict before it is loaded: every weight and buffer finite (a NaN or
 * infinity from a diverged run, or an edited file, would make every prediction NaN), a
 * normalisation whose means are finite and whose standard deviations are finite and positive
 * (0 divides by zero), and at most `MAX_CLASS_NAMES` class names of at most
 * `MAX_CLASS_NAME_LENGTH` characters. The file formats themselves keep any bits (`modelToJSON`).
 *
 * @throws ModelError `E_MODEL_VALUES`, naming the first offending tensor, feature or name.
 */
export function assertLoadable(model: TrainedModel): void {
  const steps = loadableSteps(model);
  while (!steps.next().done);
}

/** Values checked between two turns given to the caller. */
const FINITE_SLICE = 1 << 20;

/** `assertLoadable` as steps: it yields between slices of `FINITE_SLICE` values (a weights file's tens of millions are checked while the engine answers). */
export function* loadableSteps(model: TrainedModel): Generator<void, void> {
  const refuse = (message: string) => new ModelError('E_MODEL_VALUES', `${message} The model cannot be loaded; export it again from a run that trained well.`);
  for (const [kind, tensors] of [['weight', model.params], ['buffer', model.buffers]] as const) {
    for (const [key, v] of Object.entries(tensors)) {
      for (let at = 0; at < v.length; at += FINITE_SLICE) {
        // A branchless pass first (an imported model's tens of MB); the index only when one is bad.
        const part = v.subarray(at, at + FINITE_SLICE);
        if (!allFinite(part)) {
          for (let i = 0; i < part.length; i++) {
            if (!Number.isFinite(part[i])) throw refuse(`The ${kind} "${key}" holds a value that is not a finite number (${part[i]} at index ${at + i}).`);
          }
        }
        if (at + FINITE_SLICE < v.length) yield;
      }
    }
  }
  const n = model.normalization;
  if (n) {
    const badMean = n.mean.findIndex((m) => !Number.isFinite(m));
    if (badMean >= 0) throw refuse(`The input normalisation has a mean that is not a finite number (feature ${badMean}).`);
    const badStd = n.std.findIndex((s) => !(Number.isFinite(s) && s > 0));
    if (badStd >= 0) throw refuse(`The input normalisation has a standard deviation of ${n.std[badStd]} (feature ${badStd}); it must be a positive number.`);
  }
  const t = model.targetNormalization;
  const tProblem = t === undefined ? undefined : targetNormalizationProblem(t);
  if (tProblem) throw refuse(`The target's standardisation is damaged: ${tProblem}.`);
  const names = model.classNames ?? [];
  if (names.length > MAX_CLASS_NAMES) throw refuse(`The model has ${names.length} class names; Netwright loads models with up to ${MAX_CLASS_NAMES}.`);
  const long = names.findIndex((c) => typeof c !== 'string' || c.length > MAX_CLASS_NAME_LENGTH);
  if (long >= 0) throw refuse(`Class name ${long} is not a name of at most ${MAX_CLASS_NAME_LENGTH} characters.`);
}

/** One tensor of a model: its key (`nodeId.name`), node, name and shape. */
export interface TensorSpec {
  key: string;
  nodeId: string;
  name: string;
  shape: number[];
  kind: 'param' | 'buffer';
  /** Weight decay applies (parameters only; weights yes, biases and norm scales no). */
  decay: boolean;
}

/**
 * A model's graph, checked once (`checkGraph`) for what reads it: its tensors, its plans, the
 * exporters. A checked graph is returned as it is.
 *
 * @throws ModelError (`E_MODEL_GRAPH`) when the graph does not validate.
 */
export function checkModelGraph(graph: GraphIR | CheckedGraph): CheckedGraph {
  if (graph instanceof CheckedGraph) return graph;
  const r = checkGraph(graph, { batchSize: 1 });
  const error = r.diagnostics.find((d) => d.severity === 'error');
  if (!r.graph) throw new ModelError('E_MODEL_GRAPH', `The model's graph is not valid: ${error?.message ?? 'it could not be checked'}`);
  return r.graph;
}

/**
 * Every parameter and buffer a checked graph has, in topological order, with its shape (from the
 * ops' shape rules; nothing is allocated).
 */
export function tensorSpecs(graph: CheckedGraph): TensorSpec[] {
  const shapes = graph.shapesAt(1);
  const byId = new Map(graph.ir.nodes.map((n) => [n.id, n]));
  const out: TensorSpec[] = [];
  for (const id of graph.order) {
    const n = byId.get(id)!;
    const def = getOp(n.op)!;
    const args = { inputs: n.inputs.map((i) => shapes[i]), attrs: n.attrs };
    for (const p of def.params?.(args) ?? []) out.push({ key: `${id}.${p.name}`, nodeId: id, name: p.name, shape: p.shape, kind: 'param', decay: p.decay });
    for (const b of def.buffers?.(args) ?? []) out.push({ key: `${id}.${b.name}`, nodeId: id, name: b.name, shape: b.shape, kind: 'buffer', decay: false });
  }
  return out;
}
