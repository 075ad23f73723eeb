/// <reference types="@webgpu/types" />
/**
 * A WebGPU device for the engine in Node (the web-mode engine child, the CLI, tests, the bench),
 * from npm `webgpu` (Dawn). Loaded lazily with a dynamic import, so that nothing that merely
 * imports the engine loads Dawn's native module. See docs/webgpu-backend.md for where each host
 * gets its device.
 */
import { GpuContext, GpuError, summarizeAdapter, type GpuAdapterSummary, type GpuContextOptions } from '../../core/gpu/context';
import { computeDeviceDescriptor } from '../../protocol/gpu-server';
import { paceDawnPolling, pollSoftwareAdapter } from './poll-pacing';
import { probeAdapter, type AdapterProbe } from './probe';

/** How to choose the adapter. */
export interface NodeGpuOptions {
  /**
   * Accept a fallback (software) adapter such as SwiftShader. Off by default: the app trains on a
   * fallback adapter only when the user forces the GPU backend (it is slower than the CPU backend).
   */
  allowFallback?: boolean;
  powerPreference?: 'high-performance' | 'low-power';
  /** Dawn toggles/options, e.g. `enable-dawn-features=...` (see npm `webgpu`). */
  dawnOptions?: string[];
}

/** A device with the adapter it came from. */
export interface NodeGpu {
  ctx: GpuContext;
  adapter: GpuAdapterSummary;
  /** The adapter's limits and features, for the bench's report. */
  limits: GPUSupportedLimits;
  features: string[];
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: Promise<DawnModule> | null = null;

/**
 * Dawn instances handed out. NOTE: a `GPU` from `create()` must outlive its devices: when V8
 * collects it, Dawn tears the instance down under the live device and the process aborts
 * ("The futex facility returned an unexpected error code"). So every instance is kept here.
 */
const instances: GPU[] = [];

async function loadDawn(): Promise<DawnModule> {
  dawn ??= import('webgpu').then((m: unknown) => {
    const mod = m as DawnModule;
    // Dawn's objects check `instanceof` against these constructors, and the engine reads the
    // GPUBufferUsage/GPUMapMode flags as plain numbers, so installing them is harmless.
    Object.assign(globalThis, mod.globals);
    return mod;
  });
  return dawn;
}

/**
 * A `GPU` (what `navigator.gpu` is in a browser) from Dawn, kept alive for the process's lifetime.
 * @throws GpuError `E_GPU_UNAVAILABLE` when npm `webgpu` does not load.
 */
export async function dawnGpu(dawnOptions: string[] = []): Promise<GPU> {
  let mod: DawnModule;
  try {
    mod = await loadDawn();
  } catch (e) {
    throw new GpuError('E_GPU_UNAVAILABLE', `The WebGPU module (npm "webgpu") did not load: ${(e as Error).message}`);
  }
  paceDawnPolling();
  const gpu = mod.create(dawnOptions);
  instances.push(gpu);
  return gpu;
}

/**
 * Request an adapter and a device from Dawn, with the adapter's own limits for storage buffer
 * sizes and workgroup memory (the defaults are lower than most GPUs allow).
 *
 * @throws GpuError `E_GPU_UNAVAILABLE` with the reason: Dawn failed to load, no adapter (no
 *   Vulkan/Metal/D3D12 driver), or only a fallback adapter when `allowFallback` is off.
 */
export async function acquireNodeGpu(options: NodeGpuOptions = {}): Promise<NodeGpu> {
  const gpu = await dawnGpu(options.dawnOptions);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new GpuError(
      'E_GPU_UNAVAILABLE',
      'No WebGPU adapter: Dawn found no usable Vulkan, Metal or D3D12 driver. Install the GPU driver (on Linux, its Vulkan ICD and libvulkan1), or point VK_ICD_FILENAMES at a software driver such as SwiftShader to test.',
    );
  }
  const summary = summarizeAdapter(adapter.info);
  if (summary.isFallback && !options.allowFallback) {
    throw new GpuError('E_GPU_UNAVAILABLE', `Only a fallback adapter is available (${summary.description || summary.device || summary.vendor}); it is used only when the GPU backend is forced.`);
  }
  const device = await adapter.requestDevice(computeDeviceDescriptor(adapter));
  pollSoftwareAdapter(summary.isFallback);
  // Dawn maps buffers for writing (large inputs go through staging buffers: core/gpu/staged-inputs.ts)
  // — not inside Electron, whose V8 cage refuses a mapped range ("Where the GPU backend runs") —
  // and a submit starts the work at once (a step's forward runs while its backward is encoded).
  const mappedWrites = process.versions.electron === undefined;
  return { ctx: new GpuContext(device, summary, { mappedWrites, splitSubmits: true }), adapter: summary, limits: device.limits, features: [...device.features] };
}

