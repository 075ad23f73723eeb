/**
 * The Learn gallery's lesson table (src-renderer/src/lessons/catalog.ts) is data: every entry must build valid
 * designs (full and quick), read a figure its runs report, and cite a reference for every run.
 * The claims themselves are measured by test/accuracy/lessons.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LESSONS, lessonDesign, lessonReading, lessonReportRequest } from '../../../src-renderer/src/lessons/catalog';
import { LessonReportRequest, type LessonReportRow } from '../../../src-engine/protocol/messages';
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
        for (const v of lesson.variants) expect(lesson.reference.figures[v.label], v.label).toBeTruthy();
        expect(lesson.reference.source).toMatch(/docs\/lessons\.md/);
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
