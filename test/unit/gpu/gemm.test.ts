/**
 * The WGSL GEMM against the reference backend's GEMM: every transpose variant, every tile shape,
 * scalar and vec4 loads, odd sizes that leave partial tiles in every dimension, accumulate, views
 * at offsets and batched products. Runs on whatever adapter `testGpu` finds (SwiftShader in CI).
 *
 * Bound: |got − want| ≤ 1e-5·Σ|a·b| + 1e-6 per element. Both sides sum the same float32 products
 * in different orders (the GPU by k-slices with fused multiply-adds), so their difference is a
 * few ulps of the sum of magnitudes, not of the (possibly cancelled) result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm as referenceGemm } from '../../../src-engine/core/backend/reference';
import { GEMM_TILES, GEMM_TILE_CANDIDATES, chooseGemmTile, prepareGemm, submitDispatches, type GemmTile } from '../../../src-engine/core/gpu/gemm';
import { GpuError, gpuView, type GpuContext } from '../../../src-engine/core/gpu/context';
import { Rng } from '../../../src-engine/base/rng';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

function random(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
  tile?: GemmTile;
  /** Leading elements before each operand in its buffer (a view at an offset). */
  pad?: number;
  /** Passed to prepareGemm (false: scalar loads even where vec4 loads are possible). */
  vectorLoads?: boolean;
  /** The loads the GEMM must have chosen: its pipeline key's vector part (`vAB`, `vA`, `vB`, or '' for scalar). */
  loads?: string;
}

/** Σ_p |op(A)_ip · op(B)_pj| for the error bound. */
function magnitudes(c: Case, a: Float32Array, b: Float32Array): Float32Array {
  const absA = a.map(Math.abs);
  const absB = b.map(Math.abs);
  const out = new Float32Array(c.m * c.n);
  referenceGemm({ ...c, a: absA, b: absB, c: out, accumulate: false });
  return out;
}

async function check(c: Case, seed: number): Promise<void> {
  const pad = c.pad ?? 0;
  const a = random(c.m * c.k, seed);
  const b = random(c.k * c.n, seed + 1);
  const c0 = random(c.m * c.n, seed + 2);
  const want = c0.slice();
  referenceGemm({ ...c, a, b, c: want });
  const mag = magnitudes(c, a, b);
  if (c.accumulate) for (let i = 0; i < mag.length; i++) mag[i] += Math.abs(c0[i]);

  const ga = ctx.createTensor(pad + a.length);
  const gb = ctx.createTensor(pad + b.length);
  const gc = ctx.createTensor(pad + c0.length);
  const va = gpuView(ga, pad, a.length);
  const vb = gpuView(gb, pad, b.length);
  const vc = gpuView(gc, pad, c0.length);
  // Sentinels around the views must survive: the kernel may not write outside C's view.
  ctx.write(gc, new Float32Array(pad + c0.length + 0).fill(7));
  ctx.write(va.offset === 0 ? va : ga, pad ? concat(pad, a) : a);
  ctx.write(vb.offset === 0 ? vb : gb, pad ? concat(pad, b) : b);
  ctx.write(gc, pad ? concat(pad, c0, 7) : c0);
  const d = await ctx.checked('gemm', () => prepareGemm(ctx, { ...c, a: va, b: vb, c: vc }));
  if (c.loads !== undefined) expect(/:v(A?B?)$/.exec(d.label)?.[0].slice(1) ?? '', `${d.label}: loads`).toBe(c.loads);
  await ctx.checked('gemm submit', () => submitDispatches(ctx, [d]));
  const all = await ctx.read(gc);
  for (let i = 0; i < pad; i++) expect(all[i], `sentinel ${i} before C`).toBe(7);
  const got = all.subarray(pad);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (1e-5 * mag[i] + 1e-6);
    worst = Math.max(worst, err);
    if (err > 0) {
      throw new Error(`C[${i}] = ${got[i]}, want ${want[i]} (bound ${1e-5 * mag[i] + 1e-6}) for ${JSON.stringify({ ...c, tile: d.label })}`);
    }
  }
  expect(worst).toBeLessThanOrEqual(0);
  ga.buffer.destroy();
  gb.buffer.destroy();
  gc.buffer.destroy();
}

function concat(pad: number, x: Float32Array, fill = 0): Float32Array {
  const out = new Float32Array(pad + x.length).fill(fill, 0, pad);
  out.set(x, pad);
  return out;
}

const variants = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

