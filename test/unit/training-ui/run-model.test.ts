import { afterEach, describe, expect, it, vi, beforeEach } from 'vitest';
import { RpcServer, createMemoryChannelPair, RpcClient, type ProbeFrame } from '../../../src-engine/protocol';
import { MAX_SERIES_POINTS, MAX_STEP_POINTS, appendBounded, appendSteps, emptyRun, endedIn, headlineMetric, histogramQuantile, overlayFrame, reduceRun, type RunAction, type RunView, type StartResult } from '../../../src-renderer/src/training/model';
import { frameBatched, paced } from '../../../src-renderer/src/training/run-pacing';
import { probeOptions } from '../../../src-renderer/src/state/train-ui';
import { PROBE_RATES_HZ, type ParamsOf } from '../../../src-engine/protocol';
import { twoMoonsGraph } from '../session/fixtures';
import { startResult } from './fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const started: StartResult = startResult;

const progress = (step: number, loss: number | null, runId = 'run-1') => ({
  type: 'progress' as const,
  data: { runId, epoch: 1, epochs: 2, step, stepInEpoch: step, stepsPerEpoch: 10, loss, batchLoss: loss, lr: 0.01, samplesPerSec: 100, etaSeconds: 1, state: 'running' as const },
});

function frame(seq: number, step: number, runId = 'run-1'): ProbeFrame {
  return {
    runId,
    seq,
    step,
    epoch: 1,
    loss: 1,
    layers: [{ nodeId: 'fc1', op: 'Linear', shape: [4], hist: { min: 0, max: 10, counts: [0, 10, 0, 0, 0, 0, 0, 0, 0, 10] }, stats: { count: 20, mean: 5, std: 4, min: 0, max: 10, zeroFrac: 0, nonFinite: 0 }, gradNorm: 0.5 }],
    params: [],
    health: [],
    costMs: 1,
  };
}

const replay = (actions: RunAction[], from: RunView = emptyRun) => actions.reduce(reduceRun, from);

