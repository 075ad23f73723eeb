/**
 * The exported project's train.py is a real Python file (src-engine/core/export/train.py): Python's
 * own parser reads it, and the module the engine imports (generated/train-py.ts) holds exactly it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRAIN_PY_TEXT as TRAIN_PY } from '../../../../src-engine/core/export/generated/train-py';
import { optimizerClassSource, optimizerSource, scheduleSource } from '../../../../src-engine/core/export/pytorch';
import { SCHEDULE_DEFS, createOptimizer, createSchedule, type OptimParam } from '../../../../src-engine/core/optim';
import { OPTIMIZERS } from '../../../../src-engine/catalog/optimizers/registry';
import { SCHEDULES } from '../../../../src-engine/catalog/schedules/registry';
import { defaultSetting } from '../../../../src-engine/catalog/settings';
import { tensor } from '../../../../src-engine/base/tensor';
import { HAS_TORCH, torchProcess } from './torch-harness';
import type { OptimizerConfig, ScheduleConfig } from '../../../../src-engine/base/ir/types';
// @ts-expect-error — a plain .mjs build script without type declarations.
import { TRAIN_PY_MODULE, TRAIN_PY_SOURCE, buildTrainPyModule } from '../../../../scripts/build-train-py.mjs';

describe('train.py source', () => {
  it('generated/train-py.ts is up to date with train.py (run `node scripts/build-train-py.mjs`)', () => {
    expect(readFileSync(TRAIN_PY_MODULE as string, 'utf8')).toBe(buildTrainPyModule() as string);
    expect(TRAIN_PY).toBe(readFileSync(TRAIN_PY_SOURCE as string, 'utf8'));
  });

  it("parses with Python's ast, placeholders and all", () => {
    const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read(), "train.py")'], { input: TRAIN_PY, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe("train.py's schedules come from their declarations", () => {
  it('every closed-form schedule: lr_at in Python gives the engine’s rates; the metric-driven one steps on the loss', () => {
    const cases = SCHEDULE_DEFS.map((def) => ({ def, cfg: defaultSetting(SCHEDULES, def.kind, { epochs: 7, lr: 0.1 }) as unknown as ScheduleConfig }));
    const closed = cases.filter((c) => 'lrAt' in c.def.pytorch);
    expect(closed.length).toBeGreaterThanOrEqual(6);
    // lr_at of each schedule, as train.py has it, on steps 0…39 with base rate 0.1.
    const script = closed
      .map(({ cfg }) => {
        const src = scheduleSource(cfg);
        const fn = TRAIN_PY.slice(TRAIN_PY.indexOf('def lr_at'), TRAIN_PY.indexOf('def make_schedule')).replace('__LR_RULE__', () => src.__LR_RULE__);
        return `CONFIG = {'schedule': json.loads(${JSON.stringify(JSON.stringify(cfg))})}\n${fn}\nout.append([lr_at(t, 0.1) for t in range(40)])\n`;
      })
      .join('');
    const r = spawnSync('python3', ['-c', `import json, math, sys\nout = []\n${script}print(json.dumps(out))`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const fromPython = JSON.parse(r.stdout) as number[][];
    closed.forEach(({ cfg }, i) => {
      const engine = createSchedule(cfg, 0.1);
      fromPython[i].forEach((lr, t) => expect(lr, `${cfg.kind} at ${t}`).toBeCloseTo(engine.lrAt!(t), 12));
    });
    for (const { def, cfg } of cases.filter((c) => !('lrAt' in c.def.pytorch))) {
      expect(scheduleSource(cfg).__SCHEDULE_WATCHES_METRIC__, def.kind).toBe('True');
      expect(createSchedule(cfg, 0.1).lrAt, def.kind).toBeUndefined();
    }
  });
});

describe("train.py's optimizers come from their declarations", () => {
  it.skipIf(!HAS_TORCH)('every optimizer: the torch.optim train.py builds takes the steps the engine takes', async () => {
    const steps = 3;
    const grads = [0.5, -1, 0.25, 2, -0.75, 1.5];
    const cases = OPTIMIZERS.map((def) => ({ ...defaultSetting(OPTIMIZERS, def.kind), lr: 0.05, weightDecay: 0.1 }) as unknown as OptimizerConfig);
    const script = cases
      .map((o) => {
        const src = optimizerSource(o);
        // An optimizer torch.optim lacks brings its class (its declaration's pytorchClass), as train.py holds it.
        return `${optimizerClassSource(o) ?? ''}
o = json.loads(${JSON.stringify(JSON.stringify(o))})
w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0])); b = torch.nn.Parameter(torch.tensor([0.5, -0.5, 0.25]))
groups = [{'params': [w], 'weight_decay': o.get('weightDecay', ${src.__DEFAULT_WEIGHT_DECAY__})}, {'params': [b], 'weight_decay': 0.0}]
lr = o['lr']
opt = ${src.__TORCH_OPTIMIZER__}
for k in range(${steps}):
    w.grad = torch.tensor(G[:3]) * (k + 1); b.grad = torch.tensor(G[3:]) * (k + 1); opt.step()
out.append(w.tolist() + b.tolist())
`;
      })
      .join('');
    const r = await torchProcess(['-c', `import json, torch\nG = ${JSON.stringify(grads)}\nout = []\n${script}print(json.dumps(out))`], import.meta.dirname);
    expect(r.stderr).toBe('');
    const fromTorch = JSON.parse(r.stdout) as number[][];
    cases.forEach((o, i) => {
      const params: OptimParam[] = [
        { nodeId: 'fc', name: 'weight', value: tensor([3], Float32Array.of(1, -2, 3)), grad: tensor([3]), decay: true },
        { nodeId: 'fc', name: 'bias', value: tensor([3], Float32Array.of(0.5, -0.5, 0.25)), grad: tensor([3]), decay: false },
      ];
      const opt = createOptimizer(o, params);
      for (let k = 0; k < steps; k++) {
        params[0].grad.data.set(grads.slice(0, 3).map((g) => g * (k + 1)));
        params[1].grad.data.set(grads.slice(3).map((g) => g * (k + 1)));
        opt.step();
      }
      [...params[0].value.data, ...params[1].value.data].forEach((v, j) => expect(v, `${o.kind} value ${j}`).toBeCloseTo(fromTorch[i][j], 5));
    });
  });
});
