/**
 * The data `netwright train` trains on: the graph's dataset, or the user's own (`--data` a folder,
 * a table, arrays or a text, with `--target` and `--missing`), loaded (what it held printed) and
 * the design fitted to it as the app's "Use this data" does.
 */
import { statSync } from 'node:fs';
import { MISSING_POLICIES } from '../catalog/datasets/options';
import { getDataset, labelledTextOptionsOf } from '../catalog/datasets/registry';
import { series } from '../catalog/datasets/series';
import { fileFormatOf, getDataFormat } from '../catalog/data-formats/registry';
import { DATA_LIMITS, DataError, csvColumns, prepareData, targetColumnByName, unsplitSeries, withInputShape } from '../core/data';
import type { Fold, LoadedDataset, PrepareOptions, PreparedData, Samples } from '../core/data';
import { checkGraph, type CheckedGraph } from '../core/analysis/checked';
import { fitChanges, fitToData, nameForData, type DataShape } from '../core/analysis/data-fit';
import { isFeatureInput } from '../base/ir/inputs';
import type { DatasetConfig, GraphIR } from '../base/ir/types';
import { datasetLabel } from '../base/ir/training';
import { folderFormat } from './data-scan';
import { refuse } from './cli-files';
import { readRegularFile } from './regular-file';
import { loadSamples } from './datasets';
import { reportData, type Io } from './train-progress';
import { hasClasses } from '../catalog/tasks';

/** The dataset the flags name: `--data` (with `--target`, `--missing`) in place of `current`, else `current`. Throws DataError. */
export function datasetFromFlags(flags: { data?: string; target?: string; missing?: string; gaps?: string }, graph: GraphIR, current: DatasetConfig): DatasetConfig {
  if (flags.data === undefined) return current;
  let dataset = userDataset(flags.data, flags.target, graph, current);
  if (flags.gaps !== undefined) {
    // A time series' gaps: refused, interpolated or dropped (#83).
    if (!('gaps' in (getDataset(dataset.name)?.options ?? {}))) throw new DataError('DATA_BAD_OPTION', '--gaps applies to a time series (--data FILE.csv on a design made for one).');
    dataset = { ...dataset, options: { ...dataset.options, gaps: flags.gaps } };
  }
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
  const keep = { ...(current.validationSplit !== undefined ? { validationSplit: current.validationSplit } : {}), ...(current.split ? { split: current.split } : {}), ...(current.limit !== undefined ? { limit: current.limit } : {}), ...(current.augment ? { augment: current.augment } : {}), ...(current.transform ? { transform: current.transform } : {}), ...(current.target ? { target: current.target } : {}) };
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
  gaps: ' Pass --gaps interpolate|drop.',
};

/** The target column a table's header names (`targetColumnByName`); undefined when none does or it cannot be read (the loader then says why). */
function namedTarget(path: string): string | undefined {
  try {
    return targetColumnByName(csvColumns(readRegularFile(path, DATA_LIMITS.maxCsvBytes).toString('utf8'), /\.tsv$/i.test(path) ? { delimiter: '\t' } : {}).columns.map((c) => c.name));
  } catch {
    return undefined;
  }
}

/** The run's samples as read, and how they are split (`prepareData`): once, or once per fold under `--folds`. */
export interface RunData {
  loaded: LoadedDataset<Samples>;
  /**
   * The splits; with `fold`, that fold of a k-fold cross-validation is the test split. Refused (CliError) with the data's code.
   * `consume`: nothing reads `loaded` again, so a folder read for this run alone becomes its splits in place (`PrepareOptions`).
   */
  prepare(fold?: Fold, options?: PrepareOptions): PreparedData<Samples>;
}

/** The run's samples (a folder larger than its memory budget streamed from disk: docs/data.md); what the user's data held is printed. */
export function loadData(graph: GraphIR, io: Io): PreparedData<Samples> {
  return readData(graph, io).prepare();
}

/**
 * The run's samples read (the graph's dataset or --data, and the split files --val-data and
 * --test-data set: node/split-files.ts), what the user's data held printed, and the split they are
 * prepared with. `folds` (`--folds K`): a time series is read whole, for its folds to roll over
 * (`unsplitSeries`); other data is read as it is.
 */
