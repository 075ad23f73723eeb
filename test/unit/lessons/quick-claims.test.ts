/**
 * The Learn gallery's quick runs bear out their lessons' claims: the runs the gallery queues in quick
 * mode (lessonDesign(…, true)) train here on the CPU backend, each read as the gallery reads it
 * (lessonReading), and the claim must hold over our figures. The e2e suite ("learn: every lesson runs
 * from the gallery (quick)…") runs the lessons whose UI differs through the app (overfit-tiny,
 * learning-rate, sgd-vs-adam-ae, batchnorm-deep, inpainting); the gallery → card → figures → claim
 * path is the same for the others, so their quick runs and claims are checked here, without a
 * browser (a third of the CPU they took there). The full-size claims: test/accuracy/lessons.test.ts.
 *
 * A lesson's figures are kept between runs on this machine (test/accuracy/cache.ts), keyed by its
 * designs, the backend and every source file this file imports, followed to the end (the trainer,
 * the kernels, the lesson catalog, the datasets made in code), the lockfile, the MNIST files and
 * the machine: training here is deterministic given those, so a hit holds the figures a fresh run
 * computes, and the claim is checked on them as on a fresh run's. A clean clone (CI) trains them
 * all; `ACCURACY_CACHE=0` trains again. Measured: the bottleneck lesson alone is 5 × 750 steps of
 * the denoising autoencoder, ~11 of this file's ~14 s of CPU (2 cores, quiet).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LESSONS, lessonClaimHolds, lessonDesign, lessonReading } from '../../../src-renderer/src/lessons/catalog';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import type { Backend } from '../../../src-engine/core/backend/types';
import { prepareData } from '../../../src-engine/core/data';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { createBestBackend } from '../../../src-engine/node/cpu/backend';
import { loadDataset } from '../../../src-engine/node/datasets';
import { Trainer } from '../../../src-engine/core/train';
import { cached } from '../../accuracy/cache';

/** The lessons the e2e suite leaves to this test (test/e2e/scenarios.mjs, E2E_LESSONS). */
const HERE = ['init', 'decision-boundaries', 'iris', 'housing-regression', 'raw-vs-normalised', 'dropout-eval', 'bottleneck', 'mlp-vs-cnn'];

/** This file, whose imports (followed to the end) are the code the figures are keyed by. */
const SELF = 'test/unit/lessons/quick-claims.test.ts';
const example = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'examples', `${name}.json`), 'utf8')) as GraphIR;
let backend: Backend;
beforeAll(async () => {
  backend = await createBestBackend({ threads: 1 });
});
afterAll(() => backend?.dispose?.());

describe('Learn gallery quick runs: the claim holds over our figures', () => {
  for (const lesson of LESSONS.filter((l) => HERE.includes(l.id))) {
    it(lesson.id, async () => {
      const designs = lesson.variants.map((v) => ({ label: v.label, graph: lessonDesign(lesson, v, example(v.example ?? lesson.example), true), reading: lessonReading(lesson, v) }));
      const train = async () => {
        const figures: Record<string, number> = {};
        for (const { label, graph, reading } of designs) {
          const cfg = graph.training!;
          const done = await new Trainer(graph, prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed), backend, { compile: compileGraph }).run();
          figures[label] = done[reading.split]?.[reading.metric] ?? NaN;
        }
        return figures;
      };
      const { value: ours } = await cached(`quick-claim-${lesson.id}`, { designs, backend: backend.description }, train, { sources: [SELF] });
      for (const { label } of designs) expect(Number.isFinite(ours[label]), label).toBe(true);
      expect(lessonClaimHolds(lesson, ours), JSON.stringify(ours)).toBe(true);
    }, 120_000);
  }

  it('names lessons of the table, none with a report (its claim reads runs the engine judges: the e2e suite runs those)', () => {
    for (const id of HERE) expect(LESSONS.find((l) => l.id === id)?.report, id).toBeUndefined();
    expect(LESSONS.filter((l) => HERE.includes(l.id))).toHaveLength(HERE.length);
  });
});
