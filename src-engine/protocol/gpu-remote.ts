/// <reference types="@webgpu/types" />
/**
 * The GPU wire client's objects (gpu-client.ts): the device, its queue, buffers, pipelines, bind
 * groups and command encoders, each recording the calls the engine makes as ops on the `Wire`.
 */
import type { Wire } from './gpu-wire-link';
import type { GpuWireCommand, GpuWireDispatch } from './gpu-wire';

/** A call the wire does not carry (the engine never makes it). */
function unsupported(what: string): never {
  throw new Error(`${what} is not available on a remote GPU device.`);
}

function domError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

abstract class RemoteObject {
  readonly id: number;
  label: string;
  constructor(
    protected readonly wire: Wire,
    label: string | undefined,
  ) {
    this.id = wire.id();
    this.label = label ?? '';
    wire.registry.register(this, this.id);
  }
}

class RemoteBuffer extends RemoteObject {
  private mapped: { offset: number; bytes: Uint8Array } | null = null;
  private mapping: Promise<void> | null = null;
  mapState: GPUBufferMapState = 'unmapped';

  constructor(
    wire: Wire,
    readonly size: number,
    readonly usage: number,
    label?: string,
  ) {
    super(wire, label);
    wire.send({ op: 'createBuffer', id: this.id, size, usage, label });
  }

  mapAsync(mode: number, offset = 0, size?: number): Promise<void> {
    if (mode !== 0x1) return Promise.reject(domError('OperationError', 'Only MAP_READ mappings travel over the GPU wire.'));
    if (this.mapState !== 'unmapped') return Promise.reject(domError('OperationError', 'The buffer is already mapped or being mapped.'));
    const n = size ?? this.size - offset;
    this.mapState = 'pending';
    this.mapping = this.wire.request((req) => ({ op: 'mapRead', req, buffer: this.id, offset, size: n })).then((r) => {
      this.mapping = null;
      if (this.mapState !== 'pending') throw domError('AbortError', 'The buffer was unmapped or destroyed before its mapping finished.');
      if (r.t !== 'mapped') {
        this.mapState = 'unmapped';
        throw domError(r.t === 'mapFailed' ? r.name : 'OperationError', r.t === 'mapFailed' ? r.message : 'The GPU window answered a mapping with something else.');
      }
      this.mapped = { offset, bytes: r.data };
      this.mapState = 'mapped';
    });
    return this.mapping;
  }

  getMappedRange(offset = 0, size?: number): ArrayBuffer {
    const m = this.mapped;
    if (!m) throw domError('OperationError', 'getMappedRange on a buffer that is not mapped.');
    const n = size ?? m.offset + m.bytes.length - offset;
    const start = offset - m.offset;
    if (start < 0 || start + n > m.bytes.length) throw domError('OperationError', 'getMappedRange outside the mapped range.');
    return m.bytes.slice(start, start + n).buffer;
  }

  unmap(): void {
    this.mapped = null;
    this.mapState = 'unmapped';
  }

  destroy(): void {
    this.unmap();
    this.wire.send({ op: 'destroyBuffer', id: this.id });
  }
}

class RemoteShaderModule extends RemoteObject {
  constructor(wire: Wire, code: string, label?: string) {
    super(wire, label);
    wire.send({ op: 'createShaderModule', id: this.id, code, label });
  }
}

/** A pipeline's automatic bind group layout: named by its pipeline and group index. */
class RemoteLayout {
  constructor(
    readonly pipeline: RemotePipeline,
    readonly group: number,
  ) {}
}

class RemotePipeline extends RemoteObject {
  constructor(wire: Wire, module: RemoteShaderModule, entryPoint: string, label?: string) {
    super(wire, label);
    wire.send({ op: 'createComputePipeline', id: this.id, module: module.id, entryPoint, label });
  }
  getBindGroupLayout(index: number): GPUBindGroupLayout {
    return new RemoteLayout(this, index) as unknown as GPUBindGroupLayout;
  }
}

