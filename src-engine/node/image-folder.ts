import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { DATA_LIMITS, DataError, mib } from '../core/data';
import type { Dataset, LoadedDataset, SampleFiles, SampleSource, SkippedFile, SourceReport } from '../core/data';
import { imageToSample, readImageHeader } from '../core/data/image';
import type { ImageHeader, RgbaImage } from '../core/data/image';
import { IMAGE_DECODERS, type ImageDecoders } from './image-decoders';
import { HeldDir, readScannedFile } from './confined-fs';
import { RegularFileError, within } from './regular-file';
import { imageFolder } from '../catalog/datasets/image-folder';
import { imageFolderFormat } from '../catalog/data-formats/image-folder';
import { taskFor } from '../catalog/tasks';

/** Extensions read as images (the image-folder format's: catalog/data-formats); every other file is listed as skipped. */
export const IMAGE_EXT: ReadonlySet<string> = new Set(imageFolderFormat.extensions);
/** Folder names that make a split (torchvision/Keras layouts), lower-case. */
const SPLITS = { train: ['train', 'training'], val: ['val', 'valid', 'validation'], test: ['test', 'testing'] } as const;
export type Split = keyof typeof SPLITS;
/** How deep images may sit under a class folder (ImageFolder reads class folders recursively). */
const MAX_DEPTH = 8;

export interface ImageFolderOptions {
  /** The sample shape `[C, H, W]` (the features Input's): C 1 (grey), 3 (RGB) or 4 (RGBA). Default: the first image's size, 3 channels if it has colour. */
  shape?: readonly number[];
  /** The name for messages (default: the folder's name). */
  name?: string;
  /** Decoders (tests pass spies); default IMAGE_DECODERS. */
  decoders?: ImageDecoders;
  /**
   * Whether the folder decoded is kept for the next load of the same files (default true: the
   * app's Train dock previews on every settings change). `false`, for a reader that loads once
   * (`netwright train`): decoded afresh and not kept, so its samples are freed once the run's
   * prepared splits (copies) exist, instead of staying beside them.
   */
  reuse?: boolean;
}

/** One image found by the scan: where, which class, which split. */
/** A file a scan found: the chosen folder and the file's real path inside it, read by the walk from the folder held (`readScannedFile`). */
export interface ScannedFile {
  /** The chosen folder's real path. */
  root: string;
  /** Real path (inside `root`). */
  file: string;
}

export interface ImageEntry extends ScannedFile {
  /** Relative to the chosen folder, for the report. */
  rel: string;
  label: number;
  split: Split;
  /** Size and modification time at the scan: what the loaded-folder cache compares. */
  stamp: string;
}

/**
 * The index of an image folder: every image file with its class and split, nothing decoded. A
 * source that streams from disk fetches samples from it by index (`decodeInto`); `loadImageFolder`
 * decodes them all into memory.
 */
export interface ImageFolderIndex {
  root: string;
  classNames: string[];
  entries: ImageEntry[];
  skipped: SkippedFile[];
}

/**
 * Scan `root` (already resolved and allowed) in the ImageFolder layout: one sub-folder per class,
 * optionally under `train/`, `val/`, `test/`. Class names are the train folder's class folder
 * names, sorted (as torchvision's ImageFolder). Links that lead outside `root`, files outside
 * class folders, files that are not PNG/JPEG/WebP and classes missing from `train/` are skipped and
 * listed with the reason.
 *
 * @throws DataError DATA_IMAGES_EMPTY (no class folder with an image), DATA_IMAGES_ONE_CLASS,
 *   DATA_TOO_LARGE (more than DATA_LIMITS.maxFolderEntries entries).
 */
export function scanImageFolder(root: string, name = path.basename(root)): ImageFolderIndex {
  let held: HeldDir;
  try {
    held = HeldDir.open(root);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    if (e.problem === 'link') throw new DataError('DATA_NOT_ALLOWED', `${name}: the folder became a link after it was checked; Netwright does not follow it.`);
    throw new DataError('DATA_NOT_FOUND', `${name}: the folder cannot be opened (${e.errno ?? e.problem}).`);
  }
  try {
    return scanHeldFolder(held, root, name);
  } finally {
    held.close();
  }
}

/** A folder's entry as the scan found it: its real path (inside the folder), kind and stamp. */
interface Resolved {
  real: string;
  dir: boolean;
  stamp: string;
}

