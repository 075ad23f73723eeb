/**
 * The recurrent ops' reference kernels (RNN, LSTM, GRU): the time loop over layers and directions,
 * written against the backend's GEMM, around a cell (cell math per time step, forward and
 * backward) that each op's kernel file adds. Their declarations: ops/recurrent.ts.
 */
import type { Tensor } from '../../../base/tensor';
import type { BackendPrimitives } from '../../backend/primitives';
import type { OpBackwardContext, OpForwardContext } from '../types';
import { dimsOf, paramName, type CellGates, type Dims } from '../recurrent';
import type { ReferenceKernel } from './kernel';

/** One step of a recurrent cell over `n` rows (samples), hidden size `h`, in the cell's gate order. */
export interface CellStep {
  n: number;
  h: number;
  /** `x·W_ihᵀ + b_ih` for this step, `[n, G·h]`. */
  xg: Float32Array;
  /** `h_prev·W_hhᵀ + b_hh` for this step, `[n, G·h]` (only `b_hh` at the first step). */
  rg: Float32Array;
  /** `h` of the previous step, `[n, h]`, or null at the first step (zeros). */
  hPrev: Float32Array | null;
  /** The cell's own state of the previous step (LSTM's c), or null at the first step (zeros). */
  auxPrev: Float32Array | null;
  /** Out: the gates after their activations, `[n, G·h]` (kept for backward). */
  gates: Float32Array;
  /** Out: the cell's per-step extra `[n, h]` (LSTM: c; GRU: the recurrent n-gate preactivation `W_hn·h + b_hn`). */
  aux: Float32Array;
  /** Out: the new hidden state `[n, h]`. */
  hOut: Float32Array;
}

/** One step back: the gradients of the gate preactivations from `dh` (and the cell's carried state). */
export interface CellStepBack {
  n: number;
  h: number;
  /** The loss' gradient w.r.t. this step's `h` (from the output and the next step). */
  dh: Float32Array;
  /** LSTM: in, dL/dc of this step carried from the next one; out, dL/dc of the previous step. */
  dCarry: Float32Array;
  gates: Float32Array;
  aux: Float32Array;
  auxPrev: Float32Array | null;
  hPrev: Float32Array | null;
  /** Out (assigned): dL/d(x·W_ihᵀ + b_ih), `[n, G·h]`. */
  dXg: Float32Array;
  /** Out (assigned): dL/d(h_prev·W_hhᵀ + b_hh); the same array as `dXg` when the cell says `sharedPreactivation`. */
  dRg: Float32Array;
  /** Out (assigned): the part of dL/dh_prev that does not go through W_hh (GRU's z·dh; LSTM: 0). */
  dhPrev: Float32Array;
}

export interface Cell extends CellGates {
  /** Whether the input and the recurrent projections enter every gate as one sum (LSTM): one gradient serves both. */
  sharedPreactivation: boolean;
  forward(s: CellStep): void;
  backward(s: CellStepBack): void;
}

export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Layer `l`'s input (time-major) and its width: the sequence for layer 0, the layer below's output after. */
function layerInput(w: Readonly<Record<string, Tensor>>, d: Dims, l: number): { inp: Float32Array; fin: number } {
  const size = d.t * d.n * d.dh;
  return l === 0 ? { inp: w.seqIn.data, fin: d.f } : { inp: view(w.ys, (l - 1) * size, size), fin: d.dh };
}

/** `rows` rows of `b` (length `cols`) written into `out`. */
function fillRows(out: Float32Array, rows: number, b: Float32Array | undefined, cols: number): void {
  if (!b) {
    out.fill(0, 0, rows * cols);
    return;
  }
  for (let r = 0; r < rows; r++) out.set(b, r * cols);
}

function addRows(out: Float32Array, rows: number, b: Float32Array | undefined, cols: number): void {
  if (!b) return;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[o + j] += b[j];
  }
}

function colSums(into: Float32Array, m: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) into[j] += m[o + j];
  }
}

/** `[A, B, C]` → `[B, A, C]` (batch-first ↔ time-major), assigned or added. */
function swap01(src: Float32Array, a: number, b: number, c: number, dst: Float32Array, add: boolean): void {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const s = (i * b + j) * c;
      const o = (j * a + i) * c;
      if (add) for (let k = 0; k < c; k++) dst[o + k] += src[s + k];
      else dst.set(src.subarray(s, s + c), o);
    }
  }
}

const view = (t: Tensor, at: number, len: number) => t.data.subarray(at, at + len);

