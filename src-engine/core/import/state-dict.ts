import { targetNormalizationProblem, type TargetNormalization } from '../data/target-normalization';
import type { GraphIR } from '../../base/ir/types';
import { checkModelGraph, loadableSteps, ModelError, type TrainedModel } from '../export/model';
import { torchNodeNames, torchStateNames } from '../export/pytorch';
import { featureInput, inputShape } from '../../base/ir/inputs';
import { indexSafetensors, MAX_WEIGHTS_BYTES, MAX_WEIGHTS_LIMITS, normalizationFromMetadata, weightsLimits, type ReadTensor, type StateDict, type WeightsIndex, type WeightsLimits } from '../export/safetensors';
import { indexTorchStateDict } from './torch-load';
import { readTokenizer } from '../data/tokenizer';
import { readTableEncoding } from '../data/table-encoding';

/**
 * Weights from PyTorch's world loaded into a design (docs/export.md, "Loading weights"): a
 * `.safetensors` file or a `torch.save`d state dict, matched by the names the PyTorch project's
 * `Net` gives its tensors (`fc1.weight`, `bn1.running_mean`).
 *
 * The file is described first (`WeightsIndex`: names, kinds, shapes) and matched against the
 * design; only then are the values of the tensors the design needs read, so what a file makes the
 * reader allocate is bounded by the design's parameters, however its views share or repeat storage.
 */

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The tensors of a weights file described: a torch.save zip (it starts with a zip's local header,
 * `PK\3\4`), safetensors (its JSON header starts after the 8-byte length), or a pickle of
 * PyTorch before 1.6 (PROTO first), which `indexTorchStateDict` refuses with what to do. A file
 * that starts as both a zip and safetensors (its header's length is 0x04034b50) is read as
 * safetensors when it is not a zip.
 */
function* indexWeights(bytes: Uint8Array, file: string, limits: WeightsLimits): Generator<void, WeightsIndex> {
  const pk = bytes[0] === 0x50 && bytes[1] === 0x4b;
  const json = bytes[8] === 0x7b;
  if ((pk && !json) || (!json && bytes[0] === 0x80)) return yield* indexTorchStateDict(bytes, file, limits);
  if (pk && bytes[2] === 3 && bytes[3] === 4) {
    try {
      return yield* indexTorchStateDict(bytes, file, limits);
    } catch (e) {
      if (!(e instanceof ModelError) || e.code !== 'E_WEIGHTS_FILE') throw e;
      try {
        return indexSafetensors(bytes, file, limits);
      } catch {
        throw e;
      }
    }
  }
  return indexSafetensors(bytes, file, limits);
}

/**
 * The tensors of a weights file, every one read (as `loadWeights` reads a design's).
 *
 * @throws ModelError as `loadWeights` for the file; `E_WEIGHTS_FILE` when its tensors together
 *   (a view counted for every value it repeats) pass `MAX_WEIGHTS_BYTES`.
 */
export function readWeightsFile(bytes: Uint8Array, file: string): StateDict {
  return run(
    (function* () {
      const index = yield* indexWeights(bytes, file, MAX_WEIGHTS_LIMITS);
      const total = [...index.tensors.values()].reduce((a, t) => a + numel(t.shape) * (t.kind === 'int64' ? 8 : 4), 0);
      if (total > MAX_WEIGHTS_BYTES) throw new ModelError('E_WEIGHTS_FILE', `${file} was not read: its tensors hold ${(total / 2 ** 30).toFixed(1)} GiB of values, past the ${MAX_WEIGHTS_BYTES / 2 ** 30} GiB Netwright reads.`);
      const tensors = new Map<string, ReadTensor>();
      for (const [name, t] of index.tensors) {
        const data = yield* t.read();
        tensors.set(name, data instanceof BigInt64Array ? { kind: 'int64', shape: t.shape, data } : { kind: 'float32', shape: t.shape, data });
      }
      return { tensors, metadata: index.metadata };
    })(),
  );
}

/** The most differences one message lists. */
const MAX_LISTED = 20;

/**
 * `graph` with the weights of the file `bytes`: every tensor the design's PyTorch `Net` has, by
 * name and shape. BatchNorm's `num_batches_tracked` is read when present (it is not a weight). A
 * safetensors file Netwright wrote carries the input normalisation and class names in its
 * metadata; they come back with it. Nothing is read of a tensor the design does not need.
 *
 * @throws ModelError `E_WEIGHTS_MISMATCH` listing, tensor by tensor, each name the design needs
 *   that the file lacks, each the file has that the design does not, and each shape or type that
 *   differs; `E_WEIGHTS_FILE` and `E_WEIGHTS_PICKLE` for a file that cannot be read, or whose
 *   description (a pickle, a safetensors header) passes what `weightsLimits` allows the design's
 *   tensors; `E_MODEL_GRAPH` for a design that does not validate; `E_MODEL_VALUES` for NaN/Inf.
 *
 * @example
 * ```ts
 * const model = loadWeights(design, bytes, 'model.safetensors');
 * ```
 */
export function loadWeights(graph: GraphIR, bytes: Uint8Array, file: string): TrainedModel {
  return run(weightsSteps(graph, bytes, file));
}

/**
 * `loadWeights` that gives the event loop a turn every `sliceMs` of work, so the engine answers
 * (a ping, a cancel) while a large or hostile file is read.
 *
 * @throws ModelError `E_CANCELLED` once `signal` is aborted; else as `loadWeights`.
 */
export async function loadWeightsAsync(graph: GraphIR, bytes: Uint8Array, file: string, options: { signal?: AbortSignal; sliceMs?: number } = {}): Promise<TrainedModel> {
  const cancelled = () => new ModelError('E_CANCELLED', `Loading ${file} was cancelled; nothing changed.`);
  if (options.signal?.aborted) throw cancelled();
  const steps = weightsSteps(graph, bytes, file);
  let since = Date.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (Date.now() - since < (options.sliceMs ?? 20)) continue;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (options.signal?.aborted) throw cancelled();
    since = Date.now();
  }
}

