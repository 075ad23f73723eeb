/**
 * The GAN ops: Noise (the latent source), RealFakeBatch (real then fake through one
 * discriminator), GANLoss (the discriminator's loss and the generator's non-saturating one) and
 * OneHot (the label that conditions a conditional GAN).
 */
import { describe, expect, it } from 'vitest';
import { ganLoss, discriminatorOutputs } from '../../../src-engine/core/ops/gan-loss';
import { noise } from '../../../src-engine/core/ops/noise';
import { noiseEvalKey, noiseKernel, noiseNormal } from '../../../src-engine/core/ops/kernels/noise';
import { dropoutBits, dropoutKey } from '../../../src-engine/core/ops/kernels/dropout';
import { oneHot } from '../../../src-engine/core/ops/one-hot';
import { realFakeBatch } from '../../../src-engine/core/ops/real-fake-batch';
import { upsample } from '../../../src-engine/core/ops/upsample';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { gradcheck, runOp } from './harness';

function randn(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = scale * rng.normal();
  return t;
}

const bce = (x: number, t: number): number => -(t * Math.log(1 / (1 + Math.exp(-x))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-x))));

describe('GANLoss', () => {
  const logits = tensor([4, 1], Float32Array.of(2, -0.5, 0.3, -3));

  it('discriminator: BCE(D(x), 1) and BCE(D(G(z)), 0), mean over real and fake', () => {
    const want = (bce(2, 1) + bce(-0.5, 1) + bce(0.3, 0) + bce(-3, 0)) / 4;
    const got = runOp(ganLoss, { inputs: [logits], attrs: { player: 'discriminator' }, forwardOnly: true }).output.data[0];
    expect(got).toBeCloseTo(want, 5);
  });

  it('generator: non-saturating BCE(D(G(z)), 1) over the fake half only', () => {
    const want = (bce(0.3, 1) + bce(-3, 1)) / 2;
    const got = runOp(ganLoss, { inputs: [logits], attrs: { player: 'generator' }, forwardOnly: true }).output.data[0];
    expect(got).toBeCloseTo(want, 5);
    const r = runOp(ganLoss, { inputs: [logits], attrs: { player: 'generator' } });
    expect(Array.from(r.dInputs[0]!.data.subarray(0, 2))).toEqual([0, 0]);
  });

  for (const player of ['discriminator', 'generator']) {
    it(`gradcheck (${player})`, async () => {
      const r = await gradcheck(ganLoss, { inputs: [randn([6, 1], 3, 2)], attrs: { player }, eps: 1e-2 });
      expect(r.checked).toBe(6);
      expect(r.maxError, r.worst).toBeLessThan(5e-3);
    });
  }

  it('shape rule: one score per sample, an even count', () => {
    expect(ganLoss.inferShape({ inputs: [[-1, 1]], attrs: { player: 'generator' } })).toEqual({ ok: true, shape: [] });
    expect(ganLoss.inferShape({ inputs: [[8]], attrs: { player: 'generator' } })).toEqual({ ok: true, shape: [] });
    const wide = ganLoss.inferShape({ inputs: [[-1, 10]], attrs: { player: 'generator' } });
    expect(!wide.ok && wide.message).toMatch(/one score per sample.*Linear\(1\)/);
    const odd = ganLoss.inferShape({ inputs: [[7, 1]], attrs: { player: 'generator' } });
    expect(!odd.ok && odd.message).toMatch(/equal numbers/);
  });

  it('D(x) and D(G(z)) are the mean probabilities of each half', () => {
    const s = (x: number): number => 1 / (1 + Math.exp(-x));
    const { dReal, dFake } = discriminatorOutputs(logits.data);
    expect(dReal).toBeCloseTo((s(2) + s(-0.5)) / 2, 6);
    expect(dFake).toBeCloseTo((s(0.3) + s(-3)) / 2, 6);
  });
});

