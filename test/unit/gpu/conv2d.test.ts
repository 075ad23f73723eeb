/**
 * The WGSL Conv2d (`kernels/conv.ts`: implicit GEMMs for the forward, dx and dW, a split sum for
 * db) against `core/ops/conv2d.ts` (reference backend), then run-to-run determinism on a conv net
 * and the wide tile's bits against the 64-row tile's.
 *
 * The geometries leave partial tiles in every dimension of every product: output channels per
 * group (the rows of the forward and dW: 1, 3, 5, 6, 17, 40 and 70, over every tile height and
 * two row tiles), input channels per group (dx's rows), unfolded rows `(inC/groups)·kH·kW` (the
 * forward's k-slices and dW's columns; never a multiple of 16), output and image pixels of the
 * batch (the forward's and dx's columns), and dW's long sum split over 2 to 4 workgroups with a
 * shorter last run; with stride 2×1, padding 1×2, dilation 1×2, a stride larger than the kernel
 * (dx taps that miss the stride grid: with dilation 1, dx runs per stride phase, with phases of
 * no taps; stride 1×2 with padding beyond it), groups 2 and depthwise (with and without a channel
 * multiplier), no bias, N = 1 and N = 5, 1×1 kernels with and without stride, a kernel larger than
 * the image with padding, and an input without a gradient. Forward, dx, dW and db, each adding
 * into random initial gradients (the forward overwriting garbage), in views at odd offsets
 * between sentinels (kernel-parity.ts).
 *
 * Bound (kernel-parity.ts): |gpu − cpu| ≤ 2·(m + 2)·2⁻²⁴·Σ|terms| per element, m the longest
 * sum: y sums (inC/groups)·kH·kW products and the bias; dx sums (outC/groups)·kH·kW products and
 * its initial value; dW sums N·outH·outW products and its initial value (split, each term goes
 * through at most one run's additions, the sum of the runs and the initial value: fewer than
 * N·outH·outW + 1); db sums N·outH·outW values and its initial value. Σ|terms| is the op file
 * run on absolute values.
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attrs, GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import type { GpuContext, GpuTensor } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph, type GpuGraph } from '../../../src-engine/core/gpu/executor';
import { CONV_TILES, CONV_TILE_WIDE, conv2dKernel, convTile, dwSplit } from '../../../src-engine/core/gpu/kernels/conv';
import type { GemmTile } from '../../../src-engine/core/gpu/gemm';
import { submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { conv2dPlan } from '../../../src-engine/core/ops/conv2d';
import { getOp } from '../../../src-engine/core/ops/registry';
import { testGpu } from './device';
import { kernelParity } from './kernel-parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

function plan(input: number[], attrs: Attrs) {
  const def = getOp('Conv2d')!;
  return conv2dPlan(input, { ...Object.fromEntries(Object.entries(def.attrs).map(([k, s]) => [k, s.default])), ...attrs });
}

/** A tensor of `n` normal values drawn from `rng`. */
function normals(rng: Rng, n: number): GpuTensor {
  const t = ctx.createTensor(n);
  ctx.write(t, Float32Array.from({ length: n }, () => rng.normal()));
  return t;
}

/** One convolution's tensors: its image, weight, bias and output gradient (normals), and what its passes write. */
interface ConvIo {
  x: GpuTensor;
  weight: GpuTensor;
  bias?: GpuTensor;
  dy: GpuTensor;
  y: GpuTensor;
  dx?: GpuTensor;
  dW: GpuTensor;
  db?: GpuTensor;
}

/** The kernel's forward and backward dispatches for `attrs` (Conv2d's defaults beside them) on `io`, on `tile` if given. */
function convPasses(input: readonly number[], attrs: Attrs, io: ConvIo, tile?: GemmTile) {
  const c = plan([...input], attrs);
  return conv2dKernel.prepare({
    ctx, nodeId: 'conv', attrs: { ...Object.fromEntries(Object.entries(getOp('Conv2d')!.attrs).map(([k, sp]) => [k, sp.default])), ...attrs } as Attrs,
    inputShapes: [[...input]], outputShape: [c.n, c.outC, c.outH, c.outW], inputs: [io.x], output: io.y,
    params: io.bias ? { weight: io.weight, bias: io.bias } : { weight: io.weight }, dParams: io.db ? { weight: io.dW, bias: io.db } : { weight: io.dW },
    buffers: {}, dOutput: io.dy, dInputs: io.dx ? [io.dx] : [], workspace: (label, length) => ctx.createTensor(length, label), status: ctx.createTensor(2), rng: new Rng(0), tile,
  } as Parameters<typeof conv2dKernel.prepare>[0]);
}

