/**
 * A project file written by the command line as the app's Save writes it (#82): the design, the
 * model without its tensors' values, and the weights beside it as safetensors named by their
 * SHA-256 (`<name>.netwright.weights-<16 hex>.safetensors`, docs/export.md "Weights kept with the
 * project"), streamed in parts. A resnet18 inside the JSON as base64 made a 60 MB project near the
 * 64 MiB a project file may hold; a model ten times larger could not be written at all.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { PROJECT_FORMAT, PROJECT_VERSION, projectWeightsFileName } from '../base/ir/project';
import type { GraphIR } from '../base/ir/types';
import type { CheckedGraph } from '../core/analysis/checked';
import type { TrainedModel } from '../core/export/model';
import { projectWeightsFile } from '../core/export/project-weights';
import { ExportStream, writeExport } from './export-writer';

/** The bytes of weights read and written at a time. */
const PART_BYTES = 4 * 1024 * 1024;

/** Whether the file at `path` holds exactly the bytes whose SHA-256 is `sha256` (a weights file written before). */
function holds(path: string, bytes: number, sha256: string): boolean {
  try {
    return statSync(path).size === bytes && createHash('sha256').update(readFileSync(path)).digest('hex') === sha256;
  } catch {
    return false;
  }
}

/**
 * Write the project `out` of `graph` with `model`'s weights beside it; the path written. The
 * weights file is written first (a project never names weights that are not there); one that is
 * already there with the same bytes is kept. `force` as `writeExport`'s, for both files.
 *
 * @throws ExportError as `writeExport` (the target exists, the disk is full…).
 */
export function writeProjectWithWeights(out: string, graph: GraphIR, model: TrainedModel, force: boolean, known?: CheckedGraph): string {
  const file = projectWeightsFile(model, known);
  const hash = createHash('sha256');
  for (let at = 0; at < file.bytes; at += PART_BYTES) hash.update(file.read(at, PART_BYTES));
  const sha256 = hash.digest('hex');
  const target = resolve(out);
  const weightsPath = join(dirname(target), projectWeightsFileName(basename(target), sha256));
  if (!holds(weightsPath, file.bytes, sha256)) {
    const stream = ExportStream.open(weightsPath, 'file', [{ path: 'weights', bytes: file.bytes }], force);
    try {
      for (let at = 0; at < file.bytes; at += PART_BYTES) stream.append('weights', file.read(at, PART_BYTES));
      stream.commit();
    } catch (e) {
      stream.abort();
      throw e;
    }
  }
  const project = { format: PROJECT_FORMAT, version: PROJECT_VERSION, graph, layout: {}, model: { ...file.model, weights: { format: 'safetensors', sha256, bytes: file.bytes } } };
  return writeExport({ kind: 'file', files: [{ path: 'project.json', data: new TextEncoder().encode(`${JSON.stringify(project)}\n`) }] }, target, { force });
}
