import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { DATA_LIMITS, DataError, mib, readImageHeader } from '../core/data';
import { imageToPlanes, sniffImage } from '../core/data/image';
import type { ImageHeader, LoadedDataset, SampleSource, Samples, SkippedFile, SourceReport } from '../core/data';
import { codecModule, IMAGE_DECODERS, jpegWithCmyk, KEEP_HEAP_BYTES, WASM_CODECS, wasmDecoder, type ImageDecoders, type WasmFormat } from './image-decoders';
import { decodePngFast } from './png-fast';
import { conversionNote, decodeInto, folderShape, loadImageFolder, readableTrain, scanImageFolder, unreadable, type ImageEntry, type Split } from './image-folder';
import { HELD_HANDLES, openBeneath, openHeldRoot, readScannedFile } from './confined-fs';
import { RegularFileError } from './regular-file';
import { imageFolder } from '../catalog/datasets/image-folder';
import { taskFor } from '../catalog/tasks';

/** The bytes of decoded samples a folder may take in memory unless `options.memoryBudget` says otherwise: 1 GiB. */
export const DEFAULT_DATA_BUDGET = 2 ** 30;

/** Of a streamed folder's budget, the share its cache of decoded samples keeps; the rest is for batches being decoded and prefetched. */
const CACHE_SHARE = 0.75;

/**
 * The fewest samples a streamed folder is read in at once: the train panel's preview shows 8, and
 * a batch reads as many. Those must fit DATA_LIMITS.maxValues, as a folder held in memory must.
 */
const SAMPLES_AT_ONCE = 8;

/**
 * Bytes a decoder holds per pixel at its peak, from the image's header: pngjs ~16 (the inflated
 * rows, then RGBA), measured as peak RSS over a bare process on 16-megapixel images. JPEG and WebP
 * keep jpeg-js's measured ~35 as a bound: the WebAssembly decoders hold the file, a progressive
 * JPEG's coefficients and the RGBA output in their heap (grown in steps), the RGBA copied out, and
 * the conversion to the sample shape its 8-bit planes.
 */
const DECODE_BYTES_PER_PIXEL: Record<ImageHeader['format'], number> = { jpeg: 36, png: 16, webp: 36 };

/**
 * What decoding may take at once, of a streamed folder's budget: the share not kept for the cache,
 * and at least this much (one photo of 12 megapixels decodes in it, whatever the budget).
 */
const MIN_DECODE_BYTES = 512 * 2 ** 20;

/** The memory decoding an image takes at its peak, from its header (before anything is decoded). */
export function decodeBytes(h: Pick<ImageHeader, 'format' | 'width' | 'height'>): number {
  return h.width * h.height * DECODE_BYTES_PER_PIXEL[h.format];
}

/** What a streamed folder's decoding threads may take together under `budget` (see MIN_DECODE_BYTES). */
export function decodeBudget(budget: number): number {
  return Math.max(MIN_DECODE_BYTES, Math.floor((1 - CACHE_SHARE) * budget));
}

export interface StreamOptions {
  /** `[C, H, W]` (see ImageFolderOptions.shape). */
  shape?: readonly number[];
  /** Bytes of decoded samples (float32) the folder may take: above it, it is streamed (default DEFAULT_DATA_BUDGET). */
  budgetBytes?: number;
  /**
   * Decoding threads (default: the cores but one, 1 to 4), fewer when their images' decoding
   * together would not fit `decodeBudget`; 0 decodes on the calling thread when read.
   */
  workers?: number;
  /** Decoders for reads on the calling thread (tests pass spies); the workers use IMAGE_DECODERS' own. */
  decoders?: ImageDecoders;
  name?: string;
  /** A folder held in memory: whether it is kept for the next load (ImageFolderOptions.reuse). */
  reuse?: boolean;
}