describe('run view reducer', () => {
  it("keeps a GAN's per-group losses from progress and D(x) / D(G(z)) from its frames; a new run starts them empty", () => {
    const gp = (step: number, d: number | null, g: number) => ({ ...progress(step, 2), data: { ...progress(step, 2).data, groupLosses: { discriminator: d, generator: g } } });
    const gan = { samples: new Float32Array(4), count: 1, shape: [2, 2], dReal: 0.7, dFake: 0.3, diversity: 1, realDiversity: 2, hints: [] };
    const s = replay([{ type: 'starting' }, { type: 'started', result: started }, gp(1, 1.4, 0.7), gp(2, null, 0.9), { type: 'frame', data: { ...frame(0, 2), gan } }, { type: 'frame', data: frame(1, 3) }]);
    expect(s.groupLoss).toEqual({ discriminator: [[1, 1.4]], generator: [[1, 0.7], [2, 0.9]] });
    expect(s.dReal).toEqual([[2, 0.7]]);
    expect(s.dFake).toEqual([[2, 0.3]]);
    const next = replay([{ type: 'starting' }, { type: 'started', result: { ...started, runId: 'run-2' } }], s);
    expect([next.groupLoss, next.dReal, next.dFake]).toEqual([{}, [], []]);
  });

  it('follows a run from start to done and keeps its series', () => {
    const s = replay([
      { type: 'starting' },
      { type: 'started', result: started },
      progress(1, 2.3),
      progress(5, 1.1),
      { type: 'epoch', data: { runId: 'run-1', epoch: 1, epochs: 2, step: 10, train: { loss: 1, accuracy: 0.8 }, val: { loss: 0.9, accuracy: 0.85, confusion: [[4, 1], [0, 5]] }, lr: 0.01, seconds: 1, best: true } },
      { type: 'state', data: { runId: 'run-1', state: 'paused', step: 10 } },
      { type: 'done', data: { runId: 'run-1', reason: 'completed', epochs: 2, steps: 20, seconds: 2, evaluatedEpoch: 2, test: { loss: 0.5, accuracy: 0.9 } } },
    ]);
    expect(s.phase).toBe('done');
    expect(s.info?.backend).toBe('CPU · 2 threads');
    expect(s.loss).toEqual([[1, 2.3], [5, 1.1]]);
    expect(s.lr).toEqual([[1, 0.01], [5, 0.01]]);
    expect(s.valLoss).toEqual([[1, 0.9]]);
    expect(s.valMetric).toEqual([[1, 0.85]]);
    expect(s.trainMetric).toEqual([[1, 0.8]]);
    expect(s.metricName).toBe('accuracy');
    expect(s.done?.test?.accuracy).toBe(0.9);
  });

  it('ignores the events of a replaced run', () => {
    const s = replay([{ type: 'started', result: started }, progress(3, 1)]);
    const after = replay([progress(9, 0.1, 'run-0'), { type: 'frame', data: frame(0, 9, 'run-0') }, { type: 'diverged', data: { runId: 'run-0', step: 1, epoch: 1, cause: 'nonfinite', where: 'loss', nodeId: 'x', op: 'Linear', lr: 1, hint: '', message: '', restoredStep: 0 } }], s);
    expect(after).toBe(s);
  });

  it('skips a non-finite loss (null on the wire) but keeps the step', () => {
    const s = replay([{ type: 'started', result: started }, progress(1, 1), progress(2, null)]);
    expect(s.loss).toEqual([[1, 1]]);
    expect(s.progress?.step).toBe(2);
  });

  it('enters and leaves the diverged state', () => {
    const diverged = { runId: 'run-1', step: 7, epoch: 1, cause: 'exploding' as const, where: 'activation' as const, nodeId: 'fc1', op: 'Linear', lr: 1000, hint: 'lower it', message: 'boom', restoredStep: 0 };
    const s = replay([{ type: 'started', result: started }, { type: 'diverged', data: diverged }]);
    expect(s.phase).toBe('diverged');
    expect(s.diverged?.nodeId).toBe('fc1');
    const resumed = reduceRun(s, { type: 'state', data: { runId: 'run-1', state: 'running', step: 7 } });
    expect(resumed.phase).toBe('running');
    expect(resumed.diverged).toBeUndefined();
  });

  it('keeps the newest frame and a bounded distribution history per layer', () => {
    let s = replay([{ type: 'started', result: started }]);
    for (let i = 0; i < 300; i++) s = reduceRun(s, { type: 'frame', data: frame(i, i * 10) });
    expect(s.frame?.seq).toBe(299);
    expect(s.frames).toBe(300);
    const h = s.history.fc1;
    expect(h.length).toBeLessThanOrEqual(120);
    expect(h[h.length - 1][0]).toBe(2990);
    expect(h[0][0]).toBe(0);
    // Half the values in bin 1 ([1, 2)), half in bin 9 ([9, 10]): the median sits between them.
    expect(h[0][1]).toBeCloseTo(1.2, 6);
    expect(h[0][2]).toBeCloseTo(2, 6);
    expect(h[0][3]).toBeCloseTo(9.8, 6);
  });

  it('starting a new run clears everything of the previous one (the store merges results into its state)', () => {
    const old = replay([{ type: 'started', result: started }, progress(3, 1), { type: 'frame', data: frame(0, 3) }, { type: 'done', data: { runId: 'run-1', reason: 'completed', epochs: 2, steps: 20, seconds: 2, evaluatedEpoch: 2, test: { loss: 0.5, accuracy: 0.9 } } }]);
    const next = reduceRun(old, { type: 'starting' });
    const merged = { ...old, ...next };
    // Only the last frame stays, as the previous run's (the Layers tab shows it until this run's first frame).
    expect(merged).toEqual({ ...emptyRun, phase: 'starting', probes: true, lastFrame: old.frame });
    for (const key of Object.keys(old)) expect(key in next).toBe(true);
  });

  it('keeps the previous run\'s last frame across starts until the new run\'s first frame replaces it', () => {
    const first = replay([{ type: 'started', result: started }, { type: 'frame', data: frame(0, 3) }, { type: 'frame', data: frame(1, 7) }]);
    // A headless run in between, and a failed start: the frame survives both.
    const headless = replay([{ type: 'starting', probes: false }, { type: 'started', result: { ...started, runId: 'run-2' } }], first);
    expect(headless.frame).toBeUndefined();
    expect(headless.lastFrame?.step).toBe(7);
    const failed = reduceRun(reduceRun(headless, { type: 'starting' }), { type: 'start-failed', code: 'E', message: 'no' });
    expect(failed.lastFrame?.step).toBe(7);
    const probed = replay([{ type: 'starting' }, { type: 'started', result: { ...started, runId: 'run-3' } }], failed);
    expect(probed.lastFrame?.step).toBe(7);
    const fresh = reduceRun(probed, { type: 'frame', data: frame(0, 1, 'run-3') });
    expect(fresh.frame?.step).toBe(1);
    expect(fresh.lastFrame).toBeUndefined();
    // A frame of the replaced run changes nothing.
    expect(reduceRun(probed, { type: 'frame', data: frame(2, 9) })).toBe(probed);
  });

  it('the canvas overlays hold the previous run\'s last frame only while a probed run waits for its first', () => {
    const first = replay([{ type: 'started', result: started }, { type: 'frame', data: frame(0, 3) }, { type: 'done', data: { runId: 'run-1', reason: 'completed', epochs: 2, steps: 20, seconds: 2, evaluatedEpoch: 2, test: { loss: 0.5 } } }]);
    expect(overlayFrame(first)?.step).toBe(3);
    const waiting = replay([{ type: 'starting' }, { type: 'started', result: { ...started, runId: 'run-2' } }], first);
    expect(overlayFrame(waiting)?.step).toBe(3);
    expect(overlayFrame(reduceRun(waiting, { type: 'frame', data: frame(0, 1, 'run-2') }))?.step).toBe(1);
    // A headless run draws no overlays, and neither does a run that ended before its first frame.
    expect(overlayFrame(replay([{ type: 'starting', probes: false }, { type: 'started', result: { ...started, runId: 'run-3' } }], first))).toBeUndefined();
    expect(overlayFrame(reduceRun(waiting, { type: 'error', data: { runId: 'run-2', code: 'E', message: 'gone' } }))).toBeUndefined();
  });

  it('remembers whether the run was started with probes (the canvas keeps a sparkline place only for a probed run)', () => {
    const headless = reduceRun(reduceRun(emptyRun, { type: 'starting', probes: false }), { type: 'started', result: started });
    expect(headless.probes).toBe(false);
    const probed = reduceRun(reduceRun(emptyRun, { type: 'starting' }), { type: 'started', result: started });
    expect(probed.probes).toBe(true);
    const f = frame(0, 1);
    const withFrame = reduceRun(probed, { type: 'frame', data: f });
    expect(withFrame.probeMs).toBe(f.costMs);
    expect(reduceRun(withFrame, { type: 'frame', data: { ...f, seq: 1, costMs: 2.5 } }).probeMs).toBe(f.costMs + 2.5);
  });

  it('a failed start shows the engine error', () => {
    const s = reduceRun(emptyRun, { type: 'start-failed', code: 'TRAIN_NO_CONFIG', message: 'no training settings' });
    expect(s.phase).toBe('failed');
    expect(s.error).toEqual({ code: 'TRAIN_NO_CONFIG', message: 'no training settings' });
  });
});