/** The term counts of the bound, from the geometry. */
function terms(input: number[], attrs: Attrs): Record<string, number> {
  const c = plan(input, attrs);
  const taps = c.k[0] * c.k[1];
  const pixels = c.n * c.outH * c.outW;
  return { y: (c.inC / c.groups) * taps + 1, dx: (c.outC / c.groups) * taps + 1, weight: pixels + 1, bias: pixels + 1 };
}

/** How many runs dW's sum is split into (the kernel's own rule), to check the cases reach splits. */
function splits(input: number[], attrs: Attrs): number {
  const c = plan(input, attrs);
  const og = c.outC / c.groups;
  const cols = (c.inC / c.groups) * c.k[0] * c.k[1];
  const t = convTile(og, cols, { taps: c.k[0] * c.k[1], pass: 'dw' });
  const tiles = Math.ceil(og / (t.wy * t.tm)) * Math.ceil(cols / (t.wx * t.tn)) * c.groups;
  return dwSplit(c.n * c.outH * c.outW, tiles, c.outC * cols, t.bk).splits;
}

const CASES: [string, number[], Attrs, { noInputGrad?: boolean; splits?: number }?][] = [
  ['few tiles over long sums, no bias: the forward split over k (576 terms), N = 1', [1, 64, 4, 4], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1], bias: false }],
  ['few tiles over long sums, no bias: dx split over k (576 terms), N = 1', [1, 8, 5, 4], { outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false }],
  ['3×3, odd image, N = 5: dW in 2 runs (550 terms), 5 output channels', [5, 3, 13, 12], { outChannels: 5, kernelSize: [3, 3] }, { splits: 2 }],
  ['stride 2×1, padding 1×2, dilation 1×2, N = 1', [1, 4, 9, 8], { outChannels: 6, kernelSize: [3, 3], stride: [2, 1], padding: [1, 2], dilation: [1, 2] }],
  ['rectangular 2×3, groups 2, no bias, N = 5', [5, 6, 7, 9], { outChannels: 10, kernelSize: [2, 3], groups: 2, bias: false }],
  ['depthwise 3×3, padding 1', [3, 4, 6, 5], { outChannels: 4, kernelSize: [3, 3], padding: [1, 1], groups: 4 }],
  ['depthwise with a channel multiplier 2, stride 2, dilation 2', [2, 3, 9, 8], { outChannels: 6, kernelSize: [3, 2], stride: [2, 2], dilation: [2, 2], padding: [2, 1], groups: 3 }],
  ['1×1, 20 → 17 channels (unfolded rows 20, 17 rows of a 32-row tile)', [2, 20, 5, 7], { outChannels: 17, kernelSize: [1, 1] }],
  ['1×1 with stride 2 (pixels skipped)', [2, 3, 6, 5], { outChannels: 4, kernelSize: [1, 1], stride: [2, 2] }],
  ['5×6 kernel larger than the 3×4 image, padding 2×3', [2, 2, 3, 4], { outChannels: 3, kernelSize: [5, 6], padding: [2, 3] }],
  ['70 output channels (two row tiles of 64), padding 1', [2, 3, 6, 5], { outChannels: 70, kernelSize: [3, 3], padding: [1, 1] }],
  ['40 input channels (dx on a 64-row tile), 2×2', [2, 40, 4, 5], { outChannels: 3, kernelSize: [2, 2] }],
  ['stride 3×2 > kernel 2×2 (image pixels no window reads)', [2, 3, 8, 7], { outChannels: 5, kernelSize: [2, 2], stride: [3, 2] }],
  ['stride 1×2, padding 3×1 (dx by phase along x only; padding beyond the stride), 4×4 on 10 channels', [3, 10, 7, 9], { outChannels: 6, kernelSize: [4, 4], stride: [1, 2], padding: [3, 1] }],
  ['groups 2, padding 1, N = 8: dW in 4 runs (1144 terms) per group', [8, 4, 13, 11], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1], groups: 2 }, { splits: 4 }],
  // Padding past the whole output row (#44; the CPU's unfold overran it): a 1×1 output of a
  // dilated kernel, and a 4×1 one.
  ['dilation 3, padding 2 on a 3×3 image: a 1×1 output, N = 2', [2, 2, 3, 3], { outChannels: 2, kernelSize: [3, 3], padding: [2, 2], dilation: [3, 3] }],
  ['padding ≥ output width, dilation 2×3: a 4×1 output', [2, 2, 4, 3], { outChannels: 3, kernelSize: [3, 3], padding: [2, 2], dilation: [2, 3] }],
  ['an input without a gradient (a first layer), dW in 3 runs', [6, 1, 12, 13], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] }, { noInputGrad: true, splits: 3 }],
];

