import { describe, expect, it } from 'vitest';
import type { DecisionBoundary, ProbeFrame } from '../../../src-engine/protocol';
import { EXPLODING_GRAD, LIGHT, PATH_SCALE, boundaryPixels, confusionCells, confusionRestricted, confusionShown, distributionPaths, drawingFromSample, exportedChartPatch, gradColour, gradFlowGeometry, gradientFlow, histogramPath, imagePixels, lossChartOption, rateLabel, toGrid } from '../../../src-renderer/src/training/charts';
import { SPARK_H, SPARK_W, overlaysOf } from '../../../src-renderer/src/training/overlay';

const hist = { min: 0, max: 1, counts: [1, 2] };
const stats = { count: 3, mean: 0.5, std: 0.1, min: 0, max: 1, zeroFrac: 0, nonFinite: 0 };
const param = (nodeId: string, name: string, gradNorm: number | null) => ({ nodeId, name, shape: [2], gradNorm, gradMeanAbs: gradNorm, weightNorm: 1, updateRatio: 1e-3, weightHist: hist, weightStats: stats });

function frameWith(params: ProbeFrame['params'], layers: ProbeFrame['layers'] = [], health: ProbeFrame['health'] = []): ProbeFrame {
  return { runId: 'r', seq: 0, step: 1, epoch: 1, loss: 1, layers, params, health, costMs: 1 };
}

describe('gradient flow', () => {
  it('one bar per parameterized layer (weight and bias together), in frame order, with bands', () => {
    const bars = gradientFlow(
      frameWith([param('fc1', 'weight', 3), param('fc1', 'bias', 4), param('fc2', 'weight', 1e-6), param('fc3', 'weight', 5e3), param('fc4', 'weight', null)]),
    );
    expect(bars.map((b) => b.nodeId)).toEqual(['fc1', 'fc2', 'fc3', 'fc4']);
    expect(bars[0].gradNorm).toBeCloseTo(5, 12);
    // fc2 is < 1e-4 of the largest non-exploding norm (5); fc3's explosion does not count toward that.
    expect(bars.map((b) => b.band)).toEqual(['ok', 'vanishing', 'exploding', 'nonfinite']);
  });

  it('maps bars to a log-scale chart with the vanishing and exploding ranges shaded', () => {
    const bars = gradientFlow(frameWith([param('fc1', 'weight', 0.5), param('fc2', 'weight', 2e-3), param('fc3', 'weight', null)]));
    const g = gradFlowGeometry(bars);
    expect(g.bars.map((b) => b.nodeId)).toEqual(['fc1', 'fc2', 'fc3']);
    // Whole decades from below the vanishing line (0.5 × 1e-4) to above the exploding line (a non-finite bar is drawn there).
    expect(g.lo).toBe(-5);
    expect(g.hi).toBe(4);
    expect(g.bars[0].frac).toBeCloseTo((Math.log10(0.5) + 5) / 9, 12);
    expect(g.bars[1].frac).toBeCloseTo((Math.log10(2e-3) + 5) / 9, 12);
    expect(g.bars[2]).toMatchObject({ frac: 1, band: 'nonfinite', gradNorm: null });
    expect(g.vanishingTop).toBeCloseTo((Math.log10(0.5e-4) + 5) / 9, 12);
    expect(g.explodingBottom).toBeCloseTo((Math.log10(EXPLODING_GRAD) + 5) / 9, 12);
    expect(g.ticks).toEqual([-5, -3, -1, 1, 3]);
  });

  it('a healthy chart stops below the exploding range, so none is shaded', () => {
    const g = gradFlowGeometry(gradientFlow(frameWith([param('fc1', 'weight', 3), param('fc2', 'weight', 0.02)])));
    expect(g.lo).toBe(-4);
    expect(g.hi).toBe(1);
    expect(g.explodingBottom).toBeUndefined();
    expect(g.bars[0].frac).toBeCloseTo((Math.log10(3) + 4) / 5, 12);
    expect(g.ticks).toEqual([-4, -3, -2, -1, 0, 1]);
  });

  it('a frozen layer (fine-tuning) is drawn as frozen, full height, and does not make the others vanishing or itself vanish', () => {
    // A frozen backbone gets no gradient (0): without the flag it would be the one "vanishing" bar.
    const bars = gradientFlow(frameWith([{ ...param('conv1', 'weight', 0), frozen: true }, param('fc', 'weight', 2e-3)]));
    expect(bars.map((b) => [b.nodeId, b.band])).toEqual([
      ['conv1', 'frozen'],
      ['fc', 'ok'],
    ]);
    expect(gradFlowGeometry(bars).bars[0].frac).toBe(1);
  });

  it('no frame, no bars', () => expect(gradientFlow(undefined)).toEqual([]));
});

