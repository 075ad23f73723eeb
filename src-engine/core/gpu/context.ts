/// <reference types="@webgpu/types" />
/**
 * The engine's handle on one WebGPU device: pipeline cache, storage buffers, uploads and
 * asynchronous readback. Runtime-neutral: it takes a `GPUDevice` from whoever acquired it (npm
 * `webgpu` in Node, `navigator.gpu` in a browser worker) and never imports an implementation.
 */
import type { GpuProfiler } from './passes';

/** What the status bar and the bench say about the adapter behind a device. */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software or otherwise "fallback" adapter (SwiftShader): used only when forced. */
  isFallback: boolean;
}

/** One-line adapter name, e.g. `nvidia hopper (NVIDIA H100 80GB HBM3)`. */
export function adapterName(a: GpuAdapterSummary): string {
  const head = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = a.description || a.device;
  return `${head}${detail ? ` (${detail})` : ''}${a.isFallback ? ' · fallback' : ''}`;
}

/** Summary of a `GPUAdapterInfo` (fields Dawn and Chromium both fill). */
export function summarizeAdapter(info: GPUAdapterInfo): GpuAdapterSummary {
  const fb = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallback: fb === true,
  };
}

/** Codes of {@link GpuError}. */
export type GpuErrorCode =
  /** No WebGPU implementation, no adapter, or only a fallback adapter where a real one is needed. */
  | 'E_GPU_UNAVAILABLE'
  /** A size or offset the kernels cannot take (over a device limit, misaligned view). */
  | 'E_GPU_BAD_ARGS'
  /** The device reported a validation or out-of-memory error. */
  | 'E_GPU_DEVICE'
  /**
   * The device was lost (driver reset, GPU removed, a crashed GPU window, `destroy`): nothing on
   * it can be read any more. A run pauses, rolled back to its last snapshot, and continues on the
   * CPU when resumed (docs/webgpu-backend.md, "A lost device").
   */
  | 'E_GPU_LOST'
  /** The graph has an op (or an optimizer) with no GPU kernel; the message names them. */
  | 'E_GPU_NO_KERNEL';

/** Error raised by the GPU layer; `code` is stable, the message says what to do. */
export class GpuError extends Error {
  constructor(
    readonly code: GpuErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

/**
 * A float32 tensor on the device: `length` elements from element `offset` of `buffer`. Views of
 * one buffer share it, as `subarray` views share a CPU backend's storage.
 */
export interface GpuTensor {
  readonly buffer: GPUBuffer;
  /** In elements (4 bytes). */
  readonly offset: number;
  readonly length: number;
}

/** A view of `length` elements of `t` from element `start`. */
export function gpuView(t: GpuTensor, start: number, length: number): GpuTensor {
  if (start < 0 || length < 0 || start + length > t.length) {
    throw new GpuError('E_GPU_BAD_ARGS', `View [${start}, ${start + length}) lies outside a tensor of ${t.length} elements.`);
  }
  return { buffer: t.buffer, offset: t.offset + start, length };
}

const STORAGE = 0x80 | 0x4 | 0x8; // GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST
const UNIFORM = 0x40 | 0x8; // GPUBufferUsage.UNIFORM | COPY_DST
const READBACK = 0x1 | 0x8; // GPUBufferUsage.MAP_READ | COPY_DST
const STAGING = 0x2 | 0x4; // GPUBufferUsage.MAP_WRITE | COPY_SRC
const MAP_READ = 0x1; // GPUMapMode.READ
/** How long a failed map waits for `device.lost` to settle before calling the failure something else. */
const LOST_WAIT_MS = 1000;

/** What the one who acquired a device knows about it, beyond the device itself. */
export interface GpuContextOptions {
  /**
   * Buffers can be mapped for writing (`MAP_WRITE`, `mappedAtCreation`): Dawn in Node. Not over
   * the GPU wire, which refuses them (its writes travel as `writeBuffer` ops). Off by default.
   */
  mappedWrites?: boolean;
  /**
   * A submit starts the device's work at once (Dawn in Node), so a training step submits its
   * forward before it encodes the backward: the device runs the one while the host encodes the
   * other. Not over the GPU wire, whose ops of one turn travel together anyway. Off by default.
   */
  splitSubmits?: boolean;
}

/**
 * Compiled pipelines per device, shared by every context on it: the engine makes a fresh context
 * per run on its one device (`sharedGpuAcquirer`), and a second run should not compile every
 * shader again (on SwiftShader ~0.1 s each; the MNIST CNN's step has dozens). They go with the
 * device (a lost one's successor compiles its own).
 */
const devicePipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
/** The shader text behind each key, kept only while {@link GpuContext.verifyPipelineKeys} is on. */
const deviceSources = new WeakMap<GPUDevice, Map<string, string>>();

/**
 * One device and the state kept on it for a run: the buffers it made, so `dispose` frees them
 * all, and the device's compiled pipelines (keyed like onnxruntime-web's programs: the key names
 * what changes the shader, never sizes), which outlive the context.
 */
export class GpuContext {
  /**
   * Tests: check on every request that a key names the same shader text as when it was compiled
   * (a key that left out something the shader depends on would hand one run another's pipeline).
   */
  static verifyPipelineKeys = false;
  private readonly pipelines: Map<string, GPUComputePipeline>;
  private readonly owned = new Set<GPUBuffer>();
  /**
   * While set, every step encoded on this context records its dispatches one pass each, with
   * timestamps where the device has them (the bench's per-kernel profile; see passes.ts).
   */
  profiler: GpuProfiler | null = null;
  private lostInfo: GPUDeviceLostInfo | null = null;
  private uncaptured: GPUError | null = null;
  /**
   * Large inputs go through staging buffers mapped for writing (core/gpu/staged-inputs.ts) rather
   * than `queue.writeBuffer`: set from {@link GpuContextOptions.mappedWrites}; a test may turn it
   * off to compare the two paths.
   */
  mappedWrites: boolean;
  /** Set from {@link GpuContextOptions.splitSubmits}; the bench turns it off to compare. */
  splitSubmits: boolean;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: GpuAdapterSummary,
    options: GpuContextOptions = {},
  ) {
    this.mappedWrites = options.mappedWrites === true;
    this.splitSubmits = options.splitSubmits === true;
    let pipelines = devicePipelines.get(device);
    if (!pipelines) devicePipelines.set(device, (pipelines = new Map()));
    this.pipelines = pipelines;
    void device.lost.then((info) => {
      this.lostInfo = info;
    });
    // Errors outside an error scope (a step's submit) are kept for `takeError`, not just logged.
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured ??= ev.error;
    };
  }

