import os from 'node:os';
import type { ComputeBackendInfo } from '../protocol/messages';

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
  return { kind: 'cpu', threads, simd, description: `CPU · ${threads} thread${threads === 1 ? '' : 's'}${simd ? ' (WebAssembly SIMD)' : ''}` };
}
