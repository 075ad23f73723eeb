/**
 * The Samples tab of a regression (the housing MLP, a table's price): its few values per sample
 * are numbers beside the true ones, not 1×1 "reconstruction" images; a reconstruction's stay drawn.
 * And Add data's preview of a table whose values to predict are far from 1 says so.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { rowText, ValueRows } from '../../../src-renderer/src/components/training/Samples';
import { TargetScale } from '../../../src-renderer/src/components/training/AddDataDialog';
import { DatasetFields, regressionTarget } from '../../../src-renderer/src/components/training/DatasetFields';
import type { DatasetConfig } from '../../../src-engine/facade';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { sampleValue, samplesAsNumbers } from '../../../src-renderer/src/training/charts';

describe("a regression's sample predictions", () => {
  it('are numbers for a few values per sample, an image for a reconstruction or many values', () => {
    expect(samplesAsNumbers({ kind: 'regression', shape: [1] })).toBe(true);
    expect(samplesAsNumbers({ kind: 'regression', shape: [8] })).toBe(true);
    expect(samplesAsNumbers({ kind: 'regression', shape: [1, 28, 28] })).toBe(false);
    expect(samplesAsNumbers({ kind: 'reconstruction', shape: [1] })).toBe(false);
  });

  it("show each sample's true values, the network's and the error, in 4 significant digits", () => {
    expect([512345, 2.28125, -0.041234, 0, 1.5e-5, 3e12].map(sampleValue)).toEqual(['512,300', '2.281', '-0.04123', '0', '1.500e-5', '3.000e+12']);
    const html = renderToStaticMarkup(<ValueRows outputs={[Float32Array.of(4.053), Float32Array.of(2)]} targets={[4.01, 2.5]} step={12} />);
    expect(html).toContain('data-testid="value-predictions" data-step="12"');
    // The error is the float32 output minus the truth (0.04300005…), shown to 4 digits.
    expect(html).toContain('<tr data-testid="value-prediction-0"><td>#1</td><td>4.01</td><td>4.053</td><td>0.043</td></tr>');
    expect(html).toContain('<td>2.5</td><td>2</td><td>-0.5</td>');
    // Several values a sample (an .npz's y of 2): one a line, and their mean absolute error.
    const several = renderToStaticMarkup(<ValueRows outputs={[Float32Array.of(1, 2)]} targets={[[1.5, 2]]} step={12} />);
    expect(several).toContain('<th>mean |error|</th>');
    expect(several).toContain('<td><span>1.5</span><span>2</span></td><td><span>1</span><span>2</span></td><td>0.25</td>');
  });
});

describe("a regression table's preview", () => {
  const table = (targetRange: [number, number]) => ({ rows: 400, columns: [{ name: 'price', kind: 'numeric' as const, missing: 0, distinct: 400, role: 'target' as const }], task: 'regression' as const, targetRange });

  it('says values far from 1 are learnt standardised and shown in their units (the default)', () => {
    const html = renderToStaticMarkup(<TargetScale table={table([149400, 1055283])} />);
    expect(html).toContain('data-standardized="true"');
    expect(html).toContain('price runs from 149,400 to 1,055,283. The network learns it standardised');
    expect(html).not.toContain('Divided by');
    expect(renderToStaticMarkup(<TargetScale table={table([0.5, 5.2])} />)).toBe('');
  });

  it('with the standardisation off, says they train slowly, and by what to divide them', () => {
    const html = renderToStaticMarkup(<TargetScale table={table([149400, 1055283])} standardized={false} />);
    expect(html).toContain('data-testid="add-data-target-scale"');
    expect(html).toContain('price runs from 149,400 to 1,055,283, and the design trains it in its own units');
    expect(html).toContain('divided by 1,000,000 in the file (0.1494 to 1.0553), it trains in a few epochs.');
    expect(renderToStaticMarkup(<TargetScale table={table([-2500, 40])} standardized={false} />)).toContain('divided by 1,000 in the file (-2.5 to 0.04)');
    // Values near 1 (the housing set's hundreds of thousands): nothing to say.
    expect(renderToStaticMarkup(<TargetScale table={table([0.5, 5.2])} standardized={false} />)).toBe('');
  });
});

describe("a table's sample as text", () => {
  it('names its columns with their values, a gap as missing, the first few where space is short', () => {
    const row = { Pclass: '1', Sex: 'female', Age: '', Fare: '71.28' };
    expect(rowText(row)).toBe('Pclass 1 · Sex female · Age (missing) · Fare 71.28');
    expect(rowText(row, 2)).toBe('Pclass 1 · Sex female · …');
  });
});

describe('the Target setting in the Train dock (#83)', () => {
  it('offers the target\'s standardisation for a regression (standardised by default, as loaded when off), not for a classifier or a reconstruction', () => {
    const html = (dataset: DatasetConfig) =>
      renderToStaticMarkup(
        <WindowStoresProvider stores={createWindowStores()}>
          <DatasetFields dataset={dataset} disabled={false} onChange={() => {}} />
        </WindowStoresProvider>,
      );
    expect(html({ name: 'housing' })).toMatch(/data-testid="ds-target-normalization"[^>]*>.*<option value="standard" selected="">standardised \(shown in its units\)<\/option>/);
    expect(html({ name: 'housing', targetNormalization: 'none' })).toContain('<option value="none" selected="">as loaded</option>');
    expect(html({ name: 'iris' })).not.toContain('ds-target-normalization');
    expect([regressionTarget('auto', { name: 'csv' }), regressionTarget('auto', { name: 'csv', options: { task: 'classification' } }), regressionTarget('regression', { name: 'waves', target: 'features' })]).toEqual([true, false, false]);
  });
});
