/**
 * Headless training from the command line: a graph file, or a project (`*.netwright.json`). Its
 * runs start where the design says (`training.startFrom`): the weights saved with the project (a
 * project from `npm run import`, say), a stored run's checkpoint (with `--runs`), or fresh.
 *
 *   npm run train -- <graph.json | project> [--data FOLDER|FILE.csv|FILE.tsv|FILE.npz|X.npy [--target COLUMN] [--missing POLICY]]
 *                    [--epochs N] [--batch-size N] [--limit N] [--threads N] [--seed N] [--runs DIR] [--json]
 *                    [--export PATH [--export-format json|onnx|pytorch] [--force]]
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
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileGraph } from '../core/autodiff/executor';
import type { Backend } from '../core/backend/types';
import { MISSING_POLICIES } from '../catalog/datasets/options';
import { DataError, csvColumns, prepareData, targetColumnByName, withInputShape } from '../core/data';
import type { SourceReport } from '../core/data';
import { checkGraph } from '../core/analysis/checked';
import { fitToData } from '../base/ir/data-fit';
import { isFeatureInput } from '../base/ir/inputs';
import type { DatasetConfig, GraphIR } from '../base/ir/types';
import type { MetricValues } from '../core/metrics';
import { Trainer, TrainError } from '../core/train';
import type { DataSkipped, TrainerEvent } from '../core/train';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { loadSamples } from './datasets';
import { RunStore, type RunWriter } from './run-store';
import { recordMetrics, stepMetrics } from '../app/runs/recorder';
import { ENGINE_VERSION } from '../base/version';
import { cliErrorJson, cliErrorText, thrownCode, type ErrorCode, type ThrownCode } from '../base/errors';
import { EXPORT_FORMATS, checkExportSettings, exportFormat, formatForPath } from '../core/export/formats';
import { modelFromCheckpoint } from '../core/export/model';
import { SETTING_FLAGS, exportModelTo, settingsFromFlags } from './export-cli';
import { PROJECT_FORMAT, upgradeProjectGraph } from '../base/ir/project';
import { modelFromJSON } from '../core/export/json';
import type { TrainedModel } from '../core/export/model';
import { checkExportTarget } from './export-writer';
import { describeStartFrom, startFromOf } from '../base/ir/start-from';

const refuse = (code: ErrorCode, message: string): never => {
  throw Object.assign(new Error(message), { code });
};

const USAGE = `usage: npm run train -- <graph.json> [--data FOLDER|FILE.csv|FILE.npz|X.npy [--target COLUMN] [--missing ${MISSING_POLICIES.join('|')}]] [--memory-budget MIB] [--epochs N] [--batch-size N] [--limit N] [--threads N] [--seed N] [--runs DIR] [--json] [--export PATH [--export-format ${EXPORT_FORMATS.map((f) => f.id).join('|')}] [--force] [--opset N] [--normalization nodes|fold|none]]`;

/**
 * A CLI's start, shared by the train and evaluate commands: `argv` parsed (a usage error printed,
 * as one JSON line under `--json`, and exit code 2 returned), and `fail`, which prints a coded
 * error (JSON under `--json`) and returns the exit code it is given.
 */
