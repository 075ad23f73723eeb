/**
 * The CPU backend's activation and softmax-family overrides (activations.wat: Tanh, GELU in both
 * forms, SiLU, LeakyReLU, ELU, Softmax, CrossEntropyLoss) against the op files run on the
 * reference backend: at training sizes with 2 threads (forward, backward, and backward into a
 * fresh gradient, which must be assigned), and at extreme inputs.
 *
 * Each comparison asserts |got − want| ≤ rel·|want| + floor per element (`within`), with bounds
 * chosen per op and explained where they are declared. NaN must appear exactly where the op file
 * gives NaN, infinities must match exactly, and zeros keep their sign in the forward pass.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { runOp } from '../engine/harness';
import { ACTIVATIONS_WAT_PATH, activationsWat } from '../../../src-engine/node/cpu/kernels/activations-gen';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import { simdKinds, simdOps } from '../../../src-engine/core/elementwise/simd';
import { testDomainOf } from '../../../src-engine/core/ops/test-domain';
import { expectSameValues } from '../same-values';

let cpu: CpuBackend;
let cpu1: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
  cpu1 = await createCpuBackend({ threads: 1 });
});
afterAll(() => {
  cpu?.dispose();
  cpu1?.dispose();
});

function randn(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = scale * rng.normal();
  return t;
}

/** Per-element allowance beyond the relative part: `floor(i)` for element i. */
type Floor = (i: number) => number;

/**
 * The worst |got − want| / (rel·|want| + floor(i)) over all elements (≤ 1 passes), with where it
 * happened; NaN or infinity where the other side differs counts as Infinity; `signedZeros`: where
 * both are zero, the zero must carry the op file's sign.
 */
function within(got: Float32Array, want: Float32Array, rel: number, floor: Floor = () => 0, signedZeros = false): { worst: number; at: string } {
  let worst = 0;
  let at = '';
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    let r: number;
    if (Number.isNaN(b) || Number.isNaN(a) || !Number.isFinite(b) || !Number.isFinite(a)) r = Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Infinity;
    else if (signedZeros && a === 0 && b === 0) r = Object.is(a, b) ? 0 : Infinity;
    else {
      const d = Math.abs(a - b);
      r = d === 0 ? 0 : d / (rel * Math.abs(b) + floor(i));
    }
    if (r > worst || (Number.isNaN(r) && worst === 0)) {
      worst = Number.isNaN(r) ? Infinity : r;
      at = `[${i}] got ${a}, op file ${b}`;
    }
  }
  return { worst, at };
}

function expectWithin(what: string, got: Float32Array, want: Float32Array, rel: number, floor?: Floor, signedZeros = false): void {
  const { worst, at } = within(got, want, rel, floor, signedZeros);
  expect(worst, `${what}: worst ${worst.toFixed(3)}× the bound at ${at}`).toBeLessThanOrEqual(1);
}

interface UnaryCase {
  label: string;
  op: string;
  attrs: Attrs;
  /** Forward bound: relative part, and a floor from the input x and the op file's output y. */
  rel: number;
  floor?: (x: number, y: number) => number;
  /** Backward bound: relative part, and a floor from x and dy. */
  gradRel: number;
  gradFloor?: (x: number, dy: number) => number;
}

// NOTE (bounds): each op file declares its kernel's bound beside its maths (`testDomain.kernel`,
// core/ops/test-domain.ts, with the measurement that sets it: ~1.5× the worst case over a 0.004 grid
// on [−30, 30] plus 1e-40…1e2 and the extremes); an op declaring none gets KERNEL_TOLERANCE_DEFAULT.
// The settings are its canonical case and its declared variants (LeakyReLU's two slopes, GELU's two forms).
/** A case for every setting of every activation whose CPU kernel is printed from its op file. */
const UNARY: UnaryCase[] = simdOps().flatMap((op) => {
  const d = testDomainOf(getOp(op)!);
  return [d.attrs, ...d.variants].map((attrs) => ({ label: Object.keys(attrs).length ? `${op} ${JSON.stringify(attrs)}` : op, op, attrs, ...d.kernel(attrs) }));
});

const SIZES: [string, number[]][] = [
  ['64×784', [64, 784]],
  ['odd length 7×11×13', [7, 11, 13]],
];