/** The time step a direction processes `s`-th, and its predecessor's. */
export const stepAt = (dir: number, s: number, t: number) => (dir ? t - 1 - s : s);
export const prevOf = (dir: number, time: number) => (dir ? time + 1 : time - 1);

/** One layer and direction's pass forward through time: what a `SequenceRunner` is given. */
export interface SequenceForward {
  d: Dims;
  dir: number;
  /** `x·W_ihᵀ` of every step, `[T, N, G·h]`; `bih` is still to be added (each row). */
  xg: Float32Array;
  bih: Float32Array | undefined;
  whh: Float32Array;
  bhh: Float32Array | undefined;
  /** Out: this layer and direction's h, aux and gates per step (`[T, N, ·]`). */
  hs: Float32Array;
  aux: Float32Array;
  gates: Float32Array;
  /** Out: the layer's output `[T, N, D·h]`; this direction's h go to columns `dir·h …`. */
  ys: Float32Array;
  /** One step's `[N, G·h]` scratch. */
  rg: Float32Array;
}

/** One layer and direction's pass backward through time. */
export interface SequenceBackward {
  d: Dims;
  dir: number;
  /** dL/d(layer output) `[T, N, D·h]` (this direction's columns `dir·h …`). */
  dys: Float32Array;
  gates: Float32Array;
  aux: Float32Array;
  hs: Float32Array;
  whh: Float32Array;
  /** Out (assigned): the preactivations' gradients per step `[T, N, G·h]`; `dRg` is `dXg` when the cell shares them. */
  dXg: Float32Array;
  dRg: Float32Array;
  /** Out: ‖dL/dh‖ over the batch per step `[T]`. */
  dhNorm: Float32Array;
  /** Scratch `[N, h]` each. */
  dh: Float32Array;
  dhNext: Float32Array;
  dCarry: Float32Array;
}

/**
 * How a backend runs the time loop of one layer and direction: the reference steps through time
 * with the backend's GEMM and the cell (`cellSteps`); the CPU backend runs a whole sequence in one
 * WebAssembly call per block of samples (node/cpu/overrides/recurrent.ts). The layers,
 * directions, input projections and weight gradients around it are `recurrentForward`'s and
 * `recurrentBackward`'s.
 */
export interface SequenceRunner {
  forward(a: SequenceForward, backend: BackendPrimitives): void;
  backward(a: SequenceBackward, backend: BackendPrimitives): void;
  /** `into[j] += Σ_r m[r·cols + j]`, rows in order (the default: a loop here). */
  colSums?(into: Float32Array, m: Float32Array, rows: number, cols: number): void;
}

/** The reference time loop: per step the recurrent GEMM on the backend, then `cell`. */
export function cellSteps(cell: Cell): SequenceRunner {
  return {
    forward({ d, dir, xg, bih, whh, bhh, hs: hsAll, aux: auxAll, gates, ys, rg }, backend) {
      const { n, t, h, gh, dh, step } = d;
      addRows(xg, t * n, bih, gh);
      const hs = (time: number) => hsAll.subarray(time * step, (time + 1) * step);
      const aux = (time: number) => auxAll.subarray(time * step, (time + 1) * step);
      for (let s = 0; s < t; s++) {
        const time = stepAt(dir, s, t);
        fillRows(rg, n, bhh, gh);
        const hPrev = s > 0 ? hs(prevOf(dir, time)) : null;
        if (hPrev) backend.gemm({ transA: false, transB: true, m: n, n: gh, k: h, a: hPrev, b: whh, c: rg, accumulate: true });
        const hOut = hs(time);
        cell.forward({ n, h, xg: xg.subarray(time * n * gh, (time + 1) * n * gh), rg, hPrev, auxPrev: s > 0 ? aux(prevOf(dir, time)) : null, gates: gates.subarray(time * n * gh, (time + 1) * n * gh), aux: aux(time), hOut });
        for (let r = 0; r < n; r++) ys.set(hOut.subarray(r * h, (r + 1) * h), (time * n + r) * dh + dir * h);
      }
    },
    backward({ d, dir, dys, gates, aux: auxAll, hs: hsAll, whh, dXg, dRg, dhNorm, dh: dhv, dhNext, dCarry }, backend) {
      const { n, t, h, gh, dh, step } = d;
      const hs = (time: number) => hsAll.subarray(time * step, (time + 1) * step);
      const aux = (time: number) => auxAll.subarray(time * step, (time + 1) * step);
      dCarry.fill(0);
      for (let s = t - 1; s >= 0; s--) {
        const time = stepAt(dir, s, t);
        let sq = 0;
        for (let r = 0; r < n; r++) {
          const o = (time * n + r) * dh + dir * h;
          for (let j = 0; j < h; j++) {
            const v = dys[o + j] + (s < t - 1 ? dhNext[r * h + j] : 0);
            dhv[r * h + j] = v;
            sq += v * v;
          }
        }
        dhNorm[time] = Math.sqrt(sq);
        const first = s === 0;
        const rows = (a: Float32Array) => a.subarray(time * n * gh, (time + 1) * n * gh);
        cell.backward({
          n, h, dh: dhv, dCarry,
          gates: rows(gates),
          aux: aux(time),
          auxPrev: first ? null : aux(prevOf(dir, time)),
          hPrev: first ? null : hs(prevOf(dir, time)),
          dXg: rows(dXg), dRg: rows(dRg), dhPrev: dhNext,
        });
        if (!first) backend.gemm({ transA: false, transB: false, m: n, n: h, k: gh, a: rows(dRg), b: whh, c: dhNext, accumulate: true });
      }
    },
  };
}

