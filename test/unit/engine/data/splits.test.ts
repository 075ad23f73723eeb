/**
 * #83 deliverable 3, "Splits the user sees and sets", in the data layer: one split for training,
 * evaluation, the app and the exports (`prepareData`), set by `training.dataset.split`
 * (fractions of the data: base/ir/split.ts), stratified for classes and deterministic by the seed;
 * a time series split in time order with a gap of one window (`chronologicalSplit`); stratified
 * k folds for cross-validation; each split's counts per class (`splitCount`).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-engine/base/rng';
import { splitIssue, splitSteps } from '../../../../src-engine/base/ir/split';
import { chronologicalSplit, crossValidationFolds, prepareData, splitCount, stratifiedFolds, type Dataset } from '../../../../src-engine/core/data';
import { seriesDataset } from '../../../../src-engine/core/data/series';
import { analyzeGraph } from '../../../../src-engine/core/analysis/validate';
import { taskFor } from '../../../../src-engine/catalog/tasks';
import { mnistMlp } from '../graphs';

/** A classification table: `perClass[c]` samples of class c, one feature (the sample's index). */
function classes(perClass: number[]): Dataset {
  const labels = perClass.flatMap((n, c) => Array<number>(n).fill(c));
  return {
    name: 'toy',
    task: taskFor('classes'),
    count: labels.length,
    features: Float32Array.from(labels, (_, i) => i),
    featureShape: [1],
    targets: Float32Array.from(labels),
    targetShape: [],
    numClasses: perClass.length,
    classNames: perClass.map((_, c) => `class${c}`),
  };
}

describe('split settings (base/ir/split.ts)', () => {
  it('a split is three fractions, each in [0, 1), training > 0, summing to 1', () => {
    expect(splitIssue({ train: 0.7, val: 0.15, test: 0.15 })).toBeUndefined();
    expect(splitIssue({ train: 0.8, val: 0, test: 0.2 })).toBeUndefined();
    expect(splitIssue({ train: 0.7, val: 0.2, test: 0.2 })).toMatch(/must sum to 1/);
    expect(splitIssue({ train: 1, val: 0, test: 0 })).toMatch(/train fraction must be a number in \[0, 1\)/);
    expect(splitIssue({ train: 0.5, val: -0.1, test: 0.6 })).toMatch(/val fraction/);
    expect(splitIssue({ train: 0.5, val: 0.5 })).toMatch(/test fraction/);
    expect(splitIssue({ train: 0.5, val: 0.25, test: 0.25, folds: 3 })).toMatch(/not folds/);
    expect(splitIssue([0.5, 0.25, 0.25])).toMatch(/must be \{ train, val, test \}/);
    // Its two steps: the test share, then validation's share of what the test leaves.
    expect(splitSteps({ split: { train: 0.6, val: 0.2, test: 0.2 } })).toEqual({ test: 0.2, valOfRest: 0.25 });
    expect(splitSteps({ validationSplit: 0.3, options: { testSplit: 0.1 } })).toEqual({ test: 0.1, valOfRest: 0.3 });
    expect(splitSteps({})).toEqual({ test: 0.2, valOfRest: 0.1 });
  });

  it('the validator refuses a graph whose training.dataset.split does not sum to 1 (E_TRAINING)', () => {
    const g = mnistMlp();
    const ok = analyzeGraph({ ...g, training: { ...g.training!, dataset: { ...g.training!.dataset, split: { train: 0.8, val: 0.1, test: 0.1 } } } });
    expect(ok.diagnostics.filter((d) => d.code === 'E_TRAINING')).toEqual([]);
    const bad = analyzeGraph({ ...g, training: { ...g.training!, dataset: { ...g.training!.dataset, split: { train: 0.8, val: 0.2, test: 0.1 } } } });
    expect(bad.diagnostics.find((d) => d.code === 'E_TRAINING')?.message).toMatch(/"training.dataset.split": the split's fractions must sum to 1/);
    // Split files (--val-data, --test-data): paths, for val and test only.
    const files = (splitFiles: unknown) => analyzeGraph({ ...g, training: { ...g.training!, dataset: { ...g.training!.dataset, splitFiles } } }).diagnostics.filter((d) => d.code === 'E_TRAINING');
    expect(files({ test: '/data/test.csv' })).toEqual([]);
    expect(files({ train: '/data/train.csv' })[0]?.message).toMatch(/"training.dataset.splitFiles": the split files are val and test only \(not train\)/);
    expect(files({ val: 3 })[0]?.message).toMatch(/the val split's file must be a path/);
  });
});

describe('prepareData with a split setting', () => {
  it('each class is split in the shares set, per class, and the same seed gives the same samples', () => {
    // Classes of 40, 20 and 10: 60 / 20 / 20 % of each.
    const ds = classes([40, 20, 10]);
    const config = { name: 'toy', split: { train: 0.6, val: 0.2, test: 0.2 }, options: { normalize: 'none' } };
    const data = prepareData({ train: ds }, config, 7);
    expect(splitCount(data.train)).toEqual({ count: 42, perClass: { class0: 24, class1: 12, class2: 6 } });
    expect(splitCount(data.val)).toEqual({ count: 14, perClass: { class0: 8, class1: 4, class2: 2 } });
    expect(splitCount(data.test)).toEqual({ count: 14, perClass: { class0: 8, class1: 4, class2: 2 } });
    // Every sample in exactly one split (the feature is the sample's index).
    const all = [data.train, data.val, data.test].flatMap((s) => Array.from(s.features)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 70 }, (_, i) => i));
    // Deterministic by seed: the same samples again; another seed, others.
    expect(Array.from(prepareData({ train: ds }, config, 7).test.features)).toEqual(Array.from(data.test.features));
    expect(Array.from(prepareData({ train: ds }, config, 8).test.features)).not.toEqual(Array.from(data.test.features));
  });

  it('a bad split is refused with DATA_BAD_SPLIT', () => {
    expect(() => prepareData({ train: classes([10, 10]) }, { name: 'toy', split: { train: 0.5, val: 0.3, test: 0.3 } }, 1)).toThrow(expect.objectContaining({ code: 'DATA_BAD_SPLIT' }));
  });

  it('a regression set without classes is split in the same shares', () => {
    const ds = { ...classes([50]), task: taskFor('values'), targetShape: [1], numClasses: 0, classNames: [] };
    const data = prepareData({ train: ds }, { name: 'toy', split: { train: 0.7, val: 0.1, test: 0.2 }, options: { normalize: 'none' } }, 3);
    expect([data.train.count, data.val.count, data.test.count]).toEqual([35, 5, 10]);
    expect(splitCount(data.test)).toEqual({ count: 10 });
  });
});