/**
 * An image folder for training whatever its size: held in memory (`loadImageFolder`) when its
 * samples as float32 fit in `budgetBytes`, else streamed from disk. Streamed, each split is a
 * `SampleSource` over one store of the folder: labels held, every file's header checked and its
 * bytes hashed up front (the fingerprint is the in-memory loader's), samples decoded when a batch
 * asks (`load`: worker threads, `read`: the calling thread for what was not loaded), a cache of
 * decoded samples kept up to 3/4 of the budget. A file unreadable when its batch is assembled is
 * fed as zeros and listed in the source's `skipped` with code `DATA_IMAGE_UNREADABLE` (the loop
 * reports it with the epoch), never an exception.
 */
export function loadImageFolderSamples(root: string, options: StreamOptions = {}): LoadedDataset<Samples> {
  const name = options.name ?? path.basename(root);
  const budget = options.budgetBytes ?? DEFAULT_DATA_BUDGET;
  const index = scanImageFolder(root, name);
  const notes: string[] = [];
  const shape = folderShape(index, name, options, notes);
  const fs = shape[0] * shape[1] * shape[2];
  if (index.entries.length * fs * 4 <= budget) return loadImageFolder(root, { shape, name, ...(options.decoders ? { decoders: options.decoders } : {}), ...(options.reuse !== undefined ? { reuse: options.reuse } : {}) });
  if (SAMPLES_AT_ONCE * fs > DATA_LIMITS.maxValues) {
    throw new DataError('DATA_TOO_LARGE', `${name}: one image at [${shape}] is ${fs.toLocaleString('en-US')} values; ${SAMPLES_AT_ONCE} of them, as a preview or a batch reads them, are over the limit of ${DATA_LIMITS.maxValues.toLocaleString('en-US')} held in memory. Use a smaller Input shape.`);
  }
  // The last folder streamed is reused (its threads and cache too) while its files are as they were.
  const signature = createHash('sha256').update(JSON.stringify([root, shape, budget, options.workers ?? null, index.entries.map((e) => [e.rel, e.label, e.split, e.stamp]), index.skipped])).digest('hex');
  if (!options.decoders && lastStreamed?.signature === signature) return lastStreamed.loaded;

  // Headers checked and bytes hashed in the order the in-memory loader reads them. Decoding counts
  // in the budget: an image whose decoder alone would take more than decodeBudget is skipped from
  // its header, and no more threads decode at once than the largest kept image leaves room for.
  const hash = createHash('sha256');
  const skipped = [...index.skipped];
  const kept: ImageEntry[] = [];
  const decoding = decodeBudget(budget);
  let largest = 1;
  for (const e of index.entries) {
    let bytes: Buffer;
    try {
      bytes = readScannedFile(e.root, e.file, DATA_LIMITS.maxImageBytes);
    } catch (err) {
      if (!(err instanceof RegularFileError)) throw err;
      skipped.push({ path: e.rel, reason: unreadable(err) });
      continue;
    }
    hash.update(`${e.rel}\0${bytes.length}\0`).update(bytes);
    const header = readImageHeader(bytes);
    if (typeof header === 'string') skipped.push({ path: e.rel, reason: header });
    else if (decodeBytes(header) > decoding) {
      skipped.push({ path: e.rel, reason: `a ${header.width} × ${header.height} ${header.format.toUpperCase()} takes about ${mib(decodeBytes(header))} to decode, over the ${mib(decoding)} the memory budget leaves for decoding (refused from its header)` });
    } else {
      kept.push(e);
      largest = Math.max(largest, decodeBytes(header));
    }
  }
  const threads = Math.min(options.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1)), Math.max(1, Math.floor(decoding / largest)));
  // Cached as their 8-bit values: a byte a value, where float32 would take four.
  const store = new FolderStore(root, kept, shape, Math.floor((CACHE_SHARE * budget) / fs), { ...options, workers: threads }, Math.floor(decoding / Math.max(1, threads)));
  // One streamed folder at a time: the previous one's threads end (a run still reading it decodes on its own thread).
  lastStreamed?.store.dispose();
  lastStreamed = undefined;
  const splits = new Map<Split, SampleSource>();
  for (const split of ['train', 'val', 'test'] as const) {
    const members = Int32Array.from(kept.flatMap((e, i) => (e.split === split ? [i] : [])));
    if (members.length > 0) splits.set(split, store.split(`${name} (${split === 'val' ? 'validation' : split})`, members, index.classNames));
  }
  // Its coded error from the headers (DATA_IMAGES_EMPTY / _ONE_CLASS): nothing decoded to say so.
  const train = readableTrain(name, index.entries.length, splits.get('train'), skipped);
  const classCounts: Record<string, number> = Object.fromEntries(index.classNames.map((c) => [c, 0]));
  for (const l of train.targets) classCounts[index.classNames[l]]++;
  notes.push(conversionNote(shape));
  notes.push(`streamed from disk: ${kept.length.toLocaleString('en-US')} images are ${mib(kept.length * fs * 4)} as float32, over the memory budget of ${mib(budget)}; decoded in ${store.threads} worker thread${store.threads === 1 ? '' : 's'}, up to ${store.cacheCapacity.toLocaleString('en-US')} decoded samples cached (as 8-bit values)`);
  const report: SourceReport = { kind: imageFolder.name, fingerprint: hash.digest('hex'), files: index.entries.length, skipped, classCounts, notes };
  const val = splits.get('val');
  const test = splits.get('test');
  const loaded: LoadedDataset<Samples> = { train, ...(val ? { val } : {}), ...(test ? { test } : {}), report, memoryBudget: budget };
  lastStreamed = { signature: options.decoders ? '' : signature, loaded, store };
  return loaded;
}

