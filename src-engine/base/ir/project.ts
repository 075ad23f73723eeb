/**
 * A saved project (`*.netwright.json`): `{ format, version, graph, layout, ui?, model? }` — the
 * graph IR, the canvas positions, the UI state worth keeping, and the trained model when saved with
 * its weights. The app reads and writes it (src-renderer/src/editor/project.ts); the engine's CLIs
 * write one (`npm run import`) and read one (`npm run train`, `npm run export`).
 */
export const PROJECT_FORMAT = 'netwright.project';
/** The newest project version this build reads and writes. */
export const PROJECT_VERSION = 1;
