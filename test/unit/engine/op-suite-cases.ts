/**
 * The op suite's cases: for every registered op at least one call (ops that use a backend's GEMM,
 * im2col or tiles get several), with an explicit skip list. Every backend runs the same cases —
 * the WebAssembly CPU backend (test/unit/cpu-backend/op-suite.test.ts) and the GPU
 * (test/unit/gpu/op-suite.test.ts) — as tfjs runs one kernel suite against each backend.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getOp, listOps } from '../../../src-engine/core/ops/registry';
import { GRADCHECK_TOLERANCE, testDomainOf, type InputDomain } from '../../../src-engine/core/ops/test-domain';
import type { OpDef } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import type { RunOpOptions } from './harness';

/** Ops no backend runs a case of, and why. */
export const SKIP: Record<string, string> = {
  Input: 'no computation: it only names a graph input',
  Noise: 'a random source with no gradient that reads only its input\'s batch size (test/unit/engine/gan-ops.test.ts checks its draws)',
  OneHot: 'no gradient (an index is not differentiable) and no backend kernel: the op file runs on every backend (test/unit/engine/gan-ops.test.ts checks its rows)',
};

/** N(0, 1) values drawn from Rng(seed). */
export function randn(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

/**
 * Distinct values spaced 0.1 apart in random order, none closer than 0.05 to 0: away from MaxPool
 * ties and from the kink of ReLU-style activations (the gradcheck step is 1e-2).
 */
function spaced(shape: number[], seed: number): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = (i - Math.floor(t.data.length / 2)) * 0.1 + 0.05;
  new Rng(seed).shuffle(t.data);
  return t;
}

function labels(n: number, classes: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return tensor([n], Float32Array.from({ length: n }, () => rng.int(classes)));
}

const SMOOTH = GRADCHECK_TOLERANCE.smooth;
const NORM = GRADCHECK_TOLERANCE.normalization;

export interface Case {
  label: string;
  op: string;
  opts: Omit<RunOpOptions, 'backend'>;
  tol: number;
}

