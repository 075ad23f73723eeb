/// <reference types="@webgpu/types" />
/**
 * BatchNorm on the GPU, as `core/ops/batch-norm.ts` (`torch.nn.BatchNorm1d/2d`: `[N, C]`,
 * `[N, C, L]`, `[N, C, H, W]`; eps, momentum, affine; running statistics as buffers):
 * - training forward: per channel, the batch mean of the channel's M = N·L values (or N·H·W) and
 *   then, in a second pass over the same values, the biased variance Σ(x − mean)²/M, both sums
 *   split over many workgroups where M > 4,096 (column-sum.ts: each workgroup a chunk of a
 *   channel, lanes and a tree, then a finish adding the chunks' partials in order); one workgroup
 *   per channel, both passes in one dispatch, where the split would have one chunk (the same
 *   order, so the same bits); one invocation summing a channel in order where M is below
 *   {@link SERIAL_MAX_M}. The finishes write the mean
 *   and 1/√(var + eps) to a workspace and update `running = (1 − momentum)·running + momentum·stat`
 *   with the UNBIASED variance (M/(M − 1); the biased one when M = 1), as the op file does. Then
 *   one invocation per element writes x̂ = (x − mean)/σ (kept for the backward, as the op file's
 *   workspace) and y = γ·x̂ + β;
 * - eval forward: the same per-element pass over a mean and 1/σ taken from the running statistics,
 *   which it leaves alone;
 * - backward: per channel, Σdy and Σdy·x̂ (dβ and dγ, added into the gradients), split as the
 *   statistics are (or serial), then one invocation per element adds
 *   dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
 *
 * NOTE: sums are float32 where the op file sums in float64: the statistics differ by a few float32
 * roundings of their sums; the two-pass variance avoids the cancellation of E[x²] − mean². The
 * split adds in another order than one workgroup per channel (which left the H200 with C
 * workgroups: ~70 µs for 64 channels of 50,176 values), so the split layers' statistics' last bits
 * — and with them a training forward's — differ from it; they are the same from step to step.
 *
 * `affine` changes the shaders' bindings (γ and β, dγ and dβ exist or not), so it is part of the
 * pipeline keys; every size is a uniform.
 */
