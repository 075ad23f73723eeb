/**
 * The Learn gallery's lesson table (src-renderer/src/lessons/catalog.ts) is data: every entry must build valid
 * designs (full and quick), read a figure its runs report, and cite a reference for every run.
 * The claims themselves are measured by test/accuracy/lessons.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AVERAGE_DIGIT_MSE, LESSONS, lessonDesign, lessonReading, lessonReportRequest } from '../../../src-renderer/src/lessons/catalog';
import { prepareData } from '../../../src-engine/core/data';
import { loadDataset } from '../../../src-engine/node/datasets';
import { LessonReportRequest, type LessonReportRow } from '../../../src-engine/protocol';
import { analyzeGraph } from '../../../src-engine/core/analysis/validate';
import type { GraphIR } from '../../../src-engine/base/ir/types';

const example = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'examples', `${name}.json`), 'utf8')) as GraphIR;

describe('lesson table', () => {
  it('has unique ids and unique variant labels', () => {
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    for (const l of LESSONS) expect(new Set(l.variants.map((v) => v.label)).size, l.id).toBe(l.variants.length);
  });

  for (const lesson of LESSONS) {
    describe(lesson.id, () => {
      it('every variant, full and quick, is a valid design that trains', () => {
        for (const v of lesson.variants) {
          const base = example(v.example ?? lesson.example);
          for (const g of [lessonDesign(lesson, v, base, false), lessonDesign(lesson, v, base, true)]) {
            const a = analyzeGraph(g);
            expect(a.diagnostics.filter((d) => d.severity === 'error'), `${lesson.id} / ${v.label}`).toEqual([]);
            expect(g.training, v.label).toBeDefined();
          }
          // The patch is pure: the example it started from is unchanged.
          expect(base).toEqual(example(v.example ?? lesson.example));
        }
      });

      it('the quick version is no bigger than the full one', () => {
        for (const v of lesson.variants) {
          const full = lessonDesign(lesson, v, example(v.example ?? lesson.example), false).training!;
          const quick = lessonDesign(lesson, v, example(v.example ?? lesson.example), true).training!;
          expect(quick.epochs).toBeLessThanOrEqual(full.epochs);
          expect(quick.dataset.limit ?? Infinity).toBeLessThanOrEqual(full.dataset.limit ?? Infinity);
        }
      });

      it('cites a reference figure for every run, and the claim reads every run (or, with a report, every row it shows)', () => {
        for (const v of lesson.variants) expect(lesson.reference.figures[v.label]?.words, v.label).toBeTruthy();
        expect(lesson.reference.source.title).toMatch(/docs\/lessons\.md/);
        expect(lesson.reference.source.short).toBeTruthy();
        if (lesson.report) return;
        // A claim that ignores a run would hold whatever that run gave: every run's figure must be
        // read for some figures (all combinations of low, middle and high ones).
        const labels = lesson.variants.map((v) => v.label);
        const read = new Set<string>();
        for (let c = 0; c < 3 ** labels.length; c++) {
          const figures = Object.fromEntries(labels.map((l, i) => [l, [0.01, 0.5, 0.99][Math.floor(c / 3 ** i) % 3]!]));
          lesson.claim.holds(new Proxy(figures, { get: (o, k) => (read.add(String(k)), o[k as string]) }));
        }
        expect([...labels].filter((l) => !read.has(l)), lesson.id).toEqual([]);
      });

      it('every run reads a figure its kind of run reports (accuracy only from classifiers)', () => {
        for (const v of lesson.variants) {
          const g = lessonDesign(lesson, v, example(v.example ?? lesson.example), true);
          const reading = lessonReading(lesson, v);
          if (reading.metric === 'accuracy') expect(g.training!.dataset.target ?? 'label', `${lesson.id} / ${v.label}`).toBe('label');
        }
      });

      const { report } = lesson;
      if (report) it('a report names a run for every role the engine needs, shows the figure column, and its claim reads it', () => {
        const labels = new Set(lesson.variants.map((v) => v.label));
        for (const label of Object.values(report.runs)) expect(labels.has(label), label).toBe(true);
        // The request the gallery sends for stored runs is one the protocol accepts; a run not stored: no request.
        const ids = Object.fromEntries(lesson.variants.map((v, i) => [v.label, `20261123-120000-000${i}`]));
        expect(LessonReportRequest.safeParse(lessonReportRequest(report, ids)).success).toBe(true);
        expect(lessonReportRequest(report, { ...ids, [Object.values(report.runs)[0]!]: undefined })).toBeUndefined();
        expect(report.columns.map((c) => c.key)).toContain(report.figure);
        expect(report.reference).toBeTruthy();
        expect(report.caption).toBeTruthy();
        // The claim reads the figure column: the same rows with it lowered everywhere change the verdict.
        const row = (label: string, values: Record<string, number>): LessonReportRow => ({ label, count: 10, values });
        const spread = report.columns.map((c) => c.key);
        const good = [0.95, 0.6].map((x, i) => row(String(i), Object.fromEntries(spread.map((k) => [k, k === report.figure ? x : 0.3]))));
        const flat = good.map((r) => ({ ...r, values: { ...r.values, [report.figure]: 0.3 } }));
        expect(report.claim.holds(good)).not.toBe(report.claim.holds(flat));
      });
    });
  }
});

describe('reference figures beside ours (#32 item 10)', () => {
  const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'lessons.md'), 'utf8');
  const references = docs.slice(docs.indexOf('## References'));

  it('a figure the sources state is shown as a number, never invented: every exact one is quoted in the References', () => {
    const exact = LESSONS.flatMap((l) => l.variants.map((v) => [l, v, l.reference.figures[v.label]!] as const)).filter(([, , r]) => r.value !== undefined && !r.approx);
    for (const [l, v, r] of exact) {
      const quoted = lessonReading(l, v).metric === 'accuracy' ? `${+(r.value! * 100).toFixed(1)}%` : String(r.value);
      expect(references, `${l.id} / ${v.label}`).toMatch(new RegExp(`(?<![\\d.])${quoted.replace('.', '\\.')}`));
    }
    // The learner's figures: BatchNorm 85 → 97, eval() 97 vs 82, MLP 97 vs CNN 99.2 (each a number beside ours).
    const value = (id: string, label: string) => LESSONS.find((l) => l.id === id)!.reference.figures[label]!.value;
    expect([value('batchnorm-deep', 'deep sigmoid'), value('batchnorm-deep', '+ BatchNorm')]).toEqual([0.85, 0.97]);
    expect([value('dropout-eval', 'eval()'), value('dropout-eval', 'forgot eval()')]).toEqual([0.97, 0.82]);
    expect([value('mlp-vs-cnn', 'MLP'), value('mlp-vs-cnn', 'CNN')]).toEqual([0.97, 0.992]);
    expect(value('overfit-tiny', '64 samples')).toBe(0);
  });

  it('a figure is in the units of the run it stands beside (accuracy a share in [0, 1])', () => {
    for (const l of LESSONS)
      for (const v of l.variants) {
        const r = l.reference.figures[v.label]!;
        if (r.value === undefined) continue;
        if (lessonReading(l, v).metric === 'accuracy') expect(r.value, `${l.id} / ${v.label}`).toBeGreaterThanOrEqual(0);
        if (lessonReading(l, v).metric === 'accuracy') expect(r.value, `${l.id} / ${v.label}`).toBeLessThanOrEqual(1);
      }
  });
});

describe('claims say what the runs show (#32 item 10)', () => {
  const lesson = (id: string) => LESSONS.find((l) => l.id === id)!;

  it('BatchNorm: "stuck" means stuck — a stack without BatchNorm that learned to 50 % does not get a ✓, ours at chance does', () => {
    const { claim } = lesson('batchnorm-deep');
    expect(claim!.holds({ 'deep sigmoid': 0.5, '+ BatchNorm': 0.95 })).toBe(false);
    // The quick run's figures (test/accuracy/lessons.test.ts with LESSONS_REDUCED=1): one digit for every image, and 87.8 %.
    expect(claim!.holds({ 'deep sigmoid': 0.0955, '+ BatchNorm': 0.878 })).toBe(true);
  });

  it('SGD vs Adam: grey blobs get no ✓ — the old quick run (Adam 0.072, worse than the average digit) fails, digits (0.035) pass', () => {
    const { claim } = lesson('sgd-vs-adam-ae');
    expect(claim!.holds({ 'SGD lr 0.01': 0.2315, 'Adam lr 0.001': 0.0721 })).toBe(false);
    expect(claim!.holds({ 'SGD lr 0.01': 0.2309, 'Adam lr 0.001': 0.0352 })).toBe(true);
  });

  it(`the average digit's test MSE the autoencoder claims measure against is ${AVERAGE_DIGIT_MSE} (on the splits the lessons use)`, () => {
    const l = lesson('sgd-vs-adam-ae');
    for (const quick of [true, false]) {
      const cfg = lessonDesign(l, l.variants[1]!, example(l.example), quick).training!;
      const data = prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
      const d = data.train.features.length / data.train.count;
      const mean = new Float64Array(d);
      for (let i = 0; i < data.train.count; i++) for (let j = 0; j < d; j++) mean[j]! += data.train.features[i * d + j]! / data.train.count;
      let se = 0;
      for (let i = 0; i < data.test.count; i++) for (let j = 0; j < d; j++) se += (data.test.features[i * d + j]! - mean[j]!) ** 2;
      expect(se / data.test.count / d, `quick ${quick}`).toBeCloseTo(AVERAGE_DIGIT_MSE, 2);
    }
  });
});
