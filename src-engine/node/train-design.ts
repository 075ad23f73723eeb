/**
 * What `netwright train` trains: a graph or project file (with the weights a project was saved
 * with), or a stored run to go on with (`--resume`), its settings with the flags applied and
 * checked, the weights it starts from, and where `--export` will write it.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { getDataset } from '../catalog/datasets/registry';
import { checkGraph, type CheckedGraph } from '../core/analysis/checked';
import type { GraphIR, TrainingConfig } from '../base/ir/types';
import type { Checkpoint } from '../core/train/types';
import type { RunMeta } from '../app/runs/types';
import { defaultTraining, lossNodeOf } from '../core/train';
import { startWeights } from '../app/session/start-weights';
import { checkExportSettings, exportFormat, formatForPath, type ExportFormat } from '../core/export/formats';
import { PROJECT_FORMAT, projectName, upgradeProjectGraph } from '../base/ir/project';
import { MODEL_FORMAT, modelFromJSON, modelToJSON } from '../core/export/json';
import type { TrainedModel } from '../core/export/model';
import { backboneOf, findClassifierHead } from '../core/analysis/classifier';
import { freezeNodes } from '../base/ir/freeze';
import { featureInputs } from '../base/ir/inputs';
import { checkedDesign, heldDataBytes, residentForRun as engineResidentForRun, splitCountsOf, type MemoryVerdict } from '../core/analysis/memory';
import { featureCacheFootprint } from '../core/train/feature-cache';
import { type PreparedData, type Samples } from '../core/data';
import { runMemoryVerdict } from '../app/handlers/context';
import { backendMemoryLimit, trainingMemoryLimit } from './compute-info';
import { readNamedFile, readNamedJson, refuse, refusing } from './cli-files';
import { projectModel, weightsOnly } from './project-model';
import { importOnnx } from '../core/import/onnx';
import { commandLine } from './cli-script';
import { checkExportTarget } from './export-writer';
import { RunStore } from './run-store';
import type { Args } from './train-args';
import { datasetFromFlags } from './train-data';
import type { Io } from './train-progress';
import { splitIssue } from '../base/ir/split';

/** What a command line trains: a design read from a file, or a stored run to go on with (`--resume`). */
export interface Design {
  graph: GraphIR;
  /** How messages name it: the file, or the stored run. */
  label: string;
  /** The project its runs are recorded under, as the app names it: the file's name, or the resumed run's project. */
  project?: string;
  /** The weights a project was saved with (what `startFrom: loaded` takes). */
  weights?: TrainedModel;
  /** `--resume`: the stored run and the checkpoint the new run continues from. */
  resume?: { meta: RunMeta; checkpoint: Checkpoint };
}

/** The `--export` format, with PATH checked before training: a run is not spent to find the target taken. */
export function exportTarget(args: Args): ExportFormat | undefined {
  if (!args.exportPath) return undefined;
  const exportAs = exportFormat(args.exportFormat ?? formatForPath(args.exportPath))!;
  refusing('E_EXPORT_WRITE', () => {
    checkExportSettings(exportAs, args.exportSettings);
    checkExportTarget(args.exportPath!, exportAs.output.kind, args.force);
  });
  return exportAs;
}

