import { z } from 'zod';
import { defineService } from '../service';
import { DatasetConfigSchema } from '../../base/schemas';
import { DATA_KINDS } from '../../catalog/data-formats/registry';
import { SERIES_GAP_POLICIES } from '../../catalog/datasets/options';
import { Counts, ErrorInfo, Ints, Numbers, numbers } from '../schemas';
import { DATA_TASK_NAMES, TASK_NAMES } from '../../catalog/tasks';

/** The largest image file `data.imageSample` takes (as an image folder's files: DATA_LIMITS.maxImageBytes). */
export const MAX_IMAGE_SAMPLE_BYTES = 64 * 2 ** 20;

/** Most files `data.scan` lists as skipped (its `skippedTotal` counts all). */
export const MAX_SCAN_SKIPPED = 500;

export const DatasetPreview = z.object({
  name: z.string(),
  task: z.enum(TASK_NAMES),
  featureShape: Ints,
  counts: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }),
  classNames: z.array(z.string()),
  /** Training samples per class. */
  classBalance: Counts,
  /** Validation and test samples per class, as `classBalance` (#83: each split's classes shown). */
  splitBalance: z.object({ val: Counts, test: Counts }).optional(),
  /** The first training samples as fed to the network; `clean`: before augmentation and transform, when they change it. */
  samples: z.array(z.object({ features: Numbers, target: z.union([z.number(), Numbers]), clean: Numbers.optional() })),
  /** Smallest and largest value among the samples shown (what the normalisation makes of them). */
  range: z.tuple([z.number(), z.number()]).optional(),
  /** 2-D sets: up to 2,000 training points `[x, y, class]` for a scatter plot. */
  points: z.array(z.tuple([z.number(), z.number(), z.number()])).optional(),
  /**
   * The user's own data (docs/data.md): its content fingerprint (saved with the project as
   * `options.fingerprint`), the files found, the first 200 files skipped with why (`skippedTotal`
   * counts all), notes on how it was read, and a table's columns.
   */
  /**
   * What the engine would keep for a run on this data (`EngineResidence`, core/analysis/memory.ts):
   * its resident memory less its array buffers as it answers, and the data's bytes it would hold
   * (the splits, the set as loaded where a loader's cache keeps it, a streamed folder's memory
   * budget). The status bar's memory figure counts it as Start does (`residentForRun`).
   */
  engine: z.object({ baseBytes: z.number(), dataBytes: z.number().nonnegative() }).optional(),
  source: z
    .object({
      kind: z.string(),
      fingerprint: z.string(),
      files: z.number().int(),
      skipped: z.array(z.object({ path: z.string(), reason: z.string() })).max(200),
      skippedTotal: z.number().int(),
      notes: z.array(z.string()),
      columns: z.array(z.object({ name: z.string(), role: z.enum(['feature', 'target', 'ignore']), kind: z.enum(['numeric', 'categorical']), missing: z.number().int(), categories: z.number().int().optional() })).optional(),
    })
    .optional(),
});
export type DatasetPreview = z.infer<typeof DatasetPreview>;

/**
 * The user's data kinds (docs/data.md), as catalog/data-formats declares them: a folder of class
 * sub-folders of images, a table, NumPy arrays, a text for a language model, labelled texts (a
 * folder of class sub-folders of `.txt`, or a table with a text column and a label column).
 */
export const DataKind = z.enum(DATA_KINDS);
export type DataKind = z.infer<typeof DataKind>;

/**
 * `data.scan`'s request: the file or folder to look at (web mode: inside the workspace or the
 * host's data folder; Electron: what the user picked), its kind (`auto`: a folder is an image
 * folder, `.npz`/`.npy` arrays, anything else a table; a text for a language model: a `.txt`, its
 * `options` the design's window and vocabulary), a table's reading options (roles, missing-value
 * policy, target), and the id its `data.scanProgress` events carry. `check`: only read the files
 * and answer their fingerprint (no decoding, no thumbnails): what opening a project asks.
 */
export const DataScanRequest = z.object({
  scanId: z.string().min(1).max(64),
  path: z.string().min(1).max(4096),
  kind: z.union([DataKind, z.literal('auto')]).optional(),
  options: z.record(z.string().max(64), z.unknown()).optional(),
  check: z.boolean().optional(),
});
export type DataScanRequest = z.infer<typeof DataScanRequest>;

