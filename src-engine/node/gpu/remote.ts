/// <reference types="@webgpu/types" />
/**
 * The engine's GPU in Electron: a device in the hidden GPU window (Chromium's WebGPU), reached over
 * the GPU wire (protocol/gpu-wire.ts). The utility process has no `navigator.gpu`, and Dawn's Node
 * binding cannot map buffers inside Electron's V8 memory cage, so the device lives in a renderer
 * and the engine drives it from here; see docs/webgpu-backend.md, "Where the GPU backend runs".
 */
import type { Channel } from '../../protocol/channel';
import { GpuError, type GpuContext } from '../../core/gpu/context';
import { GpuWireUnavailable, openRemoteGpu } from '../../protocol/gpu-client';
import { sharedGpuAcquirer } from './device';

/**
 * `TrainingHost.acquireGpu` over channels to a GPU server: `connect` asks the host for a fresh
 * channel (Electron: a MessagePort to the GPU window's worker) and rejects with the host's reason
 * when there is none. One device for the engine's lifetime, replaced after a loss (a crashed GPU
 * window included), as `nodeGpuAcquirer`.
 */
export function remoteGpuAcquirer(connect: () => Promise<Channel>, options: { timeoutMs?: number } = {}): (allowFallback: boolean) => Promise<GpuContext> {
  return sharedGpuAcquirer(async () => {
    let channel: Channel;
    try {
      channel = await connect();
    } catch (e) {
      throw new GpuError('E_GPU_UNAVAILABLE', `No GPU window: ${(e as Error).message}`);
    }
    try {
      const { device, adapter } = await openRemoteGpu(channel, { powerPreference: 'high-performance', ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
      return { device, adapter };
    } catch (e) {
      channel.close();
      throw new GpuError('E_GPU_UNAVAILABLE', e instanceof GpuWireUnavailable ? e.message : `The GPU window failed: ${String((e as Error)?.message ?? e)}`);
    }
  });
}
