/**
 * Baselines beside every result (#83): the linear models against numpy on small fixed tables (ridge
 * by its normal equations solved by numpy.linalg.solve, logistic regression by numpy's own long
 * gradient descent to convergence), the dummies and forecasts against their definitions, the
 * season found by autocorrelation, and the verdict sentence. The CLI end to end:
 * engine/node/train-cli-baselines.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { baselineInput, baselineVerdict, computeBaselines, seasonalPeriod, type BaselineInput } from '../../../../src-engine/core/metrics/baselines';
import { fitLogistic, fitRidge, linearOutputs } from '../../../../src-engine/core/metrics/linear-models';
import { Rng } from '../../../../src-engine/base/rng';
import type { Dataset } from '../../../../src-engine/core/data';

/** Runs `script` under python3 with `input` as JSON on stdin; its stdout parsed as JSON. */
function numpy(script: string, input: unknown): unknown {
  return JSON.parse(execFileSync('python3', ['-c', `import json, sys\nimport numpy as np\nd = json.load(sys.stdin)\n${script}`], { input: JSON.stringify(input), encoding: 'utf8' }));
}

/** A fixed table: n rows of d features on different scales, k targets linear in them plus noise. */
function table(n: number, d: number, k: number, seed: number) {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + (i % d) * 3) + (i % d));
  const y = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) y[i * k + c] = 0.5 * c + Array.from({ length: d }, (_, j) => x[i * d + j] * (j - c + 0.5)).reduce((a, b) => a + b, 0) + rng.normal();
  return { x, y };
}

describe('linear models against numpy (#83)', () => {
  it('ridge: the same coefficients and predictions as numpy solving (ZcᵀZc + αI) W = Zcᵀ Yc on StandardScaler features', () => {
    const [n, d, k] = [40, 4, 2];
    const { x, y } = table(n, d, k, 3);
    const m = fitRidge(x, y, n, d, k, 1);
    const want = numpy(
      `X = np.array(d['x']).reshape(${n}, ${d}); Y = np.array(d['y']).reshape(${n}, ${k})
mu = X.mean(0); sd = X.std(0); Z = (X - mu) / sd
W = np.linalg.solve(Z.T @ Z + 1.0 * np.eye(${d}), Z.T @ (Y - Y.mean(0)))
print(json.dumps({'w': W.ravel().tolist(), 'b': Y.mean(0).tolist(), 'pred': (Z @ W + Y.mean(0)).ravel().tolist()}))`,
      { x: Array.from(x), y: Array.from(y) },
    ) as { w: number[]; b: number[]; pred: number[] };
    Array.from(m.weights).forEach((w, i) => expect(w).toBeCloseTo(want.w[i], 9));
    Array.from(m.bias).forEach((b, i) => expect(b).toBeCloseTo(want.b[i], 12));
    Array.from(linearOutputs(m, x, n)).forEach((p, i) => expect(p).toBeCloseTo(want.pred[i], 8));
  });

  it('logistic regression (3 classes, L2 as C = 1): the probabilities numpy reaches by 20,000 steps of plain gradient descent on the same objective', () => {
    const [n, d, k] = [60, 3, 3];
    const rng = new Rng(7);
    const x = Float64Array.from({ length: n * d }, () => rng.normal() * 2 + 1);
    // Labels from noisy linear scores: not separable, so the optimum is finite without the penalty too.
    const labels = Float64Array.from({ length: n }, (_, i) => {
      const s = [x[i * d] + rng.normal(), x[i * d + 1] - x[i * d + 2] + rng.normal(), 0.5 + rng.normal()];
      return s.indexOf(Math.max(...s));
    });
    const m = fitLogistic(x, labels, n, d, k);
    const ours = linearOutputs(m, x, n);
    const want = numpy(
      `X = np.array(d['x']).reshape(${n}, ${d}); y = np.array(d['y']).astype(int)
Z = (X - X.mean(0)) / X.std(0); Y = np.eye(${k})[y]
W = np.zeros((${d}, ${k})); b = np.zeros(${k})
for _ in range(20000):
    L = Z @ W + b; P = np.exp(L - L.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
    W -= 0.5 * (Z.T @ (P - Y) / ${n} + W / ${n}); b -= 0.5 * (P - Y).mean(0)
L = Z @ W + b; P = np.exp(L - L.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
print(json.dumps({'p': P.ravel().tolist()}))`,
      { x: Array.from(x), y: Array.from(labels) },
    ) as { p: number[] };
    for (let i = 0; i < n; i++) {
      const row = Array.from(ours.subarray(i * k, (i + 1) * k));
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, c) => expect(Math.abs(v / sum - want.p[i * k + c]), `row ${i} class ${c}`).toBeLessThan(2e-3));
    }
  });
});