/** Forward, backward and fresh-gradient backward of `op` on x, CPU (2 threads) vs reference. */
function compareUnary(c: UnaryCase, x: Tensor, dOutput: Tensor, backend: CpuBackend = cpu): void {
  const def = getOp(c.op)!;
  const want = runOp(def, { inputs: [x], attrs: c.attrs, dOutput, backend: createReferenceBackend() });
  const got = runOp(def, { inputs: [x], attrs: c.attrs, dOutput, backend });
  const xs = x.data;
  const dy = dOutput.data;
  const ys = want.output.data;
  const floor = c.floor ? (i: number) => c.floor!(xs[i], ys[i]) : undefined;
  const gradFloor = c.gradFloor ? (i: number) => c.gradFloor!(xs[i], dy[i]) : undefined;
  expectWithin('output', got.output.data, want.output.data, c.rel, floor, true);
  expectWithin('dInput', got.dInputs[0]!.data, want.dInputs[0]!.data, c.gradRel, gradFloor);
  expect(kernelFor(backend.overrides, c.op)?.assignsFreshGradients).toBe(true);
  const fresh = runOp(def, { inputs: [x], attrs: c.attrs, dOutput, backend, freshInputGradients: true });
  expectWithin('dInput (fresh, assigned)', fresh.dInputs[0]!.data, want.dInputs[0]!.data, c.gradRel, gradFloor);
}

describe('elementwise activation overrides match the op files at training sizes (2 threads)', () => {
  it('has a case for every kernel generated from an op file, each with the bound its file declares', () => {
    expect(new Set(UNARY.map((c) => c.op))).toEqual(new Set(simdOps()));
    expect(UNARY.find((c) => c.op === 'Clip')).toMatchObject({ rel: 0, gradRel: 0 });
  });
  for (const c of UNARY) {
    for (const [size, shape] of SIZES) {
      it(`${c.label}, ${size}`, () => {
        expect(kernelFor(cpu.overrides, c.op), `${c.op} has an override`).toBeDefined();
        // Scale 3: most values in the curved part, some in the tails.
        compareUnary(c, randn(shape, 1, 3), randn(shape, 2));
      });
    }
  }
});

/** The extreme inputs every activation is checked at (with both signs where it matters). */
const EXTREMES = [
  NaN, Infinity, -Infinity, 1e4, -1e4, 88.5, -88.5, 80, -80, 20, -20, 9, -9, 3, -3, 1, -1, 0.5, -0.5, 1e-7, -1e-7, 1e-40, -1e-40, 0, -0,
  1e20, -1e20,
];

describe('elementwise activation overrides at extreme inputs (NaN, ±Inf, ±1e4, ±80, ±1e-7, ±0, subnormal)', () => {
  for (const c of UNARY) {
    it(c.label, () => {
      const x = tensor([1, EXTREMES.length], Float32Array.from(EXTREMES));
      const dOutput = tensor([1, EXTREMES.length], Float32Array.from(EXTREMES, (_, i) => (i % 2 ? -1.5 : 0.75)));
      compareUnary(c, x, dOutput);
      // The vector body and the scalar tail give the same values: shift by one element.
      const shifted = tensor([1, EXTREMES.length + 1], Float32Array.from([0.25, ...EXTREMES]));
      compareUnary(c, shifted, tensor([1, EXTREMES.length + 1], new Float32Array(EXTREMES.length + 1).fill(1)));
    });
  }

  it('Tanh saturates to exactly ±1, keeps −0, and stays relative-accurate near 0', () => {
    const xs = [-1e4, -80, -9.5, 9.5, 80, 1e4, Infinity, -Infinity, -0, 0, 1e-7, -1e-7, 1e-30, 1e-40];
    const got = runOp(getOp('Tanh')!, { inputs: [tensor([1, xs.length], Float32Array.from(xs))], forwardOnly: true, backend: cpu }).output.data;
    expect(Array.from(got.subarray(0, 8))).toEqual([-1, -1, -1, 1, 1, 1, 1, -1]);
    expect(Object.is(got[8], -0) && Object.is(got[9], 0)).toBe(true);
    // tanh(x) = x to float32 precision for |x| < 1e-4 (x³/3 is below half an ulp): within 1 ulp,
    // relative (an absolute bound would accept 0 here).
    for (let i = 10; i < xs.length; i++) expect(Math.abs(got[i] - Math.fround(xs[i]))).toBeLessThanOrEqual(1.2e-7 * Math.abs(xs[i]));
  });
});

