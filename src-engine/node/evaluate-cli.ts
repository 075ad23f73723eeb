/**
 * Evaluate a trained model on a dataset without training, as Keras' `model.evaluate` does
 * (docs/trainer.md "Evaluating a model").
 *
 *   npm run evaluate -- <project | model.json | model.onnx | run folder | run id> [--data FOLDER|FILE.csv|FILE.tsv|FILE.npz|X.npy [--target COLUMN] [--missing POLICY]]
 *                       [--split test|val|train] [--limit N] [--batch-size N] [--threads N] [--which last|best] [--runs DIR] [--json]
 *
 * The model: a project saved with its weights (one `npm run import` made, after Add settings), a
 * model file (`npm run train -- … --export model.json`), a stored run's folder or id. Its graph's
 * dataset is split as training split it (the same seed, so the same test split) and its test split
 * measured, unless `--data` names the user's own data, read as `npm run train --data` reads it and
 * measured whole (`--split` chooses: test, val, train, all). Inputs get the model's own
 * normalisation when it was saved with one. It runs the training loop's evaluation (eval mode), the
 * same code as the app's Evaluate (`model.evaluate`), so the test figures are those training printed.
 *
 * Prints the metrics, the model's baselines beside them (#83: from the run that trained it; said
 * when they were measured on other samples than these) and, for a classifier, the confusion matrix;
 * `--json`: one `evaluation` line, with `baselines: { name: { metric: value } }`, `baselinesOn` and
 * `baselineVerdict`.
 * Exit codes, as `npm run train`'s: 0 evaluated, 1 the evaluation failed, 2 bad input (no such
 * model, a graph without training settings, unusable data, weights that do not fit).
 */
import { compileGraph } from '../core/autodiff/executor';
import { checkGraph } from '../core/analysis/checked';
import { MISSING_POLICIES, SERIES_GAP_POLICIES } from '../catalog/datasets/options';
import { DATA_LIMITS, DataError, withInputShape } from '../core/data';
import { rectangularRows } from '../core/data/csv';
import { namesAnyColumn, tableRowsDataset, type TableEncoding } from '../core/data/table-encoding';
import { readNamedFile } from './cli-files';
import { basename } from 'node:path';
import { thrownCode } from '../base/errors';
import type { DatasetConfig } from '../base/ir/types';
import { EVALUATION_SPLITS, evaluateModel, prepareForEvaluation, type Evaluation, type EvaluationSplit } from '../core/train';
import type { TrainedModel } from '../core/export/model';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { labelledTextsForModel, loadSamples } from './datasets';
import { readsTexts } from '../core/data/model-texts';
import { getDataFormat } from '../catalog/data-formats/registry';
import { modelFromSource } from './export-cli';
import { DATA_FLAGS, checkDataFlags, wholeNumberFlag } from './train-args';
import { datasetFromFlags } from './train-data';
import { settingsForData } from './train-design';
import { metricSummary } from './train-progress';
import { metricReportText } from './metric-report';
import { commandLine, parseCommandLine, runScript, startCli, startedAs } from './cli-script';

/**
 * A table read with the model's columns, categories and classes (`tableRowsDataset`), named by its
 * file name; undefined where it names none of the model's columns (read as the data options say).
 */
function tableForModel(path: string, table: TableEncoding, classNames: readonly string[]) {
  const { header, body } = rectangularRows(readNamedFile(path, DATA_LIMITS.maxCsvBytes).toString('utf8'), path, /\.tsv$/i.test(path) ? { delimiter: '\t' } : {});
  return namesAnyColumn(header, table) ? tableRowsDataset(basename(path), header, body, table, classNames) : undefined;
}

/** `netwright evaluate --help`: the usage, naming the command as it was invoked. */
export function usage(): string {
  return `usage: ${commandLine('evaluate', `<project | model.json | model.onnx | run folder | run id> [--data FOLDER|FILE.csv|FILE.npz|X.npy [--target COLUMN] [--missing ${MISSING_POLICIES.join('|')}] [--gaps ${SERIES_GAP_POLICIES.join('|')}]] [--split ${EVALUATION_SPLITS.join('|')}] [--limit N] [--batch-size N] [--threads N] [--which last|best] [--runs DIR] [--json]`)}\nMeasures a trained model (loss, metrics, a classifier's confusion matrix) on its dataset's test split or your own data. docs/trainer.md.`;
}
/** The most classes whose confusion matrix is printed as a table (`--json` always has it). */
const MAX_PRINTED_CLASSES = 20;

