/**
 * The GPU window's worker: serves the GPU wire on each port the page passes on, with Chromium's
 * WebGPU. One engine at a time: a new port (an engine restarted after a crash) replaces the last
 * connection, whose device is destroyed so its memory does not outlive it.
 */
/// <reference types="@webgpu/types" />
import { GPU_PORT_MESSAGE } from '../../../src-contracts/host';
import { serveGpu } from '../../../src-engine/protocol/gpu-server';
import { portChannel } from '../engine/port-channel';

let stop: (() => void) | null = null;

self.addEventListener('message', (e: MessageEvent) => {
  const data = e.data as { type?: unknown } | null;
  const port = e.ports[0];
  if (data?.type !== GPU_PORT_MESSAGE || !port) return;
  stop?.();
  stop = serveGpu((navigator as Navigator & { gpu?: GPU }).gpu, portChannel(port));
});
