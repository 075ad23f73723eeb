/**
 * `npx tsx bench/thread-split.ts <example>… [lesson-id/variant label]…`: how many cores a training
 * run keeps busy on the CPU backend (2 threads): the CPU time of each thread of this process over
 * one epoch (Linux's /proc/self/task), the main thread against the others (the pool's worker, V8's
 * helpers). The main thread takes its share of every parallel round and runs the serial rest, so
 * (main + others) / main is the run's cores on a quiet machine; CPU time, unlike the wall clock,
 * holds on a loaded one. LIMIT=N trains on N samples (3,000), one epoch.
 * (Clock ticks of 1/100 s, Linux's USER_HZ.) Measured 2026-11-26 (LIMIT=3000, a loaded machine): the
 * conditional GAN 1.93, the MNIST CNN 1.95, MLP 1.8–2.0, LSTM 1.9–2.0,
 * denoising AE 1.25, the text LSTM 1.8, the U-Net 1.8, rnn-vs-lstm's RNN at T = 100 1.2.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { prepareData } from '../src-engine/core/data';
import { Trainer } from '../src-engine/core/train';
import { createCpuBackend } from '../src-engine/node/cpu';
import { loadDataset } from '../src-engine/node/datasets';
import { LESSONS, lessonDesign, withTraining } from '../src-renderer/src/lessons/catalog';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const example = (name: string) => JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as GraphIR;

/** Each thread's CPU time so far (clock ticks: utime + stime), by thread id. */
function threadTicks(): Map<string, number> {
  return new Map(
    readdirSync('/proc/self/task').map((t) => {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      return [t, Number(f[11]) + Number(f[12])] as const;
    }),
  );
}

/** An example by name, or a lesson's run as `lesson-id/variant label`. */
function design(arg: string): GraphIR {
  const [id, label] = arg.split('/');
  if (label === undefined) return example(arg);
  const lesson = LESSONS.find((l) => l.id === id)!;
  const variant = lesson.variants.find((v) => v.label === label)!;
  return lessonDesign(lesson, variant, example(variant.example ?? lesson.example), false);
}

const backend = await createCpuBackend({ threads: 2 });
for (const arg of process.argv.slice(2)) {
  const full = design(arg);
  const graph = withTraining(full, { epochs: 1, dataset: { ...full.training!.dataset, limit: Number(process.env.LIMIT ?? 3000) } });
  const cfg = graph.training!;
  const data = prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
  const before = threadTicks();
  let after = before;
  // Until the epoch's end (its validation included), not the test evaluation after it.
  const done = await new Trainer(graph, data, backend, { compile: compileGraph, onEvent: (e) => void (e.type === 'epoch' && (after = threadTicks())) }).run();
  let main = 0;
  let others = 0;
  for (const [t, ticks] of after) {
    const d = ticks - (before.get(t) ?? 0);
    if (t === String(process.pid)) main += d;
    else others += d;
  }
  console.log(`${arg}: ${done.steps} steps, main thread ${(main / 100).toFixed(2)} s CPU, other threads ${(others / 100).toFixed(2)} s → ${((main + others) / Math.max(main, 1)).toFixed(2)} cores`);
}
backend.dispose();
