/**
 * Every registered input transform at the cases its file declares (`testDomain`): the contract of
 * `apply` (in place, a partial batch's tail untouched, finite values, the same draws for the same
 * seed, a setting as a design holds it acting as with its declared defaults), and, over 4,000 draws,
 * the moments of its outputs against those of the exported train.py's text and of its torchvision
 * counterpart, where it has one (one Python process answers every case: transforms_torch.py). A
 * transform added to the registry is tested with no edit here; one without a test domain is named.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-engine/base/rng';
import { listTransforms, type TransformConfig } from '../../../../src-engine/catalog/transforms/registry';
import type { TransformDef, TransformTestDomain } from '../../../../src-engine/catalog/transforms/types';
import { applyTransform, checkTransform } from '../../../../src-engine/core/data/transforms';
import { HAS_TORCH, tempDir, torchProcess } from '../export/torch-harness';
import { missingTransformDomains } from '../settings-domains';

const DEFS = listTransforms() as readonly TransformDef[];
const domainOf = (def: TransformDef) => def.testDomain as TransformTestDomain | undefined;
const DRAWS = 4000;
const SEED = 20240;

interface Case {
  label: string;
  def: TransformDef;
  /** The setting as a design holds it: what the case gives. */
  config: TransformConfig;
  /** Every declared parameter at its default, then the case's. */
  full: TransformConfig;
  sample: readonly number[];
  /** One sample's values: spread over [0, 1], none at 0 or 1. */
  x0: Float32Array;
}

const CASES: Case[] = DEFS.flatMap((def) =>
  (domainOf(def)?.cases ?? []).map((c) => {
    const sample = c.sample ?? [16];
    const size = sample.reduce((a, b) => a * b, 1);
    const config = { kind: def.kind, ...c.settings } as TransformConfig;
    const full = { kind: def.kind, ...Object.fromEntries(Object.entries(def.params).map(([k, p]) => [k, p.default])), ...c.settings } as TransformConfig;
    return { label: `${def.kind}: ${c.name}`, def, config, full, sample, x0: Float32Array.from({ length: size }, (_, i) => 0.05 + 0.9 * ((i * 0.618034) % 1)) };
  }),
);

/** `samples` copies of the case's sample, then one more past `length` (a partial batch's tail), corrupted with `setting` from `seed`. */
function corrupt(c: Case, setting: TransformConfig, samples: number, seed: number): { x: Float32Array; length: number } {
  const x = copies(c, samples + 1);
  applyTransform(setting, x, new Rng(seed), samples * c.x0.length, c.sample);
  return { x, length: samples * c.x0.length };
}

/** `samples` copies of the case's sample. */
function copies(c: Case, samples: number): Float32Array {
  const x = new Float32Array(samples * c.x0.length);
  for (let s = 0; s < samples; s++) x.set(c.x0, s * c.x0.length);
  return x;
}

type Stat = { mean: number[]; var: number[] };
type Moments = { n: number; y: Stat; y2: Stat; row: Stat; row2: Stat };

/** What transforms_torch.py reports of `n` corrupted samples (rows of `y`), from the same formulas. */
function moments(y: Float32Array, n: number, f: number): Moments {
  const stat = (value: (s: number, j: number) => number, cols: number): Stat => {
    const mean = new Array<number>(cols).fill(0);
    const sq = new Array<number>(cols).fill(0);
    for (let s = 0; s < n; s++)
      for (let j = 0; j < cols; j++) {
        const v = value(s, j);
        mean[j] += v / n;
        sq[j] += (v * v) / n;
      }
    return { mean, var: mean.map((m, j) => Math.max(0, sq[j] - m * m)) };
  };
  const at = (s: number, j: number) => y[s * f + j];
  const rowMean = (p: number) => (s: number) => {
    let sum = 0;
    for (let j = 0; j < f; j++) sum += at(s, j) ** p;
    return sum / f;
  };
  return { n, y: stat(at, f), y2: stat((s, j) => at(s, j) ** 2, f), row: stat(rowMean(1), 1), row2: stat(rowMean(2), 1) };
}

/**
 * NOTE (bound): both sides are means of independent draws (one per sample), so each difference of
 * means is within 6 standard errors, √(va/na + vb/nb), but once in ~5·10⁸ where the distributions
 * agree (the draws are seeded: a pass is for good); 1e-6 absolute covers float32 inputs rounded
 * on the way to float64 sums.
 */
