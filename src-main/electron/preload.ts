// Preload (sandboxed, context-isolated): the renderer's only door to the host.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ENGINE_PORT_MESSAGE, IpcChannels, type PreloadBridge } from '../../src-engine/protocol/bridge';

const bridge: PreloadBridge = {
  host: 'electron',
  requestEngine: () => ipcRenderer.send(IpcChannels.engineConnect),
  onEngineStatus: (listener) => {
    const l = (_e: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on(IpcChannels.engineStatus, l);
    return () => void ipcRenderer.off(IpcChannels.engineStatus, l);
  },
};
contextBridge.exposeInMainWorld('netwright', bridge);

// MessagePorts cannot cross contextBridge; forward them to the page as a window message. The
// page is this same window, so the target origin is not a disclosure ('*' because file:// is 'null').
const page = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };
ipcRenderer.on(IpcChannels.enginePort, (e) => page.postMessage({ type: ENGINE_PORT_MESSAGE }, '*', e.ports));