/** A folder's sorted entry names, given with a `resolve` that looks at one of them (see `heldLister`). */
type InDir = <T>(dir: string, use: (names: string[], resolve: (n: string) => Resolved | undefined) => T) => T;

/**
 * How `scanHeldFolder` lists the folder at the real path `dir` (inside `root`, held as `held`): its
 * sorted entries, given to `use` with a `resolve` that looks at one of them through the folder's
 * own handle (a link through `held`, then where it leads by the walk): its real path and kind, or
 * undefined (pushed to `skipped`, with why). Counts the entries against DATA_LIMITS.maxFolderEntries.
 */
function heldLister(held: HeldDir, root: string, name: string, skipped: SkippedFile[]): InDir {
  const rel = (p: string) => path.relative(root, p) || '.';
  let seen = 0;
  return <T>(dir: string, use: (names: string[], resolve: (n: string) => Resolved | undefined) => T): T => {
    let d: HeldDir;
    let names: string[];
    try {
      d = held.openDir(path.relative(root, dir));
      try {
        names = d.list().map((e) => e.name).sort();
      } catch (e) {
        d.close();
        throw e;
      }
    } catch (e) {
      const link = e instanceof RegularFileError && e.problem === 'link';
      skipped.push({ path: rel(dir), reason: link ? 'a folder that became a link after it was listed (not followed)' : 'folder cannot be listed' });
      return use([], () => undefined);
    }
    const resolve = (n: string): Resolved | undefined => {
      const p = path.join(dir, n);
      if (++seen > DATA_LIMITS.maxFolderEntries) {
        throw new DataError('DATA_TOO_LARGE', `${name}: more than ${DATA_LIMITS.maxFolderEntries.toLocaleString('en-US')} entries; Netwright scans folders up to that size.`);
      }
      let real = p;
      let st: Stats;
      try {
        st = d.lstat(n);
        if (st.isSymbolicLink()) {
          const inside = held.realInside(path.relative(root, p));
          if (inside === undefined) {
            skipped.push({ path: rel(p), reason: 'a link leading outside the chosen folder (not followed)' });
            return undefined;
          }
          real = inside === '' ? root : path.join(root, inside);
          st = held.statInside(inside);
        }
      } catch (e) {
        if (!(e instanceof RegularFileError) && !(e as NodeJS.ErrnoException).code) throw e;
        skipped.push({ path: rel(p), reason: 'cannot be read (a broken link or no permission)' });
        return undefined;
      }
      if (!st.isDirectory() && !st.isFile()) {
        skipped.push({ path: rel(p), reason: 'not a regular file (a device, pipe or socket)' });
        return undefined;
      }
      return { real, dir: st.isDirectory(), stamp: `${st.size}:${st.mtimeMs}` };
    };
    try {
      return use(names, resolve);
    } finally {
      d.close();
    }
  };
}

/**
 * `scanImageFolder` of the folder held as `held` (at the real path `root`): every folder listed
 * and every entry looked at through handles held below it (confined-fs.ts), a link resolved
 * through the held folder and looked at where it leads by the walk, so that nothing swapped for a
 * link meanwhile is listed or classified from outside the folder.
 */
