// Preload of the hidden GPU window (sandboxed, context-isolated). It exposes nothing: its only job
// is to pass the engine's MessagePort, which main sends over IPC, to the page as a window message
// (ports cannot cross contextBridge). See src-renderer/src/gpu-host.
import { ipcRenderer } from 'electron';
import { GPU_PORT_MESSAGE, IpcChannels } from '../../src-contracts/host';

const page = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };
ipcRenderer.on(IpcChannels.gpuPort, (e) => page.postMessage({ type: GPU_PORT_MESSAGE }, '*', e.ports));
