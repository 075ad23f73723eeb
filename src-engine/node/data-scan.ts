import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DatasetConfig } from '../base/ir/types';
import { DATA_LIMITS, DataError, csvColumns, distinctCharacters, imageToSample, targetColumnByName } from '../core/data';
import type { DataColumn, DataScanRequest, DataScanResult, DataThumbnail, EventData } from '../protocol';
import { allowedPath, readDataFile, type DataAccess } from './data-access';
import { loadDataset, npyTargets, readLabelledTexts } from './datasets';
import { dataFormatReading, fileFormatOf, folderFormatOf, getDataFormat, type DataFormat } from '../catalog/data-formats/registry';
import type { DataReading } from '../catalog/data-formats/types';
import { npyPairFingerprint } from './npz';
import { readImage, scanImageFolder, unreadable, type ImageEntry } from './image-folder';
import { IMAGE_DECODERS, type ImageDecoders } from './image-decoders';
import { isMaskFolder } from './mask-folder';
import { readScannedFile, withHeldDir, type HeldDir } from './confined-fs';
import { RegularFileError } from './regular-file';
import { hasClasses, isDataTask } from '../catalog/tasks';
import { readSeriesTable, type SeriesGapPolicy, type SeriesTable } from '../core/data/series-table';

/** Thumbnails per class, their largest side, and the classes that get any. */
const THUMBS_PER_CLASS = 8;
const THUMB_SIDE = 32;
const THUMB_CLASSES = 50;
/** Skips listed in the answer (`skippedTotal` counts all). */
const SKIPS_LISTED = 500;
/** Images read between two progress events (and turns of the event loop, where a cancel lands). */
const PROGRESS_EVERY = 25;
/** Table columns and classes listed in the answer (DataScanResult's bounds). */
const MAX_COLUMNS = 10_000;
const MAX_CLASSES = 10_000;

export type ScanProgress = EventData<'data.scanProgress'>;

export interface ScanEnvironment {
  access: DataAccess;
  /** Called with each progress report (the engine emits `data.scanProgress`). */
  progress?: (p: ScanProgress) => void;
  /** Aborted: the scan stops at its next turn with `E_CANCELLED`. */
  signal?: AbortSignal;
  /** Give the event loop a turn (default: setImmediate). */
  yieldToHost?: () => Promise<void>;
  decoders?: ImageDecoders;
}

/**
 * The format of the data at `p` by what it is: a folder by what its class sub-folders hold (a
 * folder of `.txt` files and no images is a text folder, whichever folder kind was asked), a file
 * by its extension (an `.npz`), else a table.
 */
function formatOf(resolved: string, asked: DataScanRequest['kind']): DataFormat {
  const folder = statSync(resolved).isDirectory();
  const format = asked === undefined || asked === 'auto' ? undefined : getDataFormat(asked);
  if (folder && (format === undefined || format.holds === 'folder')) return folderFormat(resolved);
  return format ?? fileFormatOf(resolved) ?? dataFormatReading('table');
}

/** A folder of class sub-folders: its format by the files they hold (catalog/data-formats: images before texts). */
export function folderFormat(root: string): DataFormat {
  return folderFormatOf(classFolderFiles(root));
}

/** The names of the files in a folder's class sub-folders, read as asked for. */
function* classFolderFiles(root: string): Generator<string> {
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    yield* readdirSync(path.join(root, d.name));
  }
}

/**
 * Look at a user's data for the add-data flow (docs/data.md "In the app"): an image folder is
 * listed, every image read and decoded (an unreadable one is listed with the reason, never
 * dropped silently), a few thumbnails per class made; a table's columns are summarised; an
 * `.npz` is read. The fingerprint is the one the loader computes (same files, same order), so
 * the dataset it answers trains without `DATA_CHANGED`. `request.check`: read the bytes and
 * answer the fingerprint only (nothing decoded).
 *
 * @throws DataError the loader's codes (`DATA_NOT_FOUND`, `DATA_NOT_ALLOWED`, `DATA_IMAGES_EMPTY`…);
 *   `E_CANCELLED` when `env.signal` aborts.
 */
