import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DATA_LIMITS, DataError } from '../core/data';
import type { Dataset, LoadedDataset } from '../core/data';
import { parseNpy, type NpyArray } from '../core/data/npy';
import { npz } from '../catalog/datasets/npz';
import { zipMemberBytes, zipMembers } from '../base/zip-read';
import { type DataTask, hasClasses, taskFor } from '../catalog/tasks';
export { npyTargetsPath } from '../core/data/npy';

/** Entries an .npz may list (np.savez writes one per array). */
const MAX_ENTRIES = 1000;

/** Node's own raw inflate (zlib, 4–8× the reader's JavaScript one here), stopped past the member's declared size. */
const inflateWithin = (data: Uint8Array, size: number) => inflateRawSync(data, { maxOutputLength: Math.max(1, size) });

/**
 * The members of a zip archive (an `.npz` is one, from `np.savez` or `np.savez_compressed`),
 * read by the engine's one ZIP reader (`base/zip-read.ts`: its headers and ranges checked, zip64
 * sizes as numpy writes them, each member decompressed to exactly its declared size). The
 * members' declared sizes together are at most `maxBytes`, checked from the headers before
 * anything is inflated, and no two members may share bytes of the archive (a zip bomb whose
 * entries all point at one deflate stream stops there, not after inflating it once per entry).
 *
 * @throws DataError `DATA_NPY_BAD` for a damaged archive or overlapping members, `DATA_TOO_LARGE`
 *   past `maxBytes` in all.
 */
export function readZip(bytes: Uint8Array, what: string, maxBytes: number = DATA_LIMITS.maxArrayBytes): Map<string, Uint8Array> {
  const bad = (why: string) => new DataError('DATA_NPY_BAD', `${what}: ${why}`);
  // np.savez's archives start with a member's local header (an empty one with its end record).
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw bad('not a zip archive (.npz files are zips of .npy arrays: np.savez).');
  const members = [...zipMembers(bytes, (why) => bad(`a damaged zip archive: ${why}.`), MAX_ENTRIES).values()];
  // Every member's header read first: sizes summed and byte ranges compared before any inflating.
  let total = 0;
  members.forEach((m, i) => {
    total += m.size;
    if (total > maxBytes) {
      throw new DataError('DATA_TOO_LARGE', `${what}: its arrays declare more than ${maxBytes.toLocaleString('en-US')} bytes unpacked (${total.toLocaleString('en-US')} by member ${i + 1} of ${members.length}); Netwright reads .npz files up to that, checked before unpacking.`);
    }
  });
  const byStart = [...members].sort((a, b) => a.header - b.header);
  for (let k = 1; k < byStart.length; k++) {
    const before = byStart[k - 1];
    if (byStart[k].header < before.start + before.compressedSize) throw bad('two members share the same bytes (an archive made to unpack one stream many times).');
  }
  const out = new Map<string, Uint8Array>();
  members.forEach((m, i) => {
    const steps = zipMemberBytes(bytes, m, (why) => bad(`member ${i + 1} does not decompress (${why}).`), inflateWithin);
    let step = steps.next();
    while (!step.done) step = steps.next();
    out.set(m.name, step.value);
  });
  return out;
}

export interface NpzOptions {
  name?: string;
  /** The features array's name (default: x, X, features, data or images). */
  x?: string;
  /** The targets array's name (default: y, Y, labels, targets, label or target). */
  y?: string;
  task?: DataTask | 'auto';
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
  if (task === 'auto') task = y.integer && perSample === 1 && y.dtype !== 'float32' && y.dtype !== 'float64' ? taskFor('classes') : taskFor('values');
  let ds: Dataset;
  if (hasClasses(task)) {
    if (perSample !== 1) throw new DataError('DATA_BAD_OPTION', `${name}: classification needs one label per sample; y has shape (${y.shape.join(', ')}).`);
    let max = -1;
    for (const v of y.data) {
      if (!Number.isInteger(v) || v < 0) throw new DataError('DATA_LABEL_RANGE', `${name}: class labels must be whole numbers ≥ 0 (found ${v}).`);
      if (v > max) max = v;
    }
    if (max + 1 > 100_000) throw new DataError('DATA_LABEL_RANGE', `${name}: labels up to ${max}; at most 100,000 classes.`);
    ds = { name, task, count: n, features, featureShape, targets: y.data, targetShape: [], numClasses: max + 1, classNames: Array.from({ length: max + 1 }, (_, i) => String(i)) };
  } else {
    ds = { name, task: taskFor('values'), count: n, features, featureShape, targets: y.data, targetShape: [perSample], numClasses: 0, classNames: [] };
  }
  const classCounts: Record<string, number> | undefined = hasClasses(ds.task) ? Object.fromEntries(ds.classNames.map((c) => [c, 0])) : undefined;
  if (classCounts) for (const v of ds.targets) classCounts[String(v)]++;
  return {
    train: ds,
    report: { kind: npz.name, fingerprint, files: 1, skipped: [], ...(classCounts ? { classCounts } : {}), notes },
  };
}
