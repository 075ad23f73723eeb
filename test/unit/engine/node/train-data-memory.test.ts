/**
 * `netwright train` on an image folder held in memory keeps one copy of its samples (#82): the
 * prepared splits, never the loaded folder beside them (resnet18 on 574 icons at 224×224 held
 * 705 MiB of array buffers for 330 MiB of samples), with the same samples bit for bit; and the
 * memory estimate counts the samples the run keeps, not a loaded copy let go but not yet collected.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkedDesign } from '../../../../src-engine/core/analysis/memory';
import { inMemory, prepareData, type PreparedData, type Samples } from '../../../../src-engine/core/data';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { parse } from '../../../../src-engine/node/train-args';
import { readData } from '../../../../src-engine/node/train-data';
import { checkDesign, memoryVerdict, readDesign, residentForRun, withFlags } from '../../../../src-engine/node/train-design';
import { writeDigitFolder } from '../data/user-data-fixtures';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const io = { out: () => undefined, err: () => undefined, json: true };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** A full collection once the current job has ended (a WeakRef's target is kept until then). */
const collected = async (ref: WeakRef<object>): Promise<boolean> => {
  await new Promise((r) => setTimeout(r, 0));
  gc();
  return ref.deref() === undefined;
};

/**
 * Bytes of array buffers in use once everything dead is collected. V8 frees a dead buffer's memory
 * on a background thread after the collection that found it (its array buffer sweeper), and the
 * figure counts it until then: read again, a collection each time, until two readings agree. (Read
 * once, right after `gc()`, it counted 2.8 MB of the loaded folder still being freed, under CI's load.)
 */
async function settledArrayBuffers(): Promise<number> {
  let last = Number.NaN;
  for (let i = 0; i < 50; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    const now = process.memoryUsage().arrayBuffers;
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** The CLI's run of examples/mnist-cnn.json on `dir`, as train-cli.ts's main reads it. */
function cliRun(dir: string) {
  const args = parse([join(EXAMPLES, 'mnist-cnn.json'), '--data', dir]);
  const design = readDesign(args.file!, args.data);
  const checked = checkDesign(withFlags(design, args), design.label, io);
  return { checked, run: readData(checked.ir, io) };
}

/** Whether `a` and `b` hold the same splits: names, counts, and samples and targets bit for bit. */
const sameSplits = (a: PreparedData<Samples>, b: PreparedData<Samples>): boolean =>
  (['train', 'val', 'test'] as const).every((k) => {
    const [x, y] = [inMemory(a[k]), inMemory(b[k])];
    const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return x.name === y.name && x.count === y.count && bytes(x.features).equals(bytes(y.features)) && bytes(x.targets).equals(bytes(y.targets));
  });
/** Bytes of the splits' samples and targets. */
const splitBytes = (d: PreparedData<Samples>) => [d.train, d.val, d.test].map((s) => inMemory(s)).reduce((a, s) => a + s.features.byteLength + s.targets.byteLength, 0);

describe('netwright train: the loaded image folder is let go once its splits are prepared', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nw-data-memory-'));
    writeDigitFolder(dir, { perClass: 10, layout: 'flat', classes: 3 });
  });

  it('nothing but the run holds the loaded samples: collectable once it lets them go; the app\'s loader keeps its folder for the next preview', async () => {
    let { run } = cliRun(dir) as { run: ReturnType<typeof readData> | undefined };
    const data = run!.prepare();
    const loaded = new WeakRef(inMemory(run!.loaded.train).features);
    run = undefined;
    expect(await collected(loaded)).toBe(true);
    expect(data.train.count + data.val.count + data.test.count).toBe(30);
    // The app's engine (default reuse): kept while its files are unchanged.
    const config = cliRun(dir).checked.ir.training!.dataset;
    const kept = new WeakRef(inMemory(loadSamples(config, 0).train).features);
    expect(await collected(kept)).toBe(false);
  });

  it('one run prepares the folder in place: array buffers grow by the prepared splits alone, the same samples bit for bit as the copies', async () => {
    // 30 images at [3, 160, 160]: 9 MiB of samples.
    const config = { name: 'image-folder', options: { path: dir, shape: [3, 160, 160] } };
    const before = await settledArrayBuffers();
    const once = prepareData(loadSamples(config, 0, undefined, { reuse: false }), config, 0, undefined, { consume: true });
    const grown = (await settledArrayBuffers()) - before;
    expect(splitBytes(once)).toBe(30 * (3 * 160 * 160 + 1) * 4);
    expect(grown).toBeLessThanOrEqual(splitBytes(once) + 2 ** 20);
    // The folder kept for the app's next preview, prepared as copies.
    const copied = prepareData(loadSamples(config, 0), config, 0);
    expect(sameSplits(once, copied)).toBe(true);
    expect(once.normalization).toEqual(copied.normalization);
  });

  it('the estimate counts the prepared samples and the weights, not array buffers let go but not yet collected', () => {
    const { checked, run } = cliRun(dir);
    const data = run.prepare();
    const usage = { rss: 900 * 2 ** 20, arrayBuffers: 600 * 2 ** 20 };
    // Resident less every array buffer, plus the splits' samples and targets and the weights (4 bytes a parameter).
    expect(residentForRun(checked, data, usage)).toBe(usage.rss - usage.arrayBuffers + splitBytes(data) + 4 * checkedDesign(checked).footprintAt(1)!.params);
    const before = memoryVerdict(checked, data, { memoryLimitBytes: Infinity, backendMemoryLimitBytes: Infinity }).estimate.bytes;
    // 256 MiB of array buffers outside the splits, resident, as the loaded folder is once the splits
    // exist and before a collection takes it: the estimate must not count them. Held here until it is
    // measured, so that no collection can take them first (under the suite's load one did: RSS fell
    // 84 MB between the two readings, and the case measured nothing).
    const garbage = new Float32Array(64 * 2 ** 20).fill(1);
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(garbage.byteLength);
    const after = memoryVerdict(checked, data, { memoryLimitBytes: Infinity, backendMemoryLimitBytes: Infinity }).estimate.bytes;
    expect(garbage[garbage.length - 1]).toBe(1);
    expect(after - before).toBeLessThan(32 * 2 ** 20);
  });
});
