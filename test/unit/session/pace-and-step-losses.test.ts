import { describe, expect, it } from 'vitest';
import { RunControl } from '../../../src-engine/core/train/control';
import { thinMinMax } from '../../../src-engine/base/series';
import { StepLossBuffer } from '../../../src-engine/app/session/step-losses';
import { PACED_PROBE_HZ } from '../../../src-engine/app/session/training-session';
import { enginePerTest, sleep, twoMoonsGraph } from './fixtures';
import { modelToJSON } from '../../../src-engine/core/export/json';
import { trainedModel } from '../engine/export/onnx/harness';

const engine = enginePerTest();

/** Pass `n` gates of a control as a loop would, returning how long it took (ms). */
async function gates(c: RunControl, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) expect(await c.gate()).toBe(true);
  return performance.now() - t0;
}

describe('RunControl: a pause that comes while a batch runs', () => {
  it('holds once that batch ended (held() resolves then); a single step asked for meanwhile is the next batch, single only then, its throughput counted from its start', async () => {
    const c = new RunControl({ yieldEveryMs: 1e9 });
    expect(await c.gate()).toBe(true); // a batch runs (a resnet18 batch on the CPU: a second)
    c.pause();
    let held = false;
    const holding = c.held().then(() => (held = true));
    await sleep(10);
    expect(held).toBe(false); // the batch still runs: the pause has not taken hold
    c.step(); // asked for on the pause's state event, before it held
    expect(c.singleStepping).toBe(false); // the batch running is not the step asked for
    const ended = performance.now(); // the batch ends: the loop's next gate
    expect(await c.gate()).toBe(true);
    expect(c.singleStepping).toBe(true);
    expect(c.resumedAt).toBeGreaterThanOrEqual(ended);
    expect(held).toBe(false);
    // The single step ended: the run pauses again and waits: now the pause holds.
    const next = c.gate();
    await holding;
    expect(c.state).toBe('paused');
    expect(c.singleStepping).toBe(false);
    c.stop();
    expect(await next).toBe(false);
  });

  it('held() answers at once where the loop already waits, where the run is not paused, and when a resume or a stop comes first', async () => {
    const c = new RunControl({ yieldEveryMs: 1e9 });
    await c.held(); // running: nothing to wait for
    c.pause();
    const waiting = c.gate(); // the loop parks
    await c.held();
    await c.held(); // parked: again at once
    c.resume();
    expect(await waiting).toBe(true);
    c.pause(); // a batch runs; resumed before the pause held
    const resumed = c.held();
    c.resume();
    await resumed;
    c.pause();
    const stopped = c.held();
    c.stop();
    await stopped;
  });
});

describe('RunControl pace', () => {
  it('spaces steps at most `pace` a second; 0 goes flat out again', async () => {
    const c = new RunControl({ yieldEveryMs: 1e9 });
    c.setPace(100);
    expect(c.pace).toBe(100);
    // 11 gates at 100 steps/s: the first passes at once, the next 10 at least 10 ms apart each.
    expect(await gates(c, 11)).toBeGreaterThanOrEqual(95);
    c.setPace(0);
    expect(await gates(c, 200)).toBeLessThan(50);
  });

  it('a new pace, a pause or a stop takes effect during a paced wait', async () => {
    const c = new RunControl({ yieldEveryMs: 1e9 });
    c.setPace(0.5); // one step every 2 s
    await c.gate();
    const t0 = performance.now();
    const waiting = c.gate();
    await sleep(20);
    c.setPace(0);
    expect(await waiting).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);

    c.setPace(0.5);
    const held = c.gate();
    await sleep(10);
    c.pause();
    c.setPace(0); // wakes the paced wait, which now waits for the pause
    await sleep(20);
    let passed = false;
    void held.then(() => (passed = true));
    await sleep(10);
    expect(passed).toBe(false);
    c.stop();
    expect(await held).toBe(false);
  });

  it('a single step while paused is not held back by the pace', async () => {
    const c = new RunControl({ yieldEveryMs: 1e9 });
    c.setPace(0.2);
    await c.gate();
    c.pause();
    const t0 = performance.now();
    const gate = c.gate();
    c.step();
    expect(await gate).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a negative or non-finite pace', () => {
    const c = new RunControl();
    expect(() => c.setPace(-1)).toThrow(RangeError);
    expect(() => c.setPace(Number.NaN)).toThrow(RangeError);
    expect(() => c.setPace(Infinity)).toThrow(RangeError);
  });
});

