/**
 * #83 deliverable 6: series from the UI. A CSV of weekly dates and values (co2_weekly.csv) was read
 * as a table, its date a category of 2,284 values, and stopped at a missing target (DATA_NAN); a
 * CSV of one column was DATA_CSV_EMPTY; gaps had no policy. Now the scan reads such a table as a
 * time series (the date column its index, missing weeks and empty cells counted), gaps are
 * refused, interpolated or dropped (options.gaps, --gaps), the window and horizon are the dataset's
 * options, and `netwright train --data` trains a series design on it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitToData } from '../../../../src-engine/core/analysis/data-fit';
import { csvSeries } from '../../../../src-engine/core/data/series';
import { readSeriesTable } from '../../../../src-engine/core/data/series-table';
import { scanData } from '../../../../src-engine/node/data-scan';
import { UNRESTRICTED } from '../../../../src-engine/node/data-access';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { main } from '../../../../src-engine/node/train-cli';
import type { GraphIR } from '../../../../src-engine/base/ir/types';

const tmp = () => mkdtempSync(join(tmpdir(), 'nw-series-table-'));
const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Weekly ppm from 1974-05-19, 300 weeks: `ppm(k) = 330 + 0.03 k`; the weeks in `missingWeeks` have
 * no row, the rows in `emptyWeeks` an empty value.
 */
function weekly(missingWeeks: readonly number[] = [], emptyWeeks: readonly number[] = []): string {
  const start = Date.UTC(1974, 4, 19);
  const rows = ['date,ppm'];
  for (let k = 0; k < 300; k++) {
    if (missingWeeks.includes(k)) continue;
    rows.push(`${iso(start + 7 * k * DAY)},${emptyWeeks.includes(k) ? '' : (330 + 0.03 * k).toFixed(2)}`);
  }
  return rows.join('\n') + '\n';
}

