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
  return {
    forward(ctx) {
      const x = ctx.inputs[0];
      const g = geometry(x.shape, ctx.attrs);
      if (!g) return conv2d.forward(ctx);
      const parts = chunks(g.n, cpu.threads);
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
    },
    backward(ctx) {
      const x = ctx.inputs[0];
      const g = geometry(x.shape, ctx.attrs);
      if (!g) return conv2d.backward!(ctx);
      const parts = chunks(g.n, cpu.threads);
      const round = (f: number): number => Math.ceil((f * 4) / 64) * 64;
      const colsBytes = g.direct ? 64 : round(g.rows * g.spatial);
      // Per thread: unfolded columns and their gradient (kinds a, b).
      const base = cpu.threadScratch(2 * colsBytes);
      cpu.setThreadValues(KIND.a, base);
      cpu.setThreadValues(KIND.b, base.map((b) => b + colsBytes));
      // Per task (not per thread): partial dW and db, reduced below in task order, so the sum does
      // not depend on which thread ran which samples (training stays bit-reproducible).
      const hasBias = ctx.dParams.bias !== undefined;
      const partBytes = round(g.outC * g.rows) + round(g.outC);
      const partials = cpu.sharedScratch(parts * partBytes);
      const f = cpu.heap.f32();
      f.fill(0, partials / 4, (partials + parts * partBytes) / 4);
      const dx = ctx.dInputs[0];
      try {
        const xa = cpu.addressOf(x.data, g.n * g.c * g.h * g.w, 'Conv2d input', true, false);
        const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
        const dya = cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
        const dxa = dx ? cpu.addressOf(dx.data, g.n * g.c * g.h * g.w, 'Conv2d dInput', true, true) : 0;
        const tasks = split(g.n, parts).map(([n0, n1], t) => {
          const pw = partials + t * partBytes;
          const pb = hasBias ? pw + round(g.outC * g.rows) : 0;
          // Per-thread arguments (mask): 22 = columns, 23 = column gradient, 24 = GEMM scratch.
          return [xa, n0, n1, ...geomArgs(g), wa, g.outC, dya, dxa, pw, pb, KIND.a, KIND.b, KIND.gemmScratch, g.direct ? 1 : 0];
        });
        cpu.run(FN.conv2dBackward, tasks, tasks.map(() => BACKWARD_MASK));
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
