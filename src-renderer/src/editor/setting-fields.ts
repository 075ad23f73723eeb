import { parseAttrText } from './attrs';

/**
 * What a numeric setting accepts (`min`/`max` inclusive, `above`: exclusive lower bound) and, in
 * `typical`, the range people train in: a value outside it is accepted with a warning (a learning
 * rate of 1e9 is a number, but no optimizer trains with it).
 */
export interface NumberSetting {
  kind: 'int' | 'float';
  min?: number;
  max?: number;
  above?: number;
  typical?: { min?: number; max?: number; why: string };
}

/** What a numeric setting's field makes of what was typed: the value (perhaps with a warning), or why not. */
export type SettingParse = { ok: true; value: number; warning?: string } | { ok: false; message: string };

/** The training section's numeric settings (the Train dock's and the Inspector's fields). */
export const TRAINING_NUMBERS = {
  lr: { kind: 'float', above: 0, typical: { min: 1e-7, max: 1, why: 'rates that train lie between 1e-7 and 1 (Adam ~1e-3, SGD ~0.01–0.1); this one will likely diverge or not learn' } },
  batchSize: { kind: 'int', min: 1, max: 1_000_000, typical: { max: 8192, why: 'batches above 8192 rarely fit in memory or train well' } },
  epochs: { kind: 'int', min: 1, max: 100_000, typical: { max: 1000, why: 'more than 1000 epochs takes long; early stopping may end it sooner' } },
  seed: { kind: 'int', min: 0, max: 0xffffffff },
} as const satisfies Record<string, NumberSetting>;

const sci = (v: number) => (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential() : String(v));

/**
 * Read a numeric setting's field: the number syntax and range as the Inspector's attribute fields
 * check them (`parseAttrText`), a strict lower bound, and a warning outside the typical range.
 *
 * @example
 * ```ts
 * parseSettingNumber(TRAINING_NUMBERS.lr, '0')   // { ok: false, message: 'Must be greater than 0.' }
 * parseSettingNumber(TRAINING_NUMBERS.lr, '1e9') // { ok: true, value: 1e9, warning: 'Unusually high: …' }
 * ```
 */
export function parseSettingNumber(spec: NumberSetting, text: string): SettingParse {
  const r = parseAttrText({ kind: spec.kind, default: 0, doc: '', ...(spec.min !== undefined ? { min: spec.min } : {}), ...(spec.max !== undefined ? { max: spec.max } : {}) }, text);
  if (!r.ok) return r;
  const value = r.value as number;
  if (spec.above !== undefined && !(value > spec.above)) return { ok: false, message: `Must be greater than ${spec.above}.` };
  const t = spec.typical;
  if (t?.max !== undefined && value > t.max) return { ok: true, value, warning: `Unusually high (${sci(value)}): ${t.why}.` };
  if (t?.min !== undefined && value < t.min) return { ok: true, value, warning: `Unusually low (${sci(value)}): ${t.why}.` };
  return { ok: true, value };
}

/** Early stopping's numbers (`training.earlyStopping`, the Train dock's Early stopping group; the engine's `EarlyStopping` refuses the same). */
export const EARLY_STOPPING_NUMBERS = {
  patience: { kind: 'int', min: 0, max: 100_000, typical: { max: 1000, why: 'a patience above the epochs never stops the run' } },
  minDelta: { kind: 'float', min: 0 },
} as const satisfies Record<string, NumberSetting>;
