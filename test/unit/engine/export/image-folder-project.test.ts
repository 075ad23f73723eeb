/**
 * A PyTorch project of a design trained on the user's image folder keeps the user's images as their
 * files (#82 deliverable 3): 48×48 icons fed at 64×64 leave as the PNGs they are, byte for byte, in
 * data/images/<class>/…, not as their samples upsampled to the Input's size; train.py decodes,
 * converts (transparent pixels as Pillow's convert('RGB') keeps them), resizes and normalises each
 * one as Netwright did, so its first training batch and every split are Netwright's bit for bit.
 * A file changed since it was read is not copied: the project then carries the samples themselves.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import { prepareData, sampleFeatures, type Dataset } from '../../../../src-engine/core/data';
import { exportPytorch } from '../../../../src-engine/core/export/pytorch';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { HAS_TORCH, TORCH_PYTHON, exportTo, initialModel, tempDir, torchProcess } from './torch-harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

/**
 * Icons drawn by Pillow into `dir/<class>/…` (`classes` folders of `perClass` each): 48×48 mostly,
 * some 40×56, in the modes icons come in — RGBA whose fully transparent pixels keep a colour
 * (which Pillow's convert('RGB') keeps, as Netwright does), palette with a transparent index, LA, L,
 * RGB — and every ninth a JPEG.
 */
function writeIcons(dir: string, classes: readonly string[], perClass: number): void {
  const script = `import sys, random
from PIL import Image, ImageDraw
root, classes, per = sys.argv[1], sys.argv[2].split('|'), int(sys.argv[3])
rnd = random.Random(5)
for c, name in enumerate(classes):
    import os
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for i in range(per):
        w, h = (40, 56) if i % 7 == 3 else (48, 48)
        # Under the shape: a colour the alpha hides (the icons' own stored RGB).
        im = Image.new('RGBA', (w, h), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), 0))
        d = ImageDraw.Draw(im)
        for _ in range(3):
            x0, y0 = rnd.randrange(w - 8), rnd.randrange(h - 8)
            d.ellipse([x0, y0, x0 + 6 + rnd.randrange(20), y0 + 6 + rnd.randrange(20)], fill=(60 * c % 256, rnd.randrange(256), rnd.randrange(256), rnd.choice([255, 128, 40])))
        mode = ['RGBA', 'P', 'LA', 'L', 'RGB'][i % 5]
        path = os.path.join(root, name, f'icon-{i}')
        if i % 9 == 8:
            im.convert('RGB').save(path + '.jpg', quality=90)
        elif mode == 'P':
            im.convert('RGB').quantize(32).save(path + '.png', transparency=0)
        else:
            im.convert(mode).save(path + '.png')
`;
  const r = spawnSync(TORCH_PYTHON, ['-c', script, dir, classes.join('|'), String(perClass)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`writing the icons failed: ${r.stderr}`);
}

/** Every file under `dir`, by its path relative to it. */
function filesUnder(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of filesUnder(dir, p)) out.set(k, v);
    else out.set(p, readFileSync(join(dir, p)));
  }
  return out;
}

/** mnist-cnn's design fed the folder at `shape`, batches of `batch`. */
function design(folder: string, shape: number[], batch: number): GraphIR {
  const base = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-cnn.json'), 'utf8')) as GraphIR;
  const dataset = { name: 'image-folder', options: { path: folder, shape }, split: { train: 0.7, val: 0.1, test: 0.2 } };
  return { ...base, nodes: base.nodes.map((n) => (n.id === 'image' ? { ...n, attrs: { ...n.attrs, shape } } : n)), training: { ...base.training!, batchSize: batch, epochs: 1, dataset } };
}

