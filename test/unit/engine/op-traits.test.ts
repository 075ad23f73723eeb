import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { ActivationProbe } from '../../../src-engine/app/probes/activation-probe';
import { TensorSummarizer } from '../../../src-engine/app/probes/summary';
import { divergenceHint } from '../../../src-engine/app/session/divergence-guard';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { listOps } from '../../../src-engine/core/ops/registry';
import { suggestLr } from '../../../src-engine/catalog/optimizers/registry';
import type { Attrs, OpDef } from '../../../src-engine/core/ops/types';
import { isMapped, torchModuleText } from '../../../src-engine/core/ops/export-mapping';
import { getOp } from '../../../src-engine/core/ops/registry';
import { withDefaults } from './harness';

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
    const plan = compileGraph(checkedOrThrow(g), { batchSize: 8, backend: createReferenceBackend(), seed: 3 });
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
    expect(card('Input', { source: 'target', shape: [] })).toBe('target · class labels · []');
    expect(card('Input', { source: 'features', shape: [1, 28, 28] })).toBe('features · [1, 28, 28]');
  });

  it('a divergence suggests a rate that trains: 10× lower, no higher than the optimizer\'s known-good rate (#18)', () => {
    expect(suggestLr('adam', 1000)).toBe(0.001);
    expect(suggestLr('adam', 0.005)).toBe(0.0005);
    expect(suggestLr('sgd', 50)).toBe(0.1);
    expect(suggestLr('sgd', 0.5)).toBe(0.05);
    expect(divergenceHint({ where: 'gradient', nodeId: 'fc1', op: 'Linear' }, 1000, suggestLr('adam', 1000))).toMatch(/now 1000; try 0\.001\)/);
  });
});

/** A first-input shape each op accepts, for rendering its PyTorch template. */
const shapeFor = (def: OpDef): number[] => (['layers', 'normalization'].includes(def.category) && def.name !== 'Linear' ? [2, 4, 8, 8] : [2, 6]);

describe('ops say how they map to ONNX and PyTorch (the exporters read this)', () => {
  for (const def of listOps()) {
    it(def.name, () => {
      for (const m of [def.onnx, def.torch]) {
        expect(m, 'a mapping or { none: reason }').toBeDefined();
        if (!isMapped(m)) expect(m.none.length, 'the reason').toBeGreaterThan(10);
      }
      // Only Inputs, losses and training-only constructs may lack an ONNX node; any other op
      // without a PyTorch module needs an expression in forward().
      const inferenceOp = def.category !== 'input' && def.category !== 'losses' && !def.trainingOnly;
      if (!isMapped(def.onnx)) expect(inferenceOp, 'an inference op needs an ONNX mapping').toBe(false);
      if (inferenceOp && !isMapped(def.torch)) expect(def.torch.none).toMatch(/forward\(\)/);
      if (def.category === 'input') expect(isMapped(def.torch)).toBe(false);
      if (isMapped(def.onnx)) {
        expect(def.onnx.opType).toMatch(/^[A-Z][A-Za-z]+$/);
        for (const src of Object.values(def.onnx.attrs ?? {})) if ('attr' in src) expect(Object.keys(def.attrs)).toContain(src.attr);
      }
      const text = torchModuleText(def, withDefaults(def, {}), shapeFor(def));
      if (isMapped(def.torch)) {
        expect(text).toMatch(/^[\w.]+\(/);
        expect(text).not.toMatch(/[{}]|undefined|NaN/);
      } else expect(text).toBeUndefined();
    });
  }

  it('templates render as an exported model.py needs them', () => {
    const linear = getOp('Linear')!;
    expect(torchModuleText(linear, withDefaults(linear, { outFeatures: 10 }), [64, 784])).toBe('nn.Linear(784, 10, bias=True)');
    const conv = getOp('Conv2d')!;
    expect(torchModuleText(conv, withDefaults(conv, { outChannels: 8 }), [1, 3, 28, 28])).toBe(
      'nn.Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True)',
    );
    const ln = getOp('LayerNorm')!;
    expect(torchModuleText(ln, withDefaults(ln, { normalizedDims: 3 }), [2, 4, 8, 8])).toBe('nn.LayerNorm((4, 8, 8), eps=0.00001, elementwise_affine=True)');
    const ce = getOp('CrossEntropyLoss')!;
    expect(torchModuleText(ce, withDefaults(ce, { classWeights: [1, 2] }), [4, 2])).toBe('nn.CrossEntropyLoss(weight=torch.tensor([1, 2]), label_smoothing=0)');
    expect(torchModuleText(getOp('Softplus')!, { beta: 2, threshold: 20 }, [2, 6])).toMatch(/^nn\.Softplus\(beta=2, threshold=20\)$/);
  });
});
