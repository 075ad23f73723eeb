/**
 * A schedule or an input transform registered without what its tests draw is named (#86): kinds
 * registered here for the test only — one without a test domain, one whose cases leave a setting
 * untested — are reported with the file to edit and what to declare, by the same check
 * schedules-torch.test.ts and transforms-torch.test.ts run on the real registries.
 * (Isolated: its own directory is outside vitest.config.ts's shared projects, so the mocks stay here.)
 */
import { describe, expect, it, vi } from 'vitest';
import type * as ScheduleKinds from '../../../src-engine/core/optim/schedule-kinds/registry';
import type * as Transforms from '../../../src-engine/catalog/transforms/registry';
import { missingScheduleDomains, missingTransformDomains } from '../engine/settings-domains';

vi.mock('../../../src-engine/core/optim/schedule-kinds/registry', async (importOriginal) => {
  const registry = await importOriginal<typeof ScheduleKinds>();
  const [constant, , exponential] = registry.SCHEDULE_DEFS;
  const flat = { ...constant, kind: 'made-up-flat', testDomain: undefined };
  const decay = { ...exponential, kind: 'made-up-decay', testDomain: { torch: "S.ExponentialLR(optimizer, gamma=s['gamma'])", cases: [{ name: 'its default', settings: { gamma: 0.9 } }] } };
  return { ...registry, SCHEDULE_DEFS: [...registry.SCHEDULE_DEFS, flat, decay] };
});

vi.mock('../../../src-engine/catalog/transforms/registry', async (importOriginal) => {
  const registry = await importOriginal<typeof Transforms>();
  const all = registry.listTransforms();
  const [, noise, , mask] = all;
  const speckle = { ...mask, kind: 'made-up-speckle', testDomain: undefined };
  const grain = { ...noise, kind: 'made-up-grain', testDomain: { torchvision: { none: 'a test-only transform' }, cases: [{ name: 'everything given', settings: { std: 0.1, clip: false } }] } };
  return { ...registry, listTransforms: () => [...all, speckle, grain] };
});

describe('a setting kind registered without its test domain', () => {
  it('a schedule: named with its file and what to declare', () => {
    expect(missingScheduleDomains()).toEqual([
      "src-engine/core/optim/schedule-kinds/ (the file declaring schedule 'made-up-flat'): declare testDomain (its torch.optim.lr_scheduler counterpart and the settings to compare at)",
      "src-engine/core/optim/schedule-kinds/ (the file declaring schedule 'made-up-decay'): no testDomain case sets 'gamma' away from its default",
    ]);
  });

  it('a transform: named with its file and what to declare', () => {
    expect(missingTransformDomains()).toEqual([
      "src-engine/catalog/transforms/ (the file declaring transform 'made-up-speckle'): declare testDomain (the settings to draw it at, and its torchvision counterpart or why it has none)",
      "src-engine/catalog/transforms/ (the file declaring transform 'made-up-grain'): no testDomain case leaves the optional 'clip' out",
    ]);
  });
});