describe('WGSL Conv2d (implicit GEMM) vs the op file', () => {
  CASES.forEach(([name, input, attrs, o = {}], i) => {
    it(`${name}: forward, dx, dW, db`, async () => {
      expect(splits(input, attrs), 'runs of the dW sum').toBe(o.splits ?? 1);
      const worst = await kernelParity(ctx, { op: 'Conv2d', attrs, input, seed: 500 + i, terms: terms(input, attrs), noInputGrad: o.noInputGrad });
      expect(Object.keys(worst).sort()).toEqual(['y', ...(o.noInputGrad ? [] : ['dx']), 'weight', ...(attrs.bias === false ? [] : ['bias'])].sort());
    }, 60_000);
  });
});

/**
 * A conv net whose dW sums are split (batch 12 on 16×15 images: 2,880 and 720 terms) with a
 * grouped Conv2d, a ConvTranspose2d back up and a loss on each end.
 */
function convNet(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [2, 16, 15] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'conv1', op: 'Conv2d', attrs: { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['x'] },
      { id: 'a1', op: 'ReLU', attrs: {}, inputs: ['conv1'] },
      { id: 'conv2', op: 'Conv2d', attrs: { outChannels: 8, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], groups: 2 }, inputs: ['a1'] },
      { id: 'a2', op: 'Tanh', attrs: {}, inputs: ['conv2'] },
      { id: 'up', op: 'ConvTranspose2d', attrs: { outChannels: 2, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 0] }, inputs: ['a2'] },
      { id: 'rec', op: 'MSELoss', attrs: {}, inputs: ['up', 'x'] },
      { id: 'pool', op: 'GlobalAvgPool', attrs: {}, inputs: ['a2'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['pool'] },
      { id: 'ce', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'ce' },
  };
}

/** Every activation, gradient and parameter of `g`, as bits. */
async function snapshot(g: GpuGraph): Promise<Map<string, Uint32Array>> {
  const out = new Map<string, Uint32Array>();
  const bits = (a: Float32Array) => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  for (const id of g.order) {
    out.set(`${id} activation`, bits(await g.read(id)));
    const d = await g.readGrad(id);
    if (d) out.set(`${id} gradient`, bits(d));
  }
  for (const p of g.params) {
    out.set(`${p.nodeId}.${p.name}`, bits(await ctx.read(p.value)));
    out.set(`${p.nodeId}.${p.name} grad`, bits(await ctx.read(p.grad)));
  }
  return out;
}

function expectSameBits(a: Map<string, Uint32Array>, b: Map<string, Uint32Array>, what: string): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, v] of a) {
    const w = b.get(k)!;
    const at = v.findIndex((x, i) => x !== w[i]);
    expect(at, `${what}: ${k}[${at}] differs`).toBe(-1);
  }
}

describe('Conv nets on the GPU are deterministic', () => {
  it('the same step twice, and the same 3 Adam steps in two plans, give the same bits', async () => {
    const graph = convNet();
    const batch = 12;
    const rng = new Rng(3);
    const x = Float32Array.from({ length: batch * 2 * 16 * 15 }, () => rng.normal());
    const label = Float32Array.from({ length: batch }, () => rng.int(5));
    expect(splits([batch, 2, 16, 15], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] })).toBeGreaterThan(1);
    const plans: GpuGraph[] = [];
    for (let i = 0; i < 2; i++) {
      const g = await compileGpuGraph(checkedOrThrow(graph), { batchSize: batch, gpu: ctx, seed: 7 });
      g.setInput('x', x);
      g.setInput('label', label);
      plans.push(g);
    }
    // No optimizer: the weights stay, so the second step recomputes the first from the same state.
    await plans[0].trainStep();
    const first = await snapshot(plans[0]);
    await plans[0].trainStep();
    expectSameBits(first, await snapshot(plans[0]), 'the same step again');
    const losses: number[][] = [[], []];
    for (const [i, g] of plans.entries()) {
      const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 1e-2 }, g.params);
      for (let s = 0; s < 3; s++) losses[i].push(await g.trainStep(opt, 1e-2));
    }
    expect(losses[1]).toEqual(losses[0]);
    expectSameBits(await snapshot(plans[0]), await snapshot(plans[1]), 'after 3 Adam steps in another plan');
  }, 120_000);
});