/** Cases per op; ops that use the backend's GEMM/im2col get several. */
const CASES: Case[] = [
  { label: 'Linear 2-D', op: 'Linear', opts: { inputs: [randn([3, 5], 1)], attrs: { outFeatures: 4 } }, tol: SMOOTH },
  { label: 'Linear 3-D, no bias', op: 'Linear', opts: { inputs: [randn([2, 3, 4], 2)], attrs: { outFeatures: 3, bias: false } }, tol: SMOOTH },
  { label: 'Linear wide (several micro-panels)', op: 'Linear', opts: { inputs: [randn([5, 37], 31)], attrs: { outFeatures: 35 } }, tol: SMOOTH },
  { label: 'Conv2d 3×3 pad 1', op: 'Conv2d', opts: { inputs: [randn([2, 2, 5, 5], 3)], attrs: { outChannels: 3, kernelSize: [3, 3], padding: [1, 1] } }, tol: SMOOTH },
  {
    label: 'Conv2d stride 2, dilation 2, groups 2, rectangular',
    op: 'Conv2d',
    opts: { inputs: [randn([2, 4, 7, 6], 4)], attrs: { outChannels: 2, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [2, 2], groups: 2 } },
    tol: SMOOTH,
  },
  // Padding past the whole output row (#44): a random graph's 3×3 input, kernel 3, dilation 3,
  // padding 2 has a 1×1 output whose first tap starts 2 columns left of it; the CPU's stride-1
  // unfold zeroed those 2 columns, one past the row, over the next sample's. Then an output taller
  // than wide (the overrun lands on the next row of the same sample), and a row as wide as the
  // image (the "same-width" copy path).
  { label: 'Conv2d dilation 3, padding 2, 1×1 output (padding past the row)', op: 'Conv2d', opts: { inputs: [randn([2, 2, 3, 3], 41)], attrs: { outChannels: 2, kernelSize: [3, 3], padding: [2, 2], dilation: [3, 3] } }, tol: SMOOTH },
  { label: 'Conv2d padding ≥ output width, 4×1 output, dilation 2×3', op: 'Conv2d', opts: { inputs: [randn([2, 2, 4, 3], 42)], attrs: { outChannels: 3, kernelSize: [3, 3], padding: [2, 2], dilation: [2, 3] } }, tol: SMOOTH },
  { label: 'Conv2d padding ≥ output width, output as wide as the 1-column image', op: 'Conv2d', opts: { inputs: [randn([2, 2, 3, 1], 43)], attrs: { outChannels: 2, kernelSize: [3, 3], padding: [1, 2], dilation: [1, 2] } }, tol: SMOOTH },
  { label: 'Conv2d 1×1', op: 'Conv2d', opts: { inputs: [randn([2, 3, 3, 3], 5)], attrs: { outChannels: 2, kernelSize: [1, 1] } }, tol: SMOOTH },
  // Few input channels, 50 taps, rows of 9 outputs: the CPU backend's conv2dShallow (a register tile of 8 and an overlapping one).
  { label: 'Conv2d on 2 channels, 5×5 stride 2 pad 2, rows of 9', op: 'Conv2d', opts: { inputs: [randn([1, 2, 6, 17], 55)], attrs: { outChannels: 3, kernelSize: [5, 5], stride: [2, 2], padding: [2, 2] } }, tol: SMOOTH },
  {
    label: 'ConvTranspose2d stride 2, padding 1, outputPadding 1',
    op: 'ConvTranspose2d',
    opts: { inputs: [randn([2, 3, 3, 3], 6)], attrs: { outChannels: 2, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] } },
    tol: SMOOTH,
  },
  { label: 'AvgPool2d 3×3 stride 2 pad 1', op: 'AvgPool2d', opts: { inputs: [randn([2, 2, 5, 5], 7)], attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] } }, tol: SMOOTH },
  { label: 'MaxPool2d 2×2', op: 'MaxPool2d', opts: { inputs: [spaced([2, 2, 4, 4], 8)], attrs: { kernelSize: [2, 2] } }, tol: SMOOTH },
  { label: 'MaxPool2d 3×3 stride 2 pad 1', op: 'MaxPool2d', opts: { inputs: [spaced([1, 2, 5, 5], 9)], attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] } }, tol: SMOOTH },
  { label: 'GlobalAvgPool', op: 'GlobalAvgPool', opts: { inputs: [randn([2, 3, 2, 3], 10)] }, tol: SMOOTH },
  { label: 'GlobalAvgPool keeping dims', op: 'GlobalAvgPool', opts: { inputs: [randn([2, 3, 2, 3], 11)], attrs: { keepDims: true } }, tol: SMOOTH },
  { label: 'MaxPool2d 3×3 stride 2 ceil mode', op: 'MaxPool2d', opts: { inputs: [spaced([1, 2, 6, 7], 12)], attrs: { kernelSize: [3, 3], stride: [2, 2], ceilMode: true } }, tol: SMOOTH },
  { label: 'MaxPool2d 2×2 ceil mode, odd size', op: 'MaxPool2d', opts: { inputs: [spaced([1, 2, 5, 5], 13)], attrs: { kernelSize: [2, 2], ceilMode: true } }, tol: SMOOTH },
  { label: 'Multiply broadcast [N, C, H, W] × [N, C, 1, 1]', op: 'Multiply', opts: { inputs: [randn([2, 3, 2, 4], 14), randn([2, 3, 1, 1], 15)] }, tol: SMOOTH },
  { label: 'Multiply same shape', op: 'Multiply', opts: { inputs: [randn([2, 5], 16), randn([2, 5], 17)] }, tol: SMOOTH },
  { label: 'Transpose channel shuffle (0, 2, 1, 3, 4)', op: 'Transpose', opts: { inputs: [randn([2, 2, 3, 2, 2], 19)], attrs: { perm: [0, 2, 1, 3, 4] } }, tol: SMOOTH },
  { label: 'Transpose (0, 3, 1, 2)', op: 'Transpose', opts: { inputs: [randn([2, 3, 2, 4], 20)], attrs: { perm: [0, 3, 1, 2] } }, tol: SMOOTH },
  { label: 'Slice channels', op: 'Slice', opts: { inputs: [randn([2, 6, 2, 2], 21)], attrs: { axis: 1, start: 3, length: 3 } }, tol: SMOOTH },
  { label: 'Slice last dim', op: 'Slice', opts: { inputs: [randn([2, 3, 5], 22)], attrs: { axis: 2, start: 1, length: 2 } }, tol: SMOOTH },
  { label: 'Upsample bilinear ×2', op: 'Upsample', opts: { inputs: [randn([2, 2, 3, 4], 27)], attrs: { scaleFactor: 2, mode: 'bilinear' } }, tol: SMOOTH },
  { label: 'Conv1d k3 pad 1 groups 2', op: 'Conv1d', opts: { inputs: [randn([2, 4, 7], 25)], attrs: { outChannels: 4, kernelSize: 3, padding: 1, groups: 2 } }, tol: SMOOTH },
  { label: 'Conv1d k2 stride 2 dilation 2', op: 'Conv1d', opts: { inputs: [randn([2, 3, 9], 26)], attrs: { outChannels: 2, kernelSize: 2, stride: 2, dilation: 2 } }, tol: SMOOTH },
  { label: 'GroupNorm 2 groups', op: 'GroupNorm', opts: { inputs: [randn([2, 4, 3, 2], 23)], attrs: { numGroups: 2 } }, tol: NORM },
  { label: 'GroupNorm [N, C, L], no affine', op: 'GroupNorm', opts: { inputs: [randn([2, 6, 4], 24)], attrs: { numGroups: 3, affine: false } }, tol: NORM },
  { label: 'Clip [−0.5, 0.5]', op: 'Clip', opts: { inputs: [spaced([3, 7], 18)], attrs: { min: -0.52, max: 0.48 } }, tol: SMOOTH },
  { label: 'Upsample ×2', op: 'Upsample', opts: { inputs: [randn([2, 2, 2, 3], 11)], attrs: { scaleFactor: 2 } }, tol: SMOOTH },
  { label: 'BatchNorm 2-D train', op: 'BatchNorm', opts: { inputs: [randn([4, 3, 2, 2], 12)], training: true }, tol: NORM },
  { label: 'BatchNorm 1-D train', op: 'BatchNorm', opts: { inputs: [randn([5, 3], 13)], training: true }, tol: NORM },
  { label: 'BatchNorm eval', op: 'BatchNorm', opts: { inputs: [randn([3, 2, 4], 14)], training: false }, tol: SMOOTH },
  { label: 'LayerNorm last dim', op: 'LayerNorm', opts: { inputs: [randn([3, 6], 15)] }, tol: NORM },
  { label: 'Dropout train', op: 'Dropout', opts: { inputs: [randn([4, 5], 17)], attrs: { p: 0.3 }, training: true }, tol: SMOOTH },
  { label: 'Flatten', op: 'Flatten', opts: { inputs: [randn([2, 2, 3], 19)] }, tol: SMOOTH },
  { label: 'Reshape', op: 'Reshape', opts: { inputs: [randn([2, 6], 20)], attrs: { shape: [3, -1] } }, tol: SMOOTH },
  { label: 'Add of three', op: 'Add', opts: { inputs: [randn([2, 3], 21), randn([2, 3], 22), randn([2, 3], 23)] }, tol: SMOOTH },
  { label: 'Concat axis 1', op: 'Concat', opts: { inputs: [randn([2, 1, 3], 24), randn([2, 2, 3], 25)] }, tol: SMOOTH },
  { label: 'RealFakeBatch', op: 'RealFakeBatch', opts: { inputs: [randn([2, 3, 2], 26), randn([3, 3, 2], 27)] }, tol: SMOOTH },
  { label: 'GANLoss discriminator', op: 'GANLoss', opts: { inputs: [randn([6, 1], 28)], attrs: { player: 'discriminator' } }, tol: SMOOTH },
  { label: 'RNN sequence', op: 'RNN', opts: { inputs: [randn([2, 4, 3], 43)], attrs: { hiddenSize: 5 } }, tol: SMOOTH },
  { label: 'RNN 2 layers, bidirectional, last state', op: 'RNN', opts: { inputs: [randn([2, 3, 2], 42)], attrs: { hiddenSize: 3, numLayers: 2, bidirectional: true, output: 'last' } }, tol: SMOOTH },
  { label: 'LSTM sequence', op: 'LSTM', opts: { inputs: [randn([2, 3, 3], 44)], attrs: { hiddenSize: 6 } }, tol: SMOOTH },
  {
    label: 'LSTM 2 layers, bidirectional, last state',
    op: 'LSTM',
    opts: { inputs: [randn([2, 3, 2], 45)], attrs: { hiddenSize: 3, numLayers: 2, bidirectional: true, output: 'last' } },
    tol: SMOOTH,
  },
  { label: 'GRU sequence', op: 'GRU', opts: { inputs: [randn([2, 3, 3], 46)], attrs: { hiddenSize: 6 } }, tol: SMOOTH },
  {
    label: 'GRU 2 layers, bidirectional, last state',
    op: 'GRU',
    opts: { inputs: [randn([2, 3, 2], 47)], attrs: { hiddenSize: 3, numLayers: 2, bidirectional: true, output: 'last' } },
    tol: SMOOTH,
  },
  {
    label: 'Embedding (ids in range, negative, fractional; out of range: E_ID_RANGE, cpu-backend/embedding.test.ts)',
    op: 'Embedding',
    opts: { inputs: [tensor([2, 4], Float32Array.of(0, 3, -1, 2.7, 4.9, -5, 4, 1.2))], attrs: { numEmbeddings: 5, embeddingDim: 3 }, noGrad: [0] },
    tol: SMOOTH,
  },
  { label: 'MultiHeadAttention', op: 'MultiHeadAttention', opts: { inputs: [randn([2, 4, 6], 48)], attrs: { numHeads: 2 } }, tol: SMOOTH },
  { label: 'MultiHeadAttention causal, no bias', op: 'MultiHeadAttention', opts: { inputs: [randn([2, 5, 4], 49)], attrs: { numHeads: 1, causal: true, bias: false } }, tol: SMOOTH },
  { label: 'PositionalEmbedding', op: 'PositionalEmbedding', opts: { inputs: [randn([2, 3, 4], 50)] }, tol: SMOOTH },
  { label: 'SequencePool mean', op: 'SequencePool', opts: { inputs: [randn([2, 4, 3], 51)] }, tol: SMOOTH },
  { label: 'SequencePool last', op: 'SequencePool', opts: { inputs: [randn([2, 4, 3], 52)], attrs: { mode: 'last' } }, tol: SMOOTH },
  {
    label: 'TokenCrossEntropyLoss',
    op: 'TokenCrossEntropyLoss',
    opts: { inputs: [randn([2, 3, 5], 53), tensor([2, 3], Float32Array.of(0, 4, 2, 1, 1, 3))], attrs: { labelSmoothing: 0.1 }, noGrad: [1] },
    tol: SMOOTH,
  },
  {
    label: 'DiceLoss over a 2×3 mask',
    op: 'DiceLoss',
    opts: { inputs: [randn([2, 3, 2, 3], 54), tensor([2, 2, 3], Float32Array.of(0, 2, 1, 1, 0, 0, 2, 2, 1, 0, 1, 2))], noGrad: [1] },
    tol: SMOOTH,
  },
  { label: 'GANLoss generator', op: 'GANLoss', opts: { inputs: [randn([6], 29)], attrs: { player: 'generator' } }, tol: SMOOTH },
];

