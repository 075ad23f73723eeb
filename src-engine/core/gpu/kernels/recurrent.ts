/// <reference types="@webgpu/types" />
/**
 * RNN, LSTM and GRU on the GPU, as `core/ops/kernels/recurrent.ts` runs them (batch-first in, time-major
 * inside, layers, both directions, the sequence or the last state out; PyTorch's parameters and
 * gate order), step for step of its `recurrentForward`/`recurrentBackward`, with its workspace names:
 * - the input made time-major (`seqIn`), then per layer and direction the input projection of all
 *   steps as one GEMM `xg = inp·W_ihᵀ + b_ih`;
 * - per step, in the order the direction reads the steps: `rg = h_prev·W_hhᵀ` (a GEMM reading
 *   h_prev at its offset in `hs`; none at the first step) and one fused cell kernel that adds
 *   `b_hh`, applies the gates and writes `gates`, `aux`, `hs` and the layer's output (`ys` below
 *   the top layer; the op's output on top, at every step or, for `output: 'last'`, at the last
 *   step the direction reads);
 * - backward through time in reverse with the same pieces: per step the cell's backward (dL/dh from
 *   the output's gradient and the step after, the gate preactivations' gradients into `dXg`/`dRg`)
 *   and `dhNext += dRg·W_hh`; then per layer and direction `dW_ih`, `dW_hh`, the biases and the
 *   gradient sent down (`dIn`), each one GEMM or column sum over all steps; the input's gradient
 *   made batch-first again.
 * Everything is recorded in the step's one submission; every buffer, uniform and pipeline is made
 * here, once per plan (each step's offsets are its own small uniform buffer).
 *
 * Differences from the op file: the gradient arriving at a layer below the top is read where the
 * layer above left it (two buffers, `dIn` and `dys`, swapped per layer, instead of a copy), and the
 * op's output is written by the top layer's cell kernel instead of copied from `ys`; dL/dh of every
 * step is kept (`dhs`) and its norm over the batch per step (`dhNorm`, the sequence probe's
 * gradient by time) taken once after the whole backward, in float32 (the op file: float64).
 *
 * NOTE: `exp` and `tanh` are implementation-defined in WGSL (tanh clamped to ±15 as the
 * activations' is); the op file computes them in float64. The few-ulp differences pass through T
 * steps, within the test bounds for the short sequences tested.
 */
import { dimsOf, paramName } from '../../ops/recurrent';
import { prevOf, stepAt } from '../../ops/kernels/recurrent';
import { GpuError, gpuView, type GpuContext, type GpuTensor } from '../context';
import { prepareGemm, prepareWeightGradient, type GpuDispatch } from '../gemm';
import { ACTIVATION_HELPERS } from './activations';
import { bindDispatch, grid1d, kernel1d, words, type StorageBinding } from './dispatch';
import { channelsOf, columnSum } from './column-sum';
import { gather } from './layout';
import { biasAdd, biasGrad } from './linear';
import type { GpuOpKernel } from './types';

/**
 * One step's offsets (elements). Forward: `xg` this step's rows of the input projection, `rg` the
 * recurrent one, `bias` b_hh (`hasBias`), `hs`/`hsPrev`, `aux`/`auxPrev`, `gates` this step's and the
 * previous step's rows, `y` where row r of the output goes (`y + r·yRow`, when `yOn`). Backward:
 * `xg` and `rg` are `dXg`'s and `dRg`'s rows, `y` where dL/dh of row r arrives from the output
 * (`y + r·yRow`, when `yOn`), `dhn` dhNext, `dc` LSTM's dCarry, `dhs` where this step's dL/dh is
 * kept; `last` the first step taken back (nothing carried from a later step). `first`: the first
 * step the direction reads (h_prev = 0).
 */
const PARAMS = `struct Params {
  total: u32, h: u32, rowStride: u32, first: u32,
  last: u32, xg: u32, rg: u32, bias: u32,
  hasBias: u32, hs: u32, hsPrev: u32, aux: u32,
  auxPrev: u32, gates: u32, y: u32, yRow: u32,
  yOn: u32, dhn: u32, dc: u32, dhs: u32,
}`;

type Buffer = 'XG' | 'RG' | 'BHH' | 'HS' | 'AUX' | 'GATES' | 'Y' | 'DHN' | 'DC' | 'DRG' | 'DHS';