describe('bounded series', () => {
  it('never exceeds the bound, keeps the first and the newest points, and stays sorted', () => {
    let s: readonly (readonly [number, number])[] = [];
    for (let i = 0; i < 10 * MAX_SERIES_POINTS; i++) s = appendBounded(s, [i, i * 2] as const);
    expect(s.length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
    expect(s.length).toBeGreaterThan(MAX_SERIES_POINTS / 2);
    expect(s[0]).toEqual([0, 0]);
    expect(s[s.length - 1]).toEqual([10 * MAX_SERIES_POINTS - 1, 2 * (10 * MAX_SERIES_POINTS - 1)]);
    for (let i = 1; i < s.length; i++) expect(s[i][0]).toBeGreaterThan(s[i - 1][0]);
    // The newest stretch keeps full resolution.
    expect(s[s.length - 2][0]).toBe(10 * MAX_SERIES_POINTS - 2);
  });

  it('a long run keeps its curve even over its steps: the start is not thinned at every call', () => {
    // The epoch-mean loss of a 3,600-step run: halving the older half by points each time kept step 1, then 1,007.
    let s: readonly (readonly [number, number])[] = [];
    for (let step = 1; step <= 3600; step++) s = appendBounded(s, [step, 1 / step] as const);
    expect(s[0][0]).toBe(1);
    expect(largestGap(s)).toBeLessThanOrEqual((10 * 3600) / MAX_SERIES_POINTS);
  });

  it('replaces a point with the same x (a repeated progress event)', () => {
    expect(appendBounded([[1, 5]] as const, [1, 4] as const)).toEqual([[1, 4]]);
  });
});

describe('every step on the batch-loss curve', () => {
  it('a progress event with step losses adds one point per step; one without adds its batch loss', () => {
    const withSteps = { ...progress(4, 0.5), data: { ...progress(4, 0.5).data, stepLosses: { steps: [1, 2, 3, 4], values: [0.9, null, 0.7, 0.5] } } };
    const s = replay([{ type: 'started', result: started }, withSteps, progress(5, 0.4)]);
    // Step 2's loss was not finite: it gets no point rather than a made-up value.
    expect(s.batchLoss).toEqual([[1, 0.9], [3, 0.7], [4, 0.5], [5, 0.4]]);
  });

  it('a long run keeps at most MAX_STEP_POINTS, the newest at full resolution and every spike', () => {
    const spike = 1234;
    let s: readonly (readonly [number, number])[] = [];
    for (let step = 1; step <= 25_000; step += 50) {
      const points = Array.from({ length: 50 }, (_, i) => [step + i, step + i === spike ? 100 : 1 / (step + i)] as const);
      s = appendSteps(s, points);
    }
    expect(s.length).toBeLessThanOrEqual(MAX_STEP_POINTS);
    expect(s.length).toBeGreaterThan(MAX_STEP_POINTS / 2);
    expect(s).toContainEqual([spike, 100]);
    expect(s[s.length - 1][0]).toBe(25_000);
    expect(s[s.length - 2][0]).toBe(24_999);
    for (let i = 1; i < s.length; i++) expect(s[i][0]).toBeGreaterThan(s[i - 1][0]);
  });

  it('a 40,000-step run keeps its first steps, evenly thinned (it had lost its first 27,000)', () => {
    let s: readonly (readonly [number, number])[] = [];
    for (let step = 1; step <= 40_000; step += 10) s = appendSteps(s, Array.from({ length: 10 }, (_, i) => [step + i, Math.sin(step + i)] as const));
    expect(s[0][0]).toBe(1);
    expect(s.length).toBeLessThanOrEqual(MAX_STEP_POINTS);
    // Each bucket keeps its lowest and highest point, wherever they fall in it: two bucket widths at most between points.
    expect(largestGap(s)).toBeLessThanOrEqual((20 * 40_000) / MAX_STEP_POINTS);
  });

  it('points at or before the last step replace the overlap (a resumed run re-trains a stretch)', () => {
    expect(appendSteps([[1, 5], [2, 4], [3, 3]], [[2, 9], [3, 8], [4, 7]])).toEqual([[1, 5], [2, 9], [3, 8], [4, 7]]);
  });
});

describe('histogram quantiles and headline metrics', () => {
  it('interpolates inside a bin and ignores empty histograms', () => {
    const h = { min: 0, max: 4, counts: [0, 4, 0, 0] };
    expect(histogramQuantile(h, 0)).toBe(1);
    expect(histogramQuantile(h, 0.5)).toBe(1.5);
    expect(histogramQuantile(h, 1)).toBe(2);
    expect(histogramQuantile({ min: 0, max: 1, counts: [0, 0] }, 0.5)).toBeNaN();
  });

  it('picks accuracy for classifiers, psnr for autoencoders', () => {
    expect(headlineMetric({ loss: 1, accuracy: 0.5, f1: 0.4 })).toEqual({ name: 'accuracy', value: 0.5 });
    expect(headlineMetric({ loss: 1, mse: 0.02, psnr: 17 })).toEqual({ name: 'psnr', value: 17 });
    expect(headlineMetric({ loss: 1 })).toBeUndefined();
  });
});

describe('binding a client to the run store', () => {
  it('dispatches events and acknowledges each probe frame after it is handled', async () => {
    const [a, b] = createMemoryChannelPair();
    const acks: number[] = [];
    const server = new RpcServer(b, {
      'probe.ack': ({ seq }) => {
        acks.push(seq);
        return { pending: false };
      },
    });
    const client = new RpcClient(a);
    const seen: RunAction['type'][] = [];
    const off = w.runs.bind(client, (action) => seen.push(action.type));
    server.emit('train.progress', progress(1, 1).data);
    server.emit('probe.frame', frame(0, 1));
    // The ack's round trip ends when the server has it: wait for that, not for a fixed time (a
    // loaded machine once took longer than 20 ms).
    await vi.waitFor(() => expect(acks).toEqual([0]), { timeout: 5_000, interval: 2 });
    expect(seen).toEqual(['progress', 'frame']);
    off();
    server.emit('train.progress', progress(2, 1).data);
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['progress', 'frame']);
  });
});

