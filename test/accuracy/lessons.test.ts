/**
 * The Learn gallery's claims (src-renderer/src/lessons/catalog.ts), measured: every lesson's runs train here
 * as the gallery queues them (full size), and the lesson's qualitative claim must hold for our
 * figures. Results go to test/accuracy/results/lessons.json (the table for the report).
 * A lesson with a report (in-painting: per-class success of in-painted digits as read by a
 * classifier trained in Netwright) computes it from its trained runs with the same function as
 * the engine's `lessons.report` (`inpaintingReport`), and its claim is over the report's rows.
 * Any other lesson's run is trained through runs.ts, so a design another accuracy test trains too
 * (the segmentation and text-classification templates) trains once.
 * `LESSONS_REDUCED=1` runs the gallery's quick versions instead; `LESSONS_ONLY=id,id` some lessons
 * (their rows replace those of the same lessons in the results file, the others are kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LESSONS, lessonClaimHolds, lessonClaimText, lessonDesign, lessonReading, type Lesson } from '../../src-renderer/src/lessons/catalog';
import { inpaintingReport, inpaintingRows } from '../../src-engine/app/lessons/inpainting';
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import type { Backend } from '../../src-engine/core/backend/types';
import { prepareData, type PreparedData } from '../../src-engine/core/data';
import { modelFromCheckpoint, type TrainedModel } from '../../src-engine/core/export/model';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { createBestBackend } from '../../src-engine/node/cpu';
import { loadDataset } from '../../src-engine/node/datasets';
import { Trainer } from '../../src-engine/core/train';
import { cached } from './cache';
import { runFigures, trainedRun, type RunFigures } from './runs';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'test', 'accuracy', 'results');
const REDUCED = process.env.LESSONS_REDUCED === '1';
const ONLY = process.env.LESSONS_ONLY?.split(',').filter(Boolean);
const FILE = join(RESULTS, `lessons${REDUCED ? '-reduced' : ''}.json`);
const example = (name: string) => JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as GraphIR;
const table: Record<string, unknown> = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>) : {};
let backend: Backend;

beforeAll(async () => {
  backend = await createBestBackend();
  mkdirSync(RESULTS, { recursive: true });
});
afterAll(() => {
  backend?.dispose?.();
  const ids = LESSONS.map((l) => l.id);
  writeFileSync(FILE, JSON.stringify(Object.fromEntries(ids.filter((id) => id in table).map((id) => [id, table[id]])), null, 2) + '\n');
});

/** A trained run's network as a model (its weights now, what inference needs besides them). */
function trainedModel(trainer: Trainer, graph: GraphIR, data: PreparedData): TrainedModel {
  return modelFromCheckpoint(graph, trainer.loop.capture(), { ...(data.normalization ? { normalization: data.normalization } : {}), classNames: [...data.train.classNames] });
}

/** `graph` trained in full, its model handed to `keep` (a report reads it). */
async function trainForReport(graph: GraphIR, keep: (run: { model: TrainedModel; data: PreparedData }) => void): Promise<RunFigures> {
  const cfg = graph.training!;
  const data = prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
  const trainer = new Trainer(graph, data, backend, { compile: compileGraph });
  const done = await trainer.run();
  keep({ model: trainedModel(trainer, graph, data), data });
  return runFigures(done);
}

/** A lesson's runs trained in full: our figure per variant, the table rows, and its report (if it has one). */
async function trainLesson(lesson: Lesson, designs: GraphIR[]) {
  const ours: Record<string, number> = {};
  const rows = [];
  const runs: Record<string, { model: TrainedModel; data: PreparedData }> = {};
  for (const [i, v] of lesson.variants.entries()) {
    const graph = designs[i];
    const done = lesson.report ? await trainForReport(graph, (run) => (runs[v.label] = run)) : await trainedRun(graph, backend);
    const reading = lessonReading(lesson, v);
    const value = done[reading.split]?.[reading.metric] ?? NaN;
    ours[v.label] = value;
    rows.push({ variant: v.label, reading, reference: lesson.reference.figures[v.label], ours: value, seconds: done.seconds, epochs: done.epochs });
    console.log(`${lesson.id} ${v.label}: ${reading.split} ${reading.metric} ${value} (${done.seconds.toFixed(1)} s)`);
  }
  let report;
  if (lesson.report) {
    // The one report kind today: in-painting (the engine's lessons.report computes it the same way).
    const judge = runs[lesson.report.runs.judge]!;
    const inpainter = runs[lesson.report.runs.inpainter]!;
    const t0 = performance.now();
    report = inpaintingRows(inpaintingReport(judge.model, inpainter.model, inpainter.data, backend), judge.model.classNames);
    console.log(`${lesson.id} report on ${inpainter.data.test.count} test samples (${((performance.now() - t0) / 1000).toFixed(1)} s):`);
    for (const r of report) console.log(`  ${r.label}: ${Object.entries(r.values).map(([k, x]) => `${k} ${x.toFixed(3)}`).join(' ')} (${r.count})`);
  }
  return { ours, rows, report };
}

describe('Learn gallery lessons: our figures bear out each claim', () => {
  for (const lesson of LESSONS) {
    it.runIf(!ONLY || ONLY.includes(lesson.id))(`${lesson.id}: ${lessonClaimText(lesson)}`, async () => {
      // The designs this lesson trains (and, on a re-run of the same code and data, their stored
      // figures: runs.ts, or for a lesson with a report the lesson's, cache.ts).
      const designs = lesson.variants.map((v) => lessonDesign(lesson, v, example(v.example ?? lesson.example), REDUCED));
      const train = () => trainLesson(lesson, designs);
      const { ours, rows, report } = lesson.report ? (await cached(`lesson-${lesson.id}${REDUCED ? '-reduced' : ''}`, { designs, backend: backend.description }, train)).value : await train();
      const holds = lessonClaimHolds(lesson, ours, report)!;
      const command = `${REDUCED ? 'LESSONS_REDUCED=1 ' : ''}LESSONS_ONLY=${lesson.id} npm run test:accuracy -- test/accuracy/lessons.test.ts`;
      table[lesson.id] = { command, reading: lesson.reading, claim: lessonClaimText(lesson), source: lesson.reference.source, rows, ...(report ? { report } : {}), holds };
      expect(holds, JSON.stringify(report ?? ours)).toBe(true);
    });
  }
});