export function startCli<A extends { json: boolean }>(argv: string[], parse: (argv: string[]) => A, usage: string, out: (s: string) => void, err: (s: string) => void): number | { args: A; fail: (code: ErrorCode | ThrownCode, message: string, exit: number) => number } {
  let args: A;
  try {
    args = parse(argv);
  } catch (e) {
    // Under --json every line is JSON, a usage error included.
    if (argv.includes('--json')) out(cliErrorJson('CLI_USAGE', (e as Error).message, { usage }));
    else err(`${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  const fail = (code: ErrorCode | ThrownCode, message: string, exit: number): number => {
    if (args.json) out(cliErrorJson(code, message));
    else err(cliErrorText(code, message));
    return exit;
  };
  return { args, fail };
}

/** Run the CLI; returns the exit code. `out`/`err` default to the process streams (tests pass their own). */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const cli = startCli(argv, parse, USAGE, out, err);
  if (typeof cli === 'number') return cli;
  const { args, fail } = cli;
  const { file, json } = args;
  const exportAs = args.exportPath ? exportFormat(args.exportFormat ?? formatForPath(args.exportPath)) : undefined;
  if (args.exportPath && !exportAs) {
    err(`--export-format must be one of ${EXPORT_FORMATS.map((f) => f.id).join(', ')} (got ${args.exportFormat})\n${USAGE}\n`);
    return 2;
  }
  if (args.exportPath && exportAs) {
    // Before training, not after it: a run is not spent to find the target taken.
    try {
      checkExportSettings(exportAs, args.exportSettings);
      checkExportTarget(args.exportPath, exportAs.output.kind, args.force);
    } catch (e) {
      return fail(thrownCode(e, 'E_EXPORT_WRITE'), (e as Error).message, 2);
    }
  }
  if (!existsSync(file)) return fail('CLI_NO_FILE', `${file}: no such file. Pass the path of a graph JSON file (e.g. examples/mnist-mlp.json).`, 2);
  let graph: GraphIR;
  // A project saved with its weights (or made by `npm run import`): what `startFrom: loaded` takes.
  let weights: TrainedModel | undefined;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const project = json.format === PROJECT_FORMAT;
    graph = (project ? json.graph : json) as GraphIR;
    if (project && json.model !== undefined) weights = modelFromJSON(json.model);
    if (project && graph && typeof graph === 'object') graph = upgradeProjectGraph(Number(json.version), graph, weights !== undefined);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return fail(thrownCode(e, 'CLI_BAD_JSON'), code ? `${file}: ${(e as Error).message}` : `${file}: not valid JSON (${(e as Error).message}).`, 2);
  }
  if (!graph || typeof graph !== 'object') return fail('CLI_BAD_JSON', `${file}: the project holds no graph.`, 2);
  if (!graph.training) {
    const how = weights ? ' An imported model needs a target Input, a loss and training settings: open the project in the app, use Add settings, save, and train it again.' : '';
    return fail('TRAIN_NO_CONFIG', `${file}: the graph has no "training" section (dataset, loss, optimizer).${how}`, 2);
  }
  const t = graph.training;
  let dataset = t.dataset;
  try {
    dataset = datasetFromFlags(args, graph, t.dataset);
  } catch (e) {
    return fail(thrownCode(e, 'DATA_BAD_OPTION'), (e as Error).message, 2);
  }
  if (args.memoryBudget !== undefined) {
    if (dataset.name !== 'image-folder') return fail('DATA_BAD_OPTION', '--memory-budget applies to an image folder (--data FOLDER, or a graph training on one).', 2);
    dataset = { ...dataset, options: { ...dataset.options, memoryBudget: args.memoryBudget } };
  }
  graph.training = {
    ...t,
    epochs: args.epochs ?? t.epochs,
    batchSize: args.batchSize ?? t.batchSize,
    seed: args.seed ?? t.seed,
    dataset: { ...dataset, ...(args.limit !== undefined ? { limit: args.limit } : {}) },
  };

  const analysis = checkGraph(graph, { batchSize: graph.training.batchSize });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  for (const d of analysis.diagnostics) {
    const where = d.nodeId ? ` [${d.nodeId}]` : '';
    if (json) out(JSON.stringify({ type: 'diagnostic', ...d }) + '\n');
    else err(`${d.severity} ${d.code}${where}: ${d.message}\n`);
  }
  if (errors.length > 0 || !analysis.graph) return fail('CLI_BAD_GRAPH', `${file}: ${errors.length} error${errors.length > 1 ? 's' : ''} in the graph; nothing was trained.`, 2);
  // The validator's normalised copy: attribute defaults filled in; checked here (and once more
  // when --data's folder resizes the head, below).
  let checked = analysis.graph;
  graph = checked.ir;

  // Where the run starts (`training.startFrom`), as the app does.
  const start = startFromOf(graph.training);
  let from: TrainedModel | undefined;
  try {
    if (start.kind === 'loaded') from = weights ?? refuse('E_TRAIN_NO_LOADED_MODEL', `${file}: the design starts from the loaded weights ("startFrom"), but the project holds none; save it with its weights, or start it fresh.`);
    if (start.kind === 'run') from = args.runs ? new RunStore(args.runs).model(start.run, start.checkpoint) : refuse('CLI_NO_RUNS_DIR', `${file}: the design starts from stored run ${start.run}; name the run folder with --runs DIR.`);
  } catch (e) {
    return fail(thrownCode(e, 'E_TRAIN'), (e as Error).message, 2);
  }

  const training = graph.training!;
  let data;
  try {
    training.dataset = withInputShape(training.dataset, graph);
    // A folder larger than its memory budget is streamed from disk (docs/data.md).
    const loaded = loadSamples(training.dataset, training.seed);
    if (loaded.report) {
      reportData(loaded.report, json, out, err);
      // The run store and Compare see which data, by content: the fingerprint goes with the settings.
      training.dataset = { ...training.dataset, options: { ...training.dataset.options, fingerprint: loaded.report.fingerprint } };
    }
    data = prepareData(loaded, training.dataset, training.seed);
  } catch (e) {
    const code = e instanceof DataError ? e.code : 'DATA_LOAD_FAILED';
    const fix = e instanceof DataError && e.option !== undefined ? CLI_FIX[e.option] : '';
    return fail(code, (e as Error).message + fix, 2);
  }
  // The user's data of another width or number of classes than the design: a table's width set
  // on the Input, a Linear head resized to the classes, as the app's "Use this data" does ("Your
  // photos" comes with 3 classes, the Iris MLP takes 4 values).
  const kind = training.dataset.name === 'image-folder' ? 'folder' : training.dataset.name === 'csv' ? 'table' : training.dataset.name === 'npz' ? 'arrays' : undefined;
  const fit = args.data !== undefined && kind ? fitToData(graph, { name: data.train.name, kind, featureShape: data.train.featureShape, classes: data.train.task === 'classification' ? data.train.numClasses : 0, resizedToInput: kind === 'folder' }) : undefined;
  if (fit?.edits.length) {
    const edited = new Map(fit.edits.map((e) => [e.nodeId, e.attrs]));
    const resized = checkGraph({ ...graph, nodes: graph.nodes.map((n) => (edited.has(n.id) ? { ...n, attrs: { ...n.attrs, ...edited.get(n.id) } } : n)) }, { batchSize: training.batchSize });
    if (!resized.graph) return fail('CLI_BAD_GRAPH', `${file}: fitted to the data (${fit.edits.map((e) => e.done).join('; ')}) it does not check: ${resized.diagnostics.map((d) => d.message).join('; ')}`, 2);
    checked = resized.graph;
    graph = checked.ir;
    for (const e of fit.edits) {
      if (json) out(JSON.stringify({ type: 'note', message: e.done }) + '\n');
      else err(`note: ${e.done}\n`);
    }
  }

  const backend: Backend = await createBestBackend(args.threads !== undefined ? { threads: args.threads } : {});
  const started = Date.now();
  if (!json) {
    out(`${graph.name ?? file}: ${data.train.name} ${data.train.count} · ${data.val.name} ${data.val.count} · ${data.test.name} ${data.test.count} samples\n`);
    out(`backend: ${backend.description}\n`);
  }
  let lastLine = 0;
  const warnSkipped = (s: DataSkipped | undefined, when: string) => {
    if (s) err(`warning DATA_IMAGE_UNREADABLE: ${s.count} image${s.count === 1 ? '' : 's'} could not be read ${when} and ${s.count === 1 ? 'was' : 'were'} fed as zeros: ${s.files.slice(0, 3).map((f) => `${f.path} (${f.reason})`).join('; ')}${s.count > 3 ? '; …' : ''}\n`);
  };
  const onEvent = (e: TrainerEvent): void => {
    if (json) {
      out(JSON.stringify(e) + '\n');
      return;
    }
    if (e.type === 'progress') {
      const now = Date.now();
      if (now - lastLine < 1000 && e.stepInEpoch !== e.stepsPerEpoch) return;
      lastLine = now;
      out(
        `epoch ${e.epoch}/${e.epochs}  step ${e.stepInEpoch}/${e.stepsPerEpoch}  loss ${e.loss.toFixed(4)}${groupLosses(e.groupLosses)}  lr ${e.lr.toPrecision(3)}  ` +
          `${Math.round(e.samplesPerSec)} samples/s  ETA ${formatSeconds(e.etaSeconds)}\n`,
      );
    } else if (e.type === 'epoch') {
      out(`epoch ${e.epoch}/${e.epochs} done in ${e.seconds.toFixed(1)} s  train ${metricSummary(e.train)}${e.val ? `  val ${metricSummary(e.val)}` : ''}${e.best ? '  (best)' : ''}\n`);
      warnSkipped(e.dataSkipped, 'this epoch');
    } else if (e.type === 'done') {
      out(`\n${e.reason} after ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}, ${e.steps} steps, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (e.test) out(`test (epoch ${e.evaluatedEpoch} weights): ${metricSummary(e.test)}\n`);
      warnSkipped(e.dataSkipped, 'since the last epoch');
    } else if (e.type === 'error') {
      err(cliErrorText(e.code, e.message));
    }
  };
  let trainer: Trainer;
  // --runs DIR (or NETWRIGHT_RUNS_DIR): keep the run in the run store, as the app does (docs/runs.md).
  let record: RunWriter | null = null;
  const t0 = performance.now();
  const recordEvent = (e: TrainerEvent): void => {
    if (!record) return;
    const t = (performance.now() - t0) / 1000;
    const extras = { normalization: data.normalization, classNames: [...data.train.classNames] };
    if (e.type === 'epoch') {
      record.append({ kind: 'epoch', epoch: e.epoch, step: e.step, t, metrics: recordMetrics({ train: e.train, val: e.val }) });
      // The last and best checkpoints, as the app's runs keep them (docs/runs.md).
      if (trainer.loop.last) record.checkpoint('last', trainer.loop.last, extras);
      if (e.best && trainer.loop.best) record.checkpoint('best', trainer.loop.best, extras);
    } else if (e.type === 'done') {
      if (trainer.loop.step > 0) record.checkpoint('last', trainer.loop.capture(), extras);
      record.finish(e.reason === 'stopped' ? 'stopped' : 'done', { steps: e.steps, epochs: e.epochs, seconds: e.seconds, metrics: recordMetrics(e) });
    } else if (e.type === 'error') {
      record.append({ kind: 'event', t, event: 'error', data: { code: e.code, message: e.message } });
      record.finish('failed');
    }
  };
  try {
    trainer = new Trainer(checked, data, backend, {
      compile: compileGraph,
      onEvent: (e) => {
        recordEvent(e);
        onEvent(e);
      },
      onStepLoss: (step, loss, metrics) =>
        record?.append({ kind: 'step', step, epoch: trainer.loop.epoch, loss: Number.isFinite(loss) ? loss : null, lr: trainer.loop.lr, t: (performance.now() - t0) / 1000, ...(metrics ? { metrics: stepMetrics(metrics) } : {}) }),
    });
    if (from) {
      const warm = trainer.loop.warmStart({ ...from.params, ...from.buffers });
      if (!json) out(`weights: ${warm.taken.length} tensors from ${start.kind === 'loaded' ? 'the project' : describeStartFrom(start)}${warm.fresh.length ? `; fresh: ${warm.fresh.join(', ')}` : ''}\n`);
    }
    if (args.runs) record = new RunStore(args.runs).create({ graph, settings: { training: trainer.config, backend: backend.description, appVersion: ENGINE_VERSION } });
  } catch (e) {
    // Nothing ran: the graph, its settings or the data do not fit (shapes, optimizer, schedule, metrics).
    backend.dispose?.();
    return fail(thrownCode(e, 'TRAIN_BAD_CONFIG'), (e as Error).message, 2);
  }
  try {
    if (!json) {
      process.once('SIGINT', () => {
        err('\nstopping after this batch (Ctrl-C again to abort)…\n');
        trainer.stop();
      });
    }
    const result = await trainer.run();
    if (args.exportPath && exportAs) {
      const ck = trainer.loop.capture();
      const model = modelFromCheckpoint(graph, ck, {
        ...(data.normalization ? { normalization: data.normalization } : {}),
        classNames: [...data.train.classNames],
        metrics: recordMetrics(result),
        ...(record ? { origin: { runId: record.id } } : {}),
      });
      try {
        const written = exportModelTo(model, exportAs, args.exportPath, (s) => (json ? undefined : err(s)), args.force, args.exportSettings);
        if (json) out(JSON.stringify({ type: 'export', format: exportAs.id, path: written }) + '\n');
        else out(`exported ${exportAs.label} to ${written}\n`);
      } catch (e) {
        return fail(thrownCode(e, 'E_EXPORT_WRITE'), (e as Error).message, 1);
      }
    }
    return 0;
  } catch (e) {
    // The trainer already reported it as an `error` event. A setting it found wrong only while
    // running (an early-stopping metric that is never computed) is still bad input.
    return e instanceof TrainError && e.code === 'TRAIN_BAD_CONFIG' ? 2 : 1;
  } finally {
    backend.dispose?.();
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
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
      ...SETTING_FLAGS,
    },
  });
  if (positionals.length !== 1) throw new Error(positionals.length ? `expected one graph file, got ${positionals.length}` : 'missing the graph file');
  checkDataFlags(values);
  const int = wholeNumberFlag;
  return {
    file: positionals[0],
    json: values.json === true,
    data: values.data,
    target: values.target,
    missing: values.missing,
    memoryBudget: int('memory-budget', values['memory-budget'], 1),
    epochs: int('epochs', values.epochs, 0),
    batchSize: int('batch-size', values['batch-size'], 1),
    limit: int('limit', values.limit, 1),
    threads: int('threads', values.threads, 1),
    seed: int('seed', values.seed, 0),
    runs: values.runs ?? process.env.NETWRIGHT_RUNS_DIR,
    exportPath: values.export,
    exportFormat: values['export-format'],
    force: values.force === true,
    exportSettings: settingsFromFlags(values),
  };
}