let lastStreamed: { signature: string; loaded: LoadedDataset<Samples>; store: FolderStore } | undefined;

/** End the decoding threads of the folder streamed last and forget it (tests, a host shutting down). */
export function releaseStreamedFolder(): void {
  lastStreamed?.store.dispose();
  lastStreamed = undefined;
}

/**
 * The decoded samples of a streamed folder: a cache filled up to its capacity and then kept (a
 * shuffled pass over more samples than fit gains nothing from evicting: least-recently-used would
 * keep hardly any sample until it is visited again), the samples decoded ahead for batches to
 * come, and the worker threads decoding them.
 */
class FolderStore {
  readonly cacheCapacity: number;
  readonly threads: number;
  private readonly fs: number;
  /** Samples as their 8-bit values (`imageToPlanes`); `read` writes them out as float32 (BYTE_VALUE). */
  private readonly cache = new Map<number, Uint8Array>();
  /** Decoded ahead by `load`, waiting for their `read` (then moved into the cache, or dropped). */
  private readonly ready = new Map<number, Uint8Array>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly skipped: SkippedFile[] = [];
  private readonly decoders: ImageDecoders;
  private pool: DecodePool | null = null;

  constructor(
    private readonly root: string,
    private readonly entries: readonly ImageEntry[],
    private readonly shape: readonly number[],
    capacity: number,
    options: StreamOptions & { workers: number },
    /** What one decoding thread may take (its share of decodeBudget): a file changed since its header was checked is refused there. */
    private readonly decodeBytesPerThread: number,
  ) {
    this.fs = shape[0] * shape[1] * shape[2];
    this.cacheCapacity = Math.max(0, capacity);
    this.decoders = options.decoders ?? IMAGE_DECODERS;
    this.threads = options.workers;
  }

  /** One split as a SampleSource: `members` are its entries' indices in the store. */
  split(name: string, members: Int32Array, classNames: readonly string[]): SampleSource {
    const through = (idx: ArrayLike<number>) => Int32Array.from({ length: idx.length }, (_, k) => members[idx[k]]);
    const skipped = this.skipped;
    return {
      name,
      task: taskFor('classes'),
      count: members.length,
      featureShape: [...this.shape],
      targets: Float32Array.from(members, (i) => this.entries[i].label),
      targetShape: [],
      numClasses: classNames.length,
      classNames: [...classNames],
      skipped,
      read: (idx, out) => this.read(through(idx), out),
      ...(this.threads > 0 ? { load: (idx: Int32Array) => this.load(through(idx)) } : {}),
      files: { root: this.root, paths: Array.from(members, (i) => this.entries[i].rel) },
    };
  }