function run<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

function* weightsSteps(graph: GraphIR, bytes: Uint8Array, file: string): Generator<void, TrainedModel> {
  const checked = checkModelGraph(graph);
  const wanted = torchStateNames(checked, torchNodeNames(checked));
  const input = featureInput(checked.ir);
  const features = input ? numel(inputShape(input)) : 0;
  const dict = yield* indexWeights(bytes, file, weightsLimits(wanted.length, features));
  const params: Record<string, Float32Array> = {};
  const buffers: Record<string, Float32Array> = {};
  const problems: string[] = [];
  const reads: { into: Record<string, Float32Array>; key: string; read: () => Generator<void, Float32Array | BigInt64Array> }[] = [];
  let counter: (() => Generator<void, Float32Array | BigInt64Array>) | undefined;
  // A file written before model.py grouped repeated blocks names their tensors flat (`flat`): read either.
  const nameIn = (w: (typeof wanted)[number]) => (!dict.tensors.has(w.name) && w.flat && dict.tensors.has(w.flat) ? w.flat : w.name);
  for (const w of wanted) {
    const t = dict.tensors.get(nameIn(w));
    if ('counter' in w) {
      if (t?.kind === 'int64' && numel(t.shape) === 1) counter = t.read;
      continue;
    }
    const need = `[${w.spec.shape.join(', ')}]`;
    if (!t) problems.push(`${w.name}: missing from the file (the design's node "${w.spec.nodeId}" needs ${need})`);
    else if (t.kind !== 'float32') problems.push(`${w.name}: the file holds integers; node "${w.spec.nodeId}" needs floating-point values ${need}`);
    else if (t.shape.length !== w.spec.shape.length || t.shape.some((d, i) => d !== w.spec.shape[i])) problems.push(`${w.name}: the file has shape [${t.shape.join(', ')}], node "${w.spec.nodeId}" needs ${need}`);
    else reads.push({ into: w.spec.kind === 'param' ? params : buffers, key: w.spec.key, read: t.read });
  }
  const known = new Set(wanted.map(nameIn));
  for (const name of dict.tensors.keys()) if (!known.has(name)) problems.push(`${name}: in the file, but the design has no such tensor`);
  if (problems.length) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `  ${p}`);
    if (problems.length > MAX_LISTED) listed.push(`  … and ${problems.length - MAX_LISTED} more`);
    throw new ModelError('E_WEIGHTS_MISMATCH', `${file} does not fit the design "${graph.name ?? 'network'}" (${problems.length} difference${problems.length === 1 ? '' : 's'}):\n${listed.join('\n')}`);
  }
  // Only now is anything read: the tensors the design needs, of the shapes it needs.
  for (const r of reads) r.into[r.key] = (yield* r.read()) as Float32Array;
  const step = counter ? Number((yield* counter())[0]) : undefined;
  const model: TrainedModel = { graph, params, buffers, ...metadataExtras(dict.metadata, features), ...metadataReaders(dict.metadata, file), origin: step === undefined ? {} : { step } };
  yield* loadableSteps(model);
  return model;
}

