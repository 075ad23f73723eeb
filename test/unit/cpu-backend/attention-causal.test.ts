/**
 * attention.wat's causal products (`attentionScores`, `attentionApply`) against `gemmBatched`,
 * which the causal MultiHeadAttention ran before them: bit for bit on every entry the causal mask
 * keeps, in both builds (plain SIMD, and relaxed-SIMD FMA where the runtime compiles it), at sizes
 * that take every path (16-column blocks, 4-column tails, rows whose 16-aligned end passes t).
 * The kernels are called directly on one shared memory, items (sample, head) laid out as the
 * override lays them: q, k, v token-major in [N, T, 3E], the square blocks [N, H, T, T].
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import { KERNEL_BINARIES } from '../../../src-engine/node/cpu/generated/kernels';
import { GEMM } from '../../../src-engine/node/cpu/generated/kernel-table';
import { expectSameValues } from '../same-values';

type Fn = (...args: number[]) => void;

/** The relaxed build where this runtime compiles it (vitest's cpu-fma project turns it on). */
const relaxedCompiles = ((): boolean => {
  try {
    return WebAssembly.Module.exports(new WebAssembly.Module(Buffer.from(KERNEL_BINARIES.attention.relaxed ?? '', 'base64'))).length > 0;
  } catch {
    return false;
  }
})();
const builds = relaxedCompiles ? (['simd', 'relaxed'] as const) : (['simd'] as const);

for (const build of builds) {
  describe(`causal attention products (${build} build)`, () => {
    for (const [n, h, t, d] of [[2, 3, 20, 8], [1, 2, 32, 16]] as const) {
      it(`N ${n}, ${h} heads, T ${t}, d ${d}: the kept triangle as gemmBatched's, bit for bit`, () => {
        const e = h * d;
        const items = n * h;
        const floats = { qkv: n * t * 3 * e, square: items * t * t, token: n * t * e };
        const at = { qkv: 0, probs: 4 * floats.qkv, dO: 4 * (floats.qkv + floats.square), out: 4 * (floats.qkv + floats.square + floats.token) };
        const outBytes = 4 * Math.max(floats.square, floats.qkv);
        const scratch = at.out + 2 * outBytes;
        const pages = Math.ceil((scratch + GEMM.SCRATCH_BYTES) / 65536);
        const memory = new WebAssembly.Memory({ initial: pages, maximum: 32768, shared: true });
        // A kernel importing another's functions (gemm takes elementwise's bnNormalize for its
        // BatchNorm epilogue) gets that kernel's instance on the same memory, as the backend does.
        const loaded = new Map<string, Record<string, Fn>>();
        const load = (name: string): Record<string, Fn> => {
          const bin = KERNEL_BINARIES[name][build] ?? KERNEL_BINARIES[name].simd;
          const module = new WebAssembly.Module(Buffer.from(bin, 'base64'));
          const imports: WebAssembly.Imports = { env: { memory } };
          for (const i of WebAssembly.Module.imports(module)) if (i.module !== 'env') imports[i.module] = loaded.get(i.module) ?? load(i.module);
          const exports = new WebAssembly.Instance(module, imports).exports as Record<string, Fn>;
          loaded.set(name, exports);
          return exports;
        };
        const { gemmBatched } = load('gemm');
        const { attentionScores, attentionApply } = load('attention');
        const f = new Float32Array(memory.buffer);
        const rng = new Rng(t);
        for (let i = 0; i < scratch / 4; i++) f[i] = rng.normal();
        // P lower-triangular (as the causal softmax leaves it), the masked entries 0.
        for (let i = 0; i < items * t; i++) for (let j = (i % t) + 1; j < t; j++) f[at.probs / 4 + i * t + j] = 0;
        const sq = 4 * t * t;
        const qkvSample = 4 * t * 3 * e;
        const tokenSample = 4 * t * e;
        const head = 4 * d;
        const [ours, theirs] = [at.out, at.out + outBytes];
        const compare = (what: string, rows: number, cols: number, ld: number, kept: (row: number, col: number) => boolean) => {
          let differ = 0;
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) {
              if (kept(r, c) && !Object.is(f[ours / 4 + r * ld + c], f[theirs / 4 + r * ld + c])) differ++;
            }
          }
          expect(differ, what).toBe(0);
        };
        const s = Math.fround(1 / Math.sqrt(d));
        // Scores q·kᵀ·s: gemmBatched, then the scale pass's rounding.
        const qk = [h, qkvSample, head, qkvSample, head, h * sq, sq] as const;
        gemmBatched(0, 1, t, t, d, at.qkv, 3 * e, at.qkv + 4 * e, 3 * e, theirs, t, 0, ...qk, 0, items, scratch);
        for (let i = 0; i < floats.square; i++) f[theirs / 4 + i] = Math.fround(f[theirs / 4 + i] * s);
        attentionScores(at.qkv, 3 * e, at.qkv + 4 * e, 3 * e, ours, t, d, s, 1, ...qk, 0, items, scratch);
        compare('q·kᵀ', items * t, t, t, (r, c) => c <= r % t);
        // …and 0 above the diagonal's 4-aligned blocks where asked ($zero = 1).
        for (let r = 0; r < items * t; r++) for (let c = Math.min(t, ((r % t) + 17) & -16); c < t; c++) expect(f[ours / 4 + r * t + c]).toBe(0);
        // P·v (lower) and Pᵀ·dO (upper, transposed).
        const pv = [h, h * sq, sq, qkvSample, head, tokenSample, head] as const;
        gemmBatched(0, 0, t, d, t, at.probs, t, at.qkv + 8 * e, 3 * e, theirs, e, 0, ...pv, 0, items, scratch);
        attentionApply(at.probs, t, 1, at.qkv + 8 * e, 3 * e, ours, e, t, d, 0, ...pv, 0, items);
        compare('P·v', n * t, e, e, () => true);
        const dv = [h, h * sq, sq, tokenSample, head, qkvSample, head] as const;
        gemmBatched(1, 0, t, d, t, at.probs, t, at.dO, e, theirs, 3 * e, 0, ...dv, 0, items, scratch);
        attentionApply(at.probs, 1, t, at.dO, e, ours, 3 * e, t, d, 1, ...dv, 0, items);
        compare('Pᵀ·dO', n * t, 3 * e, 3 * e, (_, c) => c < e);
      });
    }
  });
}

