/**
 * Headless training from the command line: a graph file, a project (`*.netwright.json`), or a
 * model file (`--export-format json`: trained on from its weights). Its
 * runs start where the design says (`training.startFrom`): the weights saved with the project (a
 * project from `npm run import`, say), a stored run's checkpoint (with `--runs`), or fresh.
 *
 *   npm run train -- <graph.json | project | model.json> [--data FOLDER|FILE.csv|FILE.tsv|FILE.npz|X.npy [--target COLUMN] [--missing POLICY]] [--freeze backbone|NODE]
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
 * `--freeze backbone` fine-tunes: every layer before the classifier head is frozen (after `--data`
 * resized the head to the data's classes, as the app's Use this data), as the Inspector's "Freeze
 * the layers before it"; `--freeze NODE` freezes that node and every layer before it. Before any
 * training, the app's memory verdict (core/analysis/memory.ts) on the run, at its batch size, is
 * checked against NETWRIGHT_MEMORY_SHARE of the machine's memory and the CPU backend's: too much is
 * refused (`E_TRAIN_TOO_MUCH_MEMORY`) naming the largest `--batch-size` that fits; the estimate is
 * printed (`memory: about …`; `memoryEstimateBytes` in the `--json` `start` line).
 *
 * `--export PATH` writes the trained model when the run ends (docs/export.md): a `.json` path as
 * a Netwright model file, a `.onnx` one as ONNX, any other as a PyTorch project folder, unless
 * `--export-format` says. PATH is checked before training starts: something new or an empty
 * folder, or with `--force` an existing file or an earlier export's folder (never a folder
 * holding anything else).
 *
 * Human-readable progress by default; `--json` prints one JSON object per line (progress, epoch,
 * done/error events), the last holding the final metrics with test figures under `test`.
 *
 * One run, as the app trains it: a headless `TrainingSession` (app/session), recorded with the
 * app's `RunRecorder` (`--runs`: the app's Runs list shows it under its project, the file's name).
 * This file is the run; its flags are train-args.ts's, its design train-design.ts's, its data
 * train-data.ts's, and what it prints train-progress.ts's.
 *
 * Exit codes: 0 done, 1 training failed (e.g. the loss became NaN), 2 bad input (missing file,
 * invalid graph, unusable data).
 */
import { compileGraph } from '../core/autodiff/executor';
import type { Backend } from '../core/backend/types';
import type { ComputeChoice } from '../base/schemas';
import type { CheckedGraph } from '../core/analysis/checked';
import type { PreparedData, Samples } from '../core/data';
import { adapterName, type GpuContext } from '../core/gpu/context';
import { chooseGpuSaying, type AcquireGpu } from '../core/gpu/select';
import { buildGpuTrainable } from '../core/gpu/trainable';
import { TrainError, findLearningRate, trainerEvents } from '../core/train';
import type { DoneEvent, LoopFailure, LrFinding, TrainerEvent } from '../core/train';
import { TrainingSession, type TrainingSessionOptions } from '../app/session/training-session';
import { nodeGpuAcquirer } from './gpu/device';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { RunStore } from './run-store';
import { thrownCode } from '../base/errors';
import type { ExportFormat } from '../core/export/formats';
import { exportModelTo } from './export-cli';
import type { TrainedModel } from '../core/export/model';
import { describeStartFrom, startFromOf } from '../base/ir/start-from';
import { CliError, refuse, refusing } from './cli-files';
import { runScript, startCli, startedAs } from './cli-script';
import { parse, usage, type Args } from './train-args';
import { trainElsewhere, trainsHere } from './targets';
import { checkpointExtras } from '../app/session/run-recorder';
import { probeBatchOf } from './torchrun-probe';
import { checkDesign, exportTarget, freezeLayers, memoryVerdict, readDesign, resumedDesign, startWeightsOf, withFlags, type Design } from './train-design';
import { formatGiB, type MemoryVerdict } from '../core/analysis/memory';
import { trainingMemoryLimit } from './compute-info';
import { fitToUserData, readData, type RunData } from './train-data';
import { metricSummary, progressPrinter, type Io } from './train-progress';
import { printFold, printFoldsDone, printSplitClasses, splitCounts, type FoldBaselines } from './split-report';
import { foldSummary, type FoldSummary } from '../core/metrics/folds';
import type { MetricValues } from '../core/metrics';
import { runBaselines, summaryBaselines } from '../core/metrics/baselines';

