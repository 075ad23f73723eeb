/**
 * #83 deliverable 3 in the app: the Train dock's data summary shows each split's samples per
 * class (train, val and test side by side), and the dataset panel sets the validation and test
 * shares of the data, written as `training.dataset.split` (IR v4), the split the engine cuts.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DatasetFields } from '../../../src-renderer/src/components/training/DatasetFields';
import { SplitClasses } from '../../../src-renderer/src/components/training/TrainPanel';
import { splitShares, withSplitShare } from '../../../src-renderer/src/training/dataset-settings';
import { datasetPreview } from '../../../src-engine/app/session';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { splitIssue } from '../../../src-engine/base/ir/split';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import type { DatasetConfig } from '../../../src-engine/facade';
import { datasetToUse } from '../../../src-renderer/src/training/add-data';
import type { DataScanResult } from '../../../src-engine/protocol';

const panel = (dataset: DatasetConfig) =>
  renderToStaticMarkup(
    <WindowStoresProvider stores={createWindowStores()}>
      <DatasetFields dataset={dataset} disabled={false} onChange={() => {}} />
    </WindowStoresProvider>,
  );
const valueOf = (html: string, testId: string) => html.match(new RegExp(`<input[^>]*data-testid="${testId}"[^>]*>`))?.[0].match(/value="([^"]*)"/)?.[1];

describe('the split in the app (#83)', () => {
  it('the dataset panel shows the validation and test shares of all the data, and training\'s', () => {
    const html = panel({ name: 'iris', validationSplit: 0.1 });
    // Iris by default: 20 % test, then 10 % of the rest (8 % of the data) validation.
    expect([valueOf(html, 'ds-val-split'), valueOf(html, 'ds-test-split')]).toEqual(['0.08', '0.2']);
    expect(html).toMatch(/data-testid="ds-train-share"[^>]*>train 72 %/);
    const set = panel({ name: 'iris', split: { train: 0.7, val: 0.15, test: 0.15 } });
    expect([valueOf(set, 'ds-val-split'), valueOf(set, 'ds-test-split')]).toEqual(['0.15', '0.15']);
  });

  it('a share edited is written as training.dataset.split, training taking the rest, and the engine splits by it', () => {
    const d = withSplitShare({ name: 'iris', validationSplit: 0.1, options: { testSplit: 0.2, normalize: 'none' } }, 'test', 0.15);
    expect(d).toEqual({ name: 'iris', split: { train: 0.77, val: 0.08, test: 0.15 }, options: { normalize: 'none' } });
    const e = withSplitShare(d, 'val', 0.25);
    expect(e.split).toEqual({ train: 0.6, val: 0.25, test: 0.15 });
    expect(splitIssue(e.split)).toBeUndefined();
    expect(splitShares(e)).toEqual(e.split);
    // Add data… keeps the shares set with the new data.
    expect(datasetToUse({ kind: 'csv', dataset: { name: 'csv', options: { path: 'data/t.csv' } } } as unknown as DataScanResult, e).split).toEqual(e.split);
    const data = prepareData(loadBuiltinDataset(e, 1)!, e, 1);
    // 150 irises, 50 of each class: 15 % test (8 of each rounded: 7.5 → 8), then 0.25 / 0.85 of the rest for validation.
    expect([data.train.count, data.val.count, data.test.count]).toEqual([90, 36, 24]);
  });

  it('the data summary lists each split\'s samples per class', () => {
    const dataset = { name: 'iris', split: { train: 0.6, val: 0.2, test: 0.2 } };
    const preview = datasetPreview(loadBuiltinDataset(dataset, 1)!, dataset, 1, 2);
    expect(preview.classBalance).toEqual([30, 30, 30]);
    expect(preview.splitBalance).toEqual({ val: [10, 10, 10], test: [10, 10, 10] });
    const html = renderToStaticMarkup(<SplitClasses preview={preview} />);
    expect(html).toContain('data-testid="dataset-splits"');
    expect(html).toMatch(/<tr data-class="setosa"><th>setosa<\/th><td>30<\/td><td>10<\/td><td>10<\/td><\/tr>/);
    expect(html.match(/<tr data-class=/g)).toHaveLength(3);
  });
});