import { floatAttr, boolAttr } from '../../ops/shape-util';
import { gpuView, type GpuContext, type GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { channelsOf, columnGroups, columnPartials, oneWorkgroupEach, type ColumnPartials } from './column-sum';
import { WORKGROUP, bindDispatch, bindings, grid1d, words, type StorageBinding } from './dispatch';
import type { GpuOpKernel } from './types';

/**
 * What every BatchNorm shader reads. `a`…`e` are the offsets of the shader's tensors, in the order
 * its comment gives; `stride` is the grid's row stride; `parts` the partials a channel has (the
 * split's finishes).
 */
const PARAMS = `struct Params {
  n: u32, c: u32, inner: u32, total: u32,
  a: u32, b: u32, cc: u32, d: u32,
  e: u32, f: u32, stride: u32, parts: u32,
  eps: f32, momentum: f32, _q: u32, _r: u32,
}`;

/** Element `j` (of M = N·inner) of channel `ch`, as a flat index of `[N, C, inner]`. */
const AT = `fn at(ch: u32, j: u32) -> u32 { return ((j / P.inner) * P.c + ch) * P.inner + j % P.inner; }`;

/**
 * Below this many values per channel (M = N·inner: a BatchNorm1d after a Linear, whose M is the
 * batch size), one invocation sums a channel alone, in order, and a dispatch has one invocation
 * per channel: a split over workgroups would leave all but M lanes of each idle through its tree's
 * barriers and add two dispatches. On SwiftShader (a barrier switches every invocation's
 * coroutine) the DCGAN template's BatchNorm over 1,568 features of 8 samples took 1.0 s for its
 * statistics and 0.9 s for their gradient with a workgroup per channel, under 1 ms each serially:
 * a training step went from 3.1 to 1.4 s.
 */
export const SERIAL_MAX_M = WORKGROUP;

/** Tree reduction of `red` over the workgroup; afterwards `red[0]` holds the sum. */
const REDUCE = `workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }`;

/**
 * The head of a shader that sums a channel in one dispatch: one invocation per channel, or
 * (`tree`) one workgroup per channel, its lanes' shares in `red` (of type `red`); `ch` is the
 * channel, `m` its value count. The workgroup's channel is uniform, so its early return keeps the
 * barriers uniform.
 */
function channelMain(tree: boolean, red = 'f32'): string {
  return tree
    ? `var<workgroup> red: array<${red}, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ch = wid.y * P.stride + wid.x;
  if (ch >= P.c) { return; }
  let m = P.n * P.inner;`
    : `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ch = gid.y * P.stride + gid.x;
  if (ch >= P.c) { return; }
  let m = P.n * P.inner;`;
}

/**
 * `acc` (of type `type`, zero `zero`) summed over the channel's values `j` by `add` (a statement
 * adding to `acc`), into `out`: (`tree`) the workgroup's strided shares and tree — column-sum.ts's
 * order for one chunk and one output a workgroup, so the same bits as its partial — or in order
 * with Kahan's compensation (a plain running sum's rounding grows with M, where the tree's grows
 * with log M; the compensated one's does not grow: the noise-only gradient of a bias before a
 * BatchNorm, zero in exact arithmetic, stays as small as the tree's).
 */
function channelSum(tree: boolean, type: string, zero: string, add: string, out: string): string {
  return tree
    ? `{
    var acc = ${zero};
    for (var j = lid; j < m; j = j + ${WORKGROUP}u) { ${add} }
    red[lid] = acc;
  }
  ${REDUCE}
  let ${out}: ${type} = red[0];
  // Everyone has read red[0] before anything overwrites it.
  workgroupBarrier();`
    : `var ${out}: ${type} = ${zero};
  {
    var lost = ${zero};
    for (var j = 0u; j < m; j = j + 1u) {
      var acc = ${zero};
      ${add}
      let step = acc - lost;
      let next = ${out} + step;
      lost = (next - ${out}) - step;
      ${out} = next;
    }
  }`;
}

/** A running statistic `old` moved towards the batch's `stat`, as the op file does. */
const RUNNING = `fn running(old: f32, stat: f32) -> f32 { return (1.0 - P.momentum) * old + P.momentum * stat; }`;

/**
 * The batch mean and 1/σ from the sum and the centred sum of squares, and the running statistics'
 * update: shared by the serial shader and the split's second finish.
 */
const STATS_FROM_SUMS = `let variance = ss / f32(m);
    S[P.b + P.c + ch] = 1.0 / sqrt(variance + P.eps);
    // NOTE: one value per channel has no unbiased variance; the op file then takes the biased one (0).
    var unbiased = variance;
    if (m > 1u) { unbiased = ss / f32(m - 1u); }
    RV[P.d + ch] = running(RV[P.d + ch], unbiased);`;

// Offsets: a = x, b = stats (mean[C] then 1/σ[C]), cc = running mean, d = running var. One invocation or workgroup per channel.
function wholeStats(tree: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> RM: array<f32>;
@group(0) @binding(3) var<storage, read_write> RV: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
${AT}
${RUNNING}
${channelMain(tree)}
  ${channelSum(tree, 'f32', '0.0', 'acc = acc + X[P.a + at(ch, j)];', 'sum')}
  let mean = sum / f32(m);
  ${channelSum(tree, 'f32', '0.0', 'let dev = X[P.a + at(ch, j)] - mean; acc = acc + dev * dev;', 'ss')}
  ${tree ? 'if (lid == 0u) ' : ''}{
    S[P.b + ch] = mean;
    RM[P.cc + ch] = running(RM[P.cc + ch], mean);
    ${STATS_FROM_SUMS}
  }
}
`;
}

/** `s`: the channel's `P.parts` partials at `PART[P.a + k·C + ch]` (column-sum.ts), added in chunk order. */
const PARTS_SUM = `var s = 0.0;
  for (var k = 0u; k < P.parts; k = k + 1u) { s = s + PART[P.a + k * P.c + ch]; }`;

/**
 * The split's finishes, one invocation per channel (offsets: a = partials, b = stats, cc = running
 * mean, d = running var): `mean` writes the mean (which the centred squares' partials then read)
 * and moves the running mean; otherwise 1/σ and the running variance from the centred sum.
 */
function splitFinish(mean: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> PART: array<f32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> ${mean ? 'RM' : 'RV'}: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${RUNNING}
${channelMain(false)}
  ${PARTS_SUM}
  ${
    mean
      ? `let mean = s / f32(m);
  S[P.b + ch] = mean;
  RM[P.cc + ch] = running(RM[P.cc + ch], mean);`
      : `{
    let ss = s;
    ${STATS_FROM_SUMS}
  }`
  }
}
`;
}

/**
 * An elementwise pass of BatchNorm's forward, one invocation per element: `storage` at bindings
 * 0…3, then γ and β where `affine`, then the uniforms; `xh` sets x̂ of element i in channel ch,
 * and y = x̂·γ + β (or x̂) is written at offset e.
 */
