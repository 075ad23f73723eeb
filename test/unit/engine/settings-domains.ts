/**
 * Whether every registered schedule and input transform declares what its tests draw (`testDomain`),
 * read by schedules/schedules-torch.test.ts and data/transforms-torch.test.ts: each missing piece
 * named with the file and what to declare there.
 */
import { SCHEDULE_DEFS } from '../../../src-engine/core/optim';
import type { AnyScheduleDefinition } from '../../../src-engine/core/optim/schedule-def';
import { listTransforms } from '../../../src-engine/catalog/transforms/registry';
import type { TransformDef, TransformTestDomain } from '../../../src-engine/catalog/transforms/types';

/** The schedules without a test domain, and the declared settings no case of theirs moves off its default. */
export function missingScheduleDomains(): string[] {
  const where = (kind: string) => `src-engine/core/optim/schedule-kinds/ (the file declaring schedule '${kind}')`;
  return (SCHEDULE_DEFS as readonly AnyScheduleDefinition[]).flatMap((def) => {
    if (!def.testDomain) return [`${where(def.kind)}: declare testDomain (its torch.optim.lr_scheduler counterpart and the settings to compare at)`];
    const cases = def.testDomain.cases.map((c) => c.settings as Readonly<Record<string, unknown>>);
    return Object.entries(def.params)
      .filter(([name, p]) => !cases.some((s) => name in s && s[name] !== p.default))
      .map(([name]) => `${where(def.kind)}: no testDomain case sets '${name}' away from its default`);
  });
}

/** The transforms without a test domain, the parameters no case moves off its default, and the optional ones no case leaves out. */
export function missingTransformDomains(): string[] {
  const where = (kind: string) => `src-engine/catalog/transforms/ (the file declaring transform '${kind}')`;
  return (listTransforms() as readonly TransformDef[]).flatMap((def) => {
    const domain = def.testDomain as TransformTestDomain | undefined;
    if (!domain) return [`${where(def.kind)}: declare testDomain (the settings to draw it at, and its torchvision counterpart or why it has none)`];
    const cases = domain.cases.map((c) => c.settings as Readonly<Record<string, unknown>>);
    return Object.entries(def.params).flatMap(([name, p]) => [
      ...(cases.some((s) => name in s && s[name] !== p.default) ? [] : [`${where(def.kind)}: no testDomain case sets '${name}' away from its default`]),
      ...(p.required || cases.some((s) => !(name in s)) ? [] : [`${where(def.kind)}: no testDomain case leaves the optional '${name}' out`]),
    ]);
  });
}