  private read(idx: Int32Array, out: Float32Array): void {
    const fs = this.fs;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      const at = k * fs;
      const held = this.cache.get(i) ?? this.ready.get(i);
      if (held) {
        for (let j = 0; j < fs; j++) out[at + j] = BYTE_VALUE[held[j]];
        if (this.ready.delete(i)) this.keep(i, held);
        continue;
      }
      const why = decodeInto(this.entries[i], this.shape, out, at, this.decoders);
      if (why) {
        out.fill(0, at, at + fs);
        this.skipped.push({ path: this.entries[i].rel, reason: why, code: 'DATA_IMAGE_UNREADABLE' });
      } else if (this.cache.size < this.cacheCapacity) {
        // Back to the 8-bit values (v / 255 · 255 rounds to v for each of the 256).
        const bytes = new Uint8Array(fs);
        for (let j = 0; j < fs; j++) bytes[j] = Math.round(out[at + j] * 255);
        this.cache.set(i, bytes);
      }
    }
  }

  private keep(i: number, sample: Uint8Array): void {
    if (this.cache.size < this.cacheCapacity) this.cache.set(i, sample);
  }

  /** Decode `idx` in the worker threads (those not held or on their way already); resolves when all are ready. */
  private load(idx: Int32Array): Promise<void> {
    const waits: Promise<void>[] = [];
    const todo: number[] = [];
    for (const i of idx) {
      if (this.cache.has(i) || this.ready.has(i)) continue;
      const p = this.inFlight.get(i);
      if (p) waits.push(p);
      else todo.push(i);
    }
    if (todo.length > 0) {
      this.pool ??= new DecodePool(this.threads, this.shape, this.decodeBytesPerThread);
      const pool = this.pool;
      const per = Math.ceil(todo.length / pool.size);
      for (let from = 0; from < todo.length; from += per) {
        const part = todo.slice(from, from + per);
        const done = pool.decode(this.root, part.map((i) => path.relative(this.root, this.entries[i].file).split(path.sep).join('/'))).then(
          (images) => {
            images.forEach((img, k) => this.accept(part[k], img));
            for (const i of part) this.inFlight.delete(i);
          },
          () => {
            // A worker that failed leaves these to `read`, which decodes them here (or reports them).
            for (const i of part) this.inFlight.delete(i);
          },
        );
        for (const i of part) this.inFlight.set(i, done);
        waits.push(done);
      }
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** A worker's sample for entry `i` (converted there), or left for `read` to retry (and report) on failure. */
  private accept(i: number, sample: DecodedSample): void {
    if ('error' in sample || sample.length !== this.fs) return;
    this.ready.set(i, sample);
  }

  dispose(): void {
    this.pool?.close();
    this.pool = null;
  }
}

/** A decoded image at the sample shape as its 8-bit values (`imageToPlanes` with scale 1), or why not. */
type DecodedSample = Uint8Array | { error: string };

/** An 8-bit value as a sample holds it (`imageToSample`: v / 255 as float32). */
const BYTE_VALUE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Worker threads that read and decode image files (IMAGE_DECODERS' decoders: the WebAssembly
 * codecs are sent compiled, their glue imported by each thread), each file with the loader's
 * fences: opened without blocking and read only if a regular file within DATA_LIMITS.maxImageBytes,
 * an image declaring more pixels than DATA_LIMITS.maxImagePixels, or than the thread's share of
 * the decoding budget holds, refused from its header. Pixels come back in one transferred buffer
 * per task. Idle threads do not keep the process alive.
 */
class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: DecodedSample[]) => void; reject: (e: Error) => void; worker: Worker }>();
  private readonly busy = new Map<Worker, number>();
  private next = 0;
  private ids = 0;

  constructor(
    readonly size: number,
    shape: readonly number[],
    maxDecodeBytes: number,
  ) {
    const req = createRequire(import.meta.url);
    const sampleSize = shape[0] * shape[1] * shape[2];
    const workerData = {
      pngjs: req.resolve('pngjs'),
      jpegjs: req.resolve('jpeg-js'),
      codecs: Object.fromEntries((Object.keys(WASM_CODECS) as WasmFormat[]).map((f) => [f, { glue: pathToFileURL(req.resolve(WASM_CODECS[f].glue)).href, module: codecModule(f), args: WASM_CODECS[f].args }])),
      keepHeapBytes: KEEP_HEAP_BYTES,
      maxBytes: DATA_LIMITS.maxImageBytes,
      // Pixels each format may declare: the global cap, and what the thread's share of the decoding budget holds.
      maxPixels: Object.fromEntries((Object.keys(DECODE_BYTES_PER_PIXEL) as ImageHeader['format'][]).map((f) => [f, Math.min(DATA_LIMITS.maxImagePixels, Math.floor(maxDecodeBytes / DECODE_BYTES_PER_PIXEL[f]))])),
      shape: [...shape],
    };
    for (let t = 0; t < size; t++) {
      const w = new Worker(DECODE_WORKER_SOURCE, { eval: true, workerData });
      w.unref();
      this.busy.set(w, 0);
      w.on('message', (m: { id: number; images: ({ offset: number } | { error: string })[]; samples: Uint8Array }) => {
        const job = this.pending.get(m.id);
        if (!job) return;
        this.pending.delete(m.id);
        this.settled(w);
        // Each sample copied out of the transferred block: a cached one must not hold its batch's.
        job.resolve(m.images.map((im) => ('error' in im ? im : m.samples.slice(im.offset, im.offset + sampleSize))));
      });
      w.on('error', (e) => this.failAll(w, e));
      w.on('exit', () => this.failAll(w, new Error('image decoding thread exited')));
      this.workers.push(w);
    }
  }

  /** Decode `files` (real paths relative to the real folder `root`, `/`-separated) on the least busy thread. */
  decode(root: string, files: string[]): Promise<DecodedSample[]> {
    let w = this.workers[this.next++ % this.workers.length];
    for (const c of this.workers) if ((this.busy.get(c) ?? 0) < (this.busy.get(w) ?? 0)) w = c;
    const id = ++this.ids;
    const worker = w;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      // A thread with work keeps the process alive until it answers.
      if ((this.busy.get(worker) ?? 0) === 0) worker.ref();
      this.busy.set(worker, (this.busy.get(worker) ?? 0) + 1);
      worker.postMessage({ id, root, files, held: HELD_HANDLES });
    });
  }

  private settled(w: Worker): void {
    const n = (this.busy.get(w) ?? 1) - 1;
    this.busy.set(w, n);
    if (n === 0) w.unref();
  }

  private failAll(w: Worker, e: Error): void {
    for (const [id, job] of this.pending) {
      if (job.worker !== w) continue;
      this.pending.delete(id);
      this.settled(w);
      job.reject(e);
    }
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }
}