describe('WGSL GEMM vs the reference GEMM', () => {
  for (const [transA, transB] of variants) {
    const name = `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;
    for (const tile of Object.values(GEMM_TILES)) {
      it(`${name}, ${tile.name} tile, odd sizes, partial tiles everywhere`, async () => {
        const bm = tile.wy * tile.tm;
        const bn = tile.wx * tile.tn;
        await check({ transA, transB, m: bm + 3, n: bn + 5, k: 2 * tile.bk + 7, accumulate: false, tile }, 11);
        await check({ transA, transB, m: 1, n: 1, k: 1, accumulate: false, tile }, 12);
        await check({ transA, transB, m: 5, n: 3, k: 37, accumulate: true, tile }, 13);
      });
      it(`${name}, ${tile.name} tile, multiples of 4: vec4 loads (and scalar ones) with partial tiles, accumulate`, async () => {
        const bm = tile.wy * tile.tm;
        for (const vectorLoads of [true, false]) {
          const loads = vectorLoads ? 'vAB' : '';
          await check({ transA, transB, m: bm + 4, n: 36, k: 3 * tile.bk + 4, accumulate: true, tile, vectorLoads, loads }, 21);
          await check({ transA, transB, m: 8, n: 12, k: 4, accumulate: false, tile, vectorLoads, loads }, 22);
        }
        // Sizes where only some operands' contiguous dimension is a multiple of 4: vec4 loads for those alone (one tile: each is another pipeline).
        for (const [m, n, k] of tile === GEMM_TILES.small ? [[12, 9, 10], [9, 12, 10], [10, 9, 12], [12, 12, 9]] : []) {
          const vecA = (transA ? m : k) % 4 === 0;
          const vecB = (transB ? k : n) % 4 === 0;
          await check({ transA, transB, m, n, k, accumulate: false, tile, loads: vecA || vecB ? `v${vecA ? 'A' : ''}${vecB ? 'B' : ''}` : '' }, 23 + m);
        }
      });
    }
    it(`${name}, views at offsets (aligned: vec4 loads; not: scalar)`, async () => {
      await check({ transA, transB, m: 20, n: 24, k: 28, accumulate: false, pad: 4, loads: 'vAB' }, 31);
      await check({ transA, transB, m: 20, n: 24, k: 28, accumulate: true, pad: 3, loads: '' }, 32);
    });
  }

  it('batched products with strides', async () => {
    const batch = 3;
    const m = 9;
    const n = 10;
    const k = 11;
    const a = random(batch * m * k, 41);
    const b = random(k * n, 42);
    const want = new Float32Array(batch * m * n);
    for (let s = 0; s < batch; s++) {
      referenceGemm({ transA: false, transB: false, m, n, k, a: a.subarray(s * m * k, (s + 1) * m * k), b, c: want.subarray(s * m * n, (s + 1) * m * n), accumulate: false });
    }
    const ga = ctx.createTensor(a.length);
    const gb = ctx.createTensor(b.length);
    const gc = ctx.createTensor(want.length);
    ctx.write(ga, a);
    ctx.write(gb, b);
    // Stride 0 for B: every batch entry shares one B (a convolution's weights).
    submitDispatches(ctx, [prepareGemm(ctx, { transA: false, transB: false, m, n, k, a: ga, b: gb, c: gc, accumulate: false, batch, strideB: 0 })]);
    const got = await ctx.read(gc);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4);
  });

  it('every tile sums over k in the same order: the same bits whichever tile is picked', async () => {
    const [m, n, k] = [70, 133, 45];
    const a = ctx.createTensor(m * k);
    const b = ctx.createTensor(k * n);
    ctx.write(a, random(m * k, 51));
    ctx.write(b, random(k * n, 52));
    const products = [];
    for (const tile of Object.values(GEMM_TILES)) {
      const c = ctx.createTensor(m * n);
      submitDispatches(ctx, [prepareGemm(ctx, { transA: false, transB: false, m, n, k, a, b, c, accumulate: false, tile })]);
      products.push(new Uint32Array((await ctx.read(c)).buffer));
    }
    for (const p of products.slice(1)) expect(p).toEqual(products[0]);
  });

  it('the vec4 workgroup layout and loads a slice ahead give the same bits as the scalar tiles, for A·B and Aᵀ·Bᵀ, with vec4 and scalar loads', async () => {
    // A·B and Aᵀ·Bᵀ: each operand staged along k and along its rows/columns (a whole vec4 stored at once, or four floats).
    for (const [transA, transB] of [variants[0], variants[3]]) {
      for (const [m, n, k, vectorLoads] of [[68, 132, 36, true], [70, 133, 45, false]] as const) {
        const a = ctx.createTensor(m * k);
        const b = ctx.createTensor(k * n);
        ctx.write(a, random(m * k, 61));
        ctx.write(b, random(k * n, 62));
        const products: Uint32Array[] = [];
        for (const tile of [...Object.values(GEMM_TILES), ...GEMM_TILE_CANDIDATES]) {
          const c = ctx.createTensor(m * n);
          ctx.write(c, random(m * n, 63));
          submitDispatches(ctx, [prepareGemm(ctx, { transA, transB, m, n, k, a, b, c, accumulate: true, tile, vectorLoads })]);
          products.push(new Uint32Array((await ctx.read(c)).buffer));
        }
        for (const p of products.slice(1)) expect(p).toEqual(products[0]);
      }
    }
  });

  it('picks a large tile only when it still fills the GPU', () => {
    expect(chooseGemmTile(4096, 4096)).toBe(GEMM_TILES.large);
    expect(chooseGemmTile(2048, 2048)).toBe(GEMM_TILES.large);
    expect(chooseGemmTile(1024, 1024)).toBe(GEMM_TILES.medium);
    expect(chooseGemmTile(512, 512)).toBe(GEMM_TILES.small);
    expect(chooseGemmTile(64, 128)).toBe(GEMM_TILES.small);
  });

  it('refuses a C view that is too short, or C aliasing A, with E_GPU_BAD_ARGS', () => {
    const t = ctx.createTensor(16);
    const u = ctx.createTensor(15);
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof GpuError ? e.code : String(e);
      }
      return 'no error';
    };
    expect(bad(() => prepareGemm(ctx, { transA: false, transB: false, m: 4, n: 4, k: 4, a: t, b: t, c: u, accumulate: false }))).toBe('E_GPU_BAD_ARGS');
    expect(bad(() => prepareGemm(ctx, { transA: false, transB: false, m: 4, n: 4, k: 4, a: t, b: u, c: t, accumulate: false }))).toBe('E_GPU_BAD_ARGS');
  });
});
