/**
 * The fine-tune journey of issue #59, from the command line: a folder of photos at 224×224 (500
 * generated JPEGs of 3 classes, each class a tint over random blobs, written once under the temp
 * dir), torchvision's resnet18 exported by torch.onnx (random weights, bench/torchvision_onnx.py,
 * cached as the bench caches it) and imported as `netwright import` does, its head replaced by a
 * new 3-class one and everything before it frozen (the app's Replace head + Freeze the layers
 * before it), then `netwright train project --data FOLDER --batch-size 64` under `/usr/bin/time -v`:
 * the feature cache's line, each epoch's time (epoch 1 computes the backbone's features first),
 * and the process's peak RSS, beside the memory estimate the app's Start gives the same run
 * (`checkMemory` with the data loaded, as train.start calls it, probes off as on the command
 * line; its resident part is this process's with the same data loaded).
 * Beside it PyTorch's plain loop on the same images and split sizes (bench/finetune_journey.py:
 * torchvision's resnet18 with a new 3-class head, the backbone frozen and in eval mode, Adam,
 * the same batch, `torch.set_num_threads(THREADS)`), also under `/usr/bin/time -v`.
 *
 * Run: `npx tsx bench/finetune-journey.ts` (knobs: BENCH_IMAGES 500, BENCH_BATCH 64, BENCH_EPOCHS 3,
 * BENCH_THREADS 2, BENCH_SKIP_TORCH=1). Prints a table and writes JSON to bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { freezeNodes, upstreamNodeIds } from '../src-engine/base/ir/freeze';
import type { GraphIR } from '../src-engine/base/ir/types';
import { Rng } from '../src-engine/base/rng';
import { findClassifierHead, replaceHead } from '../src-engine/core/analysis/classifier';
import { analyzeGraph } from '../src-engine/core/analysis/validate';
import { torchvisionOnnx } from './workloads';
import { checkMemory } from '../src-engine/app/handlers/context';
import { featureInputs } from '../src-engine/base/ir/inputs';
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { splitCountsOf, type RunMemoryEstimate } from '../src-engine/core/analysis/memory';
import { prepareData, withInputShape } from '../src-engine/core/data';
import { defaultTraining } from '../src-engine/core/train';
import { featureCacheFootprint } from '../src-engine/core/train/feature-cache';
import { folderFormat } from '../src-engine/node/data-scan';
import { loadSamples } from '../src-engine/node/datasets';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 500);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const SIZE = 224;
const CLASSES = ['red', 'green', 'blue'];

/** The photo folder: `IMAGES` JPEGs of SIZE×SIZE in one subfolder per class, written once. */
function photoFolder(): string {
  const dir = join(tmpdir(), `netwright-finetune-journey-${IMAGES}`);
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  const rng = new Rng(59);
  for (let i = 0; i < IMAGES; i++) {
    const cls = i % CLASSES.length;
    const rgba = new Uint8Array(SIZE * SIZE * 4);
    for (let p = 0; p < SIZE * SIZE; p++) {
      for (let c = 0; c < 3; c++) rgba[p * 4 + c] = 40 + Math.floor(rng.uniform() * 60) + (c === cls ? 80 : 0);
      rgba[p * 4 + 3] = 255;
    }
    // A few blobs of the class's colour, so the images are not noise alone.
    for (let b = 0; b < 6; b++) {
      const cx = rng.uniform() * SIZE;
      const cy = rng.uniform() * SIZE;
      const r = 10 + rng.uniform() * 30;
      for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(SIZE, cy + r); y++) {
        for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(SIZE, cx + r); x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) rgba[(y * SIZE + x) * 4 + cls] = 230;
        }
      }
    }
    const folder = join(dir, CLASSES[cls]);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${String(i).padStart(4, '0')}.jpg`), jpeg.encode({ data: rgba, width: SIZE, height: SIZE }, 90).data);
  }
  writeFileSync(done, '');
  return dir;
}

/** resnet18 imported as `netwright import` writes it, with a new 3-class head and the backbone frozen. */
function project(data: string): string {
  const dir = `${data}-project`;
  mkdirSync(dir, { recursive: true });
  const onnx = torchvisionOnnx('resnet18');
  if (!onnx.endsWith('.onnx')) throw new Error(onnx);
  const imported = join(dir, 'resnet18.netwright.json');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src-engine', 'node', 'import-cli.ts'), onnx, '--out', imported, '--force'], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  const json = JSON.parse(readFileSync(imported, 'utf8')) as { graph: GraphIR };
  const a = analyzeGraph(json.graph, { batchSize: 1 });
  const found = a.graph ? findClassifierHead(a.graph, a.shapes) : undefined;
  if (!found) throw new Error('the import is not recognised as a classifier');
  let graph = replaceHead(json.graph, found.head, CLASSES.length, 'head');
  graph = { ...graph, nodes: freezeNodes(graph.nodes, upstreamNodeIds(graph, ['head']), true) };
  const out = join(dir, 'resnet18-frozen.netwright.json');
  writeFileSync(out, JSON.stringify({ ...json, graph }));
  return out;
}

/**
 * The estimate train.start checks this run against: the project trained on the folder at BATCH for
 * EPOCHS (the command line's settings for an imported classifier given --data), with the data
 * loaded here first; also the split's sizes, for PyTorch's loop.
 */
function startEstimate(projectFile: string, folder: string): { estimate: RunMemoryEstimate; train: number; val: number } {
  const graph = (JSON.parse(readFileSync(projectFile, 'utf8')) as { graph: GraphIR }).graph;
  const dataset = withInputShape({ name: folderFormat(folder).kind, options: { path: folder } }, graph);
  const training = { ...defaultTraining(graph), dataset, batchSize: BATCH, epochs: EPOCHS };
  const checked = checkedOrThrow({ ...graph, training });
  const data = prepareData(loadSamples(dataset, training.seed), dataset, training.seed);
  const features = featureCacheFootprint(checked, data, featureInputs(graph)[0].id);
  const estimate = checkMemory(checked, BATCH, {}, process.memoryUsage().rss, data.memoryBudget ?? 0, false, features, splitCountsOf(data));
  return { estimate, train: data.train.count, val: data.val.count };
}

/** `/usr/bin/time -v`'s peak RSS in bytes, and the CPU seconds (user + system). */
function timeFigures(stderr: string): { peakRss: number; cpu: number; wall: string } {
  const num = (label: string) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(stderr)?.[1] ?? NaN);
  return { peakRss: num('Maximum resident set size \\(kbytes\\)') * 1024, cpu: num('User time \\(seconds\\)') + num('System time \\(seconds\\)'), wall: /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(stderr)?.[1] ?? '?' };
}

interface Side {
  epochs: number[];
  peakRss: number;
  cpu: number;
  wall: string;
  featuresSeconds?: number;
  featuresLine?: string;
  estimate?: number;
  estimateParts?: Record<string, number>;
  train?: number;
  val?: number;
}

function netwright(projectFile: string, data: string): Side {
  const args = ['-v', process.execPath, '--import', 'tsx', join(ROOT, 'src-engine', 'node', 'train-cli.ts'), projectFile, '--data', data, '--batch-size', String(BATCH), '--epochs', String(EPOCHS), '--threads', String(THREADS), '--json'];
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`netwright train failed (${r.status}): ${r.stderr.slice(-3000)}`);
  const side: Side = { epochs: [], ...timeFigures(r.stderr) };
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e.type === 'epoch') side.epochs.push(Number(e.seconds));
    if (e.type === 'features' && e.state === 'ready') {
      side.featuresSeconds = Number(e.seconds);
      side.featuresLine = String(e.message);
    }
    if (e.type === 'features' && e.state === 'off') side.featuresLine = String(e.message);
  }
  return side;
}

function torch(data: string, train: number, val: number): Side | string {
  const script = join(ROOT, 'bench', 'finetune_journey.py');
  const r = spawnSync('/usr/bin/time', ['-v', '/usr/bin/python3', script, data, String(BATCH), String(EPOCHS), String(THREADS), String(train), String(val)], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) return `PyTorch failed (${r.status}): ${r.stderr.slice(-2000)}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { epochs: number[] };
  return { epochs: out.epochs, ...timeFigures(r.stderr) };
}