describe('a CSV series with a date column and gaps (#83)', () => {
  it('the date column is the index; a missing week and an empty value are gaps, refused by default naming the first', () => {
    const t = readSeriesTable(weekly(), { name: 'co2_weekly.csv' });
    expect(t.time).toEqual({ column: 'date', kind: 'dates', first: '1974-05-19', last: iso(Date.UTC(1974, 4, 19) + 299 * 7 * DAY), step: '7 days' });
    expect([t.column, t.values.length, t.gaps]).toEqual(['ppm', 300, { cells: 0, steps: 0 }]);
    // Week 40 has no row, week 100 an empty value.
    const gappy = weekly([40, 41], [100]);
    expect(() => readSeriesTable(gappy, { name: 'co2_weekly.csv' })).toThrow(
      expect.objectContaining({ code: 'DATA_SERIES_GAP', option: 'gaps', message: expect.stringMatching(/^co2_weekly\.csv: line 42: 2 time steps of 7 days missing after 1975-02-16, a gap in the series \(1 row without a value and 2 missing time steps in all\)\. Choose what to do with gaps: interpolate/) }),
    );
  });

  it('interpolate: the missing weeks and the empty value are filled on the line between their neighbours, the spacing kept', () => {
    const t = readSeriesTable(weekly([40, 41], [100]), { name: 'co2_weekly.csv', gaps: 'interpolate' });
    expect(t.values.length).toBe(300);
    expect(t.gaps).toEqual({ cells: 1, steps: 2 });
    // The series is a straight line: every filled value is on it.
    for (const k of [39, 40, 41, 42, 100]) expect(t.values[k]).toBeCloseTo(330 + 0.03 * k, 3);
    expect(t.notes[1]).toBe('1 row without a value and 2 missing time steps: filled on the straight line between the values either side');
  });

  it('drop: the row without a value is left out and the missing weeks are not filled', () => {
    const t = readSeriesTable(weekly([40, 41], [100]), { name: 'co2_weekly.csv', gaps: 'drop' });
    expect(t.values.length).toBe(297);
    expect(t.values[40]).toBeCloseTo(330 + 0.03 * 42, 3);
    expect(t.notes[1]).toMatch(/rows without a value left out; missing steps not filled \(a window may span a gap\)$/);
  });

  it('times that go back are refused naming the lines; a numeric time column is read by its name', () => {
    const swapped = 'date,ppm\n2020-01-01,1\n2020-01-15,2\n2020-01-08,3\n' + Array.from({ length: 30 }, (_, i) => `${iso(Date.UTC(2020, 1, 1) + i * 7 * DAY)},${i}`).join('\n');
    expect(() => readSeriesTable(swapped, { name: 's.csv' })).toThrow(expect.objectContaining({ code: 'DATA_SERIES_ORDER', message: expect.stringMatching(/^s\.csv: line 4: date 2020-01-08 does not come after 2020-01-15 \(line 3\)/) }));
    const years = readSeriesTable('year,level\n1990,1\n1991,2\n1993,4\n1994,5\n', { name: 'y.csv', gaps: 'interpolate' });
    expect([years.time?.column, years.time?.kind, Array.from(years.values)]).toEqual(['year', 'numbers', [1, 2, 3, 4, 5]]);
  });

  it('the series dataset reads it with options.gaps, window and horizon: the target is the value horizon steps after each window', () => {
    const dir = tmp();
    const file = join(dir, 'co2_weekly.csv');
    writeFileSync(file, weekly([40], []));
    expect(() => loadDataset({ name: 'series', options: { path: file, window: 8 } })).toThrow(expect.objectContaining({ code: 'DATA_SERIES_GAP' }));
    const loaded = loadDataset({ name: 'series', options: { path: file, window: 8, horizon: 4, gaps: 'interpolate' } });
    const { train } = loaded;
    expect(train.featureShape).toEqual([8, 1]);
    // Window 0 is weeks 0–7; its target week 11 (4 steps on from week 7).
    expect(train.features[7]).toBeCloseTo(330 + 0.03 * 7, 3);
    expect(train.targets[0]).toBeCloseTo(330 + 0.03 * 11, 3);
    expect(loaded.report!.notes[0]).toMatch(/^300 values, windows of 8, the value 4 steps after each to predict, split in time order: .*; a time series: ppm, in time order by date \(1974-05-19 to .*, a step of 7 days\); 1 missing time step: filled on the straight line between the values either side$/);
  });
});

describe('a CSV of one column (#83)', () => {
  it('is a series: read by the series set, and the scan answers it as one (it was DATA_CSV_EMPTY as a table)', async () => {
    const dir = tmp();
    const file = join(dir, 'levels.csv');
    writeFileSync(file, `level\n${Array.from({ length: 120 }, (_, i) => (Math.sin(i / 5) * 10 + 50).toFixed(3)).join('\n')}\n`);
    const { train, test } = csvSeries(readFileSync(file, 'utf8'), { name: 'levels.csv', window: 10 });
    expect([train.name, train.featureShape, train.count + (test?.count ?? 0) > 50]).toEqual(['levels.csv: level', [10, 1], true]);
    const r = await scanData({ scanId: 's', path: file }, { access: UNRESTRICTED });
    expect(r.kind).toBe('series');
    expect(r.problem).toBeUndefined();
    expect(r.timeSeries).toMatchObject({ values: 120, column: 'level', columns: ['level'], gaps: { cells: 0, steps: 0 }, policy: 'refuse', window: 20, horizon: 1 });
    expect(r.featureShape).toEqual([20, 1]);
    expect(r.dataset).toMatchObject({ name: 'series', options: { path: file } });
    // Read as a table when asked: no feature column, as before.
    const asTable = await scanData({ scanId: 't', path: file, kind: 'csv' }, { access: UNRESTRICTED });
    expect(asTable.problem?.code).toBe('DATA_CSV_EMPTY');
  });
});