export async function scanData(request: DataScanRequest, env: ScanEnvironment): Promise<DataScanResult> {
  const resolved = allowedPath(request.path, 'data', env.access);
  let format = formatOf(resolved, request.kind);
  // A table asked for by its extension alone that is a time series (#83): dates or times beside one column of values, or one column.
  if (format.reads === 'table' && (request.kind === undefined || request.kind === 'auto') && tableIsSeries(request.path, env)) format = dataFormatReading('time series');
  return SCANNERS[format.reads](request, format, resolved, env);
}

/**
 * Whether a table reads as a time series rather than rows of features and a target: a column of
 * times (ISO dates, or increasing numbers under a time-like name) beside one other column, or a
 * single column (`readSeriesTable`). A table of several columns of numbers stays a table: its
 * preview offers to read it as a series.
 */
function tableIsSeries(path: string, env: ScanEnvironment): boolean {
  try {
    const text = readDataFile(path, dataFormatReading('table').kind, env.access, READ_LIMITS.table).toString('utf8');
    const t = readSeriesTable(text, { name: path, gaps: 'drop', ...(/\.tsv$/i.test(path) ? { delimiter: '\t' } : {}) });
    return t.columns.length === 1 || (t.time !== undefined && t.columns.length === 2);
  } catch (err) {
    if (err instanceof DataError || err instanceof RegularFileError) return false;
    throw err;
  }
}

/** How each way of reading (catalog/data-formats `reads`) scans: a format's data, resolved at `resolved`. */
const SCANNERS: Record<DataReading, (request: DataScanRequest, format: DataFormat, resolved: string, env: ScanEnvironment) => Promise<DataScanResult> | DataScanResult> = {
  images: (request, format, resolved, env) => (isMaskFolder(resolved) ? scanMaskFolder(request, format, resolved, path.basename(resolved), env) : scanImages(request, format, resolved, path.basename(resolved), env)),
  table: (request, format, resolved, env) => scanFile(request, format, path.basename(resolved), env),
  arrays: (request, format, resolved, env) => scanFile(request, format, path.basename(resolved), env),
  characters: (request, format, resolved, env) => scanText(request, format, path.basename(resolved), env),
  'labelled-texts': (request, format, resolved, env) => scanLabelledTexts(request, format, path.basename(resolved), env),
  'time series': (request, format, resolved, env) => scanSeries(request, format, path.basename(resolved), env),
};

/** The most bytes a file of each way of reading may hold (DATA_LIMITS). */
const READ_LIMITS: Record<DataReading, number> = {
  images: DATA_LIMITS.maxImageBytes,
  table: DATA_LIMITS.maxCsvBytes,
  arrays: DATA_LIMITS.maxArrayBytes,
  characters: DATA_LIMITS.maxTextBytes,
  'labelled-texts': DATA_LIMITS.maxTextBytes,
  'time series': DATA_LIMITS.maxCsvBytes,
};

function cancelled(): Error {
  return Object.assign(new Error('The scan was cancelled.'), { code: 'E_CANCELLED' });
}

