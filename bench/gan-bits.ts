/**
 * `npx tsx bench/gan-bits.ts [threads ...]`: the conditional DCGAN (examples/mnist-cdcgan.json)
 * trained one epoch on its first 960 MNIST samples (30 steps of batch 32, Adam, its two optimizer
 * groups) on createBestBackend(), then a sha256 of every weight and buffer (float32, compile order)
 * and of the step losses, per thread count (default 2 and 1). A kernel change that keeps each
 * output's summation order prints the same hashes before and after (issue #59: the GAN's step made
 * faster with the same bits); the two thread counts must agree with each other too.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { prepareData } from '../src-engine/core/data';
import { Trainer } from '../src-engine/core/train';
import type { GraphIR } from '../src-engine/base/ir/types';
import { createBestBackend } from '../src-engine/node/cpu';
import { loadDataset } from '../src-engine/node/datasets';

const sha = (parts: Iterable<ArrayBufferView>): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex').slice(0, 16);
};

const g = JSON.parse(readFileSync(new URL('../examples/mnist-cdcgan.json', import.meta.url), 'utf8')) as GraphIR;
const STEPS = Number(process.env.STEPS ?? 30);
g.training = { ...g.training!, epochs: 1, dataset: { ...g.training!.dataset, limit: STEPS * g.training!.batchSize! } };
const c = g.training;
const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
const threadList = process.argv.slice(2).map(Number);
for (const threads of threadList.length ? threadList : [2, 1]) {
  const backend = await createBestBackend({ threads });
  let plan: ReturnType<typeof compileGraph> | null = null;
  const losses: number[] = [];
  const t0 = performance.now();
  const done = await new Trainer(g, data, backend, { compile: (graph, o) => (plan = compileGraph(graph, o)), onStepLoss: (_, l) => losses.push(l) }).run();
  const ms = performance.now() - t0;
  const p = plan! as ReturnType<typeof compileGraph>;
  const weights = sha([...p.params.map((q) => q.value.data), ...p.buffers.map((b) => b.value.data)]);
  console.log(`threads ${threads}: ${done.steps} steps, weights ${weights}, losses ${sha([Float64Array.from(losses)])}, last loss ${losses.at(-1)} (${ms.toFixed(0)} ms)`);
  (backend as { dispose?: () => void }).dispose?.();
}
