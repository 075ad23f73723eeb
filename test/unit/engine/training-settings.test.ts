/**
 * The validator checks `training.optimizer`, `training.schedule` and `dataset.transform` with the
 * zod schemas derived from their registries, and reports what they refuse with the engine's own
 * codes and messages. A kind registered here for the test only (`made-up-optimizer`, a name no real
 * optimizer takes: `lion` collided once Lion was declared) is accepted with nothing
 * else changed: a registry line is all the validator needs.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Diagnostic } from '../../../src-engine/base/ir/diagnostics';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { OPTIMIZERS } from '../../../src-engine/catalog/optimizers/registry';
import type * as Registry from '../../../src-engine/catalog/optimizers/registry';
import { SCHEDULES } from '../../../src-engine/catalog/schedules/registry';
import { defaultSetting, type SettingParam } from '../../../src-engine/catalog/settings';
import { listTransforms } from '../../../src-engine/catalog/transforms/registry';
import { analyzeGraph } from '../../../src-engine/core/analysis/validate';
import { checkTransform } from '../../../src-engine/core/data/transforms';
import { createOptimizer, createSchedule } from '../../../src-engine/core/optim';
import { mnistMlp } from './graphs';

vi.mock('../../../src-engine/catalog/optimizers/registry', async (importOriginal) => {
  const registry = await importOriginal<typeof Registry>();
  const madeUp = { kind: 'made-up-optimizer', label: 'Made-up optimizer', doc: 'A test-only registration.', knownGoodLr: 1e-4, params: { beta1: { kind: 'float', default: 0.9, doc: 'β1', min: 0, max: 1 }, decoupled: { kind: 'bool', default: true, doc: 'decoupled decay' } } };
  return { ...registry, OPTIMIZERS: [...registry.OPTIMIZERS, madeUp] };
});

type Training = NonNullable<GraphIR['training']>;

/** The error diagnostics of the MNIST MLP with `patch` applied to its training settings. */
function errors(patch: (t: Training) => void): Pick<Diagnostic, 'code' | 'message'>[] {
  const g = mnistMlp();
  g.training = { dataset: { name: 'mnist' }, loss: 'loss', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 4, epochs: 2, seed: 1, metrics: [] };
  patch(g.training);
  return analyzeGraph(g).diagnostics.filter((d) => d.severity === 'error').map(({ code, message }) => ({ code, message }));
}

/** A value of another type than `p` takes. */
const wrongType = (p: { kind: string }): unknown => (p.kind === 'bool' ? 1 : 'x');
/** The message of what `f` throws, without its code prefix. */
const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message.replace(/^[A-Z_]+: /, '');
  }
  throw new Error('nothing thrown');
};
const first = (params: Readonly<Record<string, SettingParam>>): [string, SettingParam] => Object.entries(params)[0];

