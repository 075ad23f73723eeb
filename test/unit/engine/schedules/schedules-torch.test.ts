/**
 * Every registered learning-rate schedule against PyTorch (1.13), at the cases its file declares
 * (`testDomain`): the rate before each optimizer step — the engine's (`step()`, and `lrAt` where it
 * has one), its torch.optim.lr_scheduler counterpart's and the exported train.py's — agree. One
 * Python process answers every case (schedules_torch.py). A schedule added to the registry is
 * compared with no edit here; one without a test domain is named.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../../../src-engine/base/ir/types';
import { SCHEDULE_DEFS, createSchedule } from '../../../../src-engine/core/optim';
import type { AnyScheduleDefinition } from '../../../../src-engine/core/optim/schedule-def';
import { scheduleSource } from '../../../../src-engine/core/export/pytorch';
import { HAS_TORCH, tempDir, torchProcess } from '../export/torch-harness';
import { missingScheduleDomains } from '../settings-domains';

const DEFS = SCHEDULE_DEFS as readonly AnyScheduleDefinition[];

interface Case {
  label: string;
  def: AnyScheduleDefinition;
  /** The setting as a design holds it: what the case gives. */
  config: ScheduleConfig;
  baseLr: number;
  steps: number;
  metrics?: readonly number[];
}

const CASES: Case[] = DEFS.flatMap((def) =>
  (def.testDomain?.cases ?? []).map((c) => ({
    label: `${def.kind}: ${c.name}`,
    def,
    config: { kind: def.kind, ...c.settings } as ScheduleConfig,
    baseLr: c.baseLr ?? 0.1,
    steps: c.steps ?? c.metrics?.length ?? 30,
    ...(c.metrics ? { metrics: c.metrics } : {}),
  })),
);

/** Every declared setting at its declared default, then the case's. */
const withDefaults = (c: Case): Record<string, unknown> => ({ ...Object.fromEntries(Object.entries(c.def.params).map(([k, p]) => [k, p.default])), ...c.config });

/** The engine's rates before each of the case's steps, and `lrAt` at each (undefined without a closed form). */
function engineRates(c: Case): { stepped: number[]; closed?: number[] } {
  const sched = createSchedule(c.config, c.baseLr);
  const stepped: number[] = [];
  for (let k = 0; k < c.steps; k++) {
    stepped.push(sched.lr);
    sched.step(c.metrics?.[k]);
  }
  return { stepped, ...(sched.lrAt ? { closed: stepped.map((_, t) => sched.lrAt!(t)) } : {}) };
}

/**
 * NOTE (bound): both sides compute in float64, PyTorch's chainable forms step by step (each step
 * a product by a ratio of cosines) and the engine's in closed form: a few ulp per step, so over
 * ≤ 60 steps well under 1e-12 of the sequence's largest rate.
 */
function expectSameRates(got: readonly number[], want: readonly number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  const tol = 1e-12 * Math.max(...want.map(Math.abs));
  const bad = want.flatMap((w, i) => (Math.abs(got[i] - w) <= tol ? [] : [`step ${i}: ${got[i]} vs ${w}`]));
  expect(bad, `${what} (tolerance ${tol.toExponential(1)})`).toEqual([]);
}

describe('every registered schedule declares what it is tested at', () => {
  it('a test domain whose cases set each of its settings away from its default', () => {
    expect(missingScheduleDomains()).toEqual([]);
  });
});

describe.skipIf(!HAS_TORCH)('every registered schedule steps as PyTorch does', () => {
  let answers: { torch: { rates?: number[]; error?: string } | null; trainPy: { rates?: number[]; error?: string } }[];

  beforeAll(async () => {
    const cases = CASES.map((c) => {
      const source = scheduleSource(c.config);
      const torch = c.def.testDomain!.torch;
      return {
        torch: typeof torch === 'string' ? torch : null,
        settings: withDefaults(c),
        config: c.config,
        lrRule: source.__LR_RULE__,
        scheduler: source.__TORCH_SCHEDULER__,
        baseLr: c.baseLr,
        steps: c.steps,
        ...(c.metrics ? { metrics: c.metrics } : {}),
      };
    });
    const dir = tempDir('schedules');
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    const r = await torchProcess([join(import.meta.dirname, 'schedules_torch.py'), file], import.meta.dirname);
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`schedules_torch.py failed (${r.status}): ${r.stderr}`);
    answers = JSON.parse(r.stdout);
  }, 120_000);

  it.each(CASES.map((c, i) => [c.label, i] as const))('%s', (label, i) => {
    const c = CASES[i];
    const { stepped, closed } = engineRates(c);
    const { torch, trainPy } = answers[i];
    if (torch) {
      expect(torch.error, `${label}: its torch counterpart`).toBeUndefined();
      expectSameRates(stepped, torch.rates!, `${label}: the engine against torch.optim.lr_scheduler`);
    }
    expect(trainPy.error, `${label}: train.py's make_schedule`).toBeUndefined();
    // train.py reads the setting as the design holds it: its defaults must be the declared ones too.
    expectSameRates(trainPy.rates!, stepped, `${label}: train.py against the engine`);
    if (closed) expectSameRates(closed, stepped, `${label}: lrAt against step()`);
  });
});
