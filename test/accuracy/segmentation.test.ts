/**
 * Segmentation (#48): examples/shapes-segmentation.json, a small U-Net (two levels, Concat skips,
 * ConvTranspose2d up) on the built-in `shape-masks` set (2,000 coloured shapes on striped
 * backgrounds, 32×32, a class per pixel; the same 400 test images for every run), trained with its
 * defaults (8 epochs of Adam 3e-3) on 2 CPU threads: test mean IoU ≥ 0.80. Measured 2026-11-26 on a
 * quiet 2-core AMD EPYC: 0.894, pixel accuracy 98.0 %, training 49 s (the file 51 s). Long:
 * `npm run test:accuracy`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { prepareData } from '../../src-engine/core/data';
import { Trainer } from '../../src-engine/core/train';
import { createCpuBackend, type CpuBackend } from '../../src-engine/node/cpu';
import { loadDataset } from '../../src-engine/node/datasets';
import { cached } from './cache';

const ROOT = join(import.meta.dirname, '..', '..');
let backend: CpuBackend;

beforeAll(async () => {
  backend = await createCpuBackend({ threads: 2 });
});
afterAll(() => backend?.dispose());

describe('shapes segmentation (2 threads)', () => {
  it('the U-Net reaches test mean IoU ≥ 0.80 with its defaults', async () => {
    const graph = JSON.parse(readFileSync(join(ROOT, 'examples', 'shapes-segmentation.json'), 'utf8')) as GraphIR;
    const cfg = graph.training!;
    const { value } = await cached('shapes-segmentation', { graph, backend: backend.description }, async () => {
      const done = await new Trainer(graph, prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed), backend, { compile: compileGraph }).run();
      return { iou: done.test?.['mean-iou'] ?? NaN, pixels: done.test?.['pixel-accuracy'] ?? NaN, seconds: done.seconds };
    });
    console.log(`shapes-segmentation: test mean IoU ${value.iou.toFixed(3)}, pixel accuracy ${value.pixels.toFixed(3)} after ${value.seconds.toFixed(0)} s on ${backend.description}`);
    expect(value.iou).toBeGreaterThanOrEqual(0.8);
    expect(value.pixels).toBeGreaterThanOrEqual(0.9);
  });
});
