/**
 * The Playground of a model trained on a table: a field per column it reads (a number, a text
 * column's categories), the row read as training read its rows (tableRowInput → encodeTableRow),
 * and a row it cannot read (a blank where training had no gaps) said instead of an answer. And
 * what a drawable model's Playground asks to have drawn.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { drawnThing, TableRowForm, tableRowInput } from '../../../src-renderer/src/components/training/Playground';
import type { TableEncoding } from '../../../src-engine/facade';

const table: TableEncoding = {
  format: 'netwright.table',
  version: 1,
  target: 'price',
  columns: [
    { name: 'sqft', kind: 'numeric' },
    { name: 'age', kind: 'numeric', fill: 31.5 },
    { name: 'city', kind: 'one-hot', categories: ['Lyon', 'Nice', 'Paris'], fill: 'Paris' },
  ],
};

describe("a table model's Playground", () => {
  it('reads a typed row as training read its rows: numbers, a one-hot of the category, a gap filled where training filled gaps', () => {
    expect(tableRowInput(table, { sqft: '120', age: '10', city: 'Nice' })).toEqual([120, 10, 0, 1, 0]);
    expect(tableRowInput(table, { sqft: '120', age: '', city: '' })).toEqual([120, 31.5, 0, 0, 1]);
    expect(tableRowInput(table, { sqft: '', age: '10', city: 'Nice' })).toBe('This row, column "sqft": missing, and the model was trained without gaps there; give a value.');
    expect(tableRowInput(table, { sqft: 'big', age: '10', city: 'Nice' })).toBe('This row, column "sqft": not a number.');
  });

  it('shows a field per column, a text column as its categories (missing offered where training filled gaps), and the problem', () => {
    const html = renderToStaticMarkup(<TableRowForm table={table} row={{ sqft: '120', age: '', city: 'Nice' }} problem="This row, column …" onRow={() => undefined} />);
    expect(html).toContain('<legend>A row of the table (price is the answer)</legend>');
    expect(html).toContain('data-testid="playground-row-sqft" inputMode="decimal" placeholder="a number" value="120"');
    expect(html).toContain('placeholder="blank: 31.5"');
    expect(html).toMatch(/<select data-testid="playground-row-city"><option value="">\(missing\)<\/option><option value="Lyon">Lyon<\/option><option value="Nice" selected="">Nice<\/option>/);
    expect(html).toContain('data-testid="playground-row-problem">This row, column …</small>');
  });
});

describe("the Playground's drawing prompt", () => {
  it("names the dataset's thing, else one of a classifier's classes, else something", () => {
    expect(drawnThing('mnist', 'classification')).toBe('a digit');
    expect(drawnThing('fashion-mnist', 'classification')).toBe('a piece of clothing');
    expect(drawnThing('image-folder', 'classification')).toBe('one of its classes');
    expect(drawnThing(undefined, 'reconstruction')).toBe('something');
  });
});