describe('batching run events per animation frame', () => {
  it('hands the actions that arrive before a tick to the store as one batch, in order', () => {
    const ticks: (() => void)[] = [];
    const batches: RunAction['type'][][] = [];
    const dispatch = frameBatched((actions) => batches.push(actions.map((a) => a.type)), (fn) => ticks.push(fn));
    dispatch(progress(1, 1));
    dispatch({ type: 'frame', data: frame(0, 1) });
    dispatch({ type: 'done', data: { runId: 'run-1', reason: 'completed', steps: 1, seconds: 1 } as never });
    expect(ticks).toHaveLength(1);
    expect(batches).toEqual([]);
    ticks[0]();
    expect(batches).toEqual([['progress', 'frame', 'done']]);
    dispatch(progress(2, 1));
    expect(ticks).toHaveLength(2);
    ticks[1]();
    expect(batches).toEqual([['progress', 'frame', 'done'], ['progress']]);
  });

  it('the store applies a batch as one state change that equals the actions applied one by one', () => {
    const actions: RunAction[] = [{ type: 'started', result: started }, progress(1, 1), { type: 'frame', data: frame(0, 1) }, progress(2, 0.5)];
    const oneByOne = actions.reduce<RunView>(reduceRun, emptyRun);
    let changes = 0;
    const off = w.run.subscribe(() => changes++);
    w.run.getState().dispatchAll(actions);
    off();
    expect(changes).toBe(1);
    const view = w.run.getState();
    for (const key of Object.keys(emptyRun) as (keyof RunView)[]) expect(view[key]).toEqual(oneByOne[key]);
  });
});

