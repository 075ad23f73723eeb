/**
 * The machine's 128-bit peak and how much of it a GEMM and a training step's GEMMs reach, on the
 * CPU backend (bench/run.ts, bench/profile.ts).
 *
 * The peak is gemm.wat's `fmaPeak`: 12 independent f32x4 multiply-add chains with no memory
 * traffic, in the same WebAssembly build as the GEMM (relaxed-SIMD fused multiply-adds where the
 * backend uses them, else a mul and an add) and on the same threads, cut into 4 tasks per thread
 * that the pool's threads claim as they do a GEMM's (so a core another job holds costs both alike).
 * A step's GEMM time is the wall time inside the shared GEMM kernels (`gemm`: Backend.gemm and
 * gemmMany; `gemmBatched`: attention), counted by the backend's kernel profile; their FLOPs are
 * 2·m·n·k per product. Convolutions run their own kernels (im2col + GEMM, Winograd, direct 3×3),
 * reported beside as time only: Winograd's FLOPs are not a GEMM's.
 */
import type { CpuBackend } from '../src-engine/node/cpu';

/** Iterations of `fmaPeak` per task: ~0.3 ms at 40 GFLOP/s, so a round's fork/join is noise. */
const PEAK_ITERATIONS = 125_000;

/** GFLOP/s of the multiply-add peak over a window of `seconds` (after 10 warm-up rounds, which also tier the loop up). */
export function peakGflops(be: CpuBackend, seconds: number): number {
  const tasks = 4 * be.threads;
  for (let i = 0; i < 10; i++) be.fmaPeak(PEAK_ITERATIONS / 10, tasks);
  let flops = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    flops += be.fmaPeak(PEAK_ITERATIONS, tasks);
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  return flops / elapsed / 1e9;
}

/** Where a training step's time goes among the kernels that do its multiply-adds. */
export interface StepKernelShare {
  /** Mean wall time of a step (ms). */
  stepMs: number;
  /** Mean time per step inside the shared GEMM kernels (ms), and their GFLOP/s there. */
  gemmMs: number;
  gemmGflops: number;
  /** Mean time per step inside the convolution kernels (ms). */
  convMs: number;
}

const GEMM_KERNELS: readonly string[] = ['gemm', 'gemmBatched'];
const isConvKernel = (name: string): boolean => /^(conv2d|winograd|direct3x3)/.test(name) && !name.endsWith('ScratchBytes');

/** Run `steps` training steps (`step`) with the backend's kernel profile on (at least `minSteps`, 3 unless said, and past `minSeconds`). */
export function stepKernelShare(be: CpuBackend, step: () => void, steps: number, minSeconds = 0, minSteps = 3): StepKernelShare {
  be.startKernelProfile();
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  try {
    do {
      step();
      n++;
      elapsed = performance.now() - t0;
    } while (n < minSteps || n < steps || elapsed < minSeconds * 1000);
  } catch (e) {
    be.stopKernelProfile();
    throw e;
  }
  let gemmMs = 0;
  let flops = 0;
  let convMs = 0;
  for (const [name, t] of be.stopKernelProfile()) {
    if (GEMM_KERNELS.includes(name)) {
      gemmMs += t.ms;
      flops += t.flops;
    } else if (isConvKernel(name)) convMs += t.ms;
  }
  return { stepMs: elapsed / n, gemmMs: gemmMs / n, gemmGflops: gemmMs > 0 ? flops / gemmMs / 1e6 : 0, convMs: convMs / n };
}