describe('Softmax override (last axis; rows split across threads)', () => {
  const def = getOp('Softmax')!;
  // NOTE (bound): e^x ~2 ulp, then 1/Σ and the product rounded in float32: 5e-7 relative (measured
  // ~3e-7). Below e^−87.3 the kernel's e^x flushes to 0 where the op file rounds float64 to a float32
  // subnormal: a 1.2e-38 floor. Backward y·(dy − Σ dy·y): the dot product rounds to float32 before the
  // subtraction, an absolute ~2⁻²⁴·|Σ dy·y|·y, and y itself differs by the forward's bound.
  const fwdFloor = (): number => 1.2e-38;
  function compare(x: Tensor, attrs: Attrs, dOutput: Tensor, backend: CpuBackend = cpu): void {
    const want = runOp(def, { inputs: [x], attrs, dOutput, backend: createReferenceBackend() });
    const got = runOp(def, { inputs: [x], attrs, dOutput, backend });
    const y = want.output.data;
    const dyMax = dOutput.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const gradFloor = (i: number): number => 1e-6 * dyMax * Math.abs(y[i]) + 1e-38;
    expectWithin('output', got.output.data, y, 5e-7, fwdFloor);
    expectWithin('dInput', got.dInputs[0]!.data, want.dInputs[0]!.data, 1e-6, gradFloor);
    const fresh = runOp(def, { inputs: [x], attrs, dOutput, backend, freshInputGradients: true });
    expectWithin('dInput (fresh, assigned)', fresh.dInputs[0]!.data, want.dInputs[0]!.data, 1e-6, gradFloor);
  }

  for (const [size, shape] of [
    ['64×784', [64, 784]],
    ['64×4096', [64, 4096]],
    ['odd 7×1001', [7, 1001]],
    ['10 classes, 37 rows', [37, 10]],
    ['3-D [4, 5, 33] (last axis)', [4, 5, 33]],
  ] as [string, number[]][]) {
    it(`matches the op file, ${size}`, () => compare(randn(shape, 3, 4), {}, randn(shape, 4)));
  }

  it('axis 1 of a 3-D input (strided rows) runs the op file, fresh gradients included', () => {
    compare(randn([4, 6, 5], 5), { axis: 1 }, randn([4, 6, 5], 6));
  });

  it('rows with NaN, +Inf, −Inf, all −Inf, ±1e4 and ±80 behave as the op file', () => {
    const len = 9;
    const rows = [
      [0.5, NaN, 1, 2, 3, 4, 5, 6, 7],
      [0.5, Infinity, 1, 2, 3, 4, 5, 6, 7],
      [0.5, -Infinity, 1, 2, 3, 4, 5, 6, 7],
      Array(len).fill(-Infinity),
      [1e4, -1e4, 0, 1, 2, 3, 4, 5, 6],
      [80, -80, 79, 0, -0, 1e-7, -1e-7, 87, -87],
      [-100, -200, -110, -190, -120, -180, -130, -170, -150],
      // Spreads far beyond e^x's range (a diverging model's logits): x − max is huge and so is its
      // rounding error, which must not reach the e^x reduction (regression: it made the sum +Inf).
      [3.5e13, -3.5e13, 1e13, -2e12, 0, 7, -1e30, 1e30, 3e38],
      [-3e38, 3e38, 1.5e13, -1.5e13, 2.2e9, -2.2e9, 104, -104, 0.25],
    ];
    const x = tensor([rows.length, len], Float32Array.from(rows.flat()));
    compare(x, {}, randn([rows.length, len], 7));
  });

  it('gives the same bits on 1 and 2 threads', () => {
    const x = randn([64, 4096], 8, 4);
    const a = runOp(def, { inputs: [x], backend: cpu, dOutput: randn([64, 4096], 9) });
    const b = runOp(def, { inputs: [x], backend: cpu1, dOutput: randn([64, 4096], 9) });
    expectSameValues(a.output.data, b.output.data);
    expectSameValues(a.dInputs[0]!.data, b.dInputs[0]!.data);
  });
});