describe('chart options from run series', () => {
  it('places validation points at the last step of their epoch', () => {
    const o = lossChartOption(LIGHT, { loss: [[1, 2]], batchLoss: [[1, 2.2]], valLoss: [[1, 1.5], [2, 1.2]], stepsPerEpoch: 100 }) as { series: { name: string; data: unknown }[] };
    expect(o.series.map((s) => s.name)).toEqual(['batch loss', 'train loss (epoch mean)', 'val loss']);
    expect(o.series[2].data).toEqual([[100, 1.5], [200, 1.2]]);
    expect(o.series[1].data).toEqual([[1, 2]]);
  });
});

describe('drawing helpers', () => {
  it('histogram bars scale to the tallest bin and skip empty bins, in whole units', () => {
    expect(histogramPath({ min: 0, max: 1, counts: [2, 0, 1] }, 240, 100)).toBe('M0 100h79v-100h-79zM160 100h79v-50h-79z');
    expect(histogramPath({ min: 0, max: 1, counts: [0, 0] }, 30, 10)).toBe('');
    // A bin of a few outliers stays visible: at least one unit tall.
    expect(histogramPath({ min: 0, max: 1, counts: [1000, 1] }, 240, 100)).toBe('M0 100h119v-100h-119zM120 100h119v-1h-119z');
  });

  it('edge colours run blue → red on a log scale, magenta for non-finite', () => {
    expect(gradColour(1e-3, [1e-3, 1])).toBe('hsl(220, 75%, 50%)');
    expect(gradColour(1, [1e-3, 1])).toBe('hsl(0, 75%, 50%)');
    expect(gradColour(Math.sqrt(1e-3), [1e-3, 1])).toBe('hsl(110, 75%, 50%)');
    expect(gradColour(null, [1, 2])).toBe('#d63fd6');
    expect(gradColour(undefined, [1, 2])).toBeUndefined();
  });

  it('a decision-boundary grid maps class and confidence to colour; points land on the grid', () => {
    const b: DecisionBoundary = { x: [0, 2], y: [0, 2], width: 2, height: 1, classes: [0, 1], confidence: [1, 0.5] };
    const px = boundaryPixels(b, [[255, 0, 0], [0, 0, 255]], [255, 255, 255]);
    // Full confidence: 75% toward the class colour; chance (0.5 of 2 classes): 15%.
    expect([...px.slice(0, 4)]).toEqual([255, 64, 64, 255]);
    expect([...px.slice(4, 8)]).toEqual([217, 217, 255, 255]);
    // Row 0 is the top (largest y).
    expect(toGrid(b, 0, 2, [100, 100])).toEqual([0, 0]);
    expect(toGrid(b, 2, 0, [100, 100])).toEqual([100, 100]);
  });

  it('image rows become grey pixels; non-images are refused', () => {
    const img = imagePixels([0, 0.5, 1, 0.25], [1, 2, 2], [0, 1]);
    expect(img?.width).toBe(2);
    expect([...(img?.data ?? [])].filter((_, i) => i % 4 === 0)).toEqual([0, 128, 255, 64]);
    expect(imagePixels([1, 2, 3], [3])).toBeUndefined();
    expect(imagePixels([1, 2, 3], [1, 2, 2])).toBeUndefined();
  });

  it('confusion cells carry counts and the share of their true class', () => {
    expect(confusionCells([[3, 1], [0, 0]])).toEqual([
      { row: 0, col: 0, count: 3, share: 0.75 },
      { row: 0, col: 1, count: 1, share: 0.25 },
      { row: 1, col: 0, count: 0, share: 0 },
      { row: 1, col: 1, count: 0, share: 0 },
    ]);
  });

  it("a confusion matrix of many classes shows the most frequent true classes, each row's other predictions in a 'rest' column", () => {
    // Four classes, at most two shown: classes 1 and 3 have the most samples (rows 9 and 12).
    const m = [
      [1, 0, 0, 0],
      [0, 5, 1, 3],
      [0, 0, 2, 0],
      [4, 2, 0, 6],
    ];
    const shown = confusionShown(m, [' ', 'a', '\n', 'b'], 2);
    expect(shown).toEqual({ classes: [1, 3], names: ['a', 'b', 'rest'], other: true });
    // Rows keep all their class's samples: 5 + 3 + 1 (class 2, left out) = 9.
    expect(confusionRestricted(m, shown)).toEqual([
      [5, 3, 1],
      [2, 6, 4],
    ]);
    // Up to the limit: every class in its order, a character's space and newline made visible.
    expect(confusionShown(m, [' ', 'a', '\n', 'b'], 4)).toEqual({ classes: [0, 1, 2, 3], names: ['␣', 'a', '↵', 'b'], other: false });
    expect(confusionRestricted(m, { classes: [0, 1, 2, 3], other: false })).toEqual(m);
  });
});