/** A small picture of one image (its aspect kept, at most 32 px a side): RGB bytes 0–255, row by row, `[3, height, width]`. */
export const DataThumbnail = z.object({ path: z.string().max(4096), width: z.number().int().positive().max(32), height: z.number().int().positive().max(32), rgb: numbers({ int: true, min: 0, max: 32 * 32 * 3 }) });
export type DataThumbnail = z.infer<typeof DataThumbnail>;

/** One column of a table as the scan read it: its kind, missing cells, distinct values, and the role it has now. */
export const DataColumn = z.object({
  name: z.string().max(1000),
  kind: z.enum(['numeric', 'categorical']),
  missing: z.number().int().nonnegative(),
  distinct: z.number().int().nonnegative(),
  role: z.enum(['feature', 'target', 'ignore']),
});
export type DataColumn = z.infer<typeof DataColumn>;

/**
 * What `data.scan` found. Every file it could not use is in `skipped` with the reason (the first
 * 500; `skippedTotal` counts all): nothing is dropped silently. `dataset` is the training
 * dataset to use ("Use this data"): the path, the content fingerprint and, for tables, the roles
 * and policy the scan was asked with. `problem`: the coded error training would stop with as the
 * data stands (a table whose missing cells need a policy, a folder with one class).
 */
export const DataScanResult = z.object({
  kind: DataKind,
  /** The path as given, and the name to show (the folder's or file's). */
  path: z.string().max(4096),
  name: z.string().max(1000),
  fingerprint: z.string().max(128),
  /** Files that looked like data (images, the table, the archive) and their bytes. */
  files: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  /** Image folders: classes with their image counts by split and a few thumbnails each. */
  classes: z
    .array(z.object({ name: z.string().max(1000), count: z.number().int().nonnegative(), splits: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }), thumbnails: z.array(DataThumbnail).max(16) }))
    .max(10_000),
  /** Image folders: the most common image sizes (`width × height`, grey or colour) and how many images have each. */
  sizes: z.array(z.object({ width: z.number().int(), height: z.number().int(), colour: z.boolean(), count: z.number().int() })).max(32),
  skipped: z.array(z.object({ path: z.string().max(4096), reason: z.string().max(2000) })).max(MAX_SCAN_SKIPPED),
  skippedTotal: z.number().int().nonnegative(),
  /** Tables: rows and columns (in file order). */
  table: z
    .object({
      rows: z.number().int().nonnegative(),
      columns: z.array(DataColumn).max(10_000),
      task: z.enum(DATA_TASK_NAMES).optional(),
      encodedWidth: z.number().int().optional(),
      /** How the target was chosen: by the user (options), by its name (`Survived`, `label`…), or the last column for want of one (the preview asks). */
      targetBy: z.enum(['user', 'name', 'last']).optional(),
      /** A regression's target values, least and greatest (the preview says when they are far from 1). */
      targetRange: z.tuple([z.number(), z.number()]).optional(),
    })
    .optional(),
  /** The per-sample shape the data gives (`[3, 32, 32]`, `[12]`), when it was read that far. */
  featureShape: Ints.optional(),
  /** A regression's values to predict per sample (`[1]`: a table's target column), when it was read that far. */
  targetShape: Ints.optional(),
  /**
   * Texts: the characters read, the distinct ones among them the model reads, the vocabulary's
   * size (larger than `distinct` when it is fixed, as ASCII's 97), the training windows and the text's start.
   */
  text: z.object({ characters: z.number().int().nonnegative(), distinct: z.number().int().nonnegative(), vocabulary: z.number().int().nonnegative(), windows: z.number().int().nonnegative(), start: z.string().max(2000) }).optional(),
  /**
   * Labelled texts (a text folder, a table of texts): a few texts with their class (the first of each
   * class in turn, cut at 300 characters), how many, the vocabulary built on the training split
   * and its tokens; a table's columns and which are the text and the label.
   */
  labelled: z
    .object({
      texts: z.number().int().nonnegative(),
      vocabulary: z.number().int().nonnegative(),
      tokens: z.enum(['chars', 'words']),
      /** What a sample's features are: token ids (`[maxLength]`, each below `vocabulary`) or counts per token. */
      features: z.enum(['ids', 'counts']).optional(),
      samples: z.array(z.object({ text: z.string().max(400), label: z.string().max(1000) })).max(24),
      columns: z.array(z.string().max(1000)).max(10_000).optional(),
      textColumn: z.string().max(1000).optional(),
      labelColumn: z.string().max(1000).optional(),
    })
    .optional(),
  /**
   * A time series (#83: a table of dates or times and values, or of one column): the column read and
   * the columns to choose from, the time column with its first and last time and usual step, the
   * gaps found (rows without a value, missing time steps) and the policy for them, the values kept,
   * the window and horizon asked for and the windows each split gets (absent when they cannot be made).
   */
  timeSeries: z
    .object({
      values: z.number().int().nonnegative(),
      column: z.string().max(1000),
      columns: z.array(z.string().max(1000)).max(10_000),
      time: z.object({ column: z.string().max(1000), kind: z.enum(['dates', 'numbers']), first: z.string().max(100), last: z.string().max(100), step: z.string().max(100) }).optional(),
      gaps: z.object({ cells: z.number().int().nonnegative(), steps: z.number().int().nonnegative() }),
      policy: z.enum(SERIES_GAP_POLICIES),
      window: z.number().int().positive(),
      horizon: z.number().int().positive(),
      windows: z.object({ train: z.number().int().nonnegative(), val: z.number().int().nonnegative(), test: z.number().int().nonnegative() }).optional(),
    })
    .optional(),
  notes: z.array(z.string().max(2000)).max(100),
  problem: ErrorInfo.optional(),
  dataset: DatasetConfigSchema,
});
export type DataScanResult = z.infer<typeof DataScanResult>;

