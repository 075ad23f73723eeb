/// <reference types="@webgpu/types" />
/**
 * The GPU wire's client: a `GPUDevice` whose work runs in another process (gpu-wire.ts). It
 * implements the part of WebGPU the engine uses — what `GpuContext`, the kernels, the executor and
 * the bench call — and records each call as an op; the ops of one turn of the event loop travel as
 * one message (a training step: its uniform writes, its one submit and its readback request).
 * Objects get ids here, so nothing waits for the server but a mapped read, an error scope's pop
 * and `onSubmittedWorkDone`.
 *
 * Mapped reads: `mapAsync(READ)` asks the server to map, copy and unmap; `getMappedRange` then
 * returns a copy of those bytes. So a mapped buffer is only ever read (MAP_WRITE and
 * `mappedAtCreation` are refused: the engine writes through `queue.writeBuffer`).
 *
 * A lost device (the server's `lost`, or the channel closing because the GPU window crashed)
 * settles `device.lost`, fails pending maps with an AbortError (as Dawn does) and drops later ops.
 */
import type { Channel } from './channel';
import { GPU_WIRE_VERSION, GpuWireReply, type GpuWireAdapter, type GpuWireOp } from './gpu-wire';
import { RemoteDevice } from './gpu-remote';

/** The device could not be opened: `message` says why, for the user. */
export class GpuWireUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuWireUnavailable';
  }
}

type Pending = { resolve(r: GpuWireReply): void };

/** The connection: op queue, request ids, object ids, replies, loss. */
export class Wire {
  private nextId = 1;
  private ops: GpuWireOp[] = [];
  private flushQueued = false;
  private readonly pending = new Map<number, Pending>();
  private lostInfo: { reason: string; message: string } | null = null;
  private readonly lostListeners: ((info: { reason: string; message: string }) => void)[] = [];
  onUncaptured: (e: { type: string; message: string }) => void = () => {};
  /** Ids of proxies garbage-collected since the last flush. */
  private released: number[] = [];
  readonly registry = new FinalizationRegistry<number>((id) => {
    if (this.lostInfo) return;
    this.released.push(id);
    this.queueFlush();
  });

  constructor(private readonly channel: Channel) {}

  id(): number {
    return this.nextId++;
  }

  get lost(): { reason: string; message: string } | null {
    return this.lostInfo;
  }

  onLost(l: (info: { reason: string; message: string }) => void): void {
    if (this.lostInfo) l(this.lostInfo);
    else this.lostListeners.push(l);
  }

  send(op: GpuWireOp): void {
    if (this.lostInfo) return;
    this.ops.push(op);
    this.queueFlush();
  }

  /** Send an op that the server answers; resolves with the answer (or the loss's stand-in). */
  request(make: (req: number) => GpuWireOp): Promise<GpuWireReply> {
    const req = this.id();
    return new Promise((resolve) => {
      if (this.lostInfo) return resolve(this.lostReply(req));
      this.pending.set(req, { resolve });
      this.send(make(req));
    });
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.flushQueued = false;
    if (this.released.length) {
      this.ops.push({ op: 'release', ids: this.released });
      this.released = [];
    }
    if (this.ops.length === 0 || this.lostInfo) return;
    const ops = this.ops;
    this.ops = [];
    this.channel.send({ t: 'ops', ops });
  }

  /** What a request gets once the device is gone. */
  private lostReply(req: number): GpuWireReply {
    return { t: 'mapFailed', req, name: 'AbortError', message: 'The GPU device was lost.' };
  }

  receive(r: GpuWireReply): void {
    switch (r.t) {
      case 'mapped':
      case 'mapFailed':
      case 'scope':
      case 'workDone': {
        const p = this.pending.get(r.req);
        this.pending.delete(r.req);
        p?.resolve(r);
        return;
      }
      case 'uncaptured':
        this.onUncaptured(r.error);
        return;
      case 'lost':
        this.markLost({ reason: r.reason, message: r.message });
        return;
      default:
        return; // ready/unavailable belong to the handshake
    }
  }

  markLost(info: { reason: string; message: string }): void {
    if (this.lostInfo) return;
    this.lostInfo = info;
    this.ops = [];
    for (const [req, p] of this.pending) p.resolve(this.lostReply(req));
    this.pending.clear();
    for (const l of this.lostListeners.splice(0)) l(info);
  }
}

/** A device across the wire, with what the server said about its adapter. */
export interface RemoteGpu {
  device: GPUDevice;
  adapter: GpuWireAdapter;
}

/**
 * Open a device on the far side of `channel` (a `serveGpu` server): sends `acquire` and resolves
 * once the server answers `ready`. Rejects with {@link GpuWireUnavailable} when it answers
 * `unavailable`, the channel closes, or nothing comes within `timeoutMs`.
 *
 * Replies are validated against the wire's schemas; one that fails them ends the device (lost),
 * as a malformed request ends it on the server's side.
 */
export function openRemoteGpu(channel: Channel, options: { powerPreference?: 'high-performance' | 'low-power'; timeoutMs?: number } = {}): Promise<RemoteGpu> {
  const wire = new Wire(channel);
  return new Promise<RemoteGpu>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new GpuWireUnavailable(message));
    };
    const timer = setTimeout(() => fail(`The GPU window did not answer within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s.`), options.timeoutMs ?? 30_000);
    channel.onMessage((raw) => {
      const parsed = GpuWireReply.safeParse(raw);
      if (!parsed.success) {
        const why = `The GPU window sent a malformed reply (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}).`;
        if (settled) wire.markLost({ reason: 'unknown', message: why });
        else fail(why);
        return;
      }
      const r = parsed.data;
      if (settled) return wire.receive(r);
      if (r.t === 'unavailable') return fail(r.message);
      if (r.t !== 'ready') return;
      settled = true;
      clearTimeout(timer);
      resolve({ device: new RemoteDevice(wire, r.limits, r.features) as unknown as GPUDevice, adapter: r.adapter });
    });
    channel.onClose?.(() => {
      if (settled) wire.markLost({ reason: 'unknown', message: 'The GPU process went away (its window closed or crashed).' });
      else fail('The connection to the GPU window closed before a device was opened.');
    });
    channel.send({ t: 'acquire', version: GPU_WIRE_VERSION, ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}) });
  });
}
