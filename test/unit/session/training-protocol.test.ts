import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannelPair, ErrorCodes, RpcClient } from '../../../src-engine/protocol';
import { EngineService } from '../../../src-engine/app/service';
import { setupEngine, sleep, twoMoonsGraph } from './fixtures';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});
function engine() {
  const e = setupEngine();
  cleanup.push(() => e.service.dispose());
  return e;
}

describe('training over the protocol', () => {
  it('runs a two-moons model to the end: progress, epochs with a confusion matrix, probe frames, done with test metrics', async () => {
    const { client, events, waitFor, clientLog } = engine();
    const started = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 3 }), probes: { everySteps: 5, maxHz: 30, budget: 0.5, boundary: 16 } });
    expect(started.runId).toMatch(/^run-/);
    expect(started.task).toBe('classification');
    expect(started.classNames.length).toBe(2);
    expect(started.probeSamples.inputs.length).toBe(8);
    expect(started.probeSamples.inputs[0].length).toBe(2);
    const frame = await waitFor('probe.frame');
    await client.request('probe.ack', { runId: started.runId, seq: frame.seq });
    const done = await waitFor('train.done');
    expect(done.reason).toBe('completed');
    expect(done.epochs).toBe(3);
    expect(done.test?.accuracy).toBeGreaterThan(0.75);
    expect(events['train.epoch']!.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const val = events['train.epoch']![2].val!;
    expect(val.confusion!.length).toBe(2);
    expect(val.confusion!.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const progress = events['train.progress']!;
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.step).toBe(done.steps);
    // Frames: one per parameterized/activation layer, a decision boundary, predictions for the probe samples.
    expect(frame.layers.map((l) => l.nodeId)).toEqual(['fc1', 'relu1', 'fc2', 'relu2', 'fc3']);
    expect(frame.params.map((p) => `${p.nodeId}.${p.name}`)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    for (const l of frame.layers) expect(Array.from(l.hist.counts).reduce((a, b) => a + b, 0)).toBe(l.stats.count);
    expect(frame.layers[1].deadFrac).toBeGreaterThanOrEqual(0);
    expect(frame.params[0].gradNorm).toBeGreaterThan(0);
    expect(frame.params[0].updateRatio).toBeGreaterThan(0);
    expect(frame.boundary!.classes.length).toBe(16 * 16);
    expect(frame.samples?.kind).toBe('classification');
    expect(events['train.state']!.at(-1)!.state).toBe('done');
    // Every event passed the client's schema check.
    expect(clientLog.mock.calls.filter(([l]) => l === 'error')).toEqual([]);
  });

  it('pause stops the step counter, step advances exactly one batch, resume continues, stop ends the run', async () => {
    const { client, events, waitFor } = engine();
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 10_000 }), probes: false });
    await waitFor('train.progress', (p) => p.step >= 3);
    const paused = await client.request('train.control', { runId, action: 'pause' });
    expect(paused.state).toBe('paused');
    await sleep(100);
    const still = await client.request('train.control', { runId, action: 'pause' });
    expect(still.step).toBe(paused.step);
    expect(Math.max(...events['train.progress']!.map((p) => p.step))).toBeLessThanOrEqual(paused.step);

    const asked = performance.now();
    await client.request('train.control', { runId, action: 'step' });
    const one = await waitFor('train.progress', (p) => p.step === paused.step + 1);
    const seen = performance.now();
    expect(one.state).toBe('paused');
    // Throughput is measured from the wake-up, not across the 100 ms pause: the step ran between the request and
    // its progress event, so it cannot have taken longer than that (whatever the machine's load).
    expect(one.samplesPerSec).toBeGreaterThanOrEqual(32 / ((seen - asked) / 1000));
    await sleep(40);
    expect((await client.request('train.control', { runId, action: 'pause' })).step).toBe(paused.step + 1);

    await client.request('train.control', { runId, action: 'resume' });
    await waitFor('train.progress', (p) => p.step > paused.step + 20);
    const stopped = await client.request('train.control', { runId, action: 'stop' });
    expect(stopped.state).toBe('stopping');
    const done = await waitFor('train.done');
    expect(done.reason).toBe('stopped');
    // Issue #13: a stopped run is still tested, on the weights at the stop.
    expect(done.test?.accuracy).toBeGreaterThanOrEqual(0);
    expect(done.test?.accuracy).toBeLessThanOrEqual(1);
  });

  it('a learning rate of 1e3 pauses the run with train.diverged naming the step and layer; it resumes from the last good state after lowering the rate', async () => {
    const { client, events, waitFor } = engine();
    const graph = twoMoonsGraph({ epochs: 4, optimizer: { kind: 'adam', lr: 1000 } });
    const { runId } = await client.request('train.start', { graph, probes: false });
    const d = await waitFor('train.diverged');
    // Adam at 1e3 sends the loss to 1e3+ without a NaN: the explosion rule catches it.
    expect(d.cause).toBe('exploding');
    expect(d.step).toBeGreaterThan(1);
    expect(d.where).toBe('activation');
    expect(['fc1', 'relu1', 'fc2', 'relu2', 'fc3']).toContain(d.nodeId);
    expect(d.message).toContain(`step ${d.step}`);
    expect(d.hint).toMatch(/learning rate/);
    expect(d.restoredStep).toBe(0);
    expect(events['train.state']!.at(-1)!.state).toBe('diverged');
    const before = Math.max(0, ...events['train.progress']!.map((p) => p.step));
    await sleep(30);
    expect(Math.max(0, ...events['train.progress']!.map((p) => p.step))).toBe(before); // paused

    const r = await client.request('train.control', { runId, action: 'resume', lr: 0.01 });
    expect(r.state).toBe('running');
    const done = await waitFor('train.done');
    expect(done.reason).toBe('completed');
    expect(events['train.diverged']!.length).toBe(1);
    expect(done.test!.accuracy).toBeGreaterThan(0.75);
    expect(events['train.progress']!.at(-1)!.lr).toBeCloseTo(0.01, 6);
  });

  it.each([false, true])('a NaN/Inf pauses the run at the first non-finite site (checkGradients %s) and rolls back to finite weights', async (checkGradients) => {
    const { client, waitFor } = engine();
    const graph = twoMoonsGraph({ epochs: 50, optimizer: { kind: 'sgd', lr: 1000 } });
    // A purely linear model: SGD at 1e3 grows the weights geometrically until they overflow.
    graph.nodes = graph.nodes.filter((n) => n.id !== 'relu1' && n.id !== 'relu2' && n.id !== 'fc2');
    graph.nodes.find((n) => n.id === 'fc3')!.inputs = ['fc1'];
    const { runId } = await client.request('train.start', { graph, probes: false, guard: { lossExplosion: 0, checkGradients } });
    const d = await waitFor('train.diverged');
    expect(d.cause).toBe('nonfinite');
    expect(['fc1', 'fc3', 'loss']).toContain(d.nodeId);
    expect(d.message).toMatch(/NaN or infinite/);
    expect(d.message).toContain(`step ${d.step}`);
    const probs = await client.request('model.predict', { runId, input: [0.1, 0.2] });
    // The weights were rolled back to a good state: predictions are finite numbers.
    if (probs.kind !== 'probabilities') throw new Error(`expected probabilities, got ${probs.kind}`);
    expect(probs.values.every((v) => Number.isFinite(v))).toBe(true);
    await client.request('train.control', { runId, action: 'stop' });
    await waitFor('train.done');
  });

  it('latest wins: without acks one frame is in flight and none queue up; an ack releases only the newest', async () => {
    const { client, events, waitFor } = engine();
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 10_000 }), probes: { everySteps: 1, maxHz: 30, budget: 0.5, boundary: 0 } });
    const first = await waitFor('probe.frame');
    await sleep(150); // at up to 30 frames a second, several newer frames were produced meanwhile
    await waitFor('train.progress', (p) => p.step >= first.step + 20);
    expect(events['probe.frame']!.length).toBe(1);
    const ack = await client.request('probe.ack', { runId, seq: first.seq });
    expect(ack.pending).toBe(true);
    const second = await waitFor('probe.frame', (f) => f.seq !== first.seq);
    expect(second.seq).toBeGreaterThan(first.seq + 1); // older frames were replaced, not queued
    await sleep(30);
    expect(events['probe.frame']!.length).toBe(2);
    await client.request('train.control', { runId, action: 'stop' });
    await waitFor('train.done');
  });

  it('predicts with the current weights while training', async () => {
    const { client, waitFor } = engine();
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 10_000 }), probes: false });
    await waitFor('train.progress', (p) => p.step > 5);
    const p = await client.request('model.predict', { runId, input: [0.5, -0.2] });
    expect(p.kind).toBe('probabilities');
    if (p.kind !== 'probabilities') return;
    expect(p.values.length).toBe(2);
    expect(p.values[0] + p.values[1]).toBeCloseTo(1, 5);
    await expect(client.request('model.predict', { runId, input: [1, 2, 3] })).rejects.toMatchObject({ code: 'E_PREDICT_SHAPE' });
    await client.request('train.control', { runId, action: 'stop' });
  });

  it('predict agrees with the probe frame on a probe sample, and normalises raw input as the run does', async () => {
    const { client, waitFor, events } = engine();
    const graph = twoMoonsGraph({ epochs: 10_000 });
    graph.training!.dataset.options = { ...graph.training!.dataset.options, normalize: 'per-feature' };
    const start = await client.request('train.start', { graph, probes: { maxHz: 30 } });
    const { runId } = start;
    client.on('probe.frame', (f) => void client.request('probe.ack', { runId, seq: f.seq })); // a client that keeps up
    await waitFor('train.progress', (p) => p.step > 5);
    const { step } = await client.request('train.control', { runId, action: 'pause' });
    await client.request('train.control', { runId, action: 'step' }); // a single step always sends a frame
    await waitFor('train.progress', (p) => p.step === step + 1 && p.state === 'paused');
    const frame = await waitFor('probe.frame', (f) => f.step === step + 1);
    expect(events['train.progress']!.at(-1)!.step).toBe(step + 1);
    const input = start.probeSamples.inputs[0];
    const p = await client.request('model.predict', { runId, input, normalized: true });
    expect(p.kind === 'probabilities' && p.values[1]).toBeCloseTo(frame.samples!.kind === 'classification' ? frame.samples!.probs[0][1] : NaN, 5);
    const raw = await client.request('model.predict', { runId, input });
    if (raw.kind !== 'probabilities' || p.kind !== 'probabilities') throw new Error(`expected probabilities, got ${raw.kind} and ${p.kind}`);
    expect(raw.values[1]).not.toBeCloseTo(p.values[1], 5);
    await client.request('train.control', { runId, action: 'stop' });
  });

  it('rejects malformed parameters, unknown runs and broken graphs with coded errors', async () => {
    const { client } = engine();
    const raw = client as unknown as { request(m: string, p: unknown): Promise<unknown> };
    await expect(raw.request('train.control', { runId: 'run-1', action: 'explode' })).rejects.toMatchObject({ code: ErrorCodes.badParams });
    await expect(raw.request('train.start', { graph: twoMoonsGraph(), overrides: { batchSize: -1 } })).rejects.toMatchObject({ code: ErrorCodes.badParams });
    await expect(raw.request('train.start', { graph: twoMoonsGraph(), probes: { maxHz: 1000 } })).rejects.toMatchObject({ code: ErrorCodes.badParams });
    await expect(raw.request('probe.ack', { runId: 'run-1', seq: -3 })).rejects.toMatchObject({ code: ErrorCodes.badParams });
    await expect(client.request('train.control', { runId: 'run-404', action: 'pause' })).rejects.toMatchObject({ code: 'E_TRAIN_NO_RUN' });
    await expect(client.request('train.start', { graph: { nodes: 'no' } })).rejects.toMatchObject({ code: 'E_GRAPH_INVALID' });
    const noTraining = { ...twoMoonsGraph(), training: undefined };
    await expect(client.request('train.start', { graph: noTraining })).rejects.toMatchObject({ code: 'TRAIN_NO_CONFIG' });
    const badData = twoMoonsGraph({ dataset: { name: 'nope' } });
    await expect(client.request('train.start', { graph: badData })).rejects.toMatchObject({ code: 'DATA_UNKNOWN' });
  });

  it('an engine started without a training host says so with a coded error', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const service = new EngineService(engineEnd, { runtime: 'in-process', pid: 1, backend: { kind: 'cpu', threads: 1, simd: false, description: 'x' } }, () => {});
    cleanup.push(() => service.dispose());
    const client = new RpcClient(clientEnd, () => {});
    await expect(client.request('train.start', { graph: twoMoonsGraph() })).rejects.toMatchObject({ code: 'E_TRAIN_UNAVAILABLE' });
    await expect(client.request('dataset.preview', { dataset: { name: 'two-moons' } })).rejects.toMatchObject({ code: 'E_TRAIN_UNAVAILABLE' });
  });

  it('sanity check: a two-moons MLP overfits 64 examples', async () => {
    const { client } = engine();
    const r = await client.request('train.sanityCheck', { graph: twoMoonsGraph({ optimizer: { kind: 'adam', lr: 0.02 } }), steps: 300 });
    expect(r.passed).toBe(true);
    expect(r.finalLoss!).toBeLessThan(0.05);
    expect(r.losses.length).toBeLessThanOrEqual(300); // stops once the criterion is met
    expect(r.steps).toBe(r.losses.length);
    expect(r.accuracy).toBe(1);
    expect(r.verdict).toMatch(/^Passed/);
  });

  it('sanity check: a learning rate far too small fails, with a verdict that says what to try', async () => {
    const { client } = engine();
    const r = await client.request('train.sanityCheck', { graph: twoMoonsGraph({ optimizer: { kind: 'sgd', lr: 1e-6 } }), steps: 100 });
    expect(r.passed).toBe(false);
    expect(r.steps).toBe(100);
    expect(r.verdict).toMatch(/^Failed.*learning rate/);
  });

  it('dataset preview: samples, class balance and scatter points', async () => {
    const { client } = engine();
    const p = await client.request('dataset.preview', { dataset: { name: 'two-moons', options: { samples: 200 } }, samples: 4 });
    expect(p.classNames.length).toBe(2);
    expect(p.classBalance.reduce((a, b) => a + b, 0)).toBe(p.counts.train);
    expect(p.samples.length).toBe(4);
    expect(p.points!.length).toBe(p.counts.train);
  });
});
