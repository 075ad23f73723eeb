import type { TrainingConfig } from '../../../../src-engine/facade';
import { EARLY_STOPPING_NUMBERS } from '../../editor/setting-fields';
import { higherIsBetter } from '../../training/sweep';
import { NumberField } from './NumberField';

type EarlyStopping = NonNullable<TrainingConfig['earlyStopping']>;

/** What early stopping can watch: each split's loss and the scalar metrics the design measures (`val_accuracy`…). */
export function monitorChoices(t: Pick<TrainingConfig, 'metrics' | 'earlyStopping'>): string[] {
  const scalar = t.metrics.filter((m) => m !== 'confusion');
  const all = ['loss', ...scalar].flatMap((m) => [`val_${m}`, `train_${m}`]);
  // A file's own choice (a metric since removed from the list) stays shown: the engine then says what is wrong.
  return t.earlyStopping && !all.includes(t.earlyStopping.metric) ? [t.earlyStopping.metric, ...all] : all;
}

/** The direction that improves `metric`: lower for losses and errors, higher for the rest. */
export const monitorMode = (metric: string): EarlyStopping['mode'] => (higherIsBetter(metric.replace(/^(val|train)[_.]/, '')) ? 'max' : 'min');

/**
 * The Train dock's Early stopping group (`training.earlyStopping`): off, or the metric watched
 * (its direction set with it, changeable), the patience in epochs and the least change that counts
 * as better. The run then keeps its best epoch's weights for the test.
 */
export function EarlyStoppingFields({ training: t, disabled, onChange }: { training: TrainingConfig; disabled: boolean; onChange: (earlyStopping: EarlyStopping | undefined) => void }) {
  const es = t.earlyStopping;
  const choose = (metric: string) => onChange(metric === '' ? undefined : { patience: 5, ...es, metric, mode: monitorMode(metric) });
  return (
    <fieldset className="train-early" data-testid="train-early-stopping" data-on={String(es !== undefined)}>
      <legend title="Stop when the watched metric has not improved for `patience` epochs; the test then uses the best epoch's weights">Early stopping</legend>
      <label className="train-field" title="The metric to watch: val_… on the validation split (the training split when there is none), train_… on the training batches">
        <span>Watch</span>
        <select data-testid="train-early-metric" value={es?.metric ?? ''} disabled={disabled} onChange={(e) => choose(e.target.value)}>
          <option value="">off</option>
          {monitorChoices(t).map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      {es ? (
        <>
          <label className="train-field" title="min: lower is better (losses, errors); max: higher is better (accuracy, F1, R²)">
            <span>Better when</span>
            <select data-testid="train-early-mode" value={es.mode} disabled={disabled} onChange={(e) => onChange({ ...es, mode: e.target.value === 'max' ? 'max' : 'min' })}>
              <option value="min">lower</option>
              <option value="max">higher</option>
            </select>
          </label>
          <NumberField label="Patience" testId="train-early-patience" value={es.patience} setting={EARLY_STOPPING_NUMBERS.patience} disabled={disabled} title="Epochs without improvement before the run stops" onCommit={(patience) => onChange({ ...es, patience })} />
          <NumberField label="Min delta" testId="train-early-min-delta" value={es.minDelta ?? 0} setting={EARLY_STOPPING_NUMBERS.minDelta} disabled={disabled} title="The least change of the watched metric that counts as an improvement" onCommit={(minDelta) => onChange(minDelta === 0 ? { metric: es.metric, mode: es.mode, patience: es.patience } : { ...es, minDelta })} />
        </>
      ) : null}
    </fieldset>
  );
}
