import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DATA_LIMITS, DataError } from '../core/data';
import type { Dataset, LoadedDataset } from '../core/data';
import { parseNpy, type NpyArray } from '../core/data/npy';
import { npz } from '../catalog/datasets/npz';
export { npyTargetsPath } from '../core/data/npy';

/** Entries an .npz may list (np.savez writes one per array). */
const MAX_ENTRIES = 1000;

/**
 * The members of a zip archive (an `.npz` is one, from `np.savez` or `np.savez_compressed`),
 * read from its central directory: stored or deflated members, zip64 sizes (numpy writes them),
 * each decompressed to exactly its declared size. The members' declared sizes together are at
 * most `maxBytes`, checked from the headers before anything is inflated, and no two members may
 * share bytes of the archive (a zip bomb whose entries all point at one deflate stream stops
 * there, not after inflating it once per entry).
 *
 * @throws DataError `DATA_NPY_BAD` for a damaged archive or overlapping members, `DATA_TOO_LARGE`
 *   past `maxBytes` in all.
 */
export function readZip(bytes: Uint8Array, what: string, maxBytes: number = DATA_LIMITS.maxArrayBytes): Map<string, Uint8Array> {
  const bad = (why: string) => new DataError('DATA_NPY_BAD', `${what}: ${why}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => (o + 2 <= bytes.length ? view.getUint16(o, true) : fail());
  const u32 = (o: number) => (o + 4 <= bytes.length ? view.getUint32(o, true) : fail());
  const u64 = (o: number) => (o + 8 <= bytes.length ? Number(view.getBigUint64(o, true)) : fail());
  function fail(): never {
    throw bad('a damaged zip archive (a record runs past the end of the file).');
  }
  // End of central directory: the last 22 bytes, or further back by a comment of up to 64 KiB.
  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 65_535); o--) {
    if (view.getUint32(o, true) === 0x06054b50) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) throw bad('not a zip archive (.npz files are zips of .npy arrays: np.savez).');
  let entries = u16(eocd + 10);
  let cdOffset = u32(eocd + 16);
  if (entries === 0xffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== 0x07064b50) throw bad('a damaged zip64 archive.');
    const z = u64(loc + 8);
    if (u32(z) !== 0x06064b50) throw bad('a damaged zip64 archive.');
    entries = u64(z + 32);
    cdOffset = u64(z + 48);
  }
  if (entries > MAX_ENTRIES) throw bad(`${entries} members; an .npz of up to ${MAX_ENTRIES} arrays is read.`);
  // Every member's header read first: sizes summed and byte ranges compared before any inflating.
  /** Each member: its bytes in the archive from its local header (`start`) to the end of its data. */
  const members: { name: string; method: number; size: number; start: number; data: number; end: number }[] = [];
  let total = 0;
  let o = cdOffset;
  for (let i = 0; i < entries; i++) {
    if (u32(o) !== 0x02014b50) throw bad('a damaged zip central directory.');
    const method = u16(o + 10);
    let compSize = u32(o + 20);
    let size = u32(o + 24);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    let local = u32(o + 42);
    if (o + 46 + nameLen > bytes.length) fail();
    const name = new TextDecoder().decode(bytes.subarray(o + 46, o + 46 + nameLen));
    // Zip64 extra field: the 64-bit values of those fields that hold 0xFFFFFFFF, in this order.
    for (let e = o + 46 + nameLen; e + 4 <= o + 46 + nameLen + extraLen; ) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        if (size === 0xffffffff) {
          size = u64(f);
          f += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = u64(f);
          f += 8;
        }
        if (local === 0xffffffff) local = u64(f);
      }
      e += 4 + len;
    }
    o += 46 + nameLen + extraLen + commentLen;
    total += size;
    if (total > maxBytes) {
      throw new DataError('DATA_TOO_LARGE', `${what}: its arrays declare more than ${maxBytes.toLocaleString('en-US')} bytes unpacked (${total.toLocaleString('en-US')} by member ${i + 1} of ${entries}); Netwright reads .npz files up to that, checked before unpacking.`);
    }
    if (method !== 0 && method !== 8) throw bad(`member ${i + 1} uses zip compression method ${method}; only stored and deflated are read.`);
    if (u32(local) !== 0x04034b50) throw bad('a damaged zip member header.');
    const data = local + 30 + u16(local + 26) + u16(local + 28);
    if (data + compSize > bytes.length) fail();
    members.push({ name, method, size, start: local, data, end: data + compSize });
  }
  const byStart = [...members].sort((a, b) => a.start - b.start);
  for (let k = 1; k < byStart.length; k++) {
    if (byStart[k].start < byStart[k - 1].end) throw bad('two members share the same bytes (an archive made to unpack one stream many times).');
  }
  const out = new Map<string, Uint8Array>();
  members.forEach((m, i) => {
    const raw = bytes.subarray(m.data, m.end);
    let data: Uint8Array;
    if (m.method === 0) data = raw;
    else {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, m.size) });
      } catch {
        throw bad(`member ${i + 1} does not decompress (damaged, or larger than its header says).`);
      }
    }
    if (data.length !== m.size) throw bad(`member ${i + 1} holds ${data.length} bytes but its header says ${m.size}.`);
    out.set(m.name, data);
  });
  return out;
}

export interface NpzOptions {
  name?: string;
  /** The features array's name (default: x, X, features, data or images). */
  x?: string;
  /** The targets array's name (default: y, Y, labels, targets, label or target). */
  y?: string;
  task?: 'classification' | 'regression' | 'auto';
}

/**
 * A dataset from an `.npz` holding features `x` (`[N, …]`) and targets `y` (`[N]` or `[N, k]`).
 * uint8 features are scaled to [0, 1] (pixels); `[N, H, W]` becomes `[N, 1, H, W]` and
 * channels-last `[N, H, W, C]` (C 1, 3 or 4) becomes `[N, C, H, W]`. Integer `y` of one value per
 * sample is a classification target (classes 0 … max), anything else regression (`task` decides).
 */
export function npzDataset(bytes: Uint8Array, options: NpzOptions = {}): LoadedDataset {
  const name = options.name ?? 'arrays';
  const members = readZip(bytes, name);
  const pick = (key: string | undefined, defaults: string[], role: string): NpyArray => {
    const names = key ? [key] : defaults;
    for (const n of names) {
      const m = members.get(`${n}.npy`) ?? members.get(n);
      if (m) return parseNpy(m, `${name}: ${n}`);
    }
    throw new DataError('DATA_NOT_FOUND', `${name}: no ${role} array ${key ? `named ${JSON.stringify(key)}` : `(${defaults.join(', ')})`}; it holds ${members.size} array${members.size === 1 ? '' : 's'}. Save with np.savez(path, x=features, y=labels).`);
  };
  const x = pick(options.x, ['x', 'X', 'features', 'data', 'images'], 'features');
  const y = pick(options.y, ['y', 'Y', 'labels', 'targets', 'label', 'target'], 'target');
  return arraysDataset(x, y, name, options.task, createHash('sha256').update(bytes).digest('hex'));
}


/**
 * A dataset from a pair of `.npy` files, features and targets (`np.save('x.npy', x)`,
 * `np.save('y.npy', y)`), read as an `.npz`'s `x` and `y` are; the fingerprint covers both files.
 */
export function npyPairDataset(xBytes: Uint8Array, yBytes: Uint8Array, options: { name?: string; task?: NpzOptions['task'] } = {}): LoadedDataset {
  const name = options.name ?? 'arrays';
  return arraysDataset(parseNpy(xBytes, `${name}: features`), parseNpy(yBytes, `${name}: targets`), name, options.task, npyPairFingerprint(xBytes, yBytes));
}

/** The fingerprint of a features/targets pair: both files' bytes, in that order. */
export const npyPairFingerprint = (xBytes: Uint8Array, yBytes: Uint8Array): string => createHash('sha256').update(xBytes).update(yBytes).digest('hex');

/** Features `x` and targets `y` as a dataset (see `npzDataset` for how each is read). */
function arraysDataset(x: NpyArray, y: NpyArray, name: string, asked: NpzOptions['task'], fingerprint: string): LoadedDataset {
  const n = x.shape[0];
  if (x.shape.length === 0 || n === 0) throw new DataError('DATA_TOO_SMALL', `${name}: the features array holds no samples (shape (${x.shape.join(', ')})).`);
  if (y.shape[0] !== n) throw new DataError('DATA_IDX_MISMATCH', `${name}: ${n} feature rows but ${y.shape[0] ?? 0} targets; x and y need the same first dimension.`);
  let featureShape = x.shape.length === 1 ? [1] : x.shape.slice(1);
  let features = x.data;
  const notes: string[] = [];
  if (x.dtype === 'uint8') {
    for (let i = 0; i < features.length; i++) features[i] /= 255;
    notes.push('uint8 features scaled to 0–1');
  }
  if (featureShape.length === 2) featureShape = [1, ...featureShape];
  else if (featureShape.length === 3 && [1, 3, 4].includes(featureShape[2]) && ![1, 3, 4].includes(featureShape[0])) {
    const [h, w, c] = featureShape;
    const t = new Float32Array(features.length);
    const fs = h * w * c;
    for (let s = 0; s < n; s++) for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) t[s * fs + k * h * w + p] = features[s * fs + p * c + k];
    features = t;
    featureShape = [c, h, w];
    notes.push('channels-last images [N, H, W, C] transposed to [N, C, H, W]');
  }
  const perSample = y.shape.slice(1).reduce((a, b) => a * b, 1);
  let task = asked ?? 'auto';
  if (task === 'auto') task = y.integer && perSample === 1 && y.dtype !== 'float32' && y.dtype !== 'float64' ? 'classification' : 'regression';
  let ds: Dataset;
  if (task === 'classification') {
    if (perSample !== 1) throw new DataError('DATA_BAD_OPTION', `${name}: classification needs one label per sample; y has shape (${y.shape.join(', ')}).`);
    let max = -1;
    for (const v of y.data) {
      if (!Number.isInteger(v) || v < 0) throw new DataError('DATA_LABEL_RANGE', `${name}: class labels must be whole numbers ≥ 0 (found ${v}).`);
      if (v > max) max = v;
    }
    if (max + 1 > 100_000) throw new DataError('DATA_LABEL_RANGE', `${name}: labels up to ${max}; at most 100,000 classes.`);
    ds = { name, task, count: n, features, featureShape, targets: y.data, targetShape: [], numClasses: max + 1, classNames: Array.from({ length: max + 1 }, (_, i) => String(i)) };
  } else {
    ds = { name, task: 'regression', count: n, features, featureShape, targets: y.data, targetShape: [perSample], numClasses: 0, classNames: [] };
  }
  const classCounts: Record<string, number> | undefined = ds.task === 'classification' ? Object.fromEntries(ds.classNames.map((c) => [c, 0])) : undefined;
  if (classCounts) for (const v of ds.targets) classCounts[String(v)]++;
  return {
    train: ds,
    report: { kind: npz.name, fingerprint, files: 1, skipped: [], ...(classCounts ? { classCounts } : {}), notes },
  };
}