const DECODE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// A transform that keeps function names (esbuild's keepNames: tsx, which runs the CLI and the
// benches) wraps the inner functions of the sources embedded below in calls of its own __name,
// which is not defined here: each image then failed in this thread and was decoded again on the
// training thread. The same helper, so those sources run as they are.
const __name = (fn, value) => Object.defineProperty(fn, 'name', { value, configurable: true });
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const decodePngFast = ${decodePngFast.toString()};
const imageToPlanes = ${imageToPlanes.toString()};
const sniffImage = ${sniffImage.toString()};
const openBeneath = ${openBeneath.toString()};
const openHeldRoot = ${openHeldRoot.toString()};
const wasmDecoder = ${wasmDecoder.toString()};
const jpegWithCmyk = ${jpegWithCmyk.toString()};
function fastPng(b) {
  try { return decodePngFast(b, (d, max) => zlib.inflateSync(d, { maxOutputLength: max }), typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined); }
  catch (e) { if (e instanceof ReferenceError || e instanceof TypeError) throw e; return null; }
}
const { PNG } = require(workerData.pngjs);
const jpegJs = require(workerData.jpegjs).decode;
const { maxBytes, maxPixels, codecs, keepHeapBytes } = workerData;
// The codecs' glue is an ES module: imported once, then every decode is synchronous.
const wasm = Promise.all(Object.entries(codecs).map(([f, c]) => import(c.glue).then((g) => [f, wasmDecoder(g.default, c.module, c.args, keepHeapBytes)])))
  .then(Object.fromEntries)
  .then((d) => ({ ...d, jpeg: jpegWithCmyk(d.jpeg, jpegJs) }));