/** A split of `count` windows of a series `f(t)`: window i is f(i … i + w − 1), its target f(i + w). */
function windows(f: (t: number) => number, from: number, count: number, w: number): Dataset {
  const features = new Float32Array(count * w);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < w; t++) features[i * w + t] = f(from + i + t);
    targets[i] = f(from + i + w);
  }
  return { name: 'series', task: 'regression', count, features, featureShape: [w, 1], targets, targetShape: [1], numClasses: 0, classNames: [] };
}

describe('baselines on a run\'s splits (#83)', () => {
  const rng = new Rng(11);
  const noise = Float64Array.from({ length: 400 }, () => rng.normal() * 0.1);
  const f = (t: number) => Math.sin((2 * Math.PI * t) / 12) + 0.01 * t + noise[t];
  const w = 30;
  const data = { train: windows(f, 0, 200, w), val: windows(f, 200, 40, w), test: windows(f, 300, 60, w), normalization: null, target: 'label' as const };

  it('a series: the mean, the last value, the season (12, found by autocorrelation) and ridge on the lags, each measured as its definition', () => {
    expect(seasonalPeriod(data.train.features, data.train.count, w)).toBe(12);
    const input = baselineInput(data, { timeSeries: true })!;
    expect(input.kind).toBe('forecast');
    const b = computeBaselines(input, ['mse', 'mae', 'r2']);
    expect(Object.keys(b.scores)).toEqual(['mean', 'last-value', 'seasonal-naive', 'linear-lags']);
    const mse = (pred: (i: number) => number, s: Dataset) => Array.from(s.targets).reduce((a, y, i) => a + (pred(i) - y) ** 2, 0) / s.count;
    const test = data.test;
    expect(b.scores['last-value'].test.mse).toBeCloseTo(mse((i) => test.features[i * w + w - 1], test), 6);
    expect(b.scores['seasonal-naive'].test.mse).toBeCloseTo(mse((i) => test.features[i * w + w - 12], test), 6);
    const trainMean = Array.from(data.train.targets).reduce((a, v) => a + v, 0) / data.train.count;
    expect(b.scores.mean.test.mse).toBeCloseTo(mse(() => trainMean, test), 6);
    expect(b.scores.mean.val!.mse).toBeCloseTo(mse(() => trainMean, data.val), 6);
    expect(b.scores['seasonal-naive'].note).toBe('period 12, by autocorrelation within the window of 30');
    // The season and the lags beat the last value on a seasonal series.
    expect(b.scores['linear-lags'].test.mse!).toBeLessThan(b.scores['last-value'].test.mse!);
    expect(b.scores['seasonal-naive'].test.mse!).toBeLessThan(b.scores['last-value'].test.mse!);
  });

  it('features normalised for the network are read on their own scale (the last value is the last value)', () => {
    const mean = 0.3;
    const std = 2;
    const norm = (s: Dataset): Dataset => ({ ...s, features: s.features.map((v) => (v - mean) / std) });
    const normalised = { ...data, train: norm(data.train), val: norm(data.val), test: norm(data.test), normalization: { kind: 'global' as const, mean: [mean], std: [std] } };
    const a = computeBaselines(baselineInput(normalised, { timeSeries: true })!, ['mse']);
    const b = computeBaselines(baselineInput(data, { timeSeries: true })!, ['mse']);
    expect(a.scores['last-value'].test.mse).toBeCloseTo(b.scores['last-value'].test.mse!, 5);
  });

  it('a standardised regression target is read back in its own units, as the network\'s metrics read it (MetricTarget.scale)', () => {
    const mean = 5;
    const std = 3;
    const scaled = (s: Dataset): Dataset => ({ ...s, targets: s.targets.map((v) => (v - mean) / std) });
    const standardised = { ...data, train: scaled(data.train), val: scaled(data.val), test: scaled(data.test), targetNormalization: { mean: [mean], std: [std] } };
    const a = computeBaselines(baselineInput(standardised, { timeSeries: false })!, ['mse']);
    const b = computeBaselines(baselineInput(data, { timeSeries: false })!, ['mse']);
    // Ridge fits the same line in other units, and the mean is the mean: the same MSE in the data's units.
    expect(a.scores.ridge.test.mse).toBeCloseTo(b.scores.ridge.test.mse!, 4);
    expect(a.scores.mean.test.mse).toBeCloseTo(b.scores.mean.test.mse!, 4);
  });

  it('classes: the majority class and logistic regression, with the run\'s metrics', () => {
    const n = 120;
    const r = new Rng(5);
    const features = new Float32Array(n * 2);
    const targets = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const label = i % 3 === 0 ? 1 : 0; // a third are class 1
      features[2 * i] = label * 2 + r.normal() * 0.5;
      features[2 * i + 1] = r.normal();
      targets[i] = label;
    }
    const ds = (from: number, count: number): Dataset => ({ name: 'two', task: 'classification', count, features: features.slice(from * 2, (from + count) * 2), featureShape: [2], targets: targets.slice(from, from + count), targetShape: [], numClasses: 2, classNames: ['a', 'b'] });
    const input = baselineInput({ train: ds(0, 60), val: ds(60, 30), test: ds(90, 30), normalization: null, target: 'label' }, { timeSeries: false }) as BaselineInput;
    expect(input.kind).toBe('classes');
    const b = computeBaselines(input, ['accuracy', 'f1', 'confusion']);
    expect(b.scores.majority.test.accuracy).toBeCloseTo(20 / 30, 12);
    expect(Object.keys(b.scores.majority.test)).toEqual(['accuracy', 'f1']);
    expect(b.scores.logistic.test.accuracy!).toBeGreaterThan(0.9);
    expect(baselineVerdict({ loss: 0.7, accuracy: 0.6 }, b, ['accuracy'])).toMatch(/^The network's test accuracy 60\.00 % is worse than logistic regression on the same inputs \(\d+\.\d\d %\)\.$/);
    expect(baselineVerdict({ loss: 0.1, accuracy: 1 }, b, ['accuracy'])).toBeUndefined();
  });

  it('the verdict names the best baseline on the first metric both have, lower being better for MSE', () => {
    const b = { scores: { mean: { test: { mse: 1.2 } }, 'last-value': { test: { mse: 0.263 } }, 'linear-lags': { test: { mse: 0.205 } } }, skipped: [] };
    expect(baselineVerdict({ loss: 2.31, mse: 2.31 }, b, ['mse'])).toBe("The network's test MSE 2.31 is worse than a linear model on the lags (0.205).");
    expect(baselineVerdict({ loss: 0.1, mse: 0.1 }, b, ['mse'])).toBeUndefined();
  });

  it('a reconstruction, and labels per position, have no baselines', () => {
    expect(baselineInput({ ...data, target: 'features' }, { timeSeries: false })).toBeUndefined();
  });
});