function scanHeldFolder(held: HeldDir, root: string, name: string): ImageFolderIndex {
  const skipped: SkippedFile[] = [];
  const rel = (p: string) => path.relative(root, p) || '.';
  const visited = new Set<string>();
  const inDir = heldLister(held, root, name, skipped);

  // Top level: split folders (train/ val/ test/) or class folders directly.
  const splitOf = (n: string): Split | undefined => (Object.keys(SPLITS) as Split[]).find((s) => (SPLITS[s] as readonly string[]).includes(n.toLowerCase()));
  const splitDirs = new Map<Split, string>();
  const splitNames = new Set<string>();
  // A split folder by its real path: one that is a link (inside the folder) is read where it leads.
  const top = inDir(root, (names, resolve) => {
    for (const n of names) {
      const s = splitOf(n);
      if (s && !splitDirs.has(s)) {
        const r = resolve(n);
        if (r?.dir) {
          splitDirs.set(s, r.real);
          splitNames.add(n);
        }
      }
    }
    return names;
  });
  const layout: [Split, string][] = splitDirs.has('train') ? [...splitDirs] : [['train', root]];
  if (splitDirs.has('train')) {
    for (const n of top) if (!splitNames.has(n)) skipped.push({ path: n, reason: 'beside train/ (val/, test/): not read; classes go inside the split folders' });
  }

  const classFolders = (dir: string): Map<string, string> => {
    const out = new Map<string, string>();
    const links = new Set<string>();
    inDir(dir, (names, resolve) => {
      for (const n of names) {
        const p = path.join(dir, n);
        if (dir === root && splitDirs.has('train') && splitOf(n)) continue;
        const r = resolve(n);
        if (!r) continue;
        if (r.real !== p) links.add(n);
        if (r.dir) out.set(n, r.real);
        else skipped.push({ path: rel(p), reason: 'not inside a class folder (one sub-folder per class)' });
      }
    });
    // A class folder that is a link into (or around) another class's folder: the same images under two labels.
    for (const [n, real] of [...out]) {
      const other = [...out].find(([c, d]) => c !== n && (within(d, real) || within(real, d)));
      if (other && links.has(n)) {
        out.delete(n);
        skipped.push({ path: rel(path.join(dir, n)), reason: `a link to the folder of class "${other[0]}" (not followed: its images would be labelled twice)` });
      }
    }
    return out;
  };
  const perSplit = layout.map(([split, dir]) => [split, classFolders(dir)] as const);
  const classNames = [...(perSplit.find(([s]) => s === 'train')?.[1].keys() ?? [])];

  const entries: ImageEntry[] = [];
  // Within a class folder a link is followed only to a place inside that same folder: one into
  // another class's folder would file that class's images under this one's name.
  const walk = (dir: string, classDir: string, label: number, split: Split, depth: number): void => {
    if (visited.has(dir)) return;
    visited.add(dir);
    inDir(dir, (names, resolve) => {
      for (const n of names) {
        const p = path.join(dir, n);
        const r = resolve(n);
        if (!r) continue;
        if (!within(r.real, classDir)) {
          skipped.push({ path: rel(p), reason: 'a link leading out of its class folder (not followed: its images would be labelled with this class)' });
          continue;
        }
        if (r.dir) {
          if (depth >= MAX_DEPTH) skipped.push({ path: rel(p), reason: `more than ${MAX_DEPTH} folders deep` });
          else walk(r.real, classDir, label, split, depth + 1);
        } else if (!IMAGE_EXT.has(path.extname(n).toLowerCase())) {
          skipped.push({ path: rel(p), reason: 'not a PNG, JPEG or WebP file (by its extension)' });
        } else entries.push({ root, file: r.real, rel: rel(p), label, split, stamp: r.stamp });
      }
    });
  };
  for (const [split, classes] of perSplit) {
    for (const [cls, dir] of classes) {
      const label = classNames.indexOf(cls);
      if (label < 0) {
        skipped.push({ path: rel(dir), reason: `class "${cls}" has no folder in train/` });
        continue;
      }
      walk(dir, dir, label, split, 0);
    }
  }

  const trainClasses = new Set(entries.filter((e) => e.split === 'train').map((e) => e.label));
  if (trainClasses.size === 0) {
    throw new DataError(
      'DATA_IMAGES_EMPTY',
      `${name}: no images found. The folder needs one sub-folder per class holding PNG, JPEG or WebP files (e.g. cats/001.png, dogs/002.jpg), optionally under train/, val/, test/.${skipped.length ? ` ${skipped.length} file${skipped.length === 1 ? ' was' : 's were'} skipped (${skipped.slice(0, 3).map((s) => `${s.path}: ${s.reason}`).join('; ')}).` : ''}`,
    );
  }
  if (trainClasses.size === 1) {
    throw new DataError('DATA_IMAGES_ONE_CLASS', `${name}: all training images are in one class folder (${classNames[[...trainClasses][0]]}); a classifier needs at least two classes, one sub-folder each.`);
  }
  return { root, classNames, entries, skipped };
}

/** Why a scanned image could not be read, for the list of skipped files. */
export function unreadable(e: RegularFileError): string {
  if (e.problem === 'too-large') return `${mib(e.size)}, over the limit of ${mib(DATA_LIMITS.maxImageBytes)} per image`;
  if (e.problem === 'link') return 'became a link after the folder was scanned (not followed)';
  return `cannot be read (${e.errno ?? e.problem})`;
}

/**
 * Decode one scanned image into `out` at `offset` as a `[C, H, W]` sample (see imageToSample),
 * hashing its bytes into `hash`. Returns a reason when the file is skipped instead.
 */