/** What a forward writes (a read-only binding may share a buffer with another: `BHH` is `XG`'s when there is no bias). */
const WRITTEN_FORWARD: readonly Buffer[] = ['HS', 'AUX', 'GATES', 'Y'];
/** What a backward only reads (the forward's state, the gradient arriving from above). */
const READ_BACKWARD: readonly Buffer[] = ['Y', 'GATES', 'AUX', 'HS'];

/**
 * One cell's WGSL, forward and backward, as its op file's `Cell` (lstm.ts, gru.ts, rnn.ts): the
 * bodies run per hidden unit with `r` (row), `j` (unit), `i` (= r·H + j), `o` (the row's first gate
 * value: gate q of unit j is at `o + q·H + j`) and, backward, `d` (dL/dh). `uses`: the storage
 * buffers the body reads or writes (a shader's bindings are exactly those it uses).
 */
interface GpuCell {
  gates: number;
  /** The op file's `sharedPreactivation`: one gradient serves both projections (`dRg` is `dXg`). */
  shared: boolean;
  forward: { uses: readonly Buffer[]; body: string };
  backward: { uses: readonly Buffer[]; body: string };
}

/** Gate q's preactivation `x·W_ihᵀ + b_ih + h_prev·W_hhᵀ + b_hh`, and the recurrent part alone. */
const FORWARD_HELPERS = `
fn rec(o: u32, q: u32, j: u32) -> f32 {
  var v = 0.0;
  if (P.first == 0u) { v = RG[P.rg + o + q * P.h + j]; }
  if (P.hasBias == 1u) { v = v + BHH[P.bias + q * P.h + j]; }
  return v;
}
fn pre(o: u32, q: u32, j: u32) -> f32 { return XG[P.xg + o + q * P.h + j] + rec(o, q, j); }
`;

const writeH = `  HS[P.hs + i] = hv;
  if (P.yOn == 1u) { Y[P.y + r * P.yRow + j] = hv; }
`;

const CELLS: Readonly<Record<'RNN' | 'LSTM' | 'GRU', GpuCell>> = {
  // h = tanh(pre); backward: dpre = dh·(1 − h²).
  RNN: {
    gates: 1,
    shared: true,
    forward: {
      uses: ['XG', 'RG', 'BHH', 'HS', 'GATES', 'Y'],
      body: `  let hv = tanhSafe(pre(o, 0u, j));
  GATES[P.gates + o + j] = hv;
${writeH}`,
    },
    backward: {
      uses: ['Y', 'DHN', 'GATES', 'XG', 'DHS'],
      body: `  let v = GATES[P.gates + o + j];
  XG[P.xg + o + j] = d * (1.0 - v * v);
  DHN[P.dhn + i] = 0.0;
`,
    },
  },
  // Gates i, f, g, o: c = f·c_prev + i·g, h = o·tanh(c).
  LSTM: {
    gates: 4,
    shared: true,
    forward: {
      uses: ['XG', 'RG', 'BHH', 'HS', 'AUX', 'GATES', 'Y'],
      body: `  let ig = sig(pre(o, 0u, j));
  let f = sig(pre(o, 1u, j));
  let g = tanhSafe(pre(o, 2u, j));
  let og = sig(pre(o, 3u, j));
  var cv = ig * g;
  if (P.first == 0u) { cv = f * AUX[P.auxPrev + i] + cv; }
  GATES[P.gates + o + j] = ig;
  GATES[P.gates + o + P.h + j] = f;
  GATES[P.gates + o + 2u * P.h + j] = g;
  GATES[P.gates + o + 3u * P.h + j] = og;
  AUX[P.aux + i] = cv;
  let hv = og * tanhSafe(cv);
${writeH}`,
    },
    backward: {
      uses: ['Y', 'DHN', 'DC', 'GATES', 'AUX', 'XG', 'DHS'],
      body: `  let ig = GATES[P.gates + o + j];
  let f = GATES[P.gates + o + P.h + j];
  let g = GATES[P.gates + o + 2u * P.h + j];
  let og = GATES[P.gates + o + 3u * P.h + j];
  let tc = tanhSafe(AUX[P.aux + i]);
  var dct = d * og * (1.0 - tc * tc);
  if (P.last == 0u) { dct = DC[P.dc + i] + dct; }
  var cp = 0.0;
  if (P.first == 0u) { cp = AUX[P.auxPrev + i]; }
  XG[P.xg + o + j] = dct * g * ig * (1.0 - ig);
  XG[P.xg + o + P.h + j] = dct * cp * f * (1.0 - f);
  XG[P.xg + o + 2u * P.h + j] = dct * ig * (1.0 - g * g);
  XG[P.xg + o + 3u * P.h + j] = d * tc * og * (1.0 - og);
  DC[P.dc + i] = dct * f;
  DHN[P.dhn + i] = 0.0;
`,
    },
  },
  // Gates r, z, n: n = tanh(x_n + r·(W_hn·h + b_hn)), h = (1 − z)·n + z·h_prev; aux keeps W_hn·h + b_hn.
  GRU: {
    gates: 3,
    shared: false,
    forward: {
      uses: ['XG', 'RG', 'BHH', 'HS', 'AUX', 'GATES', 'Y'],
      body: `  let rr = sig(pre(o, 0u, j));
  let z = sig(pre(o, 1u, j));
  let rc = rec(o, 2u, j);
  let nv = tanhSafe(XG[P.xg + o + 2u * P.h + j] + rr * rc);
  GATES[P.gates + o + j] = rr;
  GATES[P.gates + o + P.h + j] = z;
  GATES[P.gates + o + 2u * P.h + j] = nv;
  AUX[P.aux + i] = rc;
  var hv = (1.0 - z) * nv;
  if (P.first == 0u) { hv = hv + z * HS[P.hsPrev + i]; }
${writeH}`,
    },
    backward: {
      // Eight storage buffers: WebGPU's default maxStorageBuffersPerShaderStage, which a device without raised limits (Chromium's) has.
      uses: ['Y', 'DHN', 'GATES', 'AUX', 'HS', 'XG', 'DRG', 'DHS'],
      body: `  let rr = GATES[P.gates + o + j];
  let z = GATES[P.gates + o + P.h + j];
  let nv = GATES[P.gates + o + 2u * P.h + j];
  var hp = 0.0;
  if (P.first == 0u) { hp = HS[P.hsPrev + i]; }
  let dnPre = d * (1.0 - z) * (1.0 - nv * nv);
  let drPre = dnPre * AUX[P.aux + i] * rr * (1.0 - rr);
  let dzPre = d * (hp - nv) * z * (1.0 - z);
  XG[P.xg + o + j] = drPre;
  DRG[P.rg + o + j] = drPre;
  XG[P.xg + o + P.h + j] = dzPre;
  DRG[P.rg + o + P.h + j] = dzPre;
  XG[P.xg + o + 2u * P.h + j] = dnPre;
  DRG[P.rg + o + 2u * P.h + j] = dnPre * rr;
  DHN[P.dhn + i] = d * z;
`,
    },
  },
};

