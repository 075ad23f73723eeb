/**
 * The page of Electron's hidden GPU window. The engine (a utility process, without WebGPU) trains
 * on the device this window's worker opens with Chromium's `navigator.gpu`, over the GPU wire
 * (src-engine/protocol/gpu-wire.ts). Main hands the window a MessagePort to the engine; the
 * preload posts it here as a window message, and this page passes it on to the worker, so the
 * device's work never waits on this page's main thread.
 */
import { GPU_PORT_MESSAGE } from '../../../src-contracts/host';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'netwright-gpu' });

window.addEventListener('message', (e: MessageEvent) => {
  const data = e.data as { type?: unknown } | null;
  if (e.source !== window || data?.type !== GPU_PORT_MESSAGE || !e.ports[0]) return;
  worker.postMessage({ type: GPU_PORT_MESSAGE }, [e.ports[0]]);
});