export function decodeInto(e: ImageEntry, shape: readonly number[], out: Float32Array, offset: number, decoders: ImageDecoders, hash?: ReturnType<typeof createHash>): string | undefined {
  const decoded = readImage(e, decoders, hash, e.rel);
  if (typeof decoded === 'string') return decoded;
  imageToSample(decoded.image, shape, out, offset);
  return undefined;
}

/** Read and decode one image, hashing its bytes into `hash` as the loader does (docs/data.md); a reason string when it cannot be used. */
export function readImage(file: ScannedFile, decoders: ImageDecoders, hash: ReturnType<typeof createHash> | undefined, rel: string): { header: ImageHeader; image: RgbaImage } | string {
  const read = readImageFile(file, hash, rel);
  return typeof read === 'string' ? read : decodeImageFile(read, decoders);
}

/** Decode an image file read by readImageFile (its header already checked); a reason string when it cannot be used. */
export function decodeImageFile({ bytes, header }: { bytes: Buffer; header: ImageHeader }, decoders: ImageDecoders): { header: ImageHeader; image: RgbaImage } | string {
  let image: RgbaImage;
  try {
    image = decoders[header.format](bytes);
  } catch (err) {
    return damaged(header.format, err);
  }
  if (image.width !== header.width || image.height !== header.height || image.data.length < image.width * image.height * 4) {
    return `damaged ${header.format.toUpperCase()} (decoded size differs from its header)`;
  }
  return { header, image };
}

/** Why a decoder refused an image, for a message: its format and the decoder's own words. */
export function damaged(format: ImageHeader['format'], err: unknown): string {
  return `damaged ${format.toUpperCase()} (${String((err as Error).message ?? err).slice(0, 120)})`;
}

/**
 * Read one image file and its header (its format by its signature, not its name), hashing its
 * bytes into `hash` as the loader does (docs/data.md); a reason string when it cannot be used.
 */
export function readImageFile(file: ScannedFile, hash: ReturnType<typeof createHash> | undefined, rel: string): { bytes: Buffer; header: ImageHeader } | string {
  let bytes: Buffer;
  try {
    bytes = readScannedFile(file.root, file.file, DATA_LIMITS.maxImageBytes);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    return unreadable(e);
  }
  hash?.update(`${rel}\0${bytes.length}\0`).update(bytes);
  const header = readImageHeader(bytes);
  return typeof header === 'string' ? header : { bytes, header };
}

/**
 * Load an image folder into memory: scan, decode every image at `options.shape`, skip (and list)
 * what cannot be read. Returns train (and val/test when the folder has them) with a report: the
 * fingerprint of every file read, per-class counts, the skips and how images were converted.
 */
export function loadImageFolder(root: string, options: ImageFolderOptions = {}): LoadedDataset {
  const name = options.name ?? path.basename(root);
  const index = scanImageFolder(root, name);
  // The Train dock previews on every settings change: the last folder loaded is kept, and reused
  // while every file's path, size and modification time are as they were (and the shape asked
  // for is the same). Callers treat the arrays as read-only (prepareData copies what it changes).
  const signature = createHash('sha256').update(JSON.stringify([root, options.shape ?? null, index.entries.map((e) => [e.rel, e.label, e.split, e.stamp]), index.skipped])).digest('hex');
  const reuse = !options.decoders && options.reuse !== false;
  if (reuse && lastLoaded?.signature === signature) return lastLoaded.loaded;
  const loaded = decodeFolder(index, name, options);
  if (reuse) lastLoaded = { signature, loaded };
  // Kept by nobody else: a run that reads it once may prepare it in place (`prepareData`'s `consume`).
  else loaded.owned = true;
  return loaded;
}

/** The last image folder `loadImageFolder` decoded (one: memory stays bounded by one folder). */
let lastLoaded: { signature: string; loaded: LoadedDataset } | undefined;

