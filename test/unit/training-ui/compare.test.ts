import { describe, expect, it } from 'vitest';
import { densityPoints, epochPoints, gradNorms, lossPoints, runLabels, settingsRows, sharedEpochMetrics, smoothEma } from '../../../src-renderer/src/training/compare';
import { emptyRun, reduceRun } from '../../../src-renderer/src/training/model';
import { storedHistory } from '../../../src-renderer/src/training/stored-history';

const training = (optimizer: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  dataset: { name: 'mnist', options: { normalize: 'global' } },
  loss: 'loss',
  optimizer,
  batchSize: 64,
  epochs: 1,
  seed: 1,
  metrics: ['accuracy'],
  ...extra,
});
const meta = (name: string, t: Record<string, unknown>, createdAt = '2026-11-22T10:00:00Z') => ({ name, createdAt, settings: { training: t as never, backend: 'CPU', appVersion: '0.1.0' } });

describe('comparing runs', () => {
  it('the settings table has one row per setting any run has; differs marks exactly the ones that tell them apart', () => {
    const rows = settingsRows([meta('a', training({ kind: 'adam', lr: 0.001 })), meta('b', training({ kind: 'sgd', lr: 0.001, momentum: 0.9 }))]);
    expect(rows.filter((r) => r.differs).map((r) => [r.key, r.values])).toEqual([
      ['optimizer.kind', ['adam', 'sgd']],
      ['optimizer.momentum', ['–', '0.9']],
    ]);
    expect(rows.find((r) => r.key === 'dataset.options.normalize')).toEqual({ key: 'dataset.options.normalize', values: ['global', 'global'], differs: false });
    expect(rows.find((r) => r.key === 'metrics')?.values).toEqual(['[accuracy]', '[accuracy]']);
  });

  it('legends name runs of one design by what differs, and by start time when nothing does', () => {
    const a = meta('MLP', training({ kind: 'adam', lr: 0.001 }), '2026-11-22T10:00:00Z');
    const b = meta('MLP', training({ kind: 'sgd', lr: 0.01 }), '2026-11-22T10:01:00Z');
    expect(runLabels([a, b])).toEqual(['adam · lr 0.001', 'sgd · lr 0.01']);
    expect(runLabels([a, meta('CNN', training({ kind: 'adam', lr: 0.001 }))])).toEqual(['MLP', 'CNN']);
    const [x, y] = runLabels([a, { ...a, createdAt: '2026-11-22T10:05:00Z' }]);
    expect(x).not.toBe(y);
  });

  it('legends of runs whose names share a long head show what tells them apart: the six adding-problem runs (#44 item 8)', () => {
    const title = 'RNN vs LSTM on long sequences: the adding problem';
    const six = [10, 30, 100].flatMap((t) => ['RNN', 'LSTM'].map((op) => meta(`${title} — ${op}, T = ${t}`, training({ kind: 'adam', lr: 0.01 }))));
    expect(runLabels(six)).toEqual(['…RNN, T = 10', '…LSTM, T = 10', '…RNN, T = 30', '…LSTM, T = 30', '…RNN, T = 100', '…LSTM, T = 100']);
    // A short shared head is kept, as is a name that is all head.
    expect(runLabels([meta('MLP a', training({})), meta('MLP b', training({}))])).toEqual(['MLP a', 'MLP b']);
    expect(runLabels([meta('Adding problem, RNN', training({})), meta('Adding problem, RNN T = 30', training({}))])).toEqual(['…RNN', '…RNN T = 30']);
  });

  it("TensorBoard's debiased EMA: the first value is kept, a constant stays constant, nulls pass through", () => {
    expect(smoothEma([5, 5, 5], 0.9)).toEqual([5, 5, 5].map((v) => expect.closeTo(v, 12)));
    const s = smoothEma([1, null, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeNull();
    // (0.5·(0.5·0 + 0.5·1) + 0.5·3) / (1 − 0.25) = 1.75 / 0.75
    expect(s[2]).toBeCloseTo(1.75 / 0.75, 12);
    expect(smoothEma([1, 2], 0)).toEqual([1, 2]);
  });

  it('curves by step, epoch or wall time; at most `max` points, the last always kept', () => {
    const run = { curve: { step: [1, 2, 3, 4, 5], epoch: [1, 1, 1, 1, 1], loss: [5, 4, null, 2, 1], lr: [1, 1, 1, 1, 1], t: [0.1, 0.2, 0.3, 0.4, 0.5] }, epochs: [{ epoch: 1, step: 5, t: 0.5, metrics: { val: { accuracy: 0.9, loss: 0.3 } } }] };
    expect(lossPoints(run, 'step', 0)).toEqual([[1, 5], [2, 4], [4, 2], [5, 1]]);
    expect(lossPoints(run, 'epoch', 0).map((p) => p[0])).toEqual([0.2, 0.4, 0.8, 1]);
    expect(lossPoints(run, 'time', 0, 2)).toEqual([[0.1, 5], [0.5, 1]]);
    expect(epochPoints(run, 'val', 'accuracy', 'epoch')).toEqual([[1, 0.9]]);
    expect(sharedEpochMetrics([run, { epochs: [{ epoch: 1, step: 1, t: 0, metrics: { val: { loss: 1 } } }] }])).toEqual(['loss']);
  });

  it('histograms overlay as densities (area 1), and gradient norms add up per layer', () => {
    const d = densityPoints({ min: 0, max: 2, counts: Uint32Array.of(1, 3) });
    expect(d).toEqual([[0.5, 0.25], [1.5, 0.75]]);
    expect(d.reduce((a, [, y]) => a + y * 1, 0)).toBeCloseTo(1, 12);
    const p = (nodeId: string, gradNorm: number | null) => ({ nodeId, name: 'w', shape: [1], gradNorm, gradMeanAbs: 0, weightNorm: 0, updateRatio: 0, weightHist: { min: 0, max: 1, counts: [1] }, weightStats: { count: 1, mean: 0, std: 0, min: 0, max: 0, zeroFrac: 0, nonFinite: 0 } });
    const frame = { step: 1, epoch: 1, loss: 1, layers: [], health: [], costMs: 0, params: [p('fc1', 3), p('fc1', 4), p('fc2', null), p('fc2', 1)] };
    expect([...gradNorms(frame)]).toEqual([['fc1', 5], ['fc2', null]]);
  });
});

describe('the run view follows the design on the canvas', () => {
  const start = { runId: 'run-1', backend: 'CPU', stepsPerEpoch: 10, epochs: 1, batchSize: 8, task: 'classification' as const, classNames: [], probeSamples: { shape: [2], inputs: [], targets: [] } };

  it('opening another design forgets an ended run, not a live one', () => {
    const live = reduceRun(reduceRun(emptyRun, { type: 'starting', graph: { format: 'netwright.graph', version: 2, nodes: [], outputs: {} } }), { type: 'started', result: start });
    expect(live.graph?.version).toBe(2);
    expect(reduceRun(live, { type: 'clear' })).toBe(live);
    const done = reduceRun(live, { type: 'done', data: { runId: 'run-1' } as never });
    expect(reduceRun(done, { type: 'clear' })).toBe(emptyRun);
  });

  it('a stored run opens with its curves, result and start info; the timeline swaps its frame; a live run is never replaced', () => {
    const meta = { format: 'netwright.run' as const, version: 1, id: '20261122-100000-abcd', name: 'moons', notes: '', createdAt: '', status: 'crashed' as const, pid: 1, settings: { training: {} as never, backend: 'CPU', appVersion: '0.1.0' }, summary: { steps: 3, epochs: 1, seconds: 2, metrics: { test: { loss: 0.2, accuracy: 0.9 } } } };
    const run = { meta, graph: { format: 'netwright.graph', version: 2, nodes: [], outputs: {} }, curve: { step: [1, 2, 3], epoch: [1, 1, 1], loss: [2, 1.5, 1], lr: [0.1, 0.1, 0.1], t: [0, 1, 2] }, epochs: [], frameSteps: [1, 3], start: { ...start, runId: 'run-7' } };
    const s = reduceRun(emptyRun, { type: 'view-stored', run, history: storedHistory(run) });
    expect(s).toMatchObject({ phase: 'failed', runId: 'stored:20261122-100000-abcd', stored: { id: meta.id, frameSteps: [1, 3] }, info: { runId: 'stored:20261122-100000-abcd', stepsPerEpoch: 10 }, done: { steps: 3, test: { accuracy: 0.9 } }, error: { code: 'E_RUN_CRASHED' } });
    const frame = { step: 1, epoch: 1, loss: 2, layers: [], params: [], health: [], costMs: 1 };
    const f = reduceRun(s, { type: 'stored-frame', id: meta.id, frame });
    expect(f.frame).toMatchObject({ step: 1, runId: s.runId, seq: 0 });
    expect(f.stored?.step).toBe(1);
    expect(reduceRun(f, { type: 'stored-frame', id: 'another', frame })).toBe(f);
    const live = reduceRun(emptyRun, { type: 'started', result: start });
    expect(reduceRun(live, { type: 'view-stored', run, history: storedHistory(run) })).toBe(live);
  });

  it('a stored resumed run says where it started: its summary counts its own steps over its own seconds', () => {
    const meta = { format: 'netwright.run' as const, version: 1, id: '20261122-110000-abcd', name: 'moons', notes: '', createdAt: '', status: 'done' as const, pid: 1, settings: { training: {} as never, backend: 'CPU', appVersion: '0.1.0' }, resumedFrom: { runId: '20261122-100000-abcd', step: 800, epoch: 34 }, summary: { steps: 1200, epochs: 50, seconds: 4, metrics: {} } };
    const run = { meta, graph: { format: 'netwright.graph', version: 2, nodes: [], outputs: {} }, curve: { step: [801, 1200], epoch: [35, 50], loss: [1, 0.5], lr: [0.1, 0.1], t: [0, 4] }, epochs: [], frameSteps: [] };
    expect(reduceRun(emptyRun, { type: 'view-stored', run, history: storedHistory(run) }).done).toMatchObject({ steps: 1200, fromStep: 800, seconds: 4 });
    const fresh = { ...run, meta: { ...meta, resumedFrom: undefined } };
    expect(reduceRun(emptyRun, { type: 'view-stored', run: fresh, history: storedHistory(fresh) }).done?.fromStep).toBeUndefined();
  });

  it('a run killed mid-run (no summary) says the step and epoch it reached, where its step counter has no figure', () => {
    const meta = { format: 'netwright.run' as const, version: 1, id: '20261122-100000-abcd', name: 'moons', notes: '', createdAt: '', status: 'crashed' as const, pid: 1, settings: { training: {} as never, backend: 'CPU', appVersion: '0.1.0' } };
    const run = { meta, graph: { format: 'netwright.graph', version: 2, nodes: [], outputs: {} }, curve: { step: [1, 2, 805], epoch: [1, 1, 34], loss: [2, 1.5, 1], lr: [0.1, 0.1, 0.1], t: [0, 1, 2] }, epochs: [], frameSteps: [1] };
    const s = reduceRun(emptyRun, { type: 'view-stored', run, history: storedHistory(run) });
    expect(s.done).toBeUndefined();
    expect(s.error).toEqual({ code: 'E_RUN_CRASHED', message: 'This run crashed at step 805 (epoch 34): its curves and frames up to the crash are shown.' });
  });

  it('a reloaded page attaches to the running run with its stored curves', () => {
    const history = storedHistory({
      curve: { step: [1, 2, 3], epoch: [1, 1, 2], loss: [2, null, 1], lr: [0.1, 0.1, 0.05], t: [0, 1, 2] },
      epochs: [{ epoch: 1, step: 3, t: 2, metrics: { train: { accuracy: 0.5 }, val: { accuracy: 0.6, loss: 1.5 } } }],
    });
    const s = reduceRun(emptyRun, { type: 'attached', result: start, state: 'paused', step: 3, history });
    // The epoch mean restarts with epoch 2 (step 3); a non-finite loss is left out of it.
    expect(s).toMatchObject({ phase: 'paused', runId: 'run-1', loss: [[1, 2], [2, 2], [3, 1]], batchLoss: [[1, 2], [3, 1]], lr: [[1, 0.1], [2, 0.1], [3, 0.05]], valLoss: [[1, 1.5]], valMetric: [[1, 0.6]], trainMetric: [[1, 0.5]], metricName: 'accuracy' });
    // Attaching again to the same run (a second hello) changes nothing.
    expect(reduceRun(s, { type: 'attached', result: start, state: 'running', step: 9 })).toBe(s);
  });
});
