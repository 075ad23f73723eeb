import { describe, expect, it } from 'vitest';
import { emptyRun, reduceRun, type RunAction, type StartResult } from '../../../src-renderer/src/training/model';
import { metricChartOption, LIGHT } from '../../../src-renderer/src/training/charts';
import { storedHistory } from '../../../src-renderer/src/training/stored-history';

const start: StartResult = { runId: 'run-1', backend: 'CPU', stepsPerEpoch: 10, epochs: 1, batchSize: 4, task: 'classification', classNames: ['a', 'b'], probeSamples: { shape: [2], inputs: [[0, 1]], targets: [1] } };
const progress = (step: number, accuracy: number): RunAction => ({
  type: 'progress',
  data: { runId: 'run-1', epoch: 1, epochs: 1, step, stepInEpoch: step, stepsPerEpoch: 10, loss: 1, batchLoss: 1, metrics: { accuracy }, lr: 0.01, samplesPerSec: 100, etaSeconds: 1, state: 'running' },
});
const seriesData = (option: Record<string, unknown>, name: string) => (option.series as { name: string; data: unknown[] }[]).find((x) => x.name === name)?.data;

describe('a metric curve per step, not only per epoch', () => {
  it('a live run in its first epoch has an accuracy curve by step (the live chart is not empty)', () => {
    const s = [progress(3, 0.5), progress(6, 0.75)].reduce(reduceRun, reduceRun(emptyRun, { type: 'started', result: start }));
    expect(s.stepMetric).toEqual([[3, 0.5], [6, 0.75]]);
    expect(s.metricName).toBe('accuracy');
    const option = metricChartOption(LIGHT, s);
    expect(seriesData(option, 'train accuracy (epoch so far)')).toEqual([[3, 0.5], [6, 0.75]]);
  });

  it('a stored one-epoch run draws the same curve from its steps\' metrics (the mean of the epoch\'s batches so far)', () => {
    const h = storedHistory({
      curve: { step: [1, 2, 3, 4], epoch: [1, 1, 2, 2], loss: [2, 1, 1, 1], lr: [0.1, 0.1, 0.1, 0.1], t: [0, 1, 2, 3], metrics: { accuracy: [0.5, 1, null, 0.25] } },
      epochs: [],
    });
    expect(h.metricName).toBe('accuracy');
    expect(h.stepMetric).toEqual([[1, 0.5], [2, 0.75], [4, 0.25]]);
    const s = reduceRun(emptyRun, { type: 'attached', result: start, state: 'running', step: 4, history: h });
    expect(s.stepMetric).toEqual([[1, 0.5], [2, 0.75], [4, 0.25]]);
  });
});