async function scanImages(request: DataScanRequest, format: DataFormat, root: string, name: string, env: ScanEnvironment): Promise<DataScanResult> {
  if (!statSync(root).isDirectory()) throw new DataError('DATA_NOT_A_FILE', `${format.kind}: ${request.path} is not a folder.`);
  const yieldToHost = env.yieldToHost ?? (() => new Promise<void>((r) => setImmediate(r)));
  const index = scanImageFolder(root, name);
  const { classNames, entries } = index;
  const skipped = [...index.skipped];
  const report = (phase: ScanProgress['phase'], done: number, bytes: number) =>
    env.progress?.({ scanId: request.scanId, phase, files: entries.length, done, classes: classNames.length, skipped: skipped.length, bytes });
  report('listing', 0, 0);
  await yieldToHost();

  const classes = classNames.map((c) => ({ name: c, count: 0, splits: { train: 0, val: 0, test: 0 }, thumbnails: [] as DataThumbnail[] }));
  const sizes = new Map<string, { width: number; height: number; colour: boolean; count: number }>();
  const hash = createHash('sha256');
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    if (i % PROGRESS_EVERY === 0 && i > 0) {
      report('reading', i, bytes);
      await yieldToHost();
    }
    if (env.signal?.aborted) throw cancelled();
    const e = entries[i];
    const why = request.check ? hashOnly(e, hash) : readOne(e, env.decoders ?? IMAGE_DECODERS, hash, e.label < THUMB_CLASSES ? classes[e.label] : undefined, sizes);
    if (typeof why === 'string') {
      skipped.push({ path: e.rel, reason: why });
      continue;
    }
    bytes += why;
    const cls = classes[e.label];
    cls.count++;
    cls.splits[e.split]++;
  }
  report('reading', entries.length, bytes);
  if (env.signal?.aborted) throw cancelled();

  const trainClasses = classes.filter((c) => c.splits.train > 0).length;
  const problem =
    trainClasses === 0
      ? { code: 'DATA_IMAGES_EMPTY', message: `${name}: none of the ${entries.length} images can be read.` }
      : trainClasses === 1 && !request.check
        ? { code: 'DATA_IMAGES_ONE_CLASS', message: `${name}: the readable training images are all in one class; a classifier needs at least two.` }
        : undefined;
  const fingerprint = hash.digest('hex');
  const common = [...sizes.values()].sort((a, b) => b.count - a.count);
  const first = common[0];
  const notes = [
    `${classNames.length} classes from the folder names: ${classNames.slice(0, 12).join(', ')}${classNames.length > 12 ? ', …' : ''}`,
    ...(common.length > 1 ? [`images come in ${common.length} sizes; each is resized to the features Input's shape (bilinear, aspect not kept)`] : []),
    ...(classNames.length > MAX_CLASSES ? [`the first ${MAX_CLASSES.toLocaleString('en-US')} of ${classNames.length.toLocaleString('en-US')} classes are listed`] : []),
  ];
  return {
    kind: format.kind,
    path: request.path,
    name,
    fingerprint,
    files: entries.length,
    bytes,
    classes: classes.slice(0, MAX_CLASSES).map((c) => ({ ...c, name: c.name.slice(0, 1000) })),
    sizes: common.slice(0, 32),
    skipped: skipped.slice(0, SKIPS_LISTED),
    skippedTotal: skipped.length,
    ...(first ? { featureShape: [first.colour ? 3 : 1, first.height, first.width] } : {}),
    notes,
    ...(problem ? { problem } : {}),
    dataset: { name: format.kind, options: { path: request.path, fingerprint } },
  };
}

/**
 * A segmentation folder (images/ + masks/, node/mask-folder.ts), read as training reads it: its
 * fingerprint is the loader's (each image then its mask), its classes the masks' with the images
 * that hold each and a few of them as thumbnails. Read as an image folder it was two classes,
 * "images" and "masks", fingerprinted in another order: "Use this data" failed with DATA_CHANGED.
 *
 * @throws DataError the loader's codes (DATA_MASK_MISSING, DATA_MASK_FORMAT, DATA_MASK_CLASS…).
 */