/** `shape` drawn from `domain` (test-domain.ts): `real` spaced (an activation's) or N(0, 1) (a loss's). */
function drawInput(domain: InputDomain, shape: readonly number[], seed: number, spacedReals: boolean, classes: number): Tensor {
  const t = tensor([...shape]);
  const n = t.data.length;
  const rows = n / (shape[1] ?? n);
  if (domain === 'real') return spacedReals ? spaced([...shape], seed) : randn([...shape], seed);
  if (domain === 'class-index') return tensor([...shape], labels(n, classes, seed).data);
  if (domain === 'binary') return tensor([...shape], Float32Array.from({ length: n }, (_, i) => i % 2));
  if (domain === 'distribution' || domain === 'log-distribution') {
    // Softmax rows of N(0, 1) scores along dim 1 (for a [N, C, …] shape: over C at each position).
    const z = randn([...shape], seed).data;
    const c = shape[1] ?? n;
    const inner = n / rows / c;
    for (let r = 0; r < rows; r++)
      for (let k = 0; k < inner; k++) {
        let sum = 0;
        for (let j = 0; j < c; j++) sum += Math.exp(z[r * c * inner + j * inner + k]);
        for (let j = 0; j < c; j++) {
          const p = Math.exp(z[r * c * inner + j * inner + k]) / sum;
          t.data[r * c * inner + j * inner + k] = domain === 'distribution' ? p : Math.log(p);
        }
      }
    return t;
  }
  const [lo, hi] = domain;
  for (let i = 0; i < n; i++) t.data[i] = lo + ((hi - lo) * (i + 0.5)) / n;
  new Rng(seed).shuffle(t.data);
  return t;
}