describe('a time series splits in time order (chronologicalSplit)', () => {
  it('train, then validation, then test, a gap of one window before each: no window reads a value another split\'s reads', () => {
    const window = 10;
    const s = chronologicalSplit(200, window, { test: 0.2, valOfRest: 0.125 });
    // 200 windows: test the last 40, 10 left out, validation 12.5 % of the 160 before the test (20), 10 left out, train 120.
    expect(s).toEqual({ train: { from: 0, to: 120 }, val: { from: 130, to: 150 }, test: { from: 160, to: 200 }, gap: 10 });
    // Window i reads values i … i + window (its steps and its target).
    const reads = (r: { from: number; to: number }) => ({ first: r.from, last: r.to - 1 + window });
    expect(reads(s.train).last).toBeLessThan(reads(s.val).first);
    expect(reads(s.val).last).toBeLessThan(reads(s.test).first);
    // The gap is the least that does it: one window fewer and they would share a value.
    expect(reads(s.train).last).toBe(reads(s.val).first - 1);
  });

  it('the series loader: windows of a ramp (value = its index) land in train, validation and test in order, none sharing a value', () => {
    const window = 5;
    const values = Float32Array.from({ length: 105 }, (_, i) => i);
    const loaded = seriesDataset(values, window, 'ramp', splitSteps({ split: { train: 0.7, val: 0.1, test: 0.2 } }));
    // The values each split's windows read, recovered from the features and targets (standardised or not, a ramp stays in order).
    const a = loaded.train.features[0];
    const step = loaded.train.features[1] - a;
    const index = (v: number) => Math.round((v - a) / step);
    const readBy = (ds: Dataset) => {
      const idx = new Set<number>();
      for (const v of ds.features) idx.add(index(v));
      for (const v of ds.targets) idx.add(index(v));
      return [...idx].sort((x, y) => x - y);
    };
    const [train, val, test] = [readBy(loaded.train), readBy(loaded.val!), readBy(loaded.test!)];
    // 100 windows: test the last 20 (windows 80–99: values 80–104), 5 left out, validation 10 (windows 65–74: values 65–79), 5 left out, train 60 (values 0–64).
    expect([loaded.train.count, loaded.val!.count, loaded.test!.count]).toEqual([60, 10, 20]);
    expect([train[0], train.at(-1), val[0], val.at(-1), test[0], test.at(-1)]).toEqual([0, 64, 65, 79, 80, 104]);
    expect(train.at(-1)!).toBeLessThan(val[0]);
    expect(val.at(-1)!).toBeLessThan(test[0]);
  });

  it('too short a series for the splits and their gaps is DATA_TOO_SMALL', () => {
    expect(() => chronologicalSplit(30, 10, { test: 0.2, valOfRest: 0.1 })).toThrow(expect.objectContaining({ code: 'DATA_TOO_SMALL' }));
  });
});

describe('k folds for cross-validation', () => {
  it('stratifiedFolds: every sample in one fold, each class dealt evenly over the folds', () => {
    const ds = classes([12, 9, 4]);
    const folds = stratifiedFolds(ds, 3, new Rng(5));
    expect(folds.flatMap((f) => Array.from(f)).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (const f of folds) {
      const per = [0, 0, 0];
      for (const i of f) per[ds.targets[i]]++;
      expect(per.slice(0, 2)).toEqual([4, 3]);
      expect(per[2] === 1 || per[2] === 2).toBe(true);
    }
  });

  it('prepareData with a fold: that fold is the test split, validation carved from the others, the same folds for every fold of a run', () => {
    const ds = classes([30, 15]);
    const config = { name: 'toy', validationSplit: 0.2, options: { normalize: 'none' } };
    const folds = crossValidationFolds(ds, 3, 4);
    const tested = new Set<number>();
    for (let index = 0; index < 3; index++) {
      const data = prepareData({ train: ds }, config, 4, { k: 3, index });
      expect(Array.from(data.test.features)).toEqual(Array.from(folds[index]));
      expect(splitCount(data.test)).toEqual({ count: 15, perClass: { class0: 10, class1: 5 } });
      // The rest: 30 samples, 20 % of each class to validation.
      expect(splitCount(data.val)).toEqual({ count: 6, perClass: { class0: 4, class1: 2 } });
      expect(data.train.count).toBe(24);
      for (const v of data.test.features) tested.add(v);
      for (const v of [...data.train.features, ...data.val.features]) expect(folds[index]).not.toContain(v);
    }
    expect(tested.size).toBe(45);
    expect(() => prepareData({ train: ds, test: ds }, config, 4, { k: 3, index: 0 })).toThrow(expect.objectContaining({ code: 'DATA_BAD_SPLIT' }));
  });
});
