import { z } from 'zod';
import type { SettingParam, SettingParams } from './settings';
import type { TransformParam } from './transforms/types';

/** One parameter's value as its spec allows it: a boolean, one of its values, or a number within its range. */
function valueSchema(p: TransformParam | SettingParam): z.ZodType {
  if (p.kind === 'bool') return z.boolean();
  if (p.kind === 'enum') return z.enum(p.values as [string, ...string[]]);
  let n = p.kind === 'int' ? z.number().int() : z.number();
  if (p.min !== undefined) n = n.min(p.min);
  if (p.max !== undefined) n = n.max(p.max);
  return n;
}

/** A declared transform's parameters as the protocol checks them: `{ kind, ...params }`, each within its spec's range. */
export function paramsSchema(kind: string, params: Readonly<Record<string, TransformParam>>) {
  const shape: Record<string, z.ZodType> = { kind: z.literal(kind) };
  for (const [name, p] of Object.entries(params)) shape[name] = p.required ? valueSchema(p) : valueSchema(p).optional();
  return z.object(shape);
}

/**
 * A declared setting (an optimizer, a schedule) as a zod schema: `{ kind, ...params, ...extra }`,
 * each parameter optional unless `required`, of its kind (numbers finite; ranges are the Train
 * dock's, so a design's own values outside them are left to the engine's checks).
 */
export function settingSchema(kind: string, params: SettingParams, extra: Record<string, z.ZodType> = {}) {
  const shape: Record<string, z.ZodType> = { kind: z.literal(kind), ...extra };
  for (const [name, p] of Object.entries(params)) {
    const s = p.kind === 'bool' ? z.boolean() : p.kind === 'enum' ? valueSchema(p) : p.kind === 'int' ? z.number().int() : z.number();
    shape[name] = p.required ? s : s.optional();
  }
  return z.object(shape);
}

/** What a number must be to fit `p`, in words (`a whole number from 1 to 4096`, `in [0, 1]`, `a finite number ≥ 0`). */
function rangeText(p: Extract<TransformParam, { kind: 'int' | 'float' }>): string {
  if (p.min !== undefined && p.max !== undefined && p.kind === 'float') return `in [${p.min}, ${p.max}]`;
  const base = p.kind === 'int' ? 'a whole number' : 'a finite number';
  if (p.min !== undefined && p.max !== undefined) return `${base} from ${p.min} to ${p.max}`;
  return p.min !== undefined ? `${base} ≥ ${p.min}` : p.max !== undefined ? `${base} ≤ ${p.max}` : base;
}

/**
 * Why `value` does not fit parameter `name` of `what` (a user-facing sentence), or undefined when
 * it does. A left-out optional parameter fits.
 */
export function paramProblem(what: string, name: string, p: TransformParam, value: unknown): string | undefined {
  if (value === undefined && !p.required) return undefined;
  if (p.kind === 'bool') return typeof value === 'boolean' || value === undefined ? undefined : `${what}: ${name} must be true or false (got ${String(value)}).`;
  const v = value as number;
  const fits = typeof v === 'number' && Number.isFinite(v) && (p.kind === 'float' || Number.isInteger(v)) && (p.min === undefined || v >= p.min) && (p.max === undefined || v <= p.max);
  return fits ? undefined : `${what}: ${name} must be ${rangeText(p)} (got ${String(value)}).`;
}
