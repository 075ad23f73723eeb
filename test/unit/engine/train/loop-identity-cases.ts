import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import type { Backend } from '../../../../src-engine/core/backend/types';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { prepareData, type PreparedData } from '../../../../src-engine/core/data';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { TrainingSession } from '../../../../src-engine/app/session';
import { Trainer } from '../../../../src-engine/core/train';

/**
 * The weights-identity cases of issue #12: the MNIST MLP, CNN and denoising-AE examples trained
 * 2 epochs on 512 samples (128 for the CNN on the reference backend; validation and test capped alike), through the CLI's path and the
 * app's path, on the reference and CPU backends. `loop-identity.json` holds what the code
 * before the one-loop refactor (commit b91c767) produced; `gen-loop-identity.ts` rewrites it.
 */
export const EXAMPLES = ['mnist-mlp', 'mnist-cnn', 'mnist-denoise-ae'] as const;
export const BACKENDS = ['reference', 'cpu'] as const;
export const PATHS = ['cli', 'app'] as const;
export type IdentityCase = { example: (typeof EXAMPLES)[number]; backend: (typeof BACKENDS)[number]; path: (typeof PATHS)[number] };

export interface IdentityResult {
  /** sha256 over every parameter then every buffer, float32 little-endian, in compile order. */
  weights: string;
  /** sha256 over every training step's loss as float64. */
  losses: string;
  steps: number;
  /** Test-split loss (float64, as text so it compares exactly). */
  testLoss: string;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const dataCache = new Map<string, PreparedData>();

export function identityGraph(example: IdentityCase['example'], backend: IdentityCase['backend']): GraphIR {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples', `${example}.json`), 'utf8')) as GraphIR;
  // The CNN on the (scalar) reference backend takes ~35 s for 512 samples: 128 keep it at ~9 s.
  const limit = example === 'mnist-cnn' && backend === 'reference' ? 128 : 512;
  g.training = { ...g.training!, epochs: 2, dataset: { ...g.training!.dataset, limit } };
  return g;
}

function data(g: GraphIR): PreparedData {
  const key = JSON.stringify(g.training!.dataset);
  let d = dataCache.get(key);
  if (!d) {
    const c = g.training!;
    d = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
    dataCache.set(key, d);
  }
  return d;
}

let cpu: Promise<Backend & { dispose(): void }> | null = null;
export function backendFor(kind: IdentityCase['backend']): Promise<Backend> {
  if (kind === 'reference') return Promise.resolve(createReferenceBackend());
  cpu ??= createCpuBackend({ threads: 2 });
  return cpu;
}
export async function disposeBackends(): Promise<void> {
  if (cpu) (await cpu).dispose();
  cpu = null;
}

function sha(parts: Iterable<ArrayBufferView>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
}

export async function runIdentityCase(c: IdentityCase): Promise<IdentityResult> {
  const g = identityGraph(c.example, c.backend);
  const d = data(g);
  const backend = await backendFor(c.backend);
  const losses: number[] = [];
  let plan: ReturnType<typeof compileGraph> | null = null;
  const compile: typeof compileGraph = (graph, o) => (plan = compileGraph(graph, o));
  let testLoss = NaN;
  let steps = 0;
  if (c.path === 'cli') {
    const t = new Trainer(g, d, backend, { compile, onStepLoss: (_, l) => losses.push(l) });
    const done = await t.run();
    testLoss = done.test!.loss;
    steps = done.steps;
  } else {
    // The app's session with probes on (they must never change the weights).
    const s = new TrainingSession('identity', g, d, backend, {
      compile,
      probes: { maxHz: 1e9, budget: 1e9, everySteps: 7 },
      emit: (event, e) => {
        if (event === 'probe.frame') queueMicrotask(() => s.ackFrame((e as { seq: number }).seq));
        if (event === 'train.progress') losses.push((e as { batchLoss: number }).batchLoss);
        if (event === 'train.done') {
          const done = e as { test?: { loss: number }; steps: number };
          testLoss = done.test!.loss;
          steps = done.steps;
        }
        if (event === 'train.error') throw new Error((e as { message: string }).message);
      },
      progressEveryMs: 0,
    });
    await s.run();
  }
  const p = plan! as ReturnType<typeof compileGraph>;
  return {
    weights: sha([...p.params.map((q) => q.value.data), ...p.buffers.map((b) => b.value.data)]),
    losses: sha([Float64Array.from(losses)]),
    steps,
    testLoss: String(testLoss),
  };
}

export function caseName(c: IdentityCase): string {
  return `${c.example}/${c.backend}/${c.path}`;
}

export function allCases(): IdentityCase[] {
  const out: IdentityCase[] = [];
  for (const example of EXAMPLES) for (const backend of BACKENDS) for (const path of PATHS) out.push({ example, backend, path });
  return out;
}
