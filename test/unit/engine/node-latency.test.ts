/**
 * Each node's cost at batch 1 (#85 deliverable 6), through the protocol's `graph.latency` on the
 * engine's CPU backend (WebAssembly, one thread): every node's time is measured, and their sum
 * stays within a factor of 1.5 of the whole forward's measured time (the clock reads around each
 * kernel add a little; a shared machine's load moves both); the memory figures are the arithmetic
 * of the design's shapes and weights.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { createCpuBackend } from '../../../src-engine/node/cpu';
import { setupEngine } from '../session/fixtures';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

/** The factor the nodes' summed times may differ from the whole forward's by, either way. */
const SUM_FACTOR = 1.5;

let engines: ReturnType<typeof setupEngine>[] = [];
afterEach(() => {
  for (const e of engines) e.service.dispose();
  engines = [];
});

/** An engine whose backend is the app's CPU backend on one thread. */
function cpuEngine() {
  const e = setupEngine({
    // The service disposes it after the request (ServiceContext.withBackend).
    createBackend: () => createCpuBackend({ threads: 1 }),
  });
  engines.push(e);
  return e;
}

/** Input [1, 8, 8] → Conv2d 4 × 3×3 → BatchNorm → ReLU → Flatten → Linear 3, with a target and a loss. */
const small: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  nodes: [
    { id: 'image', op: 'Input', attrs: { shape: [1, 8, 8], source: 'features' }, inputs: [] },
    { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'conv', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3] }, inputs: ['image'] },
    { id: 'bn', op: 'BatchNorm', attrs: {}, inputs: ['conv'] },
    { id: 'relu', op: 'ReLU', attrs: {}, inputs: ['bn'] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['relu'] },
    { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
  ],
  outputs: { logits: 'fc', loss: 'loss' },
} as GraphIR;

describe('graph.latency: each node’s cost at batch 1', () => {
  it('the memory figures are the arithmetic of the shapes and weights, node by node', async () => {
    const { client } = cpuEngine();
    const r = await client.request('graph.latency', { graph: small });
    expect(r.batchSize).toBe(1);
    expect(r.nodes.map((n) => n.id)).toEqual(['image', 'label', 'conv', 'bn', 'relu', 'flat', 'fc', 'loss']);
    const f = 4; // bytes per float32
    const memory = Object.fromEntries(r.nodes.map((n) => [n.id, [n.activationBytes, n.paramBytes]]));
    expect(memory).toEqual({
      image: [f * 64, 0],
      label: [f * 1, 0],
      // 4 channels of 6 × 6 (8 − 3 + 1, no padding); weights 4 × 1 × 3 × 3 and 4 biases.
      conv: [f * 4 * 6 * 6, f * (4 * 9 + 4)],
      // γ and β, and the running mean and variance (buffers), per channel.
      bn: [f * 144, f * 4 * 4],
      relu: [f * 144, 0],
      flat: [f * 144, 0],
      fc: [f * 3, f * (144 * 3 + 3)],
      loss: [f * 1, 0],
    });
    expect(r.repeats).toBeGreaterThanOrEqual(3);
    for (const n of r.nodes) expect(Number.isFinite(n.ms) && n.ms >= 0, n.id).toBe(true);
  });

  it('the MNIST CNN: every computing node is timed, a fused chain shares its time, and the nodes sum to within 1.5× the whole forward', async () => {
    const { client } = cpuEngine();
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-cnn.json'), 'utf8')) as GraphIR;
    const r = await client.request('graph.latency', { graph });
    expect(r.backend).toMatch(/CPU/);
    const byId = new Map(r.nodes.map((n) => [n.id, n]));
    for (const id of ['conv1', 'bn1', 'relu1', 'pool1', 'conv2', 'fc', 'loss']) expect(byId.get(id)!.ms, id).toBeGreaterThan(0);
    // The CPU backend runs BatchNorm → ReLU → MaxPool2d as one kernel: each node names the others.
    expect(byId.get('bn1')!.fusedWith?.sort()).toEqual(['pool1', 'relu1']);
    // conv2 (7.2 M FLOPs a sample) costs more than fc (63 k).
    expect(byId.get('conv2')!.ms).toBeGreaterThan(byId.get('fc')!.ms);
    // The median of each forward's summed node times; the nodes' own medians sum to about it.
    const medians = r.nodes.reduce((s, n) => s + n.ms, 0);
    expect(medians / r.sumMs).toBeGreaterThan(1 / SUM_FACTOR);
    expect(medians / r.sumMs).toBeLessThan(SUM_FACTOR);
    const ratio = r.sumMs / r.forwardMs;
    console.info(`mnist-cnn at batch 1 on ${r.backend}: nodes sum ${r.sumMs.toFixed(3)} ms (their medians ${medians.toFixed(3)}), whole forward ${r.forwardMs.toFixed(3)} ms (ratio ${ratio.toFixed(2)}, ${r.repeats} repeats)`);
    expect(ratio).toBeGreaterThan(1 / SUM_FACTOR);
    expect(ratio).toBeLessThan(SUM_FACTOR);
  });

  it('a design with errors is refused by code', async () => {
    const { client } = cpuEngine();
    const broken = { ...small, nodes: small.nodes.map((n) => (n.id === 'fc' ? { ...n, inputs: ['nowhere'] } : n)) };
    await expect(client.request('graph.latency', { graph: broken })).rejects.toMatchObject({ code: 'E_GRAPH_INVALID' });
  });
});
