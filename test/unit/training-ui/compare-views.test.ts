import { describe, expect, it } from 'vitest';
import { confusionLabels, curvesCsv, fitRunName, forLogAxis, gradFlowBars, lossMismatch, runLabels, tooltipHeader, type RunMeta, type StoredRun } from '../../../src-renderer/src/training/compare';
import { columnHigherIsBetter, hparamColumns, hparamText, parallelColumns, parallelOption, sortByColumn } from '../../../src-renderer/src/training/hparams';
import { LIGHT } from '../../../src-renderer/src/training/charts';

describe('Compare draws what the live views draw, labelled', () => {
  it('the gradient flow rises from the bottom of a log axis, as the live chart does (norms below 1 are not drawn downwards)', () => {
    const g = gradFlowBars([new Map([['fc1', 1e-3], ['fc2', 1e-1]]), new Map([['fc1', 1e-5], ['fc2', null]])]);
    expect(g.layers).toEqual(['fc1', 'fc2']);
    // Every bar is a height above the axis' bottom (10^lo), taller for a bigger norm; NaN/Inf a full bar.
    for (const row of g.heights) for (const h of row) expect(h).toBeGreaterThanOrEqual(0);
    expect(g.heights[0][1]!).toBeGreaterThan(g.heights[0][0]!);
    expect(g.heights[0][0]!).toBeGreaterThan(g.heights[1][0]!);
    expect(g.heights[1][1]).toBe(g.hi - g.lo);
    expect(g.heights[0][0]).toBeCloseTo(-3 - g.lo, 10);
  });

  it('confusion matrices are labelled with the run\'s classes (digits), else with the class indices', () => {
    expect(confusionLabels(['0', '1', '2'], 3)).toEqual(['0', '1', '2']);
    expect(confusionLabels(['setosa', 'versicolor'], 2)).toEqual(['setosa', 'versicolor']);
    expect(confusionLabels(undefined, 3)).toEqual(['0', '1', '2']);
    expect(confusionLabels(['a'], 2)).toEqual(['0', '1']);
  });

  it('a tooltip is headed by a whole step (not 57.99999), an epoch to 2 decimals, seconds to 1', () => {
    expect(tooltipHeader(57.99999, 'step')).toBe('step 58');
    expect(tooltipHeader(1.23456, 'epoch')).toBe('epoch 1.23');
    expect(tooltipHeader(12.345, 'time')).toBe('12.3 s');
  });

  it('a sweep run\'s long name gives way at its head, never mid-number', () => {
    const name = 'A rather long design name for an MLP on MNIST digits · optimizer.lr = 0.00012345 · seed 2';
    const fit = fitRunName(name, 48);
    expect(fit.length).toBeLessThanOrEqual(48);
    expect(fit.endsWith('optimizer.lr = 0.00012345 · seed 2')).toBe(true);
    expect(fit).toContain('…');
    // A name that is one long number-ending part is cut before the number, not inside it.
    expect(fitRunName('Untitled design with many words · fc1.outFeatures = 123456789012345678901234567890123456', 40)).not.toMatch(/\d…/);
    expect(fitRunName('short · lr = 0.1', 48)).toBe('short · lr = 0.1');
    const meta = (name: string) => ({ name, createdAt: '2026-01-01T00:00:00Z', settings: { training: {}, backend: '', appVersion: '' } }) as unknown as RunMeta;
    // Two runs that differ in their seed alone: the shared head gives way to the whole part they differ in.
    expect(runLabels([meta(name), meta(`${name}0`)])).toEqual(['…seed 2', '…seed 20']);
  });
});

describe('curves to export and to read on one axis', () => {
  it('CSV: one row per point, run names quoted when they hold a comma', () => {
    expect(curvesCsv('step', 'loss', ['a', 'b, c'], [[[1, 0.5], [2, 0.25]], [[1, 0.75]]])).toBe('run,step,loss\na,1,0.5\na,2,0.25\n"b, c",1,0.75\n');
  });

  it('a log axis leaves out the values it cannot draw', () => {
    expect(forLogAxis([[1, 0.5], [2, 0], [3, -1], [4, 2]])).toEqual([[1, 0.5], [4, 2]]);
  });

  it('runs that minimise different losses get a warning; the same loss does not', () => {
    const run = (op: string) => ({ meta: {}, graph: { nodes: [{ id: 'loss', op }], training: { loss: 'loss' } } }) as unknown as StoredRun;
    expect(lossMismatch([run('CrossEntropyLoss'), run('CrossEntropyLoss')], ['a', 'b'])).toBeUndefined();
    expect(lossMismatch([run('CrossEntropyLoss'), run('MSELoss'), run('MSELoss')], ['a', 'b', 'c'])).toBe(
      'These runs minimise different losses: CrossEntropyLoss (a); MSELoss (b, c). Their loss values are on different scales; compare their metrics instead.',
    );
  });
});