/**
 * The cases of an op without one in CASES, drawn from its declared test domain (its file's
 * `testDomain`, test-domain.ts): its canonical attributes and each declared variant. None for
 * an op of no default shape (neither an activation nor a loss) that declares none.
 */
function defaultCases(def: OpDef): Case[] {
  const d = testDomainOf(def);
  if (!d.shapes) return [];
  const classes = d.shapes[0][1] ?? 2;
  // The seeds the regex-picked cases used (40: activations; 41, 42 or 43: a loss's prediction and target), so those cases stay as they were.
  const seed = (i: number): number => (def.isLoss ? 41 + (d.inputs[i] === 'class-index' ? 1 : 2) * i : 40 + i);
  const inputs = d.shapes.map((shape, i) => drawInput(d.inputs[i], shape, seed(i), !def.isLoss, classes));
  const noGrad = d.inputs.flatMap((k, i) => (def.isLoss && i > 0) || k === 'class-index' || k === 'binary' || def.inputs[i]?.discrete ? [i] : []);
  return [d.attrs, ...d.variants].map((attrs, v) => ({
    label: `${def.name} (${v === 0 ? 'default case' : `variant ${JSON.stringify(attrs)}`})`,
    op: def.name,
    opts: { inputs, ...(Object.keys(attrs).length ? { attrs } : {}), ...(noGrad.length ? { noGrad } : {}) },
    tol: d.gradcheck,
  }));
}