describe('a control reply (pause, step) shows the step the engine stopped at', () => {
  it('flush() applies the queued events now, in order, and the pending tick then has nothing left', () => {
    const ticks: (() => void)[] = [];
    const batches: RunAction['type'][][] = [];
    const dispatch = frameBatched((actions) => batches.push(actions.map((a) => a.type)), (fn) => ticks.push(fn));
    dispatch(progress(1, 1));
    dispatch(progress(2, 1));
    dispatch.flush();
    expect(batches).toEqual([['progress', 'progress']]);
    ticks[0]();
    expect(batches).toEqual([['progress', 'progress']]);
    // The next event schedules a new tick (the flushed one has run).
    dispatch(progress(3, 1));
    expect(ticks).toHaveLength(2);
    ticks[1]();
    expect(batches).toEqual([['progress', 'progress'], ['progress']]);
  });

  it('a finished run without progress events (a stored run opened) reads the epoch it ended in, as the live counter did', () => {
    // 10 steps an epoch: stopped at step 37 after 3 whole epochs, in the 4th at its 7th step.
    expect(endedIn({ epochs: 3, steps: 37 }, 10)).toEqual({ epoch: 4, stepInEpoch: 7 });
    // Ended at an epoch's end (completed, early stopping): that epoch, at its last step; stopped before any step: epoch 0.
    expect(endedIn({ epochs: 2, steps: 20 }, 10)).toEqual({ epoch: 2, stepInEpoch: 10 });
    expect(endedIn({ epochs: 0, steps: 0 }, 10)).toEqual({ epoch: 0, stepInEpoch: 0 });
    // Counts that do not fit together (steps short of the epochs, or past the next one): none.
    expect(endedIn({ epochs: 3, steps: 25 }, 10)).toBeNull();
    expect(endedIn({ epochs: 1, steps: 25 }, 10)).toBeNull();
  });

  it('the reply’s step moves the counter forward with the new state, never back', () => {
    const running = replay([{ type: 'started', result: started }, progress(5, 1)]);
    const paused = reduceRun(running, { type: 'control', runId: 'run-1', state: 'paused', step: 9 });
    expect(paused.phase).toBe('paused');
    expect(paused.progress?.step).toBe(9);
    // The step in the epoch moves with it (it read "step 9 (5/10)").
    expect(paused.progress?.stepInEpoch).toBe(9);
    const stale = reduceRun(running, { type: 'control', runId: 'run-1', state: 'paused', step: 3 });
    expect(stale.progress?.step).toBe(5);
    // Stopped in the next epoch (step 12 of epochs of 10): the epoch's count is not pushed past its end.
    const next = reduceRun(running, { type: 'control', runId: 'run-1', state: 'stopping', step: 12 });
    expect([next.progress?.step, next.progress?.stepInEpoch]).toEqual([12, 5]);
  });
});