describe('a forward and a dx split over k', () => {
  it('split where the tiles are few and the sums long (no bias), as one product elsewhere', () => {
    const labels = (input: number[], attrs: Attrs) => {
      const c = plan(input, attrs);
      const t = (n: number) => ctx.createTensor(n);
      const d = conv2dKernel.prepare({
        ctx, nodeId: 'conv', attrs: ({ ...Object.fromEntries(Object.entries(getOp('Conv2d')!.attrs).map(([k, sp]) => [k, sp.default])), ...attrs } as Attrs),
        inputShapes: [input], outputShape: [c.n, c.outC, c.outH, c.outW], inputs: [t(input.reduce((a, b) => a * b, 1))], output: t(c.n * c.outC * c.outH * c.outW),
        params: { weight: t(c.outC * c.inC * 9), ...(attrs.bias === false ? {} : { bias: t(c.outC) }) }, dParams: { weight: t(c.outC * c.inC * 9) }, buffers: {}, dOutput: t(c.n * c.outC * c.outH * c.outW), dInputs: [t(input.reduce((a, b) => a * b, 1))],
        workspace: (label, length) => ctx.createTensor(length, label), status: t(2), rng: new Rng(0),
      });
      return [...d.forward, ...d.backward].map((x) => x.label.split(':').slice(0, 2).join(':'));
    };
    expect(labels([1, 64, 4, 4], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1], bias: false })).toContain('conv2d:fwd-sum');
    expect(labels([1, 8, 4, 4], { outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false })).toContain('conv2d:dx-sum');
    // Enough tiles to fill a large GPU: one product each (dW's long sum is split, as before).
    expect(labels([64, 32, 28, 28], { outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false }).filter((l) => l.endsWith('-sum'))).toEqual(['conv2d:dw-sum']);
    // A bias in the forward keeps it one product.
    expect(labels([1, 64, 4, 4], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] })).not.toContain('conv2d:fwd-sum');
  });
});