function scanMaskFolder(request: DataScanRequest, format: DataFormat, root: string, name: string, env: ScanEnvironment): DataScanResult {
  const shape = request.options?.shape;
  const loaded = loadDataset({ name: format.kind, options: { path: request.path, ...(shape !== undefined ? { shape } : {}) } }, 0, env.access);
  if (env.signal?.aborted) throw cancelled();
  const { fingerprint, files, notes } = loaded.report!;
  const bytes = withHeldDir(root, (held) => ['images', 'masks'].reduce((sum, d) => sum + heldFolderBytes(held, d), 0));
  env.progress?.({ scanId: request.scanId, phase: 'reading', files, done: files, classes: loaded.train.classNames.length, skipped: 0, bytes });
  const { count, features, featureShape, targets, classNames } = loaded.train;
  const [c, h, w] = featureShape;
  const classes = classNames.slice(0, MAX_CLASSES).map((n) => ({ name: n.slice(0, 1000), count: 0, splits: { train: 0, val: 0, test: 0 }, thumbnails: [] as DataThumbnail[] }));
  for (let i = 0; i < count; i++) {
    const held = new Set(targets.subarray(i * h * w, (i + 1) * h * w));
    for (const id of held) {
      const cls = classes[id];
      if (!cls) continue;
      cls.count++;
      cls.splits.train++;
      if (id < THUMB_CLASSES && cls.thumbnails.length < THUMBS_PER_CLASS) cls.thumbnails.push(thumbnail(`images #${i + 1}`, sampleImage(features.subarray(i * c * h * w, (i + 1) * c * h * w), c, h, w)));
    }
  }
  return {
    kind: format.kind,
    path: request.path,
    name,
    fingerprint,
    files,
    bytes,
    classes,
    sizes: [],
    skipped: loaded.report!.skipped.slice(0, SKIPS_LISTED),
    skippedTotal: loaded.report!.skipped.length,
    featureShape: [...featureShape],
    notes: [`a segmentation folder: each image in images/ with its mask in masks/, a class per pixel; a class's count is the images whose mask holds it`, ...notes].slice(0, 100),
    dataset: { name: format.kind, options: { path: request.path, ...(shape !== undefined ? { shape } : {}), fingerprint } },
  };
}

/** The bytes of the regular files in the folder `sub` of the folder held as `held`, listed and looked at through its handle (0 if it leads out). */
function heldFolderBytes(held: HeldDir, sub: string): number {
  const rel = held.realInside(sub);
  if (rel === undefined) return 0;
  const dir = held.openDir(rel);
  try {
    return dir.list().reduce((s, f) => s + (f.isFile() ? dir.lstat(f.name).size : 0), 0);
  } finally {
    dir.close();
  }
}

/** A `[C, H, W]` sample in 0–1 (grey or colour) as the 8-bit RGBA image it came from. */
function sampleImage(x: Float32Array, c: number, h: number, w: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(4 * h * w).fill(255);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) data[4 * p + k] = Math.round(255 * x[Math.min(k, c - 1) * h * w + p]);
  return { width: w, height: h, data };
}

/** Hash a file's bytes as the loader does; its size, or why it cannot be read. */
function hashOnly(e: ImageEntry, hash: ReturnType<typeof createHash>): number | string {
  try {
    const b = readScannedFile(e.root, e.file, DATA_LIMITS.maxImageBytes);
    hash.update(`${e.rel}\0${b.length}\0`).update(b);
    return b.length;
  } catch (err) {
    if (!(err instanceof RegularFileError)) throw err;
    return unreadable(err);
  }
}

/** Read, hash and decode one image; note its size and, while its class (one of the first THUMB_CLASSES) wants more, a thumbnail. */
function readOne(e: ImageEntry, decoders: ImageDecoders, hash: ReturnType<typeof createHash>, cls: { thumbnails: DataThumbnail[] } | undefined, sizes: Map<string, { width: number; height: number; colour: boolean; count: number }>): number | string {
  const decoded = readImage(e, decoders, hash, e.rel);
  if (typeof decoded === 'string') return decoded;
  const { header, image } = decoded;
  const key = `${header.width}x${header.height}${header.colour ? 'c' : 'g'}`;
  const s = sizes.get(key) ?? { width: header.width, height: header.height, colour: header.colour, count: 0 };
  s.count++;
  sizes.set(key, s);
  if (cls && cls.thumbnails.length < THUMBS_PER_CLASS) cls.thumbnails.push(thumbnail(e.rel, image));
  return Number(e.stamp.split(':')[0]) || 0;
}

