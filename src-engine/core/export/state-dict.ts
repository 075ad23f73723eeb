import type { GraphIR } from '../../base/ir/types';
import { assertLoadable, checkModelGraph, ModelError, type TrainedModel } from './model';
import { torchNodeNames, torchStateNames } from './pytorch';
import { readSafetensors, type StateDict } from './safetensors';
import { readTorchStateDict } from './torch-load';

/**
 * Weights from PyTorch's world loaded into a design (docs/export.md, "Loading weights"): a
 * `.safetensors` file or a `torch.save`d state dict, matched by the names the PyTorch project's
 * `Net` gives its tensors (`fc1.weight`, `bn1.running_mean`).
 */

/**
 * The tensors of a weights file: a torch.save zip (it starts `PK`), safetensors (its JSON header
 * starts after the 8-byte length), or a pickle of PyTorch before 1.6 (PROTO first), which
 * `readTorchStateDict` refuses with what to do.
 */
export function readWeightsFile(bytes: Uint8Array, file: string): StateDict {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  const safetensors = bytes[8] === 0x7b;
  return zip || (!safetensors && bytes[0] === 0x80) ? readTorchStateDict(bytes, file) : readSafetensors(bytes, file);
}

/** The most differences one message lists. */
const MAX_LISTED = 20;

/**
 * `graph` with the weights of `dict`: every tensor the design's PyTorch `Net` has, by name and
 * shape. BatchNorm's `num_batches_tracked` is read when present (it is not a weight). A
 * safetensors file Netwright wrote carries the input normalisation and class names in its
 * metadata; they come back with it.
 *
 * @throws ModelError `E_WEIGHTS_MISMATCH` listing, tensor by tensor, each name the design needs
 *   that the file lacks, each the file has that the design does not, and each shape or type that
 *   differs; `E_MODEL_GRAPH` for a design that does not validate; `E_MODEL_VALUES` for NaN/Inf.
 *
 * @example
 * ```ts
 * const model = modelFromStateDict(design, readWeightsFile(bytes, 'model.safetensors'), 'model.safetensors');
 * ```
 */
export function modelFromStateDict(graph: GraphIR, dict: StateDict, file: string): TrainedModel {
  const checked = checkModelGraph(graph);
  const wanted = torchStateNames(checked, torchNodeNames(checked));
  const params: Record<string, Float32Array> = {};
  const buffers: Record<string, Float32Array> = {};
  const problems: string[] = [];
  let step: number | undefined;
  for (const w of wanted) {
    const t = dict.tensors.get(w.name);
    if ('counter' in w) {
      if (t?.kind === 'int64' && t.data.length === 1) step = Number(t.data[0]);
      continue;
    }
    const need = `[${w.spec.shape.join(', ')}]`;
    if (!t) problems.push(`${w.name}: missing from the file (the design's node "${w.spec.nodeId}" needs ${need})`);
    else if (t.kind !== 'float32') problems.push(`${w.name}: the file holds integers; node "${w.spec.nodeId}" needs floating-point values ${need}`);
    else if (t.shape.length !== w.spec.shape.length || t.shape.some((d, i) => d !== w.spec.shape[i])) problems.push(`${w.name}: the file has shape [${t.shape.join(', ')}], node "${w.spec.nodeId}" needs ${need}`);
    else (w.spec.kind === 'param' ? params : buffers)[w.spec.key] = t.data;
  }
  const known = new Set(wanted.map((w) => w.name));
  for (const name of dict.tensors.keys()) if (!known.has(name)) problems.push(`${name}: in the file, but the design has no such tensor`);
  if (problems.length) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `  ${p}`);
    if (problems.length > MAX_LISTED) listed.push(`  … and ${problems.length - MAX_LISTED} more`);
    throw new ModelError('E_WEIGHTS_MISMATCH', `${file} does not fit the design "${graph.name ?? 'network'}" (${problems.length} difference${problems.length === 1 ? '' : 's'}):\n${listed.join('\n')}`);
  }
  const model: TrainedModel = { graph, params, buffers, ...metadataExtras(dict.metadata), origin: step === undefined ? {} : { step } };
  assertLoadable(model);
  return model;
}

/** The normalisation and class names a Netwright safetensors file's metadata carries (ignored when they do not parse). */
function metadataExtras(metadata: Record<string, string>): Pick<TrainedModel, 'normalization' | 'classNames'> {
  const parse = (s: string | undefined): unknown => {
    try {
      return s === undefined ? undefined : JSON.parse(s);
    } catch {
      return undefined;
    }
  };
  const normalization = parse(metadata.normalization) as TrainedModel['normalization'];
  const classNames = parse(metadata.class_names);
  const okNorm = normalization && typeof normalization === 'object' && Array.isArray(normalization.mean) && Array.isArray(normalization.std);
  const okNames = Array.isArray(classNames) && classNames.every((c) => typeof c === 'string');
  return { ...(okNorm ? { normalization } : {}), ...(okNames ? { classNames: classNames as string[] } : {}) };
}
