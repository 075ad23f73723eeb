/**
 * Segmentation (#48): examples/shapes-segmentation.json, a small U-Net (two levels, Concat skips,
 * ConvTranspose2d up) on the built-in `shape-masks` set (2,000 coloured shapes on striped
 * backgrounds, 32×32, a class per pixel; the same 400 test images for every run), trained with its
 * defaults (8 epochs of Adam 3e-3) on 2 CPU threads: test mean IoU ≥ 0.80. Measured 2026-11-26 on a
 * quiet 2-core AMD EPYC: 0.894, pixel accuracy 98.0 %, training 49 s (the file 51 s). The Learn
 * gallery's unet-budget lesson trains the same template: one training serves both (runs.ts). Long:
 * `npm run test:accuracy`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { createCpuBackend, type CpuBackend } from '../../src-engine/node/cpu';
import { trainedRun } from './runs';

const ROOT = join(import.meta.dirname, '..', '..');
let backend: CpuBackend;

beforeAll(async () => {
  backend = await createCpuBackend({ threads: 2 });
});
afterAll(() => backend?.dispose());

describe('shapes segmentation (2 threads)', () => {
  it('the U-Net reaches test mean IoU ≥ 0.80 with its defaults', async () => {
    const graph = JSON.parse(readFileSync(join(ROOT, 'examples', 'shapes-segmentation.json'), 'utf8')) as GraphIR;
    const run = await trainedRun(graph, backend);
    const value = { iou: run.test?.['mean-iou'] ?? NaN, pixels: run.test?.['pixel-accuracy'] ?? NaN, seconds: run.seconds };
    console.log(`shapes-segmentation: test mean IoU ${value.iou.toFixed(3)}, pixel accuracy ${value.pixels.toFixed(3)} after ${value.seconds.toFixed(0)} s on ${backend.description}`);
    expect(value.iou).toBeGreaterThanOrEqual(0.8);
    expect(value.pixels).toBeGreaterThanOrEqual(0.9);
  });
});
