import os from 'node:os';
import type { ComputeBackendInfo } from '../protocol';
import { HEAP } from './cpu/generated/kernel-table';
import { describeCpu, detectWasmFeatures } from './cpu/features';

/** The compute backend this machine would train on (the CPU; WebGPU detection joins later). */
export function detectComputeBackend(threads = os.availableParallelism()): ComputeBackendInfo {
  const { simd, relaxedSimd } = detectWasmFeatures();
  return { kind: 'cpu', threads, simd, description: describeCpu(threads, simd, relaxedSimd) };
}

/**
 * The most memory one run may need in all (handlers/context.ts refuses more before allocating): a
 * share of this machine's memory (NETWRIGHT_MEMORY_SHARE, default 0.5).
 */
export function trainingMemoryLimit(env: NodeJS.ProcessEnv = process.env, totalBytes = os.totalmem()): number {
  const share = Number(env.NETWRIGHT_MEMORY_SHARE ?? 0.5);
  const fraction = Number.isFinite(share) && share > 0 && share <= 1 ? share : 0.5;
  return fraction * totalBytes;
}

/** The most the CPU backend's own memory (its WebAssembly heap: the model and activations) can grow to. */
export function backendMemoryLimit(): number {
  return detectWasmHeapLimit();
}

function detectWasmHeapLimit(): number {
  const f = detectWasmFeatures();
  return f.simd && f.threads ? HEAP.MAX_PAGES * 65536 : Infinity;
}
