/**
 * Training settings declared as data (optimizers, learning-rate schedules): a kind, a line for the
 * user and typed parameters with PyTorch's defaults. Each is written in its kind's one file in
 * core/optim, beside what it computes, and printed into `optimizers/generated.ts` and
 * `schedules/generated.ts` (node/catalog-gen.ts). The IR's setting types and the protocol's zod
 * schemas are derived from these declarations; the Train dock builds its fields from them (as the
 * Inspector does from an op's attributes).
 */
import type { AttrSpec, ParamsOf } from './attr-spec';

/** One parameter of a setting: a parameter spec of a scalar kind; `required` ones must be given (no default applies). */
export type SettingParam = Extract<AttrSpec, { kind: 'int' | 'float' | 'bool' | 'enum' }>;

export type SettingParams = Readonly<Record<string, SettingParam>>;

/** A setting's value: what the Train dock writes and `fit` adjusts. */
export type SettingValue = number | boolean | string;

/** The declaration of one kind of setting (an optimizer, a schedule): see `declareOptimizer`, `declareSchedule`. */
export interface SettingKind<K extends string = string, P extends SettingParams = SettingParams> {
  kind: K;
  /** What the Train dock's list says. */
  label: string;
  /** A line for the user. */
  doc: string;
  params: P;
  /** Defaults that follow the run where a fixed one would not fit (a cosine spans the run's epochs), by parameter. */
  fit?: Readonly<Record<string, SettingFit>>;
}

/**
 * A default taken from the run, when the run has it: its `epochs` or its `lr`, times `times`, at
 * least `atLeast` (a cosine's `tMax` is the run's epochs; one-cycle peaks at 10× the rate). Data,
 * so the declaration prints into the catalog.
 */
export interface SettingFit {
  from: 'epochs' | 'lr';
  times?: number;
  atLeast?: number;
}

/** The setting a declaration describes: `{ kind, ...params }`, each parameter optional unless `required`. */
export type SettingOf<K extends string, P> = ParamsOf<K, P>;

/** The settings of every declaration in `D`, as one union. */
export type SettingsOf<D> = D extends SettingKind<infer K, infer P> ? SettingOf<K, P> : never;

const range = (min?: number, max?: number) => ({ ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
export const float = (def: number, doc: string, min?: number, max?: number) => ({ kind: 'float' as const, default: def, doc, ...range(min, max) });
export const int = (def: number, doc: string, min?: number) => ({ kind: 'int' as const, default: def, doc, ...range(min) });
export const bool = (def: boolean, doc: string) => ({ kind: 'bool' as const, default: def, doc });
export const choice = <const V extends readonly string[]>(def: V[number], values: V, doc: string) => ({ kind: 'enum' as const, default: def, values, doc });
/** `p`, which a setting must give (no default applies: `stepSize` of a step decay). */
export const required = <const P extends SettingParam>(p: P): P & { required: true } => ({ ...p, required: true });

/**
 * A setting of `kind` with every parameter at its default, adjusted to the run where a fixed
 * default would not fit (a cosine spans the run's epochs; one-cycle peaks at 10× the rate).
 *
 * @throws `SETTING_UNKNOWN` for a kind none of `specs` declares.
 */
export function defaultSetting<K extends string>(specs: readonly SettingKind<K>[], kind: K, context: FitContext = {}): { kind: K } & Record<string, SettingValue> {
  const spec = specs.find((s) => s.kind === kind);
  if (!spec) throw Object.assign(new Error(`Unknown setting "${kind}".`), { code: 'SETTING_UNKNOWN' });
  const out = { kind, ...Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, p.default])) } as { kind: K } & Record<string, SettingValue>;
  for (const [param, f] of Object.entries(spec.fit ?? {})) {
    const v = context[f.from];
    if (v) out[param] = fitted(f, v);
  }
  return out;
}

/** What a setting's `fit` reads of the run. */
export interface FitContext {
  epochs?: number;
  lr?: number;
}

const fitted = (f: SettingFit, v: number) => Math.max(f.atLeast ?? -Infinity, v * (f.times ?? 1));

/**
 * `setting` once the run it was fitted to changed from `before` to `after` (its epochs, its rate):
 * each parameter its kind fits that still holds what the fit gave for `before` holds what it gives
 * for `after` (a cosine chosen over 5 epochs, then the run cut to 1: tMax 1), so a schedule keeps
 * spanning the run; a value the user set otherwise stays. `inSteps`: the setting counts steps (a
 * schedule stepped per batch), where a value fitted from the epochs was the epochs times the steps
 * of an epoch, which the settings do not know: one that is a whole multiple of the epochs follows
 * them in proportion (3,378 steps over 3 epochs, cut to 1: 1,126). The same object where nothing moves.
 */
export function refitSetting<S extends { kind: string }>(specs: readonly SettingKind[], setting: S, before: FitContext, after: FitContext, inSteps = false): S {
  const spec = specs.find((s) => s.kind === setting.kind);
  let out = setting;
  for (const [param, f] of Object.entries(spec?.fit ?? {})) {
    const was = before[f.from];
    const now = after[f.from];
    const value = (setting as Record<string, unknown>)[param];
    if (!was || !now || was === now || typeof value !== 'number') continue;
    let next = value;
    if (f.from === 'epochs' && inSteps) {
      const perEpoch = value / was;
      if (Number.isInteger(perEpoch)) next = fitted({ ...f, times: perEpoch }, now);
    } else if (value === fitted(f, was)) next = fitted(f, now);
    if (next !== value) out = { ...out, [param]: next };
  }
  return out;
}