function cellShader(cell: GpuCell, backward: boolean): string {
  const part = backward ? cell.backward : cell.forward;
  const head = `  let r = i / P.h;
  let j = i % P.h;
  let o = r * ${cell.gates}u * P.h;
`;
  // dL/dh: from the output (or the layer above) and from the step after; kept per step in `dhs` (its norm is the probe's gradient by time).
  const dh = `  var d = 0.0;
  if (P.yOn == 1u) { d = Y[P.y + r * P.yRow + j]; }
  if (P.last == 0u) { d = d + DHN[P.dhn + i]; }
  DHS[P.dhs + i] = d;
`;
  const bindings = part.uses.map((b): StorageBinding => [b, (backward ? !READ_BACKWARD.includes(b) : WRITTEN_FORWARD.includes(b)) ? 'read_write' : 'read']);
  return kernel1d(`${PARAMS}\n${ACTIVATION_HELPERS}\n${backward ? '' : FORWARD_HELPERS}`, bindings, head + (backward ? dh : '') + part.body);
}

/** One step's uniform words (see {@link PARAMS}). */
type StepWords = Partial<Record<'first' | 'last' | 'xg' | 'rg' | 'bias' | 'hasBias' | 'hs' | 'hsPrev' | 'aux' | 'auxPrev' | 'gates' | 'y' | 'yRow' | 'yOn' | 'dhn' | 'dc' | 'dhs', number>>;
const ORDER = ['first', 'last', 'xg', 'rg', 'bias', 'hasBias', 'hs', 'hsPrev', 'aux', 'auxPrev', 'gates', 'y', 'yRow', 'yOn', 'dhn', 'dc', 'dhs'] as const;

function cellDispatch(ctx: GpuContext, op: string, cell: GpuCell, backward: boolean, n: number, h: number, buffers: Partial<Record<Buffer, GpuTensor>>, step: StepWords): GpuDispatch {
  const part = backward ? cell.backward : cell.forward;
  const { workgroups, rowStride } = grid1d(ctx, n * h);
  const w = [n * h, h, rowStride, ...ORDER.map((k) => step[k] ?? 0)];
  return bindDispatch(
    ctx,
    `recurrent:${op}:${backward ? 'backward' : 'forward'}`,
    () => cellShader(cell, backward),
    part.uses.map((b) => buffers[b]!.buffer),
    words(w),
    workgroups,
  );
}