describe('the hyperparameter table (TensorBoard HParams)', () => {
  const run = (id: string, lr: number, batchSize: number, val: number, test: number, extra: Record<string, unknown> = {}) =>
    ({ id, name: `run ${id}`, status: 'done', createdAt: '2026-01-01T00:00:00Z', settings: { training: { optimizer: { kind: 'adam', lr }, batchSize, epochs: 2, seed: 1, dataset: { name: 'mnist' }, ...extra }, backend: 'CPU', appVersion: '1' }, summary: { steps: 10, epochs: 2, seconds: 3, metrics: { val: { accuracy: val, loss: 1 - val }, test: { accuracy: test } } } }) as unknown as RunMeta;
  const runs = [run('a', 0.1, 32, 0.9, 0.91), run('b', 0.001, 64, 0.95, 0.9), run('c', 0.01, 32, 0.8, 0.97, { evaluation: 'train' }), { ...run('d', 0.01, 32, 0, 0), summary: undefined } as RunMeta];

  it('columns: the usual settings, what differs, then the results', () => {
    expect(hparamColumns(runs).map((c) => `${c.kind}:${c.key}:${c.numeric}`)).toEqual([
      'setting:optimizer.kind:false',
      'setting:optimizer.lr:true',
      'setting:batchSize:true',
      'setting:epochs:true',
      'setting:evaluation:false',
      'result:val.accuracy:true',
      'result:val.loss:true',
      'result:test.accuracy:true',
      'result:steps:true',
      'result:seconds:true',
    ]);
  });

  it('sorts by any column either way, runs without a value last', () => {
    expect(sortByColumn(runs, 'val.accuracy', 'desc').map((r) => r.id)).toEqual(['b', 'a', 'c', 'd']);
    expect(sortByColumn(runs, 'val.accuracy', 'asc').map((r) => r.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(sortByColumn(runs, 'optimizer.lr', 'asc').map((r) => r.id)).toEqual(['b', 'c', 'd', 'a']);
    expect(columnHigherIsBetter('val.loss')).toBe(false);
    expect(columnHigherIsBetter('val.accuracy')).toBe(true);
    expect(hparamText(runs[1], 'optimizer.lr')).toBe('0.001');
    expect(hparamText(runs[3], 'val.accuracy')).toBe('–');
    // A setting a run leaves out reads as what leaving it out means.
    expect([hparamText(runs[0], 'evaluation'), hparamText(runs[2], 'evaluation')]).toEqual(['eval', 'train']);
  });

  it('parallel coordinates: an axis per column (log for a rate over decades, categories for names), a line per run coloured by the result', () => {
    const cols = hparamColumns(runs);
    const o = parallelOption(LIGHT, runs, cols, runs.map((r) => r.name), 'val.accuracy') as { parallelAxis: { name: string; type: string }[]; series: { type: string; data: { value: unknown[]; lineStyle: { color: string } }[] }[] };
    expect(o.parallelAxis.map((a) => `${a.name}:${a.type}`)).toContain('lr:log');
    expect(o.parallelAxis.find((a) => a.name === 'kind')?.type).toBe('category');
    // Only the settings that differ and the validation and test results are drawn as axes.
    expect(parallelColumns(runs, cols).map((c) => c.key)).toEqual(['optimizer.lr', 'batchSize', 'evaluation', 'val.accuracy', 'val.loss', 'test.accuracy']);
    expect(o.series[0].type).toBe('parallel');
    expect(o.series[0].data).toHaveLength(4);
    expect(o.series[0].data[1].value[cols.findIndex((c) => c.key === 'optimizer.lr')]).toBe(0.001);
    // The best by validation accuracy (b) is drawn in the accent, the worst (c) in the muted colour.
    expect(o.series[0].data[1].lineStyle.color).toBe(LIGHT.accent);
    expect(o.series[0].data[2].lineStyle.color).toBe(LIGHT.muted);
  });

  it("every project's runs: no axis for a path, a digest or an id, and no more setting axes than are readable (#44 item 8)", () => {
    const hex = (i: number) => `${i}f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`;
    const many = Array.from({ length: 8 }, (_, i) =>
      run(`p${i}`, 10 ** -(i % 4), 16 * (1 + (i % 3)), 0.5 + i / 20, 0.5, {
        epochs: 1 + i,
        seed: i,
        loss: `loss${i}`,
        weightDecay: i * 1e-4,
        gradClip: 1 + i,
        dataset: { name: ['mnist', 'moons', 'adding'][i % 3], options: { path: `data/${i}.csv`, fingerprint: hex(i), samples: 100 * (i + 1), length: 10 + i, noise: i / 10 }, validationSplit: 0.1 + i / 100 },
        schedule: { kind: 'cosine', warmupSteps: i },
        runId: `r-${i}`,
      }),
    );
    const cols = hparamColumns(many).map((c) => c.key);
    for (const k of ['dataset.options.path', 'dataset.options.fingerprint', 'loss', 'runId']) expect(cols).not.toContain(k);
    const axes = parallelColumns(many, hparamColumns(many));
    const settings = axes.filter((c) => c.kind === 'setting').map((c) => c.key);
    expect(settings.length).toBeLessThanOrEqual(7);
    // The usual ones first: what people tune.
    expect(settings.slice(0, 3)).toEqual(['optimizer.lr', 'batchSize', 'epochs']);
    expect(axes.filter((c) => c.kind === 'result').map((c) => c.key)).toEqual(['val.accuracy', 'val.loss', 'test.accuracy']);
  });
});