describe('pacing UI updates', () => {
  afterEach(() => vi.useRealTimers());

  it('runs the first update at once, then no sooner than the interval after the previous one', () => {
    vi.useFakeTimers();
    let t = 1000;
    const ran: number[] = [];
    const schedule = paced(250, () => t, (fn) => fn());
    schedule(() => ran.push(t));
    expect(ran).toEqual([1000]);
    t = 1100;
    schedule(() => ran.push(t));
    expect(ran).toEqual([1000]);
    t = 1250;
    vi.advanceTimersByTime(150);
    expect(ran).toEqual([1000, 1250]);
    t = 2000;
    schedule(() => ran.push(t));
    expect(ran).toEqual([1000, 1250, 2000]);
  });

  it('with the pace, the events in between arrive as one batch and none is lost', () => {
    vi.useFakeTimers();
    let t = 0;
    const batches: RunAction['type'][][] = [];
    const dispatch = frameBatched((actions) => batches.push(actions.map((a) => a.type)), paced(250, () => t, (fn) => fn()));
    dispatch(progress(1, 1));
    t = 50;
    dispatch(progress(2, 1));
    t = 120;
    dispatch({ type: 'frame', data: frame(0, 2) });
    t = 200;
    dispatch(progress(3, 1));
    t = 250;
    vi.advanceTimersByTime(250);
    expect(batches).toEqual([['progress'], ['progress', 'frame', 'progress']]);
  });
});

describe('the dock\'s probe settings reach the engine', () => {
  it('starts probed at the chosen rate, or headless with probes off', async () => {
    const [a, b] = createMemoryChannelPair();
    const starts: ParamsOf<'train.start'>[] = [];
    new RpcServer(b, {
      'train.start': (params) => {
        starts.push(params);
        return { ...started, runId: `run-${starts.length}` };
      },
    });
    w.engine.setState({ client: new RpcClient(a) });
    expect(PROBE_RATES_HZ).toContain(w.trainUi.getState().probeHz);
    const graph = twoMoonsGraph();
    for (const settings of [{ probes: true, probeHz: 4 }, { probes: true, probeHz: 1 }, { probes: false, probeHz: 4 }]) {
      w.trainUi.setState(settings);
      await w.runs.start(graph, undefined, { probes: probeOptions(w.trainUi.getState()) });
    }
    expect(starts.map((p) => p.probes)).toEqual([{ maxHz: 4 }, { maxHz: 1 }, false]);
    // The run view knows a headless run sends no frames (the canvas keeps no sparkline place for it).
    expect(w.run.getState().probes).toBe(false);
  });
});

/** The widest step between two neighbouring points of a series. */
function largestGap(s: readonly (readonly [number, number])[]): number {
  return s.slice(1).reduce((m, p, i) => Math.max(m, p[0] - s[i][0]), 0);
}
