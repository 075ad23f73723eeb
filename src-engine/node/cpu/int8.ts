/**
 * The CPU backend's int8 inference (#85 deliverable 2): an `Int8Model` (core/quantize/) run with
 * kernels/int8.wat's integer SIMD dot products on the backend's heap and threads. The outputs equal
 * `runInt8`'s exactly (integer sums, the same float32 requantisation).
 *
 * `prepare` lays the chain out once: every activation a channels-last block of i16 per sample
 * (`Layout`), one block per layer for up to `BATCH` samples; each dense layer's weights packed as
 * i16 rows in the order its input is laid out, its bias corrected for the input's zero point, its
 * indirection buffer (a convolution's taps as byte offsets into the input block, a padded tap
 * pointing at the block's zero-point pixel). A convolution on fewer than 8 channels is unfolded
 * first (one row of taps per output pixel, `int8Im2col`), since a pixel of 1 channel would fill
 * one lane of eight (but a 3×3 stride-1 one on 3 to 7 channels reads its input padded to 8, as
 * integer Winograd). A depthwise convolution has its own kernel (int8Depthwise); another grouped
 * convolution has none: it runs between blocks as `runInt8` runs it (integer sums in doubles, the same requantisation). Layers the
 * blocks cannot hold leave the model to `runInt8`: `prepare` answers undefined.
 *
 * A graph (a U-Net's skips, MobileNet's squeeze-and-excitation) keeps one block per value, each
 * step reading its inputs' blocks by id; an op without an int8 kernel (ConvTranspose2d, Concat,
 * Add…) runs as `runInt8` runs it: its inputs dequantised from their blocks, the op's own float32
 * forward per sample, its output quantised into its block.
 */
import type { ConvPlan } from '../../core/ops/conv2d';
import type { ActivationParams } from '../../core/quantize/calibrate';
import type { Int8Dense, Int8Model, Int8Outputs } from '../../core/quantize/int8';
import { int8Outputs, quantizeSample, quantizeValue } from '../../core/quantize/int8';
import { dense, roundHalfEven } from '../../core/quantize/kernels';
import { dequantizeTable, elementwiseTable, requantizeTable } from '../../core/quantize/forms';
import { sampleSize, stepSize, type FloatStep, type IntegerForm, type PoolStep, type QuantStep } from '../../core/quantize/plan';
import type { Int8Inference, Int8Runtime } from '../../core/quantize/runtime';
import { partsFor } from './functions';
import type { SharedHeap } from './heap';
import type { Kernel, KernelName, KernelPlan, ParamName } from './kernel';

/** Samples a prepared model runs at once (its blocks are allocated for this many). */
export const INT8_BATCH = 32;

/** Multiply-adds below which a layer runs on the calling thread alone (a fork/join costs microseconds). */
const MIN_MACS_PER_TASK = 1 << 17;

type KernelFactory = <K extends KernelName, T extends ParamName<K> = never>(name: K, plan?: KernelPlan<K, T>) => Kernel<K, T>;

/**
 * Where an activation's values sit: the value of channel c at pixel (y, x) (the reference's
 * element c·h·w + y·w + x) is i16 element (y·w + x)·cs + c of the sample's block; the block's
 * zero-point pixel starts at element `zpAt`; blocks are `stride` bytes apart.
 */
interface Layout {
  c: number;
  h: number;
  w: number;
  cs: number;
  zpAt: number;
  stride: number;
}

interface Block {
  layout: Layout;
  /** Byte address of sample 0's block. */
  at: number;
}

const up = (v: number, m: number) => Math.ceil(v / m) * m;

function layout(c: number, h: number, w: number, cs: number): Layout {
  const zpAt = up(h * w * cs, 8);
  return { c, h, w, cs, zpAt, stride: 2 * (zpAt + up(cs, 8)) };
}

/** A sample shape as channels × rows × columns (a flat vector: its features as channels). */
function chw(shape: readonly number[]): [number, number, number] {
  if (shape.length === 1) return [shape[0], 1, 1];
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}

/** Element offsets in a block of the reference's elements 0, 1, … (channels first). */
function elementOffsets(l: Layout): Int32Array {
  const plane = l.h * l.w;
  const at = new Int32Array(l.c * plane);
  for (let c = 0; c < l.c; c++) for (let r = 0; r < plane; r++) at[c * plane + r] = r * l.cs + c;
  return at;
}

/**
 * The CPU backend's int8 runtime over `heap`, its kernels made by `kernel`, split over `threads`.
 */
export function createInt8Runtime(heap: SharedHeap, threads: number, kernel: KernelFactory): Int8Runtime {
  const kernels = {
    dense: kernel('int8Dense', { range: ['q0', 'q1'], align: 2 }),
    pairs: kernel('int8DensePairs', { range: ['q0', 'q1'], align: 2 }),
    winogradInput: kernel('int8WinogradInput', { range: ['s0', 's1'] }),
    winogradGemm: kernel('int8WinogradGemm', { range: ['q0', 'q1'], align: 2 }),
    winogradOutput: kernel('int8WinogradOutput', { range: ['q0', 'q1'] }),
    im2col: kernel('int8Im2col', { range: ['s0', 's1'] }),
    pool: kernel('int8MaxPool', { range: ['s0', 's1'] }),
    relu: kernel('int8Relu'),
    quantize: kernel('int8Quantize', { range: ['s0', 's1'] }),
    dequantize: kernel('int8Dequantize', { range: ['s0', 's1'] }),
    depthwise: kernel('int8Depthwise', { range: ['q0', 'q1'] }),
    table: kernel('int8Table', { range: ['s0', 's1'] }),
    table2: kernel('int8Table2', { range: ['s0', 's1'] }),
    mean: kernel('int8Mean', { range: ['s0', 's1'] }),
  };
  return {
    prepare(m) {
      try {
        return prepareModel(m, heap, threads, kernels);
      } catch (e) {
        // A shape the blocks cannot hold (not whole numbers): the reference runs it, and says why if it cannot.
        if (e instanceof RangeError) return undefined;
        throw e;
      }
    },
  };
}

