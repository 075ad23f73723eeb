/**
 * Headless training from the command line: a graph file, or a project (`*.netwright.json`). Its
 * runs start where the design says (`training.startFrom`): the weights saved with the project (a
 * project from `npm run import`, say), a stored run's checkpoint (with `--runs`), or fresh.
 *
 *   npm run train -- <graph.json | project> [--data FOLDER|FILE.csv|FILE.tsv|FILE.npz|X.npy [--target COLUMN] [--missing POLICY]]
 *                    [--epochs N] [--batch-size N] [--limit N] [--threads N] [--seed N] [--runs DIR] [--json]
 *                    [--export PATH [--export-format json|onnx|pytorch] [--force]] [--lr RATE] [--device auto|cpu|gpu]
 *   npm run train -- --resume RUN --runs DIR [--epochs MORE] [--lr RATE] [--device auto|cpu|gpu]
 *   npm run train -- <graph.json | project> --find-lr [--lr-range START,END] [--lr-steps N] [--json] …
 *
 * (`netwright train …` once the package is installed: src-main/cli/netwright.ts.)
 *
 * `--lr` replaces the optimizer's learning rate (as the app's override). `--device` picks where
 * it trains, as the Train panel's Device does (core/gpu/select.ts): `cpu` (the default, so a
 * command line computes the same on every machine), `auto` (the GPU with a real adapter when the
 * model runs on it entirely), `gpu` (forced; refused with the app's `E_GPU_NO_KERNEL` or
 * `E_GPU_UNAVAILABLE`). The GPU is npm `webgpu` (Dawn) in this process.
 *
 * `--resume RUN` continues a stored run (with `--runs DIR`) from its last checkpoint: its design,
 * data and settings, weights, optimizer and schedule state, as the app's Resume does (docs/runs.md).
 * Without `--epochs` it trains to the run's own epoch count (a stopped or crashed run); with
 * `--epochs N`, N epochs past the checkpoint. The new run is recorded naming its parent.
 *
 * `--find-lr` trains nothing: it runs the learning-rate range test (docs/trainer.md, "Finding a
 * learning rate") from the weights the run would start from, the rate growing exponentially over
 * `--lr-range` (default 1e-7,10) in `--lr-steps` steps (default 100), and prints the rates, the
 * losses and the smoothed losses, where it diverged and the suggested rate (under `--json`, one
 * `lr-find` line).
 *
 * `--data` trains on the user's own data instead of the graph's dataset (docs/data.md; a design
 * made for a time series takes a CSV column, `--target` naming it): a folder
 * of class sub-folders of images (fed at the features Input's shape), a CSV/TSV table (`--target`
 * names its target column, `--missing` its missing-value policy) or a NumPy `.npz` (x, y). The graph's validation split and limit are
 * kept; what the data held (fingerprint, counts, skipped files with why) is printed first, and
 * under `--json` as a `data` event.
 *
 * `--export PATH` writes the trained model when the run ends (docs/export.md): a `.json` path as
 * a Netwright model file, a `.onnx` one as ONNX, any other as a PyTorch project folder, unless
 * `--export-format` says. PATH is checked before training starts: something new or an empty
 * folder, or with `--force` an existing file or an earlier export's folder (never a folder
 * holding anything else).
 *
 * Human-readable progress by default; `--json` prints one JSON object per line (progress, epoch,
 * done/error events), the last holding the final metrics with test figures under `test`.
 * Exit codes: 0 done, 1 training failed (e.g. the loss became NaN), 2 bad input (missing file,
 * invalid graph, unusable data).
 */
import { existsSync, statSync } from 'node:fs';
import { compileGraph } from '../core/autodiff/executor';
import type { Backend } from '../core/backend/types';
import { MISSING_POLICIES } from '../catalog/datasets/options';
import { getDataset, labelledTextOptionsOf } from '../catalog/datasets/registry';
import { series } from '../catalog/datasets/series';
import { fileFormatOf, getDataFormat } from '../catalog/data-formats/registry';
import { folderFormat } from './data-scan';
import { CliError, readNamedJson } from './cli-files';
import { readRegularFile } from './regular-file';
import { DATA_LIMITS, DataError, csvColumns, prepareData, targetColumnByName, tokenizerOf, withInputShape } from '../core/data';
import type { SourceReport } from '../core/data';
import { checkGraph } from '../core/analysis/checked';
import { fitToData } from '../base/ir/data-fit';
import { isFeatureInput } from '../base/ir/inputs';
import type { DatasetConfig, GraphIR, TrainingConfig } from '../base/ir/types';
import { ComputeChoice } from '../base/schemas';
import type { CheckedGraph } from '../core/analysis/checked';
import type { PreparedData, Samples } from '../core/data';
import { adapterName, type GpuContext } from '../core/gpu/context';
import { chooseGpuSaying, type AcquireGpu } from '../core/gpu/select';
import { buildGpuTrainable } from '../core/gpu/trainable';
import type { Checkpoint, CompileFn, DoneEvent } from '../core/train/types';
import type { RunMeta } from '../app/runs/types';
import { nodeGpuAcquirer } from './gpu/device';
import type { MetricValues } from '../core/metrics';
import { Trainer, TrainError, defaultTraining, findLearningRate, lossNodeOf } from '../core/train';
import type { DataSkipped, LrFinding, TrainerEvent } from '../core/train';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { loadSamples } from './datasets';
import { RunStore, type RunWriter } from './run-store';
import { recordMetrics, stepMetrics } from '../app/runs/recorder';
import { ENGINE_VERSION } from '../base/version';
import { cliErrorJson, cliErrorText, thrownCode, type ErrorCode, type ThrownCode } from '../base/errors';
import { EXPORT_FORMATS, checkExportSettings, exportFormat, formatForPath, type ExportFormat } from '../core/export/formats';
import { modelFromCheckpoint } from '../core/export/model';
import { SETTING_FLAGS, exportModelTo, settingsFromFlags } from './export-cli';
import { PROJECT_FORMAT, upgradeProjectGraph } from '../base/ir/project';
import { modelFromJSON } from '../core/export/json';
import type { TrainedModel } from '../core/export/model';
import { checkExportTarget } from './export-writer';
import { describeStartFrom, startFromOf } from '../base/ir/start-from';
import { commandLine, decimalNumber, parseCommandLine, runScript, startedAs, usageErrorText, wantsHelp } from './cli-script';

