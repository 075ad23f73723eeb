/**
 * The GAN ops: Noise (the latent source), RealFakeBatch (real then fake through one
 * discriminator) and GANLoss (the discriminator's loss and the generator's non-saturating one).
 */
import { describe, expect, it } from 'vitest';
import { ganLoss, discriminatorOutputs } from '../../../src-engine/core/ops/gan-loss';
import { noise } from '../../../src-engine/core/ops/noise';
import { realFakeBatch } from '../../../src-engine/core/ops/real-fake-batch';
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
    it(`gradcheck (${player})`, () => {
      const r = gradcheck(ganLoss, { inputs: [randn([6, 1], 3, 2)], attrs: { player }, eps: 1e-2 });
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
  it('stacks real then fake along the batch; gradcheck', () => {
    const real = randn([2, 1, 2, 2], 1);
    const fake = randn([3, 1, 2, 2], 2);
    const out = runOp(realFakeBatch, { inputs: [real, fake], forwardOnly: true }).output;
    expect(out.shape).toEqual([5, 1, 2, 2]);
    expect(Array.from(out.data)).toEqual([...real.data, ...fake.data]);
    const r = gradcheck(realFakeBatch, { inputs: [real, fake], seed: 2 });
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
});
