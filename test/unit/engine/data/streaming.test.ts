/**
 * A folder larger than its memory budget trains streamed from disk (#30 item 3, docs/data.md
 * "Folders larger than memory"): the same splits, order, normalisation and so the same losses as
 * the folder held in memory, bit for bit; an image that becomes unreadable mid-run is a reported
 * skip, not a crash.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { isStreamed, prepareData, type LoadedDataset, type Samples } from '../../../../src-engine/core/data';
import type { GraphIR, TrainingConfig } from '../../../../src-engine/base/ir/types';
import { Trainer, type TrainerEvent } from '../../../../src-engine/core/train';
import { loadImageFolder } from '../../../../src-engine/node/image-folder';
import { IMAGE_DECODERS } from '../../../../src-engine/node/image-decoders';
import { loadImageFolderSamples, releaseStreamedFolder } from '../../../../src-engine/node/image-stream';
import { writeDigitFolder } from './user-data-fixtures';
import { EngineEvents } from '../../../../src-engine/protocol';
import { main } from '../../../../src-engine/node/train-cli';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nw-stream-'));
  // 3 classes: 16 training and 6 test images each, colour 32×32, every 10th a JPEG.
  writeDigitFolder(dir, { perClass: { train: 16, test: 6 }, layout: 'split', classes: 3, jpegEvery: 10 });
});
afterAll(() => releaseStreamedFolder());

const SHAPE = [3, 12, 12];

function graph(dataset: TrainingConfig['dataset']): GraphIR {
  return {
    format: 'netwright.graph',
    version: 1,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: SHAPE, source: 'features' }, inputs: [] },
      { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'conv', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['x'] },
      { id: 'relu', op: 'ReLU', attrs: {}, inputs: ['conv'] },
      { id: 'pool', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['relu'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'y'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
    training: { dataset, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 7, epochs: 2, seed: 5, metrics: ['accuracy'] },
  } as GraphIR;
}

async function train(loaded: LoadedDataset<Samples>) {
  const dataset = { name: 'image-folder', options: { path: dir }, validationSplit: 0.25 };
  const data = prepareData(loaded, dataset, 5);
  const losses: number[] = [];
  const events: TrainerEvent[] = [];
  const trainer = new Trainer(checkedOrThrow(graph(dataset)), data, createReferenceBackend(), { compile: compileGraph, onStepLoss: (_, l) => losses.push(l), onEvent: (e) => events.push(e) });
  const done = await trainer.run();
  return { data, losses, done, events };
}

describe('a folder over its memory budget trains streamed from disk', () => {
  it('with the same losses, bit for bit, as from memory: decoded in worker threads, or on the loop\'s thread', async () => {
    const inMemory = await train(loadImageFolder(dir, { shape: SHAPE }));
    // Decodes on the loop's thread, counted: with a worker thread only the normalisation's two passes over the 36 training images decode there.
    let onLoopThread = 0;
    const decoders = { png: (b: Uint8Array) => (onLoopThread++, IMAGE_DECODERS.png(b)), jpeg: (b: Uint8Array) => (onLoopThread++, IMAGE_DECODERS.jpeg(b)), webp: (b: Uint8Array) => (onLoopThread++, IMAGE_DECODERS.webp(b)) };
    const streamed = loadImageFolderSamples(dir, { shape: SHAPE, budgetBytes: 4096, workers: 1, decoders });
    expect(streamed.memoryBudget).toBe(4096);
    expect(streamed.report?.fingerprint).toBe(loadImageFolder(dir, { shape: SHAPE }).report?.fingerprint);
    // 3/4 of the 4,096 bytes cache 7 samples of 432 values as bytes (1 as float32).
    expect(streamed.report?.notes.join(' ')).toMatch(/streamed from disk: 66 images are .* over the memory budget of 0\.00 MiB; decoded in 1 worker thread, up to 7 decoded samples cached \(as 8-bit values\)/);
    const threads = await train(streamed);
    expect(isStreamed(threads.data.train) && isStreamed(threads.data.val) && isStreamed(threads.data.test)).toBe(true);
    expect(threads.data.memoryBudget).toBe(4096);
    // Normalisation fitted on a pass over the streamed training split: the same figures.
    expect(threads.data.normalization).toEqual(inMemory.data.normalization);
    expect(inMemory.losses.length).toBe(2 * Math.ceil(36 / 7));
    expect(threads.losses).toEqual(inMemory.losses);
    expect(threads.done.test).toEqual(inMemory.done.test);
    expect(threads.done.val).toEqual(inMemory.done.val);
    expect(onLoopThread).toBeLessThanOrEqual(2 * 36);
    onLoopThread = 0;
    // A budget whose cache holds one sample (3/4 of 1,000 bytes, 432 a sample as 8-bit values).
    const here = await train(loadImageFolderSamples(dir, { shape: SHAPE, budgetBytes: 1000, workers: 0, decoders }));
    expect(here.losses).toEqual(inMemory.losses);
    // Without threads every batch decodes here: 2 epochs × (36 train + 12 validation) + 18 test, and the two passes.
    expect(onLoopThread).toBeGreaterThan(2 * 36 + 100);
  });

  it('the worker threads decode under tsx too (the CLI, the benches), whose kept function names their embedded sources carry', () => {
    // esbuild's keepNames wraps inner functions in `__name(...)` calls; vitest's transform does not, tsx's does.
    const url = (f: string) => pathToFileURL(join(ROOT, f)).href;
    const script = `
      const { loadImageFolderSamples, releaseStreamedFolder } = await import(${JSON.stringify(url('src-engine/node/image-stream.ts'))});
      const { IMAGE_DECODERS } = await import(${JSON.stringify(url('src-engine/node/image-decoders.ts'))});
      let here = 0;
      const spy = (f) => (b) => (here++, IMAGE_DECODERS[f](b));
      const { train } = loadImageFolderSamples(${JSON.stringify(dir)}, { shape: ${JSON.stringify(SHAPE)}, budgetBytes: 4096, workers: 1, decoders: { png: spy('png'), jpeg: spy('jpeg'), webp: spy('webp') } });
      const idx = Int32Array.from({ length: train.count }, (_, i) => i);
      await train.load(idx);
      train.read(idx, new Float32Array(train.count * ${SHAPE[0] * SHAPE[1] * SHAPE[2]}));
      releaseStreamedFolder();
      console.log(JSON.stringify({ here, count: train.count, skipped: train.skipped.length }));`;
    // A file, not `-e`: the threads' eval'd CommonJS source would inherit `--input-type=module`.
    const file = join(mkdtempSync(join(tmpdir(), 'nw-stream-tsx-')), 'decode.mts');
    writeFileSync(file, script);
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
    // Every training image (PNGs and JPEGs, resized) decoded in the thread: none again on this one.
    expect(JSON.parse(out)).toEqual({ here: 0, count: 48, skipped: 0 });
  });

  it('a limited run whose samples fit the budget reads them into memory; a folder within it loads as before', () => {
    const loaded = loadImageFolderSamples(dir, { shape: SHAPE, budgetBytes: 20 * 432 * 4, workers: 0 });
    expect(isStreamed(loaded.train)).toBe(true);
    const data = prepareData(loaded, { name: 'image-folder', options: { path: dir }, limit: 8, validationSplit: 0.25 }, 5);
    expect([data.train, data.val, data.test].some(isStreamed)).toBe(false);
    expect(data.memoryBudget).toBeUndefined();
    expect(isStreamed(loadImageFolderSamples(dir, { shape: SHAPE }).train)).toBe(false);
  });

  it('the CLI streams a folder over --memory-budget MiB, and says so', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nw-stream-cli-')), 'graph.json');
    const g = graph({ name: 'mnist' });
    // At [3, 64, 64] the 66 images are 3.1 MiB as float32: over a budget of 1 MiB.
    writeFileSync(file, JSON.stringify({ ...g, nodes: g.nodes.map((n) => (n.id === 'x' ? { ...n, attrs: { ...n.attrs, shape: [3, 64, 64] } } : n)) }));
    let out = '';
    const code = await main([file, '--data', dir, '--memory-budget', '1', '--epochs', '1', '--threads', '1', '--json'], (t) => (out += t), (t) => (out += t));
    expect(code, out).toBe(0);
    const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; notes?: string[] });
    expect(events.find((e) => e.type === 'data')?.notes?.join(' ')).toMatch(/streamed from disk: 66 images are 3 MiB as float32, over the memory budget of 1 MiB/);
    expect(events.at(-1)?.type).toBe('done');
    // The graph's own dataset (MNIST) is no folder: the flag is refused, not ignored.
    let refused = '';
    expect(await main([file, '--memory-budget', '1', '--json'], (t) => (refused += t), (t) => (refused += t))).toBe(2);
    expect(refused).toMatch(/"code":"DATA_BAD_OPTION".*--memory-budget applies to an image folder/);
  });

  it('an image that becomes unreadable mid-run is fed as zeros and reported with its epoch (DATA_IMAGE_UNREADABLE), not a crash', async () => {
    const loaded = loadImageFolderSamples(dir, { shape: SHAPE, budgetBytes: 4096, workers: 1 });
    const victim = join(dir, 'train', '1', readdirSync(join(dir, 'train', '1'))[0]);
    writeFileSync(victim, new Uint8Array(0));
    const run = await train(loaded);
    expect(run.done.reason).toBe('completed');
    expect(run.losses.every(Number.isFinite)).toBe(true);
    const skips = run.events.flatMap((e) => (e.type === 'epoch' && e.dataSkipped ? [e.dataSkipped] : []));
    // Read once per epoch when it is in the training split (twice in all), once per evaluation in validation/test.
    expect(skips.length).toBeGreaterThan(0);
    expect(skips[0].files[0]).toEqual({ path: `train/1/${victim.split('/').at(-1)}`, reason: 'empty file (0 bytes)', code: 'DATA_IMAGE_UNREADABLE' });
    // What the app's engine sends with the epoch (and with `train.done`, for the test evaluation's) passes the protocol.
    expect(EngineEvents['train.epoch'].shape.dataSkipped.parse(skips[0])).toEqual(skips[0]);
  });
});
