import type { OpKernelOverride } from '../../../backend/types';
import { conv2d, conv2dPlan } from '../../../ops/conv2d';
import { intAttr } from '../../../ops/shape-util';
import type { Attrs } from '../../../ops/types';
import type { CpuContext } from '../context';
import { FN, KIND, maskOf } from '../functions';
import { MAX_TASKS } from '../pool';

interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  outC: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  oh: number;
  ow: number;
  /** im2col rows: C·kH·kW. */
  rows: number;
  /** Output positions per channel. */
  spatial: number;
  direct: boolean;
}

function geometry(shape: readonly number[], attrs: Attrs): Geometry | null {
  if (intAttr(attrs, 'groups') !== 1) return null;
  const { n, inC: c, h, w, outC, k, s, p, d, outH: oh, outW: ow } = conv2dPlan(shape, attrs);
  const direct = k[0] === 1 && k[1] === 1 && s[0] === 1 && s[1] === 1 && p[0] === 0 && p[1] === 0;
  return { n, c, h, w, outC, k, s, p, d, oh, ow, rows: c * k[0] * k[1], spatial: oh * ow, direct };
}

function geomArgs(g: Geometry): number[] {
  return [g.c, g.h, g.w, g.k[0], g.k[1], g.s[0], g.s[1], g.p[0], g.p[1], g.d[0], g.d[1], g.oh, g.ow];
}

const FORWARD_MASK = maskOf(20, 21);
const BACKWARD_MASK = maskOf(22, 23, 24);
const WINOGRAD_MASK = maskOf(16, 17);

/** Samples whose tiles share one Winograd GEMM (more columns per GEMM, larger scratch). */
const WINOGRAD_GROUP = Number(process.env.WINO_GROUP ?? 4);
const WINOGRAD_MIN_C = Number(process.env.WINO_MIN_C ?? 8);

/** A 3×3, stride-1, dilation-1 convolution (groups = 1): Winograd F(2×2, 3×3) computes it exactly. */
function winogradShape(g: Geometry): boolean {
  return g.k[0] === 3 && g.k[1] === 3 && g.s[0] === 1 && g.s[1] === 1 && g.d[0] === 1 && g.d[1] === 1;
}

/** Forward on Winograd: ... */
export function useWinogradForward(g: Geometry): boolean {
  return winogradShape(g) && g.c >= WINOGRAD_MIN_C;
}

/** Input gradient on Winograd: its GEMMs reduce over the output channels. */
export function useWinogradInputGrad(g: Geometry): boolean {
  return winogradShape(g) && g.outC >= WINOGRAD_MIN_C;
}

/**
 * How many tasks to cut a batch of `n` samples into: up to 4 per thread (dynamic scheduling, so a
 * descheduled thread delays only its share), at least 2 samples each.
 */
function chunks(n: number, threads: number): number {
  if (threads <= 1) return 1;
  return Math.max(1, Math.min(4 * threads, MAX_TASKS, Math.floor(n / 2)));
}

/** Samples [n0, n1) per task: contiguous, as even as possible. */
function split(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = 0; t < parts; t++) out.push([Math.floor((t * n) / parts), Math.floor(((t + 1) * n) / parts)]);
  return out;
}

/**
 * Conv2d (groups = 1) with the batch split across threads by samples: each thread unfolds and
 * multiplies its own samples in one WebAssembly call (no per-sample fork/join). Grouped
 * convolutions use the op's own implementation (which still runs on this backend's GEMM).
 *
 * NOTE: the weight gradient is summed per task (a fixed split of the batch) and the partial sums
 * added in task order, so it differs from the single-thread sum by float32 reassociation only and
 * does not depend on thread timing.
 */