describe('min/max downsample', () => {
  it('keeps each bucket of 4 as its lowest and highest point, in step order', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const ys = [3, 1, 4, 2, 5, 5, 5, 5, 7, 0];
    const n = thinMinMax(xs.length, (i) => ys[i], (to, from) => {
      xs[to] = xs[from];
      ys[to] = ys[from];
    });
    // [3,1,4,2] → (1,1) (2,4); [5,5,5,5] → one point; the last 2 stay as they are.
    expect(xs.slice(0, n)).toEqual([1, 2, 4, 8, 9]);
    expect(ys.slice(0, n)).toEqual([1, 4, 5, 7, 0]);
  });

  it('keeps a non-finite value as an extreme', () => {
    const ys = [1, Number.NaN, 0.5, 2];
    const n = thinMinMax(4, (i) => ys[i], (to, from) => (ys[to] = ys[from]));
    expect(ys.slice(0, n)).toEqual([Number.NaN, 0.5]);
  });

  it('StepLossBuffer: more steps than it holds are downsampled, the global min and max survive', () => {
    const b = new StepLossBuffer(64);
    let min = Infinity;
    let max = -Infinity;
    for (let s = 1; s <= 10_000; s++) {
      const loss = 1 + Math.sin(s * 0.37) * (s === 4321 ? 50 : 1);
      min = Math.min(min, loss);
      max = Math.max(max, loss);
      b.push(s, loss);
    }
    const got = b.take()!;
    expect(got.steps.length).toBeLessThanOrEqual(64);
    expect(got.steps.length).toBe(got.values.length);
    expect(Math.max(...(got.values as number[]))).toBeCloseTo(max, 3);
    expect(Math.min(...(got.values as number[]))).toBeCloseTo(min, 3);
    expect(got.steps).toContain(4321);
    expect([...got.steps].sort((a, b) => a - b)).toEqual(got.steps); // still in step order
    expect(got.steps.at(-1)).toBe(10_000); // the newest step is kept
    expect(b.take()).toBeUndefined();
  });
});

describe('over the protocol', () => {
  it('train.progress carries every step’s loss, each step once, in order', async () => {
    const { client, events, waitFor } = engine();
    await client.request('train.start', { graph: twoMoonsGraph({ epochs: 3 }), probes: false });
    const done = await waitFor('train.done');
    const progress = events['train.progress']!;
    const steps = progress.flatMap((p) => p.stepLosses?.steps ?? []);
    expect(steps).toEqual(Array.from({ length: done.steps }, (_, i) => i + 1));
    // Each event's last step loss is the batch loss it reports.
    for (const p of progress) if (p.stepLosses) expect(p.stepLosses.values.at(-1)).toBe(p.batchLoss);
    // Fewer events than steps: the curve has more points than the reports.
    expect(progress.length).toBeLessThan(done.steps);
  });

  it('a paced run trains at most `pace` steps a second, probes more often, and `pace` 0 lets it go', async () => {
    const { client, events, waitFor } = engine();
    // 4,000 samples: ~110 steps an epoch, so the frame each epoch end gets does not count here.
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 10_000 }, 4000), probes: { maxHz: 1, boundary: 8 }, pace: 40 });
    await waitFor('train.progress', (p) => p.step >= 2);
    const t0 = performance.now();
    const s0 = events['train.progress']!.at(-1)!.step;
    // Acknowledge each frame as a renderer does (latest wins: without acks only one is in flight).
    let acked = -1;
    while (performance.now() - t0 < 500) {
      const last = events['probe.frame']?.at(-1);
      if (last && last.seq !== acked) await client.request('probe.ack', { runId, seq: (acked = last.seq) });
      await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const s1 = events['train.progress']!.at(-1)!.step;
    // At most 40 a second (+2 for the reports' timing), and it does train.
    expect(s1 - s0).toBeLessThanOrEqual(40 * seconds + 2);
    expect(s1).toBeGreaterThan(s0);
    // Probe frames keep up with a watched run: more than the 1 a second asked for (0.5 s: at most 1 frame).
    expect(PACED_PROBE_HZ).toBeGreaterThan(2);
    expect(events['probe.frame']!.length).toBeGreaterThan(2);

    const r = await client.request('train.control', { runId, action: 'pace', stepsPerSecond: 0 });
    expect(r).toMatchObject({ state: 'running', pace: 0 });
    await waitFor('train.progress', (p) => p.step > s1 + 200);
    await client.request('train.control', { runId, action: 'stop' });
    await waitFor('train.done');
  });

  it('opening another project with its weights (model.load) leaves a training run training; train.current answers the run and its pace', async () => {
    const { client, events, waitFor } = engine();
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 10_000 }), probes: false, pace: 200 });
    await waitFor('train.progress', (p) => p.step >= 2);
    // What Open does for a project saved with its model: before, this stopped the run ("DONE (STOPPED)").
    const loaded = await client.request('model.load', { model: modelToJSON(trainedModel(twoMoonsGraph(), 1, 4)) as unknown as Record<string, unknown> });
    const s0 = events['train.progress']!.at(-1)!.step;
    await waitFor('train.progress', (p) => p.step > s0 + 5);
    expect(events['train.done']).toEqual([]);
    const { run } = await client.request('train.current', {});
    expect(run).toMatchObject({ state: 'running', pace: 200, start: { runId } });
    // Each answers under its own id: the loaded model (the other project's Playground) and the run.
    await expect(client.request('model.predict', { runId: loaded.runId, input: [0.1, 0.2] })).resolves.toHaveProperty('kind');
    await expect(client.request('model.predict', { runId, input: [0.1, 0.2] })).resolves.toMatchObject({ kind: 'probabilities' });
    await client.request('train.control', { runId, action: 'stop' });
    await waitFor('train.done');
  });

  it('`pace` without stepsPerSecond is refused with a coded error', async () => {
    const { client } = engine();
    const { runId } = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 10_000 }), probes: false });
    await expect(client.request('train.control', { runId, action: 'pace' })).rejects.toMatchObject({ code: 'E_TRAIN_PACE' });
    await client.request('train.control', { runId, action: 'stop' });
  });
});