export { usage } from './train-args';

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
    const from = design.resume ? undefined : startWeightsOf(checked.ir, design, args.runs);
    let run: RunData | undefined = readData(checked.ir, io, args.folds !== undefined);
    // Under --folds, fold 1 of K is the first run's split; the others are prepared as their turn comes.
    // One run trained here is the last to read the loaded samples: prepared in place (#82).
    const data = run.prepare(args.folds !== undefined ? { k: args.folds, index: 0 } : undefined, { consume: args.folds === undefined && trainsHere(args.on) });
    const fitted = args.data !== undefined ? fitToUserData(checked, data, design.label, io, design.graph.training?.dataset) : checked;
    const frozen = args.freeze !== undefined ? freezeLayers(fitted, args.freeze, design.label, io) : fitted;
    // --on TARGET: the exported train.py trains there, recorded here as it goes (node/targets.ts).
    if (!trainsHere(args.on)) return await trainElsewhere(args.on, { io, checked: frozen, label: design.label, ...(design.project !== undefined ? { project: design.project } : {}), loaded: run.loaded, extras: checkpointExtras(data), probe: probeBatchOf(data), baselines: (test) => summaryBaselines(data, frozen.ir.training!, test), ...(from ? { from } : {}), ...(design.resume ? { resume: { runId: design.resume.meta.id, name: design.resume.meta.name, checkpoint: design.resume.checkpoint } } : {}), ...(args.runs ? { runs: args.runs } : {}), device: args.device, ...(args.threads !== undefined ? { threads: args.threads } : {}) });
    // The app's verdict before anything is allocated: refused with the batch that fits.
    const memory = memoryVerdict(frozen, data);
    if (args.findLr) return await findLr(args, io, frozen, data, from);
    const plan = { args, io, design, checked: frozen, data, from, exportAs, memory };
    if (args.folds !== undefined) return await crossValidate(plan, run, args.folds);
    // NOTE: the suspended function would hold `run`, and with it the loaded samples where they were
    // not prepared in place (a --limit run's), for the whole run: nothing reads them again (#82).
    run = undefined;
    return await train(plan);
  } catch (e) {
    if (e instanceof CliError) return fail(e.code, e.message, e.exit);
    throw e;
  }
}

/** What the run trains on: the CPU backend, and the GPU when `--device` chose one (as the app's Device: core/gpu/select.ts). */
interface Device {
  backend: Backend;
  gpu: GpuContext | null;
  compile: TrainingSessionOptions['compile'];
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
  const compile: Device['compile'] = gpu ? (g, o) => buildGpuTrainable(g, { gpu: gpu!, batchSize: o.batchSize, seed: o.seed }) : compileGraph;
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
  /** The memory verdict the run passed (`memoryVerdict`). */
  memory: MemoryVerdict;
  /** Under `--folds`: which fold this run tests on, and where its end goes (instead of a done record). */
  fold?: { index: number; k: number; done(e: DoneEvent, baselines: FoldBaselines | undefined): void; rolling?: boolean };
}

/**
 * `--folds K`: K runs of the design from the same start, run i tested on fold i of a stratified
 * K-fold partition of the data (`crossValidationFolds`) and validated on a share of the others —
 * of a time series, on the i-th of its last K blocks, trained and validated on the windows before
 * it (`rollingOriginFolds`, as scikit-learn's TimeSeriesSplit with a gap of one window);
 * each fold's test figures printed as it ends, then each test metric's mean ± sd over the folds
 * (the `--json` done record's `folds`). The exit code of the first fold that does not finish.
 */
async function crossValidate(plan: RunPlan, run: RunData, k: number): Promise<number> {
  const tests: MetricValues[] = [];
  const baselines: (FoldBaselines | undefined)[] = [];
  let reason = 'completed';
  for (let index = 0; index < k; index++) {
    const data = index === 0 ? plan.data : run.prepare({ k, index });
    let ended: DoneEvent | undefined;
    const done = (e: DoneEvent, b: FoldBaselines | undefined) => {
      ended = e;
      baselines.push(b);
    };
    const code = await train({ ...plan, data, fold: { index, k, done, rolling: run.loaded.series !== undefined } });
    if (code !== 0) return code;
    if (!ended?.test) {
      // Stopped (Ctrl-C) before its test: the folds so far are not a cross-validation.
      if (!plan.io.json) plan.io.err(`fold ${index + 1} of ${k} stopped before its test; no cross-validation figures\n`);
      return 0;
    }
    if (ended.reason !== 'completed') reason = ended.reason;
    tests.push(ended.test);
  }
  printFoldsDone(plan.io, foldSummary(tests), reason, baselineFolds(baselines));
  return 0;
}

