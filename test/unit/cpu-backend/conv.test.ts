/** im2col/col2im in WebAssembly against the reference backend (exact: they only move and add data). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col2im as refCol2im, im2col as refIm2col } from '../../../src-engine/core/backend/reference';
import type { Conv2dGeometry } from '../../../src-engine/core/backend/types';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { expectSameValues } from '../same-values';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { getOp } from '../../../src-engine/core/ops/registry';
import { tensor } from '../../../src-engine/base/tensor';
import { runOp, withDefaults } from '../engine/harness';
import { conv2dAlgorithm } from '../../../src-engine/node/cpu/overrides/conv2d';
import { KERNEL_BINARIES } from '../../../src-engine/node/cpu/generated/kernels';
import { Rng } from '../../../src-engine/base/rng';

let be: CpuBackend;
beforeAll(async () => {
  be = await createCpuBackend({ threads: 2 });
});
afterAll(() => be?.dispose());

function geometry(channels: number, height: number, width: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number]): Conv2dGeometry {
  const outH = Math.floor((height + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const outW = Math.floor((width + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  return { channels, height, width, kernelH: k[0], kernelW: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1], dilationH: d[0], dilationW: d[1], outH, outW };
}

const CASES: [string, Conv2dGeometry][] = [
  ['MNIST conv1 3×3', geometry(1, 28, 28, [3, 3], [1, 1], [0, 0], [1, 1])],
  ['3×3 pad 1', geometry(3, 7, 9, [3, 3], [1, 1], [1, 1], [1, 1])],
  ['5×5 pad 2 (kernel wider than a row span)', geometry(2, 4, 3, [5, 5], [1, 1], [2, 2], [1, 1])],
  ['stride 2, rectangular, dilation 2', geometry(4, 11, 8, [3, 2], [2, 1], [1, 0], [2, 2])],
  ['stride 2 both, pad 1 (strided path)', geometry(3, 9, 10, [3, 3], [2, 2], [1, 1], [1, 1])],
  ['4×4 stride 2 pad 1 (a DCGAN layer: stride-2 rows four at a time)', geometry(3, 14, 14, [4, 4], [2, 2], [1, 1], [1, 1])],
  ['stride 2 width, dilation 2, pad past the kernel reach', geometry(2, 5, 13, [3, 3], [1, 2], [3, 3], [2, 2])],
  ['1×1', geometry(5, 3, 3, [1, 1], [1, 1], [0, 0], [1, 1])],
  ['pad larger than kernel reach', geometry(1, 2, 2, [2, 2], [1, 1], [3, 3], [1, 1])],
];

describe('CPU backend im2col/col2im match the reference exactly', () => {
  for (const [label, g] of CASES) {
    const imgLen = g.channels * g.height * g.width;
    const colLen = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
    it(`im2col ${label}`, () => {
      const img = be.alloc(imgLen);
      for (let i = 0; i < imgLen; i++) img[i] = i + 1;
      const cols = be.alloc(colLen).fill(NaN);
      const want = new Float32Array(colLen).fill(NaN);
      be.im2col(img, g, cols);
      refIm2col(img, g, want);
      expectSameValues(cols, want);
    });
    it(`col2im ${label} (accumulates)`, () => {
      const cols = be.alloc(colLen);
      for (let i = 0; i < colLen; i++) cols[i] = (i % 7) - 3;
      const img = be.alloc(imgLen).fill(0.5);
      const want = new Float32Array(imgLen).fill(0.5);
      be.col2im(cols, g, img);
      refCol2im(cols, g, want);
      expectSameValues(img, want);
    });
  }

  it('works on plain arrays outside the heap', () => {
    const g = CASES[1][1];
    const img = Float32Array.from({ length: g.channels * g.height * g.width }, (_, i) => Math.sin(i));
    const cols = new Float32Array(g.channels * g.kernelH * g.kernelW * g.outH * g.outW);
    const want = new Float32Array(cols.length);
    be.im2col(img, g, cols);
    refIm2col(img, g, want);
    expectSameValues(cols, want);
    const back = new Float32Array(img.length);
    const backWant = new Float32Array(img.length);
    be.col2im(cols, g, back);
    refCol2im(want, g, backWant);
    expectSameValues(back, backWant);
  });
});

describe('Conv2d unfolds and folds inside its kernels as im2col and col2im do', () => {
  // The kernels unfold (and fold back) stride-2 rows of at least 4 outputs through a padded copy
  // of each plane in their GEMM scratch, the exported im2col and col2im row by row: the same
  // columns and the same additions in the same order, so the same bits.
  for (const [label, shape, outC] of [
    ['4×4 stride 2 pad 1, 14×14 → 7×7 (a DCGAN discriminator), groups of samples', [9, 3, 14, 14], 8],
    ['4×4 stride 2 pad 1, 28×28 → 14×14, sample pairs and a single', [5, 2, 28, 28], 4],
    // Rows of 5 (one f32x4 and one float at a time; 7: three floats after it, 14: two).
    ['4×4 stride 2 pad 1, 10×10 → 5×5', [3, 2, 10, 10], 4],
  ] as const) {
    it(label, () => {
      const [n, c, h, w] = shape;
      const g = geometry(c, h, w, [4, 4], [2, 2], [1, 1], [1, 1]);
      const k = c * 16;
      const plane = g.outH * g.outW;
      const x = tensor([...shape], Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.37)));
      const weight = tensor([outC, c, 4, 4], Float32Array.from({ length: outC * k }, (_, i) => Math.cos(i * 0.11)));
      const attrs = { outChannels: outC, kernelSize: [4, 4], stride: [2, 2], padding: [1, 1], bias: false };
      const dOutput = tensor([n, outC, g.outH, g.outW], Float32Array.from({ length: n * outC * plane }, (_, i) => Math.sin(i * 0.53)));
      const got = runOp(getOp('Conv2d')!, { inputs: [x], attrs, params: { weight }, dOutput, backend: be });
      const want = new Float32Array(n * outC * plane);
      const wantDx = new Float32Array(n * c * h * w);
      const cols = be.alloc(k * plane);
      const y = be.alloc(outC * plane);
      const image = be.alloc(c * h * w);
      for (let s = 0; s < n; s++) {
        be.im2col(x.data.subarray(s * c * h * w, (s + 1) * c * h * w), g, cols);
        be.gemm({ transA: false, transB: false, m: outC, n: plane, k, a: weight.data, b: cols, c: y, accumulate: false });
        want.set(y, s * outC * plane);
        be.gemm({ transA: true, transB: false, m: k, n: plane, k: outC, a: weight.data, b: dOutput.data.subarray(s * outC * plane, (s + 1) * outC * plane), c: cols, accumulate: false });
        image.fill(0);
        be.col2im(cols, g, image);
        wantDx.set(image, s * c * h * w);
      }
      expectSameValues(got.output.data, want, 'y');
      expectSameValues(got.dInputs[0]!.data, wantDx, 'dx');
      // Only channels [1, c) read after it (a Concat's inputs that need a gradient): those the
      // same bits, the others 0, assigned (a fresh gradient, NaN before) or added into (the
      // executor's zeros), with the weight gradient or without (a GAN's generator step).
      const read = [1, c] as const;
      for (const [fresh, unwanted] of [[true, true], [true, false], [false, false]]) {
        const part = runOp(getOp('Conv2d')!, { inputs: [x], attrs, params: { weight }, dOutput, backend: be, dInputsRead: [read], freshInputGradients: fresh, unwantedParamGradients: unwanted });
        const inRead = (i: number) => Math.floor(i / (h * w)) % c >= read[0];
        expectSameValues(part.dInputs[0]!.data, wantDx.map((v, i) => (inRead(i) ? v : 0)), `dx, channels ${read.join('…')}, fresh ${fresh}, dW ${!unwanted}`);
      }
    });
  }
});

describe('Conv2d computes only the samples read after it (OpForwardContext.rows)', () => {
  // A GAN's generator step reads the discriminator's scores of the generated half only.
  for (const [algorithm, c, k, s, p] of [
    ['im2col', 3, 4, 2, 1],
    ['winograd', 8, 3, 1, 1],
  ] as const) {
    it(`${algorithm}: samples 3…6 of 8 the same bits as the whole batch's, the others untouched`, () => {
      const [n, h, w, outC] = [8, 10, 10, 8];
      const attrs = { outChannels: outC, kernelSize: [k, k], stride: [s, s], padding: [p, p] };
      expect(conv2dAlgorithm([n, c, h, w], withDefaults(getOp('Conv2d')!, attrs)).forward).toBe(algorithm);
      const x = tensor([n, c, h, w], Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.29)));
      const weight = tensor([outC, c, k, k], Float32Array.from({ length: outC * c * k * k }, (_, i) => Math.cos(i * 0.17)));
      const bias = tensor([outC], Float32Array.from({ length: outC }, (_, i) => i / 8));
      const opts = { inputs: [x], attrs, params: { weight, bias }, backend: be, forwardOnly: true };
      const whole = runOp(getOp('Conv2d')!, opts).output.data;
      const part = runOp(getOp('Conv2d')!, { ...opts, rows: [3, 6] as const }).output.data;
      const per = whole.length / n;
      expectSameValues(part.subarray(3 * per, 6 * per), whole.subarray(3 * per, 6 * per), 'samples 3…6');
      expect(part.subarray(0, 3 * per).every((v) => v === 0) && part.subarray(6 * per).every((v) => v === 0), 'the other samples').toBe(true);
    });
  }
});

describe('Conv2d on few input channels runs "shallow" (conv.wat’s conv2dShallow)', () => {
  const conv = getOp('Conv2d')!;
  const forward = (shape: number[], attrs: Attrs) => conv2dAlgorithm(shape, withDefaults(conv, attrs)).forward;
  it('takes the op and overrides suites’ shallow cases and leaves the layers it lost on to im2col', () => {
    expect(forward([2, 3, 224, 224], { outChannels: 16, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] })).toBe('shallow');
    expect(forward([3, 3, 22, 30], { outChannels: 64, kernelSize: [7, 7], stride: [2, 2], padding: [3, 3] })).toBe('shallow');
    expect(forward([3, 4, 17, 21], { outChannels: 9, kernelSize: [3, 4], stride: [2, 1], padding: [0, 2] })).toBe('shallow');
    expect(forward([4, 1, 28, 28], { outChannels: 6, kernelSize: [5, 5], padding: [2, 2] })).toBe('shallow');
    // op-suite-cases.ts's (rows of 9: a tile and an overlapping one).
    expect(forward([1, 2, 6, 17], { outChannels: 3, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2] })).toBe('shallow');
    // Five input channels; 9 taps (MNIST's conv1); rows of 7; dilation; depth past one GEMM block (11×11 on 3 channels).
    expect(forward([2, 5, 32, 32], { outChannels: 16, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] })).toBe('im2col');
    expect(forward([64, 1, 28, 28], { outChannels: 32, kernelSize: [3, 3], padding: [1, 1] })).toBe('im2col');
    expect(forward([2, 3, 14, 14], { outChannels: 8, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] })).toBe('im2col');
    expect(forward([2, 3, 32, 32], { outChannels: 8, kernelSize: [3, 3], stride: [2, 2], dilation: [2, 2] })).toBe('im2col');
    expect(forward([2, 3, 64, 64], { outChannels: 8, kernelSize: [11, 11], stride: [4, 4] })).toBe('im2col');
    // The backward stays on im2col.
    expect(conv2dAlgorithm([2, 3, 224, 224], withDefaults(conv, { outChannels: 16, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }))).toEqual({ forward: 'shallow', inputGrad: 'im2col', weightGrad: 'im2col' });
  });
});

describe('colSums: a bias gradient, each column summed over the rows in order', () => {
  it('db[j] += dy[0][j] + dy[1][j] + … in row order: the bits of Float32Array adds, in blocks of 32, 4 and one column', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    const module = new WebAssembly.Module(Buffer.from(KERNEL_BINARIES.elementwise.simd, 'base64'));
    const { colSums } = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
    const rng = new Rng(11);
    // 97 columns: three blocks of 32 and one left; 71: two blocks, then 4 × 1, then 3 alone.
    for (const [rows, cols, j0, j1] of [[37, 97, 0, 97], [9, 71, 0, 71], [5, 71, 3, 70], [1, 3, 0, 3]]) {
      const need = rows * cols + cols;
      memory.grow(Math.max(0, Math.ceil((need * 4 + 64) / 65536) - memory.buffer.byteLength / 65536));
      const f = new Float32Array(memory.buffer);
      // Magnitudes 2^-20…2^20, so that the order of the adds shows in the bits.
      for (let i = 0; i < need; i++) f[i] = (rng.uniform() - 0.5) * 2 ** (rng.int(41) - 20);
      const db = rows * cols;
      const inOrder = f.slice(db, db + cols);
      const reversed = f.slice(db, db + cols);
      for (let j = j0; j < j1; j++) for (let r = 0; r < rows; r++) inOrder[j] += f[r * cols + j];
      for (let j = j0; j < j1; j++) for (let r = rows - 1; r >= 0; r--) reversed[j] += f[r * cols + j];
      if (rows > 1) expect(inOrder.some((v, i) => v !== reversed[i]), 'the data tells the orders apart').toBe(true);
      colSums(0, 0, rows, cols, db * 4, 0, j0, j1);
      expectSameValues(f.slice(db, db + cols), inOrder);
    }
  });
});

describe('addParts: per-task partial sums (a weight gradient, a Winograd dU) added in task order', () => {
  it('dst += part 0, then part 1, …: the bits of Float32Array adds, in f32x4 and the tail, whatever the range split', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    const module = new WebAssembly.Module(Buffer.from(KERNEL_BINARIES.elementwise.simd, 'base64'));
    const { addParts } = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
    const f = new Float32Array(memory.buffer);
    const [n, parts, stride, src] = [103, 5, 4 * 112, 512];
    // Magnitudes 2^-20…2^20, so that the order of the adds shows in the bits.
    const rng = new Rng(7);
    for (let i = 0; i < src / 4 + parts * (stride / 4); i++) f[i] = (rng.uniform() - 0.5) * 2 ** (rng.int(41) - 20);
    const inOrder = f.slice(0, n);
    const reversed = f.slice(0, n);
    for (let t = 0; t < parts; t++) for (let i = 0; i < n; i++) inOrder[i] += f[(src + t * stride) / 4 + i];
    for (let t = parts - 1; t >= 0; t--) for (let i = 0; i < n; i++) reversed[i] += f[(src + t * stride) / 4 + i];
    expect(inOrder.some((v, i) => v !== reversed[i]), 'the data tells the orders apart').toBe(true);
    // Two ranges, the first ending mid-vector (as a task's share need not).
    addParts(0, src, parts, stride, 0, 37);
    addParts(0, src, parts, stride, 37, n);
    expectSameValues(f.slice(0, n), inOrder);
  });
});