  /**
   * Throw the first device error raised outside {@link checked} since the last call (a step
   * checks this after its readback) as `E_GPU_DEVICE`, or a lost device as `E_GPU_LOST`.
   */
  throwIfFailed(what: string): void {
    if (this.lostInfo) throw this.lostError(what, this.lostInfo);
    const err = this.uncaptured;
    this.uncaptured = null;
    if (err) throw new GpuError('E_GPU_DEVICE', `${what}: ${err.message}`);
  }

  private lostError(what: string, info: GPUDeviceLostInfo): GpuError {
    const why = [info.reason, info.message].filter((s) => s && s !== 'undefined').join(': ');
    return new GpuError('E_GPU_LOST', `${what}: the GPU device was lost${why ? ` (${why})` : ''}.`);
  }

  /**
   * Map `staging` for reading. A map that fails because the device went away (Dawn rejects it
   * with an AbortError, and `device.lost` settles around the same time) becomes `E_GPU_LOST`;
   * any other failure `E_GPU_DEVICE`.
   */
  async mapForRead(staging: GPUBuffer, what: string): Promise<void> {
    try {
      await staging.mapAsync(MAP_READ);
    } catch (e) {
      const info = this.lostInfo ?? (await Promise.race([this.device.lost, new Promise<null>((r) => setTimeout(() => r(null), LOST_WAIT_MS))]));
      if (info) throw this.lostError(what, info);
      throw new GpuError('E_GPU_DEVICE', `${what}: reading back from the GPU failed (${(e as Error).message || (e as Error).name}).`);
    }
  }

  /** Set once the device is lost (driver reset, removal, `destroy`). */
  get lost(): GPUDeviceLostInfo | null {
    return this.lostInfo;
  }

