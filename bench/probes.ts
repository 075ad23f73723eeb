/**
 * Training throughput of the MNIST MLP through a TrainingSession: headless (no probes) against
 * every probe on at the default rate, with each frame serialised to JSON as web mode sends it
 * and acknowledged at once (a client that keeps up: the most frames the flow control allows).
 * A third mode turns the divergence guard's per-step checks off, to show what they cost.
 *
 * Modes are interleaved over several rounds (the machine is shared; one timing means little);
 * the table reports median and best samples/s per mode, and samples per CPU-second (user + system time of
 * the process), which other load on a shared machine barely moves; the ratio probes ÷ headless is the
 * figure to watch (target ≥ 0.95).
 *
 * Run: `npx tsx bench/probes.ts` (env: BENCH_SECONDS per measurement, default 2; BENCH_ROUNDS, default 5;
 * BENCH_THREADS, default all cores; BENCH_REFERENCE=1 for the reference backend).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../src-engine/core/backend/reference';
import type { Backend } from '../src-engine/core/backend/types';
import { prepareData } from '../src-engine/core/data';
import type { GraphIR } from '../src-engine/base/ir/types';
import { createCpuBackend, defaultThreadCount, enableRelaxedSimd } from '../src-engine/node/cpu';
import { loadDataset } from '../src-engine/node/datasets';
import { TrainingSession } from '../src-engine/app/session';
import { encodeWire } from '../src-engine/protocol/wire';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const THREADS = Number(process.env.BENCH_THREADS ?? defaultThreadCount());

type Mode = 'headless' | 'probes' | 'headless-no-guard';

const graph = JSON.parse(readFileSync(join(ROOT, 'examples/mnist-mlp.json'), 'utf8')) as GraphIR;
const cfg = graph.training!;
const data = prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
const backend: Backend = process.env.BENCH_REFERENCE === '1' ? createReferenceBackend() : await createCpuBackend({ threads: THREADS, relaxedSimd: enableRelaxedSimd() });
const yieldToHost = () => new Promise<void>((resolve) => setImmediate(resolve));

async function measure(mode: Mode): Promise<{ samplesPerSec: number; samplesPerCpuSec: number; frames: number; frameBytes: number; frameMs: number; steps: number }> {
  let frames = 0;
  let frameBytes = 0;
  let frameMs = 0;
  let session: TrainingSession | null = null;
  session = new TrainingSession('bench', graph, data, backend, {
    compile: compileGraph,
    probes: mode === 'probes' ? {} : false,
    overrides: { epochs: 1000 },
    ...(mode === 'headless-no-guard' ? { checkGradients: false, lossExplosion: 0 } : {}),
    yieldToHost,
    emit: (event, payload) => {
      // What web mode sends: JSON text, or one binary frame when the event holds typed arrays (protocol/wire.ts).
      const wire = encodeWire({ kind: 'event', event, data: payload });
      if (event === 'probe.frame') {
        frames++;
        frameBytes += typeof wire === 'string' ? wire.length : wire.byteLength;
        frameMs += (payload as { costMs: number }).costMs;
        const seq = (payload as { seq: number }).seq;
        setImmediate(() => session?.ackFrame(seq));
      }
    },
  });
  const done = session.run();
  // Count steps over the measured window only (the first steps warm up the JIT).
  await new Promise((r) => setTimeout(r, 500));
  const s0 = session.step;
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const s1 = session.step;
  const w1 = performance.now();
  const c = process.cpuUsage(c0);
  session.control('stop');
  await done;
  const samples = (s1 - s0) * cfg.batchSize;
  return { samplesPerSec: samples / ((w1 - w0) / 1000), samplesPerCpuSec: samples / ((c.user + c.system) / 1e6), frames, frameBytes, frameMs, steps: s1 - s0 };
}

const results: Record<Mode, number[]> = { headless: [], probes: [], 'headless-no-guard': [] };
const cpuResults: Record<Mode, number[]> = { headless: [], probes: [], 'headless-no-guard': [] };
let frameInfo = { frames: 0, bytes: 0, ms: 0, seconds: 0 };
const order: Mode[] = ['headless', 'probes', 'headless-no-guard'];
console.log(`MNIST MLP, batch ${cfg.batchSize}, ${backend.description}; ${ROUNDS} rounds × ${SECONDS} s per mode, interleaved`);
for (let r = 0; r < ROUNDS; r++) {
  const modes = r % 2 === 0 ? order : [...order].reverse();
  for (const m of modes) {
    const x = await measure(m);
    results[m].push(x.samplesPerSec);
    cpuResults[m].push(x.samplesPerCpuSec);
    if (m === 'probes') frameInfo = { frames: frameInfo.frames + x.frames, bytes: frameInfo.bytes + x.frameBytes, ms: frameInfo.ms + x.frameMs, seconds: frameInfo.seconds + SECONDS + 0.5 };
    console.log(`  round ${r + 1} ${m.padEnd(18)} ${x.samplesPerSec.toFixed(0).padStart(7)} samples/s  ${x.samplesPerCpuSec.toFixed(0).padStart(7)} per CPU-s${m === 'probes' ? `  (${x.frames} frames)` : ''}`);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const best = (a: number[]) => Math.max(...a);
const h = median(results.headless);
const p = median(results.probes);
const g = median(results['headless-no-guard']);
console.log('');
const hc = median(cpuResults.headless);
const pc = median(cpuResults.probes);
const gc = median(cpuResults['headless-no-guard']);
const hb = best(results.headless);
const pb = best(results.probes);
const gb = best(results['headless-no-guard']);
console.log('samples/s                  wall median   wall best   per CPU-s median (the robust one on a busy machine)');
const row = (name: string, m: number, b: number, c: number, note: string) =>
  console.log(`${name.padEnd(26)} ${m.toFixed(0).padStart(11)} ${b.toFixed(0).padStart(11)} ${c.toFixed(0).padStart(11)}   ${note}`);
row('headless (guard on)', h, hb, hc, '');
row('all probes, default rate', p, pb, pc, `ratio: wall median ${(p / h).toFixed(3)}, wall best ${(pb / hb).toFixed(3)}, CPU ${(pc / hc).toFixed(3)} (target ≥ 0.95)`);
row('headless, guard off', g, gb, gc, `guard cost: CPU ${((1 - hc / gc) * 100).toFixed(1)}%`);
const nf = Math.max(1, frameInfo.frames);
console.log(`frames: ${(frameInfo.frames / frameInfo.seconds).toFixed(1)}/s, ${(frameInfo.bytes / nf / 1024).toFixed(1)} KiB each on the wire, ${(frameInfo.ms / nf).toFixed(2)} ms each to compute`);
backend.dispose?.();
