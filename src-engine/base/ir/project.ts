/**
 * A saved project (`*.netwright.json`): `{ format, version, graph, layout, ui?, model? }` — the
 * graph IR, the canvas positions, the UI state worth keeping, and the trained model when saved with
 * its weights. The app reads and writes it (src-renderer/src/editor/project.ts); the engine's CLIs
 * write one (`npm run import`) and read one (`npm run train`, `npm run export`).
 */
export const PROJECT_FORMAT = 'netwright.project';
import type { GraphIR } from './types';

/**
 * The newest project version this build reads and writes. 2: the design says where its runs start
 * (`training.startFrom`, base/ir/start-from.ts); absent, they start fresh.
 */
export const PROJECT_VERSION = 2;

/** A project's name as the app shows it and records its runs under (`run.json`'s `project`): its file's name without `.netwright.json` or `.json`. */
export function projectName(fileName: string): string {
  return fileName.replace(/\.netwright\.json$|\.json$/i, '');
}

/**
 * The file beside the project `projectFileName` that keeps its trained weights (docs/export.md
 * "Weights kept with the project"), named after the project and their SHA-256
 * (`icons.netwright.json` → `icons.netwright.weights-<16 hex>.safetensors`): the host writes it
 * (src-main/host/project-weights.ts), the app and the CLIs read it.
 */
export function projectWeightsFileName(projectFileName: string, sha256: string): string {
  return `${projectFileName.replace(/\.json$/i, '')}.weights-${sha256.slice(0, 16)}.safetensors`;
}

/**
 * A project's graph as this version reads it. Before version 2, a project saved with its weights
 * continued from them (the Train dock's "start from the loaded weights", on by default, and
 * `npm run train <project>`): such a project reads as `startFrom: loaded`, so it trains as it did
 * when it was saved. Read by the app and the CLIs alike.
 */
export function upgradeProjectGraph(version: number, graph: GraphIR, hasModel: boolean): GraphIR {
  if (version >= 2 || !hasModel || !graph.training || graph.training.startFrom) return graph;
  return { ...graph, training: { ...graph.training, startFrom: { kind: 'loaded' } } };
}
