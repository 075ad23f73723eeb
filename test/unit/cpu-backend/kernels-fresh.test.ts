/** The committed generated kernel module must be exactly what the .wat sources compile to. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error — a plain .mjs build script without type declarations.
import { buildKernelsModule, GENERATED_PATH, toRelaxed } from '../../../scripts/build-kernels.mjs';

describe('generated WebAssembly kernels', () => {
  it('src-engine/node/cpu/generated/kernels.ts is up to date with kernels/*.wat (run `node scripts/build-kernels.mjs`)', async () => {
    const fresh = (await buildKernelsModule()) as string;
    expect(readFileSync(GENERATED_PATH as string, 'utf8')).toBe(fresh);
  });

  it('the relaxed-SIMD rewrite turns acc + x·y into one fused multiply-add', () => {
    const src = '(local.set $c0_0 (f32x4.add (local.get $c0_0) (f32x4.mul (local.get $a) (local.get $b0))))';
    expect(toRelaxed(src)).toBe('(local.set $c0_0 (f32x4.relaxed_madd (local.get $a) (local.get $b0) (local.get $c0_0)))');
  });
});