function decodeFolder(index: ImageFolderIndex, name: string, options: ImageFolderOptions): LoadedDataset {
  const decoders = options.decoders ?? IMAGE_DECODERS;
  const { classNames, entries } = index;
  const skipped = [...index.skipped];
  const hash = createHash('sha256');
  const bySplit = new Map<Split, { features: Float32Array; labels: number[]; kept: { entry: ImageEntry; digest: string }[] }>();
  const notes: string[] = [];
  const shape = folderShape(index, name, options, notes);
  const fs = shape[0] * shape[1] * shape[2];
  for (const split of ['train', 'val', 'test'] as const) {
    const n = entries.filter((e) => e.split === split).length;
    if (n === 0) continue;
    if (n * fs > DATA_LIMITS.maxValues) {
      throw new DataError('DATA_TOO_LARGE', `${name}: ${n.toLocaleString('en-US')} images of [${shape}] are ${(n * fs).toLocaleString('en-US')} values, over the limit of ${DATA_LIMITS.maxValues.toLocaleString('en-US')} held in memory; use a smaller Input shape or fewer images.`);
    }
    bySplit.set(split, { features: new Float32Array(n * fs), labels: [], kept: [] });
  }
  for (const e of entries) {
    const s = bySplit.get(e.split)!;
    // As decodeInto, with the file's digest kept: the PyTorch export copies the file later (SampleFiles.bytes) only if it is still these bytes.
    const read = readImageFile(e, hash, e.rel);
    const decoded = typeof read === 'string' ? read : decodeImageFile(read, decoders);
    if (typeof decoded === 'string' || typeof read === 'string') {
      skipped.push({ path: e.rel, reason: typeof read === 'string' ? read : String(decoded) });
      continue;
    }
    imageToSample(decoded.image, shape, s.features, s.labels.length * fs);
    s.labels.push(e.label);
    s.kept.push({ entry: e, digest: createHash('sha256').update(read.bytes).digest('hex') });
  }
  const make = (split: Split): Dataset | undefined => {
    const s = bySplit.get(split);
    if (!s || s.labels.length === 0) return undefined;
    return {
      name: `${name} (${split === 'val' ? 'validation' : split})`,
      task: taskFor('classes'),
      count: s.labels.length,
      features: s.features.length === s.labels.length * fs ? s.features : s.features.slice(0, s.labels.length * fs),
      featureShape: [...shape],
      targets: Float32Array.from(s.labels),
      targetShape: [],
      numClasses: classNames.length,
      classNames: [...classNames],
      files: keptFiles(index.root, s.kept),
    };
  };
  const train = readableTrain(name, entries.length, make('train'), skipped);
  const classCounts: Record<string, number> = {};
  for (const c of classNames) classCounts[c] = 0;
  for (const l of train.targets) classCounts[classNames[l]]++;
  notes.push(conversionNote(shape));
  const report: SourceReport = { kind: imageFolder.name, fingerprint: hash.digest('hex'), files: entries.length, skipped, classCounts, notes };
  const val = make('val');
  const test = make('test');
  return { train, ...(val ? { val } : {}), ...(test ? { test } : {}), report };
}

/**
 * The files of a split's decoded images, sample for sample: `bytes(i)` reads sample i's file again,
 * confined to the folder as the loader read it, and gives it only if it is the bytes that were
 * decoded (undefined when it changed or cannot be read since).
 */
function keptFiles(root: string, kept: readonly { entry: ImageEntry; digest: string }[]): SampleFiles {
  return {
    root,
    paths: kept.map((k) => k.entry.rel.split(path.sep).join('/')),
    bytes: (i) => {
      const { entry, digest } = kept[i];
      let bytes: Buffer;
      try {
        bytes = readScannedFile(entry.root, entry.file, DATA_LIMITS.maxImageBytes);
      } catch {
        return undefined;
      }
      return createHash('sha256').update(bytes).digest('hex') === digest ? bytes : undefined;
    },
  };
}

/**
 * The training split of a folder's readable images, if it can train a classifier; else
 * DATA_IMAGES_EMPTY (none, with the first skips) or DATA_IMAGES_ONE_CLASS.
 */
export function readableTrain<T extends { targets: Float32Array }>(name: string, files: number, train: T | undefined, skipped: readonly SkippedFile[]): T {
  const trainClasses = new Set(train?.targets).size;
  if (!train || trainClasses === 0) throw new DataError('DATA_IMAGES_EMPTY', `${name}: none of the ${files} images could be read (${skipped.slice(0, 3).map((s) => `${s.path}: ${s.reason}`).join('; ')}).`);
  if (trainClasses < 2) throw new DataError('DATA_IMAGES_ONE_CLASS', `${name}: the readable training images are all in one class; a classifier needs at least two.`);
  return train;
}

/**
 * The sample shape a folder is fed at: `options.shape` (checked), else the first readable image's
 * size with 3 channels if it has colour (a note says so).
 */