class RemoteBindGroup extends RemoteObject {
  /** The pipeline and buffers it names stay referenced while it is (their ids must outlive it). */
  private readonly refs: RemoteObject[];
  constructor(wire: Wire, desc: GPUBindGroupDescriptor) {
    super(wire, desc.label);
    const layout = desc.layout as unknown;
    if (!(layout instanceof RemoteLayout)) unsupported('A bind group layout other than a pipeline’s automatic one');
    const entries = [...desc.entries].map((e) => {
      const res = e.resource as GPUBufferBinding;
      const buffer = (res?.buffer ?? res) as unknown;
      if (!(buffer instanceof RemoteBuffer)) unsupported('A bind group entry that is not a buffer');
      return { binding: e.binding, buffer, offset: res.offset, size: res.size };
    });
    this.refs = [layout.pipeline, ...entries.map((e) => e.buffer)];
    wire.send({
      op: 'createBindGroup',
      id: this.id,
      pipeline: layout.pipeline.id,
      group: layout.group,
      entries: entries.map((e) => ({ binding: e.binding, buffer: e.buffer.id, ...(e.offset !== undefined ? { offset: e.offset } : {}), ...(e.size !== undefined ? { size: e.size } : {}) })),
      label: desc.label,
    });
  }
}

class RemoteComputePass {
  private pipeline: RemotePipeline | null = null;
  private readonly groups: (RemoteBindGroup | null)[] = [];
  /** Objects the recorded dispatches name, kept alive until the command buffer is submitted. */
  readonly dispatches: GpuWireDispatch[] = [];
  constructor(
    private readonly encoder: RemoteCommandEncoder,
    readonly label: string | undefined,
  ) {}
  setPipeline(p: GPUComputePipeline): void {
    this.pipeline = p as unknown as RemotePipeline;
    this.encoder.keep(this.pipeline);
  }
  setBindGroup(index: number, g: GPUBindGroup | null, dynamicOffsets?: Iterable<number>): void {
    if (dynamicOffsets && [...dynamicOffsets].length) unsupported('Dynamic bind group offsets');
    this.groups[index] = g as unknown as RemoteBindGroup | null;
    if (g) this.encoder.keep(g as unknown as RemoteBindGroup);
  }
  dispatchWorkgroups(x: number, y = 1, z = 1): void {
    if (!this.pipeline) throw domError('OperationError', 'dispatchWorkgroups before setPipeline.');
    this.dispatches.push({ pipeline: this.pipeline.id, groups: Array.from({ length: this.groups.length }, (_, i) => this.groups[i]?.id ?? null), x, y, z });
  }
  dispatchWorkgroupsIndirect(): void {
    unsupported('dispatchWorkgroupsIndirect');
  }
  end(): void {
    this.encoder.endPass(this);
  }
}

class RemoteCommandEncoder {
  private readonly commands: GpuWireCommand[] = [];
  private readonly kept: RemoteObject[] = [];
  constructor(readonly label?: string) {}
  keep(o: RemoteObject): void {
    this.kept.push(o);
  }
  beginComputePass(desc?: GPUComputePassDescriptor): GPUComputePassEncoder {
    return new RemoteComputePass(this, desc?.label) as unknown as GPUComputePassEncoder;
  }
  endPass(p: RemoteComputePass): void {
    this.commands.push({ c: 'pass', ...(p.label ? { label: p.label } : {}), dispatches: p.dispatches });
  }
  copyBufferToBuffer(src: GPUBuffer, a: number | GPUBuffer, b?: GPUBuffer | number, c?: number, d?: number): void {
    // (src, srcOffset, dst, dstOffset, size) or the newer (src, dst, size?)
    const [srcOffset, dst, dstOffset, size] = typeof a === 'number' ? [a, b as GPUBuffer, c ?? 0, d] : [0, a, 0, b as number | undefined];
    const s = src as unknown as RemoteBuffer;
    const t = dst as unknown as RemoteBuffer;
    this.kept.push(s, t);
    this.commands.push({ c: 'copy', src: s.id, srcOffset, dst: t.id, dstOffset, size: size ?? s.size - srcOffset });
  }
  clearBuffer(buffer: GPUBuffer, offset?: number, size?: number): void {
    const b = buffer as unknown as RemoteBuffer;
    this.kept.push(b);
    this.commands.push({ c: 'clear', buffer: b.id, ...(offset !== undefined ? { offset } : {}), ...(size !== undefined ? { size } : {}) });
  }
  finish(): GPUCommandBuffer {
    return { label: this.label ?? '', commands: this.commands, kept: this.kept } as unknown as GPUCommandBuffer;
  }
}