function expectSameMoments(got: Moments, want: Moments, what: string): void {
  const bad: string[] = [];
  for (const key of ['y', 'y2', 'row', 'row2'] as const) {
    got[key].mean.forEach((m, j) => {
      const w = want[key].mean[j];
      const bound = 6 * Math.sqrt(got[key].var[j] / got.n + want[key].var[j] / want.n) + 1e-6;
      if (!(Math.abs(m - w) <= bound)) bad.push(`${key}[${j}]: ${m} vs ${w} (bound ${bound.toExponential(2)})`);
    });
  }
  expect(bad, what).toEqual([]);
}

describe('every registered transform declares what it is tested at', () => {
  it('a test domain whose cases set each parameter away from its default, and leave each optional one out', () => {
    expect(missingTransformDomains()).toEqual([]);
  });
});

/** Where `a` and `b` first differ, and how many values do; undefined where they are the same. */
function difference(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `${a.length} values against ${b.length}`;
  let first = -1;
  let count = 0;
  for (let k = 0; k < a.length; k++)
    if (!Object.is(a[k], b[k])) {
      if (first < 0) first = k;
      count++;
    }
  return first < 0 ? undefined : `${count} of ${a.length} values differ, the first at ${first}: ${a[first]} against ${b[first]}`;
}

describe('every registered transform keeps the contract of apply', () => {
  it.each(CASES.map((c, i) => [c.label, i] as const))('%s', (label, i) => {
    const c = CASES[i];
    expect(() => checkTransform(c.config, c.sample), `${label}: the case's setting is accepted`).not.toThrow();
    const a = corrupt(c, c.config, 8, SEED);
    expect(difference(a.x.subarray(a.length), c.x0), `${label}: the values past length are left alone`).toBeUndefined();
    expect(a.x.every(Number.isFinite), `${label}: finite values`).toBe(true);
    expect(difference(corrupt(c, c.config, 8, SEED).x, a.x), `${label}: the same seed, the same draws`).toBeUndefined();
    expect(difference(corrupt(c, c.full, 8, SEED).x, a.x), `${label}: what it leaves out acts as its declared default`).toBeUndefined();
    expect(difference(corrupt(c, c.config, 0, SEED).x, c.x0), `${label}: an empty batch is left alone`).toBeUndefined();
    if (c.def.identity) expect(difference(a.x, copies(c, 9)), `${label}: an identity changes nothing`).toBeUndefined();
    else expect(difference(corrupt(c, c.config, 8, SEED + 1).x, a.x), `${label}: another seed, other draws`).toBeDefined();
  });
});

describe.skipIf(!HAS_TORCH)('every registered transform draws as train.py and torchvision do', () => {
  let answers: { trainPy: (Moments & { error?: string }) | null; torchvision: (Moments & { error?: string }) | null }[];

  beforeAll(async () => {
    const cases = CASES.map((c) => {
      const tv = domainOf(c.def)!.torchvision;
      return { torch: c.def.torch ?? null, torchvision: typeof tv === 'string' ? tv : null, config: c.config, settings: c.full, sample: c.sample, x0: Array.from(c.x0), n: DRAWS, seed: SEED };
    });
    const dir = tempDir('transforms');
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    const r = await torchProcess([join(import.meta.dirname, 'transforms_torch.py'), file], import.meta.dirname);
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`transforms_torch.py failed (${r.status}): ${r.stderr}`);
    answers = JSON.parse(r.stdout);
  }, 120_000);

  it.each(CASES.map((c, i) => [c.label, i] as const))('%s', (label, i) => {
    const c = CASES[i];
    const { x, length } = corrupt(c, c.config, DRAWS, SEED);
    const engine = moments(x.subarray(0, length), DRAWS, c.x0.length);
    const { trainPy, torchvision } = answers[i];
    if (trainPy) {
      expect(trainPy.error, `${label}: train.py's corrupt`).toBeUndefined();
      expectSameMoments(engine, trainPy, `${label}: the engine against train.py`);
    } else {
      expect(c.def.identity, `${label}: only an identity has no train.py text`).toBe(true);
    }
    if (torchvision) {
      expect(torchvision.error, `${label}: its torchvision counterpart`).toBeUndefined();
      expectSameMoments(engine, torchvision, `${label}: the engine against torchvision`);
    }
  });
});
