/**
 * SmoothL1Loss, one declaration (core/ops/smooth-l1-loss.ts), against PyTorch 1.13's
 * `nn.SmoothL1Loss(beta=…)` — the module text the exported project's train.py builds — on the
 * reference and CPU (WebAssembly) backends: the loss and both gradients (the PyTorch goldens hold
 * the prediction's only; the GPU's kernels are held to the reference in
 * test/unit/gpu/regression-losses.test.ts). β = 1 (the default), 0.5, 10⁻³ and 0 (PyTorch's L1
 * path), on 7×5 values (the CPU's f32x4 loop and its tail), with ties (d = 0), differences of
 * exactly ±β and differences either side of β; dLoss = 0.7. One Python process for every case.
 *
 * Bounds, with u = 2⁻²⁴: the reference forms each value in float64 and rounds once (≤ u relative;
 * PyTorch sums in another order, ~1e-16), so |Δ| ≤ 2u·|want|. The CPU rounds dLoss/N, d and d/β to
 * float32 before the product (≤ 4 roundings): each gradient element within 8u·|want| (a ±1 slope
 * is exact, so there only dLoss/N's rounding shows); its forward is the reference's float64 sum.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { initialModel } from '../../../src-engine/core/export/initial';
import { exportPytorch } from '../../../src-engine/core/export/pytorch';
import { getOp } from '../../../src-engine/core/ops/registry';
import { torchModuleText } from '../../../src-engine/core/ops/export-mapping';
import { tensor } from '../../../src-engine/base/tensor';
import { Rng } from '../../../src-engine/base/rng';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { HAS_TORCH, torchProcess } from './export/torch-harness';
import { runOp } from './harness';

const U = 2 ** -24;
const def = getOp('SmoothL1Loss')!;
const SHAPE = [7, 5];
const D_LOSS = 0.7;

/** Prediction and target for β: random values, then ties, differences of exactly ±β and just inside/outside it. */
function values(beta: number): { p: Float32Array; t: Float32Array } {
  const rng = new Rng(58);
  const n = SHAPE[0] * SHAPE[1];
  const p = Float32Array.from({ length: n }, () => 2 * rng.normal());
  const t = Float32Array.from({ length: n }, () => 2 * rng.normal());
  for (let i = 0; i < n; i += 9) t[i] = p[i];
  // 1.25 ± β is exact in float32 for these β (β = 10⁻³ is not a float32: d = ±fround(…) lands near it).
  for (let i = 3; i < n; i += 8) [p[i], t[i]] = [1.25, 1.25 - (i % 2 ? beta : -beta)];
  for (let i = 5; i < n; i += 10) [p[i], t[i]] = [0.5, 0.5 - beta * (i % 4 ? 0.999 : 1.001)];
  return { p, t };
}

/**
 * PyTorch's loss and gradients for each case, through the module text train.py builds: in a process
 * forked from the interpreter that has imported torch (torchProcess), the cases as its argument.
 */
async function torchAnswers(cases: { module: string; p: number[]; t: number[] }[]): Promise<{ loss: number; dp: number[]; dt: number[] }[]> {
  const script = `
import json, sys, torch
from torch import nn
out = []
for c in json.loads(sys.argv[1]):
    loss_fn = eval(c['module'])
    p = torch.tensor(c['p'], dtype=torch.float64, requires_grad=True)
    t = torch.tensor(c['t'], dtype=torch.float64, requires_grad=True)
    loss = loss_fn(p, t)
    loss.backward(torch.tensor(${D_LOSS}, dtype=torch.float64))
    out.append({'loss': loss.item(), 'dp': p.grad.tolist(), 'dt': t.grad.tolist()})
print(json.dumps(out))
`;
  const r = await torchProcess(['-c', script, JSON.stringify(cases)], import.meta.dirname);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

describe('SmoothL1Loss: one declaration on every backend and in the exported project (#58)', () => {
  it("the exported project's train.py builds nn.SmoothL1Loss(beta=…) by name", () => {
    const g = JSON.parse(readFileSync(join(__dirname, '../../../examples/housing-mlp.json'), 'utf8')) as GraphIR;
    const design = { ...g, nodes: g.nodes.map((n) => (n.id === 'loss' ? { ...n, op: 'SmoothL1Loss', attrs: { beta: 0.5 } } : n)) };
    const train = exportPytorch(initialModel(design)).files.find((f) => f.path === 'train.py')!;
    expect(new TextDecoder().decode(train.data)).toContain("'module': nn.SmoothL1Loss(beta=0.5),");
    expect(torchModuleText(def, { beta: 1 }, SHAPE)).toBe('nn.SmoothL1Loss(beta=1)');
  });

  it('refuses a negative or infinite beta, as PyTorch does', () => {
    for (const beta of [-0.5, Infinity, NaN]) expect(def.inferShape({ inputs: [SHAPE, SHAPE], attrs: { beta } })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(def.inferShape({ inputs: [SHAPE, SHAPE], attrs: { beta: 0 } })).toMatchObject({ ok: true, shape: [] });
  });

  it.skipIf(!HAS_TORCH)('matches PyTorch 1.13 (loss, both gradients) on the reference and CPU backends', async () => {
    const betas = [1, 0.5, 1e-3, 0];
    const inputs = betas.map(values);
    const want = await torchAnswers(betas.map((beta, k) => ({ module: torchModuleText(def, { beta }, SHAPE)!, p: [...inputs[k].p], t: [...inputs[k].t] })));
    betas.forEach((beta, k) => {
      const { p, t } = inputs[k];
      const w = want[k];
      for (const [name, backend, gradTol] of [['reference', createReferenceBackend(), 2 * U], ['cpu', cpu, 8 * U]] as const) {
        const r = runOp(def, { inputs: [tensor(SHAPE, p), tensor(SHAPE, t)], attrs: { beta }, dOutput: tensor([], Float32Array.of(D_LOSS)), backend });
        const label = `${name}, beta ${beta}`;
        expect(Math.abs(r.output.data[0] - w.loss), `${label}: loss ${r.output.data[0]} vs ${w.loss}`).toBeLessThanOrEqual(2 * U * Math.abs(w.loss));
        for (const [g, expected] of [[r.dInputs[0]!.data, w.dp], [r.dInputs[1]!.data, w.dt]] as const) {
          expected.forEach((e, i) => expect(Math.abs(g[i] - e), `${label}: gradient [${i}] ${g[i]} vs ${e}`).toBeLessThanOrEqual(gradTol * Math.abs(e)));
        }
      }
    });
  });
});