class RemoteQueue {
  constructor(private readonly wire: Wire) {}
  writeBuffer(buffer: GPUBuffer, bufferOffset: number, data: ArrayBuffer | ArrayBufferView, dataOffset = 0, size?: number): void {
    // As in WebGPU: offsets and size count elements of a typed array, bytes of an ArrayBuffer or DataView.
    const [bytes, unit] = ArrayBuffer.isView(data)
      ? [new Uint8Array(data.buffer, data.byteOffset, data.byteLength), (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1]
      : [new Uint8Array(data), 1];
    const start = dataOffset * unit;
    const n = size === undefined ? bytes.length - start : size * unit;
    if (start < 0 || n < 0 || start + n > bytes.length) throw domError('OperationError', 'writeBuffer reads outside its data.');
    this.wire.send({ op: 'writeBuffer', buffer: (buffer as unknown as RemoteBuffer).id, offset: bufferOffset, data: bytes.slice(start, start + n) });
  }
  submit(buffers: Iterable<GPUCommandBuffer>): void {
    const list = [...buffers] as unknown as { commands: GpuWireCommand[] }[];
    this.wire.send({ op: 'submit', buffers: list.map((b) => b.commands) });
  }
  async onSubmittedWorkDone(): Promise<void> {
    await this.wire.request((req) => ({ op: 'workDone', req }));
  }
}

export class RemoteDevice {
  readonly queue: RemoteQueue;
  readonly lost: Promise<GPUDeviceLostInfo>;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  readonly label = '';
  onuncapturederror: ((ev: GPUUncapturedErrorEvent) => void) | null = null;

  constructor(
    private readonly wire: Wire,
    limits: Record<string, number>,
    features: string[],
  ) {
    this.queue = new RemoteQueue(wire);
    this.limits = Object.freeze({ ...limits }) as unknown as GPUSupportedLimits;
    this.features = new Set(features);
    this.lost = new Promise((resolve) => wire.onLost((info) => resolve({ reason: info.reason, message: info.message } as GPUDeviceLostInfo)));
    wire.onUncaptured = (error) => this.onuncapturederror?.({ error: { message: error.message, type: error.type } } as unknown as GPUUncapturedErrorEvent);
  }

  createBuffer(desc: GPUBufferDescriptor): GPUBuffer {
    if (desc.mappedAtCreation) unsupported('mappedAtCreation');
    return new RemoteBuffer(this.wire, desc.size, desc.usage, desc.label) as unknown as GPUBuffer;
  }
  createShaderModule(desc: GPUShaderModuleDescriptor): GPUShaderModule {
    return new RemoteShaderModule(this.wire, desc.code, desc.label) as unknown as GPUShaderModule;
  }
  createComputePipeline(desc: GPUComputePipelineDescriptor): GPUComputePipeline {
    if (desc.layout !== 'auto') unsupported('An explicit pipeline layout');
    const module = desc.compute.module as unknown;
    if (!(module instanceof RemoteShaderModule)) unsupported('A shader module from another device');
    return new RemotePipeline(this.wire, module, desc.compute.entryPoint ?? 'main', desc.label) as unknown as GPUComputePipeline;
  }
  async createComputePipelineAsync(desc: GPUComputePipelineDescriptor): Promise<GPUComputePipeline> {
    return this.createComputePipeline(desc);
  }
  createBindGroup(desc: GPUBindGroupDescriptor): GPUBindGroup {
    return new RemoteBindGroup(this.wire, desc) as unknown as GPUBindGroup;
  }
  createCommandEncoder(desc?: GPUCommandEncoderDescriptor): GPUCommandEncoder {
    return new RemoteCommandEncoder(desc?.label) as unknown as GPUCommandEncoder;
  }
  pushErrorScope(filter: GPUErrorFilter): void {
    this.wire.send({ op: 'pushErrorScope', filter });
  }
  async popErrorScope(): Promise<GPUError | null> {
    const r = await this.wire.request((req) => ({ op: 'popErrorScope', req }));
    return r.t === 'scope' && r.error ? ({ message: r.error.message, type: r.error.type } as unknown as GPUError) : null;
  }
  destroy(): void {
    this.wire.send({ op: 'destroyDevice' });
  }
}