for (const build of builds) {
  describe(`the causal core per (sample, head) in one round (${build} build)`, () => {
    for (const [n, h, t, d] of [[2, 3, 20, 8], [1, 2, 32, 16], [3, 1, 12, 4]] as const) {
      it(`N ${n}, ${h} heads, T ${t}, d ${d}: attentionCausalForward and -Backward give the separate rounds' bits`, () => {
        const e = h * d;
        const items = n * h;
        const Q = n * t * 3 * e;
        const S = items * t * t;
        const T = n * t * e;
        // per side (separate, fused): P, o, dS, dqkv; shared: qkv, dO
        const at = { qkv: 0, dO: 4 * Q, side: [4 * (Q + T), 4 * (Q + T) + 4 * (2 * S + T + Q)] };
        const of = (k: number) => ({ p: at.side[k], o: at.side[k] + 4 * S, dS: at.side[k] + 4 * (S + T), dqkv: at.side[k] + 4 * (2 * S + T) });
        const scratch = at.side[1] + 4 * (2 * S + T + Q);
        const memory = new WebAssembly.Memory({ initial: Math.ceil((scratch + GEMM.SCRATCH_BYTES) / 65536), maximum: 32768, shared: true });
        const loaded = new Map<string, Record<string, Fn>>();
        const load = (name: string): Record<string, Fn> => {
          const bin = KERNEL_BINARIES[name][build] ?? KERNEL_BINARIES[name].simd;
          const module = new WebAssembly.Module(Buffer.from(bin, 'base64'));
          const imports: WebAssembly.Imports = { env: { memory } };
          for (const i of WebAssembly.Module.imports(module)) if (i.module !== 'env') imports[i.module] = loaded.get(i.module) ?? load(i.module);
          const exports = new WebAssembly.Instance(module, imports).exports as Record<string, Fn>;
          loaded.set(name, exports);
          return exports;
        };
        const { attentionScores, attentionApply, attentionCausalForward, attentionCausalBackward } = load('attention');
        const { softmaxRows, softmaxBackwardRows } = load('activations');
        const f = new Float32Array(memory.buffer);
        const rng = new Rng(t * d);
        for (let i = 0; i < scratch / 4; i++) f[i] = 2 * rng.normal();
        const [sq, qs, ts, hd] = [4 * t * t, 4 * t * 3 * e, 4 * t * e, 4 * d];
        const s = Math.fround(1 / Math.sqrt(d));
        // separate rounds, as the override ran them before
        const a = of(0);
        attentionScores(at.qkv, 3 * e, at.qkv + 4 * e, 3 * e, a.p, t, d, s, 0, h, qs, hd, qs, hd, h * sq, sq, 0, items, scratch);
        softmaxRows(a.p, a.p, 0, items * t, t, 0, 1);
        attentionApply(a.p, t, 1, at.qkv + 8 * e, 3 * e, a.o, e, t, d, 0, h, h * sq, sq, qs, hd, ts, hd, 0, items);
        attentionScores(at.dO, e, at.qkv + 8 * e, 3 * e, a.dS, t, d, 1, 1, h, ts, hd, qs, hd, h * sq, sq, 0, items, scratch);
        attentionApply(a.p, 1, t, at.dO, e, a.dqkv + 8 * e, 3 * e, t, d, 1, h, h * sq, sq, ts, hd, qs, hd, 0, items);
        softmaxBackwardRows(a.p, a.dS, a.dS, 0, items * t, t, 1, s, 1);
        attentionApply(a.dS, t, 1, at.qkv + 4 * e, 3 * e, a.dqkv, 3 * e, t, d, 0, h, h * sq, sq, qs, hd, qs, hd, 0, items);
        attentionApply(a.dS, 1, t, at.qkv, 3 * e, a.dqkv + 4 * e, 3 * e, t, d, 1, h, h * sq, sq, qs, hd, qs, hd, 0, items);
        // one round each, split in two task ranges as threads would take them
        const b = of(1);
        const cut = Math.floor(items / 2);
        for (const [i0, i1] of [[0, cut], [cut, items]]) {
          attentionCausalForward(at.qkv, at.qkv + 4 * e, at.qkv + 8 * e, 3 * e, b.p, b.o, e, t, d, s, h, qs, hd, h * sq, sq, ts, hd, i0, i1, scratch);
        }
        for (const [i0, i1] of [[0, cut], [cut, items]]) {
          attentionCausalBackward(at.qkv, at.qkv + 4 * e, at.qkv + 8 * e, 3 * e, at.dO, e, b.p, b.dS, b.dqkv, b.dqkv + 4 * e, b.dqkv + 8 * e, t, d, s, h, qs, hd, ts, hd, h * sq, sq, i0, i1, scratch);
        }
        const view = (byte: number, len: number) => f.subarray(byte / 4, byte / 4 + len);
        expectSameValues(view(b.p, S), view(a.p, S), 'P');
        expectSameValues(view(b.o, T), view(a.o, T), 'o = P·v');
        expectSameValues(view(b.dS, S), view(a.dS, S), 'dS');
        expectSameValues(view(b.dqkv, Q), view(a.dqkv, Q), 'dq, dk, dv');
      });
    }
  });
}

