/**
 * The engine's peak memory against its estimate (issue #32 item 5). For each design, a real engine
 * child (src-engine/node/main.ts, as web mode runs it, with the run store on and probes as the app
 * asks for them) trains `BENCH_EPOCHS` epochs of `BENCH_LIMIT` samples (so that every copy of the
 * state the estimate counts is made: the rollback snapshot, a best checkpoint waiting to be written), then `BENCH_STEPS` steps more, is
 * stopped, and is watched for `BENCH_AFTER_S` seconds (the run store writes its last checkpoint). The table shows the estimate the
 * engine gives (`train.start`'s `memory`), the figure the status bar shows before Start (the
 * dataset preview asked first, as the Train dock does, and `analyzeDesign` with its `designRun`),
 * the child's peak resident memory (VmHWM) and the ratios peak ÷ each; #32's bar is within 25 %
 * (0.75–1.25), #82's within 15 % (0.87–1.15).
 *
 * Run: `npx tsx bench/memory.ts [model ...]` (models: resnet18-frozen, mnist-mlp, mnist-cnn, wide,
 * cnn-wide, cnn-frozen; default all). `wide` is the MNIST MLP with a 784→100,000 first layer (78.5 M
 * parameters); `cnn-wide` the MNIST CNN at 128/256 channels and batch 256, `cnn-frozen` the same
 * with its convolutions and BatchNorms frozen (#59). BENCH_ONNX: the resnet18 .onnx to import
 * (default bench/torchvision_onnx.py's, at 64×64); the engine child reads BENCH_FOLDER under
 * NETWRIGHT_DATA_ROOTS, set to its parent unless given.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { RpcClient, type Channel } from '../src-engine/protocol';
import { freezeNodes, upstreamNodeIds } from '../src-engine/base/ir/freeze';
import { findClassifierHead, replaceHead } from '../src-engine/core/analysis/classifier';
import { analyzeGraph } from '../src-engine/core/analysis/validate';
import { withInputShape } from '../src-engine/core/data';
import { importOnnx } from '../src-engine/core/import/onnx';
import { defaultTraining } from '../src-engine/core/train';
import { analyzeDesign, datasetPreviewKey, designRun } from '../src-renderer/src/editor/analysis';
import { torchvisionOnnx } from './workloads';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STEPS = Number(process.env.BENCH_STEPS ?? 10);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 1024);
const AFTER_S = Number(process.env.BENCH_AFTER_S ?? 10);
const FOLDER = process.env.BENCH_FOLDER ?? join(tmpdir(), 'netwright-finetune-journey-500');

function example(name: string): GraphIR {
  return JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as GraphIR;
}

/** The MNIST CNN at 128 and 256 channels, batch 256: activations, not weights, fill its memory. */
function wideCnn(frozen: boolean): GraphIR {
  const g = example('mnist-cnn');
  const widths: Record<string, number> = { conv1: 128, conv2: 256 };
  const backbone = new Set(['conv1', 'bn1', 'conv2', 'bn2']);
  return {
    ...g,
    name: `MNIST CNN 128/256 channels${frozen ? ', convolutions and BatchNorms frozen' : ''}`,
    version: 3,
    nodes: g.nodes.map((n) => ({ ...n, ...(widths[n.id] ? { attrs: { ...n.attrs, outChannels: widths[n.id] } } : {}), ...(frozen && backbone.has(n.id) ? { frozen: true } : {}) })),
    training: { ...g.training!, batchSize: 256 },
  };
}

/**
 * The fine-tune journey's run in the app (#82): torchvision's resnet18 as torch.onnx writes it,
 * imported, its head replaced by one per class of the image folder BENCH_FOLDER (default the
 * bench's 500 generated photos of bench/finetune-journey.ts) and everything before it frozen
 * (Replace head, Freeze the layers before it), at batch 64 on that folder.
 */