function normalizePass(affine: boolean, storage: readonly StorageBinding[], xh: string): string {
  return `${PARAMS}
${bindings([...storage, ...(affine ? ([['G', 'read'], ['B', 'read']] as const) : [])])}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.stride + gid.x;
  if (i >= P.total) { return; }
  let ch = (i / P.inner) % P.c;
  ${xh}
  Y[P.e + i] = ${affine ? 'xh * G[P.cc + ch] + B[P.d + ch]' : 'xh'};
}
`;
}

// Offsets: a = x, b = stats, cc = γ, d = β, e = y, f = x̂.
const normalize = (affine: boolean): string =>
  normalizePass(
    affine,
    [['X', 'read'], ['S', 'read'], ['Y', 'read_write'], ['XH', 'read_write']],
    `let xh = (X[P.a + i] - S[P.b + ch]) * S[P.b + P.c + ch];
  XH[P.f + i] = xh;`,
  );

/**
 * The eval forward in one pass: each element's channel's 1/σ = 1/√(running var + ε) computed
 * where it is used (the float32 operations a per-channel `batchnorm:eval-stats` pass stored before
 * `normalize` read them back: the same bits), and no x̂ (nothing takes an eval forward's gradient
 * on the GPU). A frozen resnet18 ran 20 such stats dispatches and wrote 20 x̂ a step for nothing.
 * Offsets: a = x, b = running mean, f = running var, cc = γ, d = β, e = y.
 */
const normalizeEval = (affine: boolean): string =>
  normalizePass(
    affine,
    [['X', 'read'], ['RM', 'read'], ['RV', 'read'], ['Y', 'read_write']],
    `let inv = 1.0 / sqrt(RV[P.f + ch] + P.eps);
  let xh = (X[P.a + i] - RM[P.b + ch]) * inv;`,
  );

/** The channel's Σdy (`t.x`) and Σdy·x̂ (`t.y`) into the workspace, and added into dβ and dγ. */
function gradStatsStore(affine: boolean): string {
  return `DS[P.b + ch] = t.x;
  DS[P.b + P.c + ch] = t.y;
  ${affine ? `DG[P.cc + ch] = DG[P.cc + ch] + t.y;
  DB[P.d + ch] = DB[P.d + ch] + t.x;` : ''}`;
}

/** dstats, dγ and dβ at bindings k…, then the uniforms. */
function gradStatsOutputs(affine: boolean, k: number): string {
  return `@group(0) @binding(${k}) var<storage, read_write> DS: array<f32>;
${affine ? `@group(0) @binding(${k + 1}) var<storage, read_write> DG: array<f32>;
@group(0) @binding(${k + 2}) var<storage, read_write> DB: array<f32>;
@group(0) @binding(${k + 3}) var<uniform> P: Params;` : `@group(0) @binding(${k + 1}) var<uniform> P: Params;`}`;
}

// Offsets: a = dy, f = x̂, b = dstats (Σdy[C] then Σdy·x̂[C]), cc = dγ, d = dβ. One invocation or workgroup per channel.
function wholeGradStats(affine: boolean, tree: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> XH: array<f32>;
${gradStatsOutputs(affine, 2)}
${AT}
${channelMain(tree, 'vec2<f32>')}
  ${channelSum(tree, 'vec2<f32>', 'vec2<f32>(0.0, 0.0)', 'let k = at(ch, j); let dy = DY[P.a + k]; acc = acc + vec2<f32>(dy, dy * XH[P.f + k]);', 't')}
  ${tree ? 'if (lid == 0u) ' : ''}{
    ${gradStatsStore(affine)}
  }
}
`;
}

// Offsets: a = Σdy's partials, e = Σdy·x̂'s partials, b = dstats, cc = dγ, d = dβ. One invocation per channel.
function splitGradStats(affine: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> PART: array<f32>;
@group(0) @binding(1) var<storage, read> PART2: array<f32>;
${gradStatsOutputs(affine, 2)}
${channelMain(false)}
  var t = vec2<f32>(0.0, 0.0);
  for (var k = 0u; k < P.parts; k = k + 1u) { t = t + vec2<f32>(PART[P.a + k * P.c + ch], PART2[P.e + k * P.c + ch]); }
  ${gradStatsStore(affine)}
}
`;
}