describe('Add data on co2_weekly.csv (#83)', () => {
  it('scans it as a series by its date column, says the gaps and the fix; with a policy and a window it is ready, and fits an MLP as [window]', async () => {
    const dir = tmp();
    const file = join(dir, 'co2_weekly.csv');
    writeFileSync(file, weekly([40, 41], [100]));
    const r = await scanData({ scanId: 'a', path: file }, { access: UNRESTRICTED });
    expect(r.kind).toBe('series');
    expect(r.timeSeries).toMatchObject({ column: 'ppm', time: { column: 'date', kind: 'dates', step: '7 days' }, gaps: { cells: 1, steps: 2 }, policy: 'refuse' });
    expect(r.problem).toMatchObject({ code: 'DATA_SERIES_GAP', message: expect.stringMatching(/Choose one in “Gaps” above\.$/) });
    const ok = await scanData({ scanId: 'b', path: file, options: { gaps: 'interpolate', window: 12, horizon: 2 } }, { access: UNRESTRICTED });
    expect(ok.problem).toBeUndefined();
    expect(ok.timeSeries).toMatchObject({ values: 300, window: 12, horizon: 2, windows: { train: expect.any(Number), val: expect.any(Number), test: expect.any(Number) } });
    expect(ok.featureShape).toEqual([12, 1]);
    expect(ok.dataset).toMatchObject({ name: 'series', options: { path: file, gaps: 'interpolate', window: 12, horizon: 2, fingerprint: ok.fingerprint } });
    // A table of several columns stays a table (its preview offers the series).
    writeFileSync(join(dir, 'wide.csv'), `date,a,b\n${Array.from({ length: 40 }, (_, i) => `${iso(Date.UTC(2020, 0, 1) + i * DAY)},${i},${2 * i}`).join('\n')}\n`);
    expect((await scanData({ scanId: 'c', path: join(dir, 'wide.csv') }, { access: UNRESTRICTED })).kind).toBe('csv');
    // The housing MLP's Input [4] takes the windows as [12] values.
    const mlp: GraphIR = {
      format: 'netwright.graph',
      version: 4,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['x'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { prediction: 'fc', loss: 'loss' },
      training: { dataset: { name: 'housing' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 16, epochs: 1, seed: 1, metrics: ['mse'] },
    };
    const fit = fitToData(mlp, { name: ok.name, kind: 'time series', featureShape: ok.featureShape!, classes: 0, targetShape: [1] });
    expect(fit.edits[0]).toMatchObject({ nodeId: 'x', attrs: { shape: [12] } });
    expect(fit.mismatches).toEqual([]);
  });
});

describe('netwright train --data co2_weekly.csv on a series design (#83)', () => {
  const design = (dir: string): string => {
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 4,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [8, 1], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['flat'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { prediction: 'fc', loss: 'loss' },
      training: { dataset: { name: 'waves', options: { length: 8 } }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.02 }, batchSize: 16, epochs: 1, seed: 1, metrics: ['mse'] },
    };
    const file = join(dir, 'design.json');
    writeFileSync(file, JSON.stringify(g));
    return file;
  };
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, (s) => (out += s), (s) => (err += s));
    return { code, lines: out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string }), out, err };
  };

  it('a gap is refused with the flag to pass; --gaps interpolate trains on it, the date column its index', async () => {
    const dir = tmp();
    const data = join(dir, 'co2_weekly.csv');
    writeFileSync(data, weekly([40, 41], [100]));
    const refused = await run([design(dir), '--data', data, '--threads', '1', '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.lines.find((l) => l.type === 'error')).toMatchObject({ code: 'DATA_SERIES_GAP', message: expect.stringMatching(/Pass --gaps interpolate\|drop\.$/) });
    const r = await run([design(dir), '--data', data, '--gaps', 'interpolate', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const report = r.lines.find((l) => l.type === 'data') as unknown as { kind: string; notes: string[] };
    expect(report.kind).toBe('series');
    expect(report.notes[0]).toMatch(/^300 values, windows of 8, split in time order: .*; a time series: ppm, in time order by date .*; 1 row without a value and 2 missing time steps: filled/);
    expect(r.lines.at(-1)?.type).toBe('done');
  }, 30_000);
});
