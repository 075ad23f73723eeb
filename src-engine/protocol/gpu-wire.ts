import { z } from 'zod';

/**
 * The GPU wire: a WebGPU device used across a process boundary. The engine (the client,
 * `gpu-client.ts`) records what it asks of a device as ops; the process that owns the device
 * (the server, `gpu-server.ts`: a worker of Electron's hidden GPU window, with Chromium's
 * `navigator.gpu`) replays them in order and answers what needs an answer (a mapped range, an
 * error scope, work done). Like Dawn's own wire (dawn_wire), objects are named by ids the client
 * assigns, so creating one needs no round trip; only readback and error scopes wait for the server.
 *
 * Why it exists: Electron's engine runs in a utility process, which has no `navigator.gpu`, and
 * Dawn's Node binding cannot map buffers there (its `getMappedRange` wraps GPU memory in an
 * external ArrayBuffer, which Electron's V8 memory cage refuses). See docs/webgpu-backend.md.
 *
 * Only the part of WebGPU the engine uses travels: storage/uniform/readback buffers, compute
 * pipelines with `layout: 'auto'`, bind groups of whole or ranged buffers, compute passes, buffer
 * copies and clears, queue writes, mapped reads, error scopes. Every message is checked against
 * these schemas on arrival, on both sides.
 */
export const GPU_WIRE_VERSION = 1;

/** An object id the client assigned (buffer, shader module, pipeline, bind group). */
const Id = z.number().int().nonnegative().max(2 ** 31);
/** A byte size or offset. */
const Bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Label = z.string().max(256).optional();
/** A workgroup count along one dimension. */
const Groups = z.number().int().nonnegative().max(2 ** 31);

/** One dispatch of a compute pass, with the pipeline and bind groups set when it was recorded. */
export const GpuWireDispatch = z.object({
  pipeline: Id,
  /** Bind group id per group index (null: none set). */
  groups: z.array(Id.nullable()).max(4),
  x: Groups,
  y: Groups,
  z: Groups,
});

/** A recorded command of a command buffer. */
export const GpuWireCommand = z.discriminatedUnion('c', [
  z.object({ c: z.literal('pass'), label: Label, dispatches: z.array(GpuWireDispatch).max(100_000) }),
  z.object({ c: z.literal('copy'), src: Id, srcOffset: Bytes, dst: Id, dstOffset: Bytes, size: Bytes }),
  z.object({ c: z.literal('clear'), buffer: Id, offset: Bytes.optional(), size: Bytes.optional() }),
]);

export const GpuErrorFilter = z.enum(['validation', 'out-of-memory', 'internal']);

/** What the client asks of the device, applied by the server in the order sent. */
export const GpuWireOp = z.discriminatedUnion('op', [
  z.object({ op: z.literal('createBuffer'), id: Id, size: Bytes, usage: z.number().int().nonnegative().max(0xffff), label: Label }),
  z.object({ op: z.literal('destroyBuffer'), id: Id }),
  z.object({ op: z.literal('createShaderModule'), id: Id, code: z.string().max(1 << 20), label: Label }),
  z.object({ op: z.literal('createComputePipeline'), id: Id, module: Id, entryPoint: z.string().max(256), label: Label }),
  z.object({
    op: z.literal('createBindGroup'),
    id: Id,
    /** The layout is group `group` of this pipeline's automatic layout (`getBindGroupLayout`). */
    pipeline: Id,
    group: z.number().int().min(0).max(3),
    entries: z.array(z.object({ binding: z.number().int().nonnegative().max(1000), buffer: Id, offset: Bytes.optional(), size: Bytes.optional() })).max(64),
    label: Label,
  }),
  z.object({ op: z.literal('writeBuffer'), buffer: Id, offset: Bytes, data: z.instanceof(Uint8Array) }),
  /** `queue.submit`: each command buffer's commands, in order. */
  z.object({ op: z.literal('submit'), buffers: z.array(z.array(GpuWireCommand).max(100_000)).max(64) }),
  /** Map `size` bytes of a MAP_READ buffer from `offset`, copy them out, unmap: answered by `mapped`. */
  z.object({ op: z.literal('mapRead'), req: Id, buffer: Id, offset: Bytes, size: Bytes }),
  z.object({ op: z.literal('pushErrorScope'), filter: GpuErrorFilter }),
  z.object({ op: z.literal('popErrorScope'), req: Id }),
  z.object({ op: z.literal('workDone'), req: Id }),
  /** Objects the client no longer references (garbage-collected proxies): the server drops them. */
  z.object({ op: z.literal('release'), ids: z.array(Id).max(100_000) }),
  z.object({ op: z.literal('destroyDevice') }),
]);

