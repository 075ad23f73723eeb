import { compileGraph } from '../../core/autodiff/executor';
import { createReferenceBackend } from '../../core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../core/data';
import type { GraphIR } from '../../base/ir/types';
import { twoMoons } from '../../catalog/datasets/two-moons';
import { DEFAULT_OPTIMIZER } from '../../catalog/optimizers/registry';
import { TrainingSession } from './training-session';

/** A 2-32-32-2 two-moons classifier with every probed kind of layer an MLP has. */
const WARM_UP_GRAPH: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  nodes: [
    { id: 'xy', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
    { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'fc1', op: 'Linear', attrs: { outFeatures: 32 }, inputs: ['xy'] },
    { id: 'relu1', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
    { id: 'drop1', op: 'Dropout', attrs: { p: 0.1 }, inputs: ['relu1'] },
    { id: 'fc2', op: 'Linear', attrs: { outFeatures: 32 }, inputs: ['drop1'] },
    { id: 'relu2', op: 'ReLU', attrs: {}, inputs: ['fc2'] },
    { id: 'fc3', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['relu2'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc3', 'label'] },
  ],
  outputs: { logits: 'fc3', loss: 'loss' },
  training: {
    dataset: { name: twoMoons.name, options: { samples: 512, noise: 0.2 }, validationSplit: 0.1 },
    loss: 'loss',
    optimizer: { kind: DEFAULT_OPTIMIZER.kind, lr: 0.01 },
    batchSize: 64,
    epochs: 6,
    seed: 1,
    metrics: ['accuracy'],
  },
};

/**
 * Run the probe code once, on a small synthetic network with the reference backend, so that the
 * first probe frames of the user's first run do not pay for compiling it.
 * NOTE (measured, MNIST MLP, CPU backend): a session's first two frames cost 15–19 ms each
 * against ~2 ms later (V8 compiling the summaries, histograms and health checks). After this
 * warm-up (~150 ms of one core, 6 epochs of 6 steps, every step probed) they cost 2–3 ms. The
 * engine calls it once while it idles after start-up; it yields like a run, so requests that
 * arrive meanwhile are served. The frames go nowhere, and nothing of it outlives the call.
 */
/** Returns how many steps it trained and how many frames it captured (one per step). */
export async function warmUpProbes(yieldToHost: () => Promise<void> = () => new Promise<void>((resolve) => setTimeout(resolve, 0))): Promise<{ steps: number; frames: number }> {
  const cfg = WARM_UP_GRAPH.training!;
  const loaded = loadBuiltinDataset(cfg.dataset, cfg.seed);
  if (!loaded) return { steps: 0, frames: 0 };
  let frames = 0;
  let session: TrainingSession | undefined = undefined;
  session = new TrainingSession('warm-up', WARM_UP_GRAPH, prepareData(loaded, cfg.dataset, cfg.seed), createReferenceBackend(), {
    compile: compileGraph,
    // Every step probed (past the wire protocol's 30 Hz cap, which guards what clients may ask for).
    probes: { everySteps: 1, maxHz: 1e6, budget: 1e6, boundary: 8 },
    yieldToHost,
    emit: (event, payload) => {
      if (event !== 'probe.frame') return;
      frames++;
      session?.ackFrame((payload as { seq: number }).seq);
    },
  });
  await session.run();
  return { steps: session.step, frames };
}
