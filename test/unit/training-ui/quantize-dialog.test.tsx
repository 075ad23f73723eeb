/**
 * Export ▸ Quantize… (#85): the dialog offers the int8 format's own choices (the engine's export
 * table) and draws what `model.quantize` answers: float32 beside int8, the classes that moved, each
 * layer's sensitivity.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { QUANTIZE_SETTINGS } from '../../../src-engine/core/quantize/export-format';
import { QuantizeFigures } from '../../../src-renderer/src/components/QuantizeDialog';
import { int8Choices, showChange, showMetric, type QuantizeReport } from '../../../src-renderer/src/training/quantize';

const REPORT: QuantizeReport = {
  method: 'entropy',
  samples: 256,
  calibratedOn: 'mnist, its training split',
  testSamples: 1000,
  metric: 'accuracy',
  float: { metric: 0.894, bytes: 442_982 },
  int8: { metric: 0.895, bytes: 120_218 },
  changed: 5,
  moved: [
    { name: '8', samples: 97, float: 75, int8: 76, changed: 3 },
    { name: '<b>4</b>', samples: 98, float: 88, int8: 89, changed: 2 },
  ],
  sensitivity: [
    { layer: 'fc1', metric: 0.86, change: 0 },
    { layer: 'fc3', metric: 0.855, change: -0.005 },
  ],
};

describe('Export ▸ Quantize…', () => {
  it("draws float32 beside int8, the moved classes as text, and each layer's sensitivity", () => {
    const html = renderToStaticMarkup(<QuantizeFigures report={REPORT} />);
    expect(html).toContain('Calibrated (entropy) on 256 samples of mnist, its training split; measured on 1000 test samples.');
    expect(html).toMatch(/<tr data-row="metric"><th>accuracy<\/th><td>89\.40%<\/td><td>89\.50%<\/td><\/tr>/);
    expect(html).toMatch(/<tr data-row="size"><th>size \(ONNX\)<\/th><td>432\.6 KiB<\/td><td>117\.4 KiB \(27%\)<\/td><\/tr>/);
    // A class name is text, never markup.
    expect(html).toContain('8 75→76 right (3 changed), &lt;b&gt;4&lt;/b&gt; 88→89 right (2 changed)');
    expect([...html.matchAll(/data-layer="([^"]+)" data-change="([^"]+)"/g)].map((m) => [m[1], Number(m[2])])).toEqual([['fc1', 0], ['fc3', -0.005]]);
    expect(html).toContain('−0.50 points');
    expect([showMetric('mse', 0.11824), showChange('mse', 0.000323), showChange('accuracy', 0)]).toEqual(['0.1182', '+0.000323', '±0.00 points']);
  });

  it("offers the int8 format's choices as the engine's export table declares them", () => {
    const w = { exports: { getState: () => ({ formats: [{ id: 'onnx-int8', settings: QUANTIZE_SETTINGS.map((s) => ({ ...s, choices: [...s.choices] })) }] }) } } as unknown as Parameters<typeof int8Choices>[0];
    expect(int8Choices(w, 'method')).toEqual({ values: ['minmax', 'percentile', 'entropy'], default: 'minmax' });
    expect(int8Choices(w, 'samples')).toEqual({ values: ['64', '256', '1024'], default: '256' });
    const none = { exports: { getState: () => ({ formats: [] }) } } as unknown as Parameters<typeof int8Choices>[0];
    expect(int8Choices(none, 'method')).toBeUndefined();
  });
});
