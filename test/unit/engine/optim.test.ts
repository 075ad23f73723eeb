import { describe, expect, it } from 'vitest';
import {
  clipGradNorm,
  clipGradValue,
  createOptimizer,
  createSchedule,
  EarlyStopping,
  type OptimParam,
} from '../../../src-engine/core/optim';
import { tensor } from '../../../src-engine/base/tensor';

function param(name: string, values: number[], grads: number[], decay = true): OptimParam {
  return {
    nodeId: 'n',
    name,
    value: tensor([values.length], Float32Array.from(values)),
    grad: tensor([grads.length], Float32Array.from(grads)),
    decay,
  };
}

describe('optimizers', () => {
  it('applies weight decay only to parameters with decay: true', () => {
    const w = param('w', [1, 2], [0, 0]);
    const b = param('b', [1, 2], [0, 0], false);
    const opt = createOptimizer({ kind: 'sgd', lr: 0.5, weightDecay: 0.1 }, [w, b]);
    opt.step();
    // Zero gradient: only the L2 term moves w, by lr·wd·w; b stays.
    expect(Array.from(w.value.data)).toEqual([1 - 0.05, 2 - 0.1].map(Math.fround));
    expect(Array.from(b.value.data)).toEqual([1, 2]);

    const w2 = param('w', [1], [0]);
    const b2 = param('b', [1], [0], false);
    createOptimizer({ kind: 'adamw', lr: 0.1, weightDecay: 0.5 }, [w2, b2]).step();
    expect(w2.value.data[0]).toBeCloseTo(0.95, 7);
    expect(b2.value.data[0]).toBe(1);
  });

  it('step(lr) sets the rate used by that step and after', () => {
    const p = param('w', [1], [1]);
    const opt = createOptimizer({ kind: 'sgd', lr: 1 }, [p]);
    opt.step(0.25);
    expect(p.value.data[0]).toBe(0.75);
    expect(opt.lr).toBe(0.25);
    opt.lr = 0.5;
    opt.step();
    expect(p.value.data[0]).toBe(0.25);
  });

  it('resumes from saved state exactly as if never stopped', () => {
    const run = (split: boolean): Float32Array => {
      const make = () => [param('w', [0.5, -1, 2], [0, 0, 0]), param('b', [0.1], [0])];
      let ps = make();
      let opt = createOptimizer({ kind: 'adam', lr: 0.1, amsgrad: true, weightDecay: 0.01 }, ps);
      for (let s = 0; s < 6; s++) {
        if (split && s === 3) {
          // Round-trip through JSON, as a checkpoint file would.
          const saved = JSON.parse(JSON.stringify(opt.state(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
          const values = ps.map((p) => p.value.data.slice());
          ps = make();
          ps.forEach((p, i) => p.value.data.set(values[i]));
          opt = createOptimizer({ kind: 'adam', lr: 0.1, amsgrad: true, weightDecay: 0.01 }, ps);
          opt.loadState(saved);
        }
        ps.forEach((p, i) => p.grad.data.forEach((_, j) => (p.grad.data[j] = Math.sin(s * 3 + i + j))));
        opt.step();
      }
      return Float32Array.from(ps.flatMap((p) => Array.from(p.value.data)));
    };
    expect(Array.from(run(true))).toEqual(Array.from(run(false)));
  });

  it('state() is a copy and loadState() rejects a mismatched checkpoint', () => {
    const p = param('w', [1, 2], [1, 1]);
    const opt = createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9 }, [p]);
    opt.step();
    const s = opt.state();
    const before = Array.from(s.slots['n.w'].momentumBuffer);
    opt.step();
    expect(Array.from(s.slots['n.w'].momentumBuffer)).toEqual(before);
    expect(() => createOptimizer({ kind: 'adam', lr: 0.1 }, [p]).loadState(s)).toThrow(/OPTIM_STATE_MISMATCH/);
    const other = param('w', [1, 2, 3], [1, 1, 1]);
    expect(() => createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9 }, [other]).loadState(s)).toThrow(
      /has 2 values, the parameter has 3/,
    );
  });

  it('rejects invalid settings with a stable code', () => {
    const p = [param('w', [1], [1])];
    expect(() => createOptimizer({ kind: 'sgd', lr: -1 }, p)).toThrow(/OPTIM_BAD_HYPERPARAM/);
    expect(() => createOptimizer({ kind: 'sgd', lr: 0.1, nesterov: true }, p)).toThrow(/Nesterov/);
    expect(() => createOptimizer({ kind: 'adam', lr: 0.1, beta1: 1 }, p)).toThrow(/beta1/);
    expect(() => createOptimizer({ kind: 'nope', lr: 1 } as never, p)).toThrow(/OPTIM_UNKNOWN/);
  });

  it('zeroGrad() clears every gradient', () => {
    const p = param('w', [1, 2], [3, 4]);
    createOptimizer({ kind: 'rmsprop', lr: 0.1 }, [p]).zeroGrad();
    expect(Array.from(p.grad.data)).toEqual([0, 0]);
  });
});

