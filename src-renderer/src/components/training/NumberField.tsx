import { parseSettingNumber, type NumberSetting } from '../../editor/setting-fields';
import { TextField } from '../TextField';

/**
 * A Train dock number field (the Inspector's `TextField`, applied on blur or Enter so typing
 * "0.0" does not write 0 into the design): what cannot be used stays with the reason under it,
 * an unusual value is applied with a warning. `setting` (a `TRAINING_NUMBERS` entry) or
 * `min`/`max`/`integer` say what it accepts.
 */
export function NumberField({ label, value, testId, onCommit, min, max, integer, setting, disabled, title }: { label: string; value: number; testId: string; onCommit: (v: number) => void; min?: number; max?: number; integer?: boolean; setting?: NumberSetting; disabled?: boolean; title?: string }) {
  const spec: NumberSetting = setting ?? { kind: integer ? 'int' : 'float', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  return (
    <TextField
      variant="train"
      applyOn="commit"
      label={label}
      testid={testId}
      value={String(value)}
      doc={title}
      disabled={disabled}
      parse={(text) => {
        const r = parseSettingNumber(spec, text);
        if (!r.ok) return r;
        return { ok: true, apply: () => (r.value !== value && onCommit(r.value), true), ...(r.warning ? { warning: r.warning } : {}) };
      }}
    />
  );
}
