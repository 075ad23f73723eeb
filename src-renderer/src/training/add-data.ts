import { getDataFormat, getDataset, hasClasses, labelledTextOptionsOf, nameForData, targetInputs, type DataShape, type DatasetConfig, type GraphIR } from '../../../src-engine/facade';
import type { DataScanResult } from '../../../src-engine/protocol';
import { UPLOAD_EXTENSIONS, UPLOAD_LIMITS } from '../../../src-contracts/files';

/** A file the browser gave, as an upload takes it: its path inside the upload and its bytes. */
export interface UploadFile {
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

/**
 * The dataset the design trains on after "Use this data": the scanned data by reference (path
 * and fingerprint, a table's options), keeping the settings of the dataset panel that still apply
 * (validation split, subset, and for a folder of images the augmentation: "Your photos" comes
 * with flips and colour jitter on), not another source's options (its scale, its path).
 *
 * @example datasetToUse(imageFolderScan, { name: DEFAULT_DATASET, validationSplit: 0.2 }) // { name: imageFolderScan.kind, options: { path, fingerprint }, validationSplit: 0.2 }
 */
export function datasetToUse(result: DataScanResult, previous: DatasetConfig): DatasetConfig {
  const keep: Partial<DatasetConfig> = {};
  if (previous.validationSplit !== undefined) keep.validationSplit = previous.validationSplit;
  // The shares the user set (#83) go with the new data, as the validation split does.
  if (previous.split !== undefined) keep.split = previous.split;
  if (previous.limit !== undefined) keep.limit = previous.limit;
  if (previous.augment !== undefined && getDataFormat(result.kind)?.reads === 'images') keep.augment = previous.augment;
  const dataset = result.dataset as DatasetConfig;
  // Labelled texts keep the design's tokenising (tokens, maxLength…): its Input and Embedding were made for them.
  if (isLabelledText(result.kind)) return { ...dataset, options: { ...labelledTextOptionsOf(previous), ...dataset.options }, ...keep };
  return { ...dataset, ...keep };
}

/**
 * What a scan says each sample is, as a design must take it (`fitToData`): the values per sample,
 * the classes (0: a regression target), and whether the loader resizes to the Input (an image
 * folder). Undefined for a text (its design is made for it) or data that cannot be read.
 */
export function dataShapeOf(result: DataScanResult): DataShape | undefined {
  const format = getDataFormat(result.kind);
  const kind = format?.shape;
  if (result.problem || !result.featureShape || !kind) return undefined;
  const regression = result.table?.task !== undefined && !hasClasses(result.table.task);
  return {
    name: result.name,
    kind,
    featureShape: result.featureShape,
    classes: regression ? 0 : result.classes.length,
    ...(result.targetShape ? { targetShape: result.targetShape } : {}),
    ...(format.reads === 'images' ? { resizedToInput: true } : {}),
    // Texts as token ids: an Embedding smaller than the vocabulary is a problem (#83).
    ...(result.labelled?.features === 'ids' ? { idCount: result.labelled.vocabulary } : {}),
  };
}

/**
 * How a labelled-text set's options read its texts (tokens, features, maxLength, the vocabulary's
 * bounds, the split the vocabulary is built on), each as given or its default, as a key: datasets
 * with the same key make the same samples of the same texts. Undefined for any other data.
 */
export function textReading(dataset: DatasetConfig | undefined): string | undefined {
  const declared = getDataset(dataset?.name ?? '');
  if (!dataset || !declared?.labelled) return undefined;
  const o = dataset.options ?? {};
  const options = declared.options as Readonly<Record<string, { default?: unknown }>>;
  return JSON.stringify(Object.keys(options).sort().map((k) => [k, o[k] ?? options[k].default]));
}

/**
 * What a sample of labelled texts is after their options changed from `before` to `after`, where
 * the options alone say it: token ids cut or padded to a new maxLength (`[maxLength]`, the same
 * vocabulary); the same shape when nothing that reads the texts changed. Undefined where the
 * vocabulary may change (tokens, features, minCount, maxVocabulary, the split): the texts are read again.
 *
 * @example retokenizedShape({ …, featureShape: [256], idCount: 90 }, { name: TEXT_CSV, options: { maxLength: 256 } }, { name: TEXT_CSV, options: { maxLength: 80 } }) // { …, featureShape: [80], idCount: 90 }
 */
export function retokenizedShape(shape: DataShape, before: DatasetConfig, after: DatasetConfig): DataShape | undefined {
  const declared = getDataset(after.name);
  if (!declared?.labelled || before.name !== after.name) return undefined;
  const options = declared.options as Readonly<Record<string, { default?: unknown }>>;
  const value = (d: DatasetConfig, k: string) => d.options?.[k] ?? options[k]?.default;
  const changed = Object.keys(options).filter((k) => value(before, k) !== value(after, k));
  if (changed.some((k) => k !== 'maxLength')) return undefined;
  const length = value(after, 'maxLength');
  return changed.length && value(after, 'features') === 'ids' && typeof length === 'number' ? { ...shape, featureShape: [length] } : shape;
}

/** Whether data of this kind is labelled texts (a text folder, a table of texts). */
export function isLabelledText(kind: string): boolean {
  return getDataFormat(kind)?.reads === 'labelled-texts';
}

/** Which files an upload takes (images into a folder; a table or arrays as a file) and which it leaves out, with why. */
export function uploadable(files: readonly UploadFile[], kind: 'file' | 'folder'): { taken: UploadFile[]; left: { path: string; reason: string }[] } {
  const allowed: readonly string[] = UPLOAD_EXTENSIONS[kind];
  const taken: UploadFile[] = [];
  const left: { path: string; reason: string }[] = [];
  const extOf = (f: UploadFile) => /\.[^./]+$/.exec(f.path)?.[0].toLowerCase() ?? '';
  // A folder is of images or of texts (one .txt a sample): beside images, a .txt is a note, not data.
  const images = kind === 'folder' && files.some((f) => extOf(f) !== '.txt' && allowed.includes(extOf(f)));
  for (const f of files) {
    const ext = extOf(f);
    const name = f.path.split('/').pop() ?? '';
    if (name.startsWith('.')) continue; // .DS_Store and friends: not the user's data
    if (!allowed.includes(ext) || (images && ext === '.txt')) left.push({ path: f.path, reason: `not uploaded: ${kind === 'folder' ? (images ? 'not a PNG, JPEG or WebP image' : 'not a .txt text, or a PNG, JPEG or WebP image') : 'not a table or arrays (.npz, .npy)'}` });
    else if (f.size > UPLOAD_LIMITS.fileBytes) left.push({ path: f.path, reason: `not uploaded: ${(f.size / 2 ** 20).toFixed(0)} MiB, over the upload limit of ${UPLOAD_LIMITS.fileBytes / 2 ** 20} MiB a file` });
    else taken.push(f);
  }
  return { taken, left };
}

/** Upload calls: at most 64 files and a quarter of a call's byte limit each (base64 and a fast progress bar). */
export function uploadBatches<T extends { size: number }>(files: readonly T[]): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const f of files) {
    if (batch.length > 0 && (batch.length >= 64 || bytes + f.size > UPLOAD_LIMITS.callBytes / 4)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(f);
    bytes += f.size;
  }
  if (batch.length) out.push(batch);
  return out;
}

