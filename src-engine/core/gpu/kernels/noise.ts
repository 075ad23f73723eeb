/// <reference types="@webgpu/types" />
/**
 * Noise on the GPU, as `core/ops/noise.ts`: element i is `noiseNormal(i, key)` — Box–Muller on
 * two draws of Dropout's pcg4d hash ({@link PCG4D_WGSL}, shared with the Dropout kernel), in the
 * same float32 operations in the same order as the op file (integer operations, exact
 * conversions, float32 +, −, ×; no `log`/`cos`/`sqrt` builtins, whose WGSL accuracy is left to
 * the implementation), so on a device that rounds each operation as WGSL specifies the values are
 * the CPU's bit for bit (SwiftShader: checked). The polynomial coefficients are the op file's
 * float32 bit patterns, written as hexadecimal float literals (exact).
 *
 * A training forward's key comes from the host mirror's Rng in `beforeForward` (four words per
 * node in node order, as the CPU executor draws them) and reaches the shader as uniforms
 * rewritten through the queue; the eval forward has its own dispatch whose uniforms hold the
 * fixed key of the node's `seed`. No backward (the noise has no gradient).
 */
import { dropoutKey } from '../../ops/kernels/dropout';
import { NOISE_COEFFS, noiseEvalKey } from '../../ops/kernels/noise';
import { intAttr } from '../../ops/shape-util';
import { WORKGROUP, bindDispatch, bindUpdatableDispatch, grid1d, words } from './dispatch';
import { PCG4D_WGSL } from './dropout';
import type { GpuOpKernel } from './types';

/** A float32 bit pattern as an exact WGSL hexadecimal float literal (normal numbers and zero). */
export function wgslF32(bits: number): string {
  const sign = bits >>> 31 ? '-' : '';
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0 && mant === 0) return `${sign}0.0f`;
  if (exp === 0 || exp === 0xff) throw new Error(`wgslF32: ${bits.toString(16)} is not a normal float`);
  return `${sign}0x1.${(mant << 1).toString(16).padStart(6, '0')}p${exp - 127}f`;
}

/** Horner's rule over `coeffs` (bit patterns, lowest degree first) in `x`, as the op file's `horner`. */
function hornerWgsl(name: string, coeffs: readonly number[]): string {
  const steps = coeffs
    .slice(0, -1)
    .reverse()
    .map((c) => `  q = q * x + ${wgslF32(c)};`)
    .join('\n');
  return `fn ${name}(x: f32) -> f32 {
  var q = ${wgslF32(coeffs[coeffs.length - 1])};
${steps}
  return q;
}`;
}

const FORWARD = `struct Params { n: u32, yOff: u32, rowStride: u32, _a: u32, k0: u32, k1: u32, k2: u32, k3: u32, }
@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;
${PCG4D_WGSL}
${hornerWgsl('lnPoly', NOISE_COEFFS.LN)}
${hornerWgsl('cosPoly', NOISE_COEFFS.COS)}
${hornerWgsl('sinPoly', NOISE_COEFFS.SIN)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let h1 = pcg4d(2u * i, P.k0, P.k1, P.k2, P.k3);
  let h2 = pcg4d(2u * i + 1u, P.k0, P.k1, P.k2, P.k3);
  // ln u1 = ln(a) - 24 ln 2, a odd in [1, 2^24): a = m 2^e, m in [sqrt(1/2), sqrt(2)).
  let a = 2u * (h1 >> 9u) + 1u;
  var e = 31u - countLeadingZeros(a);
  var m = f32(a) * bitcast<f32>((127u - e) << 23u);
  if (m > ${wgslF32(NOISE_COEFFS.SQRT2)}) {
    m = m * 0.5;
    e = e + 1u;
  }
  let t = m - 1.0;
  let lnU = t * lnPoly(t) + f32(i32(e) - 24) * ${wgslF32(NOISE_COEFFS.LN2)};
  let l = lnU * -2.0;
  // sqrt(L) = L rsqrt(L): the bit-trick seed, three Newton steps.
  var y = bitcast<f32>(${NOISE_COEFFS.RSQRT_MAGIC}u - (bitcast<u32>(l) >> 1u));
  let halfL = l * 0.5;
  for (var k = 0u; k < 3u; k = k + 1u) { y = y * (1.5 - halfL * (y * y)); }
  let r = l * y;
  // cos(2 pi u2): the quadrant from the top two of 24 bits, the angle within it folded to <= pi/4.
  let v = h2 >> 8u;
  let q = v >> 22u;
  let w = v & 0x3fffffu;
  let folded = w > 0x200000u;
  let s = f32(select(w, 0x400000u - w, folded)) * 0x1p-22f;
  let u = s * s;
  let c = cosPoly(u);
  let sn = s * sinPoly(u);
  let cosPsi = select(c, sn, folded);
  let sinPsi = select(sn, c, folded);
  var cosTheta = sinPsi;
  if (q == 0u) { cosTheta = cosPsi; } else if (q == 1u) { cosTheta = -sinPsi; } else if (q == 2u) { cosTheta = -cosPsi; }
  Y[P.yOff + i] = r * cosTheta;
}
`;

export const noiseKernel: GpuOpKernel = {
  prepare({ ctx, attrs, output, rng }) {
    const n = output.length;
    const { workgroups, rowStride } = grid1d(ctx, n);
    const uniforms = (key: readonly number[]): Uint32Array => words([n, output.offset, rowStride, 0, ...key.map((k) => k >>> 0)]);
    const train = bindUpdatableDispatch(ctx, 'noise', () => FORWARD, [output.buffer], uniforms([0, 0, 0, 0]), workgroups);
    const fixed = bindDispatch(ctx, 'noise', () => FORWARD, [output.buffer], uniforms(noiseEvalKey(intAttr(attrs, 'seed'))), workgroups);
    return {
      forward: [train.dispatch],
      evalForward: [fixed],
      backward: [],
      beforeForward(training) {
        if (training) train.update(uniforms(dropoutKey(rng)));
      },
    };
  },
};
