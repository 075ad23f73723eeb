/**
 * The Train dock's Early stopping group: off by default; on, it shows the watched metric, its
 * direction, the patience and min delta from `training.earlyStopping`; its numbers are refused as
 * the engine refuses them; and every metric it offers is one the engine can watch.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EarlyStoppingFields, monitorChoices, monitorMode } from '../../../src-renderer/src/components/training/EarlyStoppingFields';
import { EARLY_STOPPING_NUMBERS, parseSettingNumber } from '../../../src-renderer/src/editor/setting-fields';
import { Trainer } from '../../../src-engine/core/train';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { twoMoonsGraph } from '../session/fixtures';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';

describe('Early stopping in the Train dock', () => {
  const training = twoMoonsGraph({ metrics: ['accuracy', 'f1', 'confusion'] }).training!;

  it('is off until a metric is chosen, and offers each split\'s loss and scalar metrics', () => {
    const html = renderToStaticMarkup(<EarlyStoppingFields training={training} disabled={false} onChange={() => {}} />);
    expect(html).toContain('data-on="false"');
    expect(html).toMatch(/<option value="" selected="">off<\/option>/);
    expect(html).not.toContain('train-early-patience');
    expect(monitorChoices(training)).toEqual(['val_loss', 'train_loss', 'val_accuracy', 'train_accuracy', 'val_f1', 'train_f1']);
  });

  it('on, shows the metric, its direction, the patience and min delta the design holds', () => {
    const html = renderToStaticMarkup(
      <WindowStoresProvider stores={createWindowStores()}>
        <EarlyStoppingFields training={{ ...training, earlyStopping: { metric: 'val_accuracy', mode: 'max', patience: 3, minDelta: 0.01 } }} disabled={false} onChange={() => {}} />
      </WindowStoresProvider>,
    );
    expect(html).toContain('data-on="true"');
    expect(html).toMatch(/<option value="val_accuracy" selected="">/);
    expect(html).toMatch(/<option value="max" selected="">higher<\/option>/);
    expect(html).toMatch(/data-testid="train-early-patience"[^>]*value="3"|value="3"[^>]*data-testid="train-early-patience"/);
    expect(html).toMatch(/data-testid="train-early-min-delta"[^>]*value="0.01"|value="0.01"[^>]*data-testid="train-early-min-delta"/);
    // A metric the list no longer has stays shown, so the engine's message about it makes sense.
    expect(monitorChoices({ metrics: ['accuracy'], earlyStopping: { metric: 'val_r2', mode: 'max', patience: 1 } })[0]).toBe('val_r2');
  });

  it('sets the direction with the metric: lower for losses and errors, higher for the rest', () => {
    expect(['val_loss', 'train_mse', 'val_mae', 'val_accuracy', 'val_f1', 'val_r2'].map(monitorMode)).toEqual(['min', 'min', 'min', 'max', 'max', 'max']);
  });

  it('refuses a patience or min delta the engine refuses, with the reason', () => {
    expect(parseSettingNumber(EARLY_STOPPING_NUMBERS.patience, '-1')).toEqual({ ok: false, message: 'Must be between 0 and 100000.' });
    expect(parseSettingNumber(EARLY_STOPPING_NUMBERS.patience, '2.5')).toEqual({ ok: false, message: 'Enter a whole number.' });
    expect(parseSettingNumber(EARLY_STOPPING_NUMBERS.patience, '0')).toEqual({ ok: true, value: 0 });
    expect(parseSettingNumber(EARLY_STOPPING_NUMBERS.minDelta, '-0.1')).toMatchObject({ ok: false });
    expect(parseSettingNumber(EARLY_STOPPING_NUMBERS.minDelta, 'abc')).toEqual({ ok: false, message: 'Enter a number.' });
  });

  it('every metric it offers is one the engine watches (a run with it trains, and stops early)', async () => {
    const data = prepareData(loadBuiltinDataset(training.dataset, 1)!, training.dataset, 1);
    for (const metric of monitorChoices(training)) {
      const graph = twoMoonsGraph({ ...training, epochs: 6, earlyStopping: { metric, mode: monitorMode(metric), patience: 0, minDelta: 10 } });
      const done = await new Trainer(graph, data, createReferenceBackend(), { compile: compileGraph }).run();
      // No change is ever 10 better: patience 0 stops after the second epoch.
      expect([metric, done.reason, done.epochs]).toEqual([metric, 'early-stopping', 2]);
    }
  });
});
