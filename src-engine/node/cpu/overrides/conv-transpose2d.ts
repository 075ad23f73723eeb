import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { convTranspose2dPlan } from '../../../core/ops/conv-transpose2d';
import { convTranspose2dKernel } from '../../../core/ops/kernels/conv-transpose2d';
import type { Attrs, OpBackwardContext, OpForwardContext } from '../../../core/ops/types';
import type { CpuContext } from '../context';
import { KIND } from '../functions';
import { addTaskPartials, chunks, geomArgs, im2colBlocks, round64, sampleParts, zeroHeap, type Geometry } from './conv2d';

/**
 * ConvTranspose2d as the Conv2d it is the adjoint of: the Conv2d whose input is this layer's
 * output `[N, outC, outH, outW]`, whose output is this layer's input `[N, inC, H, W]` and whose
 * weight `[inC, outC, kH, kW]` is this layer's weight as stored (groups = 1). Null where that
 * Conv2d's output size is not this input's (an outputPadding of at least the stride, which only
 * a dilation allows) or for groups > 1: the op file's code runs those.
 */
function adjointConv(shape: readonly number[], attrs: Attrs): Geometry | null {
  const t = convTranspose2dPlan(shape, attrs);
  if (t.groups !== 1 || t.op[0] >= t.s[0] || t.op[1] >= t.s[1]) return null;
  const direct = t.k[0] === 1 && t.k[1] === 1 && t.s[0] === 1 && t.s[1] === 1 && t.p[0] === 0 && t.p[1] === 0;
  return {
    n: t.n, inC: t.outC, h: t.outH, w: t.outW, outC: t.inC, groups: 1, k: t.k, s: t.s, p: t.p, d: t.d, outH: t.h, outW: t.w,
    rows: t.outC * t.k[0] * t.k[1], spatial: t.h * t.w, direct,
  };
}

/**
 * ConvTranspose2d (groups = 1) on the Conv2d kernels (kernels/conv.wat), the batch split across
 * threads by samples, one parallel round per pass where the op file runs a GEMM and a col2im per
 * sample (each its own round): the forward is that Conv2d's input gradient (Wᵀ·x per sample,
 * folded by col2im) plus the bias; the input gradient is that Conv2d's forward over dy; the weight
 * gradient is that Conv2d's weight gradient with dy as its image and x as its output gradient,
 * summed per task and the partials added in task order (the Conv2d override's NOTE: float32
 * reassociation only, the same bits whatever the thread timing). The bias is added, and its
 * gradient summed per channel in float64, by kernels (conv.wat addChannelBias, channelSums64) in
 * the op file's order: the same bits as its loops.
 */