/** Forward over all layers and directions; writes the op's output. */
export function recurrentForward(cell: CellGates, steps: SequenceRunner, { inputs, output, params, workspace: w, attrs, backend }: OpForwardContext): void {
  const x = inputs[0];
  const d = dimsOf(x.shape, attrs, cell);
  const { n, t, gh, dh, step } = d;
  swap01(x.data, n, t, d.f, w.seqIn.data, false);
  for (let l = 0; l < d.layers; l++) {
    const { inp, fin } = layerInput(w, d, l);
    const ys = view(w.ys, l * t * n * dh, t * n * dh);
    for (let dir = 0; dir < d.dirs; dir++) {
      const k = l * d.dirs + dir;
      const wih = params[paramName('weight_ih', l, dir)].data;
      const xg = w.xg.data;
      backend.gemm({ transA: false, transB: true, m: t * n, n: gh, k: fin, a: inp, b: wih, c: xg, accumulate: false });
      steps.forward(
        {
          d, dir, xg, ys, rg: w.rg.data,
          bih: params[paramName('bias_ih', l, dir)]?.data,
          whh: params[paramName('weight_hh', l, dir)].data,
          bhh: params[paramName('bias_hh', l, dir)]?.data,
          hs: view(w.hs, k * t * step, t * step),
          aux: view(w.aux, k * t * step, t * step),
          gates: view(w.gates, k * t * n * gh, t * n * gh),
        },
        backend,
      );
    }
  }
  const top = view(w.ys, (d.layers - 1) * t * n * dh, t * n * dh);
  const y = output.data;
  const h = d.h;
  if (attrs.output === 'last') {
    for (let dir = 0; dir < d.dirs; dir++) {
      const last = stepAt(dir, t - 1, t);
      for (let r = 0; r < n; r++) y.set(top.subarray((last * n + r) * dh + dir * h, (last * n + r) * dh + (dir + 1) * h), r * dh + dir * h);
    }
  } else {
    swap01(top, t, n, dh, y, false);
  }
}

