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
import { GPU_WIRE_VERSION, GpuWireReply, type GpuWireAdapter } from './gpu-wire';
import { RemoteDevice } from './gpu-remote';
import { Wire } from './gpu-wire-link';

/** The device could not be opened: `message` says why, for the user. */
export class GpuWireUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuWireUnavailable';
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
