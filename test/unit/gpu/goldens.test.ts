/**
 * The PyTorch golden fixtures (test/golden/ops, made by PyTorch 1.13) against the GPU kernels, with
 * the bound the CPU backends are held to (`compareGolden`'s default: |got − want| ≤ 1e-4·max(1,
 * |want|) per element, NaN and ±∞ exactly), on whatever adapter `testGpu` finds.
 *
 * Every fixture whose op has a GPU kernel runs: forward, the backward with the fixture's dOutput
 * (adding into zeroed gradients), and the running statistics after a BatchNorm training forward.
 * Eval-mode fixtures of ops whose eval forward differs (BatchNorm, Dropout) check the forward and
 * the (unchanged) statistics only: the GPU has no eval-mode backward, since training never runs
 * one (`GpuNodeDispatches.backward`); the test lists which fixtures those are.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../../src-engine/base/tensor';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { gpuKernel } from '../../../src-engine/core/gpu/kernels/registry';
import { CPU_ONLY } from './cpu-only';
import { getOp } from '../../../src-engine/core/ops/registry';
import { compareGolden, loadGoldens, type CompareResult, type GoldenCase } from '../engine/harness';
import { testGpu } from './device';
import { runGpu, withDefaults, type KernelCase } from './kernel-harness';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const goldenDir = join(import.meta.dirname, '../../golden/ops');
const goldens = existsSync(goldenDir) ? loadGoldens(goldenDir) : [];

/** The fixture as one kernel call: zeroed gradients, the op's initial buffers where it gives none. */
function kernelCase(g: GoldenCase): KernelCase {
  const def = getOp(g.op)!;
  const attrs = withDefaults(g.op, g.attrs);
  const inputShapes = g.inputs.map((t) => [...t.shape]);
  const params = Object.fromEntries(Object.entries(g.params ?? {}).map(([k, v]) => [k, Float32Array.from(v.data)]));
  for (const spec of def.params?.({ inputs: inputShapes, attrs }) ?? []) {
    if (!params[spec.name]) throw new Error(`${g.file}: no value for parameter ${spec.name}`);
  }
  const buffers: Record<string, Float32Array> = {};
  for (const spec of def.buffers?.({ inputs: inputShapes, attrs }) ?? []) {
    const given = g.buffers?.[spec.name];
    const n = spec.shape.reduce((a, b) => a * b, 1);
    buffers[spec.name] = given ? Float32Array.from(given.data) : new Float32Array(n).fill(spec.init === 'ones' ? 1 : 0);
  }
  const out = def.inferShape({ inputs: inputShapes, attrs });
  if (!out.ok) throw new Error(`${g.file}: ${out.message}`);
  const outLen = out.shape.reduce((a, b) => a * b, 1);
  return {
    op: g.op,
    attrs: g.attrs,
    inputShapes,
    inputs: g.inputs.map((t) => Float32Array.from(t.data)),
    params,
    dParams: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float32Array(v.length)])),
    dOutput: g.dOutput ? Float32Array.from(g.dOutput.data) : new Float32Array(outLen).fill(1),
    dInputs: g.inputs.map((t, i) => (g.dInputs?.[i] === null ? null : new Float32Array(t.data.length))),
    buffers,
    training: g.training,
  };
}

describe('PyTorch goldens on the GPU kernels', () => {
  it('the fixtures are there, and every fixture\'s op has a GPU kernel', () => {
    expect(goldens.length).toBeGreaterThan(60);
    expect(goldens.filter((g) => !gpuKernel(g.op) && !CPU_ONLY[g.op]).map((g) => g.file)).toEqual([]);
  });

  const forwardOnly: string[] = [];
  for (const g of goldens) {
    // No GPU kernel, or one that refuses these attrs (a bilinear Upsample): the graph runs on the CPU, whose suites check the golden.
    if (CPU_ONLY[g.op] || gpuKernel(g.op)?.unsupported?.(g.attrs)) continue;
    it(`${g.file}`, async () => {
      const got = await runGpu(ctx, kernelCase(g));
      const results: CompareResult[] = [compareGolden(`${g.case}.output`, tensor(g.output.shape, got.output), g.output)];
      if (got.backward) {
        g.dInputs?.forEach((d, i) => {
          if (d) results.push(compareGolden(`${g.case}.dInputs[${i}]`, tensor(d.shape, got.dInputs[i]!), d));
        });
        for (const [k, v] of Object.entries(g.dParams ?? {})) results.push(compareGolden(`${g.case}.dParams.${k}`, tensor(v.shape, got.dParams[k]), v));
      } else forwardOnly.push(g.file!);
      for (const [k, v] of Object.entries(g.buffersAfter ?? {})) results.push(compareGolden(`${g.case}.buffersAfter.${k}`, tensor(v.shape, got.buffers![k]), v));
      for (const r of results) expect(r.ok, r.message).toBe(true);
    });
  }

  it('only eval-mode fixtures of BatchNorm and Dropout were checked forward only', () => {
    expect(forwardOnly.every((f) => /batchnorm.*_eval|dropout_eval/.test(f)), forwardOnly.join(', ')).toBe(true);
    expect(forwardOnly.length).toBe(goldens.filter((g) => !g.training && (g.op === 'BatchNorm' || g.op === 'Dropout')).length);
  });
});