function resnet18Frozen(): GraphIR {
  const folder = FOLDER;
  const classes = readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory()).length;
  const onnx = process.env.BENCH_ONNX ?? torchvisionOnnx('resnet18');
  if (!onnx.endsWith('.onnx')) throw new Error(onnx);
  const imported = importOnnx(readFileSync(onnx)).model.graph;
  const a = analyzeGraph(imported, { batchSize: 1 });
  const found = a.graph ? findClassifierHead(a.graph, a.shapes) : undefined;
  if (!found) throw new Error('resnet18 is not recognised as a classifier');
  const headed = replaceHead(imported, found.head, classes, 'head');
  const graph = { ...headed, name: `resnet18 frozen on ${folder}`, nodes: freezeNodes(headed.nodes, upstreamNodeIds(headed, ['head']), true) };
  const dataset = withInputShape({ name: 'image-folder', options: { path: folder } }, graph);
  return { ...graph, training: { ...defaultTraining(graph), dataset, batchSize: 64 } };
}

const MODELS: Record<string, () => GraphIR> = {
  'resnet18-frozen': resnet18Frozen,
  'mnist-mlp': () => example('mnist-mlp'),
  'mnist-cnn': () => example('mnist-cnn'),
  'cnn-wide': () => wideCnn(false),
  'cnn-frozen': () => wideCnn(true),
  wide: () => {
    const g = example('mnist-mlp');
    return { ...g, name: 'wide MLP (784-100000-64-10)', nodes: g.nodes.map((n) => (n.id === 'fc1' ? { ...n, attrs: { ...n.attrs, outFeatures: 100_000 } } : n)) };
  },
};

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(/(\d+) kB/.exec(text.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS:'), hwm: kb('VmHWM:') };
}

async function measure(name: string): Promise<{ estimate: number | undefined; shown: number; peak: number; steps: number }> {
  const runs = mkdtempSync(join(tmpdir(), 'nw-mem-'));
  const child = fork(join(ROOT, 'src-engine/node/main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    env: { NETWRIGHT_DATA_ROOTS: JSON.stringify([dirname(FOLDER)]), ...process.env, NETWRIGHT_RUNS_DIR: runs },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const handlers = new Set<(m: unknown) => void>();
  child.on('message', (m) => handlers.forEach((h) => h(m)));
  const channel: Channel = { send: (m) => child.send(m as never), onMessage: (h) => (handlers.add(h), () => handlers.delete(h)), close: () => child.disconnect() };
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  const client = new RpcClient(channel, () => {});
  let step = 0;
  let acked = 0;
  client.on('train.progress', (d) => (step = d.step));
  // Acknowledge probe frames as the renderer does, so the engine keeps sending them.
  client.on('probe.frame', (d) => void client.request('probe.ack', { runId: d.runId, seq: d.seq }).then(() => acked++, () => {}));
  const done = new Promise<void>((resolve) => client.on('train.done', () => resolve()));
  const graph = MODELS[name]();
  const limited = { ...graph, training: { ...graph.training!, dataset: { ...graph.training!.dataset, limit: LIMIT } } };
  // The status bar's figure before Start: the Train dock's preview of the data, then the live analysis with it.
  const preview = await client.request('dataset.preview', { dataset: withInputShape(limited.training.dataset, limited), samples: 8 });
  const shown = analyzeDesign(limited, {}, designRun(limited, { probes: true, preview, previewKey: datasetPreviewKey(limited) })).memoryBytes;
  const start = await client.request('train.start', { graph, overrides: { epochs: EPOCHS + 1, limit: LIMIT }, project: 'memory bench' });
  while (step < EPOCHS * start.stepsPerEpoch + STEPS) await new Promise((r) => setTimeout(r, 50));
  await client.request('train.control', { runId: start.runId, action: 'stop' });
  await done;
  await new Promise((r) => setTimeout(r, AFTER_S * 1000));
  const { hwm } = status(child.pid!);
  child.kill();
  rmSync(runs, { recursive: true, force: true });
  return { estimate: start.memory?.bytes, shown, peak: hwm, steps: step };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MODELS);
console.log('model        status bar   estimate   peak RSS   peak/status bar  peak/estimate  steps');
for (const name of names) {
  const r = await measure(name);
  const ratio = r.estimate ? (r.peak / r.estimate).toFixed(2) : 'n/a';
  console.log(`${name.padEnd(12)} ${mib(r.shown).padStart(10)}  ${(r.estimate ? mib(r.estimate) : 'n/a').padStart(9)}  ${mib(r.peak).padStart(9)}  ${(r.peak / r.shown).toFixed(2).padStart(15)}  ${ratio.padStart(13)}  ${r.steps}`);
}