  /** Number of distinct pipelines compiled on this device so far (a step must not add any). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** The compute pipeline for `key`, compiling `source()` (entry point `main`) the first time. */
  pipeline(key: string, source: () => string): GPUComputePipeline {
    if (GpuContext.verifyPipelineKeys) this.verifyKey(key, source());
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ label: key, code: source() });
      p = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private verifyKey(key: string, code: string): void {
    let sources = deviceSources.get(this.device);
    if (!sources) deviceSources.set(this.device, (sources = new Map()));
    const first = sources.get(key);
    if (first === undefined) sources.set(key, code);
    else if (first !== code) throw new GpuError('E_GPU_BAD_ARGS', `Pipeline key "${key}" names two different shaders: the key leaves out something the shader depends on.`);
  }

  /** A zeroed storage tensor of `length` floats (at least one element is allocated). */
  createTensor(length: number, label?: string): GpuTensor {
    const size = Math.max(16, Math.ceil((length * 4) / 16) * 16);
    if (size > this.device.limits.maxStorageBufferBindingSize) {
      throw new GpuError('E_GPU_BAD_ARGS', `A tensor of ${length} floats exceeds this device's largest storage binding (${this.device.limits.maxStorageBufferBindingSize} bytes).`);
    }
    const buffer = this.device.createBuffer({ label, size, usage: STORAGE });
    this.owned.add(buffer);
    return { buffer, offset: 0, length };
  }

  /** A uniform buffer holding `words` (32-bit), written now; rewrite it with {@link writeUniform}. */
  createUniform(words: Uint32Array, label?: string): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(words.byteLength / 16) * 16), usage: UNIFORM });
    this.owned.add(buffer);
    this.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    return buffer;
  }

  /**
   * A staging buffer of `bytes` (a multiple of 4) that the host writes and the device copies from
   * (`MAP_WRITE | COPY_SRC`), mapped already (`mappedAtCreation`). Only where {@link mappedWrites}.
   */
  createStaging(bytes: number, label?: string): GPUBuffer {
    if (!this.mappedWrites) throw new GpuError('E_GPU_BAD_ARGS', 'This device cannot map buffers for writing (the GPU wire): write through queue.writeBuffer.');
    const buffer = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STAGING, mappedAtCreation: true });
    this.owned.add(buffer);
    return buffer;
  }

  /** Forget `buffer` (made here) and destroy it. */
  release(buffer: GPUBuffer): void {
    if (this.owned.delete(buffer)) buffer.destroy();
  }

  /** Queue a write of `words` at the start of a uniform buffer. */
  writeUniform(buffer: GPUBuffer, words: Uint32Array): void {
    this.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
  }

  /** Queue a copy of `data` into `t` (from element 0 of `t`); `data.length` ≤ `t.length`. */
  write(t: GpuTensor, data: Float32Array): void {
    if (data.length > t.length) throw new GpuError('E_GPU_BAD_ARGS', `Writing ${data.length} floats into a tensor of ${t.length}.`);
    // writeBuffer wants a multiple of 4 bytes: always true for float32.
    this.device.queue.writeBuffer(t.buffer, t.offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * The values of `t` in `ranges` (`[start, length]` in elements), concatenated: copied into a
   * fresh mappable buffer (one copy per range) after the work queued so far, resolving once the
   * copy is done (a probe reading a few rows of a large buffer).
   */
  async readRanges(t: GpuTensor, ranges: readonly (readonly [number, number])[]): Promise<Float32Array> {
    const floats = ranges.reduce((a, [, len]) => a + len, 0);
    for (const [start, len] of ranges) {
      if (start < 0 || len < 0 || start + len > t.length) throw new GpuError('E_GPU_BAD_ARGS', `Range [${start}, ${start + len}) lies outside a tensor of ${t.length} elements.`);
    }
    const staging = this.device.createBuffer({ size: Math.max(4, floats * 4), usage: READBACK });
    const enc = this.device.createCommandEncoder();
    let at = 0;
    for (const [start, len] of ranges) {
      if (len > 0) enc.copyBufferToBuffer(t.buffer, (t.offset + start) * 4, staging, at * 4, len * 4);
      at += len;
    }
    this.device.queue.submit([enc.finish()]);
    try {
      await this.mapForRead(staging, 'Reading a tensor from the GPU');
      return new Float32Array(staging.getMappedRange(0, Math.max(4, floats * 4)).slice(0, floats * 4));
    } finally {
      staging.destroy();
    }
  }

  /**
   * Read `t` back: copies it into a fresh mappable buffer after the work queued so far and
   * resolves once the copy is done. For charts and tests; a training step reads back only its
   * loss and metrics through a {@link GpuReadback}.
   */
  read(t: GpuTensor): Promise<Float32Array> {
    return this.readRanges(t, [[0, t.length]]);
  }

  /**
   * Run `fn` inside an error scope and throw a {@link GpuError} with the device's message when it
   * raised a validation or out-of-memory error (WebGPU reports these asynchronously, not by throwing).
   */
  async checked<T>(what: string, fn: () => T): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: { value: T } | { error: unknown };
    try {
      result = { value: fn() };
    } catch (error) {
      result = { error };
    }
    // Pop both scopes even when fn threw, so they never leak onto later work.
    const validation = await this.device.popErrorScope();
    const oom = await this.device.popErrorScope();
    if ('error' in result) throw result.error;
    const err = validation ?? oom;
    if (err) throw new GpuError('E_GPU_DEVICE', `${what}: ${err.message}`);
    return result.value;
  }

  /** Free every buffer this context made; the pipelines stay with the device, for the next context on it. */
  dispose(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
  }
}
