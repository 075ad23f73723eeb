/**
 * The engine as the renderer sees it: the one module of src-engine the renderer may import, besides
 * the protocol (`src-engine/protocol`, the contract between the processes). It re-exports, by name,
 * the types and pure functions the UI computes with in its own process — the IR format, the op,
 * dataset and optimizer registries the palette, inspector and Train dock read, the live analysis
 * (validation, shapes, memory) the canvas shows while you draw, graph diffs and a few formatters.
 * Everything that trains, probes or stores runs stays behind the protocol.
 *
 * ESLint (`no-restricted-imports`, src-renderer) refuses any other path into src-engine, so what
 * the renderer depends on is this list: adding to it is a visible decision, and moving a module
 * inside the engine touches this file, not the UI. It sits above the tiers (base, core) it
 * re-exports and imports nothing of app/ or node/.
 *
 * @example
 * import { getOp, type GraphIR } from '../../../src-engine/facade';
 */

// The IR format (base/ir): a design as data, its diagnostics, migrations and diffs.
export { GRAPH_FORMAT, GRAPH_VERSION } from './base/ir/types';
export { PROJECT_FORMAT, PROJECT_VERSION, projectName, upgradeProjectGraph } from './base/ir/project';
export type { GraphIR, NodeGroup, NodeIR, TrainingConfig, OptimizerConfig, ScheduleConfig, DatasetConfig } from './base/ir/types';
export type { Diagnostic } from './base/ir/diagnostics';
export { ComputeChoice } from './base/schemas';
export { ERRORS, errorEntry, explainCode, isErrorCode, nextAction, type ErrorCode, type ErrorEntry } from './base/errors';
export { describeDiff, diffGraphs, type GraphDiff } from './base/ir/diff';
export { migrateGraph } from './base/ir/migrate';
export { checkNodeGroups, remapNodeGroups } from './base/ir/node-groups';
export { datasetLabel } from './base/ir/training';
export { splitIssue, splitSteps, type SplitFractions } from './base/ir/split';

// Small pure helpers.
export { formatShape } from './base/tensor';
export { characterGlyph } from './core/data/text';
export { imagePixels } from './base/image-pixels';
export { thinBuckets } from './base/series';
export { base64ToBytes, bytesToBase64 } from './base/base64';

// The op registry: what the palette lists, the inspector edits and the node cards summarise.
export { getOp, listOps } from './core/ops/registry';
// Where each op runs and goes (CPU/GPU kernels, ONNX, PyTorch): the palette's tooltip.
export { coverageLine, coverageOf, opCoverage, type OpCoverage } from './core/backend/coverage';
export { OP_CATEGORIES, type Attrs, type AttrValue, type OpDef } from './core/ops/types';
export type { AttrSpec } from './catalog/attr-spec';
// What kind of node a node is, by the ops' traits and the graph-input helpers (no op names in the UI).
export { isProbedOp } from './core/ops/categories';
export { INPUT_OP, featureInput, graphInputs, inputShape, isFeatureInput, isGraphInput, isTargetInput, targetInputs } from './base/ir/inputs';
export { headToFit, predictionNodeId } from './base/ir/prediction';
// How a design meets the user's data ("Use this data", Problems): the changes that fit it, the mismatches left.
export { fitChanges, fitToData, nameForData, type DataFit, type DataShape, type FitEdit } from './core/analysis/data-fit';

// The training settings' registries: the Train dock's selects and "More settings" fields.
export { DATASETS, DEFAULT_DATASET, getDataset, labelledTextOptionsOf } from './catalog/datasets/registry';
export { dataFormatReading, fileFormatOf, getDataFormat, type DataFormat } from './catalog/data-formats/registry';
export { listTransforms, type TransformConfig, type TransformKind } from './catalog/transforms/registry';
export { parseTarget, TARGETS, TargetSpecError, type TargetKind } from './catalog/targets/registry';
export type { TransformDef, TransformParam } from './catalog/transforms/types';
export { hasClasses, isDataTask, showsProbabilities, taskOf, type Task } from './catalog/tasks';
// The shape an image folder is read at (the features Input's), as training reads it: the preview asks for the same.
export { withInputShape } from './core/data/sources';
// An image converted to a sample exactly as an image folder's are (the Playground's uploaded or pasted image).
export { imageToSample, type RgbaImage } from './core/data/image';
export { DEFAULT_OPTIMIZER, OPTIMIZERS } from './catalog/optimizers/registry';
export { DEFAULT_SCHEDULE, SCHEDULES, refitSchedule } from './catalog/schedules/registry';
export { defaultSetting } from './catalog/settings';
export { QUANTIZE_PHASE_LABELS, type QuantizePhase } from './catalog/calibration';
// A design's training settings when it has none (Add settings; the CLI's --data for an imported model).
export { defaultTraining, lossNodeOf } from './core/train/defaults';

// The live analysis the canvas shows while a design is drawn.
export { analyzeGraph } from './core/analysis/validate';
export { designMemoryVerdict, formatGiB, probeBatchRequest, splitCountsOf, type DesignRun, type MemoryLimits, type MemoryVerdict } from './core/analysis/memory';

// Fine-tuning: freezing sets of nodes, a classifier's head and replacing it.
export { freezeNodes, frozenNodeIds, upstreamNodeIds } from './base/ir/freeze';
export { DEFAULT_START_FROM, RUN_CHECKPOINTS, START_FROM_KINDS, describeStartFrom, sameStartFrom, startFromOf, type StartFrom } from './base/ir/start-from';
export { backboneOf, findClassifierHead, holdsWeights, replaceHead, type ClassifierHead } from './core/analysis/classifier';

// Exports assembled in the renderer (a generator's inputs, the zip of a project's files).
export { describeGenerator, generatorOf } from './core/export/inference-graph';
// The web demo page's script (src-renderer/demo) and the engine half bundled with it.
export type { WebDemoAnswer, WebDemoModel, WebDemoRuntime } from './core/export/web-demo';
export { writesText } from './core/data/text-sets';
export { encodeTableRow, tableWidth } from './core/data/table-encoding';
export type { TableEncoding } from './core/data/types';
export { zipStore, zipStoreParts } from './core/export/archive';