describe("baselines of a character-level language model: the next character at every position", () => {
  /** Windows of `T` ids cut from `text` (a sample every `T`), the next id at every position, as the text sets read it. */
  const windows = (text: readonly number[], T: number, from: number, count: number): Dataset => {
    const features = new Float32Array(count * T);
    const targets = new Float32Array(count * T);
    for (let i = 0; i < count; i++) for (let t = 0; t < T; t++) [features[i * T + t], targets[i * T + t]] = [text[(from + i) * T + t], text[(from + i) * T + t + 1]];
    return { name: 'chars', task: 'classification', count, features, featureShape: [T], targets, targetShape: [T], numClasses: 4, classNames: ['a', 'b', 'c', 'd'] };
  };
  const data = (text: readonly number[], T: number) => ({ train: windows(text, T, 0, 60), val: windows(text, T, 60, 10), test: windows(text, T, 70, 80), normalization: null, target: 'label' as const });

  it('the majority character and an n-gram model, measured at every position (80 windows of 64: across the measuring chunks)', () => {
    // A source only three characters of context tell: after "a a" comes b when "d" came before, else d.
    const cycle = [0, 0, 1, 2, 0, 0, 3];
    const text = Array.from({ length: 151 * 64 + 1 }, (_, i) => cycle[i % cycle.length]);
    const input = baselineInput(data(text, 64), { timeSeries: false, characters: true })!;
    expect(input.kind).toBe('tokens');
    const b = computeBaselines(input, ['accuracy']);
    // the majority: a, 4 of every 7 characters, counted where the test split's positions have it
    const test = data(text, 64).test;
    const as = test.targets.filter((y) => y === 0).length;
    expect(b.scores.majority.test.accuracy).toBeCloseTo(as / test.targets.length, 12);
    // Three characters of context decide every next one: right at every position from the third
    // of a window on; before it, the shorter contexts' most frequent next character.
    const wrong = Math.round((1 - b.scores['n-gram'].test.accuracy!) * test.targets.length);
    expect(wrong).toBeGreaterThan(0);
    expect(wrong).toBeLessThanOrEqual(2 * 80);
    expect(b.scores['n-gram'].note).toMatch(/after the last 3 in the training split/);
    expect(baselineVerdict({ loss: 1, accuracy: 0.5 }, b, ['accuracy'])).toBe(
      `The network's test accuracy 50.00 % is worse than an n-gram model counting which character follows the last three in training (${(100 * b.scores['n-gram'].test.accuracy!).toFixed(2)} %).`,
    );
  });

  it('one character of context: the n-gram model is right at every position', () => {
    const text = Array.from({ length: 151 * 16 + 1 }, (_, i) => i % 4);
    const b = computeBaselines(baselineInput(data(text, 16), { timeSeries: false, characters: true })!, ['accuracy']);
    expect(b.scores['n-gram'].test.accuracy).toBe(1);
    expect(b.scores['n-gram'].val!.accuracy).toBe(1);
  });

  it('labels per position of anything but a character set (a mask of a one-channel image, as wide as its input) have none', () => {
    const text = Array.from({ length: 151 * 16 + 1 }, (_, i) => i % 4);
    expect(baselineInput(data(text, 16), { timeSeries: false })).toBeUndefined();
  });
});