const gib = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${(n / 2 ** 30).toFixed(2)} GiB`);
const s = (n: number | undefined) => (n === undefined ? '–' : `${n.toFixed(1)} s`);

function main(): void {
  const load = [loadavg()[0]];
  const data = photoFolder();
  const projectFile = project(data);
  const start = startEstimate(projectFile, data);
  const ours = { ...netwright(projectFile, data), estimate: start.estimate.bytes, estimateParts: start.estimate.parts, train: start.train, val: start.val };
  const theirs = process.env.BENCH_SKIP_TORCH === '1' ? 'skipped' : torch(data, ours.train ?? IMAGES, ours.val ?? 0);
  load.push(loadavg()[0]);
  const rows: string[][] = [['', 'epoch 1', `epochs 2–${EPOCHS} (each)`, 'peak RSS', 'estimate', 'CPU time']];
  const later = (e: number[]) => e.slice(1).map((x) => x.toFixed(1)).join(' / ') + ' s';
  rows.push([
    `Netwright (${ours.featuresLine ?? 'no features event'})`,
    `${s(ours.epochs[0])} + features ${s(ours.featuresSeconds)}`,
    later(ours.epochs),
    gib(ours.peakRss),
    `${gib(ours.estimate)} (peak ÷ estimate ${ours.estimate ? (ours.peakRss / ours.estimate).toFixed(2) : '?'})`,
    `${ours.cpu.toFixed(0)} s`,
  ]);
  if (typeof theirs !== 'string') rows.push(['PyTorch plain loop', s(theirs.epochs[0]), later(theirs.epochs), gib(theirs.peakRss), '', `${theirs.cpu.toFixed(0)} s`]);
  console.log(`resnet18 frozen fine-tune: ${IMAGES} photos ${SIZE}×${SIZE} (train ${ours.train}, val ${ours.val}), batch ${BATCH}, ${EPOCHS} epochs, ${THREADS} threads; ${cpus()[0]?.model}; load ${load.map((l) => l.toFixed(1)).join(' → ')}`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (typeof theirs === 'string') console.log(theirs);
  console.log('estimate parts (GiB):', Object.fromEntries(Object.entries(ours.estimateParts ?? {}).map(([k, v]) => [k, +(v / 2 ** 30).toFixed(3)])));
  const file = join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-finetune-journey.json`);
  writeFileSync(file, JSON.stringify({ images: IMAGES, batch: BATCH, epochs: EPOCHS, threads: THREADS, cpu: cpus()[0]?.model, load, netwright: ours, torch: theirs }, null, 2));
  console.log(`wrote ${file}`);
}

main();