describe('gradient clipping', () => {
  it('clipGradNorm scales by maxNorm/(norm + 1e-6) and returns the norm before clipping', () => {
    const a = param('a', [0, 0], [3, 0]);
    const b = param('b', [0], [4]);
    const total = clipGradNorm([a, b], 1);
    expect(total).toBe(5);
    const coef = 1 / (5 + 1e-6);
    expect(a.grad.data[0]).toBeCloseTo(3 * coef, 7);
    expect(b.grad.data[0]).toBeCloseTo(4 * coef, 7);
    // Under the limit: untouched.
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(a.grad.data[0]).toBeCloseTo(3 * coef, 7);
  });

  it('clipGradNorm leaves non-finite gradients for the caller to report', () => {
    const a = param('a', [0, 0], [NaN, 1]);
    expect(clipGradNorm([a], 1)).toBeNaN();
    expect(a.grad.data[1]).toBe(1);
  });

  it('clipGradValue clamps each element', () => {
    const a = param('a', [0, 0, 0], [-3, 0.5, 2]);
    clipGradValue([a], 1);
    expect(Array.from(a.grad.data)).toEqual([-1, 0.5, 1]);
  });
});

describe('schedules', () => {
  it('resume from saved state', () => {
    const a = createSchedule({ kind: 'onecycle', maxLr: 1, totalSteps: 20 }, 0.1);
    for (let i = 0; i < 7; i++) a.step();
    const b = createSchedule({ kind: 'onecycle', maxLr: 1, totalSteps: 20 }, 0.1);
    b.loadState(a.state());
    expect(b.lr).toBe(a.lr);
    expect(b.step()).toBe(a.step());
  });

  it('plateau state survives JSON (Infinity best before any metric)', () => {
    const a = createSchedule({ kind: 'plateau', patience: 0, factor: 0.5 }, 1);
    const b = createSchedule({ kind: 'plateau', patience: 0, factor: 0.5 }, 1);
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    expect(b.step(3)).toBe(1);
    expect(b.step(3)).toBe(0.5);
  });

  it('onecycle holds its final rate past totalSteps; warmup-cosine holds etaMin', () => {
    const oc = createSchedule({ kind: 'onecycle', maxLr: 1, totalSteps: 10 }, 0.1);
    expect(oc.lrAt!(50)).toBe(oc.lrAt!(9));
    expect(oc.lrAt!(9)).toBeCloseTo(1 / 25 / 1e4, 12);
    const wc = createSchedule({ kind: 'warmup-cosine', warmupSteps: 2, totalSteps: 10, etaMin: 0.01 }, 0.1);
    expect(wc.lrAt!(0)).toBe(0);
    expect(wc.lrAt!(2)).toBeCloseTo(0.1, 12);
    expect(wc.lrAt!(10)).toBeCloseTo(0.01, 12);
    expect(wc.lrAt!(100)).toBeCloseTo(0.01, 12);
  });

  it('reports bad settings and a missing plateau metric with stable codes', () => {
    expect(() => createSchedule({ kind: 'cosine', tMax: 0 }, 0.1)).toThrow(/SCHEDULE_BAD_CONFIG.*tMax/);
    expect(() => createSchedule({ kind: 'warmup-cosine', warmupSteps: 10, totalSteps: 5 }, 0.1)).toThrow(
      /totalSteps/,
    );
    expect(() => createSchedule({ kind: 'plateau' }, 0.1).step()).toThrow(/SCHEDULE_NEEDS_METRIC/);
    expect(createSchedule(undefined, 0.3).lr).toBe(0.3);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` evaluations without an improvement larger than minDelta', () => {
    const es = new EarlyStopping({ metric: 'val_loss', mode: 'min', patience: 2, minDelta: 0.01 });
    const seen = [1, 0.8, 0.795, 0.81, 0.7, 0.7, 0.69].map((v) => es.update(v));
    expect(seen.map((u) => u.improved)).toEqual([true, true, false, false, true, false, false]);
    expect(seen.map((u) => u.stop)).toEqual([false, false, false, true, false, false, true]);
    expect(es.best).toBe(0.7);
    expect(es.bestIndex).toBe(4);
  });

  it('mode max; NaN never improves', () => {
    const es = new EarlyStopping({ metric: 'accuracy', mode: 'max', patience: 1 });
    expect(es.update(0.5).improved).toBe(true);
    expect(es.update(NaN)).toMatchObject({ improved: false, stop: true, best: 0.5, bestIndex: 0 });
  });

  it('resumes from saved state', () => {
    const a = new EarlyStopping({ metric: 'm', mode: 'min', patience: 3 });
    a.update(1);
    a.update(2);
    const b = new EarlyStopping({ metric: 'm', mode: 'min', patience: 3 });
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    expect(b.update(2)).toEqual(a.update(2));
  });
});