/** The graph, project or model file in `file`, with the weights a project was saved with (a model file's are its own); one without training settings trains on `data` when given. */
export function readDesign(file: string, data: string | undefined): Design {
  if (!existsSync(file)) refuse('CLI_NO_FILE', `${file}: no such file. Pass the path of a graph JSON file (e.g. examples/mnist-mlp.json).`);
  let graph: GraphIR | undefined;
  // A project saved with its weights (or made by `npm run import`): what `startFrom: loaded` takes.
  let weights: TrainedModel | undefined;
  const alone = weightsOnly(file);
  if (alone) refuse(alone.code, `${alone.message} To train from them, put them into their design first: \`${commandLine('import', `${file} --design DESIGN --out PROJECT`)}\`.`);
  // A regular file within JSON_FILE_MAX_BYTES: /dev/zero or a FIFO is refused, not read; an ONNX
  // file is imported as `netwright import` reads it (a model file, in another format).
  const json = /\.onnx$/i.test(file) ? refusing('E_IMPORT', () => modelToJSON(importOnnx(readNamedFile(file, 2 * 1024 ** 3 - 1, 'E_IMPORT_TOO_LARGE')).model) as unknown as Record<string, unknown>) : refusing('CLI_BAD_JSON', () => readNamedJson(file));
  refusing(
    'CLI_BAD_JSON',
    () => {
      const project = json.format === PROJECT_FORMAT;
      if (json.format === MODEL_FORMAT) {
        // A model file (`--format json`, the app's Export ▸ JSON): its graph, trained on from its
        // weights, as the app's Start from does once a model is loaded.
        weights = modelFromJSON(json);
        graph = weights.graph.training ? { ...weights.graph, training: { ...weights.graph.training, startFrom: { kind: 'loaded' } } } : weights.graph;
        return;
      }
      graph = (project ? json.graph : json) as GraphIR;
      if (project && json.model !== undefined) weights = projectModel(file, json.model as Record<string, unknown>);
      if (project && graph && typeof graph === 'object') graph = upgradeProjectGraph(Number(json.version), graph, weights !== undefined);
    },
    2,
    (e) => ((e as { code?: string }).code ? `${file}: ${e.message}` : `${file}: not valid JSON (${e.message}).`),
  );
  if (!graph || typeof graph !== 'object') return refuse('CLI_BAD_JSON', `${file}: the project holds no graph.`);
  const training = graph.training ?? settingsForData(graph, data, weights !== undefined);
  if (!training) {
    const how = weights ? ` An imported model needs a target Input and a loss (an imported classifier has them: train it on your data with \`${commandLine('train', `${file} --data FOLDER`)}\`), or open the project in the app, use Add settings, save, and train it again.` : '';
    refuse('TRAIN_NO_CONFIG', `${file}: the graph has no "training" section (dataset, loss, optimizer).${how}`);
  }
  return { graph: { ...graph, training }, label: file, project: projectName(basename(file)), ...(weights ? { weights } : {}) };
}

/**
 * The settings a design without any trains with when `--data` names its data (an imported
 * classifier: the importer gave it a label Input and a loss): the app's Add settings (its dataset
 * replaced by the data), from the project's weights when it has them. Undefined without `--data`
 * or a loss node: nothing says what to train on or what to minimise.
 */
export function settingsForData(graph: GraphIR, data: string | undefined, hasWeights: boolean): TrainingConfig | undefined {
  if (data === undefined || lossNodeOf(graph) === undefined) return undefined;
  return { ...defaultTraining(graph), ...(hasWeights ? { startFrom: { kind: 'loaded' as const } } : {}) };
}

/**
 * `--resume RUN`: the stored run's design and settings, to go on from its last checkpoint (weights,
 * optimizer and schedule state) as the app's Resume does; `--epochs N` trains N epochs past it.
 */
export function resumedDesign(id: string, args: Args): Design {
  if (!args.runs) refuse('CLI_NO_RUNS', `--resume ${id}: say where the runs are with --runs DIR (or NETWRIGHT_RUNS_DIR).`);
  const { meta, graph, checkpoint } = refusing('RUN_NOT_FOUND', () => new RunStore(args.runs!).resumePoint(id));
  const epochs = args.epochs !== undefined ? checkpoint.epoch + args.epochs : meta.settings.training.epochs;
  if (epochs <= checkpoint.epoch) refuse('E_RUN_NOTHING_TO_RESUME', `Run "${meta.name}" already trained all its ${checkpoint.epoch} epochs: pass --epochs N to train N more.`);
  // The stored graph carries the run's effective settings; it is recorded as starting from the parent's last checkpoint.
  const training = { ...meta.settings.training, epochs, startFrom: { kind: 'run' as const, run: meta.id, checkpoint: 'last' as const } };
  return { graph: { ...graph, training }, label: `run ${meta.id} ("${meta.name}")`, ...(meta.project !== undefined ? { project: meta.project } : {}), resume: { meta, checkpoint } };
}