export function readData(graph: GraphIR, io: Io, folds = false): RunData {
  const training = graph.training!;
  const refused = (e: unknown): never => {
    const code = e instanceof DataError ? e.code : 'DATA_LOAD_FAILED';
    const fix = e instanceof DataError && e.option !== undefined ? CLI_FIX[e.option] : '';
    return refuse(code, (e as Error).message + fix);
  };
  let loaded: LoadedDataset<Samples>;
  try {
    training.dataset = withInputShape(training.dataset, graph);
    // Read once: not kept for reuse, so a run's loaded samples go once its prepared splits (copies) exist (#82).
    loaded = loadSamples(folds && getDataset(training.dataset.name)?.timeSeries ? unsplitSeries(training.dataset) : training.dataset, training.seed, undefined, { reuse: false });
    if (loaded.report) {
      reportData(loaded.report, io.json, io.out, io.err);
      // The run store and Compare see which data, by content: the fingerprint goes with the settings.
      training.dataset = { ...training.dataset, options: { ...training.dataset.options, fingerprint: loaded.report.fingerprint } };
    }
  } catch (e) {
    return refused(e);
  }
  const read = loaded;
  return {
    loaded: read,
    prepare: (fold, options) => {
      try {
        return prepareData(read, training.dataset, training.seed, fold, options);
      } catch (e) {
        return refused(e);
      }
    },
  };
}


/**
 * The user's data of another width or number of classes than the design: a table's width set on
 * the Input, a Linear head resized to the classes, as the app's "Use this data" does ("Your photos"
 * comes with 3 classes, the Iris MLP takes 4 values, a bag of words as many as its vocabulary):
 * data of a format with a shape (catalog/data-formats), images resized to the Input.
 */
export function fitToUserData(checked: CheckedGraph, data: PreparedData<Samples>, label: string, io: Io, previous?: DatasetConfig): CheckedGraph {
  const graph = checked.ir;
  const training = graph.training!;
  const format = getDataFormat(training.dataset.name);
  if (!format?.shape) return checked;
  const classes = hasClasses(data.train.task);
  const shape: DataShape = {
    name: data.train.name,
    kind: format.shape,
    featureShape: data.train.featureShape,
    classes: classes ? data.train.numClasses : 0,
    ...(classes ? {} : { targetShape: data.train.targetShape }),
    resizedToInput: format.reads === 'images',
    ...(data.train.text?.features === 'ids' ? { idCount: data.train.text.vocabulary.length } : {}),
  };
  const fit = fitToData(graph, shape);
  // The design's name follows the data, as the app's Use this data renames it ("houses MLP (6-16-1)").
  const name = graph.name === undefined ? undefined : nameForData(graph.name, datasetLabel(previous), datasetLabel(training.dataset) ?? data.train.name, shape);
  const renamed = name !== undefined && name !== graph.name ? name : undefined;
  if (!fit.edits.length && !fit.metrics && !fit.output && !renamed) return checked;
  const edited = new Map(fit.edits.map((e) => [e.nodeId, e]));
  const nodes = graph.nodes.map((n) => {
    const e = edited.get(n.id);
    return !e ? n : e.op !== undefined ? { ...n, op: e.op, attrs: { ...e.attrs } } : { ...n, attrs: { ...n.attrs, ...e.attrs } };
  });
  const done = [...fitChanges(fit), ...(renamed ? [`the design is now called “${renamed}”`] : [])];
  const out = fit.output;
  const outputs = out ? Object.fromEntries(Object.entries(graph.outputs).map(([k, v]) => [k === out.from ? out.to : k, v])) : graph.outputs;
  const resized = checkGraph({ ...graph, ...(renamed ? { name: renamed } : {}), nodes, outputs, training: fit.metrics ? { ...training, metrics: fit.metrics.to } : training }, { batchSize: training.batchSize });
  if (!resized.graph) return refuse('CLI_BAD_GRAPH', `${label}: fitted to the data (${done.join('; ')}) it does not check: ${resized.diagnostics.map((d) => d.message).join('; ')}`);
  for (const line of done) {
    if (io.json) io.out(JSON.stringify({ type: 'note', message: line }) + '\n');
    else io.err(`note: ${line}\n`);
  }
  return resized.graph;
}
