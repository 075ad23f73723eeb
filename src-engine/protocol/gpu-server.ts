/// <reference types="@webgpu/types" />
/**
 * The GPU wire's server: owns a WebGPU device and replays what a client (`gpu-client.ts`) asks of
 * it, in order (see gpu-wire.ts). It runs wherever `navigator.gpu` is — in Electron, a worker of
 * the hidden GPU window — and in tests on npm `webgpu` (Dawn). Runtime-neutral: it takes the
 * `GPU` object and a channel.
 *
 * A message that fails its schema, or names an object the client never made, ends the device:
 * the client is told `lost` with the reason, never left waiting, and the server waits for a new
 * `acquire`.
 */
import type { Channel } from './channel';
import { GPU_WIRE_VERSION, GpuWireRequest, type GpuWireCommand, type GpuWireOp, type GpuWireReply } from './gpu-wire';

/**
 * What the engine asks of an adapter's device: the adapter's own limits for the storage buffers,
 * workgroup memory and workgroup sizes the kernels use (WebGPU's defaults are lower than most GPUs
 * allow), and timestamp queries where there are any. Shared by every host's acquirer.
 */
export function computeDeviceDescriptor(adapter: GPUAdapter): GPUDeviceDescriptor {
  const l = adapter.limits;
  return {
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
  };
}