/** The design's training settings with the flags applied (data, memory budget, epochs, batch size, seed, limit, learning rate). */
export function withFlags(design: Design, args: Args): GraphIR {
  const t = design.graph.training!;
  let dataset = refusing('DATA_BAD_OPTION', () => datasetFromFlags(args, design.graph, t.dataset));
  if (args.split) {
    // --split is checked by the split setting's own rule (the validator's and prepareData's).
    const problem = splitIssue(args.split);
    if (problem) refuse('DATA_BAD_SPLIT', `--split: ${problem}`);
    dataset = { ...dataset, split: args.split };
  }
  // --val-data, --test-data: kept with the design (its run, a later evaluate read the same files), resolved from here.
  if (args.valData !== undefined || args.testData !== undefined) {
    dataset = { ...dataset, splitFiles: { ...(args.valData !== undefined ? { val: resolve(args.valData) } : {}), ...(args.testData !== undefined ? { test: resolve(args.testData) } : {}) } };
  }
  if (args.memoryBudget !== undefined) {
    if (!('memoryBudget' in (getDataset(dataset.name)?.options ?? {}))) refuse('DATA_BAD_OPTION', '--memory-budget applies to an image folder (--data FOLDER, or a graph training on one).');
    dataset = { ...dataset, options: { ...dataset.options, memoryBudget: args.memoryBudget } };
  }
  const training = {
    ...t,
    // A resumed run's epoch count was already set from --epochs (epochs past its checkpoint).
    epochs: design.resume ? t.epochs : (args.epochs ?? t.epochs),
    batchSize: args.batchSize ?? t.batchSize,
    seed: args.seed ?? t.seed,
    dataset: { ...dataset, ...(args.limit !== undefined ? { limit: args.limit } : {}) },
    // As the app's learning-rate override: the optimizer's rate (train.start's `overrides.lr`).
    ...(args.lr !== undefined ? { optimizer: { ...t.optimizer, lr: args.lr } } : {}),
  };
  return { ...design.graph, training };
}

/** The validator's normalised copy of `graph` (attribute defaults filled in), its diagnostics printed; refused on an error. */
export function checkDesign(graph: GraphIR, label: string, io: Io): CheckedGraph {
  const analysis = checkGraph(graph, { batchSize: graph.training!.batchSize });
  for (const d of analysis.diagnostics) {
    const where = d.nodeId ? ` [${d.nodeId}]` : '';
    if (io.json) io.out(JSON.stringify({ type: 'diagnostic', ...d }) + '\n');
    else io.err(`${d.severity} ${d.code}${where}: ${d.message}\n`);
  }
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0 || !analysis.graph) return refuse('CLI_BAD_GRAPH', `${label}: ${errors} error${errors > 1 ? 's' : ''} in the graph; nothing was trained.`);
  return analysis.graph;
}

/** Where the run starts (`training.startFrom`), by the app's rule (`startWeights`): fresh, the project's weights, or a stored run's checkpoint. */
export function startWeightsOf(graph: GraphIR, design: Design, runs: string | undefined): TrainedModel | undefined {
  return refusing('E_TRAIN', () =>
    startWeights(graph.training, {
      loaded: () => design.weights ?? refuse('E_TRAIN_NO_LOADED_MODEL', `${design.label}: the design starts from the loaded weights ("startFrom"), but the project holds none; save it with its weights, or start it fresh.`),
      runs: (run) => (runs ? new RunStore(runs) : refuse('CLI_NO_RUNS_DIR', `${design.label}: the design starts from stored run ${run}; name the run folder with --runs DIR.`)),
    }),
  );
}

/**
 * `--freeze backbone`: every layer with weights before the classifier head (`findClassifierHead`,
 * after `--data` fitted it to the data's classes), as the Inspector's "Freeze the layers before
 * it" (`backboneOf`); `--freeze NODE`: that node and every layer before it. Said in a note (a
 * `note` event under `--json`); refused (`CLI_FREEZE`) when there is no head, no such node, or
 * nothing with weights to freeze.
 */