export function conv2dOverride(cpu: CpuContext): OpKernelOverride {
  /** U = G g Gᵀ of every kernel into `ua` (flip = 1: rotated and transposed, for dx), split by output channel. */
  function transformWeights(wa: number, g: Geometry, ua: number, flip: number): void {
    const parts = cpu.threads > 1 && g.outC * g.c >= 256 ? Math.min(cpu.threads, g.outC) : 1;
    cpu.run(FN.winogradWeights, split(g.outC, parts).map(([o0, o1]) => [wa, g.outC, g.c, o0, o1, ua, flip]));
  }
  return {
    forward(ctx) {
      const x = ctx.inputs[0];
      const g = geometry(x.shape, ctx.attrs);
      if (!g) return conv2d.forward(ctx);
      const parts = chunks(g.n, cpu.threads);
      if (useWinogradForward(g)) return winogradForward(g, parts);
      const colsBytes = g.direct ? 64 : Math.ceil((g.rows * g.spatial * 4) / 64) * 64;
      cpu.setThreadValues(KIND.a, cpu.threadScratch(colsBytes));
      try {
        const xa = cpu.addressOf(x.data, g.n * g.c * g.h * g.w, 'Conv2d input', true, false);
        const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
        const ba = ctx.params.bias ? cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
        const ya = cpu.addressOf(ctx.output.data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
        // Per-thread arguments (mask): 20 = this thread's columns, 21 = its GEMM packing scratch.
        const tasks = split(g.n, parts).map(([n0, n1]) => [xa, n0, n1, ...geomArgs(g), wa, g.outC, ba, ya, KIND.a, KIND.gemmScratch, g.direct ? 1 : 0]);
        cpu.run(FN.conv2dForward, tasks, tasks.map(() => FORWARD_MASK));
      } finally {
        cpu.unstage();
      }

      function winogradForward(g: Geometry, parts: number): void {
        const group = WINOGRAD_GROUP;
        cpu.setThreadValues(KIND.a, cpu.threadScratch(cpu.call(FN.winogradScratchBytes, [g.c, g.outC, g.oh, g.ow, group])));
        const ua = cpu.sharedScratch(16 * g.outC * g.c * 4);
        try {
          const xa = cpu.addressOf(x.data, g.n * g.c * g.h * g.w, 'Conv2d input', true, false);
          const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
          const ba = ctx.params.bias ? cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
          const ya = cpu.addressOf(ctx.output.data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
          transformWeights(wa, g, ua, 0);
          // Per-thread arguments (mask): 16 = this thread's tiles scratch, 17 = its GEMM packing scratch.
          const tasks = split(g.n, parts).map(([n0, n1]) => [
            xa, n0, n1, g.c, g.h, g.w, g.p[0], g.p[1], g.oh, g.ow, ua, g.outC, ba, ya, 0, group, KIND.a, KIND.gemmScratch,
          ]);
          cpu.run(FN.winogradConv, tasks, tasks.map(() => WINOGRAD_MASK));
        } finally {
          cpu.unstage();
        }
      }
    },
    backward(ctx) {
      const x = ctx.inputs[0];
      const g = geometry(x.shape, ctx.attrs);
      if (!g) return conv2d.backward!(ctx);
      const parts = chunks(g.n, cpu.threads);
      const round = (f: number): number => Math.ceil((f * 4) / 64) * 64;
      const colsBytes = g.direct ? 64 : round(g.rows * g.spatial);
      const dx = ctx.dInputs[0];
      const wino = dx !== undefined && useWinogradInputGrad(g);
      const group = WINOGRAD_GROUP;
      // Per thread: unfolded columns and their gradient (kinds a, b); the Winograd input gradient
      // runs after the weight gradient and reuses the same block (kind a).
      const winoBytes = wino ? cpu.call(FN.winogradScratchBytes, [g.outC, g.c, g.h, g.w, group]) : 0;
      const base = cpu.threadScratch(Math.max(2 * colsBytes, winoBytes));
      cpu.setThreadValues(KIND.a, base);
      cpu.setThreadValues(KIND.b, base.map((b) => b + colsBytes));
      // Per task (not per thread): partial dW and db, reduced below in task order, so the sum does
      // not depend on which thread ran which samples (training stays bit-reproducible).
      const hasBias = ctx.dParams.bias !== undefined;
      const partBytes = round(g.outC * g.rows) + round(g.outC);
      const uBytes = wino ? round(16 * g.outC * g.c) : 0;
      const partials = cpu.sharedScratch(parts * partBytes + uBytes);
      const ua = partials + parts * partBytes;
      const f = cpu.heap.f32();
      f.fill(0, partials / 4, (partials + parts * partBytes) / 4);
      try {
        const xa = cpu.addressOf(x.data, g.n * g.c * g.h * g.w, 'Conv2d input', true, false);
        const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
        const dya = cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
        const dxa = dx ? cpu.addressOf(dx.data, g.n * g.c * g.h * g.w, 'Conv2d dInput', true, true) : 0;
        const tasks = split(g.n, parts).map(([n0, n1], t) => {
          const pw = partials + t * partBytes;
          const pb = hasBias ? pw + round(g.outC * g.rows) : 0;
          // Per-thread arguments (mask): 22 = columns, 23 = column gradient, 24 = GEMM scratch.
          return [xa, n0, n1, ...geomArgs(g), wa, g.outC, dya, wino ? 0 : dxa, pw, pb, KIND.a, KIND.b, KIND.gemmScratch, g.direct ? 1 : 0];
        });
        cpu.run(FN.conv2dBackward, tasks, tasks.map(() => BACKWARD_MASK));
        if (wino) {
          // dx = the "full" correlation of dy (padded by 2 − p) with the rotated, transposed kernel.
          transformWeights(wa, g, ua, 1);
          const dxTasks = split(g.n, parts).map(([n0, n1]) => [
            dya, n0, n1, g.outC, g.oh, g.ow, 2 - g.p[0], 2 - g.p[1], g.h, g.w, ua, g.c, 0, dxa, 1, group, KIND.a, KIND.gemmScratch,
          ]);
          cpu.run(FN.winogradConv, dxTasks, dxTasks.map(() => WINOGRAD_MASK));
        }
        const heap = cpu.heap.f32();
        const dW = ctx.dParams.weight.data;
        const db = ctx.dParams.bias?.data;
        for (let t = 0; t < parts; t++) {
          const pw = (partials + t * partBytes) / 4;
          for (let i = 0; i < dW.length; i++) dW[i] += heap[pw + i];
          if (db) {
            const pb = pw + round(g.outC * g.rows) / 4;
            for (let i = 0; i < g.outC; i++) db[i] += heap[pb + i];
          }
        }
      } finally {
        cpu.unstage();
      }
    },
  };
}
