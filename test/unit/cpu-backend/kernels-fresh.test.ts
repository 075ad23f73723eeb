/**
 * The committed generated modules (binaries and kernel table) must be exactly what the .wat sources
 * and kernels/constants.mjs build to.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GEMM, KERNELS } from '../../../src-engine/node/cpu/generated/kernel-table';
import { KERNEL_LIST } from '../../../src-engine/node/cpu/kernel';
import { LOSSES_WAT_PATH, lossesWat } from '../../../src-engine/node/cpu/kernels/losses-gen';
// @ts-expect-error — a plain .mjs generator without type declarations.
import { ROW_KERNELS, rowKernel } from '../../../src-engine/node/cpu/kernels/unroll-depthwise.mjs';
// @ts-expect-error — a plain .mjs build script without type declarations.
import { buildGeneratedFiles, parseExports, substituteConstants, toRelaxed } from '../../../scripts/build-kernels.mjs';

describe('generated WebAssembly kernels', () => {
  it('src-engine/node/cpu/generated/*.ts are up to date with kernels/*.wat and constants.mjs (run `node scripts/build-kernels.mjs`)', async () => {
    const fresh = (await buildGeneratedFiles()) as Record<string, string>;
    const paths = Object.keys(fresh).map((p) => p.replace(/.*\/generated\//, 'generated/'));
    expect(paths.sort()).toEqual(['generated/kernel-table.ts', 'generated/kernels.ts']);
    for (const [path, text] of Object.entries(fresh)) expect(readFileSync(path, 'utf8'), path).toBe(text);
  });

  it('kernels/losses.wat is what losses-gen.ts prints from the op files (run it), with no sum relaxed SIMD would fuse', () => {
    const wat = lossesWat();
    expect(readFileSync(LOSSES_WAT_PATH, 'utf8')).toBe(wat);
    expect(wat).toContain('SmoothL1LossBackward');
    expect(toRelaxed(wat)).toBe(wat);
  });

  it("depthwise.wat's row-block kernels are what unroll-depthwise.mjs writes (pasted: regenerate and paste when it changes), and relaxed SIMD fuses none of their sums", () => {
    const wat = readFileSync('src-engine/node/cpu/kernels/depthwise.wat', 'utf8');
    for (const [b, kW, s] of ROW_KERNELS as [number, number, number][]) {
      const body = rowKernel(b, kW, s) as string;
      expect(wat.includes(body), `$pixels${b}k${kW}s${s}`).toBe(true);
      expect(toRelaxed(body)).toBe(body);
    }
  });

  it('the relaxed-SIMD rewrite turns acc + x·y into one fused multiply-add', () => {
    const src = '(local.set $c0_0 (f32x4.add (local.get $c0_0) (f32x4.mul (local.get $a) (local.get $b0))))';
    expect(toRelaxed(src)).toBe('(local.set $c0_0 (f32x4.relaxed_madd (local.get $a) (local.get $b0) (local.get $c0_0)))');
  });

  it('reads named, typed parameters from export signatures, across lines and comments', () => {
    const wat = `(module
      (func $inner (param i32 i32) (result i32 i32) (local.get 0) (local.get 1))
      (func (export "scale") ;; y = a·x
        (param $x i32) (param $n i32)
        (param $a f32) (result f64)
        (local $i i32) (f64.const 0))
      (func $g (export "g") (param $p i32)))`;
    expect(parseExports('t.wat', wat)).toEqual([
      { name: 'scale', params: [{ name: 'x', type: 'i32' }, { name: 'n', type: 'i32' }, { name: 'a', type: 'f32' }], result: 'f64' },
      { name: 'g', params: [{ name: 'p', type: 'i32' }], result: null },
    ]);
    expect(() => parseExports('t.wat', '(module (func (export "f") (param i32)))')).toThrow(/named parameter/);
  });

  it('substitutes {{GROUP.NAME}} from constants.mjs and rejects unknown names', () => {
    expect(substituteConstants('t.wat', '(i32.const {{GEMM.KC}})')).toBe(`(i32.const ${GEMM.KC})`);
    expect(() => substituteConstants('t.wat', '{{GEMM.NOPE}}')).toThrow(/unknown constant/);
  });

  it('numbers the kernels 0…n−1 and names each by `module.export`', () => {
    expect(KERNEL_LIST.map((k) => k.id)).toEqual(KERNEL_LIST.map((_, i) => i));
    expect(KERNELS.gemm.qualified).toBe('gemm.gemm');
    expect(KERNELS.gemm.params.map((p) => p.name)).toEqual(['transA', 'transB', 'm', 'n', 'k', 'a', 'lda', 'b', 'ldb', 'c', 'ldc', 'accumulate', 'bias', 'scratch']);
    expect(KERNELS.lossSum.result).toBe('f64');
    expect(KERNELS.lossSum.params.find((p) => p.name === 'pa')?.type).toBe('f64');
  });
});
