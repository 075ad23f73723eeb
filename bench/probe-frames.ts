/**
 * A frozen backbone's probe frames (#59): the fine-tune journey's project (torchvision's resnet18
 * imported, a new 3-class head, the backbone frozen; bench/finetune-journey.ts writes it and its
 * 224×224 photo folder under the temp dir) trained as the app trains it — a TrainingSession with
 * the probes on at their default cadence, the backbone's features cached — once with the frozen
 * backbone's figures computed at the first frame only (`ProbeSuiteOptions.frozenOnce`: its layers,
 * a constant prefix, app/probes/constant-prefix.ts, and its weights) and once without (the whole
 * graph and every weight every frame, as before). Per run: the features' time,
 * then each epoch's wall and CPU seconds (user + system of this process, its compute threads
 * included; steadier than wall on a shared machine), the frames taken and their cost.
 *
 * Run: `npx tsx bench/probe-frames.ts` after `BENCH_SKIP_TORCH=1 npx tsx bench/finetune-journey.ts`
 * once (knobs: BENCH_IMAGES 500, the journey's folder; BENCH_BATCH 64; BENCH_EPOCHS 3;
 * BENCH_THREADS 2; BENCH_SIZE 224, or smaller to resize the photos: a quicker run). Prints a table
 * and writes JSON to bench/results/.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { prepareData, withInputShape } from '../src-engine/core/data';
import { defaultTraining } from '../src-engine/core/train';
import { TrainingSession } from '../src-engine/app/session';
import type { ProbeOptions } from '../src-engine/protocol';
import { createCpuBackend, enableRelaxedSimd } from '../src-engine/node/cpu';
import { folderFormat } from '../src-engine/node/data-scan';
import { loadSamples } from '../src-engine/node/datasets';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 500);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const SIZE = Number(process.env.BENCH_SIZE ?? 224);

const folder = join(tmpdir(), `netwright-finetune-journey-${IMAGES}`);
const projectFile = join(`${folder}-project`, 'resnet18-frozen.netwright.json');
if (!existsSync(projectFile)) throw new Error(`${projectFile} is missing: run BENCH_SKIP_TORCH=1 npx tsx bench/finetune-journey.ts first`);
const imported = (JSON.parse(readFileSync(projectFile, 'utf8')) as { graph: GraphIR }).graph;
// The image Input at BENCH_SIZE: the folder's photos are resized to it as they are read.
const graph: GraphIR = SIZE === 224 ? imported : { ...imported, nodes: imported.nodes.map((n) => (n.op === 'Input' && Array.isArray(n.attrs.shape) && n.attrs.shape.length === 3 ? { ...n, attrs: { ...n.attrs, shape: [3, SIZE, SIZE] } } : n)) };
const dataset = withInputShape({ name: folderFormat(folder).kind, options: { path: folder } }, graph);
const training = { ...defaultTraining(graph), dataset, batchSize: BATCH, epochs: EPOCHS };
const data = prepareData(loadSamples(dataset, training.seed), dataset, training.seed);

interface Run {
  frozenOnce: boolean;
  featuresSeconds: number;
  epochs: { wall: number; cpu: number; frames: number; frameMs: number }[];
}

const cpuSeconds = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/** One run on a backend of its own (a run's plans stay in its WebAssembly heap: two resnet18 runs do not fit one). */
async function run(frozenOnce: boolean): Promise<Run> {
  const backend = await createCpuBackend({ threads: THREADS, relaxedSimd: enableRelaxedSimd() });
  const out: Run = { frozenOnce, featuresSeconds: NaN, epochs: [] };
  let mark = { wall: performance.now(), cpu: cpuSeconds() };
  let frames = 0;
  let frameMs = 0;
  const since = () => {
    const now = { wall: performance.now(), cpu: cpuSeconds() };
    const d = { wall: (now.wall - mark.wall) / 1000, cpu: now.cpu - mark.cpu };
    mark = now;
    return d;
  };
  let session: TrainingSession | null = null;
  // ProbeSuiteOptions.frozenOnce rides along the protocol's probe options (the app never turns it off).
  const probes = (frozenOnce ? {} : { frozenOnce: false }) as ProbeOptions;
  session = new TrainingSession('bench', { ...graph, training }, data, backend, {
    compile: compileGraph,
    probes,
    yieldToHost: () => new Promise<void>((resolve) => setImmediate(resolve)),
    emit: (event, payload) => {
      if (event !== 'probe.frame') return;
      frames++;
      frameMs += (payload as { costMs: number }).costMs;
      const seq = (payload as { seq: number }).seq;
      setImmediate(() => session?.ackFrame(seq));
    },
    hooks: [
      {
        onFeatureCache: (s) => {
          if (s.state !== 'ready') return;
          out.featuresSeconds = s.seconds;
          since();
          frames = 0;
          frameMs = 0;
        },
        afterEpoch: () => {
          out.epochs.push({ ...since(), frames, frameMs });
          frames = 0;
          frameMs = 0;
        },
      },
    ],
  });
  await session.run();
  session = null;
  backend.dispose();
  console.log(JSON.stringify(out));
  return out;
}

const load = [loadavg()[0]];
const runs: Run[] = [];
// Without first, then with: the JIT warm for the second as much as for the first after its features.
for (const on of [false, true]) runs.push(await run(on));
load.push(loadavg()[0]);
console.log(`resnet18 frozen, probes at their default cadence: ${data.train.count} training / ${data.val.count} validation photos at ${SIZE}×${SIZE}, batch ${BATCH}, ${EPOCHS} epochs, ${THREADS} threads; ${cpus()[0]?.model}; load ${load.map((l) => l.toFixed(1)).join(' → ')}`);
console.log('| probe frames | features | each epoch: wall s / CPU s (frames, their ms) |');
console.log('| --- | --- | --- |');
for (const r of runs) {
  const epochs = r.epochs.map((e) => `${e.wall.toFixed(1)} / ${e.cpu.toFixed(1)} (${e.frames}, ${Math.round(e.frameMs)})`).join('; ');
  console.log(`| ${r.frozenOnce ? 'frozen figures kept' : 'all of it each frame'} | ${r.featuresSeconds.toFixed(1)} s | ${epochs} |`);
}
const later = (r: Run) => r.epochs.slice(1).reduce((a, e) => a + e.cpu, 0) / Math.max(1, r.epochs.length - 1);
console.log(`later epochs' CPU s each: ${later(runs[0]).toFixed(2)} → ${later(runs[1]).toFixed(2)} (${(later(runs[0]) / later(runs[1])).toFixed(1)}×)`);
const file = join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-probe-frames.json`);
writeFileSync(file, JSON.stringify({ images: IMAGES, size: SIZE, batch: BATCH, epochs: EPOCHS, threads: THREADS, train: data.train.count, val: data.val.count, cpu: cpus()[0]?.model, load, runs }, null, 2));
console.log(`wrote ${file}`);