/** Every case: CASES, and the cases each op registered without one declares (its `testDomain`). */
export function allCases(): Case[] {
  const out = CASES.filter((c) => getOp(c.op));
  for (const def of listOps()) {
    if (SKIP[def.name] || out.some((c) => c.op === def.name)) continue;
    out.push(...defaultCases(def));
  }
  return out;
}

/** The source file that declares op `name` (src-engine/core/ops/<file>.ts), for messages that say what to edit. */
export function opFile(name: string): string {
  const dir = 'src-engine/core/ops';
  const file = readdirSync(dir).find((f) => f.endsWith('.ts') && new RegExp(`\\bname: '${name}'`).test(readFileSync(join(dir, f), 'utf8')));
  return file ? `${dir}/${file}` : `${dir}/<the file declaring ${name}>`;
}

/**
 * What to edit for each registered op that has no case here and no skip: its file's `testDomain`
 * (the shapes of its canonical case), a case in CASES, or a SKIP with the reason. Empty: every op is covered.
 */
export function missingCases(cases: readonly Case[] = allCases(), except: (op: string) => boolean = () => false): string[] {
  const covered = new Set(cases.map((c) => c.op));
  return listOps()
    .filter((d) => !covered.has(d.name) && !SKIP[d.name] && !except(d.name))
    .map((d) => `${opFile(d.name)}: declare testDomain.shapes (its canonical case's input shapes), or add a case to CASES / a reason to SKIP in test/unit/engine/op-suite-cases.ts`);
}