export function convTranspose2dOverride(cpu: CpuContext): OpKernelOverride {
  const conv2dForward = cpu.kernel('conv2dForward', { range: ['n0', 'n1'], perThread: { cols: KIND.a, scratch: KIND.gemmScratch } });
  const conv2dBackward = cpu.kernel('conv2dBackward', { range: ['n0', 'n1'], perThread: { cols: KIND.a, dcols: KIND.b, scratch: KIND.gemmScratch } });
  const fillZero = cpu.kernel('fillZero');
  const addChannelBias = cpu.kernel('addChannelBias', { range: ['n0', 'n1'] });
  const channelSums64 = cpu.kernel('channelSums64', { range: ['c0', 'c1'] });
  const addParts = cpu.kernel('addParts', { range: ['i0', 'i1'], align: 4 });

  /**
   * Per-thread scratch for conv2dBackward (`cols` and `dcols`: kinds a and b), and with `both`
   * for conv2dForward after it on the same blocks (its `cols`, kind a, spans them); the group size.
   */
  function columns(g: Geometry, kernels: 'conv2dBackward' | 'both'): number {
    const blocks = im2colBlocks(g);
    const base = cpu.threadScratch(kernels === 'both' ? Math.max(blocks.cols + blocks.dcols, blocks.forward) : blocks.cols + blocks.dcols);
    cpu.setThreadValues(KIND.a, base);
    cpu.setThreadValues(KIND.b, base.map((b) => b + blocks.cols));
    return blocks.group;
  }

  function forward(ctx: OpForwardContext, g: Geometry): void {
    const imageLen = g.n * g.inC * g.h * g.w;
    const group = columns(g, 'conv2dBackward');
    try {
      const xa = cpu.addressOf(ctx.inputs[0].data, g.n * g.outC * g.spatial, 'ConvTranspose2d input', true, false);
      const wa = cpu.addressOf(ctx.params.weight.data, g.outC * g.rows, 'ConvTranspose2d weight', true, false);
      const ya = cpu.addressOf(ctx.output.data, imageLen, 'ConvTranspose2d output', false, true);
      // col2im adds into the output.
      fillZero.call({ p: ya, n: imageLen });
      conv2dBackward.run(
        { x: 0, n0: 0, n1: g.n, ...geomArgs(g), w: wa, Cout: g.outC, dy: xa, dx: ya, dWt: 0, dbt: 0, direct: g.direct ? 1 : 0, group, skipZero: 0, dx0: 0, dxC: g.inC },
        sampleParts(g.n, cpu.threads, group),
      );
      const bias = ctx.params.bias?.data;
      if (bias) {
        const ba = cpu.addressOf(bias, g.inC, 'ConvTranspose2d bias', true, false);
        addChannelBias.run({ y: ya, bias: ba, C: g.inC, plane: g.h * g.w, n0: 0, n1: g.n }, chunks(g.n, cpu.threads));
      }
    } finally {
      cpu.unstage();
    }
  }

  function backward(ctx: OpBackwardContext, g: Geometry): void {
    const parts = chunks(g.n, cpu.threads);
    const imageLen = g.n * g.inC * g.h * g.w;
    const dx = ctx.dInputs[0];
    // The weight and bias gradients, unless the step reads none (OpBackwardContext.dParamsWanted).
    const wanted = ctx.dParamsWanted !== false;
    const group = columns(g, 'both');
    const weightLen = g.outC * g.rows;
    const partBytes = round64(weightLen);
    const partials = wanted ? cpu.sharedScratch(parts * partBytes) : 0;
    if (wanted) zeroHeap(cpu, ctx.backend, partials, (parts * partBytes) / 4);
    try {
      const xa = cpu.addressOf(ctx.inputs[0].data, g.n * g.outC * g.spatial, 'ConvTranspose2d input', true, false);
      const wa = cpu.addressOf(ctx.params.weight.data, weightLen, 'ConvTranspose2d weight', true, false);
      const dya = cpu.addressOf(ctx.dOutput.data, imageLen, 'ConvTranspose2d dOutput', true, false);
      if (wanted) {
        conv2dBackward.run(
          { x: dya, n0: 0, n1: g.n, ...geomArgs(g), w: wa, Cout: g.outC, dy: xa, dx: 0, dWt: partials, dbt: 0, direct: g.direct ? 1 : 0, group, skipZero: 0, dx0: 0, dxC: g.inC },
          parts,
          { dWt: partBytes },
        );
      }
      if (dx) {
        const fresh = ctx.dInputsFresh?.[0] === true;
        const dxa = cpu.addressOf(dx.data, g.n * g.outC * g.spatial, 'ConvTranspose2d dInput', !fresh, true);
        conv2dForward.run({ x: dya, n0: 0, n1: g.n, ...geomArgs(g), w: wa, Cout: g.outC, bias: 0, y: dxa, accumulate: fresh ? 0 : 1, direct: g.direct ? 1 : 0, group, ep: 0, act: 0 }, sampleParts(g.n, cpu.threads, group));
      }
      if (!wanted) return;
      addTaskPartials(cpu, addParts, ctx.dParams.weight.data, 'ConvTranspose2d weight gradient', partials, parts, partBytes);
      const db = ctx.dParams.bias?.data;
      if (db) {
        const dba = cpu.addressOf(db, g.inC, 'ConvTranspose2d bias gradient', true, true);
        channelSums64.run({ dy: dya, C: g.inC, plane: g.h * g.w, N: g.n, db: dba, c0: 0, c1: g.inC }, Math.min(g.inC, 4 * cpu.threads));
      }
    } finally {
      cpu.unstage();
    }
  }

  return {
    // dx is assigned where the executor marks it fresh; the op file adds into it, so its
    // fallback gets a fresh one zeroed first.
    assignsFreshGradients: true,
    skipsUnwantedParamGradients: true,
    forward(ctx) {
      const g = adjointConv(ctx.inputs[0].shape, ctx.attrs);
      return g ? forward(ctx, g) : convTranspose2dKernel.forward(ctx);
    },
    backward(ctx) {
      const g = adjointConv(ctx.inputs[0].shape, ctx.attrs);
      if (g) return backward(ctx, g);
      const dx = ctx.dInputs[0];
      if (dx && ctx.dInputsFresh?.[0] === true) dx.data.fill(0);
      return convTranspose2dKernel.backward!(ctx);
    },
  };
}