describe('baselines of an image set (#82 deliverable 6)', () => {
  it('copies none of its features: they are wider than a linear baseline takes, so only the majority class is fitted (a normalised copy of every split was made, then skipped)', () => {
    const width = 3 * 64 * 64;
    const ds = (count: number, seed: number): Dataset => {
      const r = new Rng(seed);
      return { name: 'icons', task: 'classification', count, features: Float32Array.from({ length: count * width }, () => r.normal()), featureShape: [3, 64, 64], targets: Float32Array.from({ length: count }, (_, i) => i % 3), targetShape: [], numClasses: 3, classNames: ['a', 'b', 'c'] };
    };
    const data = { train: ds(1400, 1), val: ds(200, 2), test: ds(400, 3), normalization: { kind: 'global' as const, mean: [0.45], std: [0.2] }, target: 'label' as const };
    const featureBytes = (1400 + 200 + 400) * width * 4;
    const before = process.memoryUsage().arrayBuffers;
    const input = baselineInput(data, { timeSeries: false })!;
    const b = computeBaselines(input, ['accuracy']);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(Object.keys(b.scores)).toEqual(['majority']);
    expect(b.skipped.map((s) => s.name)).toEqual(['logistic']);
    // The input is still held here: a copy of the features would still be counted.
    expect(input.train.count).toBe(1400);
    expect(grown).toBeLessThan(featureBytes / 20);
  });
});
