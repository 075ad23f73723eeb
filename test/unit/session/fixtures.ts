import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { DataError, loadBuiltinDataset } from '../../../src-engine/core/data';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import type { CheckedGraph } from '../../../src-engine/core/analysis/checked';
import { createMemoryChannelPair, RpcClient, type Logger } from '../../../src-engine/protocol';
import type { EngineEvent, EventData } from '../../../src-engine/protocol';
import { EngineService, type EngineEnvironment } from '../../../src-engine/app/service';
import { afterEach, vi } from 'vitest';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { hostTrainStep } from '../../../src-engine/core/train/step';

/** A compile function whose `badStep`-th backward leaves a NaN in fc2's weight gradient (as a bad kernel would). */
export function compileWithNaNGradient(badStep: number): (g: CheckedGraph, opts: Parameters<typeof compileGraph>[1]) => CompiledGraph {
  let backwards = 0;
  return (g, opts) => {
    const plan = compileGraph(g, opts);
    // A view of the plan (a class instance: its methods live on its prototype) with backward and
    // trainStep replaced; everything else is the plan's own, called on the plan.
    const backward = (sel: Parameters<CompiledGraph['backward']>[0]) => {
      plan.backward(sel);
      if (++backwards === badStep) plan.params.find((p) => p.nodeId === 'fc2' && p.name === 'weight')!.grad.data[5] = NaN;
    };
    // The loop trains through `trainStep`: the same step body (over the group's loss selection,
    // as the plan's own), over this plan's backward.
    const trainStep: CompiledGraph['trainStep'] = (group, lr, phases) => hostTrainStep(poisoned, group.losses ? plan.selectLosses(group.losses, group.params) : undefined, group, lr, phases);
    const poisoned: CompiledGraph = new Proxy(plan, {
      get(target, key) {
        if (key === 'backward') return backward;
        if (key === 'trainStep') return trainStep;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return poisoned;
  };
}

/** A 2-16-16-2 two-moons classifier; small enough to train hundreds of steps a second on the reference backend. */
export function twoMoonsGraph(training: Partial<NonNullable<GraphIR['training']>> = {}, samples = 400): GraphIR {
  return {
    format: 'netwright.graph',
    version: 1,
    nodes: [
      { id: 'xy', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['xy'] },
      { id: 'relu1', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['relu1'] },
      { id: 'relu2', op: 'ReLU', attrs: {}, inputs: ['fc2'] },
      { id: 'fc3', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['relu2'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc3', 'label'] },
    ],
    outputs: { logits: 'fc3', loss: 'loss' },
    training: {
      dataset: { name: 'two-moons', options: { samples, noise: 0.2 }, validationSplit: 0.1 },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.01 },
      batchSize: 32,
      epochs: 3,
      seed: 1,
      metrics: ['accuracy'],
      ...training,
    },
  };
}

/** The engine over an in-memory channel pair, with synthetic data and the reference backend. */
export function setupEngine(extra: Partial<NonNullable<EngineEnvironment['training']>> = {}) {
  const [clientEnd, engineEnd] = createMemoryChannelPair();
  const env: EngineEnvironment = {
    runtime: 'in-process',
    pid: 1,
    backend: { kind: 'cpu', threads: 1, simd: false, description: 'test' },
    training: {
      loadDataset: (config, seed) => {
        const d = loadBuiltinDataset(config, seed);
        if (!d) throw new DataError('DATA_UNKNOWN', `test engine: no dataset ${config.name}`);
        return d;
      },
      createBackend: async () => createReferenceBackend(),
      ...extra,
    },
  };
  const engineLog = vi.fn<Logger>();
  const clientLog = vi.fn<Logger>();
  const service = new EngineService(engineEnd, env, engineLog);
  const client = new RpcClient(clientEnd, clientLog);
  /** Every event of each kind, in arrival order (validated by the client against the protocol). */
  const events: { [E in EngineEvent]?: EventData<E>[] } = {};
  for (const e of ['train.progress', 'train.epoch', 'train.done', 'train.error', 'train.diverged', 'train.deviceLost', 'train.features', 'train.state', 'probe.frame', 'sweep.progress'] as const) {
    events[e] = [];
    client.on(e, (d) => (events[e] as unknown[]).push(d));
  }
  const waitFor = async <E extends EngineEvent>(event: E, pred: (d: EventData<E>) => boolean = () => true, timeoutMs = 8000): Promise<EventData<E>> => {
    const t0 = Date.now();
    for (;;) {
      const hit = (events[event] as EventData<E>[] | undefined)?.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${event}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return { client, service, events, waitFor, engineLog, clientLog };
}

/**
 * For a test file: `setupEngine` whose engines are disposed after each test. Call at the top level
 * (it registers an `afterEach`).
 */
export function enginePerTest(): () => ReturnType<typeof setupEngine> {
  let live: ReturnType<typeof setupEngine>[] = [];
  afterEach(() => {
    for (const e of live) e.service.dispose();
    live = [];
  });
  return () => {
    const e = setupEngine();
    live.push(e);
    return e;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