// Offsets: a = dy, f = x̂, b = stats, e = dstats, cc = γ, d = dx. One invocation per element.
// NOTE: batch statistics depend on x, so dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) (the op file's form).
function backwardInput(affine: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> XH: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read> DS: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
${affine ? `@group(0) @binding(5) var<storage, read> G: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;` : '@group(0) @binding(5) var<uniform> P: Params;'}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.stride + gid.x;
  if (i >= P.total) { return; }
  let ch = (i / P.inner) % P.c;
  let m = f32(P.n * P.inner);
  let k = ${affine ? 'G[P.cc + ch] * ' : ''}S[P.b + P.c + ch];
  let meanDy = DS[P.e + ch] / m;
  let meanDyXh = DS[P.e + P.c + ch] / m;
  DX[P.d + i] = DX[P.d + i] + k * (DY[P.a + i] - meanDy - XH[P.f + i] * meanDyXh);
}
`;
}

/** Offsets of a shader's tensors, as its comment names them. */
interface Offsets {
  a?: number;
  b?: number;
  cc?: number;
  d?: number;
  e?: number;
  f?: number;
}

/** One BatchNorm node's sizes and attributes, and its uniform words. */
interface Layer {
  ctx: GpuContext;
  n: number;
  c: number;
  inner: number;
  /**
   * How a channel's M values are summed: by one invocation (`serial`, M < {@link SERIAL_MAX_M}),
   * one workgroup (`tree`, where column-sum.ts would give a channel one workgroup anyway: M ≤ 4,096,
   * or more channels than a dispatch has workgroups along x), else split over workgroups (`split`).
   */
  how: 'serial' | 'tree' | 'split';
  /** Uniform words: sizes, offsets a…f, the grid's stride (and the partials a channel has), eps and momentum. */
  u(offsets: Offsets, stride: number, parts?: number): Uint32Array;
}

/** A per-channel dispatch of one invocation per channel, or (`tree`) one workgroup per channel: rows of up to the device's limit. */
function perChannel(l: Layer, key: string, source: () => string, buffers: GPUBuffer[], offsets: Offsets, parts = 0, tree = false): GpuDispatch {
  const x = Math.min(l.c, l.ctx.device.limits.maxComputeWorkgroupsPerDimension);
  const g = tree ? { workgroups: [x, Math.ceil(l.c / x), 1] as [number, number, number], rowStride: x } : grid1d(l.ctx, l.c);
  return bindDispatch(l.ctx, key, source, buffers, l.u(offsets, g.rowStride, parts), g.workgroups);
}

/**
 * The training forward's statistics: one dispatch summing each channel whole (serial or tree), or
 * the split's four — Σx's partials (column-sum.ts), the mean from them, Σ(x − mean)²'s partials,
 * 1/σ from them — each finish adding a channel's partials in chunk order and moving its running
 * statistic.
 */
function trainStats(l: Layer, x: GpuTensor, stats: GpuTensor, rm: GpuTensor, rv: GpuTensor): GpuDispatch[] {
  const tree = l.how === 'tree';
  if (l.how !== 'split') return [perChannel(l, `batchnorm:train-stats:${l.how}`, () => wholeStats(tree), [x.buffer, stats.buffer, rm.buffer, rv.buffer], { a: x.offset, b: stats.offset, cc: rm.offset, d: rv.offset }, 0, tree)];
  const layout = channelsOf(l.n, l.c, l.inner);
  const sums = columnPartials(l.ctx, 'batchnorm:train-stats', layout, 'a', x);
  const mean = gpuView(stats, 0, l.c);
  const squares = columnPartials(l.ctx, 'batchnorm:train-stats', layout, 'dd', x, mean);
  const finish = (p: ColumnPartials, isMean: boolean, running: GpuTensor) =>
    perChannel(l, `batchnorm:train-stats:${isMean ? 'mean' : 'inv-std'}`, () => splitFinish(isMean), [p.partials.buffer, stats.buffer, running.buffer], { a: p.partials.offset, b: stats.offset, cc: rm.offset, d: rv.offset }, p.chunks);
  return [sums.dispatch, finish(sums, true, rm), squares.dispatch, finish(squares, false, rv)];
}

/** The backward's Σdy and Σdy·x̂ per channel (into `dstats`, and added into dβ and dγ), summed as the statistics are. */
function gradStats(l: Layer, affine: boolean, dy: GpuTensor, xhat: GpuTensor, dstats: GpuTensor, dGamma?: GpuTensor, dBeta?: GpuTensor): GpuDispatch[] {
  const tag = affine ? 'affine' : 'plain';
  const grads = affine ? [dGamma!.buffer, dBeta!.buffer] : [];
  const out = { b: dstats.offset, cc: dGamma?.offset, d: dBeta?.offset };
  const tree = l.how === 'tree';
  if (l.how !== 'split') return [perChannel(l, `batchnorm:grad-stats:${tag}:${l.how}`, () => wholeGradStats(affine, tree), [dy.buffer, xhat.buffer, dstats.buffer, ...grads], { a: dy.offset, f: xhat.offset, ...out }, 0, tree)];
  const layout = channelsOf(l.n, l.c, l.inner);
  const sums = columnPartials(l.ctx, 'batchnorm:grad-stats', layout, 'a', dy);
  const products = columnPartials(l.ctx, 'batchnorm:grad-stats', layout, 'ab', dy, xhat);
  const finish = perChannel(
    l,
    `batchnorm:grad-stats:${tag}:finish`,
    () => splitGradStats(affine),
    [sums.partials.buffer, products.partials.buffer, dstats.buffer, ...grads],
    { a: sums.partials.offset, e: products.partials.offset, ...out },
    sums.chunks,
  );
  return [sums.dispatch, products.dispatch, finish];
}

export const batchNormKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, params, dParams, buffers, dOutput, dInputs, workspace }) {
    const shape = inputShapes[0];
    const [n, c] = shape;
    const inner = shape.slice(2).reduce((a, b) => a * b, 1);
    const total = n * c * inner;
    const affine = boolAttr(attrs, 'affine');
    const tag = affine ? 'affine' : 'plain';
    const eps = floatAttr(attrs, 'eps');
    const momentum = floatAttr(attrs, 'momentum');
    const x = inputs[0];
    const { runningMean: rm, runningVar: rv } = buffers;
    const gamma = params.weight;
    const beta = params.bias;
    const xhat = workspace('xhat', total);
    /** mean[C] then 1/σ[C], of the batch (training) or the running statistics (eval). */
    const stats = workspace('stats', 2 * c);
    const u = (o: Offsets, stride: number, parts = 0) => words([n, c, inner, total, o.a ?? 0, o.b ?? 0, o.cc ?? 0, o.d ?? 0, o.e ?? 0, o.f ?? 0, stride, parts], { 12: eps, 13: momentum });
    const layout = channelsOf(n, c, inner);
    const whole = oneWorkgroupEach(layout) || columnGroups(layout) > ctx.device.limits.maxComputeWorkgroupsPerDimension;
    const layer: Layer = { ctx, n, c, inner, how: n * inner < SERIAL_MAX_M ? 'serial' : whole ? 'tree' : 'split', u };

    const elems = grid1d(ctx, total);
    const norm = bindDispatch(
      ctx,
      `batchnorm:norm:${tag}`,
      () => normalize(affine),
      [x.buffer, stats.buffer, output.buffer, xhat.buffer, ...(affine ? [gamma.buffer, beta.buffer] : [])],
      u({ a: x.offset, b: stats.offset, cc: gamma?.offset, d: beta?.offset, e: output.offset, f: xhat.offset }, elems.rowStride),
      elems.workgroups,
      4 * total,
    );
    const forward: GpuDispatch[] = [...trainStats(layer, x, stats, rm, rv), norm];
    const evalForward: GpuDispatch[] = [
      bindDispatch(
        ctx,
        `batchnorm:norm-eval:${tag}`,
        () => normalizeEval(affine),
        [x.buffer, rm.buffer, rv.buffer, output.buffer, ...(affine ? [gamma.buffer, beta.buffer] : [])],
        u({ a: x.offset, b: rm.offset, f: rv.offset, cc: gamma?.offset, d: beta?.offset, e: output.offset }, elems.rowStride),
        elems.workgroups,
        4 * total,
      ),
    ];

    const backward: GpuDispatch[] = [];
    if (dOutput) {
      /** Σdy[C] then Σdy·x̂[C]. */
      const dstats = workspace('dstats', 2 * c);
      backward.push(...gradStats(layer, affine, dOutput, xhat, dstats, dParams.weight, dParams.bias));
      const dx = dInputs[0];
      if (dx) {
        backward.push(
          bindDispatch(
            ctx,
            `batchnorm:dx:${tag}`,
            () => backwardInput(affine),
            [dOutput.buffer, xhat.buffer, stats.buffer, dstats.buffer, dx.buffer, ...(affine ? [gamma.buffer] : [])],
            u({ a: dOutput.offset, f: xhat.offset, b: stats.offset, e: dstats.offset, cc: gamma?.offset, d: dx.offset }, elems.rowStride),
            elems.workgroups,
          ),
        );
      }
    }
    return { forward, evalForward, backward };
  },
};
