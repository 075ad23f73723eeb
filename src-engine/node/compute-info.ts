import os from 'node:os';
import type { ComputeBackendInfo } from '../protocol/messages';
import { HEAP } from './cpu/generated/kernel-table';
import { detectWasmFeatures } from './cpu/features';

// A minimal module using one v128 instruction: validates only where WebAssembly SIMD exists.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** The compute backend this machine would train on (the CPU; WebGPU detection joins later). */
export function detectComputeBackend(threads = os.availableParallelism()): ComputeBackendInfo {
  let simd = false;
  try {
    simd = WebAssembly.validate(SIMD_PROBE);
  } catch {
    simd = false;
  }
  // The same words as the CPU backend's own description (cpu/backend.ts), fused multiply-adds included.
  const kind = simd ? (detectWasmFeatures().relaxedSimd ? ' (WebAssembly SIMD, relaxed FMA)' : ' (WebAssembly SIMD)') : '';
  return { kind: 'cpu', threads, simd, description: `CPU · ${threads} thread${threads === 1 ? '' : 's'}${kind}` };
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