// Not loaded (a glue file gone): each JPEG or WebP says why when it is read, PNGs still decode.
wasm.catch(() => undefined);
// A scanned file, read as the training thread reads one (confined-fs.ts): the chosen folder held
// (where it was scanned), then each component opened below it without following a link, so a link
// there now (the file, or a folder on its way) is refused, never followed out of the folder.
function readFile(base, rel, held) {
  let fd;
  try { fd = openBeneath(fs, base, rel, 'file', held); }
  catch (e) { throw new Error(e && e.code === 'ELOOP' ? 'became a link after the folder was scanned (not followed)' : String((e && e.code) || e)); }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error('too large');
    const b = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) { const n = fs.readSync(fd, b, off, st.size - off, off); if (n === 0) break; off += n; }
    return b.subarray(0, off);
  } finally { fs.closeSync(fd); }
}
function decode(b, decoders) {
  const header = sniffImage(b);
  if (typeof header === 'string') throw new Error(header);
  if (header.width * header.height > maxPixels[header.format]) throw new Error('too many pixels to decode within the memory budget');
  if (header.format === 'png') return fastPng(b) || PNG.sync.read(b);
  return decoders[header.format](b);
}
const shape = workerData.shape;
const sampleSize = shape[0] * shape[1] * shape[2];
// Each image decoded and converted to the sample shape here, as its 8-bit values (a quarter of
// float32's bytes to send and cache), so the training thread only writes them out.
parentPort.on('message', (m) => wasm.then((decoders) => work(m, decoders), (e) => work(m, { jpeg: () => { throw e; }, webp: () => { throw e; } })));
function work({ id, root, files, held }, decoders) {
  const images = [];
  const samples = new Uint8Array(files.length * sampleSize);
  let total = 0;
  // The folder held for this task: a folder on its way swapped for a link since the scan fails every file.
  let rootFd = -1;
  let rootError;
  if (held) { try { rootFd = openHeldRoot(fs, root); } catch (e) { rootError = e; } }
  const base = held ? '/proc/self/fd/' + rootFd : root;
  for (const f of files) {
    try {
      if (rootError) throw new Error(rootError.code === 'ELOOP' ? 'became a link after the folder was scanned (not followed)' : String(rootError.code || rootError));
      const img = decode(readFile(base, f, held), decoders);
      if (!(img.width > 0 && img.height > 0 && img.width * img.height <= Math.max(...Object.values(maxPixels)) && img.data.length >= img.width * img.height * 4)) throw new Error('decoded size differs');
      imageToPlanes(img, shape, samples, total, 1);
      images.push({ offset: total });
      total += sampleSize;
    } catch (e) {
      images.push({ error: String((e && e.message) || e).slice(0, 200) });
    }
  }
  if (rootFd >= 0) fs.closeSync(rootFd);
  parentPort.postMessage({ id, images, samples }, [samples.buffer]);
}
`;
