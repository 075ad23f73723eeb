/**
 * A table model's encoding (core/data/table-encoding.ts): the one row encoder of training and of
 * `netwright predict`, so a new row of the same columns gives the input its training row gave, bit
 * for bit; and the encoding as a model file keeps it (readTableEncoding).
 */
import { describe, expect, it } from 'vitest';
import { csvDataset, DataError, parseCsvRows } from '../../../../src-engine/core/data';
import { columnWidth, decodeTableRow, encodeTableRow, readTableEncoding, tableRowsDataset, tableWidth } from '../../../../src-engine/core/data/table-encoding';
import { titanicLikeCsv } from '../../../e2e/titanic.mjs';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof DataError ? e.code : 'not a DataError';
  }
  return undefined;
};

describe('a table encoding', () => {
  const text = titanicLikeCsv(60);
  const [header, ...rows] = parseCsvRows(text).map((r) => r.cells).filter((r) => r.length > 1);

  it.each([
    ['median', 'one-hot'],
    ['indicator', 'one-hot'],
    ['most-frequent', 'index'],
  ] as const)('each row, read by its columns\' names, is the training row bit for bit (missing %s, text %s)', (missing, categorical) => {
    const ds = csvDataset(text, { targetColumn: 'Survived', missing, categorical });
    const table = ds.table!;
    expect(table.target).toBe('Survived');
    expect(tableWidth(table)).toBe(ds.featureShape[0]);
    const at = table.columns.map((c) => header.indexOf(c.name));
    const out = new Float32Array(tableWidth(table));
    rows.forEach((cells, r) => {
      out.fill(0);
      encodeTableRow(table, (k) => cells[at[k]], out, 0);
      expect(out).toEqual(ds.features.subarray(r * out.length, (r + 1) * out.length));
    });
  });

  it('fills a gap only where training filled gaps; refuses an unseen category and a number column\'s text, coded', () => {
    const filled = csvDataset(text, { targetColumn: 'Survived', missing: 'median' }).table!;
    const age = filled.columns.find((c) => c.name === 'Age')!;
    expect(age.fill).toBeTypeOf('number');
    expect(filled.columns.find((c) => c.name === 'Pclass')!.fill).toBeUndefined();
    expect(filled.columns.find((c) => c.name === 'Sex')).toMatchObject({ kind: 'one-hot', categories: ['female', 'male'] });
    const row = { Pclass: '1', Sex: 'female', Age: '', SibSp: '0', Fare: '50', Embarked: 'S' };
    const cell = (r: Record<string, string>) => (k: number) => r[filled.columns[k].name as keyof typeof row];
    const out = new Float32Array(tableWidth(filled));
    encodeTableRow(filled, cell(row), out, 0);
    const offset = filled.columns.slice(0, filled.columns.indexOf(age)).reduce((a, c) => a + columnWidth(c), 0);
    expect(offset).toBe(3); // Pclass, then Sex as female and male
    expect(out[offset]).toBe(age.fill);
    expect(codeOf(() => encodeTableRow(filled, cell({ ...row, Pclass: '' }), out, 0))).toBe('DATA_NAN');
    expect(codeOf(() => encodeTableRow(filled, cell({ ...row, Sex: 'other' }), out, 0))).toBe('DATA_CSV_BAD_CELL');
    expect(codeOf(() => encodeTableRow(filled, cell({ ...row, Fare: 'cheap' }), out, 0))).toBe('DATA_CSV_BAD_CELL');
  });

  it('reads a new table as the model reads it: its columns by name, its classes by the model\'s names; refusals coded', () => {
    const ds = csvDataset(text, { targetColumn: 'Survived', missing: 'median' });
    const table = ds.table!;
    const body = rows.map((cells, i) => ({ line: i + 2, cells }));
    const again = tableRowsDataset('again.csv', header, body, table, ds.classNames);
    expect(again.features).toEqual(ds.features);
    expect(again.targets).toEqual(ds.targets);
    // Only survivors: still class 1 of the model's ['0', '1'], not class 0 of a table of one class.
    const one = body.filter((r) => r.cells[header.indexOf('Survived')] === '1');
    expect([...new Set(tableRowsDataset('one.csv', header, one, table, ds.classNames).targets)]).toEqual([1]);
    expect(codeOf(() => tableRowsDataset('x.csv', header.filter((h) => h !== 'Survived'), body, table, ds.classNames))).toBe('DATA_CSV_NO_TARGET');
    expect(codeOf(() => tableRowsDataset('x.csv', header.map((h) => (h === 'Fare' ? 'Price' : h)), body, table, ds.classNames))).toBe('DATA_CSV_BAD_ROW');
    expect(codeOf(() => tableRowsDataset('x.csv', header, body, table, ['yes', 'no']))).toBe('DATA_CSV_BAD_CELL');
  });

  it('reads a sample back as its row: numbers, categories, a gap blank under the indicator policy', () => {
    const ds = csvDataset(text, { targetColumn: 'Survived', missing: 'indicator' });
    const table = ds.table!;
    const width = tableWidth(table);
    rows.forEach((cells, r) => {
      const row = decodeTableRow(table, ds.features.subarray(r * width, (r + 1) * width));
      for (const c of table.columns) {
        const cell = cells[header.indexOf(c.name)];
        expect(row[c.name], `line ${r + 2}, ${c.name}`).toBe(c.kind === 'numeric' && cell !== '' ? String(Number(Math.fround(Number(cell)).toPrecision(6))) : cell);
      }
    });
  });

  it('reads back from a model file as written; anything else is refused, coded', () => {
    const table = csvDataset(text, { targetColumn: 'Survived', missing: 'indicator' }).table!;
    expect(readTableEncoding(JSON.parse(JSON.stringify(table)), 'it')).toEqual(table);
    for (const bad of [null, { ...table, version: 2 }, { ...table, columns: [] }, { ...table, columns: [{ name: 'x', kind: 'one-hot' }] }, { ...table, columns: [{ name: 'x', kind: 'numeric', fill: 'a' }] }, { ...table, target: 3 }, { ...table, columns: [{ name: 'x', kind: 'index', categories: Array.from({ length: 1001 }, (_, i) => `c${i}`) }] }, { ...table, columns: Array.from({ length: 10_001 }, (_, i) => ({ name: `c${i}`, kind: 'numeric' })) }]) {
      expect(codeOf(() => readTableEncoding(bad, 'it'))).toBe('DATA_BAD_OPTION');
    }
  });
});