describe("causal attention's softmax backward (activations.wat softmaxBackwardRows, causal and scaled)", () => {
  for (const [rows, t] of [[3 * 20, 20], [2 * 13, 13]] as const) {
    it(`${rows / t} blocks of T ${t}: the kept triangle as full rows then the 1/√d pass, bit for bit, 0 past it`, () => {
      const n = rows * t;
      const at = { y: 0, dy: 4 * n, full: 8 * n, ours: 12 * n };
      const memory = new WebAssembly.Memory({ initial: Math.ceil((16 * n) / 65536), maximum: 32768, shared: true });
      const { softmaxBackwardRows } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNEL_BINARIES.activations.simd, 'base64')), {
        env: { memory },
      }).exports as Record<string, Fn>;
      const f = new Float32Array(memory.buffer);
      const rng = new Rng(t);
      // P lower-triangular rows summing to 1 and dP with the same zeros (as attentionScores leaves
      // them); garbage where the result goes.
      for (let r = 0; r < rows; r++) {
        let z = 0;
        for (let j = 0; j <= r % t; j++) z += f[r * t + j] = Math.exp(rng.normal());
        for (let j = 0; j < t; j++) {
          f[r * t + j] = j <= r % t ? Math.fround(f[r * t + j] / z) : 0;
          f[at.dy / 4 + r * t + j] = j <= r % t ? rng.normal() : 0;
        }
      }
      for (let i = 0; i < 2 * n; i++) f[at.full / 4 + i] = rng.normal() * 1e30;
      const s = Math.fround(1 / Math.sqrt(16));
      softmaxBackwardRows(at.y, at.dy, at.full, 0, rows, t, 1, 1, 0);
      for (let i = 0; i < n; i++) f[at.full / 4 + i] = Math.fround(f[at.full / 4 + i] * s);
      softmaxBackwardRows(at.y, at.dy, at.ours, 0, rows, t, 1, s, 1);
      let differ = 0;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < t; j++) {
          const [ours, full] = [f[at.ours / 4 + r * t + j], f[at.full / 4 + r * t + j]];
          if (j <= r % t ? !Object.is(ours, full) : ours !== 0) differ++;
        }
      }
      expect(differ).toBe(0);
    });
  }
});
