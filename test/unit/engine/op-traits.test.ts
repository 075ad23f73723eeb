import { describe, expect, it } from 'vitest';
import { ActivationProbe } from '../../../src-engine/app/probes/activation-probe';
import { TensorSummarizer } from '../../../src-engine/app/probes/summary';
import { divergenceHint } from '../../../src-engine/app/session/divergence-guard';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { listOps } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';

/** Every op's defaults, as the validator fills them in. */
const defaults = (name: string): Attrs => Object.fromEntries(Object.entries(listOps().find((d) => d.name === name)!.attrs).map(([k, a]) => [k, a.default]));

describe('ops describe themselves (OpDef traits)', () => {
  it('declared traits are consistent for every registered op', () => {
    for (const def of listOps()) {
      const sat = def.output?.saturated;
      if (sat) {
        expect(sat.below !== undefined || sat.above !== undefined, def.name).toBe(true);
        if (sat.below !== undefined && sat.above !== undefined) expect(sat.below, def.name).toBeLessThan(sat.above);
      }
      if (def.card) expect(typeof def.card(defaults(def.name)), def.name).toBe('string');
      if (def.divergenceAdvice) expect(def.params, `${def.name} advises about weights it does not have`).toBeDefined();
      if (def.output?.scores) expect(def.category, def.name).toBe('activations');
      if (def.withoutRegularization) expect(def.category, def.name).toBe('regularization');
    }
  });

  it('the activation probe reads dead units and saturation from the traits, for every op that declares them', () => {
    const acts = listOps().filter((d) => d.category === 'activations' && d.name !== 'Softmax');
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [6] }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['x'] },
        ...acts.map((d) => ({ id: d.name, op: d.name, attrs: {}, inputs: ['fc'] })),
      ],
      outputs: Object.fromEntries(acts.map((d) => [d.name, d.name])),
    };
    const plan = compileGraph(g, { batchSize: 8, backend: createReferenceBackend(), seed: 3 });
    // Inputs far out in both tails: every op that has a flat tail reports values in it.
    plan.input('x').data.forEach((_, i, a) => (a[i] = (i % 2 ? 1 : -1) * 40));
    plan.forward(false);
    const entries = new ActivationProbe(g, plan, new TensorSummarizer(8)).measure(null);
    for (const def of acts) {
      const e = entries.find((x) => x.nodeId === def.name)!;
      expect(e.saturatedFrac !== undefined, `${def.name} saturation`).toBe(def.output?.saturated !== undefined);
      expect(e.deadFrac !== undefined, `${def.name} dead units`).toBe(def.output?.deadAtZero === true);
    }
    expect(entries.find((x) => x.nodeId === 'Softplus')!.saturatedFrac).toBeGreaterThan(0.2);
    const fc = entries.find((x) => x.nodeId === 'fc')!;
    expect([fc.saturatedFrac, fc.deadFrac]).toEqual([undefined, undefined]);
  });

  it('node cards and divergence advice come from the op files', () => {
    const card = (name: string, attrs: Attrs) => listOps().find((d) => d.name === name)!.card!(attrs);
    expect(card('Linear', { outFeatures: 128 })).toBe('128 out');
    expect(card('Conv2d', { outChannels: 16, kernelSize: [3, 3] })).toBe('16 ch · k3×3');
    expect(card('Dropout', { p: 0.2 })).toBe('p=0.2');
    expect(card('Softplus', { beta: 2, threshold: 20 })).toBe('β=2');
    expect(divergenceHint({ where: 'activation', nodeId: 'fc1', op: 'Linear' }, 1)).toMatch(/weights of fc1 grew/);
    expect(divergenceHint({ where: 'activation', nodeId: 's', op: 'Softplus' }, 1)).toMatch(/BatchNorm before s/);
  });
});
