import { describe, expect, it } from 'vitest';
import type { DatasetConfig, OptimizerConfig, ScheduleConfig } from '../../../src-engine/base/ir/types';
import { tensor } from '../../../src-engine/base/tensor';
import { DATASETS } from '../../../src-engine/catalog/datasets/registry';
import { loadBuiltinDataset } from '../../../src-engine/core/data';
import { OptimizerConfigSchema, ScheduleConfigSchema } from '../../../src-engine/base/schemas';
import { OPTIMIZERS } from '../../../src-engine/catalog/optimizers/registry';
import { SCHEDULES } from '../../../src-engine/catalog/schedules/registry';
import { defaultSetting, refitSetting } from '../../../src-engine/catalog/settings';
import { createOptimizer, createSchedule } from '../../../src-engine/core/optim';

/** What the Train dock offers is what the engine runs: each registry default is the engine's own. */
describe('settings registries', () => {
  const param = () => {
    const value = tensor([4], Float32Array.of(1, -2, 3, -4));
    const grad = tensor([4], Float32Array.of(0.5, 0.25, -1, 2));
    return { nodeId: 'fc', name: 'weight', value, grad, decay: true };
  };

  it.each(OPTIMIZERS.map((o) => [o.kind]))('%s: the registry defaults train exactly like the engine defaults', (kind) => {
    const run = (cfg: OptimizerConfig) => {
      const p = param();
      const opt = createOptimizer(cfg, [p]);
      // Gradients that change every step: with a constant one, Adam's bias correction hides its betas.
      for (let i = 0; i < 4; i++) {
        p.grad.data.set([0.5 * (i + 1), -0.25 * i * i, (-1) ** i, 2 / (i + 1)]);
        opt.step();
      }
      return p.value.data;
    };
    const withDefaults = { ...defaultSetting(OPTIMIZERS, kind), lr: 0.1 } as unknown as OptimizerConfig;
    expect(run(withDefaults)).toEqual(run({ kind, lr: 0.1 } as OptimizerConfig));
  });

  it('an optimizer the registry does not list is one the engine does not know', () => {
    expect(() => createOptimizer({ kind: 'made-up-optimizer', lr: 0.1 } as unknown as OptimizerConfig, [param()])).toThrow(/Unknown optimizer/);
  });

  it('the zod schemas are the declarations: every default passes, an undeclared kind, a wrong type or a missing required parameter does not', () => {
    for (const o of OPTIMIZERS) expect(OptimizerConfigSchema.safeParse({ ...defaultSetting(OPTIMIZERS, o.kind), lr: 0.1 }).success, o.kind).toBe(true);
    for (const s of SCHEDULES) expect(ScheduleConfigSchema.safeParse(defaultSetting(SCHEDULES, s.kind, { epochs: 3, lr: 0.1 })).success, s.kind).toBe(true);
    expect(OptimizerConfigSchema.safeParse({ kind: 'made-up-optimizer', lr: 0.1 }).success).toBe(false);
    expect(OptimizerConfigSchema.safeParse({ kind: 'sgd', lr: 0.1, nesterov: 1 }).success).toBe(false);
    expect(OptimizerConfigSchema.safeParse({ kind: 'adam' }).success).toBe(false);
    expect(ScheduleConfigSchema.safeParse({ kind: 'step', gamma: 0.5 }).success).toBe(false);
    expect(ScheduleConfigSchema.safeParse({ kind: 'plateau', mode: 'sideways' }).success).toBe(false);
  });

  it.each(SCHEDULES.map((s) => [s.kind]))('%s: the registry default is a schedule the engine accepts', (kind) => {
    const cfg = defaultSetting(SCHEDULES, kind, { epochs: 5, lr: 0.01 }) as unknown as ScheduleConfig;
    const s = createSchedule(cfg, 0.01);
    expect(Number.isFinite(s.lr)).toBe(true);
    s.step(1);
    expect(Number.isFinite(s.lr)).toBe(true);
  });

  it('context defaults: a cosine spans the run, one-cycle peaks at 10× the rate', () => {
    expect(defaultSetting(SCHEDULES, 'cosine', { epochs: 7 })).toMatchObject({ tMax: 7, etaMin: 0 });
    expect(defaultSetting(SCHEDULES, 'onecycle', { lr: 0.003 }).maxLr).toBeCloseTo(0.03);
  });

  // Every schedule whose declaration fits a parameter to the run (SCHEDULES' `fit`), as the Train dock and the Inspector change the run.
  const fitting = SCHEDULES.flatMap((s) => Object.entries(s.fit ?? {}).map(([param, f]) => [s.kind, param, f.from] as const));
  it('some schedule fits a parameter to the run (the cases below are not empty)', () => expect(fitting.length).toBeGreaterThan(0));

  it.each(fitting)('%s.%s follows the run\'s %s while it holds what the fit gave; a value set otherwise stays', (kind, param) => {
    const before = { epochs: 5, lr: 0.01 };
    const after = { epochs: 2, lr: 0.002 };
    const chosen = defaultSetting(SCHEDULES, kind, before);
    expect(refitSetting(SCHEDULES, chosen, before, after)[param]).toBe(defaultSetting(SCHEDULES, kind, after)[param]);
    const set = { ...chosen, [param]: 7 };
    expect(refitSetting(SCHEDULES, set, before, after)).toBe(set);
    // Nothing of the run that the fit reads changed: the same object.
    expect(refitSetting(SCHEDULES, chosen, before, { ...before })).toBe(chosen);
  });

  it.each(fitting.filter(([, , from]) => from === 'epochs'))('%s.%s counted in steps follows the epochs in proportion where it is a whole multiple of them', (kind, param) => {
    const chosen = { ...defaultSetting(SCHEDULES, kind), [param]: 3378 };
    expect(refitSetting(SCHEDULES, chosen, { epochs: 3 }, { epochs: 1 }, true)[param]).toBe(1126);
    expect(refitSetting(SCHEDULES, { ...chosen, [param]: 1126 }, { epochs: 1 }, { epochs: 3 }, true)[param]).toBe(3378);
    const odd = { ...chosen, [param]: 3379 };
    expect(refitSetting(SCHEDULES, odd, { epochs: 3 }, { epochs: 1 }, true)).toBe(odd);
  });

  it.each(DATASETS.filter((d) => !d.files).map((d) => [d.name]))('%s: the registry defaults generate the same data as no options', (name) => {
    const spec = DATASETS.find((d) => d.name === name)!;
    const given: DatasetConfig = { name, options: Object.fromEntries(Object.entries(spec.options).filter(([k]) => k !== 'normalize').map(([k, v]) => [k, v.default])) };
    const a = loadBuiltinDataset(given, 3)!.train;
    const b = loadBuiltinDataset({ name }, 3)!.train;
    // Bytes compared as bytes: vitest's deep equality walks the shapes' 9.2 M values one by one (49 s).
    expect(Buffer.from(a.features.buffer, a.features.byteOffset, a.features.byteLength).equals(Buffer.from(b.features.buffer, b.features.byteOffset, b.features.byteLength))).toBe(true);
    // A sequence task's shape follows its options ([length, features]): the registry fixes none.
    const features = name === 'memory' ? Number(given.options!.symbols) : name === 'parity' || name === 'waves' ? 1 : 2;
    expect(a.featureShape).toEqual(spec.featureShape ?? [Number(given.options!.length), features]);
    expect(a.task).toBe(spec.task);
  });
});
