import type { ErrorCode } from '../../base/errors';
import { OptimizerConfigSchema, ScheduleConfigSchema, TransformSchema, settingIssue } from '../../base/schemas';
import { paramProblem } from '../../catalog/params';
import { OPTIMIZERS, unknownOptimizerMessage } from '../../catalog/optimizers/registry';
import { SCHEDULES, unknownScheduleMessage } from '../../catalog/schedules/registry';
import type { SettingParam } from '../../catalog/settings';
import { getTransform, unknownTransformMessage } from '../../catalog/transforms/registry';
import { badHyperMessage } from '../optim/base';
import { badScheduleMessage } from '../optim/schedule-base';

/**
 * The validator's checks of the settings declared in registries (`training.optimizer`, a group's,
 * `training.schedule`, `dataset.transform`): each value is parsed by the zod schema derived from
 * its registry (base/schemas.ts), and what zod refuses is reported with the code and message the
 * engine throws for it at run time (`OPTIM_UNKNOWN` with the kinds to pick from, not zod's union
 * message). A kind added to a registry is accepted here with nothing else to change.
 */

type Report = (code: ErrorCode, message: string) => void;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a setting's parameter must be, in words: its schema checks its type (the engine its range). */
function typeRule(p: SettingParam | undefined): string {
  if (!p) return 'one of its declared values';
  return p.kind === 'bool' ? 'true or false' : p.kind === 'enum' ? `one of ${p.values.join(', ')}` : p.kind === 'int' ? 'a whole number' : 'a finite number';
}

/**
 * An optimizer setting: `OPTIM_UNKNOWN` for an undeclared kind, `OPTIM_BAD_HYPERPARAM` for a
 * parameter of the wrong type; `malformed` for one that is not an object with a kind and a
 * non-negative rate (the caller's structural message).
 */
export function checkOptimizerSetting(value: unknown, report: Report, malformed: () => void): void {
  if (!isRecord(value) || typeof value.kind !== 'string') return malformed();
  const issue = settingIssue(OptimizerConfigSchema, value);
  if (!issue) return;
  if (issue.unknownKind) return report('OPTIM_UNKNOWN', unknownOptimizerMessage(value.kind));
  if (issue.field === 'lr') return malformed();
  const p = OPTIMIZERS.find((d) => d.kind === value.kind)?.params[issue.field];
  report('OPTIM_BAD_HYPERPARAM', badHyperMessage(issue.field, value[issue.field], `must be ${typeRule(p)}`));
}

/** A learning-rate schedule: `SCHEDULE_UNKNOWN` for an undeclared kind, `SCHEDULE_BAD_CONFIG` for a parameter missing or of the wrong type. */
export function checkScheduleSetting(value: unknown, report: Report): void {
  const issue = settingIssue(ScheduleConfigSchema, value);
  if (!issue) return;
  const kind = isRecord(value) ? value.kind : value;
  if (issue.unknownKind || !isRecord(value)) return report('SCHEDULE_UNKNOWN', unknownScheduleMessage(kind));
  const p = SCHEDULES.find((d) => d.kind === kind)?.params[issue.field];
  report('SCHEDULE_BAD_CONFIG', badScheduleMessage(String(kind), issue.field, value[issue.field], typeRule(p)));
}

/** An input transform: `DATA_BAD_OPTION` with the data layer's message for an undeclared kind or a parameter out of its range. */
export function checkTransformSetting(value: unknown, report: Report): void {
  const issue = settingIssue(TransformSchema, value);
  if (!issue) return;
  const kind = isRecord(value) ? value.kind : value;
  const def = typeof kind === 'string' ? getTransform(kind) : undefined;
  if (issue.unknownKind || !isRecord(value) || !def) return report('DATA_BAD_OPTION', unknownTransformMessage(kind));
  const p = def.params[issue.field];
  report('DATA_BAD_OPTION', (p && paramProblem(`${def.kind} transform`, issue.field, p, value[issue.field])) || `${def.kind} transform: ${issue.field} is not one of its parameters' values.`);
}