describe('CrossEntropyLoss override ([N, C] logits; per-row softmax across threads, loss summed in row order)', () => {
  const def = getOp('CrossEntropyLoss')!;
  function labels(n: number, classes: number, seed: number): Tensor {
    const rng = new Rng(seed);
    return tensor([n], Float32Array.from({ length: n }, () => rng.int(classes)));
  }
  // NOTE (bounds): the loss sums per-row log Σ e^(x − max) from float32 e^x (~2 ulp each) in
  // float64: its relative error is ~1e-7·(typical p)… measured ≤ 3e-8; asserted 2e-7. The gradient
  // g·(total·p − a) inherits p's ~4 ulp (5e-7 relative) plus an absolute 2⁻²⁴·g where p − a cancels.
  function compare(logits: Tensor, t: Tensor, attrs: Attrs, backend: CpuBackend = cpu): void {
    const dOutput = tensor([], Float32Array.of(0.7));
    const want = runOp(def, { inputs: [logits, t], attrs, noGrad: [1], dOutput, backend: createReferenceBackend() });
    const got = runOp(def, { inputs: [logits, t], attrs, noGrad: [1], dOutput, backend });
    const g = 0.7 / logits.shape[0];
    expectWithin('loss', got.output.data, want.output.data, 2e-7);
    expectWithin('probs', got.workspace.probs.data, want.workspace.probs.data, 5e-7, () => 1.2e-38);
    expectWithin('dLogits', got.dInputs[0]!.data, want.dInputs[0]!.data, 1e-6, () => 1.2e-7 * g);
    const fresh = runOp(def, { inputs: [logits, t], attrs, noGrad: [1], dOutput, backend, freshInputGradients: true });
    expectWithin('dLogits (fresh, assigned)', fresh.dInputs[0]!.data, want.dInputs[0]!.data, 1e-6, () => 1.2e-7 * g);
  }

  for (const [label, n, c, attrs] of [
    ['64×10 (MNIST)', 64, 10, {}],
    ['64×10, label smoothing 0.1', 64, 10, { labelSmoothing: 0.1 }],
    ['64×1000', 64, 1000, {}],
    ['64×1000, label smoothing 0.2', 64, 1000, { labelSmoothing: 0.2 }],
    ['odd 37×13, label smoothing 1', 37, 13, { labelSmoothing: 1 }],
  ] as [string, number, number, Attrs][]) {
    it(`matches the op file, ${label}`, () => compare(randn([n, c], 10, 3), labels(n, c, 11), attrs));
  }

  it('class weights and [N, C, d] logits run the op file (same results, fresh gradients included)', () => {
    compare(randn([16, 5], 12), labels(16, 5, 13), { classWeights: [1, 2, 0.5, 1, 3] });
    const t = tensor([4, 3], Float32Array.from({ length: 12 }, (_, i) => i % 5));
    compare(randn([4, 5, 3], 14), t, {});
  });

  it('a NaN or +Inf logit makes the loss NaN; huge logits stay finite', () => {
    const x = randn([8, 6], 15);
    const t = labels(8, 6, 16);
    x.data[7] = NaN;
    const dOutput = tensor([], Float32Array.of(1));
    expect(runOp(def, { inputs: [x, t], noGrad: [1], dOutput, backend: cpu }).output.data[0]).toBeNaN();
    x.data[7] = Infinity;
    expect(runOp(def, { inputs: [x, t], noGrad: [1], dOutput, backend: cpu }).output.data[0]).toBeNaN();
    x.data[7] = 1e4;
    x.data[8] = -1e4;
    x.data[20] = 80;
    compare(x, t, {});
    // A diverging model's logits (spread ~1e14): the loss is huge but finite, as the op file's
    // (regression: the rounding error of x − max, ~4e6 here, reached the e^x reduction → +Inf).
    for (let i = 0; i < x.data.length; i++) x.data[i] = (i % 3 === 0 ? 1 : -1) * 3.5e13 * ((i % 7) + 1) / 7;
    const wild = runOp(def, { inputs: [x, t], noGrad: [1], dOutput, backend: cpu }).output.data[0];
    expect(Number.isFinite(wild)).toBe(true);
    compare(x, t, {});
  });

  it('an invalid label raises the op file\'s E_LABEL_RANGE', () => {
    const x = randn([4, 3], 17);
    for (const bad of [3, -1, 1.5, NaN]) {
      const t = tensor([4], Float32Array.of(0, 1, bad, 2));
      let refErr: unknown;
      try {
        runOp(def, { inputs: [x, t], noGrad: [1], backend: createReferenceBackend() });
      } catch (e) {
        refErr = e;
      }
      expect(refErr).toBeDefined();
      expect(() => runOp(def, { inputs: [x, t], noGrad: [1], backend: cpu })).toThrow((refErr as Error).message);
    }
  });

  it('the loss and gradient do not depend on the thread count (bit for bit)', () => {
    const x = randn([64, 1000], 18, 3);
    const t = labels(64, 1000, 19);
    const attrs = { labelSmoothing: 0.1 };
    const a = runOp(def, { inputs: [x, t], attrs, noGrad: [1], backend: cpu });
    const b = runOp(def, { inputs: [x, t], attrs, noGrad: [1], backend: cpu1 });
    expect(a.output.data[0]).toBe(b.output.data[0]);
    expectSameValues(a.dInputs[0]!.data, b.dInputs[0]!.data);
  });
});