describe('RealFakeBatch', () => {
  it('stacks real then fake along the batch; gradcheck', async () => {
    const real = randn([2, 1, 2, 2], 1);
    const fake = randn([3, 1, 2, 2], 2);
    const out = runOp(realFakeBatch, { inputs: [real, fake], forwardOnly: true }).output;
    expect(out.shape).toEqual([5, 1, 2, 2]);
    expect(Array.from(out.data)).toEqual([...real.data, ...fake.data]);
    const r = await gradcheck(realFakeBatch, { inputs: [real, fake], seed: 2 });
    expect(r.checked).toBeGreaterThan(0);
    expect(r.maxError, r.worst).toBeLessThan(5e-3);
  });

  it('shape rule: batch sizes add, other dims must agree', () => {
    expect(realFakeBatch.inferShape({ inputs: [[-1, 1, 28, 28], [-1, 1, 28, 28]], attrs: {} })).toEqual({ ok: true, shape: [-1, 1, 28, 28] });
    expect(realFakeBatch.inferShape({ inputs: [[4, 784], [4, 784]], attrs: {} })).toEqual({ ok: true, shape: [8, 784] });
    const bad = realFakeBatch.inferShape({ inputs: [[-1, 1, 28, 28], [-1, 1, 32, 32]], attrs: {} });
    expect(!bad.ok && bad.message).toMatch(/generator must output the real samples' shape/);
  });
});

describe('OneHot', () => {
  it('turns class indices into rows of zeros with a one at the index, as F.one_hot(x.long(), C)', () => {
    const out = runOp(oneHot, { inputs: [tensor([4], Float32Array.of(0, 3, 1, 3))], attrs: { numClasses: 4 }, forwardOnly: true }).output;
    expect(out.shape).toEqual([4, 4]);
    expect(Array.from(out.data)).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
  });

  it('truncates toward zero and counts negative indices from the end (as ONNX OneHot)', () => {
    const x = tensor([4], Float32Array.of(2.9, -1, -3, -0.5));
    const out = runOp(oneHot, { inputs: [x], attrs: { numClasses: 3 }, forwardOnly: true }).output;
    const rows = Array.from({ length: 4 }, (_, i) => Array.from(out.data.subarray(i * 3, i * 3 + 3)));
    expect(rows).toEqual([[0, 0, 1], [0, 0, 1], [1, 0, 0], [1, 0, 0]]);
  });

  it('refuses an index out of range (E_ID_RANGE, as F.one_hot raises; #83: a row of zeros before)', () => {
    for (const bad of [3, -4, Number.NaN, 1e10]) {
      const x = tensor([3], Float32Array.of(0, bad, 1));
      expect(() => runOp(oneHot, { inputs: [x], attrs: { numClasses: 3 }, forwardOnly: true }), String(bad)).toThrow(/^E_ID_RANGE: OneHot has 3 classes/);
    }
  });

  it('appends the class dim to any shape and passes no gradient', () => {
    expect(oneHot.inferShape({ inputs: [[-1]], attrs: { numClasses: 10 } })).toEqual({ ok: true, shape: [-1, 10] });
    expect(oneHot.inferShape({ inputs: [[2, 3]], attrs: { numClasses: 5 } })).toEqual({ ok: true, shape: [2, 3, 5] });
    const r = runOp(oneHot, { inputs: [tensor([2, 3], Float32Array.of(0, 1, 2, 4, 3, 0))], attrs: { numClasses: 5 } });
    expect(r.output.shape).toEqual([2, 3, 5]);
    expect(r.output.data.reduce((a, b) => a + b, 0)).toBe(6);
    expect(r.output.data[3 * 5 + 4]).toBe(1);
    expect(oneHot.differentiable).toBe(false);
    expect(r.dInputs[0] === null || r.dInputs[0].data.every((v) => v === 0)).toBe(true);
  });
});

describe('Noise', () => {
  const like = tensor([500, 3]);

  it('draws N(0, 1) rows, one per sample of its input, fresh each training forward', () => {
    const a = runOp(noise, { inputs: [like], attrs: { shape: [8] }, training: true, forwardOnly: true, seed: 1 }).output;
    expect(a.shape).toEqual([500, 8]);
    let m = 0;
    let v = 0;
    for (const x of a.data) m += x / a.data.length;
    for (const x of a.data) v += (x - m) ** 2 / a.data.length;
    expect(Math.abs(m)).toBeLessThan(0.05);
    expect(Math.abs(v - 1)).toBeLessThan(0.06);
    const b = runOp(noise, { inputs: [like], attrs: { shape: [8] }, training: true, forwardOnly: true, seed: 2 }).output;
    expect(b.data).not.toEqual(a.data);
  });

  it('eval mode gives the same noise every time, from its own seed (the fixed-noise grid)', () => {
    const e1 = runOp(noise, { inputs: [like], attrs: { shape: [8], seed: 3 }, training: false, forwardOnly: true, seed: 1 }).output;
    const e2 = runOp(noise, { inputs: [like], attrs: { shape: [8], seed: 3 }, training: false, forwardOnly: true, seed: 9 }).output;
    expect(e2.data).toEqual(e1.data);
    const e3 = runOp(noise, { inputs: [like], attrs: { shape: [8], seed: 4 }, training: false, forwardOnly: true, seed: 1 }).output;
    expect(e3.data).not.toEqual(e1.data);
  });

  it('is counter-based: element i is noiseNormal(i, key), the key four words of the Rng (training) or of Rng(seed) (eval)', () => {
    // Training: the key is the next four words of the executor's Rng, and nothing else is drawn.
    const rng = new Rng(5);
    const ahead = new Rng(5);
    const key = dropoutKey(ahead);
    const out = tensor([7, 4]);
    noiseKernel.forward({ inputs: [tensor([7, 1])], output: out, params: {}, buffers: {}, workspace: {}, attrs: { shape: [4], seed: 0 }, training: true, rng, backend: undefined as never });
    expect(Array.from(out.data)).toEqual(Array.from({ length: 28 }, (_, i) => Math.fround(noiseNormal(i, ...key))));
    expect(rng.nextU32()).toBe(ahead.nextU32());
    // Eval: a row's latent point does not depend on the batch size (the first rows of a bigger batch).
    const small = runOp(noise, { inputs: [tensor([3, 1])], attrs: { shape: [8], seed: 3 }, training: false, forwardOnly: true }).output;
    const big = runOp(noise, { inputs: [like], attrs: { shape: [8], seed: 3 }, training: false, forwardOnly: true }).output;
    expect(Array.from(small.data)).toEqual(Array.from(big.data.subarray(0, 24)));
    expect(small.data[5]).toBe(Math.fround(noiseNormal(5, ...noiseEvalKey(3))));
  });

  it('noiseNormal is Box–Muller on the two hashed uniforms to float32 precision, and its draws are N(0, 1)', () => {
    // Within 3.2e-7·max(1, |z|) measured (the float32 polynomials and Newton steps); 1e-6 asserted.
    const key = dropoutKey(new Rng(11));
    const n = 200_000;
    let worst = 0;
    let m = 0;
    let v = 0;
    let k4 = 0;
    let over3 = 0;
    let notF32 = 0;
    for (let i = 0; i < n; i++) {
      const z = noiseNormal(i, ...key);
      if (Math.fround(z) !== z) notF32++;
      const u1 = (2 * (dropoutBits(2 * i, ...key) >>> 9) + 1) * 2 ** -24;
      const u2 = (dropoutBits(2 * i + 1, ...key) >>> 8) * 2 ** -24;
      const exact = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      worst = Math.max(worst, Math.abs(z - exact) / Math.max(1, Math.abs(exact)));
      m += z;
      v += z * z;
      k4 += z ** 4;
      if (Math.abs(z) > 3) over3++;
    }
    expect(notF32).toBe(0);
    expect(worst).toBeLessThan(1e-6);
    // Moments of N(0, 1) within ~4 standard errors at n = 2·10⁵: mean ±0.009, E z² ±0.013, E z⁴ ±0.10.
    expect(Math.abs(m / n)).toBeLessThan(0.009);
    expect(Math.abs(v / n - 1)).toBeLessThan(0.013);
    expect(Math.abs(k4 / n - 3)).toBeLessThan(0.1);
    // P(|z| > 3) = 0.0027: 540 expected, σ ≈ 23.
    expect(Math.abs(over3 - 540)).toBeLessThan(100);
  });
});

describe('Upsample (nearest) on the shapes a design feeds it', () => {
  // Each output element read from its source pixel by the definition, against the kernel's three
  // ways of writing it: a 1×1 plane (a conditional GAN's label maps: one fill), rows shorter than
  // 64 floats (repeated element by element) and longer ones (copyWithin).
  it.each([
    ['1×1 planes ×28 (label maps)', [3, 10, 1, 1], 28],
    ['short rows ×2', [2, 3, 5, 7], 2],
    ['long rows ×3', [2, 2, 3, 30], 3],
  ] as const)('%s: every output is its source pixel', (_, shape, s) => {
    const x = randn([...shape], 5);
    const y = runOp(upsample, { inputs: [x], attrs: { scaleFactor: s }, forwardOnly: true }).output;
    const [n, c, h, w] = shape;
    expect(y.shape).toEqual([n, c, h * s, w * s]);
    const want = new Float32Array(y.data.length);
    for (let p = 0; p < n * c; p++) for (let oy = 0; oy < h * s; oy++) for (let ox = 0; ox < w * s; ox++) want[(p * h * s + oy) * w * s + ox] = x.data[(p * h + Math.floor(oy / s)) * w + Math.floor(ox / s)];
    expect(y.data).toEqual(want);
  });
});