/** `netwright train --help` (or `npm run train -- --help`): the usage, naming the command as it was invoked. */
export function usage(): string {
  const train = (args: string) => commandLine('train', args);
  return [
    `usage: ${train(`<graph.json | project> [--find-lr [--lr-range START,END] [--lr-steps N]] [--epochs N] [--lr RATE] [--device ${ComputeChoice.options.join('|')}] [--data FOLDER|FILE.csv|FILE.npz|X.npy [--target COLUMN] [--missing ${MISSING_POLICIES.join('|')}]] [--memory-budget MIB] [--batch-size N] [--limit N] [--threads N] [--seed N] [--runs DIR] [--json] [--export PATH [--export-format ${EXPORT_FORMATS.map((f) => f.id).join('|')}] [--force] [--opset N] [--normalization nodes|fold|none]]`)}`,
    `       ${train('--resume RUN --runs DIR [--epochs MORE] [--lr RATE] [--device …] [--export PATH …]')}`,
    'Trains a design (or a project, from its saved weights when it starts from them) headless; an imported classifier trains on --data. docs/trainer.md.',
  ].join('\n');
}

/**
 * A CLI's start, shared by the train, evaluate and predict commands: `--help` answered with `usage` (exit 0), else `argv` parsed (a usage error printed,
 * as one JSON line under `--json`, and exit code 2 returned), and `fail`, which prints a coded
 * error (JSON under `--json`) and returns the exit code it is given.
 */
export function startCli<A extends { json: boolean }>(argv: string[], parse: (argv: string[]) => A, usage: string, out: (s: string) => void, err: (s: string) => void): number | { args: A; fail: (code: ErrorCode | ThrownCode, message: string, exit: number) => number } {
  if (wantsHelp(argv)) {
    out(`${usage}\n`);
    return 0;
  }
  let args: A;
  try {
    args = parse(argv);
  } catch (e) {
    // Under --json every line is JSON, a usage error included.
    if (argv.includes('--json')) out(cliErrorJson('CLI_USAGE', (e as Error).message, { usage }));
    else err(usageErrorText((e as Error).message, usage));
    return 2;
  }
  const fail = (code: ErrorCode | ThrownCode, message: string, exit: number): number => {
    if (args.json) out(cliErrorJson(code, message));
    else err(cliErrorText(code, message));
    return exit;
  };
  return { args, fail };
}

const refuse = (code: ErrorCode | ThrownCode, message: string, exit = 2): never => {
  throw new CliError(code, message, exit);
};

/** `fn()`; what it throws (a refusal aside) is refused under the error's own code, else `fallback`. */
function refusing<T>(fallback: ErrorCode, fn: () => T, exit = 2, describe = (e: Error) => e.message): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(thrownCode(e, fallback), describe(e as Error), exit);
  }
}

/** Where the CLI prints: progress on `out`, problems on `err`; every line JSON under `--json`. */
interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  json: boolean;
}

type Args = ReturnType<typeof parse>;

/** What a command line trains: a design read from a file, or a stored run to go on with (`--resume`). */
interface Design {
  graph: GraphIR;
  /** How messages name it: the file, or the stored run. */
  label: string;
  /** The weights a project was saved with (what `startFrom: loaded` takes). */
  weights?: TrainedModel;
  /** `--resume`: the stored run and the checkpoint the new run continues from. */
  resume?: { meta: RunMeta; checkpoint: Checkpoint };
}

/** Run the CLI; returns the exit code. `out`/`err` default to the process streams (tests pass their own). */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const cli = startCli(argv, parse, usage(), out, err);
  if (typeof cli === 'number') return cli;
  const { args, fail } = cli;
  const io: Io = { out, err, json: args.json };
  try {
    const exportAs = exportTarget(args);
    const design = args.resume !== undefined ? resumedDesign(args.resume, args) : readDesign(args.file!, args.data);
    const checked = checkDesign(withFlags(design, args), design.label, io);
    const from = design.resume ? undefined : startWeights(checked.ir, design, args.runs);
    const data = loadData(checked.ir, io);
    const fitted = args.data !== undefined ? fitToUserData(checked, data, design.label, io) : checked;
    if (args.findLr) return await findLr(args, io, fitted, data, from);
    return await train({ args, io, design, checked: fitted, data, from, exportAs });
  } catch (e) {
    if (e instanceof CliError) return fail(e.code, e.message, e.exit);
    throw e;
  }
}

/** The `--export` format, with PATH checked before training: a run is not spent to find the target taken. */
function exportTarget(args: Args): ExportFormat | undefined {
  if (!args.exportPath) return undefined;
  const exportAs = exportFormat(args.exportFormat ?? formatForPath(args.exportPath))!;
  refusing('E_EXPORT_WRITE', () => {
    checkExportSettings(exportAs, args.exportSettings);
    checkExportTarget(args.exportPath!, exportAs.output.kind, args.force);
  });
  return exportAs;
}