interface Kernels {
  dense: Kernel<'int8Dense'>;
  pairs: Kernel<'int8DensePairs'>;
  winogradInput: Kernel<'int8WinogradInput'>;
  winogradGemm: Kernel<'int8WinogradGemm'>;
  winogradOutput: Kernel<'int8WinogradOutput'>;
  im2col: Kernel<'int8Im2col'>;
  pool: Kernel<'int8MaxPool'>;
  relu: Kernel<'int8Relu'>;
  quantize: Kernel<'int8Quantize'>;
  dequantize: Kernel<'int8Dequantize'>;
  depthwise: Kernel<'int8Depthwise'>;
  table: Kernel<'int8Table'>;
  table2: Kernel<'int8Table2'>;
  mean: Kernel<'int8Mean'>;
}

/** One layer's work on the first `samples` samples of its blocks. */
type Layer = (samples: number) => void;

function prepareModel(m: Int8Model, heap: SharedHeap, threads: number, k: Kernels): Int8Inference | undefined {
  const block = (l: Layout, zeroPoint: number): Block => {
    if (!Number.isSafeInteger(l.stride) || l.stride <= 0) throw new RangeError(`int8: a layer of ${l.c}×${l.h}×${l.w} values`);
    const at = heap.reserve(l.stride * INT8_BATCH);
    const view = new Int16Array(heap.memory.buffer, at, (l.stride / 2) * INT8_BATCH);
    view.fill(0);
    for (let s = 0; s < INT8_BATCH; s++) view.fill(zeroPoint, (s * l.stride) / 2 + l.zpAt, ((s + 1) * l.stride) / 2);
    return { layout: l, at };
  };
  const [c0, h0, w0] = chw(m.plan.inputShape);
  const first = m.plan.steps.find((s) => s.kind === 'pool' || s.kind === 'dense');
  // A first convolution reads whole vectors of 8 channels (the input padded) from 8 channels on, or
  // from 3 where it is a 3×3 stride-1 one (integer Winograd: an RGB U-Net's first layer 72 → 44 µs
  // against unfolding its 27 taps per pixel); below, it is unfolded (`int8Im2col`).
  const winogradShaped = first?.kind === 'dense' && first.conv !== undefined && first.conv.k.every((v) => v === 3) && first.conv.s.every((v) => v === 1) && first.conv.d.every((v) => v === 1);
  const wide = first?.kind === 'pool' || (first?.kind === 'dense' && ((first.conv !== undefined && (c0 >= 8 || (c0 >= 3 && winogradShaped))) || first.transposed !== undefined));
  const input = block(layout(c0, h0, w0, wide ? up(c0, 8) : c0), m.input.zeroPoint);
  const blocks = new Map<string, Block>([[m.plan.input, input]]);
  const readers = new Map<string, number>();
  for (const s of m.plan.steps) for (const id of s.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  const layers: Layer[] = [];
  const what: string[] = [];
  /** What runs outside the WebAssembly kernels, for `kind`. */
  const inTypeScript = new Set<string>();
  for (let i = 0; i < m.plan.steps.length; i++) {
    const step = m.plan.steps[i];
    const x = blocks.get(step.inputs[0])!;
    const zeroPoint = m.params[i].zeroPoint;
    const d = m.dense.get(i);
    // A lone ReLU clamps its input's block in place: not while another step reads that value.
    if (step.kind === 'relu' && (readers.get(step.inputs[0]) ?? 0) > 1) return undefined;
    const made: Made | undefined = d
      ? (denseLayer(d, x, heap, threads, k, block) ?? depthwiseLayer(d, x, heap, threads, k, block) ?? (d.step.conv && d.step.conv.groups > 1 ? tagged(groupedLayer(d, x, heap, block), GROUPED_IN_TS) : undefined))
      : step.kind === 'float'
        ? opLayer(
            step,
            step.inputs.map((id) => blocks.get(id)!),
            step.inputs.map((id) => m.paramsOf.get(id)!),
            m.params[i],
            { heap, block, k, threads },
          )
        : otherLayer(step, x, zeroPoint, k, block, threads);
    if (!made) return undefined;
    if (made.inTypeScript) inTypeScript.add(made.inTypeScript);
    layers.push(made.run);
    what.push(stepWhat(step));
    blocks.set(step.id, made.out);
  }
  const cur = blocks.get(m.plan.steps.at(-1)!.id)!;
  const inputAt = elementOffsets(input.layout);
  const outputAt = elementOffsets(cur.layout);
  const n0 = sampleSize(m.plan.inputShape);
  const outSize = stepSize(m.plan.steps.at(-1)!);
  if (inputAt.length !== n0 || outputAt.length !== outSize) return undefined;
  const sample = new Float32Array(n0);
  const toInput = inputKernel(m, input, inputAt, heap, k);
  // The outputs read back in the model's order, as uint8 and dequantised (int8Dequantize).
  const outArgs = {
    x: cur.at, xStep: cur.layout.stride, at: placed(heap, outputAt), n: outSize,
    table: placed(heap, dequantizeTable(m.params.at(-1)!)), q: heap.reserve(outSize * INT8_BATCH), vals: heap.reserve(4 * outSize * INT8_BATCH), s0: 0, s1: 0,
  };
  const run = (x: Float32Array, count: number, times?: Float64Array): Int8Outputs => {
    const quantized = new Uint8Array(count * outSize);
    const values = new Float32Array(count * outSize);
    for (let at = 0; at < count; at += INT8_BATCH) {
      const samples = Math.min(INT8_BATCH, count - at);
      const inView = new Int16Array(heap.memory.buffer, input.at, (input.layout.stride / 2) * samples);
      if (toInput) toInput(x.subarray(at * n0, (at + samples) * n0), samples);
      else for (let s = 0; s < samples; s++) quantizeSample(m, x, at + s, sample, inView.subarray((s * input.layout.stride) / 2), inputAt);
      if (times) {
        layers.forEach((layer, i) => {
          const t0 = performance.now();
          layer(samples);
          times[i] += performance.now() - t0;
        });
      } else for (const layer of layers) layer(samples);
      outArgs.s1 = samples;
      k.dequantize.call(outArgs);
      quantized.set(new Uint8Array(heap.memory.buffer, outArgs.q, samples * outSize), at * outSize);
      values.set(new Float32Array(heap.memory.buffer, outArgs.vals, samples * outSize), at * outSize);
    }
    return int8Outputs(m, quantized, values);
  };
  return {
    kind: ['WebAssembly SIMD', ...[...inTypeScript].sort()].join(', '),
    run: (x, count) => run(x, count),
    profile(x, count) {
      const times = new Float64Array(layers.length);
      run(x, count, times);
      return m.plan.steps.map((s, i) => ({ id: s.id, what: what[i], ms: times[i] }));
    },
  };
}

/** What `kind` names for the steps that run in TypeScript between the kernels' blocks. */
const GROUPED_IN_TS = 'grouped convolutions in TypeScript';
const FLOAT_IN_TS = 'ops without an int8 kernel in float32';

/** A layer made, and what of it runs in TypeScript (for `kind`), if any. */
interface Made {
  run: Layer;
  out: Block;
  inTypeScript?: string;
}

const tagged = (made: Made | undefined, inTypeScript: string): Made | undefined => made && { ...made, inTypeScript };

/** A step as a profile names it: its op kind (a convolution by its kernel, grouped or not). */
function stepWhat(step: QuantStep): string {
  if (step.kind === 'float') return step.op;
  if (step.kind !== 'dense') return step.kind;
  const c = step.conv;
  if (step.transposed) return `transposed conv ${step.transposed.k.join('×')}`;
  return c ? `${c.groups > 1 ? (c.groups === c.inC ? 'depthwise ' : 'grouped ') : ''}conv ${c.k.join('×')}${c.s.some((v) => v > 1) ? ' strided' : ''}` : 'linear';
}

/**
 * The input's normalisation and quantisation as one kernel (int8Quantize): the raw features are
 * copied into the heap and quantised there, into the block's order (in order, four at a time, for
 * one channel or a flat vector; channels last otherwise). Undefined where the statistics do not
 * cover the features (`quantizeSample` in TypeScript does it).
 */
function inputKernel(m: Int8Model, input: Block, inputAt: Int32Array, heap: SharedHeap, k: Kernels): ((x: Float32Array, samples: number) => void) | undefined {
  const n0 = inputAt.length;
  const norm = m.source.normalization;
  const l = input.layout;
  const inOrder = inputAt.every((e, j) => e === j);
  // Feature j (channel j / plane, pixel j mod plane) goes to element (j mod plane)·cs + j / plane: elementOffsets' order.
  if ((!inOrder && inputAt.some((e, j) => e !== (j % (l.h * l.w)) * l.cs + Math.floor(j / (l.h * l.w)))) || (norm && norm.kind !== 'global' && (norm.mean.length < n0 || norm.std.length < n0))) return undefined;
  const perFeature = norm !== undefined && norm.kind !== 'global';
  const stats = (v: readonly number[] | undefined, none: number) => Float32Array.from(v ? (perFeature ? v.slice(0, n0) : [v[0]]) : [none]);
  const place = (a: Float32Array) => {
    const at = heap.reserve(4 * Math.max(4, a.length));
    new Float32Array(heap.memory.buffer, at, a.length).set(a);
    return at;
  };
  const mean = place(stats(norm?.mean, 0));
  const std = place(stats(norm?.std, 1));
  const raw = heap.reserve(4 * n0 * INT8_BATCH);
  const args = { x: raw, n: n0, mean, std, perFeature: perFeature ? 1 : 0, scale: m.input.scale, zp: m.input.zeroPoint, out: input.at, outStep: l.stride, plane: inOrder ? n0 : l.h * l.w, cs: inOrder ? 1 : l.cs, s0: 0, s1: 0 };
  return (x, samples) => {
    new Float32Array(heap.memory.buffer, raw, n0 * samples).set(x);
    args.s1 = samples;
    k.quantize.call(args);
  };
}

/** Tasks for `macs` multiply-adds over `units` independent pieces. */
const tasksFor = (macs: number, threads: number, units: number) => (threads <= 1 || macs < 2 * MIN_MACS_PER_TASK ? 1 : Math.max(1, Math.min(4 * threads, units, Math.floor(macs / MIN_MACS_PER_TASK))));

function denseLayer(d: Int8Dense, x: Block, heap: SharedHeap, threads: number, k: Kernels, block: (l: Layout, zp: number) => Block): { run: Layer; out: Block } | undefined {
  const step = d.step;
  const c = step.conv;
  const outC4 = up(step.out, 4);
  const xl = x.layout;
  let taps: number;
  let cp: number;
  let P: number;
  let out: Layout;
  /** Column j of the reference's weight row → its index in a packed row. */
  let column: (j: number) => number;
  let ind: Int32Array;
  let unfold: ((samples: number) => void) | undefined;
  /** Unfolded rows run on int8DensePairs (each lane an output channel), whose rows need only an even length. */
  let pairs = false;
  let src = x.at;
  let srcStride = xl.stride;
  const t = step.transposed;
  if (t && t.k[0] === t.s[0] && t.k[1] === t.s[1] && t.p.every((v) => v === 0) && t.d.every((v) => v === 1) && t.op.every((v) => v === 0)) return phasedLayer(d, x, heap, threads, k, block);
  if (t) {
    // A ConvTranspose2d as a gather: output pixel (oy, ox)'s tap (ky, kx) reads input pixel
    // ((oy + p − ky·d) / s, …) where that is a whole pixel of the image, else the zero-point pixel
    // (which adds nothing once bias' is corrected). s² times the products it needs, on the same kernel.
    if (xl.cs % 8 !== 0 || xl.c !== t.inC || xl.h !== t.h || xl.w !== t.w) return undefined;
    const kk = t.k[0] * t.k[1];
    taps = kk;
    cp = xl.cs;
    P = t.outH * t.outW;
    column = (j) => (j % kk) * cp + Math.floor(j / kk);
    out = layout(step.out, t.outH, t.outW, up(step.out, 8));
    const source = (o: number, tap: number, stride: number, pad: number, size: number) => {
      const v = o + pad - tap;
      return v % stride === 0 && v >= 0 && v / stride < size ? v / stride : -1;
    };
    ind = new Int32Array(P * kk);
    for (let oy = 0; oy < t.outH; oy++) {
      for (let ox = 0; ox < t.outW; ox++) {
        for (let tap = 0; tap < kk; tap++) {
          const iy = source(oy, Math.floor(tap / t.k[1]) * t.d[0], t.s[0], t.p[0], t.h);
          const ix = source(ox, (tap % t.k[1]) * t.d[1], t.s[1], t.p[1], t.w);
          ind[(oy * t.outW + ox) * kk + tap] = 2 * (iy >= 0 && ix >= 0 ? (iy * t.w + ix) * cp : xl.zpAt);
        }
      }
    }
  } else if (!c) {
    if (step.per !== xl.c * xl.h * xl.w) return undefined;
    const at = elementOffsets(xl);
    taps = 1;
    cp = xl.zpAt;
    P = 1;
    column = (j) => at[j];
    ind = new Int32Array([0]);
    out = layout(step.out, 1, 1, up(step.out, 8));
  } else {
    if (c.groups !== 1 || xl.c !== c.inC || xl.h !== c.h || xl.w !== c.w) return undefined;
    // A wide block of 3 channels or fewer (an RGB image padded to 8) is unfolded, its rows of kk·C
    // values copied a vector a tap (int8Im2col): fewer products than the taps or Winograd over the
    // block's 8 (the U-Net's RGB layer 43 → 38.5 µs against Winograd).
    const unfolded = xl.cs % 8 !== 0 || xl.c <= 3;
    if (!unfolded && c.k.every((v) => v === 3) && c.s.every((v) => v === 1) && c.d.every((v) => v === 1)) return winogradLayer(d, x, heap, threads, k, block);
    P = c.outH * c.outW;
    const kk = c.k[0] * c.k[1];
    // The reference's column (ci·kH + ky)·kW + kx.
    const tapOf = (j: number) => j % kk;
    const channelOf = (j: number) => Math.floor(j / kk);
    out = layout(step.out, c.outH, c.outW, up(step.out, 8));
    if (!unfolded) {
      taps = kk;
      cp = xl.cs;
      column = (j) => tapOf(j) * cp + channelOf(j);
      ind = tapOffsets(c, xl);
    } else {
      // Unfolded: one row of kk·C taps in (ky, kx, c) order per output pixel.
      taps = 1;
      pairs = true;
      // A wide block's rows are copied a vector a tap (int8Im2col): the last tap's 8 lanes inside the row.
      cp = up(xl.cs >= 8 && c.inC < 8 ? Math.max(kk * c.inC, (kk - 1) * c.inC + 8) : kk * c.inC, 2);
      column = (j) => tapOf(j) * c.inC + channelOf(j);
      ind = new Int32Array(P);
      for (let p = 0; p < P; p++) ind[p] = 2 * p * cp;
      srcStride = 2 * P * cp;
      const cols = heap.reserve(srcStride * INT8_BATCH);
      src = cols;
      const zp = d.input.zeroPoint;
      unfold = (samples) =>
        k.im2col.run(
          { x: x.at, xStep: xl.stride, cs: xl.cs, c: c.inC, h: c.h, w: c.w, oh: c.outH, ow: c.outW, kh: c.k[0], kw: c.k[1], sh: c.s[0], sw: c.s[1], ph: c.p[0], pw: c.p[1], dh: c.d[0], dw: c.d[1], zp, cols, kpBytes: 2 * cp, s0: 0, s1: samples },
          tasksFor(samples * P * cp * 8, threads, samples),
        );
    }
  }
  const row = taps * cp;
  const padded = pairs ? up(step.out, 8) : outC4;
  const weights = new Int16Array(padded * row);
  const bias = new Int32Array(padded);
  const mult = new Float32Array(padded);
  // int8DensePairs' order: per eight channels, two quads of row/2 vectors, each four channels × a pair of values.
  const slot = pairs ? (o: number, j: number) => (o - (o % 8)) * row + (o % 8 >> 2) * 4 * row + (j >> 1) * 8 + (o % 4) * 2 + (j % 2) : (o: number, j: number) => o * row + j;
  const zpIn = d.input.zeroPoint;
  for (let o = 0; o < step.out; o++) {
    let sum = 0;
    let abs = 0;
    for (let j = 0; j < step.per; j++) {
      const v = d.weight[o * step.per + j];
      weights[slot(o, column(j))] = v;
      sum += v;
      abs += Math.abs(v);
    }
    // NOTE: the kernel's i32 sums wrap, which is harmless while the reference's sum fits in i32:
    // |b| + 255·Σ|w| bounds it. Past that (a tiny input scale), this model stays with runInt8.
    if (Math.abs(d.bias[o]) + 255 * abs >= 2 ** 31) return undefined;
    bias[o] = d.bias[o] - zpIn * sum;
    mult[o] = d.multiplier[o];
  }
  const w = placed(heap, weights);
  const biasAt = placed(heap, bias);
  const multAt = placed(heap, mult);
  const indAt = placed(heap, ind);
  const y = block(out, d.output.zeroPoint);
  const zp = d.output.zeroPoint;
  const lo = (step.relu ? zp : 0) - zp;
  const args = { w, rowBytes: 2 * row, bias: biasAt, mult: multAt, ind: indAt, taps, cpBytes: 2 * cp, P, x: src, xStep: srcStride, out: y.at, outStep: out.stride, csBytes: 2 * out.cs, outC4, q0: 0, q1: 0, zp, lo, hi: 255 - zp, pw: P, outRow: 0 };
  const pairArgs = { w, bias: biasAt, mult: multAt, kpBytes: 2 * cp, P, x: src, out: y.at, outStep: out.stride, csBytes: 2 * out.cs, outC8: padded, q0: 0, q1: 0, zp, lo, hi: 255 - zp, xStep: srcStride, pw: P, outRow: 0 };
  const run: Layer = (samples) => {
    unfold?.(samples);
    const tasks = tasksFor(samples * P * padded * row, threads, Math.ceil((samples * P) / 2));
    if (pairs) {
      pairArgs.q1 = samples * P;
      k.pairs.run(pairArgs, tasks);
    } else {
      args.q1 = samples * P;
      k.dense.run(args, tasks);
    }
  };
  return { run, out: y };
}

/**
 * A convolution's indirection buffer over a block: for each output pixel and tap (ky, kx) the byte
 * offset of the input pixel it reads, or of the block's zero-point pixel where it falls off the image.
 */
function tapOffsets(c: ConvPlan, xl: Layout): Int32Array {
  const kk = c.k[0] * c.k[1];
  const ind = new Int32Array(c.outH * c.outW * kk);
  for (let oy = 0; oy < c.outH; oy++) {
    for (let ox = 0; ox < c.outW; ox++) {
      for (let t = 0; t < kk; t++) {
        const iy = oy * c.s[0] - c.p[0] + Math.floor(t / c.k[1]) * c.d[0];
        const ix = ox * c.s[1] - c.p[1] + (t % c.k[1]) * c.d[1];
        const inside = iy >= 0 && iy < c.h && ix >= 0 && ix < c.w;
        ind[(oy * c.outW + ox) * kk + t] = 2 * (inside ? (iy * c.w + ix) * xl.cs : xl.zpAt);
      }
    }
  }
  return ind;
}

/**
 * A depthwise convolution (groups = input channels = output channels) on int8Depthwise: eight
 * channels a vector, each output pixel's taps found through an indirection buffer (a padded tap
 * reads the block's zero-point pixel, which bias' = b − zp_x·Σw cancels), requantised as int8Dense.
 * Undefined for other grouped convolutions, or where a channel's sum could leave i32.
 */
function depthwiseLayer(d: Int8Dense, x: Block, heap: SharedHeap, threads: number, k: Kernels, block: BlockMaker): Made | undefined {
  const step = d.step;
  const c = step.conv;
  const xl = x.layout;
  if (!c || c.groups === 1 || c.groups !== c.inC || step.out !== c.inC || xl.c !== c.inC || xl.h !== c.h || xl.w !== c.w || xl.cs % 8 !== 0) return undefined;
  const cs = xl.cs;
  const taps = c.k[0] * c.k[1];
  const P = c.outH * c.outW;
  const weights = new Int16Array(taps * cs);
  const bias = new Int32Array(cs);
  const mult = new Float32Array(cs);
  const zpIn = d.input.zeroPoint;
  for (let o = 0; o < step.out; o++) {
    let sum = 0;
    let abs = 0;
    for (let t = 0; t < taps; t++) {
      const v = d.weight[o * step.per + t];
      weights[t * cs + o] = v;
      sum += v;
      abs += Math.abs(v);
    }
    // NOTE: as int8Dense's, the kernel's i32 sums wrap harmlessly while the reference's fits in i32.
    if (Math.abs(d.bias[o]) + 255 * abs >= 2 ** 31) return undefined;
    bias[o] = d.bias[o] - zpIn * sum;
    mult[o] = d.multiplier[o];
  }
  const ind = tapOffsets(c, xl);
  const y = block(layout(step.out, c.outH, c.outW, cs), d.output.zeroPoint);
  const zp = d.output.zeroPoint;
  const args = { w: placed(heap, weights), bias: placed(heap, bias), mult: placed(heap, mult), ind: placed(heap, ind), taps, csBytes: 2 * cs, P, x: x.at, xStep: xl.stride, out: y.at, outStep: y.layout.stride, q0: 0, q1: 0, zp, lo: (step.relu ? zp : 0) - zp, hi: 255 - zp };
  return {
    out: y,
    run(samples) {
      args.q1 = samples * P;
      k.depthwise.run(args, tasksFor(samples * P * cs * taps, threads, samples * P));
    },
  };
}

/**
 * A ConvTranspose2d whose kernel equals its stride (no padding, dilation or output padding: a U-Net's
 * 2×2 stride-2 upsampling) by phases: output pixel (s·y + i, s·x + j) reads input pixel (y, x) through
 * tap (i, j) alone, so each of the s² taps is a 1×1 layer on int8DensePairs (each lane an output
 * channel: no lane sums to reduce over these short rows) reading the input block's pixels as rows and
 * writing every s-th pixel (`pw`, `outRow`), with its own corrected bias; none of the gather's
 * s²-fold zero-point products.
 */
function phasedLayer(d: Int8Dense, x: Block, heap: SharedHeap, threads: number, k: Kernels, block: BlockMaker): Made | undefined {
  const step = d.step;
  const t = step.transposed!;
  const xl = x.layout;
  if (xl.cs % 8 !== 0 || xl.c !== t.inC || xl.h !== t.h || xl.w !== t.w) return undefined;
  const cs = xl.cs;
  const kk = t.k[0] * t.k[1];
  const outC8 = up(step.out, 8);
  const P = t.h * t.w;
  const y = block(layout(step.out, t.outH, t.outW, up(step.out, 8)), d.output.zeroPoint);
  const yl = y.layout;
  const zp = d.output.zeroPoint;
  const zpIn = d.input.zeroPoint;
  const mult = new Float32Array(outC8);
  mult.set(d.multiplier.subarray(0, step.out));
  const multAt = placed(heap, mult);
  // int8DensePairs' order: per eight channels, two quads of cs/2 vectors, each four channels × a pair of values.
  const slot = (o: number, j: number) => (o - (o % 8)) * cs + ((o % 8) >> 2) * 4 * cs + (j >> 1) * 8 + (o % 4) * 2 + (j % 2);
  const phases: Parameters<Kernels['pairs']['run']>[0][] = [];
  for (let tap = 0; tap < kk; tap++) {
    const weights = new Int16Array(outC8 * cs);
    const bias = new Int32Array(outC8);
    for (let o = 0; o < step.out; o++) {
      let sum = 0;
      let abs = 0;
      for (let ci = 0; ci < t.inC; ci++) {
        const v = d.weight[o * step.per + ci * kk + tap];
        weights[slot(o, ci)] = v;
        sum += v;
        abs += Math.abs(v);
      }
      // NOTE: as int8Dense's, the i32 sums wrap harmlessly while the reference's fits in i32.
      if (Math.abs(d.bias[o]) + 255 * abs >= 2 ** 31) return undefined;
      bias[o] = d.bias[o] - zpIn * sum;
    }
    const [i, j] = [Math.floor(tap / t.k[1]), tap % t.k[1]];
    phases.push({
      w: placed(heap, weights), bias: placed(heap, bias), mult: multAt, kpBytes: 2 * cs, P, x: x.at, out: y.at + 2 * (i * t.outW + j) * yl.cs, outStep: yl.stride, csBytes: 2 * t.s[1] * yl.cs,
      outC8, q0: 0, q1: 0, zp, lo: (step.relu ? zp : 0) - zp, hi: 255 - zp, xStep: xl.stride, pw: t.w, outRow: 2 * t.s[0] * t.outW * yl.cs,
    });
  }
  return {
    out: y,
    run(samples) {
      for (const args of phases) {
        args.q1 = samples * P;
        k.pairs.run(args, tasksFor(samples * P * outC8 * cs, threads, Math.ceil((samples * P) / 2)));
      }
    },
  };
}

/** G' = 2G of Winograd F(2×2, 3×3): U' = G'·g·G'ᵀ = 4·G·g·Gᵀ, all integers. */
const G2 = [
  [2, 0, 0],
  [1, 1, 1],
  [1, -1, 1],
  [0, 0, 2],
];

/**
 * A 3×3 stride-1 convolution on the integer Winograd kernels (int8.wat's int8WinogradInput, Gemm,
 * Output): the same integers as the direct sum, with 2.25× fewer products.
 */
function winogradLayer(d: Int8Dense, x: Block, heap: SharedHeap, threads: number, k: Kernels, block: (l: Layout, zp: number) => Block): { run: Layer; out: Block } | undefined {
  const c = d.step.conv!;
  const xl = x.layout;
  const cs = xl.cs;
  const outC8 = up(d.step.out, 8);
  const TH = Math.ceil(c.outH / 2);
  const TW = Math.ceil(c.outW / 2);
  const T = TH * TW;
  // U'_ξ[o][ci] in int8DensePairs' order over rows of cs channels (padded channels zero).
  const plane = outC8 * cs;
  const u = new Int16Array(16 * plane);
  const slot = (o: number, j: number) => (o - (o % 8)) * cs + ((o % 8) >> 2) * 4 * cs + (j >> 1) * 8 + (o % 4) * 2 + (j % 2);
  const bias = new Int32Array(outC8);
  const mult = new Float32Array(outC8);
  for (let o = 0; o < d.step.out; o++) {
    let abs = 0;
    for (let ci = 0; ci < c.inC; ci++) {
      const g = (ky: number, kx: number) => d.weight[o * d.step.per + (ci * 3 + ky) * 3 + kx];
      for (let r = 0; r < 4; r++) {
        for (let col = 0; col < 4; col++) {
          let v = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) v += G2[r][ky] * g(ky, kx) * G2[col][kx];
          u[(r * 4 + col) * plane + slot(o, ci)] = v;
        }
      }
      for (let j = 0; j < 9; j++) abs += Math.abs(d.weight[o * d.step.per + ci * 9 + j]);
    }
    // NOTE: the kernels' i32 sums wrap harmlessly while 4·(the direct sum) and the sum plus the bias fit in i32.
    if (4 * 255 * abs >= 2 ** 31 || Math.abs(d.bias[o]) + 255 * abs >= 2 ** 31) return undefined;
    bias[o] = d.bias[o];
    mult[o] = d.multiplier[o];
  }
  const ind = new Int32Array(T * 16);
  for (let t = 0; t < T; t++) {
    const oy = 2 * Math.floor(t / TW);
    const ox = 2 * (t % TW);
    for (let r = 0; r < 4; r++) {
      for (let col = 0; col < 4; col++) {
        const iy = oy - c.p[0] + r;
        const ix = ox - c.p[1] + col;
        ind[t * 16 + r * 4 + col] = 2 * (iy >= 0 && iy < c.h && ix >= 0 && ix < c.w ? (iy * c.w + ix) * cs : xl.zpAt);
      }
    }
  }
  const U = placed(heap, u);
  const indAt = placed(heap, ind);
  const biasAt = placed(heap, bias);
  const multAt = placed(heap, mult);
  // NOTE: the 16 planes are read together (a tile's 16 values): sized for the samples at hand and one
  // cache line further apart, so that they do not all fall in one cache set (plane sizes of whole pages).
  const planeBytes = (samples: number, rowBytes: number) => up(samples * T * rowBytes, 64) + 64;
  const V = heap.reserve(16 * planeBytes(INT8_BATCH, 2 * cs));
  const M = heap.reserve(16 * planeBytes(INT8_BATCH, 4 * outC8));
  const out = layout(d.step.out, c.outH, c.outW, up(d.step.out, 8));
  const y = block(out, d.output.zeroPoint);
  const zp = d.output.zeroPoint;
  const lo = (d.step.relu ? zp : 0) - zp;
  const input = { x: x.at, xStep: xl.stride, ind: indAt, T, csBytes: 2 * cs, zp: d.input.zeroPoint, V, vPlane: 0, s0: 0, s1: 0 };
  const gemm = { U, uPlane: 2 * plane, V, vPlane: 0, csBytes: 2 * cs, M, mPlane: 0, outC8, q0: 0, q1: 0 };
  const output = { M, mPlane: 0, outC8, T, TW, bias: biasAt, mult: multAt, out: y.at, outStep: out.stride, csBytes: 2 * out.cs, outH: c.outH, outW: c.outW, zp, lo, hi: 255 - zp, q0: 0, q1: 0 };
  const run: Layer = (samples) => {
    const Q = samples * T;
    input.vPlane = gemm.vPlane = planeBytes(samples, 2 * cs);
    gemm.mPlane = output.mPlane = planeBytes(samples, 4 * outC8);
    input.s1 = samples;
    k.winogradInput.run(input, tasksFor(samples * T * cs * 64, threads, samples));
    gemm.q1 = Q;
    k.winogradGemm.run(gemm, tasksFor(16 * Q * outC8 * cs, threads, Math.ceil(Q / 2)));
    output.q1 = Q;
    k.winogradOutput.run(output, tasksFor(Q * outC8 * 64, threads, Q));
  };
  return { run, out: y };
}