/** `--data`, `--target`, `--missing`: the user's own data (the train and evaluate CLIs). */
export const DATA_FLAGS = { data: { type: 'string' }, target: { type: 'string' }, missing: { type: 'string' } } as const;

/** Refuse `--target` without `--data`, and a `--missing` that is no policy. */
export function checkDataFlags(values: { data?: string; target?: string; missing?: string }): void {
  if (values.target !== undefined && values.data === undefined) throw new Error('--target names a column of the table given with --data');
  if (values.missing !== undefined && !(MISSING_POLICIES as readonly string[]).includes(values.missing)) throw new Error(`--missing must be one of ${MISSING_POLICIES.join(', ')}`);
}

/** A flag's whole number ≥ `min` (undefined when not given); throws a usage message otherwise. */
export function wholeNumberFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got ${v})`);
  return n;
}

/** The dataset the flags name: `--data` (with `--target`, `--missing`) in place of `current`, else `current`. Throws DataError. */
export function datasetFromFlags(flags: { data?: string; target?: string; missing?: string }, graph: GraphIR, current: DatasetConfig): DatasetConfig {
  if (flags.data === undefined) return current;
  const dataset = userDataset(flags.data, flags.target, graph, current);
  if (flags.missing === undefined) return dataset;
  if (dataset.name !== 'csv') throw new DataError('DATA_BAD_OPTION', '--missing applies to a table (--data FILE.csv).');
  return { ...dataset, options: { ...dataset.options, missing: flags.missing } };
}

/**
 * The dataset `--data PATH` names, in place of the graph's: a folder is an image folder fed at the
 * features Input's shape, `.csv`/`.tsv`/`.txt` a table (a `.txt` for a graph on `text` or
 * `fortunes`: a text for a character-level language model), `.npz` arrays. The graph's validation
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
  if (isDir) {
    if (target !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; an image folder\'s classes are its sub-folders.');
    return withInputShape({ ...keep, name: 'image-folder', options: { ...own('image-folder'), path } }, graph);
  }
  // A language model's text: a .txt file read character by character, keeping the window it was designed for.
  if (/\.txt$/i.test(path) && (current.name === 'text' || current.name === 'fortunes')) {
    if (target !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; a text\'s targets are its next characters.');
    // A design for fortunes keeps its 97-character vocabulary: its Embedding and last Linear fit any text then.
    const window = current.options?.window;
    const ascii = current.name === 'fortunes' ? { vocabulary: 'ascii' } : {};
    return { ...keep, name: 'text', options: { ...own('text'), ...ascii, ...(typeof window === 'number' ? { window } : {}), path } };
  }
  // A design made for a time series (a window of one value per step): a CSV column is its series,
  // --target naming the column, the window its Input's steps.
  if (/\.(csv|tsv)$/i.test(path) && (current.name === 'waves' || current.name === 'series')) {
    const shape = graph.nodes.find(isFeatureInput)?.attrs.shape;
    const window = Array.isArray(shape) && shape.length === 2 && typeof shape[0] === 'number' ? shape[0] : undefined;
    return { ...keep, name: 'series', options: { ...own('series'), path, ...(target !== undefined ? { column: target } : {}), ...(window !== undefined ? { window } : {}) } };
  }
  if (/\.(csv|tsv|txt)$/i.test(path)) {
    // No --target: the column named like one (Survived, label, class…), else the last.
    const named = target ?? namedTarget(path);
    return { ...keep, name: 'csv', options: { ...own('csv'), path, ...(named !== undefined ? { targetColumn: named } : {}) } };
  }
  if (/\.np[zy]$/i.test(path)) {
    if (target !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; an .npz holds its targets in y (an .npy of features, in the .npy beside it).');
    return { ...keep, name: 'npz', options: { ...own('npz'), path } };
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
    return targetColumnByName(csvColumns(readFileSync(path, 'utf8'), /\.tsv$/i.test(path) ? { delimiter: '\t' } : {}).columns.map((c) => c.name));
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

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '\0');
if (isEntry) {
  // Here, not in main(): tests call main() in a shared process whose kernels must stay as they are.
  enableRelaxedSimd();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`error TRAIN_INTERNAL: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