/** Every numeric limit of a device (WebIDL attributes enumerate in browsers and in Dawn's binding). */
function limitsOf(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k in limits) {
    const v = (limits as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

function adapterInfo(adapter: GPUAdapter): Extract<GpuWireReply, { t: 'ready' }>['adapter'] {
  const info = adapter.info;
  const fb = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '', isFallback: fb === true };
}

/** A request the server refuses: it ends the device (the client hears `lost`). */
class WireFault extends Error {}

/** One device and the objects made on it, by client id. */
class Session {
  private readonly buffers = new Map<number, GPUBuffer>();
  private readonly modules = new Map<number, GPUShaderModule>();
  private readonly pipelines = new Map<number, GPUComputePipeline>();
  private readonly bindGroups = new Map<number, GPUBindGroup>();
  ended = false;

  constructor(
    readonly device: GPUDevice,
    private readonly reply: (r: GpuWireReply) => void,
  ) {
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => this.reply({ t: 'uncaptured', error: wireError(ev.error) });
    void device.lost.then((info) => {
      if (this.ended) return;
      this.ended = true;
      this.reply({ t: 'lost', reason: String(info.reason ?? 'unknown'), message: info.message ?? '' });
    });
  }

  /** End the device for a reason of the server's own (a malformed request). */
  fault(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.reply({ t: 'lost', reason: 'unknown', message: `The GPU connection was closed: ${message}` });
    this.device.destroy();
  }

  private get<T>(map: Map<number, T>, id: number, what: string): T {
    const o = map.get(id);
    if (o === undefined) throw new WireFault(`no ${what} ${id}`);
    return o;
  }

  apply(op: GpuWireOp): void {
    const d = this.device;
    switch (op.op) {
      case 'createBuffer':
        this.buffers.set(op.id, d.createBuffer({ label: op.label, size: op.size, usage: op.usage }));
        return;
      case 'destroyBuffer':
        this.get(this.buffers, op.id, 'buffer').destroy();
        return;
      case 'createShaderModule':
        this.modules.set(op.id, d.createShaderModule({ label: op.label, code: op.code }));
        return;
      case 'createComputePipeline':
        this.pipelines.set(op.id, d.createComputePipeline({ label: op.label, layout: 'auto', compute: { module: this.get(this.modules, op.module, 'shader module'), entryPoint: op.entryPoint } }));
        return;
      case 'createBindGroup': {
        const layout = this.get(this.pipelines, op.pipeline, 'pipeline').getBindGroupLayout(op.group);
        const entries = op.entries.map((e) => ({ binding: e.binding, resource: { buffer: this.get(this.buffers, e.buffer, 'buffer'), offset: e.offset, size: e.size } }));
        this.bindGroups.set(op.id, d.createBindGroup({ label: op.label, layout, entries }));
        return;
      }
      case 'writeBuffer':
        d.queue.writeBuffer(this.get(this.buffers, op.buffer, 'buffer'), op.offset, op.data.buffer as ArrayBuffer, op.data.byteOffset, op.data.byteLength);
        return;
      case 'submit':
        d.queue.submit(op.buffers.map((cmds) => this.encode(cmds)));
        return;
      case 'mapRead': {
        const buffer = this.get(this.buffers, op.buffer, 'buffer');
        buffer.mapAsync(GPUMapModeRead, op.offset, op.size).then(
          () => {
            const data = new Uint8Array(buffer.getMappedRange(op.offset, op.size).slice(0));
            buffer.unmap();
            this.reply({ t: 'mapped', req: op.req, data });
          },
          (e: Error) => this.reply({ t: 'mapFailed', req: op.req, name: e?.name ?? 'Error', message: e?.message ?? String(e) }),
        );
        return;
      }
      case 'pushErrorScope':
        d.pushErrorScope(op.filter);
        return;
      case 'popErrorScope':
        d.popErrorScope().then(
          (err) => this.reply({ t: 'scope', req: op.req, error: err ? wireError(err) : null }),
          (e: Error) => this.reply({ t: 'scope', req: op.req, error: { type: 'internal', message: e?.message ?? String(e) } }),
        );
        return;
      case 'workDone':
        d.queue.onSubmittedWorkDone().then(
          () => this.reply({ t: 'workDone', req: op.req }),
          () => this.reply({ t: 'workDone', req: op.req }),
        );
        return;
      case 'release':
        for (const id of op.ids) for (const m of [this.buffers, this.modules, this.pipelines, this.bindGroups] as Map<number, unknown>[]) m.delete(id);
        return;
      case 'destroyDevice':
        d.destroy();
        return;
    }
  }

  private encode(commands: GpuWireCommand[]): GPUCommandBuffer {
    const enc = this.device.createCommandEncoder();
    for (const c of commands) {
      if (c.c === 'copy') {
        enc.copyBufferToBuffer(this.get(this.buffers, c.src, 'buffer'), c.srcOffset, this.get(this.buffers, c.dst, 'buffer'), c.dstOffset, c.size);
      } else if (c.c === 'clear') {
        enc.clearBuffer(this.get(this.buffers, c.buffer, 'buffer'), c.offset, c.size);
      } else {
        const pass = enc.beginComputePass(c.label ? { label: c.label } : undefined);
        let pipeline = -1;
        const set: (number | null)[] = [];
        for (const dsp of c.dispatches) {
          if (dsp.pipeline !== pipeline) pass.setPipeline(this.get(this.pipelines, (pipeline = dsp.pipeline), 'pipeline'));
          dsp.groups.forEach((g, i) => {
            if (g !== null && set[i] !== g) pass.setBindGroup(i, this.get(this.bindGroups, (set[i] = g), 'bind group'));
          });
          pass.dispatchWorkgroups(dsp.x, dsp.y, dsp.z);
        }
        pass.end();
      }
    }
    return enc.finish();
  }
}

/** GPUMapMode.READ (the constant, so this module needs no WebGPU globals). */
const GPUMapModeRead = 0x1;

function wireError(e: GPUError | { message?: string; constructor?: { name?: string } }): { type: string; message: string } {
  const name = e?.constructor?.name ?? '';
  const type = name.includes('OutOfMemory') ? 'out-of-memory' : name.includes('Internal') ? 'internal' : 'validation';
  return { type, message: String(e?.message ?? '') };
}

/**
 * Serve one client on `channel` with devices from `gpu` (`navigator.gpu`, or Dawn's `create()`).
 * Returns a function that stops serving and destroys the device. `gpu` undefined (no WebGPU in
 * this runtime) answers every `acquire` with `unavailable`.
 */
export function serveGpu(gpu: GPU | undefined, channel: Channel): () => void {
  let session: Session | null = null;
  let queue: Promise<void> = Promise.resolve();
  const reply = (r: GpuWireReply) => channel.send(r);

  const acquire = async (powerPreference: GPUPowerPreference | undefined): Promise<void> => {
    session?.fault('a new device was asked for');
    session = null;
    if (!gpu) return reply({ t: 'unavailable', message: 'This window has no WebGPU (navigator.gpu is missing).' });
    const adapter = await gpu.requestAdapter({ powerPreference: powerPreference ?? 'high-performance' });
    if (!adapter) return reply({ t: 'unavailable', message: 'No WebGPU adapter: the GPU process found no usable GPU (or WebGPU is blocked for this GPU or driver).' });
    const device = await adapter.requestDevice(computeDeviceDescriptor(adapter));
    session = new Session(device, reply);
    reply({ t: 'ready', adapter: adapterInfo(adapter), limits: limitsOf(device.limits), features: [...device.features] });
  };

  const handle = async (raw: unknown): Promise<void> => {
    const parsed = GpuWireRequest.safeParse(raw);
    if (!parsed.success) {
      const why = `a malformed request (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'})`;
      if (session) session.fault(why);
      else reply({ t: 'unavailable', message: `The GPU window refused ${why}.` });
      return;
    }
    const msg = parsed.data;
    if (msg.t === 'acquire') {
      if (msg.version !== GPU_WIRE_VERSION) return reply({ t: 'unavailable', message: `The GPU window speaks wire version ${GPU_WIRE_VERSION}, the engine ${String(msg.version)}.` });
      try {
        await acquire(msg.powerPreference);
      } catch (e) {
        reply({ t: 'unavailable', message: `Opening the GPU device failed: ${(e as Error)?.message ?? String(e)}` });
      }
      return;
    }
    const s = session;
    if (!s || s.ended) return; // ops for a device that is gone: the client has been told
    for (const op of msg.ops) {
      try {
        s.apply(op);
      } catch (e) {
        if (e instanceof WireFault) return s.fault(e.message);
        // The device threw where the client's own WebGPU would have thrown at the call: report it
        // as a device error, which the engine surfaces after the step (E_GPU_DEVICE).
        reply({ t: 'uncaptured', error: { type: 'validation', message: `${op.op}: ${(e as Error)?.message ?? String(e)}` } });
      }
    }
  };

  const off = channel.onMessage((m) => {
    queue = queue.then(() => handle(m));
  });
  const stop = () => {
    off();
    session?.fault('the connection closed');
    session = null;
  };
  channel.onClose?.(stop);
  return stop;
}