/**
 * The engine's `TrainingHost.acquireGpu` over a device opener: one device for the engine's
 * lifetime (probed on the first run that may use it, the outcome kept: a machine without a GPU is
 * asked once), and a fresh `GpuContext` on it per run, so that a run's buffers go with the run.
 * A lost device (driver reset, a crashed GPU window) is replaced on the next run.
 */
export function sharedGpuAcquirer(open: () => Promise<{ device: GPUDevice; adapter: GpuAdapterSummary; options?: GpuContextOptions }>): (allowFallback: boolean) => Promise<GpuContext> {
  let shared: Promise<GpuContext> | null = null;
  const acquire = () => open().then(({ device, adapter, options }) => new GpuContext(device, adapter, options));
  return async (allowFallback) => {
    shared ??= acquire();
    let g = await shared;
    if (g.lost) {
      shared = acquire();
      g = await shared;
    }
    if (g.adapter.isFallback && !allowFallback) {
      throw new GpuError('E_GPU_UNAVAILABLE', `Only a fallback adapter is available (${g.adapter.description || g.adapter.device || g.adapter.vendor}); it is used only when the GPU backend is forced.`);
    }
    return new GpuContext(g.device, g.adapter, { mappedWrites: g.mappedWrites, splitSubmits: g.splitSubmits });
  };
}

/**
 * {@link sharedGpuAcquirer} on npm `webgpu` (Dawn) in this process: the web-mode engine child and
 * the CLI. Whether there is an adapter is asked first in a child process (`probeAdapter`, once),
 * so that Dawn's and the Vulkan loader's messages on stderr go to a log file; Dawn is loaded here
 * only for an adapter the run takes (a fallback one only when the GPU is forced).
 */
export function nodeGpuAcquirer(options: Omit<NodeGpuOptions, 'allowFallback'> = {}, probe: ((dawnOptions: readonly string[]) => Promise<AdapterProbe>) | null = process.versions.electron ? null : probeAdapter): (allowFallback: boolean) => Promise<GpuContext> {
  let probed: Promise<AdapterProbe> | null = null;
  const shared = sharedGpuAcquirer(async () => {
    const g = await acquireNodeGpu({ ...options, allowFallback: true });
    return { device: g.ctx.device, adapter: g.adapter, options: { mappedWrites: g.ctx.mappedWrites, splitSubmits: g.ctx.splitSubmits } };
  });
  // Under Electron, process.execPath is the app, not Node: no child is started, Dawn is asked here.
  if (!probe) return shared;
  return async (allowFallback) => {
    probed ??= probe(options.dawnOptions ?? []);
    const { adapter, reason } = await probed;
    if (!adapter) throw new GpuError('E_GPU_UNAVAILABLE', `No GPU adapter found: ${reason ?? 'Dawn found none'}.`);
    if (adapter.isFallback && !allowFallback) throw new GpuError('E_GPU_UNAVAILABLE', `Only a software adapter (${adapter.description || adapter.device || adapter.vendor}), slower than the CPU; it is used only when the GPU is forced.`);
    return shared(allowFallback);
  };
}