describe('the wide conv tile (64×128)', () => {
  it('is chosen for 64 rows and more with columns enough, and computes the forward, dx and dW to the same bits as the 64×64 tile', async () => {
    expect(convTile(64, 16 * 56 * 56).name).toBe(CONV_TILE_WIDE.name);
    expect(convTile(64, 2 * 14 * 14).name).toBe('r64');
    expect(convTile(32, 16 * 56 * 56).name).toBe('r32');
    // Several taps (resnet18's 3×3 layers at batch 16): every dW, and a forward or dx from 150 wide tiles; a 1×1 kernel keeps the rule above.
    expect(convTile(128, 16 * 28 * 28, { taps: 9, pass: 'fwd' }).name).toBe(CONV_TILE_WIDE.name);
    expect(convTile(128, 16 * 28 * 28, { taps: 1, pass: 'fwd' }).name).toBe('r64');
    expect(convTile(256, 16 * 14 * 14, { taps: 9, pass: 'dx' }).name).toBe('r64');
    expect(convTile(256, 256 * 9, { taps: 9, pass: 'dw' }).name).toBe(CONV_TILE_WIDE.name);
    expect(convTile(256, 256, { taps: 1, pass: 'dw' }).name).toBe('r64');
    const input = [2, 8, 21, 19];
    const attrs = { outChannels: 70, kernelSize: [3, 3], padding: [1, 1] };
    const c = plan(input, attrs);
    const rng = new Rng(7);
    const x = normals(rng, input.reduce((a, b) => a * b, 1));
    const weight = normals(rng, c.outC * c.inC * 9);
    const bias = normals(rng, c.outC);
    const dy = normals(rng, c.n * c.outC * c.outH * c.outW);
    const run = async (tile: GemmTile) => {
      const io = { x, weight, bias, dy, y: ctx.createTensor(dy.length), dx: ctx.createTensor(x.length), dW: ctx.createTensor(weight.length), db: ctx.createTensor(c.outC) };
      const d = convPasses(input, attrs, io, tile);
      expect(d.forward[0].label).toContain(tile.name);
      submitDispatches(ctx, [...d.forward, ...d.backward]);
      return Promise.all([io.y, io.dx, io.dW].map((t) => ctx.read(t)));
    };
    const narrow = await run(CONV_TILES.find((t) => t.name === 'r64')!);
    const wide = await run(CONV_TILE_WIDE);
    for (let i = 0; i < 3; i++) expect(Buffer.from(wide[i].buffer).equals(Buffer.from(narrow[i].buffer)), ['y', 'dx', 'dW'][i]).toBe(true);
  }, 60_000);

  it('the vec4 layout with the next slice loaded ahead gives the scalar layout\'s bits: forward, dx (strided too) and dW', async () => {
    const rng = new Rng(9);
    // Stride 1 with a bias; stride 2 without one (a strided dx per phase, a forward split over k).
    for (const [input, attrs] of [
      [[2, 8, 13, 11], { outChannels: 70, kernelSize: [3, 3], padding: [1, 1] }],
      [[2, 40, 9, 10], { outChannels: 36, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], bias: false }],
    ] as const) {
      const c = plan([...input], attrs);
      const x = normals(rng, input.reduce((a, b) => a * b, 1));
      const weight = normals(rng, c.outC * c.inC * 9);
      const bias = 'bias' in attrs ? undefined : normals(rng, c.outC);
      const dy = normals(rng, c.n * c.outC * c.outH * c.outW);
      const run = async (tile: GemmTile) => {
        const io = { x, weight, bias, dy, y: ctx.createTensor(dy.length), dx: ctx.createTensor(x.length), dW: ctx.createTensor(weight.length) };
        const d = convPasses(input, attrs, io, tile);
        submitDispatches(ctx, [...d.forward, ...d.backward]);
        return Promise.all([io.y, io.dx, io.dW].map((t) => ctx.read(t)));
      };
      // The scalar layout, loading each slice as it multiplies it: what every tile was before.
      const want = await run({ ...CONV_TILES.find((t) => t.name === 'r64')!, name: 'r64s', v4: false, pipe: false });
      for (const tile of [...CONV_TILES.filter((t) => t.v4), CONV_TILE_WIDE, { ...CONV_TILE_WIDE, name: 'r64ws', v4: false, pipe: false }]) {
        const got = await run(tile);
        for (let i = 0; i < 3; i++) expect(Buffer.from(got[i].buffer).equals(Buffer.from(want[i].buffer)), `${tile.name} ${['y', 'dx', 'dW'][i]} ${JSON.stringify(attrs)}`).toBe(true);
      }
    }
  }, 120_000);

  it('a depthwise dW, one invocation per weight over runs of 256 terms (conv2d:dw:direct), gives the r4 tile\'s sums within float32 rounding: one split and several, stride 1 and 2', async () => {
    const rng = new Rng(11);
    for (const [input, attrs] of [
      [[2, 6, 9, 7], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1], groups: 6 }],
      [[3, 4, 30, 29], { outChannels: 8, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2], groups: 4, bias: false }],
      [[2, 3, 40, 36], { outChannels: 3, kernelSize: [3, 3], padding: [1, 1], groups: 3, bias: false }],
    ] as const) {
      const c = plan([...input], attrs);
      const x = normals(rng, input.reduce((a, b) => a * b, 1));
      const weight = normals(rng, c.outC * (c.inC / c.groups) * c.k[0] * c.k[1]);
      const dy = normals(rng, c.n * c.outC * c.outH * c.outW);
      const run = async (tile?: GemmTile) => {
        const dW = ctx.createTensor(weight.length);
        ctx.write(dW, Float32Array.from({ length: weight.length }, (_, i) => i / 7));
        const d = convPasses(input, attrs, { x, weight, dy, y: ctx.createTensor(dy.length), dW }, tile);
        const labels = d.backward.map((b) => b.label);
        submitDispatches(ctx, d.backward);
        return { labels, dW: Buffer.from((await ctx.read(dW)).buffer) };
      };
      const direct = await run();
      const tiled = await run(CONV_TILES[0]);
      expect(direct.labels.some((l) => l.includes('conv2d:dw:direct'))).toBe(true);
      expect(tiled.labels.some((l) => l.includes('conv2d:dw:r4'))).toBe(true);
      const terms = c.n * c.outH * c.outW;
      expect(direct.labels.includes('conv2d:dw-sum:finish:add')).toBe(terms > 256);
      // The same terms in another order: within float32 rounding of a sum of `terms` products of normals.
      const [a, b] = [new Float32Array(direct.dW.buffer, direct.dW.byteOffset, weight.length), new Float32Array(tiled.dW.buffer, tiled.dW.byteOffset, weight.length)];
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `${JSON.stringify(attrs)} ${i}`).toBeLessThan(1e-6 * terms * 4);
      // Deterministic: the same bits again.
      expect((await run()).dW.equals(direct.dW)).toBe(true);
    }
  }, 60_000);
});