/** Client → server. */
export const GpuWireRequest = z.discriminatedUnion('t', [
  /** The first message: find an adapter and open a device (a second `acquire` replaces the device). */
  z.object({
    t: z.literal('acquire'),
    version: z.literal(GPU_WIRE_VERSION),
    powerPreference: z.enum(['high-performance', 'low-power']).optional(),
  }),
  z.object({ t: z.literal('ops'), ops: z.array(GpuWireOp).max(1_000_000) }),
]);

export const GpuWireError = z.object({ type: z.string().max(64), message: z.string().max(1 << 16) });

/** What the adapter is (GpuAdapterSummary's fields). */
export const GpuWireAdapter = z.object({
  vendor: z.string().max(256),
  architecture: z.string().max(256),
  device: z.string().max(256),
  description: z.string().max(1024),
  isFallback: z.boolean(),
});

/** Server → client. */
export const GpuWireReply = z.discriminatedUnion('t', [
  /** The device is open: its adapter, limits and features. */
  z.object({ t: z.literal('ready'), adapter: GpuWireAdapter, limits: z.record(z.string().max(64), z.number()), features: z.array(z.string().max(64)).max(256) }),
  /** No adapter or device: why, in words for the user. */
  z.object({ t: z.literal('unavailable'), message: z.string().max(4096) }),
  z.object({ t: z.literal('mapped'), req: Id, data: z.instanceof(Uint8Array) }),
  z.object({ t: z.literal('mapFailed'), req: Id, name: z.string().max(64), message: z.string().max(4096) }),
  z.object({ t: z.literal('scope'), req: Id, error: GpuWireError.nullable() }),
  z.object({ t: z.literal('workDone'), req: Id }),
  /** A device error outside any error scope, or an op the device threw on. */
  z.object({ t: z.literal('uncaptured'), error: GpuWireError }),
  /** The device is gone (driver reset, destroyed, or a malformed request ended it). */
  z.object({ t: z.literal('lost'), reason: z.string().max(64), message: z.string().max(4096) }),
]);

export type GpuWireDispatch = z.infer<typeof GpuWireDispatch>;
export type GpuWireCommand = z.infer<typeof GpuWireCommand>;
export type GpuWireOp = z.infer<typeof GpuWireOp>;
export type GpuWireRequest = z.infer<typeof GpuWireRequest>;
export type GpuWireReply = z.infer<typeof GpuWireReply>;
export type GpuWireAdapter = z.infer<typeof GpuWireAdapter>;

/**
 * Engine ⇄ host messages about the GPU window (Electron): the engine asks for a connection to the
 * GPU window when a run may use the GPU; main answers with a MessagePort (`gpu-port`) or says why
 * there is none (`gpu-none`), and says when that window's process died (`gpu-gone`).
 */
export const GpuHostRequest = z.object({ kind: z.literal('gpu-request') });
export const GpuHostAnswer = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('gpu-port') }),
  z.object({ kind: z.literal('gpu-none'), message: z.string().max(4096) }),
  /** The GPU window's process died: the engine drops its connection (its device is gone). */
  z.object({ kind: z.literal('gpu-gone'), message: z.string().max(4096) }),
]);
export type GpuHostAnswer = z.infer<typeof GpuHostAnswer>;
