import type { Channel } from '../../../src-engine/protocol';

/**
 * A channel over a browser MessagePort: the app window's port to the engine (Electron main hands
 * one over per engine incarnation), and the GPU window worker's port from the engine.
 */
export function portChannel(port: MessagePort): Channel {
  const handlers = new Set<(m: unknown) => void>();
  const closeHandlers = new Set<() => void>();
  port.addEventListener('message', (e: MessageEvent) => handlers.forEach((h) => h(e.data)));
  port.addEventListener('close', () => closeHandlers.forEach((h) => h()));
  port.start();
  return {
    send: (m) => port.postMessage(m),
    onMessage: (h) => (handlers.add(h), () => handlers.delete(h)),
    onClose: (h) => (closeHandlers.add(h), () => closeHandlers.delete(h)),
    close: () => port.close(),
  };
}