/**
 * Each baseline's test figures over the folds (#83: a cross-validation's baselines, fitted on each
 * fold's own training split), as the network's (`foldSummary`): only baselines every fold has.
 */
function baselineFolds(folds: readonly (FoldBaselines | undefined)[]): Record<string, FoldSummary> | undefined {
  const first = folds[0];
  if (!first || folds.some((f) => !f)) return undefined;
  const names = Object.keys(first).filter((name) => folds.every((f) => f![name] !== undefined));
  return names.length ? Object.fromEntries(names.map((name) => [name, foldSummary(folds.map((f) => f![name]))])) : undefined;
}

/** A fold's baselines' test figures by name, fitted on its training split; undefined where none applies or one failed to fit (the fold stands without them). */
function foldBaselines(plan: RunPlan): FoldBaselines | undefined {
  try {
    const b = runBaselines(plan.data, plan.checked.ir.training!);
    return b && Object.keys(b.scores).length ? Object.fromEntries(Object.entries(b.scores).map(([name, s]) => [name, s.test])) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Train the plan on the chosen device in a headless session, record it (`--runs`), export it
 * (`--export`); the exit code (0 done or stopped, 1 failed, 2 a setting found wrong while running).
 */
async function train(plan: RunPlan): Promise<number> {
  const { args, io, design, checked, data } = plan;
  const graph = checked.ir;
  const device = await chooseDevice(checked, args.device, args.threads, undefined, io.err);
  const started = Date.now();
  const memoryLimit = trainingMemoryLimit();
  const frozen = graph.nodes.filter((n) => n.frozen === true).map((n) => n.id);
  if (io.json) {
    const samples = { train: data.train.count, val: data.val.count, test: data.test.count };
    // Each split's count, and per class for a classifier (#83); under --folds, which fold this run tests on.
    const splits = splitCounts(data);
    const fold = plan.fold ? { fold: { index: plan.fold.index + 1, k: plan.fold.k } } : {};
    io.out(JSON.stringify({ type: 'start', design: graph.name ?? design.label, backend: device.description, batchSize: graph.training!.batchSize, epochs: graph.training!.epochs, samples, splits, ...fold, frozen, memoryEstimateBytes: plan.memory.estimate.bytes, memoryLimitBytes: memoryLimit }) + '\n');
  } else {
    if (plan.fold) io.out(`fold ${plan.fold.index + 1}/${plan.fold.k} (tested on fold ${plan.fold.index + 1}, trained and validated on ${plan.fold.rolling ? 'the windows before it, in time order' : 'the others'})\n`);
    io.out(`${graph.name ?? design.label}: ${data.train.name} ${data.train.count} · ${data.val.name} ${data.val.count} · ${data.test.name} ${data.test.count} samples\n`);
    printSplitClasses(io, data);
    io.out(`backend: ${device.description}\n`);
    io.out(`memory: about ${formatGiB(plan.memory.estimate.bytes)} at batch ${graph.training!.batchSize} (Netwright may use ${formatGiB(memoryLimit)} here)${frozen.length ? `; ${frozen.length} frozen layers` : ''}\n`);
  }
  let failure: LoopFailure | undefined;
  let session: TrainingSession;
  try {
    session = new TrainingSession('cli', checked, data, device.backend, {
      compile: device.compile,
      // Nothing listens to the protocol's events: the CLI prints the trainer's (`trainerEvents`).
      emit: () => undefined,
      headless: true,
      ...(design.resume ? { resumeFrom: design.resume.checkpoint } : {}),
      // The baselines are fitted at the end, on the run's own splits (#83).
      hooks: [trainerEvents(foldEnd(plan, progressPrinter(io, started, () => runBaselines(data, graph.training!), data.train.classNames))), { onError: (f) => void (failure = f) }],
    });
    if (plan.from) {
      const warm = session.warmStart(plan.from);
      const start = startFromOf(graph.training);
      if (!io.json) io.out(`weights: ${warm.taken.length} tensors from ${start.kind === 'loaded' ? 'the project' : describeStartFrom(start)}${warm.fresh.length ? `; fresh: ${warm.fresh.join(', ')}` : ''}\n`);
    }
    if (design.resume && !io.json) io.out(`resuming ${design.label} from epoch ${design.resume.checkpoint.epoch} (step ${design.resume.checkpoint.step})\n`);
    // Under --folds each fold is its own run, named by its fold.
    const foldName = plan.fold ? { name: `${graph.name ?? design.label} · fold ${plan.fold.index + 1}/${plan.fold.k}` } : {};
    if (args.runs) session.record(new RunStore(args.runs), { backend: device.description, ...recordAs(design), ...foldName });
  } catch (e) {
    // Nothing ran: the graph, its settings or the data do not fit (shapes, optimizer, schedule, metrics, the checkpoint).
    device.dispose();
    return refuse(thrownCode(e, 'TRAIN_BAD_CONFIG'), (e as Error).message);
  }
  try {
    if (!io.json) {
      process.once('SIGINT', () => {
        io.err('\nstopping after this batch (Ctrl-C again to abort)…\n');
        session.control('stop');
      });
    }
    await session.run();
    // Printed as an `error` event. A setting found wrong only while running (an early-stopping
    // metric that is never computed) is still bad input.
    if (failure) return failure.error instanceof TrainError && failure.code === 'TRAIN_BAD_CONFIG' ? 2 : 1;
    if (plan.exportAs) exportTrained(plan, plan.exportAs, withBaselines(session.currentModel(), plan));
    return 0;
  } finally {
    device.dispose();
  }
}

/** Under `--folds`, a run's end goes to its fold (a `fold` line, not a done record); otherwise every event to `print`. */
function foldEnd(plan: RunPlan, print: (e: TrainerEvent) => void): (e: TrainerEvent) => void {
  const fold = plan.fold;
  if (!fold) return print;
  return (e) => {
    if (e.type !== 'done') return print(e);
    // The fold's baselines, fitted on its own training split, beside its test figures.
    const baselines = e.test ? foldBaselines(plan) : undefined;
    fold.done(e, baselines);
    printFold(plan.io, fold.index, fold.k, e, metricSummary, baselines);
  };
}

/** How the run store keeps a CLI run, as the app keeps its own: under its project; a resumed run under its parent's name, naming the parent. */
function recordAs(design: Design): { project?: string; name?: string; resumedFrom?: { runId: string; step: number; epoch: number } } {
  const r = design.resume;
  return { ...(design.project !== undefined ? { project: design.project } : {}), ...(r ? { name: r.meta.name, resumedFrom: { runId: r.meta.id, step: r.checkpoint.step, epoch: r.checkpoint.epoch } } : {}) };
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

/** The model with the run's baselines (fitted once for the done record: `runBaselines` keeps them), for its model card (#85); as it is where none could be fitted. */
function withBaselines(model: TrainedModel, plan: RunPlan): TrainedModel {
  try {
    const b = runBaselines(plan.data, plan.checked.ir.training!);
    return b && Object.keys(b.scores).length ? { ...model, baselines: b.scores } : model;
  } catch {
    return model;
  }
}

/** Write the trained model (the session's, as the app exports a run's) where `--export` said (docs/export.md). */
function exportTrained(plan: RunPlan, exportAs: ExportFormat, model: TrainedModel): void {
  const { args, io } = plan;
  const written = refusing('E_EXPORT_WRITE', () => exportModelTo(model, exportAs, args.exportPath!, (s) => (io.json ? undefined : io.err(s)), args.force, args.exportSettings), 1);
  if (io.json) io.out(JSON.stringify({ type: 'export', format: exportAs.id, path: written }) + '\n');
  else io.out(`exported ${exportAs.label} to ${written}\n`);
}

if (startedAs('train-cli')) {
  // Here, not in main(): tests call main() in a shared process whose kernels must stay as they are.
  enableRelaxedSimd();
  runScript(main, 'TRAIN_INTERNAL');
}