/** Backpropagation through time over all layers and directions. */
export function recurrentBackward(cell: CellGates & { sharedPreactivation: boolean }, steps: SequenceRunner, { inputs, dOutput, dInputs, params, dParams, workspace: w, attrs, backend }: OpBackwardContext): void {
  const d = dimsOf(inputs[0].shape, attrs, cell);
  const { n, t, h, gh, dh, step } = d;
  const dys = w.dys.data;
  const dy = dOutput.data;
  if (attrs.output === 'last') {
    dys.fill(0);
    for (let dir = 0; dir < d.dirs; dir++) {
      const last = stepAt(dir, t - 1, t);
      for (let r = 0; r < n; r++) dys.set(dy.subarray(r * dh + dir * h, r * dh + (dir + 1) * h), (last * n + r) * dh + dir * h);
    }
  } else {
    swap01(dy, n, t, dh, dys, false);
  }
  const sums = steps.colSums ?? colSums;
  const dx = dInputs[0]?.data;
  const dXg = w.dXg.data;
  const dRg = cell.sharedPreactivation ? dXg : w.dRg.data;
  for (let l = d.layers - 1; l >= 0; l--) {
    const { inp, fin } = layerInput(w, d, l);
    const needIn = l > 0 || !!dx;
    const dIn = w.dIn.data.subarray(0, t * n * fin);
    if (needIn) dIn.fill(0);
    for (let dir = 0; dir < d.dirs; dir++) {
      const k = l * d.dirs + dir;
      const whh = params[paramName('weight_hh', l, dir)].data;
      steps.backward(
        {
          d, dir, dys, whh, dXg, dRg,
          gates: view(w.gates, k * t * n * gh, t * n * gh),
          aux: view(w.aux, k * t * step, t * step),
          hs: view(w.hs, k * t * step, t * step),
          dhNorm: view(w.dhNorm, k * t, t),
          dh: w.dh.data, dhNext: w.dhNext.data, dCarry: w.dCarry.data,
        },
        backend,
      );
      const gW = (kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh') => dParams[paramName(kind, l, dir)]?.data;
      weightIhGradient(backend, gW('weight_ih')!, dXg, inp, { gh, fin, rows: t * n }, w.dWihT.data);
      if (t > 1) {
        // W_hh meets h_prev at every step but the first processed: forward, steps 1… with h 0…;
        // reverse, steps …T−2 with h 1…: both contiguous row blocks.
        const gRows = dir ? dRg.subarray(0, (t - 1) * n * gh) : dRg.subarray(n * gh, t * n * gh);
        const hRows = dir ? view(w.hs, (k * t + 1) * step, (t - 1) * step) : view(w.hs, k * t * step, (t - 1) * step);
        backend.gemm({ transA: true, transB: false, m: gh, n: h, k: (t - 1) * n, a: gRows, b: hRows, c: gW('weight_hh')!, accumulate: true });
      }
      if (dRg === dXg) {
        // One gradient serves both biases (LSTM): sum the rows once, add the sums to each.
        const biasSums = w.biasSums.data;
        biasSums.fill(0);
        sums(biasSums, dXg, t * n, gh);
        for (const kind of ['bias_ih', 'bias_hh'] as const) {
          const into = gW(kind);
          if (into) for (let j = 0; j < gh; j++) into[j] += biasSums[j];
        }
      } else {
        const bih = gW('bias_ih');
        const bhh = gW('bias_hh');
        if (bih) sums(bih, dXg, t * n, gh);
        if (bhh) sums(bhh, dRg, t * n, gh);
      }
      if (needIn) backend.gemm({ transA: false, transB: false, m: t * n, n: fin, k: gh, a: dXg, b: params[paramName('weight_ih', l, dir)].data, c: dIn, accumulate: true });
    }
    if (l > 0) dys.set(dIn);
    else if (dx) swap01(dIn, t, n, d.f, dx, true);
  }
}

/** `b[j·rows + i] = a[i·cols + j]`: `a` (`[rows, cols]`) transposed into `b`. */
function transposeInto(a: Float32Array, rows: number, cols: number, b: Float32Array): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) b[j * rows + i] = a[i * cols + j];
}

/**
 * `dW_ih += dXgᵀ·inp` over all steps (`[G·h, fin]`). When the input is narrower than the gates
 * (MNIST's rows: 28 against 512), as its transpose `inpᵀ·dXg` (`[fin, G·h]`) in `scratch`: the
 * GEMM's 16-wide column panels are then full. NOTE: every element is the same sum in the same order
 * with each product's operands swapped, and the old values are added the same way (the transpose
 * goes in as C and comes back), so the bits are those of the direct product.
 */
function weightIhGradient(backend: BackendPrimitives, into: Float32Array, dXg: Float32Array, inp: Float32Array, { gh, fin, rows }: { gh: number; fin: number; rows: number }, scratch: Float32Array): void {
  if (fin >= gh) {
    backend.gemm({ transA: true, transB: false, m: gh, n: fin, k: rows, a: dXg, b: inp, c: into, accumulate: true });
    return;
  }
  const tr = scratch.subarray(0, fin * gh);
  transposeInto(into, gh, fin, tr);
  backend.gemm({ transA: true, transB: false, m: fin, n: gh, k: rows, a: inp, b: dXg, c: tr, accumulate: true });
  transposeInto(tr, fin, gh, into);
}

/** The reference kernel of a recurrent op whose cell is `cell`. */
export function recurrentKernel(cell: Cell): ReferenceKernel {
  const steps = cellSteps(cell);
  return { forward: (ctx) => recurrentForward(cell, steps, ctx), backward: (ctx) => recurrentBackward(cell, steps, ctx) };
}

/**
 * Calls `fn` for every hidden unit of every row of one step: `o`, the row's first gate value
 * (`row·G·H`; gate `q` of unit `j` is at `o + q·H + j`), `j`, the unit, and `k`, its `[n, h]` index.
 */
export function eachUnit(n: number, h: number, gates: number, fn: (o: number, j: number, k: number) => void): void {
  for (let row = 0; row < n; row++) {
    const o = row * gates * h;
    for (let j = 0; j < h; j++) fn(o, j, row * h + j);
  }
}