export function freezeLayers(checked: CheckedGraph, what: string, label: string, io: Io): CheckedGraph {
  const graph = checked.ir;
  let ids: string[];
  let before: string;
  if (what === 'backbone') {
    const head = findClassifierHead(graph, checked.shapesAt(1));
    if (!head) return refuse('CLI_FREEZE', `${label}: --freeze backbone freezes the layers before a classifier's head, and this design has none (its prediction is not class scores from a Linear or a convolution). Name the last layer to freeze with --freeze NODE.`);
    ids = backboneOf(graph, head.head);
    before = `before the classifier head "${head.head}"`;
  } else {
    if (!graph.nodes.some((n) => n.id === what)) return refuse('CLI_FREEZE', `${label}: --freeze ${JSON.stringify(what)}: the design has no node of that id (nor is it "backbone").`);
    ids = backboneOf(graph, what, true);
    before = `up to ${what}`;
  }
  if (ids.length === 0) return refuse('CLI_FREEZE', `${label}: --freeze ${what}: there is no layer with weights ${before}, so nothing would be frozen.`);
  const frozen = checkGraph({ ...graph, nodes: freezeNodes(graph.nodes, ids, true) }, { batchSize: graph.training!.batchSize });
  if (!frozen.graph) return refuse('CLI_BAD_GRAPH', `${label}: with --freeze ${what} it does not check: ${frozen.diagnostics.map((d) => d.message).join('; ')}`);
  const listed = ids.length > 6 ? `${ids.slice(0, 3).join(', ')}, …, ${ids.slice(-2).join(', ')}` : ids.join(', ');
  const line = `froze ${ids.length} layer${ids.length === 1 ? '' : 's'} ${before} (${listed}): they keep their weights and running statistics`;
  if (io.json) io.out(JSON.stringify({ type: 'note', message: line }) + '\n');
  else io.err(`note: ${line}\n`);
  return frozen.graph;
}

/**
 * What the engine holds as the run starts, for its memory estimate: its resident memory less every
 * array buffer it holds now, which may still count samples let go but not yet collected (the
 * loaded folder, once the prepared splits exist: #82), plus the buffers the run keeps, counted:
 * the prepared splits' samples and targets (a streamed split's targets; its samples are its memory
 * budget's) and the design's weights as read (4 bytes a parameter). resnet18 fine-tuned on 574
 * icons at 224×224, prepared as copies: 889 MiB resident with the loaded copy not yet collected,
 * 559 MiB counted so (in place: 561 MiB, nothing to collect).
 */
export function residentForRun(checked: CheckedGraph, data: PreparedData<Samples>, usage: Pick<NodeJS.MemoryUsage, 'rss' | 'arrayBuffers'> = process.memoryUsage()): number {
  return engineResidentForRun({ baseBytes: usage.rss - usage.arrayBuffers, dataBytes: heldDataBytes(data) }, checkedDesign(checked).footprintAt(1)?.params ?? 0);
}

/**
 * The app's memory verdict on the run, before anything is allocated (`runMemoryVerdict`, the one
 * Start and the Problems panel give): its estimate at the batch size, with the data loaded, a frozen
 * backbone's cached features and the splits' partial batches, against NETWRIGHT_MEMORY_SHARE of this
 * machine's memory and what the CPU backend's memory can grow to. Refused
 * (`E_TRAIN_TOO_MUCH_MEMORY`) with the app's figures and the `--batch-size` that fits.
 */
export function memoryVerdict(checked: CheckedGraph, data: PreparedData<Samples>, limits = { memoryLimitBytes: trainingMemoryLimit(), backendMemoryLimitBytes: backendMemoryLimit() }): MemoryVerdict {
  const input = featureInputs(checked.ir)[0]?.id;
  const features = input ? featureCacheFootprint(checked, data, input) : 0;
  const v = runMemoryVerdict(checked, checked.training!.batchSize, limits, residentForRun(checked, data), data.memoryBudget ?? 0, false, features, splitCountsOf(data));
  if (!v.over) return v;
  const flags = [...(v.largestBatch ? [`--batch-size ${v.largestBatch}`] : []), ...(checked.ir.nodes.some((n) => n.frozen === true) ? [] : ['--freeze backbone (only the classifier head trains)'])];
  return refuse('E_TRAIN_TOO_MUCH_MEMORY', `${v.message!}${flags.length ? ` On the command line: ${flags.join('; or ')}.` : ''}`);
}
