import { series } from '../datasets/series';
import { defineDataFormat } from './types';

/**
 * A time series in a table (#83): a CSV of dates (or increasing times) and the values, or of one
 * column. Read as one for a design made for a series, and by the scan when the table looks like one
 * (a time column beside one column of numbers, or a single column: node/data-scan.ts).
 */
export const seriesFormat = defineDataFormat({
  dataset: series,
  label: 'time series',
  holds: 'file',
  extensions: ['.csv', '.tsv'],
  guessed: false,
  forDesign: (design) => design.timeSeries === true,
  reads: 'time series',
  shape: 'time series',
  keeps: ['column', 'time', 'window', 'horizon', 'gaps', 'delimiter'],
  checked: true,
});