describe('canvas overlays', () => {
  it('are computed once per frame (stable objects for the node selectors) and carry health warnings', () => {
    const f = frameWith(
      [],
      [
        { nodeId: 'fc1', op: 'Linear', shape: [2], hist, stats, gradNorm: 1 },
        { nodeId: 'relu1', op: 'ReLU', shape: [2], hist, stats, deadFrac: 0.75, gradNorm: 0.01 },
      ],
      [{ code: 'HEALTH_DEAD_RELU', severity: 'warning', nodeId: 'relu1', message: '75% dead', fix: 'He init' }],
    );
    const a = overlaysOf(f);
    expect(overlaysOf(f)).toBe(a);
    expect(a?.get('relu1')?.health.map((h) => h.code)).toEqual(['HEALTH_DEAD_RELU']);
    expect(a?.get('fc1')?.health).toEqual([]);
    expect(a?.get('fc1')?.edgeColour).toBe('hsl(0, 75%, 50%)');
    expect(a?.get('relu1')?.edgeColour).toBe('hsl(220, 75%, 50%)');
    expect(a?.get('relu1')?.deadFrac).toBe(0.75);
    // The sparkline, drawn when a node reads it, once.
    const fc1 = a?.get('fc1');
    expect(fc1?.path).toBe(histogramPath(f.layers[0].hist, SPARK_W * PATH_SCALE, SPARK_H * PATH_SCALE));
    expect(fc1?.path).toBe(fc1?.path);
    expect(overlaysOf(undefined)).toBeUndefined();
  });
});

describe('distribution over time', () => {
  it('draws the 10–90% band and the median across the steps, scaled to the band', () => {
    const d = distributionPaths(
      [
        [0, 0, 1, 2],
        [10, 1, 2, 4],
      ],
      100,
      40,
    );
    expect([d.lo, d.hi]).toEqual([0, 4]);
    expect(d.band).toBe('M0 20L100 0L100 30L0 40Z');
    expect(d.median).toBe('M0 30L100 20');
    expect(distributionPaths([], 10, 10).band).toBe('');
  });
});

describe('the Playground drawing of a picked test sample', () => {
  it('is the sample scaled to 0..1 (background 0, brightest stroke 1), so the canvas shows the digit picked', () => {
    // An MNIST-like sample as fed: (x - 0.1307) / 0.3081, background at -0.4242.
    const raw = [0, 0, 0.5, 1, 0.25, 0];
    const fed = raw.map((v) => (v - 0.1307) / 0.3081);
    const d = drawingFromSample(fed, 6);
    raw.forEach((v, i) => expect(d[i]).toBeCloseTo(v, 6));
  });

  it('a flat, short or non-finite sample draws nothing rather than NaN', () => {
    expect([...drawingFromSample([0.3, 0.3, 0.3, 0.3], 4)]).toEqual([0, 0, 0, 0]);
    expect([...drawingFromSample([1, 2], 4)]).toEqual([0, 0, 0, 0]);
    expect([...drawingFromSample([0, Number.NaN, 2, 1], 4)]).toEqual([0, 0, 1, 0.5]);
  });
});

describe('the learning-rate axis', () => {
  it('labels neighbouring ticks distinctly (0.0015 and 0.002 both read "2e-3" before) and 0 as 0', () => {
    const ticks = [0, 0.0005, 0.001, 0.0015, 0.002];
    const labels = ticks.map(rateLabel);
    expect(labels).toEqual(['0', '5e-4', '1e-3', '1.5e-3', '2e-3']);
    expect(new Set(labels).size).toBe(ticks.length);
  });
});

describe('a compared chart saved as a PNG (#44 item 8)', () => {
  it('carries a legend naming every run and both axis titles, and puts the chart back after', () => {
    const option = { grid: { left: 52, top: 24 }, xAxis: { type: 'value', name: 'epoch' }, yAxis: { type: 'value' }, series: [{ name: '…RNN, T = 10' }, { name: '…LSTM, T = 10' }, { name: '…RNN, T = 30' }, { name: '…LSTM, T = 30' }] };
    const { show, hide } = exportedChartPatch(LIGHT, option, 'training loss') as { show: Record<string, Record<string, unknown>>; hide: Record<string, Record<string, unknown>> };
    expect(show.legend).toMatchObject({ show: true, data: ['…RNN, T = 10', '…LSTM, T = 10', '…RNN, T = 30', '…LSTM, T = 30'] });
    expect(show.xAxis.name).toBe('epoch');
    expect(show.yAxis.name).toBe('training loss');
    // The plot moves down to make room for the legend's rows, and comes back.
    expect(show.grid.top as number).toBeGreaterThan(24 + 18);
    expect(hide).toMatchObject({ legend: { show: false }, grid: { top: 24, left: 52 }, xAxis: { name: 'epoch' }, yAxis: { name: '' } });
  });
});
