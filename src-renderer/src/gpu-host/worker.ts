/**
 * The GPU window's worker: serves the GPU wire on each port the page passes on, with Chromium's
 * WebGPU. One engine at a time: a new port (an engine restarted after a crash) replaces the last
 * connection, whose device is destroyed so its memory does not outlive it.
 */
/// <reference types="@webgpu/types" />
import { GPU_PORT_MESSAGE } from '../../../src-contracts/host';
import type { Channel } from '../../../src-engine/protocol/channel';
import { serveGpu } from '../../../src-engine/protocol/gpu-server';

function portChannel(port: MessagePort): Channel {
  const closeHandlers = new Set<() => void>();
  port.addEventListener('close', () => closeHandlers.forEach((h) => h()));
  port.start();
  return {
    send: (m) => port.postMessage(m),
    onMessage: (h) => {
      const l = (e: MessageEvent) => h(e.data);
      port.addEventListener('message', l);
      return () => port.removeEventListener('message', l);
    },
    onClose: (h) => (closeHandlers.add(h), () => closeHandlers.delete(h)),
    close: () => port.close(),
  };
}

let stop: (() => void) | null = null;

self.addEventListener('message', (e: MessageEvent) => {
  const data = e.data as { type?: unknown } | null;
  const port = e.ports[0];
  if (data?.type !== GPU_PORT_MESSAGE || !port) return;
  stop?.();
  stop = serveGpu((navigator as Navigator & { gpu?: GPU }).gpu, portChannel(port));
});