describe('training settings in the validator', () => {
  it('a kind registered for the test only passes at its defaults and is refused with a wrong type', () => {
    expect(OPTIMIZERS.map((o) => o.kind)).toContain('made-up-optimizer');
    expect(errors((t) => void (t.optimizer = { kind: 'made-up-optimizer', lr: 1e-4, beta1: 0.95, decoupled: false } as never))).toEqual([]);
    expect(errors((t) => void (t.optimizer = { kind: 'made-up-optimizer', lr: 1e-4, decoupled: 'yes' } as never))).toEqual([{ code: 'OPTIM_BAD_HYPERPARAM', message: 'Optimizer setting decoupled = yes is invalid: it must be true or false.' }]);
  });

  it.each(OPTIMIZERS.map((o) => [o.kind, o] as const))('optimizer %s: its defaults pass; a wrong type is OPTIM_BAD_HYPERPARAM', (kind, o) => {
    expect(errors((t) => void (t.optimizer = { ...defaultSetting(OPTIMIZERS, kind), lr: 0.01 } as never))).toEqual([]);
    const [name, p] = first(o.params);
    expect(errors((t) => void (t.optimizer = { kind, lr: 0.01, [name]: wrongType(p) } as never))).toEqual([{ code: 'OPTIM_BAD_HYPERPARAM', message: expect.stringContaining(`Optimizer setting ${name} = `) }]);
    // In a group too.
    const group = (optimizer: unknown) => (t: Training) => void (t.groups = [{ name: 'all', params: { nodes: ['fc1', 'fc2'] }, loss: 'loss', optimizer: optimizer as never }]);
    expect(errors(group({ ...defaultSetting(OPTIMIZERS, kind), lr: 0.01 }))).toEqual([]);
    expect(errors(group({ kind, lr: 0.01, [name]: wrongType(p) })).map((d) => d.code)).toEqual(['OPTIM_BAD_HYPERPARAM']);
  });

  it.each(SCHEDULES.map((s) => [s.kind, s] as const))('schedule %s: its defaults pass; a wrong type is SCHEDULE_BAD_CONFIG', (kind, s) => {
    expect(errors((t) => void (t.schedule = defaultSetting(SCHEDULES, kind, { epochs: 2, lr: 0.1 }) as never))).toEqual([]);
    const entry = Object.entries(s.params)[0];
    if (!entry) return; // a constant rate has nothing to get wrong
    const [name, p] = entry;
    expect(errors((t) => void (t.schedule = { ...defaultSetting(SCHEDULES, kind, { epochs: 2, lr: 0.1 }), [name]: wrongType(p) } as never))).toEqual([{ code: 'SCHEDULE_BAD_CONFIG', message: expect.stringContaining(`Schedule ${kind}: ${name} = `) }]);
  });

  it.each(listTransforms().map((d) => [d.kind, d] as const))('transform %s: its defaults pass; a value out of its range is the data layer\'s DATA_BAD_OPTION', (kind, d) => {
    const defaults = { kind, ...Object.fromEntries(Object.entries(d.params).map(([n, p]) => [n, p.default])) };
    expect(errors((t) => void (t.dataset = { name: 'mnist', transform: defaults as never }))).toEqual([]);
    const entry = Object.entries(d.params)[0];
    if (!entry) return; // `none` has no parameters
    const bad = { ...defaults, [entry[0]]: wrongType(entry[1]) };
    expect(errors((t) => void (t.dataset = { name: 'mnist', transform: bad as never }))).toEqual([{ code: 'DATA_BAD_OPTION', message: thrown(() => checkTransform(bad as never)) }]);
  });

  it('an unknown kind is the engine\'s coded error, with its message (the known kinds listed), not zod\'s union message', () => {
    expect(errors((t) => void (t.optimizer = { kind: 'nope', lr: 0.1 } as never))).toEqual([{ code: 'OPTIM_UNKNOWN', message: thrown(() => createOptimizer({ kind: 'nope', lr: 0.1 } as never, [])) }]);
    expect(errors((t) => void (t.optimizer = { kind: 'nope', lr: 0.1 } as never))[0].message).toMatch(/^Unknown optimizer "nope"; use adam, adamw, sgd/);
    expect(errors((t) => void (t.schedule = { kind: 'sometimes' } as never))).toEqual([{ code: 'SCHEDULE_UNKNOWN', message: thrown(() => createSchedule({ kind: 'sometimes' } as never, 0.1)) }]);
    const transform = { kind: 'blur', sigma: 1 };
    expect(errors((t) => void (t.dataset = { name: 'mnist', transform: transform as never }))).toEqual([{ code: 'DATA_BAD_OPTION', message: thrown(() => checkTransform(transform as never)) }]);
    // What is not a setting at all keeps the structural message; a negative rate too.
    expect(errors((t) => void (t.optimizer = { kind: 'adam', lr: -1 } as never)).map((d) => d.code)).toEqual(['E_TRAINING']);
    expect(errors((t) => void (t.optimizer = 'adam' as never)).map((d) => d.code)).toEqual(['E_TRAINING']);
  });
});