function recurrentKernel(op: 'RNN' | 'LSTM' | 'GRU'): GpuOpKernel {
  const cell = CELLS[op];
  return {
    prepare({ ctx, nodeId, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs, workspace }) {
      const d = dimsOf(inputShapes[0], attrs, cell);
      const { n, t, f, h, gh, dh, step } = d;
      const last = attrs.output === 'last';
      const x = inputs[0];
      const param = (kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh', l: number, dir: number) => params[paramName(kind, l, dir)];
      if (!param('weight_ih', 0, 0) || !param('weight_hh', 0, 0)) throw new GpuError('E_GPU_BAD_ARGS', `${op} ${nodeId}: no weights on the device.`);
      const seqIn = workspace('seqIn', t * n * f);
      const ys = workspace('ys', Math.max(1, (d.layers - 1) * t * n * dh));
      const hs = workspace('hs', d.layers * d.dirs * t * step);
      const aux = workspace('aux', d.layers * d.dirs * t * step);
      const gates = workspace('gates', d.layers * d.dirs * t * n * gh);
      const xg = workspace('xg', t * n * gh);
      const rg = workspace('rg', n * gh);
      const layerIn = (l: number) => (l === 0 ? { inp: seqIn, fin: f } : { inp: gpuView(ys, (l - 1) * t * n * dh, t * n * dh), fin: dh });
      const hsAt = (k: number, time: number) => gpuView(hs, (k * t + time) * step, step);
      /** Offsets of layer-direction k's storage at `time`, and at the step it follows (itself at the first). */
      const at = (k: number, time: number, s: number) => {
        const prev = s > 0 ? prevOf(k % d.dirs, time) : time;
        return { hs: hs.offset + (k * t + time) * step, hsPrev: hs.offset + (k * t + prev) * step, aux: aux.offset + (k * t + time) * step, auxPrev: aux.offset + (k * t + prev) * step, gates: gates.offset + (k * t + time) * n * gh };
      };

      // [N, T, F] → [T, N, F].
      const forward: GpuDispatch[] = [gather(ctx, x, seqIn, [t, n, f], [f, t * f, 1], false)];
      for (let l = 0; l < d.layers; l++) {
        const { inp, fin } = layerIn(l);
        const top = l === d.layers - 1;
        for (let dir = 0; dir < d.dirs; dir++) {
          const k = l * d.dirs + dir;
          const whh = param('weight_hh', l, dir);
          const bhh = param('bias_hh', l, dir);
          forward.push(prepareGemm(ctx, { transA: false, transB: true, m: t * n, n: gh, k: fin, a: inp, b: param('weight_ih', l, dir), c: xg, accumulate: false }));
          const bih = param('bias_ih', l, dir);
          if (bih) forward.push(biasAdd(ctx, bih, xg, t * n, gh));
          for (let s = 0; s < t; s++) {
            const time = stepAt(dir, s, t);
            if (s > 0) forward.push(prepareGemm(ctx, { transA: false, transB: true, m: n, n: gh, k: h, a: hsAt(k, prevOf(dir, time)), b: whh, c: rg, accumulate: false }));
            // Where h goes: the layer above's input (time-major), or the op's output (batch-first; 'last': the step read last).
            const y = !top
              ? { t: ys, y: ys.offset + (l * t + time) * n * dh + dir * h, yRow: dh, yOn: 1 }
              : last
                ? { t: output, y: output.offset + dir * h, yRow: dh, yOn: s === t - 1 ? 1 : 0 }
                : { t: output, y: output.offset + time * dh + dir * h, yRow: t * dh, yOn: 1 };
            forward.push(
              cellDispatch(ctx, op, cell, false, n, h, { XG: xg, RG: rg, BHH: bhh ?? xg, HS: hs, AUX: aux, GATES: gates, Y: y.t }, {
                first: s === 0 ? 1 : 0,
                xg: xg.offset + time * n * gh,
                rg: rg.offset,
                bias: bhh?.offset ?? 0,
                hasBias: bhh ? 1 : 0,
                ...at(k, time, s),
                ...y,
              }),
            );
          }
        }
      }

      const backward: GpuDispatch[] = [];
      if (dOutput) {
        const dXg = workspace('dXg', t * n * gh);
        const dRg = cell.shared ? dXg : workspace('dRg', t * n * gh);
        const dhNext = workspace('dhNext', step);
        const dhs = workspace('dhs', d.layers * d.dirs * t * step);
        const dhNorm = workspace('dhNorm', d.layers * d.dirs * t);
        const dCarry = workspace('dCarry', step);
        // The gradient a layer sends down, read by the layer below as its output's: two buffers, swapped per layer.
        const down = [workspace('dIn', t * n * Math.max(f, dh)), workspace('dys', t * n * Math.max(f, dh))];
        const dx = dInputs[0];
        const rows = (a: GpuTensor, from: number, count: number) => gpuView(a, from * n * gh, count * n * gh);
        for (let l = d.layers - 1; l >= 0; l--) {
          const { inp, fin } = layerIn(l);
          const needIn = l > 0 || !!dx;
          const dIn = gpuView(down[l % 2], 0, t * n * fin);
          const above = down[(l + 1) % 2];
          const top = l === d.layers - 1;
          for (let dir = 0; dir < d.dirs; dir++) {
            const k = l * d.dirs + dir;
            const whh = param('weight_hh', l, dir);
            for (let s = t - 1; s >= 0; s--) {
              const time = stepAt(dir, s, t);
              const dy = !top
                ? { t: above, y: above.offset + time * n * dh + dir * h, yRow: dh, yOn: 1 }
                : last
                  ? { t: dOutput, y: dOutput.offset + dir * h, yRow: dh, yOn: s === t - 1 ? 1 : 0 }
                  : { t: dOutput, y: dOutput.offset + time * dh + dir * h, yRow: t * dh, yOn: 1 };
              backward.push(
                cellDispatch(ctx, op, cell, true, n, h, { Y: dy.t, DHN: dhNext, DC: dCarry, GATES: gates, AUX: aux, HS: hs, XG: dXg, DRG: dRg, DHS: dhs }, {
                  first: s === 0 ? 1 : 0,
                  last: s === t - 1 ? 1 : 0,
                  xg: dXg.offset + time * n * gh,
                  rg: dRg.offset + time * n * gh,
                  dhn: dhNext.offset,
                  dc: dCarry.offset,
                  dhs: dhs.offset + (k * t + time) * step,
                  ...at(k, time, s),
                  ...dy,
                }),
              );
              if (s > 0) backward.push(prepareGemm(ctx, { transA: false, transB: false, m: n, n: h, k: gh, a: rows(dRg, time, 1), b: whh, c: dhNext, accumulate: true }));
            }
            const gW = (kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh') => dParams[paramName(kind, l, dir)];
            backward.push(...prepareWeightGradient(ctx, { m: gh, n: fin, k: t * n, a: dXg, b: inp, c: gW('weight_ih') }));
            if (t > 1) {
              // W_hh meets h_prev at every step but the first read: forward, steps 1… with h 0…; reverse, steps …T−2 with h 1….
              const gRows = dir ? rows(dRg, 0, t - 1) : rows(dRg, 1, t - 1);
              const hRows = gpuView(hs, (k * t + (dir ? 1 : 0)) * step, (t - 1) * step);
              backward.push(...prepareWeightGradient(ctx, { m: gh, n: h, k: (t - 1) * n, a: gRows, b: hRows, c: gW('weight_hh') }));
            }
            const dbih = gW('bias_ih');
            const dbhh = gW('bias_hh');
            if (dbih) backward.push(...biasGrad(ctx, dXg, dbih, t * n, gh));
            if (dbhh) backward.push(...biasGrad(ctx, dRg, dbhh, t * n, gh));
            if (needIn) backward.push(prepareGemm(ctx, { transA: false, transB: false, m: t * n, n: fin, k: gh, a: dXg, b: param('weight_ih', l, dir), c: dIn, accumulate: dir > 0 }));
          }
          // [T, N, F] → dx [N, T, F], added.
          if (l === 0 && dx) backward.push(gather(ctx, dIn, dx, [n, t, f], [f, n * f, 1], true));
        }
        // Each step's ‖dL/dh‖ (the probe's gradient by time), split over workgroups (column-sum.ts).
        backward.push(...columnSum(ctx, 'recurrent:dh-norm', channelsOf(1, dhNorm.length, step), 'aa', 'sqrt', dhs, dhNorm));
      }
      return { forward, backward };
    },
  };
}

export const rnnKernel = recurrentKernel('RNN');
export const lstmKernel = recurrentKernel('LSTM');
export const gruKernel = recurrentKernel('GRU');