/** The graph (or project) in `file`, with the weights a project was saved with; one without training settings trains on `data` when given. */
function readDesign(file: string, data: string | undefined): Design {
  if (!existsSync(file)) refuse('CLI_NO_FILE', `${file}: no such file. Pass the path of a graph JSON file (e.g. examples/mnist-mlp.json).`);
  let graph: GraphIR | undefined;
  // A project saved with its weights (or made by `npm run import`): what `startFrom: loaded` takes.
  let weights: TrainedModel | undefined;
  // A regular file within JSON_FILE_MAX_BYTES: /dev/zero or a FIFO is refused, not read.
  const json = refusing('CLI_BAD_JSON', () => readNamedJson(file));
  refusing(
    'CLI_BAD_JSON',
    () => {
      const project = json.format === PROJECT_FORMAT;
      graph = (project ? json.graph : json) as GraphIR;
      if (project && json.model !== undefined) weights = modelFromJSON(json.model);
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
  return { graph: { ...graph, training }, label: file, ...(weights ? { weights } : {}) };
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
function resumedDesign(id: string, args: Args): Design {
  if (!args.runs) refuse('CLI_NO_RUNS', `--resume ${id}: say where the runs are with --runs DIR (or NETWRIGHT_RUNS_DIR).`);
  const { meta, graph, checkpoint } = refusing('RUN_NOT_FOUND', () => new RunStore(args.runs!).resumePoint(id));
  const epochs = args.epochs !== undefined ? checkpoint.epoch + args.epochs : meta.settings.training.epochs;
  if (epochs <= checkpoint.epoch) refuse('E_RUN_NOTHING_TO_RESUME', `Run "${meta.name}" already trained all its ${checkpoint.epoch} epochs: pass --epochs N to train N more.`);
  // The stored graph carries the run's effective settings; it is recorded as starting from the parent's last checkpoint.
  const training = { ...meta.settings.training, epochs, startFrom: { kind: 'run' as const, run: meta.id, checkpoint: 'last' as const } };
  return { graph: { ...graph, training }, label: `run ${meta.id} ("${meta.name}")`, resume: { meta, checkpoint } };
}

/** The design's training settings with the flags applied (data, memory budget, epochs, batch size, seed, limit, learning rate). */
function withFlags(design: Design, args: Args): GraphIR {
  const t = design.graph.training!;
  let dataset = refusing('DATA_BAD_OPTION', () => datasetFromFlags(args, design.graph, t.dataset));
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
function checkDesign(graph: GraphIR, label: string, io: Io): CheckedGraph {
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

/** Where the run starts (`training.startFrom`), as the app does: fresh, the project's weights, or a stored run's checkpoint. */
function startWeights(graph: GraphIR, design: Design, runs: string | undefined): TrainedModel | undefined {
  const start = startFromOf(graph.training);
  return refusing('E_TRAIN', () => {
    if (start.kind === 'loaded') return design.weights ?? refuse('E_TRAIN_NO_LOADED_MODEL', `${design.label}: the design starts from the loaded weights ("startFrom"), but the project holds none; save it with its weights, or start it fresh.`);
    if (start.kind === 'run') return runs ? new RunStore(runs).model(start.run, start.checkpoint) : refuse('CLI_NO_RUNS_DIR', `${design.label}: the design starts from stored run ${start.run}; name the run folder with --runs DIR.`);
    return undefined;
  });
}

/** The run's samples (a folder larger than its memory budget streamed from disk: docs/data.md); what the user's data held is printed. */
function loadData(graph: GraphIR, io: Io): PreparedData<Samples> {
  const training = graph.training!;
  try {
    training.dataset = withInputShape(training.dataset, graph);
    const loaded = loadSamples(training.dataset, training.seed);
    if (loaded.report) {
      reportData(loaded.report, io.json, io.out, io.err);
      // The run store and Compare see which data, by content: the fingerprint goes with the settings.
      training.dataset = { ...training.dataset, options: { ...training.dataset.options, fingerprint: loaded.report.fingerprint } };
    }
    return prepareData(loaded, training.dataset, training.seed);
  } catch (e) {
    const code = e instanceof DataError ? e.code : 'DATA_LOAD_FAILED';
    const fix = e instanceof DataError && e.option !== undefined ? CLI_FIX[e.option] : '';
    return refuse(code, (e as Error).message + fix);
  }
}

/**
 * The user's data of another width or number of classes than the design: a table's width set on
 * the Input, a Linear head resized to the classes, as the app's "Use this data" does ("Your photos"
 * comes with 3 classes, the Iris MLP takes 4 values, a bag of words as many as its vocabulary):
 * data of a format with a shape (catalog/data-formats), images resized to the Input.
 */
function fitToUserData(checked: CheckedGraph, data: PreparedData<Samples>, label: string, io: Io): CheckedGraph {
  const graph = checked.ir;
  const training = graph.training!;
  const format = getDataFormat(training.dataset.name);
  if (!format?.shape) return checked;
  const fit = fitToData(graph, { name: data.train.name, kind: format.shape, featureShape: data.train.featureShape, classes: data.train.task === 'classification' ? data.train.numClasses : 0, resizedToInput: format.reads === 'images' });
  if (!fit.edits.length) return checked;
  const edited = new Map(fit.edits.map((e) => [e.nodeId, e.attrs]));
  const resized = checkGraph({ ...graph, nodes: graph.nodes.map((n) => (edited.has(n.id) ? { ...n, attrs: { ...n.attrs, ...edited.get(n.id) } } : n)) }, { batchSize: training.batchSize });
  if (!resized.graph) return refuse('CLI_BAD_GRAPH', `${label}: fitted to the data (${fit.edits.map((e) => e.done).join('; ')}) it does not check: ${resized.diagnostics.map((d) => d.message).join('; ')}`);
  for (const e of fit.edits) {
    if (io.json) io.out(JSON.stringify({ type: 'note', message: e.done }) + '\n');
    else io.err(`note: ${e.done}\n`);
  }
  return resized.graph;
}

/** What the run trains on: the CPU backend, and the GPU when `--device` chose one (as the app's Device: core/gpu/select.ts). */
interface Device {
  backend: Backend;
  gpu: GpuContext | null;
  compile: CompileFn;
  description: string;
  dispose(): void;
}

/**
 * The device for `--device auto|cpu|gpu`, refused with the app's codes and messages
 * (`E_GPU_NO_KERNEL`, `E_GPU_UNAVAILABLE`); what auto or gpu chose and why is said once to `say`
 * (stderr). The GPU comes from npm `webgpu` (Dawn) in this process, its adapter looked for first in
 * a child whose stderr (Dawn's messages) goes to a log file (gpu/probe.ts).
 */
export async function chooseDevice(graph: CheckedGraph, choice: ComputeChoice, threads: number | undefined, acquire: AcquireGpu = nodeGpuAcquirer(), say: (line: string) => void = () => undefined): Promise<Device> {
  let gpu: GpuContext | null;
  try {
    const chosen = await chooseGpuSaying(graph.ir, choice, acquire);
    gpu = chosen.gpu;
    // What --device auto (or gpu) chose, and why: `device: gpu (nvidia hopper (NVIDIA H200))`, `device: cpu (no GPU adapter found: …)`.
    if (choice !== 'cpu') say(gpu ? `device: gpu (${adapterName(gpu.adapter)})\n` : `device: cpu (${chosen.why})\n`);
  } catch (e) {
    return refuse(thrownCode(e, 'E_GPU_UNAVAILABLE'), (e as Error).message);
  }
  const backend = await createBestBackend(threads !== undefined ? { threads } : {});
  const compile: CompileFn = gpu ? (g, o) => buildGpuTrainable(g, { gpu: gpu!, batchSize: o.batchSize, seed: o.seed }) : compileGraph;
  const description = gpu ? `WebGPU · ${adapterName(gpu.adapter)}` : backend.description;
  return {
    backend,
    gpu,
    compile,
    description,
    dispose: () => {
      gpu?.dispose();
      backend.dispose?.();
    },
  };
}

/** Everything a run needs once its design, data and weights are settled. */
interface RunPlan {
  args: Args;
  io: Io;
  design: Design;
  checked: CheckedGraph;
  data: PreparedData<Samples>;
  from: TrainedModel | undefined;
  exportAs: ExportFormat | undefined;
}

/** Train the plan on the chosen device, record it (`--runs`), export it (`--export`); the exit code. */
async function train(plan: RunPlan): Promise<number> {
  const { args, io, design, checked, data } = plan;
  const graph = checked.ir;
  const device = await chooseDevice(checked, args.device, args.threads, undefined, io.err);
  const started = Date.now();
  if (!io.json) {
    io.out(`${graph.name ?? design.label}: ${data.train.name} ${data.train.count} · ${data.val.name} ${data.val.count} · ${data.test.name} ${data.test.count} samples\n`);
    io.out(`backend: ${device.description}\n`);
  }
  const print = progressPrinter(io, started);
  const recorder = new RunRecorder(data);
  let trainer: Trainer;
  try {
    trainer = new Trainer(checked, data, device.backend, {
      compile: device.compile,
      ...(design.resume ? { resumeFrom: design.resume.checkpoint } : {}),
      // The recorder writes the epochs' checkpoints from the live tensors: the loop keeps a copy
      // only of the best one, and only for early stopping to put back.
      checkpoints: graph.training?.earlyStopping ? 'best' : false,
      onEvent: (e) => {
        recorder.event(e, trainer);
        print(e);
      },
      onStepLoss: (step, loss, metrics) => recorder.step(trainer, step, loss, metrics),
    });
    if (plan.from) {
      const warm = trainer.loop.warmStart({ ...plan.from.params, ...plan.from.buffers });
      const start = startFromOf(graph.training);
      if (!io.json) io.out(`weights: ${warm.taken.length} tensors from ${start.kind === 'loaded' ? 'the project' : describeStartFrom(start)}${warm.fresh.length ? `; fresh: ${warm.fresh.join(', ')}` : ''}\n`);
    }
    if (design.resume && !io.json) io.out(`resuming ${design.label} from epoch ${design.resume.checkpoint.epoch} (step ${design.resume.checkpoint.step})\n`);
    if (args.runs) recorder.open(args.runs, graph, trainer, device.description, design.resume);
  } catch (e) {
    // Nothing ran: the graph, its settings or the data do not fit (shapes, optimizer, schedule, metrics, the checkpoint).
    device.dispose();
    return refuse(thrownCode(e, 'TRAIN_BAD_CONFIG'), (e as Error).message);
  }
  try {
    if (!io.json) {
      process.once('SIGINT', () => {
        io.err('\nstopping after this batch (Ctrl-C again to abort)…\n');
        trainer.stop();
      });
    }
    const result = await trainer.run();
    if (plan.exportAs) exportTrained(plan, plan.exportAs, trainer, result, recorder.id);
    return 0;
  } catch (e) {
    if (e instanceof CliError) throw e;
    // The trainer already reported it as an `error` event. A setting it found wrong only while
    // running (an early-stopping metric that is never computed) is still bad input.
    return e instanceof TrainError && e.code === 'TRAIN_BAD_CONFIG' ? 2 : 1;
  } finally {
    device.dispose();
  }
}

/** `--find-lr`: the range test on the chosen device, its curve and suggestion printed (one `lr-find` JSON line under `--json`); the weights are not kept. */
async function findLr(args: Args, io: Io, checked: CheckedGraph, data: PreparedData<Samples>, from: TrainedModel | undefined): Promise<number> {
  const device = await chooseDevice(checked, args.device, args.threads, undefined, io.err);
  const range = { ...(args.lrRange ? { start: args.lrRange[0], end: args.lrRange[1] } : {}), ...(args.lrSteps !== undefined ? { steps: args.lrSteps } : {}) };
  let found: LrFinding;
  try {
    found = await findLearningRate(checked, data, device.backend, { compile: device.compile, ...range, ...(from ? { from: { ...from.params, ...from.buffers } } : {}) });
  } catch (e) {
    return refuse(thrownCode(e, 'TRAIN_BAD_CONFIG'), (e as Error).message);
  } finally {
    device.dispose();
  }
  if (io.json) {
    io.out(JSON.stringify({ type: 'lr-find', backend: device.description, ...found }) + '\n');
    return 0;
  }
  const fmt = (x: number | null) => (x === null ? 'NaN/Inf' : x.toFixed(4));
  io.out(`learning-rate range test on ${device.description}: ${found.lrs.length} steps from ${found.lrs[0]?.toExponential(1)}\n      rate      loss  smoothed\n`);
  // About 20 rows, and the last one.
  const every = Math.max(1, Math.round(found.lrs.length / 20));
  found.lrs.forEach((lr, i) => {
    if (i % every === 0 || i === found.lrs.length - 1) io.out(`${lr.toExponential(2).padStart(10)}  ${fmt(found.losses[i]).padStart(8)}  ${fmt(found.smoothed[i]).padStart(8)}\n`);
  });
  io.out(found.stoppedAt !== null ? `diverged at ${found.stoppedAt.toExponential(2)} (the smoothed loss passed 4× its best)\n` : 'ran every step without diverging\n');
  io.out(found.suggestion !== null ? `suggested learning rate: ${found.suggestion.toPrecision(2)} (steepest descent before the minimum; --lr ${found.suggestion.toPrecision(2)})\n` : 'no suggestion: the loss never fell over this range (widen --lr-range)\n');
  return 0;
}

/** Write the trained model where `--export` said (docs/export.md). */
function exportTrained(plan: RunPlan, exportAs: ExportFormat, trainer: Trainer, result: DoneEvent, runId: string | undefined): void {
  const { args, io, checked, data } = plan;
  const model = modelFromCheckpoint(checked.ir, trainer.loop.view(), {
    ...(data.normalization ? { normalization: data.normalization } : {}),
    classNames: [...data.train.classNames],
    ...(data.train.text ? { tokenizer: tokenizerOf(data.train.text, data.train.featureShape[0]) } : {}),
    metrics: recordMetrics(result),
    ...(runId ? { origin: { runId } } : {}),
  });
  const written = refusing('E_EXPORT_WRITE', () => exportModelTo(model, exportAs, args.exportPath!, (s) => (io.json ? undefined : io.err(s)), args.force, args.exportSettings), 1);
  if (io.json) io.out(JSON.stringify({ type: 'export', format: exportAs.id, path: written }) + '\n');
  else io.out(`exported ${exportAs.label} to ${written}\n`);
}

/** The trainer's events as the CLI prints them: one JSON line each under `--json`, else progress lines (at most one a second). */
function progressPrinter(io: Io, started: number): (e: TrainerEvent) => void {
  let lastLine = 0;
  const warnSkipped = (s: DataSkipped | undefined, when: string) => {
    if (s) io.err(`warning DATA_IMAGE_UNREADABLE: ${s.count} image${s.count === 1 ? '' : 's'} could not be read ${when} and ${s.count === 1 ? 'was' : 'were'} fed as zeros: ${s.files.slice(0, 3).map((f) => `${f.path} (${f.reason})`).join('; ')}${s.count > 3 ? '; …' : ''}\n`);
  };
  return (e) => {
    if (io.json) return io.out(JSON.stringify(e) + '\n');
    if (e.type === 'progress') {
      const now = Date.now();
      if (now - lastLine < 1000 && e.stepInEpoch !== e.stepsPerEpoch) return;
      lastLine = now;
      io.out(`epoch ${e.epoch}/${e.epochs}  step ${e.stepInEpoch}/${e.stepsPerEpoch}  loss ${e.loss.toFixed(4)}${groupLosses(e.groupLosses)}  lr ${e.lr.toPrecision(3)}  ${Math.round(e.samplesPerSec)} samples/s  ETA ${formatSeconds(e.etaSeconds)}\n`);
    } else if (e.type === 'epoch') {
      io.out(`epoch ${e.epoch}/${e.epochs} done in ${e.seconds.toFixed(1)} s  train ${metricSummary(e.train)}${e.val ? `  val ${metricSummary(e.val)}` : ''}${e.best ? '  (best)' : ''}\n`);
      warnSkipped(e.dataSkipped, 'this epoch');
    } else if (e.type === 'done') {
      io.out(`\n${e.reason} after ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}, ${e.steps} steps, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (e.test) io.out(`test (epoch ${e.evaluatedEpoch} weights): ${metricSummary(e.test)}\n`);
      warnSkipped(e.dataSkipped, 'since the last epoch');
    } else if (e.type === 'error') {
      io.err(cliErrorText(e.code, e.message));
    } else if (e.type === 'features' && e.state !== 'computing') {
      io.out(`${e.message}\n`);
    }
  };
}

/** `--runs DIR` (or NETWRIGHT_RUNS_DIR): the run kept in the run store as the app keeps it (docs/runs.md): steps, epochs, the last and best checkpoints. */
class RunRecorder {
  private writer: RunWriter | null = null;
  private readonly t0 = performance.now();

  constructor(private readonly data: PreparedData<Samples>) {}

  get id(): string | undefined {
    return this.writer?.id;
  }

  open(dir: string, graph: GraphIR, trainer: Trainer, backend: string, resume: Design['resume']): void {
    const resumed = resume ? { name: resume.meta.name, resumedFrom: { runId: resume.meta.id, step: resume.checkpoint.step, epoch: resume.checkpoint.epoch } } : {};
    this.writer = new RunStore(dir).create({ graph, settings: { training: trainer.config, backend, appVersion: ENGINE_VERSION }, ...resumed });
  }

  step(trainer: Trainer, step: number, loss: number, metrics: Readonly<Record<string, number>> | undefined): void {
    this.writer?.append({ kind: 'step', step, epoch: trainer.loop.epoch, loss: Number.isFinite(loss) ? loss : null, lr: trainer.loop.lr, t: this.seconds(), ...(metrics ? { metrics: stepMetrics(metrics) } : {}) });
  }

  event(e: TrainerEvent, trainer: Trainer): void {
    const record = this.writer;
    if (!record) return;
    const extras = { normalization: this.data.normalization, classNames: [...this.data.train.classNames] };
    if (e.type === 'epoch') {
      record.append({ kind: 'epoch', epoch: e.epoch, step: e.step, t: this.seconds(), metrics: recordMetrics({ train: e.train, val: e.val }) });
      // The last and best checkpoints, as the app's runs keep them (docs/runs.md), written from
      // the live tensors (between two steps: the loop read a device's back first).
      const view = trainer.loop.view({ train: e.train, ...(e.val ? { val: e.val } : {}) });
      record.checkpoint('last', view, extras);
      if (e.best) record.checkpoint('best', view, extras);
    } else if (e.type === 'done') {
      if (trainer.loop.step > 0) record.checkpoint('last', trainer.loop.view(), extras);
      record.finish(e.reason === 'stopped' ? 'stopped' : 'done', { steps: e.steps, epochs: e.epochs, seconds: e.seconds, metrics: recordMetrics(e) });
    } else if (e.type === 'error') {
      record.append({ kind: 'event', t: this.seconds(), event: 'error', data: { code: e.code, message: e.message } });
      record.finish('failed');
    }
  }

  private seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

const DEVICES = ComputeChoice.options;

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      resume: { type: 'string' },
      ...DATA_FLAGS,
      'memory-budget': { type: 'string' },
      limit: { type: 'string' },
      threads: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      json: { type: 'boolean', default: false },
      export: { type: 'string' },
      'export-format': { type: 'string' },
      force: { type: 'boolean', default: false },
      'find-lr': { type: 'boolean', default: false },
      'lr-range': { type: 'string' },
      'lr-steps': { type: 'string' },
      ...SETTING_FLAGS,
    },
  });
  checkFindLrFlags(values);
  if (values.resume !== undefined) {
    if (positionals.length) throw new Error(`--resume continues a stored run with its own design; drop ${positionals[0]}`);
    const kept = ['data', 'target', 'missing', 'memory-budget', 'limit', 'batch-size', 'seed'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (kept.length) throw new Error(`--resume keeps the run's data and settings; drop --${kept.join(', --')}`);
  } else if (positionals.length !== 1) {
    throw new Error(positionals.length ? `expected one graph file, got ${positionals.length}` : 'missing the graph file');
  }
  checkDataFlags(values);
  if (!(DEVICES as readonly string[]).includes(values.device)) throw new Error(`--device must be one of ${DEVICES.join(', ')} (got ${values.device})`);
  if (values.export !== undefined && !exportFormat(values['export-format'] ?? formatForPath(values.export))) throw new Error(`--export-format must be one of ${EXPORT_FORMATS.map((f) => f.id).join(', ')} (got ${values['export-format']})`);
  const int = wholeNumberFlag;
  return {
    file: positionals[0] as string | undefined,
    resume: values.resume,
    json: values.json === true,
    data: values.data,
    target: values.target,
    missing: values.missing,
    memoryBudget: int('memory-budget', values['memory-budget'], 1),
    epochs: int('epochs', values.epochs, values.resume !== undefined ? 1 : 0),
    batchSize: int('batch-size', values['batch-size'], 1),
    lr: positiveNumberFlag('lr', values.lr),
    device: values.device as ComputeChoice,
    limit: int('limit', values.limit, 1),
    threads: int('threads', values.threads, 1),
    seed: int('seed', values.seed, 0, MAX_SEED),
    runs: values.runs ?? process.env.NETWRIGHT_RUNS_DIR,
    exportPath: values.export,
    exportFormat: values['export-format'],
    force: values.force === true,
    exportSettings: settingsFromFlags(values),
    findLr: values['find-lr'] === true,
    lrRange: lrRangeFlag(values['lr-range']),
    lrSteps: int('lr-steps', values['lr-steps'], 1),
  };
}

/** `--lr-range`/`--lr-steps` only with `--find-lr`, which trains nothing to resume or export. */
function checkFindLrFlags(values: { 'find-lr'?: boolean; 'lr-range'?: string; 'lr-steps'?: string; resume?: string; export?: string }): void {
  if (!values['find-lr']) {
    if (values['lr-range'] !== undefined || values['lr-steps'] !== undefined) throw new Error('--lr-range and --lr-steps go with --find-lr');
    return;
  }
  if (values.resume !== undefined) throw new Error('--find-lr tests a design from the weights it starts from; drop --resume');
  if (values.export !== undefined) throw new Error('--find-lr trains nothing to export; drop --export');
}

/** `--lr-range START,END`: two numbers (the range itself is checked by the test: TRAIN_LR_RANGE). */
function lrRangeFlag(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => decimalNumber(x.trim()));
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x) || x <= 0)) throw new Error(`--lr-range must be two rates > 0, START,END (got ${JSON.stringify(v)})`);
  return [parts[0], parts[1]];
}

/** A flag's number > 0 (at most 1e6, as the app's learning-rate override); undefined when not given. */
function positiveNumberFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = decimalNumber(v);
  if (!(n > 0 && n <= 1e6)) throw new Error(`--${name} must be a number > 0 and ≤ 1e6 (got ${JSON.stringify(v)})`);
  return n;
}

/** `--data`, `--target`, `--missing`: the user's own data (the train and evaluate CLIs). */
export const DATA_FLAGS = { data: { type: 'string' }, target: { type: 'string' }, missing: { type: 'string' } } as const;

/** Refuse `--target` without `--data`, and a `--missing` that is no policy. */
export function checkDataFlags(values: { data?: string; target?: string; missing?: string }): void {
  if (values.target !== undefined && values.data === undefined) throw new Error('--target names a column of the table given with --data');
  if (values.missing !== undefined && !(MISSING_POLICIES as readonly string[]).includes(values.missing)) throw new Error(`--missing must be one of ${MISSING_POLICIES.join(', ')}`);
}

/**
 * `--seed`'s highest value: the random streams are seeded by the seed's low 32 bits (base/rng.ts),
 * so every seed up to it is another stream. None of the CLIs' numbers is meaningful below 0.
 */
const MAX_SEED = 2 ** 32 - 1;

/**
 * A flag's whole number from `min` to `max`, written in decimal (`decimalNumber`: not `0x10`, nor
 * blank); undefined when not given; throws a usage message naming the flag otherwise. The default
 * `max` is the largest a double holds exactly.
 */
export function wholeNumberFlag(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = decimalNumber(v);
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Error(`--${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`} (got ${JSON.stringify(v)})`);
  return n;
}

/** The dataset the flags name: `--data` (with `--target`, `--missing`) in place of `current`, else `current`. Throws DataError. */
export function datasetFromFlags(flags: { data?: string; target?: string; missing?: string }, graph: GraphIR, current: DatasetConfig): DatasetConfig {
  if (flags.data === undefined) return current;
  const dataset = userDataset(flags.data, flags.target, graph, current);
  if (flags.missing === undefined) return dataset;
  if (!('missing' in (getDataset(dataset.name)?.options ?? {}))) throw new DataError('DATA_BAD_OPTION', '--missing applies to a table (--data FILE.csv).');
  return { ...dataset, options: { ...dataset.options, missing: flags.missing } };
}

/**
 * The dataset `--data PATH` names, in place of the graph's: a folder is an image folder fed at the
 * features Input's shape, `.csv`/`.tsv`/`.txt` a table (a `.txt` for a graph on a character-level
 * text set: a text for a language model; a `.csv` for a graph on a time series: its series),
 * `.npz` arrays (catalog/data-formats: the formats their extensions name). The graph's validation
 * split, limit, transform and augmentation are kept; its dataset options only when it named the
 * same kind of data (they were the other set's).
 */
export function userDataset(path: string, target: string | undefined, graph: GraphIR, current: DatasetConfig): DatasetConfig {
  const keep = { ...(current.validationSplit !== undefined ? { validationSplit: current.validationSplit } : {}), ...(current.limit !== undefined ? { limit: current.limit } : {}), ...(current.augment ? { augment: current.augment } : {}), ...(current.transform ? { transform: current.transform } : {}), ...(current.target ? { target: current.target } : {}) };
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new DataError('DATA_NOT_FOUND', `--data: ${path} does not exist.`);
  }
  // A graph already set up for this kind of data keeps its options (a table's missing-value
  // policy, roles, normalisation), all but the path and the fingerprint of the data it named.
  const own = (kind: string): Record<string, unknown> => {
    if (current.name !== kind) return {};
    const { path: _path, fingerprint: _fingerprint, ...rest } = current.options ?? {};
    return rest;
  };
  // Labelled texts (a folder of .txt files per class, a table of texts for a design made for
  // them) keep the design's tokenising, as Add data… does: its Input and Embedding were made for it.
  const texts = (kind: string, more: Record<string, unknown> = {}): DatasetConfig => ({ ...keep, name: kind, options: { ...labelledTextOptionsOf(current), ...own(kind), path, ...more } });
  if (isDir) {
    if (target !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; a folder\'s classes are its sub-folders.');
    // A folder by what its class sub-folders hold (images, or .txt texts), as the app's scan reads it.
    const folder = folderFormat(path);
    if (folder.reads === 'labelled-texts') return texts(folder.kind);
    return withInputShape({ ...keep, name: folder.kind, options: { ...own(folder.kind), path } }, graph);
  }
  const declared = getDataset(current.name);
  // The design picks a file's format where its extension fits several: a .txt is a language
  // model's text, a .csv a text classifier's table of texts (catalog/data-formats `forDesign`).
  const format = fileFormatOf(path, declared);
  if (format?.reads === 'labelled-texts') return texts(format.kind, target !== undefined ? { labelColumn: target } : {});
  // A language model's text: a .txt file read character by character, keeping the window it was designed for.
  if (format?.reads === 'characters' && declared?.text) {
    if (target !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; a text\'s targets are its next characters.');
    // A design for a set with a fixed vocabulary (fortunes' 97 characters) keeps it: its Embedding and last Linear fit any text then.
    const window = current.options?.window;
    const fixed = declared.vocabulary ? { vocabulary: declared.vocabulary } : {};
    return { ...keep, name: format.kind, options: { ...own(format.kind), ...fixed, ...(typeof window === 'number' ? { window } : {}), path } };
  }
  // A design made for a time series (a window of one value per step): a CSV column is its series,
  // --target naming the column, the window its Input's steps.
  if (/\.(csv|tsv)$/i.test(path) && declared?.timeSeries) {
    const shape = graph.nodes.find(isFeatureInput)?.attrs.shape;
    const window = Array.isArray(shape) && shape.length === 2 && typeof shape[0] === 'number' ? shape[0] : undefined;
    return { ...keep, name: series.name, options: { ...own(series.name), path, ...(target !== undefined ? { column: target } : {}), ...(window !== undefined ? { window } : {}) } };
  }
  if (format?.reads === 'table') {
    // No --target: the column named like one (Survived, label, class…), else the last.
    const named = target ?? namedTarget(path);
    return { ...keep, name: format.kind, options: { ...own(format.kind), path, ...(named !== undefined ? { targetColumn: named } : {}) } };
  }
  if (format?.reads === 'arrays') {
    if (target !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; an .npz holds its targets in y (an .npy of features, in the .npy beside it).');
    return { ...keep, name: format.kind, options: { ...own(format.kind), path } };
  }
  throw new DataError('DATA_BAD_OPTION', `--data: ${path} is not a folder, a .csv/.tsv table, an .npz archive or an .npy of features.`);
}

/** What the CLI says to do about a table's problem, by the option that fixes it (the app names its own controls). */
const CLI_FIX: Record<NonNullable<DataError['option']>, string> = {
  missing: ` Pass --missing ${MISSING_POLICIES.filter((p) => p !== 'error').join('|')}.`,
  roles: ' Give it the role ignore (the dataset\'s options.roles in the graph).',
};

/** The target column a table's header names (`targetColumnByName`); undefined when none does or it cannot be read (the loader then says why). */
function namedTarget(path: string): string | undefined {
  try {
    return targetColumnByName(csvColumns(readRegularFile(path, DATA_LIMITS.maxCsvBytes).toString('utf8'), /\.tsv$/i.test(path) ? { delimiter: '\t' } : {}).columns.map((c) => c.name));
  } catch {
    return undefined;
  }
}

/** Print what the user's data held: counts, skipped files with why, notes (`--json`: one `data` event). */
function reportData(r: SourceReport, json: boolean, out: (s: string) => void, err: (s: string) => void): void {
  if (json) {
    out(JSON.stringify({ type: 'data', ...r }) + '\n');
    return;
  }
  const classes = r.classCounts ? Object.entries(r.classCounts) : [];
  out(`data: ${r.kind}, ${r.files} file${r.files === 1 ? '' : 's'}${classes.length ? `, ${classes.length} classes (${classes.slice(0, 10).map(([k, v]) => `${k} ${v}`).join(', ')}${classes.length > 10 ? ', …' : ''})` : ''}, fingerprint ${r.fingerprint.slice(0, 12)}\n`);
  for (const n of r.notes) out(`  ${n}\n`);
  if (r.skipped.length) {
    err(`skipped ${r.skipped.length} file${r.skipped.length === 1 ? '' : 's'}:\n`);
    for (const s of r.skipped.slice(0, 20)) err(`  ${s.path}: ${s.reason}\n`);
    if (r.skipped.length > 20) err(`  … and ${r.skipped.length - 20} more (--json lists them all)\n`);
  }
}

/** One line of metrics: `loss 0.0712  acc 97.90%  F1 0.979` (the evaluate CLI prints the same). */
export function metricSummary(m: MetricValues): string {
  const parts = [`loss ${m.loss.toFixed(4)}`];
  if (m.accuracy !== undefined) parts.push(`acc ${(100 * m.accuracy).toFixed(2)}%`);
  if (m['pixel-accuracy'] !== undefined) parts.push(`pixel acc ${(100 * m['pixel-accuracy']).toFixed(2)}%`);
  if (m['mean-iou'] !== undefined) parts.push(`mIoU ${m['mean-iou'].toFixed(3)}`);
  if (m.f1 !== undefined) parts.push(`F1 ${m.f1.toFixed(3)}`);
  if (m['roc-auc'] !== undefined) parts.push(`AUC ${m['roc-auc'].toFixed(3)}`);
  if (m.mse !== undefined) parts.push(`MSE ${m.mse.toFixed(5)}`);
  if (m.mae !== undefined) parts.push(`MAE ${m.mae.toFixed(5)}`);
  if (m.r2 !== undefined) parts.push(`R² ${m.r2.toFixed(3)}`);
  if (m.psnr !== undefined) parts.push(`PSNR ${m.psnr.toFixed(2)} dB`);
  return parts.join('  ');
}

/** `  (discriminator 0.693, generator 0.701)` for runs with optimizer groups. */
function groupLosses(g: Record<string, number> | undefined): string {
  return g ? `  (${Object.entries(g).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(', ')})` : '';
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

if (startedAs('train-cli')) {
  // Here, not in main(): tests call main() in a shared process whose kernels must stay as they are.
  enableRelaxedSimd();
  runScript(main, 'TRAIN_INTERNAL');
}
