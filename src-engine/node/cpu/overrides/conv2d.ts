import type { OpKernelOverride } from '../../../backend/types';
import { conv2d } from '../../../ops/conv2d';
import { intAttr, pairAttr, windowOut } from '../../../ops/shape-util';
import type { Attrs } from '../../../ops/types';
import type { CpuContext } from '../context';
import { FN } from '../functions';

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
  const [n, c, h, w] = shape;
  const k = pairAttr(attrs, 'kernelSize');
  const s = pairAttr(attrs, 'stride');
  const p = pairAttr(attrs, 'padding');
  const d = pairAttr(attrs, 'dilation');
  const oh = windowOut(h, k[0], s[0], p[0], d[0]);
  const ow = windowOut(w, k[1], s[1], p[1], d[1]);
  const direct = k[0] === 1 && k[1] === 1 && s[0] === 1 && s[1] === 1 && p[0] === 0 && p[1] === 0;
  return { n, c, h, w, outC: intAttr(attrs, 'outChannels'), k, s, p, d, oh, ow, rows: c * k[0] * k[1], spatial: oh * ow, direct };
}

function geomArgs(g: Geometry): number[] {
  return [g.c, g.h, g.w, g.k[0], g.k[1], g.s[0], g.s[1], g.p[0], g.p[1], g.d[0], g.d[1], g.oh, g.ow];
}

/** Samples [n0, n1) per thread: contiguous, as even as possible. */
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
 * NOTE: the weight gradient is summed per thread and the partial sums added in thread order, so
 * it differs from the single-thread sum by float32 reassociation only.
 */
export function conv2dOverride(cpu: CpuContext): OpKernelOverride {
  return {
    forward(ctx) {
      const x = ctx.inputs[0];
      const g = geometry(x.shape, ctx.attrs);
      if (!g) return conv2d.forward(ctx);
      const parts = Math.min(cpu.threads, g.n);
      const colsBytes = g.direct ? 0 : Math.ceil((g.rows * g.spatial * 4) / 64) * 64;
      const scratch = cpu.threadScratch(Math.max(colsBytes, 64));
      try {
        const xa = cpu.addressOf(x.data, g.n * g.c * g.h * g.w, 'Conv2d input', true, false);
        const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
        const ba = ctx.params.bias ? cpu.addressOf(ctx.params.bias.data, g.outC, 'Conv2d bias', true, false) : 0;
        const ya = cpu.addressOf(ctx.output.data, g.n * g.outC * g.spatial, 'Conv2d output', false, true);
        const tasks = split(g.n, parts).map(([n0, n1], t) => {
          const thread = t === parts - 1 ? cpu.threads - 1 : t;
          return [xa, n0, n1, ...geomArgs(g), wa, g.outC, ba, ya, scratch[thread], cpu.gemmScratch[thread], g.direct ? 1 : 0];
        });
        cpu.run(FN.conv2dForward, tasks);
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const x = ctx.inputs[0];
      const g = geometry(x.shape, ctx.attrs);
      if (!g) return conv2d.backward!(ctx);
      const parts = Math.min(cpu.threads, g.n);
      const colsFloats = g.direct ? 0 : g.rows * g.spatial;
      const round = (f: number): number => Math.ceil((f * 4) / 64) * 64;
      const hasBias = ctx.dParams.bias !== undefined;
      // Per thread: cols, dcols, partial dW (outC×rows), partial db (outC).
      const offCols = 0;
      const offDcols = offCols + round(colsFloats);
      const offDw = offDcols + round(colsFloats);
      const offDb = offDw + round(g.outC * g.rows);
      const bytes = offDb + round(g.outC);
      const scratch = cpu.threadScratch(bytes);
      const f = cpu.heap.f32();
      const dx = ctx.dInputs[0];
      try {
        const xa = cpu.addressOf(x.data, g.n * g.c * g.h * g.w, 'Conv2d input', true, false);
        const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'Conv2d weight', true, false);
        const dya = cpu.addressOf(ctx.dOutput.data, g.n * g.outC * g.spatial, 'Conv2d dOutput', true, false);
        const dxa = dx ? cpu.addressOf(dx.data, g.n * g.c * g.h * g.w, 'Conv2d dInput', true, true) : 0;
        const threadOf = (t: number): number => (t === parts - 1 ? cpu.threads - 1 : t);
        const tasks = split(g.n, parts).map(([n0, n1], t) => {
          const base = scratch[threadOf(t)];
          f.fill(0, (base + offDw) / 4, (base + offDw) / 4 + g.outC * g.rows);
          if (hasBias) f.fill(0, (base + offDb) / 4, (base + offDb) / 4 + g.outC);
          return [
            xa, n0, n1, ...geomArgs(g), wa, g.outC, dya, dxa,
            base + offDw, hasBias ? base + offDb : 0, base + offCols, base + offDcols, cpu.gemmScratch[threadOf(t)], g.direct ? 1 : 0,
          ];
        });
        cpu.run(FN.conv2dBackward, tasks);
        const dW = ctx.dParams.weight.data;
        const db = ctx.dParams.bias?.data;
        for (let t = 0; t < parts; t++) {
          const base = scratch[threadOf(t)];
          const pw = f.subarray((base + offDw) / 4, (base + offDw) / 4 + g.outC * g.rows);
          for (let i = 0; i < pw.length; i++) dW[i] += pw[i];
          if (db) {
            const pb = f.subarray((base + offDb) / 4, (base + offDb) / 4 + g.outC);
            for (let i = 0; i < g.outC; i++) db[i] += pb[i];
          }
        }
      } finally {
        cpu.unstage();
      }
    },
  };
}