/**
 * Datasets and the user's own data: a dataset's preview for the train panel, and a scan of a file
 * or folder before it is used (with `data.scanProgress` events).
 */
export const dataService = defineService({
  name: 'data',
  methods: {
    /** A few samples, the class names and the class balance of a dataset, for the train panel. */
    'dataset.preview': {
      params: z.object({ dataset: DatasetConfigSchema, samples: z.number().int().min(0).max(64).optional(), seed: z.number().int().nonnegative().optional() }),
      result: DatasetPreview,
    },
    /**
     * Look at a user's data before using it (docs/data.md "In the app"): files found, classes with
     * thumbnails, image sizes, every unreadable file with the reason, a table's columns. Progress
     * comes as `data.scanProgress` events; cancel the request to stop it (`E_CANCELLED`). Coded
     * errors: `DATA_NOT_FOUND`, `DATA_NOT_ALLOWED`, `DATA_IMAGES_EMPTY`, `DATA_TOO_LARGE`…
     */
    'data.scan': {
      params: DataScanRequest,
      result: DataScanResult,
    },
    /**
     * An image file (the Playground's upload, paste or camera photo) as a sample of `shape`
     * (`[C, H, W]`), decoded and converted by the engine as training, Evaluate, `netwright predict`
     * and the exported train.py do (docs/data.md: one conversion; a browser canvas would zero the
     * colour of fully transparent pixels). `E_PREDICT_INPUT` when it is not an image Netwright
     * reads (PNG, JPEG, WebP) or is damaged, with the loader's reason.
     */
    'data.imageSample': {
      params: z.object({
        data: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length > 0 && v.length <= MAX_IMAGE_SAMPLE_BYTES, { message: `expected an image file's bytes (1 B to ${MAX_IMAGE_SAMPLE_BYTES / 2 ** 20} MiB)` }),
        shape: z.tuple([z.number().int().min(1).max(4), z.number().int().min(1).max(8192), z.number().int().min(1).max(8192)]),
      }),
      result: z.object({ sample: z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected a Float32Array' }) }),
    },
  },
  events: {
    /** A `data.scan` under way: files found so far (`listing`), then read (`done` of `files`), classes and skips so far. */
    'data.scanProgress': z.object({
      scanId: z.string().max(64),
      phase: z.enum(['listing', 'reading']),
      files: z.number().int().nonnegative(),
      done: z.number().int().nonnegative(),
      classes: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      bytes: z.number().nonnegative(),
    }),
  },
  limits: { maxScanSkipped: MAX_SCAN_SKIPPED },
});