/** What a design's names say of its data, made to say it of the data it now takes (`namesForData`). */
export interface DataNames {
  /** The target Input named after the old data's target (`species`), to take the table's (`diagnosis`). */
  target?: { from: string; to: string };
  /** The design's name, where it named the old data or its widths (`Iris MLP (4-16-3)` → `breast-cancer MLP (30-16-2)`). */
  name?: string;
}

/** A node id from a column's name: letters, digits, `_ . -`, starting with a letter. */
const idFrom = (column: string): string => {
  const id = column.trim().replace(/[^A-Za-z0-9_.-]+/g, '_');
  return /^[A-Za-z]/.test(id) ? id : `t_${id}`;
};

/**
 * The names "Use this data" changes with the design (#60: a design trained on a breast-cancer table
 * kept its target called `species` and its name `Iris MLP (4-16-3)`, and so did its runs): a table's
 * target Input takes the target column's name; the design's name, where it names the data it was
 * made for (`previousData`, a dataset's or a file's name), names the new data instead (its file or
 * folder name without the extension), and a width summary in parentheses (`(4-16-3)`) takes the
 * new input's width and classes. A name that says neither stays the user's.
 *
 * @example namesForData(irisMlp, 'iris', breastCancerScan) // { target: { from: 'species', to: 'diagnosis' }, name: 'breast-cancer MLP (30-16-2)' }
 */
export function namesForData(graph: Pick<GraphIR, 'name' | 'nodes'>, previousData: string | undefined, result: DataScanResult): DataNames {
  const out: DataNames = {};
  const column = result.table?.columns.find((c) => c.role === 'target')?.name;
  const targets = targetInputs(graph);
  if (column && targets.length === 1) {
    const to = idFrom(column);
    if (to !== targets[0].id && !graph.nodes.some((n) => n.id === to)) out.target = { from: targets[0].id, to };
  }
  const name = graph.name ?? '';
  const next = nameForData(name, previousData, result.name, dataShapeOf(result));
  if (next !== name) out.name = next;
  return out;
}
