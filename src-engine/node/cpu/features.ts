import { setFlagsFromString } from 'node:v8';
import { KERNEL_BINARIES } from './generated/kernels';

/** What this runtime's WebAssembly engine supports, as far as the CPU backend cares. */
export interface WasmFeatures {
  /** 128-bit SIMD (required by the kernels). */
  simd: boolean;
  /** Threads: shared memory + atomics (required for the shared heap). */
  threads: boolean;
  /** Relaxed SIMD (`f32x4.relaxed_madd` → a fused multiply-add where the CPU has one). */
  relaxedSimd: boolean;
}

// Tiny probe modules (assembled with wabt from the WAT in the comments): each declares one function using the feature.
// (func (param v128) (result v128) local.get 0 local.get 0 local.get 0 f32x4.relaxed_madd)
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x85, 0x02, 0x0b,
]);
// (func (param v128) (result v128) local.get 0 local.get 0 f32x4.add)
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0xe4, 0x01, 0x0b,
]);

function decode(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

let cached: WasmFeatures | undefined;

/**
 * Feature-detect by validating tiny modules (never by version sniffing). NOTE: Node 20's V8 ships
 * relaxed SIMD behind `--experimental-wasm-relaxed-simd`; Electron ≥ 33 enables it by default.
 */
export function detectWasmFeatures(): WasmFeatures {
  if (cached) return cached;
  let threads = false;
  try {
    threads = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    threads = false;
  }
  const relaxedKernel = KERNEL_BINARIES.gemm?.relaxed;
  cached = {
    simd: WebAssembly.validate(SIMD_PROBE),
    threads,
    relaxedSimd: WebAssembly.validate(RELAXED_PROBE) && relaxedKernel != null && WebAssembly.validate(decode(relaxedKernel)),
  };
  return cached;
}

/**
 * Turn relaxed SIMD on where this runtime ships it behind a flag, so that the CPU backend's kernels
 * run `f32x4.relaxed_madd` as a fused multiply-add: Node 20's V8 (11.3) has relaxed SIMD behind
 * `--experimental-wasm-relaxed-simd`, which Node 22+ and Electron ≥ 33 turn on by default. Call it
 * at a process entry (the engine, the CLIs, the benchmarks) before the first backend is made; it
 * changes nothing where relaxed SIMD already validates, or on other runtimes. Returns whether
 * relaxed SIMD validates afterwards (`createCpuBackend({ relaxedSimd: false })` still opts out).
 *
 * Why: on CPUs whose multiply and add units are busy either way (Zen 5) the fused form measures
 * the same, but on others it is much faster: on a Zen 4 EPYC the GEMM went from 38 to 49 GFLOP/s
 * per core and the MNIST MLP's training step 19 % faster (docs/cpu-backend.md, "Relaxed SIMD").
 *
 * NOTE: V8 documents flags set after start-up as unsupported in general; the wasm feature flags
 * are read when a module is validated or compiled, which is all this relies on. Worker threads
 * share the process's flags, so the pool's workers see it too.
 */
export function enableRelaxedSimd(): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  if (Number(process.versions.node.split('.')[0]) !== 20) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  cached = undefined;
  return WebAssembly.validate(RELAXED_PROBE);
}

/**
 * How the CPU backend names itself, e.g. "CPU · 2 threads (WebAssembly SIMD, relaxed FMA)": the
 * backend's `description` and the engine's `detectComputeBackend` (what the status bar shows).
 */
export function describeCpu(threads: number, simd: boolean, fma: boolean): string {
  const kind = simd ? ` (WebAssembly SIMD${fma ? ', relaxed FMA' : ''})` : '';
  return `CPU · ${threads} thread${threads === 1 ? '' : 's'}${kind}`;
}

/** The compiled kernel modules for this runtime: the relaxed-SIMD variant where it validates. */
export function compileKernelModules(features: WasmFeatures, preferRelaxed = true): Record<string, WebAssembly.Module> {
  const out: Record<string, WebAssembly.Module> = {};
  for (const [name, bin] of Object.entries(KERNEL_BINARIES)) {
    const useRelaxed = preferRelaxed && features.relaxedSimd && bin.relaxed != null;
    out[name] = new WebAssembly.Module(decode(useRelaxed ? bin.relaxed! : bin.simd));
  }
  return out;
}

/** Instantiation order: a module may import the exports of those before it (conv imports gemm, gemm elementwise). */
export const KERNEL_ORDER = ['elementwise', 'gemm', 'conv', 'optim'] as const;

export function kernelOrder(modules: Record<string, WebAssembly.Module>): string[] {
  const rest = Object.keys(modules).filter((m) => !(KERNEL_ORDER as readonly string[]).includes(m)).sort();
  return [...KERNEL_ORDER.filter((m) => m in modules), ...rest];
}

/** Instantiate every kernel module on `memory`, wiring each module's imports to earlier ones. */
export function instantiateKernels(modules: Record<string, WebAssembly.Module>, memory: WebAssembly.Memory): Record<string, WebAssembly.Exports> {
  const imports: Record<string, Record<string, unknown>> = { env: { memory } };
  const out: Record<string, WebAssembly.Exports> = {};
  for (const name of kernelOrder(modules)) {
    out[name] = new WebAssembly.Instance(modules[name], imports as WebAssembly.Imports).exports;
    imports[name] = out[name];
  }
  return out;
}