describe('activations.wat', () => {
  it('is what kernels/activations-gen.ts writes from the op files (run it, then scripts/build-kernels.mjs)', () => {
    expect(readFileSync(ACTIVATIONS_WAT_PATH, 'utf8')).toBe(activationsWat());
  });

  it("GELU's backward takes Φ from its φ (Mills' ratio): no more e^x per value than its forward", () => {
    const body = (name: string): string => activationsWat().split(`(func $${name} `)[1].split('(func ')[0];
    // each e^x sets its rounded exponent $ek once; the one-vector loop ($vl) computes one vector's
    // values (the wide loops are copies of its code, one per vector, and the scalar tail is its code)
    const exps = (name: string): number => body(name).split('(loop $vl')[1].split('(loop ')[0].split('(local.set $ek ').length - 1;
    expect(exps('GELU_noneForward')).toBe(1);
    expect(exps('GELU_noneBackward')).toBe(exps('GELU_noneForward'));
  });

  it("a backward's wide loop holds as many vectors as its form declares (simdBackwardWays), four where it declares none", () => {
    const wat = activationsWat();
    // the assigning wide loop ($wa): one load of dy per vector it computes
    const ways = (name: string): number => wat.split(`(func $${name}Backward `)[1].split('(loop $wa')[1].split('(loop ')[0].split('(local.set $dyv').length - 1;
    for (const k of simdKinds()) {
      const decl = getOp(k.op)!.elementwise!.forms[k.form];
      expect(ways(`${k.op}_${k.form}`.replace(/\W/g, '_')), `${k.op} (${k.form})`).toBe(decl.simdBackwardWays ?? 4);
    }
    expect(ways('GELU_none')).toBe(3);
  });

  it("GELU's e^(−x²/2) skips e^x's argument clamp (|x| is clamped to 14 first, so −x²/2 ≥ −98); every other e^x keeps it", () => {
    const wat = activationsWat();
    const clamps = (name: string): number => wat.split(`(func $${name} `)[1].split('(loop $vl')[1].split('(loop ')[0].split('(v128.const f32x4 -104 -104 -104 -104)').length - 1;
    expect(clamps('GELU_noneForward')).toBe(0);
    expect(clamps('GELU_noneBackward')).toBe(0);
    expect(clamps('GELU_tanhForward')).toBe(1);
    expect(clamps('SiLU_mainBackward')).toBe(1);
  });
});

describe('activations.wat: the wide loops compute the one-vector code', () => {
  /**
   * Every generated kernel over 1,031 values at once (its wide loops: six vectors an iteration
   * forward, its form's count backward, then the tails) and four at a time (the one-vector loop),
   * 1 thread: the same bits, since each way is a copy of the one vector's code.
   */
  it.each([
    ['forward', false],
    ['backward added to dx', false],
    ['backward assigned', true],
  ] as const)('%s, every kind, bit for bit', (pass, fresh) => {
    const n = 1031;
    const x = randn([n], 21, 4);
    [NaN, Infinity, -Infinity, 0, -0, 14, -14, 13.999999, 14.000001, -88.5, 1e-40, -1e4, 1e4].forEach((v, i) => (x.data[i * 7] = v));
    const dy = randn([n], 22);
    for (const c of UNARY) {
      const def = getOp(c.op)!;
      const run = (chunk: number): Float32Array => {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i += chunk) {
          const m = Math.min(chunk, n - i);
          const r = runOp(def, { inputs: [tensor([m], x.data.slice(i, i + m))], attrs: c.attrs, dOutput: tensor([m], dy.data.slice(i, i + m)), backend: cpu1, freshInputGradients: fresh });
          out.set(pass === 'forward' ? r.output.data : r.dInputs[0]!.data, i);
        }
        return out;
      };
      expectSameValues(run(n), run(4), `${c.label} ${pass}`);
    }
  });
});