export function folderShape(index: ImageFolderIndex, name: string, options: Pick<ImageFolderOptions, 'shape'>, notes: string[]): number[] {
  if (options.shape) {
    checkShape(options.shape, name);
    return [...options.shape];
  }
  // From the first image's header: nothing decoded (an 8000 × 8000 JPEG would take gigabytes to).
  for (const e of index.entries) {
    let header: ImageHeader | string;
    try {
      header = readImageHeader(readScannedFile(e.root, e.file, DATA_LIMITS.maxImageBytes));
    } catch (err) {
      if (!(err instanceof RegularFileError)) throw err;
      continue;
    }
    if (typeof header === 'string') continue;
    const shape = [header.colour ? 3 : 1, header.height, header.width];
    notes.push(`sample shape [${shape}] taken from ${e.rel} (set the features Input's shape to choose another)`);
    return shape;
  }
  return [3, 1, 1];
}

/** The note saying how images were converted to `shape`. */
export function conversionNote(shape: readonly number[]): string {
  return `images converted to ${shape[0] === 1 ? 'grey (luma)' : shape[0] === 3 ? 'RGB' : 'RGBA'} and resized to ${shape[2]}×${shape[1]} (PIL's antialiased bilinear, as torchvision's Resize; aspect not kept), pixels scaled to 0–1`;
}

function checkShape(shape: readonly number[], name: string): void {
  const ok = shape.length === 3 && [1, 3, 4].includes(shape[0]) && shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 4096);
  if (!ok) {
    throw new DataError('DATA_BAD_OPTION', `${name}: images are fed as [channels, height, width] with 1, 3 or 4 channels; the features Input has shape [${shape}].`);
  }
}

export interface ImageSourceOptions {
  decoders?: ImageDecoders;
  /** Bytes of decoded samples kept between reads (least recently used evicted first; default 64 MiB). */
  cacheBytes?: number;
}

/**
 * One split of a scanned image folder as a SampleSource: samples decoded from disk when read,
 * the most recently read kept in a cache of at most `cacheBytes`, so memory stays bounded by the
 * cache and the batch whatever the folder's size. Headers are checked up front (unreadable files
 * are left out and listed in the index's `skipped`); a file that cannot be decoded when read is
 * fed as zeros and listed in the source's `skipped`.
 *
 * NOTE: one split, decoded on the calling thread. Training streams a folder through
 * node/image-stream.ts (`loadImageFolderSamples`: every split over one store, worker threads,
 * prefetching); this one is not used by it.
 */
export function imageFolderSource(index: ImageFolderIndex, shape: readonly number[], split: Split, options: ImageSourceOptions = {}): SampleSource & { cachedSamples(): number } {
  checkShape(shape, path.basename(index.root));
  const decoders = options.decoders ?? IMAGE_DECODERS;
  const fs = shape[0] * shape[1] * shape[2];
  const budget = Math.max(0, Math.floor((options.cacheBytes ?? 64 * 2 ** 20) / (fs * 4)));
  const entries: ImageEntry[] = [];
  for (const e of index.entries) {
    if (e.split !== split) continue;
    let bytes: Buffer;
    try {
      bytes = readScannedFile(e.root, e.file, DATA_LIMITS.maxImageBytes);
    } catch (err) {
      if (!(err instanceof RegularFileError)) throw err;
      index.skipped.push({ path: e.rel, reason: unreadable(err) });
      continue;
    }
    const header = readImageHeader(bytes);
    if (typeof header === 'string') index.skipped.push({ path: e.rel, reason: header });
    else entries.push(e);
  }
  const cache = new Map<number, Float32Array>();
  const skipped: SkippedFile[] = [];
  const name = path.basename(index.root);
  return {
    name: `${name} (${split === 'val' ? 'validation' : split})`,
    task: taskFor('classes'),
    count: entries.length,
    featureShape: [...shape],
    targets: Float32Array.from(entries, (e) => e.label),
    targetShape: [],
    numClasses: index.classNames.length,
    classNames: [...index.classNames],
    skipped,
    cachedSamples: () => cache.size,
    read(indices, out) {
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k];
        const hit = cache.get(i);
        if (hit) {
          // Most recently used last: re-insert.
          cache.delete(i);
          cache.set(i, hit);
          out.set(hit, k * fs);
          continue;
        }
        const why = decodeInto(entries[i], shape, out, k * fs, decoders);
        if (why) {
          out.fill(0, k * fs, (k + 1) * fs);
          skipped.push({ path: entries[i].rel, reason: why });
        }
        if (budget > 0) {
          if (cache.size >= budget) cache.delete(cache.keys().next().value as number);
          cache.set(i, out.slice(k * fs, (k + 1) * fs));
        }
      }
    },
  };
}