/** Run the CLI; returns the exit code. `out`/`err` default to the process streams (tests pass their own). */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const cli = startCli(argv, parse, usage(), out, err);
  if (typeof cli === 'number') return cli;
  const { args, fail } = cli;
  const { json } = args;
  let model: TrainedModel;
  try {
    model = modelFromSource(args.source, args.which, args.runs);
  } catch (e) {
    // A file without weights (a bare graph, a project saved before training) says how to get them.
    return fail(thrownCode(e, 'CLI_BAD_JSON'), (e as Error).message, 2);
  }
  // An imported classifier has no training settings: measured on the data --data names.
  const t = model.graph.training ?? settingsForData(model.graph, args.data, true);
  if (!t) return fail('TRAIN_NO_CONFIG', `${args.source}: the model has no training settings (dataset, loss), so there is nothing to measure it on. Name your data with --data (an imported classifier has its label Input and loss), or open it in the app, use Add settings, save, and evaluate it again.`, 2);
  const graph = { ...model.graph, training: t };
  let dataset: DatasetConfig;
  try {
    dataset = datasetFromFlags(args, graph, t.dataset);
    if (args.limit !== undefined) dataset = { ...dataset, limit: args.limit };
  } catch (e) {
    return fail(thrownCode(e, 'DATA_BAD_OPTION'), (e as Error).message, 2);
  }
  const checked = checkGraph({ ...graph, training: { ...t, dataset, ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}) } });
  if (!checked.graph) return fail('E_MODEL_GRAPH', `${args.source}: the model's graph is not valid: ${checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ')}`, 2);
  let data;
  try {
    const config = withInputShape(dataset, checked.graph.ir);
    // A model trained on a table reads a new one that names its columns by them, and its classes (its table encoding).
    const byName = model.table && args.data !== undefined && /\.(csv|tsv)$/i.test(args.data) ? tableForModel(args.data, model.table, model.classNames ?? []) : undefined;
    // A text model reads the user's texts with its own tokenizer and classes, never a vocabulary built from them.
    const texts = !byName && args.data !== undefined && readsTexts(model) && getDataFormat(config.name)?.reads === 'labelled-texts' ? labelledTextsForModel(config, model, args.target) : undefined;
    const own = byName ?? texts;
    data = prepareForEvaluation(own ? { train: own } : loadSamples(config, t.seed), config, t.seed, model.normalization, model.targetNormalization);
  } catch (e) {
    return fail(e instanceof DataError ? e.code : 'DATA_LOAD_FAILED', (e as Error).message, 2);
  }
  const backend = await createBestBackend(args.threads !== undefined ? { threads: args.threads } : {});
  let evaluation: Evaluation;
  try {
    evaluation = await evaluateModel(checked.graph, model, data, backend, { compile: compileGraph, split: args.split });
  } catch (e) {
    const code = thrownCode(e, 'E_EVALUATE_FAILED');
    // A model that does not fit the data (shapes, classes) or its weights is bad input; anything else failed.
    return fail(code, (e as Error).message, /^(E_MODEL|TRAIN_|DATA_|OPTIM_|METRIC)/.test(code) && code !== 'TRAIN_INTERNAL' ? 2 : 1);
  } finally {
    backend.dispose?.();
  }
  if (json) out(JSON.stringify({ type: 'evaluation', ...evaluation }) + '\n');
  else printEvaluation(graph.name ?? args.source, evaluation, out);
  return 0;
}

/** The evaluation as text: what was measured, the metrics, a classifier's confusion matrix. */
function printEvaluation(name: string, e: Evaluation, out: (s: string) => void): void {
  const units = e.normalization === 'model' ? 'normalised as the model was trained' : e.normalization === 'dataset' ? "normalised with the data's training split" : 'not normalised';
  out(`${name}: ${e.dataset}, ${e.samples} samples (${units})\n`);
  out(`${e.split} ${metricSummary(e.metrics)}\n`);
  out(metricReportText(e.metrics, e.classNames));
  if (e.baselines && e.baselinesOn && Object.keys(e.baselines).length) {
    const on = e.baselinesOn.split === 'val' ? 'validation' : 'test';
    out(e.baselinesOn.sameSamples ? `baselines on the same ${on} split:\n` : `baselines on the ${on} split of the run that trained the model, not these samples:\n`);
    for (const [name, m] of Object.entries(e.baselines)) out(`  ${name.padEnd(15)} ${metricSummary(m, false)}\n`);
    if (e.baselineVerdict) out(`${e.baselineVerdict}\n`);
  }
  const m = e.metrics.confusion;
  if (!m || m.length > MAX_PRINTED_CLASSES) return;
  const names = m.map((_, i) => e.classNames[i] ?? String(i));
  const width = Math.max(5, ...names.map((n) => n.length), ...m.flat().map((v) => String(v).length));
  const cell = (s: string) => s.slice(0, width).padStart(width);
  out(`confusion matrix (rows: true class, columns: predicted)\n${cell('')} ${names.map(cell).join(' ')}\n`);
  for (let i = 0; i < m.length; i++) out(`${cell(names[i])} ${m[i].map((v) => cell(String(v))).join(' ')}\n`);
}

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      ...DATA_FLAGS,
      split: { type: 'string' },
      limit: { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      which: { type: 'string' },
      runs: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new Error(positionals.length ? `expected one model, got ${positionals.length}` : 'missing the model (a project, model file or run)');
  checkDataFlags(values);
  if (values.split !== undefined && !(EVALUATION_SPLITS as readonly string[]).includes(values.split)) throw new Error(`--split must be one of ${EVALUATION_SPLITS.join(', ')} (got ${values.split})`);
  if (values.which !== undefined && values.which !== 'last' && values.which !== 'best') throw new Error(`--which must be last or best (got ${values.which})`);
  const int = wholeNumberFlag;
  return {
    source: positionals[0],
    json: values.json === true,
    data: values.data,
    target: values.target,
    missing: values.missing,
    gaps: values.gaps,
    // The user's own data (a held-out file, say) is measured whole; the design's dataset on the split training held out.
    split: (values.split ?? (values.data !== undefined ? 'all' : 'test')) as EvaluationSplit,
    limit: int('limit', values.limit, 1),
    batchSize: int('batch-size', values['batch-size'], 1),
    threads: int('threads', values.threads, 1),
    which: (values.which ?? 'last') as 'last' | 'best',
    runs: values.runs ?? process.env.NETWRIGHT_RUNS_DIR,
  };
}

if (startedAs('evaluate-cli')) {
  enableRelaxedSimd();
  runScript(main, 'E_EVALUATE_INTERNAL');
}