/**
 * How the model reads raw input, as a Netwright safetensors file's metadata carries it
 * (core/export/pytorch.ts writes them): a text model's `tokenizer` and a table model's `table`.
 * Without them a text model loaded from the file could not read typed text (`predict --text`).
 *
 * @throws ModelError `E_WEIGHTS_FILE` naming the entry and why, when one is there but damaged:
 *   left out, the model would take encoded inputs only, and say so only at its first prediction.
 */
function metadataReaders(metadata: Record<string, string>, file: string): Pick<TrainedModel, 'tokenizer' | 'table'> {
  const read = <T>(key: 'tokenizer' | 'table', parse: (json: unknown, what: string) => T): T | undefined => {
    const text = metadata[key];
    if (text === undefined) return undefined;
    const what = `${file}'s "${key}" metadata`;
    try {
      return parse(JSON.parse(text), what);
    } catch (e) {
      const why = e instanceof SyntaxError ? `${what} is not valid JSON` : (e as Error).message.replace(/\.$/, '');
      throw new ModelError('E_WEIGHTS_FILE', `${why.slice(0, 800)}. Export the weights again from the run that trained them.`);
    }
  };
  const tokenizer = read('tokenizer', readTokenizer);
  const table = read('table', readTableEncoding);
  return { ...(tokenizer ? { tokenizer } : {}), ...(table ? { table } : {}) };
}

/** The normalisation (for an input of `features` values) and class names a Netwright safetensors file's metadata carries (ignored when they do not parse). */
function metadataExtras(metadata: Record<string, string>, features: number): Pick<TrainedModel, 'normalization' | 'classNames' | 'targetNormalization'> {
  let classNames: unknown;
  try {
    classNames = metadata.class_names === undefined ? undefined : JSON.parse(metadata.class_names);
  } catch {
    classNames = undefined;
  }
  const normalization = normalizationFromMetadata(metadata.normalization, features);
  const okNames = Array.isArray(classNames) && classNames.every((c) => typeof c === 'string');
  // A regression learnt standardised (`target_normalization`): its outputs are undone with it, as the model it was saved from.
  let targetNormalization: unknown;
  try {
    targetNormalization = metadata.target_normalization === undefined ? undefined : JSON.parse(metadata.target_normalization);
  } catch {
    targetNormalization = undefined;
  }
  const okTarget = targetNormalization !== undefined && targetNormalizationProblem(targetNormalization) === undefined;
  return { ...(normalization ? { normalization } : {}), ...(okNames ? { classNames: classNames as string[] } : {}), ...(okTarget ? { targetNormalization: targetNormalization as TargetNormalization } : {}) };
}
