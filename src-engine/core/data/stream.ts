import { applyNormalization } from './normalize';
import type { Normalization } from './normalize';
import type { Dataset, SampleSource, Samples } from './types';
import { featureSize, isStreamed, subset, targetSize } from './types';
import { taskOf } from '../../catalog/tasks';

/**
 * Samples `indices` of `s`, in that order: a copy when `s` is in memory (`subset`), a view that
 * reads through to the source when it is streamed (labels copied, features fetched when read).
 */
export function subsetOf(s: Samples, indices: ArrayLike<number>, name = s.name): Samples {
  if (!isStreamed(s)) return subset(s, indices, name);
  const map = Int32Array.from(indices);
  const ts = taskOf(s.task).targets === 'features' ? 0 : targetSize(s);
  const targets = new Float32Array(map.length * ts);
  for (let i = 0; i < map.length; i++) for (let j = 0; j < ts; j++) targets[i * ts + j] = s.targets[map[i] * ts + j];
  const through = (idx: ArrayLike<number>) => Int32Array.from({ length: idx.length }, (_, k) => map[idx[k]]);
  const load = s.load?.bind(s);
  return {
    ...withoutMethods(s),
    name,
    count: map.length,
    targets,
    featureShape: [...s.featureShape],
    targetShape: [...s.targetShape],
    get skipped() {
      return s.skipped;
    },
    read: (idx, out) => s.read(through(idx), out),
    ...(load ? { load: (idx: Int32Array) => load(through(idx)) } : {}),
    ...(s.files ? { files: { root: s.files.root, paths: Array.from(map, (i) => s.files!.paths[i]) } } : {}),
  };
}

/** `s` with `norm` applied to every sample it reads (a streamed split after fitting on the training split). */
export function normalizedSource(s: SampleSource, norm: Normalization): SampleSource {
  const fs = featureSize(s);
  const load = s.load?.bind(s);
  return {
    ...withoutMethods(s),
    get skipped() {
      return s.skipped;
    },
    read(idx, out) {
      s.read(idx, out);
      applyNormalization(norm, out.length === idx.length * fs ? out : out.subarray(0, idx.length * fs), fs);
    },
    ...(load ? { load } : {}),
  };
}

/** Every sample of a streamed source read into memory (a selection small enough to hold: a `limit`ed run). */
export function materialize(s: SampleSource): Dataset {
  const fs = featureSize(s);
  const features = new Float32Array(s.count * fs);
  const chunk = 256;
  for (let from = 0; from < s.count; from += chunk) {
    const n = Math.min(chunk, s.count - from);
    s.read(
      Int32Array.from({ length: n }, (_, i) => from + i),
      features.subarray(from * fs, (from + n) * fs),
    );
  }
  return { ...withoutMethods(s), featureShape: [...s.featureShape], targetShape: [...s.targetShape], features };
}

/**
 * Visit samples `indices` of `s` in order, `chunk` at a time: `visit(x, count)` gets their
 * features (`count × featureSize` values, a buffer reused between chunks): what fitting a
 * normalisation on a streamed split reads (`SamplePass`).
 */
export function forEachChunk(s: SampleSource, indices: Int32Array, visit: (x: Float32Array, count: number) => void, chunk = 256): void {
  const fs = featureSize(s);
  const buf = new Float32Array(Math.min(chunk, indices.length) * fs);
  for (let from = 0; from < indices.length; from += chunk) {
    const n = Math.min(chunk, indices.length - from);
    const part = buf.subarray(0, n * fs);
    s.read(indices.subarray(from, from + n), part);
    visit(part, n);
  }
}

/** A source's fields but its methods and getters (what a view copies before adding its own). */
function withoutMethods(s: SampleSource): Omit<SampleSource, 'read' | 'load' | 'skipped'> {
  return {
    name: s.name,
    task: s.task,
    count: s.count,
    targets: s.targets,
    featureShape: s.featureShape,
    targetShape: s.targetShape,
    numClasses: s.numClasses,
    classNames: s.classNames,
    ...(s.featureNames ? { featureNames: s.featureNames } : {}),
  };
}