function otherLayer(step: QuantStep, x: Block, zeroPoint: number, k: Kernels, block: (l: Layout, zp: number) => Block, threads: number): { run: Layer; out: Block } | undefined {
  if (step.kind === 'reshape') return { run: () => {}, out: x };
  if (step.kind === 'relu') return { run: (samples) => k.relu.call({ x: x.at, bytes: samples * x.layout.stride, zp: zeroPoint }), out: x };
  if (step.kind !== 'pool') return undefined;
  return poolLayer(step, x, zeroPoint, k, block, threads);
}

function poolLayer(step: PoolStep, x: Block, zeroPoint: number, k: Kernels, block: (l: Layout, zp: number) => Block, threads: number): { run: Layer; out: Block } | undefined {
  const p = step.pool;
  const xl = x.layout;
  if (xl.cs % 8 !== 0 || xl.c !== p.c || xl.h !== p.h || xl.w !== p.w) return undefined;
  const y = block(layout(p.c, p.outH, p.outW, xl.cs), zeroPoint);
  const args = { x: x.at, xStep: xl.stride, out: y.at, outStep: y.layout.stride, csBytes: 2 * xl.cs, h: p.h, w: p.w, oh: p.outH, ow: p.outW, kh: p.k[0], kw: p.k[1], sh: p.s[0], sw: p.s[1], ph: p.p[0], pw: p.p[1], s0: 0, s1: 0 };
  const run: Layer = (samples) => {
    args.s1 = samples;
    k.pool.run(args, partsFor(samples * p.outH * p.outW * xl.cs * p.k[0] * p.k[1], threads, samples));
  };
  return { run, out: y };
}


