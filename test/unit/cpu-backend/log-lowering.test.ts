/**
 * The f32x4 form of the expression language's `log` (activations-gen.ts `logStmts`, Cephes' logf), which
 * an activation's generated CPU kernel uses where its maths calls log: printed for y = log(x), compiled
 * into a module of its own, and run on four values at a time against Math.log rounded to float32.
 *
 * NOTE (bound): Cephes' logf is within 1 ulp over the normal range; measured worst here 1 ulp
 * (relative to the float32 result, and absolute 2⁻²⁴ near x = 1 where log x is near 0).
 */
import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import * as E from '../../../src-engine/core/elementwise/expr';
import { forwardStmts } from '../../../src-engine/node/cpu/kernels/activations-gen';

async function logKernel(): Promise<(xs: Float32Array) => Float32Array> {
  const stmts = forwardStmts(E.log(E.x));
  const locals = new Set([...stmts.join('\n').matchAll(/\(local\.set \$(\w+)/g)].map((m) => m[1]));
  locals.delete('yv');
  const wat = `(module (memory (export "mem") 1)
  (func (export "log4") (param $p i32) (local $xv v128) (local $yv v128) ${[...locals].map((n) => `(local $${n} v128)`).join(' ')}
    (local.set $xv (v128.load (local.get $p)))
    ${stmts.join('\n    ')}
    (v128.store (local.get $p) (local.get $yv))))`;
  const wabt = await wabtInit();
  const mod = wabt.parseWat('log.wat', wat, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(buffer)));
  const mem = instance.exports.mem as WebAssembly.Memory;
  const log4 = instance.exports.log4 as (p: number) => void;
  return (xs) => {
    const heap = new Float32Array(mem.buffer);
    const out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i += 4) {
      heap.set(xs.subarray(i, i + 4), 0);
      log4(0);
      out.set(heap.subarray(0, Math.min(4, xs.length - i)), i);
    }
    return out;
  };
}

/** Ulps of float32 between a and b (b finite). */
const ulps = (a: number, b: number): number => Math.abs(a - b) / Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(b) || 2 ** -126)) - 23));

describe('log in f32x4 (CPU kernels)', () => {
  it('is Math.log to 1 ulp of float32 from subnormals to 3e38, and ±0, negatives, ±∞ and NaN as Math.log', async () => {
    const run = await logKernel();
    const xs: number[] = [];
    for (let e = -149; e <= 127; e += 0.37) xs.push(2 ** e);
    for (let i = 1; i < 400; i++) xs.push(1 + (i - 200) * 1e-3, 0.5 + i * 0.0075);
    xs.push(1, 2, 0.5, Math.SQRT2, Math.SQRT1_2, 1.1754944e-38, 3.4e38, 1e-45);
    const x = Float32Array.from(xs);
    const got = run(x);
    let worst = 0;
    let at = '';
    x.forEach((v, i) => {
      const want = Math.fround(Math.log(v));
      const u = ulps(got[i], want);
      if (u > worst) [worst, at] = [u, `log(${v}) = ${got[i]}, Math.log ${want}`];
    });
    expect(worst, at).toBeLessThanOrEqual(1);
    const specials = Float32Array.of(0, -0, -1, -Infinity, Infinity, NaN, -1e-45, 1);
    const s = run(specials);
    expect(Array.from(s.subarray(0, 5))).toEqual([-Infinity, -Infinity, NaN, NaN, Infinity]);
    expect(Number.isNaN(s[5]) && Number.isNaN(s[6]) && s[7] === 0).toBe(true);
  });
});