describe.skipIf(!HAS_TORCH)('an image-folder project keeps the images as their files', () => {
  it("copies the icons byte for byte; train.py's first batch and every split are Netwright's, bit for bit", async () => {
    const folder = tempDir('icons');
    const classes = ['apps', 'places', 'status'];
    writeIcons(folder, classes, 24);
    const shape = [3, 64, 64];
    const g = design(folder, shape, 16);
    const t = g.training!;
    const loaded = loadSamples(t.dataset, t.seed);
    const data = prepareData(loaded, t.dataset, t.seed);
    const model = { ...initialModel(g), ...(data.normalization ? { normalization: data.normalization } : {}), classNames: data.train.classNames };
    const dir = exportTo(model, { data: loaded });

    // The user's files, each under its own path in the user's folder, and nothing else in data/ but the list.
    const originals = filesUnder(folder);
    const copied = filesUnder(join(dir, 'data', 'images'));
    expect([...copied.keys()].sort()).toEqual([...originals.keys()].sort());
    for (const [p, bytes] of originals) expect(Buffer.compare(copied.get(p)!, bytes), p).toBe(0);
    expect(readdirSync(join(dir, 'data')).sort()).toEqual(['files.json', 'images']);
    const meta = JSON.parse(readFileSync(join(dir, 'data', 'files.json'), 'utf8')) as { folder: string; root?: string; normalization: { kind: string; mean: number[] } };
    expect(meta.folder).toBe('images');
    expect(meta.root).toBeUndefined();
    expect(meta.normalization).toMatchObject({ kind: 'per-channel' });
    expect(meta.normalization.mean).toHaveLength(3);
    // The project's data: the icons' own bytes (and the list), against their samples as 8-bit values at 64×64 (the previous form).
    const samples = loaded.train.count * 3 * 64 * 64;
    const dataBytes = [...originals.values()].reduce((a, b) => a + b.length, 0) + statSync(join(dir, 'data', 'files.json')).size;
    expect(dataBytes).toBeLessThan(samples / 4);

    // The first batch as Netwright's loop draws it (core/train/loop.ts: the training split's order shuffled by Rng(seed ^ 0x51f7e)).
    const order = Array.from({ length: data.train.count }, (_, i) => i);
    new Rng((t.seed ^ 0x51f7e) >>> 0).shuffle(order);
    const train = data.train as Dataset;
    const fs = 3 * 64 * 64;
    const first = new Float32Array(t.batchSize * fs);
    order.slice(0, t.batchSize).forEach((s, k) => first.set(train.features.subarray(s * fs, (s + 1) * fs), k * fs));

    const out = tempDir('icons-split');
    const script = `import sys, numpy as np, torch; sys.argv = ['train.py']; import train
splits, _ = train.prepare(train.os.path.join(train.HERE, 'data'), ${t.seed}, None, 0)
sampler = train.NetwrightBatches(len(splits['train']), ${t.batchSize}, ${t.seed})
sampler.set_epoch(1)
np.save('${out}/first.npy', torch.stack([splits['train'][i][0] for i in sampler.batches[0]]).numpy())
for k, ds in splits.items():
    xs, ys = zip(*[ds[i] for i in range(len(ds))])
    np.save(f'${out}/{k}.npy', torch.stack(xs).numpy()); np.save(f'${out}/{k}_y.npy', torch.stack(ys).numpy())`;
    const r = await torchProcess(['-c', script], dir);
    expect(r.status, r.stderr).toBe(0);
    const tail = (file: string, bytes: number) => {
      const b = readFileSync(join(out, file));
      return b.subarray(b.length - bytes);
    };
    expect(Buffer.compare(tail('first.npy', first.byteLength), Buffer.from(first.buffer)), 'the first training batch').toBe(0);
    for (const [k, ds] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
      const features = sampleFeatures(ds, 0, ds.count);
      expect(Buffer.compare(tail(`${k}.npy`, features.byteLength), Buffer.from(features.buffer, features.byteOffset, features.byteLength)), `${k} features bit-identical`).toBe(0);
      expect(Array.from(new BigInt64Array(new Uint8Array(tail(`${k}_y.npy`, ds.count * 8)).buffer), Number), `${k} labels`).toEqual(Array.from(ds.targets));
    }
  }, 120_000);

  it('a file changed after it was read is not copied (the samples leave instead); names no system could write become <split>/<class>/<n>', () => {
    const folder = tempDir('icons-odd');
    writeIcons(folder, ['a:b', 'plain'], 6);
    const g = design(folder, [3, 32, 32], 4);
    const t = g.training!;
    const loaded = loadSamples(t.dataset, t.seed);
    const model = initialModel(g);
    const files = new Map(exportPytorch(model, { data: loaded }).files.map((f) => [f.path, f.data]));
    const images = [...files.keys()].filter((p) => p.startsWith('data/images/'));
    expect(images).toHaveLength(12);
    for (const p of images) expect(p).toMatch(/^data\/images\/train\/[01]\/\d+\.(png|jpeg)$/);
    const listed = JSON.parse(new TextDecoder().decode(files.get('data/files.json'))) as { splits: { train: { paths: string[]; labels: number[] } } };
    listed.splits.train.paths.forEach((p, i) => expect(Buffer.compare(Buffer.from(files.get(`data/images/${p}`)!), readFileSync(join(folder, (loaded.train as Dataset).files!.paths[i])))).toBe(0));

    // One file rewritten since the folder was read: its bytes are not those trained on.
    const victim = join(folder, 'plain', 'icon-0.png');
    writeFileSync(victim, readFileSync(join(folder, 'plain', 'icon-1.png')));
    const after = new Map(exportPytorch(model, { data: loaded }).files.map((f) => [f.path, f.data]));
    expect([...after.keys()].some((p) => p.startsWith('data/images/'))).toBe(false);
    expect(after.has('data/train_features.npy')).toBe(true);
  });
});