type BlockMaker = (l: Layout, zp: number) => Block;

/** What a float op's layer is made with: the heap, its blocks, the kernels and threads. */
interface OpContext {
  heap: SharedHeap;
  block: BlockMaker;
  k: Kernels;
  threads: number;
}

/**
 * A float op between blocks: its integer form (`FloatStep.form`, `FORM_LAYERS`) where it has one and
 * its blocks fit it, else the op's own float32 forward per sample (`floatLayer`).
 */
function opLayer(step: FloatStep, xs: readonly Block[], from: readonly ActivationParams[], to: ActivationParams, cx: OpContext): Made | undefined {
  const integer = step.form ? FORM_LAYERS[step.form](step, xs, from, to, cx) : undefined;
  return integer ?? tagged(floatLayer(step, xs, from, to, cx.heap, cx.block), FLOAT_IN_TS);
}

/** `a`'s bytes copied into the heap; returns their address. */
function placed(heap: SharedHeap, a: ArrayBufferView): number {
  const at = heap.reserve(a.byteLength);
  new Uint8Array(heap.memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return at;
}

/** Where one input of an elementwise op sits against its output: the output's own layout, or one value per channel (a squeeze-and-excitation gate). */
type Reach = 'full' | 'channel';

/** Tasks for a table pass over `samples` samples of `values` values each. */
const tableTasks = (samples: number, values: number, threads: number) => tasksFor(samples * values * 4, threads, samples);

/**
 * How each integer form runs on blocks (undefined: the blocks do not fit it, the float op runs).
 * Each gives the float op's uint8 outputs exactly (core/quantize/forms.ts).
 */
const FORM_LAYERS: Readonly<Record<IntegerForm, (step: FloatStep, xs: readonly Block[], from: readonly ActivationParams[], to: ActivationParams, cx: OpContext) => Made | undefined>> = {
  /** An elementwise op as a table lookup per value (int8Table, int8Table2): one input, `T[q]`; two, `T[q_a·256 + q_b]`. */
  table(step, xs, from, to, { heap, block, k, threads }) {
    const [c, h, w] = chw(step.outShape);
    const reach = xs.map((x, i): Reach | undefined => (x.layout.c === c && x.layout.h === h && x.layout.w === w ? 'full' : x.layout.c === c && x.layout.h * x.layout.w === 1 && step.inShapes[i][0] === c ? 'channel' : undefined));
    if (reach.some((r) => r === undefined)) return undefined;
    const y = block(layout(c, h, w, up(c, 8)), to.zeroPoint);
    const yl = y.layout;
    const table = placed(heap, elementwiseTable(step, from, to));
    const pix = (x: Block, i: number) => (reach[i] === 'full' ? 2 * x.layout.cs : 0);
    const [a, b] = xs;
    const one = { table, x: a.at, xStep: a.layout.stride, xPix: pix(a, 0), out: y.at, outStep: yl.stride, outPix: 2 * yl.cs, hw: h * w, c, s0: 0, s1: 0 };
    const two = b && { table, a: a.at, aStep: a.layout.stride, aPix: pix(a, 0), b: b.at, bStep: b.layout.stride, bPix: pix(b, 1), out: y.at, outStep: yl.stride, outPix: 2 * yl.cs, hw: h * w, c, s0: 0, s1: 0 };
    return {
      out: y,
      run(samples) {
        if (two) {
          two.s1 = samples;
          k.table2.run(two, tableTasks(samples, h * w * c, threads));
        } else {
          one.s1 = samples;
          k.table.run(one, tableTasks(samples, h * w * c, threads));
        }
      },
    };
  },

  /** A Concat along the channels: each input's values through its requantisation table (int8Table), into its channels of the output. */
  concat(step, xs, from, to, { heap, block, k, threads }) {
    const [c, h, w] = chw(step.outShape);
    const node = step.model.graph.nodes.find((n) => n.id === step.id);
    const axis = Number(node?.attrs.axis ?? 1);
    const rank = step.outShape.length + 1;
    if ((axis < 0 ? axis + rank : axis) !== 1 || xs.some((x) => x.layout.h !== h || x.layout.w !== w) || xs.reduce((a, x) => a + x.layout.c, 0) !== c) return undefined;
    const y = block(layout(c, h, w, up(c, 8)), to.zeroPoint);
    const yl = y.layout;
    let offset = 0;
    const parts = xs.map((x, i) => {
      const args = { table: placed(heap, requantizeTable(from[i], to)), x: x.at, xStep: x.layout.stride, xPix: 2 * x.layout.cs, out: y.at + 2 * offset, outStep: yl.stride, outPix: 2 * yl.cs, hw: h * w, c: x.layout.c, s0: 0, s1: 0 };
      offset += x.layout.c;
      return args;
    });
    return {
      out: y,
      run(samples) {
        for (const args of parts) {
          args.s1 = samples;
          k.table.run(args, tableTasks(samples, h * w * args.c, threads));
        }
      },
    };
  },

  /**
   * A global average pool as the float op computes it (core/ops/kernels/global-avg-pool.ts), on
   * int8Mean: each channel's dequantised values (a table of 256) summed in float64 in pixel order,
   * divided by the pixel count, the float32 result quantised.
   */
  mean(step, xs, from, to, { heap, block, k, threads }) {
    const x = xs[0];
    const xl = x.layout;
    const [c, h, w] = chw(step.inShapes[0]);
    if (xs.length !== 1 || xl.c !== c || xl.h !== h || xl.w !== w || sampleSize(step.outShape) !== c) return undefined;
    const y = block(layout(c, 1, 1, up(c, 8)), to.zeroPoint);
    const args = { table: placed(heap, Float64Array.from(dequantizeTable(from[0]))), x: x.at, xStep: xl.stride, xPix: 2 * xl.cs, hw: h * w, c, scale: to.scale, zp: to.zeroPoint, out: y.at, outStep: y.layout.stride, s0: 0, s1: 0 };
    return {
      out: y,
      run(samples) {
        args.s1 = samples;
        k.mean.run(args, tableTasks(samples, h * w * c, threads));
      },
    };
  },
};

/**
 * An op without an int8 kernel between blocks: per sample, each input dequantised as
 * DequantizeLinear does (`(q − zp)·s` in float32), the op's own float32 forward, its output
 * quantised (`quantizeValue`) into a block of its own, channels padded to eight.
 */
function floatLayer(step: FloatStep, xs: readonly Block[], from: readonly ActivationParams[], to: ActivationParams, heap: SharedHeap, block: BlockMaker): Made | undefined {
  const [c, h, w] = chw(step.outShape);
  const y = block(layout(c, h, w, up(c, 8)), to.zeroPoint);
  const inAt = xs.map((x) => elementOffsets(x.layout));
  if (inAt.some((at, i) => at.length !== sampleSize(step.inShapes[i]))) return undefined;
  const outAt = elementOffsets(y.layout);
  const values = inAt.map((at) => new Float32Array(at.length));
  const run: Layer = (samples) => {
    for (let s = 0; s < samples; s++) {
      xs.forEach((x, i) => {
        const q = new Int16Array(heap.memory.buffer, x.at + s * x.layout.stride, x.layout.stride / 2);
        const at = inAt[i];
        const v = values[i];
        const { zeroPoint, scale } = from[i];
        for (let j = 0; j < v.length; j++) v[j] = (q[at[j]] - zeroPoint) * scale;
      });
      const out = step.run(values);
      const q = new Int16Array(heap.memory.buffer, y.at + s * y.layout.stride, y.layout.stride / 2);
      for (let j = 0; j < outAt.length; j++) q[outAt[j]] = quantizeValue(out[j], to);
    }
  };
  return { run, out: y };
}

/**
 * A grouped convolution between blocks, as `runInt8` computes it (core/quantize/kernels.ts `dense`
 * on integers held exactly in doubles, requantised `roundHalfEven(fround(fround(acc)·M)) + zp`): the
 * same uint8 values, one sample at a time on the calling thread.
 */
function groupedLayer(d: Int8Dense, x: Block, heap: SharedHeap, block: (l: Layout, zp: number) => Block): { run: Layer; out: Block } | undefined {
  const step = d.step;
  const inAt = elementOffsets(x.layout);
  if (inAt.length !== sampleSize(step.inShape)) return undefined;
  const [c, h, w] = chw(step.outShape);
  const y = block(layout(c, h, w, up(c, 8)), d.output.zeroPoint);
  const outAt = elementOffsets(y.layout);
  const weight = Float64Array.from(d.weight);
  const bias = Float64Array.from(d.bias);
  const centred = new Float64Array(inAt.length);
  const acc = new Float64Array(outAt.length);
  const per = acc.length / step.out;
  const zp = d.output.zeroPoint;
  const lo = step.relu ? zp : 0;
  const run: Layer = (samples) => {
    for (let s = 0; s < samples; s++) {
      const q = new Int16Array(heap.memory.buffer, x.at + s * x.layout.stride, x.layout.stride / 2);
      for (let j = 0; j < centred.length; j++) centred[j] = q[inAt[j]] - d.input.zeroPoint;
      dense(step, weight, bias, centred, acc);
      const out = new Int16Array(heap.memory.buffer, y.at + s * y.layout.stride, y.layout.stride / 2);
      for (let j = 0; j < acc.length; j++) out[outAt[j]] = Math.max(lo, Math.min(255, roundHalfEven(Math.fround(Math.fround(acc[j]) * d.multiplier[Math.floor(j / per)])) + zp));
    }
  };
  return { run, out: y };
}
