/**
 * The trained model of a project file as the CLIs read it: kept inside the file (`model.params`,
 * `model.buffers`, as projects were saved before #82), or beside it as safetensors, which the
 * file names by SHA-256 (`model.weights`: the app's Save since #82, docs/export.md "Weights kept
 * with the project"). The weights file is read as the app's Open reads it: checked against the
 * SHA-256 first, its `params.<key>` and `buffers.<key>` tensors put back into the model.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { projectWeightsFileName } from '../base/ir/project';
import { modelFromJSON, type ModelTensorValues } from '../core/export/json';
import { ModelError, type TrainedModel } from '../core/export/model';
import { indexSafetensors, MAX_WEIGHTS_BYTES } from '../core/export/safetensors';
import { CliError, readNamedFile } from './cli-files';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The safetensors file the project's model names (`model.weights`), or undefined where it keeps its weights inside. */
function weightsRef(model: Record<string, unknown>): { sha256: string; bytes: number } | undefined {
  const w = model.weights;
  return isRecord(w) && w.format === 'safetensors' && typeof w.sha256 === 'string' && /^[0-9a-f]{64}$/.test(w.sha256) && typeof w.bytes === 'number' ? { sha256: w.sha256, bytes: w.bytes } : undefined;
}

/**
 * The model of the project at `file` (its `model` object), with the weights it keeps beside it
 * read back. A weights file that is missing is CLI_NO_FILE naming it; one whose bytes are not
 * those the project names, or that is not float32 tensors named as the app writes them, is
 * E_WEIGHTS_FILE.
 */
export function projectModel(file: string, model: Record<string, unknown>): TrainedModel {
  const ref = weightsRef(model);
  if (!ref) return modelFromJSON(model);
  const name = projectWeightsFileName(basename(file), ref.sha256);
  let bytes: Buffer;
  try {
    bytes = readNamedFile(join(dirname(file), name), MAX_WEIGHTS_BYTES);
  } catch (e) {
    if (e instanceof CliError && e.code === 'CLI_NO_FILE') throw new CliError('CLI_NO_FILE', `${file} keeps its trained weights in ${name} beside it, which is missing: copy it with the project (or train again).`);
    throw e;
  }
  if (bytes.length !== ref.bytes || createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
    throw new ModelError('E_WEIGHTS_FILE', `${name} does not hold the weights ${basename(file)} names (it was changed or damaged).`);
  }
  const index = indexSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), name);
  const groups: ModelTensorValues = { params: {}, buffers: {} };
  for (const [key, entry] of index.tensors) {
    const dot = key.indexOf('.');
    const group = key.slice(0, dot);
    if ((group !== 'params' && group !== 'buffers') || entry.kind !== 'float32') throw new ModelError('E_WEIGHTS_FILE', `${name}: "${key}" is not a float32 tensor of the project's params or buffers.`);
    const read = entry.read();
    let step = read.next();
    while (!step.done) step = read.next();
    const values = step.value as Float32Array;
    groups[group][key.slice(dot + 1)] = { shape: [...entry.shape], values };
  }
  // The tensors as values, checked as a file's are: no base64 made of them only to be decoded again.
  const { weights: _, ...rest } = model;
  return modelFromJSON(rest, groups);
}

/** Weights alone (safetensors, a PyTorch state_dict): no design to run them in. */
const WEIGHTS_FILE = /\.(safetensors|pt|pth)$/i;

/**
 * CLI_WEIGHTS_ONLY when `source` is weights without their design — a `.safetensors`, `.pt` or
 * `.pth` file, or a PyTorch project's folder (`model.safetensors` or `weights.pt` and no
 * run.json) — which every CLI that runs or trains a model refuses alike; else undefined.
 */
export function weightsOnly(source: string): CliError | undefined {
  if (existsSync(source) && statSync(source).isDirectory()) {
    if (existsSync(join(source, 'run.json')) || !['model.safetensors', 'weights.pt'].some((f) => existsSync(join(source, f)))) return undefined;
    return new CliError('CLI_WEIGHTS_ONLY', `${source} is a PyTorch project (model.py and its weights), not a stored run: Netwright reads a design with its weights. In PyTorch, its README says how it predicts.`);
  }
  return WEIGHTS_FILE.test(source) ? new CliError('CLI_WEIGHTS_ONLY', `${source} holds weights without the design they fit.`) : undefined;
}
