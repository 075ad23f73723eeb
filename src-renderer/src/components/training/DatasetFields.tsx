import { type DatasetConfig, DATASETS, getDataFormat, type TransformConfig, type TransformKind } from '../../../../src-engine/facade';
import { CORRUPTIONS, SUBSET_PRESETS, patchDataset, scaleHint, splitShares, transformFor, withSplitShare } from '../../training/dataset-settings';
import { NumberField } from './NumberField';

/**
 * The dataset panel: what the network is fed — scale (raw 0–255, 0–1, standardised), input
 * corruption (noise, masks for in-painting), light augmentation, the training subset and the
 * validation and test shares of the data (`split`). Each edit is an undoable design edit of `training.dataset`; the preview below
 * it shows the result.
 */
export function DatasetFields({ dataset, disabled, onChange }: { dataset: DatasetConfig; disabled: boolean; onChange: (d: DatasetConfig) => void }) {
  const spec = DATASETS.find((d) => d.name === dataset.name);
  // Images: a set of a fixed image shape, or a folder of the user's (at the Input's shape).
  const images = (spec?.featureShape?.length ?? 0) === 3 || getDataFormat(dataset.name)?.reads === 'images';
  const normSpec = spec?.options.normalize;
  const normalize = String(dataset.options?.normalize ?? normSpec?.default ?? 'none');
  const t = dataset.transform;
  const kind: TransformKind = t?.kind ?? 'none';
  const set = (patch: Partial<DatasetConfig>) => onChange(patchDataset(dataset, patch));
  const corruption = CORRUPTIONS.find((c) => c.kind === kind);
  const shares = splitShares(dataset);
  return (
    <fieldset className="ds-fields" data-testid="dataset-panel" disabled={disabled}>
      <legend>Data fed to the network</legend>
      <div className="train-form">
        {normSpec && normSpec.kind === 'enum' ? (
          <label className="train-field train-field--wide" title={scaleHint(normalize)}>
            <span>Scale</span>
            <select data-testid="ds-normalize" value={normalize} onChange={(e) => set({ options: { ...dataset.options, normalize: e.target.value } })}>
              {normSpec.values.map((v) => (
                <option key={v} value={v}>
                  {v === 'none' ? (images ? 'scaled 0–1' : 'as loaded') : v === 'raw' ? 'raw 0–255' : `standardised (${v})`}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {regressionTarget(spec?.task, dataset) ? (
          <label className="train-field" title="How the values to predict are learnt (#83). Standardised: with the training split's mean and std, undone in every value shown, predicted, measured or exported, so they read in their own units. As loaded: the network learns them as they are (large targets then train slowly, or diverge).">
            <span>Target</span>
            <select data-testid="ds-target-normalization" value={dataset.targetNormalization ?? 'standard'} onChange={(e) => set({ targetNormalization: e.target.value === 'none' ? 'none' : undefined })}>
              <option value="standard">standardised (shown in its units)</option>
              <option value="none">as loaded</option>
            </select>
          </label>
        ) : null}
        <label className="train-field" title={corruption?.doc}>
          <span>Corrupt input</span>
          <select data-testid="ds-transform" value={kind} onChange={(e) => set({ transform: transformFor(e.target.value as TransformKind, t) })}>
            {CORRUPTIONS.filter((c) => images || !c.images || c.kind === kind).map((c) => (
              <option key={c.kind} value={c.kind} title={c.doc}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        {t && corruption
          ? Object.entries(corruption.params).map(([name, p]) =>
              p.field && p.kind !== 'bool' ? (
                <NumberField
                  key={name}
                  label={p.field.label}
                  testId={p.field.testId}
                  value={Number((t as Readonly<Record<string, unknown>>)[name] ?? p.default)}
                  min={p.min}
                  max={p.max ?? p.field.max}
                  integer={p.kind === 'int'}
                  title={p.field.title}
                  onCommit={(v) => set({ transform: { ...t, [name]: v } as TransformConfig })}
                />
              ) : null,
            )
          : null}
        {images ? (
          <>
            <NumberField label="Shift ± px" testId="ds-shift" value={dataset.augment?.shift ?? 0} min={0} max={64} integer title="Training batches only: each image moves by up to this many pixels" onCommit={(shift) => set({ augment: augmentOf({ ...dataset.augment, shift }) })} />
            <NumberField label="Rotate ± deg" testId="ds-rotate" value={dataset.augment?.rotate ?? 0} min={0} max={180} title="Training batches only: each image turns by up to this many degrees" onCommit={(rotate) => set({ augment: augmentOf({ ...dataset.augment, rotate }) })} />
            <NumberField label="Colour jitter ±" testId="ds-jitter" value={dataset.augment?.jitter ?? 0} min={0} max={1} title="Training batches only: each colour channel is scaled by a random factor in 1 ± this (0.2: 0.8–1.2)" onCommit={(jitter) => set({ augment: augmentOf({ ...dataset.augment, jitter }) })} />
            <label className="ds-fields__check" title="Training batches only: each image is mirrored left–right half the time (not for digits or text, whose mirror image means something else)">
              <input type="checkbox" data-testid="ds-flip" checked={dataset.augment?.flip ?? false} onChange={(e) => set({ augment: augmentOf({ ...dataset.augment, flip: e.target.checked }) })} /> Flip left–right
            </label>
          </>
        ) : null}
        <NumberField label="Train samples (0 = all)" testId="ds-limit" value={dataset.limit ?? 0} min={0} integer title="Train on a subset: 64 to see a network overfit, 1k for a quick run" onCommit={(n) => set({ limit: n > 0 ? n : undefined })} />
        <NumberField label="Validation share" testId="ds-val-split" value={shares.val} min={0} max={0.99} title="Share of all the data held out for validation, each class in proportion (a time series: the stretch before the test's)" onCommit={(v) => onChange(withSplitShare(dataset, 'val', v))} />
        <NumberField label="Test share" testId="ds-test-split" value={shares.test} min={0} max={0.99} title="Share of all the data held out for the test, each class in proportion (a time series: its last stretch); a set with its own test split (MNIST's, a folder's test/) keeps it" onCommit={(v) => onChange(withSplitShare(dataset, 'test', v))} />
        <span className="ds-fields__hint" data-testid="ds-train-share">
          train {Math.round(shares.train * 1000) / 10} %
        </span>
      </div>
      <div className="ds-fields__presets">
        Subset:{' '}
        {SUBSET_PRESETS.map((p) => (
          <button key={p.label} type="button" data-testid={`ds-limit-${p.label}`} aria-pressed={dataset.limit === p.limit} onClick={() => set({ limit: p.limit })}>
            {p.label}
          </button>
        ))}
        <span className="ds-fields__hint" data-testid="ds-scale-hint">
          {scaleHint(normalize)}
        </span>
      </div>
    </fieldset>
  );
}

/** Whether the dataset's targets may be values to regress (a regression set, or a table or arrays whose task is auto or regression), not a reconstruction's features. */
export function regressionTarget(task: string | undefined, dataset: DatasetConfig): boolean {
  if (dataset.target === 'features') return false;
  const asked = dataset.options?.task;
  return task === 'regression' || (task === 'auto' && (asked === undefined || asked === 'auto' || asked === 'regression'));
}

/** Augmentation with zero amounts and a flip left off left out (none at all: undefined). */
export function augmentOf(a: NonNullable<DatasetConfig['augment']>): DatasetConfig['augment'] {
  const out: NonNullable<DatasetConfig['augment']> = {};
  if (a.shift) out.shift = a.shift;
  if (a.rotate) out.rotate = a.rotate;
  if (a.flip) out.flip = true;
  if (a.jitter) out.jitter = a.jitter;
  return Object.keys(out).length ? out : undefined;
}
