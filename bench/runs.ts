/**
 * The run store's scale figures (issue #13; docs/runs.md):
 * - recording: MNIST MLP through a TrainingSession with every probe on, with and without
 *   recording every step, epoch and frame (interleaved rounds; target ≤ 2 % slower);
 * - listing 1,000 stored runs (target < 200 ms);
 * - opening a run of 100k steps and 500 probe frames (target < 300 ms).
 *
 * Run: `npx tsx bench/runs.ts` (env: BENCH_SECONDS per measurement, default 2; BENCH_ROUNDS, default 4).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { TrainingSession } from '../src-engine/app/session';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { prepareData } from '../src-engine/core/data';
import { createCpuBackend, defaultThreadCount } from '../src-engine/node/cpu';
import { loadDataset } from '../src-engine/node/datasets';
import { RunStore, type RunSettings } from '../src-engine/node/run-store';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const graph = JSON.parse(readFileSync(join(ROOT, 'examples/mnist-mlp.json'), 'utf8')) as GraphIR;
const cfg = graph.training!;
const settings: RunSettings = { training: cfg, backend: 'bench', appVersion: '0' };
const scratch = mkdtempSync(join(tmpdir(), 'nw-bench-runs-'));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// — recording cost —
const data = prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
const backend = await createCpuBackend({ threads: defaultThreadCount() });
const store = new RunStore(join(scratch, 'recorded'));
async function throughput(record: boolean): Promise<number> {
  const session: TrainingSession = new TrainingSession('bench', graph, data, backend, {
    compile: compileGraph,
    probes: {},
    overrides: { epochs: 1000 },
    yieldToHost: () => new Promise<void>((resolve) => setImmediate(resolve)),
    emit: (event, payload) => {
      if (event === 'probe.frame') {
        JSON.stringify(payload); // what a host does with it
        const seq = (payload as { seq: number }).seq;
        setImmediate(() => session.ackFrame(seq));
      }
    },
  });
  if (record) session.recordTo(store.create({ graph, settings }));
  const done = session.run();
  await new Promise((r) => setTimeout(r, 500));
  const s0 = session.step;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const samples = (session.step - s0) * cfg.batchSize;
  const sps = samples / ((performance.now() - t0) / 1000);
  session.control('stop');
  await done;
  return sps;
}
const plain: number[] = [];
const recorded: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const rec of r % 2 === 0 ? [false, true] : [true, false]) (rec ? recorded : plain).push(await throughput(rec));
}
backend.dispose();
const ratio = median(recorded) / median(plain);
console.log(`MNIST MLP with every probe, ${ROUNDS} rounds × ${SECONDS} s: ${median(plain).toFixed(0)} samples/s, recorded ${median(recorded).toFixed(0)} samples/s → ratio ${ratio.toFixed(3)} (target ≥ 0.98)`);

// — 1,000 runs —
const many = new RunStore(join(scratch, 'many'));
for (let i = 0; i < 1000; i++) {
  const w = many.create({ graph, settings, now: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) });
  w.finish('done', { steps: 100, epochs: 1, seconds: 1, metrics: { test: { loss: 0.1, accuracy: 0.97 } } });
}
const listMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  if (many.list().length !== 1000) throw new Error('expected 1000 runs');
  listMs.push(performance.now() - t0);
}
console.log(`list 1,000 runs: ${median(listMs).toFixed(1)} ms median of 5 (target < 200 ms)`);

// — a long run —
const big = new RunStore(join(scratch, 'big'), { flushMs: 1e9 });
const w = big.create({ graph, settings });
const frame = { layers: Array.from({ length: 10 }, (_, i) => ({ nodeId: `n${i}`, hist: { counts: Array.from({ length: 40 }, () => 7), min: -1, max: 1 }, stats: { mean: 0.1, std: 1, min: -3, max: 3 } })), samples: Array.from({ length: 8 }, () => Array.from({ length: 784 }, (_, j) => (j % 13) / 13)) };
for (let s = 1; s <= 100_000; s++) {
  w.append({ kind: 'step', step: s, epoch: 1 + Math.floor(s / 1000), loss: 1 / s, lr: 1e-3, t: s / 1000 });
  if (s % 200 === 0) w.append({ kind: 'frame', step: s, t: s / 1000, frame });
  if (s % 10_000 === 0) w.flush();
}
w.finish('done');
const openMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const run = big.open(w.id);
  openMs.push(performance.now() - t0);
  if (run.records.length !== 100_500) throw new Error(`expected 100,500 records, got ${run.records.length}`);
}
console.log(`open a run of 100k steps + 500 frames: ${median(openMs).toFixed(0)} ms median of 5 (target < 300 ms)`);
rmSync(scratch, { recursive: true, force: true });