/** A picture of at most THUMB_SIDE a side, aspect kept, as RGB bytes `[3, h, w]`. */
function thumbnail(rel: string, image: { width: number; height: number; data: Uint8Array }): DataThumbnail {
  const scale = Math.min(1, THUMB_SIDE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const out = new Float32Array(3 * width * height);
  imageToSample(image, [3, height, width], out, 0);
  return { path: rel, width, height, rgb: Array.from(out, (v) => Math.round(v * 255)) };
}

/** A table or an `.npz`: read once for the fingerprint and the column summary, then as training would (its answer or its coded error). */
function scanFile(request: DataScanRequest, format: DataFormat, name: string, env: ScanEnvironment): DataScanResult {
  const kind = format.kind;
  const limit = READ_LIMITS[format.reads];
  const bytes = readDataFile(request.path, kind, env.access, limit);
  env.progress?.({ scanId: request.scanId, phase: 'reading', files: 1, done: 1, classes: 0, skipped: 0, bytes: bytes.length });
  const picked = pickOptions(request.options, format.keeps);
  // A pair of .npy files is fingerprinted as the loader does: both files (counted as two).
  const targets = format.reads === 'arrays' && /\.npy$/i.test(request.path) ? npyTargets(request.path, picked, env.access) : undefined;
  const targetBytes = targets === undefined ? undefined : readDataFile(targets, kind, env.access, limit);
  const fingerprint = targetBytes ? npyPairFingerprint(bytes, targetBytes) : createHash('sha256').update(bytes).digest('hex');
  const options: Record<string, unknown> = { ...picked, path: request.path, fingerprint };
  const dataset = { name: kind, options } satisfies DatasetConfig;
  const files = targetBytes ? 2 : 1;
  const base: Omit<DataScanResult, 'classes' | 'notes'> = { kind, path: request.path, name, fingerprint, files, bytes: bytes.length + (targetBytes?.length ?? 0), sizes: [], skipped: [], skippedTotal: 0, dataset };
  if (request.check) return { ...base, classes: [], notes: [] };

  let table: DataScanResult['table'];
  const notes: string[] = targets ? [`targets from ${targets.split(/[\\/]/).pop()}, beside it`] : [];
  if (format.reads === 'table') {
    const delimiter = typeof options.delimiter === 'string' ? options.delimiter : /\.tsv$/i.test(request.path) ? '\t' : undefined;
    try {
      const summary = csvColumns(bytes.toString('utf8'), { name, ...(delimiter ? { delimiter } : {}), ...(typeof options.header === 'boolean' ? { header: options.header } : {}) });
      // No target chosen yet: the column named like one (Survived, label, class…), kept in the
      // options so training reads the same; else the last column, and the preview asks.
      const roles = (typeof options.roles === 'object' && options.roles !== null ? options.roles : {}) as Record<string, unknown>;
      const chosen = options.targetColumn !== undefined || Object.values(roles).includes('target');
      // A column the user gave another role is not taken as the target for its name.
      const byName = chosen ? undefined : targetColumnByName(summary.columns.map((c, i) => (roles[c.name] ?? roles[String(i)]) === undefined ? c.name : ''));
      if (byName !== undefined) options.targetColumn = byName;
      // The answer's bounds (DataScanResult): names cut at 1,000 characters, the first 10,000 columns.
      const columns = summary.columns.slice(0, MAX_COLUMNS).map((c, i) => ({ ...c, name: c.name.slice(0, 1000), role: roleOf(c.name, i, summary.columns.length, options) }));
      table = { rows: summary.rows, columns, targetBy: chosen ? 'user' : byName !== undefined ? 'name' : 'last' };
      if (summary.columns.length > MAX_COLUMNS) notes.push(`the first ${MAX_COLUMNS.toLocaleString('en-US')} of ${summary.columns.length.toLocaleString('en-US')} columns are listed`);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      return { ...base, classes: [], notes, problem: { code: err.code, message: err.message } };
    }
  }
  // Read as training reads it: the task, classes and encoded width, or the coded error it would stop with.
  try {
    const loaded = loadDataset(dataset, 0, env.access);
    const ds = loaded.train;
    const counts = loaded.report?.classCounts ?? {};
    if (table) {
      // A table holds classes or values (DataTask), as its loader decided.
      if (isDataTask(ds.task)) table.task = ds.task;
      if (!hasClasses(ds.task) && ds.targets.length) table.targetRange = [ds.targets.reduce((a, b) => Math.min(a, b)), ds.targets.reduce((a, b) => Math.max(a, b))];
      table.encodedWidth = ds.featureShape.reduce((a, b) => a * b, 1);
    }
    return {
      ...base,
      classes: ds.classNames.map((c) => ({ name: c, count: counts[c] ?? 0, splits: { train: counts[c] ?? 0, val: 0, test: 0 }, thumbnails: [] })),
      ...(table ? { table } : {}),
      featureShape: [...ds.featureShape],
      ...(hasClasses(ds.task) ? {} : { targetShape: [...ds.targetShape] }),
      notes: [...notes, ...(loaded.report?.notes ?? [])].slice(0, 100),
    };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    // The app's own control for the fix, where the preview shows it (the CLI names its flags).
    const fix = err.option === undefined ? '' : APP_FIX[err.option];
    return { ...base, classes: [], ...(table ? { table } : {}), notes, problem: { code: err.code, message: err.message + fix } };
  }
}

/**
 * A text for a character-level language model, read as training reads it (with the design's
 * `window` and `vocabulary` from `request.options`): its characters, vocabulary, the windows it
 * makes, the start of it — or the coded error training would stop with.
 */
function scanText(request: DataScanRequest, format: DataFormat, name: string, env: ScanEnvironment): DataScanResult {
  const bytes = readDataFile(request.path, format.kind, env.access, READ_LIMITS.characters);
  env.progress?.({ scanId: request.scanId, phase: 'reading', files: 1, done: 1, classes: 0, skipped: 0, bytes: bytes.length });
  const fingerprint = createHash('sha256').update(bytes).digest('hex');
  const o = request.options ?? {};
  const options: Record<string, unknown> = { ...(typeof o.window === 'number' ? { window: o.window } : {}), ...(o.vocabulary === 'ascii' ? { vocabulary: 'ascii' } : {}), path: request.path, fingerprint };
  const dataset = { name: format.kind, options } satisfies DatasetConfig;
  const base = { kind: format.kind, path: request.path, name, fingerprint, files: 1, bytes: bytes.length, sizes: [], skipped: [], skippedTotal: 0, classes: [], dataset };
  if (request.check) return { ...base, notes: [] };
  try {
    const loaded = loadDataset(dataset, 0, env.access);
    const ds = loaded.train;
    // Characters counted and the start taken without an array of the whole text.
    let characters = 0;
    let start = '';
    const text = bytes.toString('utf8');
    for (const c of text) if (characters++ < 400) start += c;
    const distinct = distinctCharacters(text, o.vocabulary === 'ascii' ? ds.classNames : undefined);
    const windows = ds.count + (loaded.val?.count ?? 0) + (loaded.test?.count ?? 0);
    return { ...base, featureShape: [...ds.featureShape], text: { characters, distinct, vocabulary: ds.classNames.length, windows, start }, notes: (loaded.report?.notes ?? []).slice(0, 100) };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { ...base, notes: [], problem: { code: err.code, message: err.message } };
  }
}

/**
 * A time series in a table (#83), read as training reads it with the options asked (column, time,
 * window, horizon, gaps): the column and the columns to choose from, the time column and its step,
 * the gaps found and the policy for them, the windows each split gets — or the coded error training
 * would stop with (a gap under `refuse` is `DATA_SERIES_GAP`, its fix the Gaps choice).
 */
function scanSeries(request: DataScanRequest, format: DataFormat, name: string, env: ScanEnvironment): DataScanResult {
  const bytes = readDataFile(request.path, format.kind, env.access, READ_LIMITS['time series']);
  env.progress?.({ scanId: request.scanId, phase: 'reading', files: 1, done: 1, classes: 0, skipped: 0, bytes: bytes.length });
  const fingerprint = createHash('sha256').update(bytes).digest('hex');
  const options: Record<string, unknown> = { ...pickOptions(request.options, format.keeps), path: request.path, fingerprint };
  const dataset = { name: format.kind, options } satisfies DatasetConfig;
  const base = { kind: format.kind, path: request.path, name, fingerprint, files: 1, bytes: bytes.length, sizes: [], skipped: [], skippedTotal: 0, classes: [], dataset };
  if (request.check) return { ...base, notes: [] };
  const text = bytes.toString('utf8');
  const str = (k: string) => (typeof options[k] === 'string' ? (options[k] as string) : undefined);
  const delimiter = str('delimiter') ?? (/\.tsv$/i.test(request.path) ? '\t' : undefined);
  const reading = { name, ...(str('column') !== undefined ? { column: str('column') } : {}), ...(str('time') !== undefined ? { time: str('time') } : {}), ...(delimiter ? { delimiter } : {}) };
  const window = typeof options.window === 'number' ? options.window : 20;
  const horizon = typeof options.horizon === 'number' ? options.horizon : 1;
  const policy = (str('gaps') ?? 'refuse') as SeriesGapPolicy;
  let table: SeriesTable | undefined;
  try {
    // What the table holds whatever the policy (a refused gap is counted, then said as the problem below).
    table = readSeriesTable(text, { ...reading, gaps: policy === 'refuse' ? 'drop' : policy });
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { ...base, notes: [], problem: { code: err.code, message: err.message } };
  }
  const series = { values: table.values.length, column: table.column.slice(0, 1000), columns: table.columns.slice(0, MAX_COLUMNS).map((c) => c.slice(0, 1000)), ...(table.time ? { time: { ...table.time, column: table.time.column.slice(0, 1000) } } : {}), gaps: table.gaps, policy, window, horizon };
  try {
    const loaded = loadDataset(dataset, 0, env.access);
    const windows = { train: loaded.train.count, val: loaded.val?.count ?? 0, test: loaded.test?.count ?? 0 };
    return { ...base, featureShape: [...loaded.train.featureShape], targetShape: [...loaded.train.targetShape], timeSeries: { ...series, windows }, notes: (loaded.report?.notes ?? []).slice(0, 100) };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    const fix = err.option === undefined ? '' : APP_FIX[err.option];
    return { ...base, timeSeries: series, notes: table.notes.slice(0, 100), problem: { code: err.code, message: err.message + fix } };
  }
}

/** Texts the add-data preview shows, and the characters shown of each. */
const LABELLED_SAMPLES = 12;
const LABELLED_SAMPLE_CHARS = 300;

/**
 * Labelled texts (a text folder, a table of texts), read as training reads them with the design's
 * tokenising options (`request.options`: tokens, maxLength…; a table's textColumn and
 * labelColumn): the texts per class and split, a few texts with their labels, the vocabulary —
 * or the coded error training would stop with.
 */
function scanLabelledTexts(request: DataScanRequest, format: DataFormat, name: string, env: ScanEnvironment): DataScanResult {
  const kind = format.kind;
  const o = request.options ?? {};
  const options: Record<string, unknown> = { ...Object.fromEntries(format.keeps.filter((k) => o[k] !== undefined && o[k] !== '').map((k) => [k, o[k]])), path: request.path };
  const base = { kind, path: request.path, name, fingerprint: '', files: 0, bytes: 0, sizes: [], skipped: [], skippedTotal: 0, classes: [] };
  env.progress?.({ scanId: request.scanId, phase: 'reading', files: 0, done: 0, classes: 0, skipped: 0, bytes: 0 });
  try {
    const { loaded, read } = readLabelledTexts(format, options, env.access);
    const report = loaded.report!;
    const dataset = { name: kind, options: { ...options, fingerprint: report.fingerprint } } satisfies DatasetConfig;
    const train = new Map<number, number>();
    for (const y of loaded.train.targets) train.set(y, (train.get(y) ?? 0) + 1);
    const classes = read.classNames.slice(0, MAX_CLASSES).map((c, i) => {
      const count = report.classCounts?.[c] ?? 0;
      return { name: c.slice(0, 1000), count, splits: { train: train.get(i) ?? 0, val: 0, test: count - (train.get(i) ?? 0) }, thumbnails: [] };
    });
    // The first text of each class in turn, so every class shows.
    const samples: { text: string; label: string }[] = [];
    const next = read.classNames.map(() => 0);
    for (let round = 0; samples.length < LABELLED_SAMPLES && round < LABELLED_SAMPLES; round++) {
      read.classNames.forEach((c, label) => {
        if (samples.length >= LABELLED_SAMPLES) return;
        while (next[label] < read.texts.length && read.texts[next[label]].label !== label) next[label]++;
        const t = read.texts[next[label]++];
        if (t) samples.push({ text: t.text.slice(0, LABELLED_SAMPLE_CHARS), label: c.slice(0, 1000) });
      });
    }
    const text = loaded.train.text!;
    return {
      ...base,
      fingerprint: report.fingerprint,
      files: report.files,
      bytes: read.texts.reduce((a, t) => a + t.text.length, 0),
      classes,
      skipped: report.skipped.slice(0, SKIPS_LISTED),
      skippedTotal: report.skipped.length,
      featureShape: [...loaded.train.featureShape],
      labelled: {
        texts: read.texts.length,
        vocabulary: text.vocabulary.length,
        tokens: text.tokens,
        features: text.features,
        samples,
        ...(read.columns ? { columns: read.columns.slice(0, MAX_COLUMNS).map((c) => c.slice(0, 1000)), textColumn: read.textColumn!.slice(0, 1000), labelColumn: read.labelColumn!.slice(0, 1000) } : {}),
      },
      notes: report.notes.slice(0, 100),
      dataset,
    };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { ...base, ...(format.holds === 'file' ? { labelled: tableColumnsOf(request, format, options, env) } : {}), notes: [], problem: { code: err.code, message: err.message }, dataset: { name: kind, options } };
  }
}

/** A table of texts that cannot be used as it stands: its columns, for the preview's column choices (none when it cannot be read). */
function tableColumnsOf(request: DataScanRequest, format: DataFormat, options: Record<string, unknown>, env: ScanEnvironment): DataScanResult['labelled'] {
  try {
    const bytes = readDataFile(request.path, format.kind, env.access, READ_LIMITS[format.reads]);
    const delimiter = typeof options.delimiter === 'string' ? options.delimiter : /\.tsv$/i.test(request.path) ? '\t' : undefined;
    const { columns } = csvColumns(bytes.toString('utf8'), { ...(delimiter ? { delimiter } : {}) });
    const named = (k: string) => (typeof options[k] === 'string' ? { [k]: String(options[k]).slice(0, 1000) } : {});
    return { texts: 0, vocabulary: 0, tokens: options.tokens === 'words' ? 'words' : 'chars', samples: [], columns: columns.slice(0, MAX_COLUMNS).map((c) => c.name.slice(0, 1000)), ...named('textColumn'), ...named('labelColumn') };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return undefined;
  }
}

/** What the preview says to do about a table's problem, by the option that fixes it: the control above the message. */
const APP_FIX: Record<NonNullable<DataError['option']>, string> = {
  missing: ' Choose one in “Missing values” above.',
  roles: ' Set its Role to ignore above.',
  gaps: ' Choose one in “Gaps” above.',
};

/** The reading options a table or arrays keep (what the role editor and policy select set: the format's `keeps`). */
function pickOptions(o: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o?.[k] !== undefined).map((k) => [k, o![k]]));
}

/** A column's role under `options` as the loader decides it: roles by name or number, else the target column (default: the last), else a feature. */
function roleOf(name: string, i: number, width: number, o: Record<string, unknown>): DataColumn['role'] {
  const roles = (typeof o.roles === 'object' && o.roles !== null ? o.roles : {}) as Record<string, unknown>;
  const r = roles[name] ?? roles[String(i)];
  const anyTarget = Object.values(roles).includes('target');
  if (r === 'target' || r === 'ignore' || r === 'feature') return r;
  if (anyTarget) return 'feature';
  const tc = o.targetColumn;
  const target = tc === undefined ? width - 1 : typeof tc === 'number' ? tc : tc === name ? i : /^\d+$/.test(String(tc)) ? Number(tc) : -1;
  return target === i ? 'target' : 'feature';
}
