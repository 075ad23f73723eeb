import type { AttrValue, OptimizerConfig } from '../../base/ir/types';
import type { AnyScheduleDefinition } from './schedule-def';
import { SCHEDULE_DEFS } from './schedule-kinds/registry';
import type { SettingSpec } from './setting-spec';
import type { AnyOptimizerDefinition } from './optimizer-def';
import { OPTIMIZER_DEFS } from './optimizer-kinds';
import { optimError } from './types';

export type { SettingSpec } from './setting-spec';

/**
 * A learning rate to resume with after `lr` diverged: ten times lower, but no higher than the rate
 * known to train with this optimizer (Adam at 1000 gets 0.001, not 100, which diverges too).
 */
export function suggestLr(kind: string, lr: number): number {
  const good = OPTIMIZERS.find((o) => o.kind === kind)?.knownGoodLr ?? 1e-3;
  return Number(Math.min(lr / 10, good).toPrecision(3));
}

/** The optimizers, in the order the app lists them (`optimizer-kinds.ts`). `createOptimizer` builds each. */
export const OPTIMIZERS: readonly AnyOptimizerDefinition[] = OPTIMIZER_DEFS;

/** The learning-rate schedules, in the order the app lists them (`schedule-kinds/registry.ts`). */
export const SCHEDULES: readonly AnyScheduleDefinition[] = SCHEDULE_DEFS;

/**
 * A setting of `kind` with every parameter at its default, adjusted to the run where a fixed
 * default would not fit (a cosine spans the run's epochs; one-cycle peaks at 10× the rate).
 */
export function defaultSetting<K extends string>(specs: readonly SettingSpec<K>[], kind: K, context: { epochs?: number; lr?: number } = {}): { kind: K } & Record<string, AttrValue> {
  const spec = specs.find((s) => s.kind === kind);
  if (!spec) throw Object.assign(new Error(`Unknown setting "${kind}".`), { code: 'SETTING_UNKNOWN' });
  const out: { kind: K } & Record<string, AttrValue> = { kind, ...Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, p.default])) } as { kind: K } & Record<string, AttrValue>;
  spec.fit?.(out, context);
  return out;
}

/** Buffers the optimizer of `config` keeps per parameter, each the parameter's size (memory estimates). */
export function optimizerSlots(config: OptimizerConfig): number {
  return optimizerDefinition(config.kind).slots(config as never).length;
}

/** The declaration of optimizer `kind`. @throws `OPTIM_UNKNOWN` for a kind no file declares. */
export function optimizerDefinition(kind: string): AnyOptimizerDefinition {
  const def = OPTIMIZERS.find((o) => o.kind === kind);
  if (!def) throw optimError('OPTIM_UNKNOWN', `Unknown optimizer "${kind}"; use ${OPTIMIZERS.map((o) => o.kind).join(', ')}.`);
  return def;
}
